package report

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

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
	// Width is the terminal width; labels are shortened and paragraphs
	// wrapped to fit. 0 means 100.
	Width int
	// Verbose adds sample counts and loops, how thresholds were derived,
	// and every pass instead of one line per kind of pass.
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
	return writeTerminal(w, buildDocIn(r, opt.Verbose, opt.Unit), opt)
}

// writeTerminal renders a document model for a terminal.
func writeTerminal(w io.Writer, d *doc, opt Options) error {
	if opt.Width <= 0 {
		opt.Width = 100
	}
	tw := &termWriter{w: bufio.NewWriter(w), opt: opt}
	tw.wrapped(d.Title, "  ")
	if len(d.Warning) > 0 {
		tw.wrapped(d.Warning, "")
	}
	for _, b := range d.Head {
		tw.block(b)
		if b.Verdict {
			tw.nl()
		}
	}
	for _, s := range d.Sections {
		tw.nl()
		h := line{sty(s.Title, strong)}
		if len(s.Subtitle) > 0 {
			sub := line{sty("  "+s.Subtitle.String(), dim)}
			if utf8.RuneCountInString(s.Title+sub.String()) <= opt.Width {
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
		t.line(b.H3)
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
// lines indented; styles carry across breaks.
func (t *termWriter) wrapped(l line, indent string) {
	type word struct {
		text  string
		style style
		space bool // a space precedes it
	}
	var words []word
	pendingSpace := false
	for _, s := range l {
		parts := strings.Split(s.Text, " ")
		for i, p := range parts {
			if i > 0 {
				pendingSpace = true
			}
			if p == "" {
				continue
			}
			words = append(words, word{p, s.Style, pendingSpace && len(words) > 0})
			pendingSpace = false
		}
		if strings.HasSuffix(s.Text, " ") {
			pendingSpace = true
		}
	}
	// Leading spaces of the first span are indentation; keep them.
	lead := len(l.String()) - len(strings.TrimLeft(l.String(), " "))
	col := lead
	t.w.WriteString(strings.Repeat(" ", lead))
	for i, wd := range words {
		n := utf8.RuneCountInString(wd.text)
		if i > 0 && col+1+n > t.opt.Width && col > len(indent) {
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

// table writes aligned columns separated by two spaces. Only the Fill
// column (a label) is shortened when the row would not fit the width;
// numbers are never cut.
func (t *termWriter) table(tb *table, indent string) {
	n := len(tb.Head)
	width := make([]int, n)
	for i, h := range tb.Head {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, row := range tb.Rows {
		for i := 0; i < n && i < len(row); i++ {
			if w := utf8.RuneCountInString(row[i].Text); w > width[i] {
				width[i] = w
			}
		}
	}
	total := len(indent)
	for i := range width {
		total += width[i]
		if i > 0 {
			total += 2
		}
	}
	if tb.Fill >= 0 && tb.Fill < n && total > t.opt.Width {
		w := width[tb.Fill] - (total - t.opt.Width)
		width[tb.Fill] = max(w, min(width[tb.Fill], 16))
	}
	right := func(i int) bool { return i < len(tb.Right) && tb.Right[i] }
	write := func(cells []span, head bool) {
		last := -1
		for i := 0; i < n && i < len(cells); i++ {
			if cells[i].Text != "" {
				last = i
			}
		}
		t.w.WriteString(indent)
		for i := 0; i <= last; i++ {
			c := cells[i]
			c.Text = truncate(c.Text, width[i])
			if head && t.opt.Color && c.Text != "" {
				c.Style = strong
			}
			pad := width[i] - utf8.RuneCountInString(c.Text)
			if i > 0 {
				t.w.WriteString("  ")
			}
			if right(i) {
				t.w.WriteString(strings.Repeat(" ", pad))
				t.span(c)
			} else {
				t.span(c)
				if i < last {
					t.w.WriteString(strings.Repeat(" ", pad))
				}
			}
		}
		t.nl()
	}
	hs := make([]span, n)
	for i, h := range tb.Head {
		hs[i] = sty(h, dim)
	}
	write(hs, true)
	for _, row := range tb.Rows {
		write(row, false)
	}
}

// truncate shortens s to w runes, marking the cut with an ellipsis.
func truncate(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	if w <= 1 {
		return "…"
	}
	r := []rune(s)
	return string(r[:w-1]) + "…"
}
