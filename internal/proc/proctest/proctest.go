// Package proctest builds the C workloads of testdata/c for tests that run
// real processes, and checks what is left of them in /proc.
package proctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Root returns the module's root directory, found from the working
// directory upwards (go test runs in the package's directory).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Need skips the test when a tool is not installed, naming the package
// that provides it. CI installs them all (test.sh), so there it never
// skips.
func Need(t testing.TB, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s not installed (apt-get install %s)", tool, pkg)
	}
	return p
}

// BuildC compiles testdata/c/NAME.c with gcc -O2 into t.TempDir() and
// returns the binary's path.
func BuildC(t testing.TB, name string) string {
	t.Helper()
	return BuildCWith(t, name)
}

// BuildCWith is BuildC with more gcc flags: -g for a binary with debug
// information.
func BuildCWith(t testing.TB, name string, flags ...string) string {
	t.Helper()
	gcc := Need(t, "gcc", "gcc libc6-dev")
	root := Root(t)
	out := filepath.Join(t.TempDir(), name)
	args := append([]string{"-O2", "-Wall", "-pthread"}, flags...)
	args = append(args, "-I", filepath.Join(root, "include"), "-I", filepath.Join(root, "testdata", "c"),
		"-o", out, filepath.Join(root, "testdata", "c", name+".c"))
	cmd := exec.Command(gcc, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc %s.c: %v\n%s", name, err, b)
	}
	return out
}

// MarkedLine is the line (from 1) of testdata/c/NAME.c holding the
// comment /* line-test: MARK */, for tests that check a source line
// without writing its number down.
func MarkedLine(t testing.TB, name, mark string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(t), "testdata", "c", name+".c"))
	if err != nil {
		t.Fatal(err)
	}
	comment := "/* line-test: " + mark + " */"
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, comment) {
			return i + 1
		}
	}
	t.Fatalf("%s.c has no line marked %q", name, comment)
	return 0
}

// Alive reports whether pid exists and is not a zombie.
func Alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ')' {
			return i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
		}
	}
	return false
}

// Exists reports whether /proc has an entry for pid (zombies included).
func Exists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}
