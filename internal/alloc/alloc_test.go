package alloc

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/testenv"
)

// whichMalloc compiles a C program that prints which shared object serves
// malloc, and runs it under env.
func whichMalloc(t *testing.T, env []string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		testenv.Missing(t, "gcc not installed: apt-get install gcc (CI has it)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "which.c")
	os.WriteFile(src, []byte(`#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
int main(void) { Dl_info i; void *p = malloc(64); dladdr(dlsym(RTLD_DEFAULT, "malloc"), &i); printf("%s\n", i.dli_fname); free(p); return 0; }
`), 0o644)
	bin := filepath.Join(dir, "which")
	if out, err := exec.Command("gcc", "-O2", "-o", bin, src, "-ldl").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func TestCatalogPreloadsServeMalloc(t *testing.T) {
	cat := Catalog(Options{})
	if cat[0].Name != Glibc || len(cat[0].Env) != 0 || cat[1].Name != GlibcTuned {
		t.Fatalf("catalog starts %v", cat[:2])
	}
	if got := whichMalloc(t, Apply(nil, cat[0])); !strings.Contains(got, "libc.so") {
		t.Errorf("baseline malloc from %s", got)
	}
	seen := 0
	for _, l := range Libraries {
		i := slices.IndexFunc(cat, func(c result.Config) bool { return c.Name == l.Name })
		if i < 0 {
			t.Errorf("%s not in the catalog; install %s (test.sh does)", l.Name, l.Package)
			continue
		}
		seen++
		if got := whichMalloc(t, Apply(nil, cat[i])); !strings.Contains(got, l.Name) {
			t.Errorf("%s: malloc served by %s", l.Name, got)
		}
	}
	if seen == 0 {
		t.Fatal("no allocator found")
	}
}

// TestTunedDerivedFromObservations: the thresholds are the smallest that
// keep what the target holds: the mmap threshold just above the largest
// block, the trim threshold twice the peak held at once, within four
// times either, and never a volume.
func TestTunedDerivedFromObservations(t *testing.T) {
	c := Tuned(Options{LargestBlock: 8_000_016, PeakHeap: 16_000_032})
	v, why := c.Env[VarTunables], c.Derived
	if c.Name != GlibcTuned || v != "glibc.malloc.mmap_threshold=9437184:glibc.malloc.trim_threshold=32505856" || !strings.Contains(why, "8000016") {
		t.Errorf("Tuned = %q (%s)", v, why)
	}
	v = Tuned(Options{LargestBlock: 100 << 20, PeakHeap: 200 << 20}).Env[VarTunables]
	if !strings.Contains(v, "mmap_threshold=118489088") {
		t.Errorf("mmap_threshold for a 100 MiB block: %s, want 113 MiB (no 32 MiB cap)", v)
	}
	if !strings.Contains(v, "trim_threshold=419430400") {
		t.Errorf("trim_threshold: %s", v)
	}
	// No block seen, a small peak: glibc's 128 KiB default mmap
	// threshold, a trim threshold from the peak (not 256 MiB).
	if v := Tuned(Options{PeakHeap: 82850}).Env[VarTunables]; v != "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=196608" {
		t.Errorf("Tuned with a peak and no block: %s", v)
	}
	for _, o := range []Options{{LargestBlock: 300 << 10, PeakHeap: 310 << 10}, {LargestBlock: 5 << 20, PeakHeap: 5 << 20}, {LargestBlock: 1 << 30, PeakHeap: 3 << 30}} {
		ts := ParseTunables(Tuned(o).Env[VarTunables])
		mm, _ := strconv.ParseInt(ts[TunableMmapThreshold], 10, 64)
		tr, _ := strconv.ParseInt(ts[TunableTrimThreshold], 10, 64)
		if mm <= o.LargestBlock || mm > 4*o.LargestBlock || tr < 2*o.PeakHeap || tr > 4*o.PeakHeap {
			t.Errorf("Tuned(%+v) = mmap %d, trim %d: want just above the block and within 4x the peak", o, mm, tr)
		}
	}
}

func TestUserConfigAndValidation(t *testing.T) {
	c, err := ParseUser("big-trim:GLIBC_TUNABLES=glibc.malloc.trim_threshold=1,FOO=bar")
	if err != nil || c.Name != "big-trim" || c.Env["FOO"] != "bar" || c.Env["GLIBC_TUNABLES"] != "glibc.malloc.trim_threshold=1" {
		t.Fatalf("ParseUser = %+v, %v", c, err)
	}
	text := filepath.Join(t.TempDir(), "libfake.so")
	os.WriteFile(text, []byte("not a library\n"), 0o644)
	if _, err := ParseUser("fake:LD_PRELOAD=" + text); err == nil || !strings.Contains(err.Error(), "not a shared library") {
		t.Errorf("text file accepted as a library: %v", err)
	}
	if err := Validate("/bin/true"); err == nil {
		t.Error("an executable accepted as a shared library")
	}
	for _, bad := range []string{"noequals", ":A=1", "x:novalue"} {
		if _, err := ParseUser(bad); err == nil {
			t.Errorf("ParseUser(%q) accepted", bad)
		}
	}
}

func TestSelect(t *testing.T) {
	cat := Catalog(Options{Python: true})
	got, err := Select(cat, "glibc-tuned,pymalloc-off", []string{"mine:X=1"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "glibc,glibc-tuned,pymalloc-off,mine" {
		t.Errorf("Select = %v", names)
	}
	if _, err := Select(cat, "nosuch", nil); err == nil || !strings.Contains(err.Error(), "available here") {
		t.Errorf("unknown name: %v", err)
	}
}

// TestConditionalConfigs: glibc-arena-max only for threaded targets; the
// NumPy experiment flips whatever NumPy's default is on the kernel.
func TestConditionalConfigs(t *testing.T) {
	names := func(o Options) []string {
		var n []string
		for _, c := range Catalog(o) {
			n = append(n, c.Name)
		}
		return n
	}
	if n := names(Options{Threads: 1}); slices.Contains(n, "glibc-arena-max") {
		t.Errorf("single-threaded target offered glibc-arena-max: %v", n)
	}
	if n := names(Options{Threads: 9}); !slices.Contains(n, "glibc-arena-max") {
		t.Errorf("threaded target not offered glibc-arena-max: %v", n)
	}
	if n := names(Options{NumPy: true, NumPyHugeDefault: true}); !slices.Contains(n, "numpy-nohuge") || slices.Contains(n, "numpy-hugepage") {
		t.Errorf("modern kernel: %v", n)
	}
	if n := names(Options{NumPy: true}); !slices.Contains(n, "numpy-hugepage") || slices.Contains(n, "numpy-nohuge") {
		t.Errorf("old kernel: %v", n)
	}
	for rel, want := range map[string]bool{"6.18.44-fc": true, "4.6.0": true, "4.5.7": false, "3.10.0-1160.el7": false, "garbage": true} {
		if got := NumPyHugeDefault(rel); got != want {
			t.Errorf("NumPyHugeDefault(%q) = %v, want %v", rel, got, want)
		}
	}
}

// TestTunedKeepsBigBlocks runs a C program that mallocs, fills and frees
// a 48 MiB block 20 times: under the default glibc every block is mapped
// and faulted in again (12,288 faults each), under glibc-tuned derived
// from that block it stays in the heap after the first.
func TestTunedKeepsBigBlocks(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		testenv.Missing(t, "no gcc (test.sh installs it)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "big.c")
	prog := `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
	size_t n = 48u << 20; long s = 0;
	for (int i = 0; i < 20; i++) {
		char *p = malloc(n);
		memset(p, i, n);
		s += p[n / 2];
		__asm__ volatile("" :: "r"(p) : "memory"); /* keep the malloc */
		free(p);
	}
	printf("%ld\n", s);
	return 0;
}
`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "big")
	if out, err := exec.Command(cc, "-O2", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	faults := func(env []string) int64 {
		cmd := exec.Command(bin)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", bin, err, out)
		}
		return cmd.ProcessState.SysUsage().(*syscall.Rusage).Minflt
	}
	tuned := Tuned(Options{LargestBlock: 48 << 20, PeakHeap: 48 << 20}).Env[VarTunables]
	def := faults([]string{"PATH=/usr/bin:/bin"})
	kept := faults([]string{"PATH=/usr/bin:/bin", "GLIBC_TUNABLES=" + tuned})
	t.Logf("faults: default %d, %s %d", def, tuned, kept)
	const pages = 48 << 20 >> 12
	if def < 15*pages {
		t.Errorf("default glibc: %d faults for 20 blocks of %d pages, want every block mapped afresh", def, pages)
	}
	if kept > 3*pages {
		t.Errorf("glibc-tuned: %d faults, want the block kept in the heap after the first (about %d)", kept, pages)
	}
}
