package diagnose

import (
	"fmt"
	"math"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/result"
)

// Mappings that are not allocations, and processes made by copying one:
// the trace classifies every mapping (memtrace: anonymous, file-backed, a
// PROT_NONE reservation committed with mprotect) and counts the
// processes a candidate creates, and each class has a cost of its own.

// fileMapping: the slow side maps a file and unmaps it every iteration, so
// its pages fault in again each time (minor faults from the page cache,
// one per page touched; a fresh mapping starts with no page mapped). No
// allocator setting changes it: the program maps the file itself.
func (a *analysis) fileMapping(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	if ss == nil {
		return nil
	}
	// A side that starts more programs maps their libraries as they
	// load: those file mappings are the programs', not a cause.
	execs := ss.Execs
	if fs != nil {
		execs -= fs.Execs
	}
	var blk mappedBlock
	for _, sc := range sizesOf(ss, "mmap:"+memtrace.ClassFile) {
		if sc.Bytes < 64*kib || sc.Per < 0.5 {
			continue
		}
		if is := ss.IssuedBy("mmap:" + memtrace.ClassFile); execs >= 0.5 && (is == nil || is.Owner == "" || is.Owner == alloc.OwnerLoader) {
			continue
		}
		if perIterationOf(ss, "munmap:"+memtrace.ClassFile, sc.Bytes)+perIterationOf(ss, "munmap", sc.Bytes) < 0.5 {
			continue
		}
		// What the slow side maps more often than the fast side.
		excess := sc.Per - perIterationOf(fs, "mmap:"+memtrace.ClassFile, sc.Bytes)
		if excess >= 0.5 && float64(sc.Bytes)*excess > float64(blk.bytes)*blk.per {
			blk = mappedBlock{sc.Bytes, excess}
		}
	}
	if blk.bytes == 0 {
		return nil
	}
	dF := faults(p.s) - faults(p.f)
	if dF < minFaultDiff {
		return nil
	}
	d := a.newDraft(p, FileMapping)
	d.faultBytes = float64(blk.bytes) * blk.per
	d.f.Evidence = append(a.faultEvidence(p),
		ev("file mappings made and unmapped "+a.per(), p.slow, a.base, blk.per, "calls", result.PassTrace),
		ev("file mappings made and unmapped "+a.per(), p.fast, a.base, perIterationOf(fs, "mmap:"+memtrace.ClassFile, blk.bytes), "calls", result.PassTrace),
		ev("bytes of the file mapped each time", p.slow, a.base, float64(blk.bytes), "B", result.PassTrace),
		ev("faults if every page of the mapping is touched", p.slow, a.base, math.Round(d.faultBytes/a.page), "faults", result.PassTrace))
	times, it := "a file of "+fmtBytes(float64(blk.bytes)), "it"
	if blk.per >= 1.5 {
		times, it = fmtCount(blk.per)+" file mappings of "+fmtBytes(float64(blk.bytes)), "them"
	}
	d.f.Summary = fmt.Sprintf("%s maps %s with mmap every %s and unmaps %s afterwards, so every %s faults the pages in again from the page cache: %s minor faults %s against %s for %s (a file mapping, not an allocation: no allocator setting changes it)",
		p.slow, times, a.unit, it, a.unit, fmtCount(faults(p.s)), a.per(), fmtCount(faults(p.f)), p.fast)
	d.f.Fixes = []result.Fix{{Kind: result.FixCode,
		Change: "map the file once and keep the mapping between uses (or read() it into one buffer that is reused), instead of mapping and unmapping it every " + a.unit}}
	return d
}

