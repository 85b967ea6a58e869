package measure

import (
	"testing"

	"github.com/faultline/faultline/internal/result"
)

// settleSamples fills an accumulator with n samples per candidate: each
// candidate's time alternates ±spread around its base, and its faults
// per iteration alternate between the two values given.
func settleSamples(n int, spread float64, cands map[string][3]float64) *accumulator {
	var cs []result.Candidate
	for _, name := range []string{"A", "B"} {
		if _, ok := cands[name]; ok {
			cs = append(cs, result.Candidate{Name: name})
		}
	}
	a := newAccumulator(cs)
	for i := 0; i < n; i++ {
		for _, c := range cs {
			v := cands[c.Name]
			sign, f := 1.0, v[1]
			if i%2 == 1 {
				sign, f = -1, v[2]
			}
			a.add(c.Name, result.Sample{Seconds: v[0] * (1 + sign*spread*float64(i%3)/2), MinorFaults: f})
		}
	}
	return a
}

// TestSettled: the baseline stops once a difference is significant, even
// with faults that vary from sample to sample (more samples would only
// narrow its interval); no difference settles it only with steady faults,
// which cannot hide one; wide intervals settle nothing.
func TestSettled(t *testing.T) {
	const cost = 2e-6
	tests := []struct {
		name string
		acc  *accumulator
		want bool
	}{
		{"a difference, faults varying", settleSamples(6, 0.05, map[string][3]float64{"A": {1e-3, 5, 5}, "B": {3e-3, 800, 1300}}), true},
		{"no difference, faults steady", settleSamples(8, 0.02, map[string][3]float64{"A": {1e-3, 5, 5}, "B": {1e-3, 5, 5}}), true},
		{"no difference, faults varying", settleSamples(8, 0.02, map[string][3]float64{"A": {1e-3, 5, 5}, "B": {1e-3, 0, 400}}), false},
		{"a difference, intervals wide", settleSamples(6, 0.9, map[string][3]float64{"A": {1e-3, 5, 5}, "B": {3e-3, 800, 800}}), false},
	}
	for _, tt := range tests {
		if got := tt.acc.settled(cost); got != tt.want {
			t.Errorf("%s: settled %v, want %v (answers %v)", tt.name, got, tt.want, tt.acc.answers())
		}
	}
}
