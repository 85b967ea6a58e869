package alloc

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/testenv"
)

// need returns the path of an installed allocator; test.sh installs all
// three, so a missing one fails.
func need(t *testing.T, name string) string {
	t.Helper()
	l, _ := library(name)
	p := Find(l)
	if p == "" {
		t.Fatalf("%s not installed: apt-get install %s (test.sh does)", name, l.Package)
	}
	return p
}

// sharedObject compiles C source into a shared library.
func sharedObject(t *testing.T, name, src string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		testenv.Missing(t, "gcc not installed: apt-get install gcc (CI has it)")
	}
	dir := t.TempDir()
	c := filepath.Join(dir, name+".c")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	so := filepath.Join(dir, name)
	if out, err := exec.Command("gcc", "-O2", "-shared", "-fPIC", "-o", so, c).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return so
}

const (
	// noAllocSrc is a preloadable library that is no allocator.
	noAllocSrc = `int faultline_hook(void) { return 1; }`
	// ownMallocSrc is an allocator faultline does not know by name: it
	// defines malloc (forwarding to glibc's).
	ownMallocSrc = `#include <stddef.h>
extern void *__libc_malloc(size_t);
void *malloc(size_t n) { return __libc_malloc(n); }`
)

func TestParse(t *testing.T) {
	s := Parse(map[string]string{
		VarPreload:        "/x/libhook.so:/usr/lib/libjemalloc.so.2",
		VarTunables:       "glibc.malloc.trim_threshold=5:glibc.cpu.hwcaps=-AVX2",
		"MALLOC_TOP_PAD_": "7",
		VarMallocConf:     "narenas:1, dirty_decay_ms:-1",
		"FOO":             "bar",
	})
	if s.Allocator != Jemalloc || s.Preload != "/x/libhook.so:/usr/lib/libjemalloc.so.2" {
		t.Errorf("allocator %q from %q: the library known by name wins", s.Allocator, s.Preload)
	}
	if want := map[string]string{TunableTrimThreshold: "5", "glibc.cpu.hwcaps": "-AVX2", TunableTopPad: "7"}; !maps.Equal(s.Tunables, want) {
		t.Errorf("tunables %v, want %v", s.Tunables, want)
	}
	if want := map[string]string{"narenas": "1", "dirty_decay_ms": "-1"}; !maps.Equal(s.Conf, want) || s.Other["FOO"] != "bar" {
		t.Errorf("conf %v, other %v", s.Conf, s.Other)
	}
	for preload, want := range map[string]string{"": Glibc, "libtcmalloc_minimal.so.4": Tcmalloc, "/opt/lib/libscudo.so.1": "scudo",
		"/usr/lib/x86_64-linux-gnu/libmimalloc.so.2": Mimalloc} {
		if got := Parse(map[string]string{VarPreload: preload}).Allocator; got != want {
			t.Errorf("Parse(LD_PRELOAD=%q).Allocator = %q, want %q", preload, got, want)
		}
	}
}

func TestTunablesAndMallocConf(t *testing.T) {
	if got := MergeTunables("glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=5", "glibc.malloc.trim_threshold=9:glibc.malloc.top_pad=3"); got != "glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=9:glibc.malloc.top_pad=3" {
		t.Errorf("MergeTunables = %s", got)
	}
	if got := MergeTunables("", "glibc.malloc.hugetlb=1"); got != "glibc.malloc.hugetlb=1" {
		t.Errorf("MergeTunables onto nothing = %s", got)
	}
	if got := FormatTunables(ParseTunables("glibc.malloc.trim_threshold=2:glibc.malloc.mmap_threshold=1")); got != "glibc.malloc.mmap_threshold=1:glibc.malloc.trim_threshold=2" {
		t.Errorf("FormatTunables = %s", got)
	}
	if got := MergeMallocConf("narenas:1,dirty_decay_ms:5", "dirty_decay_ms:-1,muzzy_decay_ms:-1"); got != "narenas:1,dirty_decay_ms:-1,muzzy_decay_ms:-1" {
		t.Errorf("MergeMallocConf = %s", got)
	}
	if got := FormatMallocConf(ParseMallocConf("muzzy_decay_ms:-1,dirty_decay_ms:-1")); got != "dirty_decay_ms:-1,muzzy_decay_ms:-1" {
		t.Errorf("FormatMallocConf = %s", got)
	}
	if !Equivalent(map[string]string{VarTunables: "glibc.malloc.top_pad=1:glibc.malloc.hugetlb=1"}, map[string]string{"MALLOC_TOP_PAD_": "1", VarTunables: "glibc.malloc.hugetlb=1"}) {
		t.Error("a legacy MALLOC_TOP_PAD_ is top_pad")
	}
	if Equivalent(map[string]string{}, map[string]string{VarPythonMalloc: "malloc"}) {
		t.Error("PYTHONMALLOC=malloc is a change")
	}
}

// TestApplyReplacesTheUsersAllocator: a configuration's allocation
// variables replace the user's, its allocator replaces the user's preloaded
// one (malloc is then served by it alone) and other preloaded libraries
// stay.
func TestApplyReplacesTheUsersAllocator(t *testing.T) {
	jem, tc := need(t, Jemalloc), need(t, Tcmalloc)
	hook := sharedObject(t, "libhook.so", noAllocSrc)
	user := []string{"PATH=/usr/bin:/bin", VarPreload + "=" + jem + ":" + hook, VarMallocConf + "=narenas:1", "TCMALLOC_AGGRESSIVE_DECOMMIT=1", "KEEP=1"}
	env := Apply(user, result.Config{Env: map[string]string{VarPreload: tc, "NEW": "x"}})
	want := []string{"PATH=/usr/bin:/bin", "KEEP=1", VarPreload + "=" + tc + ":" + hook, "NEW=x"}
	if !slices.Equal(env, want) {
		t.Errorf("Apply = %q\nwant    %q", env, want)
	}
	if got := whichMalloc(t, env); !strings.Contains(got, Tcmalloc) {
		t.Errorf("malloc served by %s, want tcmalloc", got)
	}
	// No allocator in the configuration: glibc, the hook kept.
	env = Apply(user, result.Config{Env: map[string]string{}})
	if want := []string{"PATH=/usr/bin:/bin", "KEEP=1", VarPreload + "=" + hook}; !slices.Equal(env, want) {
		t.Errorf("Apply(glibc) = %q\nwant    %q", env, want)
	}
	if got := whichMalloc(t, env); !strings.Contains(got, "libc.so") {
		t.Errorf("malloc served by %s, want glibc", got)
	}
	// The baseline gives back the user's environment.
	base := Baseline(user)
	env = Apply(user, base)
	if got := whichMalloc(t, env); !strings.Contains(got, Jemalloc) {
		t.Errorf("baseline: malloc served by %s, want jemalloc", got)
	}
	if !slices.Contains(env, VarMallocConf+"=narenas:1") || !slices.Contains(env, VarPreload+"="+jem+":"+hook) {
		t.Errorf("baseline environment %q lost the user's settings", env)
	}
}
