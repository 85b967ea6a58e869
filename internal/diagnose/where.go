package diagnose

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
)

// The trace pass runs under the baseline. A configuration that makes a
// candidate slower, or widens the gap between the main pair, has a
// mechanism of its own, and until its syscalls are seen the finding about
// it can only say what such a configuration is known to do. TraceConfigs
// names the configurations worth a trace pass of their own, so that every
// finding about a configuration carries that configuration's evidence.

// traceConfigsMax bounds the extra trace passes: each costs a probe's
// start and a few iterations per candidate, or one run per command.
const traceConfigsMax = 2

// gapWidens is how much wider than under the baseline the main pair's gap
// must be under a configuration for the trace to look there.
const gapWidens = 1.25

// TraceConfigs returns the configurations, other than the baseline and
// not yet traced, under which a trace pass would show a mechanism the
// baseline's does not: those that make a user candidate slower (the rule
// of the config-regression finding) and the one where the main pair's gap
// is largest, if it is at least gapWidens wider than under the baseline
// and the slow side faults more there. At most traceConfigsMax, the
// largest slowdown or widening first.
func TraceConfigs(r *result.Result, s *summary.Summary) []string {
	if r == nil || s == nil {
		return nil
	}
	a := newAnalysis(r, s)
	score := map[string]float64{}
	for _, c := range a.configs() {
		if a.traced(c.Name) {
			continue
		}
		if hits := a.regressionHits(c, nil); len(hits) > 0 {
			score[c.Name] = hits[0].slow
		}
	}
	if pairs := a.pairs(); len(pairs) > 0 {
		p := pairs[0]
		base := a.ratio(p.slow, p.fast, a.base)
		widest, at := gapWidens*base, ""
		for _, c := range a.configs() {
			s, f := a.run(p.slow, c.Name), a.run(p.fast, c.Name)
			if a.traced(c.Name) || s == nil || f == nil || faults(s)-faults(f) < minFaultGap {
				continue
			}
			if g := a.ratio(p.slow, p.fast, c.Name); g >= widest && a.significantlySlower(p.slow, c.Name) {
				widest, at = g, c.Name
			}
		}
		if at != "" && base > 0 {
			score[at] = math.Max(score[at], widest/base)
		}
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

// minFaultGap is the fault difference per iteration below which a gap is
// not a memory mechanism worth tracing.
const minFaultGap = 64

// traced says whether a user candidate's run under cfg has syscalls.
func (a *analysis) traced(cfg string) bool {
	for _, c := range a.r.Candidates {
		if r := a.run(c.Name, cfg); !c.IsFix() && r != nil && r.PerIteration.Syscalls != nil {
			return true
		}
	}
	return false
}

// returned is the memory a run gives back to the kernel per iteration:
// munmap, brk shrinks, and madvise that drops pages (MADV_DONTNEED,
// MADV_FREE).
func returned(s *result.Syscalls) float64 {
	if s == nil {
		return 0
	}
	return s.UnmappedBytes + s.BrkShrinkBytes + s.AdviceBytes("MADV_DONTNEED") + s.AdviceBytes("MADV_FREE")
}

// returnCalls are the call kinds that give memory back, as the trace's
// sizes name them.
var returnCalls = []string{"madvise:MADV_DONTNEED", "madvise:MADV_FREE", "munmap", "brk-"}

// measuredReturn describes, from the trace under a configuration, how h's
// candidate gives memory back there and not under the baseline: the
// dominant call with its size and issuer. "" when the configuration's run
// has no trace, or returns no more than the baseline's (a regression of
// another kind).
func (a *analysis) measuredReturn(h regressionHit, cfg string) string {
	rs := h.r.PerIteration.Syscalls
	if rs == nil {
		return ""
	}
	bs := h.base.PerIteration.Syscalls
	got, had := returned(rs), returned(bs)
	// At least a huge page's worth, and a quarter of what the extra
	// faults bring back in.
	if got-had < math.Max(2<<20, 0.25*(faults(h.r)-faults(h.base))*a.page) {
		if bs != nil && had >= 2<<20 && math.Abs(got-had) <= 0.25*had && faults(h.base) > 0 && faults(h.r) >= 2*faults(h.base) {
			// The same memory goes back, and comes back in more faults:
			// smaller pages, or pages the kernel no longer pre-faults.
			return fmt.Sprintf("under %s %s returns about as much memory to the kernel as under %s (%s against %s %s) yet faults %s as often: the same memory comes back in smaller pieces",
				cfg, h.cand, a.base, fmtBytes(got), fmtBytes(had), a.per(), fmtRatio(faults(h.r)/faults(h.base)))
		}
		return ""
	}
	var top result.SizeCount
	for _, sc := range rs.Sizes {
		if slices.Contains(returnCalls, sc.Call) && float64(sc.Bytes)*sc.Per > float64(top.Bytes)*top.Per {
			top = sc
		}
	}
	under := fmt.Sprintf("under %s %s returns %s %s to the kernel (%s under %s)", cfg, h.cand, fmtBytes(got), a.per(), fmtBytes(had), a.base)
	if top.Call == "" {
		return under + " and faults it in again"
	}
	call := result.CallName(top.Call)
	calls := "calls"
	if math.Round(top.Per) == 1 {
		calls = "call"
	}
	s := fmt.Sprintf("%s, most of it in %s %s %s of %s", under, fmtCount(top.Per), call, calls, fmtBytes(float64(top.Bytes)))
	if is := rs.IssuedBy(top.Call); is != nil && is.CallerObject != "" {
		s += " from " + issuerCaller(is)
	}
	return s + ", and faults it in again"
}
