package main

import (
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
