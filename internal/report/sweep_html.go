package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"

	"github.com/faultline/faultline/internal/report/svg"
	"github.com/faultline/faultline/internal/result"
)

// SweepHTML writes the sweep as one self-contained page, like HTML: for
// each line along a numeric parameter, time and minor faults per
// iteration against the parameter, a line per candidate, with the cliffs
// drawn as bands; the tables of SweepTerminal, each point's value linked
// to its findings, listed at the end.
func SweepHTML(w io.Writer, s *result.Sweep) error {
	p := &page{Doc: buildSweepDoc(s, true), CSS: template.CSS(htmlCSS), Figures: map[string][]figure{}}
	p.Title = p.Doc.Title.String()
	for i, ln := range sweepLines(s) {
		id := fmt.Sprintf("line-%d", i+1)
		p.Figures[id] = sweepFigures(s, ln, id)
	}
	return pageTmpl.Execute(w, p)
}

// sweepFigures are a line's two plots, none when its parameter is not
// numeric.
func sweepFigures(s *result.Sweep, ln sweepLine, id string) []figure {
	var out []figure
	for _, m := range []sweepMetric{metricTime, metricFaults} {
		svgText, ok := sweepChart(s, ln, m)
		if !ok {
			continue
		}
		out = append(out, figure{ID: id + "-" + m.id, Title: m.title + " against " + ln.param,
			Caption: "One line per candidate, under each point's baseline configuration in its primary mode. " +
				"A shaded band is a cliff: the metric jumps between the two values it spans.",
			SVG: template.HTML(svgText)})
	}
	return out
}

// sweepMetric is what a plot's y axis shows.
type sweepMetric struct {
	id, title string
	get       func(*result.Run) float64
	label     func(float64) string
	faults    bool // a count that may be zero: log(1+y) when it spans decades
}

var (
	metricTime = sweepMetric{id: "time", title: "Time per iteration",
		get: func(r *result.Run) float64 { return r.Time.Median }, label: fmtTimeAxis}
	metricFaults = sweepMetric{id: "faults", title: "Minor faults per iteration", faults: true,
		get: func(r *result.Run) float64 { return r.PerIteration.MinorFaults }, label: svg.Count}
)

// sweepSeries is one candidate's points along a line.
type sweepSeries struct {
	cand  string
	color string
	xs    []float64
	ys    []float64
	texts []string // the parameter as written, for tooltips
}

// numberOf returns the number a point's value of param is, if any.
func numberOf(s *result.Sweep, param, text string) (float64, bool) {
	for _, p := range s.Parameters {
		if p.Name != param {
			continue
		}
		for _, v := range p.Values {
			if v.Text == text && v.Number != nil {
				return *v.Number, true
			}
		}
	}
	return 0, false
}

// lineSeries collects each user candidate's values along ln, colours as in
// the points' own reports (user candidates in result order).
func lineSeries(s *result.Sweep, ln sweepLine, m sweepMetric) []sweepSeries {
	var out []sweepSeries
	at := map[string]int{}
	for _, idx := range ln.points {
		pt := s.Points[idx]
		x, isNum := numberOf(s, ln.param, pt.Text[ln.param])
		f := sweepFacts(pt)
		if !isNum || f == nil {
			continue
		}
		for ci, c := range f.users {
			run := f.r.Run(c.Name, f.baseCfg, f.mode)
			if !ok(run) {
				continue
			}
			j, seen := at[c.Name]
			if !seen {
				j = len(out)
				at[c.Name] = j
				out = append(out, sweepSeries{cand: c.Name, color: palette[ci%len(palette)]})
			}
			sr := &out[j]
			sr.xs, sr.ys = append(sr.xs, x), append(sr.ys, m.get(run))
			sr.texts = append(sr.texts, pt.Text[ln.param])
		}
	}
	return out
}

// geometric reports whether xs (in sweep order) are spaced by a roughly
// constant ratio, as --geometric makes them: then a log axis spaces them
// evenly.
func geometric(xs []float64) bool {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	xs = slices.Compact(xs)
	if len(xs) < 3 || xs[0] <= 0 {
		return false
	}
	first := xs[1] / xs[0]
	for i := 2; i < len(xs); i++ {
		if r := xs[i] / xs[i-1]; math.Abs(math.Log(r/first)) > math.Log(1.25) {
			return false
		}
	}
	return first > 1.5
}
