// Package cliff finds where a sweep's measurements jump between
// neighbouring values of a numeric parameter, and ties each jump to the
// allocator or kernel limit the traced sizes show crossing.
//
// Along one parameter (the others held), each user candidate under the
// baseline configuration has two series: minor faults per iteration and
// its time against the point's baseline candidate. Faults grow with the
// data a candidate touches, so a fault series is compared with its own
// proportional growth: a step from v1 to v2 is expected to scale faults by
// v2/v1, and only a jump four times beyond that (and by at least
// minFaultJump faults) is a cliff. Fault counts are the deterministic
// evidence; a time ratio moves with noise, so a ratio cliff needs a change
// of 1.5x and a significant comparison on its slow side.
package cliff

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/summary"
)

// Jump sizes. A fault cliff is faultFactor times beyond proportional
// growth and minFaultJump faults per iteration in absolute terms; faults
// below faultFloor count as faultFloor, so that 0 against 3 is not a
// cliff. A ratio cliff changes the ratio by ratioFactor.
const (
	faultFactor  = 4.0
	faultFloor   = 16.0
	minFaultJump = stats.FaultFloor
	ratioFactor  = 1.5
)

// Metrics a cliff can be found in.
const (
	MetricFaults = "minor_faults"
	MetricRatio  = "ratio"
)

// Sample is one candidate's figures at one point of a line.
type Sample struct {
	X      float64 // the parameter's value
	Text   string  // as written
	Point  int     // index into Sweep.Points
	Faults float64 // minor faults per iteration, baseline configuration
	Ratio  float64 // time against the point's baseline candidate
	Time   float64 // the candidate's median time (seconds per iteration)
	// Alone: the candidate is its point's baseline candidate, so its
	// ratio is 1 by definition and says nothing.
	Alone bool
	// Significant says the ratio's comparison is significant (true for
	// the baseline candidate itself, whose ratio is 1 by definition).
	Significant bool
}

// Line is one numeric parameter with the others held at Others.
type Line struct {
	Parameter string
	Others    map[string]string
	Points    []int // indexes into Sweep.Points, by increasing value
}

// Find returns the cliffs of every candidate along every line of doc, in
// the order of the lines, candidates and values. Thresholds are attributed
// from the points either side.
func Find(doc *result.Sweep) []result.Cliff {
	var out []result.Cliff
	for _, ln := range Lines(doc) {
		for _, cand := range candidates(doc, ln) {
			ss := Series(doc, ln, cand)
			for i := 1; i < len(ss); i++ {
				c, ok := Between(ss[i-1], ss[i])
				if !ok {
					continue
				}
				c.Parameter, c.Others, c.Candidate = ln.Parameter, ln.Others, cand
				below, above := doc.Points[ss[i-1].Point], doc.Points[ss[i].Point]
				c.Config = above.Result.BaselineConfig()
				c.Refined = below.Refine || above.Refine
				c.Threshold = Attribute(&c, below.Result, above.Result)
				c.VerifiedBy = verifiedBy(&c, ss[i-1], above.Result)
				c.Summary = oneLine(&c, ss[i-1], ss[i])
				out = append(out, c)
			}
		}
	}
	return explainRatios(out)
}

// explainRatios points a ratio cliff with no limit of its own to another
// candidate's cliff between the same values: the time ratio moves when
// the candidate it is measured against changes.
func explainRatios(cs []result.Cliff) []result.Cliff {
	for i := range cs {
		c := &cs[i]
		if c.Metric != MetricRatio || c.Threshold != nil {
			continue
		}
		for _, o := range cs {
			if o.Candidate != c.Candidate && o.Threshold != nil && o.Parameter == c.Parameter && o.Below == c.Below &&
				o.Above == c.Above && maps.Equal(o.Others, c.Others) {
				c.Summary += fmt.Sprintf("; %s changes here (%s)", o.Candidate, o.Threshold.Name)
				break
			}
		}
	}
	return cs
}

// Between says whether going from a to b (b the larger value) is a cliff,
// and returns it with Metric, Below, Above, Before and After set. A fault
// jump wins over a ratio jump at the same step: it is the cause's
// evidence, the ratio its effect.
func Between(a, b Sample) (result.Cliff, bool) {
	c := result.Cliff{Below: a.X, Above: b.X}
	switch {
	case FaultJump(a.X, a.Faults, b.X, b.Faults):
		c.Metric, c.Before, c.After = MetricFaults, a.Faults, b.Faults
	case RatioJump(a, b):
		c.Metric, c.Before, c.After = MetricRatio, a.Ratio, b.Ratio
	default:
		return c, false
	}
	return c, true
}

