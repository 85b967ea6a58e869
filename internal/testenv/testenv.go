// Package testenv is how a test says that this machine lacks something it
// needs. Outside CI the test skips, with the reason and the package that
// brings it; in CI (CI=true), where test.sh installs every package and the
// job runs as root, a missing capability is a failure: a suite that
// skips what it exists to check would pass without checking it.
package testenv

import (
	"os"
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
