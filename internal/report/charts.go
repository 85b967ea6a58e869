package report

import (
	"fmt"
	"math"
	"slices"

	"github.com/faultline/faultline/internal/report/svg"
	"github.com/faultline/faultline/internal/result"
)

// The HTML report's charts. Each returns one SVG document of a fixed size,
// so the page lays out without scripts and a test can screenshot each
// chart alone. Times use a log axis when they span more than a factor of
// three (the seed case: 0.3 ms against 16 ms), fault counts a log(1+x)
// axis (0 for the fast candidate, 1,319 for the slow one).

// palette is Okabe-Ito, distinguishable with the common colour-vision
// deficiencies and in greyscale print.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"}

func (f *facts) color(cand string) string {
	for i, c := range f.all() {
		if c.Name == cand {
			return palette[i%len(palette)]
		}
	}
	return "#777777"
}

const (
	chartW   = 960.0
	axisGrey = "#888888"
	gridGrey = "#e6e6e6"
)

// timeAxis picks the scale for a set of positive times.
func timeAxis(lo, hi, p0, p1 float64) svg.Scale {
	if lo > 0 && hi/lo > 3 {
		a, b := svg.Domain(lo, hi)
		return svg.Log{Lo: a, Hi: b, P0: p0, P1: p1}
	}
	pad := (hi - lo) * 0.15
	if pad == 0 {
		pad = hi * 0.05
	}
	return svg.Linear{Lo: math.Max(0, lo-pad), Hi: hi + pad, P0: p0, P1: p1}
}

// segment is one process's samples on the timeline.
type segment struct {
	title string
	runs  []*result.Run
	lo    int // smallest Seq
	n     int // Seq span
}

// timelineSegments returns the processes measured under cfg: the
// interleaved (or process-mode) one, then each isolated run.
func (f *facts) timelineSegments(cfg string) []segment {
	var segs []segment
	mk := func(title string, runs []*result.Run) {
		lo, hi, any := 0, 0, false
		for _, run := range runs {
			for _, s := range run.Samples {
				if !any || s.Seq < lo {
					lo = s.Seq
				}
				if !any || s.Seq > hi {
					hi = s.Seq
				}
				any = true
			}
		}
		if any {
			segs = append(segs, segment{title: title, runs: runs, lo: lo, n: hi - lo + 1})
		}
	}
	if f.mode == result.ModeProcess {
		mk("one process per run, in run order", f.runsIn(cfg, result.ModeProcess))
	} else {
		// Code-fix candidates ran in a process of their own.
		var shared, fixes []*result.Run
		for _, run := range f.runsIn(cfg, result.ModeInterleaved) {
			if c := f.r.Candidate(run.Candidate); c != nil && c.IsFix() {
				fixes = append(fixes, run)
			} else {
				shared = append(shared, run)
			}
		}
		mk("interleaved in one process", shared)
		for _, run := range fixes {
			mk(run.Candidate+" (own process)", []*result.Run{run})
		}
	}
	for _, run := range f.runsIn(cfg, result.ModeIsolated) {
		title := run.Candidate + " alone"
		if n := len(run.ProcessFaults); n > 1 {
			title = fmt.Sprintf("%s alone (%d processes)", run.Candidate, n)
		}
		mk(title, []*result.Run{run})
	}
	return segs
}

// Timeline geometry: a time panel above a faults panel, and tlSegGap empty
// sample slots between two processes.
const (
	tlLeft, tlRight           = 70.0, 16.0
	tlTop                     = 56.0
	tlTimeH, tlGap, tlFaultsH = 190.0, 34.0, 110.0
	tlBottom                  = 30.0
	tlSegGap                  = 4
	tlFaultsTop               = tlTop + tlTimeH + tlGap
	tlHeight                  = tlTop + tlTimeH + tlGap + tlFaultsH + tlBottom
)

