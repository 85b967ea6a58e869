package probe

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"
)

//go:embed probe.py
var pythonProbe []byte

// Candidate is a named statement for the Python probe.
type Candidate struct {
	Name      string `json:"name"`
	Statement string `json:"statement"`
}

// ErrNoInterpreter is wrapped when the chosen Python cannot be run.
var ErrNoInterpreter = errors.New("python interpreter not found")

// ErrEnvironment marks a failure of the machine faultline runs on, not of
// the target: no usable temporary directory (TMPDIR), no file
// descriptors, no memory, no space.
var ErrEnvironment = errors.New("the environment failed")

// Environmental says whether err is the environment's failure rather
// than the target's: ErrEnvironment, or a system call refused for want
// of descriptors, memory or space, or a read-only file system.
func Environmental(err error) bool {
	for _, e := range []error{ErrEnvironment, syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM, syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// PythonSpec prepares a Spec that runs the embedded probe with the given
// interpreter: the probe and its job are written to a private temporary
// directory that Cleanup removes.
func PythonSpec(python, setup string, cands []Candidate) (Spec, error) {
	return PythonSpecTimer(python, setup, cands, TimerWall)
}

// Timers a Python probe can time samples with, as python -m timeit's
// default and its -p/--process.
const (
	TimerWall    = "perf_counter" // time.perf_counter_ns: elapsed time
	TimerProcess = "process_time" // time.process_time_ns: the process's CPU time
)

// PythonSpecTimer is PythonSpec timing samples with timer (TimerWall or
// TimerProcess).
func PythonSpecTimer(python, setup string, cands []Candidate, timer string) (Spec, error) {
	path, err := LookPython(python)
	if err != nil {
		return Spec{}, err
	}
	dir, err := mkTemp()
	if err != nil {
		return Spec{}, fmt.Errorf("%w: no probe directory in TMPDIR (%s): %w", ErrEnvironment, os.TempDir(), err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	script := filepath.Join(dir, "faultline_probe.py")
	job, err := json.Marshal(map[string]any{"setup": setup, "candidates": cands, "timer": timer})
	if err == nil {
		err = os.WriteFile(script, pythonProbe, 0o600)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "job.json"), job, 0o600)
	}
	if err != nil {
		cleanup()
		return Spec{}, fmt.Errorf("write probe: %w", err)
	}
	return Spec{Argv: []string{path, script, filepath.Join(dir, "job.json")}, Cleanup: cleanup}, nil
}

// LookPython resolves an interpreter name or path.
func LookPython(python string) (string, error) {
	if python == "" {
		python = "python3"
	}
	p, err := exec.LookPath(python)
	if err != nil {
		return "", fmt.Errorf("%w: %q (choose one with --python)", ErrNoInterpreter, python)
	}
	return p, nil
}

// Python describes an interpreter found on this machine.
type Python struct {
	Path    string
	Version string
	NumPy   string // NumPy version, "" when it has none
}

// Inspect asks an interpreter for its version and NumPy's.
func Inspect(ctx context.Context, python string) (Python, error) {
	path, err := LookPython(python)
	if err != nil {
		return Python{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	const src = "import sys\nv='%d.%d.%d'%sys.version_info[:3]\ntry:\n import numpy\n n=numpy.__version__\nexcept Exception:\n n=''\nprint(v, n)\n"
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-c", src)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return Python{}, fmt.Errorf("run %s: %w", path, err)
	}
	f := strings.Fields(out.String())
	if len(f) == 0 {
		return Python{}, fmt.Errorf("run %s: no version printed", path)
	}
	py := Python{Path: path, Version: f[0]}
	if len(f) > 1 {
		py.NumPy = f[1]
	}
	return py, nil
}

// Interpreters lists the Python interpreters worth trying, in order of
// preference: python3 on PATH, then the system's own.
func Interpreters(ctx context.Context) []Python {
	seen := map[string]bool{}
	var out []Python
	names := []string{"python3", "python", "/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"}
	for _, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			real = p
		}
		if seen[real] || seen[p] {
			continue
		}
		seen[real], seen[p] = true, true
		py, err := Inspect(ctx, p)
		if err != nil {
			continue
		}
		out = append(out, py)
	}
	return out
}

// FindNumPy returns the first interpreter with NumPy.
func FindNumPy(ctx context.Context) (Python, bool) {
	for _, py := range Interpreters(ctx) {
		if py.NumPy != "" {
			return py, true
		}
	}
	return Python{}, false
}

// MissingModule returns the top-level module a Python traceback failed to
// import ("numpy" for "No module named 'numpy.linalg'"), or "".
func MissingModule(traceback string) string {
	const marker = "No module named '"
	i := strings.LastIndex(traceback, marker)
	if i < 0 {
		return ""
	}
	rest := traceback[i+len(marker):]
	j := strings.IndexByte(rest, '\'')
	if j <= 0 {
		return ""
	}
	mod, _, _ := strings.Cut(rest[:j], ".")
	// A name is imported by another interpreter to test it: identifiers
	// only.
	for _, c := range mod {
		if c != '_' && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return ""
		}
	}
	return mod
}

// WithModule returns the first interpreter of Interpreters, other than
// except, that imports module: the one to suggest when except lacks it.
func WithModule(ctx context.Context, module, except string) (Python, bool) {
	skip := except
	if real, err := filepath.EvalSymlinks(except); err == nil {
		skip = real
	}
	for _, py := range Interpreters(ctx) {
		real, err := filepath.EvalSymlinks(py.Path)
		if err != nil {
			real = py.Path
		}
		if real == skip || py.Path == except {
			continue
		}
		if module == "numpy" && py.NumPy != "" {
			return py, true
		}
		if module != "numpy" && imports(ctx, py.Path, module) {
			return py, true
		}
	}
	return Python{}, false
}

// imports says whether python imports module, within a few seconds.
func imports(ctx context.Context, python, module string) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, python, "-c", "import "+module).Run() == nil
}
