package diagnose

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
)

// side is one candidate's behaviour under the baseline configuration.
type side struct {
	t, faults float64
	sys       *result.Syscalls
	alloc     *result.Allocations
	stmt      string
}

// pairResult builds a timeit result where A is fast and B slow under glibc,
// with extra configurations given as name -> (A, B) times and faults.
func pairResult(setup string, a, b side, extra map[string][4]float64, env map[string]map[string]string) *result.Result {
	r := result.New(result.KindTimeit, "test", nil)
	r.Setup, r.Host = setup, vmHost()
	r.Candidates = []result.Candidate{{Name: "A", Statement: a.stmt}, {Name: "B", Statement: b.stmt}}
	r.Configs = []result.Config{glibcConfig()}
	rng := rand.New(rand.NewPCG(1, 1))
	timeConfig(r, rng, "glibc", []spec{sp("A", a.t, a.faults), sp("B", b.t, b.faults)}, 12)
	for _, name := range []string{"glibc-hugetlb", "numpy-nohuge", "tcmalloc", "pymalloc-off"} {
		v, ok := extra[name]
		if !ok {
			continue
		}
		r.Configs = append(r.Configs, result.Config{Name: name, Env: env[name], Status: result.StatusOK})
		timeConfig(r, rng, name, []spec{sp("A", v[0], v[1]), sp("B", v[2], v[3])}, 12)
	}
	for c, s := range map[string]side{"A": a, "B": b} {
		if s.sys != nil {
			setTrace(r, c, "glibc", s.sys)
		}
		if s.alloc != nil {
			setAlloc(r, c, "glibc", s.alloc)
		}
	}
	compare(r)
	return r
}

func first(t *testing.T, r *result.Result, cause string) result.Finding {
	t.Helper()
	fs := diagnoseOf(r)
	if len(fs) == 0 || fs[0].Cause != cause {
		var got []string
		for _, f := range fs {
			got = append(got, f.Cause+": "+f.Summary)
		}
		t.Fatalf("findings %q, want %s first", got, cause)
	}
	for _, f := range fs {
		t.Logf("%s %s/%s explains %.3f %s: %s", f.Cause, f.Candidate, f.Config, f.Explains, f.Confidence, f.Summary)
	}
	return fs[0]
}

func hasEvidence(f result.Finding, pass string) bool {
	for _, e := range f.Evidence {
		if e.Pass == pass && e.Unit != "" {
			return true
		}
	}
	return false
}

// TestHugePages: A's 8 MB block is advised MADV_HUGEPAGE (4 huge faults),
// B's is not (1,953 faults for the same memory).
func TestHugePages(t *testing.T) {
	const block, adv = 8003584, 7995392
	a := side{t: 0.8e-3, faults: 4, sys: &result.Syscalls{Mmap: 1, Munmap: 1, Madvise: 1, MappedBytes: block, Advice: map[string]float64{"MADV_HUGEPAGE": 1},
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: block, Per: 1}, {Call: "munmap", Bytes: block, Per: 1}, {Call: "madvise:MADV_HUGEPAGE", Bytes: adv, Per: 1}}}}
	b := side{t: 21e-3, faults: 1954, sys: &result.Syscalls{Mmap: 1, Munmap: 1, MappedBytes: block,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: block, Per: 1}, {Call: "munmap", Bytes: block, Per: 1}}}}
	r := pairResult("import numpy as np", a, b, map[string][4]float64{"numpy-nohuge": {20.6e-3, 1954, 21e-3, 1954}},
		map[string]map[string]string{"numpy-nohuge": {"NUMPY_MADVISE_HUGEPAGE": "0"}})
	f := first(t, r, HugePages)
	if f.Candidate != "B" || f.Confidence != High || f.Explains < 0.9 {
		t.Errorf("huge-pages: %s %s %.3f", f.Candidate, f.Confidence, f.Explains)
	}
	if !hasEvidence(f, result.PassTrace) {
		t.Errorf("no trace evidence")
	}
	if len(findingsOf(diagnoseOf(r), ConfigRegression)) != 0 {
		t.Errorf("A losing its huge pages under numpy-nohuge confirms the cause; it is not a regression")
	}
	var hugetlb bool
	for _, pr := range proposalsOf(r) {
		hugetlb = hugetlb || pr.Config != nil && pr.Config.Env["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1"
	}
	if !hugetlb {
		t.Errorf("no glibc-hugetlb proposal: %+v", proposalsOf(r))
	}
}

