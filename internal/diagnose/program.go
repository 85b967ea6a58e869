package diagnose

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/runtimeid"
)

// Mechanisms the program asks for itself. The allocator's behaviour is
// the mechanism, but what the user must change is the program's own call:
// a mallopt that turns glibc's dynamic thresholds off (program-tuning),
// or a malloc_trim, an madvise of its own or a runtime's forced release
// (program-trim). The native allocation pass sees the calls and their
// callers; without it, a single-threaded glibc program that returns heap
// pages with madvise is the sign, since glibc's free never does that in
// its main arena.
const (
	ProgramTuning = "program-tuning"
	ProgramTrim   = "program-trim"
)

// glibc's mallopt parameters (malloc.h) that turn the dynamic mmap
// threshold off when set.
var freezing = map[int64]string{-1: "M_TRIM_THRESHOLD", -2: "M_TOP_PAD", -3: "M_MMAP_THRESHOLD", -4: "M_MMAP_MAX"}

// releasers are the allocator APIs that give free memory back on request.
var releasers = map[string]bool{"malloc_trim": true, "MallocExtension_ReleaseFreeMemory": true, "mi_collect": true}

// native is a run's native allocation evidence, nil without it.
func native(r *result.Run) *result.NativeAllocations {
	if r == nil {
		return nil
	}
	return r.PerIteration.Native
}

// tuningCalls returns the sites of r's calls that match keep.
func tuningCalls(r *result.Run, keep func(result.NativeSite) bool) []result.NativeSite {
	n := native(r)
	if n == nil {
		return nil
	}
	var out []result.NativeSite
	for _, t := range n.Tuning {
		if keep(t) {
			out = append(out, t)
		}
	}
	return out
}

func freezes(t result.NativeSite) bool {
	return t.Function == "mallopt" && len(t.Args) > 0 && freezing[t.Args[0]] != ""
}

func releases(t result.NativeSite) bool {
	return releasers[t.Function] || t.Function == "mallctl" && len(t.Args) == 0
}

// site says where a call came from: "main in chunks", "main in chunks
// at chunks.c:12" where chunks has debug information.
func site(t result.NativeSite) string {
	switch {
	case t.Caller != "" && t.Object != "":
		return t.Caller + " in " + filepath.Base(t.Object) + result.AtLine(t.At())
	case t.Stripped:
		return "a stripped caller" + result.AtLine(t.At())
	}
	return "an unknown caller"
}

// programCauses renames the fault findings of p that the slow side's own
// calls bring about: the mechanism stays in the summary, the cause names
// the call to change.
func (a *analysis) programCauses(p *pair, ds []*draft) {
	if a.baseSettings().Allocator != alloc.Glibc {
		return
	}
	tune := tuningCalls(p.s, freezes)
	rel := tuningCalls(p.s, releases)
	released := len(rel) > 0 && len(tuningCalls(p.f, releases)) == 0
	if len(tune) > 0 && len(tuningCalls(p.f, freezes)) == 0 {
		for _, d := range ds {
			// A heap the program trims itself (malloc_trim) is its
			// release's doing, not the threshold's: a mallopt that keeps
			// freed memory (a high M_TRIM_THRESHOLD) does the opposite.
			if d.f.Cause != MmapPerAllocation && (d.f.Cause != HeapTrimRefault || released) {
				continue
			}
			t := tune[0]
			val := ""
			if len(t.Args) > 1 {
				val = fmt.Sprintf(", %d", t.Args[1])
			}
			d.f.Cause = ProgramTuning
			d.f.Summary = fmt.Sprintf("%s calls mallopt(%s%s) itself (from %s), which turns glibc's dynamic mmap threshold off: %s",
				p.slow, freezing[t.Args[0]], val, site(t), d.f.Summary)
			d.f.Evidence = append(d.f.Evidence, ev("mallopt calls "+a.per()+" ("+freezing[t.Args[0]]+")", p.slow, a.base, t.Per, "calls", result.PassNative))
			d.f.Fixes = append([]result.Fix{{Kind: result.FixCode,
				Change: "remove the mallopt call, or set M_MMAP_THRESHOLD as well (to at least the largest block), so large blocks are not mapped and unmapped every time"}}, d.f.Fixes...)
			return
		}
	}
	if !released {
		return
	}
	// The release the trace already blamed on the program, or else the
	// first mechanism that gives memory back.
	var target *draft
	for _, d := range ds {
		if d.f.Cause == ProgramTrim {
			target = d
			break
		}
		if target == nil && (d.f.Cause == AllocatorPurge || d.f.Cause == HeapTrimRefault) {
			target = d
		}
	}
	if target == nil {
		return
	}
	t := rel[0]
	target.f.Cause, target.lowOnly = ProgramTrim, false
	if target.rest != "" {
		target.f.Summary = fmt.Sprintf("%s calls %s itself (%s %s, from %s), which %s", p.slow, t.Function, fmtCount(t.Per), a.per(), site(t), target.rest)
	} else {
		target.f.Summary = fmt.Sprintf("%s calls %s itself (%s %s, from %s), which hands the free heap back to the kernel: %s",
			p.slow, t.Function, fmtCount(t.Per), a.per(), site(t), target.f.Summary)
	}
	target.f.Evidence = append(target.f.Evidence, ev(t.Function+" calls "+a.per(), p.slow, a.base, t.Per, "calls", result.PassNative))
	target.f.Fixes = append([]result.Fix{{Kind: result.FixCode,
		Change: "call " + t.Function + " less often (when idle, or after a large release), not after every operation"}}, target.f.Fixes...)
}

