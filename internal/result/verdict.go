package result

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
	// Finding is the index in the result's findings of the one that
	// explains the answer (about Slow, a cause rather than an order
	// effect or a configuration's regression); nil when none does.
	Finding *int `json:"finding,omitempty"`
}

// The answers of a verdict (a comparison's also has "faster").
const (
	AnswerSlower       = VerdictSlower
	AnswerEquivalent   = VerdictEquivalent
	AnswerInconclusive = VerdictInconclusive
)
