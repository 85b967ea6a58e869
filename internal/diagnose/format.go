package diagnose

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/units"
)

// fmtBytes prints a size the way the findings quote it: "7.6 MiB",
// "64.0 KiB", "512 B".
func fmtBytes(b float64) string {
	switch a := math.Abs(b); {
	case a >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	case a >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case a >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// fmtCount prints a per-iteration count: whole numbers with thousands
// separators ("1,319"), small fractions with one decimal ("0.4").
func fmtCount(v float64) string {
	if math.Abs(v) < 10 && math.Abs(v-math.Round(v)) >= 0.05 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	n := int64(math.Round(v))
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtRatio prints a ratio: "55.9x", "1.35x", "250x".
func fmtRatio(r float64) string {
	return units.Sig3(r) + "x"
}

// fmtPct prints a share as a whole percentage.
func fmtPct(x float64) string {
	return fmt.Sprintf("%.0f%%", x*100)
}

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
