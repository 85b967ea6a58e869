package uprobe

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/elfsym"
)

// probeSelf opens, and closes at once, a probe on a function of the
// running binary, on this process.
func probeSelf() error {
	p, err := loadPMU()
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	f, err := elfsym.Open(exe)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	// The entry point has run long before: the probe is never hit.
	off, ok := f.Entry()
	if !ok {
		return fmt.Errorf("%w: no entry point in %s to try a probe on", ErrUnavailable, exe)
	}
	fd, err := openProbe(p, Probe{Path: exe, Offset: off}, os.Getpid(), false)
	if err != nil {
		return err
	}
	unix.Close(fd)
	return nil
}
