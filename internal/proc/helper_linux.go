package proc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/counters"
	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/reexec"
)

// The helper roles (internal/reexec) and the descriptors each talks over:
// "supervisor CTL REP" and "exec-helper SYNC ERR SOCK" (SOCK 0: no seccomp
// listener wanted).
const (
	roleSupervisor = "supervisor"
	roleExec       = "exec-helper"
)

// helperArg0 is the argv[0] of every helper: what ps shows.
const helperArg0 = "faultline"

func init() {
	reexec.Register(roleSupervisor, func(args []string) int {
		fds, ok := helperFDs(args, 2)
		if !ok {
			return badHelper(roleSupervisor, args)
		}
		return superMain(fds[0], fds[1])
	})
	reexec.Register(roleExec, func(args []string) int {
		fds, ok := helperFDs(args, 3)
		if !ok {
			return badHelper(roleExec, args)
		}
		return execMain(fds[0], fds[1], fds[2])
	})
}

// helperFDs parses a helper's n descriptor numbers: inherited ones, 3 or
// above, but for the exec helper's SOCK, which may be 0.
func helperFDs(args []string, n int) ([]int, bool) {
	if len(args) != n {
		return nil, false
	}
	fds := make([]int, n)
	for i, a := range args {
		fd, err := strconv.Atoi(a)
		if err != nil || (fd < 3 && !(i == 2 && fd == 0)) {
			return nil, false
		}
		fds[i] = fd
	}
	return fds, true
}

func badHelper(role string, args []string) int {
	fmt.Fprintf(os.Stderr, "faultline: bad arguments for the %s helper: %q\n", role, args)
	return 125
}

// execMain is the exec helper: it reads the target's config, says it is
// ready, waits until the supervisor closes the sync pipe (counters are open
// and, when tracing, the tracer is attached), then loads the filter and
// execs the target. Errors go back over the err pipe, which exec closes.
func execMain(syncFD, errFD, sock int) int {
	unix.CloseOnExec(syncFD)
	unix.CloseOnExec(errFD)
	if sock > 0 {
		// The socket that carries the seccomp listener to the supervisor.
		unix.CloseOnExec(sock)
	}
	syncR := os.NewFile(uintptr(syncFD), "sync")
	errW := os.NewFile(uintptr(errFD), "err")
	var cfg config
	if err := json.NewDecoder(syncR).Decode(&cfg); err != nil {
		fmt.Fprintf(errW, "exec helper: read config: %v", err)
		return 126
	}
	if _, err := errW.Write([]byte{'R'}); err != nil {
		return 126
	}
	// EOF is the go signal; the config's trailing newline may still be
	// unread.
	if _, err := io.Copy(io.Discard, syncR); err != nil {
		return 126
	}
	// The helper's own CPU time (a Go runtime starting, about 5 ms on a
	// 2-CPU VM) is in the target's rusage after the exec: say it, so the
	// supervisor subtracts it as it does the helper's faults.
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) == nil {
		fmt.Fprintf(errW, "%c%d %d\n", preCPU, unix.TimevalToNsec(ru.Utime), unix.TimevalToNsec(ru.Stime))
	}
	var err error
	switch {
	case cfg.Trace && tracer == nil:
		err = errNoTracer
	case cfg.Trace:
		err = tracer.Exec(cfg.Path, cfg.Argv, cfg.Env, cfg.MarkFD, sock)
	default:
		err = syscall.Exec(cfg.Path, cfg.Argv, cfg.Env)
		if err != nil {
			err = &os.PathError{Op: "exec", Path: cfg.Path, Err: err}
		}
	}
	fmt.Fprint(errW, err.Error())
	return 127
}

// preCPU starts the exec helper's report of its own CPU time on the err
// pipe, "U<user ns> <system ns>\n", before the exec; anything else on the
// pipe is an error message.
const preCPU = 'U'

