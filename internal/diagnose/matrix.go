package diagnose

import (
	"cmp"
	"maps"
	"math"
	"slices"

	"github.com/faultline/faultline/internal/result"
)

// Thresholds of the matrix rules (docs/causes.md, "Reading the matrix").
const (
	// A configuration removes a fault gap when what is left of it is at
	// most this share of the gap under the baseline configuration.
	faultGapLeft = 0.1
	// A configuration "removes only this cause" when it does not slow the
	// fast candidate by more than this factor...
	fastSlowdownMax = 1.25
	// ...and a fix is verified only when it speeds the slow candidate up by
	// at least this factor without slowing the fast one by more than
	// fixFastSlowdownMax.
	fixSpeedupMin      = 1.1
	fixFastSlowdownMax = 1.5
	// Fixes whose speedup is within this factor of the best, or that leave
	// at most completeResidual of the gap, are ranked by how little they
	// change (a tunable before an allocator swap).
	nearBest         = 0.9
	completeResidual = 0.02
	// Removals whose shares of the gap differ by less than this are
	// equally good: the catalog's order decides between them.
	removalShareTie = 0.1
)

// removal is a configuration under which the fault gap of a pair
// disappears.
type removal struct {
	cfg     *result.Config
	s, f    *result.Run // the pair's runs under cfg
	gapWith float64     // slow - fast median under cfg
	share   float64     // share of the baseline gap that disappears
}

// faultGapRemoved reports whether, under cfg, the slow side faults no more
// than the fast side (up to faultGapLeft of the baseline difference).
func (a *analysis) faultGapRemoved(p *pair, s, f *result.Run) bool {
	d := faults(p.s) - faults(p.f)
	return faults(s)-faults(f) <= math.Max(1, faultGapLeft*d)
}

// removingConfig returns the configuration that best isolates the pair's
// fault mechanism: its fault gap is gone there. With equalise false the fast
// side must keep its speed (the slow side got faster: the mechanism was
// removed); with equalise true the gap must close by the fast side taking
// the faults the slow one takes (the work it deferred, or the huge pages it
// lost). Configurations that change the least (glibc tunables when the
// baseline is glibc) are preferred; among them the one removing the most.
func (a *analysis) removingConfig(p *pair, equalise bool) *removal {
	if faults(p.s)-faults(p.f) <= 0 {
		return nil
	}
	base := a.baseConfig()
	var rs []*removal
	for _, c := range a.configs() {
		s, f := a.run(p.slow, c.Name), a.run(p.fast, c.Name)
		if s == nil || f == nil || !a.faultGapRemoved(p, s, f) {
			continue
		}
		if equalise {
			rose := faults(f) - faults(p.f)
			if rose < 0.5*faults(s) || rose <= 0 {
				continue
			}
		} else if f.Time.Median > fastSlowdownMax*p.f.Time.Median || s.Time.Median >= p.s.Time.Median {
			continue
		}
		gw := s.Time.Median - f.Time.Median
		rs = append(rs, &removal{cfg: c, s: s, f: f, gapWith: gw, share: matrixShare(p.gap, gw)})
	}
	if len(rs) == 0 {
		return nil
	}
	// The least invasive kind first; within it the first in catalog order
	// whose share is within removalShareTie of the best: two tunings that
	// both remove the gap differ by noise, and picking by the last digit
	// made identical runs name different configurations.
	slices.SortStableFunc(rs, func(x, y *removal) int {
		return cmp.Compare(invasiveness(x.cfg, base), invasiveness(y.cfg, base))
	})
	least := invasiveness(rs[0].cfg, base)
	best := 0.0
	for _, r := range rs {
		if invasiveness(r.cfg, base) == least {
			best = math.Max(best, r.share)
		}
	}
	for _, r := range rs {
		if invasiveness(r.cfg, base) == least && r.share >= best-removalShareTie {
			return r
		}
	}
	return rs[0]
}