// releaser names who returns memory with madvise(MADV_DONTNEED) when the
// baseline is glibc with nothing preloaded, from what runs the slow
// candidate and its threads: cause, who, and whether the reading is
// certain enough for more than low confidence.
func (a *analysis) releaser(p *pair) (cause, who string, sure bool) {
	s := p.s.PerIteration.Syscalls
	if c, w, ok := issuedBy(s.IssuedBy("madvise:MADV_DONTNEED")); ok {
		return c, w, true
	}
	if n := native(p.s); n != nil && n.Allocator != "" && n.Allocator != alloc.Glibc && n.Allocator != "none" {
		// A program linked with its own allocator.
		return AllocatorPurge, n.Allocator + " (linked into the program)", true
	}
	switch a.runtimeOf(p.slow) {
	case runtimeid.Go:
		return RuntimePoolRelease, "the Go runtime (its scavenger, or debug.FreeOSMemory)", false
	case runtimeid.JVM, runtimeid.Node:
		return RuntimePoolRelease, "the " + a.runtimeOf(p.slow) + " runtime's own heap", false
	case runtimeid.Static:
		return AllocatorPurge, "the program's own allocator (it is statically linked)", false
	}
	if decommitted(s) > s.AdviceBytes("MADV_DONTNEED") && !glibcHeaps(s) {
		// Reservations of another size than glibc's arena heaps: a
		// runtime's or the program's own.
		return AllocatorPurge, "the program's runtime or its own allocator (it reserves address space and commits it with mprotect, in regions unlike glibc's arena heaps)", false
	}
	if s != nil && s.Threads > 1 {
		return HeapTrimRefault, "glibc (trimming a thread's arena)", true
	}
	if s != nil && s.Threads == 1 {
		// glibc's free gives the main arena back with brk only.
		return ProgramTrim, "the program itself (malloc_trim, or its own madvise: glibc's free does not madvise in a single-threaded program)", native(p.s) != nil
	}
	return HeapTrimRefault, "glibc (trimming a thread's arena)", false
}

// glibcHeaps reports reservations of the size of glibc's thread-arena
// heaps among s's mappings.
func glibcHeaps(s *result.Syscalls) bool {
	for _, sc := range append(sizesOf(s, "mmap:"+memtrace.ClassReserve), sizesOf(s, "munmap:"+memtrace.ClassReserve)...) {
		if sc.Bytes == alloc.GlibcHeapMax || sc.Bytes == 2*alloc.GlibcHeapMax {
			return true
		}
	}
	return false
}

// runtimeOf is what runs cand's code ("" when unknown).
func (a *analysis) runtimeOf(cand string) string {
	if c := a.r.Candidate(cand); c != nil {
		return c.Runtime
	}
	return ""
}

// anyRuntime says whether some user candidate runs on rt.
func (a *analysis) anyRuntime(rt string) bool {
	for _, c := range a.r.Candidates {
		if c.Runtime == rt && !c.IsFix() {
			return true
		}
	}
	return false
}

