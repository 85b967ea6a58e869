package measure

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/perftrace"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

// Matrix times the user's candidates under every configuration in order.
// The first configuration is the baseline: an error there (a SyntaxError,
// an exception in the code) ends the measurement, while a failure under any
// other configuration is recorded on that configuration and the rest go on.
// With o.Isolated, each candidate also runs alone under the baseline.
func Matrix(ctx context.Context, res *result.Result, tgt Target, configs []result.Config, o *Options) error {
	_, err := matrix(ctx, res, tgt, configs, o, false)
	return err
}

// Baseline times the candidates interleaved under the baseline
// configuration cfg and returns the probe still running for the
// diagnostic passes; the caller closes it. It is nil when the timing did
// not end cleanly. With o.Isolated, the processes of the isolated runs
// (Isolated) start with it, before anything is timed.
func Baseline(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, o *Options) (*Live, error) {
	return matrix(ctx, res, tgt, []result.Config{cfg}, o, true)
}

func matrix(ctx context.Context, res *result.Result, tgt Target, configs []result.Config, o *Options, keep bool) (live *Live, err error) {
	o.Defaults()
	cands := res.UserCandidates()
	defer func() {
		if err != nil {
			live.Close()
			live = nil
		}
	}()
	err = forEachConfig(ctx, res, configs, o.Deadline, result.ModeInterleaved, true, func(i int, cfg result.Config) error {
		bo := o
		if i == 0 {
			bo = o.baseline(res, len(cands))
			if o.Isolated && len(cands) > 1 {
				// The isolated processes start with the interleaved
				// one, before anything is timed.
				for _, c := range cands[:min(aheadMax, len(cands))] {
					o.Starter.Ahead(ctx, tgt, cfg, []result.Candidate{c}, o)
				}
			}
		}
		l, err := timeConfig(ctx, res, tgt, cfg, cands, result.ModeInterleaved, bo, keep && i == 0)
		if l != nil {
			live = l
		}
		if err == nil && i == 0 && !keep {
			err = isolatedAll(ctx, res, tgt, cfg, o)
		}
		return err
	})
	return live, err
}

// Isolated times each candidate alone under the baseline configuration
// cfg (with o.Isolated and more than one candidate): does order matter?
func Isolated(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, o *Options) error {
	o.Defaults()
	return isolatedAll(ctx, res, tgt, cfg, o)
}

func isolatedAll(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, o *Options) error {
	cands := res.UserCandidates()
	if !o.Isolated || len(cands) < 2 {
		return nil
	}
	// The isolated runs answer one question (does order matter?), so
	// they get the experiments' shorter schedule.
	io := o.experiment(res, cfg.Name)
	// They may use half of what is left, so that the diagnostic passes
	// and experiments still fit.
	if !o.Deadline.IsZero() {
		io.Deadline = time.Now().Add(time.Until(o.Deadline) / 2)
	}
	skipped := 0
	for k, c := range cands {
		if skipped > 0 || !io.budget().fits(isolatedProcesses*200*time.Millisecond) {
			skipped++
			continue
		}
		if k%2 == 0 && k+1 < len(cands) {
			// Two start at once, never beside a timed sample.
			o.Starter.Ahead(ctx, tgt, cfg, cands[k+1:k+2], io)
		}
		if err := isolated(ctx, res, tgt, cfg, c, io); err != nil {
			var st *Stalled
			switch {
			case errors.Is(err, ErrBudget):
				skipped++
			case !errors.As(err, &st):
				return err
			}
			// A candidate that hangs alone is recorded; the others are
			// still measured.
		}
	}
	if skipped > 0 {
		skippedPass(res, result.PassTiming, cfg.Name, "", result.ModeIsolated,
			fmt.Sprintf("%s for %d of %d candidates", ErrBudget, skipped, len(cands)))
	}
	return nil
}

