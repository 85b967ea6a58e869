package report

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	comparison "github.com/faultline/faultline/internal/compare"
)

// termWidth is the terminal the width tests fit: the common 80 columns.
const termWidth = 80

// rendering is one terminal rendering of a fixture, and the document it
// draws (nil for the comparisons).
type rendering struct {
	name   string
	doc    *doc
	render func(*bytes.Buffer) error
}

// renderings are every terminal rendering of the fixtures the report
// tests use: each result plain, verbose, quiet and in colour, the sweep,
// and a comparison of each result with itself.
func renderings(t *testing.T, width int) []rendering {
	t.Helper()
	var rs []rendering
	for _, fx := range fixtures {
		r := loadFixture(t, fx+".json")
		for _, opt := range []Options{{}, {Verbose: true}, {Quiet: true}, {Color: true, Verbose: true}, {Unit: "usec"}} {
			opt.Width = width
			d := buildDocIn(r, opt.Verbose, opt.Unit, false)
			if opt.Quiet {
				d = quietDoc(d)
			}
			rs = append(rs, rendering{fmt.Sprintf("%s %+v", fx, opt), d,
				func(b *bytes.Buffer) error { return Terminal(b, r, opt) }})
		}
		c, err := comparison.New([]comparison.Input{{Path: fx + ".json", Result: r}, {Path: "this run", Result: loadFixture(t, fx+".json")}}, comparison.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, rendering{fx + " compared", nil, func(b *bytes.Buffer) error {
			return CompareTerminal(b, c, Options{Width: width, Color: true})
		}})
	}
	s := loadSweepFixture(t)
	for _, opt := range []Options{{}, {Quiet: true}, {Color: true}} {
		opt.Width = width
		d := buildSweepDoc(s, false)
		if opt.Quiet {
			d = quietDoc(d)
		}
		rs = append(rs, rendering{fmt.Sprintf("sweep %+v", opt), d,
			func(b *bytes.Buffer) error { return SweepTerminal(b, s, opt) }})
	}
	return rs
}

// TestTerminalFitsWidth: on an 80-column terminal no line of any report
// is wider than 80 columns, counted in characters ("µ" and "…" are one)
// with the colour escapes left out; and no number of any table is cut on
// the way: each is still on its row, beside the row's name.
func TestTerminalFitsWidth(t *testing.T) {
	for _, width := range []int{termWidth, 60, 120} {
		for _, rd := range renderings(t, width) {
			var b bytes.Buffer
			if err := rd.render(&b); err != nil {
				t.Fatal(err)
			}
			out := ansiRE(b.String())
			for i, l := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(l); n > width {
					t.Errorf("%s at width %d: line %d is %d wide: %q", rd.name, width, i+1, n, l)
				}
			}
			if rd.doc != nil {
				numbersWhole(t, rd.name, rd.doc, out)
			}
		}
	}
}

// numbersWhole checks that every right-aligned (number) cell of d's
// tables is printed whole on a line that starts with its row's name.
func numbersWhole(t *testing.T, name string, d *doc, out string) {
	t.Helper()
	var tables []*table
	for _, b := range d.Head {
		if b.Table != nil {
			tables = append(tables, b.Table)
		}
	}
	for _, s := range d.Sections {
		for _, b := range s.Blocks {
			if b.Table != nil {
				tables = append(tables, b.Table)
			}
		}
	}
	for _, tb := range tables {
		for _, row := range tb.Rows {
			if len(row) == 0 || strings.TrimSpace(row[0].Text) == "" {
				continue
			}
			// A name is printed whole; prose (the evidence) may wrap
			// after its first word.
			key := strings.Fields(row[0].Text)[0]
			for i, c := range row {
				if i == 0 || i >= len(tb.Right) || !tb.Right[i] || c.Text == "" {
					continue
				}
				if !onRow(out, key, c.Text) {
					t.Errorf("%s: %s's %q (column %q) is not whole on its row", name, key, c.Text, tb.Head[i])
				}
			}
		}
	}
}

