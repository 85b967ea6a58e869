package measure

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"syscall"
	"time"

	"github.com/faultline/faultline/internal/load"
	"github.com/faultline/faultline/internal/perftrace"
	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/protocol"
	"github.com/faultline/faultline/internal/result"
)

// RunOptions control whole-process measurement (faultline run).
type RunOptions struct {
	// Env returns the full environment for a configuration.
	Env func(result.Config) []string
	// Argv returns the argv of a candidate.
	Argv func(result.Candidate) []string

	Warmup  int // untimed runs per candidate before the first round
	Runs    int // exact runs per candidate; 0 = adaptive
	MinRuns int
	MaxRuns int
	// Prepare runs before every timed run, untimed (e.g. dropping caches),
	// and Conclude after it (e.g. stopping a server Prepare started).
	Prepare  []string
	Conclude []string
	// Setup runs once before each set of runs (a configuration's timed
	// rounds, the trace pass) and Cleanup once after it, as hyperfine's
	// --setup and --cleanup around a command's runs: the candidates are
	// interleaved, so they run around the set, not per candidate.
	Setup   []string
	Cleanup []string
	// Input is the file every run of a candidate reads as its standard
	// input ("" for none: /dev/null).
	Input string
	// Timeout kills a run's whole process tree after this long (0: none).
	Timeout       time.Duration
	IgnoreFailure bool
	ConfigBudget  time.Duration
	// Reserve is how many more runs of every candidate must still fit
	// after a run before it starts: the baseline keeps room for the
	// trace pass (one run each), so a slow command is traced at all.
	Reserve int
	// ReserveNative also keeps room for the native allocation pass: a
	// run of every candidate under probes and their removal
	// (nativeSlack), so a slow command's allocator calls are seen.
	ReserveNative bool
	// Deadline and Stop bound the whole measurement (see Budget): no run
	// starts that would end after Deadline, and one still running at
	// Stop is killed and recorded as timed out.
	Deadline time.Time
	Stop     time.Time
	Tight    float64
	// Verdict says these runs decide the verdict (the baseline): they
	// get the larger share of the budget (runPlan).
	Verdict bool
	// Output receives the targets' stdout and stderr; nil discards them.
	Output io.Writer
	// Configure may adjust each process spec (counters).
	Configure func(*proc.Spec)
	// Counters reads per-run counters from an exit (perf events); nil
	// records rusage only.
	Counters func(*proc.Exit) map[string]float64

	Progress func(msg string)
	Seed     uint64
	// After, when set, is called by RunVerify after each experiment.
	After func()
}

