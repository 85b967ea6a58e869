package diagnose

import (
	"fmt"
	"math"
	"slices"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/runtimeid"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/units"
)

const (
	kib      = 1 << 10
	mib      = 1 << 20
	hugePage = 2 * mib
	// minFaultDiff is the smallest fault difference per iteration a
	// fault-based cause rests on: more than counting noise.
	minFaultDiff = stats.CountNoise
)

// causes returns the findings for one significant pair: the fault-based
// mechanisms first, then extra-buffer, which may refer to them.
func (a *analysis) causes(p *pair) []*draft {
	var ds []*draft
	dF := faults(p.s) - faults(p.f)
	// Kernel time the fault model does not count.
	var kernel []*draft
	for _, det := range []func(*pair) *draft{a.syscallCost, a.thp} {
		if d := det(p); d != nil {
			kernel = append(kernel, d)
		}
	}
	if dF >= minFaultDiff {
		if d := a.lazyZeroing(p); d != nil {
			ds = append(ds, d)
		} else {
			for _, det := range a.mechanisms() {
				if d := det(p); d != nil {
					ds = append(ds, d)
				}
			}
		}
		if len(ds) == 0 && len(kernel) == 0 {
			if d := a.pageFaults(p); d != nil {
				ds = append(ds, d)
			}
		}
		a.finishFaultDrafts(p, ds)
		ds = a.withGrowth(ds)
		a.programCauses(p, ds)
		if d := a.unclaimed(p, ds); d != nil {
			ds = append(ds, d)
		}
		trimmed := slices.ContainsFunc(ds, func(d *draft) bool { return d.f.Cause == ProgramTrim })
		for _, d := range ds {
			if trimmed && d.f.Cause == HeapTrimRefault {
				// A program that trims its heap itself shrinks the
				// top too: which part of the brk shrink is free's own
				// trim cannot be told apart.
				d.lowOnly = true
			}
			if d.lowOnly {
				d.f.Confidence = Low
			}
		}
	}
	ds = append(ds, kernel...)
	if d := a.extraBuffer(p, ds); d != nil {
		ds = append(ds, d)
	}
	// Where the slow side's large blocks come from, for the mechanisms
	// that cycle them.
	where := statementSites(p.s)
	if where == "" {
		where = callers(native(p.s))
	}
	if where != "" {
		sites := a.siteEvidence(p)
		for _, d := range ds {
			if d.faultBytes > 0 && d.f.Cause != ExtraBuffer {
				d.f.Summary += "; " + p.slow + "'s large blocks: " + where
			}
			d.f.Evidence = append(d.f.Evidence, sites...)
		}
	}
	if is := issuerEvidence(a, p); is != nil {
		for _, d := range ds {
			if d.f.Cause == AllocatorPurge || d.f.Cause == ProgramTrim || d.f.Cause == HeapTrimRefault {
				d.f.Evidence = append(d.f.Evidence, *is)
			}
		}
	}
	if rep := a.repeatEvidence(p); len(rep) > 0 {
		for _, d := range ds {
			if d.f.Cause != ExtraBuffer {
				d.f.Evidence = append(d.f.Evidence, rep...)
			}
		}
	}
	return ds
}

// mechanisms are the fault mechanisms' detectors, in the order they run:
// reallocCopy before mmapPerAllocation, since the growth steps it finds
// (p.steps) are not blocks of their own.
func (a *analysis) mechanisms() []func(*pair) *draft {
	return []func(*pair) *draft{a.heapTrim, a.poolRelease, a.reallocCopy, a.mmapPerAllocation, a.allocatorPurge, a.hugePages, a.fileMapping, a.forkCOW}
}

