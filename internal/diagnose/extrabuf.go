package diagnose

import (
	"fmt"
	"math"
	"strings"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

// extraBuffer: the slow side allocates more or larger buffers per
// iteration (allocation pass). For NumPy statements where the fast side is
// the unnamed spelling of the slow side's named temporary, the finding
// names temporary elision. The cost of the buffer itself is measured by
// the rewritten candidate (FixOf); when a fault mechanism on the slow side
// fired too, the extra memory is what that mechanism cycles, and the
// buffer's own cost is judged where the faults are gone.
//
// Explains and Confidence:
//   - mechanism present and a configuration M removes its faults while the
//     slow side stays significantly slower there: the finding is about M.
//     Explains = (slow - rewrite) / (slow - fast) under M, high when the
//     rewrite ran under M and removes at least half; when the rewrite ran
//     only under the baseline and is as fault-free as the fast side there,
//     its time under M is estimated as fast(M) x rewrite/fast (baseline),
//     medium;
//   - otherwise the finding is about the baseline: Explains = the share
//     of the gap the measured rewrite removes (high when at least half,
//     medium otherwise); without a measured rewrite 0 and low.
func (a *analysis) extraBuffer(p *pair, mech []*draft) *draft {
	as, af := p.s.PerIteration.Allocations, p.f.PerIteration.Allocations
	pass := result.PassAlloc
	if as == nil || af == nil {
		// A native program: its allocator calls, from the native pass.
		as, af, pass = nativeLarge(native(p.s)), nativeLarge(native(p.f)), result.PassNative
	}
	if as == nil || af == nil {
		return nil
	}
	extra := as.Bytes - af.Bytes
	more := as.Count >= af.Count+0.5 && extra >= math.Max(256*kib, 0.25*af.Bytes)
	larger := as.PeakBytes >= 1.5*af.PeakBytes && as.PeakBytes-af.PeakBytes >= 256*kib
	if !more && !larger {
		return nil
	}
	d := a.newDraft(p, ExtraBuffer)
	d.f.Evidence = []result.Evidence{
		ev("allocations of 256 KiB or more "+a.per(), p.slow, a.base, as.Count, "allocs", pass),
		ev("allocations of 256 KiB or more "+a.per(), p.fast, a.base, af.Count, "allocs", pass),
		ev("bytes in those allocations "+a.per(), p.slow, a.base, as.Bytes, "B", pass),
		ev("bytes in those allocations "+a.per(), p.fast, a.base, af.Bytes, "B", pass),
		ev("peak traced memory "+a.per(), p.slow, a.base, as.PeakBytes, "B", pass),
		ev("peak traced memory "+a.per(), p.fast, a.base, af.PeakBytes, "B", pass),
	}

	cs, cf := a.r.Candidate(p.slow), a.r.Candidate(p.fast)
	_, hasNumPy := numpyAlias(a.r.Setup)
	var tmp temporary
	elided := false
	if cs != nil && cf != nil && (hasNumPy || a.r.Host.NumPy != "") {
		tmp, elided = elides(cs.Statement, cf.Statement)
	}

	// What the slow side allocates, in words.
	what := fmt.Sprintf("%s in %s allocations", fmtBytes(as.Bytes), fmtCount(as.Count))
	whatFast := fmt.Sprintf("%s in %s", fmtBytes(af.Bytes), fmtCount(af.Count))
	if len(as.Large) == 1 && (len(af.Large) == 0 || len(af.Large) == 1 && af.Large[0].Bytes == as.Large[0].Bytes) {
		what = fmt.Sprintf("%s x %s", fmtCount(as.Large[0].Per), fmtBytes(float64(as.Large[0].Bytes)))
		whatFast = fmt.Sprintf("%s x", fmtCount(af.Count))
		if len(af.Large) == 1 {
			whatFast = fmt.Sprintf("%s x", fmtCount(af.Large[0].Per))
		}
	}
	if af.Count < 0.5 {
		whatFast = "none"
	}
	var b strings.Builder
	if elided {
		fmt.Fprintf(&b, "%s allocates %s %s, %s %s: NumPy writes the result of %s %s into %s's unnamed temporary in place (temporary elision), but the name %s keeps %s's temporary alive, so it needs a second buffer",
			p.slow, what, a.per(), p.fast, whatFast, string(tmp.op), tmp.operand, p.fast, tmp.name, p.slow)
	} else {
		fmt.Fprintf(&b, "%s allocates %s %s, %s %s (peak %s against %s)",
			p.slow, what, a.per(), p.fast, whatFast, fmtBytes(as.PeakBytes), fmtBytes(af.PeakBytes))
	}
	var mechCause string
	var mechSeconds float64
	for _, m := range mech {
		if m.faultBytes > 0 && m.f.Cause != LazyZeroing && m.f.Cause != HugePages && mechCause == "" {
			mechCause = m.f.Cause
		}
		mechSeconds += m.seconds
	}
	if where := callers(native(p.s)); where != "" {
		fmt.Fprintf(&b, "; %s allocates them in %s", p.slow, where)
	} else if where := statementSites(p.s); where != "" {
		fmt.Fprintf(&b, "; %s allocates them at %s", p.slow, where)
	}
	if mechCause != "" {
		fmt.Fprintf(&b, "; that extra memory is what %s cycles through the kernel", mechCause)
	}

	// The measured rewrites of the slow candidate.
	var fixes []result.Fix
	var best *result.Run
	var bestName string
	for _, c := range a.r.Candidates {
		if c.FixOf != p.slow {
			continue
		}
		x := a.run(c.Name, a.base)
		if x == nil {
			continue
		}
		d.f.Evidence = append(d.f.Evidence,
			ev(c.Name+" (rewritten "+p.slow+") / "+p.fast, c.Name, a.base, round3(a.ratio(c.Name, p.fast, a.base)), "x", result.PassTiming))
		if xa := x.PerIteration.Allocations; xa != nil {
			d.f.Evidence = append(d.f.Evidence, ev("allocations of 256 KiB or more "+a.per(), c.Name, a.base, xa.Count, "allocs", result.PassAlloc))
		}
		speedup := p.s.Time.Median / x.Time.Median
		if speedup < fixSpeedupMin {
			fmt.Fprintf(&b, "; the rewrite %s was measured and is not faster", c.Name)
			continue
		}
		change := "write the result into a buffer that is already allocated, so fewer buffers are alive " + a.per()
		if elided {
			change = "write the result into " + tmp.name + " itself (out=" + tmp.name + "), so one buffer is alive " + a.per() + " instead of two"
		}
		fixes = append(fixes, result.Fix{Kind: result.FixCode, Change: change, Code: c.Statement, Verified: true,
			Config: c.Name, Ratio: round3(a.ratio(c.Name, p.fast, a.base)), Speedup: round3(speedup)})
		if best == nil || x.Time.Median < best.Time.Median {
			best, bestName = x, c.Name
		}
	}

	// Where to judge the buffer's own cost, and how much of the gap it is.
	gap := p.gap
	done := false
	if mechCause != "" {
		if rm := a.removingConfig(p, false); rm != nil && rm.gapWith > 0 && a.slowerUnder(p, rm) {
			sM, fM := rm.s.Time.Median, rm.f.Time.Median
			var xM float64
			conf := ""
			if best != nil {
				if x := a.run(bestName, rm.cfg.Name); x != nil {
					xM, conf = x.Time.Median, High
				} else if faults(best) <= faults(p.f)+faultGapLeft*(faults(p.s)-faults(p.f)) && p.f.Time.Median > 0 {
					xM, conf = fM*best.Time.Median/p.f.Time.Median, Medium
					d.f.Evidence = append(d.f.Evidence, ev("estimated time "+a.per()+" (fast x "+bestName+"/"+p.fast+" without faults)",
						bestName, rm.cfg.Name, xM, "s", result.PassTiming))
				}
			}
			if conf != "" {
				gap = sM - fM
				d.f.Config = rm.cfg.Name
				d.f.Explains = matrixShare(gap, xM-fM)
				d.f.Confidence = conf
				if conf == High && d.f.Explains < 0.5 {
					d.f.Confidence = Medium
				}
				done = true
				d.f.Evidence = append(d.f.Evidence,
					ev("time gap "+p.slow+" - "+p.fast+" without the faults", p.slow, rm.cfg.Name, gap, "s", result.PassTiming),
					ev(p.slow+"/"+p.fast+" without the faults", p.slow, rm.cfg.Name, round3(a.ratio(p.slow, p.fast, rm.cfg.Name)), "x", result.PassTiming))
				fmt.Fprintf(&b, "; without the faults (%s) %s is still %s slower", rm.cfg.Name, p.slow, fmtRatio(sM/fM))
			}
		}
	}
	if !done {
		if best != nil {
			d.f.Explains = matrixShare(gap, best.Time.Median-p.f.Time.Median)
			d.f.Confidence = Medium
			if d.f.Explains >= 0.5 {
				d.f.Confidence = High
			}
		} else {
			d.f.Explains, d.f.Confidence = 0, Low
		}
	}
	if best != nil {
		fmt.Fprintf(&b, "; the rewrite %s runs at %s %s", bestName, fmtRatio(a.ratio(bestName, p.fast, a.base)), p.fast)
	}
	d.f.Summary = b.String()
	d.seconds = d.f.Explains * gap
	if d.f.Config == a.base && mechCause != "" {
		// The rewrite also removes the mechanism's time; order the finding
		// by what it accounts for beyond the mechanism.
		d.seconds = math.Max(0, d.seconds-mechSeconds)
	}

	if len(fixes) == 0 && cs != nil {
		if st, ok := Rewrite(cs.Statement, a.r.Setup); ok {
			why := "write the result into a buffer that is already allocated (out=), so fewer buffers are alive " + a.per()
			if elided {
				why = "write the result into " + tmp.name + " itself (out=" + tmp.name + "), so one buffer is alive " + a.per() + " instead of two"
			}
			d.proposals = a.uncovered([]Proposal{{Kind: KindCode, Cause: ExtraBuffer, Candidate: p.slow, Statement: st, Why: why}})
			for _, pr := range d.proposals {
				fixes = append(fixes, a.unverifiedFix(pr))
			}
		}
	}
	if len(fixes) == 0 {
		fixes = append(fixes, result.Fix{Kind: result.FixCode,
			Change: "allocate the result once and write into it (an out= argument, an in-place operator, a reused buffer), as " + p.fast + " allocates less"})
	}
	d.f.Fixes = fixes
	return d
}

// slowerUnder reports whether the pair's slow side is still significantly
// slower under the removing configuration.
func (a *analysis) slowerUnder(p *pair, rm *removal) bool {
	if c := a.s.Comparison(rm.cfg.Name, a.mode, p.slow); c != nil && c.Baseline == p.fast {
		return c.Significant && c.Ratio > 1
	}
	xs, ys := rm.s.TimedSeconds(), rm.f.TimedSeconds()
	if len(xs) >= 3 && len(ys) >= 3 {
		return stats.Differ(xs, ys)
	}
	return rm.s.Time.Low > rm.f.Time.High
}

// nativeLarge reads the native pass's allocations of 256 KiB or more as
// the allocation pass's figures; nil without the pass. The peak is the
// most memory the program held allocated at once.
func nativeLarge(n *result.NativeAllocations) *result.Allocations {
	if n == nil {
		return nil
	}
	al := &result.Allocations{PeakBytes: n.PeakLiveBytes, Iterations: n.Iterations}
	for _, l := range n.Large {
		if l.Bytes < 256*kib {
			continue
		}
		al.Count += l.Per
		al.Bytes += float64(l.Bytes) * l.Per
		al.Large = append(al.Large, result.SizeCount{Call: l.Function, Bytes: l.Bytes, Per: l.Per})
	}
	return al
}

// callers names where the large allocations come from: "make_buffers in
// x (2 x 8.0 MiB)", the largest first; "" when the pass did not run or
// saw no caller.
func callers(n *result.NativeAllocations) string {
	if n == nil {
		return ""
	}
	var parts []string
	for _, l := range n.Large {
		if l.Bytes < 256*kib || len(parts) == 2 {
			continue
		}
		who := site(result.NativeSite{Caller: l.Caller, Object: l.Object, Stripped: l.Stripped})
		parts = append(parts, fmt.Sprintf("%s (%s x %s, %s)", who, fmtCount(l.Per), fmtBytes(float64(l.Bytes)), l.Function))
	}
	return strings.Join(parts, " and ")
}

// statementSites names where in a Python statement the large allocations
// are made: "7.6 MiB at a.astype(np.float64) and 7.6 MiB at t / 255.0";
// "" without the allocation pass's sites.
func statementSites(r *result.Run) string {
	if r == nil || r.PerIteration.Allocations == nil {
		return ""
	}
	var parts []string
	for _, st := range r.PerIteration.Allocations.Sites {
		if len(parts) == 3 {
			break
		}
		n := ""
		if st.Per >= 1.5 {
			n = fmtCount(st.Per) + " x "
		}
		parts = append(parts, fmt.Sprintf("%s%s at `%s`", n, fmtBytes(float64(st.Bytes)), st.Where))
	}
	return strings.Join(parts, " and ")
}
