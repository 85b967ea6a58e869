package compare

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

// seed loads the report package's seed fixture: the NumPy case with A
// (func1), B (func2) and B's code fix, measured as faultline writes it.
func seed(t *testing.T) *result.Result {
	t.Helper()
	r, err := result.Load(filepath.Join("..", "report", "testdata", "seed.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// swapped is r with the letters of A and B exchanged everywhere, as if
// the candidates had been given in the other order.
func swapped(t *testing.T) *result.Result {
	r := seed(t)
	sw := func(s *string) {
		switch *s {
		case "A":
			*s = "B"
		case "B":
			*s = "A"
		}
	}
	for i := range r.Candidates {
		sw(&r.Candidates[i].Name)
		sw(&r.Candidates[i].FixOf)
	}
	for i := range r.Results {
		sw(&r.Results[i].Candidate)
	}
	for i := range r.Comparisons {
		sw(&r.Comparisons[i].Baseline)
		sw(&r.Comparisons[i].Other)
	}
	for i := range r.Findings {
		sw(&r.Findings[i].Candidate)
	}
	return r
}

func TestPairsByLabelNotLetter(t *testing.T) {
	c, err := New([]Input{{"old.json", seed(t)}, {"new.json", swapped(t)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Candidates) != 2 || len(c.Unpaired) != 0 {
		t.Fatalf("%d paired, %d unpaired; want the two user candidates paired (the code fix is not compared)", len(c.Candidates), len(c.Unpaired))
	}
	for _, cand := range c.Candidates {
		if cand.Names[0] == cand.Names[1] || cand.PairedBy[0] != "label" {
			t.Errorf("%v paired by %q; want the other letter, by label", cand.Names, cand.PairedBy[0])
		}
		for _, cfg := range cand.Configs {
			if cfg.Time[0].N == 0 {
				if cfg.TimeChanges[0] != nil {
					t.Errorf("%s under %s: a time change without samples", cand.Names[0], cfg.Name)
				}
				continue // a failed configuration
			}
			if tc := cfg.TimeChanges[0]; tc == nil || tc.Significant || tc.Ratio != 1 {
				t.Errorf("%s under %s: the same samples compare as %+v", cand.Names[0], cfg.Name, tc)
			}
			for _, mv := range cfg.Metrics {
				if ch := mv.Changes[0]; ch != nil && ch.Delta != 0 {
					t.Errorf("%s under %s: %s changed by %v between the same numbers", cand.Names[0], cfg.Name, mv.Name, ch.Delta)
				}
			}
		}
	}
	if len(c.Findings) != 0 {
		t.Errorf("the same findings under other letters differ: %+v", c.Findings)
	}
}

func TestPairsByCodeUnderAnotherLabel(t *testing.T) {
	r := swapped(t)
	r.Candidate("B").Label = "func1" // was A, labelled by its code
	c, err := New([]Input{{"old.json", seed(t)}, {"new.json", r}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, cand := range c.Candidates {
		got[cand.Names[0]+cand.Names[1]] = cand.PairedBy[0]
	}
	if got["AB"] != "code" || got["BA"] != "label" {
		t.Errorf("pairing %v; want A with B by code, B with A by label", got)
	}
}

func TestUnpairedAndNoPair(t *testing.T) {
	r := swapped(t)
	b := r.Candidate("A") // the old B
	b.Label, b.Statement = "t = a.astype(np.float32); t / 255.0", "t = a.astype(np.float32); t / 255.0"
	c, err := New([]Input{{"old.json", seed(t)}, {"new.json", r}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Candidates) != 2 || len(c.Unpaired) != 2 {
		t.Fatalf("%d rows, unpaired %+v; want B of each file unpaired", len(c.Candidates), c.Unpaired)
	}
	for _, u := range c.Unpaired {
		if (u.File == 0 && u.Name != "B") || (u.File == 1 && u.Name != "A") {
			t.Errorf("unpaired %+v", u)
		}
	}
	// The old B's findings are gone: its counterpart is not known.
	gone := 0
	for _, f := range c.Findings {
		if f.Change == FindingGone && f.Candidate >= 0 && c.Candidates[f.Candidate].Names[0] == "B" {
			gone++
		}
	}
	if gone == 0 {
		t.Errorf("no finding of the unpaired B is gone: %+v", c.Findings)
	}

	a := r.Candidate("B")
	a.Label, a.Statement = "a.sum()", "a.sum()"
	_, err = New([]Input{{"old.json", seed(t)}, {"new.json", r}}, Options{})
	var npe *NoPairError
	if !errors.As(err, &npe) || npe.Path != "new.json" {
		t.Fatalf("err = %v; want a NoPairError for new.json", err)
	}
}

func TestFindingGoneAndChanged(t *testing.T) {
	old, cur := seed(t), seed(t)
	if len(old.Findings) < 2 {
		t.Fatal("the seed fixture has fewer than two findings")
	}
	first := old.Findings[0]
	cur.Findings = cur.Findings[1:]
	cur.Findings[0].Confidence = "other"
	c, err := New([]Input{{"old.json", old}, {"new.json", cur}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range c.Findings {
		kinds = append(kinds, f.Change+" "+f.Cause)
	}
	want := []string{FindingChanged + " " + old.Findings[1].Cause, FindingGone + " " + first.Cause}
	if len(kinds) != 2 || kinds[0] != want[0] || kinds[1] != want[1] {
		t.Errorf("finding changes %v, want %v", kinds, want)
	}
}

func TestDifferentKindsRefused(t *testing.T) {
	r := seed(t)
	r.Kind = result.KindRun
	for i := range r.Results {
		r.Results[i].Mode = result.ModeProcess
	}
	if _, err := New([]Input{{"old.json", seed(t)}, {"run.json", r}}, Options{}); err == nil {
		t.Error("a timeit result compared with a run result")
	}
}

// TestTaxChange: a candidate's memory tax is set beside its counterpart's,
// paired as the candidates are (B in the old file is A in the new one),
// and a file without taxes leaves the candidate without any.
func TestTaxChange(t *testing.T) {
	old, cur := seed(t), swapped(t)
	old.Taxes = []result.Tax{{Candidate: "B", Config: "glibc", Best: "tcmalloc", Ratio: 10, Paid: true, Causes: []string{"heap-trim-refault"}}}
	cur.Taxes = []result.Tax{{Candidate: "A", Config: "glibc", Best: "tcmalloc", Ratio: 1.02}}
	c, err := New([]Input{{"old.json", old}, {"new.json", cur}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cand := range c.Candidates {
		switch cand.Names[0] {
		case "B":
			if len(cand.Taxes) != 2 || cand.Taxes[0] == nil || !cand.Taxes[0].Paid || cand.Taxes[1] == nil || cand.Taxes[1].Paid || cand.Taxes[1].Candidate != "A" {
				t.Errorf("B's taxes %+v: want the paid tax, then its counterpart's unpaid one", cand.Taxes)
			}
		case "A":
			if cand.Taxes != nil {
				t.Errorf("A's taxes %+v: want none (no file has one)", cand.Taxes)
			}
		}
	}
}

// An order effect in the new file — B's trimming lands on A's interleaved
// samples, doubling them — moves A's interleaved time although A did not
// change. By default the times come from each candidate alone, where A's
// runs are the same, so the change is not significant; asked for the
// interleaved rounds, it is.
func TestTimeModeIsolatedByDefault(t *testing.T) {
	cur := seed(t)
	inter := cur.Run("A", "glibc", result.ModeInterleaved)
	for i := range inter.Samples {
		inter.Samples[i].Seconds *= 2
	}
	for _, tt := range []struct {
		opts     Options
		mode     string
		inflated bool
	}{
		{Options{}, result.ModeIsolated, false},
		{Options{TimeMode: TimePrimary}, result.ModeInterleaved, true},
	} {
		c, err := New([]Input{{"old.json", seed(t)}, {"new.json", cur}}, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		var a *Candidate
		for i := range c.Candidates {
			if c.Candidates[i].Names[1] == "A" {
				a = &c.Candidates[i]
			}
		}
		cfg := a.Config("glibc")
		if cfg == nil || cfg.Mode != tt.mode || cfg.TimeChanges[0] == nil {
			t.Fatalf("%+v: A under glibc = %+v, want times from %s", tt.opts, cfg, tt.mode)
		}
		want := seed(t).Run("A", "glibc", tt.mode).Time.Median
		if cfg.Time[0].Median != want {
			t.Errorf("%+v: old median %g, want the %s run's %g", tt.opts, cfg.Time[0].Median, tt.mode, want)
		}
		if slower := cfg.TimeChanges[0].Verdict == result.VerdictSlower; slower != tt.inflated {
			t.Errorf("%+v: A's change is %s (ratio %.2f); want slower only from the inflated interleaved samples",
				tt.opts, cfg.TimeChanges[0].Verdict, cfg.TimeChanges[0].Ratio)
		}
	}
	// A file without isolated runs is compared in its primary mode.
	noIso := seed(t)
	noIso.Results = slices.DeleteFunc(noIso.Results, func(r result.Run) bool { return r.Mode == result.ModeIsolated })
	c, err := New([]Input{{"old.json", seed(t)}, {"new.json", noIso}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := c.Candidates[0].Config("glibc"); cfg == nil || cfg.Mode != result.ModeInterleaved {
		t.Errorf("without isolated runs in one file: %+v, want interleaved", cfg)
	}
	if _, err := ParseTimeMode("alone"); err == nil {
		t.Error("ParseTimeMode accepted an unknown mode")
	}
}
