package mark

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/protocol"
	"github.com/faultline/faultline/internal/ptrace"
	"github.com/faultline/faultline/internal/reexec"
)

// childEnv makes the test binary a marked target (see TestTraced).
const childEnv = "FAULTLINE_MARK_TEST_CHILD"

func TestMain(m *testing.M) {
	reexec.Main()
	if os.Getenv(childEnv) != "" {
		child()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child marks 5 iterations of "A", each mapping and unmapping 1 MiB.
func child() {
	for i := 0; i < 5; i++ {
		Begin("A")
		b, err := syscall.Mmap(-1, 0, 1<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err == nil {
			b[0] = 1
			_ = syscall.Munmap(b)
		}
		End("A")
	}
}

// reset forgets FAULTLINE_FD and all iterations, for the next test.
func reset() {
	setup = sync.Once{}
	fd = -1
	iters = map[string]*iteration{}
}

func TestDisabled(t *testing.T) {
	for _, v := range []string{"", "x", "-1", "987654"} {
		t.Setenv(EnvFD, v)
		reset()
		if Enabled() {
			t.Errorf("FAULTLINE_FD=%q: enabled", v)
		}
		Begin("A")
		End("A")
	}
}

func TestRecords(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	t.Setenv(EnvFD, strconv.Itoa(int(w.Fd())))
	reset()
	defer reset()
	if !Enabled() {
		t.Fatal("not enabled")
	}
	End("never begun")
	for i := 0; i < 2; i++ {
		Begin("A")
		// A fresh private mapping without huge pages: 1,024 first-touch
		// faults whatever the Go heap holds or THP does (a Go slice could
		// reuse pages already faulted in, or get huge pages).
		buf, err := unix.Mmap(-1, 0, 4<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			t.Fatal(err)
		}
		_ = unix.Madvise(buf, unix.MADV_NOHUGEPAGE)
		Begin("odd name\n")
		for j := 0; j < len(buf); j += 4096 {
			buf[j] = 1
		}
		End("odd name\n")
		_ = unix.Munmap(buf)
		End("A")
	}
	w.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	want := []string{"begin A 0", "begin odd_name_ 0", "end odd_name_ 0", "end A 0", "begin A 1", "begin odd_name_ 1", "end odd_name_ 1", "end A 1"}
	if len(lines) != len(want) {
		t.Fatalf("lines:\n%s", out)
	}
	for i, line := range lines {
		rec, err := protocol.Parse(line)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if got := rec.Verb + " " + rec.Get("cand") + " " + rec.Get("iter"); got != want[i] {
			t.Errorf("line %d = %q, want %q", i, line, want[i])
		}
		if rec.Verb != protocol.VerbEnd {
			continue
		}
		ns, err1 := rec.Int("ns")
		minflt, err2 := rec.Int("minflt")
		_, err3 := rec.Int("majflt")
		if err1 != nil || err2 != nil || err3 != nil || ns <= 0 {
			t.Errorf("line %q: bad fields", line)
		}
		if rec.Get("cand") == "odd_name_" && minflt < 1000 {
			t.Errorf("line %q: touching 1024 fresh pages took %d faults", line, minflt)
		}
	}
}

// TestTraced runs this test binary as a marked target under the tracer:
// every mark is one write, and each iteration's mmap is attributed to it.
func TestTraced(t *testing.T) {
	if err := ptrace.Probe(); err != nil {
		t.Skipf("tracing unavailable: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// Drained only so that the target never blocks on a full pipe.
	go func() { _, _ = io.Copy(io.Discard, r) }()
	var marks []string
	s := &proc.Spec{
		Argv:       []string{os.Args[0]},
		ExtraFiles: []*os.File{w},
		Marks:      w,
		Trace: &proc.TraceOptions{OnEvent: func(e memtrace.Event) {
			if e.Call == memtrace.CallMark {
				marks = append(marks, e.Text)
			}
		}},
	}
	s.Env = append(os.Environ(), childEnv+"=1", s.MarksEnv())
	p, err := proc.Start(context.Background(), s)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.Wait()
	if err != nil || e.Failed() {
		t.Fatalf("Wait = %v, %v", e, err)
	}
	if len(marks) != 10 {
		t.Fatalf("%d marker writes: %q", len(marks), marks)
	}
	for _, m := range marks {
		if strings.Count(m, "\n") != 1 || !strings.HasSuffix(m, "\n") {
			t.Errorf("marker write %q is not one line", m)
		}
	}
	a := e.Trace.Tally.Syscalls("A")
	if a == nil || a.Iterations != 5 || a.Mmap < 1 || a.Munmap < 1 {
		t.Fatalf("A = %+v", a)
	}
	found := false
	for _, sz := range a.Sizes {
		found = found || (sz.Call == "mmap" && sz.Bytes == 1<<20 && sz.Per >= 1)
	}
	if !found {
		t.Errorf("no 1 MiB mmap per iteration in %+v", a.Sizes)
	}
}
