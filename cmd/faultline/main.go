// Command faultline benchmarks pieces of code that do the same work, side by
// side, and explains why one is slower when memory management is the reason.
// This package only parses flags and wires the internal packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/atomicfile"
	"github.com/faultline/faultline/internal/reexec"
)

// Exit codes (documented in README.md).
const (
	exitOK          = 0 // measured; every target ran cleanly
	exitTargetFail  = 1 // measured, but a target failed (non-zero exit, signal, timeout)
	exitUsage       = 2 // bad usage or input: flags, a SyntaxError, a missing interpreter
	exitInterrupted = 3 // interrupted (Ctrl-C, SIGTERM); the partial result was written
	exitInternal    = 4 // faultline itself failed (cannot write output, tracer error)
	exitGate        = 5 // a --fail-if limit is broken
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
	// hint, when set, is one more line after the error naming the fix
	// ("/usr/bin/python3 has numpy: add --python /usr/bin/python3").
	hint string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func main() {
	// faultline re-executes itself as a target's supervisor and as the
	// native demo workload: those roles run here and exit.
	reexec.Main()
	os.Exit(run(os.Args[1:]))
}

// measuring is set by the commands that measure (timeit, run, demo): an
// interruption then ends the measurement, which writes what it has. Any
// other command (report, compare, doctor) has nothing partial to keep and
// exits at once, whatever it is waiting on.
var measuring atomic.Bool

// stopSignals end faultline: Ctrl-C, SIGTERM, a closed terminal (SIGHUP)
// and SIGQUIT, each exit 3 with the partial result kept.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

func run(args []string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	// SIGPIPE is caught, not ignored (a target would inherit an ignored
	// one): a closed standard output is then a write error, not a kill.
	signal.Notify(sigs, append(stopSignals, syscall.SIGPIPE)...)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			if s == syscall.SIGPIPE {
				continue
			}
			cancel()
			if !measuring.Load() {
				atomicfile.RemovePending()
				fmt.Fprintf(os.Stderr, "faultline: interrupted (%s)\n", s)
				os.Exit(exitInterrupted)
			}
		}
	}()
	root := newRoot()
	args, err := joinParamArgs(root, args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultline:", err)
		return exitUsage
	}
	root.SetArgs(args)
	err = root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "faultline:", ee.err)
		}
		if ee.hint != "" {
			fmt.Fprintln(os.Stderr, "faultline: hint:", ee.hint)
		}
		return ee.code
	}
	// Anything cobra itself rejects (unknown flag, missing argument) is usage.
	fmt.Fprintln(os.Stderr, "faultline:", err)
	return exitUsage
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "faultline",
		Short: "Benchmark code side by side and explain memory-management slowdowns",
		Long: `faultline benchmarks two or more pieces of code that do the same work and explains
why one is slower when memory management is the reason: page faults, the allocator
returning memory to the kernel and faulting it back, extra buffers, allocator choice,
huge pages, order effects. It proves each explanation by re-running under other
allocators and glibc tunables.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.AddCommand(newTimeit(), newRun(), newDemo(), newReport(), newCompare(), newDoctor(), newMan(), newPython())
	for _, c := range root.Commands() {
		completeFlags(c)
	}
	return root
}

var execLookPath = exec.LookPath
