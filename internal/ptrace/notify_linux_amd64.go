package ptrace

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/memtrace"
)

// The exec helper's filter sends mmap, munmap, mremap, madvise and marker
// writes to a seccomp listener (SECCOMP_RET_USER_NOTIF) rather than to
// ptrace when the kernel allows: the calling thread waits in the kernel
// while the listener reads the call's arguments from the notification and
// lets it continue. That spares each call the ptrace stop's wait4, the
// attach check and the register read, about a tenth of the cost of a stop
// on the machine this was measured on (docs/benchmarks-trace.md). brk stays
// on ptrace, because its size needs the return value; so do forks, execs,
// exits and signals.

// seccompNotif is struct seccomp_notif (linux/seccomp.h).
type seccompNotif struct {
	id    uint64
	pid   uint32 // the calling thread's id
	flags uint32
	nr    int32
	arch  uint32
	ip    uint64
	args  [6]uint64
}

// seccompNotifResp is struct seccomp_notif_resp.
type seccompNotifResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

const notifContinue = 1 // SECCOMP_USER_NOTIF_FLAG_CONTINUE

type listener struct {
	fd   int
	tid  atomic.Int32 // the serving thread, for Close's signal
	stop atomic.Bool
	done chan struct{}

	// Owned by the serving goroutine until done is closed.
	tgids         map[int]int
	buf           [memtrace.MaxMark]byte
	notifications int64
	events        int64
	unreadable    int64
}

// Listen receives the seccomp listener that Exec sends over sock (the
// Tracer's end of the exec helper's socket) and serves it on a goroutine of
// its own until Close. It returns without serving when the helper sent no
// listener (an old kernel: every call then stops under ptrace) or closed
// the socket before sending one (it failed before its exec). Listen may be
// called from any goroutine, once.
func (t *Tracer) Listen(sock int) error {
	data := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(sock, data, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("ptrace: receive seccomp listener: %w", err)
		}
		if n == 0 || data[0] == 'N' {
			return nil
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			return errors.New("ptrace: exec helper sent no seccomp listener")
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			return errors.New("ptrace: exec helper sent no seccomp listener")
		}
		l := &listener{fd: fds[0], done: make(chan struct{}), tgids: make(map[int]int)}
		t.listener = l
		ready := make(chan struct{})
		go t.serve(l, ready)
		<-ready
		return nil
	}
}

// Close stops serving the listener and waits for the serving goroutine.
// Call it after Run: with the traced tree gone no notification can be
// pending.
func (t *Tracer) Close() {
	l := t.listener
	if l == nil {
		return
	}
	l.stop.Store(true)
	for {
		// The serving thread may be blocked in its receive: the runtime's
		// SIGURG, which NewTracer made interrupting, wakes it with EINTR.
		_ = unix.Tgkill(unix.Getpid(), int(l.tid.Load()), unix.SIGURG)
		select {
		case <-l.done:
			unix.Close(l.fd)
			return
		case <-time.After(time.Millisecond):
		}
	}
}

func (t *Tracer) serve(l *listener, ready chan<- struct{}) {
	// Locked so that Close can signal this very thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(l.done)
	l.tid.Store(int32(unix.Gettid()))
	close(ready)
	for !l.stop.Load() {
		var req seccompNotif
		// A raw, blocking receive, for the reason waitAny gives.
		_, _, errno := unix.RawSyscall(unix.SYS_IOCTL, uintptr(l.fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&req)))
		switch errno {
		case 0:
		case unix.EINTR:
			runtime.Gosched()
			continue
		case unix.ENOENT:
			continue // the caller was killed or interrupted meanwhile
		default:
			return
		}
		l.notifications++
		e, ok := l.event(&req)
		// Emit only once the call is let through: a caller interrupted
		// before that restarts the call and is notified again.
		t.mu.Lock()
		resp := seccompNotifResp{id: req.id, flags: notifContinue}
		_, _, errno = unix.RawSyscall(unix.SYS_IOCTL, uintptr(l.fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp)))
		if errno == 0 && ok {
			e.At = time.Since(t.t0)
			t.emit(e)
			l.events++
		}
		t.mu.Unlock()
	}
}

// event decodes a notification.
func (l *listener) event(req *seccompNotif) (memtrace.Event, bool) {
	tid := int(req.pid)
	tgid, ok := l.tgids[tid]
	if !ok {
		tgid = tgidOf(tid)
		l.tgids[tid] = tgid
	}
	a := req.args
	e := memtrace.Event{Pid: tgid, Tid: tid, Addr: a[0]}
	switch req.nr {
	case unix.SYS_MMAP:
		e.Call, e.Size, e.Flags = memtrace.CallMmap, clampSize(a[1]), a[3]
		e.Prot, e.Fd = int(int32(a[2])), int(int32(a[4]))
	case unix.SYS_MPROTECT:
		e.Call, e.Size, e.Prot = memtrace.CallMprotect, clampSize(a[1]), int(int32(a[2]))
	case unix.SYS_MUNMAP:
		e.Call, e.Size = memtrace.CallMunmap, clampSize(a[1])
	case unix.SYS_MREMAP:
		e.Call, e.Old, e.Size, e.Flags = memtrace.CallMremap, clampSize(a[1]), clampSize(a[2]), a[3]
	case unix.SYS_MADVISE:
		e.Call, e.Size, e.Advice = memtrace.CallMadvise, clampSize(a[1]), int(int32(a[2]))
	case unix.SYS_WRITE:
		e.Call, e.Addr = memtrace.CallMark, 0
		if !readMark(tid, a[1], a[2], &l.buf, &e) {
			l.unreadable++
		}
	default:
		return e, false
	}
	return e, true
}
