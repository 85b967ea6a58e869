package diagnose

import (
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/summary"
)

// The fixtures under testdata/ are results as faultline writes them, built
// from the numbers measured on this project's VM (the seed case of
// docs/benchmarks.md, cases 02, 05 and 07 of docs/causes.md). They are
// generated here rather than by hand so every derived number is consistent:
// medians and intervals come from simulated samples through the stats
// package and the comparisons are computed as measure computes them.
//
//	go test ./internal/diagnose -run TestFixturesAreCurrent -fixtures
//
// then -update to regenerate the golden findings from them.
var genFixtures = flag.Bool("fixtures", false, "regenerate testdata/*.json fixture results")

var fixtureStart = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

func fixtures() map[string]*result.Result {
	return map[string]*result.Result{
		"seed.json":     seedFixture(),
		"case02.json":   case02Fixture(),
		"case05.json":   case05Fixture(),
		"case07.json":   case07Fixture(),
		"nodiff.json":   noDiffFixture(),
		"order.json":    orderFixture(),
		"jemalloc.json": jemallocBaseFixture(),
	}
}

func loadFixture(t *testing.T, name string) *result.Result {
	t.Helper()
	r, err := result.Load(filepath.Join("testdata", name))
	if err != nil {
		if os.IsNotExist(err) {
			t.Fatalf("%v: regenerate with go test -run TestFixturesAreCurrent -fixtures", err)
		}
		t.Fatal(err)
	}
	return r
}

// spec says how one candidate behaves under one configuration.
type spec struct {
	name   string
	median float64 // seconds per iteration
	sigma  float64 // relative noise (log-normal)
	faults float64 // minor faults per iteration
	loops  int
	// after returns extra time (fraction) and faults per iteration for a
	// sample right after prev in the same process.
	after func(prev string) (float64, float64)
}

func sp(name string, median, faults float64) spec {
	return spec{name: name, median: median, sigma: 0.02, faults: faults, loops: max(1, int(0.1/median))}
}

// simulate produces one process's samples: a warm-up sample of every
// candidate, then rounds in a fresh shuffled order each, as measure does.
// With separate false every sample records the candidate before it.
func simulate(rng *rand.Rand, specs []spec, rounds int, shared bool) map[string][]result.Sample {
	out := map[string][]result.Sample{}
	prev, seq := "", 0
	take := func(s spec, round int, warm bool) {
		tm := s.median * math.Exp(s.sigma*rng.NormFloat64())
		fl := s.faults
		if fl >= 1 {
			fl = math.Round(fl + 0.6*rng.NormFloat64()*math.Min(1, fl/100))
		}
		after := ""
		if shared && prev != "" && prev != s.name {
			after = prev
			if s.after != nil {
				pt, pf := s.after(prev)
				tm *= 1 + pt
				fl += pf
			}
		}
		if warm {
			tm *= 1.05
			fl += 1 + s.faults*0.02
		}
		out[s.name] = append(out[s.name], result.Sample{Seq: seq, Round: round, Seconds: round12(tm),
			MinorFaults: round3(math.Max(0, fl)), After: after, Warmup: warm})
		seq++
		prev = s.name
	}
	for _, s := range specs {
		take(s, -1, true)
	}
	order := make([]int, len(specs))
	for i := range order {
		order[i] = i
	}
	for r := range rounds {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			take(specs[i], r, false)
		}
	}
	return out
}

func round12(v float64) float64 { return math.Round(v*1e12) / 1e12 }

// addRuns stores one run per spec: time from stats.Summarize, faults as the
// mean of the timed samples.
func addRuns(r *result.Result, cfg, mode string, specs []spec, samples map[string][]result.Sample) {
	for _, s := range specs {
		var ts []float64
		var fl float64
		for _, x := range samples[s.name] {
			if !x.Warmup {
				ts = append(ts, x.Seconds)
				fl += x.MinorFaults
			}
		}
		run := result.Run{Candidate: s.name, Config: cfg, Mode: mode, Status: result.StatusOK, Time: stats.Summarize(ts),
			Loops: s.loops, Samples: samples[s.name],
			Sources: map[string]string{"time": result.PassTiming, "minor_faults": result.PassTiming, "major_faults": result.PassTiming}}
		run.PerIteration.MinorFaults = round3(fl / float64(len(ts)))
		r.Results = append(r.Results, run)
	}
}

