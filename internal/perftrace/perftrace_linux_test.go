package perftrace

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/testenv"
)

func needRecorder(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("perf syscall tracepoints not usable here (faultline falls back to the ptrace tracer): %v", err)
	}
}

// buildBatch compiles testdata/c/batch.c: 32 x malloc(64 KiB) + memset and
// free per iteration, about 11 brk calls per iteration under glibc.
func buildBatch(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		testenv.Missing(t, "gcc not installed (test.sh installs it)")
	}
	bin := filepath.Join(t.TempDir(), "batch")
	out, err := exec.Command("gcc", "-O2", "-I../../include", "-I../../testdata/c", "-o", bin, "../../testdata/c/batch.c").CombinedOutput()
	if err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// startHeld starts argv behind a shell that stops itself first, so the
// recorder can attach before the program runs; release continues it.
func startHeld(t *testing.T, argv ...string) (cmd *exec.Cmd, release func()) {
	t.Helper()
	held := HoldArgv(argv)
	cmd = exec.Command(held[0], held[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := WaitStopped(context.Background(), cmd.Process.Pid, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	return cmd, func() { _ = cmd.Process.Signal(syscall.SIGCONT) }
}

// TestMatchesStrace: the recorder sees exactly the brk calls strace sees
// in the same program, with the break's changes adding up.
func TestMatchesStrace(t *testing.T) {
	needRecorder(t)
	bin := buildBatch(t)
	strace, err := exec.LookPath("strace")
	if err != nil {
		testenv.Missing(t, "strace not installed (test.sh installs it)")
	}
	out, err := exec.Command(strace, "-f", "-qq", "-e", "trace=brk", "-o", "/dev/stdout", bin, "40").Output()
	if err != nil {
		t.Fatalf("strace: %v", err)
	}
	want := len(regexp.MustCompile(`(?m)\bbrk\(`).FindAll(out, -1))

	cmd, release := startHeld(t, bin, "40")
	r, err := Attach(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	release()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	ev, st, err := r.Stop()
	if err != nil {
		t.Fatal(err)
	}
	brk, grow, shrink := 0, int64(0), int64(0)
	for i, e := range ev {
		if i > 0 && e.At < ev[i-1].At {
			t.Fatalf("events out of time order at %d", i)
		}
		if e.Call == memtrace.CallBrk {
			brk++
			if e.Size > 0 {
				grow += e.Size
			} else {
				shrink -= e.Size
			}
		}
		if e.Pid != cmd.Process.Pid {
			t.Errorf("event of pid %d, want %d: %+v", e.Pid, cmd.Process.Pid, e)
		}
	}
	t.Logf("%d brk (strace %d), +%d/-%d bytes, %d samples, %d lost, in %s", brk, want, grow, shrink, st.Samples, st.Lost, time.Since(start))
	if brk != want || st.Lost != 0 {
		t.Errorf("recorded %d brk calls (%d lost), strace saw %d", brk, st.Lost, want)
	}
	// 40 iterations each grow the heap by about 2 MiB and trim it again.
	if grow < 40*(1<<20) || shrink < 39*(1<<20) {
		t.Errorf("break grew %d and shrank %d bytes, want about 40 x 2 MiB each", grow, shrink)
	}
}

// TestWindows: events are attributed to the iteration whose time window
// holds them, per process.
func TestWindows(t *testing.T) {
	ev := []memtrace.Event{
		{Call: memtrace.CallBrk, Pid: 7, At: 5, Size: 4096},
		{Call: memtrace.CallBrk, Pid: 7, At: 15, Size: 8192},
		{Call: memtrace.CallMmap, Pid: 7, At: 16, Size: 1 << 20},
		{Call: memtrace.CallMmap, Pid: 8, At: 17, Size: 1 << 20}, // another process
		{Call: memtrace.CallBrk, Pid: 7, At: 25, Size: -8192},
		{Call: memtrace.CallBrk, Pid: 7, At: 40, Size: 4096}, // between windows
	}
	w := []Window{{Cand: "A", Iter: 0, Start: 10, End: 20}, {Cand: "A", Iter: 1, Start: 20, End: 30}}
	tl := Tally(ev, w, 7)
	sc := tl.Syscalls("A")
	if sc == nil || sc.Iterations != 2 || sc.Brk != 1 || sc.Mmap != 0.5 {
		t.Fatalf("A: %+v, want 2 iterations, 1 brk and 0.5 mmap per iteration", sc)
	}
	if out := tl.Outside(); out.Brk != 2 || out.Mmap != 1 {
		t.Errorf("outside: %+v, want the 2 brk and the other process's mmap", out)
	}
}

// TestWindowsKeepNames: a window's candidate reaches the tally as it is,
// whatever characters its name has, and windows that touch at one instant
// end before the next begins.
func TestWindowsKeepNames(t *testing.T) {
	ev := []memtrace.Event{
		{Call: memtrace.CallMmap, Pid: 7, At: 10, Size: 4096, Flags: memtrace.MapAnonymous, Fd: -1, Prot: memtrace.ProtWrite}, // at the first window's start: inside
		{Call: memtrace.CallMmap, Pid: 7, At: 20, Size: 8192, Flags: memtrace.MapAnonymous, Fd: -1, Prot: memtrace.ProtWrite}, // at the boundary: the second window's
	}
	w := []Window{{Cand: "a b=c", Iter: 0, Start: 10, End: 20}, {Cand: "d", Iter: 0, Start: 20, End: 30}}
	tl := Tally(ev, w, 7)
	if got := tl.Candidates(); len(got) != 2 || got[0] != "a b=c" || got[1] != "d" {
		t.Fatalf("candidates %q, want [\"a b=c\" \"d\"]", got)
	}
	if a, d := tl.Syscalls("a b=c"), tl.Syscalls("d"); a.MappedBytes != 4096 || d.MappedBytes != 8192 {
		t.Errorf("mapped %v and %v, want 4096 and 8192", a.MappedBytes, d.MappedBytes)
	}
	if tl.Malformed() != 0 || tl.Abandoned() != 0 {
		t.Errorf("malformed %d, abandoned %d", tl.Malformed(), tl.Abandoned())
	}
}
