package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/load"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/units"
)

// The verdict opens every report (terminal, Markdown, HTML): which
// candidate is slower and by how much, the primary cause in one sentence,
// and the best verified fix with what it measured, in a few lines before
// any table. It reads the same findings as the sections below it and adds
// nothing they do not say.

// verdict returns the verdict's lines; nil when the result has nothing to
// compare (one candidate that did not run). The answer and the finding
// that explains it are the stored ones (result.Verdict).
func (f *facts) verdict() []line {
	var ls []line
	v := f.r.Verdict
	slow := ""
	switch {
	case v == nil:
	case v.Answer == result.AnswerSlower:
		slow = v.Slow
		l := line{sty("Verdict: ", strong), sty(v.Slow, strong),
			txt(fmt.Sprintf(" is %s slower than %s (%s vs %s per %s; %s", fmtRatio(v.Ratio), v.Fast,
				fmtTime(f.medianOf(v.Slow)), fmtTime(f.medianOf(v.Fast)), f.r.Unit(), fmtInterval(v.Low, v.High)))}
		if v.P > 0 {
			l = append(l, txt(fmt.Sprintf(", p = %.2g", v.P)))
		}
		l = append(l, txt(fmt.Sprintf("; decided by %s, %s).", v.DecidedBy, fmtRuns(v.N, f.r))))
		ls = append(ls, l)
	case v.Answer == result.AnswerEquivalent:
		ls = append(ls, line{sty("Verdict: ", strong), txt(fmt.Sprintf("no difference larger than ±%s between the candidates under %s.",
			fmtPct(v.Margin), f.baseCfg))})
	default:
		ls = append(ls, line{sty("Verdict: ", strong), sty("inconclusive", strong),
			txt(fmt.Sprintf(" after %s: %s/%s %s %s, p = %.2g; ", fmtRuns(v.N, f.r), v.Slow, v.Fast, fmtRatio(v.Ratio),
				fmtInterval(v.Low, v.High), v.P)), txt(settle(v))})
	}
	if l := f.r.TimingLoad(f.baseCfg, f.mode); l != nil && l.IsBusy() {
		ls = append(ls, line{sty("Noise: ", strong), txt("the machine was busy while timing (" + strings.TrimPrefix(loadText(l), ", ") +
			"): times are slower and noisier than on a quiet machine; the fault counts are not.")})
	}
	ls = append(ls, f.taxVerdict()...)
	if fd := f.primary(); fd != nil {
		l := line{sty("Why: ", strong), sty(fd.Cause, strong)}
		var facts []string
		if fd.Confidence != "" {
			facts = append(facts, fd.Confidence+" confidence")
		}
		if fd.Explains > 0 {
			facts = append(facts, "explains "+fmtPct(fd.Explains)+" of the gap")
		}
		if len(facts) > 0 {
			l = append(l, txt(" ("+strings.Join(facts, ", ")+")"))
		}
		if fd.Summary != "" {
			l = append(l, txt(": "+firstSentence(fd.Summary)))
		}
		ls = append(ls, l)
		if c := f.r.Candidate(fd.Candidate); c != nil && label(c) != "" {
			ls = append(ls, line{sty("Where: ", strong), txt(fd.Candidate + ", "), sty(oneLine(label(c)), code)})
		}
		ls = append(ls, f.verdictFix(fd))
	} else if slow != "" {
		ls = append(ls, line{sty("Why: ", strong), txt("unexplained: no memory-management cause fits the measurements" + f.alike(v.Slow, v.Fast) + "; the numbers are below.")})
	}
	return ls
}

// settle says what would settle an inconclusive verdict.
func settle(v *result.Verdict) string {
	if v.SuggestedBudget > 0 {
		return fmt.Sprintf("about %d runs each would settle it: run with --budget %s.", max(v.RunsNeeded, v.N[0]+1), units.Budget(v.SuggestedBudget))
	}
	return "more runs would settle it: raise --budget."
}

// fmtRuns says how many samples each side had: "3 runs each", "3 and 4
// runs", in the result's unit of samples.
func fmtRuns(n [2]int, r *result.Result) string {
	what := "samples"
	if r.Kind == result.KindRun {
		what = "runs"
	}
	if n[0] == n[1] {
		return fmt.Sprintf("%d %s each", n[0], what)
	}
	return fmt.Sprintf("%d and %d %s", n[0], n[1], what)
}

// alike says, for an unexplained gap, what the two sides share: their
// minor faults and memory syscalls per iteration ("" when not measured).
func (f *facts) alike(slow, fast string) string {
	s, b := f.r.Run(slow, f.baseCfg, f.mode), f.r.Run(fast, f.baseCfg, f.mode)
	if s == nil || b == nil {
		return ""
	}
	per := " per " + f.r.Unit()
	out := fmt.Sprintf(" (%s: %s minor faults%s against %s", slow, fmtCount(s.PerIteration.MinorFaults), per, fmtCount(b.PerIteration.MinorFaults))
	if ss, bs := s.PerIteration.Syscalls, b.PerIteration.Syscalls; ss != nil && bs != nil {
		out += fmt.Sprintf(", %s memory syscalls against %s", fmtCount(ss.Calls()), fmtCount(bs.Calls()))
	}
	return out + " for " + fast + ")"
}

