package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
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
	fl.IntVarP(&c.loops, "number", "n", 0, "iterations per timed sample (0: choose so a sample takes --sample-time)")
	fl.IntVarP(&c.rounds, "repeat", "r", 0, "samples per candidate and configuration (0: adaptive, stop when intervals are tight)")
	fl.IntVar(&c.warmup, "warmup", 1, "warm-up samples per candidate, shown in the timeline but not summarised")
	fl.DurationVar(&c.budget, "budget", 60*time.Second, "time budget for the whole measurement, all passes included")
	fl.DurationVar(&c.sampleTime, "sample-time", 100*time.Millisecond, "target duration of one timed sample")
	fl.StringVar(&c.configs, "configs", "all", "comma-separated configurations to run (see docs/configs.md), or all")
	fl.StringArrayVar(&c.userConfigs, "config", nil, "extra configuration NAME:VAR=VALUE[,VAR=VALUE...] (repeatable)")
	fl.BoolVar(&c.noExperiments, "no-experiments", false, "time under the default configuration only")
	fl.BoolVar(&c.noIsolated, "no-isolated", false, "skip running each candidate alone in a fresh process")
	fl.BoolVar(&c.noTrace, "no-trace", false, "skip the syscall-tracing diagnostic pass")
	fl.BoolVar(&c.noAlloc, "no-alloc", false, "skip the allocation-tracking diagnostic pass")
	fl.BoolVar(&c.keepGC, "gc", false, "keep Python's cyclic garbage collector enabled while timing")
	c.out.register(cmd)
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
	python bool // statements run by the Python probe: allocation pass available
}

func (c *commonFlags) options(deadline time.Time, stderr io.Writer, quiet bool) *measure.Options {
	o := &measure.Options{
		Loops: c.loops, Rounds: c.rounds, Warmup: c.warmup, SampleTime: c.sampleTime,
		Deadline: deadline, KeepGC: c.keepGC, Isolated: !c.noIsolated,
	}
	o.Progress = progressFunc(stderr, quiet)
	return o
}

// measureAndReport runs the whole pipeline for a probe target: timing
// matrix, diagnostic passes, diagnosis, verification of proposed fixes,
// then every requested rendering. What was measured is written even when
// the run is interrupted or a target fails.
func measureAndReport(cmd *cobra.Command, res *result.Result, tgt measure.Target, c *commonFlags, k kindOpts) error {
	ctx := cmd.Context()
	if err := c.out.checkWritable(); err != nil {
		return err
	}
	start := time.Now()
	deadline := start.Add(c.budget)
	o := c.options(deadline, os.Stderr, c.out.quiet)
	configs := []result.Config{{Name: result.DefaultConfig, Description: "the default allocator and settings", Env: map[string]string{}}}

	err := measure.Matrix(ctx, res, tgt, configs, o)
	if err == nil && k.python && !c.noAlloc {
		if aerr := measure.Alloc(ctx, res, tgt, configs[0], 5, o); aerr != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			} else {
				res.Note("allocation pass failed: %s", oneLineErr(aerr))
			}
		}
	}
	clearProgress(os.Stderr, c.out.quiet)
	res.WallSeconds = time.Since(start).Seconds()
	return finish(ctx, res, err, &c.out)
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
	werr := writeOutputs(res, out)
	if len(res.Results) > 0 {
		printTerminal(os.Stdout, res, out)
	}
	switch {
	case err == nil:
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return &exitError{code: exitInterrupted, err: errors.New("interrupted: partial result kept")}
	case errors.As(err, &te):
		return &exitError{code: exitUsage, err: te}
	case errors.Is(err, probe.ErrGarbage), errors.Is(err, probe.ErrNoInterpreter):
		return &exitError{code: exitUsage, err: err}
	default:
		return &exitError{code: exitTargetFail, err: err}
	}
	if werr != nil {
		return &exitError{code: exitInternal, err: werr}
	}
	return nil
}

func printTerminal(w io.Writer, res *result.Result, out *outputFlags) {
	for _, r := range res.Results {
		fmt.Fprintf(w, "%-3s %-8s %-12s %10.3f ms  [%8.3f, %8.3f]  n=%-3d minflt/iter=%8.1f\n", r.Candidate, r.Config, r.Mode,
			r.Time.Median*1e3, r.Time.Low*1e3, r.Time.High*1e3, r.Time.N, r.PerIteration.MinorFaults)
	}
	for _, c := range res.Comparisons {
		fmt.Fprintf(w, "%s/%s %s %s: %.2fx [%.2f, %.2f] p=%.4f\n", c.Other, c.Baseline, c.Config, c.Mode, c.Ratio, c.Low, c.High, c.P)
	}
}

// progressFunc returns where progress messages go: one updating line on a
// terminal, nothing when stderr is piped, and one line per message when
// FAULTLINE_PHASE_LOG is set (for CI logs and the reliability tests).
func progressFunc(w io.Writer, quiet bool) func(string) {
	if os.Getenv("FAULTLINE_PHASE_LOG") != "" {
		return func(msg string) { fmt.Fprintln(w, "phase:", msg) }
	}
	if quiet || !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	return func(msg string) { fmt.Fprintf(w, "\r\033[K%s", msg) }
}

func clearProgress(w io.Writer, quiet bool) {
	if !quiet && os.Getenv("FAULTLINE_PHASE_LOG") == "" && term.IsTerminal(int(os.Stderr.Fd())) {
		fmt.Fprint(w, "\r\033[K")
	}
}
