// Package mark lets a Go program mark its benchmark iterations for
// faultline, so that `faultline run` can attribute page faults and memory
// system calls to each iteration of each candidate.
//
// When the program runs under faultline, the environment variable
// FAULTLINE_FD names a descriptor that faultline reads. Begin and End then
// write one line each to it, each with a single write(2) (faultline's
// tracer recognises markers by their write):
//
//	begin cand=NAME iter=N
//	end cand=NAME iter=N ns=T minflt=F majflt=M
//
// N counts the iterations of NAME from 0, T is the iteration's duration on
// the monotonic clock in nanoseconds, F and M the process's minor and
// major page faults during it (getrusage). The format is faultline's line
// protocol, docs/protocol.md. Without FAULTLINE_FD, Begin and End do
// nothing, so the marks can stay in production code.
//
// Names may not contain spaces or control characters; such bytes become
// '_'. Marks of different names may interleave, and the functions are safe
// for concurrent use, but one name's Begin and End are expected to pair up
// in order.
package mark

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EnvFD is the environment variable naming the marker descriptor.
const EnvFD = "FAULTLINE_FD"

type iteration struct {
	n              int64
	open           bool
	t0             time.Time
	minflt, majflt int64
}

var (
	setup sync.Once
	fd    = -1

	mu    sync.Mutex
	iters = map[string]*iteration{}
)

func markerFD() int {
	setup.Do(func() {
		n, err := strconv.Atoi(os.Getenv(EnvFD))
		if err == nil && n >= 0 && valid(n) {
			fd = n
		}
	})
	return fd
}

// Enabled reports whether marks are written: FAULTLINE_FD names an open
// descriptor.
func Enabled() bool { return markerFD() >= 0 }

func clean(name string) string {
	if name == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return '_'
		}
		return r
	}, name)
}

// Begin marks the start of the next iteration of name.
func Begin(name string) {
	if markerFD() < 0 {
		return
	}
	name = clean(name)
	mu.Lock()
	defer mu.Unlock()
	it := iters[name]
	if it == nil {
		it = &iteration{}
		iters[name] = it
	}
	b := make([]byte, 0, 64)
	b = append(b, "begin cand="...)
	b = append(b, name...)
	b = append(b, " iter="...)
	b = strconv.AppendInt(b, it.n, 10)
	write(fd, append(b, '\n'))
	// Measure after the write: the marker's own cost (a tracer stop when
	// traced) stays outside the iteration.
	it.minflt, it.majflt = faults()
	it.open = true
	it.t0 = time.Now()
}

// End marks the end of the iteration of name that Begin started. An End
// without a Begin does nothing.
func End(name string) {
	if markerFD() < 0 {
		return
	}
	t1 := time.Now()
	minflt, majflt := faults()
	name = clean(name)
	mu.Lock()
	defer mu.Unlock()
	it := iters[name]
	if it == nil || !it.open {
		return
	}
	b := make([]byte, 0, 128)
	b = append(b, "end cand="...)
	b = append(b, name...)
	b = append(b, " iter="...)
	b = strconv.AppendInt(b, it.n, 10)
	b = append(b, " ns="...)
	b = strconv.AppendInt(b, t1.Sub(it.t0).Nanoseconds(), 10)
	b = append(b, " minflt="...)
	b = strconv.AppendInt(b, minflt-it.minflt, 10)
	b = append(b, " majflt="...)
	b = strconv.AppendInt(b, majflt-it.majflt, 10)
	write(fd, append(b, '\n'))
	it.open = false
	it.n++
}
