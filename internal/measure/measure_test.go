package measure

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/hosttest"
	"github.com/faultline/faultline/internal/perftrace"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/ptrace"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
	"github.com/faultline/faultline/internal/testenv"
)

const seedSetup = "import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)"

func numpyPython(t *testing.T) string {
	t.Helper()
	py, ok := probe.FindNumPy(context.Background())
	if !ok {
		testenv.Missing(t, "no Python with NumPy: apt-get install python3-numpy (test.sh does)")
	}
	return py.Path
}

func pythonTarget(py, setup string) Target {
	return Target{Spec: func(cands []result.Candidate, env []string) (probe.Spec, error) {
		pc := make([]probe.Candidate, len(cands))
		for i, c := range cands {
			pc[i] = probe.Candidate{Name: c.Name, Statement: c.Statement}
		}
		s, err := probe.PythonSpec(py, setup, pc)
		s.Env = env
		return s, err
	}}
}

// seedResult is an empty result for the seed case's two statements.
func seedResult() *result.Result {
	res := result.New(result.KindTimeit, "test", nil)
	res.Setup = seedSetup
	res.Candidates = []result.Candidate{
		{Name: "A", Statement: "a.astype(np.float64) / 255.0"},
		{Name: "B", Statement: "t = a.astype(np.float64); t / 255.0"},
	}
	return res
}

func baselineOnly() []result.Config {
	return []result.Config{{Name: result.DefaultConfig, Env: map[string]string{}}}
}