// timeConfig simulates one configuration: interleaved (or process) rounds.
func timeConfig(r *result.Result, rng *rand.Rand, cfg string, specs []spec, rounds int) {
	mode := r.PrimaryMode()
	addRuns(r, cfg, mode, specs, simulate(rng, specs, rounds, mode == result.ModeInterleaved))
}

// isolate simulates each spec alone in a fresh process.
func isolate(r *result.Result, rng *rand.Rand, cfg string, specs []spec, rounds int) {
	for _, s := range specs {
		addRuns(r, cfg, result.ModeIsolated, []spec{s}, simulate(rng, []spec{s}, rounds, true))
	}
}

// compare stores r's summary, as the pipeline does when it assembles a
// result.
func compare(r *result.Result) { summary.Of(r).Store(r) }

// diagnoseOf and proposalsOf read r through its summary,
// as the pipeline calls them.
func diagnoseOf(r *result.Result) []result.Finding {
	fs, _ := Diagnose(r, summary.Of(r))
	return fs
}

// taxesOf reads r's taxes through its summary, as the pipeline does.
func taxesOf(r *result.Result) []result.Tax {
	_, taxes := Diagnose(r, summary.Of(r))
	return taxes
}

func proposalsOf(r *result.Result) []Proposal { return Proposals(r, summary.Of(r)) }

func setTrace(r *result.Result, cand, cfg string, s *result.Syscalls) {
	run := r.Run(cand, cfg, r.PrimaryMode())
	run.PerIteration.Syscalls = s
	run.Sources["syscalls"] = result.PassTrace
}

func setAlloc(r *result.Result, cand, cfg string, a *result.Allocations) {
	run := r.Run(cand, cfg, r.PrimaryMode())
	run.PerIteration.Allocations = a
	run.Sources["allocations"] = result.PassAlloc
}

// glibcConfig is the baseline of an environment that sets nothing about
// allocation.
func glibcConfig() result.Config {
	c := alloc.Baseline(nil)
	c.Status = result.StatusOK
	return c
}

func preload(name, desc, lib string, extra ...string) result.Config {
	env := map[string]string{"LD_PRELOAD": libdir + lib}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return result.Config{Name: name, Description: desc, Env: env, Status: result.StatusOK}
}

func tunables(name, desc, value string) result.Config {
	return result.Config{Name: name, Description: desc, Env: map[string]string{"GLIBC_TUNABLES": value}, Status: result.StatusOK}
}

const (
	libdir    = "/usr/lib/x86_64-linux-gnu/"
	tcmalloc  = "libtcmalloc_minimal.so.4"
	jemalloc  = "libjemalloc.so.2"
	mimalloc  = "libmimalloc.so.2"
	tunedEnv  = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"
	seedSetup = "import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)"
	seedA     = "a.astype(np.float64) / 255.0"
	seedB     = "t = a.astype(np.float64); t / 255.0"
	seedFix   = "t = a.astype(np.float64); np.divide(t, 255.0, out=t)"
)

func vmHost() result.Host {
	return result.Host{Kernel: "6.18.44", Arch: "x86_64", CPUs: 2, CPUModel: "AMD EPYC", PageSize: 4096, THP: "madvise",
		PMU: false, Libc: "glibc 2.36", Python: "/usr/bin/python3", PyVer: "3.11.2", NumPy: "1.24.2", FaultCostSeconds: 10.5e-6}
}

