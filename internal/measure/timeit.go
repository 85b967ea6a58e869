// Package measure runs candidates and turns what probes and processes report
// into the records of a result.Result: timing runs (interleaved and
// isolated), per configuration, and the diagnostic passes that explain them.
//
// Timing passes are observed only by cheap counters: the probe reads the
// clock and getrusage around each sample. Syscall tracing and allocation
// tracking slow a target down, so they run in separate diagnostic passes
// whose numbers never contribute a time.
//
// Fair order: within one process the candidates run in rounds, each round in
// a fresh random order, so drift on a noisy machine hits all of them alike;
// each candidate also runs alone in a fresh process. A difference between
// the two is an order (carry-over) effect, which the diagnosis reports.
package measure

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/internal/load"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/summary"
)

// Target knows how to start a probe that runs some candidates.
type Target struct {
	// Spec returns the probe spec for cands under the given environment.
	Spec func(cands []result.Candidate, env []string) (probe.Spec, error)
}

// Options control a timeit-style measurement.
type Options struct {
	// Env returns the full environment for a configuration.
	Env func(result.Config) []string

	Loops int // iterations per sample; 0 = autorange to SampleTime
	// MinLoops is the fewest iterations an autoranged sample takes.
	MinLoops   int
	Rounds     int           // samples per candidate; 0 = adaptive
	MinRounds  int           // adaptive: at least this many rounds
	MaxRounds  int           // adaptive: at most this many rounds
	Warmup     int           // warm-up samples per candidate (recorded, not summarised)
	SampleTime time.Duration // autorange target per sample
	// ConfigBudget bounds the timing of one configuration (one mode).
	// Deadline and Stop bound the whole measurement (see Budget): no
	// sample, pass or configuration starts that would end after Deadline,
	// and a probe still running at Stop is killed.
	ConfigBudget time.Duration
	Deadline     time.Time
	Stop         time.Time
	// Tight is the relative half-width of every candidate's interval at
	// which adaptive rounds stop early.
	Tight float64
	// SteadyTight, when set, also stops adaptive rounds once every
	// interval is within it and every candidate's faults per iteration
	// are the same from sample to sample: the faults then decide, and
	// time needs only this precision.
	SteadyTight float64
	// Settle also stops adaptive rounds once the comparison is settled
	// (accumulator.settled): the baseline's verdict needs no more.
	Settle bool
	// FaultCost is this host's seconds per page fault, for SteadyTight
	// and Settle.
	FaultCost float64
	// UndecidedBudget, when above ConfigBudget, lets adaptive rounds go
	// on that long while the candidates' comparison is still unsettled
	// (neither significant nor clearly not).
	UndecidedBudget time.Duration
	KeepGC          bool
	Isolated        bool // also run each candidate alone (baseline config only)
	// Hints are seconds per iteration measured earlier (the baseline),
	// by candidate: a candidate with a hint skips the autorange and sizes
	// its samples from one warm-up sample instead, which saves a few
	// hundred milliseconds per configuration.
	Hints map[string]float64

	Progress func(msg string)
	Seed     uint64 // shuffle seed; 0 = from the clock
	// Starter holds probes started ahead; nil starts each when needed.
	Starter *Starter
	// Inspect, when set, is called by Verify after each experiment's
	// timing with its probe still running (a diagnostic pass there needs
	// no start of its own); the probe is closed after it returns.
	Inspect func(cfg result.Config, live *Live) error
	// After, when set, is called by Verify after each experiment and
	// code fix.
	After func()
}

