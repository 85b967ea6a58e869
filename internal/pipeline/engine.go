package pipeline

import (
	"context"
	"slices"
	"time"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/summary"
)

// engine runs the steps of the sequence on one kind of target.
type engine interface {
	baseline(ctx context.Context, res *result.Result, cfg result.Config) error
	trace(ctx context.Context, res *result.Result, cfg result.Config, rec measure.Recorders) error
	// isolated runs each candidate alone under the baseline, where the
	// engine has such runs, and traces there a candidate that faults
	// only alone (with rec).
	isolated(ctx context.Context, res *result.Result, cfg result.Config, rec *measure.Recorders) error
	alloc(ctx context.Context, res *result.Result, cfg result.Config) error
	// traceUnder traces the candidates under an experiment's
	// configuration, after the experiments.
	traceUnder(ctx context.Context, res *result.Result, cfg result.Config, rec measure.Recorders) error
	// verify runs experiments under cfgs, then the code fixes (where
	// codeFixes says they can run). With rec, a configuration that
	// traceConfigs picks is traced as soon as it is timed, in its own
	// probe where the engine keeps one.
	verify(ctx context.Context, res *result.Result, cfgs []result.Config, fixes []result.Candidate, rec *measure.Recorders, after func()) error
	// ahead may start the process of an experiment under cfg before it
	// is needed.
	ahead(ctx context.Context, res *result.Result, cfg result.Config)
	// done ends what the diagnostic passes shared (the baseline probe).
	done()
	// end ends everything the engine still holds.
	end()
	// codeFixes says whether rewritten statements can be measured.
	codeFixes() bool
	deadline() time.Time
}

func newEngine(req *Request, start time.Time) engine {
	s := req.Settings
	deadline, stop := measure.Budget(start, s.Budget)
	env := func(cfg result.Config) []string { return alloc.Apply(nil, cfg) }
	if req.Probe != nil {
		return &probeEngine{tgt: *req.Probe, python: req.Traits.Python, o: &measure.Options{
			Loops: s.Loops, Rounds: s.Rounds, Warmup: s.Warmup, SampleTime: s.SampleTime,
			Deadline: deadline, Stop: stop, KeepGC: s.KeepGC, Isolated: !s.NoIsolated && !s.Quick,
			Progress: req.Progress, Env: env, Starter: measure.NewStarter(),
		}}
	}
	p := req.Process
	argvs := req.Commands
	return &processEngine{noTrace: s.NoTrace, noAlloc: s.NoAlloc, o: &measure.RunOptions{
		Argv:   func(c result.Candidate) []string { return argvs[c.Name] },
		Warmup: s.Warmup, Runs: p.Runs, MinRuns: p.MinRuns, MaxRuns: p.MaxRuns,
		Prepare: p.Prepare, Conclude: p.Conclude, Setup: p.Setup, Cleanup: p.Cleanup, Input: p.Input,
		Timeout: p.Timeout, IgnoreFailure: p.IgnoreFailure,
		Deadline: deadline, Stop: stop, Progress: req.Progress, Env: env, Output: p.Output,
		// perf_event software counters from exec; rusage when refused.
		Configure: func(s *proc.Spec) { s.Counters = true },
		Counters:  func(e *proc.Exit) map[string]float64 { return e.Counters },
	}}
}

// probeEngine runs statements in probes (timeit, demo).
// The baseline's interleaved probe stays running for the diagnostic
// passes, which then start no process of their own.
type probeEngine struct {
	tgt  measure.Target
	o    *measure.Options
	live *measure.Live
	// python says the probe runs Python statements, as code fixes are.
	python bool
}

func (e *probeEngine) baseline(ctx context.Context, res *result.Result, cfg result.Config) error {
	var err error
	e.live, err = measure.Baseline(ctx, res, e.tgt, cfg, e.o)
	return err
}

func (e *probeEngine) trace(ctx context.Context, res *result.Result, cfg result.Config, rec measure.Recorders) error {
	return measure.Trace(ctx, res, e.tgt, cfg, traceIterations, rec, e.live, e.o)
}

func (e *probeEngine) isolated(ctx context.Context, res *result.Result, cfg result.Config, rec *measure.Recorders) error {
	if err := measure.Isolated(ctx, res, e.tgt, cfg, e.o); err != nil || rec == nil {
		return err
	}
	// A candidate that faults alone but not interleaved shows its
	// mechanism only alone: trace it there too.
	for _, c := range res.UserCandidates() {
		inter, iso := res.Run(c.Name, cfg.Name, result.ModeInterleaved), res.Run(c.Name, cfg.Name, result.ModeIsolated)
		if inter == nil || iso == nil || !faultsAlone(inter.PerIteration.MinorFaults, iso.PerIteration.MinorFaults) {
			continue
		}
		err := measure.TraceAlone(ctx, res, e.tgt, cfg, c.Name, traceIterations, *rec, e.o)
		if err := diagnosticPass(ctx, res, "trace", err); err != nil {
			return err
		}
	}
	return nil
}

