package elfsym

import (
	"cmp"
	"debug/dwarf"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Line is a source position from an object's DWARF line table. Reports
// name it by the file's base name, "x.c:12" (result.SourceAt).
type Line struct {
	// File is the source file as the line table names it: a full path
	// when the compiler recorded its compilation directory, as gcc and
	// clang do.
	File string
	Line int
}

// LineAt returns the source line of the instruction at file offset off,
// and false when no line table covers it: no debug information in the
// object or a separate debug file, or debug information elfsym cannot
// read. A return address lies after its call; pass the address minus
// one, which lies in the call instruction, to get the call's line.
//
// The line table is read on the first call only, so that placing
// uprobes and naming functions never pays for it.
func (f *File) LineAt(off uint64) (Line, bool) {
	addr, ok := f.offsetToVaddr(off)
	if !ok {
		return Line{}, false
	}
	f.linesOnce.Do(func() { f.lines, f.linesErr = loadLines(f.Path) })
	if f.lines == nil {
		return Line{}, false
	}
	return f.lines.at(addr)
}

// LinesErr says why an object's lines cannot be read (nil when they
// can), reading them if no line was asked for yet: for tests and
// diagnostics, since a missing line only ever drops the line from a
// report.
func (f *File) LinesErr() error {
	f.linesOnce.Do(func() { f.lines, f.linesErr = loadLines(f.Path) })
	return f.linesErr
}

// lineTable is an object's line rows of every compilation unit, each
// the address range its line holds, by address. Ranges do not overlap; an
// address between them is in no line.
type lineTable struct {
	rows  []lineRow
	files []string
}

type lineRow struct {
	lo, hi uint64
	line   uint32
	file   uint32 // index in files
}

// maxDebugBytes bounds the debug sections read: a browser's run to
// gigabytes, and the line of a call is not worth that memory.
const maxDebugBytes = 512 << 20

// maxLineRows bounds the rows kept (24 bytes each): a browser-sized
// binary has tens of millions. The sequences read before the bound are
// whole, so the lines they give are right; the rest give none.
const maxLineRows = 1 << 22

func (t *lineTable) at(addr uint64) (Line, bool) {
	i, _ := slices.BinarySearchFunc(t.rows, addr, func(r lineRow, a uint64) int {
		if r.lo <= a {
			return -1
		}
		return 1
	})
	// i is the first row above addr; the one before may hold it.
	if i == 0 || addr >= t.rows[i-1].hi {
		return Line{}, false
	}
	r := t.rows[i-1]
	return Line{File: t.files[r.file], Line: int(r.line)}, true
}

// loadLines reads path's line table, from the object itself or else from
// its separate debug file (debugFile). Debug information that cannot be
// read gives no table and an error, never a failure of the caller.
func loadLines(path string) (t *lineTable, err error) {
	defer func() {
		// debug/dwarf parses whatever the target's build left; a
		// malformed table it does not catch must cost the line only.
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("read the line table of %s: malformed debug information (%v)", path, r)
		}
	}()
	ef, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the line table of %s: %w", path, err)
	}
	defer ef.Close()
	src := ef
	if ef.Section(".debug_line") == nil {
		dbg, err := debugFile(path, ef)
		if err != nil {
			return nil, err
		}
		defer dbg.Close()
		src = dbg
	}
	var size uint64
	for _, name := range []string{".debug_info", ".debug_line", ".debug_str"} {
		if s := src.Section(name); s != nil {
			size += s.Size // uncompressed
		}
	}
	if size > maxDebugBytes {
		// debug/dwarf holds the sections in memory, uncompressed.
		return nil, fmt.Errorf("read the line table of %s: its debug information (%d MiB) is larger than the %d MiB read", path, size>>20, maxDebugBytes>>20)
	}
	d, err := src.DWARF()
	if err != nil {
		return nil, fmt.Errorf("read the line table of %s: %w", path, err)
	}
	t, err = readLines(d)
	if err != nil {
		return nil, fmt.Errorf("read the line table of %s: %w", path, err)
	}
	return t, nil
}

// readLines decodes every compilation unit's line program into one table.
// A unit whose program is malformed keeps the sequences it completed.
func readLines(d *dwarf.Data) (*lineTable, error) {
	t := &lineTable{}
	fileIdx := map[string]uint32{}
	r := d.Reader()
	var firstErr error
	for len(t.rows) < maxLineRows {
		e, err := r.Next()
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			break
		}
		if e == nil {
			break
		}
		if e.Tag != dwarf.TagCompileUnit {
			r.SkipChildren()
			continue
		}
		lr, err := d.LineReader(e)
		r.SkipChildren()
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		if lr == nil {
			continue
		}
		t.rows = appendSequences(t.rows, lr, func(name string) uint32 {
			i, ok := fileIdx[name]
			if !ok {
				i = uint32(len(t.files))
				fileIdx[name] = i
				t.files = append(t.files, name)
			}
			return i
		}, &firstErr)
	}
	slices.SortFunc(t.rows, func(a, b lineRow) int { return cmp.Compare(a.lo, b.lo) })
	if len(t.rows) == 0 {
		return nil, cmp.Or(firstErr, errors.New("no line table in the debug information"))
	}
	return t, nil
}

// appendSequences appends the rows of lr's whole sequences to rows: each
// row holds the addresses up to the next row's. A row at the same address
// as the next holds none and is dropped, as is one the compiler made with
// no source line (line 0). A sequence left unfinished by an error is
// dropped: its last line would stretch over whatever follows.
func appendSequences(rows []lineRow, lr *dwarf.LineReader, file func(string) uint32, firstErr *error) []lineRow {
	var seq []lineRow
	var prev dwarf.LineEntry
	open := false
	var le dwarf.LineEntry
	for len(rows)+len(seq) < maxLineRows {
		err := lr.Next(&le)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			*firstErr = cmp.Or(*firstErr, err)
			break
		}
		if open && le.Address > prev.Address && prev.Line > 0 && prev.File != nil && uint64(prev.Line) < 1<<32 {
			seq = append(seq, lineRow{lo: prev.Address, hi: le.Address, line: uint32(prev.Line), file: file(prev.File.Name)})
		}
		if le.EndSequence {
			if len(seq) > 0 && seq[0].lo != 0 {
				// A sequence at address 0 is a function the linker
				// dropped (--gc-sections): it covers no code.
				rows = append(rows, seq...)
			}
			seq, open = seq[:0], false
			continue
		}
		prev, open = le, true
	}
	return rows
}
