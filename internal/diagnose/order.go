package diagnose

import (
	"fmt"
	"math"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/summary"
	"github.com/faultline/faultline/internal/units"
)

const (
	// orderMinEffect is the smallest relative difference between a
	// candidate's interleaved and isolated medians reported as an order
	// effect: with many samples Mann-Whitney flags differences too small to
	// matter (process-to-process placement alone moves medians a few %).
	orderMinEffect = 0.10
	// carryMinEffect is the same for samples right after another
	// candidate against the candidate's other samples in one process.
	carryMinEffect = 0.05
	minSamples     = 3
	// orderFaultShare is how far apart, as a share of the larger count,
	// the interleaved and isolated faults must be for an order effect to
	// be more than low confidence.
	orderFaultShare = 0.5
	// carryFaultShare is the same for samples right after a switch, whose
	// refaults are a part of one buffer.
	carryFaultShare = 0.2
	// orderFaultTime is the least share of an order effect's time shift
	// its fault shift must account for at the calibrated fault cost. The
	// rest of a shift that large may be the host getting busier between
	// the passes; below a third, the faults are a detail of it (the seed's
	// A: 3.8 faults against none, 7 of 49 µs).
	orderFaultTime = 0.3
)

// orderEffects tests every user candidate for an order effect:
//
//  1. interleaved against isolated: the candidate's timed samples in the
//     shared process against those in a fresh process of its own, by
//     Mann-Whitney U (p < stats.Alpha) and a median difference of at
//     least orderMinEffect;
//  2. carry-over: within the interleaved process, its samples right after
//     another candidate against its other samples (p < stats.Alpha, at
//     least carryMinEffect).
//
// Explains is the part of a significant gap the effect accounts for: how
// much the interleaved process inflates the slow candidate or flatters the
// fast one compared with running alone (test 1 only).
func (a *analysis) orderEffects(_ []*draft) []*draft {
	if a.r.Kind == result.KindRun {
		return nil // every run is its own process
	}
	pairs := a.pairs()
	var out []*draft
	for _, c := range a.r.UserCandidates() {
		inter := a.runMode(c.Name, a.base, result.ModeInterleaved)
		if inter == nil {
			continue
		}
		d := &draft{f: result.Finding{Cause: OrderEffect, Candidate: c.Name, Config: a.base}, signature: true}
		iso := a.runMode(c.Name, a.base, result.ModeIsolated)
		isoEffect, isoP := false, 1.0
		if iso != nil {
			mi, mo := inter.Time.Median, iso.Time.Median
			rel := math.Abs(mi-mo) / math.Min(mi, mo)
			xi, xo := inter.TimedSeconds(), iso.TimedSeconds()
			if len(xi) >= minSamples && len(xo) >= minSamples {
				isoP = stats.MannWhitneyP(xi, xo)
				isoEffect = isoP < stats.Alpha && rel >= orderMinEffect
			} else {
				isoEffect = rel >= orderMinEffect && (inter.Time.Low > iso.Time.High || iso.Time.Low > inter.Time.High)
			}
			if isoEffect && placementVaries(iso, faults(inter)) {
				// The candidate's own fresh processes disagree as much as
				// interleaved and alone do: where a process's memory lands
				// moves its faults, and the order may have nothing to do
				// with it.
				isoEffect = false
			}
		}
		split, carry := a.carryOver(inter)
		prev, carryP := split.After, split.P
		if !isoEffect && !carry {
			continue
		}
		var summary string
		if isoEffect {
			fi, fo := faults(inter), faults(iso)
			d.f.Evidence = append(d.f.Evidence,
				ev("median time "+a.per()+", interleaved with the other candidates", c.Name, a.base, inter.Time.Median, "s", result.PassTiming),
				ev("median time "+a.per()+", alone in a fresh process", c.Name, a.base, iso.Time.Median, "s", result.PassTiming),
				ev("minor page faults "+a.per()+", interleaved", c.Name, a.base, fi, "faults", result.PassTiming),
				ev("minor page faults "+a.per()+", alone", c.Name, a.base, fo, "faults", result.PassTiming))
			if isoP < 1 {
				d.f.Evidence = append(d.f.Evidence, ev("Mann-Whitney U p-value, interleaved against alone", c.Name, a.base, isoP, "p", result.PassTiming))
			}
			summary = fmt.Sprintf("%s takes %s %s interleaved with the other candidates but %s alone in a fresh process (%s against %s minor faults %s): what runs before it in the same process changes its result",
				c.Name, units.Seconds(inter.Time.Median), a.per(), units.Seconds(iso.Time.Median), fmtCount(fi), fmtCount(fo), a.per())
			for _, p := range pairs {
				if p.slow != c.Name && p.fast != c.Name {
					continue
				}
				other := p.fast
				if p.fast == c.Name {
					other = p.slow
				}
				if oi := a.runMode(other, a.base, result.ModeIsolated); oi != nil {
					alone := map[bool]string{true: "slower", false: "faster"}
					nowSlower := p.slow == c.Name
					if (iso.Time.Median > oi.Time.Median) != nowSlower {
						summary += fmt.Sprintf("; alone, %s is %s than %s", c.Name, alone[!nowSlower], other)
					}
				}
				// How much of the gap the shared process accounts for.
				delta := inter.Time.Median - iso.Time.Median
				if p.fast == c.Name {
					delta = -delta
				}
				if delta > 0 {
					d.f.Explains = math.Max(d.f.Explains, clamp01(delta/p.gap))
					d.seconds = math.Max(d.seconds, math.Min(delta, p.gap))
				}
			}
			// The faults must differ by at least half the larger count: a
			// shared process that changes the mechanism (a trim that no
			// longer happens) moves them that far, while where a fresh
			// process's heap lands only moves the share of huge pages
			// (the seed's B: 806 or 1,320 per call, process to process,
			// once four fresh processes in a row in the 1,320 mode).
			faultsToo := a.faultsFollow(fi, fo, inter.Time.Median, iso.Time.Median, orderFaultShare)
			// A time shift without a fault shift cannot be told from the
			// host getting busier between the interleaved and the isolated
			// pass (both passes run minutes apart on a shared machine);
			// only memory state that moves the faults is this tool's
			// evidence of an order effect.
			d.f.Confidence = Low
			if faultsToo {
				d.f.Confidence = Medium
				if isoP < stats.Alpha/10 {
					d.f.Confidence = High
				}
			}
			d.f.Fixes = append(d.f.Fixes, result.Fix{Kind: result.FixMethod,
				Change: "judge " + c.Name + " by the mode that matches the real program: alone in a fresh process (the isolated result) if it runs alone, interleaved if it runs after the other code"})
		}
		if carry {
			mAfter, mOther := split.Median, split.OthersMedian
			fAfter, fOther := split.MinorFaults, split.OthersMinorFaults
			d.f.Evidence = append(d.f.Evidence,
				ev("median time "+a.per()+" in samples right after "+prev, c.Name, a.base, mAfter, "s", result.PassTiming),
				ev("median time "+a.per()+" in its other samples", c.Name, a.base, mOther, "s", result.PassTiming),
				ev("minor page faults "+a.per()+" right after "+prev, c.Name, a.base, fAfter, "faults", result.PassTiming),
				ev("minor page faults "+a.per()+" in its other samples", c.Name, a.base, fOther, "faults", result.PassTiming),
				ev("Mann-Whitney U p-value, after "+prev+" against the others", c.Name, a.base, carryP, "p", result.PassTiming))
			dir := "slower"
			if mAfter < mOther {
				dir = "faster"
			}
			s := fmt.Sprintf("%s's samples right after %s are %s %s than its others (%s against %s %s, %s against %s minor faults): what %s leaves behind in the process changes %s's time",
				c.Name, prev, fmtPct(math.Abs(mAfter-mOther)/mOther), dir, units.Seconds(mAfter), units.Seconds(mOther), a.per(), fmtCount(fAfter), fmtCount(fOther), prev, c.Name)
			if summary == "" {
				summary = s
				d.f.Confidence = Low
				if carryP < stats.Alpha/10 && a.faultsFollow(fAfter, fOther, mAfter, mOther, carryFaultShare) {
					d.f.Confidence = Medium
				}
			} else {
				summary += fmt.Sprintf("; its samples right after %s are %s %s than its others", prev, fmtPct(math.Abs(mAfter-mOther)/mOther), dir)
			}
			d.f.Fixes = append(d.f.Fixes, result.Fix{Kind: result.FixMethod,
				Change: "warm " + c.Name + " up again after every switch (or time it alone): the first iterations after " + prev + " pay for what " + prev + " left behind"})
		}
		d.f.Summary = summary
		out = append(out, d)
	}
	return out
}

