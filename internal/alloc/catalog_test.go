package alloc

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

func TestBaselineNamedForTheUsersAllocator(t *testing.T) {
	jem, tc, mi := need(t, Jemalloc), need(t, Tcmalloc), need(t, Mimalloc)
	hook := sharedObject(t, "libhook.so", noAllocSrc)
	own := sharedObject(t, "libownmalloc.so", ownMallocSrc)
	for _, c := range []struct {
		environ []string
		name    string
		env     map[string]string
	}{
		{[]string{"HOME=/root", "PATH=/bin"}, Glibc, map[string]string{}},
		{[]string{"LD_PRELOAD=" + jem}, Jemalloc, map[string]string{VarPreload: jem}},
		// A bare soname, as the loader finds it, and the user's settings.
		{[]string{"LD_PRELOAD=libjemalloc.so.2", "MALLOC_CONF=narenas:1", "HOME=/root"}, Jemalloc,
			map[string]string{VarPreload: "libjemalloc.so.2", VarMallocConf: "narenas:1"}},
		{[]string{"LD_PRELOAD=" + tc, "TCMALLOC_RELEASE_RATE=10"}, Tcmalloc, map[string]string{VarPreload: tc, "TCMALLOC_RELEASE_RATE": "10"}},
		{[]string{"LD_PRELOAD=" + hook + " " + mi, "MIMALLOC_PURGE_DELAY=0"}, Mimalloc, map[string]string{VarPreload: mi, "MIMALLOC_PURGE_DELAY": "0"}},
		// A preloaded library that is no allocator does not change the
		// allocator; one that defines malloc is named by its file.
		{[]string{"LD_PRELOAD=" + hook}, Glibc, map[string]string{}},
		{[]string{"LD_PRELOAD=" + own}, "ownmalloc", map[string]string{VarPreload: own}},
		{[]string{"GLIBC_TUNABLES=glibc.malloc.trim_threshold=1", "MALLOC_ARENA_MAX=2"}, Glibc,
			map[string]string{VarTunables: "glibc.malloc.trim_threshold=1", "MALLOC_ARENA_MAX": "2"}},
	} {
		b := Baseline(c.environ)
		if b.Name != c.name || !maps.Equal(b.Env, c.env) {
			t.Errorf("Baseline(%q) = %s %v, want %s %v", c.environ, b.Name, b.Env, c.name, c.env)
		}
		if len(c.env) > 0 && !strings.HasPrefix(b.Description, "your environment: ") {
			t.Errorf("Baseline(%q) described %q", c.environ, b.Description)
		}
		if got := Parse(b.Env).Allocator; got != b.Name {
			t.Errorf("Baseline(%q) is named %s but reads back as %s", c.environ, b.Name, got)
		}
	}
}

func names(cfgs []result.Config) []string {
	var n []string
	for _, c := range cfgs {
		n = append(n, c.Name)
	}
	return n
}

func byName(t *testing.T, cfgs []result.Config, name string) result.Config {
	t.Helper()
	i := slices.IndexFunc(cfgs, func(c result.Config) bool { return c.Name == name })
	if i < 0 {
		t.Fatalf("no %s in %v", name, names(cfgs))
	}
	return cfgs[i]
}

