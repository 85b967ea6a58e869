package uprobe

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/elfsym"
	"github.com/faultline/faultline/internal/perftrace"
	"github.com/faultline/faultline/internal/proc/proctest"
)

func need(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("uprobes not usable here (the native allocation pass is then off): %v", err)
	}
}

// mappedLibc is the libc the held shell pid has mapped.
func mappedLibc(t *testing.T, pid int) string {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 6 && strings.Contains(fs[5], "/libc.so") {
			return fs[5]
		}
	}
	t.Fatal("the shell maps no libc")
	return ""
}

// TestHitsFromFirstCall: probes placed by path on a held shell, before
// its exec, catch the program's 8 MiB mallocs with their size, their
// returned pointers and a return address inside make_buffers; the
// shell's own calls before the exec are not recorded (enable_on_exec).
func TestHitsFromFirstCall(t *testing.T) {
	need(t)
	bin := proctest.BuildC(t, "buffers")
	held := perftrace.HoldArgv([]string{bin, "3", "two"})
	cmd := exec.Command(held[0], held[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	if err := perftrace.WaitStopped(context.Background(), pid, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	libc := mappedLibc(t, pid)
	lf, err := elfsym.Open(libc)
	if err != nil {
		t.Fatal(err)
	}
	mallocOff, ok1 := lf.Offset("malloc")
	freeOff, ok2 := lf.Offset("free")
	if !ok1 || !ok2 {
		t.Fatalf("%s: no malloc/free symbols", libc)
	}
	probes := []Probe{{Path: libc, Offset: mallocOff}, {Path: libc, Offset: mallocOff, Return: true}, {Path: libc, Offset: freeOff}}
	s, err := Open(pid, probes, Options{EnableOnExec: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(pid, syscall.SIGCONT)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	rec := s.Stop()
	var text *Mapping
	for i, m := range rec.Maps {
		if m.Path == bin {
			text = &rec.Maps[i]
		}
	}
	if text == nil {
		t.Fatalf("no mapping of %s reported: %+v", bin, rec.Maps)
	}
	bf, err := elfsym.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	big, bigRet, frees, fromMake := 0, 0, 0, 0
	for _, h := range rec.Hits {
		switch h.Probe {
		case 0:
			if h.Args[0] == 8<<20 {
				big++
				in := h.Caller >= text.Start && h.Caller < text.Start+text.Len
				if in && bf.FuncAt(h.Caller-text.Start+text.Pgoff) == "make_buffers" {
					fromMake++
				}
			}
		case 1:
			if h.Ret != 0 {
				bigRet++
			}
		case 2:
			frees++
		}
	}
	if big != 6 || fromMake != 6 {
		t.Errorf("8 MiB mallocs: %d, from make_buffers: %d; want 6 and 6 (3 iterations x 2)", big, fromMake)
	}
	if bigRet < big || frees < big {
		t.Errorf("%d malloc returns and %d frees for %d large mallocs", bigRet, frees, big)
	}
	execs := 0
	for _, tk := range rec.Tasks {
		if tk.Exec && int(tk.Pid) == pid {
			execs++
		}
	}
	if execs != 1 {
		t.Errorf("%d execs of pid %d recorded, want 1", execs, pid)
	}
	t.Logf("%d hits, %d mappings, %d tasks, lost %d", len(rec.Hits), len(rec.Maps), len(rec.Tasks), rec.Lost)
}
