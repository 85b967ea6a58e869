package diagnose

import (
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// Allocator names as recognised from a configuration's environment.
const (
	allocGlibc    = "glibc"
	allocTcmalloc = "tcmalloc"
	allocJemalloc = "jemalloc"
	allocMimalloc = "mimalloc"
)

// glibc tunable names (the part after "glibc.malloc.").
const (
	tMmapThreshold = "mmap_threshold"
	tTrimThreshold = "trim_threshold"
	tTopPad        = "top_pad"
	tMmapMax       = "mmap_max"
	tHugetlb       = "hugetlb"
)

// legacyGlibc maps glibc's older MALLOC_*_ variables to tunable names.
var legacyGlibc = map[string]string{
	"MALLOC_MMAP_THRESHOLD_": tMmapThreshold,
	"MALLOC_TRIM_THRESHOLD_": tTrimThreshold,
	"MALLOC_TOP_PAD_":        tTopPad,
	"MALLOC_MMAP_MAX_":       tMmapMax,
}

// traits is what a configuration's environment changes, as far as the
// diagnosis needs to know.
type traits struct {
	allocator string            // glibc, tcmalloc, jemalloc, mimalloc, or a library's base name
	preload   string            // LD_PRELOAD as given
	tunables  map[string]string // glibc.malloc.* by short name
	conf      map[string]string // MALLOC_CONF (jemalloc) options
	other     map[string]string // every other variable
}

func traitsOf(env map[string]string) traits {
	t := traits{allocator: allocGlibc, tunables: map[string]string{}, conf: map[string]string{}, other: map[string]string{}}
	for k, v := range env {
		switch {
		case k == "LD_PRELOAD":
			t.preload = v
			t.allocator = preloadAllocator(v)
		case k == "GLIBC_TUNABLES":
			maps.Copy(t.tunables, parseTunables(v))
		case k == "MALLOC_CONF" || k == "JE_MALLOC_CONF":
			maps.Copy(t.conf, parseMallocConf(v))
		case legacyGlibc[k] != "":
			t.tunables[legacyGlibc[k]] = v
		default:
			t.other[k] = v
		}
	}
	return t
}

func preloadAllocator(preload string) string {
	for _, lib := range strings.FieldsFunc(preload, func(r rune) bool { return r == ':' || r == ' ' }) {
		base := path.Base(lib)
		for _, a := range []string{allocTcmalloc, allocJemalloc, allocMimalloc} {
			if strings.Contains(base, a) {
				return a
			}
		}
	}
	if preload == "" {
		return allocGlibc
	}
	base := path.Base(strings.Fields(preload)[0])
	base = strings.TrimPrefix(base, "lib")
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base
}

// parseTunables reads "glibc.malloc.a=1:glibc.malloc.b=2" into {a: 1, b: 2};
// tunables outside glibc.malloc keep their full name.
func parseTunables(s string) map[string]string {
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

func formatTunables(t map[string]string) string {
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

func parseMallocConf(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), ":")
		if ok && k != "" {
			out[k] = v
		}
	}
	return out
}

func tunableInt(t map[string]string, k string) (int64, bool) {
	v, ok := t[k]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 0, 64)
	return n, err == nil
}

// freezesDynamicThreshold reports whether the glibc settings turn off the
// dynamic mmap threshold (any of trim_threshold, top_pad, mmap_threshold,
// mmap_max set) without raising the mmap threshold itself, which leaves it
// at 128 KiB: every large block is then mmapped.
func (t traits) freezesDynamicThreshold() bool {
	if t.allocator != allocGlibc {
		return false
	}
	if _, ok := t.tunables[tMmapThreshold]; ok {
		return false
	}
	for _, k := range []string{tTrimThreshold, tTopPad, tMmapMax} {
		if _, ok := t.tunables[k]; ok {
			return true
		}
	}
	return false
}

// purgesEagerly reports allocator settings known to give freed memory
// back at once (phenomenon.md §2.5).
func (t traits) purgesEagerly() bool {
	switch t.allocator {
	case allocJemalloc:
		return t.conf["dirty_decay_ms"] != "-1" && t.conf["muzzy_decay_ms"] != "-1"
	case allocTcmalloc:
		return t.other["TCMALLOC_AGGRESSIVE_DECOMMIT"] == "1" || strings.EqualFold(t.other["TCMALLOC_AGGRESSIVE_DECOMMIT"], "true")
	case allocMimalloc:
		return t.other["MIMALLOC_DECOMMIT_DELAY"] == "0" || t.other["MIMALLOC_PURGE_DELAY"] == "0"
	}
	return false
}

// invasiveness orders fixes of similar effect: a tunable of the allocator
// already in use (0) before swapping the allocator (1) before swapping and
// configuring it (2).
func invasiveness(cfg *result.Config, base *result.Config) int {
	t := traitsOf(cfg.Env)
	bt := traits{allocator: allocGlibc}
	if base != nil {
		bt = traitsOf(base.Env)
	}
	if t.allocator == bt.allocator {
		return 0
	}
	if len(t.conf) > 0 {
		return 2
	}
	for k := range t.other {
		if strings.HasPrefix(k, "TCMALLOC_") || strings.HasPrefix(k, "MIMALLOC_") {
			return 2
		}
	}
	return 1
}