// TestSeedCase measures the NumPy case that started faultline under the
// default glibc and checks the mechanism: the named temporary is
// significantly slower, with hundreds of page faults per call while the
// unnamed one barely faults, and its extra time is what those faults cost
// on this host (hosttest.GapFromFaults), whatever the host's fault price
// and arithmetic speed (2.3-2.7x on hosts with 1 µs faults, 8-12x on
// hosts with slower ones).
func TestSeedCase(t *testing.T) {
	py := numpyPython(t)
	res := seedResult()
	o := &Options{Isolated: true, Warmup: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Matrix(ctx, res, pythonTarget(py, seedSetup), baselineOnly(), o); err != nil {
		t.Fatal(err)
	}
	a := res.Run("A", result.DefaultConfig, result.ModeInterleaved)
	b := res.Run("B", result.DefaultConfig, result.ModeInterleaved)
	summary.Of(res).Store(res)
	c := res.Comparison(result.DefaultConfig, result.ModeInterleaved, "B")
	if a == nil || b == nil || c == nil {
		t.Fatalf("missing runs or comparison: %+v", res.Comparisons)
	}
	t.Logf("A %.3f ms %.1f flt/iter; B %.3f ms %.1f flt/iter; B/A %.1fx p=%.2g",
		a.Time.Median*1e3, a.PerIteration.MinorFaults, b.Time.Median*1e3, b.PerIteration.MinorFaults, c.Ratio, c.P)
	if c.Baseline != "A" || c.Ratio <= 1 || c.P >= 0.01 || !c.Significant {
		t.Errorf("B/A = %.2f (p=%.3g), want B significantly slower (p < 0.01)", c.Ratio, c.P)
	}
	if b.PerIteration.MinorFaults < 300 {
		t.Errorf("B: %.1f minor faults per iteration, want >= 300", b.PerIteration.MinorFaults)
	}
	// A reuses its heap: a few faults an iteration at most, where its
	// heap meets B's trimmed top (2.8-8 here, from one process to the
	// next), against B's hundreds.
	if a.PerIteration.MinorFaults > max(5, b.PerIteration.MinorFaults/50) {
		t.Errorf("A: %.1f minor faults per iteration, want <= max(5, B's %.0f / 50)", a.PerIteration.MinorFaults, b.PerIteration.MinorFaults)
	}
	// Besides the faults B divides out of place: at most one more pass
	// over the data than A's whole call.
	hosttest.GapFromFaults(t, "B - A under glibc", b.Time.Median, a.Time.Median,
		b.PerIteration.MinorFaults-a.PerIteration.MinorFaults, a.Time.Median)
	for _, name := range []string{"A", "B"} {
		iso := res.Run(name, result.DefaultConfig, result.ModeIsolated)
		if iso == nil || iso.Status != result.StatusOK || iso.Time.N < 6 {
			t.Errorf("isolated run of %s missing or short: %+v", name, iso)
		} else if len(iso.ProcessFaults) < isolatedProcesses || len(iso.ProcessFaults) > isolatedProcesses+isolatedExtra {
			t.Errorf("isolated run of %s: faults of %d processes, want %d to %d", name, len(iso.ProcessFaults), isolatedProcesses, isolatedProcesses+isolatedExtra)
		}
	}
	// Samples are recorded in process order with the candidate that ran before.
	switched := 0
	for _, s := range a.Samples {
		if s.After == "B" {
			switched++
		}
	}
	if switched == 0 {
		t.Error("no A sample recorded as following B in the interleaved process")
	}
}

// TestConfigFailureIsRecorded: a configuration under which the target
// cannot start is recorded as failed with a reason and does not stop the
// others.
func TestConfigFailureIsRecorded(t *testing.T) {
	py := numpyPython(t)
	res := result.New(result.KindTimeit, "test", nil)
	res.Candidates = []result.Candidate{{Name: "A", Statement: "sum(range(100))"}, {Name: "B", Statement: "sum(range(200))"}}
	configs := append(baselineOnly(),
		result.Config{Name: "broken", Env: map[string]string{"PYTHONHOME": "/nonexistent"}},
		result.Config{Name: "user", Env: map[string]string{"FOO": "1"}})
	o := &Options{Rounds: 6, SampleTime: 2 * time.Millisecond,
		Env: func(c result.Config) []string {
			env := []string{"PATH=/usr/bin:/bin"}
			for k, v := range c.Env {
				env = append(env, k+"="+v)
			}
			return env
		}}
	if err := Matrix(context.Background(), res, pythonTarget(py, ""), configs, o); err != nil {
		t.Fatal(err)
	}
	if c := res.Config("broken"); c.Status != result.StatusFailed || c.Reason == "" {
		t.Errorf("broken config: %+v", c)
	}
	if c := res.Config("user"); c.Status != result.StatusOK {
		t.Errorf("user config: %+v", c)
	}
	if r := res.Run("B", "user", result.ModeInterleaved); r == nil || r.Time.N != 6 {
		t.Errorf("user config run: %+v", r)
	}
	if r := res.Run("A", "broken", result.ModeInterleaved); r == nil || r.Status != result.StatusFailed {
		t.Errorf("broken config run: %+v", r)
	}
}

// TestInterruptKeepsSamples: cancelling mid-measurement returns the context
// error and keeps every sample taken so far.
func TestInterruptKeepsSamples(t *testing.T) {
	py := numpyPython(t)
	res := result.New(result.KindTimeit, "test", nil)
	res.Candidates = []result.Candidate{{Name: "A", Statement: "sum(range(1000))"}, {Name: "B", Statement: "sum(range(2000))"}}
	ctx, cancel := context.WithCancel(context.Background())
	o := &Options{Rounds: 100000, SampleTime: time.Millisecond}
	go func() { time.Sleep(1500 * time.Millisecond); cancel() }()
	err := Matrix(ctx, res, pythonTarget(py, ""), baselineOnly(), o)
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	r := res.Run("A", result.DefaultConfig, result.ModeInterleaved)
	if r == nil || r.Time.N < 3 {
		t.Fatalf("samples before the interrupt were lost: %+v", r)
	}
}

// TestExperimentOptions: experiments size their samples from the
// baseline's times (no autorange) and stop at a looser interval.
func TestExperimentOptions(t *testing.T) {
	res := result.New(result.KindTimeit, "test", nil)
	res.Results = []result.Run{
		{Candidate: "A", Config: result.DefaultConfig, Mode: result.ModeInterleaved, Status: result.StatusOK, Time: result.Estimate{Median: 2e-4}},
		{Candidate: "B", Config: result.DefaultConfig, Mode: result.ModeIsolated, Status: result.StatusOK, Time: result.Estimate{Median: 1e-3}},
		{Candidate: "B", Config: "other", Mode: result.ModeInterleaved, Status: result.StatusOK, Time: result.Estimate{Median: 1e-3}},
	}
	o := &Options{}
	o.Defaults()
	eo := o.experiment(res, result.DefaultConfig)
	if len(eo.Hints) != 1 || eo.Hints["A"] != 2e-4 {
		t.Errorf("hints %v, want only A's interleaved baseline median", eo.Hints)
	}
	if eo.ConfigBudget != o.ConfigBudget/experimentShare || eo.SampleTime != experimentSample || eo.Tight < experimentTight || eo.SteadyTight != experimentSteady {
		t.Errorf("experiment options %+v", eo)
	}
	if o.Hints != nil {
		t.Error("experiment changed the caller's options")
	}
	for _, tc := range []struct {
		target  time.Duration
		perIter float64
		want    int
	}{{50 * time.Millisecond, 2e-4, 250}, {50 * time.Millisecond, 1, 1}, {time.Millisecond, 0, 1}, {time.Second, 1e-12, 100_000_000}} {
		if got := loopsFor(tc.target, tc.perIter); got != tc.want {
			t.Errorf("loopsFor(%v, %g) = %d, want %d", tc.target, tc.perIter, got, tc.want)
		}
	}
}

// TestSeedMatrix runs the seed case's allocator experiments and checks
// the mechanism in each configuration, against the baseline measured in
// the same run: glibc's trim cycle makes B fault and its extra time is
// what those faults cost here; every allocator setting that keeps freed
// memory (glibc-tuned, tcmalloc, mimalloc, jemalloc-nodecay) removes B's
// faults and closes most of the gap, while plain jemalloc's eager purge
// of 8 MiB extents makes A fault too and slows it by what those faults
// cost.
func TestSeedMatrix(t *testing.T) {
	py := numpyPython(t)
	opts := alloc.Options{Python: true, NumPy: true, NumPyHugeDefault: true, LargestBlock: 8_000_000, PeakHeap: 16_000_000}
	catalog, err := alloc.Select(alloc.Catalog(opts), "glibc-tuned,tcmalloc,mimalloc,jemalloc,jemalloc-nodecay", nil)
	if err != nil {
		testenv.Missing(t, "allocators missing (test.sh installs them): %v", err)
	}
	res := seedResult()
	o := &Options{Warmup: 1, Env: func(c result.Config) []string { return alloc.Apply(nil, c) }}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tgt := pythonTarget(py, seedSetup)
	if err := Matrix(ctx, res, tgt, catalog[:1], o); err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, res, tgt, catalog[1:], nil, o); err != nil {
		t.Fatal(err)
	}
	run := func(cand, cfg string) *result.Run {
		r := res.Run(cand, cfg, result.ModeInterleaved)
		if r == nil || r.Status != result.StatusOK {
			t.Fatalf("no run of %s under %s", cand, cfg)
		}
		return r
	}
	median := func(cand, cfg string) float64 { return run(cand, cfg).Time.Median }
	faults := func(cand, cfg string) float64 { return run(cand, cfg).PerIteration.MinorFaults }
	gap := func(cfg string) float64 { return median("B", cfg) - median("A", cfg) }
	for _, c := range res.Configs {
		t.Logf("%-17s A %8.1f µs %7.1f flt  B %8.1f µs %7.1f flt", c.Name,
			median("A", c.Name)*1e6, faults("A", c.Name), median("B", c.Name)*1e6, faults("B", c.Name))
	}
	base := result.DefaultConfig
	summary.Of(res).Store(res)
	if c := res.Comparison(base, result.ModeInterleaved, "B"); c == nil || c.Baseline != "A" || !c.Significant || c.Ratio <= 1 {
		t.Fatalf("glibc: want B significantly slower than A, got %+v", c)
	}
	if faults("B", base) < 300 {
		t.Fatalf("glibc: B faults %.1f per iteration, want >= 300: the trim cycle is absent", faults("B", base))
	}
	hosttest.GapFromFaults(t, "glibc B - A", median("B", base), median("A", base), faults("B", base)-faults("A", base), median("A", base))
	// A quarter of the gap is left for B's out-of-place division and the
	// noise of a shorter experiment; on every host measured it was under
	// a tenth.
	for _, cfg := range []string{"glibc-tuned", "tcmalloc", "mimalloc", "jemalloc-nodecay"} {
		if f := faults("B", cfg); f > 0.1*faults("B", base) {
			t.Errorf("%s: B faults %.1f per iteration, want under a tenth of glibc's %.1f", cfg, f, faults("B", base))
		}
		hosttest.GapClosed(t, cfg+" B - A", gap(cfg), gap(base), 0.25)
	}
	if faults("A", "jemalloc") < 300 {
		t.Errorf("jemalloc: A faults %.1f per iteration, want >= 300 (every freed extent purged)", faults("A", "jemalloc"))
	}
	hosttest.GapFromFaults(t, "A under jemalloc - A under glibc", median("A", "jemalloc"), median("A", base),
		faults("A", "jemalloc")-faults("A", base), median("A", base))
	// jemalloc without decay keeps the extents: its times are glibc-tuned's,
	// not plain jemalloc's.
	for _, cand := range []string{"A", "B"} {
		d := math.Abs(median(cand, "jemalloc-nodecay") - median(cand, "glibc-tuned"))
		hosttest.GapClosed(t, cand+" jemalloc-nodecay vs glibc-tuned", d, median(cand, "jemalloc")-median(cand, "glibc-tuned"), 0.25)
	}
}