// timeline is one timeline chart while it is drawn: its processes, its
// scales and the document they are drawn on.
type timeline struct {
	f    *facts
	d    *svg.Doc
	segs []segment
	xs   svg.Linear // sample slot to x
	ys   svg.Scale  // seconds per iteration to y in the time panel
	fs   svg.Log1p  // minor faults per iteration to y in the faults panel
}

// timelineChart draws every sample under cfg in the order it was taken:
// time per iteration on top, minor faults per iteration below, so a spike
// on the first sample after a switch between candidates, or during
// warm-up, is visible next to the faults that caused it.
func (f *facts) timelineChart(cfg string) (string, bool) {
	segs := f.timelineSegments(cfg)
	if len(segs) == 0 {
		return "", false
	}
	lo, hi, maxF := sampleRange(segs)
	if hi == 0 {
		return "", false
	}
	t := &timeline{f: f, segs: segs,
		xs: svg.Linear{Lo: -0.5, Hi: float64(timelineSlots(segs)) - 0.5, P0: tlLeft, P1: chartW - tlRight},
		ys: timeAxis(lo, hi, tlTop+tlTimeH, tlTop),
		fs: svg.Log1p{Hi: math.Max(maxF*1.2, 1), P0: tlFaultsTop + tlFaultsH, P1: tlFaultsTop},
	}
	t.d = svg.New(chartW, tlHeight, "timeline of every sample under "+cfg)
	t.d.Rect(0, 0, chartW, tlHeight, `fill="#ffffff"`)
	t.legend()
	t.axes()
	off := 0
	for i, sg := range segs {
		if i > 0 {
			off += tlSegGap
			t.separator(off)
		}
		t.drawSegment(sg, off)
		off += sg.n
	}
	return t.d.String(), true
}

// timelineSlots is the width of the x axis in samples: every segment's
// span plus the gaps between them.
func timelineSlots(segs []segment) int {
	units := 0
	for i, s := range segs {
		if i > 0 {
			units += tlSegGap
		}
		units += s.n
	}
	return units
}

// sampleRange returns the smallest and largest positive time and the
// largest fault count of the samples in segs, which the axes must span.
func sampleRange(segs []segment) (lo, hi, maxF float64) {
	lo = math.Inf(1)
	for _, sg := range segs {
		for _, run := range sg.runs {
			for _, s := range run.Samples {
				if s.Seconds > 0 {
					lo, hi = math.Min(lo, s.Seconds), math.Max(hi, s.Seconds)
				}
				maxF = math.Max(maxF, s.MinorFaults)
			}
		}
	}
	return lo, hi, maxF
}

// sampleMarkers reports whether any sample in segs was the first after a
// switch between candidates, and whether any was a warm-up sample: the
// legend shows only the marker shapes that occur.
func sampleMarkers(segs []segment) (switched, warm bool) {
	for _, sg := range segs {
		for _, run := range sg.runs {
			for _, s := range run.Samples {
				switched = switched || s.After != ""
				warm = warm || s.Warmup
			}
		}
	}
	return switched, warm
}

// legend names the candidates drawn, then the marker shapes that occur.
func (t *timeline) legend() {
	switched, warm := sampleMarkers(t.segs)
	d, x := t.d, tlLeft
	for _, c := range t.f.all() {
		if !segsHave(t.segs, c.Name) {
			continue
		}
		d.Circle(x+5, 14, 4.5, svg.A("fill", t.f.color(c.Name)))
		d.Text(x+14, 18, svg.Start, c.Name, "")
		x += 24 + float64(7*len([]rune(c.Name)))
	}
	x += 16
	d.Circle(x+5, 14, 3, `fill="#555555"`)
	d.Text(x+13, 18, svg.Start, "sample", "")
	x += 64
	if switched {
		d.Circle(x+5, 14, 4.5, `fill="#555555" stroke="#D55E00" stroke-width="2"`)
		d.Text(x+14, 18, svg.Start, "first after a switch (ring: the candidate that ran before)", "")
		x += 330
	}
	if warm {
		d.Circle(x+5, 14, 3.5, `fill="#ffffff" stroke="#555555" stroke-width="1.4"`)
		d.Text(x+14, 18, svg.Start, "warm-up (not summarised)", "")
	}
}