// Defaults fills unset options.
func (o *RunOptions) Defaults() {
	if o.MinRuns == 0 {
		o.MinRuns = 10
	}
	if o.MaxRuns == 0 {
		o.MaxRuns = 200
	}
	if o.MaxRuns < o.MinRuns {
		o.MaxRuns = o.MinRuns
	}
	if o.ConfigBudget == 0 {
		o.ConfigBudget = 5 * time.Second
	}
	if o.Tight == 0 {
		o.Tight = 0.02
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.Env == nil {
		o.Env = func(result.Config) []string { return nil }
	}
}

func (o *RunOptions) budget() budget {
	stop := o.Stop
	if stop.IsZero() {
		stop = o.Deadline
	}
	return budget{deadline: o.Deadline, stop: stop}
}

// TargetFailed reports a run that exited non-zero, was killed by a signal
// or timed out.
type TargetFailed struct {
	Candidate string
	Config    string
	Exit      *proc.Exit
	TimedOut  bool
}

func (e *TargetFailed) Error() string {
	how := "timed out and was killed"
	if !e.TimedOut && e.Exit != nil {
		how = e.Exit.String()
	}
	return fmt.Sprintf("candidate %s failed under %s: %s (use --ignore-failure to keep measuring)", e.Candidate, e.Config, how)
}

// RunMatrix runs every candidate command under every configuration.
func RunMatrix(ctx context.Context, res *result.Result, configs []result.Config, o *RunOptions) error {
	o.Defaults()
	cands := res.UserCandidates()
	return forEachConfig(ctx, res, configs, o.Deadline, result.ModeProcess, true, func(i int, cfg result.Config) error {
		return RunConfig(ctx, res, cands, cfg, o)
	})
}

// RunVerify runs proposed env configurations over every candidate.
func RunVerify(ctx context.Context, res *result.Result, configs []result.Config, o *RunOptions) error {
	o.Defaults()
	cands := res.UserCandidates()
	return forEachConfig(ctx, res, configs, o.Deadline, result.ModeProcess, false, func(i int, cfg result.Config) error {
		if o.After != nil {
			defer o.After()
		}
		return RunConfig(ctx, res, cands, cfg, o)
	})
}

// RunConfig runs each candidate as a fresh process per run, interleaved in
// shuffled rounds, and stores one run per candidate in res. A failed run
// stops the measurement with a *TargetFailed unless IgnoreFailure is set;
// what was measured before is kept.
func RunConfig(ctx context.Context, res *result.Result, cands []result.Candidate, cfg result.Config, o *RunOptions) (err error) {
	o.Defaults()
	ps := &processSampler{ctx: ctx, o: o, cfg: cfg, env: o.Env(cfg), out: o.Output, b: o.budget(),
		acc: newAccumulator(cands), byName: map[string]result.Candidate{}, runNum: map[string]int{},
		counters: map[string]map[string]float64{}, rss: map[string]int64{},
		failures: map[string][]result.Failure{}, timedOut: map[string]bool{}, hint: map[string]float64{}}
	for _, c := range cands {
		ps.byName[c.Name] = c
		// Until it has run here, a run takes what it took under the
		// baseline: a run that cannot end before the deadline is not
		// started.
		if b := res.Run(c.Name, res.BaselineConfig(), result.ModeProcess); b != nil && b.Time.N > 0 {
			ps.hint[c.Name] = b.Time.Median * float64(max(1, b.Loops))
		}
	}
	// An experiment answers only with every candidate measured: one
	// whose first round cannot end before the deadline is skipped whole
	// rather than run for the fast candidates alone.
	if !o.Verdict {
		var round time.Duration
		for _, c := range cands {
			round += time.Duration(ps.hint[c.Name] * 1e9)
		}
		if !ps.b.fits(round) {
			return ErrBudget
		}
	}
	if ps.out == nil {
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("open %s: %w", os.DevNull, err)
		}
		defer devnull.Close()
		ps.out = devnull
	}
	start, busy := time.Now(), load.Take()
	// Every process lives at most until the stop, and --timeout.
	var hcancel context.CancelFunc
	ps.hctx, hcancel = ps.b.hard(ctx)
	defer hcancel()
	if err := aroundRuns(ps.hctx, "--setup", o.Setup, ps.env, ps.out); err != nil {
		return err
	}
	defer func() {
		// What was measured stands; a failing cleanup says so.
		if cerr := aroundRuns(ps.hctx, "--cleanup", o.Cleanup, ps.env, ps.out); cerr != nil && err == nil {
			err = cerr
		}
	}()
	defer func() {
		ps.flush(res, cands)
		res.Passes = append(res.Passes, result.Pass{Name: result.PassTiming, Config: cfg.Name,
			Seconds: time.Since(start).Seconds(), Note: result.ModeProcess, Load: loadSince(busy)})
		if ps.outOfTime {
			res.Note("the time budget ended %s (process) early: some candidates have few runs", cfg.Name)
		}
	}()
	rng := rand.New(rand.NewPCG(o.Seed, uint64(len(res.Results))))
	sched := schedule{fixed: o.Runs, min: o.MinRuns, max: o.MaxRuns, warmup: o.Warmup, share: o.ConfigBudget,
		done:      func() bool { return ps.acc.tight(o.Tight) || ps.acc.settled(faultCost(res)) },
		undecided: func() bool { return !ps.acc.decided() }, longShare: o.ConfigBudget,
		samples: ps.acc.fewest}
	if o.Runs == 0 {
		sched.plan = runPlan(o.Verdict)
		sched.plan.reserve = ps.reserve
	}
	_, err = sched.run(ps.acc.names, rng, ps.b, ps.take, func(n int) {
		if o.Progress != nil {
			o.Progress(fmt.Sprintf("timing %s (process): run %d", cfg.Name, n))
		}
	})
	return err
}

// loadSince is the machine's load since a snapshot, as a pass records it.
func loadSince(s load.Snapshot) *load.Load {
	l := load.Since(s)
	return &l
}

