package diagnose

import (
	"fmt"
	"math"
	"slices"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/summary"
)

// The trace pass runs under the baseline. A configuration that makes a
// candidate slower, or widens the gap between the main pair, has a
// mechanism of its own, and until its syscalls are seen the finding about
// it can only say what such a configuration is known to do. Which of them
// to trace is the pipeline's decision (what to measure next); the facts it
// decides from are the diagnosis's, below.

// Regressing returns the configurations that make a user candidate
// slower by the rule of the config-regression finding, each with its
// largest slowdown (time under it over time under the baseline).
func Regressing(r *result.Result, s *summary.Summary) map[string]float64 {
	out := map[string]float64{}
	if r == nil || s == nil {
		return out
	}
	a := newAnalysis(r, s)
	for _, c := range a.configs() {
		if hits := a.regressionHits(c, nil); len(hits) > 0 {
			out[c.Name] = hits[0].slow
		}
	}
	return out
}

// Widening returns, for the main slow pair (the summary's first), each
// configuration under which the pair's gap is wider than under the
// baseline, with how much wider (its slow/fast ratio there over the
// baseline's), where the slow side is significantly slower than under the
// baseline and faults at least minFaultGap more than the fast side: a
// memory mechanism the baseline's trace does not show.
func Widening(r *result.Result, s *summary.Summary) map[string]float64 {
	out := map[string]float64{}
	if r == nil || s == nil {
		return out
	}
	a := newAnalysis(r, s)
	pairs := a.pairs()
	if len(pairs) == 0 {
		return out
	}
	p := pairs[0]
	base := a.ratio(p.slow, p.fast, a.base)
	if base <= 0 {
		return out
	}
	for _, c := range a.configs() {
		sr, fr := a.run(p.slow, c.Name), a.run(p.fast, c.Name)
		if sr == nil || fr == nil || faults(sr)-faults(fr) < minFaultGap {
			continue
		}
		if g := a.ratio(p.slow, p.fast, c.Name); g > base && a.significantlySlower(p.slow, c.Name) {
			out[c.Name] = g / base
		}
	}
	return out
}

// minFaultGap is the fault difference per iteration below which a gap is
// not a memory mechanism worth tracing.
const minFaultGap = stats.FaultFloor

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
