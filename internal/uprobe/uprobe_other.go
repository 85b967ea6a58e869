//go:build !linux

package uprobe

import (
	"fmt"
	"runtime"
)

// Available reports that uprobes need Linux.
func Available() error { return fmt.Errorf("%w on %s", ErrUnavailable, runtime.GOOS) }

// Session is not available off Linux.
type Session struct{}

// Open fails off Linux.
func Open(pid int, probes []Probe, o Options) (*Session, error) { return nil, Available() }

// Stop returns nothing off Linux.
func (s *Session) Stop() Recording { return Recording{} }