// TestCatalogOnAPreloadedJemalloc: with the user's jemalloc as the
// baseline, the experiments replace it (never stack a second allocator),
// jemalloc itself is not run twice, jemalloc-nodecay keeps the user's
// options, and glibc's tunables are skipped with the reason.
func TestCatalogOnAPreloadedJemalloc(t *testing.T) {
	jem, tc := need(t, Jemalloc), need(t, Tcmalloc)
	user := []string{"PATH=/usr/bin:/bin", "LD_PRELOAD=" + jem, "MALLOC_CONF=narenas:1"}
	base := Baseline(user)
	cat := Catalog(Options{Base: base, Python: true, Threads: 2})
	if n := names(cat); n[0] != Jemalloc || n[1] != JemallocNoDecay || n[2] != Glibc {
		t.Fatalf("catalog %v: want the jemalloc baseline, jemalloc-nodecay, then glibc", n)
	}
	for _, c := range cat[1:] {
		if Equivalent(c.Env, base.Env) {
			t.Errorf("%s runs the baseline again: %v", c.Name, c.Env)
		}
	}
	// The user's jemalloc without the user's options is an experiment of
	// its own; without options it would be the baseline.
	if d := byName(t, cat, Jemalloc+defaultsSuffix); !maps.Equal(d.Env, map[string]string{VarPreload: jem}) {
		t.Errorf("jemalloc-defaults env %v", d.Env)
	}
	if n := names(Catalog(Options{Base: Baseline([]string{"LD_PRELOAD=" + jem})})); slices.Contains(n, Jemalloc+defaultsSuffix) || slices.Index(n, Jemalloc) != 0 {
		t.Errorf("jemalloc runs twice: %v", n)
	}
	if g := byName(t, cat, Glibc); len(g.Env) != 0 || g.Status != "" {
		t.Errorf("glibc = %+v, want no allocation variable", g)
	}
	if c := byName(t, cat, Tcmalloc); !maps.Equal(c.Env, map[string]string{VarPreload: tc}) {
		t.Errorf("tcmalloc env %v: the user's jemalloc and its MALLOC_CONF must go", c.Env)
	}
	nd := byName(t, cat, JemallocNoDecay)
	if want := map[string]string{VarPreload: jem, VarMallocConf: "dirty_decay_ms:-1,muzzy_decay_ms:-1,narenas:1"}; !maps.Equal(nd.Env, want) {
		t.Errorf("jemalloc-nodecay env %v, want %v", nd.Env, want)
	}
	if k, _ := Keep(base); !Equivalent(k.Env, nd.Env) || k.Name != nd.Name {
		t.Errorf("the diagnosis's Keep(baseline) = %s %v, the matrix's %s %v", k.Name, k.Env, nd.Name, nd.Env)
	}
	if p := byName(t, cat, PymallocOff); p.Env[VarPreload] != jem || p.Env[VarPythonMalloc] != "malloc" {
		t.Errorf("pymalloc-off env %v: it runs under the user's jemalloc", p.Env)
	}
	for _, n := range []string{GlibcTuned, GlibcHugeTLB, GlibcTopPad, GlibcArenaMax} {
		c := byName(t, cat, n)
		if c.Status != result.StatusSkipped || !strings.Contains(c.Reason, "glibc malloc is not in use") || !strings.Contains(c.Reason, Jemalloc) {
			t.Errorf("%s: status %q reason %q, want skipped: glibc malloc is not in use", n, c.Status, c.Reason)
		}
	}
	if n := names(Runnable(cat)); slices.Contains(n, GlibcTuned) || !slices.Contains(n, Tcmalloc) {
		t.Errorf("Runnable = %v", n)
	}
	// What runs: no configuration stacks two allocators.
	for _, c := range Runnable(cat) {
		env := Apply(user, c)
		i := slices.IndexFunc(env, func(kv string) bool { return strings.HasPrefix(kv, VarPreload+"=") })
		n := 0
		if i >= 0 {
			for _, l := range preloadEntries(env[i][len(VarPreload)+1:]) {
				if identify(l) != "" {
					n++
				}
			}
		}
		if n > 1 {
			t.Errorf("%s runs with %s: two allocators", c.Name, env[i])
		}
	}
	if got := whichMalloc(t, Apply(user, byName(t, cat, Glibc))); !strings.Contains(got, "libc.so") {
		t.Errorf("glibc experiment: malloc served by %s", got)
	}
}

// TestCatalogOnTheUsersSettings: an experiment equal to the baseline is
// left out, and the baseline's own allocator with its defaults is named
// apart from it.
func TestCatalogOnTheUsersSettings(t *testing.T) {
	base := Baseline([]string{"GLIBC_TUNABLES=glibc.malloc.hugetlb=1"})
	n := names(Catalog(Options{Base: base}))
	if n[0] != Glibc || slices.Contains(n, GlibcHugeTLB) || !slices.Contains(n, Glibc+defaultsSuffix) {
		t.Errorf("catalog on glibc.malloc.hugetlb=1: %v, want no glibc-hugetlb and a glibc-defaults", n)
	}
	if g := byName(t, Catalog(Options{Base: base}), GlibcTuned); g.Env[VarTunables] != "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456" {
		t.Errorf("glibc-tuned on the user's tunables: %v", g.Env)
	}
	tc := need(t, Tcmalloc)
	user := []string{"LD_PRELOAD=" + tc, "TCMALLOC_AGGRESSIVE_DECOMMIT=1"}
	cat := Catalog(Options{Base: Baseline(user)})
	d := byName(t, cat, Tcmalloc+defaultsSuffix)
	if !maps.Equal(d.Env, map[string]string{VarPreload: tc}) {
		t.Errorf("tcmalloc-defaults env %v", d.Env)
	}
	if env := Apply(user, d); slices.Contains(env, "TCMALLOC_AGGRESSIVE_DECOMMIT=1") {
		t.Errorf("tcmalloc-defaults still runs with the user's setting: %q", env)
	}
	if k, ok := Keep(cat[0]); !ok || k.Name != TcmallocNoRelease || !maps.Equal(k.Env, map[string]string{VarPreload: tc, "TCMALLOC_RELEASE_RATE": "0"}) {
		t.Errorf("Keep(tcmalloc) = %+v", k)
	} else if !maps.Equal(cat[1].Env, k.Env) || cat[1].Name != TcmallocNoRelease {
		t.Errorf("the catalog on tcmalloc starts %v: want tcmalloc-norelease second", names(cat))
	}
	// Without anything preloaded the glibc experiment is the baseline.
	if n := names(Catalog(Options{})); slices.Contains(n[1:], Glibc) || slices.Contains(n, Glibc+defaultsSuffix) {
		t.Errorf("glibc runs twice: %v", n)
	}
}

