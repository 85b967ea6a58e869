package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/faultline/faultline/internal/cliff"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/sweep"
)

// SweepRequest is a parameter sweep: the sequence runs once per point.
// Every point's Request is built before anything runs, so that a point's
// usage error (a program a value names that does not exist) ends the
// sweep before its first measurement.
type SweepRequest struct {
	Sweep    *sweep.Sweep
	Points   []sweep.Point
	Requests []*Request // Requests[i] measures Points[i]
	// Budget bounds the whole sweep (--budget); see RunSweep.
	Budget time.Duration
	// Refine, when positive, is --refine: each cliff's boundary is
	// bisected until it is known within this fraction of its value
	// (refine.go). Build makes the request of a point between two
	// measured ones.
	Refine float64
	Build  func(sweep.Point) (*Request, error)
	// Begin, when set, is called before a point runs with its request
	// (to give it a progress line), Done after it, with its result and
	// error; refine says it is a refinement point.
	Begin func(req *Request)
	Done  func(pt sweep.Point, refine bool, res *result.Result, err error)

	end time.Time // the end of the budget, for the progress lines
}

// RunSweep measures each point in turn and returns the sweep document
// with the first error a point ended with, prefixed by the point. A
// failing point does not end the sweep (where a target starts failing is
// what a sweep looks for); an interruption or a usage error does.
//
// The budget is the whole sweep's: each point gets a share of what is
// left of it when the point starts, weighted by what the point is expected
// to cost (share.go), so time a point does not use (it converged early,
// or ran a fixed --runs) goes to the points after it, and the sweep ends
// within --budget. A point that starts with nothing
// left is skipped. With --refine, the points share the budget with the
// refinement points expected (refineReserve), which run after them.
//
// The cliffs are found once every point has run (internal/cliff).
func RunSweep(ctx context.Context, sr *SweepRequest) (*result.Sweep, error) {
	start := time.Now()
	sr.end = start.Add(sr.Budget)
	first := sr.Requests[0]
	doc := result.NewSweep(first.Kind, first.Version, first.Args, sr.Budget)
	doc.Parameters = sweepParameters(sr.Sweep)
	reserve := refineReserve(sr)
	full := sr.Requests
	pass, focused := firstPass(sr)
	if focused {
		// About two points measured again, either side of one cliff;
		// what the first pass leaves unused rolls over.
		reserve += focusWeight * 2
	}
	var firstErr error
	for i, pt := range sr.Points {
		sp := sweepPoint(pt)
		left := sr.Budget - time.Since(start)
		switch {
		case ctx.Err() != nil:
			sp.Status, sp.Reason = result.StatusSkipped, "interrupted"
		case left <= 0:
			sp.Status, sp.Reason = result.StatusSkipped, measure.ErrBudget.Error()
		default:
			share := pointShare(sr, doc, i, left, reserve)
			sp.BudgetSeconds = share.Seconds()
			res, err := runPoint(ctx, sr, pass[i], pt, fmt.Sprintf("%d/%d", i+1, len(sr.Points)), share, false)
			var ue *UsageError
			if errors.As(err, &ue) {
				return nil, err
			}
			sp.Result = res
			var nm *NothingMeasured
			switch {
			case errors.As(err, &nm):
				// The point's share of the budget measured nothing: it
				// is skipped for the budget, not failed.
				sp.Status, sp.Reason = result.StatusSkipped, measure.ErrBudget.Error()
			case err != nil && firstErr == nil:
				firstErr = &PointError{Point: pt.String(), Err: err}
			}
		}
		sp.Starved = starved(sp.Result)
		doc.Points = append(doc.Points, sp)
	}
	doc.Cliffs = cliff.Find(doc)
	if focused && ctx.Err() == nil {
		if err := runFocus(ctx, sr, full, doc, start); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if sr.Refine > 0 && ctx.Err() == nil {
		refine(ctx, sr, doc, start)
	}
	if ctx.Err() != nil {
		doc.Partial, doc.Interrupted = true, "interrupted by signal"
		if firstErr == nil {
			firstErr = ctx.Err()
		}
	}
	doc.WallSeconds = time.Since(start).Seconds()
	return doc, firstErr
}

// PointError is the error a point of a sweep ended with.
type PointError struct {
	Point string // the point's heading, "n = 8MiB"
	Err   error
}

func (e *PointError) Error() string { return e.Point + ": " + e.Err.Error() }
func (e *PointError) Unwrap() error { return e.Err }

// runPoint runs a point's request with its share of the budget, its
// progress lines prefixed with where the point is ("2/5"), the point,
// and the time left of the sweep's budget.
func runPoint(ctx context.Context, sr *SweepRequest, own *Request, pt sweep.Point, where string, share time.Duration, refine bool) (*result.Result, error) {
	// A copy: the caller's request keeps its own budget and progress.
	c := *own
	req := &c
	req.Settings.Budget = share
	if sr.Begin != nil {
		sr.Begin(req)
	}
	if p := req.Progress; p != nil {
		req.Progress = func(msg string) {
			left := max(0, time.Until(sr.end)).Round(time.Second)
			p(fmt.Sprintf("[%s %s, %s left] %s", where, pt, left, msg))
		}
	}
	res, err := Run(ctx, req)
	if sr.Done != nil && res != nil {
		sr.Done(pt, refine, res, err)
	}
	return res, err
}

func sweepParameters(s *sweep.Sweep) []result.SweepParameter {
	var ps []result.SweepParameter
	for _, p := range s.Params {
		sp := result.SweepParameter{Name: p.Name, Values: []result.SweepValue{}}
		for _, v := range p.Values {
			rv := result.SweepValue{Text: v.Text, Value: v.Sub}
			// A number beyond float64 (a long literal) is left out
			// rather than breaking the JSON.
			if v.Numeric && !math.IsInf(v.Number, 0) {
				rv.Number = &v.Number
			}
			sp.Values = append(sp.Values, rv)
		}
		ps = append(ps, sp)
	}
	return ps
}

func sweepPoint(pt sweep.Point) result.SweepPoint {
	sp := result.SweepPoint{Values: map[string]string{}, Text: map[string]string{}}
	for _, b := range pt {
		sp.Values[b.Name], sp.Text[b.Name] = b.Value.Sub, b.Value.Text
	}
	return sp
}

// starved says why a point's verdict had too little to go on ("" when it
// had enough): an inconclusive verdict, or fewer than three timed samples
// of a user candidate.
func starved(r *result.Result) string {
	if r == nil {
		return ""
	}
	if v := r.Verdict; v != nil && v.Answer == result.AnswerInconclusive {
		return fmt.Sprintf("inconclusive after %d and %d samples", v.N[0], v.N[1])
	}
	cfg, mode := r.BaselineConfig(), r.PrimaryMode()
	for _, c := range r.UserCandidates() {
		if run := r.Run(c.Name, cfg, mode); run != nil && run.Time.N < 3 {
			return fmt.Sprintf("%s had %d timed samples", c.Name, run.Time.N)
		}
	}
	return ""
}