// runPlan sizes a configuration's process runs from the first round: the
// baseline's rounds decide the verdict, so they get at least three
// rounds (the verdict's test has power there, with the faults), up to
// the usual minimum when that fits in 35% of what is left, and while the
// verdict is undecided up to 60% of it; an experiment gets at least
// three rounds, up to the minimum when that fits in a tenth of what is
// left, and a fifth while it is undecided. A fast command's rounds fit
// either way and keep the usual sizes.
func runPlan(verdict bool) *workPlan {
	if verdict {
		return &workPlan{minRounds: 3, share: 0.35, long: 0.6}
	}
	return &workPlan{minRounds: 3, share: 0.1, long: 0.2}
}

// aroundRuns runs --setup or --cleanup (what), untimed; nothing when argv
// is empty.
func aroundRuns(ctx context.Context, what string, argv, env []string, out io.Writer) error {
	if len(argv) == 0 {
		return nil
	}
	return runUntimed(ctx, what, argv, env, out)
}

func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// stdin opens the --input file for one run: nil without one.
func (o *RunOptions) stdin() (*os.File, error) {
	if o.Input == "" {
		return nil, nil
	}
	f, err := os.Open(o.Input)
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	return f, nil
}

// processSampler takes the samples of one configuration of faultline run:
// one fresh process per sample.
type processSampler struct {
	ctx, hctx context.Context // the caller's, and bounded by the budget's stop
	o         *RunOptions
	cfg       result.Config
	env       []string
	out       io.Writer
	b         budget
	acc       *accumulator
	byName    map[string]result.Candidate
	seq       int
	prev      string
	outOfTime bool
	runNum    map[string]int
	counters  map[string]map[string]float64
	rss       map[string]int64
	failures  map[string][]result.Failure
	timedOut  map[string]bool
	// hint is each candidate's seconds per run before it has run here.
	hint map[string]float64
}

// take is the schedule's sample: a warm-up or timed run of name.
func (ps *processSampler) take(name string, round int, warm bool) (bool, error) {
	var err error
	if warm {
		n := len(ps.acc.samples[name])
		err = ps.once(ps.byName[name], false, 0)
		if len(ps.acc.samples[name]) > n { // a long warm-up, kept
			ps.seq++
			ps.prev = name
		}
	} else {
		err = ps.once(ps.byName[name], true, round)
		ps.seq++
		ps.prev = name
	}
	return err == nil, budgetEnd(err, &ps.outOfTime)
}

// once starts c, waits for it and records the run.
func (ps *processSampler) once(c result.Candidate, timed bool, round int) error {
	o := ps.o
	// A run that would end after the deadline is not started; one that
	// ran before says how long the next will take.
	expect := time.Duration(ps.hint[c.Name] * 1e9)
	if ts := ps.acc.times(c.Name); len(ts) > 0 {
		expect = time.Duration(ts[len(ts)-1] * float64(max(1, ps.acc.loops[c.Name])) * 1e9)
	}
	// The verdict's runs come before the diagnostic passes' room: the
	// reserve holds only once a candidate has the runs a verdict needs.
	var reserve time.Duration
	if len(ps.acc.times(c.Name)) >= verdictRuns {
		reserve = ps.reserve()
	}
	if !ps.b.fits(expect + reserve) {
		return ErrBudget
	}
	if timed && len(o.Prepare) > 0 {
		if err := runPrepare(ps.hctx, o.Prepare, ps.env, ps.out); err != nil {
			if ps.ctx.Err() == nil && ps.hctx.Err() != nil {
				return ErrBudget
			}
			return err
		}
	}
	rctx, cancel := ps.hctx, context.CancelFunc(func() {})
	if o.Timeout > 0 {
		rctx, cancel = context.WithTimeout(ps.hctx, o.Timeout)
	}
	defer cancel()
	exit, m, err := ps.start(rctx, c)
	if err != nil {
		return fmt.Errorf("candidate %s: %w", c.Name, err)
	}
	if ps.ctx.Err() != nil {
		return ps.ctx.Err()
	}
	if timed && len(o.Conclude) > 0 {
		if err := runUntimed(ps.hctx, "--conclude", o.Conclude, ps.env, ps.out); err != nil {
			if ps.ctx.Err() == nil && ps.hctx.Err() != nil {
				return ErrBudget
			}
			return err
		}
	}
	if ps.ctx.Err() == nil && ps.hctx.Err() != nil && expect > 0 {
		// Killed at the end of the budget in a run that was expected
		// to fit (a configuration made it slower): not the target's
		// failure. A first run that outlives the whole budget is a
		// hang, recorded as timed out.
		return ErrBudget
	}
	if timedOut := rctx.Err() != nil; exit.Failed() || timedOut {
		return ps.failed(c, exit, timedOut)
	}
	// A warm-up run of a second or more is its own warm-up (the page
	// cache and the binary settle early in it; hyperfine warms nothing
	// by default): it counts as the first timed run, so a slow command
	// does not spend a round of the budget on nothing. Not with
	// --prepare, which must precede every timed run, nor with --runs,
	// which says how many are timed.
	if timed || exit.Wall >= longWarmup && len(o.Prepare) == 0 && o.Runs == 0 {
		ps.record(c, exit, m, round)
	}
	return nil
}

