package workload

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/protocol"
	"github.com/faultline/faultline/internal/reexec"
)

// role is the internal/reexec role of a re-exec'd faultline process that
// runs the workload: faultline __workload seed.
const role = "workload"

// Name names the one workload there is: the seed case.
const Name = "seed"

// SetupStatement is the NumPy setup the workload stands in for, for display.
const SetupStatement = "import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)"

// BufferBytes is the size of every buffer a candidate allocates: 1,000,000
// float64 values.
const BufferBytes = 8_000_000

// inputBytes is the size of the uint8 input (FL_N in seed.h).
const inputBytes = 1_000_000

// Candidate is one side of the comparison.
type Candidate struct {
	Name      string // "A" or "B": what run, trace and alloc commands say
	Label     string // short human name
	Statement string // the equivalent NumPy statement, for display
}

// Candidates returns the workload's candidates in their natural order.
func Candidates() []Candidate {
	return []Candidate{
		{Name: "A", Label: "one buffer", Statement: "a.astype(np.float64) / 255.0"},
		{Name: "B", Label: "named temporary", Statement: "t = a.astype(np.float64); t / 255.0"},
	}
}

// Available reports whether this build can run the workload: with cgo, or
// with purego on linux/amd64 and linux/arm64.
func Available() bool { return haveEngine }

// Command returns the argv that starts the workload probe, given the path
// of the faultline executable (os.Executable(), or os.Args[0] in tests).
func Command(self string) []string {
	return reexec.Argv(self, role, Name)
}

// The workload's C code runs on the main thread, whose malloc arena is
// glibc's brk-based main arena, as for CPython: reexec locks it for every
// role. Ordinary faultline runs are left alone.
func init() { reexec.Register(role, serve) }

// measurement is what one timed stretch cost.
type measurement struct {
	ns, minflt, majflt int64
	utime, stime       int64 // CPU time in user and kernel mode, ns
}

// Candidate indices known to the C side (seed.h).
const (
	candA = 0
	candB = 1
)

func candIndex(name string) (int, bool) {
	switch name {
	case "A":
		return candA, true
	case "B":
		return candB, true
	}
	return 0, false
}

func serve(args []string) int {
	self := strings.Join(Command("faultline")[:2], " ")
	usage := fmt.Sprintf("usage: %s %s [prewarm=0]  (with %s and %s set; see docs/protocol.md)",
		self, Name, protocol.EnvCtlFD, protocol.EnvFD)
	if len(args) < 1 || args[0] != Name {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	prewarm := true
	for _, a := range args[1:] {
		switch a {
		case "prewarm=0":
			prewarm = false
		case "prewarm=1":
		default:
			fmt.Fprintln(os.Stderr, usage)
			return 2
		}
	}
	out, err := envFile(protocol.EnvFD, "faultline-records")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n%s\n", self, err, usage)
		return 2
	}
	ctl, err := envFile(protocol.EnvCtlFD, "faultline-commands")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n%s\n", self, err, usage)
		return 2
	}
	p := &prober{out: out}
	return p.serve(ctl, prewarm)
}

