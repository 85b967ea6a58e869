//go:build linux && amd64

package ptrace_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/proc/proctest"
	"github.com/faultline/faultline/internal/ptrace"
	"github.com/faultline/faultline/internal/reexec"
	"github.com/faultline/faultline/internal/result"
)

func TestMain(m *testing.M) {
	reexec.Main()
	os.Exit(m.Run())
}

func TestProbe(t *testing.T) {
	if err := ptrace.Probe(); err != nil {
		t.Fatalf("Probe() = %v; this machine runs the tracing tests, so it must trace", err)
	}
}

// traced runs argv under the tracer and returns its result and events.
// marks, if not nil, is the target's marker descriptor.
func traced(t *testing.T, argv []string, marks *os.File) (*proc.Exit, []memtrace.Event) {
	t.Helper()
	var events []memtrace.Event
	s := &proc.Spec{Argv: argv,
		Trace: &proc.TraceOptions{OnEvent: func(e memtrace.Event) { events = append(events, e) }}}
	if marks != nil {
		s.ExtraFiles, s.Marks = []*os.File{marks}, marks
		s.Env = append(os.Environ(), s.MarksEnv())
	}
	p, err := proc.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if e.Failed() {
		t.Fatalf("%q: %v", argv, e)
	}
	return e, events
}

// straceCounts runs argv under strace -f -c and returns the calls per
// memory syscall.
func straceCounts(t *testing.T, argv ...string) map[string]int {
	t.Helper()
	strace := proctest.Need(t, "strace", "strace")
	out := filepath.Join(t.TempDir(), "strace.out")
	args := append([]string{"-f", "-qq", "-c", "-o", out, "-e", "trace=brk,mmap,munmap,mremap,madvise"}, argv...)
	if b, err := exec.Command(strace, args...).CombinedOutput(); err != nil {
		t.Fatalf("strace: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "% time  seconds  usecs/call  calls  [errors]  syscall"
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		name := fields[len(fields)-1]
		switch name {
		case "brk", "mmap", "munmap", "mremap", "madvise":
			n, err := strconv.Atoi(fields[3])
			if err != nil {
				t.Fatalf("strace summary line %q", sc.Text())
			}
			counts[name] = n
		}
	}
	return counts
}

func ourCounts(s *result.Syscalls) map[string]int {
	m := map[string]int{}
	for name, v := range map[string]float64{"brk": s.Brk, "mmap": s.Mmap, "munmap": s.Munmap, "mremap": s.Mremap, "madvise": s.Madvise} {
		if v != 0 {
			m[name] = int(v)
		}
	}
	return m
}

// mechanisms: the tracer takes memory calls through the seccomp listener
// where the kernel has one, and through ptrace stops otherwise; both must
// see the same.
var mechanisms = []struct {
	name     string
	listener string // value of ptrace.EnvListener
}{
	{"listener", ""},
	{"ptrace", "off"},
}

func checkMechanism(t *testing.T, listener string, st memtrace.Stats) {
	t.Helper()
	if (listener == "off") != (st.Notified == 0) {
		t.Errorf("%s=%q, but %d calls went through the listener", ptrace.EnvListener, listener, st.Notified)
	}
}

// TestMatchesStrace: the tracer sees exactly the calls strace sees, for a
// brk-heavy program, 8 threads, and a tree of forks, vforks and execs,
// through either mechanism.
func TestMatchesStrace(t *testing.T) {
	tests := []struct {
		prog      string
		args      []string
		processes int
		threads   int
	}{
		{"batch", []string{"40"}, 1, 1},
		{"threads", nil, 1, 9},
		{"forker", nil, 6, 6},
	}
	for _, m := range mechanisms {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.prog, func(t *testing.T) {
				t.Setenv(ptrace.EnvListener, m.listener)
				bin := proctest.BuildC(t, tt.prog)
				argv := append([]string{bin}, tt.args...)
				want := straceCounts(t, argv...)
				e, events := traced(t, argv, nil)
				got := ourCounts(e.Trace.Totals)
				if len(got) != len(want) {
					t.Errorf("calls = %v, strace %v", got, want)
				}
				for name, n := range want {
					if got[name] != n {
						t.Errorf("%s: %d calls, strace %d (all: %v vs %v)", name, got[name], n, got, want)
					}
				}
				st := e.Trace.Stats
				checkMechanism(t, m.listener, st)
				if st.Processes != tt.processes || st.Threads != tt.threads {
					t.Errorf("followed %d processes, %d threads; want %d, %d", st.Processes, st.Threads, tt.processes, tt.threads)
				}
				streamed := map[string]int{}
				for _, ev := range events {
					streamed[ev.Call]++
				}
				for name, n := range got {
					if streamed[name] != n {
						t.Errorf("OnEvent saw %d %s events, totals say %d", streamed[name], name, n)
					}
				}
				if streamed[memtrace.CallExit] != tt.processes {
					t.Errorf("%d exit events for %d processes", streamed[memtrace.CallExit], tt.processes)
				}
			})
		}
	}
}

