package proc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/counters"
	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/reexec"
)

// killGrace is how long Kill lets the supervisor report the target's death
// before it kills the supervisor's group too.
const killGrace = 3 * time.Second

// Process is a started target.
type Process struct {
	spec Spec
	cmd  *exec.Cmd // the supervisor
	spid int       // the supervisor's pid, also the target's process group
	pid  int       // the target's pid

	started chan error // one value: nil once the target exec'd
	// running is set once the started frame arrived: from then on Kill
	// leaves the supervisor to report the target's death.
	running  atomic.Bool
	readDone chan struct{}
	exitMsg  *exitMsg // set by the reader before readDone closes
	readErr  error

	stop func() bool
	// life is faultline's end of the supervisor's control pipe, held open
	// while the target runs: when faultline dies, by any signal, the
	// kernel closes it and the supervisor kills the whole target tree.
	life *os.File

	mu       sync.Mutex
	reaped   bool // the supervisor has exited: spid may not be walked
	backstop *time.Timer

	waitOnce sync.Once
	exit     *Exit
	err      error
}

var (
	subreaper sync.Once
	liveMu    sync.Mutex
	live      = map[*Process]struct{}{}
)

// KillAll kills every live target tree, as Kill does for one. The CLI's
// SIGINT/SIGTERM handler calls it; Wait still reports each target.
func KillAll() {
	liveMu.Lock()
	ps := make([]*Process, 0, len(live))
	for p := range live {
		ps = append(ps, p)
	}
	liveMu.Unlock()
	for _, p := range ps {
		p.Kill()
	}
}

// Start starts s. When ctx ends the target's whole tree is killed.
func Start(ctx context.Context, s *Spec) (*Process, error) {
	if len(s.Argv) == 0 {
		return nil, errors.New("start: empty command")
	}
	if !reexec.Dispatched() {
		// The supervisor is this program re-executed: without the
		// dispatch it would run the program again, not the supervisor.
		return nil, fmt.Errorf("start %s: this program never called reexec.Main, which runs faultline's helper processes", s.Argv[0])
	}
	if s.Marks != nil && s.FD(s.Marks) < 0 {
		return nil, fmt.Errorf("start %s: the marker descriptor (Spec.Marks) is not one of Spec.ExtraFiles", s.Argv[0])
	}
	path := s.Argv[0]
	if !strings.Contains(path, "/") {
		lp, err := exec.LookPath(path)
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", path, err)
		}
		path = lp
	}
	subreaper.Do(func() {
		// A target's orphan whose supervisor is gone comes to us rather
		// than to init, so that sweepGroup can still kill it. Failure
		// only weakens that last line of defence.
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	})
	env := s.Env
	if env == nil {
		env = os.Environ()
	}
	cfg := config{
		Parent: os.Getpid(), Path: path, Argv: s.Argv, Env: env,
		Extra: len(s.ExtraFiles), Counters: s.Counters, Trace: s.Trace != nil,
	}
	if s.Trace != nil {
		if tracer == nil {
			return nil, fmt.Errorf("start %s: %w", s.Argv[0], errNoTracer)
		}
		cfg.MarkFD = max(s.FD(s.Marks), 0)
		cfg.Stream = s.Trace.OnEvent != nil
		cfg.Listener = tracer.Listener()
	}

	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", s.Argv[0], err)
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, fmt.Errorf("start %s: %w", s.Argv[0], err)
	}
	n := len(s.ExtraFiles)
	// The supervisor gets no environment of ours but the switch of the
	// counters, which it opens (an empty Env, not nil, which would be all
	// of ours); the tracer's choices travel in the config.
	senv := []string{}
	if v, ok := os.LookupEnv(counters.EnvDisable); ok {
		senv = append(senv, counters.EnvDisable+"="+v)
	}
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       reexec.Argv(helperArg0, roleSupervisor, strconv.Itoa(3+n), strconv.Itoa(4+n)),
		Env:        senv,
		Dir:        s.Dir,
		Stdin:      s.Stdin,
		Stdout:     s.Stdout,
		Stderr:     s.Stderr,
		ExtraFiles: append(append([]*os.File(nil), s.ExtraFiles...), ctlR, repW),
		// The supervisor leads the target's process group. No Pdeathsig:
		// a supervisor killed with faultline would leave the target's
		// orphans to init; it watches the control pipe instead (life).
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		// The target may leave a grandchild holding stdout; the
		// supervisor kills it, this only bounds a surprise.
		WaitDelay: 2 * time.Second,
	}
	err = cmd.Start()
	ctlR.Close()
	repW.Close()
	if err != nil {
		ctlW.Close()
		repR.Close()
		return nil, fmt.Errorf("start %s: %w", s.Argv[0], err)
	}
	p := &Process{spec: *s, cmd: cmd, spid: cmd.Process.Pid, life: ctlW, started: make(chan error, 1), readDone: make(chan struct{})}
	liveMu.Lock()
	live[p] = struct{}{}
	liveMu.Unlock()
	go p.read(repR)
	err = json.NewEncoder(ctlW).Encode(cfg)
	if err != nil {
		p.Kill()
		_, _ = p.Wait()
		return nil, fmt.Errorf("start %s: send config: %w", s.Argv[0], err)
	}
	select {
	case err = <-p.started:
	case <-ctx.Done():
		err = ctx.Err()
		p.Kill()
	}
	if err != nil {
		_, _ = p.Wait()
		return nil, fmt.Errorf("start %s: %w", s.Argv[0], err)
	}
	p.stop = context.AfterFunc(ctx, p.Kill)
	return p, nil
}

