// Package pipeline is the one sequence every measuring command runs:
// the baseline's timing, the diagnostic passes, the configuration
// experiments, the fixes the diagnosis proposes, and the diagnosis. It owns
// the policy of that sequence (pass sizes, retuning glibc-tuned from the
// trace, the tracer choice, what an interrupted or failed step leaves in
// the result) and returns the finished result: nothing above it changes it.
//
// Data flows one way: a Request (what to measure) becomes runs and records
// (internal/measure), summaries and comparisons (internal/result), findings
// (internal/diagnose); rendering is the caller's.
package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/diagnose"
	"github.com/faultline/faultline/internal/host"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/runtimeid"
	"github.com/faultline/faultline/internal/summary"
	"github.com/faultline/faultline/internal/units"
)

// Pass sizes: iterations per candidate of the diagnostic passes. Ten traced
// iterations show a pattern that repeats every iteration (or every other);
// allocation tracking is slower and five suffice for its per-call figures.
const (
	traceIterations = 10
	allocIterations = 5
)

// Request says what to measure and how. Exactly one of Probe and Commands
// is set: statements run by a probe (timeit, demo) or whole commands (run).
type Request struct {
	Kind    string   // result.KindTimeit, KindDemo or KindRun
	Version string   // faultline's version, recorded in the result
	Args    []string // the command line, recorded in the result
	Python  string   // the interpreter running the statements, if any
	Setup   string   // timeit: the setup code
	// Candidates are the user's, named A, B, ... in order.
	Candidates []result.Candidate
	// Reference names the candidate the others are compared with; ""
	// for the fastest.
	Reference string

	Probe *measure.Target
	// Commands is the argv of each candidate, by name.
	Commands map[string][]string

	Traits   Traits
	Settings Settings
	Process  ProcessSettings

	// Progress receives one-line progress messages; nil discards them.
	Progress func(string)
	// Answer, when set, receives the answer as it stands while the
	// measurement goes on: a copy of the result assembled from what was
	// measured so far (the verdict and its first evidence once the
	// baseline is traced, then after each experiment), and what the
	// measurement does next to prove it ("" when nothing). Nothing in it
	// is final; Run returns the finished result.
	Answer func(res *result.Result, next string)
}

// Traits describe what the target is and supports.
type Traits struct {
	Python bool // statements run by the Python probe
	NumPy  bool // the target uses NumPy
	Alloc  bool // the probe answers allocation-pass commands
}

// Settings are the knobs shared by every command.
type Settings struct {
	Budget        time.Duration // the whole measurement, all passes
	Configs       string        // comma-separated names, "all" or ""
	UserConfigs   []string      // NAME:VAR=VALUE[,VAR=VALUE...]
	NoExperiments bool
	// Quick stops at the verdict, its cause and one verified fix: no
	// isolated runs, only the experiments the diagnosis proposes, in the
	// order that answers first, until the primary finding has a verified
	// fix; no trace passes under experiments.
	Quick      bool
	NoIsolated bool
	NoTrace    bool
	NoAlloc    bool
	KeepGC     bool
	// ProcessTime times probe samples by the process's CPU time
	// (timeit -p), not elapsed time.
	ProcessTime bool
	// Probe timing: 0 chooses.
	Loops, Rounds, Warmup int
	SampleTime            time.Duration
}

// ProcessSettings are run's own knobs.
type ProcessSettings struct {
	Runs, MinRuns, MaxRuns int
	Prepare                []string // untimed command before every timed run
	Conclude               []string // untimed command after every timed run
	Setup, Cleanup         []string // untimed commands around each set of runs
	Input                  string   // the file the commands read as stdin
	Timeout                time.Duration
	IgnoreFailure          bool
	Output                 io.Writer // the commands' output; nil discards it
}

