package proc_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/counters"
	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/proc/proctest"
	"github.com/faultline/faultline/internal/protocol"
	"github.com/faultline/faultline/internal/reexec"
	// The tracer of the "trace" mode registers itself.
	_ "github.com/faultline/faultline/internal/ptrace"
)

func TestMain(m *testing.M) {
	// The test binary is also the supervisor and exec helper of the
	// targets it starts.
	reexec.Main()
	os.Exit(m.Run())
}

// modes are the three ways a target can be started.
var modes = []struct {
	name string
	set  func(*proc.Spec)
}{
	{"plain", func(*proc.Spec) {}},
	{"counters", func(s *proc.Spec) { s.Counters = true }},
	{"trace", func(s *proc.Spec) { s.Trace = &proc.TraceOptions{} }},
}

func run(t *testing.T, ctx context.Context, s *proc.Spec) *proc.Exit {
	t.Helper()
	p, err := proc.Start(ctx, s)
	if err != nil {
		t.Fatalf("Start(%q): %v", s.Argv, err)
	}
	e, err := p.Wait()
	if err != nil {
		t.Fatalf("Wait(%q): %v", s.Argv, err)
	}
	return e
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		argv   []string
		code   int
		signal string
	}{
		{[]string{"true"}, 0, ""},
		{[]string{"sh", "-c", "exit 3"}, 3, ""},
		{[]string{"sh", "-c", "kill -TERM $$"}, -1, "SIGTERM"},
		{[]string{"sh", "-c", "kill -SEGV $$"}, -1, "SIGSEGV"},
	}
	for _, m := range modes {
		for _, tt := range tests {
			t.Run(m.name+"/"+strings.Join(tt.argv, " "), func(t *testing.T) {
				s := &proc.Spec{Argv: tt.argv}
				m.set(s)
				e := run(t, context.Background(), s)
				if e.Code != tt.code || e.Signal != tt.signal {
					t.Errorf("exit = %d %q, want %d %q", e.Code, e.Signal, tt.code, tt.signal)
				}
				if e.Wall <= 0 || e.Wall > time.Minute {
					t.Errorf("wall = %v", e.Wall)
				}
			})
		}
	}
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "data")
	if err := os.WriteFile(notExec, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte{0x7f, 'E', 'L', 'F', 0, 0}, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		argv []string
		want string
	}{
		{nil, "empty command"},
		{[]string{"faultline-no-such-command"}, "executable file not found"},
		{[]string{filepath.Join(dir, "missing")}, "no such file"},
		{[]string{notExec}, "permission denied"},
		{[]string{garbage}, "exec format error"},
	}
	for _, m := range modes {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.want, func(t *testing.T) {
				s := &proc.Spec{Argv: tt.argv}
				m.set(s)
				p, err := proc.Start(context.Background(), s)
				if err == nil {
					p.Kill()
					p.Wait()
					t.Fatalf("Start(%q) succeeded", tt.argv)
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Start(%q) = %v, want %q", tt.argv, err, tt.want)
				}
			})
		}
	}
}

// TestPlumbing checks that stdio, extra descriptors, the working directory
// and the environment reach the target unchanged, whichever way it starts.
func TestPlumbing(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var out, errb bytes.Buffer
			s := &proc.Spec{
				Argv:       []string{"sh", "-c", `read x; echo "in=$x dir=$(pwd) v=$V"; echo err >&2; echo extra >&3`},
				Env:        []string{"V=42", "PATH=" + os.Getenv("PATH")},
				Dir:        dir,
				Stdin:      strings.NewReader("hello\n"),
				Stdout:     &out,
				Stderr:     &errb,
				ExtraFiles: []*os.File{w},
			}
			m.set(s)
			p, err := proc.Start(context.Background(), s)
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			extra, _ := io.ReadAll(r)
			e, err := p.Wait()
			if err != nil || e.Failed() {
				t.Fatalf("Wait = %v, %v", e, err)
			}
			if want := "in=hello dir=" + dir + " v=42\n"; out.String() != want {
				t.Errorf("stdout = %q, want %q", out.String(), want)
			}
			if errb.String() != "err\n" || string(extra) != "extra\n" {
				t.Errorf("stderr = %q, fd 3 = %q", errb.String(), extra)
			}
			if p.Pid() <= 0 {
				t.Errorf("Pid = %d", p.Pid())
			}
		})
	}
}

