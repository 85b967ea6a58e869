package perftrace

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/elfsym"
	"github.com/faultline/faultline/internal/memtrace"
)

// sample is one recorded call with the user registers that place it.
type sample struct {
	e    memtrace.Event
	ip   uint64 // the user instruction pointer: just after the syscall instruction
	ret  uint64 // the return address read from the stack top or link register
	regs bool   // ip and ret were sampled
}

// mapping is an executable file mapping of a process.
type mapping struct {
	pid               int
	at                uint64 // CLOCK_MONOTONIC ns; 0 for those read at Attach
	start, len, pgoff uint64
	path              string
}

// task is a new process (parent set) or an exec.
type task struct {
	pid, parent int
	exec        bool
	at          uint64
}

// sidebandTrailer is the sample_id_all fields that end each side-band
// record: pid, tid u32 and time u64.
const sidebandTrailer = 16

// userRegs decodes the PERF_SAMPLE_REGS_USER and PERF_SAMPLE_STACK_USER
// parts of a sample: abi u64, the registers of regsMask; stack size u64,
// the bytes, and the bytes the kernel could copy (u64, present when the
// size is not 0).
func userRegs(b []byte) (ip, ret uint64, ok bool) {
	le := binary.LittleEndian
	if len(b) < 8 {
		return 0, 0, false
	}
	abi := le.Uint64(b[0:8])
	b = b[8:]
	if abi == 0 {
		// No user registers: a kernel thread, or a task in exit.
		return 0, 0, false
	}
	if len(b) < 8*regsCount {
		return 0, 0, false
	}
	var regs [regsCount]uint64
	for i := range regs {
		regs[i] = le.Uint64(b[8*i:])
	}
	b = b[8*regsCount:]
	ip, ret = decodeRegs(&regs)
	if stackBytes > 0 && len(b) >= 8 {
		n := le.Uint64(b[0:8])
		if n >= 8 && uint64(len(b)) >= 8+n+8 && le.Uint64(b[8+n:]) >= 8 {
			ret = le.Uint64(b[8:16])
		}
	}
	return ip, ret, true
}

// sideband decodes a mapping, exec or fork record.
func (r *Recorder) sideband(typ uint32, misc uint16, b []byte) {
	le := binary.LittleEndian
	if len(b) < sidebandTrailer {
		return
	}
	at := le.Uint64(b[len(b)-8:])
	switch typ {
	case unix.PERF_RECORD_MMAP2:
		// pid, tid u32; addr, len, pgoff u64; maj, min u32; ino,
		// ino_generation u64; prot, flags u32; filename.
		if len(b) < 64+sidebandTrailer || len(r.maps) >= maxMaps {
			return
		}
		name := b[64 : len(b)-sidebandTrailer]
		if i := slices.Index(name, 0); i >= 0 {
			name = name[:i]
		}
		r.maps = append(r.maps, mapping{pid: int(le.Uint32(b[0:4])), at: at,
			start: le.Uint64(b[8:16]), len: le.Uint64(b[16:24]), pgoff: le.Uint64(b[24:32]), path: string(name)})
	case unix.PERF_RECORD_COMM:
		if misc&unix.PERF_RECORD_MISC_COMM_EXEC != 0 && len(b) >= 8+sidebandTrailer && len(r.tasks) < maxMaps {
			r.tasks = append(r.tasks, task{pid: int(le.Uint32(b[0:4])), exec: true, at: at})
		}
	case unix.PERF_RECORD_FORK:
		// pid, ppid, tid, ptid u32; time u64. A new thread has pid ==
		// ppid and shares its process's mappings.
		if len(b) < 24 || len(r.tasks) >= maxMaps {
			return
		}
		pid, ppid := int(le.Uint32(b[0:4])), int(le.Uint32(b[4:8]))
		if pid != ppid {
			r.tasks = append(r.tasks, task{pid: pid, parent: ppid, at: le.Uint64(b[16:24])})
		}
	}
}

// maxMaps bounds the mappings and task records kept, whatever the target
// does (a program that maps and unmaps code in a loop).
const maxMaps = 1 << 16