// UsageError is a request that cannot be measured as given (an unknown
// configuration, a malformed --config). Nothing was measured.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Run measures req and returns its result with the error that ended the
// measurement, if any (an interruption, a failing target). The result is
// nil only for a *UsageError; otherwise everything measured is in it, with
// Partial and Interrupted saying what was cut short.
func Run(ctx context.Context, req *Request) (*result.Result, error) {
	start := time.Now()
	res := newResult(req)
	plan, err := newPlan(req)
	if err != nil {
		return nil, err
	}
	eng := newEngine(req, start)
	defer eng.end()
	ans := newAnswers(req.Answer)
	// First, so that it counts against the budget like every pass.
	calibrate(res)
	if req.Settings.ProcessTime {
		res.Note("times are the probe process's CPU time (-p/--process), not elapsed time: waiting, sleeping and other processes' work are left out")
	}
	err = measureAll(ctx, res, req, plan, eng, ans)
	ans.close()
	measure.SkipRest(res, plan.configs, notRun(ctx, err, eng.deadline()))
	if errors.Is(err, measure.ErrBudget) && ctx.Err() == nil {
		// The budget ended the baseline: what it measured stands, as
		// everything the budget skipped does (docs/reliability.md).
		res.Note("the time budget ended the baseline's runs early: raise --budget for more")
		err = nil
	}
	if err == nil && req.Commands != nil && req.Process.IgnoreFailure {
		err = measure.FailedEveryRun(res, plan.configs[0].Name)
	}
	if err == nil && ctx.Err() == nil && !measuredAny(res) {
		err = &NothingMeasured{Budget: req.Settings.Budget}
	}
	readLimits(ctx, res)
	finalize(ctx, res, err)
	res.WallSeconds = time.Since(start).Seconds()
	Assemble(res)
	return res, err
}

// Assemble derives a result's summary (comparisons, verdict, carry-over)
// and findings from its records and stores them, the one time they are
// set: what every rendering reads. The report command calls it for a
// result saved before the verdict was stored.
func Assemble(res *result.Result) {
	sum := summary.Of(res)
	sum.Store(res)
	res.Findings, res.Taxes = diagnose.Diagnose(res, sum)
	if res.Verdict != nil {
		res.Verdict.Finding = diagnose.Primary(res.Findings, res.Verdict)
	}
}

// answers hands the caller the answer as it stands (Request.Answer): a
// copy of the result, assembled beside the measurement (a few tens of
// milliseconds), the latest copy replacing one not yet assembled. A nil
// *answers gives nothing.
type answers struct {
	fn   func(*result.Result, string)
	next chan snapshot
	done chan struct{}
}

type snapshot struct {
	res  *result.Result
	next string
}

func newAnswers(fn func(*result.Result, string)) *answers {
	if fn == nil {
		return nil
	}
	a := &answers{fn: fn, next: make(chan snapshot, 1), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for s := range a.next {
			Assemble(s.res)
			if s.res.Verdict != nil || len(s.res.Findings) > 0 {
				a.fn(s.res, s.next)
			}
		}
	}()
	return a
}

// give hands over a copy of res as it stands now, and what comes next.
func (a *answers) give(res *result.Result, next string) {
	if a == nil {
		return
	}
	snap, err := res.Copy()
	if err != nil {
		return
	}
	snap.Partial = true
	select {
	case old := <-a.next: // not assembled yet: this one replaces it
		next = cmp.Or(next, old.next)
	default:
	}
	a.next <- snapshot{snap, next}
}

// close waits until the last answer given has been handed on.
func (a *answers) close() {
	if a == nil {
		return
	}
	close(a.next)
	<-a.done
}

