package diagnose

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/faultline/faultline/internal/result"
)

// Growth by copying, read from the allocations: a container that grows
// by allocating a larger block and copying into it (std::vector without
// reserve, a doubling buffer) allocates a geometric series of sizes every
// iteration, each 1.25 to 2.5 times the one before, where the fast side
// allocates the final size once. Each step touches fresh memory (a
// mapping above the mmap threshold, or heap the copies leave behind),
// whichever way the allocator serves it, so the series is the cause and
// the mappings and trims it produces are its consequences.

// sized is an allocation size with how often an iteration makes it.
type sized struct {
	bytes float64
	per   float64
}

// largeAllocations are a run's allocations of 64 KiB or more per
// iteration, from the allocation pass (Python) or the native one.
func largeAllocations(r *result.Run) []sized {
	var out []sized
	if al := r.PerIteration.Allocations; al != nil {
		for _, l := range al.Large {
			out = append(out, sized{float64(l.Bytes), l.Per})
		}
	} else if n := native(r); n != nil {
		for _, l := range n.Large {
			out = append(out, sized{float64(l.Bytes), l.Per})
		}
	}
	return out
}

// perOfSize is how often per iteration list makes an allocation of about
// bytes (within 5% or a page).
func perOfSize(list []sized, bytes float64) float64 {
	n := 0.0
	for _, x := range list {
		if math.Abs(x.bytes-bytes) <= math.Max(4096, 0.05*bytes) {
			n += x.per
		}
	}
	return n
}

// growthSteps returns the slow side's steps of a growth series: at least
// three sizes made about equally often (at least every other iteration),
// each 1.25-2.5x the one before, and of them at least two the fast side
// does not make as often. The last (largest) size is included.
func growthSteps(slow, fast []sized) []sized {
	var cand []sized
	for _, s := range slow {
		if s.per >= 0.5 {
			cand = append(cand, s)
		}
	}
	slices.SortFunc(cand, func(x, y sized) int { return cmp.Compare(x.bytes, y.bytes) })
	var best []sized
	for i := range cand {
		chain := []sized{cand[i]}
		for _, c := range cand[i+1:] {
			last := chain[len(chain)-1]
			ratio := c.bytes / last.bytes
			if ratio >= 1.25 && ratio <= 2.5 && math.Abs(c.per-last.per) <= 0.1*last.per+0.5 {
				chain = append(chain, c)
			}
		}
		extra := 0
		for _, c := range chain {
			if perOfSize(fast, c.bytes) < 0.5*c.per {
				extra++
			}
		}
		if len(chain) >= 3 && extra >= 2 && len(chain) > len(best) {
			best = chain
		}
	}
	return best
}

// allocationGrowth is realloc-copy read from the allocations' sizes.
func (a *analysis) allocationGrowth(p *pair) *draft {
	fast := largeAllocations(p.f)
	steps := growthSteps(largeAllocations(p.s), fast)
	if len(steps) == 0 || faults(p.s)-faults(p.f) < minFaultDiff {
		return nil
	}
	bytes := 0.0 // what the slow side allocates that the fast side does not
	for _, s := range steps {
		bytes += s.bytes * math.Max(0, s.per-perOfSize(fast, s.bytes))
	}
	d := a.newDraft(p, ReallocCopy)
	d.faultBytes = bytes
	for _, s := range steps {
		p.steps = append(p.steps, s.bytes)
	}
	first, last := steps[0], steps[len(steps)-1]
	pass := result.PassNative
	if p.s.PerIteration.Allocations != nil {
		pass = result.PassAlloc
	}
	d.f.Evidence = append(a.faultEvidence(p),
		ev("growth steps (allocations from "+fmtBytes(first.bytes)+" to "+fmtBytes(last.bytes)+", each larger than the last) "+a.per(), p.slow, a.base, float64(len(steps))*first.per, "allocations", pass),
		ev("bytes allocated by the growth steps "+p.fast+" does not make "+a.per(), p.slow, a.base, bytes, "B", pass))
	series := fmt.Sprintf("%d allocations from %s to %s %s", len(steps), fmtBytes(first.bytes), fmtBytes(last.bytes), a.per())
	if first.per >= 1.5 {
		series = fmt.Sprintf("a series of %d allocations from %s to %s, %s times %s", len(steps), fmtBytes(first.bytes), fmtBytes(last.bytes), fmtCount(first.per), a.per())
	}
	d.f.Summary = fmt.Sprintf("%s grows its data by copying it into ever larger blocks: %s (%s of them %s does not allocate), every step touching fresh memory: %s minor faults %s against %s for %s",
		p.slow, series, fmtBytes(bytes), p.fast, fmtCount(faults(p.s)), a.per(), fmtCount(faults(p.f)), p.fast)
	d.f.Fixes = []result.Fix{{Kind: result.FixCode,
		Change: "reserve the final size up front (std::vector::reserve, a preallocated buffer), or grow with realloc, which glibc moves with mremap without copying"}}
	return d
}

// isStep reports a block size that is one of the pair's growth steps (the
// mapping of an allocation adds its header and rounds to pages).
func (p *pair) isStep(bytes int64) bool {
	for _, s := range p.steps {
		if math.Abs(float64(bytes)-s) <= math.Max(2*4096, 0.05*s) {
			return true
		}
	}
	return false
}
