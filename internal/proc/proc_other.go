//go:build !linux

package proc

import (
	"context"
	"errors"
)

var errLinux = errors.New("faultline runs targets on Linux only")

// Process is a started target; off Linux none can be started.
type Process struct{}

// Start fails off Linux.
func Start(ctx context.Context, s *Spec) (*Process, error) { return nil, errLinux }

// Pid returns 0 off Linux.
func (p *Process) Pid() int { return 0 }

// Kill does nothing off Linux.
func (p *Process) Kill() {}

// Wait fails off Linux.
func (p *Process) Wait() (*Exit, error) { return nil, errLinux }

// KillAll does nothing off Linux.
func KillAll() {}
