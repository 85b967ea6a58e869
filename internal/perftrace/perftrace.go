// Package perftrace records a running process's memory-management system
// calls (brk, mmap, munmap, mremap, madvise) from the kernel's syscall
// tracepoints through perf_event_open, without ever stopping it.
//
// The seccomp+ptrace tracer (internal/ptrace) holds the target for every
// traced call; on a virtual machine each hold costs tens of microseconds
// and the cache the target loses, which for the seed case (five memory
// calls in a 1.7 ms call) slows the traced pass by about 20%. Here the
// kernel writes one sample per call into a ring buffer that faultline
// drains concurrently: the target runs at full speed. Iterations are not
// marked by the target but delimited by time: samples carry
// CLOCK_MONOTONIC timestamps, the same clock as the probe's perf_counter,
// and the probe reports when each iteration started and how long it ran.
//
// It needs the syscall tracepoints (tracefs, CONFIG_FTRACE_SYSCALLS) and
// the right to sample them (root, CAP_PERFMON, or perf_event_paranoid
// -1); Available says what is missing, and faultline falls back to the
// seccomp tracer. docs/tracing.md describes both.
package perftrace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/faultline/faultline/internal/memtrace"
)

// ErrUnavailable is wrapped by every reason the recorder cannot run here.
var ErrUnavailable = errors.New("perf syscall tracepoints unavailable")

// Window is one iteration of a candidate in CLOCK_MONOTONIC nanoseconds.
type Window struct {
	Cand  string
	Iter  int
	Start int64 // ns
	End   int64 // ns
}

// Tally attributes recorded events to iteration windows: each window's
// bounds are a begin and an end Boundary, merged with the events in time
// order, so that memtrace.Tally computes the per-iteration figures exactly
// as it does for the ptrace tracer. Only events of pid (the process
// running the windows) fall inside windows.
func Tally(events []memtrace.Event, windows []Window, pid int) *memtrace.Tally {
	type item struct {
		at  int64
		ord int // at equal times: ends, then begins, then events
		e   memtrace.Event
		b   memtrace.Boundary // ord 0 and 1
	}
	items := make([]item, 0, len(events)+2*len(windows))
	for _, e := range events {
		items = append(items, item{at: int64(e.At), ord: 2, e: e})
	}
	for _, w := range windows {
		iter := int64(w.Iter)
		items = append(items,
			item{at: w.Start, ord: 1, b: memtrace.Boundary{Cand: w.Cand, Iter: iter}},
			item{at: w.End, ord: 0, b: memtrace.Boundary{Cand: w.Cand, Iter: iter, End: true}})
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if a.at != b.at {
			if a.at < b.at {
				return -1
			}
			return 1
		}
		return a.ord - b.ord
	})
	t := memtrace.NewTally()
	for _, it := range items {
		if it.ord < 2 {
			t.AddBoundary(pid, it.b)
		} else {
			t.Add(it.e)
		}
	}
	return t
}

// Stats says what a recording saw.
type Stats struct {
	Samples int64 // samples read
	Lost    int64 // samples the kernel dropped (ring buffer full)
	Threads int   // distinct threads seen making traced calls (at least 1)
	// NoSites says why the events carry no issuing site ("" when they
	// do): the kernel refused to sample user registers on tracepoints.
	NoSites string
}

// HoldArgv returns argv behind a shell that stops itself (SIGSTOP) and,
// once continued, replaces itself with argv: started this way, a command
// can be recorded from its exec by attaching between WaitStopped and
// SIGCONT. The shell does nothing else in between.
func HoldArgv(argv []string) []string {
	return append([]string{"/bin/sh", "-c", `kill -STOP $$; exec "$@"`, "faultline-hold"}, argv...)
}

// WaitStopped waits until process pid is stopped (its state in
// /proc/PID/stat is T), for at most limit.
func WaitStopped(ctx context.Context, pid int, limit time.Duration) error {
	stat := fmt.Sprintf("/proc/%d/stat", pid)
	deadline := time.Now().Add(limit)
	for {
		b, err := os.ReadFile(stat)
		if err != nil {
			return fmt.Errorf("the held command is gone: %w", err)
		}
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'T' {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return errors.New("the held command did not stop")
		}
		time.Sleep(time.Millisecond)
	}
}