// TestReallocCopy: B grows a buffer by mapping 1, 2, 4 and 8 MiB blocks
// and copying; A grows it with mremap.
func TestReallocCopy(t *testing.T) {
	var sizes []result.SizeCount
	total := 0.0
	for _, n := range []int64{1, 2, 4, 8} {
		sizes = append(sizes, result.SizeCount{Call: "mmap", Bytes: n<<20 + 4096, Per: 1}, result.SizeCount{Call: "munmap", Bytes: n<<20 + 4096, Per: 1})
		total += float64(n<<20 + 4096)
	}
	a := side{t: 3e-3, faults: 2048, sys: &result.Syscalls{Mmap: 1, Munmap: 1, Mremap: 3, MappedBytes: 1<<20 + 4096,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: 1<<20 + 4096, Per: 1}, {Call: "munmap", Bytes: 8<<20 + 4096, Per: 1}}}}
	b := side{t: 42e-3, faults: 3844, sys: &result.Syscalls{Mmap: 4, Munmap: 4, MappedBytes: total, Sizes: sizes}}
	f := first(t, pairResult("", a, b, nil, nil), ReallocCopy)
	if f.Candidate != "B" || !strings.Contains(f.Summary, "1.0 MiB to 8.0 MiB") {
		t.Errorf("realloc-copy: %s %q", f.Candidate, f.Summary)
	}
	if f.Confidence != Medium { // signature and calibrated fault model, no matrix
		t.Errorf("confidence %s, want medium", f.Confidence)
	}
}

// TestRuntimePoolRelease: B's objects fill and empty two obmalloc arenas
// per call.
func TestRuntimePoolRelease(t *testing.T) {
	a := side{t: 40e-6, faults: 0, sys: &result.Syscalls{Iterations: 100}}
	b := side{t: 5.6e-3, faults: 512, sys: &result.Syscalls{Mmap: 2, Munmap: 2, MappedBytes: 2 << 20,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: 1 << 20, Per: 2}, {Call: "munmap", Bytes: 1 << 20, Per: 2}}}}
	r := pairResult("", a, b, map[string][4]float64{"pymalloc-off": {42e-6, 0, 60e-6, 0}},
		map[string]map[string]string{"pymalloc-off": {"PYTHONMALLOC": "malloc"}})
	f := first(t, r, RuntimePoolRelease)
	if f.Confidence != High || len(f.Fixes) == 0 || !f.Fixes[0].Verified || f.Fixes[0].Config != "pymalloc-off" {
		t.Errorf("runtime-pool-release: %s, fixes %+v", f.Confidence, f.Fixes)
	}
	if len(findingsOf(diagnoseOf(r), MmapPerAllocation)) != 0 {
		t.Errorf("1 MiB arenas in a Python result are the runtime's pools, not mmap-per-allocation")
	}
}

// TestPageFaultsWithoutTrace: no trace pass (no ptrace permission): the
// fault difference is reported without naming a mechanism.
func TestPageFaultsWithoutTrace(t *testing.T) {
	r := pairResult("", side{t: 0.3e-3}, side{t: 16e-3, faults: 1319}, nil, nil)
	f := first(t, r, PageFaults)
	if f.Confidence != Low || !strings.Contains(f.Summary, "no syscall trace") {
		t.Errorf("page-faults: %s %q", f.Confidence, f.Summary)
	}
	// With a configuration that removes the faults, it is medium.
	r = pairResult("", side{t: 0.3e-3}, side{t: 16e-3, faults: 1319}, map[string][4]float64{"tcmalloc": {0.3e-3, 0, 0.4e-3, 0}},
		map[string]map[string]string{"tcmalloc": {"LD_PRELOAD": libdir + tcmalloc}})
	f = first(t, r, PageFaults)
	if f.Confidence != Medium || len(f.Fixes) == 0 || !f.Fixes[0].Verified {
		t.Errorf("page-faults with a removing config: %s, %+v", f.Confidence, f.Fixes)
	}
}

