package result

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadIsBounded: what is not a document is refused at once, never
// read until memory runs out or waited on: a device (/dev/zero,
// /dev/urandom), a directory, a FIFO nobody writes, a file larger than
// MaxDocumentBytes (sparse, so the test writes nothing).
func TestReadIsBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxDocumentBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	link := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"/dev/zero", "not a regular file or a pipe (a character device)"},
		{"/dev/urandom", "not a regular file or a pipe"},
		{link, "not a regular file or a pipe"},
		{dir, "not a regular file or a pipe (a directory)"},
		{huge, "more than the"},
		{fifo, "decode"},
	} {
		start := time.Now()
		_, _, err := LoadAny(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadAny(%s) = %v, want %q", tc.path, err, tc.want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("LoadAny(%s) took %s", tc.path, d)
		}
	}
}