// waitGone polls until none of pids exists in /proc, zombies included.
func waitGone(t *testing.T, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for proctest.Exists(pid) {
			if time.Now().After(deadline) {
				stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
				t.Fatalf("pid %d survived: %s", pid, stat)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		if s := strings.TrimSpace(string(b)); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(s)
			if err == nil {
				return pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never got a pid", path)
	return 0
}

// TestCancelKillsDaemon cancels the context of a target that has started
// a setsid daemon (double fork: the daemon is in another session and
// process group, and its parent is gone): the daemon must die too.
func TestCancelKillsDaemon(t *testing.T) {
	bin := proctest.BuildC(t, "daemon")
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			pidfile := filepath.Join(t.TempDir(), "pid")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := &proc.Spec{Argv: []string{bin, pidfile}}
			m.set(s)
			p, err := proc.Start(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			daemon := readPid(t, pidfile)
			if !proctest.Alive(daemon) {
				t.Fatalf("daemon %d not running", daemon)
			}
			cancel()
			e, err := p.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if e.Signal != "SIGKILL" {
				t.Errorf("target exit = %v, want killed by SIGKILL", e)
			}
			waitGone(t, daemon, p.Pid())
		})
	}
}

// TestLeftoversKilled: a target that exits at once, leaving a setsid
// daemon behind, takes the daemon with it.
func TestLeftoversKilled(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			pidfile := filepath.Join(t.TempDir(), "pid")
			s := &proc.Spec{Argv: []string{"sh", "-c", `setsid sh -c 'echo $$ > "$0.tmp"; mv "$0.tmp" "$0"; exec sleep 1000' "$0" & while [ ! -s "$0" ]; do sleep 0.01; done`, pidfile}}
			m.set(s)
			e := run(t, context.Background(), s)
			if e.Failed() {
				t.Fatalf("exit = %v", e)
			}
			daemon := readPid(t, pidfile)
			waitGone(t, daemon)
		})
	}
}

// TestKillMidTrace kills a traced target from outside while it is in the
// middle of traced work: Wait reports the signal and nothing survives.
func TestKillMidTrace(t *testing.T) {
	bin := proctest.BuildC(t, "spin")
	var n int
	s := &proc.Spec{Argv: []string{bin}, Counters: true, Trace: &proc.TraceOptions{OnEvent: func(memtrace.Event) { n++ }}}
	p, err := proc.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := syscallKill(p.Pid()); err != nil {
		t.Fatal(err)
	}
	e, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if e.Signal != "SIGKILL" || e.Code != -1 {
		t.Errorf("exit = %v, want killed by SIGKILL", e)
	}
	if n == 0 || e.Trace == nil || e.Trace.Totals.Mmap == 0 {
		t.Errorf("no events seen before the kill (%d events)", n)
	}
	waitGone(t, p.Pid())
}

