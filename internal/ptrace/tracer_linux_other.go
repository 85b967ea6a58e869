//go:build linux && !amd64

package ptrace

import (
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/memtrace"
)

// Tracer is unavailable on this architecture: the filter and the register
// layout are written for x86-64. Probe says so; Attach fails.
type Tracer struct{}

// NewTracer returns a tracer whose Attach fails.
func NewTracer(emit func(memtrace.Event)) *Tracer { return &Tracer{} }

// Attach fails on this architecture.
func (t *Tracer) Attach(pid int) error { return errUnsupported }

// Run fails on this architecture.
func (t *Tracer) Run() (unix.WaitStatus, *unix.Rusage, error) { return 0, nil, errUnsupported }

// Listen fails on this architecture.
func (t *Tracer) Listen(sock int) error { return errUnsupported }

// Close has nothing to stop on this architecture.
func (t *Tracer) Close() {}

// Stats returns nothing on this architecture.
func (t *Tracer) Stats() memtrace.Stats { return memtrace.Stats{} }