// TestSeedTraceMatchesStrace: the trace pass counts the seed case's brk
// calls per iteration as strace -c does: about 3 for B (grow, grow, trim)
// and none for A. strace's figure is per iteration by difference: the
// same script with 40 and with 10 iterations, (c40 - c10) / 30.
func TestSeedTraceMatchesStrace(t *testing.T) {
	py := numpyPython(t)
	strace, err := exec.LookPath("strace")
	if err != nil {
		testenv.Missing(t, "strace not installed (test.sh installs it)")
	}
	if err := ptrace.Probe(); err != nil {
		t.Skipf("tracing unavailable here: %v", err)
	}
	res := seedResult()
	o := &Options{Rounds: 3, SampleTime: 20 * time.Millisecond}
	ctx := context.Background()
	tgt := pythonTarget(py, seedSetup)
	if err := Matrix(ctx, res, tgt, baselineOnly(), o); err != nil {
		t.Fatal(err)
	}
	// Both recorders: perf tracepoints (where this machine allows them)
	// and the seccomp+ptrace tracer.
	tracers := []string{"ptrace"}
	if err := perftrace.Available(); err == nil {
		tracers = append(tracers, "perf")
	} else {
		t.Logf("perf recorder unavailable here: %v", err)
	}
	brks := map[string]map[string]float64{}
	for _, tracer := range tracers {
		res.Passes = nil
		if err := Trace(ctx, res, tgt, baselineOnly()[0], 10, only(tracer), nil, o); err != nil {
			t.Fatalf("%s: %v", tracer, err)
		}
		if len(res.Passes) != 1 || !strings.Contains(res.Passes[0].Note, map[string]string{"perf": "perf", "ptrace": "seccomp"}[tracer]) {
			t.Errorf("%s: pass %+v", tracer, res.Passes)
		}
		brks[tracer] = map[string]float64{}
		for _, c := range []string{"A", "B"} {
			r := res.Run(c, result.DefaultConfig, result.ModeInterleaved)
			if r == nil || r.PerIteration.Syscalls == nil || r.PerIteration.Syscalls.Iterations != 10 {
				t.Fatalf("%s: no syscalls for 10 iterations of %s", tracer, c)
			}
			brks[tracer][c] = r.PerIteration.Syscalls.Brk
			r.PerIteration.Syscalls = nil
		}
	}
	for tracer, brk := range brks {
		t.Run(tracer, func(t *testing.T) { checkSeedBrk(t, py, strace, brk, res) })
	}
}

