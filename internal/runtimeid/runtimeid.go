// Package runtimeid says what runs a command's code: a Python interpreter,
// a Go binary, a Rust binary, a JVM, Node.js, or a native program that
// takes its malloc from the C library (dynamically linked) or has its own
// (static). The diagnosis needs it to name who gives memory back: a
// language runtime's pools and releases are not the C allocator's. It
// reads the executable's ELF headers and symbols only, never runs it.
package runtimeid

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Runtimes.
const (
	Python = "python"
	Go     = "go"
	Rust   = "rust"
	JVM    = "jvm"
	Node   = "node"
	Native = "native" // dynamically linked: malloc from the C library or a preload
	Static = "static" // statically linked: its own allocator
)

var pythonName = regexp.MustCompile(`^python[0-9.]*(-dbg)?$`)

// wrappers run the command that follows them.
var wrappers = map[string]bool{"env": true, "exec": true, "nice": true, "time": true, "taskset": true,
	"numactl": true, "chrt": true, "ionice": true, "stdbuf": true, "timeout": true, "setarch": true}

// Of returns the runtime of a command: argv as given to exec, or with
// shell a command line a shell runs. "" when the program cannot be found
// or read.
func Of(argv []string, shell bool) string {
	words := argv
	if shell && len(argv) > 0 {
		words = strings.Fields(argv[0])
	}
	prog := program(words)
	if prog == "" {
		return ""
	}
	return identify(prog, 0)
}

// program is the first word that is not a variable assignment, a wrapper
// or a wrapper's option.
func program(words []string) string {
	wrapped := false
	for _, w := range words {
		switch {
		case strings.Contains(w, "=") && !strings.Contains(w, "/"):
			continue
		case wrappers[filepath.Base(w)]:
			wrapped = true
			continue
		case strings.HasPrefix(w, "-"), wrapped && numeric(w):
			// A wrapper's options and their values (nice -n 5,
			// timeout 10).
			continue
		}
		return w
	}
	return ""
}

func numeric(w string) bool {
	return strings.Trim(w, "0123456789.smhd") == ""
}

func identify(prog string, depth int) string {
	if pythonName.MatchString(filepath.Base(prog)) {
		return Python
	}
	switch filepath.Base(prog) {
	case "java":
		return JVM
	case "node", "nodejs":
		return Node
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
		if pythonName.MatchString(filepath.Base(path)) {
			return Python
		}
	}
	f, err := elf.Open(path)
	if err != nil {
		if depth == 0 {
			if interp := shebang(path); interp != "" {
				return identify(interp, depth+1)
			}
		}
		return ""
	}
	defer f.Close()
	return ofELF(f)
}

func ofELF(f *elf.File) string {
	if f.Section(".go.buildinfo") != nil || f.Section(".gopclntab") != nil {
		return Go
	}
	syms, _ := f.Symbols()
	dyn, _ := f.DynamicSymbols()
	for _, s := range append(syms, dyn...) {
		switch {
		case s.Name == "Py_Initialize" || s.Name == "Py_BytesMain":
			return Python
		case strings.HasPrefix(s.Name, "rust_begin_unwind") || s.Name == "__rust_alloc" || s.Name == "rust_eh_personality" ||
			strings.Contains(s.Name, "rust_eh_personality") || strings.HasPrefix(s.Name, "_R") && strings.Contains(s.Name, "rustc_demangle"):
			return Rust
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		for _, l := range libs {
			if strings.HasPrefix(l, "libpython") {
				return Python
			}
		}
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return Native
		}
	}
	return Static
}

// shebang returns the interpreter a script names on its first line
// (#!/usr/bin/env python3 gives python3).
func shebang(path string) string {
	fh, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer fh.Close()
	line, _ := bufio.NewReader(fh).ReadString('\n')
	rest, ok := strings.CutPrefix(line, "#!")
	if !ok {
		return ""
	}
	words := strings.Fields(rest)
	return program(words)
}
