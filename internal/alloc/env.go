package alloc

import (
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// Settings are what an environment configures about memory allocation, as
// far as the catalog and the diagnosis need to know. They are read from a
// configuration's variables alone (Parse), so a saved result reads the same
// on any machine.
type Settings struct {
	// Allocator serves malloc: Glibc, Tcmalloc, Jemalloc, Mimalloc, or the
	// stem of a preloaded library faultline does not know ("scudo").
	Allocator string
	Preload   string            // LD_PRELOAD as given
	Tunables  map[string]string // glibc malloc tunables by short name (GLIBC_TUNABLES, MALLOC_*_)
	Conf      map[string]string // jemalloc's MALLOC_CONF options
	Other     map[string]string // every other variable
}

// Parse reads the settings of a configuration's variables.
func Parse(env map[string]string) Settings {
	s := Settings{Allocator: Glibc, Tunables: map[string]string{}, Conf: map[string]string{}, Other: map[string]string{}}
	for k, v := range env {
		switch {
		case k == VarPreload:
			s.Preload = v
			s.Allocator = preloadAllocator(v)
		case k == VarTunables:
			maps.Copy(s.Tunables, ParseTunables(v))
		case k == VarMallocConf || k == VarJeMallocConf:
			maps.Copy(s.Conf, ParseMallocConf(v))
		case legacyGlibc[k] != "":
			s.Tunables[legacyGlibc[k]] = v
		default:
			s.Other[k] = v
		}
	}
	return s
}

// FreezesDynamicThreshold reports whether the settings turn glibc's dynamic
// mmap threshold off (any of trim_threshold, top_pad, mmap_threshold,
// mmap_max set) without setting the mmap threshold itself, which leaves it
// at 128 KiB: every large block is then mmapped.
func (s Settings) FreezesDynamicThreshold() bool {
	if s.Allocator != Glibc {
		return false
	}
	if _, ok := s.Tunables[TunableMmapThreshold]; ok {
		return false
	}
	for _, k := range []string{TunableTrimThreshold, TunableTopPad, TunableMmapMax} {
		if _, ok := s.Tunables[k]; ok {
			return true
		}
	}
	return false
}

// PurgesEagerly reports allocator settings known to give freed memory back
// at once: jemalloc with page decay on (its default), tcmalloc's aggressive
// decommit, mimalloc without a purge delay.
func (s Settings) PurgesEagerly() bool {
	switch s.Allocator {
	case Jemalloc:
		return s.Conf["dirty_decay_ms"] != "-1" && s.Conf["muzzy_decay_ms"] != "-1"
	case Tcmalloc:
		v := s.Other[prefixTcmalloc+"AGGRESSIVE_DECOMMIT"]
		return v == "1" || strings.EqualFold(v, "true")
	case Mimalloc:
		return s.Other[prefixMimalloc+"DECOMMIT_DELAY"] == "0" || s.Other[prefixMimalloc+"PURGE_DELAY"] == "0"
	}
	return false
}

// Configures reports whether the settings set any variable of allocator's
// own (MALLOC_CONF for jemalloc, TCMALLOC_* for tcmalloc, ...).
func (s Settings) Configures(allocator string) bool {
	switch allocator {
	case Glibc:
		return len(s.Tunables) > 0
	case Jemalloc:
		return len(s.Conf) > 0
	}
	for k := range s.Other {
		if Family(k) == allocator {
			return true
		}
	}
	return false
}

// Equivalent reports whether two configurations' variables configure the
// same thing: the same LD_PRELOAD and variables, with GLIBC_TUNABLES (and
// the MALLOC_*_ variables it replaces) and MALLOC_CONF compared as sets.
func Equivalent(a, b map[string]string) bool {
	sa, sb := Parse(a), Parse(b)
	return sa.Preload == sb.Preload && maps.Equal(sa.Tunables, sb.Tunables) &&
		maps.Equal(sa.Conf, sb.Conf) && maps.Equal(sa.Other, sb.Other)
}

// Family names the allocator a variable configures (GLIBC_TUNABLES:
// glibc, MALLOC_CONF: jemalloc, TCMALLOC_*: tcmalloc, ...), "" for one
// every allocator sees alike (PYTHONMALLOC) and for LD_PRELOAD itself.
func Family(k string) string {
	switch {
	case k == VarTunables || legacyGlibc[k] != "":
		return Glibc
	case k == VarMallocConf || k == VarJeMallocConf:
		return Jemalloc
	case strings.HasPrefix(k, prefixTcmalloc):
		return Tcmalloc
	case strings.HasPrefix(k, prefixMimalloc):
		return Mimalloc
	}
	return ""
}

// Known returns the allocator a library is by its file name
// ("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2" is jemalloc), or "".
func Known(lib string) string {
	base := path.Base(lib)
	for _, a := range []string{Tcmalloc, Jemalloc, Mimalloc} {
		if strings.Contains(base, a) {
			return a
		}
	}
	return ""
}

// stem is a library's name without directory, "lib" and suffixes:
// /opt/lib/libscudo.so.1 is scudo.
func stem(lib string) string {
	base := strings.TrimPrefix(path.Base(lib), "lib")
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base
}

// preloadEntries splits LD_PRELOAD the way the dynamic loader does.
func preloadEntries(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ' ' })
}