// axes titles the two panels and draws their grid lines and labels.
func (t *timeline) axes() {
	per := t.f.r.Unit()
	t.d.Text(tlLeft, tlTop-8, svg.Start, "time per "+per+scaleNote(t.ys), `font-weight="600"`)
	t.d.Text(tlLeft, tlFaultsTop-8, svg.Start, "minor page faults per "+per+" (log 1+x)", `font-weight="600"`)
	axisY(t.d, t.ys, tlLeft, chartW-tlRight, fmtTimeAxis)
	axisY(t.d, t.fs, tlLeft, chartW-tlRight, svg.Count)
}

// separator draws the dashed line in the gap that ends at slot off, between
// two processes.
func (t *timeline) separator(off int) {
	sep := t.xs.Px(float64(off) - float64(tlSegGap)/2 - 0.5)
	t.d.Line(sep, tlTop-4, sep, tlFaultsTop+tlFaultsH, `stroke="#bbbbbb" stroke-dasharray="3 3"`)
}

// drawSegment draws one process's samples from slot off on: its title
// below the axis, its warm-up shading, then each run's lines and markers.
func (t *timeline) drawSegment(sg segment, off int) {
	px := func(seq int) float64 { return t.xs.Px(float64(off + seq - sg.lo)) }
	t.d.Text((px(sg.lo)+px(sg.lo+sg.n-1))/2, tlFaultsTop+tlFaultsH+18, svg.Middle, sg.title, `fill="#555555"`)
	t.shadeWarmup(sg, px)
	for _, run := range sg.runs {
		t.drawRun(run, px)
	}
}

// shadeWarmup shades the warm-up samples: each stretch of consecutive ones
// (a segment made of several processes has one per process).
func (t *timeline) shadeWarmup(sg segment, px func(int) float64) {
	var warmSeqs []int
	for _, run := range sg.runs {
		for _, s := range run.Samples {
			if s.Warmup {
				warmSeqs = append(warmSeqs, s.Seq)
			}
		}
	}
	slices.Sort(warmSeqs)
	for i := 0; i < len(warmSeqs); {
		j := i
		for j+1 < len(warmSeqs) && warmSeqs[j+1] <= warmSeqs[j]+1 {
			j++
		}
		x0, x1 := px(warmSeqs[i])-4, px(warmSeqs[j])+4
		t.d.Rect(x0, tlTop, x1-x0, tlTimeH, `fill="#f2f2f2"`)
		t.d.Rect(x0, tlFaultsTop, x1-x0, tlFaultsH, `fill="#f2f2f2"`)
		i = j + 1
	}
}

// drawRun joins a run's samples in Seq order with a faint line in each
// panel, then marks every sample in both.
func (t *timeline) drawRun(run *result.Run, px func(int) float64) {
	col := t.f.color(run.Candidate)
	samples := slices.Clone(run.Samples)
	slices.SortFunc(samples, func(a, b result.Sample) int { return a.Seq - b.Seq })
	var tl, fl [][2]float64
	for _, s := range samples {
		tl = append(tl, [2]float64{px(s.Seq), t.ys.Px(s.Seconds)})
		fl = append(fl, [2]float64{px(s.Seq), t.fs.Px(s.MinorFaults)})
	}
	t.d.Polyline(tl, svg.Join(svg.A("stroke", col), `stroke-width="1" opacity="0.35"`))
	t.d.Polyline(fl, svg.Join(svg.A("stroke", col), `stroke-width="1" opacity="0.35"`))
	for _, s := range samples {
		t.marker(run.Candidate, col, s, px(s.Seq))
	}
}

