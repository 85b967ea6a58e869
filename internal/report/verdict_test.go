package report

import (
	"bytes"
	"strings"
	"testing"
)

// Every report opens with the verdict, before any table: the slower
// candidate and by how much, the primary cause, the best verified fix.
func TestVerdictOpensEveryReport(t *testing.T) {
	for _, tt := range []struct {
		fixture string
		want    []string // the verdict's lines, in order (prefixes)
	}{
		{"seed", []string{"Verdict: B is 53.8x slower than A (16.1 ms vs 300 µs per call", "Why: heap-trim-refault (high confidence",
			"Where: B, t = a.astype(np.float64); t / 255.0", "Fix: GLIBC_TUNABLES="}},
		{"nodiff", []string{"Verdict: no significant difference between the candidates under glibc."}},
		{"run", []string{"Verdict: B is 1.83x slower than A", "Why: unexplained: no memory-management cause"}},
	} {
		r := loadFixture(t, tt.fixture+".json")
		var term, md, html bytes.Buffer
		if err := Terminal(&term, r, Options{Width: 1000}); err != nil {
			t.Fatal(err)
		}
		if err := Markdown(&md, r); err != nil {
			t.Fatal(err)
		}
		if err := HTML(&html, r); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(term.String(), "\n")[1:]
		for i, w := range tt.want {
			if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
				t.Errorf("%s: terminal line %d %q, want %q", tt.fixture, i+2, lines[min(i, len(lines)-1)], w)
			}
		}
		if lines[len(tt.want)] != "" {
			t.Errorf("%s: no blank line after the verdict: %q", tt.fixture, lines[len(tt.want)])
		}
		m := md.String()
		if v, tb := strings.Index(m, "**Verdict:**"), strings.Index(m, "|"); v < 0 || tb < v {
			t.Errorf("%s: the Markdown verdict (at %d) does not come before the first table (at %d)", tt.fixture, v, tb)
		}
		h := html.String()
		if v, tb := strings.Index(h, `class="verdict"`), strings.Index(h, "<table"); v < 0 || tb < v {
			t.Errorf("%s: the HTML verdict (at %d) does not come before the first table (at %d)", tt.fixture, v, tb)
		}
	}
}
