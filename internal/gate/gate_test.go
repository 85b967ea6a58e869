package gate

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/compare"
	"github.com/faultline/faultline/internal/result"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []Rule
	}{
		{"time>+5%", []Rule{{Metric: "time", Limit: 0.05, Relative: true}}},
		{"time > 2ms", []Rule{{Metric: "time", Limit: 2e-3}}},
		{"time>+100us,faults>+10%, brk>+0.5", []Rule{{Metric: "time", Limit: 1e-4}, {Metric: "faults", Limit: 0.1, Relative: true}, {Metric: "brk", Limit: 0.5}}},
		{"minor-faults>0,allocations>+1", []Rule{{Metric: "faults"}, {Metric: "allocs", Limit: 1}}},
	} {
		got, err := Parse(c.expr)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: %d rules, want %d", c.expr, len(got), len(c.want))
			continue
		}
		for i, r := range got {
			w := c.want[i]
			if r.Metric != w.Metric || r.Relative != w.Relative || math.Abs(r.Limit-w.Limit) > 1e-12 {
				t.Errorf("%q rule %d = %+v, want %+v", c.expr, i, r, w)
			}
		}
	}
	for _, c := range []struct{ expr, want string }{
		{"", "needs rules"},
		{"faults", "want METRIC>LIMIT"},
		{"fault>+1", `unknown metric "fault"`},
		{"faults<+1", "only a rise"},
		{"faults>=1", "only a rise"},
		{"faults>-1", "negative"},
		{"faults>+1,", "an empty rule"},
		{"faults>+1ms", "a count per iteration"},
		{"time>+5", "needs % or a unit"},
		{"time>+5h", `unknown time unit "h"`},
		{"brk>+NaN", "not a number"},
		{"brk>+", "not a number"},
	} {
		_, err := Parse(c.expr)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) = %v, want one line containing %q", c.expr, err, c.want)
		}
	}
}

