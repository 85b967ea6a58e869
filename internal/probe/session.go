// Package probe drives a probe: a process that runs candidates on command
// and reports each timed sample over faultline's line protocol
// (docs/protocol.md). The embedded Python probe is one such process; the
// native demo workload is another; a probe written for any other language
// works the same way.
package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/protocol"
	"github.com/faultline/faultline/internal/result"
)

// Spec says how to start a probe.
type Spec struct {
	Argv   []string
	Env    []string // full environment; nil means os.Environ()
	Dir    string
	Stderr io.Writer // the target's stdout and stderr go here
	// Configure may adjust the process spec before start (tracing,
	// counters).
	Configure func(*proc.Spec)
	// Cleanup runs after the probe exits (removes temporary files).
	Cleanup func()
}

// TargetError is an error raised by the code under test: a SyntaxError, an
// exception in the setup or in a statement. Traceback is the target's own.
type TargetError struct {
	Phase     string // setup | compile | run | command
	Candidate string
	Traceback string
}

func (e *TargetError) Error() string {
	last := strings.TrimSpace(e.Traceback)
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	switch {
	case e.Phase == "setup":
		return "setup failed: " + last
	case e.Candidate != "":
		return fmt.Sprintf("candidate %s failed: %s", e.Candidate, last)
	default:
		return "probe failed: " + last
	}
}

// ErrNotProbe is wrapped by the error of a target that ended before it said
// hello: it is not a probe (an interpreter that is not Python, a program
// that ignores the protocol).
var ErrNotProbe = errors.New("the target never started the probe")

// ErrGarbage is wrapped by errors about unreadable probe output.
var ErrGarbage = errors.New("target wrote garbage to the probe channel")

// Sample is one timed sample as the probe reported it.
type Sample struct {
	Loops  int
	NS     int64
	MinFlt int64
	MajFlt int64
	// CPU says the probe reported the CPU time the kernel accounted to it
	// over the sample, in user (UserNS) and kernel mode (SysNS): the
	// optional utime= and stime= fields.
	CPU           bool
	UserNS, SysNS int64
	// WallNS is the sample's elapsed time: NS, unless the probe times by
	// another clock (timeit -p) and reports it as wall=.
	WallNS int64
}

// Session is a running probe.
type Session struct {
	p       *proc.Process
	ctl     *os.File
	recs    chan recOrErr
	hello   protocol.Record
	ready   protocol.Record
	exited  chan struct{}
	exit    *proc.Exit
	waitErr error
	cleanup func()
	// ctx is the one the probe was started with: it ends the probe's
	// life, so it also bounds how long Close waits.
	ctx context.Context
}

type recOrErr struct {
	rec protocol.Record
	err error
}

// Start starts the probe and waits until it is ready (setup done).
func Start(ctx context.Context, s Spec) (*Session, error) {
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("probe pipe: %w", err)
	}
	recR, recW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, fmt.Errorf("probe pipe: %w", err)
	}
	env := s.Env
	if env == nil {
		env = os.Environ()
	}
	ps := &proc.Spec{
		Argv:       s.Argv,
		Dir:        s.Dir,
		Stdout:     s.Stderr,
		Stderr:     s.Stderr,
		ExtraFiles: []*os.File{ctlR, recW},
		// The records, iteration markers among them, for a tracer.
		Marks: recW,
	}
	ps.Env = append(withoutKeys(env, protocol.EnvFD, protocol.EnvCtlFD),
		protocol.EnvCtlFD+"="+strconv.Itoa(ps.FD(ctlR)), ps.MarksEnv())
	if s.Configure != nil {
		s.Configure(ps)
	}
	p, err := proc.Start(ctx, ps)
	ctlR.Close()
	recW.Close()
	if err != nil {
		ctlW.Close()
		recR.Close()
		if s.Cleanup != nil {
			s.Cleanup()
		}
		return nil, err
	}
	ss := &Session{p: p, ctl: ctlW, recs: make(chan recOrErr, 64), exited: make(chan struct{}), cleanup: s.Cleanup, ctx: ctx}
	go ss.read(recR)
	go func() {
		ss.exit, ss.waitErr = p.Wait()
		close(ss.exited)
	}()
	ss.hello, err = ss.expect(ctx, protocol.VerbHello)
	if err != nil {
		ss.abort()
		var te *TargetError
		if ctx.Err() == nil && !errors.Is(err, ErrGarbage) && !errors.As(err, &te) {
			err = fmt.Errorf("%w: %s ended before saying hello on the probe channel (%v)", ErrNotProbe, s.Argv[0], err)
		}
		return nil, err
	}
	ss.ready, err = ss.expect(ctx, protocol.VerbReady)
	if err != nil {
		ss.abort()
		return nil, err
	}
	return ss, nil
}