// marker draws one sample at x in both panels, with a tooltip; its shape
// says whether it was a warm-up or the first after a switch.
func (t *timeline) marker(cand, col string, s result.Sample, x float64) {
	tip := fmt.Sprintf("%s #%d, round %d: %s, %s minor faults per iteration", cand, s.Seq, s.Round, fmtTime(s.Seconds), fmtCount(s.MinorFaults))
	if s.After != "" {
		tip += ", right after " + s.After
	}
	if s.Warmup {
		tip += " (warm-up)"
	}
	for _, y := range []float64{t.ys.Px(s.Seconds), t.fs.Px(s.MinorFaults)} {
		t.d.Group("")
		t.d.Title(tip)
		switch {
		case s.Warmup:
			t.d.Circle(x, y, 3.5, svg.Join(`fill="#ffffff"`, svg.A("stroke", col), `stroke-width="1.4"`))
		case s.After != "":
			// The ring takes the colour of the candidate that
			// ran before, so "A right after B" stands out from
			// "A right after B-fix".
			t.d.Circle(x, y, 4.5, svg.Join(svg.A("fill", col), svg.A("stroke", t.f.color(s.After)), `stroke-width="2"`))
		default:
			t.d.Circle(x, y, 3, svg.A("fill", col))
		}
		t.d.End()
	}
}

func segsHave(segs []segment, cand string) bool {
	for _, s := range segs {
		for _, r := range s.runs {
			if r.Candidate == cand && len(r.Samples) > 0 {
				return true
			}
		}
	}
	return false
}

func scaleNote(s svg.Scale) string {
	if _, ok := s.(svg.Log); ok {
		return " (log scale)"
	}
	return ""
}

// axisY draws horizontal grid lines with labels at the scale's ticks.
func axisY(d *svg.Doc, s svg.Scale, x0, x1 float64, label func(float64) string) {
	for _, v := range s.Ticks() {
		y := s.Px(v)
		d.Line(x0, y, x1, y, svg.A("stroke", gridGrey))
		d.Text(x0-6, y+4, svg.End, label(v), svg.A("fill", axisGrey))
	}
}

// axisX draws vertical grid lines with labels below y.
func axisX(d *svg.Doc, s svg.Scale, y0, y1 float64, label func(float64) string) {
	for _, v := range s.Ticks() {
		x := s.Px(v)
		d.Line(x, y0, x, y1, svg.A("stroke", gridGrey))
		d.Text(x, y1+14, svg.Middle, label(v), svg.A("fill", axisGrey))
	}
}

// distRow is one candidate under one configuration and mode.
type distRow struct {
	group string // configuration (and mode)
	run   *result.Run
	fail  string // configuration failure, no run
}

func (f *facts) distRows() []distRow {
	var rows []distRow
	for _, cfg := range f.configs {
		if st, reason := f.configStatus(cfg); st != result.StatusOK {
			rows = append(rows, distRow{group: cfg, fail: st + ": " + oneLine(reason)})
			continue
		}
		for _, run := range f.runsIn(cfg, f.mode) {
			if ok(run) {
				rows = append(rows, distRow{group: cfg, run: run})
			}
		}
		for _, run := range f.runsIn(cfg, result.ModeIsolated) {
			if ok(run) && f.mode != result.ModeIsolated {
				rows = append(rows, distRow{group: cfg + " · alone", run: run})
			}
		}
	}
	return rows
}

