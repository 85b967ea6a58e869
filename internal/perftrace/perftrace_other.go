//go:build !linux

package perftrace

import (
	"fmt"
	"runtime"

	"github.com/faultline/faultline/internal/memtrace"
)

// Available reports that recording needs Linux.
func Available() error { return fmt.Errorf("%w on %s", ErrUnavailable, runtime.GOOS) }

// Recorder is not available off Linux.
type Recorder struct{}

// Attach fails off Linux.
func Attach(pid int) (*Recorder, error) { return nil, Available() }

// Stop returns nothing off Linux.
func (r *Recorder) Stop() ([]memtrace.Event, Stats, error) { return nil, Stats{}, Available() }