// read consumes the supervisor's report until it closes the pipe.
func (p *Process) read(r *os.File) {
	defer close(p.readDone)
	defer r.Close()
	sent := false
	start := func(err error) {
		if !sent {
			sent = true
			p.started <- err
		}
	}
	defer start(errors.New("supervisor ended before the target started"))
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for {
		kind, payload, err := readFrame(br, buf)
		buf = payload
		if err == io.EOF {
			return
		}
		if err != nil {
			p.readErr = err
			_, _ = io.Copy(io.Discard, br)
			return
		}
		switch kind {
		case frameStarted:
			var m startedMsg
			if err := json.Unmarshal(payload, &m); err != nil {
				p.readErr = fmt.Errorf("supervisor: bad start report: %w", err)
				continue
			}
			p.pid = m.Pid
			p.running.Store(true)
			start(nil)
		case frameFailed:
			var m failedMsg
			if err := json.Unmarshal(payload, &m); err != nil {
				m.Err = "supervisor: bad failure report"
			}
			start(errors.New(m.Err))
		case frameEvent:
			var e memtrace.Event
			if err := e.UnmarshalBinary(payload); err != nil {
				p.readErr = err
				continue
			}
			if p.spec.Trace != nil && p.spec.Trace.OnEvent != nil {
				p.spec.Trace.OnEvent(e)
			}
		case frameExit:
			var m exitMsg
			if err := json.Unmarshal(payload, &m); err != nil {
				p.readErr = fmt.Errorf("supervisor: bad exit report: %w", err)
				continue
			}
			p.exitMsg = &m
		}
	}
}

// Pid returns the target's process id.
func (p *Process) Pid() int { return p.pid }

// Kill kills the target and everything it started, with SIGKILL; Wait
// then reports the target as killed by SIGKILL. The supervisor stays to
// reap and report; should it not exit within a few seconds, its whole
// group is killed as well.
func (p *Process) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaped {
		return
	}
	if !p.running.Load() {
		// The supervisor may be about to start the target, after the
		// walk below: closing its lifeline makes it kill whatever it
		// started and exit, rather than leave a target that stops
		// itself (the perf recorder's held shell) to the backstop.
		p.life.Close()
	}
	// While the supervisor lives it is a subreaper: nothing of the target
	// can leave its subtree, so walking the subtree finds it all.
	killDescendants(p.spid, time.Second)
	if p.backstop == nil {
		p.backstop = time.AfterFunc(killGrace, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if !p.reaped {
				_ = unix.Kill(-p.spid, unix.SIGKILL)
			}
		})
	}
}

