// Package proc starts and reaps the processes faultline measures. Every
// target runs in its own process group and is killed with its whole tree when
// the context ends, so no process of ours outlives faultline.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Spec describes a process to start.
type Spec struct {
	Argv       []string
	Env        []string // nil means os.Environ()
	Dir        string
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	ExtraFiles []*os.File // become fd 3, 4, ... in the child
}

// Usage is the kernel's resource accounting for a finished process tree.
type Usage struct {
	MinFlt   int64         `json:"minflt"`
	MajFlt   int64         `json:"majflt"`
	MaxRSS   int64         `json:"maxrss_bytes"`
	UTime    time.Duration `json:"utime"`
	STime    time.Duration `json:"stime"`
	VolCtxSw int64         `json:"nvcsw"`
	InvCtxSw int64         `json:"nivcsw"`
}

// Exit describes how a process ended.
type Exit struct {
	Code   int    // exit status, or -1 when killed by a signal
	Signal string // signal name when killed by one
	Wall   time.Duration
	Usage  Usage
}

// Failed reports whether the process did not exit with status 0.
func (e *Exit) Failed() bool { return e.Code != 0 || e.Signal != "" }

func (e *Exit) String() string {
	if e.Signal != "" {
		return "killed by " + e.Signal
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// Process is a started target.
type Process struct {
	cmd   *exec.Cmd
	start time.Time
	done  chan struct{}
	stop  func() bool
}

// Start starts s. When ctx ends the whole process group is killed.
func Start(ctx context.Context, s *Spec) (*Process, error) {
	if len(s.Argv) == 0 {
		return nil, errors.New("start: empty command")
	}
	cmd := exec.Command(s.Argv[0], s.Argv[1:]...)
	cmd.Env = s.Env
	cmd.Dir = s.Dir
	cmd.Stdin = s.Stdin
	cmd.Stdout = s.Stdout
	cmd.Stderr = s.Stderr
	cmd.ExtraFiles = s.ExtraFiles
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.Argv[0], err)
	}
	p.stop = context.AfterFunc(ctx, p.Kill)
	return p, nil
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill kills the process group with SIGKILL.
func (p *Process) Kill() {
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = p.cmd.Process.Kill()
}

// Wait waits for the process to exit and kills what is left of its group.
func (p *Process) Wait() (*Exit, error) {
	err := p.cmd.Wait()
	wall := time.Since(p.start)
	p.stop()
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	st := p.cmd.ProcessState
	if st == nil {
		return nil, fmt.Errorf("wait: %w", err)
	}
	e := &Exit{Code: st.ExitCode(), Wall: wall}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		e.Signal = unixSignalName(ws.Signal())
	}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		e.Usage = Usage{
			MinFlt:   ru.Minflt,
			MajFlt:   ru.Majflt,
			MaxRSS:   ru.Maxrss * 1024,
			UTime:    time.Duration(syscall.TimevalToNsec(ru.Utime)),
			STime:    time.Duration(syscall.TimevalToNsec(ru.Stime)),
			VolCtxSw: ru.Nvcsw,
			InvCtxSw: ru.Nivcsw,
		}
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return e, fmt.Errorf("wait: %w", err)
	}
	return e, nil
}

func unixSignalName(s syscall.Signal) string {
	names := map[syscall.Signal]string{
		syscall.SIGKILL: "SIGKILL", syscall.SIGSEGV: "SIGSEGV", syscall.SIGABRT: "SIGABRT",
		syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGBUS: "SIGBUS",
		syscall.SIGFPE: "SIGFPE", syscall.SIGILL: "SIGILL", syscall.SIGPIPE: "SIGPIPE",
		syscall.SIGHUP: "SIGHUP", syscall.SIGQUIT: "SIGQUIT",
	}
	if n, ok := names[s]; ok {
		return n
	}
	return s.String()
}
