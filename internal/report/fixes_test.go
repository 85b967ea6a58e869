package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

// selfRatio matches a candidate compared against itself ("A/A 1.03x").
var selfRatio = regexp.MustCompile(`(?:^|[^\w-])([\w-]+)/([\w-]+) \d`)

func checkNoSelfRatio(t *testing.T, what, text string) {
	t.Helper()
	for _, m := range selfRatio.FindAllStringSubmatch(text, -1) {
		if m[1] == m[2] {
			t.Errorf("%s compares a candidate with itself: %q", what, strings.TrimSpace(m[0]))
		}
	}
}

// A config-regression's fix is about the regressed candidate alone: the
// Fixes section gives its time under the fix against its own time under
// the baseline configuration, never "A/A" (the seed: jemalloc makes the
// fast candidate A 34x slower, jemalloc-nodecay undoes it).
func TestRegressionFixWording(t *testing.T) {
	r := loadFixture(t, "seed.json")
	a, aj, an := r.Run("A", "glibc", "interleaved"), r.Run("A", "jemalloc", "interleaved"), r.Run("A", "jemalloc-nodecay", "interleaved")
	if a == nil || aj == nil || an == nil {
		t.Fatal("seed fixture lacks A's runs under glibc, jemalloc, jemalloc-nodecay")
	}
	r.Findings = append(r.Findings, result.Finding{
		Cause: causeConfigRegression, Candidate: "A", Config: "jemalloc",
		Summary:    "jemalloc makes A 34.3x slower; not a fix here",
		Confidence: "high",
		Fixes: []result.Fix{{Kind: result.FixEnv, Change: "instead of jemalloc: use jemalloc with page decay off",
			Env:      map[string]string{"LD_PRELOAD": "libjemalloc.so.2", "MALLOC_CONF": "dirty_decay_ms:-1"},
			Verified: true, Config: "jemalloc-nodecay", Ratio: 1.19, Speedup: aj.Time.Median / an.Time.Median,
			OfBaseline: an.Time.Median / a.Time.Median}},
	})
	var term bytes.Buffer
	if err := Terminal(&term, r, Options{Width: 400}); err != nil {
		t.Fatal(err)
	}
	want := "measured under jemalloc-nodecay, A " + fmtRatio(an.Time.Median/a.Time.Median) + " of its glibc time, A became " +
		fmtRatio(aj.Time.Median/an.Time.Median) + " faster than under jemalloc"
	if !strings.Contains(term.String(), want) {
		t.Errorf("terminal report lacks %q:\n%s", want, term.String())
	}
	checkNoSelfRatio(t, "terminal report", term.String())

	var md bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "A "+fmtRatio(an.Time.Median/a.Time.Median)+" of its glibc time") {
		t.Errorf("Markdown report lacks the regression fix's own ratio:\n%s", md.String())
	}
	checkNoSelfRatio(t, "Markdown report", md.String())
}

// A verified fix of a finding about the baseline candidate itself prints
// no "X/X" ratio.
func TestFixRatioNotSelf(t *testing.T) {
	r := loadFixture(t, "seed.json")
	r.Findings = append(r.Findings, result.Finding{Cause: "page-faults", Candidate: "A", Config: "glibc",
		Fixes: []result.Fix{{Kind: result.FixEnv, Env: map[string]string{"MALLOC_ARENA_MAX": "1"},
			Verified: true, Config: "glibc-arena-max", Ratio: 0.98, Speedup: 1.04}}})
	var b bytes.Buffer
	if err := Terminal(&b, r, Options{Width: 400}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "measured under glibc-arena-max, A became 1.04x faster") {
		t.Errorf("fix line missing:\n%s", b.String())
	}
	checkNoSelfRatio(t, "terminal report", b.String())
	for _, fx := range fixtures {
		r := loadFixture(t, fx+".json")
		var b bytes.Buffer
		if err := Terminal(&b, r, Options{Width: 400, Verbose: true}); err != nil {
			t.Fatal(err)
		}
		checkNoSelfRatio(t, fx, b.String())
	}
}

// TestFixesOnce: a fix two findings share is listed once in the Fixes
// section, with the first finding's measurement, naming both causes.
func TestFixesOnce(t *testing.T) {
	r := loadFixture(t, "seed.json")
	var shared *result.Fix
	for _, fx := range r.Findings[0].Fixes {
		if fx.Verified && fx.Kind == result.FixEnv {
			shared = &fx
			break
		}
	}
	if shared == nil {
		t.Fatal("the seed fixture's first finding has no verified env fix")
	}
	again := *shared
	again.Speedup = shared.Speedup / 2 // another finding, another measurement
	r.Findings = append(r.Findings, result.Finding{Cause: "page-faults", Candidate: "A", Config: "glibc", Fixes: []result.Fix{again}})
	var b bytes.Buffer
	if err := Terminal(&b, r, Options{Width: 400}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	fixes := out[strings.Index(out, "\nFixes"):]
	if n := strings.Count(fixes, fixWhat(*shared)); n != 1 {
		t.Errorf("the shared fix is listed %d times in Fixes:\n%s", n, fixes)
	}
	if !strings.Contains(fixes, "(for "+r.Findings[0].Cause+", page-faults)") {
		t.Errorf("the shared fix does not name both causes:\n%s", fixes)
	}
	if strings.Contains(fixes, fmtRatio(again.Speedup)+" faster") {
		t.Errorf("the later finding's measurement is shown:\n%s", fixes)
	}
}
