package nativealloc

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/perftrace"
	"github.com/faultline/faultline/internal/proc/proctest"
	"github.com/faultline/faultline/internal/testenv"
	"github.com/faultline/faultline/internal/uprobe"
)

// record runs argv under plan's probes from its exec and tallies it.
func record(t *testing.T, argv, env []string) (*Plan, uprobe.Recording) {
	t.Helper()
	if err := uprobe.Available(); err != nil {
		testenv.Missing(t, "uprobes not usable here (CI runs as root, where they are): %v", err)
	}
	plan, err := NewPlan(Target{Argv: argv, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	held := perftrace.HoldArgv(argv)
	cmd := exec.Command(held[0], held[1:]...)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := perftrace.WaitStopped(context.Background(), cmd.Process.Pid, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	s, err := uprobe.Open(cmd.Process.Pid, plan.Probes, uprobe.Options{EnableOnExec: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	return plan, s.Stop()
}

// TestStrippedCallerIsNotGuessed: with the program's symbol table
// stripped, its 8 MiB allocations are still counted and attributed to the
// program's file, but named "stripped", not after the nearest exported
// symbol.
func TestStrippedCallerIsNotGuessed(t *testing.T) {
	bin := proctest.BuildC(t, "buffers")
	if out, err := exec.Command("strip", bin).CombinedOutput(); err != nil {
		testenv.Missing(t, "strip: %v %s (apt-get install binutils)", err, out)
	}
	plan, rec := record(t, []string{bin, "4", "two"}, os.Environ())
	a, _ := Tally(plan, rec, 1)
	if len(a.Large) != 1 {
		t.Fatalf("large allocations %+v, want one site", a.Large)
	}
	l := a.Large[0]
	if l.Bytes != 8<<20 || l.Per != 8 || l.Object != bin || !l.Stripped || l.Caller != "" {
		t.Errorf("large %+v, want 8 x 8 MiB from a stripped function of %s", l, bin)
	}
}

// TestBoundAllocator: each catalog function is probed in the object the
// dynamic linker binds it to: a preloaded tcmalloc or mimalloc serves
// malloc and free (and is named from its calls), while libc keeps what the
// allocator does not define.
func TestBoundAllocator(t *testing.T) {
	bin := proctest.BuildC(t, "buffers")
	for _, name := range []string{alloc.Tcmalloc, alloc.Mimalloc, alloc.Jemalloc} {
		t.Run(name, func(t *testing.T) {
			lib := alloc.FindNamed(name)
			if lib == "" {
				t.Fatalf("%s not installed (test.sh installs it)", name)
			}
			env := append(os.Environ(), "LD_PRELOAD="+lib)
			plan, rec := record(t, []string{bin, "3"}, env)
			real, _ := filepath.EvalSymlinks(lib)
			for i, s := range plan.sites {
				if (s.fn.name == "malloc" || s.fn.name == "free") && s.obj != real {
					t.Errorf("probe %d: %s placed in %s, want %s", i, s.fn.name, s.obj, real)
				}
			}
			a, notes := Tally(plan, rec, 1)
			if a.Allocator != name || a.Object != real {
				t.Errorf("allocator %q in %q, want %s in %s (notes %q)", a.Allocator, a.Object, name, real, notes)
			}
			var big float64
			for _, l := range a.Large {
				if l.Bytes == 8<<20 && l.Caller == "make_buffers" {
					big += l.Per
				}
			}
			if big != 3 {
				t.Errorf("8 MiB allocations from make_buffers: %v, want 3 (%+v)", big, a.Large)
			}
			if a.PeakLiveBytes < 8<<20 || a.PeakLiveBytes > 9<<20 {
				t.Errorf("peak live %v, want about 8 MiB", a.PeakLiveBytes)
			}
			if strings.Contains(strings.Join(notes, " "), "loaded after start") {
				t.Errorf("notes %q", notes)
			}
		})
	}
}

// TestCallerLines: in a program built with -g, the two 8 MiB mallocs of
// make_buffers are two sites, each with its call's line in buffers.c; the
// same program without -g has one site and no line (TestBoundAllocator,
// TestStrippedCallerIsNotGuessed).
func TestCallerLines(t *testing.T) {
	bin := proctest.BuildCWith(t, "buffers", "-g")
	plan, rec := record(t, []string{bin, "4", "two"}, os.Environ())
	a, _ := Tally(plan, rec, 1)
	want := map[int]bool{proctest.MarkedLine(t, "buffers", "a"): true, proctest.MarkedLine(t, "buffers", "b"): true}
	got := map[int]bool{}
	for _, l := range a.Large {
		if l.Bytes != 8<<20 {
			continue
		}
		if l.Per != 4 || l.Caller != "make_buffers" || l.Object != bin || filepath.Base(l.CallerFile) != "buffers.c" || !want[l.CallerLine] {
			t.Errorf("large %+v, want 4 x 8 MiB from make_buffers at buffers.c:%v", l, want)
		}
		got[l.CallerLine] = true
	}
	if len(got) != 2 {
		t.Errorf("8 MiB sites at lines %v, want %v (large %+v)", got, want, a.Large)
	}
}