// verdictRuns is how many runs of each candidate the verdict's test
// needs (stats.Infer has power from three a side); the baseline keeps no
// room for later passes before a candidate has them.
const verdictRuns = 3

// longWarmup is the length from which a warm-up run counts as timed.
const longWarmup = time.Second

// traceSlack is what a traced run needs beyond the run's own length:
// starting the tracer, and a target slowed by it.
const traceSlack = 200 * time.Millisecond

// nativeSlack is what the native pass needs beyond a run: placing the
// probes and removing them (about 1.5 s a candidate, docs/benchmarks.md).
const nativeSlack = 2 * time.Second

// reserve is the time RunOptions.Reserve and ReserveNative keep free:
// that many traced runs of every candidate, at their last run's length,
// and the native pass's run of each.
func (ps *processSampler) reserve() time.Duration {
	var d, n time.Duration
	for name := range ps.byName {
		if ts := ps.acc.times(name); len(ts) > 0 {
			run := time.Duration(ts[len(ts)-1] * float64(max(1, ps.acc.loops[name])) * 1e9)
			// Twice the slack: what runs between the two passes
			// (calibration's tail, a note) is not counted here.
			d += run + 2*traceSlack
			n += run + nativeSlack
		}
	}
	d *= time.Duration(ps.o.Reserve)
	if ps.o.ReserveNative {
		d += n
	}
	return d
}

// start runs c to its end, reading the marks of a program that marks its
// iterations (docs/protocol.md) from FAULTLINE_FD: reading a pipe costs it
// nothing, so the timing pass listens too.
func (ps *processSampler) start(ctx context.Context, c result.Candidate) (*proc.Exit, marks, error) {
	in, err := ps.o.stdin()
	if err != nil {
		return nil, marks{}, err
	}
	if in != nil {
		defer in.Close()
	}
	markR, markW, err := os.Pipe()
	if err != nil {
		return nil, marks{}, err
	}
	marked := make(chan marks, 1)
	go func() { marked <- readMarks(markR) }()
	spec := &proc.Spec{Argv: ps.o.Argv(c), Stdout: ps.out, Stderr: ps.out, ExtraFiles: []*os.File{markW}, Marks: markW}
	if in != nil {
		spec.Stdin = in
	}
	spec.Env = append(ps.env[:len(ps.env):len(ps.env)], spec.MarksEnv())
	if ps.o.Configure != nil {
		ps.o.Configure(spec)
	}
	p, err := proc.Start(ctx, spec)
	markW.Close()
	if err != nil {
		markR.Close()
		return nil, marks{}, err
	}
	exit, err := p.Wait()
	var m marks
	select {
	case m = <-marked:
	case <-time.After(time.Second):
		// Something of the target's still holds the pipe open.
		markR.Close()
		m = <-marked
	}
	markR.Close()
	return exit, m, err
}

// failed records a run that exited non-zero, was killed or timed out.
func (ps *processSampler) failed(c result.Candidate, exit *proc.Exit, timedOut bool) error {
	ps.runNum[c.Name]++
	f := result.Failure{Run: ps.runNum[c.Name], ExitCode: exit.Code, Signal: exit.Signal, Reason: exit.String()}
	if timedOut {
		f.Reason = fmt.Sprintf("timed out after %s", ps.o.Timeout)
		if ps.o.Timeout <= 0 || ps.hctx.Err() != nil {
			f.Reason = "timed out: still running at the end of the time budget (--budget)"
		}
		ps.timedOut[c.Name] = true
	}
	ps.failures[c.Name] = append(ps.failures[c.Name], f)
	if !ps.o.IgnoreFailure {
		return &TargetFailed{Candidate: c.Name, Config: ps.cfg.Name, Exit: exit, TimedOut: timedOut}
	}
	return nil
}

