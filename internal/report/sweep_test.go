package report

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

func TestSweepGolden(t *testing.T) {
	s := loadSweepFixture(t)
	var b bytes.Buffer
	if err := SweepTerminal(&b, s, Options{Width: 100}); err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.txt.golden", b.Bytes())

	b.Reset()
	if err := SweepMarkdown(&b, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.md.golden", b.Bytes())

	b.Reset()
	if err := SweepBenchstat(&b, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.benchstat.golden", b.Bytes())

	b.Reset()
	if err := SweepHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.html.golden", b.Bytes())
	for _, fg := range sweepFigures(s, sweepLines(s)[0], "line-1") {
		golden(t, "sweep."+fg.ID+".svg.golden", []byte(string(fg.SVG)+"\n"))
	}
}

// The HTML page links each point with findings to them, marks the cliff
// on both plots, and draws the time on a log axis (30 µs to 1.6 s).
func TestSweepHTMLContent(t *testing.T) {
	s := loadSweepFixture(t)
	var b bytes.Buffer
	if err := SweepHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{`<a href="#point-2">`, `id="point-2"`, `id="line-1-time"`, `id="line-1-faults"`,
		"glibc trim threshold", "Time per iteration (log scale)", "n (log scale)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, `href="#point-5"`) {
		t.Error("the skipped point links to findings it does not have")
	}
	if n := strings.Count(page, "<svg"); n != 2 {
		t.Errorf("%d charts, want 2", n)
	}
}

// A linear, non-numeric or two-point sweep: no log axis where the values
// are not geometric, and no plot for a parameter that is not a number.
func TestSweepAxes(t *testing.T) {
	if !geometric([]float64{1e5, 1e6, 1e7}) || geometric([]float64{1, 2, 3, 4}) || geometric([]float64{1, 10}) {
		t.Error("geometric spacing misjudged")
	}
	s := loadSweepFixture(t)
	for i := range s.Parameters[0].Values {
		s.Parameters[0].Values[i].Number = nil
	}
	var b bytes.Buffer
	if err := SweepHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<svg") {
		t.Error("a parameter that is not a number has a plot")
	}
}

// benchstat -col /n reads the sweep: one column per point that ran, one
// row per candidate and configuration.
func TestSweepBenchstatColumns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building benchstat takes a while")
	}
	bin := buildBenchstat(t)
	var b bytes.Buffer
	sw := loadSweepFixture(t)
	// B's rows are named by its label, the same at every point.
	rowB := benchKey(label(sw.Points[0].Result.Candidate("B"))) + "/config=glibc "
	if err := SweepBenchstat(&b, sw); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sweep.txt")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-col", "/n", "-filter", ".unit:sec/op", path).CombinedOutput()
	if err != nil {
		t.Fatalf("benchstat: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"│   100000    │", " 1000000 ", " 10000000 ", " 100000000 ", rowB} {
		if !strings.Contains(text, want) {
			t.Errorf("benchstat -col /n output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "1000000000") {
		t.Errorf("the skipped point has a column:\n%s", text)
	}
	t.Logf("%s", text)
}

// The table fits the terminal's width; on one too narrow for it, the
// numbers are still all there (only labels are ever shortened).
func TestSweepTerminalWidth(t *testing.T) {
	s := loadSweepFixture(t)
	for _, width := range []int{100, 40} {
		var b bytes.Buffer
		if err := SweepTerminal(&b, s, Options{Width: width}); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(b.String(), "\n") {
			if width == 100 && len([]rune(l)) > width {
				t.Errorf("line wider than %d: %q", width, l)
			}
		}
		if n := strings.Count(b.String(), "53.8x"); n != 5 {
			t.Errorf("width %d: 53.8x appears %d times, want 5 (the verdict, three rows and the cliff)", width, n)
		}
	}
}

// TestChromiumSweep loads the sweep page in headless Chromium: no console
// messages, no network requests, ink on the page and in each plot drawn
// alone at a known position. The screenshots are kept as artifacts.
func TestChromiumSweep(t *testing.T) {
	browser := requireChromium(t)
	s := loadSweepFixture(t)
	checkPage(t, browser, "sweep", 2000, func(w io.Writer) error { return SweepHTML(w, s) })
	dir := t.TempDir()

	var sheet strings.Builder
	sheet.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8">` +
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
		`<style>body{margin:0;background:#fff} div{position:absolute;left:0}</style></head><body>`)
	figs := sweepFigures(s, sweepLines(s)[0], "line-1")
	h := int(sweepTop + sweepPlotH + sweepBottom)
	for i, fg := range figs {
		fmt.Fprintf(&sheet, `<div style="top:%dpx">%s</div>`, i*(h+20), fg.SVG)
	}
	sheet.WriteString(`</body></html>`)
	sheetPath := filepath.Join(dir, "charts.html")
	if err := os.WriteFile(sheetPath, []byte(sheet.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	total := len(figs) * (h + 20)
	crun := loadInChromium(t, browser, sheetPath, int(chartW), total)
	cimg := decodePNG(t, crun.screenshot)
	for i, fg := range figs {
		r := image.Rect(0, i*(h+20), int(chartW), i*(h+20)+h)
		got := ink(cimg, r)
		t.Logf("%s: %.1f%% of %v has ink", fg.ID, got*100, r)
		if got < 0.01 {
			t.Errorf("plot %s looks blank: %.2f%% ink in %v", fg.ID, got*100, r)
		}
	}
	t.Logf("screenshot of the sweep plots: %s", keep(t, crun.screenshot, artifactDir(t), "report-sweep-charts.png"))
}

// A value as written is user text: it cannot split a Markdown table cell
// or open an element in the page.
func TestSweepEscapes(t *testing.T) {
	s := loadSweepFixture(t)
	bad := "<script>x|y</script>"
	s.Points[0].Text["n"] = bad
	s.Parameters[0].Values[0].Text = bad
	var md, page bytes.Buffer
	if err := SweepMarkdown(&md, s); err != nil {
		t.Fatal(err)
	}
	if err := SweepHTML(&page, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "x|y") || strings.Contains(md.String(), "<script>") {
		t.Errorf("Markdown carries the value unescaped:\n%s", md.String())
	}
	if strings.Contains(page.String(), "<script>") {
		t.Error("the page carries a <script> element")
	}
}

// Two parameters: one line along the numeric one per value of the other,
// the first parameter outermost as the sweep runs them.
func TestSweepLines(t *testing.T) {
	one, two := 1.0, 2.0
	s := &result.Sweep{Parameters: []result.SweepParameter{
		{Name: "n", Values: []result.SweepValue{{Text: "1KiB", Number: &one}, {Text: "2KiB", Number: &two}}},
		{Name: "kind", Values: []result.SweepValue{{Text: "a"}, {Text: "b"}}},
	}}
	for _, n := range []string{"1KiB", "2KiB"} {
		for _, k := range []string{"a", "b"} {
			s.Points = append(s.Points, result.SweepPoint{Values: map[string]string{"n": n, "kind": k}, Text: map[string]string{"n": n, "kind": k}})
		}
	}
	lines := sweepLines(s)
	if len(lines) != 2 || lines[0].param != "n" || lines[0].label != "kind = a" || lines[1].label != "kind = b" {
		t.Fatalf("lines = %+v", lines)
	}
	if !slices.Equal(lines[0].points, []int{0, 2}) || !slices.Equal(lines[1].points, []int{1, 3}) {
		t.Errorf("points = %v, %v; want [0 2], [1 3]", lines[0].points, lines[1].points)
	}
	var b bytes.Buffer
	if err := SweepTerminal(&b, s, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Along n (kind = b)") || !strings.Contains(b.String(), "n = 2KiB, kind = b failed before any run") {
		t.Errorf("the report of points without results:\n%s", b.String())
	}
}

// TestSweepLinesByValue: refinement points come after the sweep's own in
// the document; along a number the rows go by value.
func TestSweepLinesByValue(t *testing.T) {
	one := 1.0
	s := &result.Sweep{Parameters: []result.SweepParameter{{Name: "n", Values: []result.SweepValue{{Text: "100", Value: "100", Number: &one}}}}}
	for _, v := range []string{"100", "400", "250", "175"} {
		s.Points = append(s.Points, result.SweepPoint{Values: map[string]string{"n": v}, Text: map[string]string{"n": v}})
	}
	lines := sweepLines(s)
	if len(lines) != 1 || !slices.Equal(lines[0].points, []int{0, 3, 2, 1}) {
		t.Errorf("lines %+v, want one with the points by value (0, 3, 2, 1)", lines)
	}
}
