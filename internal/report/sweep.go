package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// A sweep is rendered as one compact table per parameter line (the points
// that differ only in one parameter, the others held), a short line where
// a point's findings change, and the cliffs the sweep found. Each point's
// own full report is a rendering of its result (Terminal); the sweep's
// shows only what is compared across points.

// SweepTerminal writes the compact sweep report for a terminal: per
// parameter line, a row per point and candidate with the time per
// iteration, the ratio to the baseline candidate, minor faults, memory
// syscalls and allocations per iteration; then where the findings change,
// and the cliffs.
func SweepTerminal(w io.Writer, s *result.Sweep, opt Options) error {
	return writeTerminal(w, buildSweepDoc(s, false), opt)
}

// SweepMarkdown writes the same tables and cliffs as SweepTerminal as
// GitHub-flavoured Markdown.
func SweepMarkdown(w io.Writer, s *result.Sweep) error {
	return writeMarkdown(w, buildSweepDoc(s, false))
}

// sweepLine is the points that differ only in the line's parameter.
type sweepLine struct {
	param  string
	others map[string]string // the held parameters' values
	label  string            // the held parameters as written ("kind = a")
	points []int             // indices into Sweep.Points, in sweep order
}

// lineParam is the parameter a line runs along: the last numeric one,
// since a cliff is a threshold on a number, else the last one.
func lineParam(s *result.Sweep) string {
	name := ""
	for _, p := range s.Parameters {
		if numericParam(p) {
			name = p.Name
		}
	}
	if name == "" && len(s.Parameters) > 0 {
		name = s.Parameters[len(s.Parameters)-1].Name
	}
	return name
}

// numericParam reports whether every value of p is a number.
func numericParam(p result.SweepParameter) bool {
	for _, v := range p.Values {
		if v.Number == nil {
			return false
		}
	}
	return len(p.Values) > 0
}

// sweepLines groups the points into lines along lineParam, in the order
// their first point appears.
func sweepLines(s *result.Sweep) []sweepLine {
	param := lineParam(s)
	var lines []sweepLine
	index := map[string]int{}
	for i, pt := range s.Points {
		var held []string
		others := map[string]string{}
		for _, p := range s.Parameters {
			if p.Name != param {
				held = append(held, p.Name+" = "+pt.Text[p.Name])
				others[p.Name] = pt.Values[p.Name]
			}
		}
		key := strings.Join(held, ", ")
		j, ok := index[key]
		if !ok {
			j = len(lines)
			index[key] = j
			lines = append(lines, sweepLine{param: param, others: others, label: key})
		}
		lines[j].points = append(lines[j].points, i)
	}
	// Refinement points are appended after the sweep's own: along a
	// number, the rows go by value.
	for _, ln := range lines {
		slices.SortStableFunc(ln.points, func(a, b int) int {
			x, errx := strconv.ParseFloat(s.Points[a].Values[param], 64)
			y, erry := strconv.ParseFloat(s.Points[b].Values[param], 64)
			if errx != nil || erry != nil {
				return 0
			}
			return cmp.Compare(x, y)
		})
	}
	return lines
}

// pointAnchor is the HTML anchor of point i's findings.
func pointAnchor(i int) string { return fmt.Sprintf("point-%d", i+1) }

// pointName names a point as its heading does: "n = 1e6, kind = a".
func pointName(s *result.Sweep, pt result.SweepPoint) string {
	var parts []string
	for _, p := range s.Parameters {
		parts = append(parts, p.Name+" = "+pt.Text[p.Name])
	}
	return strings.Join(parts, ", ")
}

// sweepFacts returns the facts of a point that has runs, else nil.
func sweepFacts(pt result.SweepPoint) *facts {
	if pt.Result == nil || len(pt.Result.Results) == 0 {
		return nil
	}
	return newFacts(pt.Result)
}

// buildSweepDoc builds the sweep's document model. full adds a section
// with every point's findings under an anchor (the HTML page links to it).
func buildSweepDoc(s *result.Sweep, full bool) *doc {
	lines := sweepLines(s)
	d := &doc{Title: line{sty("Sweep", strong), txt(fmt.Sprintf(" of %d points (faultline %s)", len(s.Points), s.Kind))}}
	if s.Partial {
		w := "partial: the sweep was interrupted; the points not reached are skipped"
		if s.Interrupted != "" {
			w += " (" + oneLine(s.Interrupted) + ")"
		}
		d.Warning = line{sty(w, warn)}
	}
	var params []line
	for _, p := range s.Parameters {
		var vals []string
		for _, v := range p.Values {
			vals = append(vals, v.Text)
		}
		params = append(params, line{sty(p.Name, strong), txt(": " + strings.Join(vals, ", "))})
	}
	if v := sweepVerdict(s); len(v) > 0 {
		d.Head = append(d.Head, block{Para: v, Verdict: true})
	}
	d.Head = append(d.Head, block{Para: params})
	for i, ln := range lines {
		d.Sections = append(d.Sections, sweepSection(s, ln, i, full))
	}
	if len(s.Cliffs) > 0 {
		sec := section{ID: "cliffs", Title: "Cliffs"}
		var items []item
		for _, c := range s.Cliffs {
			it := item{Head: line{txt(oneLine(c.Summary))}}
			if c.VerifiedBy != "" {
				it.Head = append(it.Head, sty(" (gone under "+c.VerifiedBy+")", good))
			}
			items = append(items, it)
		}
		sec.list(items)
		d.Sections = append(d.Sections, sec)
	}
	if full {
		if sec := pointFindings(s); sec != nil {
			d.Sections = append(d.Sections, *sec)
		}
	}
	return d
}

