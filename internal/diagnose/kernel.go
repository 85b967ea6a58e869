package diagnose

import (
	"fmt"
	"math"

	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/units"
)

// Mechanisms whose cost is kernel time that the 4 KiB fault model does
// not count: the memory syscalls themselves (one mapping per small
// value), and huge pages that make each first touch of sparse memory
// zero 2 MiB.
const (
	SyscallCost = "syscall-cost"
	THP         = "thp"
)

// systemTime is a run's kernel CPU time per iteration, or -1 when not
// measured (or measured per run while the time is per iteration).
func (a *analysis) systemTime(r *result.Run) float64 {
	if r == nil || r.CPU == nil || r.CPU.Per != a.unit {
		return -1
	}
	return r.CPU.System
}

// syscallCost: the slow side makes a thousand or more memory syscalls an
// iteration more than the fast one, for small mappings: the time goes to
// the calls (and the one fault each small mapping takes), not to faulting
// large blocks. What the fault model does not cover of the gap is the
// calls' own cost; kernel CPU time, where measured, confirms it.
func (a *analysis) syscallCost(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	calls, fcalls := ss.Calls(), fs.Calls()
	extra := calls - fcalls
	if ss == nil || extra < 1000 || calls < 10*math.Max(fcalls, 1) {
		return nil
	}
	// Mappings of files and reservations are not small allocations: a
	// file mapped per iteration is file-mapping's, whose calls they are.
	anon := ss.Mmap - classedCalls(ss, "mmap")
	if classedCalls(ss, "mmap")+classedCalls(ss, "munmap")-classedCalls(fs, "mmap")-classedCalls(fs, "munmap") >= 0.5*extra {
		return nil
	}
	if anon > 0 && ss.MappedBytes/anon > 256*kib {
		// Large mappings: their faults are the cost (mmap-per-allocation).
		return nil
	}
	dF := math.Max(0, faults(p.s)-faults(p.f))
	faultTime := dF * a.cost
	rest := (p.gap - faultTime) / p.gap
	if rest < 0.3 {
		return nil
	}
	d := a.newDraft(p, SyscallCost)
	d.f.Explains = rest
	d.seconds = rest * p.gap
	d.f.Confidence = Low
	perCall := (p.gap - faultTime) / extra
	d.f.Evidence = append(a.faultEvidence(p),
		ev("memory syscalls "+a.per(), p.slow, a.base, calls, "calls", result.PassTrace),
		ev("memory syscalls "+a.per(), p.fast, a.base, fcalls, "calls", result.PassTrace),
		ev("time gap "+p.slow+" - "+p.fast, p.slow, a.base, p.gap, "s", result.PassTiming),
		ev("time in the extra faults (calibrated cost)", p.slow, a.base, faultTime, "s", result.PassTiming),
		ev("the rest of the gap per extra syscall", p.slow, a.base, perCall, "s", result.PassTiming))
	sysNote := ""
	if st, ft := a.systemTime(p.s), a.systemTime(p.f); st >= 0 && ft >= 0 {
		d.f.Evidence = append(d.f.Evidence,
			ev("system CPU time "+a.per(), p.slow, a.base, st, "s", result.PassTiming),
			ev("system CPU time "+a.per(), p.fast, a.base, ft, "s", result.PassTiming))
		if st-ft >= 0.5*p.gap {
			d.f.Confidence = Medium
		}
		sysNote = fmt.Sprintf("; %s of %s's time %s is kernel time, against %s for %s", units.Seconds(st), p.slow, a.per(), units.Seconds(ft), p.fast)
	}
	avg := 0.0
	if anon > 0 {
		avg = ss.MappedBytes / anon
	}
	d.f.Summary = fmt.Sprintf("%s makes %s memory syscalls %s (%s mmap of %s on average, %s munmap) against %s for %s: the calls themselves cost %s each beyond their faults, %s of the gap%s",
		p.slow, fmtCount(calls), a.per(), fmtCount(anon), fmtBytes(avg), fmtCount(ss.Munmap), fmtCount(fcalls), p.fast,
		units.Seconds(perCall), fmtPct(rest), sysNote)
	d.f.Fixes = []result.Fix{{Kind: result.FixCode,
		Change: "take small blocks from malloc or a pool (one mapping for many values), not one mmap and munmap each"}}
	return d
}

// classedCalls counts the calls of one kind (mmap, munmap) per iteration
// that map or unmap files and reservations, from the trace's sizes.
func classedCalls(s *result.Syscalls, call string) float64 {
	n := 0.0
	for _, class := range []string{memtrace.ClassFile, memtrace.ClassReserve} {
		for _, sc := range sizesOf(s, call+":"+class) {
			n += sc.Per
		}
	}
	return n
}

// thp: the slow side advises its memory for transparent huge pages
// (MADV_HUGEPAGE) and the fast side does not, with no more faults: each
// fault then zeroes a 2 MiB page instead of 4 KiB, which costs when the
// memory is touched sparsely. The cost per fault shows it: far above the
// calibrated 4 KiB fault.
func (a *analysis) thp(p *pair) *draft {
	ss, fs := p.s.PerIteration.Syscalls, p.f.PerIteration.Syscalls
	advised := ss.AdviceBytes("MADV_HUGEPAGE") - fs.AdviceBytes("MADV_HUGEPAGE")
	if ss == nil || advised < hugePage || faults(p.s) > 1.5*faults(p.f)+minFaultDiff || faults(p.s) < 1 {
		return nil
	}
	perFault := p.gap / faults(p.s)
	if perFault < 20*a.cost {
		return nil
	}
	d := a.newDraft(p, THP)
	d.f.Explains = 1
	d.seconds = p.gap
	d.f.Confidence = Medium
	if !a.calibrated {
		d.f.Confidence = Low
	}
	d.f.Evidence = append(a.faultEvidence(p),
		ev("bytes advised MADV_HUGEPAGE "+a.per(), p.slow, a.base, ss.AdviceBytes("MADV_HUGEPAGE"), "B", result.PassTrace),
		ev("bytes advised MADV_HUGEPAGE "+a.per(), p.fast, a.base, fs.AdviceBytes("MADV_HUGEPAGE"), "B", result.PassTrace),
		ev("time gap per fault of "+p.slow, p.slow, a.base, perFault, "s", result.PassTiming),
		ev("calibrated cost of a 4 KiB fault", p.slow, a.base, a.cost, "s", result.PassTiming))
	d.f.Summary = fmt.Sprintf("%s advises %s %s for transparent huge pages (%s for %s) and takes no more faults, but each costs %s more, %.0fx a 4 KiB fault: every first touch zeroes a whole 2 MiB page, which sparse use of the memory does not repay",
		p.slow, fmtBytes(ss.AdviceBytes("MADV_HUGEPAGE")), a.per(), fmtBytes(fs.AdviceBytes("MADV_HUGEPAGE")), p.fast,
		units.Seconds(perFault), perFault/a.cost)
	d.f.Fixes = []result.Fix{{Kind: result.FixCode,
		Change: "do not advise MADV_HUGEPAGE for memory touched sparsely (or set it off for the process: prctl(PR_SET_THP_DISABLE))"}}
	return d
}
