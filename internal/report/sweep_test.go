package report

import (
	"bytes"
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
