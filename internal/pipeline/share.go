package pipeline

import (
	"math"
	"time"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/sweep"
)

// A sweep's points differ in length: a command that allocates 64 MiB
// per iteration runs far longer than one that allocates 1 MiB, and an
// equal share of the budget per point leaves the slow points, where the
// cliffs usually are, with a run or two. Each point's share is instead
// weighted by what it is expected to cost: a fixed part (starting,
// diagnostic passes) and the rounds a verdict wants at the length of one
// round. A round's length is measured at every point that ran, and
// extrapolated to the points after the last measured one along the
// swept number, as t ∝ value^k with k fitted from the last two measured
// points (0.5 from one), within [0, 1.5]. Probe points (timeit) size
// their samples to a fixed sample time, so their points cost alike.

const (
	// pointFixed is the part of a point's cost that does not grow with
	// the command's length.
	pointFixed = 2 * time.Second
	// pointRounds is how many rounds a point's weight counts.
	pointRounds = 8
)

// pointShare is point i's share of left, given the points measured so far
// (doc.Points[:i]) and reserve further slots of an unknown point's weight.
func pointShare(sr *SweepRequest, doc *result.Sweep, i int, left time.Duration, reserve int) time.Duration {
	n := len(sr.Points)
	if sr.Requests[0].Commands == nil {
		return left / time.Duration(n-i+reserve)
	}
	w := pointWeights(sr.Points, doc.Points)
	total := 0.0
	for j := i; j < n; j++ {
		total += w[j]
	}
	// Refinement and focus points: as long as the mean point.
	mean := 0.0
	for _, x := range w {
		mean += x / float64(n)
	}
	total += float64(reserve) * mean
	if total <= 0 {
		return left / time.Duration(n-i+reserve)
	}
	return time.Duration(float64(left) * w[i] / total)
}

// pointWeights estimates each point's cost in seconds; all alike (1)
// until a point has been measured.
func pointWeights(pts []sweep.Point, done []result.SweepPoint) []float64 {
	w := make([]float64, len(pts))
	type obs struct{ v, t float64 }
	var seen []obs
	measured := make([]float64, len(done))
	for k := range done {
		t := roundSeconds(done[k].Result)
		measured[k] = t
		if t <= 0 {
			continue
		}
		if v, ok := sweptNumber(pts, k); ok {
			seen = append(seen, obs{v, t})
		} else {
			seen = append(seen, obs{math.NaN(), t})
		}
	}
	if len(seen) == 0 {
		for j := range w {
			w[j] = 1
		}
		return w
	}
	last := seen[len(seen)-1]
	k := 0.5
	if len(seen) >= 2 {
		prev := seen[len(seen)-2]
		if prev.v > 0 && last.v > 0 && prev.v != last.v && prev.t > 0 {
			k = math.Log(last.t/prev.t) / math.Log(last.v/prev.v)
		}
	}
	k = min(1.5, max(0, k))
	for j := range w {
		t := last.t
		if j < len(done) {
			if measured[j] > 0 {
				t = measured[j]
			}
		} else if v, ok := sweptNumber(pts, j); ok && v > 0 && last.v > 0 {
			t = last.t * math.Pow(v/last.v, k)
		}
		w[j] = pointFixed.Seconds() + pointRounds*t
	}
	return w
}

// sweptNumber is point j's value of the one numeric parameter that
// varies along the sweep; false when none or several do.
func sweptNumber(pts []sweep.Point, j int) (float64, bool) {
	if len(pts) < 2 || len(pts[j]) != 1 || !pts[j][0].Value.Numeric {
		return 0, false
	}
	return pts[j][0].Value.Number, true
}

// roundSeconds is how long one round of a point's baseline took: each
// user candidate's median run, in seconds; 0 when nothing ran.
func roundSeconds(r *result.Result) float64 {
	if r == nil {
		return 0
	}
	cfg, mode := r.BaselineConfig(), r.PrimaryMode()
	t := 0.0
	for _, c := range r.UserCandidates() {
		if run := r.Run(c.Name, cfg, mode); run != nil && run.Time.N > 0 {
			t += run.Time.Median * float64(max(1, run.Loops))
		}
	}
	return t
}
