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