// TestThreadArenaTrim: under glibc, MADV_DONTNEED of the freed memory (a
// thread's arena trimmed) is heap-trim-refault, with glibc tunables
// proposed.
func TestThreadArenaTrim(t *testing.T) {
	b := side{t: 12e-3, faults: 1100, sys: &result.Syscalls{Madvise: 1, AdvisedBytes: 6 << 20, Advice: map[string]float64{"MADV_DONTNEED": 1},
		Sizes: []result.SizeCount{{Call: "madvise:MADV_DONTNEED", Bytes: 6 << 20, Per: 1}}}}
	r := pairResult("", side{t: 0.5e-3, sys: &result.Syscalls{}}, b, nil, nil)
	f := first(t, r, HeapTrimRefault)
	if !strings.Contains(f.Summary, "thread's arena") {
		t.Errorf("summary %q", f.Summary)
	}
	prs := proposalsOf(r)
	if len(prs) != 1 || !strings.Contains(prs[0].Config.Env["GLIBC_TUNABLES"], "trim_threshold") {
		t.Errorf("proposals %+v", prs)
	}
}

// preloadedBaseline renames r's baseline to the allocator the user's
// environment preloads, as alloc.Baseline names it.
func preloadedBaseline(r *result.Result, lib string) {
	base := alloc.Baseline([]string{alloc.VarPreload + "=" + lib})
	old := r.Configs[0].Name
	base.Status = result.StatusOK
	r.Configs[0] = base
	for i := range r.Results {
		if r.Results[i].Config == old {
			r.Results[i].Config = base.Name
		}
	}
	compare(r)
}

// TestGlibcRulesFollowTheBaseline: the same MADV_DONTNEED and brk trims
// under a preloaded tcmalloc are tcmalloc's, not glibc's: no
// heap-trim-refault, no glibc tunable proposed, tcmalloc's own setting
// instead.
func TestGlibcRulesFollowTheBaseline(t *testing.T) {
	b := side{t: 12e-3, faults: 1100, sys: &result.Syscalls{Madvise: 1, AdvisedBytes: 6 << 20, Advice: map[string]float64{"MADV_DONTNEED": 1},
		Sizes: []result.SizeCount{{Call: "madvise:MADV_DONTNEED", Bytes: 6 << 20, Per: 1}}}}
	r := pairResult("", side{t: 0.5e-3, sys: &result.Syscalls{}}, b, nil, nil)
	preloadedBaseline(r, libdir+tcmalloc)
	if r.Configs[0].Name != alloc.Tcmalloc {
		t.Fatalf("baseline %s", r.Configs[0].Name)
	}
	f := first(t, r, AllocatorPurge)
	if !strings.HasPrefix(f.Summary, alloc.Tcmalloc+" returns") || f.Config != alloc.Tcmalloc {
		t.Errorf("summary %q under %s", f.Summary, f.Config)
	}
	prs := proposalsOf(r)
	if len(prs) != 1 || prs[0].Config.Name != alloc.TcmallocNoRelease || prs[0].Config.Env[alloc.VarPreload] != libdir+tcmalloc {
		t.Errorf("proposals %+v", prs)
	}

	const shrink = 12 << 20
	b = side{t: 20e-3, faults: 3100, sys: &result.Syscalls{Brk: 2, BrkGrowBytes: shrink, BrkShrinkBytes: shrink,
		Sizes: []result.SizeCount{{Call: "brk-", Bytes: shrink, Per: 1}, {Call: "brk+", Bytes: shrink, Per: 1}}}}
	r = pairResult("", side{t: 1e-3, sys: &result.Syscalls{}}, b, nil, nil)
	if len(findingsOf(diagnoseOf(r), HeapTrimRefault)) != 1 {
		t.Fatalf("under glibc: %+v", diagnoseOf(r))
	}
	preloadedBaseline(r, libdir+jemalloc)
	if fs := diagnoseOf(r); len(findingsOf(fs, HeapTrimRefault)) != 0 {
		t.Errorf("glibc's heap trim reported under jemalloc: %+v", fs)
	}
	for _, pr := range proposalsOf(r) {
		if pr.Kind == KindEnv && pr.Config.Env[alloc.VarTunables] != "" {
			t.Errorf("glibc tunable proposed under jemalloc: %+v", pr.Config)
		}
	}
}

