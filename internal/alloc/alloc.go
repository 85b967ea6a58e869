// Package alloc is the catalog of configurations faultline runs every
// candidate under to prove a cause: glibc malloc with its defaults (the
// baseline), glibc tunables, and the other allocators installed here.
//
// Facts the catalog respects (docs/configs.md): setting any one of glibc's
// trim_threshold, top_pad, mmap_threshold or mmap_max turns its dynamic
// mmap threshold off, so glibc-tuned always sets mmap_threshold and
// trim_threshold together; jemalloc purges blocks of its 8 MiB class
// eagerly unless decay is disabled; mimalloc 2.0 unmaps blocks above
// 16 MiB; glibc's dynamic threshold stops rising at 32 MiB, so blocks above
// it are mapped by default, but a fixed mmap_threshold set through
// GLIBC_TUNABLES may be larger (glibc 2.36 accepts it; TestTunedKeepsBigBlocks).
package alloc

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// Library is an allocator that can be preloaded.
type Library struct {
	Name    string   // config name
	Files   []string // shared object names, preferred first
	Package string   // Debian package that installs it
}

// Libraries are the allocators faultline knows.
var Libraries = []Library{
	{Name: "tcmalloc", Files: []string{"libtcmalloc_minimal.so.4", "libtcmalloc.so.4"}, Package: "libgoogle-perftools4"},
	{Name: "mimalloc", Files: []string{"libmimalloc.so.2", "libmimalloc.so.2.0"}, Package: "libmimalloc2.0"},
	{Name: "jemalloc", Files: []string{"libjemalloc.so.2"}, Package: "libjemalloc2"},
}

// searchDirs are the dynamic linker's usual directories; ldconfig's cache
// is consulted first.
var searchDirs = []string{"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
	"/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/local/lib", "/usr/lib", "/lib"}

// Find returns the path of lib's shared object, or "".
func Find(lib Library) string {
	cache := ldconfigCache()
	for _, f := range lib.Files {
		if p, ok := cache[f]; ok && Validate(p) == nil {
			return p
		}
		for _, d := range searchDirs {
			p := filepath.Join(d, f)
			if Validate(p) == nil {
				return p
			}
		}
	}
	return ""
}

func ldconfigCache() map[string]string {
	m := map[string]string{}
	out, err := exec.Command("ldconfig", "-p").Output()
	if err != nil {
		if out, err = exec.Command("/sbin/ldconfig", "-p").Output(); err != nil {
			return m
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		name, rest, ok := strings.Cut(line, " ")
		_, path, ok2 := strings.Cut(rest, "=> ")
		if ok && ok2 && strings.Contains(rest, machineTag()) {
			if _, seen := m[name]; !seen {
				m[name] = strings.TrimSpace(path)
			}
		}
	}
	return m
}

func machineTag() string {
	if runtime.GOARCH == "arm64" {
		return "AArch64"
	}
	return "x86-64"
}

// Validate checks that path is a loadable shared object for this machine,
// so a typo in --config LD_PRELOAD=... is refused with one clear line
// instead of a run where the loader silently ignores it.
func Validate(path string) error {
	// Stat first: opening a FIFO would block until a writer comes, and a
	// device or directory is no library whatever its contents.
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s is not a shared library: %w", path, pathErr(err))
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a shared library (not a regular file)", path)
	}
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s is not a shared library: %w", path, pathErr(err))
	}
	defer f.Close()
	if f.Type != elf.ET_DYN {
		return fmt.Errorf("%s is not a shared library (ELF type %s)", path, f.Type)
	}
	// A PIE executable is ET_DYN too: it has an interpreter and no soname.
	if soname, _ := f.DynString(elf.DT_SONAME); len(soname) == 0 {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				return fmt.Errorf("%s is a program, not a shared library", path)
			}
		}
	}
	want := elf.EM_X86_64
	if runtime.GOARCH == "arm64" {
		want = elf.EM_AARCH64
	}
	if f.Machine != want {
		return fmt.Errorf("%s is built for %s, not this machine", path, f.Machine)
	}
	return nil
}

// Options describe the target, so only applicable configs are offered.
type Options struct {
	Python bool // a Python target: pymalloc-off applies
	NumPy  bool // NumPy present: numpy-nohuge applies
	// LargestBlock and PeakHeap are the largest allocation and the peak
	// heap growth per iteration seen in the trace pass (0 when unknown).
	LargestBlock int64
	PeakHeap     int64
	// Threads is how many threads the target ran (from the trace pass):
	// glibc-arena-max applies to multi-threaded targets only.
	Threads int
	// NumPyHugeDefault is NumPy's default for NUMPY_MADVISE_HUGEPAGE on
	// this kernel (on from Linux 4.6): the experiment flips it.
	NumPyHugeDefault bool
}

