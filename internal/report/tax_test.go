package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

func terminal(t *testing.T, r *result.Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := Terminal(&b, r, Options{Width: 400}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTaxLeadsTheVerdict: a tax finding first in the findings is the
// report's "Memory:" line with its fix and that fix's memory cost; it is
// not the verdict's "Why:", which is about the gap.
func TestTaxLeadsTheVerdict(t *testing.T) {
	r := loadFixture(t, "seed.json")
	tax := result.Finding{Cause: "heap-trim-refault", Tax: true, Config: "glibc", Confidence: "high", Explains: 0.6,
		Summary: "Both candidates pay 2.8-3.0x to memory management",
		Fixes: []result.Fix{{Kind: result.FixEnv, Change: "use tcmalloc", Env: map[string]string{"LD_PRELOAD": "libtcmalloc_minimal.so.4"},
			Verified: true, Config: "glibc", Speedup: 3, PeakRSSBytes: 90 << 20, BaselinePeakRSSBytes: 80 << 20}}}
	r.Findings = append([]result.Finding{tax}, r.Findings...)
	if r.Verdict != nil && r.Verdict.Finding != nil {
		*r.Verdict.Finding++
	}
	r.Taxes = []result.Tax{{Candidate: "A", Config: "glibc", Best: "tcmalloc", Seconds: 3e-3, BestSeconds: 1e-3, Ratio: 3, Faults: 1300, Paid: true,
		Causes: []string{"heap-trim-refault"}, Summary: "memory management costs A 3.00x", Fix: &tax.Fixes[0]}}
	s := terminal(t, r)
	lines := strings.Split(s, "\n")
	at := slices.IndexFunc(lines, func(l string) bool {
		return strings.HasPrefix(l, "Memory: heap-trim-refault (high confidence): Both candidates pay")
	})
	if at < 0 || !strings.HasPrefix(lines[at+1], "Fix: LD_PRELOAD=libtcmalloc_minimal.so.4") || !strings.Contains(lines[at+1], "peak RSS 90.0 MiB under the fix, 80.0 MiB under glibc") {
		t.Errorf("want the Memory line, then its fix with the memory cost:\n%s", s)
	}
	if strings.Contains(s, "Why: heap-trim-refault (high confidence, explains 60%") {
		t.Errorf("the tax is named as the gap's cause:\n%s", s)
	}
	if !strings.Contains(s, "memory management takes at least 60% of every candidate's time under glibc") || !strings.Contains(s, "\nMemory tax ") {
		t.Errorf("the tax's share of the time or its section is missing:\n%s", s)
	}
}

// TestOneCandidateAnswer: a single candidate's report opens with its tax
// (here none, and the bound), and a code fix that never ran is proposed,
// not measured.
func TestOneCandidateAnswer(t *testing.T) {
	r := loadFixture(t, "seed.json")
	r.Taxes = []result.Tax{{Candidate: "A", Config: "glibc", Seconds: 1e-3, Bound: 0.004,
		Summary: "no memory-management cost above ±1% for A (51 minor faults and 10 memory syscalls per run): nothing to explain"}}
	var cands []result.Candidate
	for _, c := range r.Candidates {
		if c.Name == "A" || c.IsFix() {
			cands = append(cands, c)
		}
	}
	r.Candidates = cands
	fix := ""
	for _, c := range cands {
		if c.IsFix() {
			fix = c.Name
		}
	}
	r.Results = slices.DeleteFunc(r.Results, func(x result.Run) bool { return x.Candidate != "A" })
	r.Verdict, r.Findings, r.Comparisons = nil, nil, nil
	s := terminal(t, r)
	if !strings.Contains(s, "\nMemory: no memory-management cost above ±1% for A") {
		t.Errorf("want the single candidate's answer first:\n%s", s)
	}
	if fix != "" && (!strings.Contains(s, "code fix for B, proposed, not measured") || strings.Contains(s, "measured to verify it")) {
		t.Errorf("an unmeasured code fix is labelled as measured:\n%s", s)
	}
}
