package cliff

import (
	"fmt"
	"strings"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
	"github.com/faultline/faultline/internal/units"
)

// oneLine is the cliff's one line: where, what jumps, and why. The
// verification is not in it: renderings show VerifiedBy their own way.
func oneLine(c *result.Cliff, a, b Sample) string {
	var s strings.Builder
	fmt.Fprintf(&s, "cliff for %s between %s = %s and %s", c.Candidate, c.Parameter, a.Text, b.Text)
	if c.Refined {
		s.WriteString(" (refined)")
	}
	switch c.Metric {
	case MetricFaults:
		fmt.Fprintf(&s, ": minor faults per iteration %s -> %s", units.Count(a.Faults), units.Count(b.Faults))
		if a.Alone && b.Alone {
			// The fastest candidate at both points (or the only one):
			// its own time says what the jump costs.
			fmt.Fprintf(&s, ", time %s -> %s", units.Seconds(a.Time), units.Seconds(b.Time))
		} else {
			fmt.Fprintf(&s, ", time %s -> %s", units.Ratio(a.Ratio), units.Ratio(b.Ratio))
		}
	default:
		fmt.Fprintf(&s, ": time %s -> %s the fastest candidate", units.Ratio(a.Ratio), units.Ratio(b.Ratio))
	}
	if t := c.Threshold; t != nil {
		src := t.Source
		if t.Reported != "" {
			src = "reported by the allocator, " + t.Reported
		}
		fmt.Fprintf(&s, "; %s crosses the %s (%s here, %s)", t.Quantity, t.Name, units.Bytes(t.Bytes), src)
	}
	return s.String()
}

// verifiedBy names the first experiment under which the jump is gone: at
// the point after the jump, the candidate's figure under that
// configuration is no cliff from the baseline's figure before it. Only a
// jump up (a slowdown that starts) is verified; refinement points run no
// experiments, so only measured points verify.
func verifiedBy(c *result.Cliff, near Sample, above *result.Result) string {
	if c.After < c.Before {
		return ""
	}
	ref := above.Run(summary.Reference(above), above.BaselineConfig(), above.PrimaryMode())
	for _, cfg := range above.Configs[1:] {
		run := above.Run(c.Candidate, cfg.Name, above.PrimaryMode())
		if !summary.Usable(run) {
			continue
		}
		if c.Metric == MetricFaults && !FaultJump(near.X, near.Faults, c.Above, run.PerIteration.MinorFaults) {
			return cfg.Name
		}
		if c.Metric == MetricRatio && summary.Usable(ref) && run.Time.Median/ref.Time.Median < near.Ratio*ratioFactor {
			return cfg.Name
		}
	}
	return ""
}