// record adds a timed run's sample, peak RSS and counters.
func (ps *processSampler) record(c result.Candidate, exit *proc.Exit, m marks, round int) {
	ps.runNum[c.Name]++
	after := ""
	if ps.prev != "" && ps.prev != c.Name {
		after = ps.prev
	}
	smp := result.Sample{Seq: ps.seq, Round: round, Seconds: exit.Wall.Seconds(),
		MinorFaults: float64(exit.Usage.MinFlt), MajorFaults: float64(exit.Usage.MajFlt), After: after,
		UserSeconds: exit.Usage.UTime.Seconds(), SystemSeconds: exit.Usage.STime.Seconds()}
	// The kernel accounts CPU time per process: per run, also for a
	// program that marks its iterations.
	ps.acc.cpu[c.Name] = result.UnitRun
	ps.acc.loops[c.Name] = 1
	if m.n > 0 {
		// Per marked iteration, from the program's own clock and
		// getrusage: start-up and teardown are left out.
		n := float64(m.n)
		smp.Seconds, smp.MinorFaults, smp.MajorFaults = float64(m.ns)/1e9/n, float64(m.minflt)/n, float64(m.majflt)/n
		ps.acc.loops[c.Name] = m.n
	}
	ps.acc.add(c.Name, smp)
	ps.rss[c.Name] = max(ps.rss[c.Name], exit.Usage.MaxRSS)
	if ps.o.Counters == nil {
		return
	}
	if cm := ps.o.Counters(exit); len(cm) > 0 {
		if ps.counters[c.Name] == nil {
			ps.counters[c.Name] = map[string]float64{}
		}
		for k, v := range cm {
			ps.counters[c.Name][k] += v
		}
	}
}

// flush stores one run per candidate, failed ones included.
func (ps *processSampler) flush(res *result.Result, cands []result.Candidate) {
	cfg := ps.cfg.Name
	ps.acc.flush(res, cfg, result.ModeProcess, 0)
	for _, c := range cands {
		r := res.Run(c.Name, cfg, result.ModeProcess)
		if r == nil {
			if len(ps.failures[c.Name]) == 0 {
				continue
			}
			res.Results = append(res.Results, result.Run{Candidate: c.Name, Config: cfg,
				Mode: result.ModeProcess, Status: result.StatusFailed})
			r = &res.Results[len(res.Results)-1]
		}
		r.PeakRSSBytes = ps.rss[c.Name]
		r.Failures = ps.failures[c.Name]
		r.TimedOut = ps.timedOut[c.Name]
		if len(r.Failures) > 0 && r.Time.N == 0 {
			r.Status, r.Error = result.StatusFailed, r.Failures[0].Reason
		}
		if n := float64(r.Time.N); n > 0 && len(ps.counters[c.Name]) > 0 {
			r.PerIteration.Counters = map[string]float64{}
			for k, v := range ps.counters[c.Name] {
				r.PerIteration.Counters[k] = v / n
			}
			r.Sources["counters"] = result.PassTiming
		}
	}
}

// budgetEnd ends a configuration's runs cleanly when the budget ran out.
func budgetEnd(err error, outOfTime *bool) error {
	if errors.Is(err, ErrBudget) {
		*outOfTime = true
		return nil
	}
	return err
}

