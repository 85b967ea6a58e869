package report

import (
	"bytes"
	"strings"
	"testing"

	comparison "github.com/faultline/faultline/internal/compare"
	"github.com/faultline/faultline/internal/result"
)

// The three renderings of a comparison show the same content: the
// pairing across letters, the finding that vanished, and user text
// escaped for each format.
func TestCompareRenderings(t *testing.T) {
	old, cur := loadFixture(t, "seed.json"), loadFixture(t, "seed.json")
	cur.Candidate("B").Label = "func2 | <b>*x*</b>"
	old.Candidate("B").Label = cur.Candidate("B").Label
	gone := old.Findings[0]
	cur.Findings = cur.Findings[1:]
	c, err := comparison.New([]comparison.Input{{Path: "old.json", Result: old}, {Path: "new.json", Result: cur}}, comparison.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var term, md, page bytes.Buffer
	if err := CompareTerminal(&term, c, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := CompareMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	if err := CompareHTML(&page, c); err != nil {
		t.Fatal(err)
	}
	want := "gone: " + gone.Cause + " for " + gone.Candidate
	if !strings.Contains(term.String(), "- "+want) {
		t.Errorf("terminal lacks %q:\n%s", want, term.String())
	}
	if !strings.Contains(md.String(), "- gone: **"+gone.Cause+"** for "+gone.Candidate) {
		t.Errorf("markdown lacks the gone finding:\n%s", md.String())
	}
	if !strings.Contains(md.String(), "`func2 \\| <b>*x*</b>`") || strings.Contains(md.String(), "func2 | <b>") {
		t.Errorf("markdown label not in an escaped code span:\n%s", md.String())
	}
	h := page.String()
	if strings.Contains(h, "<b>*x*</b>") || !strings.Contains(h, "&lt;b&gt;") || !strings.Contains(h, "Content-Security-Policy") || strings.Contains(h, "<script") {
		t.Errorf("the page does not escape the label or lacks its policy")
	}
	for _, s := range []string{term.String(), md.String(), h} {
		if !strings.Contains(s, "Time per call") || !strings.Contains(s, "Memory per call") {
			t.Errorf("a rendering lacks a section")
		}
	}
}

// TestCompareTax: the comparison shows a candidate's tax in each file.
func TestCompareTax(t *testing.T) {
	old, cur := loadFixture(t, "seed.json"), loadFixture(t, "seed.json")
	old.Taxes = []result.Tax{{Candidate: "B", Config: "glibc", Best: "tcmalloc", Ratio: 10.4, Paid: true, Causes: []string{"heap-trim-refault"}}}
	cur.Taxes = []result.Tax{{Candidate: "B", Config: "glibc", Best: "tcmalloc", Ratio: 1.02}}
	c, err := comparison.New([]comparison.Input{{Path: "old.json", Result: old}, {Path: "new.json", Result: cur}}, comparison.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var term bytes.Buffer
	if err := CompareTerminal(&term, c, Options{}); err != nil {
		t.Fatal(err)
	}
	s := term.String()
	if !strings.Contains(s, "Memory tax") || !strings.Contains(s, "10.4x") || !strings.Contains(s, "tcmalloc (heap-trim-refault)") || !strings.Contains(s, "~ 1.02x") {
		t.Errorf("the comparison lacks the tax change:\n%s", s)
	}
}