func seedConfigs() []result.Config {
	return []result.Config{
		glibcConfig(),
		tunables("glibc-tuned", "glibc with fixed, raised mmap and trim thresholds: the heap top is kept between calls", tunedEnv),
		tunables("glibc-trim", "glibc with only the trim threshold raised", "glibc.malloc.trim_threshold=268435456"),
		tunables("glibc-hugetlb", "glibc advises transparent huge pages for its heap", "glibc.malloc.hugetlb=1"),
		preload("tcmalloc", "gperftools tcmalloc", tcmalloc),
		preload("jemalloc", "jemalloc 5.3 defaults", jemalloc),
		preload("jemalloc-nodecay", "jemalloc with dirty-page decay off", jemalloc, "MALLOC_CONF", "dirty_decay_ms:-1"),
		preload("mimalloc", "mimalloc 2.0", mimalloc),
	}
}

// seedFixture is the case that started faultline (A = func1, B = func2,
// B-fix = B dividing in place), with the allocator matrix of
// docs/benchmarks.md, the trace and allocation passes, and isolated runs.
func seedFixture() *result.Result {
	r := result.New(result.KindTimeit, "0.1.0-dev", []string{"timeit", "-s", seedSetup, seedA, seedB})
	r.Started, r.Setup, r.Host = fixtureStart, seedSetup, vmHost()
	r.Candidates = []result.Candidate{
		{Name: "A", Label: seedA, Statement: seedA},
		{Name: "B", Label: seedB, Statement: seedB},
		{Name: "B-fix", Label: seedFix, Statement: seedFix, FixOf: "B"},
	}
	r.Configs = seedConfigs()
	r.Configs = append(r.Configs, preload("scudo", "LLVM's scudo allocator", "libscudo.so"))
	r.Configs[len(r.Configs)-1].Status = result.StatusFailed
	r.Configs[len(r.Configs)-1].Reason = "probe exited with signal SIGSEGV before its first record"
	rng := rand.New(rand.NewPCG(20260115, 1))
	// After B, glibc has trimmed the heap top: the next candidate's first
	// iteration faults its buffer in again, spread over its loops.
	refault := func(prev string) (float64, float64) {
		if prev == "B" {
			return 0.07, 2
		}
		return 0, 0
	}
	a, fix := sp("A", 0.289e-3, 0), sp("B-fix", 0.283e-3, 0)
	a.sigma, fix.sigma = 0.015, 0.015
	a.after, fix.after = refault, refault
	timeConfig(r, rng, "glibc", []spec{a, sp("B", 16.16e-3, 1319), fix}, 20)
	isolate(r, rng, "glibc", []spec{sp("A", 0.289e-3, 0), sp("B", 15.91e-3, 1318)}, 15)
	for _, c := range []struct {
		cfg    string
		ta, fa float64
		tb, fb float64
	}{
		{"glibc-tuned", 0.279e-3, 0, 0.377e-3, 0},
		{"glibc-trim", 6.69e-3, 421, 16.03e-3, 842},
		{"glibc-hugetlb", 0.289e-3, 0, 1.095e-3, 8},
		{"tcmalloc", 0.296e-3, 0.4, 0.392e-3, 2.7},
		{"jemalloc", 10.19e-3, 932, 21.31e-3, 1864},
		{"jemalloc-nodecay", 0.300e-3, 0, 0.357e-3, 0},
		{"mimalloc", 0.292e-3, 0, 0.364e-3, 0},
	} {
		timeConfig(r, rng, c.cfg, []spec{sp("A", c.ta, c.fa), sp("B", c.tb, c.fb)}, 12)
	}
	reason := r.Configs[len(r.Configs)-1].Reason
	r.Results = append(r.Results,
		result.Run{Candidate: "A", Config: "scudo", Mode: result.ModeInterleaved, Status: result.StatusFailed, Error: reason},
		result.Run{Candidate: "B", Config: "scudo", Mode: result.ModeInterleaved, Status: result.StatusFailed, Error: reason})

	// Trace passes: the baseline for every candidate, and the two
	// configurations that make things worse (docs/workload.md, Measurements).
	const grow, shrink, advised, chunk, jeExtent = 7999488, 15998976, 7995392, 8003584, 8392704
	hp := func(n float64) result.SizeCount {
		return result.SizeCount{Call: "madvise:MADV_HUGEPAGE", Bytes: advised, Per: n}
	}
	setTrace(r, "A", "glibc", &result.Syscalls{Madvise: 1, AdvisedBytes: advised, Advice: map[string]float64{"MADV_HUGEPAGE": 1},
		Iterations: 50, Sizes: []result.SizeCount{hp(1)}})
	setTrace(r, "B", "glibc", &result.Syscalls{Brk: 3, Madvise: 2, BrkGrowBytes: 2 * grow, BrkShrinkBytes: shrink, AdvisedBytes: 2 * advised,
		Advice: map[string]float64{"MADV_HUGEPAGE": 2}, Iterations: 50,
		Sizes: []result.SizeCount{{Call: "brk-", Bytes: shrink, Per: 1}, {Call: "brk+", Bytes: grow, Per: 2}, hp(2)}})
	setTrace(r, "B-fix", "glibc", &result.Syscalls{Madvise: 1, AdvisedBytes: advised, Advice: map[string]float64{"MADV_HUGEPAGE": 1},
		Iterations: 50, Sizes: []result.SizeCount{hp(1)}})
	for i, n := range []float64{1, 2} {
		cand := []string{"A", "B"}[i]
		setTrace(r, cand, "glibc-trim", &result.Syscalls{Mmap: n, Munmap: n, Madvise: n, MappedBytes: n * chunk, UnmappedBytes: n * chunk,
			AdvisedBytes: n * advised, Advice: map[string]float64{"MADV_HUGEPAGE": n}, Iterations: 50,
			Sizes: []result.SizeCount{{Call: "mmap", Bytes: chunk, Per: n}, {Call: "munmap", Bytes: chunk, Per: n}, hp(n)}})
		setTrace(r, cand, "jemalloc", &result.Syscalls{Madvise: 2 * n, AdvisedBytes: n * (advised + jeExtent),
			Advice: map[string]float64{"MADV_HUGEPAGE": n, "MADV_DONTNEED": n}, Iterations: 50,
			Sizes: []result.SizeCount{{Call: "madvise:MADV_DONTNEED", Bytes: jeExtent, Per: n}, hp(n)}})
	}
	// Allocation pass: tracemalloc sees NumPy's data buffers.
	const buf = 8000000
	for _, x := range []struct {
		cand string
		n    float64
	}{{"A", 1}, {"B", 2}, {"B-fix", 1}} {
		setAlloc(r, x.cand, "glibc", &result.Allocations{Count: x.n, Bytes: x.n * buf, PeakBytes: x.n*buf + 112*x.n,
			Large: []result.SizeCount{{Call: "malloc", Bytes: buf, Per: x.n}}, Iterations: 5})
	}
	compare(r)
	r.Passes = []result.Pass{
		{Name: result.PassTiming, Config: "glibc", Seconds: 14.2, Note: result.ModeInterleaved},
		{Name: result.PassTrace, Config: "glibc", Seconds: 2.4, Overhead: 1.05},
		{Name: result.PassAlloc, Config: "glibc", Seconds: 1.9},
	}
	r.WallSeconds = 41.5
	return r
}