const (
	mib = 1 << 20
	// glibc's dynamic mmap threshold stops rising here on 64-bit
	// machines (DEFAULT_MMAP_THRESHOLD_MAX); without observations
	// glibc-tuned starts from it.
	dynMmapMax = 32 * mib
)

// Tuned returns glibc-tuned's GLIBC_TUNABLES value and how it was chosen.
func Tuned(o Options) (string, string) {
	mmap, trim := int64(dynMmapMax), int64(256*mib)
	why := "no trace observations: mmap_threshold at glibc's 32 MiB dynamic maximum, trim_threshold 256 MiB"
	if o.LargestBlock > 0 {
		// Keep every observed block on the heap and never trim below
		// several times the peak heap growth. No 32 MiB cap: that limit
		// is the dynamic threshold's, and a block above it is exactly
		// what the fixed one must keep.
		mmap = max(roundMiB(o.LargestBlock*2), 4*mib)
		trim = max(roundMiB(o.PeakHeap*4), 64*mib, 2*mmap)
		why = fmt.Sprintf("largest block %d B, peak heap growth %d B per iteration: mmap_threshold %d, trim_threshold %d",
			o.LargestBlock, o.PeakHeap, mmap, trim)
	}
	return fmt.Sprintf("glibc.malloc.mmap_threshold=%d:glibc.malloc.trim_threshold=%d", mmap, trim), why
}

func roundMiB(n int64) int64 { return (n + mib - 1) / mib * mib }

// Catalog returns the applicable configurations, baseline first, then in
// the order that lets a verdict form early.
func Catalog(o Options) []result.Config {
	tuned, why := Tuned(o)
	pad := int64(64 * mib)
	if o.PeakHeap > 0 {
		pad = max(roundMiB(o.PeakHeap*2), 16*mib)
	}
	cfgs := []result.Config{
		{Name: result.DefaultConfig, Description: "glibc malloc with its default, dynamic thresholds", Env: map[string]string{}},
		{Name: "glibc-tuned", Description: "glibc with mmap and trim thresholds raised together", Env: map[string]string{"GLIBC_TUNABLES": tuned}, Derived: why},
	}
	add := func(name, desc string, env map[string]string) {
		cfgs = append(cfgs, result.Config{Name: name, Description: desc, Env: env})
	}
	found := map[string]string{}
	for _, l := range Libraries {
		found[l.Name] = Find(l)
	}
	if p := found["tcmalloc"]; p != "" {
		add("tcmalloc", "gperftools tcmalloc, preloaded", map[string]string{"LD_PRELOAD": p})
	}
	if p := found["mimalloc"]; p != "" {
		add("mimalloc", "mimalloc, preloaded", map[string]string{"LD_PRELOAD": p})
	}
	if p := found["jemalloc"]; p != "" {
		add("jemalloc", "jemalloc, preloaded", map[string]string{"LD_PRELOAD": p})
		add("jemalloc-nodecay", "jemalloc with page purging off", map[string]string{"LD_PRELOAD": p, "MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"})
	}
	add("glibc-hugetlb", "glibc asking for transparent huge pages on its heap", map[string]string{"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"})
	add("glibc-top-pad", "glibc keeping extra heap on every grow and trim", map[string]string{"GLIBC_TUNABLES": fmt.Sprintf("glibc.malloc.top_pad=%d", pad)})
	if o.Python {
		add("pymalloc-off", "CPython's small-object allocator off (PYTHONMALLOC=malloc)", map[string]string{"PYTHONMALLOC": "malloc"})
	}
	if o.Threads > 1 {
		cfgs = append(cfgs, ArenaMax())
	}
	if o.NumPy {
		if o.NumPyHugeDefault {
			add("numpy-nohuge", "NumPy without its MADV_HUGEPAGE advice", map[string]string{"NUMPY_MADVISE_HUGEPAGE": "0"})
		} else {
			add("numpy-hugepage", "NumPy advising huge pages for large arrays", map[string]string{"NUMPY_MADVISE_HUGEPAGE": "1"})
		}
	}
	return cfgs
}

// ArenaMax is glibc-arena-max: every thread allocates from the main
// arena, so per-thread arenas (mapped heaps trimmed with MADV_DONTNEED)
// are out of the picture. It only applies to multi-threaded targets.
func ArenaMax() result.Config {
	return result.Config{Name: "glibc-arena-max", Description: "glibc with one arena for all threads",
		Env: map[string]string{"GLIBC_TUNABLES": "glibc.malloc.arena_max=1"}}
}

