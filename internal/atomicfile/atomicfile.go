// Package atomicfile writes a file so that readers see the old content or
// the new, never a truncated one: a temporary file in the same directory,
// renamed over the target. Results, reports and caches all go through it.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write writes data to path atomically, as an ordinary 0644 file.
func Write(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".faultline-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	// CreateTemp makes the file owner-only.
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
