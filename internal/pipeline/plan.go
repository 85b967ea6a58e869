package pipeline

import (
	"os"
	"slices"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/diagnose"
	"github.com/faultline/faultline/internal/host"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
)

// plan is the configurations a request runs, the baseline first.
type plan struct {
	configs []result.Config
	// extend says the configurations are the catalog's default set, which
	// the trace pass may extend (glibc-arena-max for threaded targets).
	extend bool
}

func newPlan(req *Request) (*plan, error) {
	s := req.Settings
	ao := alloc.Options{Base: alloc.Baseline(os.Environ()), Python: req.Traits.Python, NumPy: req.Traits.NumPy,
		NumPyHugeDefault: alloc.NumPyHugeDefault(host.Kernel())}
	names := s.Configs
	p := &plan{extend: !s.NoExperiments && (s.Configs == "" || s.Configs == "all")}
	if !p.extend {
		// Named on purpose: glibc-arena-max may be chosen before the
		// trace pass has seen threads.
		ao.Threads = 2
	}
	catalog := alloc.Catalog(ao)
	if s.NoExperiments {
		names = catalog[0].Name
	}
	cfgs, err := alloc.Select(catalog, names, s.UserConfigs)
	if err != nil {
		return nil, usage("%v", err)
	}
	p.configs = cfgs
	return p, nil
}

// retune re-derives the thresholds of the derived experiments from what
// the diagnostic passes observed (alloc.Observe), so they keep what this
// target really holds, and adds glibc-arena-max to the default set when the target
// ran threads.
func (p *plan) retune(res *result.Result) {
	p.configs = alloc.Retune(p.configs, alloc.Observe(alloc.Options{}, res), p.extend)
}

// proposals returns the fixes the diagnosis wants verified: env
// configurations and, where the engine can run them, code-fix candidates.
func proposals(res *result.Result, code bool) ([]result.Config, []result.Candidate) {
	var envs []result.Config
	var fixes []result.Candidate
	for _, p := range diagnose.Proposals(res, summary.Of(res)) {
		switch {
		case p.Kind == diagnose.KindEnv && p.Config != nil:
			envs = append(envs, *p.Config)
		case code && p.Kind == diagnose.KindCode && p.Statement != "":
			name := p.Candidate + "-fix"
			if res.Candidate(name) != nil {
				continue
			}
			fixes = append(fixes, result.Candidate{Name: name, Label: "fix of " + p.Candidate + ": " + p.Statement,
				Statement: p.Statement, FixOf: p.Candidate})
		}
	}
	return envs, fixes
}

// answerFirst orders the experiments so that those the diagnosis of the
// baseline and the diagnostic passes proposes (the settings that would
// remove the mechanism the trace shows) run first: when the budget ends
// the matrix early, what it skips is what answers least.
func answerFirst(res *result.Result, cfgs []result.Config) []result.Config {
	wanted := map[string]bool{}
	for _, pr := range diagnose.Proposals(res, summary.Of(res)) {
		if pr.Kind == diagnose.KindEnv && pr.Config != nil {
			wanted[pr.Config.Name] = true
		}
	}
	out := slices.Clone(cfgs)
	slices.SortStableFunc(out, func(x, y result.Config) int {
		switch {
		case wanted[x.Name] == wanted[y.Name]:
			return 0
		case wanted[x.Name]:
			return -1
		}
		return 1
	})
	return out
}

// experiments returns the configurations after the baseline that run:
// the default set in the order that answers first, a set the user named
// in the user's order.
func (p *plan) experiments(res *result.Result) []result.Config {
	if len(p.configs) < 2 {
		return nil
	}
	cfgs := alloc.Runnable(p.configs[1:])
	if p.extend {
		cfgs = answerFirst(res, cfgs)
	}
	return cfgs
}

// first is the first n experiments experiments would run now.
func (p *plan) first(res *result.Result, n int) []result.Config {
	cfgs := p.experiments(res)
	return cfgs[:min(n, len(cfgs))]
}

// nothingToExplain says the default experiments will not run: the counts
// so far leave memory management too little of every candidate's time,
// at most bound of it.
func (p *plan) nothingToExplain(res *result.Result) (bound float64, ok bool) {
	bound, ok = diagnose.NothingToExplain(res, summary.Of(res))
	return bound, ok && p.extend
}