// preloadAllocator names the allocator an LD_PRELOAD value loads: the first
// library known by name, else the first library's stem (a preloaded
// library is taken to replace malloc unless its name says which), else
// glibc.
func preloadAllocator(v string) string {
	libs := preloadEntries(v)
	for _, l := range libs {
		if a := Known(l); a != "" {
			return a
		}
	}
	if len(libs) == 0 {
		return Glibc
	}
	return stem(libs[0])
}

// ParseTunables reads "glibc.malloc.a=1:glibc.malloc.b=2" into {a: 1, b: 2};
// tunables outside glibc.malloc keep their full name.
func ParseTunables(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ":") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		out[strings.TrimPrefix(k, "glibc.malloc.")] = v
	}
	return out
}

// FormatTunables writes tunables by short or full name as a GLIBC_TUNABLES
// value, sorted by name.
func FormatTunables(t map[string]string) string {
	keys := slices.Sorted(maps.Keys(t))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		name := k
		if !strings.Contains(k, ".") {
			name = "glibc.malloc." + k
		}
		parts = append(parts, name+"="+t[k])
	}
	return strings.Join(parts, ":")
}

// MergeTunables returns the GLIBC_TUNABLES value old with add's tunables
// set: add wins, old's order is kept and add's new tunables follow.
func MergeTunables(old, add string) string {
	return mergeList(old, add, ":", "=")
}

// ParseMallocConf reads jemalloc's "a:1,b:2" into {a: 1, b: 2}.
func ParseMallocConf(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), ":")
		if ok && k != "" {
			out[k] = v
		}
	}
	return out
}

// FormatMallocConf writes jemalloc options as a MALLOC_CONF value, sorted.
func FormatMallocConf(c map[string]string) string {
	keys := slices.Sorted(maps.Keys(c))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+":"+c[k])
	}
	return strings.Join(parts, ",")
}

// MergeMallocConf returns the MALLOC_CONF value old with add's options
// set, as MergeTunables does.
func MergeMallocConf(old, add string) string {
	return mergeList(old, add, ",", ":")
}

func mergeList(old, add, sep, eq string) string {
	var order []string
	vals := map[string]string{}
	for _, s := range []string{old, add} {
		for _, kv := range strings.Split(s, sep) {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, eq)
			if _, ok := vals[k]; !ok {
				order = append(order, k)
			}
			vals[k] = v
		}
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = k + eq + vals[k]
	}
	return strings.Join(parts, sep)
}

// allocation reports whether a variable configures memory allocation:
// Baseline records it, and Apply sets it from the configuration alone.
func allocation(k string) bool {
	return k == VarPreload || Family(k) != "" || k == VarPythonMalloc || k == VarNumPyHuge
}

// Apply returns the environment cfg's candidates run in: base
// (os.Environ() when nil) with cfg's allocation variables in place of
// base's. cfg.Env is complete (Baseline and Relative build it so): an
// allocation variable base sets and cfg does not is removed, and cfg's
// LD_PRELOAD replaces every allocator base preloads, so two allocators are
// never stacked; preloaded libraries that are no allocator are kept, after
// cfg's. Any other variable cfg sets replaces base's.
func Apply(base []string, cfg result.Config) []string {
	if base == nil {
		base = os.Environ()
	}
	env := make([]string, 0, len(base)+len(cfg.Env))
	preload := ""
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		if k == VarPreload {
			preload = v
		}
		if _, set := cfg.Env[k]; set || allocation(k) {
			continue
		}
		env = append(env, kv)
	}
	if p := mergePreload(preload, cfg.Env[VarPreload]); p != "" {
		env = append(env, VarPreload+"="+p)
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.Env)) {
		if k != VarPreload {
			env = append(env, k+"="+cfg.Env[k])
		}
	}
	return env
}

// mergePreload returns the libraries of add followed by those of old that
// are no allocator.
func mergePreload(old, add string) string {
	libs := preloadEntries(add)
	for _, l := range preloadEntries(old) {
		if !slices.Contains(libs, l) && identify(l) == "" {
			libs = append(libs, l)
		}
	}
	return strings.Join(libs, ":")
}

// allocatorPrefixes begin the functions a statically linked allocator
// purges from (jemalloc with its je_ or _rjem_ prefix, or unprefixed:
// pages_purge_*, extent_*; mimalloc's mi_ and _mi_); allocatorParts are
// C++ namespaces and names within a symbol (tcmalloc, snmalloc).
var (
	allocatorPrefixes = []string{"je_", "_rjem_", "pages_purge", "extent_", "mi_", "_mi_", "tcmalloc", "snmalloc"}
	allocatorParts    = []string{"tcmalloc::", "TCMalloc", "snmalloc::", "jemalloc"}
)

// OwnFunction says whether a function's name is an allocator's own: a
// statically linked allocator is told from the program by its symbols, as
// a shared one is by its file (Known).
func OwnFunction(fn string) bool {
	for _, p := range allocatorPrefixes {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	for _, p := range allocatorParts {
		if strings.Contains(fn, p) {
			return true
		}
	}
	return false
}
