package ptrace

import (
	"os"

	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/proc"
)

// Tracer is proc's Ptracer on every Linux architecture: where there is no
// x86-64 register layout, a stub whose Attach and Run fail, so that proc
// builds everywhere and faultline degrades to the perf-tracepoint recorder
// at run time (Probe says why).
var _ proc.Ptracer = (*Tracer)(nil)

func init() { proc.RegisterTracer(procTracer{}) }

// procTracer is this package's tracer as internal/proc drives it.
type procTracer struct{}

func (procTracer) Listener() bool { return os.Getenv(EnvListener) != "off" }

func (procTracer) Exec(path string, argv, env []string, markFD, sock int) error {
	return Exec(path, argv, env, markFD, sock)
}

func (procTracer) NewPtracer(emit func(memtrace.Event)) proc.Ptracer { return NewTracer(emit) }
