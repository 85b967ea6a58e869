package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/faultline/faultline/internal/testenv"
)

// debianPython returns /usr/bin/python3 when it has what the notebook
// tests need (test.sh installs it), else skips saying what is missing.
func debianPython(t *testing.T) string {
	t.Helper()
	py := plainPython(t)
	for _, mod := range []string{"numpy", "IPython", "ipykernel", "nbclient", "nbconvert", "nbformat"} {
		if err := exec.Command(py, "-c", "import "+mod).Run(); err != nil {
			testenv.Missing(t, "%s has no %s: apt-get install python3-numpy python3-ipython python3-ipykernel python3-nbclient python3-nbconvert python3-nbformat (test.sh does)", py, mod)
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

// TestPythonPackage installs the package with `faultline python --install`
// and runs its tests (python/tests) in that interpreter against this
// binary: the magics in real IPython (the seed as a cell, a line, a
// SyntaxError, Ctrl-C) and a notebook run by nbclient and opened in
// Chromium. Those tests measure; none may skip here.
func TestPythonPackage(t *testing.T) {
	py := venv(t, debianPython(t))
	cmd, _ := cliCmd(t, "python", "--install", "--python", py)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("faultline python --install: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "in IPython or Jupyter: %load_ext faultline") {
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
