package svg

import (
	"math"
	"strconv"
)

// Scale maps a data value onto a pixel range.
type Scale interface {
	// Px returns the pixel position of v.
	Px(v float64) float64
	// Ticks returns tick values inside the domain.
	Ticks() []float64
}

// Linear maps [Lo, Hi] onto [P0, P1] proportionally.
type Linear struct{ Lo, Hi, P0, P1 float64 }

// Px implements Scale.
func (s Linear) Px(v float64) float64 {
	if s.Hi == s.Lo {
		return (s.P0 + s.P1) / 2
	}
	return s.P0 + (v-s.Lo)/(s.Hi-s.Lo)*(s.P1-s.P0)
}

// Ticks returns about five "nice" values (1, 2 or 5 times a power of ten
// apart) inside the domain.
func (s Linear) Ticks() []float64 {
	span := s.Hi - s.Lo
	if span <= 0 {
		return []float64{s.Lo}
	}
	raw := span / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(s.Lo/step) * step; v <= s.Hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// Log maps [Lo, Hi] (both > 0) onto [P0, P1] logarithmically: used when
// values span decades (0.3 ms against 16 ms) so both stay readable.
type Log struct{ Lo, Hi, P0, P1 float64 }

// Px implements Scale; values <= 0 are drawn at the low end.
func (s Log) Px(v float64) float64 {
	if v <= 0 || s.Lo <= 0 || s.Hi <= s.Lo {
		return s.P0
	}
	return s.P0 + (math.Log10(v)-math.Log10(s.Lo))/(math.Log10(s.Hi)-math.Log10(s.Lo))*(s.P1-s.P0)
}

// Ticks returns the powers of ten in the domain, with 2x and 5x steps added
// when the domain spans fewer than 2.5 decades (so there are always a few).
func (s Log) Ticks() []float64 {
	if s.Lo <= 0 || s.Hi <= s.Lo {
		return nil
	}
	lo, hi := math.Floor(math.Log10(s.Lo)), math.Ceil(math.Log10(s.Hi))
	mults := []float64{1}
	if math.Log10(s.Hi/s.Lo) < 2.5 {
		mults = []float64{1, 2, 5}
	}
	var out []float64
	for e := lo; e <= hi; e++ {
		for _, m := range mults {
			v := m * math.Pow(10, e)
			if v >= s.Lo*(1-1e-9) && v <= s.Hi*(1+1e-9) {
				out = append(out, v)
			}
		}
	}
	return out
}

// Log1p is a logarithmic scale of 1+v, for counts that are often zero
// (page faults per iteration: 0 for the fast candidate, 1,319 for the slow
// one). Zero sits at P0.
type Log1p struct{ Hi, P0, P1 float64 }

// Px implements Scale.
func (s Log1p) Px(v float64) float64 {
	if v < 0 {
		v = 0
	}
	if s.Hi <= 0 {
		return s.P0
	}
	return s.P0 + math.Log10(1+v)/math.Log10(1+s.Hi)*(s.P1-s.P0)
}

// Ticks returns 0 and the powers of ten up to Hi.
func (s Log1p) Ticks() []float64 {
	out := []float64{0}
	for v := 1.0; v <= s.Hi*(1+1e-9); v *= 10 {
		out = append(out, v)
	}
	return out
}

// Domain returns a [lo, hi] range padded for a log axis: a little room on
// both sides, and at least a factor of 2 so a flat series is not a line on
// the border.
func Domain(lo, hi float64) (float64, float64) {
	if lo <= 0 || hi <= 0 {
		return 1, 10
	}
	lo, hi = lo/1.15, hi*1.15
	if hi/lo < 2 {
		m := math.Sqrt(lo * hi)
		lo, hi = m/math.Sqrt2, m*math.Sqrt2
	}
	return lo, hi
}

// Count formats a count for an axis label: 0, 1, 10, 100, 1k, 10k.
func Count(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}
