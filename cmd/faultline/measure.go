package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/progress"
	"github.com/faultline/faultline/internal/result"
)

// measureAndReport runs the pipeline for req and writes every requested
// rendering. What was measured is written even when the run is interrupted
// or a target fails.
func measureAndReport(ctx context.Context, req *pipeline.Request, out *outputFlags) error {
	if err := out.checkWritable(); err != nil {
		return err
	}
	req.Version, req.Args = version, os.Args[1:]
	var prog *progress.Reporter
	req.Progress, prog = newProgress(out)
	res, err := pipeline.Run(ctx, req)
	prog.Close()
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
