package summary

import (
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

// TimedSide is timed samples as the inference reads them: the seconds and
// the minor faults per iteration of each, warm-ups left out.
func TimedSide(samples []result.Sample) stats.Side {
	var s stats.Side
	for _, x := range samples {
		if !x.Warmup {
			s.Times = append(s.Times, x.Seconds)
			s.Faults = append(s.Faults, x.MinorFaults)
		}
	}
	return s
}

// evidence is what the inference reads of a run: its timed samples, or,
// for a run recorded without samples, its median standing for them (and
// no faults).
func evidence(r *result.Run) stats.Side {
	s := TimedSide(r.Samples)
	if len(s.Times) == 0 && r.Time.N > 0 {
		s.Times = []float64{r.Time.Median}
		s.Faults = nil
	}
	return s
}

// Compare infers how other compares with base (result.Comparison's
// verdict, its evidence and its sample sizes), under config and mode, at
// the host's fault cost: the one way two runs are compared.
func Compare(config, mode string, base, other *result.Run, faultCost float64) result.Comparison {
	bs, os := evidence(base), evidence(other)
	v := stats.Infer(bs, os, faultCost)
	return result.Comparison{Config: config, Mode: mode, Baseline: base.Candidate, Other: other.Candidate,
		Ratio: v.Ratio, Low: v.Low, High: v.High, P: v.P, Alpha: stats.Alpha, Significant: v.Significant,
		Verdict: string(v.Answer), DecidedBy: v.DecidedBy, Margin: v.Margin, RunsNeeded: v.RunsNeeded,
		N: [2]int{len(bs.Times), len(os.Times)}}
}

// comparisons compares every candidate with ref, per configuration and
// mode, in the order the runs were recorded.
func comparisons(r *result.Result, ref string) []result.Comparison {
	out := []result.Comparison{}
	if ref == "" {
		return out
	}
	type key struct{ config, mode string }
	var keys []key
	seen := map[key]bool{}
	for _, run := range r.Results {
		k := key{run.Config, run.Mode}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		b := r.Run(ref, k.config, k.mode)
		if !Usable(b) {
			continue
		}
		for _, c := range r.Candidates {
			if c.Name == ref {
				continue
			}
			o := r.Run(c.Name, k.config, k.mode)
			if !Usable(o) {
				continue
			}
			out = append(out, Compare(k.config, k.mode, b, o, r.Host.FaultCostSeconds))
		}
	}
	return out
}
