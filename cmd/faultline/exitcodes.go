package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/probe"
)

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
	case probe.Environmental(err):
		// The machine failed, not the target: faultline could not do its
		// work (TMPDIR, descriptors, memory, space).
		code, cause = exitInternal, err
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