// TestTwoMechanisms: B both trims its heap and maps a block per call; each
// cause gets the share of the fault gap its bytes account for.
func TestTwoMechanisms(t *testing.T) {
	const shrink, block = 12 << 20, 4<<20 + 4096
	b := side{t: 20e-3, faults: 4100, sys: &result.Syscalls{Brk: 2, Mmap: 1, Munmap: 1, BrkGrowBytes: shrink, BrkShrinkBytes: shrink, MappedBytes: block,
		Sizes: []result.SizeCount{{Call: "brk-", Bytes: shrink, Per: 1}, {Call: "mmap", Bytes: block, Per: 1}, {Call: "munmap", Bytes: block, Per: 1}}}}
	fs := diagnoseOf(pairResult("", side{t: 1e-3, sys: &result.Syscalls{}}, b, nil, nil))
	trim, mm := findingsOf(fs, HeapTrimRefault), findingsOf(fs, MmapPerAllocation)
	if len(trim) != 1 || len(mm) != 1 {
		t.Fatalf("findings %+v", fs)
	}
	// 12 MiB against 4 MiB: 3/4 and 1/4 of the 4,100 faults x 10.5 µs of
	// a 19 ms gap (the model explains 2.27, clamped to 1 before weighting).
	if trim[0].Explains < 0.7 || trim[0].Explains > 0.8 || mm[0].Explains < 0.2 || mm[0].Explains > 0.3 {
		t.Errorf("explains trim %.3f, mmap %.3f; want about 0.75 and 0.25", trim[0].Explains, mm[0].Explains)
	}
	if fs[0].Cause != HeapTrimRefault {
		t.Errorf("the larger share should come first, got %s", fs[0].Cause)
	}
}

func TestEnvCovers(t *testing.T) {
	for _, c := range []struct {
		existing, proposed map[string]string
		want               bool
	}{
		{map[string]string{"GLIBC_TUNABLES": tunedEnv}, map[string]string{"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432"}, true},
		{map[string]string{"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=134217728:glibc.malloc.trim_threshold=268435456"}, map[string]string{"GLIBC_TUNABLES": tunedEnv}, true},
		{map[string]string{"GLIBC_TUNABLES": tunedEnv}, map[string]string{"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=134217728:glibc.malloc.trim_threshold=268435456"}, false},
		{map[string]string{"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=268435456"}, map[string]string{"GLIBC_TUNABLES": tunedEnv}, false},
		{map[string]string{"MALLOC_TOP_PAD_": "67108864"}, map[string]string{"GLIBC_TUNABLES": "glibc.malloc.top_pad=67108864"}, true},
		{map[string]string{"LD_PRELOAD": "x/libjemalloc.so.2", "MALLOC_CONF": "muzzy_decay_ms:-1,dirty_decay_ms:-1"},
			map[string]string{"LD_PRELOAD": "x/libjemalloc.so.2", "MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"}, true},
		{map[string]string{"LD_PRELOAD": "x/libjemalloc.so.2", "MALLOC_CONF": "dirty_decay_ms:-1"},
			map[string]string{"LD_PRELOAD": "x/libjemalloc.so.2", "MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"}, false},
		{map[string]string{}, map[string]string{"PYTHONMALLOC": "malloc"}, false},
	} {
		if got := envCovers(c.existing, c.proposed); got != c.want {
			t.Errorf("envCovers(%v, %v) = %v, want %v", c.existing, c.proposed, got, c.want)
		}
	}
}

