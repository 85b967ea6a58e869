package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/progress"
	"github.com/faultline/faultline/internal/report"
	"github.com/faultline/faultline/internal/result"
)

// commonFlags are shared by the measuring commands.
type commonFlags struct {
	loops, rounds, warmup int
	budget, sampleTime    time.Duration
	configs               string
	userConfigs           []string
	reference             string
	noExperiments         bool
	noIsolated            bool
	noTrace, noAlloc      bool
	keepGC                bool
	baseline              baselineFlags
	processTime           bool
	out                   outputFlags
}

func (c *commonFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&c.budget, "budget", 60*time.Second, "time budget for the whole measurement, all passes included")
	fl.StringVar(&c.configs, "configs", "all", "comma-separated configurations to run (see docs/configs.md), or all")
	fl.StringArrayVar(&c.userConfigs, "config", nil, "extra configuration NAME:VAR=VALUE[,VAR=VALUE...] (repeatable)")
	fl.StringVar(&c.reference, "reference", "", "compare every candidate with this one (a name A, B, ..., a label or the code), not the fastest")
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
	// hyperfine's export shapes (docs/report.md).
	exportJSON, exportCSV, exportMarkdown string
	// unit fixes the terminal's time unit (timeit -u).
	unit                    string
	quiet, noColor, verbose bool
	// baseline is the comparison run after the measurement (timeit,
	// run), nil for commands without one.
	baseline *baselineFlags
}

func (o *outputFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.json, "json", "", "write the result as JSON (docs/json-schema.md) to `FILE`")
	fl.StringVar(&o.markdown, "markdown", "", "write a Markdown report to `FILE`")
	fl.StringVar(&o.html, "html", "", "write a self-contained HTML report to `FILE`")
	fl.StringVar(&o.benchstat, "benchstat", "", "write Go benchmark text readable by benchstat to `FILE`")
	fl.StringVar(&o.exportJSON, "export-json", "", "write hyperfine's JSON shape (results[].mean, ...) to `FILE`")
	fl.StringVar(&o.exportCSV, "export-csv", "", "write hyperfine's CSV shape to `FILE`")
	fl.StringVar(&o.exportMarkdown, "export-markdown", "", "write hyperfine's Markdown table to `FILE`")
	fl.BoolVarP(&o.quiet, "quiet", "q", false, "no progress, and only the summary table")
	fl.BoolVar(&o.noColor, "no-color", false, "no colour (also when NO_COLOR is set)")
	fl.BoolVarP(&o.verbose, "verbose", "v", false, "show every section and sample count")
}

// settings are the shared flags as the pipeline takes them.
func (c *commonFlags) settings() pipeline.Settings {
	return pipeline.Settings{Budget: c.budget, Configs: c.configs, UserConfigs: c.userConfigs,
		NoExperiments: c.noExperiments, NoIsolated: c.noIsolated, NoTrace: c.noTrace, NoAlloc: c.noAlloc,
		KeepGC: c.keepGC, ProcessTime: c.processTime, Loops: c.loops, Rounds: c.rounds, Warmup: c.warmup, SampleTime: c.sampleTime}
}

// referenceIn resolves --reference among cands: "" when not given.
func (c *commonFlags) referenceIn(cands []result.Candidate) (string, error) {
	if c.reference == "" {
		return "", nil
	}
	name, err := result.FindCandidate(cands, c.reference)
	if err != nil {
		return "", usageErr("--reference %v", err)
	}
	return name, nil
}

// measureAndReport runs the pipeline for req and writes every requested
// rendering. What was measured is written even when the run is interrupted
// or a target fails.
func measureAndReport(ctx context.Context, req *pipeline.Request, out *outputFlags) error {
	if err := out.checkWritable(); err != nil {
		return err
	}
	req.Version, req.Args = version, os.Args[1:]
	req.Progress = newProgress(out)
	res, err := pipeline.Run(ctx, req)
	clearProgress()
	var ue *pipeline.UsageError
	if errors.As(err, &ue) {
		return &exitError{code: exitUsage, err: ue}
	}
	return finish(ctx, res, err, out)
}

func oneLineErr(err error) string { return pipeline.OneLine(err) }

// finish writes the outputs and maps the measurement error to an exit code.
func finish(ctx context.Context, res *result.Result, err error, out *outputFlags) error {
	printTraceback(err)
	werr := writeOutputs(res, out)
	if len(res.Results) > 0 {
		if rerr := printTerminal(reportFile(out), res, out); rerr != nil && werr == nil {
			werr = rerr
		}
	}
	if oerr := outcome(ctx, err, werr, out); oerr != nil || out.baseline == nil {
		return oerr
	}
	return out.baseline.judge(res, out)
}

// printTraceback shows the target's own traceback, if err carries one.
func printTraceback(err error) {
	var te *probe.TargetError
	if errors.As(err, &te) && te.Traceback != "" {
		fmt.Fprint(os.Stderr, te.Traceback)
		if te.Traceback[len(te.Traceback)-1] != '\n' {
			fmt.Fprintln(os.Stderr)
		}
	}
}

// reportFile is where the terminal report goes: standard output, unless a
// rendering goes there.
func reportFile(out *outputFlags) *os.File {
	if out.toStdout() {
		return os.Stderr
	}
	return os.Stdout
}

// outcome maps the measurement error err and the output error werr to an
// exit code.
func outcome(ctx context.Context, err, werr error, out *outputFlags) error {
	var te *probe.TargetError
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
		code, cause = exitUsage, error(te)
		var pe *pipeline.PointError
		if errors.As(err, &pe) {
			cause = fmt.Errorf("%s: %w", pe.Point, te)
		}
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

// termOptions are the terminal report's options for w: colour only on a
// terminal, and its width (termWidth).
func termOptions(w *os.File, out *outputFlags) report.Options {
	opt := report.Options{Verbose: out.verbose, Unit: out.unit, Width: termWidth(w)}
	if term.IsTerminal(int(w.Fd())) {
		opt.Color = !out.noColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	return opt
}

// termWidth is the width the terminal report fits: $COLUMNS when set, as
// ls reads it, else the width of w when it is a terminal, else 0 (the
// renderer's default, 100); never under 40.
func termWidth(w *os.File) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return max(n, 40)
	}
	if n, _, err := term.GetSize(int(w.Fd())); err == nil && n > 0 {
		return max(n, 40)
	}
	return 0
}

// printTerminal prints the result's report; -q keeps the verdict and the
// summary table.
func printTerminal(w *os.File, res *result.Result, out *outputFlags) error {
	opt := termOptions(w, out)
	opt.Quiet = out.quiet
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

func clearProgress() {
	if activeProgress != nil {
		activeProgress.Close()
		activeProgress = nil
	}
}