// finishFaultDrafts computes Explains and Confidence of the fault-based
// findings of a pair, adds the evidence they share (the faults, their
// cost, the matrix) and their fixes. When several mechanisms fault on the
// slow side, each is weighted by the bytes it makes the slow side fault in
// again.
func (a *analysis) finishFaultDrafts(p *pair, ds []*draft) {
	total := 0.0
	for _, d := range ds {
		total += d.faultBytes
	}
	dF := faults(p.s) - faults(p.f)
	for _, d := range ds {
		w := 1.0
		if total > 0 && len(ds) > 1 {
			w = d.faultBytes / total
		}
		// A mechanism claims no more faults than its bytes can produce;
		// one handed more than twice that is a weaker reading.
		bound := d.bound(a.page)
		overclaimed := dF > 0 && w*dF > 2*bound+minFaultDiff
		if dF > 0 && w*dF > bound {
			w = bound / dF
		}
		d.f.Claim = &result.Claim{Faults: math.Round(w * dF), MaxFaults: math.Round(bound), Of: math.Round(dF)}
		equalise := d.f.Cause == LazyZeroing || d.f.Cause == HugePages
		rm := a.removingConfig(p, equalise)
		in := explainInput{Gap: p.gap, Faults: dF, Cost: a.cost, Calibrated: a.calibrated, Weight: w, Signature: d.signature}
		if rm != nil {
			in.HasMatrix, in.GapWith = true, rm.gapWith
		}
		e := explain(in)
		d.f.Explains, d.f.Confidence = e.Explains, e.Confidence
		if overclaimed {
			d.f.Confidence = lower(d.f.Confidence)
		}
		d.seconds = e.Explains * p.gap

		costWhat := fmt.Sprintf("time in the extra faults (%s x %s calibrated)", fmtCount(w*dF), units.Seconds(a.cost))
		if !a.calibrated {
			costWhat = fmt.Sprintf("time in the extra faults (%s x %s assumed: fault cost not calibrated)", fmtCount(w*dF), units.Seconds(a.cost))
		}
		d.f.Evidence = append(d.f.Evidence,
			ev("time gap "+p.slow+" - "+p.fast, p.slow, a.base, p.gap, "s", result.PassTiming),
			ev(costWhat, p.slow, a.base, w*dF*a.cost, "s", result.PassTiming))
		if rm != nil {
			d.f.Evidence = append(d.f.Evidence,
				ev("minor page faults "+a.per()+" with the mechanism removed", p.slow, rm.cfg.Name, faults(rm.s), "faults", result.PassTiming),
				ev("time gap "+p.slow+" - "+p.fast+" with the mechanism removed", p.slow, rm.cfg.Name, rm.gapWith, "s", result.PassTiming))
			if equalise {
				d.cites = append(d.cites, p.fast+"|"+rm.cfg.Name)
			}
		}
		fixes := a.envFixes(p)
		d.proposals = a.uncovered(d.proposals)
		if hasTunableFix(a, fixes) {
			// A tunable of the allocator in use already fixes it: further
			// tunables are not worth another configuration run.
			d.proposals = slices.DeleteFunc(d.proposals, func(pr Proposal) bool {
				return pr.Kind == KindEnv && invasiveness(pr.Config, a.baseConfig()) == 0
			})
		}
		for _, pr := range d.proposals {
			fixes = append(fixes, a.unverifiedFix(pr))
		}
		d.f.Fixes = append(fixes, d.f.Fixes...)
	}
}

func hasTunableFix(a *analysis, fixes []result.Fix) bool {
	for _, fx := range fixes {
		if fx.Verified && fx.Kind == result.FixEnv && a.fixInvasiveness(fx) == 0 {
			return true
		}
	}
	return false
}

// newDraft starts a finding about the pair's slow candidate.
func (a *analysis) newDraft(p *pair, cause string) *draft {
	return &draft{p: p, signature: true, f: result.Finding{Cause: cause, Candidate: p.slow, Config: a.base}}
}

// faultEvidence is the fault count of both sides.
func (a *analysis) faultEvidence(p *pair) []result.Evidence {
	return []result.Evidence{
		ev("minor page faults "+a.per(), p.slow, a.base, faults(p.s), "faults", result.PassTiming),
		ev("minor page faults "+a.per(), p.fast, a.base, faults(p.f), "faults", result.PassTiming),
	}
}

// sizesOf returns the syscall sizes of one call kind, largest first.
func sizesOf(s *result.Syscalls, call string) []result.SizeCount {
	if s == nil {
		return nil
	}
	var out []result.SizeCount
	for _, sc := range s.Sizes {
		if sc.Call == call {
			out = append(out, sc)
		}
	}
	slices.SortStableFunc(out, func(x, y result.SizeCount) int { return int(y.Bytes - x.Bytes) })
	return out
}

// perIterationOf returns how often per iteration call was made with about
// bytes (within 10% or one page).
func perIterationOf(s *result.Syscalls, call string, bytes int64) float64 {
	n := 0.0
	for _, sc := range sizesOf(s, call) {
		d := math.Abs(float64(sc.Bytes - bytes))
		if d <= math.Max(4096, 0.1*float64(bytes)) {
			n += sc.Per
		}
	}
	return n
}

// mappedBlock is a block mmapped and munmapped about once per iteration.
type mappedBlock struct {
	bytes int64
	per   float64
}

// churnedBlocks returns the blocks of at least minBytes that s maps and
// unmaps at least half the iterations, largest first. Without size detail
// it falls back to the totals.
func churnedBlocks(s *result.Syscalls, minBytes int64) []mappedBlock {
	if s == nil {
		return nil
	}
	var out []mappedBlock
	for _, sc := range sizesOf(s, "mmap") {
		if sc.Bytes < minBytes || sc.Per < 0.5 {
			continue
		}
		if un := perIterationOf(s, "munmap", sc.Bytes); un >= 0.5 {
			out = append(out, mappedBlock{sc.Bytes, math.Min(sc.Per, un)})
		}
	}
	if len(s.Sizes) == 0 && s.Mmap >= 0.5 && s.Munmap >= 0.5 && s.MappedBytes > 0 {
		b := int64(s.MappedBytes / s.Mmap)
		if b >= minBytes {
			out = append(out, mappedBlock{b, math.Min(s.Mmap, s.Munmap)})
		}
	}
	return out
}

