package pipeline

import (
	"cmp"
	"maps"
	"slices"

	"github.com/faultline/faultline/internal/diagnose"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
)

// The trace pass runs under the baseline. Where a configuration makes a
// candidate slower, or widens the main pair's gap, the finding about it
// can only say what such a configuration is known to do until its own
// syscalls are seen: those configurations get a trace pass of their own,
// after the experiments and fixes, in what the budget leaves.

// traceConfigsMax bounds the extra trace passes: each costs a probe's
// start and a few iterations per candidate, or one run per command.
const traceConfigsMax = 2

// gapWidens is how much wider than under the baseline the main pair's gap
// must be under a configuration for the trace to look there.
const gapWidens = 1.25

// traceConfigs returns the configurations not yet traced worth a trace
// pass: those that make a user candidate slower (diagnose.Regressing) and
// the one where the main pair's gap is widest, if at least gapWidens wider
// than under the baseline (diagnose.Widening). At most traceConfigsMax,
// the largest slowdown or widening first.
func traceConfigs(res *result.Result, sum *summary.Summary) []string {
	score := map[string]float64{}
	for cfg, slow := range diagnose.Regressing(res, sum) {
		if !traced(res, cfg) {
			score[cfg] = slow
		}
	}
	widening := diagnose.Widening(res, sum)
	widest, at := 0.0, ""
	for _, cfg := range slices.Sorted(maps.Keys(widening)) {
		if w := widening[cfg]; w >= gapWidens && w > widest && !traced(res, cfg) {
			widest, at = w, cfg
		}
	}
	if at != "" {
		score[at] = max(score[at], widest)
	}
	names := make([]string, 0, len(score))
	for n := range score {
		names = append(names, n)
	}
	slices.SortFunc(names, func(x, y string) int {
		if c := cmp.Compare(score[y], score[x]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	return names[:min(len(names), traceConfigsMax)]
}

// traced says whether a user candidate's run under cfg has syscalls.
func traced(res *result.Result, cfg string) bool {
	for _, c := range res.UserCandidates() {
		if r := res.Run(c.Name, cfg, res.PrimaryMode()); r != nil && r.PerIteration.Syscalls != nil {
			return true
		}
	}
	return false
}

// traceLeft is how many more experiments traceConfigs may trace: those
// traced already count against traceConfigsMax.
func traceLeft(res *result.Result) int {
	left := traceConfigsMax
	for _, cfg := range res.Configs[min(1, len(res.Configs)):] {
		if traced(res, cfg.Name) {
			left--
		}
	}
	return max(0, left)
}

// slowerUnder says some user candidate's median under cfg is at least a
// tenth above its baseline median: the least a regression shows.
func slowerUnder(res *result.Result, cfg string) bool {
	base, mode := res.BaselineConfig(), res.PrimaryMode()
	for _, c := range res.UserCandidates() {
		r, b := res.Run(c.Name, cfg, mode), res.Run(c.Name, base, mode)
		if r != nil && b != nil && b.Time.Median > 0 && r.Time.Median >= 1.1*b.Time.Median {
			return true
		}
	}
	return false
}
