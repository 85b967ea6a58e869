// Package elfsym reads what faultline needs of an ELF object's symbol
// tables: the file offset of a function (where a uprobe goes) and the
// function a file offset falls in (who called the allocator); and, from
// its DWARF line table when it has one (or a separate debug file has),
// the source line there. It uses only debug/elf and debug/dwarf, and
// works on PIE executables, shared libraries and static binaries alike,
// because every lookup goes through file offsets, which do not depend on
// where the object was loaded.
//
// An object without a symbol covering an address is reported as stripped:
// the nearest preceding symbol of a stripped object is usually a different
// function, so elfsym never guesses.
package elfsym

import (
	"debug/elf"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// File is one object's function symbols and loadable segments.
type File struct {
	Path string
	// Stripped: the object has no .symtab, only the exported functions of
	// .dynsym (if any) can be named.
	Stripped bool
	funcs    []sym // by address
	byName   map[string]uint64
	loads    []elf.ProgHeader
	entry    uint64

	// The line table, read on the first LineAt (lines.go).
	linesOnce sync.Once
	lines     *lineTable
	linesErr  error
}

type sym struct {
	addr, size uint64
	name       string
}

// Open reads path's symbols. Objects are cached: a run of a program maps
// the same few libraries every time.
func Open(path string) (*File, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if f, ok := cache[path]; ok {
		return f.f, f.err
	}
	f, err := load(path)
	cache[path] = cached{f, err}
	return f, err
}

type cached struct {
	f   *File
	err error
}

var (
	cacheMu sync.Mutex
	cache   = map[string]cached{}
)

func load(path string) (*File, error) {
	ef, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read symbols of %s: %w", path, err)
	}
	defer ef.Close()
	f := &File{Path: path, byName: map[string]uint64{}, entry: ef.Entry}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD {
			f.loads = append(f.loads, p.ProgHeader)
		}
	}
	syms, err := ef.Symbols()
	if errors.Is(err, elf.ErrNoSymbols) {
		f.Stripped = true
	} else if err != nil {
		return nil, fmt.Errorf("read .symtab of %s: %w", path, err)
	}
	dyn, err := ef.DynamicSymbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return nil, fmt.Errorf("read .dynsym of %s: %w", path, err)
	}
	seen := map[uint64]int{} // address -> index in funcs
	for _, list := range [][]elf.Symbol{syms, dyn} {
		for _, s := range list {
			t := elf.ST_TYPE(s.Info)
			if (t != elf.STT_FUNC && t != elf.STT_GNU_IFUNC) || s.Section == elf.SHN_UNDEF || s.Value == 0 {
				continue
			}
			name := Base(s.Name)
			if _, ok := f.byName[name]; !ok || elf.ST_BIND(s.Info) == elf.STB_GLOBAL {
				f.byName[name] = s.Value
			}
			if i, ok := seen[s.Value]; ok {
				// An alias (glibc's __libc_free is free): the public
				// name, the one a user wrote, wins.
				if underscores(name) < underscores(f.funcs[i].name) {
					f.funcs[i].name = name
				}
				continue
			}
			seen[s.Value] = len(f.funcs)
			f.funcs = append(f.funcs, sym{addr: s.Value, size: s.Size, name: name})
		}
	}
	slices.SortFunc(f.funcs, func(a, b sym) int {
		switch {
		case a.addr < b.addr:
			return -1
		case a.addr > b.addr:
			return 1
		}
		return 0
	})
	return f, nil
}

func underscores(name string) int {
	return len(name) - len(strings.TrimLeft(name, "_"))
}

// Base is a symbol's name without its version ("malloc@@GLIBC_2.2.5" is
// "malloc"), as .symtab spells versioned symbols.
func Base(name string) string {
	if i := strings.IndexByte(name, '@'); i > 0 {
		return name[:i]
	}
	return name
}

// Offset returns the file offset of function name's first instruction,
// what a uprobe is placed by, and whether the object defines it.
func (f *File) Offset(name string) (uint64, bool) {
	addr, ok := f.byName[name]
	if !ok {
		return 0, false
	}
	return f.vaddrToOffset(addr)
}

// Entry returns the file offset of the entry point, which every
// executable has, stripped or not.
func (f *File) Entry() (uint64, bool) { return f.vaddrToOffset(f.entry) }

// Defines reports whether the object defines function name.
func (f *File) Defines(name string) bool {
	_, ok := f.byName[name]
	return ok
}

// FuncAt returns the function containing file offset off, or "" when no
// symbol covers it (a stripped object, or code between symbols).
func (f *File) FuncAt(off uint64) string {
	addr, ok := f.offsetToVaddr(off)
	if !ok {
		return ""
	}
	i, _ := slices.BinarySearchFunc(f.funcs, addr, func(s sym, a uint64) int {
		switch {
		case s.addr <= a:
			return -1
		}
		return 1
	})
	// i is the first symbol above addr; the one before may contain it.
	if i == 0 {
		return ""
	}
	s := f.funcs[i-1]
	if addr >= s.addr && addr < s.addr+max(s.size, 1) {
		return s.name
	}
	return ""
}

func (f *File) vaddrToOffset(addr uint64) (uint64, bool) {
	for _, p := range f.loads {
		if addr >= p.Vaddr && addr < p.Vaddr+p.Filesz {
			return addr - p.Vaddr + p.Off, true
		}
	}
	return 0, false
}

func (f *File) offsetToVaddr(off uint64) (uint64, bool) {
	for _, p := range f.loads {
		if off >= p.Off && off < p.Off+p.Filesz {
			return off - p.Off + p.Vaddr, true
		}
	}
	return 0, false
}