// measureAll is the sequence: baseline, trace, allocations (tracemalloc in
// a Python probe, uprobes on a command's allocator), experiments,
// proposed fixes. The first error ends it.
func measureAll(ctx context.Context, res *result.Result, req *Request, p *plan, eng engine, ans *answers) error {
	if err := eng.baseline(ctx, res, p.configs[0]); err != nil {
		return err
	}
	var rec measure.Recorders
	traced := false
	if !req.Settings.NoTrace {
		rec = chooseRecorders()
		if !rec.Perf && !rec.Ptrace {
			res.Note("syscall tracing unavailable (%s): no per-iteration syscalls", unavailable(rec))
		} else {
			err := diagnosticPass(ctx, res, "trace", eng.trace(ctx, res, p.configs[0], rec))
			if err != nil {
				return err
			}
			traced = true
			p.retune(res)
		}
	}
	var inline *measure.Recorders
	if traced {
		inline = &rec
	}
	ans.give(res, "")
	if err := eng.isolated(ctx, res, p.configs[0], inline); err != nil {
		return err
	}
	if _, nothing := p.nothingToExplain(res); !nothing {
		// The first two experiments' processes start while the
		// allocation pass runs, which is never timed.
		for _, cfg := range p.first(res, 2) {
			eng.ahead(ctx, res, cfg)
		}
	}
	// Probes answer allocation commands; whole commands get the native
	// pass.
	if (req.Traits.Alloc || req.Commands != nil) && !req.Settings.NoAlloc {
		if err := diagnosticPass(ctx, res, "allocation", eng.alloc(ctx, res, p.configs[0])); err != nil {
			return err
		}
		// The allocations' peak and largest block size the derived
		// experiments too, where the trace saw little.
		p.retune(res)
	}
	eng.done()
	if bound, nothing := p.nothingToExplain(res); nothing {
		// The counts leave memory management too little of the time for
		// an experiment to find: the answer is already in.
		res.Note("memory management costs at most %s of every candidate's time by its counts: the configuration experiments were not run (name them with --configs to run them anyway)", units.Percent(max(bound, 0.01)))
		p.configs = p.configs[:1]
		return nil
	}
	after := func() { ans.give(res, "") }
	if req.Settings.Quick {
		return quick(ctx, res, p, eng, ans, after)
	}
	cfgs := p.experiments(res)
	if len(cfgs) > 0 {
		ans.give(res, "re-running under other allocators and tunables")
	}
	if err := eng.verify(ctx, res, cfgs, nil, inline, after); err != nil {
		return err
	}
	if req.Settings.NoExperiments {
		return nil
	}
	envs, fixes := proposals(res, eng.codeFixes())
	if err := eng.verify(ctx, res, envs, fixes, inline, after); err != nil {
		return err
	}
	if !traced {
		return nil
	}
	return traceWhereTheGapIs(ctx, res, eng, rec)
}

// traceWhereTheGapIs traces the configurations where the diagnosis would
// otherwise reason without evidence (a configuration that makes a
// candidate slower, the one where the main pair's gap is widest), last, in
// what the budget leaves: a verified fix matters more than the evidence
// for a warning.
func traceWhereTheGapIs(ctx context.Context, res *result.Result, eng engine, rec measure.Recorders) error {
	names := traceConfigs(res, summary.Of(res))
	// Those traced as they were timed count against the bound.
	names = names[:min(len(names), traceLeft(res))]
	for _, name := range names {
		cfg := res.Config(name)
		if cfg == nil {
			continue
		}
		if err := diagnosticPass(ctx, res, "trace", eng.traceUnder(ctx, res, *cfg, rec)); err != nil {
			return err
		}
	}
	return nil
}

func newResult(req *Request) *result.Result {
	res := result.New(req.Kind, req.Version, req.Args)
	res.Host = host.Info()
	res.Host.Python = req.Python
	res.Setup = req.Setup
	res.Candidates = append(res.Candidates, req.Candidates...)
	for i := range res.Candidates {
		c := &res.Candidates[i]
		switch {
		case c.Runtime != "":
		case req.Traits.Python:
			c.Runtime = runtimeid.Python
		case req.Commands != nil:
			c.Runtime = runtimeid.Of(req.Commands[c.Name], c.Shell)
		}
	}
	res.Reference = req.Reference
	return res
}

// NothingMeasured is a measurement that ended without one successful
// run of any candidate under the baseline: a budget too short for one
// run, a --prepare that never finished. It is an error, never exit 0 with
// an empty result. It wraps measure.ErrBudget: the budget ended it.
type NothingMeasured struct{ Budget time.Duration }