// baseline returns the options of the baseline's interleaved timing. With
// a budget too short for the usual samples (many candidates), samples are
// shortened so that the minimum rounds of every candidate fit in half of
// what is left.
//
// The baseline stops at its minimum rounds once the comparison is settled
// (accumulator.settled: a difference, or none with steady faults, and
// intervals within ±25%): the verdict is then decided, and more samples
// would only narrow it. An unsettled comparison (a close call) goes on
// until the intervals are within ±2% or the configuration budget ends.
func (o *Options) baseline(res *result.Result, n int) *Options {
	bo := *o
	bo.Settle, bo.FaultCost = true, faultCost(res)
	if o.Loops > 0 || o.Deadline.IsZero() || n == 0 {
		return &bo
	}
	share := time.Until(o.Deadline) / 2
	per := share / time.Duration(n*(o.MinRounds+o.Warmup+3))
	if per >= o.SampleTime && o.ConfigBudget <= share && o.UndecidedBudget <= share {
		return &bo
	}
	// The timing takes at most half of what is left, however unsettled
	// its intervals: the diagnostic passes after it need the rest.
	bo.ConfigBudget, bo.UndecidedBudget = min(o.ConfigBudget, share), min(o.UndecidedBudget, share)
	if per < o.SampleTime {
		bo.SampleTime = max(time.Millisecond, per)
		res.Note("samples shortened from %s to %s so that %d candidates fit in the time budget", o.SampleTime, bo.SampleTime.Round(100*time.Microsecond), n)
	}
	return &bo
}

// isolatedProcesses is how many fresh processes each candidate's isolated
// run is made of at least; up to isolatedExtra more are started while none
// of them faults like the interleaved process. Where a process's heap
// lands can change its faults as much as what ran before it: it is bimodal
// for the seed's B (about 806 or 1,320 faults per call). A process that
// matches the interleaved one ends the search, since then order made no
// difference to the faults; four that all differ leave a one-in-sixteen
// chance that landing, not order, made the difference.
const (
	isolatedProcesses = 1
	isolatedExtra     = 3
	// isolatedMaterial is the share of the interleaved time below which a
	// fault difference, at this host's fault cost, does not matter: the
	// seed's A faults 3 times per call after B and never alone, 2% of its
	// time, which no fresh process reproduces.
	isolatedMaterial = 0.05
)

// needsAnotherProcess says whether the isolated processes so far all
// disagree with the interleaved process about cand's faults, by enough
// to matter for its time.
func needsAnotherProcess(res *result.Result, cand, cfg string, perProc []float64) bool {
	inter := res.Run(cand, cfg, result.ModeInterleaved)
	if inter == nil || len(perProc) == 0 {
		return false
	}
	cost := faultCost(res)
	f0 := inter.PerIteration.MinorFaults
	for _, f := range perProc {
		if stats.CountsAlike(f, f0) || math.Abs(f-f0)*cost < isolatedMaterial*inter.Time.Median {
			return false
		}
	}
	return true
}

// isolated times cand alone in isolatedProcesses fresh processes and
// stores one run with every process's samples and faults.
func isolated(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, c result.Candidate, o *Options) error {
	var samples []result.Sample
	var perProc []float64
	var first result.Run
	for i := 0; i < isolatedProcesses+isolatedExtra; i++ {
		if i >= isolatedProcesses && !needsAnotherProcess(res, c.Name, cfg.Name, perProc) {
			break
		}
		if i >= isolatedProcesses && !o.Deadline.IsZero() && time.Now().After(o.Deadline) {
			break
		}
		err := TimeConfig(ctx, res, tgt, cfg, []result.Candidate{c}, result.ModeIsolated, o)
		r := res.Run(c.Name, cfg.Name, result.ModeIsolated)
		if r != nil && r.Status == result.StatusOK && r.Time.N > 0 {
			if i == 0 {
				first = *r
			}
			// Later processes follow the earlier ones on the timeline.
			next := 0
			for _, s := range samples {
				next = max(next, s.Seq+1)
			}
			for _, s := range r.Samples {
				s.Process = i
				s.Seq += next
				samples = append(samples, s)
			}
			perProc = append(perProc, r.PerIteration.MinorFaults)
		}
		if err != nil {
			return err
		}
	}
	r := res.Run(c.Name, cfg.Name, result.ModeIsolated)
	if r == nil || len(perProc) == 0 {
		return nil
	}
	merged := first
	merged.Samples = samples
	summarize(&merged)
	merged.PeakRSSBytes = max(first.PeakRSSBytes, r.PeakRSSBytes)
	merged.ProcessFaults = perProc
	*r = merged
	return nil
}

