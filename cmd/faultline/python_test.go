package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/faultline/faultline/internal/testenv"
)

// debianPython returns /usr/bin/python3 when it has what the notebook and
// pytest tests need (test.sh installs it), else skips saying what is missing.
func debianPython(t *testing.T) string {
	t.Helper()
	py := plainPython(t)
	for _, mod := range []string{"numpy", "IPython", "ipykernel", "nbclient", "nbconvert", "nbformat", "pytest"} {
		if err := exec.Command(py, "-c", "import "+mod).Run(); err != nil {
			testenv.Missing(t, "%s has no %s: apt-get install python3-numpy python3-ipython python3-ipykernel python3-nbclient python3-nbconvert python3-nbformat python3-pytest (test.sh does)", py, mod)
		}
	}
	return py
}

// venv makes a virtual environment that sees the system's packages (NumPy,
// IPython) and has a site-packages of its own to install into.
func venv(t *testing.T, py string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "venv")
	if out, err := exec.Command(py, "-m", "venv", "--without-pip", "--system-site-packages", dir).CombinedOutput(); err != nil {
		t.Fatalf("%s -m venv: %v\n%s", py, err, out)
	}
	return filepath.Join(dir, "bin", "python")
}

// installPackage installs the Python package into py with this binary's
// `faultline python --install`.
func installPackage(t *testing.T, py string) string {
	t.Helper()
	cmd, _ := cliCmd(t, "python", "--install", "--python", py)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("faultline python --install: %v\n%s", err, out)
	}
	return string(out)
}

// TestPythonPackage installs the package with `faultline python --install`
// and runs its tests (python/tests) in that interpreter against this
// binary: the magics in real IPython (the seed as a cell, a line, a
// SyntaxError, Ctrl-C) and a notebook run by nbclient and opened in
// Chromium. Those tests measure; none may skip here.
func TestPythonPackage(t *testing.T) {
	py := venv(t, debianPython(t))
	out := installPackage(t, py)
	if !strings.Contains(out, "in IPython or Jupyter: %load_ext faultline") {
		t.Errorf("install output:\n%s", out)
	}
	doctor, _ := cliCmd(t, "doctor", "--python", py)
	if out, _ := doctor.CombinedOutput(); !strings.Contains(string(out), "ok       ipython") {
		t.Errorf("doctor after the install:\n%s", out)
	}
	tests, err := filepath.Abs(filepath.Join("..", "..", "python", "tests"))
	if err != nil {
		t.Fatal(err)
	}
	unit := exec.Command(py, "-m", "unittest", "discover", "-v", "-s", tests, "-t", tests)
	unit.Dir = t.TempDir()
	artifacts := os.Getenv("FAULTLINE_ARTIFACTS")
	if artifacts == "" {
		// As the report tests keep their screenshots.
		artifacts = filepath.Join(os.TempDir(), "faultline-report-artifacts")
	}
	unit.Env = append(os.Environ(), "FAULTLINE_TEST_AS_CLI=1", "FAULTLINE_BIN="+os.Args[0],
		"FAULTLINE_PYTHON_LIVE=1", "FAULTLINE_ARTIFACTS="+artifacts, "TMPDIR="+unit.Dir)
	res, err := unit.CombinedOutput()
	t.Logf("python -m unittest:\n%s", res)
	if err != nil {
		t.Fatalf("the Python package's tests failed: %v", err)
	}
	if strings.Contains(string(res), "skipped") {
		t.Errorf("a Python test skipped; here every one must run")
	}
}