// runRecorded is RunTrace's pass for one unmarked command with the perf
// recorder: the whole run is one iteration.
func runRecorded(ctx context.Context, res *result.Result, r *result.Run, c result.Candidate, env []string, o *RunOptions, cfg result.Config) error {
	start := time.Now()
	in, err := o.stdin()
	if err != nil {
		return fmt.Errorf("trace pass: %w", err)
	}
	defer closeFile(in)
	spec := &proc.Spec{Argv: perftrace.HoldArgv(o.Argv(c)), Env: env, Stdout: o.Output, Stderr: o.Output}
	if in != nil {
		spec.Stdin = in
	}
	p, err := proc.Start(ctx, spec)
	if err != nil {
		return fmt.Errorf("trace pass: %w", err)
	}
	pid := p.Pid()
	if err := perftrace.WaitStopped(ctx, pid, 5*time.Second); err != nil {
		p.Kill()
		_, _ = p.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %v", perftrace.ErrUnavailable, err)
	}
	rec, err := perftrace.Attach(pid)
	if err != nil {
		p.Kill()
		_, _ = p.Wait()
		return err
	}
	t0 := time.Now()
	_ = syscall.Kill(pid, syscall.SIGCONT)
	exit, err := p.Wait()
	wall := time.Since(t0)
	events, st, rerr := rec.Stop()
	if err != nil {
		return fmt.Errorf("trace pass: %w", err)
	}
	if rerr != nil {
		return fmt.Errorf("trace pass: %w", rerr)
	}
	sc := perftrace.Tally(events, nil, pid).Whole()
	sc.Threads = st.Threads
	r.PerIteration.Syscalls = sc
	r.Sources["syscalls"] = result.PassTrace
	pass := result.Pass{Name: result.PassTrace, Config: cfg.Name, Candidate: c.Name, Seconds: time.Since(start).Seconds(),
		Note: "perf syscall tracepoints for brk, mmap, munmap, mremap, madvise (the target never stops)"}
	if r.Time.Median > 0 && exit != nil && !exit.Failed() {
		pass.Overhead = wall.Seconds() / r.Time.Median
	}
	res.Passes = append(res.Passes, pass)
	if st.Lost > 0 {
		res.Note("trace: the kernel dropped %d of %d syscall samples of %s: counts are low", st.Lost, st.Lost+st.Samples, c.Name)
	}
	if st.NoSites != "" {
		// One note for every candidate: the kernel's answer is the same.
		res.Note("trace: %s: no issuing functions for the memory syscalls", st.NoSites)
	}
	return nil
}

// marks sums the end records of a marking program's iterations.
type marks struct {
	n                  int
	ns, minflt, majflt int64
}

// readMarks reads protocol records until EOF, summing well-formed end
// records; anything else the target writes is ignored, and reading goes on
// to the end so the target never blocks on a full pipe.
func readMarks(r io.Reader) marks {
	var m marks
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), protocol.MaxLine+2)
	for sc.Scan() {
		rec, err := protocol.Parse(sc.Text())
		if err != nil || rec.Verb != protocol.VerbEnd {
			continue
		}
		ns, e1 := rec.Int("ns")
		minflt, e2 := rec.Int("minflt")
		majflt, e3 := rec.Int("majflt")
		if e1 != nil || e2 != nil || e3 != nil || ns < 0 || minflt < 0 || majflt < 0 ||
			float64(m.ns+ns) > result.MaxMagnitude || float64(m.minflt+minflt) > result.MaxMagnitude || float64(m.majflt+majflt) > result.MaxMagnitude ||
			m.ns+ns < m.ns || m.minflt+minflt < m.minflt || m.majflt+majflt < m.majflt {
			// Out of range (or summing past int64): not a measurement.
			continue
		}
		m.n++
		m.ns += ns
		m.minflt += minflt
		m.majflt += majflt
	}
	// An overlong line ends the scan: drain the rest (until the pipe is
	// closed) so the target never blocks writing.
	_, _ = io.Copy(io.Discard, r)
	return m
}

func runPrepare(ctx context.Context, argv []string, env []string, out io.Writer) error {
	return runUntimed(ctx, "--prepare", argv, env, out)
}

// runUntimed runs one of the user's commands around the timed runs
// (--prepare, --conclude, --setup, --cleanup: what) to its end.
func runUntimed(ctx context.Context, what string, argv []string, env []string, out io.Writer) error {
	p, err := proc.Start(ctx, &proc.Spec{Argv: argv, Env: env, Stdout: out, Stderr: out})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	exit, err := p.Wait()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if exit.Failed() {
		return fmt.Errorf("%s command failed: %s", what, exit)
	}
	return nil
}

// IsTargetFailure reports whether err is a failed target run.
func IsTargetFailure(err error) bool {
	var tf *TargetFailed
	return errors.As(err, &tf)
}

