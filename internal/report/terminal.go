package report

import (
	"bufio"
	"io"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// Options control the terminal rendering.
type Options struct {
	// Color enables ANSI styles: bold headings, green for faster and
	// verified, red for slower and failed, yellow for not significant,
	// dim notes. The caller decides (a terminal, NO_COLOR unset, no
	// --no-color); the renderer never probes the environment, so its
	// output is deterministic.
	Color bool
	// Width is the terminal width in display columns; paragraphs are
	// wrapped and tables fitted to it (labels shortened with an
	// ellipsis, then columns stacked in blocks, width.go). 0 means 100.
	Width int
	// Quiet prints only the verdict and the summary table: the time
	// table of the candidates under the baseline configuration (a
	// result's, or a comparison's), or each parameter line's table (a
	// sweep's), under its heading. A partial result's warning stays.
	Quiet bool
	// Verbose adds sample counts and loops, how thresholds were derived,
	// every pass instead of one line per kind of pass, and the legend of
	// the notation (±, p against α, ~, *).
	Verbose bool
	// Unit fixes the unit of the time columns, by python -m timeit's
	// names (units.TimeUnits: nsec, usec, msec, sec); "" chooses one per
	// number.
	Unit string
}

// Terminal writes the compact report for a terminal: the header (what was
// compared, on which machine), the time table of the primary mode, memory
// activity per iteration, the order effect, the allocator matrix, the
// findings and their fixes, notes, and which pass each number came from.
func Terminal(w io.Writer, r *result.Result, opt Options) error {
	return writeTerminal(w, buildDocIn(r, opt.Verbose, opt.Unit, opt.Verbose), opt)
}

// writeTerminal renders a document model for a terminal.
func writeTerminal(w io.Writer, d *doc, opt Options) error {
	if opt.Width <= 0 {
		opt.Width = 100
	}
	if opt.Quiet {
		d = quietDoc(d)
	}
	tw := &termWriter{w: bufio.NewWriter(w), opt: opt}
	if len(d.Title) > 0 {
		tw.wrapped(d.Title, "  ")
	}
	if len(d.Warning) > 0 {
		tw.wrapped(d.Warning, "")
	}
	for i, b := range d.Head {
		tw.block(b)
		if b.Verdict && i+1 < len(d.Head) {
			tw.nl()
		}
	}
	for i, s := range d.Sections {
		if i > 0 || len(d.Title) > 0 || len(d.Warning) > 0 || len(d.Head) > 0 {
			tw.nl()
		}
		h := line{sty(s.Title, strong)}
		if len(s.Subtitle) > 0 {
			sub := line{sty("  "+s.Subtitle.String(), dim)}
			if displayWidth(s.Title+sub.String()) <= opt.Width {
				h = append(h, sub...)
				tw.line(h)
			} else {
				tw.line(h)
				tw.wrapped(line{sty(s.Subtitle.String(), dim)}, "  ")
			}
		} else {
			tw.line(h)
		}
		for i, b := range s.Blocks {
			if b.H3 != nil && i > 0 {
				tw.nl()
			}
			tw.block(b)
		}
	}
	return tw.w.Flush()
}

// quietDoc is what Options.Quiet keeps of d: the warning, the verdict,
// and the first table of the summary sections (a result's or a
// comparison's "time", a sweep's "line-N") under their headings.
func quietDoc(d *doc) *doc {
	q := &doc{Warning: d.Warning}
	for _, b := range d.Head {
		if b.Verdict {
			q.Head = append(q.Head, b)
		}
	}
	for _, s := range d.Sections {
		if s.ID != "time" && !strings.HasPrefix(s.ID, "line-") {
			continue
		}
		for _, b := range s.Blocks {
			if b.Table != nil {
				s.Blocks = []block{b}
				q.Sections = append(q.Sections, s)
				break
			}
		}
	}
	return q
}

type termWriter struct {
	w   *bufio.Writer
	opt Options
}

func (t *termWriter) nl() { t.w.WriteByte('\n') }

var ansi = map[style]string{
	strong: "\x1b[1m",
	dim:    "\x1b[2m",
	good:   "\x1b[32m",
	bad:    "\x1b[31m",
	warn:   "\x1b[33m",
}

func (t *termWriter) span(s span) {
	// User text never carries its own escape sequences to the terminal.
	s.Text = oneLine(s.Text)
	if c, ok := ansi[s.Style]; ok && t.opt.Color && s.Text != "" {
		t.w.WriteString(c + s.Text + "\x1b[0m")
		return
	}
	t.w.WriteString(s.Text)
}

func (t *termWriter) line(l line) {
	for _, s := range l {
		t.span(s)
	}
	t.nl()
}

func (t *termWriter) block(b block) {
	switch {
	case b.Bar > 0:
	case b.H3 != nil:
		t.wrapped(b.H3, "  ")
	case b.Table != nil:
		t.table(b.Table, "")
	case b.List != nil:
		for _, it := range b.List {
			t.wrapped(append(line{txt("- ")}, it.Head...), "  ")
			for _, l := range it.Lines {
				t.wrapped(append(line{txt("  ")}, l...), "  ")
			}
		}
	default:
		for _, l := range b.Para {
			t.wrapped(l, "  ")
		}
	}
}

// wrapped writes l broken at spaces to the terminal width, continuation
// lines indented; styles carry across breaks. A word wider than a line
// (a path, an environment setting) is split, after a / or : where it can
// be.
func (t *termWriter) wrapped(l line, indent string) {
	type word struct {
		text  string
		style style
		space bool // a space precedes it
		piece bool // it continues a split word: a break needs no space
	}
	// Leading spaces of the first span are indentation; keep them.
	lead := len(l.String()) - len(strings.TrimLeft(l.String(), " "))
	avail := max(t.opt.Width-max(lead, len(indent)), 1)
	var words []word
	pendingSpace := false
	for _, s := range l {
		text := oneLine(s.Text)
		parts := strings.Split(text, " ")
		for i, p := range parts {
			if i > 0 {
				pendingSpace = true
			}
			if p == "" {
				continue
			}
			for j, piece := range splitWord(p, avail) {
				words = append(words, word{piece, s.Style, j == 0 && pendingSpace && len(words) > 0, j > 0})
			}
			pendingSpace = false
		}
		if strings.HasSuffix(text, " ") {
			pendingSpace = true
		}
	}
	col := lead
	t.w.WriteString(strings.Repeat(" ", lead))
	for i, wd := range words {
		n := displayWidth(wd.text)
		gap := 1
		if wd.piece {
			gap = 0
		}
		if i > 0 && col+gap+n > t.opt.Width && col > len(indent) {
			t.nl()
			t.w.WriteString(indent)
			col = len(indent)
		} else if wd.space {
			t.w.WriteByte(' ')
			col++
		}
		t.span(span{Text: wd.text, Style: wd.style})
		col += n
	}
	t.nl()
}

// table writes aligned columns separated by two spaces, fitted to the
// width (width.go): the Fill column (a label) is narrowed first, then the
// columns are stacked in blocks under the row's key. A number is cut
// only when its column alone is wider than the terminal.
func (t *termWriter) table(tb *table, indent string) {
	n := len(tb.Head)
	if n == 0 {
		return
	}
	// Cells as the terminal prints them (span strips control
	// characters), every row n cells long, the head first.
	head := make([]span, n)
	for i, h := range tb.Head {
		head[i] = sty(oneLine(h), dim)
		if t.opt.Color && h != "" {
			head[i].Style = strong
		}
	}
	rows := [][]span{head}
	for _, r := range tb.Rows {
		row := make([]span, n)
		for i := range min(n, len(r)) {
			row[i] = r[i]
			row[i].Text = oneLine(r[i].Text)
		}
		rows = append(rows, row)
	}
	texts := make([][]string, len(rows))
	for i, row := range rows {
		texts[i] = make([]string, n)
		for j, c := range row {
			texts[i][j] = c.Text
		}
	}
	lay := layoutTable(texts, tb.Fill, t.opt.Width-displayWidth(indent))
	for _, cols := range lay.blocks {
		for i, row := range rows {
			t.tableRow(tb, row, i == 0, cols, lay.width, indent)
		}
	}
}

// tableRow writes the cells of row in cols, each padded to its width. A
// cell wider than its column: a heading, a name or code is cut with an
// ellipsis; prose (evidence, a note) wraps onto more lines of the row.
func (t *termWriter) tableRow(tb *table, row []span, head bool, cols, width []int, indent string) {
	right := func(i int) bool { return i < len(tb.Right) && tb.Right[i] }
	cells := make([][]string, len(cols))
	height := 1
	for j, c := range cols {
		text, w := row[c].Text, width[c]
		switch {
		case displayWidth(text) <= w:
			cells[j] = []string{text}
		case head || row[c].Style == code || row[c].Style == strong:
			cells[j] = []string{cut(text, w)}
		default:
			cells[j] = wrapText(text, w)
		}
		height = max(height, len(cells[j]))
	}
	for k := range height {
		// Nothing is written after the last non-empty cell: no
		// trailing spaces.
		last := -1
		for j := range cols {
			if k < len(cells[j]) && cells[j][k] != "" {
				last = j
			}
		}
		t.w.WriteString(indent)
		for j := 0; j <= last; j++ {
			sp := row[cols[j]]
			sp.Text = ""
			if k < len(cells[j]) {
				sp.Text = cells[j][k]
			}
			pad := strings.Repeat(" ", max(width[cols[j]]-displayWidth(sp.Text), 0))
			if j > 0 {
				t.w.WriteString("  ")
			}
			if right(cols[j]) {
				t.w.WriteString(pad)
				t.span(sp)
			} else {
				t.span(sp)
				if j < last {
					t.w.WriteString(pad)
				}
			}
		}
		t.nl()
	}
}
