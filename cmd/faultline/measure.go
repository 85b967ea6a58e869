package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
)

// measureAndReport runs the pipeline for req and writes every requested
// rendering. What was measured is written even when the run is interrupted
// or a target fails.
func measureAndReport(ctx context.Context, req *pipeline.Request, out *outputFlags) error {
	if err := out.checkWritable(); err != nil {
		return err
	}
	measuring.Store(true)
	req.Version, req.Args = version, os.Args[1:]
	lv := newLive(out)
	req.Progress, req.Answer = lv.progress(), lv.answer()
	res, err := pipeline.Run(ctx, req)
	lv.close()
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
	oerr := outcome(ctx, err, werr, out)
	hint(ctx, oerr, err, res)
	if out.baseline == nil || out.baseline.base == nil || len(res.Results) == 0 {
		return oerr
	}
	// The gate is judged whatever became of the outputs: its breaches are
	// always printed. Its exit status stands over a write error's; a
	// measurement that failed or was interrupted keeps its own.
	gerr := out.baseline.judge(res, out)
	var oe *exitError
	switch {
	case gerr == nil:
		return oerr
	case oerr == nil:
		return gerr
	case errors.As(oerr, &oe) && oe.code == exitInternal:
		fmt.Fprintln(os.Stderr, "faultline:", oe.err)
		return gerr
	}
	return oerr
}

// hint adds to the exit error oerr the line that fixes the first mistakes
// people make: a module the interpreter lacks while another has it.
func hint(ctx context.Context, oerr, err error, res *result.Result) {
	var ee *exitError
	var te *probe.TargetError
	if !errors.As(oerr, &ee) || !errors.As(err, &te) || res.Host.Python == "" {
		return
	}
	mod := probe.MissingModule(te.Traceback)
	if mod == "" {
		return
	}
	if py, ok := probe.WithModule(context.WithoutCancel(ctx), mod, res.Host.Python); ok {
		what := mod
		if mod == "numpy" {
			what = "NumPy " + py.NumPy
		}
		ee.hint = fmt.Sprintf("%s has %s: add --python %s", py.Path, what, py.Path)
	}
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