// RunTrace is the diagnostic pass of faultline run: each candidate runs
// once more with its memory syscalls traced. A program that marks its own
// iterations (docs/protocol.md) gets per-iteration figures; otherwise the
// whole process counts as one iteration.
func RunTrace(ctx context.Context, res *result.Result, cfg result.Config, rec Recorders, o *RunOptions) (err error) {
	o.Defaults()
	env := o.Env(cfg)
	b := o.budget()
	// A traced command lives at most until the stop.
	ctx, cancel := b.hard(ctx)
	defer cancel()
	if err := aroundRuns(ctx, "--setup", o.Setup, env, o.Output); err != nil {
		return err
	}
	defer func() {
		if cerr := aroundRuns(ctx, "--cleanup", o.Cleanup, env, o.Output); cerr != nil && err == nil {
			err = cerr
		}
	}()
	perf := rec.Perf
	for _, c := range res.UserCandidates() {
		r := res.Run(c.Name, cfg.Name, result.ModeProcess)
		if r == nil || r.Status != result.StatusOK {
			continue
		}
		// Tracing may slow a command down: it needs at least its time.
		if need := time.Duration(r.Time.Median*float64(max(1, r.Loops))*1e9) + traceSlack; !b.fits(need) {
			skippedPass(res, result.PassTrace, cfg.Name, c.Name, "", ErrBudget.Error())
			continue
		}
		if o.Progress != nil {
			o.Progress("trace pass: " + c.Name)
		}
		// A whole command is recorded without stops where perf allows it;
		// a program that marks its iterations needs the ptrace tracer,
		// which reads each marker as it is written.
		// Without ptrace, a marking program is recorded whole.
		if perf && (r.Loops <= 1 || !rec.Ptrace) {
			err := runRecorded(ctx, res, r, c, env, o, cfg)
			if err == nil && r.Loops > 1 {
				res.Note("trace: %s marks its iterations, but without ptrace (%s) its syscalls are per process, not per iteration", c.Name, rec.PtraceWhy)
			}
			if err == nil || !errors.Is(err, perftrace.ErrUnavailable) || !rec.Ptrace {
				if err != nil {
					return err
				}
				continue
			}
			perf = false
			res.Note("trace: recorded with ptrace stops, which slow the target (%s)", oneLine(err))
		}
		markR, markW, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("trace pass: %w", err)
		}
		go func() { _, _ = io.Copy(io.Discard, markR); markR.Close() }()
		start := time.Now()
		spec := &proc.Spec{Argv: o.Argv(c), Stdout: o.Output, Stderr: o.Output,
			ExtraFiles: []*os.File{markW}, Marks: markW, Trace: &proc.TraceOptions{}}
		spec.Env = append(env, spec.MarksEnv())
		in, err := o.stdin()
		if err != nil {
			markW.Close()
			return fmt.Errorf("trace pass: %w", err)
		}
		if in != nil {
			spec.Stdin = in
		}
		p, err := proc.Start(ctx, spec)
		markW.Close()
		if err != nil {
			closeFile(in)
			return fmt.Errorf("trace pass: %w", err)
		}
		exit, err := p.Wait()
		closeFile(in)
		if err != nil {
			return fmt.Errorf("trace pass: %w", err)
		}
		if ctx.Err() != nil {
			return &Stalled{Candidate: c.Name, Config: cfg.Name, Phase: "trace", After: time.Since(start), Budget: true}
		}
		if exit.Trace == nil || exit.Trace.Tally == nil {
			return errors.New("trace pass: the tracer returned nothing")
		}
		sc := exit.Trace.Tally.Whole()
		if names := exit.Trace.Tally.Candidates(); len(names) > 0 {
			sc = exit.Trace.Tally.Syscalls(names[0])
		}
		sc.Threads = exit.Trace.Stats.Threads
		r.PerIteration.Syscalls = sc
		r.Sources["syscalls"] = result.PassTrace
		pass := result.Pass{Name: result.PassTrace, Config: cfg.Name, Candidate: c.Name, Seconds: time.Since(start).Seconds()}
		if r.Time.Median > 0 {
			pass.Overhead = exit.Wall.Seconds() / r.Time.Median
		}
		res.Passes = append(res.Passes, pass)
	}
	return nil
}

// FailedEveryRun returns an error naming the first candidate whose every
// run under cfg failed, or nil. With --ignore-failure a failing run does
// not stop the measurement, but a candidate with no successful run has
// not been measured at all, which the exit code must say.
func FailedEveryRun(res *result.Result, cfg string) error {
	for _, r := range res.Results {
		if r.Config == cfg && r.Status == result.StatusFailed && r.Time.N == 0 {
			why := "every run failed"
			if len(r.Failures) > 0 {
				switch f := r.Failures[0]; {
				case f.Reason != "":
					why += ": " + f.Reason
				case f.Signal != "":
					why += ": killed by " + f.Signal
				default:
					why += fmt.Sprintf(": exit status %d", f.ExitCode)
				}
			}
			return fmt.Errorf("candidate %s failed under %s: %s", r.Candidate, cfg, why)
		}
	}
	return nil
}
