// Package notebook installs faultline's Python package (the IPython magics
// and compare(), embedded from python/faultline) into an interpreter, and
// says what an interpreter has for it: IPython, and where `import
// faultline` finds the package. It writes files and runs the interpreter;
// it measures nothing.
package notebook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/python"
)

// Interpreter is what a Python interpreter has for the package.
type Interpreter struct {
	Path            string `json:"path"`
	Version         string `json:"version"`
	IPython         string `json:"ipython"`           // IPython's version, "" when it has none
	Purelib         string `json:"purelib"`           // where pip would install for everyone
	UserSite        string `json:"user_site"`         // the user's site-packages
	UserSiteEnabled bool   `json:"user_site_enabled"` // false in a virtual environment without system packages, or with -s
	Package         string `json:"package"`           // the directory `import faultline` loads, "" when none
}

// inspectSrc prints the facts as JSON. It runs from / so that no faultline
// directory in the caller's working directory shadows the installed one.
const inspectSrc = `import importlib.util, json, os, site, sys, sysconfig
d = {"version": "%d.%d.%d" % sys.version_info[:3], "purelib": sysconfig.get_paths()["purelib"],
     "user_site": site.getusersitepackages(), "user_site_enabled": bool(site.ENABLE_USER_SITE)}
try:
    import IPython
    d["ipython"] = IPython.__version__
except Exception:
    d["ipython"] = ""
try:
    spec = importlib.util.find_spec("faultline")
except Exception:
    spec = None
d["package"] = os.path.dirname(spec.origin) if spec is not None and spec.origin else ""
print(json.dumps(d))
`

// Inspect asks the interpreter at path (already resolved) for its facts.
func Inspect(ctx context.Context, path string) (Interpreter, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-c", inspectSrc)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return Interpreter{}, fmt.Errorf("ask %s for its site-packages: %w: %s", path, err, lastLine(errb.String()))
	}
	py := Interpreter{Path: path}
	if err := json.Unmarshal(out.Bytes(), &py); err != nil {
		return Interpreter{}, fmt.Errorf("ask %s for its site-packages: %w (is it a Python 3 interpreter?)", path, err)
	}
	return py, nil
}

// ErrNotWritable means no site-packages directory of the interpreter can
// be written by this user.
var ErrNotWritable = errors.New("cannot write the package")

// ErrForeign means the target holds a faultline package this installer
// did not write (pip's, say), which it will not overwrite.
var ErrForeign = errors.New("a faultline package that faultline did not install is in the way")

// marker is the file the installer writes into the package: it records the
// binary the package runs, and marks the directory as the installer's.
const marker = "_installed.py"

// Install writes the package into the interpreter's site-packages, or its
// user site when that cannot be written, recording binary as the faultline
// the package runs when FAULTLINE_BIN is unset. It returns the package's
// directory. An existing installation of its own is replaced whole.
func Install(ctx context.Context, path, binary, version string) (string, error) {
	py, err := Inspect(ctx, path)
	if err != nil {
		return "", err
	}
	targets := []string{py.Purelib}
	if py.UserSiteEnabled && py.UserSite != py.Purelib {
		targets = append(targets, py.UserSite)
	}
	var tmp, target string
	var why []string
	for _, t := range targets {
		if tmp, err = stage(t); err == nil {
			target = t
			break
		}
		why = append(why, err.Error())
	}
	if target == "" {
		next := "run as a user who can write there, or choose an interpreter you own with --python (a virtual environment)"
		if !py.UserSiteEnabled {
			next = "run as a user who can write there (the user site is disabled for this interpreter)"
		}
		return "", fmt.Errorf("%w for %s: %s; %s", ErrNotWritable, path, strings.Join(why, "; "), next)
	}
	defer os.RemoveAll(tmp)
	if err := writePackage(tmp, binary, version); err != nil {
		return "", err
	}
	dir := filepath.Join(target, "faultline")
	if err := replace(tmp, dir); err != nil {
		return "", err
	}
	after, err := Inspect(ctx, path)
	if err != nil {
		return dir, err
	}
	if after.Package != dir {
		return dir, fmt.Errorf("installed into %s, but %s imports faultline from %q first: remove that one", dir, path, after.Package)
	}
	return dir, nil
}

// stage makes a temporary directory inside target (creating target, as a
// fresh user site needs), which proves target can be written.
func stage(target string) (string, error) {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return "", fmt.Errorf("%s: %w", target, bare(err))
	}
	tmp, err := os.MkdirTemp(target, ".faultline-new-")
	if err != nil {
		return "", fmt.Errorf("%s: %w", target, bare(err))
	}
	// MkdirTemp's 0700 would hide a shared installation from other users.
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("%s: %w", target, bare(err))
	}
	return tmp, nil
}

func writePackage(dir, binary, version string) error {
	files, err := fs.Glob(python.Package, "faultline/*.py")
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := python.Package.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			return fmt.Errorf("write the package: %w", err)
		}
	}
	rec := "# Written by `faultline python --install`: the binary this package runs when\n" +
		"# FAULTLINE_BIN is unset (then faultline on PATH, if this one is gone).\n" +
		"BINARY = " + strconv.Quote(binary) + "\nVERSION = " + strconv.Quote(version) + "\n"
	if err := os.WriteFile(filepath.Join(dir, marker), []byte(rec), 0o644); err != nil {
		return fmt.Errorf("write the package: %w", err)
	}
	return nil
}

// replace puts the staged package at dir, moving an earlier installation of
// its own aside first so that dir is never half written.
func replace(staged, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
			return fmt.Errorf("%w: %s (pip's? remove it with pip uninstall faultline, then install again)", ErrForeign, dir)
		}
		old, err := os.MkdirTemp(filepath.Dir(dir), ".faultline-old-")
		if err != nil {
			return fmt.Errorf("replace %s: %w", dir, err)
		}
		defer os.RemoveAll(old)
		if err := os.Rename(dir, filepath.Join(old, "faultline")); err != nil {
			return fmt.Errorf("replace %s: %w", dir, err)
		}
	}
	if err := os.Rename(staged, dir); err != nil {
		return fmt.Errorf("install %s: %w", dir, err)
	}
	return nil
}

// bare drops the path from a *PathError: the message names it already.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