// Wait waits for the target to exit and for everything it left behind to
// be killed, then reports how it ended. It may be called more than once.
func (p *Process) Wait() (*Exit, error) {
	p.waitOnce.Do(p.wait)
	return p.exit, p.err
}

func (p *Process) wait() {
	<-p.readDone
	// Wait for the supervisor's exit without reaping it: while it is a
	// zombie its pid cannot be reused, so a concurrent Kill never walks a
	// stranger's tree.
	var si unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, p.spid, &si, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			break
		}
	}
	p.mu.Lock()
	p.reaped = true
	if p.backstop != nil {
		p.backstop.Stop()
	}
	p.mu.Unlock()
	cmdErr := p.cmd.Wait()
	p.life.Close()
	if p.stop != nil {
		p.stop()
	}
	liveMu.Lock()
	delete(live, p)
	liveMu.Unlock()
	m := p.exitMsg
	if m == nil || cmdErr != nil {
		// The supervisor died before its cleanup: anything of the
		// target's group was reparented to us.
		sweepGroup(p.spid)
	}
	if m == nil {
		why := "no report"
		if p.readErr != nil {
			why = p.readErr.Error()
		} else if cmdErr != nil {
			why = cmdErr.Error()
		}
		p.exit = &Exit{Code: -1, Signal: "SIGKILL"}
		p.err = fmt.Errorf("wait %s: supervisor ended without reporting the exit (%s)", p.spec.Argv[0], why)
		return
	}
	p.exit = p.exitFrom(m)
	switch {
	case m.Err != "":
		p.err = fmt.Errorf("wait %s: %s", p.spec.Argv[0], m.Err)
	case p.readErr != nil:
		p.err = fmt.Errorf("wait %s: %w", p.spec.Argv[0], p.readErr)
	}
}

func (p *Process) exitFrom(m *exitMsg) *Exit {
	ws := syscall.WaitStatus(m.Status)
	e := &Exit{Code: ws.ExitStatus(), Wall: time.Duration(m.WallNS)}
	if ws.Signaled() {
		e.Code = -1
		e.Signal = unixSignalName(ws.Signal())
	}
	u := m.Rusage
	e.Usage = Usage{
		MinFlt: max(u.MinFlt-m.PreMinFlt, 0), MajFlt: max(u.MajFlt-m.PreMajFlt, 0),
		MaxRSS: u.MaxRSSKiB * 1024, UTime: time.Duration(max(u.UTimeNS-m.PreUTimeNS, 0)), STime: time.Duration(max(u.STimeNS-m.PreSTimeNS, 0)),
		VolCtxSw: u.NVCSW, InvCtxSw: u.NIVCSW,
	}
	if p.spec.Counters {
		switch {
		case m.Counters != nil:
			e.Counters = m.Counters
			if m.UserOnly {
				e.Counters[counters.ContextSwitches] = float64(u.NVCSW + u.NIVCSW)
			}
		default:
			e.Counters = countersFromUsage(e.Usage)
			if m.Fallback == "" {
				m.Fallback = "perf counters unreadable: counters from rusage"
			}
			e.CounterNotes = append(e.CounterNotes, m.Fallback)
		}
		e.CounterNotes = append(e.CounterNotes, m.CounterNotes...)
	}
	if p.spec.Trace != nil {
		var st memtrace.Stats
		if m.Trace != nil {
			st = *m.Trace
		}
		tally := memtrace.NewTally()
		if err := json.Unmarshal(m.Tally, tally); err != nil && p.readErr == nil {
			p.readErr = err
		}
		e.Trace = memtrace.NewResult(tally, st)
	}
	return e
}

// countersFromUsage stands in for perf counters when perf_event_open is
// refused: the same names, from the kernel's rusage of the target tree.
// CPU migrations have no rusage equivalent and are left out.
func countersFromUsage(u Usage) map[string]float64 {
	return map[string]float64{
		counters.PageFaults:      float64(u.MinFlt + u.MajFlt),
		counters.MinorFaults:     float64(u.MinFlt),
		counters.MajorFaults:     float64(u.MajFlt),
		counters.ContextSwitches: float64(u.VolCtxSw + u.InvCtxSw),
		counters.TaskClock:       (u.UTime + u.STime).Seconds(),
	}
}