// TestPythonInstallWithoutWriteAccess runs the install as an unprivileged
// user: with no writable site-packages and no user site it refuses in one
// line (exit 4) and writes nothing; with a home of its own it installs into
// the user site.
func TestPythonInstallWithoutWriteAccess(t *testing.T) {
	py := debianPython(t)
	if os.Getuid() != 0 {
		testenv.Missing(t, "needs root to run the install as another user (CI runs as root)")
	}
	const nobody = 65534
	dir, err := os.MkdirTemp("", "faultline-install-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "faultline")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	for _, d := range []string{dir, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	install := func(home string) (string, int) {
		cmd := exec.Command(bin, "python", "--install", "--python", py)
		cmd.Dir = dir
		cmd.Env = []string{"FAULTLINE_TEST_AS_CLI=1", "HOME=" + home, "PATH=/usr/bin:/bin", "TMPDIR=" + dir}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		out, err := cmd.CombinedOutput()
		return string(out), exitCode(err)
	}
	out, code := install(home) // a home nobody cannot write
	if code != exitInternal || strings.Count(strings.TrimSpace(out), "\n") != 0 ||
		!strings.Contains(out, "faultline: cannot write the package for "+py) || !strings.Contains(out, "permission denied") {
		t.Errorf("install without write access: exit %d, want %d and one line:\n%s", code, exitInternal, out)
	}
	if m, _ := filepath.Glob(filepath.Join(home, ".local", "lib", "*", "site-packages", "faultline")); len(m) > 0 {
		t.Errorf("a refused install wrote %s", m)
	}
	if err := os.Chown(home, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	out, code = install(home)
	m, _ := filepath.Glob(filepath.Join(home, ".local", "lib", "*", "site-packages", "faultline", "__init__.py"))
	if code != 0 || len(m) != 1 || !strings.Contains(out, filepath.Dir(m[0])) {
		t.Errorf("install into the user site: exit %d, package %v:\n%s", code, m, out)
	}
}

// copyDir copies the regular files of src (one level of directories: the
// examples have no deeper ones) into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPytestPlugin runs the pytest plugin (python/faultline/pytest_plugin.py)
// in Debian's pytest on python/examples/pytest, installed by `faultline
// python --install` (no entry points: the example's conftest.py names the
// plugin), measuring in the interpreter pytest runs under. The fixed
// normalise() passes and its results are saved; gated against them it
// passes again; made slow (t / 255.0 instead of dividing in place), each of
// its tests fails: with the gate, at the compare, one line per metric that
// rose (faults, memory syscalls); without it, at the assertion, with the
// count, the limit, and the result's summary beside it. The third test
// compares statements and passes throughout.
func TestPytestPlugin(t *testing.T) {
	py := venv(t, debianPython(t))
	installPackage(t, py)
	example, err := filepath.Abs(filepath.Join("..", "..", "python", "examples", "pytest"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "example")
	copyDir(t, example, dir)
	saved := filepath.Join(t.TempDir(), "saved")
	tmp := t.TempDir()
	pytest := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(py, append([]string{"-m", "pytest", "-p", "no:cacheprovider"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "FAULTLINE_TEST_AS_CLI=1", "FAULTLINE_BIN="+os.Args[0], "TMPDIR="+tmp)
		out, err := cmd.CombinedOutput()
		t.Logf("pytest %s:\n%s", strings.Join(args, " "), out)
		return string(out), exitCode(err)
	}
	want := func(out string, patterns ...string) {
		t.Helper()
		for _, p := range patterns {
			if !regexp.MustCompile(p).MatchString(out) {
				t.Errorf("pytest output lacks %q", p)
			}
		}
	}

	out, code := pytest("--faultline-save=" + saved)
	if code != 0 {
		t.Fatalf("the fixed normalise: pytest exit %d, want 0", code)
	}
	want(out, `(?m)^faultline: saved 3 results in `, ` 3 passed in `)
	for _, name := range []string{"test_normalise.py--test_normalise_does_not_refault.json",
		"test_normalise.py--test_normalise_memory.json", "test_normalise.py--test_named_temporary_is_the_cause.json"} {
		if _, err := os.Stat(filepath.Join(saved, name)); err != nil {
			t.Errorf("saved result: %v", err)
		}
	}

	out, code = pytest("--faultline-compare=" + saved)
	if code != 0 {
		t.Errorf("the fixed normalise gated against itself: pytest exit %d, want 0", code)
	}
	want(out, `(?m)^faultline: gated 3 results against \S+: 0 regressed$`, ` 3 passed in `)

	lib := filepath.Join(dir, "normalise.py")
	src, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	fixed := "    np.divide(t, 255.0, out=t)\n    return t\n"
	if !strings.Contains(string(src), fixed) {
		t.Fatalf("%s no longer ends with %q", example, fixed)
	}
	slow := strings.Replace(string(src), fixed, "    return t / 255.0\n", 1)
	if err := os.WriteFile(lib, []byte(slow), 0o644); err != nil {
		t.Fatal(err)
	}

	out, code = pytest("--faultline-compare=" + saved)
	if code != 1 {
		t.Errorf("the slow normalise gated: pytest exit %d, want 1", code)
	}
	num := `[\d,.]+`
	want(out,
		`(?m)^faultline gate \(faults>\+100%,syscalls>\+0\.5\) against \S+test_normalise\.py--test_normalise_does_not_refault\.json:$`,
		`(?m)^A under glibc: faults `+num+` -> `+num+` per call \(\+`+num+`%\), over faults>\+100%$`,
		`(?m)^A under glibc: syscalls `+num+` -> `+num+` per call \(\+`+num+`\), over syscalls>\+0\.5$`,
		`(?m)^faultline: gated 3 results against \S+: 2 regressed$`,
		` 2 failed, 1 passed in `)

	out, code = pytest()
	if code != 1 {
		t.Errorf("the slow normalise: pytest exit %d, want 1", code)
	}
	want(out,
		// pytest's own assertion, with the count and a one-line result.
		`(?m)^E +AssertionError: assert `+num+` < 64$`,
		`where `+num+` = <bound method Result\.faults_per_call of <faultline result: A = normalise\(a\)>>\('A'\)`,
		// assert_memory's message, every limit broken.
		`(?m)^E +AssertionError: faultline: A \(normalise\(a\)\) under glibc, `+num+` .s per call:$`,
		`(?m)^E +`+num+` minor page faults per call \(limit 64\)$`,
		`(?m)^E +`+num+` memory syscalls per call \(limit 2\)$`,
		`(?m)^E +finding heap-trim-refault: `,
		// The result beside the failure: its counts and findings.
		`(?m)^-+ faultline result -+$`,
		`(?m)^A under glibc: `+num+` minor faults, \d+ brk`,
		` 2 failed, 1 passed in `)
	if strings.Contains(out, "pytest_plugin.py") || strings.Contains(out, "_run.py") {
		t.Errorf("a failure shows the plugin's own frames")
	}
}

// TestPytestEntryPoint installs the package with pip from python/ (its
// pyproject.toml), into a virtual environment of Debian's python3: pytest
// then loads the plugin by its pytest11 entry point, with no conftest, and a
// conftest that names it too (the example's, for `faultline python
// --install`) does not register it twice.
func TestPytestEntryPoint(t *testing.T) {
	py := venv(t, debianPython(t))
	for _, mod := range []string{"pip", "setuptools", "wheel"} {
		if err := exec.Command(py, "-c", "import "+mod).Run(); err != nil {
			testenv.Missing(t, "%s has no %s: apt-get install python3-pip python3-setuptools python3-wheel", py, mod)
		}
	}
	src := filepath.Join(t.TempDir(), "python")
	for _, f := range []string{"pyproject.toml", "README.md", "faultline"} {
		from := filepath.Join("..", "..", "python", f)
		if f == "faultline" {
			copyDir(t, from, filepath.Join(src, f))
			continue
		}
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(src, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	run := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command(py, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "PIP_DISABLE_PIP_VERSION_CHECK=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(tmp, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index", "--no-deps", src)
	empty := t.TempDir()
	if out := run(empty, "-m", "pytest", "-p", "no:cacheprovider", "--help"); !strings.Contains(out, "--faultline-compare=DIR") {
		t.Errorf("pytest --help without a conftest has no --faultline-compare:\n%s", out)
	}
	example, _ := filepath.Abs(filepath.Join("..", "..", "python", "examples", "pytest"))
	dir := filepath.Join(t.TempDir(), "example")
	copyDir(t, example, dir)
	for _, args := range [][]string{{}, {"-p", "faultline.pytest_plugin"}} {
		out := run(dir, append([]string{"-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"}, args...)...)
		if !strings.Contains(out, "3 tests collected") {
			t.Errorf("pytest --collect-only %s with the entry point and the example's conftest:\n%s", args, out)
		}
	}
}
