package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func scaled(v []float64, f float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * f
	}
	return out
}

func repeat(x float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = x
	}
	return out
}

// Three runs a side decide a large gap: the rank test cannot (its
// smallest p for 3 against 3 is 0.1), the t-test on log times can.
func TestInferDecidesAtThreeRuns(t *testing.T) {
	base := []float64{1.02, 0.95, 1.1}
	slow := []float64{8.9, 7.1, 9.6}
	if p := MannWhitneyP(base, slow); p < Alpha {
		t.Fatalf("the rank test reached %g at n = 3; the premise of this test is wrong", p)
	}
	v := Infer(Side{Times: base}, Side{Times: slow}, 0)
	if v.Answer != Slower || v.DecidedBy != ByTime || !v.Significant || v.P >= Alpha {
		t.Errorf("8.5x at three runs a side: %+v, want slower decided by time", v)
	}
	if r := Infer(Side{Times: slow}, Side{Times: base}, 0); r.Answer != Faster {
		t.Errorf("the other way round: %+v, want faster", r)
	}
}

// A gap the times alone leave at 0.01 < p < 0.05 is decided when every
// sample's faults separate the sides in the same direction, and only
// then.
func TestInferFaultsCorroborate(t *testing.T) {
	base := []float64{1.0, 1.12, 0.9}
	slow := []float64{1.3, 1.5, 1.18}
	times := Infer(Side{Times: base}, Side{Times: slow}, 0)
	if times.Answer != Inconclusive || times.P < Alpha || times.P >= AlphaCorroborated {
		t.Fatalf("premise: times alone should be inconclusive at 0.01 < p < 0.05, got %+v", times)
	}
	if times.RunsNeeded <= 3 {
		t.Errorf("inconclusive without the runs that would settle it: %+v", times)
	}
	few, many := []float64{5000, 5010, 4990}, []float64{21400, 21390, 21410}
	v := Infer(Side{Times: base, Faults: few}, Side{Times: slow, Faults: many}, 0)
	if v.Answer != Slower || v.DecidedBy != ByTimeFaults {
		t.Errorf("faults separate the sides: %+v, want slower decided by time and faults", v)
	}
	// The faults point the other way: no corroboration.
	if v := Infer(Side{Times: base, Faults: many}, Side{Times: slow, Faults: few}, 0); v.Answer != Inconclusive {
		t.Errorf("faults against the time's direction: %+v, want inconclusive", v)
	}
	// Overlapping faults: no corroboration.
	if v := Infer(Side{Times: base, Faults: few}, Side{Times: slow, Faults: []float64{21400, 4000, 21410}}, 0); v.Answer != Inconclusive {
		t.Errorf("faults that overlap: %+v, want inconclusive", v)
	}
	// Faults alike within counting noise: no corroboration.
	if v := Infer(Side{Times: base, Faults: few}, Side{Times: slow, Faults: []float64{5400, 5410, 5390}}, 0); v.Answer != Inconclusive {
		t.Errorf("faults within 20%%: %+v, want inconclusive", v)
	}
	// 16,400 faults at 1 µs make 16 ms, under a tenth of a 0.3 s gap:
	// they cannot be what makes it.
	if v := Infer(Side{Times: base, Faults: few}, Side{Times: slow, Faults: many}, 1e-6); v.Answer != Inconclusive {
		t.Errorf("faults too cheap to matter: %+v, want inconclusive", v)
	}
	if v := Infer(Side{Times: base, Faults: few}, Side{Times: slow, Faults: many}, 10e-6); v.Answer != Slower {
		t.Errorf("faults at 10 µs make half the gap: %+v, want slower", v)
	}
}

// Many samples of the same distribution are equivalent within a small
// margin; three noisy ones are inconclusive, never "no difference".
func TestInferEquivalentAndInconclusive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	a, b := noisy(rng, 1e-3, 30), noisy(rng, 1e-3, 30)
	v := Infer(Side{Times: a}, Side{Times: b}, 0)
	if v.Answer != Equivalent || v.Margin <= 0 || v.Margin > 0.03 || v.Significant {
		t.Errorf("30 samples of one distribution, 2%% noise: %+v, want equivalent within ±3%%", v)
	}
	x := []float64{1.0, 1.4, 0.7}
	y := []float64{0.8, 1.3, 1.1}
	w := Infer(Side{Times: x}, Side{Times: y}, 0)
	if w.Answer != Inconclusive || w.Margin != 0 || w.RunsNeeded <= 3 {
		t.Errorf("three noisy samples a side: %+v, want inconclusive with more runs needed", w)
	}
	// Identical samples: equivalent, exactly.
	if e := Infer(Side{Times: repeat(2, 5)}, Side{Times: repeat(2, 5)}, 0); e.Answer != Equivalent || e.Margin != 0.01 {
		t.Errorf("identical samples: %+v", e)
	}
	// A significant difference within ±2% is equivalent: no verdict of
	// "slower" for noise a user cannot act on.
	c := scaled(a, 1.005)
	if v := Infer(Side{Times: a}, Side{Times: c}, 0); v.Answer != Equivalent {
		t.Errorf("a 0.5%% shift: %+v, want equivalent", v)
	}
	// One sample a side: nothing to test.
	if v := Infer(Side{Times: []float64{1}}, Side{Times: []float64{2}}, 0); v.Answer != Inconclusive || v.RunsNeeded < 3 {
		t.Errorf("one sample a side: %+v", v)
	}
}

func TestTQuantile(t *testing.T) {
	for _, tt := range []struct{ df, p, want float64 }{
		{4, 0.975, 2.776}, {10, 0.95, 1.812}, {1000, 0.995, 2.581},
	} {
		if got := tQuantile(tt.df, tt.p); math.Abs(got-tt.want) > 0.002 {
			t.Errorf("tQuantile(%g, %g) = %.4f, want %.3f", tt.df, tt.p, got, tt.want)
		}
	}
}

func TestCountsAlike(t *testing.T) {
	for _, tt := range []struct {
		x, y float64
		want bool
	}{{0, 1, true}, {0, 3, false}, {100, 115, true}, {100, 130, false}, {5000, 5400, true}} {
		if got := CountsAlike(tt.x, tt.y); got != tt.want {
			t.Errorf("CountsAlike(%g, %g) = %v", tt.x, tt.y, got)
		}
	}
}
