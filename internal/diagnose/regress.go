package diagnose

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/units"
)

// regressionMin is the slowdown from which a configuration is reported as
// making a candidate slower. Where the configuration at least doubles the
// candidate's faults (the mechanism is measured, not inferred), the
// finding is reported from regressionMinFaults: the slowdown of such a
// configuration moves with where each process's heap lands (the seed's
// numpy-nohuge measured 2.25-4.0x over five identical runs), and a finding
// must not come and go with it. Without a fault rise a slowdown under
// regressionSure is low confidence for the same reason.
const (
	regressionMin       = 2
	regressionMinFaults = 1.5
	regressionSure      = 3
)

// faultsRoseUnder reports whether a configuration at least doubled a
// run's faults (and by at least 8 per iteration).
func faultsRoseUnder(base, r *result.Run) bool {
	return faults(r) >= 2*faults(base) && faults(r)-faults(base) >= 8
}

// regressionHit is a user candidate that a configuration makes slower:
// slow times its baseline median.
type regressionHit struct {
	cand    string
	slow    float64
	base, r *result.Run
}

// regressionHits returns the user candidates c makes significantly
// slower, by at least regressionMin (regressionMinFaults where c doubled
// their faults), the most slowed first; candidates whose run under c is
// cited as evidence are left out.
func (a *analysis) regressionHits(c *result.Config, cited map[string]bool) []regressionHit {
	var hits []regressionHit
	for _, cand := range a.r.Candidates {
		if cand.IsFix() || cited[cand.Name+"|"+c.Name] {
			continue
		}
		b, rc := a.run(cand.Name, a.base), a.run(cand.Name, c.Name)
		if b == nil || rc == nil || b.Time.Median <= 0 {
			continue
		}
		min := float64(regressionMin)
		if faultsRoseUnder(b, rc) {
			min = regressionMinFaults
		}
		if s := rc.Time.Median / b.Time.Median; s >= min && a.significantlySlower(cand.Name, c.Name) {
			hits = append(hits, regressionHit{cand.Name, s, b, rc})
		}
	}
	slices.SortStableFunc(hits, func(x, y regressionHit) int { return cmp.Compare(y.slow, x.slow) })
	return hits
}

