package pipeline

import (
	"context"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/faultline/faultline/internal/cliff"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/sweep"
)

// Refinement bisects each cliff's interval with points of its own until
// the boundary is known within --refine of its value. A refinement point
// only has to say on which side of the jump it lies, so it runs the timing
// and the trace pass alone: no isolated runs, allocation pass or
// experiments. The experiments that verify a cliff are those of the
// sweep's own points either side.

// maxRefineSteps bounds one interval's bisection: 2^-12 of an interval
// is finer than any timing can place a boundary.
const maxRefineSteps = 12

// minRefineShare is the least budget a refinement point runs with when
// the request sets no --sample-time: a probe's start, half a second of
// timing and the trace pass that says which mechanism a side shows.
const minRefineShare = time.Second

// refineReserve is how many refinement points the sweep's own points
// leave budget for: one cliff's bisection in the widest gap between
// neighbouring values.
func refineReserve(sr *SweepRequest) int {
	if sr.Refine <= 0 || sr.Build == nil {
		return 0
	}
	worst := 0
	for _, p := range sr.Sweep.Params {
		for i := 1; i < len(p.Values); i++ {
			a, b := p.Values[i-1], p.Values[i]
			if a.Numeric && b.Numeric {
				worst = max(worst, refineSteps(min(a.Number, b.Number), max(a.Number, b.Number), sr.Refine))
			}
		}
	}
	return worst
}

// refineSteps is how many bisections bring [lo, hi] within prec of lo.
func refineSteps(lo, hi, prec float64) int {
	ref := math.Abs(lo)
	if ref == 0 {
		ref = math.Abs(hi)
	}
	n := 0
	for w := hi - lo; w > prec*ref && n < maxRefineSteps; w /= 2 {
		n++
	}
	return n
}

// refine runs refinement points until every cliff is within sr.Refine, a
// midpoint would repeat a measured value, or the budget is spent. Its
// errors are not the sweep's: a refinement point that fails still says
// where the boundary is not.
func refine(ctx context.Context, sr *SweepRequest, doc *result.Sweep, start time.Time) {
	pts := append([]sweep.Point(nil), sr.Points...) // pts[i] is doc.Points[i]
	seed := doc.Cliffs
	floor := max(sr.Requests[0].Settings.SampleTime, minRefineShare)
	for ctx.Err() == nil {
		todo := wide(doc.Cliffs, sr.Refine)
		remaining := 0
		for _, c := range todo {
			remaining += refineSteps(c.Below, c.Above, sr.Refine)
		}
		ran := false
		for _, c := range todo {
			share := (sr.Budget - time.Since(start)) / time.Duration(max(remaining, 1))
			pt, ok := midpoint(doc, pts, c)
			if !ok || share < floor || ctx.Err() != nil {
				continue
			}
			req, err := sr.Build(pt)
			if err != nil {
				return
			}
			cheap(req)
			res, _ := runPoint(ctx, sr, req, pt, "refine", share, true)
			sp := sweepPoint(pt)
			sp.Refine, sp.BudgetSeconds, sp.Result = true, share.Seconds(), res
			doc.Points, pts = append(doc.Points, sp), append(pts, pt)
			remaining--
			ran = true
		}
		doc.Cliffs = withSeed(cliff.Find(doc), seed)
		if !ran {
			return
		}
	}
}

// cheap strips a refinement point's request to the timing and the trace
// under the baseline configuration.
func cheap(req *Request) {
	s := &req.Settings
	s.NoExperiments, s.NoIsolated, s.NoAlloc = true, true, true
	s.Configs, s.UserConfigs = "", nil
}

// wide lists the cliffs whose interval is wider than prec, one per
// interval (several candidates may jump at the same values).
func wide(cs []result.Cliff, prec float64) []result.Cliff {
	var out []result.Cliff
	seen := map[string]bool{}
	for _, c := range cs {
		key := c.Parameter + "\x00" + othersKey(c.Others) + "\x00" + strconv.FormatFloat(c.Below, 'g', -1, 64)
		if seen[key] || refineSteps(c.Below, c.Above, prec) == 0 {
			continue
		}
		seen[key] = true
		out = append(out, c)
	}
	return out
}

func othersKey(m map[string]string) string {
	s := ""
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s += k + "=" + m[k] + ";"
	}
	return s
}

// midpoint is the point halfway (geometrically, when both ends are
// positive, since precision is relative) between the cliff's ends, the
// other parameters held; integral when both ends are. ok is false when
// the ends are adjacent integers, the midpoint was measured, or the
// cliff's point is not found.
func midpoint(doc *result.Sweep, pts []sweep.Point, c result.Cliff) (sweep.Point, bool) {
	m := (c.Below + c.Above) / 2
	if c.Below > 0 {
		m = math.Sqrt(c.Below * c.Above)
	}
	if c.Below == math.Trunc(c.Below) && c.Above == math.Trunc(c.Above) {
		m = math.Round(m)
	}
	if m <= c.Below || m >= c.Above {
		return nil, false
	}
	base := -1
	for i, sp := range doc.Points {
		v, err := strconv.ParseFloat(sp.Values[c.Parameter], 64)
		switch {
		case err != nil || !holds(sp.Values, c):
		case v == m:
			// Measured already: a cliff kept as first found, since its
			// midpoint split the jump into steps that are no cliffs.
			return nil, false
		case v == c.Below && base < 0:
			base = i
		}
	}
	if base < 0 {
		return nil, false
	}
	text := strconv.FormatFloat(m, 'f', -1, 64)
	pt := append(sweep.Point(nil), pts[base]...)
	for i := range pt {
		if pt[i].Name == c.Parameter {
			pt[i].Value = sweep.Value{Text: text, Sub: text, Numeric: true, Number: m}
		}
	}
	return pt, true
}

// holds says whether a point's values are the cliff's other parameters'.
func holds(values map[string]string, c result.Cliff) bool {
	for k, v := range c.Others {
		if values[k] != v {
			return false
		}
	}
	return true
}

// withSeed keeps each cliff the sweep's own points found: when the
// refinement points split its jump into steps too small to be cliffs
// (noise at a midpoint), it stays as first found. A refined cliff keeps
// the verification of the cliff it narrows, whose far point it shares.
func withSeed(found, seed []result.Cliff) []result.Cliff {
	for _, s := range seed {
		inside := false
		for i := range found {
			f := &found[i]
			if f.Parameter == s.Parameter && f.Candidate == s.Candidate && othersKey(f.Others) == othersKey(s.Others) &&
				f.Below >= s.Below && f.Above <= s.Above {
				inside = true
				if f.VerifiedBy == "" {
					f.VerifiedBy = s.VerifiedBy
				}
			}
		}
		if !inside {
			found = append(found, s)
		}
	}
	return found
}
