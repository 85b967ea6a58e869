package report

import (
	"math"
	"slices"

	"github.com/faultline/faultline/internal/report/svg"
	"github.com/faultline/faultline/internal/result"
)

const (
	sweepLeft, sweepRight = 70.0, 16.0
	sweepTop, sweepPlotH  = 40.0, 220.0
	sweepBottom           = 40.0
)

// sweepChart plots m against ln's parameter; false when nothing along the
// line is a number or was measured.
func sweepChart(s *result.Sweep, ln sweepLine, m sweepMetric) (string, bool) {
	series := lineSeries(s, ln, m)
	var allX, allY []float64
	for _, sr := range series {
		allX, allY = append(allX, sr.xs...), append(allY, sr.ys...)
	}
	if len(allX) == 0 {
		return "", false
	}
	xs := sweepXAxis(allX)
	ys := sweepYAxis(allY, m.faults)
	H := sweepTop + sweepPlotH + sweepBottom
	d := svg.New(chartW, H, m.title+" against "+ln.param)
	d.Rect(0, 0, chartW, H, `fill="#ffffff"`)
	var labels []func()
	for _, c := range lineCliffs(s, ln) {
		x0, x1 := xs.Px(c.Below), xs.Px(c.Above)
		d.Group("")
		d.Title(oneLine(c.Summary))
		d.Rect(math.Min(x0, x1), sweepTop, math.Abs(x1-x0), sweepPlotH, `fill="#E69F00" fill-opacity="0.18"`)
		d.End()
		name := "cliff: " + c.Candidate
		if c.Threshold != nil && c.Threshold.Name != "" {
			name = c.Threshold.Name
		}
		// Above the grid, which is drawn over the bands.
		labels = append(labels, func() { d.Text((x0+x1)/2, sweepTop+12, svg.Middle, name, `fill="#8a5a00"`) })
	}
	axisY(d, ys, sweepLeft, chartW-sweepRight, m.label)
	for _, l := range labels {
		l()
	}
	sweepTicks(d, xs, s, ln)
	d.Text(chartW-sweepRight, H-6, svg.End, ln.param+scaleNote(xs), svg.A("fill", axisGrey))
	d.Text(sweepLeft, sweepTop-22, svg.Start, m.title+logNote(ys), svg.A("fill", axisGrey))
	x := sweepLeft + 260
	for _, sr := range series {
		d.Circle(x+5, 14, 4.5, svg.A("fill", sr.color))
		d.Text(x+14, 18, svg.Start, sr.cand, "")
		x += 24 + float64(7*len([]rune(sr.cand)))
	}
	for _, sr := range series {
		var pts [][2]float64
		for i := range sr.xs {
			pts = append(pts, [2]float64{xs.Px(sr.xs[i]), ys.Px(sr.ys[i])})
		}
		d.Polyline(pts, svg.Join(svg.A("stroke", sr.color), `stroke-width="2"`))
		for i, p := range pts {
			d.Group("")
			d.Title(sr.cand + " at " + ln.param + " = " + sr.texts[i] + ": " + m.value(sr.ys[i]))
			d.Circle(p[0], p[1], 3.5, svg.A("fill", sr.color))
			d.End()
		}
	}
	return d.String(), true
}

// logNote says when an axis is logarithmic, log(1+y) included.
func logNote(s svg.Scale) string {
	if _, ok := s.(svg.Log1p); ok {
		return " (log scale)"
	}
	return scaleNote(s)
}

// value prints a plotted number for a tooltip.
func (m sweepMetric) value(v float64) string {
	if m.faults {
		return fmtCount(v) + " minor faults per iteration"
	}
	return fmtTime(v) + " per iteration"
}

// sweepXAxis is logarithmic when the values are geometrically spaced.
func sweepXAxis(xs []float64) svg.Scale {
	lo, hi := slices.Min(xs), slices.Max(xs)
	p0, p1 := sweepLeft+20, chartW-sweepRight-20
	if geometric(xs) {
		return svg.Log{Lo: lo, Hi: hi, P0: p0, P1: p1}
	}
	if lo == hi {
		lo, hi = lo-1, hi+1
	}
	return svg.Linear{Lo: lo, Hi: hi, P0: p0, P1: p1}
}

// sweepYAxis is logarithmic when the values span more than 100x (a cliff
// of 50x would flatten everything below it on a linear axis); counts,
// which are often zero, then on log(1+y).
func sweepYAxis(ys []float64, counts bool) svg.Scale {
	p0, p1 := sweepTop+sweepPlotH, sweepTop
	hi := slices.Max(ys)
	lo := math.Inf(1)
	for _, y := range ys {
		if y > 0 {
			lo = math.Min(lo, y)
		}
	}
	switch {
	case counts && hi > 100*math.Max(lo, 1):
		return svg.Log1p{Hi: hi * 1.2, P0: p0, P1: p1}
	case !counts && lo > 0 && hi/lo > 100:
		a, b := svg.Domain(lo, hi)
		return svg.Log{Lo: a, Hi: b, P0: p0, P1: p1}
	case hi <= 0:
		hi = 1
	}
	return svg.Linear{Lo: 0, Hi: hi * 1.1, P0: p0, P1: p1}
}

// sweepTicks labels the measured values, as written, when they are few
// enough to read; else the scale's own ticks.
func sweepTicks(d *svg.Doc, xs svg.Scale, s *result.Sweep, ln sweepLine) {
	y0, y1 := sweepTop, sweepTop+sweepPlotH
	type tick struct {
		v    float64
		text string
	}
	var ticks []tick
	seen := map[float64]bool{}
	for _, idx := range ln.points {
		t := s.Points[idx].Text[ln.param]
		if v, ok := numberOf(s, ln.param, t); ok && !seen[v] {
			seen[v] = true
			ticks = append(ticks, tick{v, t})
		}
	}
	if len(ticks) > 12 {
		ticks = ticks[:0]
		for _, v := range xs.Ticks() {
			ticks = append(ticks, tick{v, svg.Count(v)})
		}
	}
	for _, t := range ticks {
		x := xs.Px(t.v)
		d.Line(x, y0, x, y1, svg.A("stroke", gridGrey))
		d.Text(x, y1+14, svg.Middle, t.text, svg.A("fill", axisGrey))
	}
}

// lineCliffs are the cliffs along ln: on its parameter, with the held
// parameters at ln's values.
func lineCliffs(s *result.Sweep, ln sweepLine) []result.Cliff {
	var out []result.Cliff
	for _, c := range s.Cliffs {
		if c.Parameter != ln.param {
			continue
		}
		match := true
		for k, v := range c.Others {
			match = match && ln.others[k] == v
		}
		if match {
			out = append(out, c)
		}
	}
	return out
}
