package ptrace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/memtrace"
)

// Tracer follows a target tree with ptrace, from the target's exec until
// its last process is gone, and reports each traced call as a memtrace.Event.
//
// ptrace accepts requests only from the thread that is the tracer, so
// every method must be called from the goroutine that started the tracee,
// locked to its OS thread (runtime.LockOSThread before starting it). Run
// waits with wait4(-1), which reaps any child of the calling process: the
// process that runs a Tracer must have no children but the traced tree.
// internal/proc runs it in a re-exec'd supervisor for that reason.
type Tracer struct {
	// mu serializes events between the ptrace loop and the listener
	// goroutine (see Listen), and guards t0.
	mu   sync.Mutex
	emit func(memtrace.Event)
	t0   time.Time

	// Owned by the ptrace loop.
	leader     int
	started    bool // the leader has exec'd the target
	tasks      map[int]*task
	brk        map[int]uint64 // last program break by thread-group id
	stats      memtrace.Stats
	status     unix.WaitStatus
	rusage     unix.Rusage
	leaderDone bool
	buf        [memtrace.MaxMark]byte

	listener *listener // nil until Listen
}

type task struct {
	tgid int
	// attached is false while the task's attach SIGSTOP is still due: a
	// new thread or process auto-attached by PTRACE_O_TRACECLONE/FORK
	// starts with one, which the tracer swallows.
	attached bool
	inBrk    bool // between brk's seccomp stop and its syscall-exit stop
	brkAddr  uint64
}

// Options set at the first stop. TRACESECCOMP before anything else: a
// filter that returns SECCOMP_RET_TRACE with no tracer listening makes the
// call fail with ENOSYS. EXITKILL: if the supervisor dies, the traced tree
// dies with it. TRACESYSGOOD tells syscall-exit stops from SIGTRAPs.
const baseOptions = unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_EXITKILL |
	unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_TRACESYSGOOD

// Following forks and clones starts only at the target's exec, so that the
// exec helper's own Go runtime threads are never traced.
const followOptions = baseOptions | unix.PTRACE_O_TRACECLONE |
	unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK

// NewTracer returns a tracer that passes each event to emit, on the
// tracer's goroutine, while the tracee is stopped.
//
// A Tracer is meant for a process of its own (internal/proc's supervisor):
// NewTracer changes two signal dispositions of the whole process, keeping
// the Go runtime's handlers, because a ptrace stop must cost no more than
// the kernel's own work (see docs/tracing.md for the measurements):
//
//   - SIGCHLD gets SA_NOCLDSTOP. Otherwise every ptrace stop sends the
//     tracer process a SIGCHLD, and delivering it, often to another,
//     sleeping thread, costs more than the stop itself. wait4 is woken
//     either way, and exits still raise SIGCHLD.
//   - SIGURG, the runtime's preemption signal, loses SA_RESTART, so that it
//     interrupts the loop's raw, blocking wait4 (see waitAny). Go code copes
//     with EINTR; the os package retries it.
func NewTracer(emit func(memtrace.Event)) *Tracer {
	setSigFlags(unix.SIGCHLD, saNoCldStop, 0)
	setSigFlags(unix.SIGURG, 0, saRestart)
	return &Tracer{emit: emit, tasks: make(map[int]*task), brk: make(map[int]uint64)}
}

// kernelSigaction is struct sigaction as rt_sigaction takes it on amd64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const (
	saNoCldStop = 0x1
	saRestart   = 0x10000000
)

// setSigFlags sets and clears sa_flags bits of sig's current action.
func setSigFlags(sig unix.Signal, set, clear uint64) {
	var sa kernelSigaction
	const size = 8 // the kernel's sizeof(sigset_t)
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&sa)), size, 0, 0); e != 0 {
		return
	}
	if sa.handler == 0 || sa.handler == 1 { // SIG_DFL, SIG_IGN: leave alone
		return
	}
	sa.flags = (sa.flags | set) &^ clear
	_, _, _ = unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&sa)), 0, size, 0, 0)
}

