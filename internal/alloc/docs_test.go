package alloc

import (
	"flag"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

var update = flag.Bool("update", false, "rewrite the catalog table of docs/configs.md from the catalog")

const configsDoc = "../../docs/configs.md"

// tableMarker precedes the generated table in docs/configs.md.
const tableMarker = "<!-- generated from internal/alloc: go test ./internal/alloc -run TestConfigsDoc -update -->"

// docRow is one configuration of the table: cfg is built by the
// constructor the catalog uses, so names and fixed values cannot drift;
// env overrides the rendering of derived values.
type docRow struct {
	cfg              result.Config
	env, when, tests string
}

func docRows() []docRow {
	lib := func(name string) string { l, _ := library(name); return l.Files[0] }
	keep := func(name string) result.Config { k, _ := Keep(Preload(name, lib(name))); return k }
	return []docRow{
		{Preload(Glibc, ""), "no allocator preloaded", "the baseline preloads an allocator (otherwise glibc is the baseline)", "glibc malloc in place of your allocator"},
		{Tuned(Options{}), "`GLIBC_TUNABLES=glibc.malloc.mmap_threshold=M:glibc.malloc.trim_threshold=T`", "glibc's malloc is the baseline's", "glibc keeping large blocks in the heap and its top between iterations"},
		{Preload(Tcmalloc, lib(Tcmalloc)), "", "libgoogle-perftools4 installed", "an allocator that returns freed spans only gradually"},
		{Preload(Mimalloc, lib(Mimalloc)), "", "libmimalloc2.0 installed", "decommit after a delay; unmaps blocks above 16 MiB"},
		{Preload(Jemalloc, lib(Jemalloc)), "", "libjemalloc2 installed", "eager purge of large extents (its cliff: 8 MiB-class blocks)"},
		{keep(Jemalloc), "", "libjemalloc2 installed (right after the baseline when that is jemalloc)", "jemalloc with purging off"},
		{HugeTLB(), "", "glibc's malloc is the baseline's", "glibc advising transparent huge pages for its heap: the cycle stays, the faults shrink up to 512x"},
		{TopPad(Options{}), "`GLIBC_TUNABLES=glibc.malloc.top_pad=P`", "glibc's malloc is the baseline's", "glibc keeping P bytes of padding on every grow and trim"},
		{NoPymalloc(), "", "Python targets (`timeit`)", "CPython's own small-object arenas (1 MiB, unmapped when empty)"},
		{ArenaMax(), "", "glibc's malloc is the baseline's, and the trace pass saw more than one thread (it then runs last); selectable by name any time", "per-thread arenas (mapped heaps trimmed with `MADV_DONTNEED`) out of the picture"},
		{NumPyAdvice(true), "", "NumPy present, kernel 4.6 or newer", "NumPy without its `MADV_HUGEPAGE` advice on large arrays"},
		{NumPyAdvice(false), "", "NumPy present, kernel older than 4.6 (where NumPy's default is off)", "the same switch the other way"},
		{keep(Tcmalloc), "", "the baseline is tcmalloc (it then runs right after it); proposed by the diagnosis too", "tcmalloc never returning freed spans (`TCMALLOC_AGGRESSIVE_DECOMMIT` dropped)"},
		{keep(Mimalloc), "", "the baseline is mimalloc (it then runs right after it); proposed by the diagnosis too", "mimalloc keeping freed pages (`PURGE_DELAY` from 2.1, `DECOMMIT_DELAY` in 2.0)"},
	}
}

// renderEnv writes a configuration's variables for the table: a preloaded
// library by its file name, which is all that does not vary by machine.
func renderEnv(env map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if k == VarPreload {
			parts = append(parts, "`"+VarPreload+"=` "+path.Base(v))
			continue
		}
		parts = append(parts, "`"+k+"="+v+"`")
	}
	return strings.Join(parts, ", ")
}

func catalogTable() string {
	var b strings.Builder
	b.WriteString("| name | environment | applies when | what it tests |\n|---|---|---|---|\n")
	b.WriteString("| the baseline: `" + Glibc + "`, or the allocator `" + VarPreload + "` loads (`" + Jemalloc + "`, ...) | your environment's allocation variables (`" +
		VarPreload + "`'s allocators, `" + VarTunables + "`, `" + VarMallocConf + "`, `TCMALLOC_*`, `MIMALLOC_*`, ...) | always, first | your situation |\n")
	for _, r := range docRows() {
		env := r.env
		if env == "" {
			env = renderEnv(r.cfg.Env)
		}
		b.WriteString("| `" + r.cfg.Name + "` | " + env + " | " + r.when + " | " + r.tests + " |\n")
	}
	b.WriteString("| `ALLOCATOR" + defaultsSuffix + "` | the baseline's allocator without your settings for it | the baseline configures its allocator | your settings against the allocator's defaults |\n")
	return b.String()
}

// TestConfigsDoc checks docs/configs.md's table against the catalog; with
// -update it rewrites the table.
func TestConfigsDoc(t *testing.T) {
	doc, err := os.ReadFile(configsDoc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.Index(text, tableMarker+"\n")
	if i < 0 {
		t.Fatalf("%s lacks the line %q before its table", configsDoc, tableMarker)
	}
	start := i + len(tableMarker) + 1
	end := start
	for end < len(text) && text[end] == '|' {
		end += strings.IndexByte(text[end:], '\n') + 1
	}
	want := catalogTable()
	if *update {
		if err := os.WriteFile(configsDoc, []byte(text[:start]+want+text[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := text[start:end]; got != want {
		t.Errorf("the table of %s differs from the catalog (go test ./internal/alloc -run TestConfigsDoc -update):\n%s", configsDoc, want)
	}
}

// TestDocRowsCoverTheCatalog: every name the catalog or Keep can give is
// in the table.
func TestDocRowsCoverTheCatalog(t *testing.T) {
	var documented []string
	for _, r := range docRows() {
		documented = append(documented, r.cfg.Name)
	}
	cats := [][]result.Config{
		Catalog(Options{Base: Preload(Tcmalloc, "libtcmalloc_minimal.so.4")}),
		Catalog(Options{Base: Preload(Mimalloc, "libmimalloc.so.2")}),
		Catalog(Options{Python: true, NumPy: true, Threads: 2, NumPyHugeDefault: true}),
		Catalog(Options{NumPy: true}),
		Catalog(Options{Base: Preload(Jemalloc, "libjemalloc.so.2")}),
	}
	for _, cat := range cats {
		for _, c := range cat[1:] {
			if !slices.Contains(documented, c.Name) && !strings.HasSuffix(c.Name, defaultsSuffix) {
				t.Errorf("%s is not in the table of %s", c.Name, configsDoc)
			}
		}
	}
	for _, n := range []string{TcmallocNoRelease, MimallocNoPurge, JemallocNoDecay} {
		if !slices.Contains(documented, n) {
			t.Errorf("%s is not in the table", n)
		}
	}
}
