// Package testenv is how a test says that this machine lacks something it
// needs. Outside CI the test skips, with the reason and the package that
// brings it; in CI (CI=true), where test.sh installs every package and the
// job runs as root, a missing capability is a failure: a suite that
// skips what it exists to check would pass without checking it.
package testenv

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// InCI says whether the tests run in CI.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips t for a capability this machine lacks, or fails it in CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true, where test.sh provides it: "+format, args...)
	}
	t.Skipf(format, args...)
}

// Neighbours starts n CPU-bound processes beside the test, as on a busy
// machine, until the test ends.
func Neighbours(t testing.TB, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var cmds []*exec.Cmd
	t.Cleanup(func() {
		cancel()
		for _, c := range cmds {
			_ = c.Wait()
		}
	})
	for range n {
		c := exec.CommandContext(ctx, "/bin/sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			t.Fatalf("start a busy neighbour: %v", err)
		}
		cmds = append(cmds, c)
	}
}