// FaultJump says whether faults go from fa at x1 to fb at x2 by much more
// than proportional growth, either way.
func FaultJump(x1, fa, x2, fb float64) bool {
	if x1 <= 0 || x2 <= 0 {
		return false
	}
	expected := fa * x2 / x1
	up := fb >= faultFactor*max(expected, faultFloor) && fb-expected >= minFaultJump
	down := expected >= faultFactor*max(fb, faultFloor) && expected-fb >= minFaultJump
	return up || down
}

// RatioJump says whether the time ratio changes by ratioFactor between a
// and b, with the slower side's comparison significant.
func RatioJump(a, b Sample) bool {
	if a.Ratio <= 0 || b.Ratio <= 0 {
		return false
	}
	slow := a
	if b.Ratio > a.Ratio {
		slow = b
	}
	return max(a.Ratio, b.Ratio)/min(a.Ratio, b.Ratio) >= ratioFactor && slow.Significant
}

// Lines returns every numeric parameter's lines: the points grouped by
// the other parameters' values, each sorted by the parameter's value.
// Refinement points, appended after the sweep's own, fall into place.
func Lines(doc *result.Sweep) []Line {
	var lines []Line
	for _, p := range doc.Parameters {
		groups := map[string]*Line{}
		var order []string
		numeric := true
		for i, pt := range doc.Points {
			if _, ok := number(pt, p.Name); !ok {
				numeric = false
				break
			}
			key, others := othersKey(pt, p.Name)
			if groups[key] == nil {
				groups[key] = &Line{Parameter: p.Name, Others: others}
				order = append(order, key)
			}
			groups[key].Points = append(groups[key].Points, i)
		}
		if !numeric {
			continue
		}
		for _, k := range order {
			ln := groups[k]
			sort.SliceStable(ln.Points, func(i, j int) bool {
				x, _ := number(doc.Points[ln.Points[i]], p.Name)
				y, _ := number(doc.Points[ln.Points[j]], p.Name)
				return x < y
			})
			lines = append(lines, *ln)
		}
	}
	return lines
}

// number is the point's value of the parameter, when it is a number.
func number(pt result.SweepPoint, name string) (float64, bool) {
	v, err := strconv.ParseFloat(pt.Values[name], 64)
	return v, err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
}

func othersKey(pt result.SweepPoint, name string) (string, map[string]string) {
	var names []string
	others := map[string]string{}
	for k, v := range pt.Values {
		if k != name {
			names = append(names, k)
			others[k] = v
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s=%q;", k, others[k])
	}
	if len(others) == 0 {
		others = nil
	}
	return b.String(), others
}

// candidates are the user candidates of the line's first measured point.
func candidates(doc *result.Sweep, ln Line) []string {
	for _, i := range ln.Points {
		if res := doc.Points[i].Result; res != nil {
			var names []string
			for _, c := range res.UserCandidates() {
				names = append(names, c.Name)
			}
			return names
		}
	}
	return nil
}

// Series is the candidate's samples along the line, at the points where
// it ran successfully under the baseline configuration.
func Series(doc *result.Sweep, ln Line, cand string) []Sample {
	var ss []Sample
	for _, i := range ln.Points {
		pt := doc.Points[i]
		s, ok := sampleAt(pt.Result, cand)
		if !ok {
			continue
		}
		s.X, _ = number(pt, ln.Parameter)
		s.Text, s.Point = pt.Text[ln.Parameter], i
		if s.Text == "" {
			s.Text = pt.Values[ln.Parameter]
		}
		ss = append(ss, s)
	}
	return ss
}

func sampleAt(res *result.Result, cand string) (Sample, bool) {
	if res == nil {
		return Sample{}, false
	}
	cfg, mode, refName := res.BaselineConfig(), res.PrimaryMode(), summary.Reference(res)
	run, ref := res.Run(cand, cfg, mode), res.Run(refName, cfg, mode)
	if !summary.Usable(run) || !summary.Usable(ref) {
		return Sample{}, false
	}
	s := Sample{Faults: run.PerIteration.MinorFaults, Ratio: run.Time.Median / ref.Time.Median, Time: run.Time.Median,
		Significant: true, Alone: cand == refName}
	if cmp := res.Comparison(cfg, mode, cand); cmp != nil && cmp.Other != cmp.Baseline {
		s.Significant = cmp.Significant
	}
	return s, true
}