// sweepSection is one line's table and the points where its findings
// change.
func sweepSection(s *result.Sweep, ln sweepLine, i int, full bool) section {
	title := "Along " + ln.param
	if ln.label != "" {
		title += " (" + ln.label + ")"
	}
	sec := section{ID: fmt.Sprintf("line-%d", i+1), Title: title}
	for _, idx := range ln.points {
		if f := sweepFacts(s.Points[idx]); f != nil {
			sec.Subtitle = line{txt("per " + f.r.Unit() + ", " + f.configTitle(f.baseCfg) + ", " + modeText(f.mode))}
			break
		}
	}
	sec.table(sweepTable(s, ln, full))
	var missing []line
	for _, idx := range ln.points {
		pt := s.Points[idx]
		f := sweepFacts(pt)
		if f == nil {
			missing = append(missing, line{sty(pointName(s, pt)+" "+notRun(pt), warn)})
			continue
		}
		for _, run := range f.runsIn(f.baseCfg, f.mode) {
			if !ok(run) && run.Error != "" {
				missing = append(missing, line{sty(pointName(s, pt)+": "+run.Candidate+" failed: "+oneLine(run.Error), bad)})
			}
		}
	}
	if len(missing) > 0 {
		sec.para(missing...)
	}
	var changes []line
	prev := ""
	for _, idx := range ln.points {
		pt := s.Points[idx]
		if pt.Result == nil {
			continue
		}
		now := findingsText(pt.Result)
		if now == prev {
			continue
		}
		if now == "" {
			now = "no findings"
		}
		head := span{Text: ln.param + " = " + pt.Text[ln.param], Style: strong}
		if full && len(pt.Result.Findings) > 0 {
			head.Href = "#" + pointAnchor(idx)
		}
		changes = append(changes, line{head, txt(": " + now)})
		prev = findingsText(pt.Result)
	}
	if len(changes) > 0 {
		sec.h3(line{txt("Findings, where they change")})
		sec.para(changes...)
	}
	return sec
}

// notRun says why a point has no runs to show.
func notRun(pt result.SweepPoint) string {
	switch {
	case pt.Status != "" && pt.Reason != "":
		return pt.Status + ": " + oneLine(pt.Reason)
	case pt.Status != "":
		return pt.Status
	}
	return "failed before any run"
}

// findingsText is a point's findings in one line: cause (candidate,
// configuration, confidence), most important first as diagnose ordered
// them.
func findingsText(r *result.Result) string {
	var parts []string
	for _, fd := range r.Findings {
		var about []string
		for _, a := range []string{fd.Candidate, fd.Config, fd.Confidence} {
			if a != "" {
				about = append(about, a)
			}
		}
		parts = append(parts, fd.Cause+" ("+strings.Join(about, ", ")+")")
	}
	return strings.Join(parts, "; ")
}

// pointFindings lists every point's findings under the point's anchor,
// with the summary each finding gave; nil when no point has any.
func pointFindings(s *result.Sweep) *section {
	sec := &section{ID: "findings", Title: "Findings by point"}
	for i, pt := range s.Points {
		if pt.Result == nil || len(pt.Result.Findings) == 0 {
			continue
		}
		sec.Blocks = append(sec.Blocks, block{H3: line{txt(pointName(s, pt))}, ID: pointAnchor(i)})
		var items []item
		for _, fd := range pt.Result.Findings {
			head := line{sty(fd.Cause, strong)}
			if fd.Candidate != "" {
				head = append(head, txt(" · "+fd.Candidate))
			}
			if fd.Config != "" {
				head = append(head, txt(" · "+fd.Config))
			}
			if fd.Confidence != "" {
				head = append(head, sty(" · "+fd.Confidence+" confidence", dim))
			}
			items = append(items, item{Head: head, Lines: []line{{txt(oneLine(fd.Summary))}}})
		}
		sec.list(items)
	}
	if len(sec.Blocks) == 0 {
		return nil
	}
	return sec
}
