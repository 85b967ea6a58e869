package summary

import (
	"math"

	"github.com/faultline/faultline/internal/result"
)

// decide derives the verdict from the comparisons of user candidates
// under the baseline configuration in the primary mode: the slowest
// conclusively slower candidate (or, when the reference is itself the
// slow one, the reference against the fastest); equivalent when every
// pair is; inconclusive otherwise. nil when nothing was compared. The
// suggested budget scales the run's wall time by the samples the least
// settled pair needs.
func decide(r *result.Result, s *Summary) *result.Verdict {
	cfg, mode := s.Config, s.Mode
	var slowest, fastest, undecided *result.Comparison
	equivalent, margin := 0, 0.0
	var nEq [2]int
	n := 0
	for i := range s.Comparisons {
		c := &s.Comparisons[i]
		if c.Config != cfg || c.Mode != mode || c.Other == c.Baseline {
			continue
		}
		if cand := r.Candidate(c.Other); cand == nil || cand.IsFix() {
			continue
		}
		n++
		switch c.Answer() {
		case result.VerdictSlower:
			if slowest == nil || c.Ratio > slowest.Ratio {
				slowest = c
			}
		case result.VerdictFaster:
			if fastest == nil || c.Ratio < fastest.Ratio {
				fastest = c
			}
		case result.VerdictEquivalent:
			if equivalent == 0 || c.Margin > margin {
				nEq = c.N
			}
			equivalent++
			margin = max(margin, c.Margin)
		default:
			if undecided == nil || c.RunsNeeded > undecided.RunsNeeded {
				undecided = c
			}
		}
	}
	if n == 0 {
		return nil
	}
	switch {
	case slowest != nil:
		return &result.Verdict{Answer: result.AnswerSlower, Slow: slowest.Other, Fast: slowest.Baseline, Ratio: slowest.Ratio,
			Low: slowest.Low, High: slowest.High, P: slowest.P, DecidedBy: slowest.DecidedBy, N: slowest.N}
	case fastest != nil:
		// The reference is slower than another candidate: say it that way.
		return &result.Verdict{Answer: result.AnswerSlower, Slow: fastest.Baseline, Fast: fastest.Other, Ratio: inv(fastest.Ratio),
			Low: inv(fastest.High), High: inv(fastest.Low), P: fastest.P, DecidedBy: fastest.DecidedBy,
			N: [2]int{fastest.N[1], fastest.N[0]}}
	case undecided != nil:
		v := &result.Verdict{Answer: result.AnswerInconclusive, Slow: undecided.Other, Fast: undecided.Baseline, Ratio: undecided.Ratio,
			Low: undecided.Low, High: undecided.High, P: undecided.P, N: undecided.N, RunsNeeded: undecided.RunsNeeded}
		if undecided.Ratio > 0 && undecided.Ratio < 1 {
			v.Slow, v.Fast, v.Ratio, v.Low, v.High = v.Fast, v.Slow, inv(v.Ratio), inv(v.High), inv(v.Low)
			v.N = [2]int{v.N[1], v.N[0]}
		}
		v.SuggestedBudget = suggestBudget(r.WallSeconds, min(v.N[0], v.N[1]), v.RunsNeeded)
		return v
	default:
		return &result.Verdict{Answer: result.AnswerEquivalent, Margin: margin, DecidedBy: "time", N: nEq}
	}
}

func inv(x float64) float64 {
	if x == 0 {
		return 0
	}
	return 1 / x
}

// suggestBudget scales wall seconds by the samples needed over the
// samples had (at least 1.5x, at most 20x), rounded up to a figure a user
// types: whole minutes from two minutes on, else tens of seconds.
func suggestBudget(wall float64, have, need int) float64 {
	if wall <= 0 {
		return 0
	}
	scale := 3.0
	if have > 0 && need > 0 {
		scale = float64(need) / float64(have)
	}
	s := wall * min(20, max(1.5, scale))
	if s >= 120 {
		return math.Ceil(s/60) * 60
	}
	return math.Ceil(s/10) * 10
}
