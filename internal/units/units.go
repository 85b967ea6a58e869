// Package units formats measured quantities for people, so the findings
// and every rendering of a result print the same number the same way.
package units

import (
	"math"
	"strconv"
)

// Seconds prints a duration with three significant digits in the unit that
// keeps it readable: "16.2 ms", "289 µs", "1.10 s". Three digits match the
// ratios printed beside the times, and a fourth would be below the noise of
// a shared machine's intervals.
func Seconds(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return "-"
	}
	if s == 0 {
		return "0 s"
	}
	unit, v := Scale(s)
	return Sig3(v) + " " + unit
}

// Scale returns the unit a duration of s seconds is written in (ns, µs,
// ms or s) and s in that unit.
func Scale(s float64) (string, float64) {
	switch a := math.Abs(s); {
	case a == 0:
		return "s", 0
	case a < 1e-6:
		return "ns", s * 1e9
	case a < 1e-3:
		return "µs", s * 1e6
	case a < 1:
		return "ms", s * 1e3
	}
	return "s", s
}

// Sig3 prints v with three significant digits and no exponent (at least
// the whole part of values of 100 and above).
func Sig3(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// TimeUnits are the units a user may fix durations in, by python -m
// timeit's names for them (its -u/--unit), with how they are written.
var TimeUnits = []struct{ Name, Symbol string }{
	{"nsec", "ns"}, {"usec", "µs"}, {"msec", "ms"}, {"sec", "s"},
}

// IsTimeUnit says whether name is one of TimeUnits.
func IsTimeUnit(name string) bool {
	for _, u := range TimeUnits {
		if u.Name == name {
			return true
		}
	}
	return false
}

// SecondsIn prints a duration in the unit named (one of TimeUnits) with
// three significant digits, or as Seconds does when the unit is "" or
// unknown.
func SecondsIn(s float64, unit string) string {
	scale := map[string]float64{"nsec": 1e9, "usec": 1e6, "msec": 1e3, "sec": 1}[unit]
	if scale == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return Seconds(s)
	}
	for _, u := range TimeUnits {
		if u.Name == unit {
			v := s * scale
			if math.Abs(v) < 1 {
				// Small in a fixed unit: significant digits, not zeros.
				return strconv.FormatFloat(v, 'g', 3, 64) + " " + u.Symbol
			}
			return Sig3(v) + " " + u.Symbol
		}
	}
	return Seconds(s)
}

// Bytes prints a size in binary units, the way the kernel and the
// allocators count it: "512 B", "64.0 KiB", "7.6 MiB", "256 MiB". Pages,
// huge pages and allocator thresholds are powers of two (4 KiB, 2 MiB,
// 128 KiB, 32 MiB), so in binary units they print as the round numbers
// their documentation gives, and a size beside one reads at a glance where
// a byte count ("33,738,752 bytes") needs counting. Below 1 KiB it prints
// whole bytes; above, one decimal below 100 of the unit and none from 100
// up (about three significant digits, like the times and ratios beside
// it). A size that rounds to 1024 of a unit moves up to the next ("1.0
// MiB", not "1024 KiB").
func Bytes(b float64) string {
	if math.IsNaN(b) || math.IsInf(b, 0) {
		return "-"
	}
	sign, a := "", math.Abs(b)
	if b < 0 && math.Round(a) > 0 {
		sign = "-"
	}
	names := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for ; math.Round(a) >= 1024 && i < len(names)-1; i++ {
		a /= 1024
	}
	if i == 0 || math.Round(a*10)/10 >= 100 {
		return sign + strconv.FormatFloat(a, 'f', 0, 64) + " " + names[i]
	}
	return sign + strconv.FormatFloat(a, 'f', 1, 64) + " " + names[i]
}

// Count prints a count, most often per iteration: whole numbers with
// thousands separators ("1,319", "32,830"); below 10, a count that is not
// close to whole with one decimal ("0.4", "2.5"), so an occasional event
// (0.4 faults an iteration) is not shown as 0 nor as 1; below 0.05, one
// significant digit ("0.01", "0.004"), so a count that is not zero never
// prints as "0". A count close to whole prints whole ("2", not "2.0").
func Count(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "-"
	case a == 0:
		return "0"
	case a < 1e-6:
		return strconv.FormatFloat(v, 'g', 1, 64)
	case a < 0.05:
		return strconv.FormatFloat(v, 'f', int(-math.Floor(math.Log10(a))), 64)
	case a < 10 && math.Abs(a-math.Round(a)) >= 0.05:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	s := strconv.FormatFloat(math.Round(a), 'f', 0, 64)
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if v < 0 {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Ratio prints a ratio of two measurements the way Sig3 prints the times
// beside it: "0.97x", "1.35x", "55.9x", "212x". A ratio of measurements
// is positive: "-" for one that is not (a side was not measured) or not
// finite.
func Ratio(x float64) string {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	return Sig3(x) + "x"
}

// Percent prints a share (0 to 1) as a whole percentage: "87%". A share
// comes from measurements with more noise than a percent, so a decimal
// would claim precision the numbers do not have.
func Percent(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	s := strconv.FormatFloat(f*100, 'f', 0, 64)
	if s == "-0" {
		s = "0"
	}
	return s + "%"
}
