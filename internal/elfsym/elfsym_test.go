package elfsym

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/faultline/faultline/internal/proc/proctest"
)

// TestRoundTrip: a function's file offset falls in an executable segment
// and leads back to the same function, in libc (only .dynsym in Debian's
// build, versioned names) and in a PIE program (.symtab, local
// functions); a stripped copy of the program keeps its offsets but names
// none of its local functions.
func TestRoundTrip(t *testing.T) {
	libcs, _ := filepath.Glob("/usr/lib/*-linux-gnu/libc.so.6")
	if len(libcs) == 0 {
		t.Fatal("no libc.so.6 under /usr/lib/*-linux-gnu")
	}
	bin := proctest.BuildC(t, "buffers")
	stripped := filepath.Join(t.TempDir(), "buffers-stripped")
	if out, err := exec.Command("strip", "-o", stripped, bin).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v %s", err, out)
	}
	for _, tc := range []struct {
		path, fn string
	}{{libcs[0], "malloc"}, {libcs[0], "free"}, {libcs[0], "mallopt"}, {bin, "make_buffers"}, {bin, "small_work"}} {
		f, err := Open(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		off, ok := f.Offset(tc.fn)
		if !ok {
			t.Errorf("%s: no %s", tc.path, tc.fn)
			continue
		}
		if !executable(t, tc.path, off) {
			t.Errorf("%s: %s at file offset %#x, outside any executable segment", tc.path, tc.fn, off)
		}
		if got := f.FuncAt(off + 1); got != tc.fn {
			t.Errorf("%s: FuncAt(%#x) = %q, want %s", tc.path, off+1, got, tc.fn)
		}
	}
	f, err := Open(stripped)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := Open(bin)
	off, _ := full.Offset("make_buffers")
	if !f.Stripped || f.Defines("make_buffers") || f.FuncAt(off+1) != "" {
		t.Errorf("stripped copy: Stripped=%v, defines make_buffers %v, FuncAt %q; want stripped, no name", f.Stripped, f.Defines("make_buffers"), f.FuncAt(off+1))
	}
	if Base("malloc@@GLIBC_2.2.5") != "malloc" || Base("memcpy@GLIBC_2.2.5") != "memcpy" || Base("free") != "free" {
		t.Error("Base does not drop symbol versions")
	}
}

func executable(t *testing.T, path string, off uint64) bool {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && off >= p.Off && off < p.Off+p.Filesz {
			return true
		}
	}
	return false
}
