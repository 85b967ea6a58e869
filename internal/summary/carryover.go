package summary

import (
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

// carryOver splits every interleaved run's timed samples by the
// candidate that ran just before it in the same process (Sample.After;
// "" for the samples after the same candidate), each part against the
// run's other samples: medians, mean minor faults and the Mann-Whitney
// p-value. It is how an order effect shows: the seed case's first timing
// after each switch differed, because the candidate before had just given
// the heap back to the kernel.
func carryOver(r *result.Result) map[string][]result.AfterSplit {
	out := map[string][]result.AfterSplit{}
	for i := range r.Results {
		run := &r.Results[i]
		if run.Mode != result.ModeInterleaved || !Usable(run) {
			continue
		}
		timed := result.Timed(run.Samples)
		var order []string
		for _, s := range timed {
			if !slices.Contains(order, s.After) {
				order = append(order, s.After)
			}
		}
		if len(order) < 2 {
			continue
		}
		// The candidates in the result's order, then "": the output does
		// not depend on which ran first.
		slices.SortStableFunc(order, func(x, y string) int {
			if c := rank(r, x) - rank(r, y); c != 0 {
				return c
			}
			return strings.Compare(x, y)
		})
		var splits []result.AfterSplit
		for _, after := range order {
			var in, others []result.Sample
			for _, s := range timed {
				if s.After == after {
					in = append(in, s)
				} else {
					others = append(others, s)
				}
			}
			ti, to := result.TimedSeconds(in), result.TimedSeconds(others)
			splits = append(splits, result.AfterSplit{After: after,
				N: len(in), Median: stats.Median(ti), MinorFaults: meanFaults(in),
				OthersN: len(others), OthersMedian: stats.Median(to), OthersMinorFaults: meanFaults(others),
				P: stats.MannWhitneyP(ti, to)})
		}
		out[Key(run.Candidate, run.Config)] = splits
	}
	return out
}

func meanFaults(ss []result.Sample) float64 {
	if len(ss) == 0 {
		return 0
	}
	t := 0.0
	for _, s := range ss {
		t += s.MinorFaults
	}
	return t / float64(len(ss))
}

// rank orders candidates as the result lists them, names not among them
// after the candidates (by name), "" (no switch) last.
func rank(r *result.Result, name string) int {
	if name == "" {
		return len(r.Candidates) + 1
	}
	for i, c := range r.Candidates {
		if c.Name == name {
			return i
		}
	}
	return len(r.Candidates)
}
