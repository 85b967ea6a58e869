package pipeline

import (
	"testing"
	"time"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/sweep"
)

func sizePoints(vals ...float64) []sweep.Point {
	var pts []sweep.Point
	for _, v := range vals {
		pts = append(pts, sweep.Point{{Name: "size", Value: sweep.Value{Numeric: true, Number: v}}})
	}
	return pts
}

// measuredPoint is a point whose candidates each took secs per run.
func measuredPoint(secs ...float64) result.SweepPoint {
	r := result.New(result.KindRun, "test", nil)
	for i, s := range secs {
		name := string(rune('A' + i))
		r.Candidates = append(r.Candidates, result.Candidate{Name: name})
		r.Results = append(r.Results, result.Run{Candidate: name, Config: result.DefaultConfig, Mode: result.ModeProcess,
			Status: result.StatusOK, Time: result.Estimate{Median: s, N: 5}})
	}
	return result.SweepPoint{Result: r}
}

// A sweep of commands weights each point's share by its expected length:
// once the first points show that a round grows with the size, the large
// sizes get more of what is left than the small ones; probe points
// share alike.
func TestPointShareFollowsTheWork(t *testing.T) {
	pts := sizePoints(1, 2, 4, 8, 16, 32, 64)
	req := &Request{Commands: map[string][]string{"A": {"a"}, "B": {"b"}}}
	sr := &SweepRequest{Points: pts, Requests: []*Request{req}}
	doc := &result.Sweep{Points: []result.SweepPoint{measuredPoint(0.01, 0.02), measuredPoint(0.02, 0.04)}}
	left := 60 * time.Second
	third := pointShare(sr, doc, 2, left, 0)
	w := pointWeights(pts, doc.Points)
	if !(w[6] > w[5] && w[5] > w[2]) {
		t.Errorf("weights %v do not grow with the size", w)
	}
	// The third point's share of 60 s is below an equal share (60/5).
	if third >= left/5 {
		t.Errorf("the 4-unit point gets %v of %v, an equal share or more; weights %v", third, left, w)
	}
	// Nothing measured yet: equal shares.
	if got := pointShare(sr, &result.Sweep{}, 0, left, 0); got != left/7 {
		t.Errorf("first point's share %v, want %v", got, left/7)
	}
	// Probe points (timeit) size their samples: equal shares.
	probe := &SweepRequest{Points: pts, Requests: []*Request{{}}}
	if got := pointShare(probe, doc, 2, left, 0); got != left/5 {
		t.Errorf("timeit point's share %v, want %v", got, left/5)
	}
}
