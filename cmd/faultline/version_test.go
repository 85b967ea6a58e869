package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFrom(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, c := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{nil, "devel"},
		// go install github.com/faultline/faultline/cmd/faultline@v1.2.3
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.4-0.20260101120000-0123456789ab+dirty"}}, "v1.2.4-0.20260101120000-0123456789ab+dirty"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("vcs.revision", "0123456789abcdef0123", "vcs.modified", "true")}, "devel 0123456789ab dirty"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("vcs.revision", "0123456789abcdef0123", "vcs.modified", "false")}, "devel 0123456789ab"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
	} {
		if got := versionFrom(c.bi); got != c.want {
			t.Errorf("versionFrom(%+v) = %q, want %q", c.bi, got, c.want)
		}
	}
}

// TestVersionOfABuild builds the command and runs --version: a build from
// this module says what its build info holds (a revision in a git
// checkout, "devel" outside one), never an empty string; -ldflags -X
// main.version overrides it, as release builds may.
func TestVersionOfABuild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the command")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "faultline")
	for _, tc := range []struct {
		ldflags string
		want    string
	}{
		{"", "faultline version devel"},
		{"-X main.version=v9.8.7", "faultline version v9.8.7\n"},
	} {
		args := []string{"build", "-o", bin}
		if tc.ldflags != "" {
			args = append(args, "-ldflags", tc.ldflags)
		}
		if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		out, err := exec.Command(bin, "--version").Output()
		if err != nil {
			t.Fatalf("--version: %v", err)
		}
		if !strings.HasPrefix(string(out), tc.want) {
			t.Errorf("--version printed %q, want it to start with %q", out, tc.want)
		}
	}
}

// TestVersionOfATaggedBuild: a build of a tagged commit says the tag, as a
// `go install ...@vX` binary does (the go command stamps the main module's
// version from the VCS tag). The repository is cloned and the clone tagged,
// so the checkout under test is left alone.
func TestVersionOfATaggedBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: clones the repository and builds the command")
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): the version comes from a tag", err)
	}
	clone := filepath.Join(t.TempDir(), "faultline")
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(".", "clone", "--quiet", "--local", "--no-hardlinks", strings.TrimSpace(string(root)), clone)
	git(clone, "-c", "user.name=test", "-c", "user.email=test@localhost", "tag", "v0.9.9")
	bin := filepath.Join(t.TempDir(), "faultline")
	build := exec.Command("go", "build", "-o", bin, "./cmd/faultline")
	// The stamp needs VCS information, which GOFLAGS may turn off.
	build.Dir, build.Env = clone, append(os.Environ(), "GOFLAGS=-buildvcs=true")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("--version: %v", err)
	}
	if string(out) != "faultline version v0.9.9\n" {
		t.Errorf("--version of a build tagged v0.9.9 printed %q", out)
	}
}
