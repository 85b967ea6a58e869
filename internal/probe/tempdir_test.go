package probe

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveStale: directories of a dead faultline (or of a reused pid)
// go; this process's own and names of other programs stay.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	self := owner(os.Getpid())
	if self == "" {
		t.Fatal("no start time for this process in /proc")
	}
	keep := []string{tempPrefix + self + "-1", tempPrefix + "legacy123", "other-dir"}
	gone := []string{tempPrefix + "999999999.1-2", tempPrefix + self + "0-3"}
	for _, n := range append(keep, gone...) {
		if err := os.Mkdir(filepath.Join(dir, n), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	RemoveStale(dir)
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s removed: %v", n, err)
		}
	}
	for _, n := range gone {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			t.Errorf("%s kept", n)
		}
	}
}