func envFile(key, name string) (*os.File, error) {
	v := os.Getenv(key)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 0 {
		return nil, fmt.Errorf("%s=%q is not a file descriptor", key, v)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		return nil, fmt.Errorf("%s=%d: %v", key, fd, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// prober serves the protocol. All its Go work (parsing, formatting,
// writing) happens between C calls, never inside a timed stretch.
type prober struct {
	out   *os.File
	iter  int64 // iterations run so far, only to vary the value read back
	wrErr error
}

// emit writes one record with a single write(): the tracer recognises
// begin/end markers by their write, and a line below PIPE_BUF reaches a
// pipe whole.
func (p *prober) emit(verb string, kv ...[2]string) {
	p.emitText(verb, "", kv...)
}

func (p *prober) emitText(verb, text string, kv ...[2]string) {
	if p.wrErr != nil {
		return
	}
	_, p.wrErr = io.WriteString(p.out, protocol.Format(verb, kv, text))
}

func kvi(k string, v int64) [2]string { return [2]string{k, strconv.FormatInt(v, 10)} }
func kvs(k, v string) [2]string       { return [2]string{k, v} }

func (p *prober) serve(ctl io.Reader, prewarm bool) int {
	hello := [][2]string{kvs("proto", strconv.Itoa(protocol.Version)), kvs("impl", "native"),
		kvs("workload", Name), kvi("pid", int64(os.Getpid()))}
	if v := libcVersion(); v != "" {
		hello = append(hello, kvs("glibc", v))
	}
	p.emit(protocol.VerbHello, hello...)

	var uts unix.Utsname
	release := ""
	if unix.Uname(&uts) == nil {
		release = unix.ByteSliceToString(uts.Release[:])
	}
	env, set := os.LookupEnv("NUMPY_MADVISE_HUGEPAGE")
	hugepage, err := madviseHugepage(env, set, release)
	if err == nil {
		t0 := time.Now()
		err = engineSetup(hugepage, prewarm)
		if err == nil {
			p.emit(protocol.VerbReady, kvi("setup_ns", int64(time.Since(t0))),
				kvs("madvise_hugepage", boolStr(hugepage)), kvs("prewarm", boolStr(prewarm)),
				kvi("input_bytes", inputBytes), kvi("buffer_bytes", BufferBytes))
		}
	}
	if err != nil {
		p.emitText(protocol.VerbError, err.Error(), kvs("phase", "setup"))
		return 2
	}

	sc := bufio.NewScanner(ctl)
	sc.Buffer(make([]byte, 4096), protocol.MaxLine+2)
	for sc.Scan() {
		rec, err := protocol.Parse(sc.Text())
		if err == protocol.ErrEmpty {
			continue
		}
		if err != nil {
			p.emitText(protocol.VerbError, "unreadable command: "+err.Error(), kvs("phase", "command"))
			continue
		}
		if code, done := p.command(rec); done {
			return code
		}
		if p.wrErr != nil {
			// faultline has gone; nobody reads what we measure.
			return 1
		}
	}
	if err := sc.Err(); err != nil {
		p.emitText(protocol.VerbError, "reading commands: "+err.Error(), kvs("phase", "command"))
		return 2
	}
	// End of commands without quit: faultline closed the channel.
	return 0
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// madviseHugepage decides, as numpy/__init__.py does, whether buffers of
// 4 MiB or more get madvise(MADV_HUGEPAGE): an integer in
// NUMPY_MADVISE_HUGEPAGE decides (non-zero is on); unset, it is on unless
// the kernel is older than 4.6. NumPy fails to import when the variable is
// not an integer; we fail setup the same way rather than guess.
func madviseHugepage(env string, set bool, release string) (bool, error) {
	if set {
		n, err := strconv.Atoi(strings.TrimSpace(env))
		if err != nil {
			return false, fmt.Errorf("NUMPY_MADVISE_HUGEPAGE=%q is not an integer (NumPy would fail to import)", env)
		}
		return n != 0, nil
	}
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return true, nil // NumPy keeps the default when it cannot parse the version
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return true, nil
	}
	return major > 4 || (major == 4 && minor >= 6), nil
}

// command executes one command. done is set when the probe must exit with
// code.
func (p *prober) command(rec protocol.Record) (code int, done bool) {
	switch rec.Verb {
	case protocol.CmdQuit:
		return 0, true
	case protocol.CmdRun, protocol.CmdAutorange, protocol.CmdTrace, protocol.CmdAlloc:
	default:
		p.emitText(protocol.VerbError, fmt.Sprintf("unknown command %q", rec.Verb), kvs("phase", "command"))
		return 0, false
	}
	name := rec.Get("cand")
	cand, ok := candIndex(name)
	if !ok {
		if name == "" {
			name = "-"
		}
		p.emitText(protocol.VerbError, fmt.Sprintf("unknown candidate %q (this workload has A and B)", rec.Get("cand")),
			kvs("cand", name), kvs("phase", "command"))
		return 0, false
	}
	var key string
	switch rec.Verb {
	case protocol.CmdRun:
		key = "loops"
	case protocol.CmdAutorange:
		key = "target_ns"
	default:
		key = "iters"
	}
	n, err := rec.Int(key)
	if err == nil && n < 1 {
		err = fmt.Errorf("%s=%d must be at least 1", key, n)
	}
	if err != nil {
		p.emitText(protocol.VerbError, err.Error(), kvs("cand", name), kvs("phase", "command"))
		return 0, false
	}

	switch rec.Verb {
	case protocol.CmdRun:
		err = p.run(name, cand, n, rec.Get("seq"))
	case protocol.CmdAutorange:
		err = p.autorange(name, cand, n)
	case protocol.CmdTrace:
		err = p.trace(name, cand, n)
	case protocol.CmdAlloc:
		err = p.alloc(name, cand, n)
	}
	if err != nil {
		p.emitText(protocol.VerbError, err.Error(), kvs("cand", name), kvs("phase", "run"))
		return 1, true
	}
	return 0, false
}

// measure runs loops iterations in one C call.
func (p *prober) measure(cand int, loops int64) (measurement, error) {
	m, err := engineRun(cand, loops, p.iter)
	p.iter += loops
	return m, err
}

func (p *prober) run(name string, cand int, loops int64, seq string) error {
	m, err := p.measure(cand, loops)
	if err != nil {
		return err
	}
	if seq == "" {
		seq = "0"
	}
	p.emit(protocol.VerbSample, kvs("cand", name), kvs("seq", seq), kvi("loops", loops), kvi("ns", m.ns),
		kvi("minflt", m.minflt), kvi("majflt", m.majflt), kvi("utime", m.utime), kvi("stime", m.stime))
	return nil
}

// maxAutorangeLoops stops autorange on a target it cannot reach, as the
// Python probe does.
const maxAutorangeLoops = 100_000_000

// autorange follows timeit: 1, 2, 5, 10, 20, 50, ... loops until one batch
// takes at least targetNS.
func (p *prober) autorange(name string, cand int, targetNS int64) error {
	for i := int64(1); ; i *= 10 {
		for _, j := range []int64{1, 2, 5} {
			loops := i * j
			m, err := p.measure(cand, loops)
			if err != nil {
				return err
			}
			if m.ns >= targetNS || loops >= maxAutorangeLoops {
				p.emit(protocol.VerbRange, kvs("cand", name), kvi("loops", loops), kvi("ns", m.ns))
				return nil
			}
		}
	}
}

// trace runs iters iterations, each a single C call between its begin and
// end records.
func (p *prober) trace(name string, cand int, iters int64) error {
	for i := int64(0); i < iters && p.wrErr == nil; i++ {
		p.emit(protocol.VerbBegin, kvs("cand", name), kvi("iter", i))
		t0 := monotonicNS()
		m, err := p.measure(cand, 1)
		if err != nil {
			return err
		}
		t1 := monotonicNS()
		// t0/t1 (CLOCK_MONOTONIC) bound the C call for faultline's perf
		// recorder, which attributes timestamped samples by them.
		p.emit(protocol.VerbEnd, kvs("cand", name), kvi("iter", i), kvi("ns", m.ns),
			kvi("minflt", m.minflt), kvi("majflt", m.majflt), kvi("t0", t0), kvi("t1", t1))
	}
	p.emit(protocol.VerbDone, kvs("cand", name))
	return nil
}

// monotonicNS reads CLOCK_MONOTONIC, the clock of the kernel's perf
// samples when faultline asks for it.
func monotonicNS() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return 0
	}
	return ts.Nano()
}

// alloc runs iters iterations and reports the candidate's buffers, counted
// by the C side's malloc wrapper (there is no tracemalloc natively). Every
// buffer is BufferBytes long, so large= is a single size.
func (p *prober) alloc(name string, cand int, iters int64) error {
	engineAllocReset()
	if _, err := p.measure(cand, iters); err != nil {
		return err
	}
	count, bytes, peak := engineAllocStats()
	large := "-"
	if count > 0 {
		large = fmt.Sprintf("%dx%d", BufferBytes, count)
	}
	p.emit(protocol.VerbAlloc, kvs("cand", name), kvi("iters", iters), kvi("count", count), kvi("bytes", bytes),
		kvi("peak", peak), kvs("large", large))
	p.emit(protocol.VerbDone, kvs("cand", name))
	return nil
}