// case02Fixture: case 02 of docs/causes.md as faultline run measures it; the programs mark
// their ticks (200 per process), so per-iteration means per tick.
func case02Fixture() *result.Result {
	r := result.New(result.KindRun, "0.1.0-dev", []string{"run", "./a", "./b"})
	r.Started, r.Host = fixtureStart.Add(time.Hour), vmHost()
	r.Host.Python, r.Host.PyVer, r.Host.NumPy = "", "", ""
	r.Candidates = []result.Candidate{
		{Name: "A", Label: "per tick: 32 x malloc(64 KiB)+memset, then free all (default glibc settings)", Command: []string{"./a"}},
		{Name: "B", Label: "same, plus mallopt(M_TRIM_THRESHOLD, 8 MiB) at start-up", Command: []string{"./b"}},
	}
	r.Configs = []result.Config{
		glibcConfig(),
		preload("tcmalloc", "gperftools tcmalloc", tcmalloc),
		preload("jemalloc", "jemalloc 5.3 defaults", jemalloc),
		preload("mimalloc", "mimalloc 2.0", mimalloc),
		tunables("glibc+trim_threshold=8MiB", "glibc with an 8 MiB trim threshold", "glibc.malloc.trim_threshold=8388608"),
		tunables("glibc+top_pad=8MiB", "glibc keeping 8 MiB at the heap top", "glibc.malloc.top_pad=8388608"),
	}
	rng := rand.New(rand.NewPCG(2, 2))
	tick := func(name string, ms, flt float64) spec {
		s := sp(name, ms*1e-3, flt)
		s.loops, s.sigma = 200, 0.01
		return s
	}
	for _, c := range []struct {
		cfg    string
		ta, fa float64
		tb, fb float64
	}{
		{"glibc", 4.982, 480, 0.020, 0},
		{"tcmalloc", 0.017, 0, 0.017, 0},
		{"jemalloc", 0.031, 0, 0.030, 0},
		{"mimalloc", 0.019, 0, 0.019, 0},
		{"glibc+trim_threshold=8MiB", 0.020, 0, 0.020, 0},
		{"glibc+top_pad=8MiB", 0.020, 0, 0.020, 0},
	} {
		timeConfig(r, rng, c.cfg, []spec{tick("A", c.ta, c.fa), tick("B", c.tb, c.fb)}, 10)
	}
	// 10 heap extensions of nb + top_pad + MINSIZE each, one trim of the
	// batch less the retained pad: 480 pages.
	const step, trimmed = 196608, 1966080
	setTrace(r, "A", "glibc", &result.Syscalls{Brk: 11, BrkGrowBytes: 10 * step, BrkShrinkBytes: trimmed, Iterations: 200,
		Sizes: []result.SizeCount{{Call: "brk-", Bytes: trimmed, Per: 1}, {Call: "brk+", Bytes: step, Per: 10}}})
	setTrace(r, "B", "glibc", &result.Syscalls{Iterations: 200})
	compare(r)
	r.Passes = []result.Pass{{Name: result.PassTiming, Config: "glibc", Seconds: 12.1, Note: result.ModeProcess},
		{Name: result.PassTrace, Config: "glibc", Seconds: 1.3, Overhead: 1.02}}
	r.WallSeconds = 30.4
	return r
}