// Defaults fills unset options.
func (o *Options) Defaults() {
	if o.MinRounds == 0 {
		o.MinRounds = 6
	}
	if o.MaxRounds == 0 {
		o.MaxRounds = 60
	}
	if o.MaxRounds < o.MinRounds {
		o.MaxRounds = o.MinRounds
	}
	if o.SampleTime == 0 {
		o.SampleTime = 100 * time.Millisecond
	}
	if o.ConfigBudget == 0 {
		o.ConfigBudget = 2 * time.Second
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

func (o *Options) budget() budget {
	stop := o.Stop
	if stop.IsZero() {
		stop = o.Deadline
	}
	return budget{deadline: o.Deadline, stop: stop}
}

func (o *Options) progress(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// TimeConfig times every candidate of res under cfg in one process
// (interleaved) and stores the runs in res. Runs measured before an error or
// cancellation are kept.
func TimeConfig(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, cands []result.Candidate, mode string, o *Options) error {
	_, err := timeConfig(ctx, res, tgt, cfg, cands, mode, o, false)
	return err
}

// Live is a probe kept running after its timing, so that the diagnostic
// passes under the same configuration need no process of their own (a
// Python with NumPy takes a tenth of a second or more to start).
type Live struct {
	s      *probe.Session
	cancel context.CancelFunc
	config string
}

// Close ends the probe. A nil Live is closed.
func (l *Live) Close() {
	if l == nil || l.s == nil {
		return
	}
	_, _ = l.s.Close()
	l.cancel()
	l.s = nil
}

// usable says l runs under config and can take requests.
func (l *Live) usable(config string) bool { return l != nil && l.s != nil && l.config == config }

// abort ends a probe whose request failed.
func (l *Live) abort() {
	l.s.Abort()
	l.cancel()
	l.s = nil
}

// timeConfig is TimeConfig; with keep, a probe that timed without error is
// returned still running (its peak RSS read when the timing ended).
func timeConfig(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, cands []result.Candidate, mode string, o *Options, keep bool) (live *Live, err error) {
	o.Defaults()
	b := o.budget()
	// A probe start costs a process and the setup; without a tenth of a
	// second left nothing useful can be measured.
	if !b.fits(100 * time.Millisecond) {
		return nil, ErrBudget
	}
	start, busy := time.Now(), load.Take()
	// The probe lives at most until the stop: an interpreter that never
	// starts the probe, a setup that never ends, a sample that hangs.
	s, hctx, cancel, err := o.Starter.start(ctx, tgt, cands, o.Env(cfg), b)
	defer func() {
		if live == nil && cancel != nil {
			cancel()
		}
	}()
	if err != nil && hctx == nil {
		return nil, err
	}
	if err != nil {
		err = stalled(ctx, hctx, err, b, "", cfg.Name, "start", start)
		var st *Stalled
		if errors.As(err, &st) {
			markStalled(res, st, mode, cands)
			return nil, err
		}
		return nil, fmt.Errorf("start probe under %s: %w", cfg.Name, err)
	}
	captureInfo(res, s)
	acc := newAccumulator(cands)
	defer func() {
		var exit *proc.Exit
		if err != nil {
			// The probe may be in the middle of a request: it is of no
			// further use.
			s.Abort()
			exit = s.Exit()
		} else if !keep {
			exit, _ = s.Close()
		}
		var rss int64
		switch {
		case exit != nil:
			rss = exit.Usage.MaxRSS
		case keep && err == nil:
			rss = peakRSS(s.Pid())
			live = &Live{s: s, cancel: cancel, config: cfg.Name}
		}
		acc.flush(res, cfg.Name, mode, rss)
		var st *Stalled
		if errors.As(err, &st) {
			markStalled(res, st, mode, cands)
		}
		res.Passes = append(res.Passes, result.Pass{Name: result.PassTiming, Config: cfg.Name,
			Candidate: candName(cands, mode), Seconds: time.Since(start).Seconds(), Note: mode, Load: loadSince(busy)})
	}()

	t := &probeTiming{ctx: ctx, hctx: hctx, s: s, acc: acc, b: b, o: o, cfg: cfg, mode: mode,
		perIter: map[string]float64{}, measured: map[string]bool{}}
	for c, h := range o.Hints {
		t.perIter[c] = h
	}
	defer func() {
		if t.outOfTime {
			res.Note("the time budget ended %s (%s) early: some candidates have few samples", cfg.Name, mode)
		}
	}()
	warmup, err := t.size(cands)
	if err != nil || t.outOfTime {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, uint64(len(res.Results))))
	sched := schedule{fixed: o.Rounds, min: o.MinRounds, max: o.MaxRounds, warmup: warmup, share: o.ConfigBudget,
		done: func() bool {
			if o.Settle && acc.settled(o.FaultCost) {
				return true
			}
			if o.SteadyTight > 0 && !acc.decided() {
				return false
			}
			return acc.tight(o.Tight) || o.SteadyTight > 0 && acc.tight(o.SteadyTight) && acc.steady(o.FaultCost)
		}}
	if o.UndecidedBudget > o.ConfigBudget {
		sched.undecided = func() bool { return !acc.decided() }
		sched.longShare = o.UndecidedBudget
	}
	n, err := sched.run(acc.names, rng, b, t.run, func(n int) { o.progress("timing %s (%s): round %d", cfg.Name, mode, n) })
	if err == nil && !t.outOfTime && n < o.MinRounds && o.Rounds == 0 {
		res.Note("the time budget ended %s (%s) after %d rounds: intervals are wide", cfg.Name, mode, n)
	}
	return nil, err
}

// probeTiming is one configuration's timing in a probe: the samples so
// far (acc), each candidate's latest seconds per iteration (perIter, which
// sizes the watchdog and the budget check of its next sample), and
// whether the budget cut it short.
type probeTiming struct {
	ctx, hctx context.Context // the caller's, and bounded by the budget's stop
	s         *probe.Session
	acc       *accumulator
	b         budget
	o         *Options
	cfg       result.Config
	mode      string
	seq       int
	prev      string
	perIter   map[string]float64
	// measured says whether perIter[c] was measured under this
	// configuration: a hint from the baseline sizes the budget check, but
	// not the watchdog, since an experiment may legitimately be tens of
	// times slower (jemalloc's purge, huge pages off); the first sample
	// under a configuration is bounded by the budget's stop only.
	measured  map[string]bool
	outOfTime bool
}

// sample takes one sample of c: ErrBudget when it would not fit.
func (t *probeTiming) sample(c string, round int, warm bool) error {
	expect := time.Duration(float64(t.acc.loops[c]) * t.perIter[c] * 1e9)
	if t.perIter[c] > 0 && !t.b.fits(expect) {
		t.outOfTime = true
		return ErrBudget
	}
	wd := expect
	if !t.measured[c] {
		wd = 0
	}
	t0 := time.Now()
	sctx, scancel := watch(t.hctx, wd)
	sm, err := t.s.Run(sctx, c, t.acc.loops[c], t.seq, t.o.KeepGC)
	scancel()
	if err != nil {
		return stalled(t.ctx, sctx, err, t.b, c, t.cfg.Name, "sample", t0)
	}
	after := ""
	if t.prev != "" && t.prev != c {
		after = t.prev
	}
	n := float64(sm.Loops)
	// The budget and the watchdog go by elapsed time, whatever the
	// probe times with.
	t.perIter[c] = float64(sm.WallNS) / 1e9 / n
	t.measured[c] = true
	smp := result.Sample{Seq: t.seq, Round: round, Seconds: float64(sm.NS) / 1e9 / n,
		MinorFaults: float64(sm.MinFlt) / n, MajorFaults: float64(sm.MajFlt) / n, After: after, Warmup: warm}
	if sm.CPU {
		smp.UserSeconds, smp.SystemSeconds = float64(sm.UserNS)/1e9/n, float64(sm.SysNS)/1e9/n
		t.acc.cpu[c] = result.UnitCall
	}
	t.acc.add(c, smp)
	t.seq++
	t.prev = c
	return nil
}

// run takes a sample for the schedule, ending the timing early but
// cleanly when the budget runs out.
func (t *probeTiming) run(c string, round int, warm bool) (bool, error) {
	err := t.sample(c, round, warm)
	if errors.Is(err, ErrBudget) {
		return false, nil
	}
	return err == nil, err
}

// size sets each candidate's loops per sample: --number as given, else
// from a hint or a short autorange (a tenth of a sample's worth), which
// sizes one warm-up sample, whose measurement sizes the rest. It returns
// the warm-up rounds still to run; outOfTime when the budget ended first.
func (t *probeTiming) size(cands []result.Candidate) (int, error) {
	o, warmup := t.o, t.o.Warmup
	for _, c := range cands {
		loops := o.Loops
		if loops <= 0 {
			est := o.Hints[c.Name]
			if est <= 0 {
				if !t.b.fits(3 * o.SampleTime) {
					t.outOfTime = true
					return 0, nil
				}
				o.progress("timing %s (%s): calibrating %s", t.cfg.Name, t.mode, c.Name)
				t0 := time.Now()
				n, d, err := t.s.Autorange(t.hctx, c.Name, max(time.Millisecond, o.SampleTime/autorangeShare))
				if err != nil {
					return 0, stalled(t.ctx, t.hctx, err, t.b, c.Name, t.cfg.Name, "sample", t0)
				}
				if n > 0 && d > 0 {
					est = d.Seconds() / float64(n)
					t.perIter[c.Name] = est
				}
			}
			t.acc.loops[c.Name] = max(o.MinLoops, loopsFor(o.SampleTime, est))
			if ok, err := t.run(c.Name, -1, true); !ok {
				if err == nil {
					t.outOfTime = true
				}
				return 0, err
			}
			loops = max(o.MinLoops, loopsFor(o.SampleTime, t.perIter[c.Name]))
			warmup = max(0, o.Warmup-1)
		}
		t.acc.loops[c.Name] = loops
	}
	return warmup, nil
}

// summarize sets a run's time and faults per iteration from its timed
// (non-warm-up) samples: the median with its interval, and the mean
// faults (every sample of a process has the same loop count).
func summarize(run *result.Run) {
	ts := run.TimedSeconds()
	var minf, majf, user, sys float64
	for _, s := range result.Timed(run.Samples) {
		minf += s.MinorFaults
		majf += s.MajorFaults
		user += s.UserSeconds
		sys += s.SystemSeconds
	}
	run.Time = stats.Summarize(ts)
	if n := float64(len(ts)); n > 0 {
		run.PerIteration.MinorFaults, run.PerIteration.MajorFaults = minf/n, majf/n
		// Means, as hyperfine's user and system: CPU time is accounted
		// in ticks split by sampling, so one sample's figure is coarse
		// but the sum over samples is not.
		if run.CPU != nil {
			run.CPU.User, run.CPU.System = user/n, sys/n
		}
	}
}

// loopsFor is the loop count whose sample takes about target at perIter
// seconds per iteration.
func loopsFor(target time.Duration, perIter float64) int {
	if perIter <= 0 {
		return 1
	}
	return max(1, min(100_000_000, int(target.Seconds()/perIter+0.5)))
}

func candName(cands []result.Candidate, mode string) string {
	if mode == result.ModeIsolated && len(cands) == 1 {
		return cands[0].Name
	}
	return ""
}

func captureInfo(res *result.Result, s *probe.Session) {
	if v := s.Info("pyver"); v != "" && res.Host.PyVer == "" {
		res.Host.PyVer = v
	}
	if v := s.Info("numpy"); v != "" && res.Host.NumPy == "" {
		res.Host.NumPy = v
	}
}

// accumulator collects samples per candidate for one process.
type accumulator struct {
	names   []string
	loops   map[string]int
	samples map[string][]result.Sample
	// cpu is what a candidate's samples' CPU times cover (result.UnitCall
	// or UnitRun), "" while none has reported them.
	cpu map[string]string
}

func newAccumulator(cands []result.Candidate) *accumulator {
	a := &accumulator{loops: map[string]int{}, samples: map[string][]result.Sample{}, cpu: map[string]string{}}
	for _, c := range cands {
		a.names = append(a.names, c.Name)
	}
	return a
}

func (a *accumulator) add(c string, s result.Sample) { a.samples[c] = append(a.samples[c], s) }

func (a *accumulator) times(c string) []float64 { return result.TimedSeconds(a.samples[c]) }

// fewest is the fewest timed samples any candidate has.
func (a *accumulator) fewest() int {
	n := -1
	for _, c := range a.names {
		if k := len(a.times(c)); n < 0 || k < n {
			n = k
		}
	}
	return max(n, 0)
}

func (a *accumulator) tight(limit float64) bool {
	for _, c := range a.names {
		if stats.RelWidth(stats.Summarize(a.times(c))) > limit {
			return false
		}
	}
	return true
}

// steady says every candidate's timed samples fault alike per iteration:
// their spread is within a tenth (or two faults), or at cost seconds per
// fault it moves the time per iteration by at most steadyShare.
func (a *accumulator) steady(cost float64) bool {
	for _, c := range a.names {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range a.samples[c] {
			if !s.Warmup {
				lo, hi = min(lo, s.MinorFaults), max(hi, s.MinorFaults)
			}
		}
		spread := hi - lo
		if spread <= max(2, 0.1*hi) {
			continue
		}
		if t := stats.Median(a.times(c)); t <= 0 || spread*cost > steadyShare*t {
			return false
		}
	}
	return true
}

// decided says whether every candidate's comparison with the fastest is
// settled: a verdict other than inconclusive (stats.Infer, with the
// samples' faults). An experiment whose candidates are a few percent
// apart needs more rounds for the diagnosis to say whether one is still
// slower there; one whose samples settle it stops.
func (a *accumulator) decided() bool {
	return !slices.Contains(a.answers(), stats.Inconclusive)
}

// answers is each candidate's comparison with the fastest (stats.Infer,
// with the samples' faults).
func (a *accumulator) answers() []stats.Answer {
	fast, best := "", math.Inf(1)
	for _, c := range a.names {
		if m := stats.Median(a.times(c)); m > 0 && m < best {
			fast, best = c, m
		}
	}
	var out []stats.Answer
	for _, c := range a.names {
		if c != fast {
			out = append(out, stats.Infer(summary.TimedSide(a.samples[fast]), summary.TimedSide(a.samples[c]), 0).Answer)
		}
	}
	return out
}

// settled says the samples answer the question at the precision a
// decided comparison needs: every interval within baselineSteady and
// every comparison settled, either as a difference (more samples would
// only narrow its interval) or as none with every candidate's faults
// steady (faults that vary from sample to sample could still hide one).
func (a *accumulator) settled(cost float64) bool {
	if !a.tight(baselineSteady) {
		return false
	}
	ans := a.answers()
	if slices.Contains(ans, stats.Inconclusive) {
		return false
	}
	return a.steady(cost) || !slices.Contains(ans, stats.Equivalent)
}

// autorangeShare divides the sample time for the autorange that estimates
// a candidate's time per iteration: timeit's own autorange runs batches of
// 1, 2, 5, 10, ... iterations until one takes the whole sample time, which
// costs about two samples and leaves samples up to 2.5 times too long.
const autorangeShare = 10

// steadyShare is how much of a sample's time the spread of its faults may
// make for the faults to count as the same in every sample.
const steadyShare = 0.05

// flush stores one run per candidate that has at least one timed sample.
func (a *accumulator) flush(res *result.Result, config, mode string, rss int64) {
	for _, c := range a.names {
		ts := a.times(c)
		if len(ts) == 0 {
			continue
		}
		run := result.Run{Candidate: c, Config: config, Mode: mode, Status: result.StatusOK,
			Loops: a.loops[c], Samples: a.samples[c], PeakRSSBytes: rss,
			Sources: map[string]string{"time": result.PassTiming, "minor_faults": result.PassTiming, "major_faults": result.PassTiming}}
		if per := a.cpu[c]; per != "" {
			run.CPU = &result.CPUTime{Per: per}
			run.Sources["cpu"] = result.PassTiming
		}
		summarize(&run)
		if old := res.Run(c, config, mode); old != nil {
			*old = run
		} else {
			res.Results = append(res.Results, run)
		}
	}
}

// peakRSS is a running process's resident high-water mark (VmHWM), what
// getrusage reports as its maximum RSS once it has exited; 0 if unknown.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return n * 1024
				}
			}
		}
	}
	return 0
}