// issuedBy reads who released memory from the trace's issuing site
// (alloc.Owner): the cause it makes and who to name. ok is false when the
// site does not tell (no site, a stripped caller, a runtime whose releases
// are told apart elsewhere).
func issuedBy(is *result.SyscallIssuer) (cause, who string, ok bool) {
	if is == nil || is.CallerObject == "" {
		// The return address fell in no file: JIT code, or a wrapper
		// that had used its stack.
		return "", "", false
	}
	obj := filepath.Base(is.CallerObject)
	at := issuerCaller(is)
	if is.Caller == "malloc_trim" || strings.HasPrefix(is.Caller, "__malloc_trim") {
		return ProgramTrim, "the program itself, through malloc_trim (madvise from " + at + ")", true
	}
	o := alloc.Owner(is.Object, is.Function, is.Caller, is.CallerObject)
	switch o {
	case alloc.OwnerGlibc, alloc.OwnerLibc:
		// glibc's own free path: a thread arena's heap shrinking.
		return HeapTrimRefault, "glibc (trimming a thread's arena: madvise from " + at + ")", true
	case alloc.OwnerCPython, alloc.OwnerLoader, "":
		return "", "", false
	case alloc.OwnerGo:
		// The scavenger and debug.FreeOSMemory release through the same
		// function: the runtime is certain, the trigger is not.
		return RuntimePoolRelease, "the Go runtime (its scavenger, or debug.FreeOSMemory: released from " + at + ")", true
	case alloc.OwnerV8, alloc.OwnerJVM:
		// The runtime's own heap, not the C allocator's.
		return RuntimePoolRelease, "the " + o + " runtime's own heap (released from " + at + ")", true
	case alloc.OwnerProgram:
		return ProgramTrim, "the program itself (madvise from " + at + ")", true
	case alloc.OwnerLinked:
		// Its own purge path.
		return AllocatorPurge, "the allocator linked into " + obj + " (madvise from " + at + ")", true
	}
	// A preloaded or shared allocator library.
	return AllocatorPurge, o + " (madvise from " + at + ")", true
}

// siteEvidence is where the slow side's large blocks are made, as
// evidence: the statement's expressions (allocation pass) or the calling
// functions (native pass), the largest three.
func (a *analysis) siteEvidence(p *pair) []result.Evidence {
	var out []result.Evidence
	if al := p.s.PerIteration.Allocations; al != nil {
		for _, st := range al.Sites {
			if len(out) == 3 {
				break
			}
			out = append(out, ev(fmt.Sprintf("large block at `%s` (line %d), %s %s", st.Where, st.Line, fmtCount(st.Per), a.per()),
				p.slow, a.base, float64(st.Bytes), "B", result.PassAlloc))
		}
		return out
	}
	if n := native(p.s); n != nil {
		for _, l := range n.Large {
			if len(out) == 3 {
				break
			}
			out = append(out, ev(fmt.Sprintf("large block from %s (%s), %s %s", site(l), l.Function, fmtCount(l.Per), a.per()),
				p.slow, a.base, float64(l.Bytes), "B", result.PassNative))
		}
	}
	return out
}

// issuerCaller names the function an issuing site returns to: "main in
// server" ("main in server at server.c:80" with debug information), "a
// stripped function in libc.so.6".
func issuerCaller(is *result.SyscallIssuer) string {
	who := is.Caller
	if who == "" {
		who = "a stripped function"
	}
	if is.CallerObject != "" {
		who += " in " + filepath.Base(is.CallerObject)
	}
	return who + result.AtLine(is.CallerAt())
}

// issuerEvidence is who issued the slow side's madvise(MADV_DONTNEED), or
// else its munmap, from the trace's issuing sites; nil when not recorded.
func issuerEvidence(a *analysis, p *pair) *result.Evidence {
	s := p.s.PerIteration.Syscalls
	for _, call := range []string{"madvise:MADV_DONTNEED", "munmap"} {
		is := s.IssuedBy(call)
		if is == nil || is.Per < 0.5 {
			continue
		}
		e := ev(fmt.Sprintf("%s calls %s issued from %s", call, a.per(), issuerCaller(is)), p.slow, a.base, is.Per, "calls", result.PassTrace)
		return &e
	}
	return nil
}
