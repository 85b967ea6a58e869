package main

import (
	"fmt"
	"os"

	"github.com/faultline/faultline/internal/progress"
)

// newProgress returns where one measurement's progress messages go (the
// pipeline's Request.Progress) and the reporter drawing them, which the
// caller closes when the measurement ends (Close on nil does nothing):
// one updating line on a terminal, nothing when stderr is piped, and one
// line per message when FAULTLINE_PHASE_LOG is set (for CI logs and the
// reliability tests).
func newProgress(out *outputFlags) (func(string), *progress.Reporter) {
	if os.Getenv("FAULTLINE_PHASE_LOG") != "" {
		return func(msg string) { fmt.Fprintln(os.Stderr, "phase:", msg) }, nil
	}
	rep := progress.New(os.Stderr, progress.Options{Quiet: out.quiet, NoColor: out.noColor})
	if !rep.Enabled() {
		return nil, nil
	}
	return rep.Message, rep
}