// keptBlocks returns the blocks of at least minBytes that s maps at least
// every other iteration and does not unmap, largest first.
func keptBlocks(s *result.Syscalls, minBytes int64) []mappedBlock {
	var out []mappedBlock
	for _, sc := range sizesOf(s, "mmap") {
		if sc.Bytes >= minBytes && sc.Per >= 0.5 && perIterationOf(s, "munmap", sc.Bytes) < 0.5 {
			out = append(out, mappedBlock{sc.Bytes, sc.Per})
		}
	}
	return out
}

// heapTrim: glibc returns the top of its heap after an iteration (brk
// shrink; MADV_DONTNEED for a thread's arena) and the next iteration grows
// and faults it again. Signature: brk grow and shrink of comparable volume
// on the slow side, far more than on the fast side, and a fault difference
// of at least half a huge-page fault per 2 MiB returned.
func (a *analysis) heapTrim(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	if ss == nil || a.baseSettings().Allocator != alloc.Glibc {
		return nil
	}
	shrink, grow := ss.BrkShrinkBytes, ss.BrkGrowBytes
	fShrink := 0.0
	if fs != nil {
		fShrink = fs.BrkShrinkBytes
	}
	dF := faults(p.s) - faults(p.f)
	if shrink < 64*kib || grow < 0.5*shrink || shrink < 2*fShrink+64*kib || dF < math.Max(minFaultDiff, 0.5*shrink/hugePage) {
		return nil
	}
	d := a.newDraft(p, HeapTrimRefault)
	d.faultBytes = shrink
	fBrk := 0.0
	if fs != nil {
		fBrk = fs.Brk
	}
	d.f.Evidence = append(a.faultEvidence(p),
		ev("brk calls "+a.per()+" (grow and shrink)", p.slow, a.base, ss.Brk, "calls", result.PassTrace),
		ev("brk calls "+a.per(), p.fast, a.base, fBrk, "calls", result.PassTrace),
		ev("heap grown with brk "+a.per(), p.slow, a.base, grow, "B", result.PassTrace),
		ev("heap returned to the kernel with brk "+a.per(), p.slow, a.base, shrink, "B", result.PassTrace),
		ev("faults if every returned 4 KiB page is touched again (fewer with huge pages)", p.slow, a.base, math.Round(shrink/a.page), "faults", result.PassTrace))
	d.f.Summary = fmt.Sprintf("%s gives %s of heap back to the kernel with brk after every %s and faults it in again: %s minor faults %s against %s for %s",
		p.slow, fmtBytes(shrink), a.unit, fmtCount(faults(p.s)), a.per(), fmtCount(faults(p.f)), p.fast)
	// Sized by one trim, not by the volume: a run that loops returns
	// the same memory many times.
	trim := shrink / math.Max(1, ss.Brk/2)
	if szs := sizesOf(ss, "brk-"); len(szs) > 0 {
		trim = float64(szs[0].Bytes)
	}
	block := a.largestBlock(p)
	if block == 0 {
		block = trim / 2
	}
	d.proposals = append(a.envProposal(HeapTrimRefault, a.tuned(block), "raise glibc's mmap and trim thresholds together, so the heap top is kept between iterations"),
		a.envProposal(HeapTrimRefault, a.topPad(trim), "keep padding at the heap top, so a trim never returns the working memory")...)
	return d
}

// largestBlock is the largest single block either side of p allocates or
// maps per iteration, from the allocation pass or the trace.
func (a *analysis) largestBlock(p *pair) float64 {
	b := 0.0
	for _, r := range []*result.Run{p.s, p.f} {
		if al := r.PerIteration.Allocations; al != nil {
			for _, l := range al.Large {
				b = math.Max(b, float64(l.Bytes))
			}
		}
		if s := r.PerIteration.Syscalls; s != nil {
			for _, sc := range s.Sizes {
				if sc.Call == "mmap" || sc.Call == "munmap" {
					b = math.Max(b, float64(sc.Bytes))
				}
			}
		}
	}
	return b
}