func TestTopPadAndRetune(t *testing.T) {
	if c := TopPad(Options{}); c.Env[VarTunables] != "glibc.malloc.top_pad=67108864" {
		t.Errorf("TopPad without observations: %v", c.Env)
	}
	if c := TopPad(Options{PeakHeap: 15998976}); c.Env[VarTunables] != "glibc.malloc.top_pad=32505856" || !strings.Contains(c.Derived, "15998976") {
		t.Errorf("TopPad = %v (%s)", c.Env, c.Derived)
	}
	// A small peak gets a small pad: no floor above four times it.
	if c := TopPad(Options{PeakHeap: 1 << 20}); c.Env[VarTunables] != "glibc.malloc.top_pad=2097152" {
		t.Errorf("TopPad of a 1 MiB peak: %v", c.Env)
	}
	res := result.New(result.KindRun, "test", nil)
	res.Configs = []result.Config{glibcDefaults()}
	res.Results = []result.Run{{Candidate: "A", Config: Glibc, PerIteration: result.PerIteration{Syscalls: &result.Syscalls{
		Threads: 4, BrkGrowBytes: 90 << 20, PeakBytes: 13 << 20, Sizes: []result.SizeCount{{Call: "mmap", Bytes: 12 << 20, Per: 1}, {Call: "brk+", Bytes: 1 << 20, Per: 9}}}}},
		{Candidate: "A", Config: "other", PerIteration: result.PerIteration{Syscalls: &result.Syscalls{Sizes: []result.SizeCount{{Call: "mmap", Bytes: 1 << 30, Per: 1}}}}}}
	o := Observe(Options{}, res)
	if o.Threads != 4 || o.LargestBlock != 12<<20 || o.PeakHeap != 13<<20 {
		t.Fatalf("Observe = %+v: want the baseline's trace only, its peak, not its volume", o)
	}
	cfgs, err := Select(Catalog(Options{}), GlibcTuned+","+GlibcTopPad, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfgs = Retune(cfgs, o, true)
	if n := names(cfgs); !slices.Equal(n, []string{Glibc, GlibcTuned, GlibcTopPad, GlibcArenaMax}) {
		t.Errorf("Retune = %v", n)
	}
	if v := cfgs[1].Env[VarTunables]; v != Tuned(o).Env[VarTunables] || !strings.Contains(v, "mmap_threshold=14680064") {
		t.Errorf("retuned glibc-tuned %s", v)
	}
	if v := cfgs[2].Env[VarTunables]; v != "glibc.malloc.top_pad=27262976" {
		t.Errorf("retuned glibc-top-pad %s", v)
	}
}

// TestUserConfigBuiltOnTheBaseline: a --config runs on the user's
// environment; its glibc tunables alone under jemalloc are skipped.
func TestUserConfigBuiltOnTheBaseline(t *testing.T) {
	jem := need(t, Jemalloc)
	hook := sharedObject(t, "libhook.so", noAllocSrc)
	cat := Catalog(Options{Base: Baseline([]string{"LD_PRELOAD=" + jem})})
	got, err := Select(cat, Jemalloc, []string{"trim:GLIBC_TUNABLES=glibc.malloc.trim_threshold=1", "hook:LD_PRELOAD=" + hook, "py:PYTHONMALLOC=malloc"})
	if err != nil {
		t.Fatal(err)
	}
	if n := names(got); !slices.Equal(n, []string{Jemalloc, "trim", "hook", "py"}) {
		t.Fatalf("Select = %v", n)
	}
	if got[1].Status != result.StatusSkipped {
		t.Errorf("glibc tunables under jemalloc: %+v", got[1])
	}
	if got[2].Env[VarPreload] != hook+":"+jem || Parse(got[2].Env).Allocator != Jemalloc {
		t.Errorf("a preloaded hook keeps the user's jemalloc: %v", got[2].Env)
	}
	if !maps.Equal(got[3].Env, map[string]string{VarPreload: jem, VarPythonMalloc: "malloc"}) {
		t.Errorf("py env %v", got[3].Env)
	}
}
