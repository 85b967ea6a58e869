package diagnose

import (
	"math"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

// A candidate can fault alone and not interleaved: in the shared process
// another candidate's objects keep its memory mapped (CPython arenas that
// never empty), so its mechanism shows only in its isolated runs. Where
// the trace pass ran it alone (measure.TraceAlone), the candidate's
// isolated runs against the fastest other candidate's are a pair of their
// own, diagnosed like the interleaved ones; the findings say "alone" and
// are medium at most, since the experiments ran interleaved.

// alonePairs returns, for each candidate traced alone that is
// significantly slower alone than the fastest other candidate alone, that
// pair.
func (a *analysis) alonePairs() []*pair {
	var out []*pair
	for _, c := range a.r.UserCandidates() {
		s := a.runMode(c.Name, a.base, result.ModeIsolated)
		if s == nil || s.PerIteration.Syscalls == nil {
			continue
		}
		var f *result.Run
		var fast string
		for _, o := range a.r.UserCandidates() {
			r := a.runMode(o.Name, a.base, result.ModeIsolated)
			if o.Name == c.Name || r == nil || f != nil && r.Time.Median >= f.Time.Median {
				continue
			}
			f, fast = r, o.Name
		}
		if f == nil || s.Time.Median <= f.Time.Median || !significant(s, f) {
			continue
		}
		if f.PerIteration.Syscalls == nil {
			// Not traced alone: it did not fault alone more than
			// interleaved, where its syscalls are known.
			if inter := a.runMode(fast, a.base, result.ModeInterleaved); inter != nil {
				cp := *f
				cp.PerIteration.Syscalls = inter.PerIteration.Syscalls
				f = &cp
			}
		}
		out = append(out, &pair{slow: c.Name, fast: fast, s: s, f: f, gap: s.Time.Median - f.Time.Median, alone: true})
	}
	return out
}

func significant(x, y *result.Run) bool {
	xs, ys := x.TimedSeconds(), y.TimedSeconds()
	if len(xs) >= 3 && len(ys) >= 3 {
		return stats.Differ(xs, ys)
	}
	return x.Time.Low > y.Time.High
}

// aloneCauses diagnoses the alone pairs: their fault findings, said to be
// alone, medium at most.
func (a *analysis) aloneCauses() []*draft {
	var out []*draft
	for _, p := range a.alonePairs() {
		for _, d := range a.causes(p) {
			if d.f.Cause == ExtraBuffer || d.f.Cause == PageFaults && d.f.Confidence == Low {
				continue
			}
			d.f.Summary = "alone in a fresh process: " + d.f.Summary + "; interleaved with the other candidates it does not fault like this"
			if confidenceRank(d.f.Confidence) < confidenceRank(Medium) {
				d.f.Confidence = Medium
			}
			d.f.Evidence = append(d.f.Evidence,
				ev("median time "+a.per()+", alone", p.slow, a.base, p.s.Time.Median, "s", result.PassTiming),
				ev("median time "+a.per()+", alone", p.fast, a.base, p.f.Time.Median, "s", result.PassTiming))
			out = append(out, d)
		}
	}
	return out
}

// demoteOrder lowers an order effect about a candidate whose alone
// mechanism was found: the mechanism is the answer, the order effect its
// symptom.
func demoteOrder(ds []*draft, alone []*draft) {
	for _, d := range ds {
		if d.f.Cause != OrderEffect {
			continue
		}
		for _, m := range alone {
			if m.f.Candidate == d.f.Candidate {
				d.f.Confidence = Low
				d.f.Summary += " (alone it shows " + m.f.Cause + ")"
				d.seconds = math.Min(d.seconds, m.seconds/2)
				break
			}
		}
	}
}

// minorOrder lowers an order effect that accounts for little of a gap a
// cause explains: it is real, but the answer is the cause (corpus 19:
// where A's unmapped block leaves B's mapping changes B's huge pages, 10%
// of a gap lazy zeroing explains).
func minorOrder(ds []*draft) {
	for _, d := range ds {
		if d.f.Cause != OrderEffect || d.f.Explains >= 0.25 {
			continue
		}
		for _, c := range ds {
			if c.f.Cause == OrderEffect || c.f.Cause == ConfigRegression || c.p == nil {
				continue
			}
			about := c.p.slow == d.f.Candidate || c.p.fast == d.f.Candidate
			if about && c.f.Confidence == High && c.f.Explains >= 0.5 {
				d.f.Confidence = Low
				break
			}
		}
	}
}
