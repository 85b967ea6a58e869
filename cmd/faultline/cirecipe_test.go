package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCIRecipe runs the steps of the GitHub Actions example
// (examples/ci/github-workflow.yml, docs/ci.md) that a runner runs itself
// — not the actions (checkout, cache, upload) nor the install — as the
// workflow has them, on two builds of its program: main's, and a change
// that trims the heap after every item. The first run keeps the baseline,
// an unchanged build passes the gate, the trimming one fails it with one
// line naming the metric, and the report the upload step names is there.
func TestCIRecipe(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler: apt-get install gcc (test.sh does)")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	steps := workflowSteps(t, filepath.Join(root, "examples", "ci", "github-workflow.yml"))
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(root, "examples", "ci", "work.c"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "examples", "ci"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "examples", "ci", "work.c"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	// faultline on PATH is this test binary acting as the CLI.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "faultline")); err != nil {
		t.Fatal(err)
	}
	step := func(name, cflags string) (stderr string, code int) {
		t.Helper()
		script, ok := steps[name]
		if !ok {
			t.Fatalf("the workflow has no step %q with a run script", name)
		}
		cmd := exec.Command("bash", "-e", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAULTLINE_TEST_AS_CLI=1",
			"XDG_CACHE_HOME="+filepath.Join(dir, ".cache"), "CFLAGS="+cflags)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			code = ee.ExitCode()
		default:
			t.Fatalf("step %q: %v", name, err)
		}
		t.Logf("step %q (CFLAGS=%q): exit %d\n%s%s", name, cflags, code, out.String(), errb.String())
		return errb.String(), code
	}
	mustPass := func(name, cflags string) string {
		t.Helper()
		stderr, code := step(name, cflags)
		if code != 0 {
			t.Fatalf("step %q (CFLAGS=%q) exited %d:\n%s", name, cflags, code, stderr)
		}
		return stderr
	}

	// The first run on main: no baseline yet, so it measures only, and
	// keeps its result as the baseline.
	mustPass("Build", "")
	mustPass("Measure and gate", "")
	mustPass("Keep the baseline", "")
	if _, err := os.Stat(filepath.Join(dir, "faultline-baseline.json")); err != nil {
		t.Fatalf("no baseline kept: %v", err)
	}

	// A pull request that changes nothing passes: the counts repeat, and
	// a time gate fails only on a significant change.
	mustPass("Build", "")
	if stderr := mustPass("Measure and gate", ""); strings.Contains(stderr, "fail-if") {
		t.Errorf("the unchanged build breached the gate:\n%s", stderr)
	}

	// The change that trims the heap after every item: exit 5, one line
	// per broken limit, the faults' among them.
	mustPass("Build", "-DTRIM")
	stderr, code := step("Measure and gate", "-DTRIM")
	if code != exitGate {
		t.Fatalf("the trimming build: exit %d, want %d (gate)\n%s", code, exitGate, stderr)
	}
	faults := regexp.MustCompile(`(?m)^faultline: fail-if: A \(work\) under glibc: faults [0-9,]+ -> [0-9,]+ per run \(\+[0-9.]+%\), over faults>\+10%$`)
	if !faults.MatchString(stderr) {
		t.Errorf("no fail-if line naming the faults:\n%s", stderr)
	}
	for _, f := range []string{"faultline.html", "faultline.json"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s, which the upload step names: %v", f, err)
		}
	}

	// The GitLab job runs the same measurement.
	gl, err := os.ReadFile(filepath.Join(root, "examples", "ci", "gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(steps["Measure and gate"], "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(string(gl), l) {
			t.Errorf("gitlab-ci.yml lacks the workflow's line %q", l)
		}
	}
}

// workflowSteps reads the run scripts of a GitHub Actions workflow's
// named steps: "run: cmd" and "run: |" blocks. The workflow is ours and
// simple; this is not a YAML parser.
func workflowSteps(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]string{}
	lines := strings.Split(string(b), "\n")
	name := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trim := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(trim, "- "):
			name = ""
			if n, ok := strings.CutPrefix(trim, "- name:"); ok {
				name = strings.TrimSpace(n)
			}
		case strings.HasPrefix(trim, "name:") && name == "" && strings.HasPrefix(l, "        "):
			name = strings.TrimSpace(strings.TrimPrefix(trim, "name:"))
		case strings.HasPrefix(trim, "run:") && name != "":
			indent := len(l) - len(strings.TrimLeft(l, " "))
			v := strings.TrimSpace(strings.TrimPrefix(trim, "run:"))
			if v != "|" {
				steps[name] = v
				continue
			}
			var block []string
			for i+1 < len(lines) {
				next := lines[i+1]
				if strings.TrimSpace(next) != "" && len(next)-len(strings.TrimLeft(next, " ")) <= indent {
					break
				}
				block = append(block, strings.TrimPrefix(next, strings.Repeat(" ", indent+2)))
				i++
			}
			steps[name] = strings.Join(block, "\n")
		}
	}
	if len(steps) == 0 {
		t.Fatalf("%s: no steps with run scripts", path)
	}
	return steps
}
