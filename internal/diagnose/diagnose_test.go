package diagnose

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current diagnosis")

// golden is what a fixture's diagnosis is compared against.
type golden struct {
	Findings  []result.Finding `json:"findings"`
	Proposals []Proposal       `json:"proposals"`
}

var fixtureNames = []string{"seed", "case02", "case05", "case07", "nodiff", "order", "jemalloc"}

func TestGolden(t *testing.T) {
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			r := loadFixture(t, name+".json")
			g := golden{Findings: diagnoseOf(r), Proposals: proposalsOf(r)}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(g); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("diagnosis of %s differs from %s (run with -update if the change is intended):\n%s", name, path, buf.String())
			}
		})
	}
}

// TestFixturesAreCurrent checks that the stored fixtures are what the
// generator produces, so the golden files test what the generator says.
func TestFixturesAreCurrent(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("fixtures are generated on amd64; fused multiply-add elsewhere changes the last bits of simulated samples")
	}
	for name, r := range fixtures() {
		if *genFixtures {
			if err := r.Save(filepath.Join("testdata", name)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var got bytes.Buffer
		if err := r.Write(&got); err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("testdata/%s is stale: regenerate with -run TestFixturesAreCurrent -fixtures", name)
		}
		if _, err := result.Read(bytes.NewReader(want)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func findingsOf(fs []result.Finding, cause string) []result.Finding {
	var out []result.Finding
	for _, f := range fs {
		if f.Cause == cause {
			out = append(out, f)
		}
	}
	return out
}

func verifiedConfigs(f result.Finding) []string {
	var out []string
	for _, fx := range f.Fixes {
		if fx.Verified {
			out = append(out, fx.Config)
		}
	}
	return out
}

// TestSeed is the case faultline must solve by itself: B's named temporary
// makes glibc trim and refault 15 MiB of heap every call.
func TestSeed(t *testing.T) {
	r := loadFixture(t, "seed.json")
	fs := diagnoseOf(r)
	if len(fs) < 2 {
		t.Fatalf("want at least 2 findings, got %d: %+v", len(fs), fs)
	}
	trim := fs[0]
	if trim.Cause != HeapTrimRefault || trim.Candidate != "B" || trim.Config != "glibc" {
		t.Fatalf("first finding = %s about %s under %s, want heap-trim-refault about B under glibc", trim.Cause, trim.Candidate, trim.Config)
	}
	if trim.Explains < 0.8 || trim.Confidence != High {
		t.Errorf("heap-trim-refault explains %.3f with %s confidence, want >= 0.8, high", trim.Explains, trim.Confidence)
	}
	v := verifiedConfigs(trim)
	if len(v) == 0 || v[0] != "glibc-tuned" {
		t.Errorf("verified fixes %v, want glibc-tuned first", v)
	}
	for _, want := range []string{"tcmalloc", "mimalloc", "glibc-hugetlb"} {
		if !slices.Contains(v, want) {
			t.Errorf("verified fixes %v lack %s", v, want)
		}
	}
	for _, bad := range []string{"jemalloc", "glibc-trim", "scudo"} {
		if slices.Contains(v, bad) {
			t.Errorf("%s is listed as a fix, but it does not remove the faults", bad)
		}
	}
	for _, fx := range trim.Fixes {
		if fx.Verified && (fx.Ratio <= 0 || fx.Speedup < fixSpeedupMin) {
			t.Errorf("verified fix %s: ratio %.3f speedup %.3f", fx.Config, fx.Ratio, fx.Speedup)
		}
	}
	if !strings.Contains(trim.Summary, "15.3 MiB") || !strings.Contains(trim.Summary, "brk") {
		t.Errorf("summary lacks the returned size or the mechanism: %q", trim.Summary)
	}

	extra := fs[1]
	if extra.Cause != ExtraBuffer || extra.Candidate != "B" {
		t.Fatalf("second finding = %s about %s, want extra-buffer about B", extra.Cause, extra.Candidate)
	}
	if !strings.Contains(extra.Summary, "temporary elision") {
		t.Errorf("extra-buffer does not name temporary elision: %q", extra.Summary)
	}
	if extra.Config != "glibc-tuned" || extra.Explains < 0.5 {
		t.Errorf("extra-buffer: config %s explains %.3f; want the residual gap under glibc-tuned, mostly explained", extra.Config, extra.Explains)
	}
	if len(extra.Fixes) == 0 || !extra.Fixes[0].Verified || extra.Fixes[0].Kind != result.FixCode || extra.Fixes[0].Config != "B-fix" ||
		extra.Fixes[0].Code != seedFix {
		t.Errorf("extra-buffer fixes: %+v, want the verified in-place rewrite B-fix", extra.Fixes)
	}

	// The experiments that make things worse are reported, not offered.
	reg := findingsOf(fs, ConfigRegression)
	var regCfgs []string
	for _, f := range reg {
		regCfgs = append(regCfgs, f.Config)
		if f.Explains != 0 {
			t.Errorf("config-regression under %s explains %.3f, want 0", f.Config, f.Explains)
		}
	}
	if !slices.Contains(regCfgs, "jemalloc") || !slices.Contains(regCfgs, "glibc-trim") {
		t.Errorf("regressions under %v, want jemalloc and glibc-trim", regCfgs)
	}
	for _, f := range reg {
		switch f.Config {
		case "jemalloc":
			if v := verifiedConfigs(f); !slices.Contains(v, "jemalloc-nodecay") {
				t.Errorf("jemalloc regression: verified fixes %v, want jemalloc-nodecay", v)
			}
		case "glibc-trim":
			if v := verifiedConfigs(f); !slices.Contains(v, "glibc-tuned") {
				t.Errorf("glibc-trim regression: verified fixes %v, want glibc-tuned", v)
			}
			if !strings.Contains(f.Summary, "dynamic mmap threshold") {
				t.Errorf("glibc-trim regression does not say why: %q", f.Summary)
			}
		}
	}
	if prs := proposalsOf(r); len(prs) != 0 {
		t.Errorf("the seed result covers every fix, got proposals %+v", prs)
	}
}

func TestCase02(t *testing.T) {
	fs := diagnoseOf(loadFixture(t, "case02.json"))
	if len(fs) == 0 || fs[0].Cause != HeapTrimRefault || fs[0].Candidate != "A" {
		t.Fatalf("findings %+v, want heap-trim-refault about A first", fs)
	}
	f := fs[0]
	if f.Confidence != High || f.Explains < 0.9 {
		t.Errorf("explains %.3f with %s confidence, want >= 0.9, high", f.Explains, f.Confidence)
	}
	if !strings.Contains(f.Summary, "per iteration") {
		t.Errorf("a marked run should speak of iterations: %q", f.Summary)
	}
	v := verifiedConfigs(f)
	if len(v) < 2 || !strings.HasPrefix(v[0], "glibc+") || !strings.HasPrefix(v[1], "glibc+") {
		t.Errorf("verified fixes %v, want the glibc tunables first", v)
	}
	if len(fs) != 1 {
		t.Errorf("want only the trim finding, got %d findings", len(fs))
	}
}

func TestCase05(t *testing.T) {
	fs := diagnoseOf(loadFixture(t, "case05.json"))
	if len(fs) == 0 || fs[0].Cause != LazyZeroing || fs[0].Candidate != "B" {
		t.Fatalf("findings %+v, want lazy-zeroing about B first", fs)
	}
	if fs[0].Confidence != High {
		t.Errorf("confidence %s, want high: tcmalloc and mimalloc close the gap by making A pay", fs[0].Confidence)
	}
	if len(findingsOf(fs, MmapPerAllocation)) != 0 {
		t.Errorf("both sides map the block: mmap-per-allocation is not the difference")
	}
	if len(findingsOf(fs, ConfigRegression)) != 0 {
		t.Errorf("A paying for its pages under tcmalloc/mimalloc is evidence, not a regression: %+v", findingsOf(fs, ConfigRegression))
	}
	var method bool
	for _, fx := range fs[0].Fixes {
		if fx.Kind == result.FixMethod {
			method = true
			if fx.Verified {
				t.Errorf("benchmark-method fix marked verified")
			}
		}
	}
	if !method {
		t.Errorf("lazy-zeroing offers no benchmark-method fix")
	}
}

func TestCase07(t *testing.T) {
	fs := diagnoseOf(loadFixture(t, "case07.json"))
	if len(fs) == 0 || fs[0].Cause != MmapPerAllocation || fs[0].Candidate != "A" {
		t.Fatalf("findings %+v, want mmap-per-allocation about A first", fs)
	}
	f := fs[0]
	if f.Confidence != High || f.Explains < 0.9 {
		t.Errorf("explains %.3f with %s confidence", f.Explains, f.Confidence)
	}
	if !strings.Contains(f.Summary, "64.0 MiB") || !strings.Contains(f.Summary, "32 MiB") {
		t.Errorf("summary lacks the block or the cap: %q", f.Summary)
	}
	if v := verifiedConfigs(f); len(v) == 0 || v[0] != "glibc-tuned" || !slices.Contains(v, "tcmalloc") {
		t.Errorf("verified fixes %v, want glibc-tuned first, tcmalloc", v)
	}
	reg := findingsOf(fs, ConfigRegression)
	if len(reg) != 1 || reg[0].Config != "numpy-nohuge" || reg[0].Candidate != "A" {
		t.Errorf("regressions %+v, want numpy-nohuge making A slower", reg)
	}
}

func TestNoDifference(t *testing.T) {
	r := loadFixture(t, "nodiff.json")
	if len(r.Comparisons) == 0 || r.Comparisons[0].Significant {
		t.Fatalf("fixture must have a non-significant comparison: %+v", r.Comparisons)
	}
	if fs := diagnoseOf(r); len(fs) != 0 {
		t.Errorf("no significant difference, got findings %+v", fs)
	}
	if prs := proposalsOf(r); len(prs) != 0 {
		t.Errorf("no significant difference, got proposals %+v", prs)
	}
}

func TestOrderEffect(t *testing.T) {
	fs := diagnoseOf(loadFixture(t, "order.json"))
	oe := findingsOf(fs, OrderEffect)
	if len(oe) != 1 || oe[0].Candidate != "B" {
		t.Fatalf("order effects %+v, want one about B", oe)
	}
	if fs[0].Cause != OrderEffect {
		t.Errorf("the order effect accounts for the whole comparison and should come first, got %s", fs[0].Cause)
	}
	if oe[0].Confidence != High || !strings.Contains(oe[0].Summary, "alone, B is slower than A") {
		t.Errorf("order effect: %s, %q", oe[0].Confidence, oe[0].Summary)
	}
	var inter, iso bool
	for _, e := range oe[0].Evidence {
		inter = inter || strings.Contains(e.What, "interleaved") && e.Unit == "s"
		iso = iso || strings.Contains(e.What, "alone") && e.Unit == "s"
	}
	if !inter || !iso {
		t.Errorf("evidence lacks the two medians: %+v", oe[0].Evidence)
	}
	if len(findingsOf(fs, HeapTrimRefault)) != 0 {
		t.Errorf("in the shared process B does not fault: no trim finding expected")
	}
}

func TestAllocatorPurge(t *testing.T) {
	r := loadFixture(t, "jemalloc.json")
	fs := diagnoseOf(r)
	if len(fs) == 0 || fs[0].Cause != AllocatorPurge || fs[0].Candidate != "B" {
		t.Fatalf("findings %+v, want allocator-purge about B", fs)
	}
	prs := proposalsOf(r)
	if len(prs) != 1 || prs[0].Config == nil || !strings.Contains(prs[0].Config.Env["MALLOC_CONF"], "dirty_decay_ms:-1") ||
		prs[0].Config.Env["LD_PRELOAD"] != libdir+jemalloc {
		t.Fatalf("proposals %+v, want jemalloc with decay off", prs)
	}
	if fs[0].Fixes[0].Verified {
		t.Errorf("the decay-off fix was not measured but is marked verified")
	}
}

// TestVerifiedOnlyWhenMeasured removes measurements from the seed result
// and checks that the fixes they verified become proposals instead.
func TestVerifiedOnlyWhenMeasured(t *testing.T) {
	r := loadFixture(t, "seed.json")
	keep := map[string]bool{"glibc": true, "jemalloc": true}
	r.Configs = slices.DeleteFunc(r.Configs, func(c result.Config) bool { return !keep[c.Name] })
	r.Results = slices.DeleteFunc(r.Results, func(x result.Run) bool { return !keep[x.Config] || x.Candidate == "B-fix" })
	r.Comparisons = slices.DeleteFunc(r.Comparisons, func(c result.Comparison) bool { return !keep[c.Config] || c.Other == "B-fix" })
	r.Candidates = r.Candidates[:2]

	fs := diagnoseOf(r)
	for _, f := range fs {
		for _, fx := range f.Fixes {
			if fx.Verified {
				t.Errorf("%s: fix %q verified without a measurement", f.Cause, fx.Change)
			}
		}
	}
	trim := findingsOf(fs, HeapTrimRefault)
	if len(trim) != 1 || trim[0].Confidence == High {
		t.Errorf("without the matrix heap-trim-refault cannot be high: %+v", trim)
	}
	prs := proposalsOf(r)
	var tuned, code, nodecay bool
	for _, pr := range prs {
		switch {
		case pr.Kind == KindEnv && pr.Config.Name == alloc.GlibcTuned:
			tuned = maps.Equal(pr.Config.Env, alloc.Tuned(alloc.Observe(alloc.Options{}, r)).Env)
		case pr.Kind == KindCode:
			code = pr.Candidate == "B" && pr.Statement == seedFix
		case pr.Kind == KindEnv && strings.Contains(pr.Config.Env[alloc.VarMallocConf], "decay"):
			nodecay = true
		}
		if pr.Kind == KindEnv && (pr.Config.Status != "" || r.Config(pr.Config.Name) != nil) {
			t.Errorf("proposal %s: status %q or name already used", pr.Config.Name, pr.Config.Status)
		}
	}
	if !tuned || !code || !nodecay {
		t.Errorf("proposals %+v: want glibc-tuned (%v), the B rewrite (%v), jemalloc-nodecay (%v)", prs, tuned, code, nodecay)
	}
}

// TestUncalibratedFaultCost: without a calibrated fault cost and without a
// matrix, a fault-based finding is low confidence.
func TestUncalibratedFaultCost(t *testing.T) {
	r := loadFixture(t, "seed.json")
	r.Host.FaultCostSeconds = 0
	r.Configs = r.Configs[:1]
	r.Results = slices.DeleteFunc(r.Results, func(x result.Run) bool { return x.Config != "glibc" })
	fs := diagnoseOf(r)
	trim := findingsOf(fs, HeapTrimRefault)
	if len(trim) != 1 {
		t.Fatalf("findings %+v", fs)
	}
	if trim[0].Confidence != Low {
		t.Errorf("confidence %s, want low", trim[0].Confidence)
	}
	var assumed bool
	for _, e := range trim[0].Evidence {
		assumed = assumed || strings.Contains(e.What, "not calibrated")
	}
	if !assumed {
		t.Errorf("evidence does not say the fault cost was assumed")
	}
}

func TestNilAndEmpty(t *testing.T) {
	if fs := diagnoseOf(nil); len(fs) != 0 {
		t.Errorf("nil result: %+v", fs)
	}
	r := result.New(result.KindTimeit, "test", nil)
	if fs := diagnoseOf(r); len(fs) != 0 {
		t.Errorf("empty result: %+v", fs)
	}
	if prs := proposalsOf(r); len(prs) != 0 {
		t.Errorf("empty result: %+v", prs)
	}
}

// TestOrderEffectNeedsStableProcesses: when the candidate's own fresh
// processes disagree about its faults as much as interleaved and alone
// do, where a process's memory lands explains the difference as well as
// the order, and no order effect is reported; when they agree, it is.
func TestOrderEffectNeedsStableProcesses(t *testing.T) {
	for _, tc := range []struct {
		perProcess []float64
		want       int
	}{
		{[]float64{1319, 1320}, 1}, // both fresh processes fault: the shared process is what differs
		{[]float64{0, 1319}, 0},    // one fresh process faults like the shared one: placement
		{nil, 1},                   // one isolated process: no way to tell, as before
	} {
		r := loadFixture(t, "order.json")
		iso := r.Run("B", result.DefaultConfig, result.ModeIsolated)
		if iso == nil {
			t.Fatal("fixture has no isolated run of B")
		}
		iso.ProcessFaults = tc.perProcess
		if got := len(findingsOf(diagnoseOf(r), OrderEffect)); got != tc.want {
			t.Errorf("per-process faults %v: %d order-effect findings, want %d", tc.perProcess, got, tc.want)
		}
	}
}

// TestShareGaps: two causes of one gap (one pair under one configuration)
// claim at most all of it, the later one what the earlier leaves; a cause
// of the gap under another configuration, and a regression, keep theirs.
func TestShareGaps(t *testing.T) {
	p := &pair{slow: "B", fast: "A"}
	d := func(cause, cfg string, group int, explains float64) *draft {
		return &draft{f: result.Finding{Cause: cause, Config: cfg, Explains: explains}, p: p, group: group}
	}
	ds := []*draft{d(HeapTrimRefault, "glibc", 0, 0.83), d(ExtraBuffer, "glibc", 0, 0.74),
		d(ExtraBuffer, "glibc-tuned", 0, 0.9), d(ConfigRegression, "glibc", 1, 0.5)}
	shareGaps(ds)
	want := []float64{0.83, 0.17, 0.9, 0.5}
	for i, x := range ds {
		if math.Abs(x.f.Explains-want[i]) > 1e-9 {
			t.Errorf("%s under %s explains %.3f, want %.3f", x.f.Cause, x.f.Config, x.f.Explains, want[i])
		}
	}
}