func TestTraits(t *testing.T) {
	for _, c := range []struct {
		env             map[string]string
		allocator       string
		freezes, purges bool
		invasive        int
	}{
		{map[string]string{}, alloc.Glibc, false, false, 0},
		{map[string]string{"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=268435456"}, alloc.Glibc, true, false, 0},
		{map[string]string{"GLIBC_TUNABLES": tunedEnv}, alloc.Glibc, false, false, 0},
		{map[string]string{"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}, alloc.Glibc, false, false, 0},
		{map[string]string{"MALLOC_MMAP_MAX_": "0"}, alloc.Glibc, true, false, 0},
		{map[string]string{"LD_PRELOAD": libdir + jemalloc}, alloc.Jemalloc, false, true, 1},
		{map[string]string{"LD_PRELOAD": libdir + jemalloc, "MALLOC_CONF": "muzzy_decay_ms:-1"}, alloc.Jemalloc, false, false, 2},
		{map[string]string{"LD_PRELOAD": libdir + tcmalloc, "TCMALLOC_AGGRESSIVE_DECOMMIT": "1"}, alloc.Tcmalloc, false, true, 2},
		{map[string]string{"LD_PRELOAD": libdir + mimalloc, "MIMALLOC_DECOMMIT_DELAY": "0"}, alloc.Mimalloc, false, true, 2},
		{map[string]string{"LD_PRELOAD": "/opt/lib/libscudo.so"}, "scudo", false, false, 1},
	} {
		tr := alloc.Parse(c.env)
		if tr.Allocator != c.allocator || tr.FreezesDynamicThreshold() != c.freezes || tr.PurgesEagerly() != c.purges ||
			invasiveness(&result.Config{Env: c.env}, nil) != c.invasive {
			t.Errorf("%v: allocator %s freezes %v purges %v invasiveness %d", c.env, tr.Allocator, tr.FreezesDynamicThreshold(),
				tr.PurgesEagerly(), invasiveness(&result.Config{Env: c.env}, nil))
		}
	}
}

// TestFixChangeAgainstTheBaseline: a fix says what it changes against the
// user's environment, not what it shares with it.
func TestFixChangeAgainstTheBaseline(t *testing.T) {
	tc := alloc.Baseline([]string{alloc.VarPreload + "=" + libdir + tcmalloc, "TCMALLOC_AGGRESSIVE_DECOMMIT=1"})
	je := alloc.Baseline([]string{alloc.VarPreload + "=" + libdir + jemalloc})
	keep, _ := alloc.Keep(tc)
	defaults := alloc.Relative(tc, alloc.Preload(alloc.Tcmalloc, libdir+tcmalloc))
	glibc := alloc.Relative(je, alloc.Preload(alloc.Glibc, ""))
	py := alloc.Relative(je, alloc.NoPymalloc())
	for _, c := range []struct {
		cfg, base result.Config
		want      string
	}{
		{defaults, tc, "drop TCMALLOC_AGGRESSIVE_DECOMMIT=1 from your environment, so tcmalloc runs with its defaults"},
		{keep, tc, "drop TCMALLOC_AGGRESSIVE_DECOMMIT=1 from your environment; use tcmalloc with TCMALLOC_RELEASE_RATE=0, so freed spans are never returned to the kernel"},
		{glibc, je, "use glibc's malloc with its defaults: no allocator preloaded, no tunables"},
		{py, je, "turn off CPython's small-object allocator (PYTHONMALLOC=malloc), so small objects come from malloc, which keeps its heap"},
	} {
		if got := fixChange(&c.cfg, &c.base); got != c.want {
			t.Errorf("%s against %s: %q, want %q", c.cfg.Name, c.base.Name, got, c.want)
		}
	}
}
