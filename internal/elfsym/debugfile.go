package elfsym

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// debugRoot is where distributions install separate debug files (Debian's
// *-dbg and *-dbgsym packages, Fedora's debuginfo): gdb's
// debug-file-directory. A variable so that tests can point it elsewhere.
var debugRoot = "/usr/lib/debug"

// debugFile opens the separate debug file of the object at path, looked
// for where gdb looks: by build ID under debugRoot/.build-id, then by the
// .gnu_debuglink name next to the object, in its .debug directory, and
// under debugRoot with the object's directory. A debuglink candidate
// whose CRC differs is another build's and is passed over. The file
// returned has a line table.
func debugFile(path string, ef *elf.File) (*elf.File, error) {
	var tried []string
	try := func(p string, crc *uint32) *elf.File {
		tried = append(tried, p)
		if crc != nil && !crcMatches(p, *crc) {
			return nil
		}
		f, err := elf.Open(p)
		if err != nil {
			return nil
		}
		if f.Section(".debug_line") == nil {
			f.Close()
			return nil
		}
		return f
	}
	if id := buildID(ef); len(id) >= 2 {
		h := hex.EncodeToString(id)
		if f := try(filepath.Join(debugRoot, ".build-id", h[:2], h[2:]+".debug"), nil); f != nil {
			return f, nil
		}
	}
	if name, crc, ok := debugLink(ef); ok {
		dir := filepath.Dir(path)
		if real, err := filepath.EvalSymlinks(path); err == nil {
			dir = filepath.Dir(real)
		}
		for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, ".debug", name), filepath.Join(debugRoot, dir, name)} {
			if p == path {
				continue // the object names itself: it has no line table
			}
			if f := try(p, &crc); f != nil {
				return f, nil
			}
		}
	}
	if len(tried) == 0 {
		return nil, fmt.Errorf("no debug information in %s (no line table, build ID or debug link)", path)
	}
	return nil, fmt.Errorf("no debug information in %s, and no separate debug file at %q", path, tried)
}

// buildID is the object's NT_GNU_BUILD_ID note, from its section or
// else from its note segments; nil without one.
func buildID(ef *elf.File) []byte {
	var notes [][]byte
	if s := ef.Section(".note.gnu.build-id"); s != nil {
		if b, err := s.Data(); err == nil {
			notes = append(notes, b)
		}
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_NOTE && p.Filesz < 1<<20 {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				notes = append(notes, b)
			}
		}
	}
	for _, b := range notes {
		if id := gnuNote(ef.ByteOrder, b, 3 /* NT_GNU_BUILD_ID */); id != nil {
			return id
		}
	}
	return nil
}

// gnuNote finds the descriptor of note typ with the name "GNU" in b:
// namesz, descsz, type (4 bytes each), the name and the descriptor, each
// padded to 4 bytes.
func gnuNote(bo binary.ByteOrder, b []byte, typ uint32) []byte {
	for len(b) >= 12 {
		namesz, descsz, t := uint64(bo.Uint32(b[0:4])), uint64(bo.Uint32(b[4:8])), bo.Uint32(b[8:12])
		b = b[12:]
		nameEnd := (namesz + 3) &^ 3
		descEnd := nameEnd + (descsz+3)&^3
		if descEnd > uint64(len(b)) {
			return nil
		}
		if t == typ && namesz == 4 && bytes.Equal(b[:4], []byte("GNU\x00")) {
			return b[nameEnd : nameEnd+descsz]
		}
		b = b[descEnd:]
	}
	return nil
}

// debugLink is the .gnu_debuglink section: the debug file's base name
// (NUL-terminated, padded to 4 bytes) and the CRC-32 of its contents.
func debugLink(ef *elf.File) (name string, crc uint32, ok bool) {
	s := ef.Section(".gnu_debuglink")
	if s == nil {
		return "", 0, false
	}
	b, err := s.Data()
	if err != nil {
		return "", 0, false
	}
	i := bytes.IndexByte(b, 0)
	if i <= 0 {
		return "", 0, false
	}
	off := (i + 4) &^ 3
	if off+4 > len(b) {
		return "", 0, false
	}
	name = string(b[:i])
	if name != filepath.Base(name) {
		return "", 0, false // a base name only: never a path out of the directories searched
	}
	return name, ef.ByteOrder.Uint32(b[off : off+4]), true
}

// crcMatches reports whether the file at p has the CRC-32 (IEEE, as
// objcopy --add-gnu-debuglink computes it) crc.
func crcMatches(p string, crc uint32) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return h.Sum32() == crc
}
