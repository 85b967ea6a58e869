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
	buf := a.newBuffer(p, mech)
	var b strings.Builder
	b.WriteString(a.bufferWords(p, buf, as, af))
	fixes, best := a.measuredRewrites(p, d, buf, &b)
	gap := a.bufferShare(p, d, buf, best, &b)
	if best.run != nil {
		fmt.Fprintf(&b, "; the rewrite %s runs at %s %s", best.name, fmtRatio(a.ratio(best.name, p.fast, a.base)), p.fast)
	}
	d.f.Summary = b.String()
	d.seconds = d.f.Explains * gap
	if d.f.Config == a.base && buf.mechCause != "" {
		// The rewrite also removes the mechanism's time; order the finding
		// by what it accounts for beyond the mechanism.
		d.seconds = math.Max(0, d.seconds-buf.mechSeconds)
	}
	d.f.Fixes = a.bufferFixes(p, d, buf, fixes)
	return d
}

// buffer is what extraBuffer knows of the slow side's extra buffer: the
// NumPy temporary a name keeps alive (elided: the fast side's is reused in
// place), and the fault mechanism that cycles the extra memory, if any,
// with the time the mechanisms account for.
type buffer struct {
	tmp         temporary
	elided      bool
	mechCause   string
	mechSeconds float64
}

func (a *analysis) newBuffer(p *pair, mech []*draft) buffer {
	var buf buffer
	cs, cf := a.r.Candidate(p.slow), a.r.Candidate(p.fast)
	_, hasNumPy := numpyAlias(a.r.Setup)
	if cs != nil && cf != nil && (hasNumPy || a.r.Host.NumPy != "") {
		buf.tmp, buf.elided = elides(cs.Statement, cf.Statement)
	}
	for _, m := range mech {
		if m.faultBytes > 0 && m.f.Cause != LazyZeroing && m.f.Cause != HugePages && buf.mechCause == "" {
			buf.mechCause = m.f.Cause
		}
		buf.mechSeconds += m.seconds
	}
	return buf
}

// bufferWords says what the slow side allocates against the fast side,
// why (NumPy's temporary elision, where it applies), where, and which
// mechanism cycles the extra memory.
func (a *analysis) bufferWords(p *pair, buf buffer, as, af *result.Allocations) string {
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
	if buf.elided {
		fmt.Fprintf(&b, "%s allocates %s %s, %s %s: NumPy writes the result of %s %s into %s's unnamed temporary in place (temporary elision), but the name %s keeps %s's temporary alive, so it needs a second buffer",
			p.slow, what, a.per(), p.fast, whatFast, string(buf.tmp.op), buf.tmp.operand, p.fast, buf.tmp.name, p.slow)
	} else {
		fmt.Fprintf(&b, "%s allocates %s %s, %s %s (peak %s against %s)",
			p.slow, what, a.per(), p.fast, whatFast, fmtBytes(as.PeakBytes), fmtBytes(af.PeakBytes))
	}
	if where := callers(native(p.s)); where != "" {
		fmt.Fprintf(&b, "; %s allocates them in %s", p.slow, where)
	} else if where := statementSites(p.s); where != "" {
		fmt.Fprintf(&b, "; %s allocates them at %s", p.slow, where)
	}
	if buf.mechCause != "" {
		fmt.Fprintf(&b, "; that extra memory is what %s cycles through the kernel", buf.mechCause)
	}
	return b.String()
}

// rewrite is the fastest measured rewrite of the slow candidate.
type rewrite struct {
	run  *result.Run
	name string
}

// measuredRewrites are the verified code fixes among the slow
// candidate's measured rewrites, with their evidence in d, and the
// fastest of them; a rewrite that is not faster is said in b.
func (a *analysis) measuredRewrites(p *pair, d *draft, buf buffer, b *strings.Builder) ([]result.Fix, rewrite) {
	var fixes []result.Fix
	var best rewrite
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
			fmt.Fprintf(b, "; the rewrite %s was measured and is not faster", c.Name)
			continue
		}
		fixes = append(fixes, result.Fix{Kind: result.FixCode, Change: a.bufferChange(buf, "write the result into a buffer that is already allocated, so fewer buffers are alive "),
			Code: c.Statement, Verified: true, Config: c.Name, Ratio: round3(a.ratio(c.Name, p.fast, a.base)), Speedup: round3(speedup)})
		if best.run == nil || x.Time.Median < best.run.Time.Median {
			best = rewrite{x, c.Name}
		}
	}
	return fixes, best
}

