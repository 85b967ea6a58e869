package main

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/term"

	"github.com/faultline/faultline/internal/report"
	"github.com/faultline/faultline/internal/result"
)

// reportFile is where the terminal report goes: standard output, unless a
// rendering goes there.
func reportFile(out *outputFlags) *os.File {
	if out.toStdout() {
		return os.Stderr
	}
	return os.Stdout
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
