// Package alloc owns faultline's configurations: the environments every
// candidate is run under to prove a cause. It names them, builds their
// variables (the formulas of derived thresholds included), reads them back
// (Parse), describes the environment faultline was started in as the
// baseline (Baseline: named for the allocator it really runs), builds every
// experiment on that baseline (Relative), and merges a configuration into a
// process environment (Apply). The diagnosis proposes fixes with the same
// constructors, so a proposal equal to a matrix configuration has its name
// and variables and is not measured twice.
//
// Facts the catalog respects (docs/configs.md): setting any one of glibc's
// trim_threshold, top_pad, mmap_threshold or mmap_max turns its dynamic
// mmap threshold off, so glibc-tuned always sets mmap_threshold and
// trim_threshold together; jemalloc purges blocks of its 8 MiB class
// eagerly unless decay is disabled; mimalloc 2.0 unmaps blocks above
// 16 MiB; glibc's dynamic threshold stops rising at 32 MiB, so blocks above
// it are mapped by default, but a fixed mmap_threshold set through
// GLIBC_TUNABLES may be larger (glibc 2.36 accepts it; TestTunedKeepsBigBlocks);
// glibc's tunables do nothing for a program whose malloc another allocator
// serves.
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
	"strings"
	"sync"
)

// Library is an allocator that can be preloaded.
type Library struct {
	Name    string   // config name
	Files   []string // shared object names, preferred first
	Package string   // Debian package that installs it
}

// Libraries are the allocators faultline knows.
var Libraries = []Library{
	{Name: Tcmalloc, Files: []string{"libtcmalloc_minimal.so.4", "libtcmalloc.so.4"}, Package: "libgoogle-perftools4"},
	{Name: Mimalloc, Files: []string{"libmimalloc.so.2", "libmimalloc.so.2.0"}, Package: "libmimalloc2.0"},
	{Name: Jemalloc, Files: []string{"libjemalloc.so.2"}, Package: "libjemalloc2"},
}

func library(name string) (Library, bool) {
	for _, l := range Libraries {
		if l.Name == name {
			return l, true
		}
	}
	return Library{}, false
}

// searchDirs are the dynamic linker's usual directories; ldconfig's cache
// is consulted first.
var searchDirs = []string{"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
	"/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/local/lib", "/usr/lib", "/lib"}

// FindNamed returns the path of the shared object of the allocator named
// name (Jemalloc, Mimalloc, Tcmalloc), or "" when it is not installed or
// faultline does not know it.
func FindNamed(name string) string {
	if l, ok := library(name); ok {
		return Find(l)
	}
	return ""
}

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

// ldconfigCache maps sonames to paths from the dynamic linker's cache, read
// once: the cache does not change while faultline runs.
var ldconfigCache = sync.OnceValue(func() map[string]string {
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
})

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
