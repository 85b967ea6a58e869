package alloc

import (
	"debug/elf"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// Baseline describes the environment faultline was started in (environ,
// in os.Environ's form) as the baseline configuration. It is named for the
// allocator that serves malloc there: the one LD_PRELOAD loads, glibc when
// none does. Its Env holds what that environment sets about allocation:
// the allocators LD_PRELOAD loads (other preloaded libraries are inherited
// by every configuration but are not listed), GLIBC_TUNABLES and glibc's
// MALLOC_*_ variables, MALLOC_CONF, TCMALLOC_*, MIMALLOC_*, PYTHONMALLOC
// and NUMPY_MADVISE_HUGEPAGE. The experiments are built on it (Relative).
func Baseline(environ []string) result.Config {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			continue
		}
		switch {
		case k == VarPreload:
			var libs []string
			for _, l := range preloadEntries(v) {
				if identify(l) != "" {
					libs = append(libs, l)
				}
			}
			if len(libs) > 0 {
				env[k] = strings.Join(libs, ":")
			}
		case allocation(k):
			env[k] = v
		}
	}
	if len(env) == 0 {
		return glibcDefaults()
	}
	s := Parse(env)
	what := "glibc malloc"
	if s.Allocator != Glibc {
		what = s.Allocator + " preloaded (" + VarPreload + "=" + s.Preload + ")"
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if k != VarPreload {
			what += ", " + k + "=" + env[k]
		}
	}
	return result.Config{Name: s.Allocator, Description: "your environment: " + what, Env: env}
}

// glibcDefaults is the baseline of an environment that sets nothing about
// allocation.
func glibcDefaults() result.Config {
	return result.Config{Name: Glibc, Description: "glibc malloc with its default, dynamic thresholds", Env: map[string]string{}}
}

// identify returns the allocator a preloaded library is: by its file name,
// then by its soname, then, for a library that defines malloc, by its
// stem; "" when it is no allocator or cannot be read.
func identify(lib string) string {
	if a := Known(lib); a != "" {
		return a
	}
	p := resolve(lib)
	if p == "" {
		return ""
	}
	f, err := elf.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	if s, _ := f.DynString(elf.DT_SONAME); len(s) > 0 {
		if a := Known(s[0]); a != "" {
			return a
		}
	}
	if !definesMalloc(f) {
		return ""
	}
	return stem(lib)
}

// resolve finds a preloaded library as the dynamic loader would: a name
// without a slash in its cache and the usual directories.
func resolve(lib string) string {
	if strings.Contains(lib, "/") {
		if st, err := os.Stat(lib); err == nil && st.Mode().IsRegular() {
			return lib
		}
		return ""
	}
	if p, ok := ldconfigCache()[lib]; ok {
		return p
	}
	for _, d := range searchDirs {
		p := filepath.Join(d, lib)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

func definesMalloc(f *elf.File) bool {
	syms, err := f.DynamicSymbols()
	if err != nil {
		return false
	}
	for _, s := range syms {
		t := elf.ST_TYPE(s.Info)
		if s.Name == "malloc" && s.Section != elf.SHN_UNDEF && (t == elf.STT_FUNC || t == elf.STT_GNU_IFUNC) {
			return true
		}
	}
	return false
}