// case05Fixture: case 05 of docs/causes.md as faultline run measures unmarked programs:
// one iteration per process, so per-iteration figures include the start-up
// of the process (0.62 ms, 61 faults, the loader's mappings).
func case05Fixture() *result.Result {
	r := result.New(result.KindRun, "0.1.0-dev", []string{"run", "./a", "./b"})
	r.Started, r.Host = fixtureStart.Add(2*time.Hour), vmHost()
	r.Host.Python, r.Host.PyVer, r.Host.NumPy = "", "", ""
	r.Candidates = []result.Candidate{
		{Name: "A", Label: "p = calloc(1, 128 MiB); free(p)", Command: []string{"./a"}},
		{Name: "B", Label: "p = malloc(128 MiB); memset(p, 0, 128 MiB); free(p)", Command: []string{"./b"}},
	}
	r.Configs = []result.Config{
		glibcConfig(),
		preload("tcmalloc", "gperftools tcmalloc", tcmalloc),
		preload("jemalloc", "jemalloc 5.3 defaults", jemalloc),
		preload("mimalloc", "mimalloc 2.0", mimalloc),
		tunables("glibc-hugetlb", "glibc advises transparent huge pages for its heap", "glibc.malloc.hugetlb=1"),
	}
	rng := rand.New(rand.NewPCG(5, 5))
	proc := func(name string, ms, flt, startMS, startFlt float64) spec {
		s := sp(name, (ms+startMS)*1e-3, flt+startFlt)
		s.loops, s.sigma = 1, 0.03
		return s
	}
	for _, c := range []struct {
		cfg    string
		ta, fa float64
		tb, fb float64
		st, sf float64
	}{
		{"glibc", 0.045, 1, 347.463, 32770, 0.62, 61},
		{"tcmalloc", 7.566, 500.8, 8.010, 531.4, 0.9, 75},
		{"jemalloc", 0.002, 0, 350.803, 32769.3, 0.7, 70},
		{"mimalloc", 463.870, 32775, 361.937, 32775, 0.7, 70},
		{"glibc-hugetlb", 0.040, 1, 16.865, 576, 0.62, 61},
	} {
		timeConfig(r, rng, c.cfg, []spec{proc("A", c.ta, c.fa, c.st, c.sf), proc("B", c.tb, c.fb, c.st, c.sf)}, 10)
	}
	const block = 134221824 // 128 MiB + 4 KiB: an mmapped chunk
	startup := []result.SizeCount{{Call: "mmap", Bytes: 2170880, Per: 1}, {Call: "mmap", Bytes: 1396736, Per: 1},
		{Call: "mmap", Bytes: 8192, Per: 6}, {Call: "munmap", Bytes: 16384, Per: 1}}
	for _, c := range []string{"A", "B"} {
		setTrace(r, c, "glibc", &result.Syscalls{Brk: 3, Mmap: 9, Munmap: 2, MappedBytes: block + 2170880 + 1396736 + 6*8192,
			UnmappedBytes: block + 16384, BrkGrowBytes: 135168, Iterations: 3,
			Sizes: append([]result.SizeCount{{Call: "mmap", Bytes: block, Per: 1}, {Call: "munmap", Bytes: block, Per: 1}}, startup...)})
	}
	compare(r)
	r.Passes = []result.Pass{{Name: result.PassTiming, Config: "glibc", Seconds: 7.3, Note: result.ModeProcess},
		{Name: result.PassTrace, Config: "glibc", Seconds: 1.6, Overhead: 1.01}}
	r.WallSeconds = 36.0
	return r
}