// procMaps reads pid's executable file mappings as they are now.
func procMaps(pid int) []mapping {
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "55d0c6a00000-55d0c6a21000 r-xp 00002000 08:01 1234   /usr/bin/x"
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || !strings.Contains(fs[1], "x") || !strings.HasPrefix(fs[5], "/") {
			continue
		}
		lo, hi, ok := strings.Cut(fs[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		off, err3 := strconv.ParseUint(fs[2], 16, 64)
		if err1 != nil || err2 != nil || err3 != nil || end <= start {
			continue
		}
		out = append(out, mapping{pid: pid, start: start, len: end - start, pgoff: off, path: strings.Join(fs[5:], " ")})
	}
	return out
}

// resolve returns the events in time order, each sampled one with its
// issuing site, named in its process's address space at that moment:
// forks copy the parent's mappings, an exec forgets them.
func (r *Recorder) resolve() []memtrace.Event {
	ev := make([]memtrace.Event, len(r.samples))
	if !r.sites {
		for i, s := range r.samples {
			ev[i] = s.e
		}
		return ev
	}
	slices.SortStableFunc(r.maps, func(a, b mapping) int { return cmp.Compare(a.at, b.at) })
	slices.SortStableFunc(r.tasks, func(a, b task) int { return cmp.Compare(a.at, b.at) })
	spaces := map[int][]mapping{}
	gen := map[int]int{} // by pid: changes of its address space so far
	serial := 0
	mi, ti := 0, 0
	sites := map[siteKey]*memtrace.Site{}
	for i, s := range r.samples {
		at := uint64(s.e.At)
		for {
			task := ti < len(r.tasks) && r.tasks[ti].at <= at
			mp := mi < len(r.maps) && r.maps[mi].at <= at
			if task && mp && r.maps[mi].at < r.tasks[ti].at {
				task = false // the earlier of the two first
			}
			if task {
				tk := r.tasks[ti]
				if tk.exec {
					spaces[tk.pid] = nil
				} else {
					spaces[tk.pid] = slices.Clone(spaces[tk.parent])
				}
				serial++
				gen[tk.pid] = serial
				ti++
			} else if mp {
				m := r.maps[mi]
				spaces[m.pid] = append(spaces[m.pid], m)
				serial++
				gen[m.pid] = serial
				mi++
			} else {
				break
			}
		}
		ev[i] = s.e
		if s.regs {
			k := siteKey{ip: s.ip, ret: s.ret, space: gen[s.e.Pid]}
			if sites[k] == nil {
				sites[k] = siteOf(spaces[s.e.Pid], s.ip, s.ret)
			}
			ev[i].Site = sites[k]
		}
	}
	return ev
}

// siteKey is a pair of addresses in one state of an address space
// (serials are unique across processes): the same key, the same names.
type siteKey struct {
	ip, ret uint64
	space   int
}

// siteOf names ip and ret in space.
func siteOf(space []mapping, ip, ret uint64) *memtrace.Site {
	s := &memtrace.Site{}
	// The syscall instruction is just before ip, the call just before
	// the return address: look both up one byte back, so that the last
	// instruction of a function is still its own, and the line is the
	// call's, not the next statement's.
	at := name(space, ip-1)
	s.Object, s.Function, s.Stripped = at.object, at.function, at.stripped
	s.File, s.Line = at.line.File, at.line.Line
	if ret != 0 {
		at := name(space, ret-1)
		s.CallerObject, s.Caller, s.Stripped = at.object, at.function, s.Stripped || at.stripped
		s.CallerFile, s.CallerLine = at.line.File, at.line.Line
	}
	return s
}

// named is an address's object, function and source line.
type named struct {
	object, function string
	stripped         bool
	line             elfsym.Line
}

// name finds the latest mapping of space covering addr, the function
// there and its source line where the object has debug information.
func name(space []mapping, addr uint64) named {
	for i := len(space) - 1; i >= 0; i-- {
		m := space[i]
		if addr < m.start || addr-m.start >= m.len {
			continue
		}
		f, err := elfsym.Open(m.path)
		if err != nil {
			return named{object: m.path, stripped: true}
		}
		off := addr - m.start + m.pgoff
		fn := f.FuncAt(off)
		l, _ := f.LineAt(off)
		return named{object: m.path, function: fn, stripped: fn == "" && f.Stripped, line: l}
	}
	return named{}
}