// envFixes returns a verified env fix for every configuration in the result
// under which the pair's fault gap is gone, the slow candidate is at least
// fixSpeedupMin faster and the fast one at most fixFastSlowdownMax slower.
func (a *analysis) envFixes(p *pair) []result.Fix {
	var out []result.Fix
	for _, c := range a.configs() {
		s, f := a.run(p.slow, c.Name), a.run(p.fast, c.Name)
		if s == nil || f == nil || s.Time.Median <= 0 || !a.faultGapRemoved(p, s, f) {
			continue
		}
		speedup := p.s.Time.Median / s.Time.Median
		if speedup < fixSpeedupMin || f.Time.Median > fixFastSlowdownMax*p.f.Time.Median {
			continue
		}
		out = append(out, a.envFix(c, p.slow, p.fast, speedup))
	}
	return out
}

func (a *analysis) envFix(c *result.Config, slow, fast string, speedup float64) result.Fix {
	return result.Fix{Kind: result.FixEnv, Change: fixChange(c, a.baseConfig()), Env: maps.Clone(c.Env), Verified: true,
		Config: c.Name, Ratio: round3(a.ratio(slow, fast, c.Name)), Speedup: round3(speedup)}
}

// unverifiedFix turns a proposal into the fix it would verify.
func (a *analysis) unverifiedFix(pr Proposal) result.Fix {
	if pr.Kind == KindCode {
		return result.Fix{Kind: result.FixCode, Change: pr.Why, Code: pr.Statement}
	}
	return result.Fix{Kind: result.FixEnv, Change: fixChange(pr.Config, a.baseConfig()), Env: maps.Clone(pr.Config.Env)}
}

// fixInvasiveness ranks a fix for sortFixes.
func (a *analysis) fixInvasiveness(fx result.Fix) int {
	switch fx.Kind {
	case result.FixEnv:
		if c := a.r.Config(fx.Config); c != nil {
			return invasiveness(c, a.baseConfig())
		}
		return invasiveness(&result.Config{Env: fx.Env}, a.baseConfig())
	case result.FixCode:
		return 1
	}
	return 3
}

// residual is the share of the pair's gap left with a verified fix (what
// remains between the slow side, or its rewrite, and the fast side), or
// NaN when it cannot be told.
func (a *analysis) residual(p *pair, fx result.Fix) float64 {
	if p == nil || !fx.Verified || p.gap <= 0 {
		return math.NaN()
	}
	if fx.Kind == result.FixCode {
		if x := a.run(fx.Config, a.base); x != nil {
			return (x.Time.Median - p.f.Time.Median) / p.gap
		}
		return math.NaN()
	}
	s, f := a.run(p.slow, fx.Config), a.run(p.fast, fx.Config)
	if s == nil || f == nil {
		return math.NaN()
	}
	return (s.Time.Median - f.Time.Median) / p.gap
}

// sortFixes orders fixes: verified first, best first, then unverified ones:
// env, code, benchmark-method. The best verified fixes are those that
// leave at most completeResidual of the pair's gap, or speed the slow
// candidate up within nearBest of the largest speedup; among them the least
// invasive comes first (a tunable before an allocator swap), then the
// smallest in memory, then the fastest. The others follow by speedup.
func (a *analysis) sortFixes(fixes []result.Fix, p *pair) {
	best := 0.0
	for _, fx := range fixes {
		if fx.Verified {
			best = math.Max(best, fx.Speedup)
		}
	}
	top := func(fx result.Fix) bool {
		return fx.Speedup >= nearBest*best || a.residual(p, fx) <= completeResidual
	}
	kindRank := map[string]int{result.FixEnv: 0, result.FixCode: 1, result.FixMethod: 2}
	slices.SortStableFunc(fixes, func(x, y result.Fix) int {
		if x.Verified != y.Verified {
			if x.Verified {
				return -1
			}
			return 1
		}
		if !x.Verified {
			return cmp.Compare(kindRank[x.Kind], kindRank[y.Kind])
		}
		nx, ny := top(x), top(y)
		if nx != ny {
			if nx {
				return -1
			}
			return 1
		}
		if nx {
			if c := cmp.Compare(a.fixInvasiveness(x), a.fixInvasiveness(y)); c != 0 {
				return c
			}
			if c := lessMemory(x, y); c != 0 {
				return c
			}
		}
		return cmp.Compare(y.Speedup, x.Speedup)
	})
}
