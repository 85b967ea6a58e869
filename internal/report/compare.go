package report

// The comparison of saved results (internal/compare), drawn with the same
// document model as a result, so the terminal, Markdown and HTML
// renderings agree.

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"

	comparison "github.com/faultline/faultline/internal/compare"
	"github.com/faultline/faultline/internal/result"
)

// CompareTerminal writes a comparison for a terminal: the files, each
// candidate's time in every file with the change and its significance
// ("~" when the verdict's test does not find one), the counts per
// iteration with their deltas, the findings that appeared, vanished or
// changed, and the candidates that did not pair.
func CompareTerminal(w io.Writer, c *comparison.Comparison, opt Options) error {
	return writeTerminal(w, buildCompareDoc(c, opt.Verbose), opt)
}

// CompareMarkdown writes the same content as CompareTerminal as
// GitHub-flavoured Markdown, for a pull request's comment.
func CompareMarkdown(w io.Writer, c *comparison.Comparison) error {
	return writeMarkdown(w, buildCompareDoc(c, true))
}

// CompareHTML writes the same content as a self-contained page, with the
// result report's stylesheet and policy (no scripts, nothing fetched).
func CompareHTML(w io.Writer, c *comparison.Comparison) error {
	p := &page{Doc: buildCompareDoc(c, true), CSS: template.CSS(htmlCSS), Figures: map[string][]figure{}}
	p.Title = p.Doc.Title.String()
	return pageTmpl.Execute(w, p)
}

func buildCompareDoc(c *comparison.Comparison, legend bool) *doc {
	d := &doc{Title: line{sty("faultline compare", strong), txt(" · " + plural(len(c.Files), "file", "files") +
		" · " + plural(len(c.Candidates), "candidate", "candidates"))}}
	d.Head = []block{{Table: compareFiles(c)}}
	for _, s := range []*section{compareTime(c), compareCounts(c), compareTax(c), compareFindings(c), compareUnpaired(c), compareNotes(c), legendIf(legend, &c.Rule)} {
		if s != nil && len(s.Blocks) > 0 {
			d.Sections = append(d.Sections, *s)
		}
	}
	return d
}

// fileTag names a file in column heads: old and new for two files, else
// its position.
func fileTag(c *comparison.Comparison, i int) string {
	if len(c.Files) == 2 {
		return [2]string{"old", "new"}[i]
	}
	return "#" + strconv.Itoa(i+1)
}

func compareFiles(c *comparison.Comparison) *table {
	t := &table{Head: []string{"", "file", "kind", "started", "baseline", "host"}, Fill: 5}
	for i, f := range c.Files {
		kind := f.Kind
		if f.Partial {
			kind += " (partial)"
		}
		t.Rows = append(t.Rows, []span{sty(fileTag(c, i), strong), sty(oneLine(f.Path), code), txt(kind),
			txt(fmtStarted(f.Started)), txt(f.Baseline), sty(oneLine(f.Host), dim)})
	}
	return t
}

// candCells are the first cells of a candidate's row: its name and label.
func candCells(c *comparison.Comparison, i int) []span {
	cand := &c.Candidates[i]
	name := cand.Name()
	if n0 := cand.Names[0]; n0 != "" && n0 != name {
		name = n0 + "→" + name
	}
	return []span{sty(name, strong), sty(oneLine(cand.Label()), code)}
}

func compareTime(c *comparison.Comparison) *section {
	unit := c.Files[0].Unit
	s := &section{ID: "time", Title: "Time per " + unit,
		Subtitle: line{txt("median ± its 95% interval, " + timeModes(c) + "; change of the median against " + fileTag(c, 0) +
			fmt.Sprintf(", ~ when not significant (p ≥ α = %g)", c.Rule.Alpha))}}
	head := []string{"config", "", "label"}
	right := []bool{false, false, false}
	for i := range c.Files {
		head = append(head, fileTag(c, i), "±")
		right = append(right, true, true)
	}
	for i := 1; i < len(c.Files); i++ {
		head = append(head, "vs "+fileTag(c, 0))
		right = append(right, true)
		if len(c.Files) > 2 {
			head[len(head)-1] = fileTag(c, i) + " vs " + fileTag(c, 0)
		}
		head = append(head, "p")
		right = append(right, true)
	}
	t := &table{Head: head, Right: right, Fill: 2}
	forEachConfig(c, func(cfgName string, ci int, cfg *comparison.Config) {
		row := append([]span{txt(cfgName)}, candCells(c, ci)...)
		for _, e := range cfg.Time {
			if e.N == 0 {
				row = append(row, sty("-", dim), txt(""))
				continue
			}
			row = append(row, txt(fmtTime(e.Median)), sty(fmtPM(e), dim))
		}
		for _, tc := range cfg.TimeChanges {
			row = append(row, timeChangeCells(tc)...)
		}
		t.Rows = append(t.Rows, row)
	})
	if len(t.Rows) == 0 {
		return nil
	}
	s.table(t)
	return s
}

