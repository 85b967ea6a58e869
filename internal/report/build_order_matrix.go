package report

// The order-effect and allocator-matrix sections: each compares runs within
// one result (the compare command's rendering is compare.go).

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

// matrixColumns says which columns the allocator matrix has beyond the
// configuration, and what marks its cells.
type matrixColumns struct {
	cands  []*result.Candidate // a time and a faults column each
	others []*result.Candidate // cands but the baseline: a ratio column each
	cpu    bool                // a system CPU time column per candidate
	best   map[string]string   // each candidate's fastest configuration
}

// matrixSection is the allocator matrix: every candidate under every
// configuration, the fastest configuration of each, and what each
// configuration sets.
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
	mc := f.matrixColumns(cands)
	if mc.cpu {
		s.Subtitle = append(s.Subtitle, txt("; sys is the system CPU time"))
	}
	t, failed := f.matrixTable(mc)
	s.table(t)
	if len(failed) > 0 {
		s.para(failed...)
	}
	if bl := f.fastestConfigs(cands); len(bl) > 0 {
		s.para(line{sty("fastest: ", strong), txt(strings.Join(bl, "; "))})
	}
	if defs := f.configDefs(verbose); len(defs) > 0 {
		s.list(defs)
	}
	return s
}

// matrixColumns picks the matrix's columns for cands and each one's
// fastest configuration.
func (f *facts) matrixColumns(cands []*result.Candidate) matrixColumns {
	mc := matrixColumns{cands: cands, best: map[string]string{}}
	for _, c := range cands {
		if c.Name != f.base {
			mc.others = append(mc.others, c)
		}
	}
	// System CPU time beside the faults: an allocator that purges or
	// trims spends its time in the kernel.
	for _, run := range f.r.Results {
		mc.cpu = mc.cpu || run.Mode == f.mode && run.CPU != nil
	}
	for _, c := range cands {
		mc.best[c.Name], _ = f.best(c.Name)
	}
	return mc
}

// head returns the matrix's column headings, and which are right-aligned
// (all but the configuration's).
func (mc matrixColumns) head(base string) ([]string, []bool) {
	head := []string{"config"}
	for _, c := range mc.cands {
		head = append(head, c.Name)
	}
	for _, c := range mc.others {
		head = append(head, c.Name+"/"+base)
	}
	for _, c := range mc.cands {
		head = append(head, "faults "+c.Name)
	}
	if mc.cpu {
		for _, c := range mc.cands {
			head = append(head, "sys "+c.Name)
		}
	}
	right := make([]bool, len(head))
	for i := 1; i < len(right); i++ {
		right[i] = true
	}
	return head, right
}

// matrixTable has a row per configuration, and returns a note for each
// configuration that failed or was skipped.
func (f *facts) matrixTable(mc matrixColumns) (*table, []line) {
	head, right := mc.head(f.base)
	t := &table{Head: head, Right: right, Fill: -1}
	var failed []line
	for _, cfg := range f.configs {
		if st, reason := f.configStatus(cfg); st != result.StatusOK {
			row, note := f.matrixStatusRow(cfg, st, reason, mc)
			t.Rows = append(t.Rows, row)
			failed = append(failed, note)
			continue
		}
		t.Rows = append(t.Rows, f.matrixRow(cfg, mc))
	}
	return t, failed
}

// matrixStatusRow is the row of a configuration that failed or was
// skipped (its status under each candidate), and the note that says why.
func (f *facts) matrixStatusRow(cfg, st, reason string, mc matrixColumns) ([]span, line) {
	stStyle := bad
	if st == result.StatusSkipped {
		stStyle = warn
	}
	row := []span{txt(f.configTitle(cfg))}
	for range mc.cands {
		row = append(row, sty(st, stStyle))
	}
	for range mc.others {
		row = append(row, txt(""))
	}
	for range mc.cands {
		row = append(row, txt(""))
	}
	if reason == "" {
		reason = "no reason recorded"
	}
	return row, line{sty(cfg+": "+st+": "+oneLine(reason), stStyle)}
}

// matrixRow is the row of a configuration that ran: each candidate's time
// (* under its fastest), the ratios to the baseline, the faults, and the
// system CPU time when any run recorded it.
func (f *facts) matrixRow(cfg string, mc matrixColumns) []span {
	row := []span{txt(f.configTitle(cfg))}
	for _, c := range mc.cands {
		run := f.r.Run(c.Name, cfg, f.mode)
		switch {
		case run == nil:
			row = append(row, sty("-", dim))
		case !ok(run):
			row = append(row, sty("failed", bad))
		default:
			cell := txt(f.time(run.Time.Median))
			if mc.best[c.Name] == cfg {
				cell = sty(cell.Text+" *", good)
			}
			row = append(row, cell)
		}
	}
	for _, c := range mc.others {
		row = append(row, ratioCell(f.r.Comparison(cfg, f.mode, c.Name), false))
	}
	for _, c := range mc.cands {
		if run := f.r.Run(c.Name, cfg, f.mode); ok(run) {
			row = append(row, txt(fmtCount(run.PerIteration.MinorFaults)))
		} else {
			row = append(row, txt(""))
		}
	}
	for _, c := range mc.cands {
		if run := f.r.Run(c.Name, cfg, f.mode); mc.cpu && ok(run) && run.CPU != nil {
			row = append(row, f.cpuCells(run.CPU)[1])
		} else if mc.cpu {
			row = append(row, txt(""))
		}
	}
	return row
}

// fastestConfigs says, for each candidate, under which configuration it
// was fastest and how much faster than under the baseline configuration.
func (f *facts) fastestConfigs(cands []*result.Candidate) []string {
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
	return bl
}

// configDefs lists what each configuration sets: its environment, its
// description, and with verbose how it was derived.
func (f *facts) configDefs(verbose bool) []item {
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
	return defs
}
