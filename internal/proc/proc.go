// Package proc starts and reaps the processes faultline measures, with
// optional perf counters and memory-syscall tracing, and makes sure that no
// process of a target outlives it or faultline.
//
// Every target runs under a supervisor: faultline re-executes itself
// (/proc/self/exe) in a helper role (internal/reexec, whose Main a program
// that starts targets must call first thing). The supervisor is the
// leader of a new process group, which the target joins, and a child
// subreaper, so that whatever the target forks, even a daemon that calls
// setsid and double-forks, stays in its subtree. When the target exits the
// supervisor kills and reaps everything left in that subtree, then reports
// the target's exit status, resource usage, counters and trace over a pipe.
// Kill (and a cancelled context) kills the target's whole subtree.
//
// Counters and tracing add a second helper, the exec helper: a re-executed
// faultline that blocks on a pipe until the supervisor has opened the perf
// counters on it (enable_on_exec, inherit) and, for tracing, has attached
// to it with ptrace; it then loads the seccomp filter and execs the target.
// The supervisor runs the ptrace loop itself, so faultline's own process
// never has ptrace children and its wait calls (os/exec) are never raced by
// a wait4(-1). docs/tracing.md tells the whole story.
package proc

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/protocol"
)

// Spec describes a process to start.
type Spec struct {
	Argv       []string
	Env        []string // nil means os.Environ()
	Dir        string
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	ExtraFiles []*os.File // become fd 3, 4, ... in the child (FD)
	// Marks, if set, is the entry of ExtraFiles that is the target's
	// record descriptor (FAULTLINE_FD, docs/protocol.md), the one a
	// marking target writes its iteration markers to. MarksEnv names it
	// to the target; a traced run reads the markers from its writes.
	Marks *os.File

	// Counters counts perf software (and, with a PMU, hardware) events of
	// the target tree from its exec on; see Exit.Counters.
	Counters bool
	// Trace, when set, traces the target's memory system calls and its
	// iteration markers with the registered Tracer; see Exit.Trace. A
	// traced run is a diagnostic pass: traced calls slow the target.
	Trace *TraceOptions
}

// TraceOptions asks for a traced run. The target's iteration markers are
// its writes to Spec.Marks.
type TraceOptions struct {
	// OnEvent, if set, receives every event as it arrives, in order, from
	// a single goroutine. It must not block for long: the events of a
	// running target queue up behind it.
	OnEvent func(memtrace.Event)
}

// FD returns the descriptor number that f, an entry of ExtraFiles, has in
// the target, or -1 when f is none.
func (s *Spec) FD(f *os.File) int {
	for i, x := range s.ExtraFiles {
		if f != nil && x == f {
			return 3 + i
		}
	}
	return -1
}

// MarksEnv returns the environment entry that tells the target the number
// of its record descriptor, Marks: FAULTLINE_FD=N. It returns "" when
// Marks is not set.
func (s *Spec) MarksEnv() string {
	fd := s.FD(s.Marks)
	if fd < 0 {
		return ""
	}
	return protocol.EnvFD + "=" + strconv.Itoa(fd)
}

// Usage is the kernel's resource accounting for a finished process tree.
type Usage struct {
	MinFlt   int64         `json:"minflt"`
	MajFlt   int64         `json:"majflt"`
	MaxRSS   int64         `json:"maxrss_bytes"`
	UTime    time.Duration `json:"utime"`
	STime    time.Duration `json:"stime"`
	VolCtxSw int64         `json:"nvcsw"`
	InvCtxSw int64         `json:"nivcsw"`
}

// Exit describes how a process ended.
type Exit struct {
	Code   int    // exit status, or -1 when killed by a signal
	Signal string // signal name when killed by one
	// Wall is the target's elapsed time from its start (with Counters or
	// Trace: from the release of the exec helper) until it was reaped.
	Wall time.Duration
	// Usage is the target's rusage with its reaped descendants. The exec
	// helper's page faults and CPU time before the exec are subtracted.
	Usage Usage

	// Counters holds totals by perf event name (see internal/counters):
	// "page-faults", "minor-faults", "major-faults", "context-switches",
	// "cpu-migrations", "task-clock" (seconds), and with a hardware PMU
	// "cycles", "instructions", "cache-misses", "dTLB-load-misses". When
	// perf_event_open is refused they come from rusage instead. Nil unless
	// Spec.Counters.
	Counters map[string]float64
	// CounterNotes are one-line notes on counters that degraded.
	CounterNotes []string
	// Trace is the memory-syscall trace; nil unless Spec.Trace.
	Trace *memtrace.Result
}

// Failed reports whether the process did not exit with status 0.
func (e *Exit) Failed() bool { return e.Code != 0 || e.Signal != "" }

func (e *Exit) String() string {
	if e.Signal != "" {
		return "killed by " + e.Signal
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

func unixSignalName(s syscall.Signal) string {
	names := map[syscall.Signal]string{
		syscall.SIGKILL: "SIGKILL", syscall.SIGSEGV: "SIGSEGV", syscall.SIGABRT: "SIGABRT",
		syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGBUS: "SIGBUS",
		syscall.SIGFPE: "SIGFPE", syscall.SIGILL: "SIGILL", syscall.SIGPIPE: "SIGPIPE",
		syscall.SIGHUP: "SIGHUP", syscall.SIGQUIT: "SIGQUIT", syscall.SIGTRAP: "SIGTRAP",
		syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2", syscall.SIGALRM: "SIGALRM",
		syscall.SIGXCPU: "SIGXCPU", syscall.SIGSYS: "SIGSYS",
	}
	if n, ok := names[s]; ok {
		return n
	}
	return s.String()
}