// cutPreCPU splits the helper's CPU report off the err pipe's message.
func cutPreCPU(msg []byte) (user, sys int64, rest []byte) {
	if len(msg) == 0 || msg[0] != preCPU {
		return 0, 0, msg
	}
	line, rest, ok := bytes.Cut(msg[1:], []byte{'\n'})
	if !ok {
		return 0, 0, msg
	}
	if _, err := fmt.Sscanf(string(line), "%d %d", &user, &sys); err != nil || user < 0 || sys < 0 {
		return 0, 0, rest
	}
	return user, sys, rest
}

// supervisor runs one target.
type supervisor struct {
	cfg config
	w   *frameWriter
	// extra are the inherited descriptors 3.., wrapped once: a second
	// *os.File for the same number would close it from its finalizer,
	// perhaps after the number was reused.
	extra []*os.File
}

func superMain(ctlFD, repFD int) int {
	// The tracer blocks its thread in raw wait4 calls that the scheduler
	// counts as running: the report writer and the handshake need a
	// second P even on a one-CPU machine.
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	unix.CloseOnExec(ctlFD)
	unix.CloseOnExec(repFD)
	ctl := os.NewFile(uintptr(ctlFD), "ctl")
	rep := os.NewFile(uintptr(repFD), "rep")
	s := &supervisor{w: newFrameWriter(rep)}
	err := json.NewDecoder(ctl).Decode(&s.cfg)
	switch {
	case err != nil:
		s.w.json(frameFailed, failedMsg{Err: fmt.Sprintf("supervisor: read config: %v", err)})
	case os.Getppid() != s.cfg.Parent:
		// faultline died before we could set up: Pdeathsig was too late.
		s.w.json(frameFailed, failedMsg{Err: "supervisor: faultline is gone"})
	default:
		// Orphans of the target are reparented to us, not to init, so
		// that cleanup finds them below us.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			s.w.json(frameFailed, failedMsg{Err: fmt.Sprintf("supervisor: become subreaper: %v", err)})
			break
		}
		go lifeline(ctl)
		s.run()
	}
	if err := s.w.close(); err != nil {
		return 1
	}
	return 0
}

// lifeline waits for faultline's end of the control pipe to close, which
// happens before the supervisor exits only when faultline has died (even by
// SIGKILL, which no handler sees). Then nobody will read the report: it
// kills everything below it, daemons that left the process group included
// (they were reparented to this subreaper), and exits.
func lifeline(ctl *os.File) {
	_, _ = io.Copy(io.Discard, ctl)
	for !killDescendants(os.Getpid(), time.Second) {
	}
	os.Exit(1)
}

// files lists the target's descriptors 0, 1, 2, 3...
func (s *supervisor) files() []*os.File {
	if s.extra == nil {
		for i := 0; i < s.cfg.Extra; i++ {
			s.extra = append(s.extra, os.NewFile(uintptr(3+i), "extra"))
		}
	}
	return append([]*os.File{os.Stdin, os.Stdout, os.Stderr}, s.extra...)
}

func (s *supervisor) run() {
	if !s.cfg.Counters && !s.cfg.Trace {
		s.runPlain()
		return
	}
	s.runHelped()
}

