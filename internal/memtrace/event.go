// Package memtrace is the model of a traced run shared by faultline's two
// memory-syscall recorders: the seccomp+ptrace tracer (internal/ptrace) and
// the perf tracepoint recorder (internal/perftrace). An Event is one brk,
// mmap, munmap, mremap or madvise call, a marker write, or a change in the
// traced process tree; it has a compact binary form for the pipe from the
// tracing supervisor (internal/proc). A Tally classifies every mapping
// (Class: anonymous, file-backed, a reservation) and attributes events to
// candidate iterations and computes per-iteration means in the result
// schema's terms; a Result is what a traced run hands back.
//
// Iteration boundaries reach a Tally in structured form (AddBoundary):
// the perf recorder knows them as time windows. The ptrace tracer sees
// them as the protocol lines a marking target writes, which Add splits
// into lines and ParseBoundary parses. docs/tracing.md describes both.
package memtrace

import (
	"fmt"
	"time"
)

// Calls: the kinds of Event. The first five are the traced system calls;
// the others describe the process tree so that a consumer can keep
// per-process state.
const (
	CallBrk     = "brk"
	CallMmap    = "mmap"
	CallMunmap  = "munmap"
	CallMremap  = "mremap"
	CallMadvise = "madvise"
	// CallMprotect changes a mapping's protection: a runtime (glibc's
	// thread arenas, Go, V8, the JVM) reserves address space with
	// PROT_NONE and commits what it uses with mprotect.
	CallMprotect = "mprotect"
	CallMark     = "mark" // a write() to the marker descriptor; Text holds the bytes
	CallExec     = "exec" // Pid finished an execve
	CallFork     = "fork" // Pid created process Ret (fork, vfork, or clone without CLONE_THREAD); Flags holds the clone flags where known
	CallExit     = "exit" // process Pid is gone (its last thread exited or it was killed)
)

// Event is one traced system call or process event.
type Event struct {
	Call string
	Pid  int // thread-group id of the caller
	Tid  int // thread id of the caller
	// At is when the recorder saw the call: the time since the target's
	// exec for the ptrace tracer, CLOCK_MONOTONIC for the perf recorder.
	At time.Duration
	// Addr is the address argument (mmap hint, munmap/mremap/madvise
	// start, brk request).
	Addr uint64
	// Size is the byte count: the change of the program break for brk
	// (negative when it shrank, 0 for a query or for the first brk of a
	// process whose break the tracer did not know yet), the length for
	// mmap, munmap and madvise, the new length for mremap and the byte
	// count for a marker write.
	Size int64
	// Old is mremap's old length.
	Old int64
	// Advice is madvise's advice (MADV_*).
	Advice int
	// Flags are mmap's and mremap's flags, and a fork's clone flags
	// (ForkShared marks one whose flags are unknown but which shares
	// the parent's memory or is a thread, such as clone3 seen by a
	// recorder that cannot read its arguments).
	Flags uint64
	// Prot is mmap's and mprotect's protection (PROT_*).
	Prot int
	// Fd is mmap's file descriptor: -1 (or any negative value) for an
	// anonymous mapping.
	Fd int
	// Ret is the return value where the tracer reads it: the new program
	// break for brk, the new process id for fork. Other calls are recorded
	// at entry, so their sizes are what was asked for.
	Ret int64
	// Text is what a marker write wrote, at most MaxMark bytes of it.
	Text string
	// Truncated is set when the marker write was longer than MaxMark or
	// could not be read in full.
	Truncated bool
	// Site is where the call was issued, for recorders that sample the
	// caller's registers (the perf recorder); nil when not sampled.
	Site *Site
}

// Linux's mmap and clone constants the classification reads
// (include/uapi/asm-generic/mman*.h, include/uapi/linux/sched.h); they are
// the same on x86-64 and arm64.
const (
	ProtRead      = 0x1
	ProtWrite     = 0x2
	MapShared     = 0x01
	MapFixed      = 0x10
	MapAnonymous  = 0x20
	MapNoReserve  = 0x4000
	CloneVM       = 0x100
	CloneVfork    = 0x4000
	CloneThread   = 0x10000
	ForkShared    = 1 << 63
	forkSharesMem = CloneVM | CloneThread | ForkShared
)

// Copies reports whether a fork event gave the child a copy-on-write copy
// of the parent's memory (fork, or clone without CLONE_VM), rather than
// sharing it (vfork, posix_spawn's clone, a thread).
func (e Event) Copies() bool { return e.Call == CallFork && e.Flags&forkSharesMem == 0 }

// MaxMark bounds the bytes read from one marker write. A begin or end
// record is well under 200 bytes.
const MaxMark = 4096

// AdviceName returns the MADV_ name of an madvise advice value.
func AdviceName(advice int) string {
	if n, ok := adviceNames[advice]; ok {
		return n
	}
	return fmt.Sprintf("MADV_%d", advice)
}

// adviceNames are Linux's advice values (include/uapi/asm-generic/mman-common.h).
var adviceNames = map[int]string{
	0:   "MADV_NORMAL",
	1:   "MADV_RANDOM",
	2:   "MADV_SEQUENTIAL",
	3:   "MADV_WILLNEED",
	4:   "MADV_DONTNEED",
	8:   "MADV_FREE",
	9:   "MADV_REMOVE",
	10:  "MADV_DONTFORK",
	11:  "MADV_DOFORK",
	12:  "MADV_MERGEABLE",
	13:  "MADV_UNMERGEABLE",
	14:  "MADV_HUGEPAGE",
	15:  "MADV_NOHUGEPAGE",
	16:  "MADV_DONTDUMP",
	17:  "MADV_DODUMP",
	18:  "MADV_WIPEONFORK",
	19:  "MADV_KEEPONFORK",
	20:  "MADV_COLD",
	21:  "MADV_PAGEOUT",
	22:  "MADV_POPULATE_READ",
	23:  "MADV_POPULATE_WRITE",
	24:  "MADV_DONTNEED_LOCKED",
	25:  "MADV_COLLAPSE",
	100: "MADV_HWPOISON",
	101: "MADV_SOFT_OFFLINE",
	102: "MADV_GUARD_INSTALL",
	103: "MADV_GUARD_REMOVE",
}

// Stats describes what the ptrace tracer followed and what it cost.
type Stats struct {
	// Stops counts the times the target was held for the tracer after
	// its exec: ptrace stops plus seccomp notifications.
	Stops int64 `json:"stops"`
	// Notified counts the calls that went through the seccomp listener
	// rather than a ptrace stop (0 on kernels without one).
	Notified  int64 `json:"notified"`
	Events    int64 `json:"events"`    // events emitted
	Processes int   `json:"processes"` // processes followed (the target included)
	Threads   int   `json:"threads"`   // threads followed (every process's first thread included)
	// Unreadable counts marker writes whose bytes could not be read from
	// the target's memory.
	Unreadable int64 `json:"unreadable,omitempty"`
}
