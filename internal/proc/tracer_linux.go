package proc

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/memtrace"
)

// Tracer is a memory-syscall tracer as proc drives it for Spec.Trace.
// proc brings none of its own, so that it depends on no tracer: one
// registers itself with RegisterTracer (internal/ptrace's seccomp+ptrace
// tracer does, from its init). The supervisor and the exec helper run the
// same binary as faultline, so they have it too.
type Tracer interface {
	// Listener reports whether the target's traced calls should reach
	// the tracer through a seccomp listener rather than ptrace stops.
	// Start asks it in faultline's process.
	Listener() bool
	// Exec loads the tracer's seccomp filter and executes path; it runs
	// in the exec helper, a tracee of the supervisor's Ptracer, on its
	// main thread, and returns only on failure. markFD is the target's
	// marker descriptor (0: none), sock the socket to send the seccomp
	// listener over (0: none).
	Exec(path string, argv, env []string, markFD, sock int) error
	// NewPtracer returns a tracer for one target tree that passes each
	// event to emit. The supervisor calls it, and every Ptracer method,
	// on the locked thread that starts the exec helper.
	NewPtracer(emit func(memtrace.Event)) Ptracer
}

// Ptracer follows one target tree for the supervisor.
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

// tracer is the registered Tracer; set during init, read afterwards.
var tracer Tracer

// RegisterTracer makes t the tracer of traced runs. Call it from an init
// function: the re-executed supervisor and exec helper need it before
// they run.
func RegisterTracer(t Tracer) { tracer = t }

var errNoTracer = errors.New("no memory-syscall tracer is linked into this program (internal/ptrace registers one)")