// case07Fixture: case 07 of docs/causes.md as faultline timeit measures it (the statements
// run as function bodies, so A's result is freed at the end of each call).
func case07Fixture() *result.Result {
	const setup = "import numpy as np; N = 8 * 1024 * 1024; a = np.random.rand(N); b = np.random.rand(N); c = np.empty(N)"
	r := result.New(result.KindTimeit, "0.1.0-dev", []string{"timeit", "-s", setup, "c = a + b", "np.add(a, b, out=c)"})
	r.Started, r.Setup, r.Host = fixtureStart.Add(3*time.Hour), setup, vmHost()
	r.Candidates = []result.Candidate{
		{Name: "A", Label: "c = a + b", Statement: "c = a + b"},
		{Name: "B", Label: "np.add(a, b, out=c)", Statement: "np.add(a, b, out=c)"},
	}
	r.Configs = []result.Config{
		glibcConfig(),
		preload("tcmalloc", "gperftools tcmalloc", tcmalloc),
		preload("jemalloc", "jemalloc 5.3 defaults", jemalloc),
		preload("mimalloc", "mimalloc 2.0", mimalloc),
		{Name: "numpy-nohuge", Description: "NumPy without its huge-page advice", Env: map[string]string{"NUMPY_MADVISE_HUGEPAGE": "0"}, Status: result.StatusOK},
		tunables("glibc-tuned", "glibc with fixed, raised mmap and trim thresholds",
			"glibc.malloc.mmap_threshold=134217728:glibc.malloc.trim_threshold=268435456"),
		tunables("glibc-hugetlb", "glibc advises transparent huge pages for its heap", "glibc.malloc.hugetlb=1"),
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, c := range []struct {
		cfg    string
		ta, fa float64
		tb, fb float64
	}{
		{"glibc", 16.886, 544, 7.157, 0},
		{"tcmalloc", 6.085, 4.2, 5.313, 0},
		{"jemalloc", 15.354, 544, 5.691, 0},
		{"mimalloc", 15.610, 550, 5.831, 0},
		{"numpy-nohuge", 238.073, 16385, 5.494, 0},
		{"glibc-tuned", 6.556, 0, 6.873, 0},
		{"glibc-hugetlb", 16.670, 544, 5.224, 0},
	} {
		timeConfig(r, rng, c.cfg, []spec{sp("A", c.ta*1e-3, c.fa), sp("B", c.tb*1e-3, c.fb)}, 12)
	}
	isolate(r, rng, "glibc", []spec{sp("A", 16.9e-3, 544), sp("B", 7.1e-3, 0)}, 10)
	const block, arr = 67112960, 67108864
	setTrace(r, "A", "glibc", &result.Syscalls{Mmap: 1, Munmap: 1, Madvise: 1, MappedBytes: block, UnmappedBytes: block, AdvisedBytes: arr,
		Advice: map[string]float64{"MADV_HUGEPAGE": 1}, Iterations: 30,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: block, Per: 1}, {Call: "munmap", Bytes: block, Per: 1},
			{Call: "madvise:MADV_HUGEPAGE", Bytes: arr, Per: 1}}})
	setTrace(r, "B", "glibc", &result.Syscalls{Iterations: 30})
	setAlloc(r, "A", "glibc", &result.Allocations{Count: 1, Bytes: arr, PeakBytes: arr + 112,
		Large: []result.SizeCount{{Call: "malloc", Bytes: arr, Per: 1}}, Iterations: 5})
	setAlloc(r, "B", "glibc", &result.Allocations{PeakBytes: 96, Iterations: 5})
	compare(r)
	r.Passes = []result.Pass{{Name: result.PassTiming, Config: "glibc", Seconds: 6.2, Note: result.ModeInterleaved}}
	r.WallSeconds = 44.0
	return r
}