// regressions reports configurations that make a user candidate at least
// regressionMin times slower than the baseline configuration, significantly
// (Mann-Whitney U on the samples). They explain no part of a gap (Explains
// 0) but warn against a tempting fix: "try jemalloc" makes the seed case
// 35x slower for the fast candidate, and setting glibc's trim_threshold
// alone makes both slow. Runs that a cause finding already cites (the fast
// side paying for deferred work under an equalising configuration) are
// not reported again.
func (a *analysis) regressions(prev []*draft) []*draft {
	cited := map[string]bool{}
	for _, d := range prev {
		for _, c := range d.cites {
			cited[c] = true
		}
	}
	pairs := a.pairs()
	var out []*draft
	for _, c := range a.configs() {
		hits := a.regressionHits(c, cited)
		if len(hits) == 0 {
			continue
		}
		w := hits[0]
		d := &draft{group: 1, seconds: w.slow, f: result.Finding{Cause: ConfigRegression, Candidate: w.cand, Config: c.Name}}
		faultsRose := false
		for _, h := range hits {
			d.f.Evidence = append(d.f.Evidence,
				ev("median time "+a.per(), h.cand, a.base, h.base.Time.Median, "s", result.PassTiming),
				ev("median time "+a.per(), h.cand, c.Name, h.r.Time.Median, "s", result.PassTiming),
				ev("minor page faults "+a.per(), h.cand, a.base, faults(h.base), "faults", result.PassTiming),
				ev("minor page faults "+a.per(), h.cand, c.Name, faults(h.r), "faults", result.PassTiming))
			if faultsRoseUnder(h.base, h.r) {
				faultsRose = true
			}
			if s := h.r.PerIteration.Syscalls; s != nil {
				d.f.Evidence = append(d.f.Evidence,
					ev("mmap calls "+a.per(), h.cand, c.Name, s.Mmap, "calls", result.PassTrace),
					ev("madvise(MADV_DONTNEED) calls "+a.per(), h.cand, c.Name, s.Advice["MADV_DONTNEED"], "calls", result.PassTrace),
					ev("bytes returned to the kernel "+a.per(), h.cand, c.Name, returned(s), "B", result.PassTrace))
				if bs := h.base.PerIteration.Syscalls; bs != nil {
					d.f.Evidence = append(d.f.Evidence, ev("bytes returned to the kernel "+a.per(), h.cand, a.base, returned(bs), "B", result.PassTrace))
				}
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s makes %s %s slower (%s -> %s %s, %s minor faults %s instead of %s)",
			c.Name, w.cand, fmtRatio(w.slow), units.Seconds(w.base.Time.Median), units.Seconds(w.r.Time.Median), a.per(),
			fmtCount(faults(w.r)), a.per(), fmtCount(faults(w.base)))
		for _, h := range hits[1:] {
			fmt.Fprintf(&b, " and %s %s slower", h.cand, fmtRatio(h.slow))
		}
		// What the trace under c saw, then why c is known to do it.
		measured := a.measuredReturn(w, c.Name)
		if measured != "" {
			b.WriteString(": " + measured)
		}
		if m := regressionMechanism(c, faultsRose && measured == ""); m != "" {
			sep := ": "
			if measured != "" {
				sep = "; "
			}
			b.WriteString(sep + m)
		}
		b.WriteString("; not a fix here")
		d.f.Summary = b.String()
		switch {
		case faultsRose && w.slow >= regressionMin:
			d.f.Confidence = High
		case faultsRose || w.slow >= regressionSure && !a.busy(c.Name) && !a.busy(a.base):
			// Without a fault rise, a slowdown measured while the
			// machine was busy may be the neighbours' doing.
			d.f.Confidence = Medium
		default:
			d.f.Confidence = Low
		}

		// A configuration that keeps what c changes and undoes the
		// slowdown is a measured fix for users who want c.
		var pr *pair
		if len(pairs) > 0 {
			pr = pairs[0]
		}
		for _, c2 := range a.configs() {
			if c2.Name == c.Name || !extendsEnv(c2.Env, c.Env) {
				continue
			}
			r2 := a.run(w.cand, c2.Name)
			if r2 == nil || r2.Time.Median > 1.2*w.base.Time.Median {
				continue
			}
			fx := result.Fix{Kind: result.FixEnv, Change: "instead of " + c.Name + ": " + fixChange(c2, a.baseConfig()), Env: maps.Clone(c2.Env),
				Verified: true, Config: c2.Name, Speedup: round3(w.r.Time.Median / r2.Time.Median),
				OfBaseline: round3(r2.Time.Median / w.base.Time.Median)}
			if pr != nil {
				fx.Ratio = round3(a.ratio(pr.slow, pr.fast, c2.Name))
			}
			d.f.Fixes = append(d.f.Fixes, fx)
		}
		if len(d.f.Fixes) == 0 {
			t := alloc.Parse(c.Env)
			var prs []Proposal
			switch {
			case t.PurgesEagerly():
				if k, ok := alloc.Keep(*c); ok {
					prs = a.envProposal(ConfigRegression, k, "keep "+t.Allocator+" but stop it returning freed memory at once")
				}
			case t.FreezesDynamicThreshold():
				prs = a.envProposal(ConfigRegression, a.tuned(a.largestBlockAny()),
					"set glibc's mmap threshold together with the trim threshold, so large blocks stay in the heap")
			}
			d.proposals = a.uncovered(prs)
			for _, p := range d.proposals {
				d.f.Fixes = append(d.f.Fixes, a.unverifiedFix(p))
			}
		}
		out = append(out, d)
	}
	return out
}

// regressionMechanism names, from what a configuration changes, why it is
// known to make code like this slower.
func regressionMechanism(c *result.Config, faultsRose bool) string {
	t := alloc.Parse(c.Env)
	switch {
	case t.FreezesDynamicThreshold():
		var set []string
		for _, k := range []string{alloc.TunableTrimThreshold, alloc.TunableTopPad, alloc.TunableMmapMax} {
			if _, ok := t.Tunables[k]; ok {
				set = append(set, "glibc.malloc."+k)
			}
		}
		return "setting " + strings.Join(set, " and ") + " without mmap_threshold turns glibc's dynamic mmap threshold off at 128 KiB, so every large block is mmapped and faulted in again"
	case t.PurgesEagerly() && t.Allocator == alloc.Jemalloc:
		return "jemalloc (5.3) purges freed extents of 8 MiB or more at once with madvise(MADV_DONTNEED) unless page decay is off, and they fault again on reuse"
	case t.PurgesEagerly() && t.Allocator == alloc.Tcmalloc:
		return "tcmalloc's aggressive decommit returns every freed span to the kernel, and it faults again on reuse"
	case t.PurgesEagerly() && t.Allocator == alloc.Mimalloc:
		return "without a decommit delay mimalloc returns freed memory at once, and it faults again on reuse"
	case t.Other[alloc.VarNumPyHuge] == "0":
		return "without NumPy's huge-page advice every 4 KiB page of a large array faults on its own"
	case faultsRose:
		return "memory is returned to the kernel and faulted in again"
	}
	return ""
}

// extendsEnv reports whether env sets everything base sets (the same
// LD_PRELOAD, the same glibc tunable names, the same variables) and more.
func extendsEnv(env, base map[string]string) bool {
	te, tb := alloc.Parse(env), alloc.Parse(base)
	if te.Preload != tb.Preload || alloc.Equivalent(env, base) {
		return false
	}
	for k := range tb.Tunables {
		if _, ok := te.Tunables[k]; !ok {
			return false
		}
	}
	for k := range tb.Conf {
		if _, ok := te.Conf[k]; !ok {
			return false
		}
	}
	for k := range tb.Other {
		if _, ok := te.Other[k]; !ok {
			return false
		}
	}
	return true
}

// largestBlockAny is the largest block any user candidate allocates or
// maps per iteration under the baseline.
func (a *analysis) largestBlockAny() float64 {
	b := 0.0
	for _, c := range a.r.Candidates {
		if r := a.run(c.Name, a.base); r != nil {
			b = max(b, a.largestBlock(&pair{s: r, f: r}))
		}
	}
	return b
}
