package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

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
	// Begin, when set, is called before point i runs (to give its
	// request a progress line), Done after it, with its result and error.
	Begin func(i int)
	Done  func(i int, res *result.Result, err error)
}

// RunSweep measures each point in turn and returns the sweep document
// with the first error a point ended with, prefixed by the point. A
// failing point does not end the sweep (where a target starts failing is
// what a sweep looks for); an interruption or a usage error does.
//
// The budget is the whole sweep's: each point gets an equal share of what
// is left of it when the point starts, so time a point does not use (it
// converged early, or ran a fixed --runs) goes to the points after it,
// and the sweep ends within --budget. A point that starts with nothing
// left is skipped.
func RunSweep(ctx context.Context, sr *SweepRequest) (*result.Sweep, error) {
	start := time.Now()
	first := sr.Requests[0]
	doc := result.NewSweep(first.Kind, first.Version, first.Args, sr.Budget)
	doc.Parameters = sweepParameters(sr.Sweep)
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
			share := left / time.Duration(len(sr.Points)-i)
			sp.BudgetSeconds = share.Seconds()
			res, err := runPoint(ctx, sr, i, share)
			var ue *UsageError
			if errors.As(err, &ue) {
				return nil, err
			}
			sp.Result = res
			if err != nil && firstErr == nil {
				firstErr = &PointError{Point: pt.String(), Err: err}
			}
		}
		doc.Points = append(doc.Points, sp)
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

// runPoint runs point i's request with its share of the budget, its
// progress lines prefixed with the point.
func runPoint(ctx context.Context, sr *SweepRequest, i int, share time.Duration) (*result.Result, error) {
	req := sr.Requests[i]
	req.Settings.Budget = share
	if sr.Begin != nil {
		sr.Begin(i)
	}
	if p := req.Progress; p != nil {
		prefix := fmt.Sprintf("[%d/%d %s] ", i+1, len(sr.Points), sr.Points[i])
		req.Progress = func(msg string) { p(prefix + msg) }
	}
	res, err := Run(ctx, req)
	if sr.Done != nil && res != nil {
		sr.Done(i, res, err)
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
