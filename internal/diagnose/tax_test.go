package diagnose

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
)

// taxResult is two candidates (or one) under glibc and the given other
// configurations: median seconds and faults per candidate, the same for
// every candidate, and the trace of each under glibc.
func taxResult(cands []string, base [2]float64, sys *result.Syscalls, others map[string][2]float64, rss map[string]int64) *result.Result {
	r := result.New(result.KindTimeit, "test", nil)
	r.Host = vmHost()
	for _, c := range cands {
		r.Candidates = append(r.Candidates, result.Candidate{Name: c, Statement: c})
	}
	r.Configs = []result.Config{glibcConfig()}
	rng := rand.New(rand.NewPCG(3, 3))
	specs := func(v [2]float64) []spec {
		var out []spec
		for _, c := range cands {
			out = append(out, sp(c, v[0], v[1]))
		}
		return out
	}
	timeConfig(r, rng, "glibc", specs(base), 12)
	for _, name := range []string{"glibc-tuned", "glibc-top-pad", "tcmalloc", "jemalloc"} {
		v, ok := others[name]
		if !ok {
			continue
		}
		cfg := result.Config{Name: name, Status: result.StatusOK, Env: map[string]string{}}
		switch name {
		case "glibc-tuned", "glibc-top-pad":
			cfg = tunables(name, "", map[string]string{"glibc-tuned": "glibc.malloc.mmap_threshold=9437184:glibc.malloc.trim_threshold=33554432",
				"glibc-top-pad": "glibc.malloc.top_pad=33554432"}[name])
		case "tcmalloc":
			cfg = preload(name, "", tcmalloc)
		case "jemalloc":
			cfg = preload(name, "", jemalloc)
		}
		r.Configs = append(r.Configs, cfg)
		timeConfig(r, rng, name, specs(v), 12)
	}
	for i := range r.Results {
		r.Results[i].PeakRSSBytes = rss[r.Results[i].Config]
	}
	for _, c := range cands {
		cp := *sys
		setTrace(r, c, "glibc", &cp)
	}
	compare(r)
	return r
}

// trim15 is the pandas case's trace: glibc grows its heap by 7.6 MiB
// twice per call and gives 15.3 MiB back.
func trim15() *result.Syscalls {
	return &result.Syscalls{Brk: 3, BrkGrowBytes: 16_003_072, BrkShrinkBytes: 16_003_072, PeakBytes: 16_003_072, Iterations: 10,
		Sizes: []result.SizeCount{{Call: "brk-", Bytes: 16_003_072, Per: 1}, {Call: "brk+", Bytes: 8_001_536, Per: 2}}}
}

// TestSharedTaxLeads: two candidates that both give 15 MiB back to the
// kernel every call and are three times faster under tcmalloc or tuned
// glibc, with no gap between them: the finding that leads is the tax
// they share, with its mechanism and a verified fix, and nothing claims
// a gap there is not.
func TestSharedTaxLeads(t *testing.T) {
	r := taxResult([]string{"A", "B"}, [2]float64{4e-3, 1319}, trim15(), map[string][2]float64{
		"glibc-tuned": {1.9e-3, 0}, "glibc-top-pad": {4e-3, 1353}, "tcmalloc": {1.5e-3, 0}, "jemalloc": {4.2e-3, 1864}},
		map[string]int64{"glibc": 86 << 20, "glibc-tuned": 90 << 20, "tcmalloc": 94 << 20})
	fs := diagnoseOf(r)
	for _, f := range fs {
		t.Logf("%s %q tax=%v explains %.3f %s: %s", f.Cause, f.Candidate, f.Tax, f.Explains, f.Confidence, f.Summary)
	}
	if len(fs) == 0 || !fs[0].Tax || fs[0].Cause != HeapTrimRefault || fs[0].Candidate != "" {
		t.Fatalf("first finding: want the shared tax, heap-trim-refault, about every candidate")
	}
	lead := fs[0]
	if !strings.HasPrefix(lead.Summary, "Both candidates pay") || !strings.Contains(lead.Summary, "15.3 MiB") {
		t.Errorf("summary %q: want what both pay and the bytes glibc gives back", lead.Summary)
	}
	if len(lead.Fixes) == 0 || !lead.Fixes[0].Verified || lead.Fixes[0].PeakRSSBytes <= 0 || lead.Fixes[0].BaselinePeakRSSBytes != 86<<20 {
		t.Errorf("fixes %+v: want a verified fix with its memory cost beside the baseline's", lead.Fixes)
	}
	for _, f := range fs {
		if f.Cause == ExtraBuffer {
			t.Errorf("extra-buffer reported with no gap between the candidates: %s", f.Summary)
		}
	}
	taxes := taxesOf(r)
	if len(taxes) != 2 {
		t.Fatalf("taxes %+v: want one per candidate", taxes)
	}
	for _, tx := range taxes {
		if !tx.Paid || tx.Best != "tcmalloc" || len(tx.Causes) == 0 || tx.Causes[0] != HeapTrimRefault || tx.Fix == nil {
			t.Errorf("tax of %s = %+v: want paid, against tcmalloc, heap-trim-refault, with a fix", tx.Candidate, tx)
		}
		// jemalloc does not remove the faults: never a fix.
		if tx.Fix != nil && tx.Fix.Config == "jemalloc" {
			t.Errorf("jemalloc offered as the fix of %s", tx.Candidate)
		}
	}
}