func seed(t *testing.T) *result.Result {
	t.Helper()
	r, err := result.Load(filepath.Join("..", "report", "testdata", "seed.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fixed is the seed with B's memory behaviour made A's: no trim, no brk,
// A's faults, as after B's fix.
func fixed(t *testing.T) *result.Result {
	r := seed(t)
	for i := range r.Results {
		run := &r.Results[i]
		if run.Candidate != "B" {
			continue
		}
		if a := r.Run("A", run.Config, run.Mode); a != nil {
			run.PerIteration = a.PerIteration
		}
	}
	return r
}

func check(t *testing.T, old, cur *result.Result, expr string) (*compare.Comparison, []Breach) {
	t.Helper()
	c, err := compare.New([]compare.Input{{Path: "old.json", Result: old}, {Path: "new.json", Result: cur}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	return c, Check(c, rules)
}

func TestCountsGate(t *testing.T) {
	// Fixed, then broken again: B's faults and brk calls come back.
	c, bs := check(t, fixed(t), seed(t), "faults>+10%,brk>+0.5,allocs>+5")
	var got []string
	for _, b := range bs {
		got = append(got, c.Title(b.Candidate)+" "+b.Rule.Metric)
		if b.Missing != "" || b.New <= b.Old {
			t.Errorf("breach %+v", b)
		}
		if l := b.Line(c); !strings.Contains(l, "B under glibc: "+b.Rule.Metric+" ") || !strings.Contains(l, "per call") {
			t.Errorf("line %q lacks the candidate, metric or unit", l)
		}
	}
	if strings.Join(got, ",") != "B faults,B brk" {
		t.Errorf("breaches %v, want B's faults and brk (allocs rose by 1, under its limit)", got)
	}
	// The fix itself breaks nothing.
	if _, bs := check(t, seed(t), fixed(t), "faults>+10%,brk>+0.5"); len(bs) != 0 {
		t.Errorf("the fix breaks %+v", bs)
	}
}

func TestTimeGatesOnlyOnSignificance(t *testing.T) {
	if _, bs := check(t, seed(t), seed(t), "time>+0%"); len(bs) != 0 {
		t.Errorf("identical samples break a time rule: %+v", bs)
	}
	slow := seed(t)
	for i := range slow.Results {
		for j := range slow.Results[i].Samples {
			slow.Results[i].Samples[j].Seconds *= 1.5
		}
		slow.Results[i].Time.Median *= 1.5
	}
	c, bs := check(t, seed(t), slow, "time>+20%")
	if len(bs) != 2 {
		t.Fatalf("%d breaches of time>+20%% by a 1.5x slowdown, want A and B", len(bs))
	}
	if l := bs[0].Line(c); !strings.Contains(l, "+50.0%") {
		t.Errorf("line %q does not give the change", l)
	}
	if _, bs := check(t, seed(t), slow, "time>+60%"); len(bs) != 0 {
		t.Errorf("a 1.5x slowdown breaks time>+60%%: %+v", bs)
	}
}

func TestUnmeasuredIsABreach(t *testing.T) {
	cur := seed(t)
	for i := range cur.Results {
		cur.Results[i].PerIteration.Syscalls = nil // measured with --no-trace
	}
	c, bs := check(t, seed(t), cur, "brk>+1")
	if len(bs) != 2 {
		t.Fatalf("%d breaches, want one per candidate", len(bs))
	}
	if l := bs[0].Line(c); !strings.Contains(l, "not measured in new.json (no trace pass)") {
		t.Errorf("line %q does not say what is missing", l)
	}
}

// A rise of faults within the floor is noise to a gate, however large
// as a share of a near-zero count: A's 0 -> 61 faults on a loaded
// machine is not a +6100% breach; B's return to 1,300 faults is.
func TestFaultsFloor(t *testing.T) {
	noisy := seed(t)
	for i := range noisy.Results {
		if run := &noisy.Results[i]; run.Candidate == "A" {
			run.PerIteration.MinorFaults += 61
		}
	}
	if _, bs := check(t, seed(t), noisy, "faults>+10%"); len(bs) != 0 {
		t.Errorf("61 more faults per call break faults>+10%%: %+v", bs)
	}
	c, bs := check(t, fixed(t), seed(t), "faults>+10%")
	if len(bs) != 1 || c.Title(bs[0].Candidate) != "B" {
		t.Errorf("breaches %+v, want B's return of its faults", bs)
	}
}

// The inconclusive rule fails a time change too few samples decide, and
// passes one they decide either way.
func TestInconclusiveRule(t *testing.T) {
	if _, bs := check(t, seed(t), seed(t), "inconclusive"); len(bs) != 0 {
		t.Errorf("identical samples (equivalent) break the rule: %+v", bs)
	}
	few := func(scale float64) *result.Result {
		r := seed(t)
		for i := range r.Results {
			run := &r.Results[i]
			var kept []result.Sample
			for _, s := range run.Samples {
				if !s.Warmup && len(kept) < 3 {
					kept = append(kept, s)
				}
			}
			for j, f := range []float64{0.6, 1, 1.6} {
				if j < len(kept) {
					kept[j].Seconds *= f * scale
				}
			}
			run.Samples = kept
		}
		return r
	}
	c, bs := check(t, few(1), few(1.1), "inconclusive")
	if len(bs) == 0 {
		t.Fatal("three noisy samples a side decide a 1.1x change")
	}
	if l := bs[0].Line(c); !strings.Contains(l, "inconclusive") || !strings.Contains(l, "--budget") {
		t.Errorf("line %q does not say why", l)
	}
}

// TestUnpairedIsABreach: a candidate whose statement changed without a
// label pairs with nothing; a gate asked to judge it cannot, and says so
// as a breach, never passing silently.
func TestUnpairedIsABreach(t *testing.T) {
	cur := seed(t)
	b := cur.Candidate("B")
	b.Label, b.Statement = "", "t = a.astype(np.float64); t / 256.0"
	c, bs := check(t, seed(t), cur, "faults>+10%")
	var lines []string
	for _, x := range bs {
		if x.Unpaired != nil {
			lines = append(lines, x.Line(c))
		}
	}
	if len(lines) != 2 || !strings.Contains(strings.Join(lines, "\n"), "has no counterpart in new.json") || !strings.Contains(strings.Join(lines, "\n"), "the gate cannot judge it") {
		t.Errorf("breaches %q: want the old B and the new B, each unjudgeable", lines)
	}
	// Without rules there is no gate, and nothing to breach.
	if got := Check(c, nil); len(got) != 0 {
		t.Errorf("no rules: %+v", got)
	}
}

// Faults differ between processes of one program (where a page boundary
// falls decides which blocks huge pages back): a rise of the means whose
// processes overlap the old ones is the layout, not a change, and passes;
// processes wholly above the old ones breach.
func TestFaultsAcrossProcesses(t *testing.T) {
	with := func(procs ...float64) *result.Result {
		r := seed(t)
		run := r.Run("B", "glibc", result.ModeIsolated)
		run.ProcessFaults = procs
		sum := 0.0
		for _, f := range procs {
			sum += f
		}
		run.PerIteration.MinorFaults = sum / float64(len(procs))
		return r
	}
	old := with(808, 1319, 808)
	c, bs := check(t, old, with(1319, 1319, 808), "faults>+10%")
	if len(bs) != 0 {
		t.Errorf("overlapping processes (808-1319 against 808-1319) breach: %s", bs[0].Line(c))
	}
	if cfg := c.Candidates[1].Config("glibc"); cfg == nil || !cfg.Metric("faults").Changes[0].Overlap {
		t.Errorf("the change is not marked as overlapping: %+v", cfg)
	}
	_, bs = check(t, old, with(2600, 2650, 2610), "faults>+10%")
	if len(bs) != 1 || bs[0].Rule.Metric != "faults" {
		t.Errorf("processes wholly above the old ones: breaches %+v, want faults", bs)
	}
	// One process a side cannot show a spread: judged on the means.
	if _, bs := check(t, with(808), with(1319), "faults>+10%"); len(bs) != 1 {
		t.Errorf("one process a side: breaches %+v, want faults", bs)
	}
}
