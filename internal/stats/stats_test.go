package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func noisy(rng *rand.Rand, center float64, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = center * (1 + 0.02*rng.NormFloat64())
	}
	return v
}

func TestSummarize(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	e := Summarize(noisy(rng, 1e-3, 30))
	if e.N != 30 || e.Unit != "s" || e.Confidence != Confidence {
		t.Fatalf("Summarize = %+v", e)
	}
	if !(e.Low <= e.Median && e.Median <= e.High) || math.Abs(e.Median-1e-3) > 2e-5 {
		t.Fatalf("interval does not bracket the median near 1ms: %+v", e)
	}
	// Too few samples for an interval: collapse to the median, level 0.
	small := Summarize([]float64{1, 2, 3})
	if small.Confidence != 0 || small.Low != small.Median || small.Median != 2 {
		t.Fatalf("Summarize(3 samples) = %+v", small)
	}
	if RelWidth(small) != math.Inf(1) {
		t.Fatal("RelWidth without an interval must be +Inf")
	}
}

func TestCompare(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := noisy(rng, 1e-3, 20)
	b := noisy(rng, 5e-3, 20)
	c := Compare(a, b)
	if !c.Significant || c.P >= Alpha {
		t.Fatalf("5x difference not significant: %+v", c)
	}
	if c.Ratio < 4.7 || c.Ratio > 5.3 || !(c.Low <= c.Ratio && c.Ratio <= c.High) {
		t.Fatalf("ratio %+v, want about 5 inside its interval", c)
	}
	same := Compare(noisy(rng, 1e-3, 20), noisy(rng, 1e-3, 20))
	if same.Significant {
		t.Fatalf("equal distributions reported significant: %+v", same)
	}
	if !(same.Low < 1 && same.High > 1) {
		t.Fatalf("interval of equal distributions excludes 1: %+v", same)
	}
	// Deterministic for the same input.
	if d := Compare(a, b); d != c {
		t.Fatalf("Compare not deterministic: %+v vs %+v", d, c)
	}
}

// TestPValueInRange: for samples of equal rank sums (three against three)
// benchmath's exact p-value sums to just above 1; it is reported as 1.
func TestPValueInRange(t *testing.T) {
	for _, tt := range [][2][]float64{
		{{1, 4, 5}, {2, 3, 6}},
		{{1, 2, 3}, {1, 2, 3}},
		{{1.26e-3, 1.30e-3, 1.41e-3}, {1.25e-3, 1.33e-3, 1.40e-3}},
	} {
		if p := Compare(tt[0], tt[1]).P; p < 0 || p > 1 {
			t.Errorf("Compare(%v, %v).P = %v, out of [0, 1]", tt[0], tt[1], p)
		}
		if p := MannWhitneyP(tt[0], tt[1]); p < 0 || p > 1 {
			t.Errorf("MannWhitneyP(%v, %v) = %v, out of [0, 1]", tt[0], tt[1], p)
		}
	}
}