// noDiffFixture: two spellings of the same work, no difference.
func noDiffFixture() *result.Result {
	const setup = "import numpy as np; x = np.random.rand(10_000)"
	r := result.New(result.KindTimeit, "0.1.0-dev", []string{"timeit", "-s", setup, "x * 2.0", "x + x"})
	r.Started, r.Setup, r.Host = fixtureStart.Add(4*time.Hour), setup, vmHost()
	r.Candidates = []result.Candidate{{Name: "A", Label: "x * 2.0", Statement: "x * 2.0"}, {Name: "B", Label: "x + x", Statement: "x + x"}}
	r.Configs = []result.Config{glibcConfig()}
	rng := rand.New(rand.NewPCG(42, 3))
	timeConfig(r, rng, "glibc", []spec{sp("A", 5.21e-6, 0), sp("B", 5.22e-6, 0)}, 14)
	isolate(r, rng, "glibc", []spec{sp("A", 5.21e-6, 0), sp("B", 5.22e-6, 0)}, 10)
	for _, c := range []string{"A", "B"} {
		setTrace(r, c, "glibc", &result.Syscalls{Iterations: 2000})
		setAlloc(r, c, "glibc", &result.Allocations{PeakBytes: 80112, Iterations: 5})
	}
	compare(r)
	r.WallSeconds = 7.2
	return r
}