// TestQuiet: -q prints the verdict and one table, the time table of the
// candidates under the baseline configuration, exactly as the full
// report prints it; for a sweep, the verdict and the sweep's table.
func TestQuiet(t *testing.T) {
	type tc struct {
		name        string
		full, quiet func(*bytes.Buffer) error
		heading     string
		rows        []string // names the table's rows start with
	}
	var cases []tc
	for _, fx := range fixtures {
		r := loadFixture(t, fx+".json")
		f := newFacts(r)
		var rows []string
		for _, run := range f.runsIn(f.baseCfg, f.mode) {
			rows = append(rows, run.Candidate)
		}
		cases = append(cases, tc{fx,
			func(b *bytes.Buffer) error { return Terminal(b, r, Options{Width: termWidth}) },
			func(b *bytes.Buffer) error { return Terminal(b, r, Options{Width: termWidth, Quiet: true}) },
			"Time per ", rows})
		if n := countTables(quietDoc(buildDocIn(r, false, "", false))); n != 1 {
			t.Errorf("%s: the quiet document has %d tables, want 1", fx, n)
		}
	}
	s := loadSweepFixture(t)
	cases = append(cases, tc{"sweep",
		func(b *bytes.Buffer) error { return SweepTerminal(b, s, Options{Width: termWidth}) },
		func(b *bytes.Buffer) error { return SweepTerminal(b, s, Options{Width: termWidth, Quiet: true}) },
		"Along ", nil})
	for _, c := range cases {
		var full, quiet bytes.Buffer
		if err := c.full(&full); err != nil {
			t.Fatal(err)
		}
		if err := c.quiet(&quiet); err != nil {
			t.Fatal(err)
		}
		paras := strings.Split(strings.TrimSuffix(quiet.String(), "\n"), "\n\n")
		if len(paras) != 2 {
			t.Errorf("%s: -q prints %d paragraphs, want the verdict and one table:\n%s", c.name, len(paras), quiet.String())
			continue
		}
		verdict, table := paras[0], paras[1]
		if !strings.HasPrefix(verdict, "Verdict: ") || !strings.Contains(full.String(), verdict+"\n") {
			t.Errorf("%s: -q does not open with the report's verdict:\n%s", c.name, verdict)
		}
		// The table is the full report's, heading and all, and nothing
		// after it (notes, failures, other tables).
		var section string
		for _, p := range strings.Split(full.String(), "\n\n") {
			if strings.HasPrefix(p, c.heading) {
				section = p
				break
			}
		}
		if !strings.HasPrefix(table, c.heading) || !strings.HasPrefix(section, table) {
			t.Errorf("%s: -q's table is not the report's %q table:\n%s", c.name, c.heading, table)
		}
		for _, name := range c.rows {
			if !strings.Contains("\n"+table, "\n"+name+" ") {
				t.Errorf("%s: -q's table has no row for %s:\n%s", c.name, name, table)
			}
		}
	}
}

func countTables(d *doc) int {
	n := 0
	for _, b := range d.Head {
		if b.Table != nil {
			n++
		}
	}
	for _, s := range d.Sections {
		for _, b := range s.Blocks {
			if b.Table != nil {
				n++
			}
		}
	}
	return n
}

func TestDisplayWidth(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want int
	}{
		{"300 µs", 6},
		{"t / 255…", 8},
		{"e\u0301", 1}, // e and a combining accent
		{"数组", 4},
		{"a\x1b", 1},
	} {
		if got := displayWidth(tt.s); got != tt.want {
			t.Errorf("displayWidth(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
	for _, tt := range []struct {
		s    string
		w    int
		want string
	}{
		{"a.astype(np.float64)", 8, "a.astyp…"},
		{"a.astype(np.float64)", 20, "a.astype(np.float64)"},
		{"数组数组", 5, "数组…"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
	} {
		if got := cut(tt.s, tt.w); got != tt.want || displayWidth(got) > tt.w {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.s, tt.w, got, tt.want)
		}
	}
	got := splitWord("LD_PRELOAD=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo.so", 40)
	if len(got) != 2 || got[0] != "LD_PRELOAD=/usr/lib/llvm-14/lib/clang/" {
		t.Errorf("splitWord broke the path as %q, want after its last / within 40 columns", got)
	}
}

// A table too wide for the terminal keeps every cell: the label is cut
// with an ellipsis, then the columns stack in blocks that each start
// with the row's name; wide characters count two columns.
func TestWideTable(t *testing.T) {
	tb := &table{Head: []string{"", "time", "±", "vs A", "minor flt", "major flt", "peak RSS", "label"},
		Right: []bool{false, true, true, false, true, true, true, false}, Fill: 7}
	for i, l := range []string{"np.add(数组, 数组, out=数组) with a long tail of code", "x"} {
		name := string(rune('A' + i))
		tb.Rows = append(tb.Rows, []span{sty(name, strong), txt("16.1 ms"), txt("±1%"), txt("53.8x [52.0, 55.8]"),
			txt("1,319"), txt("0"), txt("59.7 MiB"), sty(l, code)})
	}
	for _, width := range []int{100, 60, 30} {
		var b bytes.Buffer
		tw := &termWriter{w: bufio.NewWriter(&b), opt: Options{Width: width}}
		tw.table(tb, "")
		tw.w.Flush()
		out := b.String()
		for _, l := range strings.Split(out, "\n") {
			if displayWidth(l) > width {
				t.Errorf("width %d: %q is %d wide", width, l, displayWidth(l))
			}
		}
		for _, cell := range []string{"16.1 ms", "53.8x [52.0, 55.8]", "1,319", "59.7 MiB"} {
			if !strings.Contains(out, "\n"+"A  ") || !onRow(out, "A", cell) {
				t.Errorf("width %d: %q is not whole on A's row:\n%s", width, cell, out)
			}
		}
		if !strings.Contains(out, "…") {
			t.Errorf("width %d: the label is not cut:\n%s", width, out)
		}
	}
}

// onRow reports whether a line of out starts with the row name key
// (after the padding of a right-aligned one) and holds cell.
func onRow(out, key, cell string) bool {
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimLeft(l, " "); (l == key || strings.HasPrefix(l, key+" ")) && strings.Contains(l, cell) {
			return true
		}
	}
	return false
}
