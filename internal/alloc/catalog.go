package alloc

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// Options describe the target and its baseline, so only applicable
// configurations are offered and derived values fit what was observed.
type Options struct {
	// Base is the baseline every experiment is built on: Baseline of the
	// environment faultline was started in. Zero: glibc with its defaults.
	Base   result.Config
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

func (o Options) base() result.Config {
	if o.Base.Name == "" {
		return glibcDefaults()
	}
	return o.Base
}

const (
	mib = 1 << 20
	// GlibcDynMmapMax is where glibc's dynamic mmap threshold stops rising
	// on 64-bit machines (DEFAULT_MMAP_THRESHOLD_MAX): by default a larger
	// block is always mapped. Without observations glibc-tuned starts here.
	GlibcDynMmapMax = 32 * mib
	// GlibcHeapMax is the size of a glibc thread arena's heap on 64-bit
	// hosts (HEAP_MAX_SIZE, 2 x DEFAULT_MMAP_THRESHOLD_MAX): each is
	// reserved PROT_NONE, committed with mprotect as it grows, and
	// unmapped whole when heap_trim deletes it.
	GlibcHeapMax = 64 * mib
)

// defaultsSuffix names the experiment that runs the baseline's own
// allocator with its defaults, when the baseline configures it.
const defaultsSuffix = "-defaults"

// Tuned is glibc-tuned: fixed mmap and trim thresholds, raised together,
// derived from the observations in o. Derived says how.
//
// The values are the smallest that keep the memory the target uses: the
// mmap threshold just above the largest block, so every observed block
// comes from the heap, and the trim threshold twice the peak of memory
// held at once (and at least twice the largest block), so freeing it all
// leaves less at the heap top than a trim needs. Never the volumes, which
// add up over every iteration: what a setting costs in memory is what it
// keeps mapped.
func Tuned(o Options) result.Config {
	mmap, trim := int64(GlibcDynMmapMax), int64(256*mib)
	why := "no trace observations: mmap_threshold at glibc's 32 MiB dynamic maximum, trim_threshold 256 MiB"
	if o.LargestBlock > 0 || o.PeakHeap > 0 {
		// No 32 MiB cap: that limit is the dynamic threshold's, and a
		// block above it is exactly what the fixed one must keep. Never
		// below glibc's defaults: a lower threshold maps more, and trims
		// more.
		mmap = max(roundUp(o.LargestBlock+o.LargestBlock/8), glibcDefaultThreshold)
		trim = max(roundUp(2*max(o.PeakHeap, o.LargestBlock)), glibcDefaultThreshold)
		why = fmt.Sprintf("largest block %d B, peak %d B held at once: mmap_threshold %d (just above the block), trim_threshold %d (twice the peak)",
			o.LargestBlock, o.PeakHeap, mmap, trim)
	}
	return result.Config{Name: GlibcTuned,
		Description: "glibc with fixed, raised mmap and trim thresholds: large blocks stay in the heap and its top is kept between iterations",
		Env: map[string]string{VarTunables: FormatTunables(map[string]string{
			TunableMmapThreshold: fmt.Sprint(mmap), TunableTrimThreshold: fmt.Sprint(trim)})},
		Derived: why}
}

// TopPad is glibc-top-pad: glibc keeps padding at the top of its heap on
// every grow and trim, twice the observed peak of memory held at once: a
// grow adds the pad too, so the top a free leaves holds more than the
// peak, and a trim must keep all of it for the next iteration.
func TopPad(o Options) result.Config {
	pad := int64(64 * mib)
	why := "no trace observations: top_pad 64 MiB"
	if o.PeakHeap > 0 {
		pad = roundUp(2 * o.PeakHeap)
		why = fmt.Sprintf("peak %d B held at once: top_pad %d", o.PeakHeap, pad)
	}
	return result.Config{Name: GlibcTopPad,
		Description: "glibc keeps padding at the top of its heap, so a trim never returns the working memory",
		Env:         map[string]string{VarTunables: FormatTunables(map[string]string{TunableTopPad: fmt.Sprint(pad)})},
		Derived:     why}
}

// roundUp rounds a derived size up to a whole MiB, or to 64 KiB below
// 4 MiB, where a MiB would be a large share of it.
// glibcDefaultThreshold is glibc's default mmap and trim threshold
// (DEFAULT_MMAP_THRESHOLD_MIN, DEFAULT_TRIM_THRESHOLD): 128 KiB.
const glibcDefaultThreshold = 128 << 10

func roundUp(n int64) int64 {
	step := int64(mib)
	if n < 4*mib {
		step = 64 << 10
	}
	return (max(n, 1) + step - 1) / step * step
}

// HugeTLB is glibc-hugetlb: glibc advises transparent huge pages for its
// heap and large blocks.
func HugeTLB() result.Config {
	return result.Config{Name: GlibcHugeTLB, Description: "glibc advises transparent huge pages for its heap and large blocks",
		Env: map[string]string{VarTunables: FormatTunables(map[string]string{TunableHugeTLB: "1"})}}
}

// ArenaMax is glibc-arena-max: every thread allocates from the main
// arena, so per-thread arenas (mapped heaps trimmed with MADV_DONTNEED)
// are out of the picture. It only applies to multi-threaded targets.
func ArenaMax() result.Config {
	return result.Config{Name: GlibcArenaMax, Description: "glibc with one arena for all threads",
		Env: map[string]string{VarTunables: FormatTunables(map[string]string{TunableArenaMax: "1"})}}
}

// NoPymalloc is pymalloc-off: CPython takes small objects from malloc.
func NoPymalloc() result.Config {
	return result.Config{Name: PymallocOff, Description: "CPython without its small-object allocator: objects come from malloc",
		Env: map[string]string{VarPythonMalloc: "malloc"}}
}

// NumPyAdvice flips NumPy's MADV_HUGEPAGE advice for large arrays from its
// default on this kernel (NumPyHugeDefault): numpy-nohuge, or
// numpy-hugepage where the default is off.
func NumPyAdvice(hugeDefault bool) result.Config {
	if hugeDefault {
		return result.Config{Name: NumPyNoHuge, Description: "NumPy without its MADV_HUGEPAGE advice for arrays of 4 MiB or more",
			Env: map[string]string{VarNumPyHuge: "0"}}
	}
	return result.Config{Name: NumPyHugePage, Description: "NumPy advising huge pages for arrays of 4 MiB or more",
		Env: map[string]string{VarNumPyHuge: "1"}}
}

// Preload runs allocator with its defaults: lib preloaded, or for Glibc no
// allocator preloaded at all.
func Preload(allocator, lib string) result.Config {
	desc := map[string]string{
		Glibc:    "glibc malloc with its defaults, no allocator preloaded",
		Tcmalloc: "gperftools tcmalloc, preloaded",
		Mimalloc: "mimalloc, preloaded",
		Jemalloc: "jemalloc, preloaded",
	}[allocator]
	if desc == "" {
		desc = allocator + ", preloaded"
	}
	return result.Config{Name: allocator, Description: desc, Env: map[string]string{VarPreload: lib}}
}

// Keep returns the configuration that stops cfg's allocator from returning
// freed memory to the kernel, with everything else cfg sets: jemalloc with
// page decay off, tcmalloc that never releases, mimalloc that never
// purges. It is false for an allocator without such a setting (glibc:
// its thresholds are Tuned and TopPad).
func Keep(cfg result.Config) (result.Config, bool) {
	s := Parse(cfg.Env)
	e := maps.Clone(cfg.Env)
	if e == nil {
		e = map[string]string{}
	}
	switch s.Allocator {
	case Jemalloc:
		conf := maps.Clone(s.Conf)
		conf["dirty_decay_ms"], conf["muzzy_decay_ms"] = "-1", "-1"
		delete(e, VarJeMallocConf)
		e[VarMallocConf] = FormatMallocConf(conf)
		return result.Config{Name: JemallocNoDecay, Description: "jemalloc with dirty and muzzy page decay off: freed extents are kept", Env: e}, true
	case Tcmalloc:
		delete(e, prefixTcmalloc+"AGGRESSIVE_DECOMMIT")
		e[prefixTcmalloc+"RELEASE_RATE"] = "0"
		return result.Config{Name: TcmallocNoRelease, Description: "tcmalloc that never returns freed spans to the kernel", Env: e}, true
	case Mimalloc:
		// MIMALLOC_PURGE_DELAY is the name from mimalloc 2.1 on (-1: never
		// purge); 2.0 reads MIMALLOC_DECOMMIT_DELAY in milliseconds.
		e[prefixMimalloc+"PURGE_DELAY"] = "-1"
		e[prefixMimalloc+"DECOMMIT_DELAY"] = "1000"
		return result.Config{Name: MimallocNoPurge, Description: "mimalloc that keeps freed pages committed", Env: e}, true
	}
	return result.Config{}, false
}

// Relative builds the experiment exp on base: its Env becomes every
// allocation variable the candidates run with, base's own included, so
// that Apply can set them exactly and the diagnosis reads the whole
// picture. An exp whose LD_PRELOAD loads an allocator (or is empty: glibc)
// switches allocator: it replaces base's preloaded allocator instead of
// stacking a second one, and base's settings of the allocators (other
// than GLIBC_TUNABLES outside glibc.malloc) are left out, so the new one
// runs with its defaults. Any other exp keeps base's allocator and adds
// its variables: GLIBC_TUNABLES and MALLOC_CONF merged option by option.
// An exp that sets glibc malloc tunables alone is skipped, with the
// reason, when base's malloc is not glibc's: they would change nothing.
func Relative(base, exp result.Config) result.Config {
	bs := Parse(base.Env)
	out := exp
	out.Env = map[string]string{}
	preload, switches := bs.Preload, false
	if p, ok := exp.Env[VarPreload]; ok {
		libs := preloadEntries(p)
		switches = len(libs) == 0 || slices.ContainsFunc(libs, func(l string) bool { return identify(l) != "" })
		switch {
		case switches:
			preload = strings.Join(libs, ":")
		case bs.Preload != "":
			preload = strings.Join(libs, ":") + ":" + bs.Preload
		default:
			preload = strings.Join(libs, ":")
		}
	}
	if preload != "" {
		out.Env[VarPreload] = preload
	}
	for k, v := range base.Env {
		switch {
		case k == VarPreload:
		case switches && k == VarTunables:
			if t := nonMalloc(v); t != "" {
				out.Env[k] = t
			}
		case switches && Family(k) != "":
		default:
			out.Env[k] = v
		}
	}
	for k, v := range exp.Env {
		switch k {
		case VarPreload:
		case VarTunables:
			out.Env[k] = MergeTunables(out.Env[k], v)
		case VarMallocConf, VarJeMallocConf:
			out.Env[k] = MergeMallocConf(out.Env[k], v)
		default:
			out.Env[k] = v
		}
	}
	if a := Parse(out.Env).Allocator; a != Glibc && !switches && onlyGlibcMalloc(exp.Env) {
		out.Status = result.StatusSkipped
		out.Reason = fmt.Sprintf("glibc malloc is not in use: %s loads %s", VarPreload, a)
	}
	return out
}

// nonMalloc keeps the tunables of a GLIBC_TUNABLES value outside
// glibc.malloc, which apply whatever allocator runs.
func nonMalloc(v string) string {
	t := ParseTunables(v)
	maps.DeleteFunc(t, func(k, _ string) bool { return !strings.Contains(k, ".") })
	return FormatTunables(t)
}

// onlyGlibcMalloc reports whether env sets glibc malloc tunables and
// nothing else.
func onlyGlibcMalloc(env map[string]string) bool {
	s := Parse(env)
	if s.Preload != "" || len(s.Conf) > 0 || len(s.Other) > 0 || len(s.Tunables) == 0 {
		return false
	}
	for k := range s.Tunables {
		if strings.Contains(k, ".") {
			return false
		}
	}
	return true
}

// Catalog returns the applicable configurations built on o.Base: the
// baseline first, then the experiments in the order that lets a verdict
// form early (the settings that keep freed memory in the baseline's own
// allocator first). An experiment identical to the baseline or to an earlier one
// is left out; one that cannot apply to the baseline is kept, skipped with
// its reason (Runnable leaves it out of a measurement).
func Catalog(o Options) []result.Config {
	base := o.base()
	bs := Parse(base.Env)
	cfgs := []result.Config{base}
	add := func(exp result.Config) {
		c := Relative(base, exp)
		if c.Name == base.Name {
			c.Name += defaultsSuffix
		}
		if c.Status == "" && slices.ContainsFunc(cfgs, func(x result.Config) bool { return x.Status == "" && Equivalent(x.Env, c.Env) }) {
			return
		}
		cfgs = append(cfgs, c)
	}
	// The baseline's own build of an allocator is the one its
	// experiments use.
	libOf := func(name string) string {
		if bs.Allocator == name {
			for _, l := range preloadEntries(bs.Preload) {
				if Known(l) == name {
					return l
				}
			}
		}
		return FindNamed(name)
	}
	// Under a preloaded allocator, what keeps it from returning memory is
	// the least invasive fix, as glibc-tuned is under glibc.
	if k, ok := Keep(base); ok {
		add(k)
	}
	add(Preload(Glibc, ""))
	add(Tuned(o))
	for _, name := range []string{Tcmalloc, Mimalloc, Jemalloc} {
		p := libOf(name)
		if p == "" {
			continue
		}
		add(Preload(name, p))
		if name == Jemalloc {
			on := base
			if bs.Allocator != Jemalloc {
				on = Relative(base, Preload(Jemalloc, p))
			}
			keep, _ := Keep(on)
			add(keep)
		}
	}
	add(HugeTLB())
	add(TopPad(o))
	if o.Python {
		add(NoPymalloc())
	}
	if o.Threads > 1 {
		add(ArenaMax())
	}
	if o.NumPy {
		add(NumPyAdvice(o.NumPyHugeDefault))
	}
	return cfgs
}

// Runnable returns the configurations that are not skipped already.
func Runnable(configs []result.Config) []result.Config {
	return slices.DeleteFunc(slices.Clone(configs), func(c result.Config) bool { return c.Status == result.StatusSkipped })
}

// Observe returns o with what the diagnostic passes saw under the
// baseline of res (its first configuration): the most threads, the
// largest block allocated, grown or mapped, and the peak of memory held at
// once in an iteration.
func Observe(o Options, res *result.Result) Options {
	for _, r := range res.Results {
		if len(res.Configs) > 0 && r.Config != res.Configs[0].Name {
			continue
		}
		if sc := r.PerIteration.Syscalls; sc != nil {
			o.Threads = max(o.Threads, sc.Threads)
			for _, sz := range sc.Sizes {
				if sz.Call == "brk+" || sz.Call == "mmap" {
					o.LargestBlock = max(o.LargestBlock, sz.Bytes)
				}
			}
			if sc.PeakBytes > 0 {
				o.PeakHeap = max(o.PeakHeap, int64(sc.PeakBytes))
			}
		}
		if al := r.PerIteration.Allocations; al != nil {
			o.PeakHeap = max(o.PeakHeap, int64(al.PeakBytes))
			for _, l := range al.Large {
				o.LargestBlock = max(o.LargestBlock, l.Bytes)
			}
		}
		if n := r.PerIteration.Native; n != nil {
			o.PeakHeap = max(o.PeakHeap, int64(n.PeakLiveBytes))
			for _, l := range n.Large {
				o.LargestBlock = max(o.LargestBlock, l.Bytes)
			}
		}
	}
	// A result traced before peaks were measured: the largest single
	// block stands in, never a volume per iteration.
	o.PeakHeap = max(o.PeakHeap, o.LargestBlock)
	return o
}

// Retune re-derives the experiments whose values come from observations
// (glibc-tuned, glibc-top-pad) from o, built on configs[0], the baseline;
// with extend it adds glibc-arena-max when the target ran threads.
func Retune(configs []result.Config, o Options, extend bool) []result.Config {
	if len(configs) == 0 {
		return configs
	}
	base := configs[0]
	if extend && o.Threads > 1 && !slices.ContainsFunc(configs, func(c result.Config) bool { return c.Name == GlibcArenaMax }) {
		configs = append(configs, Relative(base, ArenaMax()))
	}
	for i, c := range configs {
		switch {
		case c.Name == GlibcTuned && (o.LargestBlock > 0 || o.PeakHeap > 0):
			configs[i] = Relative(base, Tuned(o))
		case c.Name == GlibcTopPad && o.PeakHeap > 0:
			configs[i] = Relative(base, TopPad(o))
		}
	}
	return configs
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
	if p, ok := cfg.Env[VarPreload]; ok {
		for _, f := range preloadEntries(p) {
			if err := Validate(f); err != nil {
				return result.Config{}, fmt.Errorf("--config %s: %w", name, err)
			}
		}
	}
	return cfg, nil
}

// Select picks configurations by comma-separated names ("all" for every
// one) and appends user-defined ones, built on the baseline. The baseline
// always comes first.
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
		out = append(out, Relative(catalog[0], c))
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

// Names lists the configurations --configs can name on this machine, for
// shell completion: the catalog built on the baseline of env with every
// trait that adds one (a Python, NumPy, threaded target), the skipped
// ones left out.
func Names(env []string) []string {
	o := Options{Base: Baseline(env), Python: true, NumPy: true, Threads: 2}
	var names []string
	for _, c := range Runnable(Catalog(o)) {
		names = append(names, c.Name)
	}
	return names
}
