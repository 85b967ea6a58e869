package perftrace

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/proc/proctest"
	"github.com/faultline/faultline/internal/result"
)

// recordWhole records argv from its exec to its exit and tallies the
// whole run as one iteration.
func recordWhole(t *testing.T, argv ...string) *result.Syscalls {
	t.Helper()
	cmd, release := startHeld(t, argv...)
	r, err := Attach(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	ev, st, err := r.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if st.NoSites != "" {
		t.Skipf("no issuing sites here: %s", st.NoSites)
	}
	sc := Tally(ev, nil, cmd.Process.Pid).Whole()
	for _, is := range sc.Issuers {
		t.Logf("%s %d x %.0f: %s in %s %s, from %s in %s %s (stripped %v)", is.Call, is.Bytes, is.Per,
			is.Function, is.Object, is.At(), is.Caller, is.CallerObject, is.CallerAt(), is.Stripped)
	}
	return sc
}

func isLibc(path string) bool { return strings.HasPrefix(filepath.Base(path), "libc.so") }

// TestIssuerProgram: the program's own madvise(MADV_DONTNEED) goes
// through libc's wrapper, and is issued from the program's code in the
// executable: release_pages, or make_buffers when gcc made
// release_pages's call of madvise a tail call (a jump leaves no return
// address into it).
func TestIssuerProgram(t *testing.T) {
	needRecorder(t)
	bin := proctest.BuildC(t, "buffers")
	sc := recordWhole(t, bin, "4", "dontneed")
	is := sc.IssuedBy("madvise:MADV_DONTNEED")
	if is == nil {
		t.Fatal("no issuer of MADV_DONTNEED recorded")
	}
	if !isLibc(is.Object) || is.Function != "madvise" || is.CallerObject != bin || is.Per != 4 ||
		is.Caller != "release_pages" && is.Caller != "make_buffers" {
		t.Errorf("MADV_DONTNEED issued by %+v, want 4 from release_pages (or make_buffers) in %s through libc's madvise", is, bin)
	}
}

// TestIssuerLine: built with -g, the program's madvise names its call's
// line in buffers.c: in release_pages, or the call of release_pages in
// make_buffers when gcc made madvise a tail call; the same program
// without -g names none (TestIssuerProgram).
func TestIssuerLine(t *testing.T) {
	needRecorder(t)
	bin := proctest.BuildCWith(t, "buffers", "-g")
	sc := recordWhole(t, bin, "4", "dontneed")
	is := sc.IssuedBy("madvise:MADV_DONTNEED")
	if is == nil {
		t.Fatal("no issuer of MADV_DONTNEED recorded")
	}
	want := map[string]int{"release_pages": proctest.MarkedLine(t, "buffers", "madvise"), "make_buffers": proctest.MarkedLine(t, "buffers", "release")}
	if line, ok := want[is.Caller]; !ok || is.CallerObject != bin || filepath.Base(is.CallerFile) != "buffers.c" || is.CallerLine != line || is.Per != 4 {
		t.Errorf("MADV_DONTNEED issued by %+v, want 4 from %v (caller: line) of buffers.c", is, want)
	}
	if is.CallerAt() != fmt.Sprintf("buffers.c:%d", is.CallerLine) {
		t.Errorf("CallerAt %q", is.CallerAt())
	}
	plain := recordWhole(t, proctest.BuildC(t, "buffers"), "4", "dontneed").IssuedBy("madvise:MADV_DONTNEED")
	if plain == nil || plain.CallerFile != "" || plain.CallerLine != 0 {
		t.Errorf("without -g: issued by %+v, want no line", plain)
	}
}

// TestIssuerAllocator: malloc_trim's MADV_DONTNEED is issued from inside
// libc: both the wrapper and the function calling it are libc's.
func TestIssuerAllocator(t *testing.T) {
	needRecorder(t)
	bin := proctest.BuildC(t, "trim")
	sc := recordWhole(t, bin, "4")
	is := sc.IssuedBy("madvise:MADV_DONTNEED")
	if is == nil {
		t.Fatal("no issuer of MADV_DONTNEED recorded")
	}
	if !isLibc(is.Object) || is.Function != "madvise" || !isLibc(is.CallerObject) || is.Per != 4 || is.Bytes != 16<<20 {
		t.Errorf("MADV_DONTNEED issued by %+v, want 4 x 16 MiB from a function inside libc", is)
	}
	if is.Caller == "" && !is.Stripped {
		t.Errorf("the caller inside libc is neither named nor said to be stripped: %+v", is)
	}
}

// TestIssuerGoRuntime: a Go program's debug.FreeOSMemory returns pages
// through the Go runtime's own madvise, in the Go binary.
func TestIssuerGoRuntime(t *testing.T) {
	needRecorder(t)
	gobin := proctest.Need(t, "go", "golang")
	bin := filepath.Join(t.TempDir(), "freeosmem")
	build := exec.Command(gobin, "build", "-o", bin, ".")
	build.Dir = filepath.Join(proctest.Root(t), "testdata", "go", "freeosmem")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sc := recordWhole(t, bin, "4")
	is := sc.IssuedBy("madvise")
	if is == nil {
		t.Fatal("no issuer of madvise recorded")
	}
	if is.Object != bin || !strings.HasPrefix(is.Function, "runtime.") || is.CallerObject != bin || !strings.HasPrefix(is.Caller, "runtime.") {
		t.Errorf("madvise issued by %+v, want runtime functions of %s", is, bin)
	}
}

// TestIssuerAttachRunning: attached to a program that is already
// running (as the trace pass attaches to a probe), the calls are named
// through the mappings the process had made before.
func TestIssuerAttachRunning(t *testing.T) {
	needRecorder(t)
	bin := proctest.BuildC(t, "trim")
	cmd := exec.Command(bin, "3", "wait")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// Blocked in its read: every mapping of its start-up is made.
	if err := waitBlocked(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	r, err := Attach(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	ev, st, err := r.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if st.NoSites != "" {
		t.Skipf("no issuing sites here: %s", st.NoSites)
	}
	is := Tally(ev, nil, cmd.Process.Pid).Whole().IssuedBy("madvise:MADV_DONTNEED")
	if is == nil || !isLibc(is.Object) || is.Function != "madvise" || !isLibc(is.CallerObject) || is.Per != 3 {
		t.Errorf("MADV_DONTNEED issued by %+v, want 3 from inside libc", is)
	}
}

// waitBlocked waits until pid sleeps in a read of its stdin.
func waitBlocked(pid int) error {
	for range 500 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", pid))
		if err != nil {
			return err
		}
		if w := string(b); strings.Contains(w, "pipe_read") || strings.Contains(w, "wait") {
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("pid %d never blocked in its read", pid)
}
