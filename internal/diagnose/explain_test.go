package diagnose

import (
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
)

func TestFaultShare(t *testing.T) {
	for _, c := range []struct {
		name              string
		gap, faults, cost float64
		want              float64
	}{
		{"seed: 1,319 faults at 10.5 µs of a 15.87 ms gap", 15.87e-3, 1319, 10.5e-6, 0.873},
		{"case 02: the model overshoots, clamped", 4.962e-3, 480, 10.5e-6, 1},
		{"no gap", 0, 100, 1e-6, 0},
		{"negative gap", -1e-3, 100, 1e-6, 0},
		{"fewer faults on the slow side", 1e-3, -100, 1e-6, 0},
		{"unknown cost", 1e-3, 100, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := faultShare(c.gap, c.faults, c.cost); math.Abs(got-c.want) > 0.001 {
				t.Errorf("faultShare = %.4f, want %.3f", got, c.want)
			}
		})
	}
}

func TestMatrixShare(t *testing.T) {
	for _, c := range []struct {
		name         string
		gap, gapWith float64
		want         float64
	}{
		{"seed under glibc-tuned", 15.87e-3, 0.098e-3, 0.9938},
		{"half removed", 10e-3, 5e-3, 0.5},
		{"order reversed: all removed", 9.7e-3, -0.3e-3, 1},
		{"config widens the gap", 1e-3, 2e-3, 0},
		{"no gap", 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := matrixShare(c.gap, c.gapWith); math.Abs(got-c.want) > 0.0005 {
				t.Errorf("matrixShare = %.4f, want %.4f", got, c.want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	seed := explainInput{Gap: 15.87e-3, Faults: 1319, Cost: 10.5e-6, Calibrated: true, Weight: 1, Signature: true}
	withMatrix := func(in explainInput, gapWith float64) explainInput {
		in.HasMatrix, in.GapWith = true, gapWith
		return in
	}
	uncal := seed
	uncal.Cost, uncal.Calibrated = FallbackFaultCost, false
	noSig := seed
	noSig.Signature = false
	half := seed
	half.Weight = 0.5
	small := seed
	small.Faults = 100 // 1.05 ms of a 15.87 ms gap: 7%
	for _, c := range []struct {
		name     string
		in       explainInput
		explains float64
		conf     string
	}{
		{"signature + matrix removes the gap: high, matrix figure", withMatrix(seed, 0.098e-3), 0.994, High},
		{"signature, no matrix, calibrated model >= 25%: medium, model figure", seed, 0.873, Medium},
		{"signature, matrix removes a third, model too small to agree: medium", withMatrix(small, 10.6e-3), 0.332, Medium},
		{"signature, matrix removes less than half, model disagrees: medium", withMatrix(small, 12e-3), 0.244, Medium},
		{"signature, uncalibrated, no matrix: low", uncal, 0.083, Low},
		{"signature, uncalibrated, matrix: high (the matrix needs no cost)", withMatrix(uncal, 0.1e-3), 0.994, High},
		{"no signature, matrix removes the gap: medium", withMatrix(noSig, 0.1e-3), 0.994, Medium},
		{"no signature, no matrix: low", noSig, 0.873, Low},
		{"two mechanisms: the weight splits both figures", withMatrix(half, 0.098e-3), 0.497, High},
		{"weight out of range counts as 1", explainInput{Gap: 1e-3, Faults: 50, Cost: 10e-6, Calibrated: true, Weight: 7, Signature: true}, 0.5, Medium},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := explain(c.in)
			if math.Abs(e.Explains-c.explains) > 0.001 || e.Confidence != c.conf {
				t.Errorf("explain = %.3f %s (fault %.3f, matrix %.3f/%v), want %.3f %s",
					e.Explains, e.Confidence, e.Fault, e.Matrix, e.HasMatrix, c.explains, c.conf)
			}
		})
	}
}

// TestExplainAgreement: a matrix figure below one half is still high
// confidence when the calibrated fault model predicts it.
func TestExplainAgreement(t *testing.T) {
	in := explainInput{Gap: 10e-3, Faults: 300, Cost: 10e-6, Calibrated: true, Weight: 1, Signature: true,
		HasMatrix: true, GapWith: 6.5e-3}
	e := explain(in)
	if e.Fault != 0.3 || e.Matrix != 0.35 || e.Confidence != High {
		t.Errorf("explain = fault %.3f matrix %.3f %s, want 0.3, 0.35, high", e.Fault, e.Matrix, e.Confidence)
	}
	in.Calibrated = false
	if e := explain(in); e.Confidence != Medium {
		t.Errorf("uncalibrated: %s, want medium", e.Confidence)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtBytes(15998976), "15.3 MiB"},
		{fmtBytes(8000000), "7.6 MiB"},
		{fmtBytes(65536), "64.0 KiB"},
		{fmtBytes(512), "512 B"},
		{fmtCount(1319.25), "1,319"},
		{fmtCount(0.4), "0.4"},
		{fmtCount(32830), "32,830"},
		{fmtCount(-1234567), "-1,234,567"},
		{fmtRatio(55.93), "55.9x"},
		{fmtRatio(1.349), "1.35x"},
		{fmtPct(0.873), "87%"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestProposalsShareTheMatrixFormulas: a fix the diagnosis proposes is
// built by alloc like the matrix's configuration, so when the matrix ran
// it the proposal is covered and not measured twice.
func TestProposalsShareTheMatrixFormulas(t *testing.T) {
	r := loadFixture(t, "seed.json")
	a := newAnalysis(r, summary.Of(r))
	o := alloc.Observe(alloc.Options{}, r)
	if got, want := a.tuned(0), alloc.Tuned(o); got.Name != alloc.GlibcTuned || !maps.Equal(got.Env, want.Env) {
		t.Errorf("proposed glibc-tuned %s %v, the matrix's %s %v", got.Name, got.Env, want.Name, want.Env)
	}
	if got := a.topPad(0); got.Name != alloc.GlibcTopPad || !maps.Equal(got.Env, alloc.TopPad(o).Env) {
		t.Errorf("proposed glibc-top-pad %s %v", got.Name, got.Env)
	}
	// The seed without its hand-made tuned configuration, plus the
	// matrix's derived ones: nothing left to propose for glibc.
	r.Configs = slices.DeleteFunc(r.Configs, func(c result.Config) bool { return c.Name == alloc.GlibcTuned })
	for _, c := range alloc.Retune([]result.Config{r.Configs[0], alloc.Tuned(alloc.Options{}), alloc.TopPad(alloc.Options{})}, o, false)[1:] {
		c.Status = result.StatusOK
		r.Configs = append(r.Configs, c)
	}
	for _, pr := range proposalsOf(r) {
		if pr.Kind == KindEnv && (strings.HasPrefix(pr.Config.Name, alloc.GlibcTuned) || strings.HasPrefix(pr.Config.Name, alloc.GlibcTopPad)) {
			t.Errorf("proposed %s %v although the matrix has it", pr.Config.Name, pr.Config.Env)
		}
	}
	// Under a preloaded jemalloc the proposal keeps the user's library and
	// options, as the matrix's jemalloc-nodecay does.
	j := loadFixture(t, "jemalloc.json")
	j.Configs[0].Env[alloc.VarMallocConf] = "narenas:1"
	prs := proposalsOf(j)
	cat := alloc.Catalog(alloc.Options{Base: j.Configs[0]})
	i := slices.IndexFunc(cat, func(c result.Config) bool { return c.Name == alloc.JemallocNoDecay })
	if len(prs) != 1 || i < 0 || prs[0].Config.Name != alloc.JemallocNoDecay || !maps.Equal(prs[0].Config.Env, cat[i].Env) {
		t.Fatalf("proposals %+v, the matrix's jemalloc-nodecay %+v", prs, cat)
	}
	j.Configs = append(j.Configs, cat[i])
	if prs := proposalsOf(j); len(prs) != 0 {
		t.Errorf("jemalloc-nodecay proposed again: %+v", prs)
	}
}
