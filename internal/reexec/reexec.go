// Package reexec runs the roles in which a faultline binary re-executes
// itself (/proc/self/exe): the supervisor and exec helper that
// internal/proc starts every target under, and the native demo workload
// (internal/workload). A process runs a role when its argv[1] names one,
// "__" and the role's name, as Argv builds it; the role gets the
// arguments after that, and what it returns is the process's exit status.
//
// Roles register from their packages' init functions and Main dispatches:
// call it first thing in main and in the TestMain of every test binary
// that starts processes through internal/proc. Dispatching from an init
// function instead would run a role before the packages initialised after
// this one have registered what it needs (internal/ptrace registers proc's
// tracer). A re-executed binary that never calls Main would run the whole
// program again in place of the role, so proc refuses to start anything
// in a process that has not called it (Dispatched).
//
// A role runs on the main OS thread: when argv[1] names a role, this
// package's init locks the main goroutine to it, which keeps main there.
// ptrace accepts requests only from the tracing thread, Pdeathsig fires
// when the thread that started the child exits, the exec helper loads its
// seccomp filter on the thread that execs, and the demo workload's malloc
// must be served by glibc's main, brk-based arena.
package reexec

import (
	"os"
	"runtime"
	"strings"
	"sync/atomic"
)

// prefix starts argv[1] of a process that runs a role. No faultline
// subcommand or flag starts so.
const prefix = "__"

var (
	roles      = map[string]func(args []string) int{}
	dispatched atomic.Bool
)

func init() {
	if _, ok := named(os.Args); ok {
		runtime.LockOSThread()
	}
}

// named returns the role argv[1] names, if it names one.
func named(argv []string) (string, bool) {
	if len(argv) < 2 || len(argv[1]) <= len(prefix) || !strings.HasPrefix(argv[1], prefix) {
		return "", false
	}
	return argv[1][len(prefix):], true
}

// Register makes name a role that main runs. Registering a name twice
// panics: two packages would both expect to run in that process.
func Register(name string, main func(args []string) int) {
	if name == "" || roles[name] != nil {
		panic("reexec: role " + `"` + name + `"` + " is empty or registered twice")
	}
	roles[name] = main
}

// Argv returns the argv that makes a faultline binary run role with args.
// arg0 is only what ps shows.
func Argv(arg0, role string, args ...string) []string {
	return append([]string{arg0, prefix + role}, args...)
}

// Main runs the role this process was started in, if any, and exits with
// its status. Otherwise, or when argv[1] only looks like a role this
// program does not have, it returns at once.
func Main() {
	dispatched.Store(true)
	name, ok := named(os.Args)
	if !ok {
		return
	}
	run := roles[name]
	if run == nil {
		// The program proper needs no particular thread: undo init's lock.
		runtime.UnlockOSThread()
		return
	}
	os.Exit(run(os.Args[2:]))
}

// Dispatched reports whether Main has been called in this process: only
// then may it re-execute itself in a role.
func Dispatched() bool { return dispatched.Load() }