// faultsAlone says whether a candidate's isolated runs fault materially
// more than its interleaved ones: at least stats.FaultFloor faults an
// iteration and twice as many.
func faultsAlone(inter, iso float64) bool { return iso >= inter*2+stats.FaultFloor }

func (e *probeEngine) traceUnder(ctx context.Context, res *result.Result, cfg result.Config, rec measure.Recorders) error {
	return measure.TraceUnder(ctx, res, e.tgt, cfg, traceIterations, rec, e.o)
}

func (e *probeEngine) alloc(ctx context.Context, res *result.Result, cfg result.Config) error {
	return measure.Alloc(ctx, res, e.tgt, cfg, allocIterations, e.live, e.o)
}

func (e *probeEngine) done() { e.live.Close() }

func (e *probeEngine) end() {
	e.live.Close()
	e.o.Starter.Close()
}

func (e *probeEngine) ahead(ctx context.Context, res *result.Result, cfg result.Config) {
	e.o.Starter.Ahead(ctx, e.tgt, cfg, res.UserCandidates(), e.o)
}

func (e *probeEngine) verify(ctx context.Context, res *result.Result, cfgs []result.Config, fixes []result.Candidate, rec *measure.Recorders, after func()) error {
	if len(cfgs) == 0 && len(fixes) == 0 {
		return nil
	}
	o := *e.o
	o.After = after
	if rec != nil {
		o.Inspect = func(cfg result.Config, live *measure.Live) error {
			// A configuration no candidate is slower under is no
			// regression: the summary (tens of milliseconds) is not
			// needed to say so.
			if traceLeft(res) == 0 || !slowerUnder(res, cfg.Name) || !slices.Contains(traceConfigs(res, summary.Of(res)), cfg.Name) {
				return nil
			}
			return diagnosticPass(ctx, res, "trace", measure.TraceLive(ctx, res, cfg, traceIterations, *rec, live, &o))
		}
	}
	return measure.Verify(ctx, res, e.tgt, cfgs, fixes, &o)
}

func (e *probeEngine) codeFixes() bool     { return e.python }
func (e *probeEngine) deadline() time.Time { return e.o.Deadline }

// processEngine runs whole commands, one process per run.
type processEngine struct {
	o *measure.RunOptions
	// noTrace: no trace pass follows the baseline; noAlloc: no native
	// pass. The baseline keeps room for those that follow it.
	noTrace, noAlloc bool
}

func (e *processEngine) baseline(ctx context.Context, res *result.Result, cfg result.Config) error {
	o := *e.o
	o.Verdict = true
	if !e.noTrace {
		o.Reserve = 1
	}
	o.ReserveNative = !e.noAlloc
	return measure.RunMatrix(ctx, res, []result.Config{cfg}, &o)
}

func (e *processEngine) trace(ctx context.Context, res *result.Result, cfg result.Config, rec measure.Recorders) error {
	return measure.RunTrace(ctx, res, cfg, rec, e.o)
}

func (e *processEngine) isolated(context.Context, *result.Result, result.Config, *measure.Recorders) error {
	return nil
}

func (e *processEngine) traceUnder(ctx context.Context, res *result.Result, cfg result.Config, rec measure.Recorders) error {
	return measure.RunTrace(ctx, res, cfg, rec, e.o)
}

// alloc is the native allocation pass: uprobes on the allocator's API.
func (e *processEngine) alloc(ctx context.Context, res *result.Result, cfg result.Config) error {
	return measure.RunNative(ctx, res, cfg, e.o)
}

func (e *processEngine) done() {}
func (e *processEngine) end()  {}

func (e *processEngine) ahead(context.Context, *result.Result, result.Config) {}

func (e *processEngine) verify(ctx context.Context, res *result.Result, cfgs []result.Config, _ []result.Candidate, _ *measure.Recorders, after func()) error {
	if len(cfgs) == 0 {
		return nil
	}
	o := *e.o
	o.After = after
	return measure.RunVerify(ctx, res, cfgs, &o)
}

func (e *processEngine) codeFixes() bool     { return false }
func (e *processEngine) deadline() time.Time { return e.o.Deadline }
