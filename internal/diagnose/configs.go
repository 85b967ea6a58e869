package diagnose

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
)

// What a configuration changes is read with alloc.Parse: the allocator it
// runs, its glibc tunables, MALLOC_CONF and other variables. The rules
// below are the diagnosis's own: how invasive a change is, and whether one
// configuration already tests what another would.

func tunableInt(t map[string]string, k string) (int64, bool) {
	v, ok := t[k]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 0, 64)
	return n, err == nil
}

// invasiveness orders fixes of similar effect: a tunable of the allocator
// already in use (0) before swapping the allocator (1) before swapping and
// configuring it (2).
func invasiveness(cfg *result.Config, base *result.Config) int {
	t := alloc.Parse(cfg.Env)
	bt := alloc.Parse(nil)
	if base != nil {
		bt = alloc.Parse(base.Env)
	}
	if t.Allocator == bt.Allocator {
		return 0
	}
	if t.Configures(t.Allocator) {
		return 2
	}
	return 1
}

// envCovers reports whether an existing configuration already tests what
// proposed would: the same environment, or the same glibc tunables with
// values at least as large (a larger threshold or pad keeps at least as
// much memory).
func envCovers(existing, proposed map[string]string) bool {
	if alloc.Equivalent(existing, proposed) {
		return true
	}
	te, tp := alloc.Parse(existing), alloc.Parse(proposed)
	if te.Preload != tp.Preload || !maps.Equal(te.Conf, tp.Conf) || !maps.Equal(te.Other, tp.Other) {
		return false
	}
	if len(te.Tunables) != len(tp.Tunables) {
		return false
	}
	for k, pv := range tp.Tunables {
		ev, ok := te.Tunables[k]
		if !ok {
			return false
		}
		if ev == pv {
			continue
		}
		pn, err1 := strconv.ParseInt(pv, 0, 64)
		en, err2 := strconv.ParseInt(ev, 0, 64)
		if err1 != nil || err2 != nil || k == alloc.TunableHugeTLB || k == alloc.TunableMmapMax || en < pn {
			return false
		}
	}
	return true
}

// fixChange says in words what running under cfg changes against the
// baseline base (nil: glibc with its defaults), for a fix: the settings of
// the user's own allocator it drops, the allocator it switches to, and the
// variables it sets to other values.
func fixChange(cfg, base *result.Config) string {
	t := alloc.Parse(cfg.Env)
	b, benv := alloc.Parse(nil), map[string]string{}
	if base != nil {
		b, benv = alloc.Parse(base.Env), base.Env
	}
	same := t.Allocator == b.Allocator
	tunables := t.Tunables
	if same {
		tunables = changed(t.Tunables, b.Tunables)
	}
	other := changed(t.Other, b.Other)
	var parts []string
	if same && t.Allocator != alloc.Glibc {
		var dropped []string
		for _, k := range slices.Sorted(maps.Keys(benv)) {
			if _, kept := cfg.Env[k]; !kept && alloc.Family(k) == t.Allocator {
				dropped = append(dropped, k+"="+benv[k])
			}
		}
		if len(dropped) > 0 {
			s := "drop " + strings.Join(dropped, " and ") + " from your environment"
			if !t.Configures(t.Allocator) {
				s += ", so " + t.Allocator + " runs with its defaults"
			}
			parts = append(parts, s)
		}
	}
	switch t.Allocator {
	case alloc.Glibc:
		if len(cfg.Env) == 0 {
			return "use glibc's malloc with its defaults: no allocator preloaded, no tunables"
		}
	case alloc.Tcmalloc:
		switch {
		case t.Other["TCMALLOC_RELEASE_RATE"] == "0":
			parts = append(parts, "use tcmalloc with TCMALLOC_RELEASE_RATE=0, so freed spans are never returned to the kernel")
		case !same:
			parts = append(parts, "use tcmalloc, which returns freed spans to the kernel only gradually")
		}
	case alloc.Jemalloc:
		switch {
		case !t.PurgesEagerly():
			parts = append(parts, "use jemalloc with page decay off ("+alloc.VarMallocConf+"="+alloc.FormatMallocConf(t.Conf)+"), so freed extents are kept for reuse")
		case !same:
			parts = append(parts, "use jemalloc")
		}
	case alloc.Mimalloc:
		d, ok := t.Other["MIMALLOC_PURGE_DELAY"]
		switch {
		case ok && d != "0":
			parts = append(parts, "use mimalloc with a purge delay of "+d+" ms")
		case !same:
			parts = append(parts, "use mimalloc, which decommits freed memory only after a delay")
		}
	default:
		if !same {
			parts = append(parts, "use "+t.Allocator)
		}
	}
	if s := tunablesChange(tunables); s != "" {
		parts = append(parts, s)
	}
	if other[alloc.VarPythonMalloc] == "malloc" {
		parts = append(parts, "turn off CPython's small-object allocator (PYTHONMALLOC=malloc), so small objects come from malloc, which keeps its heap")
	}
	switch other[alloc.VarNumPyHuge] {
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

// changed returns the entries of m whose value differs in base.
func changed(m, base map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if bv, ok := base[k]; !ok || bv != v {
			out[k] = v
		}
	}
	return out
}

func tunablesChange(t map[string]string) string {
	if len(t) == 0 {
		return ""
	}
	mm, hasMM := tunableInt(t, alloc.TunableMmapThreshold)
	tr, hasTr := tunableInt(t, alloc.TunableTrimThreshold)
	pad, hasPad := tunableInt(t, alloc.TunableTopPad)
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
	case t[alloc.TunableHugeTLB] == "1" && len(t) == 1:
		return "let glibc advise transparent huge pages for its heap and large blocks: the memory still cycles, but with up to 512x fewer faults (a partial fix)"
	case t[alloc.TunableHugeTLB] == "2" && len(t) == 1:
		return "glibc.malloc.hugetlb=2: with no hugetlbfs pages reserved glibc grows its main heap with mmap and never trims it (an accidental fix)"
	}
	return "set " + alloc.VarTunables + "=" + alloc.FormatTunables(t)
}
