package report

import (
	"fmt"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// The memory tax (result.Taxes): what memory management costs each
// candidate against the fastest configuration that ran, what it is made
// of, and the fix with its memory cost. The verdict names it when every
// candidate pays it and it is larger than the gap between them (a tax
// finding leads), and for a single candidate it is the answer.

// taxLead is the tax finding that leads the findings, or nil.
func (f *facts) taxLead() *result.Finding {
	if len(f.r.Findings) > 0 && f.r.Findings[0].Tax {
		return &f.r.Findings[0]
	}
	return nil
}

// taxVerdict is the verdict's lines about the tax: the leading tax
// finding with its fix, or, for a single candidate, its tax either way.
func (f *facts) taxVerdict() []line {
	if fd := f.taxLead(); fd != nil {
		return []line{{sty("Memory: ", strong), sty(fd.Cause, strong), txt(" (" + fd.Confidence + " confidence): " + oneLine(fd.Summary))}, f.verdictFix(fd)}
	}
	if len(f.users) != 1 || len(f.r.Taxes) != 1 {
		return nil
	}
	t := f.r.Taxes[0]
	return []line{{sty("Memory: ", strong), txt(oneLine(t.Summary))}}
}

// taxMeasured says how a tax fix was measured: the candidate's speed-up
// under it and what it keeps in memory.
func (f *facts) taxMeasured(fx result.Fix, fd *result.Finding) string {
	var p []string
	if fx.Config != "" {
		p = append(p, "measured under "+fx.Config)
	}
	cand := fd.Candidate
	if cand == "" && len(f.r.Taxes) > 0 {
		cand = f.r.Taxes[0].Candidate
	}
	if fx.Speedup > 0 && cand != "" {
		p = append(p, cand+" became "+fmtRatio(fx.Speedup)+" faster")
	}
	return strings.Join(p, ", ")
}

// memoryCost says what a verified fix keeps in memory: its peak RSS
// beside the baseline's ("" when not measured).
func (f *facts) memoryCost(fx result.Fix) string {
	if !hasMemoryCost(fx) {
		return ""
	}
	return fmt.Sprintf("peak RSS %s under the fix, %s under %s", fmtBytes(float64(fx.PeakRSSBytes)),
		fmtBytes(float64(fx.BaselinePeakRSSBytes)), f.baseCfg)
}

// hasMemoryCost says whether fx's peak RSS was measured under the fix and
// under the baseline.
func hasMemoryCost(fx result.Fix) bool { return fx.PeakRSSBytes > 0 && fx.BaselinePeakRSSBytes > 0 }

// taxSection lists every candidate's tax.
func (f *facts) taxSection() *section {
	if len(f.r.Taxes) == 0 {
		return nil
	}
	per := "per " + f.r.Unit()
	s := &section{ID: "tax", Title: "Memory tax",
		Subtitle: line{txt("what memory management costs each candidate: its time " + per + " under " + f.baseCfg + " against the fastest configuration that ran")}}
	t := &table{Head: []string{"", f.baseCfg, "fastest", "there", "tax", "minor flt", "fix", "peak RSS"},
		Right: []bool{false, true, false, true, true, true, false, true}, Fill: -1}
	var items []item
	for _, tx := range f.r.Taxes {
		row := []span{sty(tx.Candidate, strong), txt(fmtTime(tx.Seconds))}
		if tx.Best == "" {
			row = append(row, txt("-"), txt("-"), txt("-"))
		} else {
			st := plain
			if tx.Paid {
				st = bad
			}
			row = append(row, txt(tx.Best), txt(fmtTime(tx.BestSeconds)), sty(fmtRatio(tx.Ratio), st))
		}
		flt := fmtCount(tx.Faults)
		if tx.Best != "" {
			flt += " → " + fmtCount(tx.BestFaults)
		}
		row = append(row, txt(flt))
		switch {
		case tx.Fix != nil:
			row = append(row, sty(tx.Fix.Config, good))
			if hasMemoryCost(*tx.Fix) {
				row = append(row, txt(fmtBytes(float64(tx.Fix.BaselinePeakRSSBytes))+" → "+fmtBytes(float64(tx.Fix.PeakRSSBytes))))
			} else {
				row = append(row, txt("-"))
			}
		case tx.Paid:
			row = append(row, sty("none verified", warn), txt("-"))
		default:
			row = append(row, txt("none needed"), txt("-"))
		}
		t.Rows = append(t.Rows, row)
		it := item{Head: line{sty(tx.Candidate+": ", strong), txt(oneLine(tx.Summary))}}
		if tx.Fix != nil {
			fl := line{sty("fix: ", good), sty(fixWhat(*tx.Fix), code)}
			if m := f.memoryCost(*tx.Fix); m != "" {
				fl = append(fl, txt(" — "+m))
			}
			it.Lines = append(it.Lines, fl)
		}
		items = append(items, it)
	}
	s.table(t)
	s.list(items)
	return s
}
