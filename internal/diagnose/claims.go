package diagnose

import (
	"fmt"
	"math"
	"strings"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/units"
)

// Claims that add up: every fault-based finding says how many of the
// pair's extra faults it accounts for (result.Claim), never more than its
// mechanism's bytes can produce, and the faults no finding accounts for
// are reported as such, with their numbers, rather than handed to the
// nearest mechanism.

// unclaimedMin is the smallest share of a pair's fault difference left
// unclaimed that is reported on its own.
const unclaimedMin = 0.2

// bound is the most faults per iteration d's mechanism can produce.
func (d *draft) bound(page float64) float64 {
	if d.maxFaults > 0 {
		return d.maxFaults
	}
	return d.faultBytes / page
}

// lower is one confidence level less.
func lower(c string) string {
	switch c {
	case High:
		return Medium
	}
	return Low
}

// unclaimed reports the faults of p that its fault-based findings do not
// account for, when they are a material part of the difference and of
// the gap: a low-confidence page-faults finding that names what was
// found and what is left.
func (a *analysis) unclaimed(p *pair, ds []*draft) *draft {
	dF := faults(p.s) - faults(p.f)
	if dF < minFaultDiff {
		return nil
	}
	claimed := 0.0
	var names []string
	for _, d := range ds {
		if d.f.Claim == nil || d.p != p {
			continue
		}
		if d.f.Cause == PageFaults {
			return nil
		}
		claimed += d.f.Claim.Faults
		names = append(names, fmt.Sprintf("%s (at most %s)", d.f.Cause, fmtCount(d.f.Claim.MaxFaults)))
	}
	left := dF - claimed
	if len(names) == 0 || left < math.Max(minFaultDiff, unclaimedMin*dF) || faultShare(p.gap, left, a.cost) < 0.1 {
		return nil
	}
	d := a.newDraft(p, PageFaults)
	d.signature = false
	e := explain(explainInput{Gap: p.gap, Faults: left, Cost: a.cost, Calibrated: a.calibrated, Weight: 1})
	d.f.Explains, d.f.Confidence = e.Explains, Low
	d.seconds = e.Explains * p.gap
	d.f.Claim = &result.Claim{Faults: math.Round(left), MaxFaults: math.Round(left), Of: math.Round(dF)}
	d.f.Evidence = append(a.faultEvidence(p),
		ev("extra minor faults "+a.per()+" the findings above account for", p.slow, a.base, math.Round(claimed), "faults", result.PassTrace),
		ev("extra minor faults "+a.per()+" left unexplained", p.slow, a.base, math.Round(left), "faults", result.PassTiming),
		ev("time in the unexplained faults", p.slow, a.base, left*a.cost, "s", result.PassTiming))
	d.f.Summary = fmt.Sprintf("%s of the %s extra minor faults %s of %s are unexplained: %s can produce only the rest. They cost about %s at %s each; no memory syscall the trace saw makes them (first touches of memory mapped earlier, a file read through a mapping, or a mechanism faultline does not know)",
		fmtCount(left), fmtCount(dF), a.per(), p.slow, strings.Join(names, ", "), units.Seconds(left*a.cost), units.Seconds(a.cost))
	return d
}
