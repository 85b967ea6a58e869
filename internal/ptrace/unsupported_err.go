package ptrace

import (
	"errors"
	"runtime"
)

// ErrUnsupported says the seccomp+ptrace tracer does not exist for this
// platform; the perf-tracepoint recorder is the only one there.
var ErrUnsupported = errors.New("the seccomp+ptrace tracer is written for linux/amd64, this is " + runtime.GOOS + "/" + runtime.GOARCH)
