package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWrite: the file has the new content, no temporary file is left
// behind, and a directory that does not exist is an error.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("content %q, %v", got, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1", len(ents))
	}
	if err := Write(filepath.Join(dir, "missing", "x"), []byte("x")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// TestModeKeptOrUmask: an existing file keeps its mode; a new one gets
// 0666 less the umask (the old writer forced 0644 on both).
func TestModeKeptOrUmask(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old")
	if err := os.WriteFile(old, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := Write(old, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(old); st.Mode().Perm() != 0o640 {
		t.Errorf("existing file's mode became %v, want 0640", st.Mode().Perm())
	}
	mask := syscall.Umask(0o027)
	defer syscall.Umask(mask)
	fresh := filepath.Join(dir, "new")
	if err := Write(fresh, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o640 {
		t.Errorf("new file's mode %v under umask 027, want 0640", st.Mode().Perm())
	}
}

// TestSymlinkKept: writing a symlink replaces its target atomically and
// leaves the link a link, also through a chain and to a missing target.
func TestSymlinkKept(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	chain := filepath.Join(dir, "chain.json")
	dangling := filepath.Join(dir, "dangling.json")
	for _, l := range [][2]string{{"real.json", link}, {"link.json", chain}, {"later.json", dangling}} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{link, chain, dangling} {
		if err := Write(p, []byte("new "+p)); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symlink", p)
		}
		if got, _ := os.ReadFile(p); string(got) != "new "+p {
			t.Errorf("%s reads %q", p, got)
		}
	}
}

// TestNotReplaced: a FIFO and a character device are written through and
// stay what they were; a reader of the FIFO gets the data.
func TestNotReplaced(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	if err := Check(fifo); err != nil {
		t.Fatalf("Check(fifo): %v", err)
	}
	if err := Write(fifo, []byte("through the fifo")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the fifo" {
		t.Errorf("reader got %q", s)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO became %v", st.Mode())
	}
	if err := Write("/dev/null", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat("/dev/null"); st.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("/dev/null became %v", st.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files beside the FIFO, want 1", len(ents))
	}
}

// TestWriteTempRemovesOnFailure: a temporary file that could not be
// written in full is removed, not left truncated.
func TestWriteTempRemovesOnFailure(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteTemp(filepath.Join(dir, "missing"), "x-*.json", []byte("x")); err == nil {
		t.Fatal("WriteTemp into a missing directory succeeded")
	}
	p, err := WriteTemp(dir, "x-*.json", []byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "data" || filepath.Dir(p) != dir || filepath.Ext(p) != ".json" {
		t.Errorf("%s holds %q", p, b)
	}
}

// TestProtectedSymlink: as root, a symlink another user planted in a
// sticky, world-writable directory is not followed (the victim it points
// at keeps its content, and Check refuses it before anything runs); a
// link of root's own there is followed as before.
func TestProtectedSymlink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant another user's symlink")
	}
	dir := t.TempDir()
	sticky := filepath.Join(dir, "tmp")
	if err := os.Mkdir(sticky, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(sticky, "r.json")
	if err := os.Symlink(victim, planted); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(planted, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := Check(planted); !errors.Is(err, ErrProtectedLink) {
		t.Errorf("Check = %v, want the protected-link refusal", err)
	}
	if err := Write(planted, []byte("clobbered")); !errors.Is(err, ErrProtectedLink) {
		t.Errorf("Write = %v, want the protected-link refusal", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatalf("the victim was written: %q", b)
	}
	own := filepath.Join(sticky, "own.json")
	if err := os.Symlink(victim, own); err != nil {
		t.Fatal(err)
	}
	if err := Write(own, []byte("mine")); err != nil {
		t.Errorf("root's own link: %v", err)
	}
}

// TestNotReplaceable: in a sticky directory another user's file cannot
// be replaced by anyone but its owner, the directory's owner and root, and
// Check says so before anything is measured, naming no temporary file.
func TestNotReplaceable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "r.json")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := os.Lstat(f)
	if err != nil {
		t.Fatal(err)
	}
	owner := int(st.Sys().(*syscall.Stat_t).Uid)
	stranger := owner + 4242
	if err := replaceable(f, st, stranger); !errors.Is(err, ErrNotReplaceable) {
		t.Errorf("a stranger: %v, want ErrNotReplaceable", err)
	}
	if err := replaceable(f, st, owner); err != nil {
		t.Errorf("the owner: %v", err)
	}
	if err := replaceable(f, st, 0); err != nil {
		t.Errorf("root: %v", err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := replaceable(f, st, stranger); err != nil {
		t.Errorf("no sticky bit: %v", err)
	}
	// A rename error names the user's path, not the temporary file.
	if e := bare(&os.LinkError{Op: "rename", Old: "/x/.faultline-abc.tmp", New: f, Err: syscall.EPERM}); e != syscall.EPERM {
		t.Errorf("bare(LinkError) = %v", e)
	}
}

// TestFIFOWithoutReader: a FIFO nobody reads is an error within a few
// seconds, not a write that waits forever.
func TestFIFOWithoutReader(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := Write(p, []byte("{}"))
	if err == nil || !strings.Contains(err.Error(), "no reader") {
		t.Errorf("Write = %v, want no reader", err)
	}
	if d := time.Since(start); d > fifoWait+3*time.Second {
		t.Errorf("took %s", d)
	}
}
