package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/units"
)

// fmtTime prints seconds as the findings do (units.Seconds), and "-" for a
// time that was not measured.
func fmtTime(s float64) string {
	if s <= 0 {
		return "-"
	}
	return units.Seconds(s)
}

// fmtTimeAxis prints an axis tick: the unit for the magnitude and no
// trailing zeros ("500 µs", "1 ms", "20 ms").
func fmtTimeAxis(s float64) string {
	unit, v := units.Scale(s)
	return strconv.FormatFloat(v, 'g', 3, 64) + " " + unit
}

// fmtPM prints an estimate's interval as benchstat does: the larger
// distance from the median to either end, in percent of the median. Without
// an interval (too few samples) it says so instead of printing ±0%.
func fmtPM(e result.Estimate) string {
	if e.Confidence == 0 || e.Median <= 0 {
		return "± ?"
	}
	d := math.Max(e.High-e.Median, e.Median-e.Low) / e.Median * 100
	if d < 1 {
		return "±" + strconv.FormatFloat(d, 'f', 1, 64) + "%"
	}
	return "±" + strconv.FormatFloat(d, 'f', 0, 64) + "%"
}

// fmtRatio, fmtCount, fmtBytes and fmtPct print a quantity as the
// findings do (internal/units); the short names keep the many table cells
// and lines that print them readable.
func fmtRatio(x float64) string { return units.Ratio(x) }
func fmtCount(v float64) string { return units.Count(v) }
func fmtBytes(b float64) string { return units.Bytes(b) }
func fmtPct(x float64) string   { return units.Percent(x) }

// fmtInterval prints a ratio's interval without the unit.
func fmtInterval(lo, hi float64) string {
	if lo <= 0 || hi <= 0 {
		return ""
	}
	return "[" + strings.TrimSuffix(fmtRatio(lo), "x") + ", " + strings.TrimSuffix(fmtRatio(hi), "x") + "]"
}

// fmtP prints a p-value the way benchstat does (three decimals).
func fmtP(p float64) string { return "p=" + strconv.FormatFloat(p, 'f', 3, 64) }

// fmtSeconds prints a wall-clock duration of a pass or a run: "38.4 s".
func fmtSeconds(s float64) string {
	if s >= 100 {
		return strconv.FormatFloat(s, 'f', 0, 64) + " s"
	}
	return strconv.FormatFloat(s, 'f', 1, 64) + " s"
}

// fmtValue prints an evidence value according to its unit.
func fmtValue(v float64, unit string) string {
	switch unit {
	case "s":
		// Evidence may be a negative duration (the gap that is left once
		// a mechanism is removed, when the slow side became the faster).
		if v < 0 {
			return units.Seconds(v)
		}
		return fmtTime(v)
	case "B", "bytes":
		return fmtBytes(v)
	case "x", "ratio":
		return fmtRatio(v)
	case "share", "fraction":
		return fmtPct(v)
	case "%":
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case "":
		return fmtCount(v)
	}
	return fmtCount(v) + " " + unit
}

// fmtStarted prints the start time in UTC to the minute.
func fmtStarted(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// fmtEnv prints an environment as VAR=value pairs in sorted order, so the
// output does not depend on map iteration.
func fmtEnv(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + env[k]
	}
	return strings.Join(parts, " ")
}

// fmtSize prints one syscall size entry: "brk +7.6 MiB x2", "MADV_HUGEPAGE
// 7.6 MiB x2".
func fmtSize(s result.SizeCount) string {
	var w string
	switch {
	case s.Call == "brk+":
		w = "brk +" + fmtBytes(float64(s.Bytes))
	case s.Call == "brk-":
		w = "brk -" + fmtBytes(float64(s.Bytes))
	case strings.HasPrefix(s.Call, "madvise:"):
		w = strings.TrimPrefix(s.Call, "madvise:") + " " + fmtBytes(float64(s.Bytes))
	case s.Call == "":
		w = fmtBytes(float64(s.Bytes))
	default:
		w = s.Call + " " + fmtBytes(float64(s.Bytes))
	}
	if s.Per != 1 {
		w += " x" + fmtCount(s.Per)
	}
	return w
}

// oneLine flattens user text for a table cell or a single report line.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n", "; ")
	s = strings.ReplaceAll(s, "\t", " ")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// label returns the candidate's label, or its code when it has none.
func label(c *result.Candidate) string {
	switch {
	case c == nil:
		return ""
	case c.Label != "":
		return oneLine(c.Label)
	case c.Statement != "":
		return oneLine(c.Statement)
	}
	return oneLine(strings.Join(c.Command, " "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
