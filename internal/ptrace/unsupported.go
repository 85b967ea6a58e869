//go:build !linux || !amd64

package ptrace

var errUnsupported = ErrUnsupported

// Probe reports that tracing is unavailable on this platform.
func Probe() error { return errUnsupported }

// Exec is unavailable on this platform.
func Exec(path string, argv, env []string, markFD, sock int) error { return errUnsupported }
