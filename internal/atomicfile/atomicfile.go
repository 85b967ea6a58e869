// Package atomicfile is faultline's one writer of output files: results,
// reports and the fault-cost cache all go through it.
//
// A regular file (or a path that does not exist yet) is written to a
// temporary file in the same directory and renamed over the target, so a
// reader sees the old content or the new, never a truncated one. The new
// file keeps an existing file's mode; a new file gets 0666 less the umask,
// as any other program's output would. A symlink is followed and its final
// target replaced, so the link stays a link. A symlink in a sticky,
// world-writable directory (/tmp) that belongs to another user, and not to
// the directory's owner, is not followed: the kernel refuses to follow it
// for everyone (fs.protected_symlinks), and faultline, which resolves links
// itself to rename beside the target, refuses it too, so root never writes
// through a link another user planted.
//
// Anything that is not a regular file (a FIFO, a character device such as
// /dev/null, /dev/stdout, a socket) is written through, never replaced:
// renaming over it would replace the node for everyone (as root, for the
// whole system) and a reader waiting on a FIFO would never get the data.
// "-" is standard output.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Stdout is the path that names standard output.
const Stdout = "-"

// maxLinks bounds symlink resolution, as the kernel does (ELOOP).
const maxLinks = 40

// Write writes data to path: atomically for a regular file, through for
// anything else (see the package doc).
func Write(path string, data []byte) error {
	if f := stdStream(path); f != nil {
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	target, st, err := resolve(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if st != nil && !st.Mode().IsRegular() {
		return writeThrough(path, target, data)
	}
	if err := replace(target, st, data); err != nil {
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	return nil
}

// Check says, without writing anything, whether Write(path) can succeed as
// far as can be known in advance: the directory of a regular file must
// allow creating the temporary file; anything else must be writable. It
// never opens a FIFO, which would block until a reader comes.
func Check(path string) error {
	if stdStream(path) != nil {
		return nil
	}
	target, st, err := resolve(path)
	if err != nil {
		return err
	}
	switch {
	case st != nil && st.IsDir():
		return errors.New("it is a directory")
	case st != nil && !st.Mode().IsRegular():
		if err := syscall.Access(target, 2 /* W_OK */); err != nil {
			return err
		}
		return nil
	case st != nil:
		if err := replaceable(target, st, os.Geteuid()); err != nil {
			return err
		}
	}
	f, err := createTemp(filepath.Dir(target), ".faultline-check-")
	if err != nil {
		return errors.Unwrap(err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// WriteTemp writes data to a new file in dir (os.TempDir() when empty)
// named from pattern (a "*" is replaced by a random string) and returns
// its path. A failed write removes the file: nothing truncated is left.
func WriteTemp(dir, pattern string, data []byte) (string, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	prefix, suffix, _ := strings.Cut(pattern, "*")
	f, err := createTemp(dir, prefix, suffix)
	if err != nil {
		return "", err
	}
	if err := fill(f, data); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %w", f.Name(), bare(err))
	}
	return f.Name(), nil
}

// IsStdout says whether path names standard output. Callers use it to keep
// the terminal report off a standard output that carries a result.
func IsStdout(path string) bool {
	return stdStream(path) == os.Stdout
}

// stdStream returns the stream a path names when it is one of ours:
// writing to the inherited descriptor keeps its offset and its type (a
// pipe, a terminal, a file the shell opened), where opening the
// /proc/self/fd link anew would start a pipe's reader over or overwrite a
// file from offset 0.
func stdStream(path string) *os.File {
	switch filepath.Clean(path) {
	case Stdout, "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1":
		return os.Stdout
	case "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2":
		return os.Stderr
	}
	return nil
}

// resolve follows symlinks to the final path and returns its Lstat, or nil
// when it does not exist yet. /proc links (/dev/fd/N and the like) name
// open descriptors, not paths: they are returned as they are, as a
// non-regular node, so they are written through.
func resolve(path string) (string, fs.FileInfo, error) {
	p := path
	for range maxLinks {
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			return p, st, nil
		}
		if err := protected(p, st); err != nil {
			return "", nil, err
		}
		if abs, err := filepath.Abs(p); err == nil && strings.HasPrefix(abs, "/proc/") {
			st, err := os.Stat(p)
			if err != nil {
				return "", nil, err
			}
			if st.Mode().IsRegular() {
				// A descriptor open on a regular file: write through it
				// too, since renaming cannot reach what the link names.
				return p, fakeNode{st}, nil
			}
			return p, st, nil
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", nil, err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = link
	}
	return "", nil, &fs.PathError{Op: "resolve", Path: path, Err: syscall.ELOOP}
}

// ErrProtectedLink is the refusal to follow a symlink another user
// planted in a sticky, world-writable directory.
var ErrProtectedLink = errors.New("a symlink in a sticky world-writable directory, owned by another user: not followed (as the kernel's fs.protected_symlinks)")

// protected applies the kernel's fs.protected_symlinks rule to the link
// at p: in a sticky, world-writable directory, only a link owned by the
// follower or by the directory's owner is followed.
func protected(p string, link fs.FileInfo) error {
	ls, ok := link.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	owner, sticky, worldWritable, err := stickyDir(p)
	if err != nil || !sticky || !worldWritable || ls.Uid == uint32(os.Geteuid()) || ls.Uid == owner {
		return err
	}
	return &fs.PathError{Op: "follow", Path: p, Err: ErrProtectedLink}
}

// stickyDir says whether the directory holding p has the sticky bit, and
// whether everyone may write in it, with its owner: the kernel's rules
// for following links and replacing files there turn on these.
func stickyDir(p string) (owner uint32, sticky, worldWritable bool, err error) {
	dir, err := os.Stat(filepath.Dir(p))
	if err != nil {
		return 0, false, false, err
	}
	ds, ok := dir.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false, false, nil
	}
	return ds.Uid, dir.Mode()&fs.ModeSticky != 0, dir.Mode().Perm()&0o002 != 0, nil
}

// ErrNotReplaceable is a regular file that the rename could not replace:
// another user's file in a sticky directory.
var ErrNotReplaceable = errors.New("another user's file in a sticky directory: it cannot be replaced")

// replaceable says whether euid may rename over the existing file target:
// in a sticky directory only the file's owner, the directory's owner and
// root may (the kernel's rule for unlink and rename).
func replaceable(target string, st fs.FileInfo, euid int) error {
	fst, ok := st.Sys().(*syscall.Stat_t)
	if !ok || euid == 0 {
		return nil
	}
	owner, sticky, _, err := stickyDir(target)
	if err != nil || !sticky || fst.Uid == uint32(euid) || owner == uint32(euid) {
		return err
	}
	return ErrNotReplaceable
}

// bare drops a *fs.PathError's or *os.LinkError's operation and paths:
// they name a temporary file the user never asked for, and the caller
// names the real one.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// fakeNode reports a regular file as a device so that it is written
// through (a /proc/self/fd link to an open file).
type fakeNode struct{ fs.FileInfo }

func (f fakeNode) Mode() fs.FileMode { return f.FileInfo.Mode() | fs.ModeDevice }

// fifoWait is how long a write waits for a FIFO's reader to come.
const fifoWait = 2 * time.Second

func writeThrough(path, target string, data []byte) error {
	// No O_CREATE: the node exists. No O_TRUNC: devices and FIFOs ignore
	// it, and a descriptor's file belongs to whoever opened it. Opened
	// non-blocking: a FIFO without a reader would otherwise hold the open
	// forever (ENXIO instead, tried again for fifoWait); Go's poller then
	// waits for room in the pipe as a blocking write would.
	var f *os.File
	var err error
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		f, err = os.OpenFile(target, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if !errors.Is(err, syscall.ENXIO) || time.Since(start) > fifoWait {
			break
		}
	}
	if errors.Is(err, syscall.ENXIO) {
		return fmt.Errorf("write %s: no reader on the FIFO after %s", path, fifoWait)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// pending holds the temporary files being written, so that a process
// that must exit at once (a signal) removes them: no .faultline-*.tmp is
// left beside an output.
var pending sync.Map

// RemovePending removes every temporary file still being written. For a
// process about to exit in the middle of a write.
func RemovePending() {
	pending.Range(func(k, _ any) bool {
		os.Remove(k.(string))
		return true
	})
}

// replace writes a temporary file beside target and renames it over it.
func replace(target string, old fs.FileInfo, data []byte) error {
	f, err := createTemp(filepath.Dir(target), ".faultline-", ".tmp")
	if err != nil {
		return err
	}
	pending.Store(f.Name(), true)
	defer pending.Delete(f.Name())
	err = fill(f, data)
	if err == nil && old != nil {
		// Keep the existing file's mode (and, when allowed, its owner:
		// root rewriting a user's report should not take it over).
		err = os.Chmod(f.Name(), old.Mode().Perm())
		if st, ok := old.Sys().(*syscall.Stat_t); ok && err == nil {
			_ = os.Chown(f.Name(), int(st.Uid), int(st.Gid))
		}
	}
	if err == nil {
		err = os.Rename(f.Name(), target)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// fill writes data, flushes it to disk and closes f.
func fill(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// createTemp creates a new file with mode 0666, which the kernel reduces
// by the umask (os.CreateTemp would make it 0600 whatever the umask).
func createTemp(dir, prefix string, suffix ...string) (*os.File, error) {
	sfx := strings.Join(suffix, "")
	seed := uint64(time.Now().UnixNano()) ^ uint64(os.Getpid())<<32
	for range 10000 {
		seed = seed*6364136223846793005 + 1442695040888963407
		name := filepath.Join(dir, prefix+strconv.FormatUint(seed>>16, 36)+sfx)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, prefix+"*"+sfx), Err: fs.ErrExist}
}
