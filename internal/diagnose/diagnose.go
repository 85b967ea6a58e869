package diagnose

import (
	"cmp"
	"slices"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/summary"
)

// Diagnose explains the significant differences in a measured result and
// returns its findings, most important first, with what memory management
// costs each user candidate (result.Tax, in candidate order), which the
// findings read. It reads r's records and their summary s (summary.Of)
// and changes neither; a result without a significant comparison yields
// no cause findings (a tax, an order effect or a configuration that made
// things slower can still be reported).
func Diagnose(r *result.Result, s *summary.Summary) ([]result.Finding, []result.Tax) {
	ds, taxes := analyse(r, s)
	out := make([]result.Finding, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.f)
	}
	return out, taxes
}

// analysis is the shared state of one diagnosis.
type analysis struct {
	r          *result.Result
	s          *summary.Summary
	base       string // the baseline configuration
	mode       string // the mode carrying the main comparison
	unit       string // what one iteration is (result.Result.Unit)
	page       float64
	cost       float64 // seconds per 4 KiB fault
	calibrated bool
}

// draft is a finding under construction.
type draft struct {
	f result.Finding
	// seconds is the time the cause accounts for (Explains x gap); findings
	// are ordered by it.
	seconds float64
	// faultBytes > 0 marks a fault-based cause: the bytes per iteration
	// its mechanism makes the slow side fault in again.
	faultBytes float64
	// maxFaults bounds the faults per iteration the mechanism can
	// produce (faultBytes in pages when 0): a finding claims no more.
	maxFaults float64
	signature bool
	p         *pair
	// cites lists candidate|config runs used as evidence that a
	// configuration equalises the two sides by slowing the fast one, so
	// they are not reported again as regressions.
	cites []string
	// proposals are experiments that would verify a fix for this cause.
	proposals []Proposal
	// group orders kinds of findings: causes (0) before regressions (1).
	group int
	// lowOnly caps the confidence at low: who issued the mechanism's
	// calls is inferred, not seen.
	lowOnly bool
	// rest is the summary after the party it names ("returns 8 MiB
	// ..."), for a finding that names the party anew.
	rest string
}

func newAnalysis(r *result.Result, s *summary.Summary) *analysis {
	a := &analysis{r: r, s: s, base: s.Config, mode: s.Mode, unit: r.Unit(), page: 4096}
	if r.Host.PageSize > 0 {
		a.page = float64(r.Host.PageSize)
	}
	a.cost, a.calibrated = r.Host.FaultCostSeconds, r.Host.FaultCostSeconds > 0
	if !a.calibrated {
		a.cost = FallbackFaultCost
	}
	a.cost *= a.busyStretch()
	return a
}

// busy says whether the machine was busy (load.Busy) during cfg's timing
// pass in the primary mode.
func (a *analysis) busy(cfg string) bool {
	l := a.r.TimingLoad(cfg, a.mode)
	return l != nil && l.IsBusy()
}

// maxStretch bounds busyStretch.
const maxStretch = 4

// busyStretch is how much longer than its CPU time the candidates' code
// took on a machine that was busy while timing (load.Busy), 1 on a quiet
// one. The fault cost is calibrated on CPU time, and the gap is elapsed
// time: on a busy machine a fault, like everything else, takes longer to
// come back, and a cost left at the quiet figure would hand the rest of
// a stretched gap to whatever cause explains "the remainder". Read from
// the user candidates' own timed samples under the baseline (elapsed
// over user+system time), within [1, maxStretch].
func (a *analysis) busyStretch() float64 {
	if !a.busy(a.base) {
		return 1
	}
	var wall, cpu float64
	for _, c := range a.r.UserCandidates() {
		run := a.r.Run(c.Name, a.base, a.mode)
		// A marking program's CPU time is per run, its time per marked
		// iteration: not comparable.
		if run == nil || run.CPU == nil || run.CPU.Per == result.UnitRun && run.Loops > 1 {
			continue
		}
		for _, s := range result.Timed(run.Samples) {
			wall += s.Seconds
			cpu += s.UserSeconds + s.SystemSeconds
		}
	}
	if wall <= 0 || cpu <= 0 {
		return 1
	}
	return min(maxStretch, max(1, wall/cpu))
}

func analyse(r *result.Result, s *summary.Summary) ([]*draft, []result.Tax) {
	if r == nil || s == nil {
		return nil, nil
	}
	a := newAnalysis(r, s)
	var ds []*draft
	for _, p := range a.pairs() {
		ds = append(ds, a.causes(p)...)
	}
	alone := a.aloneCauses()
	ds = append(ds, alone...)
	ds = append(ds, a.orderEffects(ds)...)
	demoteOrder(ds, alone)
	minorOrder(ds)
	ds = append(ds, a.regressions(ds)...)
	taxes := a.taxes()
	if d := a.sharedTax(taxes); d != nil {
		ds = append(ds, d)
	}
	for _, d := range ds {
		d.f.Explains = round3(clamp01(d.f.Explains))
		a.memoryCosts(d)
		if !d.f.Tax {
			a.sortFixes(d.f.Fixes, d.p)
		}
	}
	a.remainders(ds)
	slices.SortStableFunc(ds, func(x, y *draft) int {
		if c := cmp.Compare(x.group, y.group); c != 0 {
			return c
		}
		if c := cmp.Compare(y.seconds, x.seconds); c != 0 {
			return c
		}
		if c := cmp.Compare(confidenceRank(x.f.Confidence), confidenceRank(y.f.Confidence)); c != 0 {
			return c
		}
		return cmp.Compare(catalogRank(x.f.Cause), catalogRank(y.f.Cause))
	})
	shareGaps(ds)
	return ds, taxes
}