// waitAny waits for the next event of any tracee. It blocks in a raw system
// call on purpose: through syscall.Syscall the runtime hands the P off and
// back around every stop, and sysmon wakes up other threads, which made a
// stop twice as expensive as in a C tracer on the 2-vCPU VM this was
// measured on. A goroutine blocked in a raw call cannot be preempted, so
// NewTracer makes the preemption signal interrupt it: waitAny returns EINTR,
// the loop goes round through a function call, and the runtime gets its
// preemption (garbage collection never waits longer than one signal).
//
// No rusage is asked for: the kernel would compute one for every stop.
// The leader's comes from RUSAGE_CHILDREN once it is reaped (exited).
func waitAny(ws *unix.WaitStatus) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_WAIT4, ^uintptr(0), uintptr(unsafe.Pointer(ws)), unix.WALL, 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// Attach takes over pid: a child started with SysProcAttr.Ptrace, about to
// stop at the exec of the exec helper. It waits for that stop, sets the
// options and lets the child run. Nothing is recorded until pid's next
// exec, the one that starts the target (see Exec).
func (t *Tracer) Attach(pid int) error {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("ptrace: wait for the helper's exec stop: %w", err)
		}
		break
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		return fmt.Errorf("ptrace: helper did not stop at exec (wait status %#x)", uint32(ws))
	}
	if err := unix.PtraceSetOptions(pid, baseOptions); err != nil {
		return fmt.Errorf("ptrace: set ptrace options: %w", err)
	}
	t.leader = pid
	t.tasks[pid] = &task{tgid: pid, attached: true}
	if err := unix.PtraceCont(pid, 0); err != nil {
		return fmt.Errorf("ptrace: resume helper: %w", err)
	}
	return nil
}

// Stats returns what the tracer followed. Call it after Run and Close.
func (t *Tracer) Stats() memtrace.Stats {
	st := t.stats
	if l := t.listener; l != nil {
		st.Stops += l.notifications
		st.Notified = l.notifications
		st.Events += l.events
		st.Unreadable += l.unreadable
	}
	return st
}

// Run follows the tree until every tracee is gone and returns the wait
// status and resource usage of the leader (the target). When the leader
// ends, whatever it left running is killed: a target's leftovers must not
// outlive it, and the tracer must not wait for daemons.
func (t *Tracer) Run() (unix.WaitStatus, *unix.Rusage, error) {
	for {
		var ws unix.WaitStatus
		tid, err := waitAny(&ws)
		if err == unix.EINTR {
			runtime.Gosched() // what the interrupting SIGURG asked for
			continue
		}
		if err == unix.ECHILD {
			break
		}
		if err != nil {
			t.killAll()
			return 0, nil, fmt.Errorf("ptrace: wait: %w", err)
		}
		switch {
		case ws.Stopped():
			if t.started {
				t.stats.Stops++
			}
			t.stopped(tid, ws)
		case ws.Exited() || ws.Signaled():
			t.exited(tid, ws)
		}
	}
	if !t.leaderDone {
		return 0, nil, errors.New("ptrace: the target vanished without an exit status")
	}
	return t.status, &t.rusage, nil
}

// send stamps and emits an event. Both the ptrace loop and the listener
// call it while the calling thread of the target is still stopped, so each
// thread's events arrive in the order it made the calls.
func (t *Tracer) send(e memtrace.Event) {
	t.mu.Lock()
	e.At = time.Since(t.t0)
	t.emit(e)
	t.mu.Unlock()
	t.stats.Events++
}

// addTask registers a task first seen at its own stop or at its creator's
// fork/clone event, whichever the kernel reports first.
func (t *Tracer) addTask(tid, tgid int, attached bool) *task {
	if tgid == 0 {
		tgid = tgidOf(tid)
	}
	tk := &task{tgid: tgid, attached: attached}
	t.tasks[tid] = tk
	t.stats.Threads++
	if tgid == tid {
		t.stats.Processes++
	}
	return tk
}

func (t *Tracer) stopped(tid int, ws unix.WaitStatus) {
	tk := t.tasks[tid]
	if tk == nil {
		// A new task whose attach stop beat its creator's event.
		tk = t.addTask(tid, 0, false)
	}
	sig := ws.StopSignal()
	switch {
	case sig == unix.SIGTRAP|0x80:
		t.syscallExit(tid, tk)
	case sig == unix.SIGTRAP && ws.TrapCause() > 0:
		t.event(tid, tk, ws.TrapCause())
	case !tk.attached && sig == unix.SIGSTOP:
		tk.attached = true
		cont(tid, 0)
	case isStopSignal(sig) && groupStop(tid):
		// Without PTRACE_SEIZE a group-stop cannot be kept; resuming is
		// what strace does too.
		cont(tid, 0)
	default:
		// Every other signal goes back to the tracee: swallowing, say,
		// SIGCHLD would hang its parent.
		cont(tid, int(sig))
	}
}