// runPlain starts the target directly: nothing needs to happen between
// its fork and its exec.
func (s *supervisor) runPlain() {
	t0 := time.Now()
	p, err := os.StartProcess(s.cfg.Path, s.cfg.Argv, &os.ProcAttr{
		Env: s.cfg.Env, Files: s.files(),
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		s.w.json(frameFailed, failedMsg{Err: err.Error()})
		return
	}
	pid := p.Pid
	_ = p.Release()
	s.w.json(frameStarted, startedMsg{Pid: pid})
	ws, ru, err := reap(pid)
	wall := time.Since(t0)
	s.cleanup()
	m := exitMsg{Status: uint32(ws), WallNS: wall.Nanoseconds(), Rusage: toUsage(ru)}
	if err != nil {
		m.Err = err.Error()
	}
	s.w.json(frameExit, m)
}

// handshake is what the goroutine that releases the exec helper learned.
type handshake struct {
	started  bool
	t0       time.Time
	pre      procEntry
	preUser  int64 // the helper's CPU time before the exec, ns
	preSys   int64
	set      *counters.Set
	fallback string
	err      error
}

// runHelped starts the target through the exec helper, with counters
// and/or the tracer.
func (s *supervisor) runHelped() {
	if s.cfg.Trace && tracer == nil {
		s.w.json(frameFailed, failedMsg{Err: "supervisor: " + errNoTracer.Error()})
		return
	}
	syncR, syncW, err := os.Pipe()
	if err != nil {
		s.w.json(frameFailed, failedMsg{Err: fmt.Sprintf("supervisor: pipe: %v", err)})
		return
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		syncR.Close()
		syncW.Close()
		s.w.json(frameFailed, failedMsg{Err: fmt.Sprintf("supervisor: pipe: %v", err)})
		return
	}
	files := s.files()
	own := len(files) // files[own:] are the helper's ends of our pipes
	files = append(files, syncR, errW)
	var sock *os.File // ours; the helper's end follows errW
	if s.cfg.Trace && s.cfg.Listener {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			syncR.Close()
			syncW.Close()
			errR.Close()
			errW.Close()
			s.w.json(frameFailed, failedMsg{Err: fmt.Sprintf("supervisor: socketpair: %v", err)})
			return
		}
		sock = os.NewFile(uintptr(fds[0]), "listener-sock")
		files = append(files, os.NewFile(uintptr(fds[1]), "listener-sock"))
		defer sock.Close()
	}
	sockFD := 0
	if sock != nil {
		sockFD = own + 2
	}
	argv := reexec.Argv(helperArg0, roleExec, strconv.Itoa(own), strconv.Itoa(own+1), strconv.Itoa(sockFD))
	// With Ptrace the child stops at the exec of /proc/self/exe, before
	// running anything; the tracer thread must be the one that forks it,
	// hence the locked main thread (internal/reexec).
	p, err := os.StartProcess("/proc/self/exe", argv, &os.ProcAttr{
		Env: []string{}, Files: files,
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Ptrace: s.cfg.Trace},
	})
	// The helper has its copies of these.
	for _, f := range files[own:] {
		f.Close()
	}
	if err != nil {
		syncW.Close()
		errR.Close()
		s.w.json(frameFailed, failedMsg{Err: fmt.Sprintf("start exec helper: %v", err)})
		return
	}
	pid := p.Pid
	_ = p.Release()

	var tr Ptracer
	var tally *memtrace.Tally
	if s.cfg.Trace {
		// Tallying here, on the tracer's thread, keeps events off the
		// pipe: with a second process decoding them on a 2-CPU machine,
		// every stop got slower. Streaming is only for Options.OnEvent.
		tally = memtrace.NewTally()
		emit := tally.Add
		if s.cfg.Stream {
			emit = func(e memtrace.Event) {
				tally.Add(e)
				s.w.event(e)
			}
		}
		tr = tracer.NewPtracer(emit)
		if err := tr.Attach(pid); err != nil {
			_ = unix.Kill(pid, unix.SIGKILL)
			syncW.Close()
			errR.Close()
			_, _, _ = reap(pid)
			s.w.json(frameFailed, failedMsg{Err: err.Error()})
			return
		}
	}
	// The handshake runs beside the wait loop: a traced helper stops on
	// every signal it gets, so the tracer must be serving it meanwhile.
	hs := make(chan handshake, 1)
	go func() { hs <- s.handshake(pid, syncW, errR, tr, sock) }()

	var ws unix.WaitStatus
	var ru *unix.Rusage
	if tr != nil {
		ws, ru, err = tr.Run()
	} else {
		ws, ru, err = reap(pid)
	}
	end := time.Now()
	s.cleanup()
	h := <-hs
	if tr != nil {
		tr.Close()
	}
	if !h.started {
		if h.set != nil {
			h.set.Close()
		}
		msg := "exec helper ended before the target started"
		if h.err != nil {
			msg = h.err.Error()
		}
		s.w.json(frameFailed, failedMsg{Err: msg})
		return
	}
	m := exitMsg{Status: uint32(ws), WallNS: end.Sub(h.t0).Nanoseconds(), Rusage: toUsage(ru),
		PreMinFlt: h.pre.minflt, PreMajFlt: h.pre.majflt, PreUTimeNS: h.preUser, PreSTimeNS: h.preSys, Fallback: h.fallback}
	if err != nil {
		m.Err = err.Error()
	}
	if h.set != nil {
		m.Counters, err = h.set.Read()
		if err != nil {
			m.CounterNotes = append(m.CounterNotes, err.Error())
		}
		m.CounterNotes = append(m.CounterNotes, h.set.Notes()...)
		m.UserOnly = h.set.UserOnly()
		h.set.Close()
	}
	if tr != nil {
		st := tr.Stats()
		m.Trace = &st
		if m.Tally, err = json.Marshal(tally); err != nil {
			m.Err = fmt.Sprintf("encode tally: %v", err)
		}
	}
	s.w.json(frameExit, m)
}