// bufferChange is the change a rewrite makes: into the named temporary
// itself where NumPy's elision is what the fast side has, else generic
// (ending in "per iteration").
func (a *analysis) bufferChange(buf buffer, generic string) string {
	if buf.elided {
		return "write the result into " + buf.tmp.name + " itself (out=" + buf.tmp.name + "), so one buffer is alive " + a.per() + " instead of two"
	}
	return generic + a.per()
}

// bufferShare sets d's share of the gap, its confidence and, where the
// buffer's own cost is judged under a configuration without the faults,
// that configuration; it returns the gap the share is of. Without the
// faults the buffer is judged where the mechanism is removed (the rewrite
// measured there, or estimated from its baseline ratio); else from the
// rewrite under the baseline; else it explains nothing measured.
func (a *analysis) bufferShare(p *pair, d *draft, buf buffer, best rewrite, b *strings.Builder) float64 {
	if buf.mechCause != "" {
		if rm := a.removingConfig(p, false); rm != nil && rm.gapWith > 0 && a.slowerUnder(p, rm) {
			sM, fM := rm.s.Time.Median, rm.f.Time.Median
			var xM float64
			conf := ""
			if best.run != nil {
				if x := a.run(best.name, rm.cfg.Name); x != nil {
					xM, conf = x.Time.Median, High
				} else if faults(best.run) <= faults(p.f)+faultGapLeft*(faults(p.s)-faults(p.f)) && p.f.Time.Median > 0 {
					xM, conf = fM*best.run.Time.Median/p.f.Time.Median, Medium
					d.f.Evidence = append(d.f.Evidence, ev("estimated time "+a.per()+" (fast x "+best.name+"/"+p.fast+" without faults)",
						best.name, rm.cfg.Name, xM, "s", result.PassTiming))
				}
			}
			if conf != "" {
				gap := sM - fM
				d.f.Config = rm.cfg.Name
				d.f.Explains = matrixShare(gap, xM-fM)
				d.f.Confidence = conf
				if conf == High && d.f.Explains < 0.5 {
					d.f.Confidence = Medium
				}
				d.f.Evidence = append(d.f.Evidence,
					ev("time gap "+p.slow+" - "+p.fast+" without the faults", p.slow, rm.cfg.Name, gap, "s", result.PassTiming),
					ev(p.slow+"/"+p.fast+" without the faults", p.slow, rm.cfg.Name, round3(a.ratio(p.slow, p.fast, rm.cfg.Name)), "x", result.PassTiming))
				fmt.Fprintf(b, "; without the faults (%s) %s is still %s slower", rm.cfg.Name, p.slow, fmtRatio(sM/fM))
				return gap
			}
		}
	}
	if best.run != nil {
		d.f.Explains = matrixShare(p.gap, best.run.Time.Median-p.f.Time.Median)
		d.f.Confidence = Medium
		if d.f.Explains >= 0.5 {
			d.f.Confidence = High
		}
	} else {
		d.f.Explains, d.f.Confidence = 0, Low
	}
	return p.gap
}

// bufferFixes are the measured rewrites, else a rewrite proposed for
// verification (Rewrite), else the change in words.
func (a *analysis) bufferFixes(p *pair, d *draft, buf buffer, fixes []result.Fix) []result.Fix {
	if cs := a.r.Candidate(p.slow); len(fixes) == 0 && cs != nil {
		if st, ok := Rewrite(cs.Statement, a.r.Setup); ok {
			why := a.bufferChange(buf, "write the result into a buffer that is already allocated (out=), so fewer buffers are alive ")
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
	return fixes
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
// x (2 x 8.0 MiB)" ("make_buffers in x at x.c:40 (...)" with debug
// information), the largest first; "" when the pass did not run or
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
		parts = append(parts, fmt.Sprintf("%s (%s x %s, %s)", site(l), fmtCount(l.Per), fmtBytes(float64(l.Bytes)), l.Function))
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