// only returns the recorders with just the one named.
func only(tracer string) Recorders {
	return Recorders{Perf: tracer == "perf", Ptrace: tracer == "ptrace"}
}

// TestPassesShareTheBaselineProbe: with the perf recorder, the trace and
// allocation passes run in the baseline's own probe, still running after
// its timing, and then close it: no process of their own.
func TestPassesShareTheBaselineProbe(t *testing.T) {
	py := numpyPython(t)
	if err := perftrace.Available(); err != nil {
		t.Skipf("perf recorder unavailable here: %v", err)
	}
	res := seedResult()
	o := &Options{Rounds: 3, SampleTime: 20 * time.Millisecond}
	ctx := context.Background()
	tgt := pythonTarget(py, seedSetup)
	starts := 0
	counted := Target{Spec: func(c []result.Candidate, env []string) (probe.Spec, error) {
		starts++
		return tgt.Spec(c, env)
	}}
	cfg := baselineOnly()[0]
	live, err := Baseline(ctx, res, counted, cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if live == nil || starts != 1 {
		t.Fatalf("baseline: live probe %v after %d probe starts, want one kept", live, starts)
	}
	pid := live.s.Pid()
	if r := res.Run("B", cfg.Name, result.ModeInterleaved); r == nil || r.PeakRSSBytes < 8<<20 {
		t.Errorf("B's interleaved run has no peak RSS from the live probe: %+v", r)
	}
	if err := Trace(ctx, res, counted, cfg, 10, Recorders{Perf: true}, live, o); err != nil {
		t.Fatal(err)
	}
	if err := Alloc(ctx, res, counted, cfg, 3, live, o); err != nil {
		t.Fatal(err)
	}
	if starts != 1 {
		t.Errorf("%d probe starts, want the baseline's only", starts)
	}
	for _, c := range []string{"A", "B"} {
		r := res.Run(c, cfg.Name, result.ModeInterleaved)
		if r.PerIteration.Syscalls == nil || r.PerIteration.Syscalls.Iterations != 10 || r.PerIteration.Allocations == nil {
			t.Errorf("%s: syscalls %+v, allocations %+v", c, r.PerIteration.Syscalls, r.PerIteration.Allocations)
		}
	}
	if b := res.Run("B", cfg.Name, result.ModeInterleaved).PerIteration.Syscalls; b != nil && b.Brk < 2 {
		t.Errorf("B: %v brk calls per call, want its grow and trim", b.Brk)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("the baseline probe (pid %d) still runs after the allocation pass", pid)
	}
	live.Close() // closed already: a no-op
}

func checkSeedBrk(t *testing.T, py, strace string, brk map[string]float64, res *result.Result) {
	straceBrk := func(stmt string, n int) float64 {
		script := filepath.Join(t.TempDir(), "seed.py")
		src := fmt.Sprintf("%s\ndef f():\n    %s\nfor _ in range(%d):\n    f()\n", strings.ReplaceAll(seedSetup, "; ", "\n"), stmt, n)
		if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(strace, "-f", "-c", "-e", "trace=brk", "-o", "/dev/stdout", py, script).Output()
		if err != nil {
			t.Fatalf("strace: %v", err)
		}
		m := regexp.MustCompile(`(?m)^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?brk$`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no brk line in strace -c output:\n%s", out)
		}
		v, _ := strconv.Atoi(string(m[1]))
		return float64(v)
	}
	for c, stmt := range map[string]string{"A": res.Candidates[0].Statement, "B": res.Candidates[1].Statement} {
		want := (straceBrk(stmt, 40) - straceBrk(stmt, 10)) / 30
		t.Logf("%s: faultline %.2f brk per iteration, strace -c %.2f", c, brk[c], want)
		if math.Abs(brk[c]-want) > max(0.1*want, 0.15) {
			t.Errorf("%s: faultline counts %.2f brk per iteration, strace -c %.2f", c, brk[c], want)
		}
	}
	if brk["B"] < 2.5 || brk["A"] > 0.3 {
		t.Errorf("brk per iteration A %.2f, B %.2f; want about 0 and 3", brk["A"], brk["B"])
	}
}

// TestRunMarkedIterations: a program that marks its iterations is timed
// per marked iteration from its own end records; garbage and other verbs
// on the descriptor are ignored, and a program that marks nothing is
// timed as a whole run.
func TestRunMarkedIterations(t *testing.T) {
	marking := `printf 'begin cand=A iter=0\nend cand=A iter=0 ns=2000000 minflt=30 majflt=0\n' >&$FAULTLINE_FD
printf 'garbage \001\002 line\nend cand=A iter=1 ns=bad\n' >&$FAULTLINE_FD
printf 'end cand=A iter=1 ns=4000000 minflt=10 majflt=1\n' >&$FAULTLINE_FD`
	res := result.New(result.KindRun, "test", nil)
	res.Candidates = []result.Candidate{
		{Name: "A", Command: []string{"sh", "-c", marking}},
		{Name: "B", Command: []string{"true"}},
	}
	o := &RunOptions{Runs: 3, Argv: func(c result.Candidate) []string { return c.Command },
		Env: func(result.Config) []string { return []string{"PATH=/usr/bin:/bin"} }}
	if err := RunConfig(context.Background(), res, res.Candidates, baselineOnly()[0], o); err != nil {
		t.Fatal(err)
	}
	a := res.Run("A", result.DefaultConfig, result.ModeProcess)
	b := res.Run("B", result.DefaultConfig, result.ModeProcess)
	if a == nil || b == nil {
		t.Fatalf("runs missing: %+v", res.Results)
	}
	if a.Loops != 2 || math.Abs(a.Time.Median-0.003) > 1e-9 || a.PerIteration.MinorFaults != 20 || a.PerIteration.MajorFaults != 0.5 {
		t.Errorf("marked run: loops %d, median %g s, faults %g/%g; want 2, 0.003, 20/0.5",
			a.Loops, a.Time.Median, a.PerIteration.MinorFaults, a.PerIteration.MajorFaults)
	}
	if b.Loops != 1 || b.Time.Median <= 0 {
		t.Errorf("unmarked run: loops %d, median %g", b.Loops, b.Time.Median)
	}
}

// runTracers are the recorders run's trace pass can use here.
func runTracers() []string {
	tracers := []string{"ptrace"}
	if err := perftrace.Available(); err == nil {
		tracers = append(tracers, "perf")
	}
	return tracers
}

// traceCommand times a command runs times and traces it with tracer, as
// faultline run does, and returns the result and its per-run syscalls.
func traceCommand(t *testing.T, tracer string, runs int, argv ...string) (*result.Result, *result.Syscalls) {
	t.Helper()
	res := result.New(result.KindRun, "test", nil)
	res.Candidates = []result.Candidate{{Name: "A", Command: argv}}
	o := &RunOptions{Runs: runs, Argv: func(c result.Candidate) []string { return c.Command }}
	ctx := context.Background()
	if err := RunConfig(ctx, res, res.Candidates, baselineOnly()[0], o); err != nil {
		t.Fatal(err)
	}
	if err := RunTrace(ctx, res, baselineOnly()[0], only(tracer), o); err != nil {
		t.Fatal(err)
	}
	sc := res.Run("A", result.DefaultConfig, result.ModeProcess).PerIteration.Syscalls
	if sc == nil {
		t.Fatal("no syscalls recorded")
	}
	return res, sc
}

// TestRunTraceRecorders: faultline run's trace pass counts a whole
// command's memory syscalls the same with the perf recorder (no stops)
// and the ptrace tracer, threads included, and as strace -f -c does.
func TestRunTraceRecorders(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		testenv.Missing(t, "gcc not installed (test.sh installs it)")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		testenv.Missing(t, "strace not installed (test.sh installs it)")
	}
	bin := filepath.Join(t.TempDir(), "threads")
	if out, err := exec.Command("gcc", "-O2", "-pthread", "-I../../testdata/c", "-o", bin, "../../testdata/c/threads.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	out, err := exec.Command(strace, "-f", "-c", "-e", "trace=memory", "-o", "/dev/stdout", bin, "16").Output()
	if err != nil {
		t.Fatalf("strace: %v", err)
	}
	want := map[string]float64{}
	for _, m := range regexp.MustCompile(`(?m)^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(brk|mmap|munmap|madvise)$`).FindAllSubmatch(out, -1) {
		v, _ := strconv.Atoi(string(m[1]))
		want[string(m[2])] = float64(v)
	}
	for _, tracer := range runTracers() {
		t.Run(tracer, func(t *testing.T) {
			res, sc := traceCommand(t, tracer, 2, bin, "16")
			got := map[string]float64{"brk": sc.Brk, "mmap": sc.Mmap, "munmap": sc.Munmap, "madvise": sc.Madvise}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: %v per run, strace -f -c counts %v", k, got[k], v)
				}
			}
			if sc.Threads != 9 {
				t.Errorf("threads %d, want 9 (main + 8)", sc.Threads)
			}
			if tracer == "perf" && (len(res.Passes) == 0 || !strings.Contains(res.Passes[len(res.Passes)-1].Note, "perf")) {
				t.Errorf("pass not recorded as perf: %+v", res.Passes)
			}
		})
	}
}

