package nativealloc

import (
	"bufio"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/faultline/faultline/internal/elfsym"
	"github.com/faultline/faultline/internal/uprobe"
)

// Target is what is known of a command before it starts: the probes must
// be placed before its exec, when nothing of it is mapped yet.
type Target struct {
	Argv []string
	Env  []string // the full environment it runs with
	Dir  string   // its working directory ("" = faultline's)
}

// Plan is where the probes of one target go.
type Plan struct {
	Probes []uprobe.Probe
	// Objects are the files probed, each defining some of the API.
	Objects []string
	// Exe is the program's executable (after #! interpreters).
	Exe   string
	sites []site // by probe
}

// Functions is how many functions are probed (a function with a return
// probe has two probes).
func (p *Plan) Functions() int {
	n := 0
	for _, s := range p.sites {
		if !s.ret {
			n++
		}
	}
	return n
}

// site is what a probe stands for.
type site struct {
	obj string
	fn  fn
	ret bool
}

// NewPlan finds the objects that may serve the target's allocations, in
// the dynamic linker's lookup order: the executable itself (a static
// binary, or one linking its own allocator), every LD_PRELOAD library,
// and the libraries it needs directly (libc among them). Each catalog
// function is probed in the first of them that defines it, the one the
// linker binds the program's calls to: under a preloaded jemalloc its
// malloc, and libc's mallopt, which jemalloc does not define. Which
// object really served the calls is decided afterwards from what was
// mapped and hit (Tally).
func NewPlan(t Target) (*Plan, error) {
	if len(t.Argv) == 0 {
		return nil, errors.New("native pass: no command")
	}
	env := envMap(t.Env)
	exe, err := resolveExe(t.Argv[0], env["PATH"], t.Dir)
	if err != nil {
		return nil, fmt.Errorf("native pass: %w", err)
	}
	p := &Plan{Exe: exe}
	seen := map[string]bool{}
	var order []string
	add := func(path string) {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			path = real
		}
		if !seen[path] {
			seen[path] = true
			order = append(order, path)
		}
	}
	add(exe)
	for _, lib := range strings.FieldsFunc(env["LD_PRELOAD"], func(r rune) bool { return r == ' ' || r == ':' }) {
		if path := findLib(lib, nil, exe); path != "" {
			add(path)
		}
	}
	needed, runpath := dynamic(exe)
	dirs := append(splitPath(env["LD_LIBRARY_PATH"]), runpath...)
	for _, lib := range needed {
		if path := findLib(lib, dirs, exe); path != "" {
			add(path)
		}
	}
	bound := map[string]bool{}
	for _, path := range order {
		p.addObject(path, bound)
	}
	return p, nil
}

// addObject adds probes for the catalog functions path defines and no
// object before it did, once per address.
func (p *Plan) addObject(path string, bound map[string]bool) {
	f, err := elfsym.Open(path)
	if err != nil {
		return
	}
	at := map[uint64]bool{}
	for _, c := range catalog {
		off, ok := f.Offset(c.name)
		if !ok || bound[c.name] {
			continue
		}
		bound[c.name] = true
		if at[off] {
			continue
		}
		at[off] = true
		if len(p.Objects) == 0 || p.Objects[len(p.Objects)-1] != path {
			p.Objects = append(p.Objects, path)
		}
		p.Probes = append(p.Probes, uprobe.Probe{Path: path, Offset: off})
		p.sites = append(p.sites, site{obj: path, fn: c})
		if c.returns() {
			p.Probes = append(p.Probes, uprobe.Probe{Path: path, Offset: off, Return: true})
			p.sites = append(p.sites, site{obj: path, fn: c, ret: true})
		}
	}
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func splitPath(s string) []string {
	var out []string
	for _, d := range strings.Split(s, ":") {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// resolveExe finds the file the kernel will run for argv0, following #!
// lines (and /usr/bin/env NAME) to the interpreter.
func resolveExe(argv0, path, dir string) (string, error) {
	exe := argv0
	if !strings.Contains(argv0, "/") {
		if path == "" {
			path = "/usr/local/bin:/usr/bin:/bin"
		}
		exe = ""
		for _, d := range splitPath(path) {
			c := filepath.Join(d, argv0)
			if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				exe = c
				break
			}
		}
		if exe == "" {
			return "", fmt.Errorf("%s: not found in PATH", argv0)
		}
	} else if !filepath.IsAbs(exe) && dir != "" {
		exe = filepath.Join(dir, exe)
	}
	for range 4 {
		interp, arg, ok := shebang(exe)
		if !ok {
			break
		}
		if filepath.Base(interp) == "env" && arg != "" {
			return resolveExe(arg, path, dir)
		}
		exe = interp
	}
	abs, err := filepath.Abs(exe)
	if err != nil {
		return "", err
	}
	return abs, nil
}

// shebang reads a script's "#!interpreter [arg]" line.
func shebang(path string) (interp, arg string, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", false
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" || !strings.HasPrefix(line, "#!") {
		return "", "", false
	}
	fs := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(fs) == 0 {
		return "", "", false
	}
	if len(fs) > 1 {
		arg = fs[1]
	}
	return fs[0], arg, true
}

// dynamic returns exe's DT_NEEDED libraries and its run path ($ORIGIN
// expanded).
func dynamic(exe string) (needed, runpath []string) {
	f, err := elf.Open(exe)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	needed, _ = f.DynString(elf.DT_NEEDED)
	rp, _ := f.DynString(elf.DT_RUNPATH)
	if len(rp) == 0 {
		rp, _ = f.DynString(elf.DT_RPATH)
	}
	origin := filepath.Dir(exe)
	for _, s := range rp {
		for _, d := range splitPath(s) {
			runpath = append(runpath, strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", origin), "$ORIGIN", origin))
		}
	}
	return needed, runpath
}

// libDirs are the dynamic linker's default directories (Debian's
// multiarch layout first).
func libDirs() []string {
	triplet := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}[runtime.GOARCH]
	var dirs []string
	if triplet != "" {
		dirs = append(dirs, "/lib/"+triplet, "/usr/lib/"+triplet)
	}
	return append(dirs, "/lib64", "/usr/lib64", "/lib", "/usr/lib")
}

// findLib resolves a library name as the dynamic linker would, in dirs
// and then the default directories; a name with a slash is a path.
func findLib(name string, dirs []string, exe string) string {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err == nil {
			return name
		}
		return ""
	}
	for _, d := range append(dirs, libDirs()...) {
		c := filepath.Join(d, name)
		if sameClass(c, exe) {
			return c
		}
	}
	return ""
}

// sameClass reports whether path is an ELF object of exe's class and
// machine (a 32-bit library of the same name is skipped, as ld.so does).
func sameClass(path, exe string) bool {
	a, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer a.Close()
	b, err := elf.Open(exe)
	if err != nil {
		return true
	}
	defer b.Close()
	return a.Class == b.Class && a.Machine == b.Machine
}