func (t *Tracer) event(tid int, tk *task, cause int) {
	switch cause {
	case unix.PTRACE_EVENT_SECCOMP:
		t.seccomp(tid, tk)
		return // seccomp resumes the tracee itself
	case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK, unix.PTRACE_EVENT_CLONE:
		msg, err := unix.PtraceGetEventMsg(tid)
		if err == nil && t.started {
			child := int(msg)
			ctgid := child
			if cause == unix.PTRACE_EVENT_CLONE {
				ctgid = 0 // a thread or a process: ask /proc
			}
			ck := t.tasks[child]
			if ck == nil {
				ck = t.addTask(child, ctgid, false)
			}
			if ck.tgid == child {
				// A new process starts with its parent's break.
				if b, ok := t.brk[tk.tgid]; ok {
					t.brk[child] = b
				}
				t.send(memtrace.Event{Call: memtrace.CallFork, Pid: tk.tgid, Tid: tid, Ret: int64(child), Flags: cloneFlags(tid, cause)})
			}
		}
	case unix.PTRACE_EVENT_EXEC:
		// The exec'ing thread now has the thread-group id; every other
		// thread of the old image is gone without an exit report.
		if former, err := unix.PtraceGetEventMsg(tid); err == nil && int(former) != tid {
			delete(t.tasks, int(former))
		}
		for id, other := range t.tasks {
			if other.tgid == tk.tgid && id != tid {
				delete(t.tasks, id)
			}
		}
		tk.inBrk = false
		if !t.started && tid == t.leader {
			t.started = true
			t.mu.Lock()
			t.t0 = time.Now()
			t.mu.Unlock()
			t.stats.Processes, t.stats.Threads = 1, 1
			if err := unix.PtraceSetOptions(tid, followOptions); err != nil {
				// Without fork following, children would run untraced
				// but filtered: their memory calls would fail with ENOSYS.
				t.killAll()
			}
		}
		if t.started {
			delete(t.brk, tk.tgid)
			t.send(memtrace.Event{Call: memtrace.CallExec, Pid: tk.tgid, Tid: tid})
		}
	}
	cont(tid, 0)
}

// cloneFlags are the flags a process was created with, read from its
// parent stopped at the fork event: vfork shares the parent's memory,
// fork copies it, and clone and clone3 say in their arguments (clone3's
// first field of its argument structure).
func cloneFlags(tid, cause int) uint64 {
	switch cause {
	case unix.PTRACE_EVENT_VFORK:
		return memtrace.CloneVM | memtrace.CloneVfork
	case unix.PTRACE_EVENT_FORK:
		return 0
	}
	var regs unix.PtraceRegs
	if !getRegs(tid, &regs) {
		return memtrace.ForkShared
	}
	switch regs.Orig_rax {
	case unix.SYS_CLONE:
		return regs.Rdi
	case unix.SYS_CLONE3:
		var flags [8]byte
		local := []unix.Iovec{{Base: &flags[0], Len: 8}}
		remote := []unix.RemoteIovec{{Base: uintptr(regs.Rdi), Len: 8}}
		if n, err := unix.ProcessVMReadv(tid, local, remote, 0); err == nil && n == 8 {
			return binary.LittleEndian.Uint64(flags[:])
		}
	}
	return memtrace.ForkShared
}

func (t *Tracer) seccomp(tid int, tk *task) {
	var regs unix.PtraceRegs
	if !getRegs(tid, &regs) || !t.started {
		// Before the target's exec this is the helper's own Go runtime
		// between loading the filter and execve: not the target's.
		cont(tid, 0)
		return
	}
	e := memtrace.Event{Pid: tk.tgid, Tid: tid, Addr: regs.Rdi}
	switch regs.Orig_rax {
	case unix.SYS_BRK:
		// The size is only known from the return value: stop again at
		// the syscall's exit (seccomp stops act as syscall-enter stops
		// since Linux 4.8, so PTRACE_SYSCALL leads to the exit stop).
		tk.inBrk = true
		tk.brkAddr = regs.Rdi
		if !contSyscall(tid) {
			tk.inBrk = false
		}
		return
	case unix.SYS_MMAP:
		e.Call, e.Size, e.Flags = memtrace.CallMmap, clampSize(regs.Rsi), regs.R10
		e.Prot, e.Fd = int(int32(regs.Rdx)), int(int32(regs.R8))
	case unix.SYS_MPROTECT:
		e.Call, e.Size, e.Prot = memtrace.CallMprotect, clampSize(regs.Rsi), int(int32(regs.Rdx))
	case unix.SYS_MUNMAP:
		e.Call, e.Size = memtrace.CallMunmap, clampSize(regs.Rsi)
	case unix.SYS_MREMAP:
		e.Call, e.Old, e.Size, e.Flags = memtrace.CallMremap, clampSize(regs.Rsi), clampSize(regs.Rdx), regs.R10
	case unix.SYS_MADVISE:
		e.Call, e.Size, e.Advice = memtrace.CallMadvise, clampSize(regs.Rsi), int(int32(regs.Rdx))
	case unix.SYS_WRITE:
		e.Call, e.Addr = memtrace.CallMark, 0
		if !readMark(tid, regs.Rsi, regs.Rdx, &t.buf, &e) {
			t.stats.Unreadable++
		}
	default:
		cont(tid, 0)
		return
	}
	t.send(e)
	cont(tid, 0)
}

