package diagnose

import (
	"math"

	"github.com/faultline/faultline/internal/units"
)

// fmtBytes, fmtCount, fmtRatio and fmtPct quote a quantity as every
// rendering of a result does (internal/units); the short names keep the
// findings' many Sprintf calls readable.
func fmtBytes(b float64) string { return units.Bytes(b) }
func fmtCount(v float64) string { return units.Count(v) }
func fmtRatio(r float64) string { return units.Ratio(r) }
func fmtPct(x float64) string   { return units.Percent(x) }

// round3 keeps derived figures (ratios, shares) at three decimals, so the
// JSON stays readable and stable.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func clamp01(v float64) float64 {
	switch {
	case math.IsNaN(v) || v < 0:
		return 0
	case v > 1:
		return 1
	}
	return v
}