func TestKillAll(t *testing.T) {
	var ps []*proc.Process
	for _, m := range modes {
		s := &proc.Spec{Argv: []string{"sleep", "1000"}}
		m.set(s)
		p, err := proc.Start(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	proc.KillAll()
	for _, p := range ps {
		e, err := p.Wait()
		if err != nil || e.Signal != "SIGKILL" {
			t.Errorf("Wait = %v, %v; want killed by SIGKILL", e, err)
		}
		waitGone(t, p.Pid())
	}
}

// TestCounters: the perf page-fault count of a target that touches N
// pages matches its rusage, and covers a forked child as well.
func TestCounters(t *testing.T) {
	bin := proctest.BuildC(t, "touch")
	caps := counters.Probe()
	if !caps.Software {
		t.Skipf("perf software events unavailable here: %s", caps.Note)
	}
	const pages = 20000
	tests := []struct {
		name string
		argv []string
		min  float64
	}{
		{"single", []string{bin, strconv.Itoa(pages)}, pages},
		{"fork", []string{bin, strconv.Itoa(pages), "fork"}, 2 * pages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := run(t, context.Background(), &proc.Spec{Argv: tt.argv, Counters: true})
			pf := e.Counters[counters.PageFaults]
			min := float64(e.Usage.MinFlt + e.Usage.MajFlt)
			t.Logf("perf page-faults %.0f, rusage minflt %d majflt %d, task-clock %.4fs, notes %q",
				pf, e.Usage.MinFlt, e.Usage.MajFlt, e.Counters[counters.TaskClock], e.CounterNotes)
			if pf < tt.min || math.Abs(pf-min) > 0.03*min {
				t.Errorf("page-faults %.0f vs rusage %.0f: want >= %.0f and within 3%%", pf, min, tt.min)
			}
			if e.Counters[counters.MinorFaults]+e.Counters[counters.MajorFaults] != pf {
				t.Errorf("minor %.0f + major %.0f != page-faults %.0f", e.Counters[counters.MinorFaults], e.Counters[counters.MajorFaults], pf)
			}
			if e.Counters[counters.TaskClock] <= 0 {
				t.Errorf("task-clock = %v", e.Counters[counters.TaskClock])
			}
			hw := false
			for _, n := range e.CounterNotes {
				hw = hw || strings.Contains(n, "no hardware PMU")
			}
			_, cycles := e.Counters[counters.Cycles]
			if caps.Hardware != cycles || caps.Hardware == hw {
				t.Errorf("PMU %v: cycles counted %v, PMU note %v (%q)", caps.Hardware, cycles, hw, e.CounterNotes)
			}
		})
	}
}

// TestCountersFallback: when perf_event_open is refused, counters come
// from rusage and a note says so.
func TestCountersFallback(t *testing.T) {
	bin := proctest.BuildC(t, "touch")
	t.Setenv(counters.EnvDisable, "off")
	e := run(t, context.Background(), &proc.Spec{Argv: []string{bin, "1000"}, Counters: true})
	if len(e.CounterNotes) != 1 || !strings.Contains(e.CounterNotes[0], "counters from rusage") {
		t.Errorf("notes = %q", e.CounterNotes)
	}
	if got := e.Counters[counters.MinorFaults]; got != float64(e.Usage.MinFlt) || got < 1000 {
		t.Errorf("minor-faults = %v, rusage %d", got, e.Usage.MinFlt)
	}
}

// TestUsageExcludesHelper: with counters, the exec helper's own start-up
// faults are not charged to the target.
func TestUsageExcludesHelper(t *testing.T) {
	plain := run(t, context.Background(), &proc.Spec{Argv: []string{"true"}})
	counted := run(t, context.Background(), &proc.Spec{Argv: []string{"true"}, Counters: true})
	t.Logf("minflt plain %d, with counters %d (perf %v)", plain.Usage.MinFlt, counted.Usage.MinFlt, counted.Counters[counters.MinorFaults])
	if counted.Usage.MinFlt > plain.Usage.MinFlt+40 {
		t.Errorf("minflt with counters %d, plain %d: the helper's faults leaked in", counted.Usage.MinFlt, plain.Usage.MinFlt)
	}
}

func syscallKill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// TestMarks: the marker descriptor is whichever entry of ExtraFiles
// Spec.Marks names; the target learns its number from MarksEnv, and the
// tracer reads the markers written to it.
func TestMarks(t *testing.T) {
	other, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() { _, _ = io.Copy(io.Discard, r) }()
	s := &proc.Spec{ExtraFiles: []*os.File{other, w}, Marks: w}
	if s.FD(other) != 3 || s.FD(w) != 4 || s.FD(r) != -1 || s.FD(nil) != -1 {
		t.Errorf("FD = %d, %d, %d, %d; want 3, 4, -1, -1", s.FD(other), s.FD(w), s.FD(r), s.FD(nil))
	}
	if got := s.MarksEnv(); got != protocol.EnvFD+"=4" {
		t.Errorf("MarksEnv() = %q", got)
	}
	if got := (&proc.Spec{ExtraFiles: []*os.File{w}}).MarksEnv(); got != "" {
		t.Errorf("MarksEnv() without Marks = %q", got)
	}
	if _, err := proc.Start(context.Background(), &proc.Spec{Argv: []string{"true"}, Marks: r}); err == nil || !strings.Contains(err.Error(), "Spec.Marks") {
		t.Errorf("Start with Marks outside ExtraFiles = %v", err)
	}

	// Two iterations, of A and B, marked with include/faultline.h.
	s.Argv = []string{proctest.BuildC(t, "batch"), "2", "AB"}
	s.Env = []string{s.MarksEnv()}
	s.Trace = &proc.TraceOptions{}
	e := run(t, context.Background(), s)
	w.Close()
	if e.Failed() {
		t.Fatalf("exit = %v", e)
	}
	if got := e.Trace.Tally.Candidates(); strings.Join(got, ",") != "A,B" || e.Trace.Tally.Malformed() != 0 {
		t.Errorf("candidates %q, %d malformed; want A and B marked on fd 4", got, e.Trace.Tally.Malformed())
	}
}