// orderFixture: a suite in one process (docs/causes.md, order-effect:
// glibc's thresholds only grow). A's 16.8 MB result raises glibc's dynamic mmap
// threshold to 16.8 MB and its trim threshold to 33.6 MB, so in the shared
// process B's 16.1 MB heap top is never trimmed; alone, B is the seed's
// func2 with its trim cycle.
func orderFixture() *result.Result {
	const setup = seedSetup + "; big = np.random.rand(2_100_000)"
	r := result.New(result.KindTimeit, "0.1.0-dev", []string{"timeit", "-s", setup, "np.sqrt(big)", seedB})
	r.Started, r.Setup, r.Host = fixtureStart.Add(5*time.Hour), setup, vmHost()
	r.Candidates = []result.Candidate{{Name: "A", Label: "np.sqrt(big)", Statement: "np.sqrt(big)"}, {Name: "B", Label: seedB, Statement: seedB}}
	r.Configs = []result.Config{glibcConfig()}
	rng := rand.New(rand.NewPCG(11, 13))
	timeConfig(r, rng, "glibc", []spec{sp("A", 2.2e-3, 0), sp("B", 0.377e-3, 0)}, 16)
	isolate(r, rng, "glibc", []spec{sp("A", 2.21e-3, 0), sp("B", 16.1e-3, 1319)}, 12)
	const big, buf = 16800000, 8000000
	setTrace(r, "A", "glibc", &result.Syscalls{Madvise: 1, AdvisedBytes: 16797696, Advice: map[string]float64{"MADV_HUGEPAGE": 1}, Iterations: 50,
		Sizes: []result.SizeCount{{Call: "madvise:MADV_HUGEPAGE", Bytes: 16797696, Per: 1}}})
	setTrace(r, "B", "glibc", &result.Syscalls{Madvise: 2, AdvisedBytes: 2 * 7995392, Advice: map[string]float64{"MADV_HUGEPAGE": 2}, Iterations: 50,
		Sizes: []result.SizeCount{{Call: "madvise:MADV_HUGEPAGE", Bytes: 7995392, Per: 2}}})
	setAlloc(r, "A", "glibc", &result.Allocations{Count: 1, Bytes: big, PeakBytes: big + 112, Large: []result.SizeCount{{Call: "malloc", Bytes: big, Per: 1}}, Iterations: 5})
	setAlloc(r, "B", "glibc", &result.Allocations{Count: 2, Bytes: 2 * buf, PeakBytes: 2*buf + 224, Large: []result.SizeCount{{Call: "malloc", Bytes: buf, Per: 2}}, Iterations: 5})
	compare(r)
	r.WallSeconds = 12.5
	return r
}

// jemallocBaseFixture: the seed case for a user whose environment already
// preloads jemalloc (the baseline configuration is jemalloc): both
// candidates pay jemalloc's oversize purge, B twice (docs/causes.md,
// allocator-purge).
func jemallocBaseFixture() *result.Result {
	r := result.New(result.KindTimeit, "0.1.0-dev", []string{"timeit", "-s", seedSetup, seedA, seedB})
	r.Started, r.Setup, r.Host = fixtureStart.Add(6*time.Hour), seedSetup, vmHost()
	r.Candidates = []result.Candidate{{Name: "A", Label: seedA, Statement: seedA}, {Name: "B", Label: seedB, Statement: seedB}}
	r.Configs = []result.Config{preload("jemalloc", "the user's environment: jemalloc 5.3 preloaded", jemalloc)}
	rng := rand.New(rand.NewPCG(3, 9))
	timeConfig(r, rng, "jemalloc", []spec{sp("A", 10.19e-3, 932), sp("B", 21.31e-3, 1864)}, 14)
	const advised, extent = 7995392, 8392704
	for i, n := range []float64{1, 2} {
		setTrace(r, []string{"A", "B"}[i], "jemalloc", &result.Syscalls{Madvise: 2 * n, AdvisedBytes: n * (advised + extent),
			Advice: map[string]float64{"MADV_HUGEPAGE": n, "MADV_DONTNEED": n}, Iterations: 50,
			Sizes: []result.SizeCount{{Call: "madvise:MADV_DONTNEED", Bytes: extent, Per: n}, {Call: "madvise:MADV_HUGEPAGE", Bytes: advised, Per: n}}})
	}
	compare(r)
	r.WallSeconds = 6.0
	return r
}
