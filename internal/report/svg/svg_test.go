package svg

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	got := Escape(`<script>alert("x")</script> & 'y'` + "\x01")
	want := "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;y&#39;\uFFFD"
	if got != want {
		t.Errorf("Escape = %q, want %q", got, want)
	}
}

func TestTextAndAttributesEscaped(t *testing.T) {
	d := New(100, 50, `a "title" <b>`)
	d.Text(1, 2, Start, "<script>alert(1)</script>", A("fill", `red" onload="x`))
	d.Title("</title><script>")
	out := d.String()
	if strings.Contains(out, "<script") || strings.Contains(out, `onload="x`) {
		t.Errorf("unescaped text in %s", out)
	}
	if !strings.HasPrefix(out, "<svg ") || !strings.HasSuffix(out, "</svg>") {
		t.Errorf("not one svg element: %s", out)
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1.5: "1.5", 2.004: "2", -0.001: "0", 10.126: "10.13", math.NaN(): "0", math.Inf(1): "0"} {
		if got := Num(v); got != want {
			t.Errorf("Num(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestScales(t *testing.T) {
	l := Log{Lo: 1e-4, Hi: 1e-2, P0: 0, P1: 100}
	if got := l.Px(1e-3); math.Abs(got-50) > 1e-9 {
		t.Errorf("log midpoint at %v, want 50", got)
	}
	if got := l.Ticks(); !slices.Equal(got, []float64{1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2}) {
		t.Errorf("log ticks over two decades = %v", got)
	}
	wide := Log{Lo: 1e-6, Hi: 1, P0: 0, P1: 100}
	if got := len(wide.Ticks()); got != 7 {
		t.Errorf("six decades give %d ticks, want the 7 powers of ten", got)
	}
	lin := Linear{Lo: 0, Hi: 10, P0: 100, P1: 0}
	if lin.Px(10) != 0 || lin.Px(0) != 100 {
		t.Error("linear scale does not invert")
	}
	if got := lin.Ticks(); !slices.Equal(got, []float64{0, 2, 4, 6, 8, 10}) {
		t.Errorf("linear ticks = %v", got)
	}
	c := Log1p{Hi: 1319, P0: 100, P1: 0}
	if c.Px(0) != 100 || c.Px(1319) != 0 {
		t.Error("log1p ends are wrong")
	}
	if got := c.Ticks(); !slices.Equal(got, []float64{0, 1, 10, 100, 1000}) {
		t.Errorf("log1p ticks = %v", got)
	}
	if lo, hi := Domain(5, 5); hi/lo < 2 {
		t.Errorf("a flat series gets a domain of %v..%v, want at least a factor 2", lo, hi)
	}
}