// TestAnotherIsolatedProcess: a fresh process is added only while every
// isolated process so far faults unlike the interleaved one by enough to
// matter for its time at this host's fault cost.
func TestAnotherIsolatedProcess(t *testing.T) {
	res := result.New(result.KindTimeit, "test", nil)
	res.Host.FaultCostSeconds = 1.8e-6
	res.Results = []result.Run{
		{Candidate: "A", Config: "glibc", Mode: result.ModeInterleaved, Time: result.Estimate{Median: 300e-6},
			PerIteration: result.PerIteration{MinorFaults: 3.75}},
		{Candidate: "B", Config: "glibc", Mode: result.ModeInterleaved, Time: result.Estimate{Median: 3.2e-3},
			PerIteration: result.PerIteration{MinorFaults: 1286}},
	}
	for _, tc := range []struct {
		cand    string
		perProc []float64
		want    bool
	}{
		{"A", []float64{0}, false},              // 7 µs of 300 µs: immaterial
		{"B", []float64{809}, true},             // 0.86 ms of 3.2 ms: another process
		{"B", []float64{809, 809, 1290}, false}, // one matches
		{"B", nil, false},
	} {
		if got := needsAnotherProcess(res, tc.cand, "glibc", tc.perProc); got != tc.want {
			t.Errorf("%s after %v: another process %v, want %v", tc.cand, tc.perProc, got, tc.want)
		}
	}
}

