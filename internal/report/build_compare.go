package report

// The sections that compare: the order effect and the allocator matrix.

import (
	"fmt"
	"math"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

func (f *facts) orderSection(verbose bool) *section {
	cfg, rows, prevs := f.orderEffect()
	if len(rows) == 0 {
		return nil
	}
	s := &section{ID: "order", Title: "Order effect",
		Subtitle: line{txt(f.configTitle(cfg) + ": interleaved rounds against each candidate alone in a fresh process")}}
	head := []string{"", "interleaved", "alone", "ratio"}
	for _, p := range prevs {
		head = append(head, "after "+p)
	}
	head = append(head, "no switch", "minor flt", "alone")
	right := make([]bool, len(head))
	for i := 1; i < len(right); i++ {
		right[i] = true
	}
	t := &table{Head: head, Right: right, Fill: -1}
	sw := func(a result.AfterSplit, ok bool) span {
		if !ok || a.N == 0 {
			return sty("-", dim)
		}
		if verbose {
			return txt(fmtTime(a.Median) + fmt.Sprintf(" n=%d", a.N))
		}
		return txt(fmtTime(a.Median))
	}
	varies := false
	for _, row := range rows {
		ratio := row.inter.Time.Median / row.iso.Time.Median
		rs := txt(fmtRatio(ratio))
		if math.Abs(ratio-1) > 0.05 {
			rs.Style = warn
		}
		cells := []span{sty(row.cand, strong), txt(fmtTime(row.inter.Time.Median)), txt(fmtTime(row.iso.Time.Median)), rs}
		for _, p := range prevs {
			a, ok := row.after[p]
			cells = append(cells, sw(a, ok))
		}
		alone := txt(fmtCount(row.iso.PerIteration.MinorFaults))
		if _, _, differ := row.iso.ProcessFaultsDiffer(); differ {
			// Fresh processes disagree: show each, not their mean.
			parts := make([]string, len(row.iso.ProcessFaults))
			for i, v := range row.iso.ProcessFaults {
				parts[i] = fmtCount(v)
			}
			alone = sty(strings.Join(parts, " / "), warn)
			varies = true
		}
		rest, ok := row.after[""]
		cells = append(cells, sw(rest, ok), txt(fmtCount(row.inter.PerIteration.MinorFaults)), alone)
		t.Rows = append(t.Rows, cells)
	}
	s.table(t)
	s.para(line{sty("after X: median time of the interleaved samples taken right after X ran in the same process; "+
		"a difference between those columns, or between interleaved and alone, is a carry-over effect (the HTML report's timeline shows every sample)", dim)})
	if varies {
		s.para(line{sty("a / b: faults per iteration in each of the fresh processes the candidate ran alone in; when they differ, "+
			"where the process's memory lands (against huge-page boundaries) moves the result as much as the order does", dim)})
	}
	return s
}

func (f *facts) matrixSection(verbose bool) *section {
	if len(f.configs) < 2 {
		return nil
	}
	cands := f.matrixCands()
	if len(cands) == 0 {
		return nil
	}
	s := &section{ID: "matrix", Title: "Allocator experiments",
		Subtitle: line{txt(modeText(f.mode) + "; time per iteration and minor faults per iteration under each configuration; * marks each candidate's fastest")}}
	head := []string{"config"}
	right := []bool{false}
	for _, c := range cands {
		head = append(head, c.Name)
		right = append(right, true)
	}
	var others []*result.Candidate
	for _, c := range cands {
		if c.Name != f.base {
			others = append(others, c)
			head = append(head, c.Name+"/"+f.base)
			right = append(right, true)
		}
	}
	for _, c := range cands {
		head = append(head, "faults "+c.Name)
		right = append(right, true)
	}
	// System CPU time beside the faults: an allocator that purges or
	// trims spends its time in the kernel.
	cpu := false
	for _, run := range f.r.Results {
		cpu = cpu || run.Mode == f.mode && run.CPU != nil
	}
	if cpu {
		s.Subtitle = append(s.Subtitle, txt("; sys is the system CPU time"))
		for _, c := range cands {
			head = append(head, "sys "+c.Name)
			right = append(right, true)
		}
	}
	best := map[string]string{}
	for _, c := range cands {
		best[c.Name], _ = f.best(c.Name)
	}
	t := &table{Head: head, Right: right, Fill: -1}
	var failed []line
	for _, cfg := range f.configs {
		row := []span{txt(f.configTitle(cfg))}
		st, reason := f.configStatus(cfg)
		if st != result.StatusOK {
			stStyle := bad
			if st == result.StatusSkipped {
				stStyle = warn
			}
			for range cands {
				row = append(row, sty(st, stStyle))
			}
			for range others {
				row = append(row, txt(""))
			}
			for range cands {
				row = append(row, txt(""))
			}
			t.Rows = append(t.Rows, row)
			if reason == "" {
				reason = "no reason recorded"
			}
			failed = append(failed, line{sty(cfg+": "+st+": "+oneLine(reason), stStyle)})
			continue
		}
		for _, c := range cands {
			run := f.r.Run(c.Name, cfg, f.mode)
			switch {
			case run == nil:
				row = append(row, sty("-", dim))
			case !ok(run):
				row = append(row, sty("failed", bad))
			default:
				cell := txt(f.time(run.Time.Median))
				if best[c.Name] == cfg {
					cell = sty(cell.Text+" *", good)
				}
				row = append(row, cell)
			}
		}
		for _, c := range others {
			row = append(row, ratioCell(f.r.Comparison(cfg, f.mode, c.Name), false))
		}
		for _, c := range cands {
			if run := f.r.Run(c.Name, cfg, f.mode); ok(run) {
				row = append(row, txt(fmtCount(run.PerIteration.MinorFaults)))
			} else {
				row = append(row, txt(""))
			}
		}
		for _, c := range cands {
			if run := f.r.Run(c.Name, cfg, f.mode); cpu && ok(run) && run.CPU != nil {
				row = append(row, f.cpuCells(run.CPU)[1])
			} else if cpu {
				row = append(row, txt(""))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	s.table(t)
	if len(failed) > 0 {
		s.para(failed...)
	}
	var bl []string
	for _, c := range cands {
		cfg, run := f.best(c.Name)
		if run == nil {
			continue
		}
		b := fmt.Sprintf("%s under %s (%s", c.Name, cfg, fmtTime(run.Time.Median))
		if def := f.r.Run(c.Name, f.baseCfg, f.mode); ok(def) && cfg != f.baseCfg && run.Time.Median > 0 {
			b += ", " + fmtRatio(def.Time.Median/run.Time.Median) + " faster than under " + f.baseCfg
		}
		bl = append(bl, b+")")
	}
	if len(bl) > 0 {
		s.para(line{sty("fastest: ", strong), txt(strings.Join(bl, "; "))})
	}
	var defs []item
	for _, cfg := range f.r.Configs {
		it := item{Head: line{sty(cfg.Name, strong), txt(": ")}}
		if len(cfg.Env) > 0 {
			it.Head = append(it.Head, sty(fmtEnv(cfg.Env), code))
		} else {
			it.Head = append(it.Head, sty("environment unchanged", dim))
		}
		if cfg.Description != "" {
			it.Lines = append(it.Lines, line{sty(oneLine(cfg.Description), dim)})
		}
		if verbose && cfg.Derived != "" {
			it.Lines = append(it.Lines, line{sty("derived: "+oneLine(cfg.Derived), dim)})
		}
		defs = append(defs, it)
	}
	if len(defs) > 0 {
		s.list(defs)
	}
	return s
}
