// Package svg writes small, deterministic SVG documents for faultline's HTML
// report: rectangles, lines, circles, paths and text, plus the scales and
// ticks a chart needs. It is hand-written rather than a plotting library so
// the report stays one small self-contained file with no scripts, and so
// golden tests can compare the output byte for byte: every number is
// printed with a fixed precision and nothing depends on map order or time.
//
// All text passes through Escape, so user-controlled strings (candidate
// labels, config names) can never open an element or an attribute.
package svg

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Doc accumulates one <svg> element.
type Doc struct {
	W, H float64
	b    strings.Builder
}

// New starts a document of the given size in CSS pixels. Title is the
// accessible name read by screen readers (role="img" + aria-label).
func New(w, h float64, title string) *Doc {
	d := &Doc{W: w, H: h}
	fmt.Fprintf(&d.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s" font-family="system-ui, sans-serif" font-size="11">`,
		Num(w), Num(h), Num(w), Num(h), Escape(title))
	d.b.WriteString("\n")
	return d
}

// Attr is an optional attribute list such as `fill="red" opacity="0.5"`;
// callers build it only from constants and Num, never from user text (use
// A for values that might contain user text).
type Attr string

// A formats one attribute with an escaped value.
func A(name, value string) Attr { return Attr(name + `="` + Escape(value) + `"`) }

// Join combines attributes.
func Join(as ...Attr) Attr {
	var parts []string
	for _, a := range as {
		if a != "" {
			parts = append(parts, string(a))
		}
	}
	return Attr(strings.Join(parts, " "))
}

func (d *Doc) el(format string, args ...any) {
	fmt.Fprintf(&d.b, format, args...)
	d.b.WriteByte('\n')
}

func sp(a Attr) string {
	if a == "" {
		return ""
	}
	return " " + string(a)
}

// Rect draws a rectangle.
func (d *Doc) Rect(x, y, w, h float64, a Attr) {
	d.el(`<rect x="%s" y="%s" width="%s" height="%s"%s/>`, Num(x), Num(y), Num(math.Max(w, 0)), Num(math.Max(h, 0)), sp(a))
}

// Line draws a line segment.
func (d *Doc) Line(x1, y1, x2, y2 float64, a Attr) {
	d.el(`<line x1="%s" y1="%s" x2="%s" y2="%s"%s/>`, Num(x1), Num(y1), Num(x2), Num(y2), sp(a))
}

// Circle draws a circle.
func (d *Doc) Circle(cx, cy, r float64, a Attr) {
	d.el(`<circle cx="%s" cy="%s" r="%s"%s/>`, Num(cx), Num(cy), Num(r), sp(a))
}

// Polyline draws points joined by straight segments.
func (d *Doc) Polyline(pts [][2]float64, a Attr) {
	if len(pts) == 0 {
		return
	}
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Num(p[0]))
		b.WriteByte(',')
		b.WriteString(Num(p[1]))
	}
	d.el(`<polyline points="%s" fill="none"%s/>`, b.String(), sp(a))
}

// Anchor values for Text.
const (
	Start  = "start"
	Middle = "middle"
	End    = "end"
)

// Text draws escaped text with its baseline at y.
func (d *Doc) Text(x, y float64, anchor, text string, a Attr) {
	d.el(`<text x="%s" y="%s" text-anchor="%s"%s>%s</text>`, Num(x), Num(y), anchor, sp(a), Escape(text))
}

// Title adds a tooltip (an SVG <title> child) to the next shape: callers
// open a group with Group, add Title and the shape, then End.
func (d *Doc) Title(text string) { d.el(`<title>%s</title>`, Escape(text)) }

// Group opens a <g> element; End closes it.
func (d *Doc) Group(a Attr) { d.el(`<g%s>`, sp(a)) }

// End closes the innermost group.
func (d *Doc) End() { d.el(`</g>`) }

// Raw appends markup the caller built from constants (patterns, defs).
func (d *Doc) Raw(markup string) { d.el("%s", markup) }

// String closes the document and returns it.
func (d *Doc) String() string { return d.b.String() + "</svg>" }

// Num prints a coordinate with at most two decimals and no trailing zeros,
// so output is short and identical on every platform.
func Num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	s := strconv.FormatFloat(math.Round(v*100)/100, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// Escape makes text safe inside an element or a double-quoted attribute.
func Escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		default:
			// Control characters are not allowed in XML text.
			if r < 0x20 && r != '\t' && r != '\n' {
				b.WriteRune('\uFFFD')
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