// readMark copies a marker write's bytes out of the tracee while its
// thread is stopped at the write's entry, so the buffer is still what it
// wrote. It reports false when they could not all be read.
func readMark(tid int, addr, count uint64, buf *[memtrace.MaxMark]byte, e *memtrace.Event) bool {
	e.Size = clampSize(count)
	n := count
	if n > memtrace.MaxMark {
		n, e.Truncated = memtrace.MaxMark, true
	}
	if n == 0 {
		return true
	}
	local := []unix.Iovec{{Base: &buf[0], Len: n}}
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: int(n)}}
	got, err := unix.ProcessVMReadv(tid, local, remote, 0)
	ok := err == nil && uint64(got) == n
	if !ok {
		e.Truncated = true
		got = max(got, 0)
	}
	e.Text = string(buf[:got])
	return ok
}

func (t *Tracer) syscallExit(tid int, tk *task) {
	if !tk.inBrk {
		cont(tid, 0)
		return
	}
	tk.inBrk = false
	var regs unix.PtraceRegs
	if !getRegs(tid, &regs) {
		cont(tid, 0)
		return
	}
	e := memtrace.Event{Call: memtrace.CallBrk, Pid: tk.tgid, Tid: tid, Addr: tk.brkAddr, Ret: int64(regs.Rax)}
	if last, ok := t.brk[tk.tgid]; ok {
		e.Size = int64(regs.Rax - last)
	}
	t.brk[tk.tgid] = regs.Rax
	t.send(e)
	cont(tid, 0)
}

func (t *Tracer) exited(tid int, ws unix.WaitStatus) {
	tk := t.tasks[tid]
	delete(t.tasks, tid)
	if tk != nil && t.started {
		if tk.inBrk {
			// Killed inside brk: the call happened, its result is unknown.
			t.send(memtrace.Event{Call: memtrace.CallBrk, Pid: tk.tgid, Tid: tid, Addr: tk.brkAddr})
		}
		if tid == tk.tgid {
			delete(t.brk, tid)
			t.send(memtrace.Event{Call: memtrace.CallExit, Pid: tid, Tid: tid})
		}
	}
	if tid == t.leader && !t.leaderDone {
		t.leaderDone = true
		t.status = ws
		// The leader is the process's only child reaped so far, but for
		// orphans of the target that were reparented to us and died
		// first (their usage then counts too).
		_ = unix.Getrusage(unix.RUSAGE_CHILDREN, &t.rusage)
		t.killAll()
	}
}

// killAll kills every process still traced. Their exits arrive through
// Run's wait loop, which ends when none is left.
func (t *Tracer) killAll() {
	done := make(map[int]bool)
	for _, tk := range t.tasks {
		if !done[tk.tgid] {
			done[tk.tgid] = true
			_ = unix.Kill(tk.tgid, unix.SIGKILL)
		}
	}
}

// The requests made at every stop go through raw system calls: they do
// not block for long, and the runtime's syscall bookkeeping around each
// would be a measurable part of a stop (docs/tracing.md).
func ptrace(req, tid int, addr, data uintptr) unix.Errno {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	return e
}

func getRegs(tid int, regs *unix.PtraceRegs) bool {
	return ptrace(unix.PTRACE_GETREGS, tid, 0, uintptr(unsafe.Pointer(regs))) == 0
}

// cont resumes a tracee. ESRCH means it died meanwhile (SIGKILL); its
// exit follows.
func cont(tid, sig int) { _ = ptrace(unix.PTRACE_CONT, tid, 0, uintptr(sig)) }

// contSyscall resumes a tracee until its syscall-exit stop.
func contSyscall(tid int) bool { return ptrace(unix.PTRACE_SYSCALL, tid, 0, 0) == 0 }

func isStopSignal(s unix.Signal) bool {
	return s == unix.SIGSTOP || s == unix.SIGTSTP || s == unix.SIGTTIN || s == unix.SIGTTOU
}

// groupStop tells a group-stop from a signal-delivery-stop:
// PTRACE_GETSIGINFO fails with EINVAL only for the former.
func groupStop(tid int) bool {
	var si [128]byte
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(tid), 0, uintptr(unsafe.Pointer(&si[0])), 0, 0)
	return errno == unix.EINVAL
}

func clampSize(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// tgidOf reads a task's thread-group id from /proc; a task that is already
// gone is taken for a process of its own.
func tgidOf(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return tid
	}
	_, rest, ok := bytes.Cut(b, []byte("\nTgid:"))
	if !ok {
		return tid
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	n, err := strconv.Atoi(string(bytes.TrimSpace(line)))
	if err != nil || n <= 0 {
		return tid
	}
	return n
}
