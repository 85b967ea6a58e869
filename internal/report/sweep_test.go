package report

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
}

// benchstat -col /n reads the sweep: one column per point that ran, one
// row per candidate and configuration.
func TestSweepBenchstatColumns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building benchstat takes a while")
	}
	bin := buildBenchstat(t)
	var b bytes.Buffer
	if err := SweepBenchstat(&b, loadSweepFixture(t)); err != nil {
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
	for _, want := range []string{"│   100000    │", " 1000000 ", " 10000000 ", " 100000000 ", "B/config=glibc "} {
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
		if n := strings.Count(b.String(), "53.8x"); n != 4 {
			t.Errorf("width %d: 53.8x appears %d times, want 4 (three rows and the cliff)", width, n)
		}
	}
}
