package result

import (
	"fmt"
	"math"
)

// Verdict is the result's answer to "is one candidate slower, and by how
// much", decided once from the comparisons under the baseline
// configuration in the primary mode and stored in the JSON, so that every
// renderer and the Python package read the same answer.
type Verdict struct {
	// Answer is "slower" (Slow is slower than Fast), "equivalent" (no
	// difference larger than ±Margin between any two candidates) or
	// "inconclusive" (the samples cannot tell yet; SuggestedBudget would).
	Answer string `json:"answer"`
	// Slow and Fast name the pair the answer is about: the slowest
	// candidate and the one it is compared with (for an inconclusive
	// answer, the least settled pair).
	Slow string `json:"slow,omitempty"`
	Fast string `json:"fast,omitempty"`
	// Ratio is Slow's time over Fast's with its interval; P the time
	// test's p-value.
	Ratio float64 `json:"ratio,omitempty"`
	Low   float64 `json:"low,omitempty"`
	High  float64 `json:"high,omitempty"`
	P     float64 `json:"p,omitempty"`
	// DecidedBy names the evidence: "time", or "time and faults".
	DecidedBy string  `json:"decided_by,omitempty"`
	Margin    float64 `json:"margin,omitempty"`
	// N is the timed samples of Fast and Slow.
	N [2]int `json:"n"`
	// RunsNeeded and SuggestedBudget (seconds) say, for an inconclusive
	// answer, about how many samples a side and what --budget would
	// settle it.
	RunsNeeded      int     `json:"runs_needed,omitempty"`
	SuggestedBudget float64 `json:"suggested_budget_s,omitempty"`
}

// The answers of a verdict (a comparison's also has "faster").
const (
	AnswerSlower       = VerdictSlower
	AnswerEquivalent   = VerdictEquivalent
	AnswerInconclusive = VerdictInconclusive
)

// Decide derives the verdict from the comparisons of user candidates
// under the baseline configuration in the primary mode: the slowest
// conclusively slower candidate (or, when the reference is itself the
// slow one, the reference against the fastest); equivalent when every
// pair is; inconclusive otherwise. nil when nothing was compared. The
// suggested budget scales the run's wall time by the samples the least
// settled pair needs.
func (r *Result) Decide() *Verdict {
	cfg, mode := r.BaselineConfig(), r.PrimaryMode()
	var slowest, fastest, undecided *Comparison
	equivalent, margin := 0, 0.0
	var nEq [2]int
	n := 0
	for i := range r.Comparisons {
		c := &r.Comparisons[i]
		if c.Config != cfg || c.Mode != mode || c.Other == c.Baseline {
			continue
		}
		if cand := r.Candidate(c.Other); cand == nil || cand.IsFix() {
			continue
		}
		n++
		switch c.Answer() {
		case VerdictSlower:
			if slowest == nil || c.Ratio > slowest.Ratio {
				slowest = c
			}
		case VerdictFaster:
			if fastest == nil || c.Ratio < fastest.Ratio {
				fastest = c
			}
		case VerdictEquivalent:
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
		return &Verdict{Answer: AnswerSlower, Slow: slowest.Other, Fast: slowest.Baseline, Ratio: slowest.Ratio,
			Low: slowest.Low, High: slowest.High, P: slowest.P, DecidedBy: slowest.DecidedBy, N: slowest.N}
	case fastest != nil:
		// The reference is slower than another candidate: say it that way.
		return &Verdict{Answer: AnswerSlower, Slow: fastest.Baseline, Fast: fastest.Other, Ratio: inv(fastest.Ratio),
			Low: inv(fastest.High), High: inv(fastest.Low), P: fastest.P, DecidedBy: fastest.DecidedBy,
			N: [2]int{fastest.N[1], fastest.N[0]}}
	case undecided != nil:
		v := &Verdict{Answer: AnswerInconclusive, Slow: undecided.Other, Fast: undecided.Baseline, Ratio: undecided.Ratio,
			Low: undecided.Low, High: undecided.High, P: undecided.P, N: undecided.N, RunsNeeded: undecided.RunsNeeded}
		if undecided.Ratio > 0 && undecided.Ratio < 1 {
			v.Slow, v.Fast, v.Ratio, v.Low, v.High = v.Fast, v.Slow, inv(v.Ratio), inv(v.High), inv(v.Low)
			v.N = [2]int{v.N[1], v.N[0]}
		}
		v.SuggestedBudget = suggestBudget(r.WallSeconds, min(v.N[0], v.N[1]), v.RunsNeeded)
		return v
	default:
		return &Verdict{Answer: AnswerEquivalent, Margin: margin, DecidedBy: "time", N: nEq}
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

// BudgetFlag writes a suggested budget as --budget takes it: "3m", "40s".
func BudgetFlag(seconds float64) string {
	if s := int(math.Ceil(seconds)); s >= 120 && s%60 == 0 {
		return fmt.Sprintf("%dm", s/60)
	} else {
		return fmt.Sprintf("%ds", s)
	}
}
