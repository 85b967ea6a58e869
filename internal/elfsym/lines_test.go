package elfsym

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/proc/proctest"
)

// callSites runs a build of testdata/c/callsites.c and returns the file
// offsets of the return addresses of its two marked malloc calls.
func callSites(t *testing.T, bin string) [2]uint64 {
	t.Helper()
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	var offs [2]uint64
	fs := strings.Fields(string(out))
	if len(fs) != 2 {
		t.Fatalf("%s printed %q, want two offsets", bin, out)
	}
	for i, s := range fs {
		if offs[i], err = strconv.ParseUint(s, 16, 64); err != nil {
			t.Fatal(err)
		}
	}
	return offs
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestLineOfACall: in a program built with gcc -g, a call's return
// address minus one gives the call's own line, two mallocs of one
// function two lines, found in the program, in a separate debug file
// named by its debug link (beside it or in .debug/) or by its build ID;
// a build without -g, a stripped build and a build with a broken line
// table give no line, and the function's name still.
func TestLineOfACall(t *testing.T) {
	proctest.Need(t, "objcopy", "binutils")
	want := [2]int{proctest.MarkedLine(t, "callsites", "first"), proctest.MarkedLine(t, "callsites", "second")}
	dbg := proctest.BuildCWith(t, "callsites", "-g")
	offs := callSites(t, dbg)
	dir := t.TempDir()

	// A separate debug file, linked from a copy without debug
	// information: objcopy records its base name and CRC.
	linked := filepath.Join(dir, "linked", "callsites")
	copyFile(t, dbg, linked)
	run(t, "objcopy", "--only-keep-debug", linked, linked+".debug")
	run(t, "strip", "--strip-debug", linked)
	run(t, "objcopy", "--add-gnu-debuglink="+linked+".debug", linked)
	sub := filepath.Join(dir, "sub", "callsites")
	copyFile(t, linked, sub)
	copyFile(t, linked+".debug", filepath.Join(dir, "sub", ".debug", "callsites.debug"))
	// A debug link whose file is another program's: its CRC differs.
	other := filepath.Join(dir, "other", "callsites")
	copyFile(t, linked, other)
	copyFile(t, proctest.BuildCWith(t, "sizes", "-g"), other+".debug")
	// By build ID, under a debug root of the test's own.
	root := filepath.Join(dir, "root")
	byID := filepath.Join(dir, "byid", "callsites")
	copyFile(t, dbg, byID)
	run(t, "strip", "--strip-debug", "--remove-section=.gnu_debuglink", byID)
	id := buildIDOf(t, byID)
	copyFile(t, linked+".debug", filepath.Join(root, ".build-id", id[:2], id[2:]+".debug"))

	// Only the test's debug files: the system's are of other builds.
	old := debugRoot
	t.Cleanup(func() { debugRoot = old })
	debugRoot = filepath.Join(dir, "empty")

	for _, tc := range []struct {
		name, bin string
	}{{"-g", dbg}, {"debuglink", linked}, {"debuglink in .debug", sub}, {"build ID", byID}} {
		if tc.bin == byID {
			debugRoot = root
		}
		f, err := Open(tc.bin)
		if err != nil {
			t.Fatal(err)
		}
		for i, off := range offs {
			l, ok := f.LineAt(off - 1)
			if !ok || filepath.Base(l.File) != "callsites.c" || l.Line != want[i] {
				t.Errorf("%s: call %d at %#x: line %+v %v (%v), want callsites.c:%d", tc.name, i+1, off, l, ok, f.LinesErr(), want[i])
			}
			if !filepath.IsAbs(l.File) {
				t.Errorf("%s: file %q, want the full path gcc recorded", tc.name, l.File)
			}
			if fn := f.FuncAt(off - 1); fn != "main" {
				t.Errorf("%s: call %d in %q, want main", tc.name, i+1, fn)
			}
		}
	}

	// Without debug information, or with a debug file that is not
	// this build's, no line.
	debugRoot = filepath.Join(dir, "empty")
	plain := proctest.BuildC(t, "callsites")
	stripped := filepath.Join(dir, "stripped", "callsites")
	copyFile(t, dbg, stripped)
	run(t, "strip", stripped)
	for _, tc := range []struct {
		name, bin string
		offs      [2]uint64
		fn        string
	}{
		{"without -g", plain, callSites(t, plain), "main"},
		{"stripped", stripped, offs, ""},
		{"debuglink to another build", other, offs, "main"},
		{"broken .debug_line", breakSection(t, dbg, ".debug_line"), offs, "main"},
		{"broken .debug_info", breakSection(t, dbg, ".debug_info"), offs, "main"},
		{"broken .debug_abbrev", breakSection(t, dbg, ".debug_abbrev"), offs, "main"},
	} {
		f, err := Open(tc.bin)
		if err != nil {
			t.Fatal(err)
		}
		for i, off := range tc.offs {
			if l, ok := f.LineAt(off - 1); ok {
				t.Errorf("%s: call %d has line %+v, want none", tc.name, i+1, l)
			}
			if fn := f.FuncAt(off - 1); fn != tc.fn {
				t.Errorf("%s: call %d in %q, want %q", tc.name, i+1, fn, tc.fn)
			}
		}
		t.Logf("%s: %v", tc.name, f.LinesErr())
	}
}

// breakSection copies bin with the contents of section overwritten.
func breakSection(t *testing.T, bin, section string) string {
	t.Helper()
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	s := ef.Section(section)
	ef.Close()
	if s == nil {
		t.Fatalf("%s has no %s", bin, section)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[s.Offset:s.Offset+s.Size], bytes.Repeat([]byte{0xff, 0x7f, 0x13}, int(s.Size)))
	out := filepath.Join(t.TempDir(), "callsites-"+strings.Trim(section, "."))
	if err := os.WriteFile(out, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

func buildIDOf(t *testing.T, bin string) string {
	t.Helper()
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	id := buildID(ef)
	if len(id) < 2 {
		t.Fatalf("%s has no build ID (gcc links with --build-id on Debian)", bin)
	}
	return hex.EncodeToString(id)
}

// TestLineInLibc: where the distribution's debug file of libc is
// installed (Debian: libc6-dbg), found by build ID, malloc has a line in
// malloc.c though libc.so.6 itself has no debug information.
func TestLineInLibc(t *testing.T) {
	libcs, _ := filepath.Glob("/usr/lib/*-linux-gnu/libc.so.6")
	if len(libcs) == 0 {
		t.Fatal("no libc.so.6 under /usr/lib/*-linux-gnu")
	}
	id := buildIDOf(t, libcs[0])
	if _, err := os.Stat(filepath.Join(debugRoot, ".build-id", id[:2], id[2:]+".debug")); err != nil {
		t.Skipf("libc's debug file is not installed (apt-get install libc6-dbg): %v", err)
	}
	f, err := Open(libcs[0])
	if err != nil {
		t.Fatal(err)
	}
	off, ok := f.Offset("malloc")
	if !ok {
		t.Fatal("libc defines no malloc")
	}
	if l, ok := f.LineAt(off + 1); !ok || filepath.Base(l.File) != "malloc.c" {
		t.Errorf("malloc's first instruction at %+v %v (%v), want a line of malloc.c", l, ok, f.LinesErr())
	}
}

// FuzzNotes: the note and debug link parsers read whatever a target's
// build left, and never panic or read out of bounds.
func FuzzNotes(f *testing.F) {
	f.Add([]byte("\x04\x00\x00\x00\x04\x00\x00\x00\x03\x00\x00\x00GNU\x00\xde\xad\xbe\xef"))
	f.Add([]byte("\x04\x00\x00\x00\xff\xff\xff\xff\x03\x00\x00\x00GNU\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if id := gnuNote(binary.LittleEndian, b, 3); len(id) > len(b) {
			t.Errorf("descriptor of %d bytes from %d", len(id), len(b))
		}
	})
}