// shareGaps keeps the causes of one gap within it: each is measured on its
// own (faults at the calibrated cost, what a configuration removes), and
// mechanisms overlap, so a later finding, in the order of importance,
// claims at most what the earlier ones leave. A gap is a pair's under one
// configuration (the finding's Config): the extra buffer that remains
// once the trim is tuned away explains the gap under the tuned
// configuration, not the baseline's.
func shareGaps(ds []*draft) {
	type gap struct {
		p   *pair
		cfg string
	}
	used := map[gap]float64{}
	for _, d := range ds {
		if d.group != 0 || d.p == nil {
			continue
		}
		g := gap{d.p, d.f.Config}
		d.f.Explains = round3(min(d.f.Explains, max(0, 1-used[g])))
		used[g] += d.f.Explains
	}
}

// pair is one significant comparison: slow against fast under the baseline
// configuration in the primary mode.
type pair struct {
	slow, fast string
	s, f       *result.Run
	gap        float64 // seconds per iteration
	cmp        *result.Comparison
	// alone: the pair's runs are the isolated ones (alone.go).
	alone bool
	// loops is how many times each side's loop repeats per run, as
	// read from its per-process trace (repeat.go); 0 when not read.
	loops [2]float64
	// steps are the sizes of the slow side's growth by copying
	// (realloc-copy): its mapped steps are not blocks of their own.
	steps []float64
}

// pairs returns the significant comparisons between user candidates.
func (a *analysis) pairs() []*pair {
	var out []*pair
	for _, sp := range a.s.Pairs {
		slow, fast := sp.Slow, sp.Fast
		s, f := a.run(slow, a.base), a.run(fast, a.base)
		if s == nil || f == nil {
			continue
		}
		p := &pair{slow: slow, fast: fast, gap: s.Time.Median - f.Time.Median, cmp: sp.Comparison}
		p.s, p.loops[0] = a.withRepeating(s)
		p.f, p.loops[1] = a.withRepeating(f)
		out = append(out, p)
	}
	return out
}

// run returns the successful run of cand under cfg in the primary mode.
func (a *analysis) run(cand, cfg string) *result.Run {
	return a.runMode(cand, cfg, a.mode)
}

func (a *analysis) runMode(cand, cfg, mode string) *result.Run {
	r := a.r.Run(cand, cfg, mode)
	if !summary.Usable(r) {
		return nil
	}
	if c := a.r.Config(cfg); c != nil && c.Status != "" && c.Status != result.StatusOK {
		return nil
	}
	return r
}

// configs returns the configurations other than the baseline that ran.
func (a *analysis) configs() []*result.Config {
	var out []*result.Config
	for i := range a.r.Configs {
		c := &a.r.Configs[i]
		if c.Name == a.base || (c.Status != "" && c.Status != result.StatusOK) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func (a *analysis) baseConfig() *result.Config { return a.r.Config(a.base) }

// baseline is the baseline configuration (glibc with its defaults when the
// result lists none).
func (a *analysis) baseline() result.Config {
	if c := a.baseConfig(); c != nil {
		return *c
	}
	return result.Config{Name: a.base, Env: map[string]string{}}
}

// baseSettings are what the baseline runs: its real allocator, from the
// environment the user started faultline in.
func (a *analysis) baseSettings() alloc.Settings { return alloc.Parse(a.baseline().Env) }

// ratio is slow/fast under cfg: the comparison measure computed when fast
// is the baseline candidate, the ratio of medians otherwise.
func (a *analysis) ratio(slow, fast, cfg string) float64 {
	if c := a.s.Comparison(cfg, a.mode, slow); c != nil && c.Baseline == fast && c.Ratio > 0 {
		return c.Ratio
	}
	s, f := a.run(slow, cfg), a.run(fast, cfg)
	if s == nil || f == nil || f.Time.Median <= 0 {
		return 0
	}
	return s.Time.Median / f.Time.Median
}

// significantlySlower reports whether cand is significantly slower under
// cfg than under the baseline. It uses the time test (stats.Differ) when
// both runs kept them, non-overlapping intervals otherwise.
func (a *analysis) significantlySlower(cand, cfg string) bool {
	b, c := a.run(cand, a.base), a.run(cand, cfg)
	if b == nil || c == nil || c.Time.Median <= b.Time.Median {
		return false
	}
	bs, cs := b.TimedSeconds(), c.TimedSeconds()
	if len(bs) >= 3 && len(cs) >= 3 {
		return stats.Differ(bs, cs)
	}
	return c.Time.Low > b.Time.High
}

func (a *analysis) per() string { return "per " + a.unit }

func faults(r *result.Run) float64 {
	if r == nil {
		return 0
	}
	return r.PerIteration.MinorFaults
}

func ev(what, cand, cfg string, v float64, unit, pass string) result.Evidence {
	return result.Evidence{What: what, Candidate: cand, Config: cfg, Value: v, Unit: unit, Pass: pass}
}
