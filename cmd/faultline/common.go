package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/diagnose"
	"github.com/faultline/faultline/internal/faultcost"
	"github.com/faultline/faultline/internal/host"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/progress"
	"github.com/faultline/faultline/internal/report"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/trace"
)

// commonFlags are shared by the measuring commands.
type commonFlags struct {
	loops, rounds, warmup int
	budget, sampleTime    time.Duration
	configs               string
	userConfigs           []string
	noExperiments         bool
	noIsolated            bool
	noTrace, noAlloc      bool
	keepGC                bool
	out                   outputFlags
}

func (c *commonFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&c.budget, "budget", 60*time.Second, "time budget for the whole measurement, all passes included")
	fl.StringVar(&c.configs, "configs", "all", "comma-separated configurations to run (see docs/configs.md), or all")
	fl.StringArrayVar(&c.userConfigs, "config", nil, "extra configuration NAME:VAR=VALUE[,VAR=VALUE...] (repeatable)")
	fl.BoolVar(&c.noExperiments, "no-experiments", false, "time under the default configuration only")
	fl.BoolVar(&c.noTrace, "no-trace", false, "skip the syscall-tracing diagnostic pass")
	c.out.register(cmd)
}

// registerProbe adds the flags of commands that time candidates inside a
// probe (timeit, demo): loops and samples as python -m timeit names them.
func (c *commonFlags) registerProbe(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVarP(&c.loops, "number", "n", 0, "iterations per timed sample (0: choose so a sample takes --sample-time)")
	fl.IntVarP(&c.rounds, "repeat", "r", 0, "samples per candidate and configuration (0: adaptive, stop when intervals are tight)")
	fl.IntVar(&c.warmup, "warmup", 1, "warm-up samples per candidate, shown in the timeline but not summarised")
	fl.DurationVar(&c.sampleTime, "sample-time", 100*time.Millisecond, "target duration of one timed sample")
	fl.BoolVar(&c.noIsolated, "no-isolated", false, "skip running each candidate alone in a fresh process")
	fl.BoolVar(&c.noAlloc, "no-alloc", false, "skip the allocation-tracking diagnostic pass")
	fl.BoolVar(&c.keepGC, "gc", false, "keep Python's cyclic garbage collector enabled while timing")
	c.register(cmd)
}

// outputFlags name the files a result is written to.
type outputFlags struct {
	json, markdown, html, benchstat string
	quiet, noColor, verbose         bool
}

func (o *outputFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.json, "json", "", "write the result as JSON (docs/json-schema.md) to `FILE`")
	fl.StringVar(&o.markdown, "markdown", "", "write a Markdown report to `FILE`")
	fl.StringVar(&o.html, "html", "", "write a self-contained HTML report to `FILE`")
	fl.StringVar(&o.benchstat, "benchstat", "", "write Go benchmark text readable by benchstat to `FILE`")
	fl.BoolVarP(&o.quiet, "quiet", "q", false, "no progress, and only the summary table")
	fl.BoolVar(&o.noColor, "no-color", false, "no colour (also when NO_COLOR is set)")
	fl.BoolVarP(&o.verbose, "verbose", "v", false, "show every section and sample count")
}

// kindOpts describe what the target supports.
type kindOpts struct {
	python bool // statements run by the Python probe
	numpy  bool // the target uses NumPy
	alloc  bool // the probe answers allocation-pass commands
}

func (c *commonFlags) options(start time.Time, progress func(string)) *measure.Options {
	deadline, stop := measure.Budget(start, c.budget)
	return &measure.Options{
		Loops: c.loops, Rounds: c.rounds, Warmup: c.warmup, SampleTime: c.sampleTime,
		Deadline: deadline, Stop: stop, KeepGC: c.keepGC, Isolated: !c.noIsolated, Progress: progress,
		Env: func(cfg result.Config) []string { return alloc.Apply(nil, cfg) },
	}
}

// configs returns the configurations to run: the baseline, then the
// selected experiments (none with --no-experiments) and user-defined ones.
func (c *commonFlags) selectConfigs(k kindOpts) ([]result.Config, error) {
	ao := alloc.Options{Python: k.python, NumPy: k.numpy, NumPyHugeDefault: alloc.NumPyHugeDefault(host.Kernel())}
	names := c.configs
	if c.noExperiments {
		names = result.DefaultConfig
	}
	if !c.defaultConfigs() {
		// Named on purpose: glibc-arena-max may be chosen before the
		// trace pass has seen threads.
		ao.Threads = 2
	}
	catalog := alloc.Catalog(ao)
	cfgs, err := alloc.Select(catalog, names, c.userConfigs)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return cfgs, nil
}

