// Package ptrace is faultline's seccomp+ptrace tracer: it records a
// target's memory-management system calls (brk, mmap, munmap, mremap,
// madvise) and the iteration markers it writes as memtrace Events.
//
// The tracer (Linux, amd64) loads a seccomp-bpf filter into the target
// before it execs, so that only those five calls and write()s to the marker
// descriptor stop the target; every other system call runs at full speed.
// A ptrace loop follows every thread, fork, vfork, clone and exec of the
// target tree and turns each stop into a memtrace.Event; memtrace.Tally attributes
// them to iterations. Every raw ptrace and seccomp call of faultline lives
// in this package.
//
// The tracer does not start processes itself: internal/proc starts the
// target under a re-exec'd supervisor, so the ptrace loop's wait4(-1)
// never sees faultline's other children. This package registers the tracer
// with proc (proc.RegisterTracer) from its init: a program that links it
// can trace, and its re-executed supervisor and exec helper find it there.
// docs/tracing.md describes the mechanism and what degrades.
package ptrace

// EnvListener names an environment variable that, set to "off", keeps
// every traced call on ptrace stops instead of the seccomp listener, as on
// kernels before 5.19; for comparisons and tests.
const EnvListener = "FAULTLINE_TRACE_LISTENER"
