package ptrace

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Syscalls the filter singles out.
var notifiedCalls = []uint32{unix.SYS_MMAP, unix.SYS_MUNMAP, unix.SYS_MREMAP, unix.SYS_MADVISE, unix.SYS_MPROTECT}

// filter builds the seccomp program. brk always returns SECCOMP_RET_TRACE:
// its size is known only from its return value, which takes a ptrace
// syscall-exit stop. The other memory calls and write(markFD, ...) (when
// markFD > 0) return SECCOMP_RET_USER_NOTIF when notify is set, and are
// then handled over the listener descriptor without a ptrace stop, which
// costs less per call (docs/tracing.md); otherwise they return
// SECCOMP_RET_TRACE too. Everything else is allowed. The syscall number
// rides in RET_DATA for the ptrace path.
//
// Only x86-64 calls are matched. x32 calls (nr | 0x40000000) and i386
// calls of a 32-bit target (another audit arch) pass untraced; faultline's
// targets are x86-64 programs.
func filter(markFD int, notify bool) ([]unix.SockFilter, error) {
	action := func(nr uint32) uint32 {
		if notify {
			return unix.SECCOMP_RET_USER_NOTIF
		}
		return unix.SECCOMP_RET_TRACE | nr
	}
	body := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 0, Size: 4}, // seccomp_data.nr
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.SYS_BRK, SkipFalse: 1},
		bpf.RetConstant{Val: unix.SECCOMP_RET_TRACE | unix.SYS_BRK},
	}
	for _, nr := range notifiedCalls {
		body = append(body,
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr, SkipFalse: 1},
			bpf.RetConstant{Val: action(nr)})
	}
	if markFD > 0 {
		body = append(body,
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.SYS_WRITE, SkipFalse: 5},
			bpf.LoadAbsolute{Off: 16, Size: 4}, // args[0], low half
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(markFD), SkipFalse: 3},
			bpf.LoadAbsolute{Off: 20, Size: 4}, // args[0], high half
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0, SkipFalse: 1},
			bpf.RetConstant{Val: action(unix.SYS_WRITE)})
	}
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4}, // seccomp_data.arch
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.AUDIT_ARCH_X86_64, SkipFalse: uint8(len(body))},
	}
	prog = append(prog, body...)
	prog = append(prog, bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW})
	return assemble(prog)
}

func assemble(prog []bpf.Instruction) ([]unix.SockFilter, error) {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("assemble seccomp filter: %w", err)
	}
	out := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out, nil
}

// Seccomp filter flags (linux/seccomp.h).
const (
	flagNewListener      = 1 << 3 // SECCOMP_FILTER_FLAG_NEW_LISTENER, Linux 5.0
	flagWaitKillableRecv = 1 << 5 // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, Linux 5.19
)

// loadFilter installs prog on the calling thread with flags and returns
// what seccomp returned (the listener descriptor with flagNewListener). It
// tries without no_new_privs first, which works with CAP_SYS_ADMIN (root)
// and keeps set-user-ID programs working inside the target; without that
// capability the kernel demands no_new_privs, and then set-user-ID bits are
// ignored in the traced tree. It makes only raw system calls, so that
// nothing of the Go scheduler runs between it and the execve that follows.
func loadFilter(prog []unix.SockFilter, flags uintptr) (int, syscall.Errno) {
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	if errno == unix.EACCES {
		if _, _, e := unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); e != 0 {
			return -1, e
		}
		r, _, errno = unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	}
	runtime.KeepAlive(prog)
	return int(r), errno
}

// Exec loads the tracing filter into the calling thread and executes path.
// It is the last thing the exec helper does: the helper must already be a
// tracee of a Tracer that has attached (so that PTRACE_O_TRACESECCOMP is set
// before the filter can fire: without a tracer, SECCOMP_RET_TRACE makes the
// call fail with ENOSYS), and it must run on the thread the tracer attached
// to, the process's main thread. Exec returns only on failure.
//
// With sock > 0 (a Unix socket whose other end the tracer's process holds,
// see Tracer.Listen) Exec asks for a seccomp listener and sends it over
// sock just before the execve; on kernels before 5.19 it loads the
// ptrace-only filter instead and sends a message without a descriptor.
func Exec(path string, argv, env []string, markFD, sock int) error {
	notifyProg, err := filter(markFD, true)
	if err != nil {
		return err
	}
	traceProg, err := filter(markFD, false)
	if err != nil {
		return err
	}
	// Build everything first: between the filter and execve nothing may
	// allocate, because a Go heap growth would be a traced mmap, and a
	// notified one would wait for a listener that is not listening yet.
	pathp, err := syscall.BytePtrFromString(path)
	if err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	data := []byte{'L'}
	oob := unix.UnixRights(0)
	iov := unix.Iovec{Base: &data[0], Len: 1}
	msg := unix.Msghdr{Iov: &iov, Iovlen: 1, Control: &oob[0], Controllen: uint64(len(oob))}

	runtime.LockOSThread()
	// The listener is used only where WAIT_KILLABLE_RECV is known (Linux
	// 5.19): that also guarantees SECCOMP_USER_NOTIF_FLAG_CONTINUE (5.5),
	// and a caller that a signal cannot pull out of a received
	// notification is counted exactly once.
	listener, errno := -1, syscall.Errno(unix.EINVAL)
	if sock > 0 {
		listener, errno = loadFilter(notifyProg, flagNewListener|flagWaitKillableRecv)
	}
	if errno != 0 {
		if _, errno = loadFilter(traceProg, 0); errno != 0 {
			return fmt.Errorf("load seccomp filter: %w", errno)
		}
		listener = -1
	}
	if sock > 0 {
		if listener >= 0 {
			// The descriptor goes in the SCM_RIGHTS payload, right
			// after the control message header.
			*(*int32)(unsafe.Pointer(&oob[unix.CmsgLen(0)])) = int32(listener)
		} else {
			data[0], msg.Control, msg.Controllen = 'N', nil, 0
		}
		_, _, errno = unix.RawSyscall(unix.SYS_SENDMSG, uintptr(sock), uintptr(unsafe.Pointer(&msg)), 0)
		if listener >= 0 {
			_, _, _ = unix.RawSyscall(unix.SYS_CLOSE, uintptr(listener), 0, 0)
		}
		if errno != 0 {
			return fmt.Errorf("send seccomp listener: %w", errno)
		}
	}
	_, _, errno = unix.RawSyscall(unix.SYS_EXECVE,
		uintptr(unsafe.Pointer(pathp)), uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])))
	runtime.KeepAlive(pathp)
	runtime.KeepAlive(argvp)
	runtime.KeepAlive(envp)
	runtime.KeepAlive(data)
	runtime.KeepAlive(oob)
	return &os.PathError{Op: "exec", Path: path, Err: errno}
}