// TestTaxFixKeepsLeastMemory: two tunables remove the faults equally
// well; the one that keeps less memory mapped comes first.
func TestTaxFixKeepsLeastMemory(t *testing.T) {
	r := taxResult([]string{"A"}, [2]float64{4e-3, 1319}, trim15(), map[string][2]float64{
		"glibc-tuned": {1.5e-3, 0}, "glibc-top-pad": {1.5e-3, 0}},
		map[string]int64{"glibc": 86 << 20, "glibc-tuned": 120 << 20, "glibc-top-pad": 90 << 20})
	taxes := taxesOf(r)
	if len(taxes) != 1 || taxes[0].Fix == nil || taxes[0].Fix.Config != "glibc-top-pad" {
		t.Fatalf("taxes %+v: want glibc-top-pad's fix first (90 MiB against 120 MiB)", taxes)
	}
	fs := diagnoseOf(r)
	if len(fs) == 0 || !fs[0].Tax || fs[0].Candidate != "A" || fs[0].Fixes[0].Config != "glibc-top-pad" {
		t.Errorf("findings %+v: want A's tax first, its smallest fix first", fs)
	}
}

// TestNoTax: no configuration is faster: no tax, no finding, and the
// bound it stays under is said.
func TestNoTax(t *testing.T) {
	sys := &result.Syscalls{Brk: 1, Mmap: 1, MappedBytes: 8192, Iterations: 10}
	r := taxResult([]string{"A"}, [2]float64{2e-3, 2}, sys, map[string][2]float64{"tcmalloc": {2.01e-3, 2}, "glibc-tuned": {1.99e-3, 2}}, nil)
	taxes := taxesOf(r)
	if len(taxes) != 1 || taxes[0].Paid || taxes[0].Fix != nil || taxes[0].Bound <= 0 || taxes[0].Bound > 0.05 {
		t.Fatalf("taxes %+v: want none paid, with a bound of a few percent", taxes)
	}
	if !strings.Contains(taxes[0].Summary, "no memory-management cost above") {
		t.Errorf("summary %q", taxes[0].Summary)
	}
	for _, f := range diagnoseOf(r) {
		if f.Tax {
			t.Errorf("a tax finding without a tax: %s", f.Summary)
		}
	}
}

// TestNothingToExplain: the counts of a candidate that maps a few pages
// bound memory management far below its time; one that gives 15 MiB back
// every call does not, and neither does a pair with a gap.
func TestNothingToExplain(t *testing.T) {
	few := &result.Syscalls{Brk: 1, Mmap: 1, MappedBytes: 8192, Iterations: 10}
	r := taxResult([]string{"A"}, [2]float64{2e-3, 2}, few, nil, nil)
	if b, ok := NothingToExplain(r, summary.Of(r)); !ok || b <= 0 || b >= nothingBound {
		t.Errorf("a few pages in 2 ms: NothingToExplain = %v, %v; want true with a small bound", b, ok)
	}
	r = taxResult([]string{"A"}, [2]float64{4e-3, 1319}, trim15(), nil, nil)
	if b, ok := NothingToExplain(r, summary.Of(r)); ok {
		t.Errorf("15 MiB faulted back every call: NothingToExplain = %v, true", b)
	}
	// Faults the loader's own mappings take are not memory management.
	loader := &result.Syscalls{Mmap: 1, MappedBytes: 1 << 20, Iterations: 1,
		Issuers: []result.SyscallIssuer{{Call: "mmap", Bytes: 1 << 20, Per: 1, Owner: "dynamic loader"}}}
	r = taxResult([]string{"A"}, [2]float64{2e-3, 256}, loader, nil, nil)
	if _, ok := NothingToExplain(r, summary.Of(r)); !ok {
		t.Errorf("the dynamic loader's 1 MiB counted as memory management")
	}
	if _, ok := NothingToExplain(case02Fixture(), summary.Of(case02Fixture())); ok {
		t.Errorf("a pair with a gap: nothing to explain")
	}
}

// TestPurgeWordsCountDroppedPages: the tax's words for a purge give the
// bytes dropped (MADV_DONTNEED), not every advice: a huge-page advice on
// the same memory returns nothing.
func TestPurgeWordsCountDroppedPages(t *testing.T) {
	r := taxResult([]string{"A"}, [2]float64{2e-3, 2}, trim15(), nil, nil)
	a := newAnalysis(r, summary.Of(r))
	run := &result.Run{PerIteration: result.PerIteration{Syscalls: &result.Syscalls{Madvise: 2, AdvisedBytes: 24 << 20,
		Advice: map[string]float64{"MADV_DONTNEED": 1, "MADV_HUGEPAGE": 1},
		Sizes:  []result.SizeCount{{Call: "madvise:MADV_DONTNEED", Bytes: 8 << 20, Per: 1}, {Call: "madvise:MADV_HUGEPAGE", Bytes: 16 << 20, Per: 1}}}}}
	if w := a.mechanismWords(AllocatorPurge, run); !strings.Contains(w, "8.0 MiB") {
		t.Errorf("words %q: want the 8.0 MiB dropped", w)
	}
}