// TestRunTraceClasses: both recorders tell a file mapping, a reservation
// and its commit, and a fork from a vfork apart, so that none of them is
// read as a block of fresh memory.
func TestRunTraceClasses(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		testenv.Missing(t, "gcc not installed (test.sh installs it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mappings")
	if out, err := exec.Command("gcc", "-O2", "-o", bin, "../../testdata/c/mappings.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	const fileBytes, reserve, commit = 1234567, 64 << 20, 1 << 20
	for _, tracer := range runTracers() {
		t.Run(tracer, func(t *testing.T) {
			_, sc := traceCommand(t, tracer, 1, bin, filepath.Join(dir, "data-"+tracer), "5")
			per := func(call string, bytes int64) float64 {
				for _, s := range sc.Sizes {
					if s.Call == call && s.Bytes == bytes {
						return s.Per
					}
				}
				return 0
			}
			if got := per("mmap:file", fileBytes); got != 5 {
				t.Errorf("file mapped %v times, want 5 (sizes %+v)", got, sc.Sizes)
			}
			if got := per("munmap:file", fileBytes); got != 5 {
				t.Errorf("file unmapped %v times, want 5", got)
			}
			if per("mmap", fileBytes) != 0 || per("mmap", reserve) != 0 {
				t.Errorf("a file mapping or the reservation counted as fresh memory: %+v", sc.Sizes)
			}
			if per("mmap:reserve", reserve) != 1 || per("munmap:reserve", reserve) != 1 {
				t.Errorf("reservation: mapped %v, unmapped %v, want 1 and 1", per("mmap:reserve", reserve), per("munmap:reserve", reserve))
			}
			if sc.CommittedBytes < commit || sc.DecommittedBytes < commit || sc.Mprotect < 2 {
				t.Errorf("committed %v, decommitted %v in %v mprotect calls; want at least 1 MiB each", sc.CommittedBytes, sc.DecommittedBytes, sc.Mprotect)
			}
			if sc.Forks != 1 || sc.Spawns != 1 {
				t.Errorf("forks %v, spawns %v; want 1 and 1", sc.Forks, sc.Spawns)
			}
			if sc.ForkedBytes < 8<<20 || sc.ForkedBytes > 64<<20 {
				t.Errorf("the fork shared %v bytes; want the 8 MiB written before it, and less than the 64 MiB reservation", sc.ForkedBytes)
			}
		})
	}
}