// mmapPerAllocation: a block is mmapped and munmapped every iteration, so
// each of its pages faults every time. Signature: mmap and munmap of the
// same size at least every other iteration on the slow side and not (or
// far less often) on the fast side.
func (a *analysis) mmapPerAllocation(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	blocks := churnedBlocks(ss, 128*kib)
	kept := false
	if len(blocks) == 0 {
		// Blocks mapped and never unmapped while the program runs (a
		// runtime that frees them only when a collection runs): each is
		// fresh memory all the same.
		blocks, kept = keptBlocks(ss, 128*kib), true
	}
	if len(blocks) == 0 {
		return nil
	}
	var blk mappedBlock
	churned := 0.0 // bytes of every block mapped more often than on the fast side
	for _, b := range blocks {
		if a.isPoolArena(b.bytes) || p.isStep(b.bytes) {
			continue
		}
		// Only what the slow side maps more often than the fast side is a
		// difference (both mapping the same block is lazy zeroing, or
		// nothing).
		if excess := b.per - perIterationOf(fs, "mmap", b.bytes); excess >= 0.5 {
			if blk.bytes == 0 {
				blk = mappedBlock{b.bytes, excess}
			}
			churned += float64(b.bytes) * excess
		}
	}
	if blk.bytes == 0 {
		return nil
	}
	dF := faults(p.s) - faults(p.f)
	if dF < math.Max(minFaultDiff, 0.5*float64(blk.bytes)*blk.per/hugePage) {
		return nil
	}
	d := a.newDraft(p, MmapPerAllocation)
	d.faultBytes = churned
	d.f.Evidence = append(a.faultEvidence(p),
		ev("mmap calls "+a.per(), p.slow, a.base, ss.Mmap, "calls", result.PassTrace),
		ev("munmap calls "+a.per(), p.slow, a.base, ss.Munmap, "calls", result.PassTrace),
		ev("block mapped and unmapped every "+a.unit, p.slow, a.base, float64(blk.bytes), "B", result.PassTrace),
		ev("faults if every page of the block is touched (fewer with huge pages)", p.slow, a.base, math.Round(float64(blk.bytes)*blk.per/a.page), "faults", result.PassTrace))
	why := "the allocator maps blocks this large directly"
	glibc := a.baseSettings().Allocator == alloc.Glibc
	if glibc {
		why = "above glibc's mmap threshold"
		if blk.bytes > alloc.GlibcDynMmapMax {
			why = "above 32 MiB, where glibc's dynamic mmap threshold stops rising"
		}
	}
	times, it := "a fresh "+fmtBytes(float64(blk.bytes))+" block", "it"
	if blk.per >= 1.5 {
		times, it = fmtCount(blk.per)+" fresh blocks of "+fmtBytes(float64(blk.bytes)), "them"
	}
	if kept {
		d.f.Summary = fmt.Sprintf("%s maps %s with mmap every %s and does not unmap %s while it runs (%s; nothing reuses the memory), so every block faults in fresh: %s minor faults %s against %s for %s",
			p.slow, times, a.unit, it, why, fmtCount(faults(p.s)), a.per(), fmtCount(faults(p.f)), p.fast)
		d.f.Fixes = []result.Fix{{Kind: result.FixCode,
			Change: "allocate the block once and reuse it (or pool the buffers), instead of a fresh one every " + a.unit}}
		return d
	}
	d.f.Summary = fmt.Sprintf("%s maps %s with mmap every %s and unmaps %s afterwards (%s), so every %s faults %s in again: %s minor faults %s against %s for %s",
		p.slow, times, a.unit, it, why, a.unit, it, fmtCount(faults(p.s)), a.per(), fmtCount(faults(p.f)), p.fast)
	if glibc {
		d.proposals = a.envProposal(MmapPerAllocation, a.tuned(float64(blk.bytes)),
			"raise glibc's mmap threshold above the block (and the trim threshold with it), so it is reused from the heap")
	}
	return d
}

// isPoolArena reports a CPython obmalloc arena size in a Python result.
func (a *analysis) isPoolArena(bytes int64) bool {
	py := a.r.Kind == result.KindTimeit || a.r.Kind == result.KindDemo || a.r.Host.PyVer != "" || a.anyRuntime(runtimeid.Python)
	return py && (bytes == 1*mib || bytes == 256*kib)
}

// poolRelease: CPython's obmalloc frees a whole arena (1 MiB; 256 KiB
// before 3.10) when its last object dies and maps a new one on the next
// iteration.
func (a *analysis) poolRelease(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	var arena mappedBlock
	for _, b := range churnedBlocks(ss, 256*kib) {
		if a.isPoolArena(b.bytes) {
			arena.bytes = b.bytes
			arena.per += b.per
		}
	}
	if arena.bytes == 0 || perIterationOf(fs, "mmap", arena.bytes) >= 0.5*arena.per {
		return nil
	}
	d := a.newDraft(p, RuntimePoolRelease)
	d.faultBytes = float64(arena.bytes) * arena.per
	d.f.Evidence = append(a.faultEvidence(p),
		ev("interpreter arenas mapped and unmapped "+a.per(), p.slow, a.base, arena.per, "arenas", result.PassTrace),
		ev("arena size", p.slow, a.base, float64(arena.bytes), "B", result.PassTrace))
	d.f.Summary = fmt.Sprintf("%s empties CPython's small-object arenas every %s: %s arenas of %s are unmapped and mapped again %s, so their pages fault again (%s minor faults %s against %s for %s)",
		p.slow, a.unit, fmtCount(arena.per), fmtBytes(float64(arena.bytes)), a.per(), fmtCount(faults(p.s)), a.per(), fmtCount(faults(p.f)), p.fast)
	d.proposals = a.envProposal(RuntimePoolRelease, alloc.NoPymalloc(),
		"take small objects from malloc, which keeps its heap, instead of obmalloc arenas that are returned when empty")
	d.f.Fixes = []result.Fix{{Kind: result.FixCode,
		Change: "keep the objects alive between iterations (reuse the container, or hold a reference), so the arena never empties"}}
	return d
}

