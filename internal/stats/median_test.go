package stats

import "testing"

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		v    []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(tt.v); got != tt.want {
			t.Errorf("Median(%v) = %g, want %g", tt.v, got, tt.want)
		}
	}
}

// TestPIsAProbability: tied samples, for which the rank test's two-sided
// p comes out above 1 (1.2 for these), still give a p-value a result
// accepts.
func TestPIsAProbability(t *testing.T) {
	a, b := []float64{1e-3, 2e-3, 2e-3}, []float64{2e-3, 2e-3}
	for _, p := range []float64{MannWhitneyP(a, b), Compare(a, b).P, MannWhitneyP(nil, a)} {
		if p < 0 || p > 1 {
			t.Errorf("p = %v, want within [0, 1]", p)
		}
	}
}
