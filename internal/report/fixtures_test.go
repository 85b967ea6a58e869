package report

import (
	"bytes"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/diagnose"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/summary"
)

// The fixtures under testdata/ are results as faultline would write them.
// They are generated here rather than by hand so that every derived number
// is consistent: medians and intervals come from the samples through the
// stats package, comparisons are computed as measure computes them, and
// each finding's evidence is the run it cites. The seed fixture uses the
// measurements of the seed case (docs/benchmarks.md): A = func1,
// B = func2, 1,000,000-element uint8 array, Debian 12 VM with a 10.5 µs
// minor fault.
//
//	go test ./internal/report -run TestFixturesAreCurrent -fixtures
//
// then -update to regenerate the golden files from them.
var genFixtures = flag.Bool("fixtures", false, "regenerate testdata/*.json fixture results")

// TestFixturesAreCurrent checks that testdata/*.json are what the
// generators below produce, or rewrites them with -fixtures.
func TestFixturesAreCurrent(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("fixtures are generated on amd64; fused multiply-add elsewhere changes the last bits of simulated samples")
	}
	for name, r := range map[string]*result.Result{
		"seed.json":   finish(seedFixture()),
		"run.json":    finish(runFixture()),
		"nodiff.json": finish(noDiffFixture()),
	} {
		path := filepath.Join("testdata", name)
		if *genFixtures {
			if err := r.Save(path); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var got bytes.Buffer
		if err := r.Write(&got); err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("testdata/%s is stale: regenerate with -run TestFixturesAreCurrent -fixtures", name)
		}
	}
}

// candSpec says how one candidate behaves under one configuration.
type candSpec struct {
	name   string
	median float64 // seconds per iteration, steady state
	sigma  float64 // relative noise (log-normal)
	faults float64 // minor faults per iteration, steady state
	loops  int
	// afterPenalty returns extra time (fraction) and faults per
	// iteration for the first sample after prev ran in the same process.
	afterPenalty func(prev string) (float64, float64)
	// warm is the extra time (fraction) and faults per iteration of the
	// warm-up sample: first touch of everything.
	warmT, warmF float64
}

// simulate produces the samples of one process: warm-up samples of every
// candidate, then rounds in a fresh shuffled order each, as measure does.
func simulate(rng *rand.Rand, specs []candSpec, rounds int, seq *int) map[string][]result.Sample {
	out := map[string][]result.Sample{}
	prev := ""
	take := func(sp candSpec, round int, warm bool) {
		tm := sp.median * math.Exp(sp.sigma*rng.NormFloat64())
		fl := sp.faults
		if sp.faults >= 1 {
			// Fault counts are nearly deterministic within a process.
			fl = math.Round(sp.faults + 0.6*rng.NormFloat64()*math.Min(1, sp.faults/100))
		} else if sp.faults > 0 {
			fl = math.Max(0, sp.faults*(1+0.8*rng.NormFloat64()))
		}
		after := ""
		if prev != "" && prev != sp.name {
			after = prev
			if sp.afterPenalty != nil {
				pt, pf := sp.afterPenalty(prev)
				tm *= 1 + pt
				fl += pf
			}
		}
		if warm {
			tm *= 1 + sp.warmT
			fl += sp.warmF
		}
		// The kernel's share: each fault costs system time, the rest is
		// user time (no random draw, so the other figures stay as they were).
		sys := math.Min(0.9*tm, fl*sysPerFault)
		out[sp.name] = append(out[sp.name], result.Sample{Seq: *seq, Round: round, Seconds: round9(tm),
			MinorFaults: round3(fl), After: after, Warmup: warm, UserSeconds: round9(tm - sys), SystemSeconds: round9(sys)})
		*seq++
		prev = sp.name
	}
	for _, sp := range specs {
		take(sp, -1, true)
	}
	order := make([]int, len(specs))
	for i := range order {
		order[i] = i
	}
	for r := 0; r < rounds; r++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			take(specs[i], r, false)
		}
	}
	return out
}

// sysPerFault is the system CPU time of one simulated minor fault.
const sysPerFault = 8e-6

