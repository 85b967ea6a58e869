package ptrace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Probe reports whether seccomp-filtered ptrace tracing works here: nil, or
// an error whose message is one line naming what is missing.
//
// It checks the two halves separately without tracing anything: a seccomp
// filter is loaded on a throw-away thread (allow-all, so the process is not
// affected), and a child is started under PTRACE_TRACEME, stopped at its
// exec and given the tracer's options, then killed before it runs a single
// instruction of its own.
func Probe() error {
	if b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil && bytes.TrimSpace(b)[0] == '3' {
		return errors.New("ptrace is disabled on this machine (kernel.yama.ptrace_scope=3)")
	}
	if err := probeSeccomp(); err != nil {
		return fmt.Errorf("seccomp filters unavailable: %w", err)
	}
	if err := probePtrace(); err != nil {
		return fmt.Errorf("ptrace unavailable: %w", err)
	}
	return nil
}

func probeSeccomp() error {
	if _, err := filter(3, true); err != nil {
		return err
	}
	prog, err := assemble([]bpf.Instruction{bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW}})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, with its filter and no_new_privs,
		// ends with this goroutine instead of returning to the pool.
		runtime.LockOSThread()
		if _, errno := loadFilter(prog, 0); errno != 0 {
			errc <- errno
			return
		}
		errc <- nil
	}()
	return <-errc
}

func probePtrace() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := os.StartProcess("/proc/self/exe", []string{"faultline-trace-probe"}, &os.ProcAttr{
		Env: []string{},
		Sys: &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		return err
	}
	pid := p.Pid
	var ws unix.WaitStatus
	_, err = waitPid(pid, &ws)
	if err == nil && (!ws.Stopped() || ws.StopSignal() != unix.SIGTRAP) {
		err = fmt.Errorf("child did not stop at exec (wait status %#x)", uint32(ws))
	}
	if err == nil {
		if e := unix.PtraceSetOptions(pid, followOptions); e != nil {
			err = fmt.Errorf("PTRACE_SETOPTIONS: %w", e)
		}
	}
	_ = unix.Kill(pid, unix.SIGKILL)
	for !ws.Exited() && !ws.Signaled() {
		if _, e := waitPid(pid, &ws); e != nil {
			break
		}
	}
	return err
}

func waitPid(pid int, ws *unix.WaitStatus) (int, error) {
	for {
		n, err := unix.Wait4(pid, ws, unix.WALL, nil)
		if err != unix.EINTR {
			return n, err
		}
	}
}
