package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/faultline/faultline/internal/cliff"
	"github.com/faultline/faultline/internal/result"
)

// A sweep of more than focusMin points runs its experiments only where
// they answer something: the first pass measures every point without
// them (timing, isolated runs, trace and allocation passes; a command's
// native allocation pass waits too), and the
// slow side of each cliff, and the point with the widest gap, then run
// the whole sequence again. That proves which configuration removes
// each cliff at a fraction of the cost of a matrix at every point.
const (
	focusMin = 2
	// focusMax bounds the points measured again.
	focusMax = 6
	// focusWeight is what a point with experiments costs against one
	// without, in budget shares.
	focusWeight = 3
)

// firstPass returns the requests of the sweep's first pass: the caller's
// own, or copies without the experiments when the sweep defers them
// (the requests wanted them, and the sweep is long enough), and whether
// it does. The caller's requests are left as they were.
func firstPass(sr *SweepRequest) ([]*Request, bool) {
	if len(sr.Points) <= focusMin {
		return sr.Requests, false
	}
	for _, req := range sr.Requests {
		if req.Settings.NoExperiments {
			return sr.Requests, false
		}
	}
	out := make([]*Request, len(sr.Requests))
	for i, req := range sr.Requests {
		c := *req
		c.Settings.NoExperiments = true
		// A command's native allocation pass costs about 2 s a
		// candidate, more than a short point's share; the cliffs are
		// read from the trace, and the focus points run it.
		c.Settings.NoAlloc = c.Settings.NoAlloc || c.Commands != nil
		out[i] = &c
	}
	return out, true
}

// focusPoints returns the indices of the points to measure again with
// experiments: the slow side of each cliff (above a jump up, below a
// jump down), where an experiment that removes the jump proves its
// cause (internal/cliff verifies against the other side's baseline
// figure, which the first pass measured), then the widest gap.
func focusPoints(doc *result.Sweep) []int {
	var out []int
	add := func(i int) {
		if i >= 0 && len(out) < focusMax && !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	for _, c := range doc.Cliffs {
		slow := c.Above
		if c.After < c.Before {
			slow = c.Below
		}
		add(ownPointAt(doc, c, slow))
	}
	add(widestGap(doc))
	return out
}

// ownPointAt is the sweep's own point (not a refinement point) at value v of
// c's parameter with c's other values, or -1.
func ownPointAt(doc *result.Sweep, c result.Cliff, v float64) int {
	for i, pt := range doc.Points {
		x, err := strconv.ParseFloat(pt.Values[c.Parameter], 64)
		if err == nil && x == v && !pt.Refine && pt.Result != nil && holds(pt.Values, c) {
			return i
		}
	}
	return -1
}

// widestGap is the point whose significant ratio under its baseline
// configuration is the largest, or -1.
func widestGap(doc *result.Sweep) int {
	best, at := 1.0, -1
	for i, pt := range doc.Points {
		if pt.Result == nil || pt.Refine {
			continue
		}
		base := pt.Result.BaselineConfig()
		for _, c := range pt.Result.Comparisons {
			if c.Config == base && c.Mode == pt.Result.PrimaryMode() && c.Significant && c.Ratio > best {
				best, at = c.Ratio, i
			}
		}
	}
	return at
}

// runFocus measures the focus points again with the experiments the
// first pass left out, replaces their results (the new result is reported
// through Done like the first), and finds the cliffs again (now with the
// configurations that remove them).
func runFocus(ctx context.Context, sr *SweepRequest, full []*Request, doc *result.Sweep, start time.Time) error {
	focus := focusPoints(doc)
	var firstErr error
	for k, i := range focus {
		left := sr.Budget - time.Since(start)
		if ctx.Err() != nil || left <= 0 {
			break
		}
		share := focusWeight * left / time.Duration(focusWeight*(len(focus)-k)+refineReserve(sr))
		res, err := runPoint(ctx, sr, full[i], sr.Points[i], fmt.Sprintf("experiments %d/%d", k+1, len(focus)), share, false)
		if res != nil && len(res.Results) > 0 {
			doc.Points[i].Result = res
			doc.Points[i].BudgetSeconds += share.Seconds()
			doc.Points[i].Starved = starved(res)
		}
		if err != nil && firstErr == nil {
			firstErr = &PointError{Point: sr.Points[i].String(), Err: err}
		}
	}
	doc.Cliffs = cliff.Find(doc)
	return firstErr
}