// forkCOW: the slow side creates processes with fork (a copy-on-write
// copy of its memory) from a larger process than the fast side does, or
// where the fast side spawns them sharing its memory (vfork,
// posix_spawn). After a fork every page the parent or the child writes
// first takes a fault (a copy, or taking the page back), so a process
// with a large written heap pays a fault per page per fork. The trace
// knows each forking process's footprint at its fork (ForkedBytes).
func (a *analysis) forkCOW(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	if ss == nil || ss.Forks < 0.5 {
		return nil
	}
	forks := ss.Forks - forksOf(fs)
	shared := ss.ForkedBytes
	if fs != nil {
		shared -= fs.ForkedBytes
	}
	if ss.ForkedBytes == 0 {
		// Without footprints, the forks' difference at the slow side's
		// resident size.
		shared = forks * float64(p.s.PeakRSSBytes)
	}
	dF := faults(p.s) - faults(p.f)
	if shared < mib || dF < minFaultDiff {
		return nil
	}
	d := a.newDraft(p, ForkCOW)
	// Each page shared at a fork can fault once on either side.
	d.maxFaults = 2 * shared / a.page
	d.faultBytes = math.Min(dF, d.maxFaults) * a.page
	spawns := 0.0
	if fs != nil {
		spawns = fs.Spawns
	}
	d.f.Evidence = append(a.faultEvidence(p),
		ev("processes created with fork (copy-on-write) "+a.per(), p.slow, a.base, ss.Forks, "processes", result.PassTrace),
		ev("processes created with fork (copy-on-write) "+a.per(), p.fast, a.base, forksOf(fs), "processes", result.PassTrace),
		ev("processes spawned sharing memory (vfork, posix_spawn) "+a.per(), p.fast, a.base, spawns, "processes", result.PassTrace),
		ev("memory shared copy-on-write by the forks "+a.per(), p.slow, a.base, ss.ForkedBytes, "B", result.PassTrace),
		ev("memory shared copy-on-write by the forks "+a.per(), p.fast, a.base, forkedOf(fs), "B", result.PassTrace),
		ev("faults if every shared page is written after each fork, on both sides", p.slow, a.base, math.Round(d.maxFaults), "faults", result.PassTrace))
	procs := fmtCount(ss.Forks) + " processes"
	if ss.Forks < 1.5 {
		procs = "a process"
	}
	from := fmtBytes(ss.ForkedBytes / ss.Forks)
	if ss.ForkedBytes == 0 {
		from = fmtBytes(float64(p.s.PeakRSSBytes))
	}
	theirs := p.fast + " forks none"
	if n := forksOf(fs); n >= 0.5 {
		theirs = p.fast + "'s forks: " + fmtBytes(forkedOf(fs)/n) + " each"
	}
	d.f.Summary = fmt.Sprintf("%s creates %s %s with fork from a process holding %s (%s): after each fork every page it or the child writes takes a copy-on-write fault: %s minor faults %s against %s for %s",
		p.slow, procs, a.per(), from, theirs, fmtCount(faults(p.s)), a.per(), fmtCount(faults(p.f)), p.fast)
	d.f.Fixes = []result.Fix{{Kind: result.FixCode,
		Change: "start child processes with posix_spawn (or vfork/clone(CLONE_VM|CLONE_VFORK); Python: subprocess, or multiprocessing's 'forkserver'/'spawn' start method), or fork before the large heap exists"}}
	return d
}

func forkedOf(s *result.Syscalls) float64 {
	if s == nil {
		return 0
	}
	return s.ForkedBytes
}

func forksOf(s *result.Syscalls) float64 {
	if s == nil {
		return 0
	}
	return s.Forks
}

// decommitted is what a candidate gives back per iteration from
// reservations it had committed: mprotect back to PROT_NONE and
// reservations unmapped (glibc deleting a thread arena's heap, a runtime
// releasing its heap's regions), at most what it committed again.
func decommitted(s *result.Syscalls) float64 {
	if s == nil {
		return 0
	}
	out := s.DecommittedBytes
	for _, sc := range sizesOf(s, "munmap:"+memtrace.ClassReserve) {
		out += float64(sc.Bytes) * sc.Per
	}
	return math.Min(out, s.CommittedBytes)
}