func round9(v float64) float64 { return math.Round(v*1e12) / 1e12 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// addRuns stores one run per candidate, summarised like measure's
// accumulator: time from stats.Summarize, faults as loop-weighted means
// of the timed samples.
func addRuns(r *result.Result, cfg, mode string, specs []candSpec, samples map[string][]result.Sample, rss int64) {
	for _, sp := range specs {
		ss := samples[sp.name]
		var ts []float64
		var minf, user, sys float64
		n := 0
		for _, s := range ss {
			if s.Warmup {
				continue
			}
			ts = append(ts, s.Seconds)
			minf += s.MinorFaults
			user += s.UserSeconds
			sys += s.SystemSeconds
			n++
		}
		run := result.Run{Candidate: sp.name, Config: cfg, Mode: mode, Status: result.StatusOK,
			Time: stats.Summarize(ts), Loops: sp.loops, Samples: ss, PeakRSSBytes: rss,
			Sources: map[string]string{"time": result.PassTiming, "minor_faults": result.PassTiming, "major_faults": result.PassTiming, "cpu": result.PassTiming}}
		run.PerIteration.MinorFaults = round3(minf / float64(n))
		per := result.UnitCall
		if mode == result.ModeProcess {
			per = result.UnitRun
		}
		run.CPU = &result.CPUTime{User: round9(user / float64(n)), System: round9(sys / float64(n)), Per: per}
		r.Results = append(r.Results, run)
	}
}

// compare stores r's summary with base as the reference, as the
// pipeline assembles a result, and names the verdict's finding among
// those r has so far (finish names it again once all are in).
func compare(r *result.Result, base string) {
	ref := r.Reference
	r.Reference = base
	summary.Of(r).Store(r)
	r.Reference = ref
	finish(r)
}

// finish names the finding that explains the verdict, as the pipeline
// does once the diagnosis is in.
func finish(r *result.Result) *result.Result {
	if r.Verdict != nil {
		r.Verdict.Finding = diagnose.Primary(r.Findings, r.Verdict)
	}
	return r
}

var fixtureStart = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

const (
	seedSetup = "import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)"
	seedA     = "a.astype(np.float64) / 255.0"
	seedB     = "t = a.astype(np.float64); t / 255.0"
	seedFix   = "t = a.astype(np.float64); np.divide(t, 255.0, out=t)"
	tunedEnv  = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"
	libdir    = "/usr/lib/x86_64-linux-gnu/"
)

func seedFixture() *result.Result {
	r := result.New(result.KindTimeit, "0.1.0-dev", []string{"timeit", "-s", seedSetup, seedA, seedB})
	r.Started = fixtureStart
	r.Setup = seedSetup
	r.Host = result.Host{Kernel: "6.18.44", Arch: "x86_64", CPUs: 2, CPUModel: "AMD EPYC", PageSize: 4096, THP: "madvise",
		PMU: false, Libc: "glibc 2.36", Python: "/usr/bin/python3", PyVer: "3.11.2", NumPy: "1.24.2", FaultCostSeconds: 10.5e-6}
	r.Candidates = []result.Candidate{
		{Name: "A", Label: seedA, Statement: seedA},
		{Name: "B", Label: seedB, Statement: seedB},
		{Name: "B-fix", Label: seedFix, Statement: seedFix, FixOf: "B"},
	}
	r.Configs = []result.Config{
		{Name: "glibc", Description: "glibc malloc with its default, dynamic thresholds", Env: map[string]string{}, Status: result.StatusOK},
		{Name: "glibc-tuned", Description: "glibc with fixed, raised mmap and trim thresholds: the heap top is kept between calls",
			Env: map[string]string{"GLIBC_TUNABLES": tunedEnv}, Status: result.StatusOK,
			Derived: "mmap_threshold = 4 x the largest allocation seen (8,000,000 B), capped at glibc's 32 MiB maximum; trim_threshold = 8 x mmap_threshold"},
		{Name: "glibc-hugetlb", Description: "glibc advises transparent huge pages for its heap (the trim cycle remains, with 512x fewer faults)",
			Env: map[string]string{"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}, Status: result.StatusOK},
		{Name: "tcmalloc", Description: "gperftools tcmalloc: releases freed spans to the kernel gradually",
			Env: map[string]string{"LD_PRELOAD": libdir + "libtcmalloc_minimal.so.4"}, Status: result.StatusOK},
		{Name: "jemalloc", Description: "jemalloc 5.3 defaults: purges freed 8 MiB extents at once",
			Env: map[string]string{"LD_PRELOAD": libdir + "libjemalloc.so.2"}, Status: result.StatusOK},
		{Name: "jemalloc-nodecay", Description: "jemalloc with dirty-page decay off: freed extents are kept",
			Env: map[string]string{"LD_PRELOAD": libdir + "libjemalloc.so.2", "MALLOC_CONF": "dirty_decay_ms:-1"}, Status: result.StatusOK},
		{Name: "mimalloc", Description: "mimalloc 2.0: decommits freed pages only after 25 ms",
			Env: map[string]string{"LD_PRELOAD": libdir + "libmimalloc.so.2"}, Status: result.StatusOK},
		{Name: "scudo", Description: "LLVM's hardened scudo allocator",
			Env:    map[string]string{"LD_PRELOAD": "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo_standalone-x86_64.so"},
			Status: result.StatusFailed, Reason: "probe exited with signal SIGSEGV before its first record (scudo cannot be preloaded into this interpreter)"},
	}
	rng := rand.New(rand.NewPCG(20260115, 1))

	// After B, glibc has trimmed the heap top; the next candidate's first
	// iteration faults its 7.6 MiB buffer back in (about 650 faults,
	// 6.9 ms, spread over its 330 loops).
	refault := func(prev string) (float64, float64) {
		if prev == "B" {
			return 0.07, 2.0
		}
		return 0, 0
	}
	type cfgSpec struct {
		name   string
		specs  []candSpec
		rounds int
		rss    int64
	}
	a := func(med, flt float64) candSpec {
		return candSpec{name: "A", median: med, sigma: 0.015, faults: flt, loops: max(1, int(0.1/med)), warmT: 0.05, warmF: 1.3}
	}
	b := func(med, flt float64) candSpec {
		return candSpec{name: "B", median: med, sigma: 0.02, faults: flt, loops: max(1, int(0.1/med)), warmT: 0.04, warmF: 30}
	}
	cfgs := []cfgSpec{
		{"glibc", []candSpec{
			{name: "A", median: 0.289e-3, sigma: 0.015, faults: 0, loops: 330, afterPenalty: refault, warmT: 0.05, warmF: 1.3},
			b(16.16e-3, 1319),
			{name: "B-fix", median: 0.283e-3, sigma: 0.015, faults: 0, loops: 340, afterPenalty: refault, warmT: 0.05, warmF: 1.3},
		}, 20, 62640128},
		{"glibc-tuned", []candSpec{a(0.279e-3, 0), b(0.377e-3, 0)}, 12, 79888384},
		{"glibc-hugetlb", []candSpec{a(0.289e-3, 0), b(1.095e-3, 8)}, 12, 64225280},
		{"tcmalloc", []candSpec{a(0.296e-3, 0.4), b(0.392e-3, 2.7)}, 12, 81113088},
		{"jemalloc", []candSpec{a(10.19e-3, 932), b(21.31e-3, 1864)}, 12, 66191360},
		{"jemalloc-nodecay", []candSpec{a(0.300e-3, 0), b(0.357e-3, 0)}, 12, 83456000},
		{"mimalloc", []candSpec{a(0.292e-3, 0), b(0.364e-3, 0)}, 12, 88080384},
	}
	timingSeconds := map[string]float64{}
	for _, c := range cfgs {
		seq := 0
		samples := simulate(rng, c.specs, c.rounds, &seq)
		addRuns(r, c.name, result.ModeInterleaved, c.specs, samples, c.rss)
		var s float64
		for _, sp := range c.specs {
			s += float64(len(samples[sp.name])) * float64(sp.loops) * sp.median
		}
		timingSeconds[c.name] = math.Round((s+0.9)*10) / 10 // plus probe start-up and calibration
		r.Passes = append(r.Passes, result.Pass{Name: result.PassTiming, Config: c.name, Seconds: timingSeconds[c.name], Note: result.ModeInterleaved})
		if c.name == "glibc" {
			// Each candidate alone in a fresh process: no switches, so
			// no refaults for A; B's trim cycle is its own.
			for _, sp := range []candSpec{a(0.289e-3, 0), b(15.91e-3, 1318)} {
				seq := 0
				one := simulate(rng, []candSpec{sp}, 15, &seq)
				rss := int64(45375488)
				if sp.name == "B" {
					rss = 53477376
				}
				addRuns(r, "glibc", result.ModeIsolated, []candSpec{sp}, one, rss)
				r.Passes = append(r.Passes, result.Pass{Name: result.PassTiming, Config: "glibc", Candidate: sp.name,
					Seconds: math.Round((16*float64(sp.loops)*sp.median+0.8)*10) / 10, Note: result.ModeIsolated})
			}
		}
	}
	r.Results = append(r.Results,
		result.Run{Candidate: "A", Config: "scudo", Mode: result.ModeInterleaved, Status: result.StatusFailed, Error: r.Configs[7].Reason},
		result.Run{Candidate: "B", Config: "scudo", Mode: result.ModeInterleaved, Status: result.StatusFailed, Error: r.Configs[7].Reason})
	r.Passes = append(r.Passes, result.Pass{Name: result.PassTiming, Config: "scudo", Seconds: 0.4, Note: result.ModeInterleaved})

	// Diagnostic passes under the default configuration.
	const grow, shrink, advised = 7999488, 15998976, 7995392
	sys := map[string]*result.Syscalls{
		"A": {Madvise: 1, AdvisedBytes: advised, Advice: map[string]float64{"MADV_HUGEPAGE": 1}, Iterations: 50,
			Sizes: []result.SizeCount{{Call: "madvise:MADV_HUGEPAGE", Bytes: advised, Per: 1}}},
		"B": {Brk: 3, Madvise: 2, BrkGrowBytes: 2 * grow, BrkShrinkBytes: shrink, AdvisedBytes: 2 * advised,
			Advice: map[string]float64{"MADV_HUGEPAGE": 2}, Iterations: 50,
			Sizes: []result.SizeCount{{Call: "brk-", Bytes: shrink, Per: 1}, {Call: "brk+", Bytes: grow, Per: 2}, {Call: "madvise:MADV_HUGEPAGE", Bytes: advised, Per: 2}}},
		"B-fix": {Madvise: 1, AdvisedBytes: advised, Advice: map[string]float64{"MADV_HUGEPAGE": 1}, Iterations: 50,
			Sizes: []result.SizeCount{{Call: "madvise:MADV_HUGEPAGE", Bytes: advised, Per: 1}}},
	}
	const buf = 8000000
	alloc := map[string]*result.Allocations{
		"A":     {Count: 1, Bytes: buf, PeakBytes: buf + 112, Large: []result.SizeCount{{Call: "malloc", Bytes: buf, Per: 1}}, Iterations: 5},
		"B":     {Count: 2, Bytes: 2 * buf, PeakBytes: 2*buf + 224, Large: []result.SizeCount{{Call: "malloc", Bytes: buf, Per: 2}}, Iterations: 5},
		"B-fix": {Count: 1, Bytes: buf, PeakBytes: buf + 112, Large: []result.SizeCount{{Call: "malloc", Bytes: buf, Per: 1}}, Iterations: 5},
	}
	overhead := map[string]float64{"A": 1.11, "B": 1.01, "B-fix": 1.1}
	for _, c := range []string{"A", "B", "B-fix"} {
		run := r.Run(c, "glibc", result.ModeInterleaved)
		run.PerIteration.Syscalls = sys[c]
		run.PerIteration.Allocations = alloc[c]
		run.Sources["syscalls"] = result.PassTrace
		run.Sources["allocations"] = result.PassAlloc
		r.Passes = append(r.Passes, result.Pass{Name: result.PassTrace, Config: "glibc", Candidate: c, Seconds: 0.8, Overhead: overhead[c],
			Note: "seccomp filter + ptrace: only brk, mmap, munmap, mremap and madvise stop the target"})
	}
	r.Passes = append(r.Passes, result.Pass{Name: result.PassAlloc, Config: "glibc", Seconds: 1.9,
		Note: "tracemalloc with bytecode-level tracing; no times taken"})

	compare(r, "A")

	med := func(c, cfg string) float64 { return r.Run(c, cfg, result.ModeInterleaved).Time.Median }
	flt := func(c, cfg string) float64 { return r.Run(c, cfg, result.ModeInterleaved).PerIteration.MinorFaults }
	ratio := func(cfg, c string) float64 { return round3(r.Comparison(cfg, result.ModeInterleaved, c).Ratio) }

	// heap-trim-refault: the time model of docs/causes.md (Method) —
	// 4 KiB faults at the calibrated cost, 5 THP faults of ~110 µs, and
	// releasing 15.3 MiB (about 3,900 pages at ~0.09 µs) per call.
	faultTime := flt("B", "glibc") * r.Host.FaultCostSeconds
	thpTime, releaseTime := 5*110e-6, 0.35e-3
	gap := med("B", "glibc") - med("A", "glibc")
	trim := result.Finding{
		Cause: "heap-trim-refault",
		Summary: "glibc gives B's 15.3 MiB heap top back to the kernel with brk after every call (two live 7.6 MiB blocks " +
			"push the top past the dynamic trim threshold), so the next call faults it in again: 1,319 minor faults per call, none for A",
		Candidate: "B", Config: "glibc",
		Evidence: []result.Evidence{
			{What: "minor page faults per iteration", Candidate: "B", Config: "glibc", Value: flt("B", "glibc"), Unit: "faults", Pass: result.PassTiming},
			{What: "minor page faults per iteration", Candidate: "A", Config: "glibc", Value: flt("A", "glibc"), Unit: "faults", Pass: result.PassTiming},
			{What: "brk calls per iteration (grow, grow, shrink)", Candidate: "B", Config: "glibc", Value: 3, Unit: "calls", Pass: result.PassTrace},
			{What: "heap returned to the kernel per iteration", Candidate: "B", Config: "glibc", Value: shrink, Unit: "B", Pass: result.PassTrace},
			{What: "brk calls per iteration", Candidate: "A", Config: "glibc", Value: 0, Unit: "calls", Pass: result.PassTrace},
			{What: "time in 4 KiB faults (faults x 10.5 µs calibrated)", Candidate: "B", Config: "glibc", Value: round9(faultTime), Unit: "s", Pass: result.PassTiming},
			{What: "time in 2 MiB huge-page faults (5 x ~110 µs)", Candidate: "B", Config: "glibc", Value: thpTime, Unit: "s", Pass: result.PassTiming},
			{What: "time releasing 15.3 MiB per iteration", Candidate: "B", Config: "glibc", Value: releaseTime, Unit: "s", Pass: result.PassTiming},
			{What: "minor page faults per iteration with the thresholds fixed", Candidate: "B", Config: "glibc-tuned", Value: flt("B", "glibc-tuned"), Unit: "faults", Pass: result.PassTiming},
		},
		Explains:   math.Round((faultTime+thpTime+releaseTime)/gap*100) / 100,
		Confidence: "high",
		Fixes: []result.Fix{
			{Kind: result.FixEnv, Change: "raise glibc's mmap threshold to 32 MiB and its trim threshold to 256 MiB so the heap top is kept between calls (set both: setting one freezes the other)",
				Env: map[string]string{"GLIBC_TUNABLES": tunedEnv}, Verified: true, Config: "glibc-tuned",
				Ratio: ratio("glibc-tuned", "B"), Speedup: round3(med("B", "glibc") / med("B", "glibc-tuned"))},
			{Kind: result.FixEnv, Change: "use tcmalloc, which returns freed spans to the kernel only gradually",
				Env: map[string]string{"LD_PRELOAD": libdir + "libtcmalloc_minimal.so.4"}, Verified: true, Config: "tcmalloc",
				Ratio: ratio("tcmalloc", "B"), Speedup: round3(med("B", "glibc") / med("B", "tcmalloc"))},
			{Kind: result.FixEnv, Change: "let glibc back its heap with transparent huge pages: the trim cycle remains but costs 8 faults per call instead of 1,319 (a partial fix)",
				Env: map[string]string{"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}, Verified: true, Config: "glibc-hugetlb",
				Ratio: ratio("glibc-hugetlb", "B"), Speedup: round3(med("B", "glibc") / med("B", "glibc-hugetlb"))},
			{Kind: result.FixEnv, Change: "keep 64 MiB of padding at the heap top so a trim never returns the buffers",
				Env: map[string]string{"GLIBC_TUNABLES": "glibc.malloc.top_pad=67108864"}, Verified: false},
		},
	}
	extra := result.Finding{
		Cause: "extra-buffer",
		Summary: "B keeps t alive while t / 255.0 writes its result to a second 7.6 MiB buffer (NumPy reuses only an unnamed " +
			"temporary in place); A divides its temporary in place, so it allocates and writes one buffer per call instead of two",
		Candidate: "B", Config: "glibc-tuned",
		Evidence: []result.Evidence{
			{What: "allocations of 256 KiB or more per iteration", Candidate: "B", Config: "glibc", Value: 2, Unit: "allocs", Pass: result.PassAlloc},
			{What: "allocations of 256 KiB or more per iteration", Candidate: "A", Config: "glibc", Value: 1, Unit: "allocs", Pass: result.PassAlloc},
			{What: "peak traced memory per iteration", Candidate: "B", Config: "glibc", Value: 2*buf + 224, Unit: "B", Pass: result.PassAlloc},
			{What: "peak traced memory per iteration", Candidate: "A", Config: "glibc", Value: buf + 112, Unit: "B", Pass: result.PassAlloc},
			{What: "B/A with no page faults on either side", Candidate: "B", Config: "glibc-tuned", Value: ratio("glibc-tuned", "B"), Unit: "x", Pass: result.PassTiming},
			{What: "B-fix/A: B rewritten to divide in place", Candidate: "B-fix", Config: "glibc", Value: ratio("glibc", "B-fix"), Unit: "x", Pass: result.PassTiming},
		},
		// Without faults (glibc-tuned) the rewritten B-fix is as fast as A,
		// so the second buffer accounts for most of what remains; how much
		// exactly is not separable from cache effects, hence "medium".
		Explains:   0.9,
		Confidence: "medium",
		Fixes: []result.Fix{
			{Kind: result.FixCode, Change: "divide in place so only one 7.6 MiB buffer is alive per call", Code: seedFix,
				Verified: true, Config: "B-fix", Ratio: ratio("glibc", "B-fix"), Speedup: round3(med("B", "glibc") / med("B-fix", "glibc"))},
		},
	}
	r.Findings = []result.Finding{trim, extra}
	r.Notes = []string{
		"no PMU in this VM: cycles and instructions are off; page faults come from getrusage around each sample",
		"B's fault count depends on where ASLR places the heap relative to 2 MiB boundaries (808 or 1,319 per call in different processes): compare fault counts across processes, not only times",
		"A's samples right after B are about 7% slower: B's trim leaves A to fault its buffer back in (see the order effect and the timeline)",
	}
	var wall float64
	for _, p := range r.Passes {
		wall += p.Seconds
	}
	r.WallSeconds = math.Round(wall*10) / 10
	return r
}

func runFixture() *result.Result {
	r := result.New(result.KindRun, "0.1.0-dev", []string{"run", "./resize --reserve", "./resize", "./resize --mmap-every"})
	r.Started = fixtureStart.Add(2 * time.Hour)
	r.Host = result.Host{Kernel: "6.1.0-28-amd64", Arch: "x86_64", CPUs: 8, CPUModel: "Intel(R) Core(TM) i7-10510U CPU @ 1.80GHz",
		PageSize: 4096, THP: "always", PMU: true, Libc: "glibc 2.36", FaultCostSeconds: 0.62e-6}
	r.Candidates = []result.Candidate{
		{Name: "A", Label: "./resize --reserve", Command: []string{"./resize", "--reserve"}},
		{Name: "B", Label: "./resize", Command: []string{"./resize"}},
		{Name: "C", Label: "./resize --mmap-every", Command: []string{"./resize", "--mmap-every"}},
	}
	r.Configs = []result.Config{{Name: "glibc", Description: "glibc malloc with its default, dynamic thresholds", Env: map[string]string{}, Status: result.StatusOK}}
	rng := rand.New(rand.NewPCG(7, 7))
	specs := []candSpec{
		{name: "A", median: 0.2118, sigma: 0.03, faults: 5410, loops: 1, warmT: 0.12, warmF: 300},
		{name: "B", median: 0.3884, sigma: 0.04, faults: 98012, loops: 1, warmT: 0.1, warmF: 300},
	}
	seq := 0
	samples := simulate(rng, specs, 10, &seq)
	// Separate processes: nothing carries over from the previous run.
	for _, ss := range samples {
		for i := range ss {
			ss[i].After = ""
		}
	}
	addRuns(r, "glibc", result.ModeProcess, specs, samples, 0)
	a, b := r.Run("A", "glibc", result.ModeProcess), r.Run("B", "glibc", result.ModeProcess)
	a.PeakRSSBytes, b.PeakRSSBytes = 27394048, 412712960
	a.PerIteration.Counters = map[string]float64{"page-faults": 5410, "context-switches": 14, "task-clock": 0.2101, "cycles": 7.91e8, "instructions": 1.62e9}
	b.PerIteration.Counters = map[string]float64{"page-faults": 98012, "context-switches": 31, "task-clock": 0.3862, "cycles": 1.44e9, "instructions": 1.71e9}
	a.Sources["counters"], b.Sources["counters"] = result.PassTiming, result.PassTiming
	b.Failures = []result.Failure{{Run: 7, ExitCode: 137, Signal: "SIGKILL", Reason: "killed while the machine was out of memory"}}
	r.Results = append(r.Results, result.Run{Candidate: "C", Config: "glibc", Mode: result.ModeProcess, Status: result.StatusFailed,
		Error: "exit status 2 in every run: ./resize: unrecognized option '--mmap-every'",
		Failures: []result.Failure{{Run: 0, ExitCode: 2, Reason: "./resize: unrecognized option '--mmap-every'"},
			{Run: 1, ExitCode: 2, Reason: "./resize: unrecognized option '--mmap-every'"}}})
	compare(r, "A")
	r.Passes = []result.Pass{{Name: result.PassTiming, Config: "glibc", Seconds: 7.6, Note: result.ModeProcess}}
	r.Notes = []string{
		"C failed in both of its first runs and was not run again",
		"run measures whole processes: the allocation pass needs the Python probe and was skipped",
	}
	r.WallSeconds = 7.9
	return r
}

func noDiffFixture() *result.Result {
	const setup = "import numpy as np; x = np.random.rand(10_000)"
	r := result.New(result.KindTimeit, "0.1.0-dev", []string{"timeit", "-s", setup, "x * 2.0", "x + x", "--no-experiments"})
	r.Started = fixtureStart.Add(3 * time.Hour)
	r.Setup = setup
	r.Host = result.Host{Kernel: "6.18.44", Arch: "x86_64", CPUs: 2, CPUModel: "AMD EPYC", PageSize: 4096, THP: "madvise",
		PMU: false, Libc: "glibc 2.36", Python: "/usr/bin/python3", PyVer: "3.11.2", NumPy: "1.24.2", FaultCostSeconds: 10.5e-6}
	r.Candidates = []result.Candidate{
		{Name: "A", Label: "x * 2.0", Statement: "x * 2.0"},
		{Name: "B", Label: "x + x", Statement: "x + x"},
	}
	r.Configs = []result.Config{{Name: "glibc", Description: "glibc malloc with its default, dynamic thresholds", Env: map[string]string{}, Status: result.StatusOK}}
	rng := rand.New(rand.NewPCG(42, 3))
	specs := []candSpec{
		{name: "A", median: 5.21e-6, sigma: 0.02, loops: 19000, warmT: 0.08, warmF: 0.01},
		{name: "B", median: 5.22e-6, sigma: 0.02, loops: 19000, warmT: 0.08, warmF: 0.01},
	}
	seq := 0
	addRuns(r, "glibc", result.ModeInterleaved, specs, simulate(rng, specs, 14, &seq), 35127296)
	for _, sp := range specs {
		seq := 0
		addRuns(r, "glibc", result.ModeIsolated, []candSpec{sp}, simulate(rng, []candSpec{sp}, 10, &seq), 34996224)
	}
	for _, c := range []string{"A", "B"} {
		run := r.Run(c, "glibc", result.ModeInterleaved)
		run.PerIteration.Syscalls = &result.Syscalls{Iterations: 2000}
		run.PerIteration.Allocations = &result.Allocations{PeakBytes: 80112, Iterations: 5}
		run.Sources["syscalls"], run.Sources["allocations"] = result.PassTrace, result.PassAlloc
	}
	compare(r, "A")
	r.Passes = []result.Pass{
		{Name: result.PassTiming, Config: "glibc", Seconds: 3.1, Note: result.ModeInterleaved},
		{Name: result.PassTiming, Config: "glibc", Candidate: "A", Seconds: 1.2, Note: result.ModeIsolated},
		{Name: result.PassTiming, Config: "glibc", Candidate: "B", Seconds: 1.2, Note: result.ModeIsolated},
		{Name: result.PassTrace, Config: "glibc", Seconds: 0.6, Overhead: 1.0, Note: "seccomp filter + ptrace: only brk, mmap, munmap, mremap and madvise stop the target"},
		{Name: result.PassAlloc, Config: "glibc", Seconds: 0.9, Note: "tracemalloc with bytecode-level tracing; no times taken"},
	}
	r.Notes = []string{"A and B are equivalent within ±2%: the allocator experiments and the diagnosis were skipped"}
	r.WallSeconds = 7.2
	return r
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
