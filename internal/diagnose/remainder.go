package diagnose

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/units"
)

// What remains after the fix: a verified fix that leaves the slow side
// clearly slower has not explained the whole gap. The fix's runs are
// diagnosed again against the fast side (with their own trace where the
// fix's configuration was traced), and what is left is named, or said to
// be unexplained, with its numbers.

// remainderMin is the slow/fast ratio under a fix from which what is left
// is reported.
const remainderMin = 1.25

// workCauses cost work beyond their faults, which a fix of the faults
// leaves in place.
var workCauses = []string{ReallocCopy, ExtraBuffer, SyscallCost}

// remainders sets Remains on the verified fixes of ds that leave their
// pair's slow side at least remainderMin times slower.
func (a *analysis) remainders(ds []*draft) {
	for _, d := range ds {
		if d.group != 0 || d.p == nil {
			continue
		}
		for i := range d.f.Fixes {
			fx := &d.f.Fixes[i]
			if !fx.Verified || fx.Kind == result.FixMethod {
				continue
			}
			fx.Remains = a.remainder(d, *fx, ds)
		}
	}
}

func (a *analysis) remainder(d *draft, fx result.Fix, ds []*draft) *result.Remainder {
	p := d.p
	s, f, cfg := a.run(p.slow, fx.Config), a.run(p.fast, fx.Config), fx.Config
	if fx.Kind == result.FixCode {
		s, f, cfg = a.run(fx.Config, a.base), p.f, a.base
	}
	if s == nil || f == nil || f.Time.Median <= 0 {
		return nil
	}
	ratio := s.Time.Median / f.Time.Median
	if ratio < remainderMin || !(a.residual(p, fx) >= 0.1) {
		return nil
	}
	rem := &result.Remainder{Ratio: round3(ratio), ExtraFaults: math.Round(faults(s) - faults(f))}
	// The fix's runs diagnosed against the fast side.
	if s.PerIteration.Syscalls != nil && f.PerIteration.Syscalls != nil && rem.ExtraFaults >= minFaultDiff {
		sub := *a
		sub.base = cfg
		q := &pair{slow: p.slow, fast: p.fast, gap: s.Time.Median - f.Time.Median}
		q.s, q.loops[0] = sub.withRepeating(s)
		q.f, q.loops[1] = sub.withRepeating(f)
		for _, det := range sub.mechanisms() {
			if x := det(q); x != nil && !slices.Contains(rem.Causes, x.f.Cause) {
				rem.Causes = append(rem.Causes, x.f.Cause)
			}
		}
	}
	// The pair's findings that the fix does not remove: those it does
	// not verify, and those whose cost is work as well as faults (the
	// copies of a growth, an extra buffer's filling, the calls), which
	// a fix of the faults leaves.
	for _, o := range ds {
		if o.p != p || o.group != 0 || o.f.Cause == PageFaults || slices.Contains(rem.Causes, o.f.Cause) {
			continue
		}
		work := slices.Contains(workCauses, o.f.Cause)
		if o == d && !work || o.f.Cause == d.f.Cause && o != d {
			continue
		}
		if !work && slices.ContainsFunc(o.f.Fixes, func(x result.Fix) bool { return x.Verified && x.Config == fx.Config }) {
			continue
		}
		if o.f.Explains >= 0.05 || work {
			rem.Causes = append(rem.Causes, o.f.Cause)
		}
	}
	with := "with " + fx.Config
	if fx.Kind == result.FixCode {
		with = "rewritten (" + fx.Config + ")"
	}
	left := fmt.Sprintf("%s, %s is still %s slower than %s (%s against %s %s)", with, p.slow, units.Ratio(ratio), p.fast,
		units.Seconds(s.Time.Median), units.Seconds(f.Time.Median), a.per())
	switch {
	case len(rem.Causes) > 0:
		var names []string
		for _, c := range rem.Causes {
			if c == d.f.Cause {
				c += " itself (its work, without the faults the fix removed)"
			}
			names = append(names, c)
		}
		rem.Summary = left + "; what remains: " + strings.Join(names, ", ")
	case rem.ExtraFaults >= minFaultDiff && faultShare(s.Time.Median-f.Time.Median, rem.ExtraFaults, a.cost) >= 0.25:
		rem.Summary = fmt.Sprintf("%s; it still takes %s more minor faults %s, which no known mechanism explains", left, fmtCount(rem.ExtraFaults), a.per())
	default:
		rem.Summary = fmt.Sprintf("%s; what remains is not in page faults (%s against %s %s): more work in the code itself, unexplained by memory management",
			left, fmtCount(faults(s)), fmtCount(faults(f)), a.per())
	}
	return rem
}
