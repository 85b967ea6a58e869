package report

import (
	"github.com/faultline/faultline/internal/result"
)

// sweepCols says which optional columns a line's table has: a column is
// shown once any point has its numbers, so the rows line up.
// The ratio is left out when no point compares two candidates.
type sweepCols struct{ ratio, syscalls, allocs bool }

func lineCols(s *result.Sweep, ln sweepLine) sweepCols {
	var c sweepCols
	for _, idx := range ln.points {
		f := sweepFacts(s.Points[idx])
		if f == nil {
			continue
		}
		c.ratio = c.ratio || len(f.users) > 1
		for _, run := range f.runsIn(f.baseCfg, f.mode) {
			c.syscalls = c.syscalls || run.PerIteration.Syscalls != nil
			c.allocs = c.allocs || run.PerIteration.Allocations != nil
		}
	}
	return c
}

// memSyscalls is the memory syscalls per iteration, all kinds together:
// the column says whether a point makes them at all, the point's own
// report says which.
func memSyscalls(sy *result.Syscalls) float64 {
	total := 0.0
	for _, sc := range syscallCols {
		total += sc.get(sy)
	}
	return total
}

// sweepTable is one line's points, a row per user candidate. The
// parameter value is written on a point's first row only; full links it
// to the point's findings.
func sweepTable(s *result.Sweep, ln sweepLine, full bool) *table {
	cols := lineCols(s, ln)
	head := []string{ln.param, "", "time"}
	right := []bool{true, false, true}
	if cols.ratio {
		head, right = append(head, "vs base"), append(right, false)
	}
	head, right = append(head, "minor flt"), append(right, true)
	if cols.syscalls {
		head, right = append(head, "mem syscalls"), append(right, true)
	}
	if cols.allocs {
		head, right = append(head, "allocs"), append(right, true)
	}
	t := &table{Head: head, Right: right, Fill: 1}
	for _, idx := range ln.points {
		pt := s.Points[idx]
		val := span{Text: pt.Text[ln.param], Style: strong}
		if full && pt.Result != nil && len(pt.Result.Findings) > 0 {
			val.Href = "#" + pointAnchor(idx)
		}
		f := sweepFacts(pt)
		if f == nil {
			st := pt.Status
			if st == "" {
				st = "failed"
			}
			t.Rows = append(t.Rows, []span{val, sty(st, warn)})
			continue
		}
		for i, run := range f.runsIn(f.baseCfg, f.mode) {
			if c := f.r.Candidate(run.Candidate); c != nil && c.IsFix() {
				continue
			}
			if i > 0 {
				val = txt("")
			}
			t.Rows = append(t.Rows, sweepRow(f, run, val, cols))
		}
	}
	return t
}

func sweepRow(f *facts, run *result.Run, val span, cols sweepCols) []span {
	row := []span{val, sty(run.Candidate, strong)}
	if !ok(run) {
		st := run.Status
		if st == "" || st == result.StatusOK {
			st = "no samples"
		}
		return append(row, sty(st, bad))
	}
	row = append(row, txt(fmtTime(run.Time.Median)))
	if cols.ratio {
		switch cmp := f.r.Comparison(f.baseCfg, f.mode, run.Candidate); {
		case run.Candidate == f.base:
			row = append(row, sty("base", dim))
		case cmp != nil:
			row = append(row, ratioCell(cmp, false))
		default:
			row = append(row, txt(""))
		}
	}
	row = append(row, txt(fmtCount(run.PerIteration.MinorFaults)))
	if cols.syscalls {
		cell := txt("-")
		if sy := run.PerIteration.Syscalls; sy != nil {
			cell = txt(fmtCount(memSyscalls(sy)))
		}
		row = append(row, cell)
	}
	if cols.allocs {
		cell := txt("-")
		if al := run.PerIteration.Allocations; al != nil {
			cell = txt(fmtCount(al.Count))
		}
		row = append(row, cell)
	}
	return row
}
