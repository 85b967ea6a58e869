package report

import (
	"fmt"
	"strconv"

	"github.com/faultline/faultline/internal/result"
)

// legendSection explains the notation every rendering uses, once: the
// interval, the ratio, the p-value against α, "~" and "*". The thresholds
// are the ones the document was decided by (result.VerdictRule, stored by
// the summary), so the legend cannot drift from the verdict; a result
// written before the rule was stored gets the words without them. The
// terminal shows it under -v; HTML and Markdown always.
func legendSection(rule *result.VerdictRule) *section {
	s := &section{ID: "legend", Title: "Legend"}
	pct := func(x float64) string { return strconv.FormatFloat(x*100, 'f', -1, 64) + "%" }
	p := ": Welch's t-test on the log times; a difference is significant (slower, faster) when p is below α, " +
		"or somewhat above it with the minor faults per iteration differing the same way"
	same := ": not significant: the times are equivalent or the samples cannot tell (inconclusive; a longer --budget decides it)"
	if rule != nil && rule.Alpha > 0 {
		p = fmt.Sprintf(": Welch's t-test on the log times; α = %g: a difference is significant (slower, faster) when p < α, "+
			"or when p < %g and the minor faults per iteration differ the same way", rule.Alpha, rule.AlphaFaults)
		same = fmt.Sprintf(": not significant: the times are equivalent (the difference the samples allow is within ±%s) "+
			"or the samples cannot tell (inconclusive; a longer --budget decides it)", pct(rule.Equivalence))
	}
	s.list([]item{
		{Head: line{sty("±", code), txt(": the 95% confidence interval of the median time, as a share of the median")}},
		{Head: line{sty("1.38x [1.10, 2.26]", code), txt(": a candidate's median time over the reference's (or the first file's), with the ratio's 95% bootstrap interval")}},
		{Head: line{sty("p", code), txt(p)}},
		{Head: line{sty("~", code), txt(same)}},
		{Head: line{sty("*", code), txt(": each candidate's fastest configuration")}},
		{Head: line{sty("minor flt", code), txt(": minor page faults per iteration: the kernel mapping a page the program touches for the first time since it was given back or never used")}},
	})
	return s
}

// legendIf is the legend when on, else nothing.
func legendIf(on bool, rule *result.VerdictRule) *section {
	if !on {
		return nil
	}
	return legendSection(rule)
}