// distChart is a strip plot: every timed sample of each candidate under
// each configuration as a dot, the median as a bar and its confidence
// interval as a line, on one shared axis so configurations compare at a
// glance.
func (f *facts) distChart() (string, bool) {
	rows := f.distRows()
	if len(rows) == 0 {
		return "", false
	}
	const (
		left, right = 190.0, 20.0
		top, rowH   = 30.0, 20.0
		groupGap    = 10.0
		bottom      = 40.0
	)
	lo, hi := math.Inf(1), 0.0
	for _, r := range rows {
		if r.run == nil {
			continue
		}
		for _, v := range r.run.TimedSeconds() {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		lo, hi = math.Min(lo, r.run.Time.Low), math.Max(hi, r.run.Time.High)
	}
	if hi == 0 {
		return "", false
	}
	// Row positions, with a gap between configurations.
	ys := make([]float64, len(rows))
	y := top
	for i, r := range rows {
		if i > 0 && r.group != rows[i-1].group {
			y += groupGap
		}
		ys[i] = y + rowH/2
		y += rowH
	}
	H := y + bottom
	xs := timeAxis(lo, hi, left, chartW-right)
	d := svg.New(chartW, H, "distribution of the time per iteration for each candidate and configuration")
	d.Rect(0, 0, chartW, H, `fill="#ffffff"`)
	per := f.r.Unit()
	d.Text(left, 16, svg.Start, "time per "+per+", every timed sample"+scaleNote(xs)+"; bar: median, line: 95% confidence interval", `font-weight="600"`)
	axisX(d, xs, top-4, y, fmtTimeAxis)
	for i, r := range rows {
		cy := ys[i]
		if i == 0 || r.group != rows[i-1].group {
			d.Text(left-60, cy+4, svg.End, r.group, "")
		}
		if r.run == nil {
			d.Text(left+6, cy+4, svg.Start, r.fail, `fill="#b42318"`)
			continue
		}
		col := f.color(r.run.Candidate)
		d.Text(left-8, cy+4, svg.End, r.run.Candidate, svg.Join(svg.A("fill", col), `font-weight="600"`))
		for j, v := range r.run.TimedSeconds() {
			// Deterministic jitter so equal values do not hide each other.
			jit := float64((j*7919)%11-5) * 0.9
			d.Circle(xs.Px(v), cy+jit, 2.3, svg.Join(svg.A("fill", col), `fill-opacity="0.55"`))
		}
		e := r.run.Time
		if e.Confidence > 0 {
			d.Line(xs.Px(e.Low), cy, xs.Px(e.High), cy, `stroke="#111111" stroke-width="1.4"`)
		}
		m := xs.Px(e.Median)
		d.Group("")
		d.Title(fmt.Sprintf("%s under %s: median %s %s, n=%d", r.run.Candidate, r.group, fmtTime(e.Median), fmtPM(e), e.N))
		d.Line(m, cy-7, m, cy+7, `stroke="#111111" stroke-width="2.5"`)
		d.End()
	}
	return d.String(), true
}

// heatColor maps a ratio onto a diverging scale: white at 1, red when the
// candidate is slower than the baseline, green when faster, saturating at
// 64x either way (log2 steps, since 2x and 50x both matter).
func heatColor(ratio float64) (fill string, dark bool) {
	t := math.Log2(ratio) / 6
	t = math.Max(-1, math.Min(1, t))
	lerp := func(a, b float64) float64 { return a + (b-a)*math.Abs(t) }
	var r, g, b float64
	if t >= 0 {
		r, g, b = lerp(255, 178), lerp(255, 24), lerp(255, 43)
	} else {
		r, g, b = lerp(255, 26), lerp(255, 120), lerp(255, 60)
	}
	return fmt.Sprintf("#%02x%02x%02x", int(r), int(g), int(b)), math.Abs(t) > 0.55
}

// heatmap shows every candidate's ratio to the baseline candidate under
// each configuration: which allocator makes the gap vanish, which makes
// both slow, which failed.
func (f *facts) heatmap() (string, bool) {
	if len(f.configs) < 2 {
		return "", false
	}
	var cols []*result.Candidate
	for _, c := range f.all() {
		if c.Name == f.base {
			continue
		}
		for _, cfg := range f.configs {
			if f.r.Comparison(cfg, f.mode, c.Name) != nil {
				cols = append(cols, c)
				break
			}
		}
	}
	if len(cols) == 0 {
		return "", false
	}
	const (
		left, top     = 170.0, 44.0
		cellW, cellH  = 120.0, 28.0
		legendH       = 56.0
		timeW, rightM = 110.0, 16.0
	)
	base := f.base
	W := left + float64(len(cols))*cellW + 2*timeW + rightM
	W = math.Max(W, 560)
	H := top + float64(len(f.configs))*cellH + legendH
	d := svg.New(W, H, "allocator matrix: ratio of each candidate to "+base+" under each configuration")
	d.Rect(0, 0, W, H, `fill="#ffffff"`)
	d.Raw(`<defs><pattern id="fl-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#eeeeee"/><line x1="0" y1="0" x2="0" y2="8" stroke="#bbbbbb" stroke-width="3"/></pattern></defs>`)
	d.Text(left, 16, svg.Start, "time ratio to "+base+" under the same configuration; ~ not significant", `font-weight="600"`)
	for j, c := range cols {
		d.Text(left+float64(j)*cellW+cellW/2, top-8, svg.Middle, c.Name+" / "+base, `font-weight="600"`)
	}
	tx := left + float64(len(cols))*cellW + 12
	d.Text(tx, top-8, svg.Start, base+" time", `fill="#555555"`)
	for i, cfg := range f.configs {
		y := top + float64(i)*cellH
		d.Text(left-8, y+cellH/2+4, svg.End, f.configTitle(cfg), "")
		st, reason := f.configStatus(cfg)
		for j, c := range cols {
			x := left + float64(j)*cellW
			cmp := f.r.Comparison(cfg, f.mode, c.Name)
			d.Group("")
			switch {
			case st != result.StatusOK:
				d.Title(cfg + ": " + st + ": " + oneLine(reason))
				d.Rect(x+1, y+1, cellW-2, cellH-2, `fill="url(#fl-hatch)"`)
				d.Text(x+cellW/2, y+cellH/2+4, svg.Middle, st, `fill="#b42318"`)
			case cmp == nil:
				d.Title(c.Name + " was not measured under " + cfg)
				d.Rect(x+1, y+1, cellW-2, cellH-2, `fill="#f6f6f6"`)
				d.Text(x+cellW/2, y+cellH/2+4, svg.Middle, "–", `fill="#999999"`)
			default:
				fill, dark := heatColor(cmp.Ratio)
				tc := "#111111"
				if dark {
					tc = "#ffffff"
				}
				label := fmtRatio(cmp.Ratio)
				if !cmp.Significant {
					label = "~ " + label
				}
				d.Title(fmt.Sprintf("%s / %s under %s: %s %s, %s", c.Name, base, cfg, fmtRatio(cmp.Ratio), fmtInterval(cmp.Low, cmp.High), fmtP(cmp.P)))
				d.Rect(x+1, y+1, cellW-2, cellH-2, svg.A("fill", fill))
				d.Text(x+cellW/2, y+cellH/2+4, svg.Middle, label, svg.Join(svg.A("fill", tc), `font-weight="600"`))
			}
			d.End()
		}
		if run := f.r.Run(base, cfg, f.mode); ok(run) {
			d.Text(tx, y+cellH/2+4, svg.Start, fmtTime(run.Time.Median), `fill="#555555"`)
		}
	}
	// Legend: the colour steps.
	ly := top + float64(len(f.configs))*cellH + 18
	steps := []float64{1.0 / 64, 1.0 / 16, 1.0 / 4, 1, 4, 16, 64}
	names := []string{"1/64", "1/16", "1/4", "1x", "4x", "16x", "64x"}
	for k, v := range steps {
		fill, _ := heatColor(v)
		x := left + float64(k)*44
		d.Rect(x, ly, 42, 12, svg.Join(svg.A("fill", fill), `stroke="#dddddd"`))
		d.Text(x+21, ly+26, svg.Middle, names[k], svg.A("fill", axisGrey))
	}
	d.Text(left-8, ly+10, svg.End, "faster ← → slower", svg.A("fill", axisGrey))
	return d.String(), true
}

// explainsBar is a small bar showing the share of the gap a finding
// explains.
func explainsBar(share float64) string {
	share = math.Max(0, math.Min(1, share))
	d := svg.New(160, 12, "explains "+fmtPct(share)+" of the gap")
	d.Rect(0, 1, 160, 10, `fill="#eeeeee" rx="2"`)
	d.Rect(0, 1, 160*share, 10, `fill="#D55E00" rx="2"`)
	return d.String()
}
