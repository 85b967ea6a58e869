// Package uprobe records calls of functions in a process's executable
// and shared libraries through the kernel's uprobe PMU and
// perf_event_open: a breakpoint at each function's first instruction,
// placed by file and offset, and, for return probes, at its return. Each
// hit is one sample with the first three arguments and the return value
// (the registers of the calling convention), and the caller's return
// address: at a function's first instruction it is the top of the user
// stack on x86-64 (one 8-byte stack copy) and the link register on arm64.
// The kernel also reports the process tree's executable mappings, forks
// and execs in the same ring, so callers can be symbolized after the
// process is gone.
//
// Probes are placed by path before the target execs: the kernel installs
// them into every address space of the followed task tree that maps the
// file, so a library loaded at exec is caught from its first call. Each
// hit stops the target in the kernel for a few microseconds (a breakpoint
// trap and a single step), so this is a diagnostic recorder, never used
// while timing.
//
// It needs the uprobe PMU (/sys/bus/event_source/devices/uprobe) and the
// right to open it: the kernel asks for CAP_PERFMON (root has it) whatever
// perf_event_paranoid says. Available says what is missing.
package uprobe

import "errors"

// ErrUnavailable is wrapped by every reason uprobes cannot be used here.
var ErrUnavailable = errors.New("uprobes unavailable")

// Probe is one breakpoint: function entry, or its return.
type Probe struct {
	Path   string
	Offset uint64 // file offset of the function's first instruction
	Return bool
}

// Hit is one recorded call (entry) or return.
type Hit struct {
	Probe    int32 // index in the probes given to Open
	Pid, Tid int32
	Time     uint64    // CLOCK_MONOTONIC ns
	Args     [3]uint64 // the first three integer arguments (entry)
	Ret      uint64    // the return value (return probes)
	// Caller is the return address into the calling function (entry);
	// 0 when the kernel could not copy it.
	Caller uint64
}

// Mapping is an executable file mapping of a process, as the kernel
// reported it when it was made.
type Mapping struct {
	Pid               int32
	Time              uint64
	Start, Len, Pgoff uint64
	Path              string
}

// Task is a fork (Parent set) or an exec of a process.
type Task struct {
	Pid, Parent int32
	Exec        bool
	Time        uint64
}

// Recording is what a session saw, each list in time order.
type Recording struct {
	Hits  []Hit
	Maps  []Mapping
	Tasks []Task
	// Lost counts samples the kernel dropped (full ring) or that came
	// after MaxHits.
	Lost int64
	// Truncated: MaxHits was reached and the probes were removed early,
	// so what the process did afterwards is not recorded.
	Truncated bool
}

// Options tune a session.
type Options struct {
	// EnableOnExec: record from the followed task's next exec, not from
	// Open (a process held before its exec).
	EnableOnExec bool
	// MaxHits bounds what is kept; the probes are removed when it is
	// reached, so the target runs on at full speed. 0: 1<<20.
	MaxHits int
}
