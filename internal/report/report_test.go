package report

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current renderers")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the golden file at line %d:\n got: %q\nwant: %q\n(run go test -update if the change is intended)", name, i+1, g, w)
			}
		}
	}
}

var fixtures = []string{"seed", "run", "nodiff"}

func TestGolden(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx, func(t *testing.T) {
			r := loadFixture(t, fx+".json")
			var b bytes.Buffer
			if err := Terminal(&b, r, Options{Width: 100}); err != nil {
				t.Fatal(err)
			}
			golden(t, fx+".txt.golden", b.Bytes())

			b.Reset()
			if err := Markdown(&b, r); err != nil {
				t.Fatal(err)
			}
			golden(t, fx+".md.golden", b.Bytes())

			b.Reset()
			if err := HTML(&b, r); err != nil {
				t.Fatal(err)
			}
			golden(t, fx+".html.golden", b.Bytes())

			b.Reset()
			if err := Benchstat(&b, r); err != nil {
				t.Fatal(err)
			}
			golden(t, fx+".benchstat.golden", b.Bytes())
		})
	}
}

// The verbose terminal report and the individual charts have their own
// golden files: the charts so an SVG change shows up as a small diff.
func TestGoldenVerboseAndCharts(t *testing.T) {
	r := loadFixture(t, "seed.json")
	var b bytes.Buffer
	if err := Terminal(&b, r, Options{Width: 120, Verbose: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "seed.verbose.txt.golden", b.Bytes())
	for _, fg := range newFacts(r).figures() {
		if fg.Folded {
			continue
		}
		golden(t, "seed."+fg.ID+".svg.golden", []byte(string(fg.SVG)+"\n"))
	}
}

// Rendering twice gives the same bytes: nothing depends on map order,
// the clock or the environment.
func TestDeterministic(t *testing.T) {
	r := loadFixture(t, "seed.json")
	render := func() string {
		var b bytes.Buffer
		_ = Terminal(&b, r, Options{Color: true})
		_ = Markdown(&b, r)
		_ = HTML(&b, r)
		_ = Benchstat(&b, r)
		return b.String()
	}
	first := render()
	for range 5 {
		if render() != first {
			t.Fatal("two renderings of the same result differ")
		}
	}
}

func TestTerminalColor(t *testing.T) {
	r := loadFixture(t, "seed.json")
	var plainOut, colorOut bytes.Buffer
	if err := Terminal(&plainOut, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Terminal(&colorOut, r, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plainOut.String(), "\x1b[") {
		t.Error("Color off, but the output has ANSI escapes")
	}
	for _, want := range []string{"\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[2m"} {
		if !strings.Contains(colorOut.String(), want) {
			t.Errorf("colour output lacks %q", want)
		}
	}
	// Colour must not change the text itself.
	stripped := ansiRE(colorOut.String())
	if stripped != plainOut.String() {
		t.Error("colour output differs from plain output beyond the escapes")
	}
}

func ansiRE(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && s[j] != 'm' {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestTerminalWidth(t *testing.T) {
	r := loadFixture(t, "seed.json")
	for _, w := range []int{80, 100, 140} {
		var b bytes.Buffer
		if err := Terminal(&b, r, Options{Width: w}); err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(b.String(), "\n") {
			// Tables of numbers are never cut (only labels are), and one
			// long word (an environment setting) cannot be broken; every
			// other line must fit.
			if n := len([]rune(l)); n > w && !isTableLine(l) && len(strings.Fields(strings.TrimPrefix(l, "- "))) > 1 {
				t.Errorf("width %d: line %d is %d wide: %q", w, i+1, n, l)
			}
		}
	}
}

// isTableLine guesses whether l is a table row: a two-space column gap
// after the indentation.
func isTableLine(l string) bool { return strings.Contains(strings.TrimLeft(l, " "), "  ") }

// Sections without data are left out.
func TestSectionsOmitted(t *testing.T) {
	tests := []struct {
		fixture string
		want    []string
		absent  []string
	}{
		{"seed.json", []string{"Time per call", "Memory activity", "Order effect", "Allocator experiments", "Why", "Fixes", "Notes", "Passes"}, nil},
		{"run.json", []string{"Time per run", "Notes", "Passes", "C failed", "1 of 11 runs failed"}, []string{"Allocator experiments", "Why", "Fixes", "Order effect", "Memory activity"}},
		{"nodiff.json", []string{"Time per call", "~ ", "Order effect", "Memory activity"}, []string{"Allocator experiments", "Why", "Fixes"}},
	}
	for _, tt := range tests {
		r := loadFixture(t, tt.fixture)
		var b bytes.Buffer
		if err := Terminal(&b, r, Options{Width: 100}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: report lacks %q", tt.fixture, w)
			}
		}
		for _, a := range tt.absent {
			// A section's title is its line's start, then its
			// subtitle or the line's end ("Why:" opens a verdict line).
			if strings.Contains(out, "\n"+a+"\n") || strings.Contains(out, "\n"+a+"  ") {
				t.Errorf("%s: report has an empty section %q", tt.fixture, a)
			}
		}
	}
}

func TestPartialWarning(t *testing.T) {
	r := loadFixture(t, "nodiff.json")
	r.Partial, r.Interrupted = true, "interrupted by signal"
	for name, render := range map[string]func(*bytes.Buffer) error{
		"terminal": func(b *bytes.Buffer) error { return Terminal(b, r, Options{}) },
		"markdown": func(b *bytes.Buffer) error { return Markdown(b, r) },
		"html":     func(b *bytes.Buffer) error { return HTML(b, r) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "partial result: interrupted by signal") {
			t.Errorf("%s: no partial-result warning", name)
		}
	}
}

// An empty result (nothing measured yet) renders without panicking.
func TestEmptyResult(t *testing.T) {
	r := result.New(result.KindTimeit, "dev", nil)
	var b bytes.Buffer
	if err := Terminal(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := Benchstat(&b, r); err != nil {
		t.Fatal(err)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{fmtTime(0.2985e-3), "298 µs"},
		{fmtTime(16.16e-3), "16.2 ms"},
		{fmtTime(1.0951e-3), "1.10 ms"},
		{fmtTime(812e-9), "812 ns"},
		{fmtTime(2.5), "2.50 s"},
		{fmtValue(-432.4e-6, "s"), "-432 µs"},
		{fmtValue(math.Inf(-1), "s"), "-"},
		{fmtValue(0, "s"), "-"},
		{fmtTime(0), "-"},
		{fmtRatio(53.76), "53.8x"},
		{fmtRatio(1.351), "1.35x"},
		{fmtRatio(212.4), "212x"},
		{fmtBytes(7999488), "7.6 MiB"},
		{fmtBytes(15998976), "15.3 MiB"},
		{fmtBytes(512), "512 B"},
		{fmtCount(1319.25), "1,319"},
		{fmtCount(0.4), "0.4"},
		{fmtCount(0), "0"},
		{fmtSize(result.SizeCount{Call: "brk+", Bytes: 7999488, Per: 2}), "brk +7.6 MiB x2"},
		{fmtSize(result.SizeCount{Call: "brk-", Bytes: 15998976, Per: 1}), "brk -15.3 MiB"},
		{fmtSize(result.SizeCount{Call: "madvise:MADV_DONTNEED", Bytes: 8392704, Per: 1}), "MADV_DONTNEED 8.0 MiB"},
		{fmtPM(result.Estimate{Median: 100, Low: 98, High: 103, Confidence: 0.95}), "±3%"},
		{fmtPM(result.Estimate{Median: 100, Low: 100, High: 100}), "± ?"},
		{fmtEnv(map[string]string{"Z": "1", "A": "2"}), "A=2 Z=1"},
		{benchName("B-fix"), "B-fix"},
		{benchName("jemalloc-5"), "jemalloc_5"},
		{benchName("a b/c=d"), "a_b_c_d"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// A very narrow terminal degrades (long lines) but never fails.
func TestNarrowTerminal(t *testing.T) {
	for _, fx := range fixtures {
		r := loadFixture(t, fx+".json")
		for _, w := range []int{1, 20} {
			var b bytes.Buffer
			if err := Terminal(&b, r, Options{Width: w, Verbose: true, Color: true}); err != nil {
				t.Fatal(err)
			}
			if b.Len() == 0 {
				t.Errorf("%s at width %d: empty report", fx, w)
			}
		}
	}
}

// TestHTMLThinsLargeResults: a result of 400,000 samples renders a page
// of bounded size whose charts say they were thinned; drawn in full it
// was about 160 MB (each sample two SVG circles with a tooltip).
func TestHTMLThinsLargeResults(t *testing.T) {
	r := result.New(result.KindRun, "test", nil)
	r.Candidates = []result.Candidate{{Name: "A", Label: "a"}, {Name: "B", Label: "b"}}
	r.Configs = []result.Config{{Name: result.DefaultConfig, Status: result.StatusOK}}
	for ci, c := range []string{"A", "B"} {
		run := result.Run{Candidate: c, Config: result.DefaultConfig, Mode: result.ModeProcess, Status: result.StatusOK,
			Time: result.Estimate{Unit: "s", Median: 0.002, Low: 0.0019, High: 0.0021, N: 200_000}, Sources: map[string]string{"time": result.PassTiming}}
		for i := range 200_000 {
			run.Samples = append(run.Samples, result.Sample{Seq: 2*i + ci, Round: i, Seconds: 0.002 + float64(i%7)*1e-5, MinorFaults: 50})
		}
		r.Results = append(r.Results, run)
	}
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 4<<20 {
		t.Errorf("HTML of 400,000 samples is %d bytes", b.Len())
	}
	if !strings.Contains(b.String(), "Thinned for display") {
		t.Error("the page does not say its charts were thinned")
	}
}

// TestBaselineFromTheUsersEnvironment: a baseline that preloads an
// allocator is named for it and marked as the user's environment, not as
// the default.
func TestBaselineFromTheUsersEnvironment(t *testing.T) {
	r := loadFixture(t, "nodiff.json")
	const name = "jemalloc"
	old := r.Configs[0].Name
	r.Configs[0].Name = name
	r.Configs[0].Env = map[string]string{"LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"}
	for i := range r.Results {
		if r.Results[i].Config == old {
			r.Results[i].Config = name
		}
	}
	for i := range r.Comparisons {
		if r.Comparisons[i].Config == old {
			r.Comparisons[i].Config = name
		}
	}
	for i := range r.Passes {
		if r.Passes[i].Config == old {
			r.Passes[i].Config = name
		}
	}
	var b bytes.Buffer
	if err := Terminal(&b, r, Options{Width: 100}); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, name+" (your environment)") || strings.Contains(out, "(default)") || strings.Contains(out, "under "+old) {
		t.Errorf("the baseline is not shown as the user's jemalloc:\n%s", out)
	}
}
