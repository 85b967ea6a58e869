package report

import (
	"slices"

	"github.com/faultline/faultline/internal/units"

	"github.com/faultline/faultline/internal/result"
)

// facts are what every renderer derives from a result before drawing it:
// who the baseline is, which candidates and configurations exist, in which
// order. Computing them once keeps the terminal, Markdown, HTML and
// benchstat renderings in agreement.
type facts struct {
	r       *result.Result
	mode    string // primary mode
	baseCfg string // the baseline configuration (the first one)
	base    string // the baseline candidate (the fastest user candidate)
	users   []*result.Candidate
	fixes   []*result.Candidate // code-fix candidates, measured to verify a fix
	configs []string            // every configuration, in result order
	// unit fixes the unit of the time columns (a units.TimeUnits name;
	// "" chooses per number).
	unit string
}

// time prints a duration of the time columns, in the fixed unit if any.
func (f *facts) time(s float64) string {
	if f.unit == "" || s <= 0 {
		return fmtTime(s)
	}
	return units.SecondsIn(s, f.unit)
}

func newFacts(r *result.Result) *facts {
	f := &facts{r: r, mode: r.PrimaryMode(), baseCfg: r.BaselineConfig()}
	for i := range r.Candidates {
		c := &r.Candidates[i]
		if !c.IsFix() {
			f.users = append(f.users, c)
		} else {
			f.fixes = append(f.fixes, c)
		}
	}
	for _, c := range r.Configs {
		f.configs = append(f.configs, c.Name)
	}
	// Runs may name configurations the list lacks (a hand-written or
	// older result); keep them rather than drop their numbers.
	for _, run := range r.Results {
		if !slices.Contains(f.configs, run.Config) {
			f.configs = append(f.configs, run.Config)
		}
	}
	f.base = f.baseline()
	return f
}

// baseline is the candidate every ratio is relative to. The comparisons
// name it (summary.Reference chose it); without any (one candidate, or
// all others failed) it is the one the user named, else the first.
func (f *facts) baseline() string {
	for _, c := range f.r.Comparisons {
		if c.Baseline != "" {
			return c.Baseline
		}
	}
	if f.r.Candidate(f.r.Reference) != nil {
		return f.r.Reference
	}
	if len(f.users) > 0 {
		return f.users[0].Name
	}
	return ""
}

// all returns user candidates then code-fix candidates.
func (f *facts) all() []*result.Candidate { return append(slices.Clone(f.users), f.fixes...) }

// runsIn returns the runs of every candidate under config in mode, in
// candidate order; candidates without a run are left out.
func (f *facts) runsIn(config, mode string) []*result.Run {
	var out []*result.Run
	for _, c := range f.all() {
		if run := f.r.Run(c.Name, config, mode); run != nil {
			out = append(out, run)
		}
	}
	return out
}

// hasMode reports whether any run was measured in mode.
func (f *facts) hasMode(mode string) bool {
	for _, run := range f.r.Results {
		if run.Mode == mode {
			return true
		}
	}
	return false
}

// configStatus returns the configuration's status, "ok" when unknown.
func (f *facts) configStatus(name string) (status, reason string) {
	if c := f.r.Config(name); c != nil && c.Status != "" {
		return c.Status, c.Reason
	}
	return result.StatusOK, ""
}

// configTitle names a configuration, marking the baseline one: the
// default, or the user's own environment when it preloads or configures
// an allocator (the baseline then has variables).
func (f *facts) configTitle(name string) string {
	if name != f.baseCfg {
		return name
	}
	if c := f.r.Config(name); c != nil && len(c.Env) > 0 {
		return name + " (your environment)"
	}
	return name + " (default)"
}

func ok(run *result.Run) bool {
	return run != nil && run.Status == result.StatusOK && run.Time.N > 0
}

// orderRow compares one candidate interleaved with the others against the
// same candidate alone in a fresh process, with its interleaved samples
// split by the candidate that ran just before (result.Run.After, the
// carry-over split the summary stores): the seed case's first timing
// after each switch differed, because the candidate before had just given
// the heap back to the kernel.
type orderRow struct {
	cand       string
	inter, iso *result.Run
	after      map[string]result.AfterSplit // by the candidate before; "" for no switch
}

// orderEffect returns the configuration with both interleaved and isolated
// runs (the baseline one when it has them), a row per candidate, and the
// candidates that appear as "ran before" in any row, in the order the
// summary keeps them.
func (f *facts) orderEffect() (string, []orderRow, []string) {
	for _, cfg := range f.configs {
		var rows []orderRow
		var prevs []string
		for _, c := range f.users {
			in := f.r.Run(c.Name, cfg, result.ModeInterleaved)
			is := f.r.Run(c.Name, cfg, result.ModeIsolated)
			if !ok(in) || !ok(is) {
				continue
			}
			row := orderRow{cand: c.Name, inter: in, iso: is, after: map[string]result.AfterSplit{}}
			for _, a := range in.After {
				row.after[a.After] = a
				if a.After != "" && !slices.Contains(prevs, a.After) {
					prevs = append(prevs, a.After)
				}
			}
			rows = append(rows, row)
		}
		if len(rows) > 0 {
			return cfg, rows, prevs
		}
	}
	return "", nil, nil
}

// best returns the configuration under which cand was fastest in the
// primary mode.
func (f *facts) best(cand string) (string, *result.Run) {
	var bc string
	var br *result.Run
	for _, cfg := range f.configs {
		run := f.r.Run(cand, cfg, f.mode)
		if !ok(run) {
			continue
		}
		if br == nil || run.Time.Median < br.Time.Median {
			bc, br = cfg, run
		}
	}
	return bc, br
}

// matrixCands are the candidates measured under more than one
// configuration: the columns of the allocator matrix. Code-fix candidates
// measured once are shown in the main table and the fixes instead.
func (f *facts) matrixCands() []*result.Candidate {
	var out []*result.Candidate
	for _, c := range f.all() {
		n := 0
		for _, cfg := range f.configs {
			if f.r.Run(c.Name, cfg, f.mode) != nil {
				n++
			}
		}
		if n > 1 || (!c.IsFix() && n > 0) {
			out = append(out, c)
		}
	}
	return out
}

// sourceOf names the pass a kind of number came from, as the run recorded
// it, falling back to where faultline always measures it.
func sourceOf(run *result.Run, kind, def string) string {
	if run != nil {
		if p, ok := run.Sources[kind]; ok && p != "" {
			return p
		}
	}
	return def
}
