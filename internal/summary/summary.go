// Package summary derives, from a result's records (its runs, samples
// and passes), every fact the diagnosis, the planner and the renderings
// read: which runs count, the reference candidate, the comparisons, the
// slow pairs, the carry-over split of interleaved samples and the
// verdict. Of is the one place each is computed; it reads the result and
// never changes it. The pipeline stores the summary in the result once,
// when the result is assembled (Store).
package summary

import (
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

// Summary is what a result's records imply.
type Summary struct {
	// Config and Mode carry the main comparison: the baseline
	// configuration, the primary mode.
	Config, Mode string
	// Reference is the candidate every other is compared against.
	Reference string
	// Comparisons compare every candidate with Reference, per
	// configuration and mode.
	Comparisons []result.Comparison
	// Pairs are the slow pairs: user candidates conclusively apart under
	// Config in Mode, in the order of Comparisons.
	Pairs []Pair
	// CarryOver splits each interleaved run's timed samples by the
	// candidate that ran just before, keyed as Key(candidate, config).
	CarryOver map[string][]result.AfterSplit
	// Verdict answers "is one slower, and by how much"; nil when nothing
	// was compared.
	Verdict *result.Verdict
	// Rule is how Comparisons were decided.
	Rule result.VerdictRule
}

// Rule is the verdict's rule, stats' thresholds as a result stores them.
func Rule() result.VerdictRule {
	return result.VerdictRule{Alpha: stats.Alpha, AlphaFaults: stats.AlphaCorroborated, Equivalence: stats.EquivalenceLimit}
}

// Pair is one slow pair: Slow conclusively slower than Fast, with the
// comparison that says so (which may read either way round).
type Pair struct {
	Slow, Fast string
	Comparison *result.Comparison
}

// Of summarizes r.
func Of(r *result.Result) *Summary {
	if r == nil {
		return &Summary{}
	}
	s := &Summary{Config: r.BaselineConfig(), Mode: r.PrimaryMode(), Rule: Rule()}
	s.Reference = Reference(r)
	s.Comparisons = comparisons(r, s.Reference)
	s.Pairs = pairs(r, s)
	s.CarryOver = carryOver(r)
	s.Verdict = decide(r, s)
	return s
}

// Comparison returns the comparison of other against the reference
// within config and mode, or nil.
func (s *Summary) Comparison(config, mode, other string) *result.Comparison {
	for i := range s.Comparisons {
		c := &s.Comparisons[i]
		if c.Config == config && c.Mode == mode && c.Other == other {
			return c
		}
	}
	return nil
}

// Store writes the summary into r, the one time a result's derived facts
// are set: its comparisons, its verdict, and each interleaved run's
// carry-over split. The pipeline calls it when it assembles a result, and
// when it reads one saved without them.
func (s *Summary) Store(r *result.Result) {
	r.Comparisons = append([]result.Comparison{}, s.Comparisons...)
	r.Verdict = s.Verdict
	rule := s.Rule
	r.Rule = &rule
	for i := range r.Results {
		run := &r.Results[i]
		run.After = s.CarryOver[Key(run.Candidate, run.Config)]
		if run.Mode != result.ModeInterleaved {
			run.After = nil
		}
	}
}

// Key names a run's entry in CarryOver.
func Key(cand, config string) string { return cand + "\x00" + config }