func withoutKeys(env []string, keys ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, x := range keys {
			if k == x {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

func (s *Session) read(r *os.File) {
	defer r.Close()
	defer close(s.recs)
	rd := protocol.NewReader(r)
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			s.recs <- recOrErr{err: fmt.Errorf("%w: %v", ErrGarbage, err)}
			// Drain so the target never blocks on a full pipe.
			_, _ = io.Copy(io.Discard, r)
			return
		}
		s.recs <- recOrErr{rec: rec}
	}
}

// Info returns a fact the probe announced in hello or ready ("pyver",
// "numpy", "impl", "setup_ns").
func (s *Session) Info(key string) string {
	if v := s.ready.Get(key); v != "" {
		return v
	}
	return s.hello.Get(key)
}

// Pid is the probe's process id.
func (s *Session) Pid() int { return s.p.Pid() }

// next returns the next record, skipping info records and verbs this
// version does not know.
func (s *Session) next(ctx context.Context) (protocol.Record, error) {
	for {
		select {
		case <-ctx.Done():
			return protocol.Record{}, ctx.Err()
		case r, ok := <-s.recs:
			if !ok {
				return protocol.Record{}, s.exitError()
			}
			if r.err != nil {
				return protocol.Record{}, r.err
			}
			switch r.rec.Verb {
			case protocol.VerbInfo:
				continue
			case protocol.VerbHello, protocol.VerbReady, protocol.VerbSample, protocol.VerbRange,
				protocol.VerbBegin, protocol.VerbEnd, protocol.VerbAlloc, protocol.VerbDone:
			case protocol.VerbError:
				return protocol.Record{}, &TargetError{Phase: r.rec.Get("phase"), Candidate: r.rec.Get("cand"), Traceback: r.rec.Text}
			default:
				// docs/protocol.md: a target may add its own verbs.
				continue
			}
			return r.rec, nil
		}
	}
}

func (s *Session) exitError() error {
	<-s.exited
	if s.waitErr != nil {
		return fmt.Errorf("probe: %w", s.waitErr)
	}
	if s.exit != nil && s.exit.Failed() {
		return fmt.Errorf("probe ended unexpectedly (%s)", s.exit)
	}
	return errors.New("probe closed its channel unexpectedly")
}

func (s *Session) expect(ctx context.Context, verb string) (protocol.Record, error) {
	r, err := s.next(ctx)
	if err != nil {
		return r, err
	}
	if r.Verb != verb {
		return r, fmt.Errorf("%w: expected %q, got %q", ErrGarbage, verb, r.Verb)
	}
	return r, nil
}

func (s *Session) send(verb string, kv ...[2]string) error {
	if _, err := io.WriteString(s.ctl, protocol.Format(verb, kv, "")); err != nil {
		return fmt.Errorf("probe command %s: %w", verb, err)
	}
	return nil
}

// Run times loops iterations of cand.
func (s *Session) Run(ctx context.Context, cand string, loops, seq int, keepGC bool) (Sample, error) {
	gc := "0"
	if keepGC {
		gc = "1"
	}
	if err := s.send(protocol.CmdRun, [2]string{"cand", cand}, [2]string{"loops", strconv.Itoa(loops)},
		[2]string{"seq", strconv.Itoa(seq)}, [2]string{"gc", gc}); err != nil {
		return Sample{}, err
	}
	r, err := s.expect(ctx, protocol.VerbSample)
	if err != nil {
		return Sample{}, err
	}
	return parseSample(r)
}

func parseSample(r protocol.Record) (Sample, error) {
	var sm Sample
	var errs []error
	get := func(k string) int64 {
		v, err := r.Int(k)
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	sm.Loops = int(get("loops"))
	sm.NS = get("ns")
	sm.MinFlt = get("minflt")
	sm.MajFlt = get("majflt")
	if err := errors.Join(errs...); err != nil {
		return sm, fmt.Errorf("%w: %v", ErrGarbage, err)
	}
	if sm.Loops <= 0 || sm.NS < 0 || sm.MinFlt < 0 || sm.MajFlt < 0 || float64(sm.MinFlt) > result.MaxMagnitude || float64(sm.MajFlt) > result.MaxMagnitude {
		return sm, fmt.Errorf("%w: sample with loops=%d ns=%d minflt=%d majflt=%d", ErrGarbage, sm.Loops, sm.NS, sm.MinFlt, sm.MajFlt)
	}
	sm.WallNS = sm.NS
	if r.Get("wall") != "" {
		sm.WallNS = get("wall")
		if err := errors.Join(errs...); err != nil || sm.WallNS < 0 {
			return sm, fmt.Errorf("%w: sample with wall=%q", ErrGarbage, r.Get("wall"))
		}
	}
	if r.Get("utime") == "" && r.Get("stime") == "" {
		return sm, nil
	}
	// Optional: a probe that does not report CPU time leaves both out.
	sm.CPU, sm.UserNS, sm.SysNS = true, get("utime"), get("stime")
	if err := errors.Join(errs...); err != nil {
		return sm, fmt.Errorf("%w: %v", ErrGarbage, err)
	}
	if sm.UserNS < 0 || sm.SysNS < 0 || float64(sm.UserNS) > result.MaxMagnitude || float64(sm.SysNS) > result.MaxMagnitude {
		return sm, fmt.Errorf("%w: sample with utime=%d stime=%d", ErrGarbage, sm.UserNS, sm.SysNS)
	}
	return sm, nil
}

// Autorange finds a loop count whose batch takes at least target.
func (s *Session) Autorange(ctx context.Context, cand string, target time.Duration) (int, time.Duration, error) {
	if err := s.send(protocol.CmdAutorange, [2]string{"cand", cand}, [2]string{"target_ns", strconv.FormatInt(target.Nanoseconds(), 10)}); err != nil {
		return 0, 0, err
	}
	r, err := s.expect(ctx, protocol.VerbRange)
	if err != nil {
		return 0, 0, err
	}
	loops, err1 := r.Int("loops")
	ns, err2 := r.Int("ns")
	if err := errors.Join(err1, err2); err != nil || loops <= 0 {
		return 0, 0, fmt.Errorf("%w: bad range record", ErrGarbage)
	}
	return int(loops), time.Duration(ns), nil
}

// Iteration is one traced iteration as the probe reported it.
type Iteration struct {
	NS     int64
	MinFlt int64
	// T0 and T1 bound the iteration in CLOCK_MONOTONIC nanoseconds (0
	// when the probe does not report them).
	T0, T1 int64
}

// Trace runs iters iterations of cand, each between begin and end markers.
func (s *Session) Trace(ctx context.Context, cand string, iters int) ([]Iteration, error) {
	if err := s.send(protocol.CmdTrace, [2]string{"cand", cand}, [2]string{"iters", strconv.Itoa(iters)}); err != nil {
		return nil, err
	}
	var its []Iteration
	for {
		r, err := s.next(ctx)
		if err != nil {
			return its, err
		}
		switch r.Verb {
		case protocol.VerbBegin:
		case protocol.VerbEnd:
			ns, _ := r.Int("ns")
			mf, _ := r.Int("minflt")
			t0, _ := r.Int("t0")
			t1, _ := r.Int("t1")
			if ns < 0 || mf < 0 || float64(mf) > result.MaxMagnitude {
				return its, fmt.Errorf("%w: end record with ns=%d minflt=%d", ErrGarbage, ns, mf)
			}
			its = append(its, Iteration{NS: ns, MinFlt: mf, T0: t0, T1: t1})
		case protocol.VerbDone:
			return its, nil
		default:
			return its, fmt.Errorf("%w: unexpected %q during trace", ErrGarbage, r.Verb)
		}
	}
}

// Alloc runs iters iterations of cand under allocation tracking.
func (s *Session) Alloc(ctx context.Context, cand string, iters int) (*result.Allocations, error) {
	if err := s.send(protocol.CmdAlloc, [2]string{"cand", cand}, [2]string{"iters", strconv.Itoa(iters)}); err != nil {
		return nil, err
	}
	r, err := s.expect(ctx, protocol.VerbAlloc)
	if err != nil {
		return nil, err
	}
	if _, err := s.expect(ctx, protocol.VerbDone); err != nil {
		return nil, err
	}
	return ParseAlloc(r)
}

// ParseAlloc converts an alloc record into per-iteration allocations.
func ParseAlloc(r protocol.Record) (*result.Allocations, error) {
	iters, err := r.Int("iters")
	if err != nil || iters <= 0 {
		return nil, fmt.Errorf("%w: alloc record without iters", ErrGarbage)
	}
	n := float64(iters)
	count, _ := r.Int("count")
	bytes, _ := r.Int("bytes")
	peak, _ := r.Int("peak")
	if count < 0 || bytes < 0 || peak < 0 {
		return nil, fmt.Errorf("%w: alloc record with a negative count=%d bytes=%d peak=%d", ErrGarbage, count, bytes, peak)
	}
	a := &result.Allocations{Count: float64(count) / n, Bytes: float64(bytes) / n, PeakBytes: float64(peak), Iterations: int(iters)}
	if l := r.Get("large"); l != "" && l != "-" {
		for _, part := range strings.Split(l, ",") {
			sz, cnt, ok := strings.Cut(part, "x")
			b, err1 := strconv.ParseInt(sz, 10, 64)
			c, err2 := strconv.ParseInt(cnt, 10, 64)
			if !ok || err1 != nil || err2 != nil || b < 0 || c < 0 {
				return nil, fmt.Errorf("%w: bad large=%q", ErrGarbage, l)
			}
			a.Large = append(a.Large, result.SizeCount{Call: "alloc", Bytes: b, Per: float64(c) / n})
		}
	}
	sites, err := parseSites(r.Get("sites"), n)
	if err != nil {
		return nil, err
	}
	a.Sites = sites
	return a, nil
}

// parseSites reads sites=BYTESxCOUNT@LINE%3AWHERE,...: where in the
// statement each group of large allocations was made, percent-encoded.
func parseSites(v string, n float64) ([]result.AllocSite, error) {
	if v == "" || v == "-" {
		return nil, nil
	}
	var out []result.AllocSite
	for _, part := range strings.Split(v, ",") {
		sc, enc, ok1 := strings.Cut(part, "@")
		sz, cnt, ok2 := strings.Cut(sc, "x")
		b, err1 := strconv.ParseInt(sz, 10, 64)
		c, err2 := strconv.ParseInt(cnt, 10, 64)
		where, err3 := url.PathUnescape(enc)
		line, text, ok3 := strings.Cut(where, ":")
		l, err4 := strconv.Atoi(line)
		if !ok1 || !ok2 || !ok3 || err1 != nil || err2 != nil || err3 != nil || err4 != nil || b < 0 || c < 0 || l < 1 {
			return nil, fmt.Errorf("%w: bad sites=%q", ErrGarbage, v)
		}
		out = append(out, result.AllocSite{Bytes: b, Per: float64(c) / n, Line: l, Where: text})
	}
	return out, nil
}

// Close asks the probe to quit and waits for it.
func (s *Session) Close() (*proc.Exit, error) {
	_ = s.send(protocol.CmdQuit)
	s.ctl.Close()
	select {
	case <-s.exited:
	case <-s.ctx.Done():
		// proc kills the probe when its context ends.
		<-s.exited
	case <-time.After(5 * time.Second):
		s.p.Kill()
		<-s.exited
	}
	s.finish()
	return s.exit, s.waitErr
}

// Exit returns how the probe ended, once it has (after Close or Abort).
func (s *Session) Exit() *proc.Exit {
	select {
	case <-s.exited:
		return s.exit
	default:
		return nil
	}
}

func (s *Session) abort() {
	s.ctl.Close()
	s.p.Kill()
	<-s.exited
	s.finish()
}

// Abort kills the probe.
func (s *Session) Abort() { s.abort() }

func (s *Session) finish() {
	if s.cleanup != nil {
		s.cleanup()
		s.cleanup = nil
	}
}