func (e *NothingMeasured) Error() string {
	return fmt.Sprintf("nothing was measured: no run of any candidate completed within --budget %s (a --prepare, --setup or --conclude command that does not finish ends it too); raise --budget", e.Budget)
}

func (e *NothingMeasured) Unwrap() error { return measure.ErrBudget }

// measuredAny says whether some user candidate has a successful, timed run
// under the baseline.
func measuredAny(res *result.Result) bool {
	base := res.BaselineConfig()
	for _, r := range res.Results {
		if r.Config == base && r.Status == result.StatusOK && r.Time.N > 0 {
			if c := res.Candidate(r.Candidate); c != nil && !c.IsFix() {
				return true
			}
		}
	}
	return false
}

// notRun is the reason recorded on configurations a measurement never
// reached.
func notRun(ctx context.Context, err error, deadline time.Time) string {
	switch {
	case ctx.Err() != nil:
		return "interrupted"
	case err != nil:
		return "not run: an earlier error ended the measurement"
	case !deadline.IsZero() && time.Now().After(deadline):
		return measure.ErrBudget.Error()
	}
	return "not run"
}

// readLimits records, on each configuration that ran, the limits its
// allocator reports in the environment the candidates ran in (a few
// milliseconds each, asked once per environment). A limit that cannot be
// read is a note: the documented values stand in.
func readLimits(ctx context.Context, res *result.Result) {
	for i := range res.Configs {
		cfg := &res.Configs[i]
		if cfg.Status != result.StatusOK || ctx.Err() != nil {
			continue
		}
		ls, err := alloc.ReadLimits(ctx, *cfg, alloc.Apply(nil, *cfg))
		if err != nil {
			res.Note("%s", OneLine(err))
			continue
		}
		cfg.Limits = ls
	}
}

// diagnosticPass turns a diagnostic pass's failure into a note: the timing
// result stands without it. Only an interruption ends the measurement.
func diagnosticPass(ctx context.Context, res *result.Result, name string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	res.Note("%s pass failed: %s", name, OneLine(err))
	return nil
}

// finalize records what cut the measurement short and keeps the document
// valid JSON.
func finalize(ctx context.Context, res *result.Result, err error) {
	var te *probe.TargetError
	switch {
	case err == nil:
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		res.Partial, res.Interrupted = true, "interrupted by signal"
	case errors.As(err, &te):
		res.Partial, res.Interrupted = true, te.Error()
	default:
		res.Partial, res.Interrupted = true, OneLine(err)
	}
	if n := res.DropNonFinite(); n > 0 {
		res.Note("%d non-finite values dropped so the result stays valid JSON", n)
	}
}

// OneLine is the first line of err's message.
func OneLine(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

// usage wraps a request error.
func usage(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// PythonTarget runs statements with the Python interpreter py after setup.
// The statements' own output goes to stderr, as a file so the kernel moves
// it and faultline buffers nothing.
// With processTime, samples are timed by the process's CPU time, as
// python -m timeit -p.
func PythonTarget(py, setup string, processTime bool, stderr *os.File) *measure.Target {
	timer := probe.TimerWall
	if processTime {
		timer = probe.TimerProcess
	}
	return &measure.Target{Spec: func(cands []result.Candidate, env []string) (probe.Spec, error) {
		pc := make([]probe.Candidate, len(cands))
		for i, c := range cands {
			pc[i] = probe.Candidate{Name: c.Name, Statement: c.Statement}
		}
		s, err := probe.PythonSpecTimer(py, setup, pc, timer)
		if err != nil {
			return s, err
		}
		s.Env = env
		s.Stderr = stderr
		return s, nil
	}}
}

// CommandTarget runs a probe that is a program of its own (the native
// workload), started as argv.
func CommandTarget(argv []string, stderr *os.File) *measure.Target {
	return &measure.Target{Spec: func(_ []result.Candidate, env []string) (probe.Spec, error) {
		return probe.Spec{Argv: argv, Env: env, Stderr: stderr}, nil
	}}
}