// handshake sends the exec helper its config, waits until it is ready,
// notes its page faults so far, opens the counters on it and releases it;
// then it learns from the err pipe whether the exec worked.
func (s *supervisor) handshake(pid int, syncW, errR *os.File, tr Ptracer, sock *os.File) handshake {
	defer errR.Close()
	var h handshake
	ecfg := s.cfg
	ecfg.Parent = 0
	err := json.NewEncoder(syncW).Encode(ecfg)
	if err != nil {
		syncW.Close()
		h.err = fmt.Errorf("exec helper: send config: %w", err)
		return h
	}
	var ready [1]byte
	if n, _ := errR.Read(ready[:]); n != 1 || ready[0] != 'R' {
		syncW.Close()
		msg, _ := io.ReadAll(errR)
		h.err = fmt.Errorf("exec helper failed: %s", strings.TrimSpace(string(ready[:n])+string(msg)))
		return h
	}
	h.pre, _ = readStat(pid)
	if s.cfg.Counters {
		set, err := counters.Open(pid)
		if err != nil {
			h.fallback = counters.FallbackNote(err)
		}
		h.set = set
	}
	h.t0 = time.Now()
	syncW.Close()
	if sock != nil {
		if err := tr.Listen(int(sock.Fd())); err != nil {
			h.err = err
			_ = unix.Kill(pid, unix.SIGKILL)
			return h
		}
	}
	msg, err := io.ReadAll(errR)
	h.preUser, h.preSys, msg = cutPreCPU(msg)
	switch {
	case err != nil:
		h.err = fmt.Errorf("exec helper: %w", err)
	case len(msg) > 0:
		h.err = errors.New(string(msg))
	default:
		h.started = true
		s.w.json(frameStarted, startedMsg{Pid: pid})
	}
	return h
}

// reap waits for pid, reaping any orphan reparented to us meanwhile.
func reap(pid int) (unix.WaitStatus, *unix.Rusage, error) {
	for {
		var ws unix.WaitStatus
		var ru unix.Rusage
		got, err := unix.Wait4(-1, &ws, 0, &ru)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, &ru, fmt.Errorf("supervisor: wait: %w", err)
		}
		if got == pid {
			return ws, &ru, nil
		}
	}
}

// cleanup kills whatever the target left behind and reaps it all: every
// descendant of the supervisor belongs to the target.
func (s *supervisor) cleanup() {
	self := os.Getpid()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		for {
			var ws unix.WaitStatus
			got, err := unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil)
			if err == unix.ECHILD {
				// No child left, so no descendant either: orphans are
				// reparented to us.
				return
			}
			if err != nil && err != unix.EINTR {
				return
			}
			if got == 0 {
				break
			}
		}
		killDescendants(self, time.Second)
		time.Sleep(time.Millisecond)
	}
}

func toUsage(ru *unix.Rusage) usage {
	if ru == nil {
		return usage{}
	}
	return usage{
		MinFlt: ru.Minflt, MajFlt: ru.Majflt, MaxRSSKiB: ru.Maxrss,
		UTimeNS: unix.TimevalToNsec(ru.Utime), STimeNS: unix.TimevalToNsec(ru.Stime),
		NVCSW: ru.Nvcsw, NIVCSW: ru.Nivcsw,
	}
}
