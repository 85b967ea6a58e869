//go:build !linux || !amd64

package trace

import (
	"errors"
	"runtime"
)

var errUnsupported = errors.New("memory-syscall tracing needs linux/amd64, this is " + runtime.GOOS + "/" + runtime.GOARCH)

// Probe reports that tracing is unavailable on this platform.
func Probe() error { return errUnsupported }

// Exec is unavailable on this platform.
func Exec(path string, argv, env []string, markFD, sock int) error { return errUnsupported }