// allocatorPurge: the allocator hands freed pages back with
// madvise(MADV_DONTNEED) and reuses the addresses, which fault again. Under
// glibc this is the trim of a thread's arena (heap-trim-refault).
func (a *analysis) allocatorPurge(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	// Committed reservations given back (mprotect to PROT_NONE, a
	// reservation unmapped) are returned memory too: at most the
	// committed part can fault again.
	dec := decommitted(ss) - decommitted(fs)
	if ss == nil || ss.Advice["MADV_DONTNEED"] < 0.5 && dec < 256*kib {
		return nil
	}
	// What the slow side returns beyond what the fast side returns.
	purged := ss.AdviceBytes("MADV_DONTNEED") - fs.AdviceBytes("MADV_DONTNEED") + max(0, dec)
	if purged < 256*kib || purged < 0.25*(ss.AdviceBytes("MADV_DONTNEED")+decommitted(ss)) {
		return nil
	}
	dF := faults(p.s) - faults(p.f)
	if dF < math.Max(minFaultDiff, 0.5*purged/hugePage) {
		return nil
	}
	t := a.baseSettings()
	size := int64(0)
	if sz := sizesOf(ss, "madvise:MADV_DONTNEED"); len(sz) > 0 {
		size = sz[0].Bytes
	}
	who := "the allocator"
	cause := AllocatorPurge
	sure := true
	switch {
	case t.Allocator != alloc.Glibc:
		who = t.Allocator
	case t.Preload == "":
		cause, who, sure = a.releaser(p)
	}
	d := a.newDraft(p, cause)
	d.lowOnly = !sure
	d.faultBytes = purged
	d.f.Evidence = append(a.faultEvidence(p),
		ev("madvise(MADV_DONTNEED) calls "+a.per(), p.slow, a.base, ss.Advice["MADV_DONTNEED"], "calls", result.PassTrace),
		ev("bytes returned with MADV_DONTNEED "+a.per(), p.slow, a.base, ss.AdviceBytes("MADV_DONTNEED"), "B", result.PassTrace),
		ev("bytes returned with MADV_DONTNEED "+a.per(), p.fast, a.base, fs.AdviceBytes("MADV_DONTNEED"), "B", result.PassTrace),
		ev("extra faults if every page it returns beyond "+p.fast+" is touched again (fewer with huge pages)", p.slow, a.base, math.Round(purged/a.page), "faults", result.PassTrace))
	if size > 0 {
		d.f.Evidence = append(d.f.Evidence, ev("largest block returned", p.slow, a.base, float64(size), "B", result.PassTrace))
	}
	if dec > 0 {
		d.f.Evidence = append(d.f.Evidence, ev("committed reservations given back (mprotect PROT_NONE, munmap) "+a.per(), p.slow, a.base, decommitted(ss), "B", result.PassTrace))
	}
	how := "with madvise(MADV_DONTNEED)"
	if dec > ss.AdviceBytes("MADV_DONTNEED") {
		how = "by decommitting reserved address space (mprotect to PROT_NONE, or unmapping the reservation)"
	}
	d.rest = fmt.Sprintf("returns %s of %s's freed memory to the kernel %s every %s (%s for %s) and the next %s faults it in again: %s minor faults %s against %s for %s",
		fmtBytes(ss.AdviceBytes("MADV_DONTNEED")+decommitted(ss)), p.slow, how, a.unit, fmtBytes(fs.AdviceBytes("MADV_DONTNEED")+decommitted(fs)), p.fast, a.unit,
		fmtCount(faults(p.s)), a.per(), fmtCount(faults(p.f)), p.fast)
	d.f.Summary = who + " " + d.rest
	if cause == ProgramTrim {
		// An explicit release ignores the allocator's thresholds.
		d.f.Fixes = []result.Fix{{Kind: result.FixCode,
			Change: "release memory less often (when idle, or after a large release), not after every operation"}}
	} else if cause == RuntimePoolRelease {
		// A runtime's own heap: no allocator setting reaches it.
		d.f.Fixes = []result.Fix{{Kind: result.FixCode,
			Change: "keep the memory in use between iterations (reuse the buffers, a pool such as Go's sync.Pool), so the runtime has nothing to give back; or let it keep more (Go: GOGC or GOMEMLIMIT; Node: --max-semi-space-size)"}}
	} else if c, ok := alloc.Keep(a.baseline()); ok {
		d.proposals = a.envProposal(cause, c, "keep freed pages in the allocator instead of returning them after every "+a.unit)
	} else if cause == HeapTrimRefault {
		d.proposals = a.envProposal(cause, a.tuned(math.Max(a.largestBlock(p), float64(size))),
			"raise glibc's trim threshold (with the mmap threshold, which it would otherwise freeze), so arenas keep their top")
	}
	return d
}