// defaultConfigs says the configurations are the catalog's default set,
// which the trace pass may extend (glibc-arena-max for threaded targets).
func (c *commonFlags) defaultConfigs() bool {
	return !c.noExperiments && (c.configs == "" || c.configs == "all")
}

// measureAndReport runs the whole pipeline for a probe target: the
// baseline timing, the diagnostic passes, the configuration experiments,
// diagnosis, verification of the fixes it proposes, then every requested
// rendering. What was measured is written even when the run is interrupted
// or a target fails.
func measureAndReport(cmd *cobra.Command, res *result.Result, tgt measure.Target, c *commonFlags, k kindOpts) error {
	ctx := cmd.Context()
	if err := c.out.checkWritable(); err != nil {
		return err
	}
	configs, err := c.selectConfigs(k)
	if err != nil {
		return err
	}
	start := time.Now()
	rep := newProgress(&c.out)
	o := c.options(start, rep)
	// First, so that it counts against the budget like every pass.
	calibrate(res)

	err = measure.Matrix(ctx, res, tgt, configs[:1], o)
	if err == nil && !c.noTrace {
		if terr := trace.Probe(); terr != nil {
			res.Note("syscall tracing unavailable (%s): no per-iteration syscalls", terr)
		} else {
			err = diagnosticPass(ctx, res, "trace", measure.Trace(ctx, res, tgt, configs[0], 10, o))
			configs = retune(configs, res, c.defaultConfigs())
		}
	}
	if err == nil && k.alloc && !c.noAlloc {
		err = diagnosticPass(ctx, res, "allocation", measure.Alloc(ctx, res, tgt, configs[0], 5, o))
	}
	if err == nil && len(configs) > 1 {
		err = measure.Verify(ctx, res, tgt, configs[1:], nil, o)
	}
	if err == nil && !c.noExperiments {
		envs, fixes := proposals(res)
		err = measure.Verify(ctx, res, tgt, envs, fixes, o)
	}
	measure.SkipRest(res, configs, notRun(ctx, err, o.Deadline))
	res.Findings = diagnose.Diagnose(res)
	clearProgress(os.Stderr, &c.out)
	res.WallSeconds = time.Since(start).Seconds()
	return finish(ctx, res, err, &c.out)
}

// retune re-derives glibc-tuned's thresholds from the sizes the trace pass
// observed, so the experiment covers the blocks this target really uses,
// and adds glibc-arena-max to the default set when the target ran threads.
func retune(configs []result.Config, res *result.Result, extend bool) []result.Config {
	var o alloc.Options
	for _, r := range res.Results {
		if r.PerIteration.Syscalls == nil {
			continue
		}
		sc := r.PerIteration.Syscalls
		o.Threads = max(o.Threads, sc.Threads)
		o.PeakHeap = max(o.PeakHeap, int64(sc.BrkGrowBytes), int64(sc.MappedBytes))
		for _, sz := range sc.Sizes {
			if sz.Call == "brk+" || sz.Call == "mmap" {
				o.LargestBlock = max(o.LargestBlock, sz.Bytes)
			}
		}
	}
	if extend && o.Threads > 1 && !slices.ContainsFunc(configs, func(c result.Config) bool { return c.Name == "glibc-arena-max" }) {
		configs = append(configs, alloc.ArenaMax())
	}
	if o.LargestBlock == 0 {
		return configs
	}
	for i := range configs {
		if configs[i].Name == "glibc-tuned" {
			configs[i].Env = map[string]string{"GLIBC_TUNABLES": ""}
			configs[i].Env["GLIBC_TUNABLES"], configs[i].Derived = alloc.Tuned(o)
		}
	}
	return configs
}

// calibrate measures the cost of one page fault on this machine for the
// diagnosis (it turns fault counts into time), or reuses this boot's
// cached calibration (FAULTLINE_NO_CACHE=1 forces a fresh one).
func calibrate(res *result.Result) {
	var c faultcost.Calibration
	var cached bool
	var err error
	if dir := faultcost.DefaultDir(); dir != "" && os.Getenv("FAULTLINE_NO_CACHE") == "" {
		c, cached, err = faultcost.Cached(dir)
	} else {
		c, err = faultcost.Measure()
	}
	if err == nil && !faultcost.Plausible(c.FaultSeconds) {
		err = fmt.Errorf("measured %g s per fault, outside any plausible range", c.FaultSeconds)
	}
	if err != nil {
		res.Note("fault cost not calibrated (%s): the diagnosis assumes 1 µs per fault", oneLineErr(err))
		return
	}
	res.Host.FaultCostSeconds, res.Host.FaultCostCached = c.FaultSeconds, cached
}

