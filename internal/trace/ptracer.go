//go:build linux

package trace

import (
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/memtrace"
)

// Ptracer is the seccomp+ptrace tracer as its users see it. The x86-64
// tracer implements it; on other architectures a stub whose Attach and Run
// fail does, so code that drives a tracer builds everywhere and degrades
// to the perf-tracepoint recorder at run time.
type Ptracer interface {
	// Attach follows pid, a stopped child of the caller.
	Attach(pid int) error
	// Run follows the traced tree until its leader exits.
	Run() (unix.WaitStatus, *unix.Rusage, error)
	// Listen serves the seccomp listener the exec helper sends over sock.
	Listen(sock int) error
	// Close stops serving the listener; call it after Run.
	Close()
	// Stats says what was followed and how many stops it cost.
	Stats() memtrace.Stats
}

var _ Ptracer = (*Tracer)(nil)