// lazyZeroing: both sides map the same fresh block, but the fast side never
// touches it (the kernel zero-fills pages on first touch: calloc of a fresh
// mapping) while the slow side writes all of it. The comparison then
// measures work the fast side defers, not work it avoids.
func (a *analysis) lazyZeroing(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	if ss == nil || fs == nil {
		return nil
	}
	var blk mappedBlock
	for _, b := range churnedBlocks(ss, mib) {
		if perIterationOf(fs, "mmap", b.bytes) >= 0.5*b.per && len(churnedBlocks(fs, mib)) > 0 {
			blk = b
			break
		}
	}
	if blk.bytes == 0 {
		return nil
	}
	dF := faults(p.s) - faults(p.f)
	pages := float64(blk.bytes) * blk.per / a.page
	touched := dF >= 0.5*pages || dF >= 0.5*float64(blk.bytes)*blk.per/hugePage
	if !touched || faults(p.f) > 0.1*faults(p.s) {
		return nil
	}
	// Few faults on the fast side can also mean it touched everything in
	// huge pages (512 times fewer faults): that is huge-pages, not lazy
	// zeroing.
	thp := fs.AdviceBytes("MADV_HUGEPAGE") >= 0.5*float64(blk.bytes) || a.r.Host.THP == "always"
	if thp && faults(p.f) >= 0.5*float64(blk.bytes)*blk.per/hugePage {
		return nil
	}
	d := a.newDraft(p, LazyZeroing)
	d.faultBytes = float64(blk.bytes) * blk.per
	d.f.Evidence = append(a.faultEvidence(p),
		ev("block mapped and unmapped every "+a.unit, p.slow, a.base, float64(blk.bytes), "B", result.PassTrace),
		ev("block mapped and unmapped every "+a.unit, p.fast, a.base, float64(blk.bytes), "B", result.PassTrace),
		ev("4 KiB pages in the block", p.slow, a.base, math.Round(pages), "pages", result.PassTrace))
	d.f.Summary = fmt.Sprintf("%s gets its %s block zero-filled lazily by the kernel and never touches it (%s faults %s), while %s writes every page (%s faults %s): the comparison measures work %s defers, not work it saves",
		p.fast, fmtBytes(float64(blk.bytes)), fmtCount(faults(p.f)), a.per(), p.slow, fmtCount(faults(p.s)), a.per(), p.fast)
	// Configurations under which the fast side pays for its pages and the
	// gap closes confirm that the work was only deferred.
	for _, c := range a.configs() {
		s, f := a.run(p.slow, c.Name), a.run(p.fast, c.Name)
		if s == nil || f == nil || !a.faultGapRemoved(p, s, f) || faults(f)-faults(p.f) < 0.5*faults(s) {
			continue
		}
		if matrixShare(p.gap, s.Time.Median-f.Time.Median) < 0.8 {
			continue
		}
		d.f.Evidence = append(d.f.Evidence,
			ev("time "+a.per()+" when it pays for its pages", p.fast, c.Name, f.Time.Median, "s", result.PassTiming),
			ev("minor page faults "+a.per()+" when it pays for its pages", p.fast, c.Name, faults(f), "faults", result.PassTiming))
		d.cites = append(d.cites, p.fast+"|"+c.Name)
	}
	d.f.Fixes = []result.Fix{{Kind: result.FixMethod,
		Change: "make both candidates touch the memory they allocate (write one byte per page, or use it as the real program would), so both pay for the pages they use"}}
	return d
}

// hugePages: both sides get comparable fresh memory, but only the fast
// side's is advised for transparent huge pages, so the slow side takes up
// to 512 times more faults for it.
func (a *analysis) hugePages(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	if ss == nil || fs == nil || a.r.Host.THP == "never" {
		return nil
	}
	hs, hf := ss.AdviceBytes("MADV_HUGEPAGE"), fs.AdviceBytes("MADV_HUGEPAGE")
	more := hf >= hs+hugePage
	if hs == 0 && hf == 0 {
		more = fs.Advice["MADV_HUGEPAGE"] >= ss.Advice["MADV_HUGEPAGE"]+1
	}
	vs, vf := ss.BrkGrowBytes+ss.MappedBytes, fs.BrkGrowBytes+fs.MappedBytes
	if !more || vs == 0 || vf == 0 || vs > 2*vf || vf > 2*vs {
		return nil
	}
	if faults(p.f) < 1 || faults(p.s) < 4*faults(p.f) {
		return nil
	}
	d := a.newDraft(p, HugePages)
	d.faultBytes = vs
	// Memory the slow side trims and faults in again is the trim's: a
	// heap kept by a raised threshold, not the advice, decides those
	// faults, and the advice is at best a part.
	trimmed := ss.BrkShrinkBytes + ss.AdviceBytes("MADV_DONTNEED") - fs.BrkShrinkBytes - fs.AdviceBytes("MADV_DONTNEED")
	if trimmed >= 0.5*vs {
		d.lowOnly = true
		d.faultBytes = math.Max(hugePage, vs-trimmed)
	}
	d.f.Evidence = append(a.faultEvidence(p),
		ev("bytes advised MADV_HUGEPAGE "+a.per(), p.fast, a.base, hf, "B", result.PassTrace),
		ev("bytes advised MADV_HUGEPAGE "+a.per(), p.slow, a.base, hs, "B", result.PassTrace),
		ev("fresh memory "+a.per()+" (brk grown + mapped)", p.slow, a.base, vs, "B", result.PassTrace),
		ev("fresh memory "+a.per()+" (brk grown + mapped)", p.fast, a.base, vf, "B", result.PassTrace))
	d.f.Summary = fmt.Sprintf("%s's fresh memory is advised for transparent huge pages and %s's is not: %s takes %s minor faults %s for %s, %s %s for %s",
		p.fast, p.slow, p.slow, fmtCount(faults(p.s)), a.per(), fmtBytes(vs), p.fast, fmtCount(faults(p.f)), fmtBytes(vf))
	if a.baseSettings().Allocator == alloc.Glibc {
		d.proposals = append(d.proposals, a.envProposal(HugePages, alloc.HugeTLB(),
			"let glibc advise huge pages for its own heap and large blocks, so the slow side's memory gets them too")...)
	}
	if _, np := numpyAlias(a.r.Setup); np || a.r.Host.NumPy != "" {
		d.proposals = append(d.proposals, a.envProposal(HugePages, alloc.NumPyAdvice(true),
			"experiment, not a fix: without NumPy's huge-page advice both sides should fault alike, which confirms the mechanism")...)
	}
	return d
}