// forEachConfig calls fn for every configuration and records each one's
// status. An error under the first (baseline) configuration or a
// cancellation ends the loop and is returned.
func forEachConfig(ctx context.Context, res *result.Result, configs []result.Config, deadline time.Time, mode string, withBaseline bool, fn func(int, result.Config) error) error {
	cands := res.UserCandidates()
	for k, cfg := range configs {
		i := k
		cfg.Status = result.StatusOK
		if res.Config(cfg.Name) == nil {
			res.Configs = append(res.Configs, cfg)
		}
		rc := res.Config(cfg.Name)
		if ctx.Err() != nil {
			rc.Status, rc.Reason = result.StatusSkipped, "interrupted"
			continue
		}
		if !withBaseline {
			i++ // every configuration here is an experiment
		}
		if i > 0 && !deadline.IsZero() && time.Now().After(deadline) {
			rc.Status, rc.Reason = result.StatusSkipped, ErrBudget.Error()
			continue
		}
		err := fn(i, cfg)
		if err == nil {
			continue
		}
		switch {
		case ctx.Err() != nil:
			// What an interrupted configuration measured is kept, but it
			// did not fail; those after it never ran.
			rc.Status, rc.Reason = result.StatusSkipped, "interrupted"
			SkipRest(res, configs[k+1:], "interrupted")
			return ctx.Err()
		case i > 0 && (budgetCut(err, deadline) || stalledAtEnd(err)):
			// The budget ended the experiment, not the target: what it
			// measured stands, the configuration is skipped, not failed.
			rc.Status, rc.Reason = result.StatusSkipped, ErrBudget.Error()
			continue
		case budgetCut(err, deadline):
			// The baseline's own runs were cut short by the budget (a
			// baseline target that hung, a *Stalled, still fails it):
			// what they measured stands, and the pipeline says whether
			// anything was.
			return ErrBudget
		}
		rc.Status, rc.Reason = result.StatusFailed, oneLine(err)
		if i == 0 {
			return err
		}
		markFailed(res, cfg.Name, mode, cands, err)
	}
	return nil
}

// SkipRest records every configuration of configs that res does not have
// yet as skipped, with reason: those a measurement never reached. One
// skipped already (it cannot apply) keeps its own reason.
func SkipRest(res *result.Result, configs []result.Config, reason string) {
	for _, cfg := range configs {
		if res.Config(cfg.Name) != nil {
			continue
		}
		if cfg.Status != result.StatusSkipped || cfg.Reason == "" {
			cfg.Status, cfg.Reason = result.StatusSkipped, reason
		}
		res.Configs = append(res.Configs, cfg)
	}
}

// Verify measures fixes proposed by the diagnosis: each env config over
// every user candidate (like any other experiment), and each code-fix
// candidate under the baseline configuration in a process of its own.
func Verify(ctx context.Context, res *result.Result, tgt Target, configs []result.Config, fixes []result.Candidate, o *Options) error {
	o.Defaults()
	cands := res.UserCandidates()
	eo := o.experiment(res, res.BaselineConfig())
	bc := res.Config(res.BaselineConfig())
	if bc == nil {
		return nil
	}
	base := *bc
	err := forEachConfig(ctx, res, configs, o.Deadline, result.ModeInterleaved, false, func(i int, cfg result.Config) error {
		// Two probes start at once, this configuration's and the next
		// one's (one per core), never beside a timed sample.
		switch {
		case i%2 == 0:
		case i < len(configs):
			o.Starter.Ahead(ctx, tgt, configs[i], cands, eo)
		case len(fixes) > 0:
			o.Starter.Ahead(ctx, tgt, base, fixes[:1], eo)
		}
		if o.After != nil {
			defer o.After()
		}
		if o.Inspect == nil {
			return TimeConfig(ctx, res, tgt, cfg, cands, result.ModeInterleaved, eo)
		}
		live, err := timeConfig(ctx, res, tgt, cfg, cands, result.ModeInterleaved, eo, true)
		if err != nil {
			return err
		}
		defer live.Close()
		return o.Inspect(cfg, live)
	})
	if err != nil {
		return err
	}
	for k, f := range fixes {
		if res.Candidate(f.Name) == nil {
			res.Candidates = append(res.Candidates, f)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if h, ok := eo.Hints[f.FixOf]; ok {
			eo.Hints[f.Name] = h
		}
		if k%2 == 0 && k+1 < len(fixes) {
			o.Starter.Ahead(ctx, tgt, base, fixes[k+1:k+2], eo)
		}
		err := TimeConfig(ctx, res, tgt, base, []result.Candidate{f}, result.ModeInterleaved, eo)
		if o.After != nil {
			o.After()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, ErrBudget) {
				skippedPass(res, result.PassTiming, base.Name, f.Name, "code fix", ErrBudget.Error())
				continue
			}
			res.Note("the code fix %s could not be measured: %s", f.Name, oneLine(err))
		}
	}
	return nil
}

