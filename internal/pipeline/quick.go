package pipeline

import (
	"context"
	"slices"

	"github.com/faultline/faultline/internal/result"
)

// quickReason is what a configuration --quick did not run says.
const quickReason = "not run: --quick stops at the first verified fix (leave it out for the full proof)"

// quick is the end of a --quick measurement: the experiments in the order
// that answers first (those the diagnosis proposes, which would remove
// the mechanism its trace shows, lead), one at a time until the finding
// the answer leads with has a verified fix, then the code fixes if none
// did. Those not run are skipped with quickReason.
func quick(ctx context.Context, res *result.Result, p *plan, eng engine, ans *answers, after func()) error {
	envs, fixes := proposals(res, eng.codeFixes())
	// The default set puts what the diagnosis proposes first.
	cfgs := p.experiments(res)
	for _, e := range envs {
		if !slices.ContainsFunc(cfgs, func(c result.Config) bool { return c.Name == e.Name }) {
			cfgs = append(cfgs, e)
		}
	}
	if len(cfgs) > 0 || len(fixes) > 0 {
		ans.give(res, "re-running under the configurations that would remove it")
	}
	// No fix is verified before an experiment has run.
	verified := false
	for _, c := range cfgs {
		if err := eng.verify(ctx, res, []result.Config{c}, nil, nil, after); err != nil {
			return err
		}
		if verified = ctx.Err() != nil || verifiedFix(res); verified {
			break
		}
	}
	if !verified && len(fixes) > 0 {
		// The configurations verified nothing: perhaps the code can.
		_, fixes = proposals(res, eng.codeFixes())
		if err := eng.verify(ctx, res, nil, fixes, nil, after); err != nil {
			return err
		}
	}
	for _, c := range p.configs[1:] {
		if res.Config(c.Name) == nil {
			c.Status, c.Reason = result.StatusSkipped, quickReason
			res.Configs = append(res.Configs, c)
		}
	}
	return nil
}

// verifiedFix says the answer so far has a verified fix for what it
// leads with: the verdict's finding, or the first finding (a tax one
// candidate pays) when the verdict names none.
func verifiedFix(res *result.Result) bool {
	snap, err := res.Copy()
	if err != nil {
		return false
	}
	Assemble(snap)
	i := 0
	if v := snap.Verdict; v != nil && v.Finding != nil {
		i = *v.Finding
	}
	if i < 0 || i >= len(snap.Findings) {
		return false
	}
	return slices.ContainsFunc(snap.Findings[i].Fixes, func(f result.Fix) bool { return f.Verified })
}