// reallocCopy: the slow side grows a buffer by mapping a larger block,
// copying and unmapping the old one (several mmap sizes per iteration, no
// mremap), so every step faults fresh pages; glibc's realloc of a mapped
// block moves it with mremap instead.
func (a *analysis) reallocCopy(p *pair) *draft {
	if d := a.allocationGrowth(p); d != nil {
		return d
	}
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	if ss == nil || ss.Mremap >= 0.5 {
		return nil
	}
	var steps []result.SizeCount
	for _, sc := range sizesOf(ss, "mmap") {
		if sc.Bytes >= 128*kib && sc.Per >= 0.5 {
			steps = append(steps, sc)
		}
	}
	if len(steps) < 2 || ss.Munmap < 1 {
		return a.heapGrowth(p)
	}
	if fs != nil && fs.Mremap < 0.5 && fs.Mmap >= 0.5*ss.Mmap {
		return nil
	}
	// The steps of one growth are made about as often as each other: a
	// block mapped two hundred times beside one mapped once is not a
	// series.
	lo, hi := steps[0].Per, steps[0].Per
	for _, sc := range steps {
		lo, hi = min(lo, sc.Per), max(hi, sc.Per)
	}
	if hi > 2*lo+0.5 {
		return a.heapGrowth(p)
	}
	var mapped float64
	for _, sc := range steps {
		mapped += float64(sc.Bytes) * sc.Per
	}
	d := a.newDraft(p, ReallocCopy)
	d.faultBytes = mapped
	for _, sc := range steps {
		p.steps = append(p.steps, float64(sc.Bytes))
	}
	fRemap := 0.0
	if fs != nil {
		fRemap = fs.Mremap
	}
	d.f.Evidence = append(a.faultEvidence(p),
		ev("distinct block sizes mapped "+a.per(), p.slow, a.base, float64(len(steps)), "sizes", result.PassTrace),
		ev("bytes mapped "+a.per(), p.slow, a.base, mapped, "B", result.PassTrace),
		ev("mremap calls "+a.per(), p.slow, a.base, ss.Mremap, "calls", result.PassTrace),
		ev("mremap calls "+a.per(), p.fast, a.base, fRemap, "calls", result.PassTrace))
	d.f.Summary = fmt.Sprintf("%s grows its memory by mapping ever larger blocks and copying into them (%d sizes from %s to %s %s, no mremap), so every step faults fresh pages: %s minor faults %s against %s for %s",
		p.slow, len(steps), fmtBytes(float64(steps[len(steps)-1].Bytes)), fmtBytes(float64(steps[0].Bytes)), a.per(),
		fmtCount(faults(p.s)), a.per(), fmtCount(faults(p.f)), p.fast)
	d.f.Fixes = []result.Fix{{Kind: result.FixCode,
		Change: "reserve the final size up front, or grow with realloc (glibc moves a large block with mremap, without copying or faulting it again)"}}
	return d
}

// withGrowth folds the heap trim that growth by copying leads to into the
// growth's finding: the trim returns the heap top the copies left, its
// faults are the growth's cost, and the growth is what to change (the
// trim's verified settings stay among the fixes).
func (a *analysis) withGrowth(ds []*draft) []*draft {
	var grow, trim *draft
	for _, d := range ds {
		switch d.f.Cause {
		case ReallocCopy:
			grow = d
		case HeapTrimRefault:
			trim = d
		}
	}
	if grow == nil || trim == nil || grow.f.Candidate != trim.f.Candidate {
		return ds
	}
	shrink := 0.0
	if s := grow.p.s.PerIteration.Syscalls; s != nil {
		shrink = s.BrkShrinkBytes
	}
	if shrink == 0 {
		// A thread arena's trim (madvise), not the heap top the copies
		// leave: a finding of its own.
		return ds
	}
	grow.f.Summary += fmt.Sprintf("; the heap top the copies leave (%s) is given back with brk after every %s and faulted in again", fmtBytes(shrink), a.unit)
	grow.f.Explains = math.Min(1, grow.f.Explains+trim.f.Explains)
	if grow.f.Claim != nil && trim.f.Claim != nil {
		grow.f.Claim.Faults += trim.f.Claim.Faults
		grow.f.Claim.MaxFaults += trim.f.Claim.MaxFaults
	}
	grow.seconds += trim.seconds
	if confidenceRank(trim.f.Confidence) < confidenceRank(grow.f.Confidence) {
		grow.f.Confidence = trim.f.Confidence
	}
	for _, fx := range trim.f.Fixes {
		if !slices.ContainsFunc(grow.f.Fixes, func(g result.Fix) bool { return g.Kind == fx.Kind && g.Config == fx.Config && g.Change == fx.Change }) {
			grow.f.Fixes = append(grow.f.Fixes, fx)
		}
	}
	grow.proposals = append(grow.proposals, trim.proposals...)
	return slices.DeleteFunc(ds, func(d *draft) bool { return d == trim })
}

