// Package gate judges a comparison against limits, for CI: --fail-if
// 'time>+5%,faults>+10%,brk>+0.5,inconclusive' (docs/compare.md has the
// grammar).
//
// The two kinds of metric are judged differently because they behave
// differently. A time moves with the machine's noise, so a time limit is
// breached only by a change the verdict's test calls slower
// (stats.Infer, as the comparison computes it): a hand-rolled gate on
// raw timings fails a share of clean runs from noise alone. The counts
// (faults, memory syscalls, allocations per iteration) are nearly
// deterministic, so they are judged as they are, from one run per side,
// above a floor for faults (stats.FaultFloor), which a loaded machine
// moves a little.
// A gate passes only on evidence: a metric one side did not measure is a
// breach, said as such, never a silent pass.
package gate

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/compare"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/units"
)

// RuleInconclusive is the rule that fails a time change the samples do
// not decide (stats.Infer: neither slower, faster nor equivalent), so a
// gate passes only on an answer, never on too few samples.
const RuleInconclusive = "inconclusive"

// Rule is one limit: the metric may not rise by more than Limit.
type Rule struct {
	Metric string
	// Limit is a fraction (0.05 for +5%) when Relative, else an amount
	// per iteration in the metric's unit (seconds for time).
	Limit    float64
	Relative bool
	Text     string // as written
}

// Parse reads a comma-separated list of rules. Every mistake is one line
// that names the rule and what to write instead.
func Parse(expr string) ([]Rule, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, fmt.Errorf("--fail-if needs rules such as 'time>+5%%,faults>+10%%,brk>+0.5'")
	}
	var rules []Rule
	for _, part := range strings.Split(expr, ",") {
		r, err := parseRule(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("--fail-if %q: %w", strings.TrimSpace(part), err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func parseRule(s string) (Rule, error) {
	r := Rule{Text: s}
	if s == "" {
		return r, fmt.Errorf("an empty rule: separate rules with single commas")
	}
	if strings.EqualFold(s, RuleInconclusive) {
		r.Metric = RuleInconclusive
		return r, nil
	}
	i := strings.IndexAny(s, "<>=")
	if i < 0 {
		return r, fmt.Errorf("want METRIC>LIMIT, as in faults>+10%% or brk>+0.5")
	}
	name := strings.TrimSpace(s[:i])
	rest := s[i:]
	if !strings.HasPrefix(rest, ">") || strings.HasPrefix(rest, ">=") {
		return r, fmt.Errorf("only a rise is gated, with >: write %s>+LIMIT", name)
	}
	if _, ok := compare.LookupMetric(name); !ok && strings.ToLower(name) != compare.MetricTime {
		return r, fmt.Errorf("unknown metric %q (metrics: %s)", name, strings.Join(compare.MetricNames(), ", "))
	}
	r.Metric = canonical(name)
	lim := strings.TrimSpace(rest[1:])
	num, unit := splitUnit(strings.TrimPrefix(lim, "+"))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return r, fmt.Errorf("limit %q is not a number: write +10%% (relative) or +0.5 (per iteration)", lim)
	}
	if v < 0 || strings.HasPrefix(lim, "-") {
		return r, fmt.Errorf("limit %s is negative: a rule fails on a rise of more than its limit, so write a positive one", lim)
	}
	switch {
	case unit == "%":
		r.Limit, r.Relative = v/100, true
	case r.Metric == compare.MetricTime && unit == "":
		return r, fmt.Errorf("a time limit needs %% or a unit: +5%%, or +100us, +2ms, +1s")
	case r.Metric == compare.MetricTime:
		scale, ok := timeUnits[unit]
		if !ok {
			return r, fmt.Errorf("unknown time unit %q: want ns, us, ms or s", unit)
		}
		r.Limit = v * scale
	case unit != "":
		return r, fmt.Errorf("%s is a count per iteration: write +%s%% (relative) or +%s (absolute), no unit", r.Metric, num, num)
	default:
		r.Limit = v
	}
	return r, nil
}

var timeUnits = map[string]float64{"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1}

// splitUnit splits "10%" into "10" and "%", "2ms" into "2" and "ms".
func splitUnit(s string) (num, unit string) {
	i := len(s)
	for i > 0 && !strings.ContainsAny(s[i-1:i], "0123456789.") {
		i--
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i:])
}

func canonical(name string) string {
	if m, ok := compare.LookupMetric(name); ok {
		return m.Name
	}
	return compare.MetricTime
}

// Passes lists the diagnostic passes the rules need (result.PassTrace,
// result.PassAlloc), so a command can refuse --no-trace with a brk rule
// before it measures anything.
func Passes(rules []Rule) []string {
	var out []string
	for _, r := range rules {
		m, ok := compare.LookupMetric(r.Metric)
		if !ok || m.Pass == result.PassTiming {
			continue
		}
		dup := false
		for _, p := range out {
			dup = dup || p == m.Pass
		}
		if !dup {
			out = append(out, m.Pass)
		}
	}
	return out
}

// format prints a metric's value per iteration in its unit, as the report
// does (internal/units), except a count below 100 that is not whole: it
// keeps three significant digits (units.Sig3), the precision of a limit
// such as brk>+0.5, so a change just over it reads "+0.52", not "+0.5".
func format(metric string, v float64) string {
	if metric == compare.MetricTime {
		return units.Seconds(v)
	}
	m, _ := compare.LookupMetric(metric)
	if m != nil && m.Unit == "B" {
		return units.Bytes(v)
	}
	if v == math.Trunc(v) || math.Abs(v) >= 100 {
		return units.Count(v)
	}
	return units.Sig3(v)
}