// The experiments' schedule: a verdict, not the baseline's precision.
// Six rounds is the fewest at which a rank test can reach significance at
// stats.Alpha (five samples a side); faults, the evidence that decides most
// experiments, are the same in every sample.
const (
	experimentSample = 20 * time.Millisecond
	experimentLoops  = 3
	experimentRounds = 6
	experimentTight  = 0.10
	experimentSteady = 0.25
	// experimentShare divides the baseline's configuration budget: an
	// experiment still undecided after that much time stops anyway.
	experimentShare = 10
)

// baselineSteady is the interval within which a settled comparison stops
// at its minimum rounds.
const baselineSteady = 0.25

// faultCost is the host's calibrated seconds per fault, 1 µs when unknown.
func faultCost(res *result.Result) float64 {
	if c := res.Host.FaultCostSeconds; c > 0 {
		return c
	}
	return 1e-6
}

// experiment returns the options for runs that need a verdict, not the
// baseline's precision: shorter samples, a fifth of the configuration
// budget, a looser stopping interval, and loop counts sized from the
// baseline's times instead of a fresh autorange. Explicit -n/-r still win.
func (o *Options) experiment(res *result.Result, baseline string) *Options {
	eo := *o
	eo.ConfigBudget = o.ConfigBudget / experimentShare
	eo.UndecidedBudget = o.ConfigBudget / 5
	eo.MinRounds = min(o.MinRounds, experimentRounds)
	eo.Tight = max(o.Tight, experimentTight)
	eo.SteadyTight = max(o.SteadyTight, experimentSteady)
	eo.FaultCost = faultCost(res)
	eo.SampleTime = min(eo.SampleTime, experimentSample)
	// A short sample of a slow call would be one or two iterations, each
	// in the heap the other candidate left: at least experimentLoops, so
	// that most of a sample's iterations follow one of their own.
	eo.MinLoops = max(eo.MinLoops, experimentLoops)
	eo.Hints = map[string]float64{}
	for _, r := range res.Results {
		if r.Config == baseline && r.Mode == result.ModeInterleaved && r.Status == result.StatusOK && r.Time.Median > 0 {
			eo.Hints[r.Candidate] = r.Time.Median
		}
	}
	return &eo
}

func markFailed(res *result.Result, config, mode string, cands []result.Candidate, err error) {
	for _, c := range cands {
		if r := res.Run(c.Name, config, mode); r != nil {
			if len(r.Samples) > 0 {
				continue
			}
			r.Status, r.Error = result.StatusFailed, oneLine(err)
			continue
		}
		res.Results = append(res.Results, result.Run{Candidate: c.Name, Config: config,
			Mode: mode, Status: result.StatusFailed, Error: oneLine(err)})
	}
}