// timeModes says where the times come from: each candidate alone in a
// fresh process where every file has that run (compare.TimeIsolated, the
// stable mode a gate reads), else the primary mode.
func timeModes(c *comparison.Comparison) string {
	modes := map[string]bool{}
	forEachConfig(c, func(_ string, _ int, cfg *comparison.Config) { modes[cfg.Mode] = true })
	var out []string
	for _, m := range []string{result.ModeIsolated, result.ModeInterleaved, result.ModeProcess} {
		if modes[m] {
			out = append(out, modeText(m))
		}
	}
	if len(out) == 0 {
		return "no times"
	}
	return strings.Join(out, " or ")
}

// compareTax sets each candidate's memory tax side by side: what memory
// management cost it in each file, against the fastest configuration
// that ran there.
func compareTax(c *comparison.Comparison) *section {
	head := []string{"", "label"}
	right := []bool{false, false}
	for i := range c.Files {
		head = append(head, fileTag(c, i), "fastest")
		right = append(right, true, false)
	}
	t := &table{Head: head, Right: right, Fill: 1}
	for ci, cand := range c.Candidates {
		if cand.Taxes == nil {
			continue
		}
		row := candCells(c, ci)
		for _, tx := range cand.Taxes {
			switch {
			case tx == nil || tx.Best == "":
				row = append(row, sty("-", dim), txt(""))
			case tx.Paid && len(tx.Causes) == 0:
				row = append(row, sty(fmtRatio(tx.Ratio), bad), txt(tx.Best))
			case tx.Paid:
				row = append(row, sty(fmtRatio(tx.Ratio), bad), txt(tx.Best+" ("+strings.Join(tx.Causes, ", ")+")"))
			default:
				row = append(row, sty("~ "+fmtRatio(tx.Ratio), dim), txt(tx.Best))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	if len(t.Rows) == 0 {
		return nil
	}
	s := &section{ID: "tax", Title: "Memory tax",
		Subtitle: line{txt("each candidate's time under its file's baseline over its time under the fastest configuration that ran there; ~ when not significant or below 1.1x")}}
	s.table(t)
	return s
}

// forEachConfig visits every candidate under every configuration, the
// baseline configuration first, then the others in the first file's
// order.
func forEachConfig(c *comparison.Comparison, fn func(cfg string, cand int, cc *comparison.Config)) {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	add(c.Files[0].Baseline)
	for _, cand := range c.Candidates {
		for _, cfg := range cand.Configs {
			add(cfg.Name)
		}
	}
	for _, n := range names {
		for ci := range c.Candidates {
			if cfg := c.Candidates[ci].Config(n); cfg != nil {
				fn(n, ci, cfg)
			}
		}
	}
}

func timeChangeCells(tc *comparison.TimeChange) []span {
	if tc == nil {
		return []span{sty("-", dim), txt("")}
	}
	p := sty(fmtP(tc.P), dim)
	if !tc.Significant {
		return []span{sty("~", warn), p}
	}
	st := bad
	if tc.Ratio < 1 {
		st = good
	}
	return []span{sty(fmtChangePct(tc.Ratio-1), st), p}
}

// fmtChangePct prints a relative change as benchstat does: "+12.3%",
// "-88.1%".
func fmtChangePct(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return "-"
	}
	s := strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
	if x >= 0 {
		s = "+" + s
	}
	return s
}

func compareCounts(c *comparison.Comparison) *section {
	unit := c.Files[0].Unit
	s := &section{ID: "memory", Title: "Memory per " + unit,
		Subtitle: line{txt("counts per " + unit + " compared as they are: they repeat from run to run, so a change needs no test; " +
			"faults from each candidate alone in a fresh process where every file has that run; " +
			"~ where the files' processes overlap (faults differ between processes with the address-space layout)")}}
	head := []string{"config", "", "metric"}
	right := []bool{false, false, false}
	for i := range c.Files {
		head = append(head, fileTag(c, i))
		right = append(right, true)
	}
	for i := 1; i < len(c.Files); i++ {
		h := "delta"
		if len(c.Files) > 2 {
			h = fileTag(c, i) + " - " + fileTag(c, 0)
		}
		head = append(head, h, "")
		right = append(right, true, true)
	}
	t := &table{Head: head, Right: right, Fill: -1}
	forEachConfig(c, func(cfgName string, ci int, cfg *comparison.Config) {
		first := true
		for _, mv := range cfg.Metrics {
			if !shown(mv) {
				continue
			}
			row := []span{txt(""), txt(""), txt(mv.Name)}
			if first {
				row[0], row[1] = txt(cfgName), candCells(c, ci)[0]
				first = false
			}
			for _, v := range mv.Values {
				if v == nil {
					row = append(row, sty("-", dim))
				} else {
					row = append(row, txt(fmtMetric(mv.Unit, *v)))
				}
			}
			for _, ch := range mv.Changes {
				row = append(row, countChangeCells(mv.Unit, ch)...)
			}
			t.Rows = append(t.Rows, row)
		}
	})
	if len(t.Rows) == 0 {
		return nil
	}
	s.table(t)
	return s
}

// shown says whether a count is worth a row: measured in some file and
// not zero in all.
func shown(mv comparison.MetricValue) bool {
	for _, v := range mv.Values {
		if v != nil && *v != 0 {
			return true
		}
	}
	return false
}

func fmtMetric(unit string, v float64) string {
	if unit == "B" {
		return fmtBytes(v)
	}
	return fmtCount(v)
}

func countChangeCells(unit string, ch *comparison.Change) []span {
	if ch == nil {
		return []span{sty("-", dim), txt("")}
	}
	if ch.Delta == 0 {
		return []span{sty("0", dim), txt("")}
	}
	d := fmtMetric(unit, ch.Delta)
	if ch.Delta > 0 {
		d = "+" + d
	}
	st := bad
	if ch.Delta < 0 {
		st = good
	}
	if ch.Overlap {
		// The files' processes overlap: the layout moved the mean.
		return []span{sty("~ "+d, warn), sty("("+fmtChangePct(ch.Relative)+")", dim)}
	}
	return []span{sty(d, st), sty("("+fmtChangePct(ch.Relative)+")", dim)}
}

func compareFindings(c *comparison.Comparison) *section {
	s := &section{ID: "findings", Title: "Findings",
		Subtitle: line{txt("what appeared, vanished or changed against " + fileTag(c, 0) + " (same cause, candidate and configuration)")}}
	if len(c.Findings) == 0 {
		s.para(line{sty("no finding appeared, vanished or changed", dim)})
		return s
	}
	var items []item
	for _, fc := range c.Findings {
		st := map[string]style{comparison.FindingNew: bad, comparison.FindingGone: good, comparison.FindingChanged: warn}[fc.Change]
		who := fc.Name
		if fc.Candidate >= 0 {
			who = c.Title(fc.Candidate)
		}
		head := line{sty(fc.Change+":", st), txt(" "), sty(fc.Cause, strong)}
		if who != "" {
			head = append(head, txt(" for "+who))
		}
		if fc.Config != "" {
			head = append(head, txt(" under "+fc.Config))
		}
		if len(c.Files) > 2 {
			head = append(head, sty(" in "+oneLine(c.Files[fc.File].Path), dim))
		}
		it := item{Head: head}
		switch {
		case fc.Change == comparison.FindingChanged:
			it.Lines = append(it.Lines, line{sty("confidence "+fc.Old.Confidence+" → "+fc.New.Confidence+
				", explains "+fmtPct(fc.Old.Explains)+" → "+fmtPct(fc.New.Explains)+" of the gap", dim)})
			it.Lines = append(it.Lines, line{txt(oneLine(fc.New.Summary))})
		case fc.New != nil:
			it.Lines = append(it.Lines, line{txt(oneLine(fc.New.Summary))})
		case fc.Old != nil:
			it.Lines = append(it.Lines, line{sty("was: ", dim), txt(oneLine(fc.Old.Summary))})
		}
		items = append(items, it)
	}
	s.list(items)
	return s
}

func compareUnpaired(c *comparison.Comparison) *section {
	if len(c.Unpaired) == 0 {
		return nil
	}
	s := &section{ID: "unpaired", Title: "Not paired",
		Subtitle: line{txt("candidates pair by label, or by statement or command; these have no counterpart")}}
	var ls []line
	for _, u := range c.Unpaired {
		ls = append(ls, line{sty(u.Name, strong), txt(" "), sty(oneLine(u.Label), code),
			txt(" in " + oneLine(c.Files[u.File].Path) + " has no counterpart in " + oneLine(c.Files[u.Other].Path))})
	}
	s.para(ls...)
	return s
}

func compareNotes(c *comparison.Comparison) *section {
	if len(c.Notes) == 0 {
		return nil
	}
	s := &section{ID: "notes", Title: "Notes"}
	var ls []line
	for _, n := range c.Notes {
		ls = append(ls, line{sty(strings.TrimSpace(oneLine(n)), dim)})
	}
	s.para(ls...)
	return s
}