func (f *facts) medianOf(cand string) float64 {
	if run := f.r.Run(cand, f.baseCfg, f.mode); run != nil {
		return run.Time.Median
	}
	return 0
}

// primary is the finding the verdict names as its explanation.
func (f *facts) primary() *result.Finding {
	if v := f.r.Verdict; v != nil && v.Finding != nil && *v.Finding >= 0 && *v.Finding < len(f.r.Findings) {
		return &f.r.Findings[*v.Finding]
	}
	return nil
}

// verdictFix is the best verified fix of fd (findings list theirs best
// first), or says that none was verified.
func (f *facts) verdictFix(fd *result.Finding) line {
	for _, fx := range fd.Fixes {
		if !fx.Verified {
			continue
		}
		l := line{sty("Fix: ", strong), sty(fixWhat(fx), code)}
		if m := f.fixMeasured(fixRef{fix: fx, finding: fd}); m != "" {
			l = append(l, txt(" — "+m))
		}
		return l
	}
	if len(fd.Fixes) > 0 {
		return line{sty("Fix: ", strong), txt("none verified; untested: "), sty(fixWhat(fd.Fixes[0]), code)}
	}
	return line{sty("Fix: ", strong), txt("none found")}
}

// firstSentence is a summary's first sentence: the verdict's one line.
func firstSentence(s string) string {
	s = oneLine(s)
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// sweepVerdict opens a sweep's report: for each candidate slower at some
// point, at how many points and by how much; the primary cause where the
// gap is widest; and the cliffs, counted (they are listed below).
func sweepVerdict(s *result.Sweep) []line {
	type span struct {
		n, of          int
		lo, hi         float64
		loAt, hiAt     string
		cause, causeAt string
	}
	slower := map[string]*span{}
	var order []string
	measured := 0
	for _, pt := range s.Points {
		f := sweepFacts(pt)
		if f == nil || pt.Refine {
			continue
		}
		measured++
		at := pointText(pt)
		for i := range f.r.Comparisons {
			c := &f.r.Comparisons[i]
			if c.Config != f.baseCfg || c.Mode != f.mode || c.Other == c.Baseline {
				continue
			}
			sp := slower[c.Other]
			if sp == nil {
				sp = &span{lo: -1}
				slower[c.Other] = sp
				order = append(order, c.Other)
			}
			sp.of++
			if !c.Significant || c.Ratio <= 1 {
				continue
			}
			sp.n++
			if sp.lo < 0 || c.Ratio < sp.lo {
				sp.lo, sp.loAt = c.Ratio, at
			}
			if c.Ratio > sp.hi {
				sp.hi, sp.hiAt = c.Ratio, at
				if fd := f.primary(); fd != nil && (fd.Candidate == "" || fd.Candidate == c.Other) {
					sp.cause, sp.causeAt = fd.Cause+" ("+fd.Confidence+")", at
				} else {
					sp.cause, sp.causeAt = "", at
				}
			}
		}
	}
	var ls []line
	for _, name := range order {
		sp := slower[name]
		if sp.n == 0 {
			continue
		}
		l := line{sty("Verdict: ", strong), sty(name, strong), txt(fmt.Sprintf(" is slower at %d of %d points", sp.n, measured))}
		if sp.lo == sp.hi {
			l = append(l, txt(fmt.Sprintf(" (%s at %s)", fmtRatio(sp.hi), sp.hiAt)))
		} else {
			l = append(l, txt(fmt.Sprintf(" (%s at %s to %s at %s)", fmtRatio(sp.lo), sp.loAt, fmtRatio(sp.hi), sp.hiAt)))
		}
		if sp.cause != "" {
			l = append(l, txt("; where the gap is widest: "), sty(sp.cause, strong))
		} else {
			l = append(l, txt("; unexplained where the gap is widest"))
		}
		ls = append(ls, append(l, txt(".")))
	}
	if len(ls) == 0 && len(order) > 0 {
		ls = append(ls, line{sty("Verdict: ", strong), txt("no candidate is significantly slower at any point.")})
	}
	if n := len(s.Cliffs); n > 0 {
		ls = append(ls, line{sty("Cliffs: ", strong), txt(fmt.Sprintf("%d, where a figure jumps between neighbouring values (listed after the points).", n))})
	}
	var starved []string
	for _, pt := range s.Points {
		if pt.Starved != "" && !pt.Refine {
			starved = append(starved, pointText(pt)+" ("+pt.Starved+")")
		}
	}
	if len(starved) > 0 {
		ls = append(ls, line{sty("Starved: ", strong), txt(strings.Join(starved, "; ") +
			fmt.Sprintf(": too little of the budget for a verdict there; run with --budget %s.", units.Budget(2*s.BudgetSeconds)))})
	}
	return ls
}

// pointText names a point by its values as written: "n = 1000000".
func pointText(pt result.SweepPoint) string {
	var parts []string
	for k, v := range pt.Text {
		parts = append(parts, k+" = "+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// loadText writes a load beside the times: ", CPU pressure 35%, steal
// 2%" ("" when not recorded).
func loadText(l *load.Load) string {
	if l == nil {
		return ""
	}
	s := ""
	if l.CPUPressure >= 0 {
		s += ", CPU pressure " + fmtPct(l.CPUPressure)
	}
	if l.Steal > 0.005 {
		s += ", steal " + fmtPct(l.Steal)
	}
	return s
}