// TestBrkDeltas: brk sizes come from return values, so the sequence of
// deltas matches the one strace prints.
func TestBrkDeltas(t *testing.T) {
	strace := proctest.Need(t, "strace", "strace")
	bin := proctest.BuildC(t, "batch")
	out, err := exec.Command(strace, "-qq", "-e", "trace=brk", bin, "6").CombinedOutput()
	if err != nil {
		t.Fatalf("strace: %v\n%s", err, out)
	}
	ret := regexp.MustCompile(`^brk\(.*\)\s+= (0x[0-9a-f]+)$`)
	var want []int64
	var last int64
	for _, line := range strings.Split(string(out), "\n") {
		m := ret.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, _ := strconv.ParseInt(m[1], 0, 64)
		if last != 0 {
			want = append(want, v-last)
		} else {
			want = append(want, 0)
		}
		last = v
	}
	_, events := traced(t, []string{bin, "6"}, nil)
	var got []int64
	for _, e := range events {
		if e.Call == memtrace.CallBrk {
			got = append(got, e.Size)
		}
	}
	if len(want) < 10 || strings.Trim(strings.Join(strings.Fields(fmtInts(got)), ","), ",") != strings.Join(strings.Fields(fmtInts(want)), ",") {
		t.Errorf("brk deltas\n got %v\nwant %v", got, want)
	}
}

func fmtInts(v []int64) string {
	var b strings.Builder
	for _, x := range v {
		b.WriteString(strconv.FormatInt(x, 10))
		b.WriteByte(' ')
	}
	return b.String()
}

// TestAttribution: a program alternating two marked candidates gets each
// call attributed to the right candidate and iteration.
func TestAttribution(t *testing.T) {
	for _, m := range mechanisms {
		t.Run(m.name, func(t *testing.T) {
			t.Setenv(ptrace.EnvListener, m.listener)
			attribution(t, m.listener)
		})
	}
}

func attribution(t *testing.T, listener string) {
	bin := proctest.BuildC(t, "batch")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		b, _ := io.ReadAll(r)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
	}()
	const n = 10
	e, events := traced(t, []string{bin, strconv.Itoa(n), "AB"}, w)
	w.Close()
	<-done
	if len(lines) != 2*n {
		t.Fatalf("the target wrote %d marker lines, want %d", len(lines), 2*n)
	}
	checkMechanism(t, listener, e.Trace.Stats)
	tally := e.Trace.Tally
	if got := tally.Candidates(); strings.Join(got, ",") != "A,B" {
		t.Errorf("candidates = %v", got)
	}
	a, b := tally.Syscalls("A"), tally.Syscalls("B")
	if a == nil || b == nil {
		t.Fatalf("A = %+v, B = %+v", a, b)
	}
	const mib = 1 << 20
	if b.Iterations != n/2 || b.Mmap != 3 || b.Munmap != 3 || b.Brk != 0 || b.MappedBytes != 3*mib || b.UnmappedBytes != 3*mib {
		t.Errorf("B per iteration = %+v; want 3 mmap + 3 munmap of 1 MiB, no brk, over %d iterations", b, n/2)
	}
	if !hasSize(b.Sizes, "mmap", mib, 3) || !hasSize(b.Sizes, "munmap", mib, 3) {
		t.Errorf("B sizes = %+v", b.Sizes)
	}
	if a.Iterations != n/2 || a.Mmap != 0 || a.Munmap != 0 || a.Brk < 2 || a.BrkGrowBytes < 1.5*mib || a.BrkShrinkBytes < 1.5*mib {
		// 32 x 64 KiB = 2 MiB of blocks; the heap keeps about 128 KiB
		// (top_pad) after each trim, so it grows back a little less.
		t.Errorf("A per iteration = %+v; want brk growth and a trim of about 2 MiB, no mmap", a)
	}
	out := tally.Outside()
	whole := e.Trace.Totals
	if out.Mmap == 0 {
		t.Errorf("outside = %+v: the loader's mappings are missing", out)
	}
	for _, c := range []struct {
		name                 string
		whole, out, ina, inb float64
	}{
		{"brk", whole.Brk, out.Brk, a.Brk, b.Brk},
		{"mmap", whole.Mmap, out.Mmap, a.Mmap, b.Mmap},
		{"munmap", whole.Munmap, out.Munmap, a.Munmap, b.Munmap},
	} {
		if c.whole != c.out+(c.ina+c.inb)*n/2 {
			t.Errorf("%s: whole %v != outside %v + %d x (A %v + B %v)", c.name, c.whole, c.out, n/2, c.ina, c.inb)
		}
	}
	if tally.Malformed() != 0 || tally.Abandoned() != 0 || len(e.Trace.Notes) != 0 {
		t.Errorf("malformed %d, abandoned %d, notes %q", tally.Malformed(), tally.Abandoned(), e.Trace.Notes)
	}
	marks := 0
	for _, ev := range events {
		if ev.Call == memtrace.CallMark {
			if ev.Text != lines[marks]+"\n" {
				t.Errorf("mark %d read %q, the target wrote %q", marks, ev.Text, lines[marks])
			}
			marks++
		}
	}
	if marks != 2*n {
		t.Errorf("%d mark events, want %d", marks, 2*n)
	}
}

func hasSize(s []result.SizeCount, call string, bytes int64, per float64) bool {
	for _, x := range s {
		if x.Call == call && x.Bytes == bytes && x.Per == per {
			return true
		}
	}
	return false
}
