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

// TestPIsAProbability: identical samples, whose exact p-value sums round
// past 1, still give a p-value a result accepts.
func TestPIsAProbability(t *testing.T) {
	a := []float64{1e-3, 1e-3, 1e-3}
	for _, p := range []float64{MannWhitneyP(a, a), Compare(a, a).P, MannWhitneyP(nil, a)} {
		if p < 0 || p > 1 {
			t.Errorf("p = %v, want within [0, 1]", p)
		}
	}
}
