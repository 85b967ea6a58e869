package pipeline

import (
	"slices"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/diagnose"
	"github.com/faultline/faultline/internal/host"
	"github.com/faultline/faultline/internal/result"
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
	ao := alloc.Options{Python: req.Traits.Python, NumPy: req.Traits.NumPy, NumPyHugeDefault: alloc.NumPyHugeDefault(host.Kernel())}
	names := s.Configs
	if s.NoExperiments {
		names = result.DefaultConfig
	}
	p := &plan{extend: !s.NoExperiments && (s.Configs == "" || s.Configs == "all")}
	if !p.extend {
		// Named on purpose: glibc-arena-max may be chosen before the
		// trace pass has seen threads.
		ao.Threads = 2
	}
	cfgs, err := alloc.Select(alloc.Catalog(ao), names, s.UserConfigs)
	if err != nil {
		return nil, usage("%v", err)
	}
	p.configs = cfgs
	return p, nil
}

// retune re-derives glibc-tuned's thresholds from the sizes the trace pass
// observed, so the experiment covers the blocks this target really uses,
// and adds glibc-arena-max to the default set when the target ran threads.
func (p *plan) retune(res *result.Result) {
	var o alloc.Options
	for _, r := range res.Results {
		if r.PerIteration.Syscalls == nil {
			continue
		}
		sc := r.PerIteration.Syscalls
		o.Threads = max(o.Threads, sc.Threads)
		o.PeakHeap = max(o.PeakHeap, int64(sc.BrkGrowBytes), int64(sc.MappedBytes))
		for _, sz := range sc.Sizes {
			if sz.Call == "brk+" || sz.Call == "mmap" {
				o.LargestBlock = max(o.LargestBlock, sz.Bytes)
			}
		}
	}
	if p.extend && o.Threads > 1 && !slices.ContainsFunc(p.configs, func(c result.Config) bool { return c.Name == "glibc-arena-max" }) {
		p.configs = append(p.configs, alloc.ArenaMax())
	}
	if o.LargestBlock == 0 {
		return
	}
	for i := range p.configs {
		if p.configs[i].Name == "glibc-tuned" {
			p.configs[i].Env = map[string]string{"GLIBC_TUNABLES": ""}
			p.configs[i].Env["GLIBC_TUNABLES"], p.configs[i].Derived = alloc.Tuned(o)
		}
	}
}

// proposals returns the fixes the diagnosis wants verified: env
// configurations and, where the engine can run them, code-fix candidates.
func proposals(res *result.Result, code bool) ([]result.Config, []result.Candidate) {
	var envs []result.Config
	var fixes []result.Candidate
	for _, p := range diagnose.Proposals(res) {
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