func oneLine(err error) string {
	var te *probe.TargetError
	if errors.As(err, &te) {
		return te.Error()
	}
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

// Alloc runs the allocation pass under cfg: each candidate runs iters
// iterations under allocation tracking after a short warm-up, and the
// per-iteration allocations are stored on its interleaved run.
//
// A live baseline probe under cfg runs the pass in place and is closed.
func Alloc(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, iters int, live *Live, o *Options) (err error) {
	o.Defaults()
	cands := slices.Clone(res.Candidates)
	b := o.budget()
	// Tracking slows Python code down, by how much depends on the code:
	// the pass needs at least its iterations' untracked time, and the
	// stop bounds the rest.
	if need := passCost(res, cfg.Name, cands, iters+3); !b.fits(need) {
		skippedPass(res, result.PassAlloc, cfg.Name, "", "", fmt.Sprintf("%s: it needs at least %s", ErrBudget, need.Round(100*time.Millisecond)))
		return nil
	}
	start := time.Now()
	hctx, cancel := b.hard(ctx)
	defer cancel()
	var s *probe.Session
	if live.usable(cfg.Name) {
		s = live.s
		live.s = nil
		defer live.cancel()
	} else {
		spec, err := tgt.Spec(cands, o.Env(cfg))
		if err != nil {
			return err
		}
		if s, err = probe.Start(hctx, spec); err != nil {
			return fmt.Errorf("start allocation pass: %w", stalled(ctx, hctx, err, b, "", cfg.Name, "start", start))
		}
	}
	defer func() {
		if err != nil {
			s.Abort()
			return
		}
		_, _ = s.Close()
	}()
	for _, c := range cands {
		o.progress("allocation pass: %s", c.Name)
		t0 := time.Now()
		if _, err = s.Run(hctx, c.Name, 3, 0, o.KeepGC); err != nil {
			return stalled(ctx, hctx, err, b, c.Name, cfg.Name, "alloc", t0)
		}
		var a *result.Allocations
		a, err = s.Alloc(hctx, c.Name, iters)
		if err != nil {
			return stalled(ctx, hctx, err, b, c.Name, cfg.Name, "alloc", t0)
		}
		r := res.Run(c.Name, cfg.Name, result.ModeInterleaved)
		if r == nil {
			continue
		}
		r.PerIteration.Allocations = a
		if r.Sources == nil {
			r.Sources = map[string]string{}
		}
		r.Sources["allocations"] = result.PassAlloc
	}
	res.Passes = append(res.Passes, result.Pass{Name: result.PassAlloc, Config: cfg.Name,
		Seconds: time.Since(start).Seconds(), Note: "tracemalloc with bytecode-level tracing; no times taken"})
	return nil
}

// passCost estimates a pass over cands that runs each for iters of its
// baseline iterations: their time plus a probe start.
func passCost(res *result.Result, config string, cands []result.Candidate, iters int) time.Duration {
	d := 300 * time.Millisecond
	for _, c := range cands {
		if r := res.Run(c.Name, config, result.ModeInterleaved); r != nil && r.Time.Median > 0 {
			d += time.Duration(float64(iters) * r.Time.Median * 1e9)
		}
	}
	return d
}

// The trace pass times traceTimingRounds interleaved samples of about
// traceSampleTime per candidate (less when the budget is short) to
// measure what tracing costs.
const (
	traceTimingRounds = 3
	traceSampleTime   = 20 * time.Millisecond
)

// Recorders says which syscall recorders the trace pass may use: the
// kernel's syscall tracepoints through perf (the target never stops) and
// the seccomp+ptrace tracer. The pipeline chooses them once; PerfWhy and
// PtraceWhy say why one cannot run here ("" when it can, or when the user
// ruled it out).
type Recorders struct {
	Perf, Ptrace       bool
	PerfWhy, PtraceWhy string
}

// Trace runs the syscall-tracing diagnostic pass under cfg in a fresh
// probe: each candidate warmed up for two iterations (glibc's thresholds
// settle), then run iters times, and every memory syscall attributed to
// its candidate and iteration (docs/tracing.md). The recorder is perf
// (iterations delimited by the probe's monotonic timestamps) when rec
// allows it, and otherwise, or when perf turns out to be unusable, the
// seccomp+ptrace tracer (iterations delimited by marker writes). The
// per-iteration syscalls are stored on each candidate's interleaved run,
// and the pass records what recording cost: the median time per iteration
// of unmarked samples taken under it over the untraced median.
//
// With perf, a live baseline probe under cfg is traced in place (it stays
// running for the allocation pass); the ptrace tracer needs a process of
// its own, started under it.
func Trace(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, iters int, rec Recorders, live *Live, o *Options) error {
	o.Defaults()
	cands := res.Candidates
	// The samples that measure the tracing cost shrink when the budget is
	// short (many candidates), down to a millisecond.
	base := passCost(res, cfg.Name, cands, iters+2)
	ts := traceSampleTime
	if !o.Deadline.IsZero() {
		// Half of what is left when that holds the traced runs and
		// millisecond samples; on a short budget, all of it: the trace is
		// the evidence the passes after it would only add to.
		rounds := time.Duration(max(1, len(cands)*traceTimingRounds))
		left := time.Until(o.Deadline)
		if need := base + rounds*time.Millisecond; left < need {
			skippedPass(res, result.PassTrace, cfg.Name, "", "", fmt.Sprintf("%s: it needs at least %s", ErrBudget, need.Round(100*time.Millisecond)))
			return nil
		}
		ts = max(time.Millisecond, min(ts, (left/2-base)/rounds))
	}
	if rec.Perf {
		err := tracePass(ctx, res, tgt, cfg, iters, ts, o, true, live, cands, result.ModeInterleaved)
		if err == nil || !errors.Is(err, perftrace.ErrUnavailable) || !rec.Ptrace {
			return err
		}
		res.Note("trace: recorded with ptrace stops, which slow the target (%s)", oneLine(err))
	} else if rec.PerfWhy != "" {
		res.Note("trace: recorded with ptrace stops, which slow the target (%s)", rec.PerfWhy)
	}
	return tracePass(ctx, res, tgt, cfg, iters, ts, o, false, nil, cands, result.ModeInterleaved)
}

// TraceAlone traces cand alone in a fresh probe, as its isolated runs ran,
// into its isolated run: where a candidate faults alone but not
// interleaved (another candidate's memory keeps its pages mapped), the
// mechanism is only seen there. It records nothing when the budget has no
// room for a probe's start and iters iterations.
func TraceAlone(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, cand string, iters int, rec Recorders, o *Options) error {
	o.Defaults()
	c := res.Candidate(cand)
	r := res.Run(cand, cfg.Name, result.ModeIsolated)
	if c == nil || r == nil {
		return nil
	}
	need := probeStartCost + time.Duration(float64(iters+2)*r.Time.Median*1e9)
	if !o.budget().fits(need) {
		skippedPass(res, result.PassTrace, cfg.Name, cand, "alone", ErrBudget.Error())
		return nil
	}
	return tracePass(ctx, res, tgt, cfg, iters, 0, o, rec.Perf, nil, []result.Candidate{*c}, result.ModeIsolated)
}

// TraceUnder traces every candidate in a fresh probe under cfg, an
// experiment's configuration, into its interleaved runs there: a finding
// about the configuration (a regression, a gap that widens) then rests on
// its own syscalls. The tracing cost is not timed again. It records a
// skipped pass when the budget has no room for it.
func TraceUnder(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, iters int, rec Recorders, o *Options) error {
	o.Defaults()
	cands := timedUnder(res, cfg.Name)
	if len(cands) == 0 {
		return nil
	}
	if need := passCost(res, cfg.Name, cands, iters+2); !o.budget().fits(need) {
		skippedPass(res, result.PassTrace, cfg.Name, "", "", ErrBudget.Error())
		return nil
	}
	if rec.Perf {
		err := tracePass(ctx, res, tgt, cfg, iters, 0, o, true, nil, cands, result.ModeInterleaved)
		if err == nil || !errors.Is(err, perftrace.ErrUnavailable) || !rec.Ptrace {
			return err
		}
	}
	return tracePass(ctx, res, tgt, cfg, iters, 0, o, false, nil, cands, result.ModeInterleaved)
}

// TraceLive traces the candidates in live, a probe kept running after its
// timing under an experiment's configuration cfg, as TraceUnder does in a
// fresh one: the evidence without another start. It needs the perf
// recorder (the ptrace tracer must start the process); without it, or
// when perf turns out unusable, it traces nothing, and the configuration
// stays untraced for traceWhereTheGapIs.
func TraceLive(ctx context.Context, res *result.Result, cfg result.Config, iters int, rec Recorders, live *Live, o *Options) error {
	o.Defaults()
	cands := timedUnder(res, cfg.Name)
	if !rec.Perf || !live.usable(cfg.Name) || len(cands) == 0 {
		return nil
	}
	if need := passCost(res, cfg.Name, cands, iters+2) - probeStartCost; !o.budget().fits(need) {
		return nil
	}
	err := tracePass(ctx, res, Target{}, cfg, iters, 0, o, true, live, cands, result.ModeInterleaved)
	if errors.Is(err, perftrace.ErrUnavailable) {
		return nil
	}
	return err
}

// timedUnder is the candidates, fixes included, whose interleaved run
// under cfg succeeded.
func timedUnder(res *result.Result, cfg string) []result.Candidate {
	var cands []result.Candidate
	for _, c := range res.Candidates {
		if r := res.Run(c.Name, cfg, result.ModeInterleaved); r != nil && r.Status == result.StatusOK {
			cands = append(cands, c)
		}
	}
	return cands
}

// probeStartCost is what starting a probe takes, about.
const probeStartCost = 300 * time.Millisecond

// tracePass is one trace pass with the perf recorder or the ptrace tracer.
func tracePass(ctx context.Context, res *result.Result, tgt Target, cfg result.Config, iters int, sampleTime time.Duration, o *Options, perf bool, live *Live, cands []result.Candidate, mode string) error {
	cands = slices.Clone(cands)
	start := time.Now()
	t := &traceRun{ctx: ctx, res: res, cfg: cfg, o: o, b: o.budget(), mode: mode, perf: perf, traced: map[string][]float64{}}
	hctx, cancel := t.b.hard(ctx)
	defer cancel()
	t.hctx = hctx
	if err := t.open(tgt, cands, live, start); err != nil {
		return err
	}
	if err := t.iterations(cands, iters); err != nil {
		return err
	}
	if err := t.cost(cands, sampleTime); err != nil {
		return err
	}
	got, err := t.finish(iters)
	if err != nil {
		return err
	}
	t.store(cands, got, sampleTime, start)
	return nil
}

// traceRun is one trace pass in progress: its probe (the live baseline
// probe, traced in place, or one of its own), the perf recorder when it
// records with perf, and what it has recorded.
type traceRun struct {
	ctx, hctx    context.Context // the caller's, and bounded by the budget's stop
	res          *result.Result
	cfg          result.Config
	o            *Options
	b            budget
	mode         string
	perf         bool
	live         *Live
	s            *probe.Session
	rec          *perftrace.Recorder
	windows      []perftrace.Window   // each traced iteration's time span, for perf
	traced       map[string][]float64 // seconds per iteration while recorded
	faultsDiffer bool                 // a cost sample faulted unlike the timing pass
}

// open takes the live probe or starts one under the tracer, and attaches
// the perf recorder.
func (t *traceRun) open(tgt Target, cands []result.Candidate, live *Live, start time.Time) error {
	if t.perf && live.usable(t.cfg.Name) {
		t.s, t.live = live.s, live
	} else {
		spec, err := tgt.Spec(cands, t.o.Env(t.cfg))
		if err != nil {
			return err
		}
		if !t.perf {
			spec.Configure = func(ps *proc.Spec) { ps.Trace = &proc.TraceOptions{} }
		}
		if t.s, err = probe.Start(t.hctx, spec); err != nil {
			return fmt.Errorf("start trace pass: %w", stalled(t.ctx, t.hctx, err, t.b, "", t.cfg.Name, "start", start))
		}
	}
	if t.perf {
		var err error
		if t.rec, err = perftrace.Attach(t.s.Pid()); err != nil {
			t.abort()
			return err
		}
	}
	return nil
}

// abort stops the recorder and ends the probe after a failed request.
func (t *traceRun) abort() {
	if t.rec != nil {
		_, _, _ = t.rec.Stop()
		t.rec = nil
	}
	if t.live != nil {
		t.live.abort()
		return
	}
	t.s.Abort()
}

// req bounds one request expected to take about n of c's iterations.
func (t *traceRun) req(c string, n int) (context.Context, context.CancelFunc) {
	var d time.Duration
	if r := t.res.Run(c, t.cfg.Name, t.mode); r != nil {
		d = time.Duration(float64(n) * r.Time.Median * 1e9)
	}
	return watch(t.hctx, d)
}

// iterations traces iters marked iterations of each candidate, after two
// unmarked ones so glibc's thresholds reach their steady state (the
// warm-up's own syscalls fall outside any iteration).
func (t *traceRun) iterations(cands []result.Candidate, iters int) error {
	for _, c := range cands {
		t.o.progress("trace pass: %s", c.Name)
		t0 := time.Now()
		rctx, rcancel := t.req(c.Name, 2)
		_, err := t.s.Run(rctx, c.Name, 2, 0, t.o.KeepGC)
		rcancel()
		if err != nil {
			t.abort()
			return stalled(t.ctx, rctx, err, t.b, c.Name, t.cfg.Name, "trace", t0)
		}
		t0 = time.Now()
		// Tracing with ptrace stops may slow the iterations down
		// severalfold: the watchdog allows for it.
		rctx, rcancel = t.req(c.Name, 10*iters)
		its, err := t.s.Trace(rctx, c.Name, iters)
		rcancel()
		if err != nil {
			t.abort()
			return stalled(t.ctx, rctx, err, t.b, c.Name, t.cfg.Name, "trace", t0)
		}
		for i, it := range its {
			if t.perf && (it.T0 <= 0 || it.T1 < it.T0) {
				t.abort()
				return fmt.Errorf("%w: the probe reports no iteration times", perftrace.ErrUnavailable)
			}
			t.windows = append(t.windows, perftrace.Window{Cand: c.Name, Iter: i, Start: it.T0, End: it.T1})
		}
	}
	return nil
}

// cost times what recording costs the target's own code: interleaved
// samples of the timing pass's shape (unmarked, so the ptrace tracer
// stops only on memory syscalls), against the untraced medians. Alone, or
// under an experiment's configuration (sampleTime 0), only the syscalls
// are wanted: the cost was timed in the baseline's interleaved pass.
func (t *traceRun) cost(cands []result.Candidate, sampleTime time.Duration) error {
	rounds := traceTimingRounds
	if t.mode != result.ModeInterleaved || sampleTime <= 0 {
		rounds = 0
	}
	for round := 0; round < rounds; round++ {
		for _, c := range cands {
			r := t.res.Run(c.Name, t.cfg.Name, result.ModeInterleaved)
			if r == nil || r.Time.Median <= 0 {
				continue
			}
			if !t.b.fits(sampleTime) {
				break
			}
			t0 := time.Now()
			loops := loopsFor(sampleTime, r.Time.Median)
			rctx, rcancel := t.req(c.Name, 10*loops)
			sm, err := t.s.Run(rctx, c.Name, loops, round, t.o.KeepGC)
			rcancel()
			if err != nil {
				t.abort()
				return stalled(t.ctx, rctx, err, t.b, c.Name, t.cfg.Name, "trace", t0)
			}
			// A sample that faulted unlike the timing pass ran in another
			// heap layout, and its time says nothing about the tracer.
			n := float64(sm.Loops)
			if math.Abs(float64(sm.MinFlt)/n-r.PerIteration.MinorFaults) <= max(5, 0.1*r.PerIteration.MinorFaults) {
				t.traced[c.Name] = append(t.traced[c.Name], float64(sm.NS)/1e9/n)
			} else {
				t.faultsDiffer = true
			}
		}
	}
	return nil
}

// recorded is what a trace pass's recorder gives back.
type recorded struct {
	tally   *memtrace.Tally
	threads int
	notes   []string
	note    string // how it recorded, for the pass
}

// finish stops the recorder (perf) or closes the traced probe (ptrace)
// and returns what it recorded.
func (t *traceRun) finish(iters int) (recorded, error) {
	if !t.perf {
		exit, err := t.s.Close()
		if err != nil {
			return recorded{}, fmt.Errorf("trace pass: %w", err)
		}
		if exit == nil || exit.Trace == nil || exit.Trace.Tally == nil {
			return recorded{}, errors.New("trace pass: the tracer returned nothing")
		}
		return recorded{tally: exit.Trace.Tally, threads: exit.Trace.Stats.Threads, notes: exit.Trace.Notes,
			note: fmt.Sprintf("seccomp-filtered tracing of brk, mmap, munmap, mremap, madvise; %d iterations per candidate", iters)}, nil
	}
	pid := t.s.Pid()
	events, st, err := t.rec.Stop()
	t.rec = nil
	if err != nil {
		t.abort()
		return recorded{}, fmt.Errorf("trace pass: %w", err)
	}
	if t.live == nil {
		if _, err := t.s.Close(); err != nil {
			return recorded{}, fmt.Errorf("trace pass: %w", err)
		}
	}
	got := recorded{tally: perftrace.Tally(events, t.windows, pid), threads: st.Threads,
		note: fmt.Sprintf("perf syscall tracepoints for brk, mmap, munmap, mremap, madvise (the target never stops); %d iterations per candidate", iters)}
	if st.Lost > 0 {
		got.notes = append(got.notes, fmt.Sprintf("the kernel dropped %d of %d syscall samples: counts are low", st.Lost, st.Lost+st.Samples))
	}
	if st.NoSites != "" {
		got.notes = append(got.notes, st.NoSites+": no issuing functions for the memory syscalls")
	}
	return got, nil
}

// store puts each candidate's per-iteration syscalls on its run and
// records the pass, with what recording cost.
func (t *traceRun) store(cands []result.Candidate, got recorded, sampleTime time.Duration, start time.Time) {
	var ratios []float64
	for _, c := range cands {
		sc := got.tally.Syscalls(c.Name)
		r := t.res.Run(c.Name, t.cfg.Name, t.mode)
		if r == nil || sc == nil {
			continue
		}
		sc.Threads = got.threads
		r.PerIteration.Syscalls = sc
		if r.Sources == nil {
			r.Sources = map[string]string{}
		}
		r.Sources["syscalls"] = result.PassTrace
		if tt := stats.Summarize(t.traced[c.Name]); tt.N > 0 && r.Time.Median > 0 {
			ratios = append(ratios, tt.Median/r.Time.Median)
		}
	}
	pass := result.Pass{Name: result.PassTrace, Config: t.cfg.Name, Seconds: time.Since(start).Seconds(), Note: got.note}
	switch {
	case t.mode != result.ModeInterleaved:
		pass.Candidate, pass.Note = cands[0].Name, "alone in a fresh probe, as its isolated runs; "+got.note
	case sampleTime <= 0:
		pass.Note = "in a fresh probe under an experiment's configuration, for its own evidence (tracing cost not timed); " + got.note
	}
	if len(ratios) > 0 {
		pass.Overhead = stats.Summarize(ratios).Median
	}
	if t.faultsDiffer {
		pass.Note += "; samples that faulted unlike the timing pass were left out of the tracing cost"
	}
	t.res.Passes = append(t.res.Passes, pass)
	for _, n := range got.notes {
		t.res.Note("trace: %s", n)
	}
}
