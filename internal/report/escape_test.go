package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

const hostile = `<script>alert(1)</script> "quoted" 'single' a|b`

// hostileResult is the seed result with a candidate label, a config name,
// a finding summary and a note an attacker (or an unlucky user) controls.
func hostileResult(t *testing.T) *result.Result {
	r := loadFixture(t, "seed.json")
	r.Candidates[1].Label = hostile
	r.Candidates[1].Statement = hostile
	r.Findings[0].Summary = hostile
	r.Findings[0].Fixes[0].Change = hostile
	r.Notes = append(r.Notes, hostile)
	r.Configs[1].Description = hostile
	return r
}

func TestHTMLEscapesUserText(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, hostileResult(t)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "<script") {
		t.Fatal("a label's <script> reached the page unescaped")
	}
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the escaped label is missing from the page")
	}
	// Quotes are escaped too, so the text cannot close an attribute.
	if strings.Contains(out, `"quoted"`) || strings.Contains(out, `'single'`) {
		t.Error("quotes in user text are not escaped")
	}
	// The label also appears in the SVG charts' tooltips, escaped there
	// by package svg.
	if !strings.Contains(out, "<title>") {
		t.Error("no SVG tooltips rendered")
	}
}

func TestMarkdownEscapesUserText(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, hostileResult(t)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// Count the cells of every table row: a "|" in user text must not add
	// a column.
	rows := 0
	var cols int
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "|") {
			cols = 0
			continue
		}
		n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(l, -1))
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("table row has %d cells, header %d: %s", n, cols, l)
		}
		rows++
	}
	if rows == 0 {
		t.Fatal("no tables in the Markdown output")
	}
	// Outside code spans, HTML must not survive.
	for _, l := range strings.Split(out, "\n") {
		noCode := regexp.MustCompile("`[^`]*`").ReplaceAllString(l, "")
		if strings.Contains(noCode, "<script>") {
			t.Errorf("raw <script> outside a code span: %s", l)
		}
	}
	if !strings.Contains(out, "`<script>alert(1)</script> \"quoted\" 'single' a\\|b`") {
		t.Error("the label is not set as a code span with its pipe escaped")
	}
}

func TestTerminalStripsControlCharacters(t *testing.T) {
	r := loadFixture(t, "seed.json")
	r.Candidates[0].Label = "evil\x1b[2Jlabel\nsecond line"
	var b bytes.Buffer
	if err := Terminal(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Error("an escape sequence from user text reached the terminal")
	}
}

func TestMdCode(t *testing.T) {
	tests := []struct {
		in      string
		inTable bool
		want    string
	}{
		{"a|b", true, "`a\\|b`"},
		{"a|b", false, "`a|b`"},
		{"x`y", false, "``x`y``"},
		{"`x`", false, "`` `x` ``"},
	}
	for _, tt := range tests {
		if got := mdCode(tt.in, tt.inTable); got != tt.want {
			t.Errorf("mdCode(%q, %v) = %q, want %q", tt.in, tt.inTable, got, tt.want)
		}
	}
}

// The page must not reference anything outside itself: no scripts, no
// links to fetch, no fonts or images by URL.
func TestHTMLSelfContained(t *testing.T) {
	for _, fx := range fixtures {
		var b bytes.Buffer
		if err := HTML(&b, loadFixture(t, fx+".json")); err != nil {
			t.Fatal(err)
		}
		out := strings.ReplaceAll(b.String(), `xmlns="http://www.w3.org/2000/svg"`, "")
		for _, bad := range []string{"<script", "http:", "https:", "src=", "@import", "<link", "<iframe", "<object"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: page contains %q", fx, bad)
			}
		}
		for _, m := range regexp.MustCompile(`url\(([^)]*)\)`).FindAllStringSubmatch(out, -1) {
			if !strings.HasPrefix(m[1], "#") {
				t.Errorf("%s: url(%s) is not a fragment", fx, m[1])
			}
		}
		for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(out, -1) {
			if !strings.HasPrefix(m[1], "#") {
				t.Errorf("%s: link %q leaves the page", fx, m[1])
			}
		}
		if !strings.Contains(out, `Content-Security-Policy" content="default-src 'none'`) {
			t.Errorf("%s: no Content-Security-Policy", fx)
		}
	}
}
