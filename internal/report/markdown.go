package report

import (
	"bufio"
	"io"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// Markdown writes the same content as Terminal as GitHub-flavoured
// Markdown, for pasting into an issue or a pull request: headings, GFM
// tables and lists. Every piece of user text is escaped so a candidate's
// code cannot break a table (a "|" in a label) or inject markup; code is
// set in code spans.
func Markdown(w io.Writer, r *result.Result) error {
	return writeMarkdown(w, buildDoc(r, false))
}

// writeMarkdown renders a document model as GitHub-flavoured Markdown.
func writeMarkdown(w io.Writer, d *doc) error {
	bw := bufio.NewWriter(w)
	m := &mdWriter{w: bw}
	m.w.WriteString("### ")
	m.line(d.Title, false)
	m.w.WriteString("\n\n")
	if len(d.Warning) > 0 {
		m.w.WriteString("> ")
		m.line(d.Warning, false)
		m.w.WriteString("\n\n")
	}
	for _, b := range d.Head {
		m.block(b)
	}
	for _, s := range d.Sections {
		m.w.WriteString("#### " + mdEscape(s.Title) + "\n\n")
		if len(s.Subtitle) > 0 {
			m.w.WriteString("_")
			m.line(s.Subtitle, false)
			m.w.WriteString("_\n\n")
		}
		for _, b := range s.Blocks {
			m.block(b)
		}
	}
	return bw.Flush()
}

type mdWriter struct{ w *bufio.Writer }

func (m *mdWriter) span(s span, inTable bool) {
	if s.Text == "" {
		return
	}
	switch s.Style {
	case code:
		m.w.WriteString(mdCode(s.Text, inTable))
	case strong, bad:
		// Emphasis must not start or end with a space, or GFM prints
		// the asterisks literally.
		t := strings.TrimSpace(s.Text)
		if t == "" {
			m.w.WriteString(s.Text)
			return
		}
		lead := s.Text[:strings.Index(s.Text, t)]
		trail := s.Text[len(lead)+len(t):]
		m.w.WriteString(lead + "**" + mdEscape(t) + "**" + trail)
	default:
		m.w.WriteString(mdEscape(s.Text))
	}
}

func (m *mdWriter) line(l line, inTable bool) {
	for _, s := range l {
		m.span(s, inTable)
	}
}

func (m *mdWriter) block(b block) {
	switch {
	case b.Bar > 0:
	case b.H3 != nil:
		m.w.WriteString("##### ")
		m.line(b.H3, false)
		m.w.WriteString("\n\n")
	case b.Table != nil:
		m.table(b.Table)
	case b.List != nil:
		for _, it := range b.List {
			m.w.WriteString("- ")
			m.line(it.Head, false)
			for _, l := range it.Lines {
				// A backslash at the end of a line is a hard line break
				// (CommonMark), keeping continuation lines in the item.
				m.w.WriteString("\\\n  ")
				m.line(l, false)
			}
			m.w.WriteString("\n")
		}
		m.w.WriteString("\n")
	default:
		for i, l := range b.Para {
			if i > 0 {
				m.w.WriteString("\\\n")
			}
			m.line(l, false)
		}
		m.w.WriteString("\n\n")
	}
}

func (m *mdWriter) table(t *table) {
	m.w.WriteString("|")
	for _, h := range t.Head {
		m.w.WriteString(" " + mdEscape(h) + " |")
	}
	m.w.WriteString("\n|")
	for i := range t.Head {
		if i < len(t.Right) && t.Right[i] {
			m.w.WriteString("--:|")
		} else {
			m.w.WriteString("---|")
		}
	}
	m.w.WriteString("\n")
	for _, row := range t.Rows {
		m.w.WriteString("|")
		for i := range t.Head {
			m.w.WriteString(" ")
			if i < len(row) {
				m.span(row[i], true)
			}
			m.w.WriteString(" |")
		}
		m.w.WriteString("\n")
	}
	m.w.WriteString("\n")
}

// mdEscape backslash-escapes the characters that could start markup in
// GFM (emphasis, links, HTML, tables, strikethrough, headings) so user text
// is shown literally.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range oneLine(s) {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '#', '&', '!':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCode sets s in a code span, with a fence longer than any run of
// backticks inside it. In a table cell a "|" must still be escaped: GFM
// splits cells before it parses code spans.
func mdCode(s string, inTable bool) string {
	s = oneLine(s)
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