// envEquivalent reports whether two environments configure the same thing:
// equal variables, with GLIBC_TUNABLES and MALLOC_CONF compared as sets.
func envEquivalent(a, b map[string]string) bool {
	ta, tb := traitsOf(a), traitsOf(b)
	return ta.preload == tb.preload && maps.Equal(ta.tunables, tb.tunables) &&
		maps.Equal(ta.conf, tb.conf) && maps.Equal(ta.other, tb.other)
}

// envCovers reports whether an existing configuration already tests what
// proposed would: the same environment, or the same glibc tunables with
// values at least as large (a larger threshold or pad keeps at least as
// much memory).
func envCovers(existing, proposed map[string]string) bool {
	if envEquivalent(existing, proposed) {
		return true
	}
	te, tp := traitsOf(existing), traitsOf(proposed)
	if te.preload != tp.preload || !maps.Equal(te.conf, tp.conf) || !maps.Equal(te.other, tp.other) {
		return false
	}
	if len(te.tunables) != len(tp.tunables) {
		return false
	}
	for k, pv := range tp.tunables {
		ev, ok := te.tunables[k]
		if !ok {
			return false
		}
		if ev == pv {
			continue
		}
		pn, err1 := strconv.ParseInt(pv, 0, 64)
		en, err2 := strconv.ParseInt(ev, 0, 64)
		if err1 != nil || err2 != nil || k == tHugetlb || k == tMmapMax || en < pn {
			return false
		}
	}
	return true
}

// fixChange says in words what running under cfg changes, for a fix.
func fixChange(cfg *result.Config) string {
	t := traitsOf(cfg.Env)
	var parts []string
	switch t.allocator {
	case allocGlibc:
	case allocTcmalloc:
		s := "use tcmalloc, which returns freed spans to the kernel only gradually"
		if t.other["TCMALLOC_RELEASE_RATE"] == "0" {
			s = "use tcmalloc with TCMALLOC_RELEASE_RATE=0, so freed spans are never returned to the kernel"
		}
		parts = append(parts, s)
	case allocJemalloc:
		if !t.purgesEagerly() {
			parts = append(parts, "use jemalloc with page decay off (MALLOC_CONF="+mallocConfString(t.conf)+"), so freed extents are kept for reuse")
		} else {
			parts = append(parts, "use jemalloc")
		}
	case allocMimalloc:
		s := "use mimalloc, which decommits freed memory only after a delay"
		if d, ok := t.other["MIMALLOC_PURGE_DELAY"]; ok && d != "0" {
			s = "use mimalloc with a purge delay of " + d + " ms"
		}
		parts = append(parts, s)
	default:
		parts = append(parts, "use "+t.allocator)
	}
	if s := tunablesChange(t.tunables); s != "" {
		parts = append(parts, s)
	}
	if t.other["PYTHONMALLOC"] == "malloc" {
		parts = append(parts, "turn off CPython's small-object allocator (PYTHONMALLOC=malloc), so small objects come from malloc, which keeps its heap")
	}
	switch t.other["NUMPY_MADVISE_HUGEPAGE"] {
	case "0":
		parts = append(parts, "turn off NumPy's huge-page advice")
	case "1":
		parts = append(parts, "turn on NumPy's huge-page advice")
	}
	if len(parts) == 0 {
		if cfg.Description != "" {
			return cfg.Description
		}
		return "run under " + cfg.Name
	}
	return strings.Join(parts, "; ")
}

func mallocConfString(c map[string]string) string {
	keys := slices.Sorted(maps.Keys(c))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+":"+c[k])
	}
	return strings.Join(parts, ",")
}

func tunablesChange(t map[string]string) string {
	if len(t) == 0 {
		return ""
	}
	mm, hasMM := tunableInt(t, tMmapThreshold)
	tr, hasTr := tunableInt(t, tTrimThreshold)
	pad, hasPad := tunableInt(t, tTopPad)
	switch {
	case hasMM && hasTr:
		return "raise glibc's mmap threshold to " + fmtBytes(float64(mm)) + " and its trim threshold to " + fmtBytes(float64(tr)) +
			", so large blocks stay in the heap and its top is kept between iterations (set both: setting one alone freezes the other)"
	case hasPad && len(t) == 1:
		return "keep " + fmtBytes(float64(pad)) + " of padding at the top of glibc's heap, so a trim never returns the buffers"
	case hasTr && len(t) == 1:
		return "raise glibc's trim threshold to " + fmtBytes(float64(tr)) + ", so the heap top is kept between iterations"
	case hasMM && len(t) == 1:
		return "raise glibc's mmap threshold to " + fmtBytes(float64(mm))
	case t[tHugetlb] == "1" && len(t) == 1:
		return "let glibc advise transparent huge pages for its heap and large blocks: the memory still cycles, but with up to 512x fewer faults (a partial fix)"
	case t[tHugetlb] == "2" && len(t) == 1:
		return "glibc.malloc.hugetlb=2: with no hugetlbfs pages reserved glibc grows its main heap with mmap and never trims it (an accidental fix)"
	}
	return "set GLIBC_TUNABLES=" + formatTunables(t)
}
