package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
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