// heapGrowth is realloc-copy on the heap: below the mmap threshold each
// larger copy is carved from the heap top, which grows by brk step after
// step (at least eight an iteration, where the fast side grows it a
// quarter as often) to several times what the iteration keeps live.
func (a *analysis) heapGrowth(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	if ss == nil || a.baseSettings().Allocator != alloc.Glibc {
		return nil
	}
	steps, fsteps := 0.0, 0.0
	for _, sc := range sizesOf(ss, "brk+") {
		steps += sc.Per
	}
	for _, sc := range sizesOf(fs, "brk+") {
		fsteps += sc.Per
	}
	shrinks := 0.0
	for _, sc := range sizesOf(ss, "brk-") {
		shrinks += sc.Per
	}
	peak := 0.0
	if al := p.s.PerIteration.Allocations; al != nil {
		peak = al.PeakBytes
	} else if n := native(p.s); n != nil {
		peak = n.PeakLiveBytes
	}
	// Many steps up for each step down: growth. A heap that grows once
	// and is trimmed once per iteration, many iterations a process, is
	// the trim's cycle, not growth. And more heap grown between two trims
	// than was ever live at once: copies, not blocks that accumulate
	// (which the allocations must show, the trace cannot). Between two
	// trims, not per iteration: a whole run that trims after each of its
	// items grows its heap by every item's blocks, which are not copies.
	cycles := max(1, shrinks)
	if steps < 8*cycles || fsteps > steps/4 || ss.BrkGrowBytes < mib || peak == 0 || ss.BrkGrowBytes/cycles < 1.4*peak {
		return nil
	}
	d := a.newDraft(p, ReallocCopy)
	d.faultBytes = ss.BrkGrowBytes
	d.f.Evidence = append(a.faultEvidence(p),
		ev("heap growth steps (brk) "+a.per(), p.slow, a.base, steps, "calls", result.PassTrace),
		ev("heap growth steps (brk) "+a.per(), p.fast, a.base, fsteps, "calls", result.PassTrace),
		ev("heap grown with brk "+a.per(), p.slow, a.base, ss.BrkGrowBytes, "B", result.PassTrace))
	if peak > 0 {
		d.f.Evidence = append(d.f.Evidence, ev("peak traced memory "+a.per(), p.slow, a.base, peak, "B", result.PassAlloc))
	}
	d.f.Summary = fmt.Sprintf("%s grows its data by copying it into ever larger blocks: its heap grows in %s steps %s to %s (%s against %s for %s), every copy touching fresh pages: %s minor faults %s against %s for %s",
		p.slow, fmtCount(steps), a.per(), fmtBytes(ss.BrkGrowBytes), fmtCount(steps), fmtCount(fsteps), p.fast,
		fmtCount(faults(p.s)), a.per(), fmtCount(faults(p.f)), p.fast)
	if peak > 0 {
		d.f.Summary += fmt.Sprintf("; it keeps at most %s live", fmtBytes(peak))
	}
	d.f.Fixes = []result.Fix{{Kind: result.FixCode,
		Change: "grow in place (a bytearray, realloc, a list joined once) or reserve the final size, instead of building a new, larger copy each step"}}
	return d
}

// pageFaults: the slow side faults more, but no signature names the
// mechanism (no trace pass, or faults without memory syscalls: first
// touches of memory mapped earlier).
func (a *analysis) pageFaults(p *pair) *draft {
	dF := faults(p.s) - faults(p.f)
	share := faultShare(p.gap, dF, a.cost)
	if share < 0.1 && a.removingConfig(p, false) == nil {
		return nil
	}
	d := a.newDraft(p, PageFaults)
	d.signature = false
	d.faultBytes = dF * a.page
	d.f.Evidence = a.faultEvidence(p)
	why := "its memory syscalls match no known pattern (first touches of memory mapped earlier?)"
	if p.s.PerIteration.Syscalls == nil {
		why = "no syscall trace was taken, so the mechanism is not named"
	}
	d.f.Summary = fmt.Sprintf("%s takes %s more minor page faults %s than %s (%s at %s each); %s",
		p.slow, fmtCount(dF), a.per(), p.fast, units.Seconds(dF*a.cost), units.Seconds(a.cost), why)
	return d
}
