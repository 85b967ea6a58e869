package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/load"
	"github.com/faultline/faultline/internal/result"
)

// Every report opens with the verdict, before any table: the slower
// candidate and by how much, the primary cause, the best verified fix.
func TestVerdictOpensEveryReport(t *testing.T) {
	for _, tt := range []struct {
		fixture string
		want    []string // the verdict's lines, in order (prefixes)
	}{
		{"seed", []string{"Verdict: B is 53.8x slower than A (16.1 ms vs 300 µs per call", "Why: heap-trim-refault (high confidence",
			"Where: B, t = a.astype(np.float64); t / 255.0", "Fix: GLIBC_TUNABLES="}},
		{"nodiff", []string{"Verdict: no difference larger than ±2% between the candidates under glibc."}},
		{"run", []string{"Verdict: B is 1.83x slower than A", "Why: unexplained: no memory-management cause"}},
	} {
		r := loadFixture(t, tt.fixture+".json")
		out := renderAll(t, r)
		lines := strings.Split(out["terminal"], "\n")[1:]
		for i, w := range tt.want {
			if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
				t.Errorf("%s: terminal line %d %q, want %q", tt.fixture, i+2, lines[min(i, len(lines)-1)], w)
			}
		}
		if lines[len(tt.want)] != "" {
			t.Errorf("%s: no blank line after the verdict: %q", tt.fixture, lines[len(tt.want)])
		}
		m := out["markdown"]
		if v, tb := strings.Index(m, "**Verdict:**"), strings.Index(m, "|"); v < 0 || tb < v {
			t.Errorf("%s: the Markdown verdict (at %d) does not come before the first table (at %d)", tt.fixture, v, tb)
		}
		h := out["html"]
		if v, tb := strings.Index(h, `class="verdict"`), strings.Index(h, "<table"); v < 0 || tb < v {
			t.Errorf("%s: the HTML verdict (at %d) does not come before the first table (at %d)", tt.fixture, v, tb)
		}
	}
}

// An under-sampled gap is inconclusive, never "no difference": the
// verdict gives the samples, the ratio with its interval, and the budget
// that would settle it, in every rendering.
func TestVerdictInconclusive(t *testing.T) {
	r := loadFixture(t, "run.json")
	// Three runs a side of B and C, as a slow command gets, and A's and
	// B's spread widened as on a loaded machine.
	for i := range r.Results {
		run := &r.Results[i]
		var kept []result.Sample
		for _, s := range run.Samples {
			if !s.Warmup && len(kept) < 3 {
				kept = append(kept, s)
			}
		}
		spread := []float64{0.7, 1, 1.5}
		for j := range kept {
			kept[j].Seconds *= spread[j]
			kept[j].MinorFaults = 5000 // faults alike: the counts corroborate nothing
		}
		run.Samples = kept
	}
	compare(r, "A")
	if r.Verdict == nil || r.Verdict.Answer != result.AnswerInconclusive {
		t.Fatalf("verdict %+v, want inconclusive", r.Verdict)
	}
	for name, out := range renderAll(t, r) {
		if !strings.Contains(out, "inconclusive") || !strings.Contains(out, "3 runs each") || !strings.Contains(out, "--budget") {
			t.Errorf("%s: the verdict does not say inconclusive with the runs and the budget:\n%s", name, firstLines(out, 4))
		}
		if strings.Contains(out, "no significant difference") || strings.Contains(out, "no difference larger") {
			t.Errorf("%s: an under-sampled gap is reported as no difference:\n%s", name, firstLines(out, 4))
		}
	}
}

// With --reference naming the slow candidate, every comparison reads
// "faster" and the verdict still names the slow one.
func TestVerdictReferenceIsTheSlowOne(t *testing.T) {
	r := loadFixture(t, "seed.json")
	r.Reference = "B"
	compare(r, "B")
	v := r.Verdict
	if v == nil || v.Answer != result.AnswerSlower || v.Slow != "B" || v.Fast != "A" || v.Ratio < 10 {
		t.Fatalf("verdict %+v, want B slower than A", v)
	}
	out := renderAll(t, r)
	if l := strings.Split(out["terminal"], "\n")[1]; !strings.HasPrefix(l, "Verdict: B is 53.8x slower than A") {
		t.Errorf("verdict line %q", l)
	}
	for name, text := range out {
		if !strings.Contains(text, "53.8x slower than A") || strings.Contains(text, "no difference") {
			t.Errorf("%s does not give the reference's verdict:\n%s", name, firstLines(text, 4))
		}
	}
}

func firstLines(s string, n int) string {
	ls := strings.SplitN(s, "\n", n+1)
	return strings.Join(ls[:min(n, len(ls))], "\n")
}

// The machine's load during the baseline's timing is shown beside the
// times, and a busy machine is called out under the verdict.
func TestVerdictSaysTheMachineWasBusy(t *testing.T) {
	r := loadFixture(t, "seed.json")
	found := false
	for i := range r.Passes {
		if p := &r.Passes[i]; p.Name == result.PassTiming && p.Config == "glibc" && p.Note == result.ModeInterleaved {
			p.Load = &load.Load{CPUPressure: 0.35, Steal: 0.02, Runnable: 4}
			found = true
		}
	}
	if !found {
		t.Fatal("the fixture has no baseline timing pass")
	}
	var term bytes.Buffer
	if err := Terminal(&term, r, Options{Width: 1000}); err != nil {
		t.Fatal(err)
	}
	out := term.String()
	if !strings.Contains(out, "Noise: the machine was busy while timing (CPU pressure 35%, steal 2%)") {
		t.Errorf("no busy line:\n%s", firstLines(out, 8))
	}
	if !strings.Contains(out, "timing pass (untraced), CPU pressure 35%, steal 2%") {
		t.Errorf("the time table does not give the load:\n%s", out)
	}
}

// A sweep names the points whose verdict was starved of runs, in the
// terminal and the HTML page.
func TestSweepVerdictNamesStarvedPoints(t *testing.T) {
	s := loadSweepFixture(t)
	s.Points[3].Starved = "inconclusive after 3 and 3 samples"
	var term, html bytes.Buffer
	if err := SweepTerminal(&term, s, Options{Width: 1000}); err != nil {
		t.Fatal(err)
	}
	if err := SweepHTML(&html, s); err != nil {
		t.Fatal(err)
	}
	want := "n = " + s.Points[3].Text["n"] + " (inconclusive after 3 and 3 samples)"
	for name, out := range map[string]string{"terminal": term.String(), "html": html.String()} {
		if !strings.Contains(out, "Starved: ") || !strings.Contains(out, want) || !strings.Contains(out, "--budget") {
			t.Errorf("%s does not name the starved point %q:\n%s", name, want, firstLines(out, 6))
		}
	}
}

// renderAll renders r as the terminal (1000 columns), Markdown and HTML
// reports, by name.
func renderAll(t *testing.T, r *result.Result) map[string]string {
	t.Helper()
	var term, md, html bytes.Buffer
	if err := Terminal(&term, r, Options{Width: 1000}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&html, r); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"terminal": term.String(), "markdown": md.String(), "html": html.String()}
}