// faultsFollow says whether fault counts x and y differ by at least
// minFaultDiff and share of the larger, in the direction of the times tx
// and ty, and by enough to matter: at this host's fault cost the extra
// faults make at least orderFaultTime of the time difference. Then the
// faults account for which of the two is slower; a few faults against a
// large shift are noise beside a host that got busier.
func (a *analysis) faultsFollow(x, y, tx, ty, share float64) bool {
	d := math.Abs(x - y)
	return d >= math.Max(minFaultDiff, share*math.Max(x, y)) && (x > y) == (tx > ty) &&
		d*a.cost >= orderFaultTime*math.Abs(tx-ty)
}

// placementVaries says whether a candidate's isolated processes differ in
// faults per iteration (result.Run.ProcessFaultsDiffer) and the
// interleaved figure lies within their spread (10% slack): then fresh
// processes alone vary as much as interleaved against isolated.
func placementVaries(iso *result.Run, interleaved float64) bool {
	lo, hi, differ := iso.ProcessFaultsDiffer()
	return differ && interleaved >= 0.9*lo-minFaultDiff && interleaved <= 1.1*hi+minFaultDiff
}

// carryOver picks, among the run's carry-over splits (summary.Of), the
// candidate whose samples run right after it in the shared process differ
// most from the run's other samples, if the difference is significant and
// at least carryMinEffect.
func (a *analysis) carryOver(inter *result.Run) (result.AfterSplit, bool) {
	var pick result.AfterSplit
	best := 0.0
	for _, sp := range a.s.CarryOver[summary.Key(inter.Candidate, inter.Config)] {
		if sp.After == "" || sp.N < minSamples || sp.OthersN < minSamples || sp.OthersMedian <= 0 {
			continue
		}
		rel := math.Abs(sp.Median-sp.OthersMedian) / sp.OthersMedian
		if sp.P < stats.Alpha && rel >= carryMinEffect && rel > best {
			best, pick = rel, sp
		}
	}
	return pick, best > 0
}