// notRun is the reason recorded on configurations a measurement never
// reached.
func notRun(ctx context.Context, err error, deadline time.Time) string {
	switch {
	case ctx.Err() != nil:
		return "interrupted"
	case err != nil:
		return "not run: an earlier error ended the measurement"
	case time.Now().After(deadline):
		return measure.ErrBudget.Error()
	}
	return "not run"
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
	res.Note("%s pass failed: %s", name, oneLineErr(err))
	return nil
}

// proposals returns the fixes the diagnosis wants verified: env configs
// and code-fix candidates.
func proposals(res *result.Result) ([]result.Config, []result.Candidate) {
	var envs []result.Config
	var fixes []result.Candidate
	for _, p := range diagnose.Proposals(res) {
		switch {
		case p.Kind == diagnose.KindEnv && p.Config != nil:
			envs = append(envs, *p.Config)
		case p.Kind == diagnose.KindCode && p.Statement != "":
			name := p.Candidate + "-fix"
			if res.Candidate(name) != nil {
				continue
			}
			fixes = append(fixes, result.Candidate{Name: name, Label: "fix of " + p.Candidate + ": " + p.Statement,
				Statement: p.Statement, FixOf: p.Candidate})
		}
	}
	return envs, fixes
}

func oneLineErr(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

// finish writes the outputs and maps the measurement error to an exit code.
func finish(ctx context.Context, res *result.Result, err error, out *outputFlags) error {
	var te *probe.TargetError
	switch {
	case err == nil:
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		res.Partial = true
		res.Interrupted = "interrupted by signal"
	case errors.As(err, &te):
		if te.Traceback != "" {
			fmt.Fprint(os.Stderr, te.Traceback)
			if te.Traceback[len(te.Traceback)-1] != '\n' {
				fmt.Fprintln(os.Stderr)
			}
		}
		res.Partial = true
		res.Interrupted = te.Error()
	default:
		res.Partial = true
		res.Interrupted = oneLineErr(err)
	}
	if n := res.DropNonFinite(); n > 0 {
		res.Note("%d non-finite values dropped so the result stays valid JSON", n)
	}
	werr := writeOutputs(res, out)
	if len(res.Results) > 0 {
		w := os.Stdout
		if out.toStdout() {
			w = os.Stderr
		}
		if rerr := printTerminal(w, res, out); rerr != nil && werr == nil {
			werr = rerr
		}
	}
	var code int
	var cause error
	switch {
	case err == nil:
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		code, cause = exitInterrupted, errors.New("interrupted: partial result kept")
		if werr != nil {
			cause = errors.New("interrupted")
		} else if ps := out.paths(); len(ps) > 0 {
			cause = fmt.Errorf("interrupted: partial result kept in %s", strings.Join(ps, ", "))
		}
	case errors.As(err, &te):
		code, cause = exitUsage, te
	case errors.Is(err, probe.ErrGarbage), errors.Is(err, probe.ErrNoInterpreter), errors.Is(err, probe.ErrNotProbe):
		code, cause = exitUsage, err
	default:
		code, cause = exitTargetFail, err
	}
	switch {
	case werr != nil && cause == nil:
		return &exitError{code: exitInternal, err: werr}
	case werr != nil:
		// The measurement's own exit code stands; the write error is
		// still said, with where the result went.
		fmt.Fprintln(os.Stderr, "faultline:", werr)
	}
	if cause != nil {
		return &exitError{code: code, err: cause}
	}
	return nil
}

func printTerminal(w *os.File, res *result.Result, out *outputFlags) error {
	opt := report.Options{Verbose: out.verbose}
	if term.IsTerminal(int(w.Fd())) {
		opt.Color = !out.noColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
		if width, _, err := term.GetSize(int(w.Fd())); err == nil && width > 40 {
			opt.Width = width
		}
	}
	if err := report.Terminal(w, res, opt); err != nil {
		return fmt.Errorf("render terminal report: %w", err)
	}
	return nil
}

// newProgress returns where progress messages go: one updating line on a
// terminal, nothing when stderr is piped, and one line per message when
// FAULTLINE_PHASE_LOG is set (for CI logs and the reliability tests).
func newProgress(out *outputFlags) func(string) {
	if os.Getenv("FAULTLINE_PHASE_LOG") != "" {
		return func(msg string) { fmt.Fprintln(os.Stderr, "phase:", msg) }
	}
	rep := progress.New(os.Stderr, progress.Options{Quiet: out.quiet, NoColor: out.noColor})
	if !rep.Enabled() {
		return nil
	}
	activeProgress = rep
	return rep.Message
}

var activeProgress *progress.Reporter

func clearProgress(_ *os.File, _ *outputFlags) {
	if activeProgress != nil {
		activeProgress.Close()
		activeProgress = nil
	}
}
