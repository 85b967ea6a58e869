package pipeline

import (
	"github.com/faultline/faultline/internal/diagnose"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/summary"
)

// Load reads a saved result or sweep document for re-rendering. A result
// saved before its summary was stored (no verdict) gets it here, from its
// own records, so that the renderers only ever read: its findings are
// kept as saved.
func Load(path string) (*result.Result, *result.Sweep, error) {
	res, sw, err := result.LoadAny(path)
	if err != nil {
		return nil, nil, err
	}
	if res != nil {
		upgrade(res)
	}
	if sw != nil {
		for _, pt := range sw.Points {
			if pt.Result != nil {
				upgrade(pt.Result)
			}
		}
	}
	return res, sw, nil
}

func upgrade(res *result.Result) {
	// Saved before a run's estimate kept hyperfine's figures (mean,
	// standard deviation, extremes).
	for i := range res.Results {
		run := &res.Results[i]
		if ts := run.TimedSeconds(); run.Time.Mean == 0 && len(ts) > 0 {
			e := stats.Summarize(ts)
			run.Time.Mean, run.Time.Stddev, run.Time.Min, run.Time.Max = e.Mean, e.Stddev, e.Min, e.Max
		}
	}
	if res.Verdict == nil && len(res.Results) > 0 {
		summary.Of(res).Store(res)
	}
	// Saved before the verdict named its finding: the one Primary names
	// is the one such a result led with.
	if res.Verdict != nil && res.Verdict.Finding == nil {
		res.Verdict.Finding = diagnose.Primary(res.Findings, res.Verdict)
	}
}
