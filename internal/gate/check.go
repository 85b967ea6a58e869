package gate

import (
	"fmt"
	"strconv"

	"github.com/faultline/faultline/internal/compare"
	"github.com/faultline/faultline/internal/result"
)

// Breach is one rule that one candidate broke in one later file.
type Breach struct {
	Rule      Rule
	File      int // the later file, judged against the first
	Candidate int // index into the comparison's candidates
	Config    string
	Old, New  float64 // per iteration (time: medians, in seconds)
	// Missing says what was not measured, when the rule could not be
	// judged ("not measured in after.json"); Old and New are then 0.
	Missing string
	// Unpaired, when set, is a candidate of one file with no counterpart
	// in the other: the gate cannot judge it, which is a breach
	// (Candidate is then -1).
	Unpaired *compare.Unpaired
}

// Check judges every paired candidate of every later file against the
// first file under the first file's baseline configuration: what the
// user's program runs under. The experiments are there to explain a
// difference, and gating each of them would multiply the chances of a
// noisy time. A candidate without a counterpart cannot be judged: that is
// a breach of its own, since a gate that passes what it could not compare
// (a statement changed without a label) passes a change unseen.
func Check(c *compare.Comparison, rules []Rule) []Breach {
	var out []Breach
	if len(rules) > 0 {
		for i := range c.Unpaired {
			out = append(out, Breach{Rule: rules[0], File: max(c.Unpaired[i].File, c.Unpaired[i].Other), Candidate: -1,
				Config: c.Files[0].Baseline, Unpaired: &c.Unpaired[i]})
		}
	}
	cfgName := c.Files[0].Baseline
	for fi := 1; fi < len(c.Files); fi++ {
		for ci := range c.Candidates {
			cand := &c.Candidates[ci]
			if cand.Names[0] == "" || cand.Names[fi] == "" {
				continue
			}
			cfg := cand.Config(cfgName)
			for _, r := range rules {
				b := Breach{Rule: r, File: fi, Candidate: ci, Config: cfgName}
				if broke := judge(c, cfg, fi, &b); broke {
					out = append(out, b)
				}
			}
		}
	}
	return out
}

// judge fills b and says whether its rule is broken (or cannot be
// judged).
func judge(c *compare.Comparison, cfg *compare.Config, fi int, b *Breach) bool {
	if cfg == nil {
		b.Missing = "no run under " + b.Config
		return true
	}
	if b.Rule.Metric == compare.MetricTime || b.Rule.Metric == RuleInconclusive {
		tc := cfg.TimeChanges[fi-1]
		if tc == nil {
			b.Missing = missing(c, cfg.Time[0].N == 0, cfg.Time[fi].N == 0, fi, "no timed samples")
			return true
		}
		b.Old, b.New = cfg.Time[0].Median, cfg.Time[fi].Median
		if b.Rule.Metric == RuleInconclusive {
			return tc.Verdict == result.VerdictInconclusive
		}
		if !tc.Significant {
			return false
		}
		if b.Rule.Relative {
			return tc.Ratio-1 > b.Rule.Limit
		}
		return b.New-b.Old > b.Rule.Limit
	}
	mv := cfg.Metric(b.Rule.Metric)
	if mv == nil || mv.Changes[fi-1] == nil {
		why := "not measured"
		if m, ok := compare.LookupMetric(b.Rule.Metric); ok && m.Pass != result.PassTiming {
			why = "no " + m.Pass + " pass"
		}
		b.Missing = missing(c, mv == nil || mv.Values[0] == nil, mv == nil || mv.Values[fi] == nil, fi, why)
		return true
	}
	b.Old, b.New = *mv.Values[0], *mv.Values[fi]
	ch := mv.Changes[fi-1]
	if m, ok := compare.LookupMetric(b.Rule.Metric); ok && ch.Delta < m.Floor {
		return false
	}
	if ch.Overlap {
		// The processes of the two files overlap: the means moved with
		// the address-space layout, not with the program.
		return false
	}
	if b.Rule.Relative {
		return ch.Relative > b.Rule.Limit
	}
	return ch.Delta > b.Rule.Limit
}

func missing(c *compare.Comparison, inOld, inNew bool, fi int, why string) string {
	where := c.Files[fi].Path
	switch {
	case inOld && inNew:
		where = c.Files[0].Path + " and " + where
	case inOld:
		where = c.Files[0].Path
	}
	return "not measured in " + where + " (" + why + ")"
}

// Line is the breach in one line: the candidate, the metric, the old and
// the new value, the change and the rule, "B (func2) under glibc: faults
// 0 -> 777 per call (+777), over faults>+10%".
func (b *Breach) Line(c *compare.Comparison) string {
	if u := b.Unpaired; u != nil {
		name := u.Name
		if u.Label != "" && u.Label != u.Name {
			name += " (" + u.Label + ")"
		}
		return fmt.Sprintf("%s in %s has no counterpart in %s (candidates pair by label, or by statement or command): the gate cannot judge it; give both the same --label",
			name, c.Files[u.File].Path, c.Files[u.Other].Path)
	}
	who := c.Title(b.Candidate) + " under " + b.Config
	if len(c.Files) > 2 {
		who += " in " + c.Files[b.File].Path
	}
	if b.Missing != "" {
		return fmt.Sprintf("%s: %s %s: %s cannot pass", who, b.Rule.Metric, b.Missing, b.Rule.Text)
	}
	per := " per " + c.Files[b.File].Unit
	if b.Rule.Metric == RuleInconclusive {
		return fmt.Sprintf("%s: time %s -> %s%s is inconclusive (too few samples to tell a change from noise; raise --budget), under rule %s",
			who, format(compare.MetricTime, b.Old), format(compare.MetricTime, b.New), per, b.Rule.Text)
	}
	return fmt.Sprintf("%s: %s %s -> %s%s (%s), over %s", who, b.Rule.Metric,
		format(b.Rule.Metric, b.Old), format(b.Rule.Metric, b.New), per, b.change(), b.Rule.Text)
}

// change prints the change as the rule measures it.
func (b *Breach) change() string {
	d := b.New - b.Old
	if b.Rule.Relative {
		base := b.Old
		if b.Rule.Metric != compare.MetricTime {
			base = max(base, 1)
		}
		if base <= 0 {
			return "+" + format(b.Rule.Metric, d)
		}
		return "+" + strconv.FormatFloat(d/base*100, 'f', 1, 64) + "%"
	}
	return "+" + format(b.Rule.Metric, d)
}