// NumPyHugeDefault reports NumPy's default for NUMPY_MADVISE_HUGEPAGE
// given a kernel release ("6.1.0-18-amd64"): NumPy turns the advice off on
// kernels older than 4.6, where it was slow.
func NumPyHugeDefault(release string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		return true
	}
	return major > 4 || (major == 4 && minor >= 6)
}

// pathErr drops an *os.PathError's repetition of the path; other errors
// (elf's "bad magic number") are kept whole.
func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Missing lists the known allocators not installed, with the apt-get line.
func Missing() (names []string, aptLine string) {
	var pkgs []string
	for _, l := range Libraries {
		if Find(l) == "" {
			names = append(names, l.Name)
			pkgs = append(pkgs, l.Package)
		}
	}
	if len(pkgs) > 0 {
		aptLine = "apt-get install " + strings.Join(pkgs, " ")
	}
	return names, aptLine
}

// ParseUser parses a user-defined configuration "NAME:VAR=VALUE[,VAR=VALUE...]".
// An LD_PRELOAD value must be a loadable shared object.
func ParseUser(s string) (result.Config, error) {
	name, rest, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " ,=") {
		return result.Config{}, fmt.Errorf("--config %q: want NAME:VAR=VALUE[,VAR=VALUE...]", s)
	}
	cfg := result.Config{Name: name, Description: "user-defined", Env: map[string]string{}}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return result.Config{}, fmt.Errorf("--config %q: %q is not VAR=VALUE", s, kv)
		}
		cfg.Env[k] = v
	}
	if p, ok := cfg.Env["LD_PRELOAD"]; ok {
		for _, f := range strings.FieldsFunc(p, func(r rune) bool { return r == ':' || r == ' ' }) {
			if err := Validate(f); err != nil {
				return result.Config{}, fmt.Errorf("--config %s: %w", name, err)
			}
		}
	}
	return cfg, nil
}

// Select picks configurations by comma-separated names ("all" for every
// one) and appends user-defined ones. The baseline always comes first.
func Select(catalog []result.Config, names string, user []string) ([]result.Config, error) {
	var out []result.Config
	if names == "" || names == "all" {
		out = slices.Clone(catalog)
	} else {
		out = []result.Config{catalog[0]}
		for _, n := range strings.Split(names, ",") {
			n = strings.TrimSpace(n)
			if n == "" || n == catalog[0].Name {
				continue
			}
			i := slices.IndexFunc(catalog, func(c result.Config) bool { return c.Name == n })
			if i < 0 {
				return nil, unknown(catalog, n)
			}
			out = append(out, catalog[i])
		}
	}
	for _, u := range user {
		c, err := ParseUser(u)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(x result.Config) bool { return x.Name == c.Name }) {
			return nil, fmt.Errorf("--config %s: a configuration of that name exists", c.Name)
		}
		out = append(out, c)
	}
	return out, nil
}

func unknown(catalog []result.Config, n string) error {
	for _, l := range Libraries {
		if strings.HasPrefix(n, l.Name) {
			return fmt.Errorf("configuration %q needs %s, which is not installed: apt-get install %s", n, l.Name, l.Package)
		}
	}
	var names []string
	for _, c := range catalog {
		names = append(names, c.Name)
	}
	return fmt.Errorf("unknown configuration %q (available here: %s)", n, strings.Join(names, ", "))
}

// Apply returns base with cfg's variables merged in: LD_PRELOAD is
// prepended to an existing value, GLIBC_TUNABLES merged key by key (cfg
// wins), MALLOC_CONF appended, anything else replaced.
func Apply(base []string, cfg result.Config) []string {
	if base == nil {
		base = os.Environ()
	}
	env := slices.Clone(base)
	keys := make([]string, 0, len(cfg.Env))
	for k := range cfg.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := cfg.Env[k]
		i := slices.IndexFunc(env, func(kv string) bool { return strings.HasPrefix(kv, k+"=") })
		if i < 0 {
			env = append(env, k+"="+v)
			continue
		}
		old := env[i][len(k)+1:]
		switch k {
		case "LD_PRELOAD":
			if old != "" {
				v = v + ":" + old
			}
		case "GLIBC_TUNABLES":
			v = mergeTunables(old, v)
		case "MALLOC_CONF":
			if old != "" {
				v = old + "," + v
			}
		}
		env[i] = k + "=" + v
	}
	return env
}

func mergeTunables(old, add string) string {
	var order []string
	vals := map[string]string{}
	for _, s := range []string{old, add} {
		for _, kv := range strings.Split(s, ":") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			if _, ok := vals[k]; !ok {
				order = append(order, k)
			}
			vals[k] = v
		}
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = k + "=" + vals[k]
	}
	return strings.Join(parts, ":")
}
