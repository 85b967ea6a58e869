package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// buildDoc turns a result into the document every text renderer draws.
// Sections without data are left out, so a result with one configuration
// has no allocator matrix and one without findings has no "Why".
// HTML and Markdown always carry the legend.
func buildDoc(r *result.Result, verbose bool) *doc {
	return buildDocIn(r, verbose, "", true)
}

// buildDocIn is buildDoc with the time columns in a fixed unit ("" to
// choose per number), with the legend or without.
func buildDocIn(r *result.Result, verbose bool, unit string, legend bool) *doc {
	f := newFacts(r)
	f.unit = unit
	d := &doc{}
	d.Title = f.title()
	if r.Partial {
		why := r.Interrupted
		if why == "" {
			why = "interrupted"
		}
		d.Warning = line{sty("partial result: "+oneLine(why)+"; the numbers cover what was measured until then", warn)}
	}
	if v := f.verdict(); len(v) > 0 {
		d.Head = append(d.Head, block{Para: v, Verdict: true})
	}
	d.Head = append(d.Head, f.head()...)
	for _, s := range []*section{
		f.timeSection(verbose),
		f.memorySection(),
		f.orderSection(verbose),
		f.matrixSection(verbose),
		f.taxSection(),
		f.whySection(),
		f.fixesSection(),
		f.notesSection(),
		f.passesSection(verbose),
		legendIf(legend, r.Rule),
	} {
		if s != nil && len(s.Blocks) > 0 {
			d.Sections = append(d.Sections, *s)
		}
	}
	return d
}

func (f *facts) title() line {
	r := f.r
	l := line{sty("faultline "+r.Kind, strong)}
	parts := []string{plural(len(f.users), "candidate", "candidates")}
	if len(f.configs) > 1 {
		parts = append(parts, plural(len(f.configs), "configuration", "configurations"))
	}
	if r.WallSeconds > 0 {
		parts = append(parts, fmtSeconds(r.WallSeconds))
	}
	if s := fmtStarted(r.Started); s != "" {
		parts = append(parts, s)
	}
	if r.Tool.Version != "" {
		parts = append(parts, r.Tool.Name+" "+r.Tool.Version)
	}
	return append(l, txt(" · "+strings.Join(parts, " · ")))
}

func (f *facts) head() []block {
	r := f.r
	what := "code"
	if r.Kind == result.KindRun {
		what = "command"
	}
	t := &table{Head: []string{"", what}, Fill: 1}
	if len(f.fixes) > 0 {
		t.Head = append(t.Head, "")
	}
	for _, c := range f.all() {
		row := []span{sty(c.Name, strong), sty(label(c), code)}
		if c.IsFix() {
			what := "code fix for " + c.FixOf + ", proposed, not measured"
			if f.measuredUnder(c.Name) != "" {
				what = "code fix for " + c.FixOf + ", measured to verify it"
			}
			row = append(row, sty(what, dim))
		}
		t.Rows = append(t.Rows, row)
	}
	var out []block
	if len(t.Rows) > 0 {
		out = append(out, block{Table: t})
	}
	var ls []line
	if r.Setup != "" {
		ls = append(ls, line{txt("setup: "), sty(oneLine(r.Setup), code)})
	}
	if h := hostLine(r.Host); h != "" {
		ls = append(ls, line{txt("host: " + h)})
	}
	if len(ls) > 0 {
		out = append(out, block{Para: ls})
	}
	return out
}

// measuredUnder is the first configuration cand ran successfully under in
// the primary mode, "" when it never did (a code fix proposed but not
// measured).
func (f *facts) measuredUnder(cand string) string {
	for _, cfg := range f.configs {
		if run := f.r.Run(cand, cfg, f.mode); run != nil && run.Status == result.StatusOK {
			return cfg
		}
	}
	return ""
}

// hostLine lists the machine facts that change what the numbers mean: the
// kernel and THP mode (huge pages cut fault counts 512x), whether hardware
// counters exist, the interpreter, and the calibrated cost of one fault.
func hostLine(h result.Host) string {
	var p []string
	if h.Kernel != "" {
		s := "Linux " + h.Kernel
		if h.Arch != "" {
			s += " " + h.Arch
		}
		p = append(p, s)
	}
	if h.CPUs > 0 {
		s := plural(h.CPUs, "CPU", "CPUs")
		if h.CPUModel != "" {
			s += " (" + h.CPUModel + ")"
		}
		p = append(p, s)
	}
	if h.THP != "" {
		p = append(p, "THP "+h.THP)
	}
	if h.PMU {
		p = append(p, "PMU available")
	} else {
		p = append(p, "no PMU")
	}
	if h.Libc != "" {
		p = append(p, h.Libc)
	}
	if h.PyVer != "" {
		p = append(p, "Python "+h.PyVer)
	}
	if h.NumPy != "" {
		p = append(p, "numpy "+h.NumPy)
	}
	if h.FaultCostSeconds > 0 {
		p = append(p, "minor fault "+fmtTime(h.FaultCostSeconds))
	}
	return strings.Join(p, ", ")
}

func modeText(mode string) string {
	switch mode {
	case result.ModeInterleaved:
		return "interleaved rounds in one process"
	case result.ModeIsolated:
		return "each candidate alone in a fresh process"
	case result.ModeProcess:
		return "one process per run"
	}
	return mode
}

// ratioCell formats a comparison like benchstat: the ratio and its
// interval, red when significantly slower, green when significantly
// faster, and "~" when the difference is not significant.
func ratioCell(c *result.Comparison, withInterval bool) span {
	if c == nil {
		return txt("")
	}
	s := fmtRatio(c.Ratio)
	if withInterval {
		if iv := fmtInterval(c.Low, c.High); iv != "" {
			s += " " + iv
		}
	}
	switch {
	case !c.Significant:
		return sty("~ "+s, warn)
	case c.Ratio > 1:
		return sty(s, bad)
	case c.Ratio < 1:
		return sty(s, good)
	}
	return txt(s)
}

func (f *facts) timeSection(verbose bool) *section {
	runs := f.runsIn(f.baseCfg, f.mode)
	if len(runs) == 0 {
		return nil
	}
	per := f.r.Unit()
	s := &section{ID: "time", Title: "Time per " + per,
		Subtitle: line{txt(f.configTitle(f.baseCfg) + ", " + modeText(f.mode) + ", " + sourceOf(runs[0], "time", result.PassTiming) + " pass (untraced)" + loadText(f.r.TimingLoad(f.baseCfg, f.mode)))}}
	head := []string{"", "time", "±"}
	right := []bool{false, true, true}
	if verbose {
		head = append(head, "n", "loops")
		right = append(right, true, true)
	}
	head = append(head, "vs "+f.base, "p")
	right = append(right, false, false)
	// User and system CPU time, where the sampler measured them: system
	// time is the first sign that the kernel is where the time goes.
	cpu := false
	for _, run := range runs {
		cpu = cpu || run.CPU != nil
	}
	if cpu {
		head = append(head, "user", "sys")
		right = append(right, true, true)
	}
	head = append(head, "minor flt", "major flt", "peak RSS", "label")
	right = append(right, true, true, true, false)
	t := &table{Head: head, Right: right, Fill: len(head) - 1}
	var after []line
	for _, run := range runs {
		c := f.r.Candidate(run.Candidate)
		row := []span{sty(run.Candidate, strong)}
		if !ok(run) {
			st := run.Status
			if st == "" || st == result.StatusOK {
				st = "no samples"
			}
			row = append(row, sty(st, bad), txt(""))
			if verbose {
				row = append(row, txt(""), txt(""))
			}
			row = append(row, txt(""), txt(""))
			if cpu {
				row = append(row, txt(""), txt(""))
			}
			row = append(row, txt(""), txt(""), txt(""), sty(label(c), code))
			t.Rows = append(t.Rows, row)
			msg := run.Error
			if msg == "" {
				msg = "no timed sample"
			}
			after = append(after, line{sty(run.Candidate+" failed: "+oneLine(msg), bad)})
			continue
		}
		row = append(row, sty(f.time(run.Time.Median), strong), txt(fmtPM(run.Time)))
		if verbose {
			row = append(row, txt(fmt.Sprint(run.Time.N)), txt(fmt.Sprint(run.Loops)))
		}
		if run.Candidate == f.base {
			row = append(row, sty("base", dim), txt(""))
		} else if cmp := f.r.Comparison(f.baseCfg, f.mode, run.Candidate); cmp != nil {
			row = append(row, ratioCell(cmp, true), txt(fmtP(cmp.P)))
		} else {
			row = append(row, txt(""), txt(""))
		}
		rss := ""
		if run.PeakRSSBytes > 0 {
			rss = fmtBytes(float64(run.PeakRSSBytes))
		}
		if cpu {
			row = append(row, f.cpuCells(run.CPU)...)
		}
		row = append(row, txt(fmtCount(run.PerIteration.MinorFaults)), txt(fmtCount(run.PerIteration.MajorFaults)),
			txt(rss), sty(label(c), code))
		t.Rows = append(t.Rows, row)
		if n := len(run.Failures); n > 0 {
			after = append(after, failureLine(run))
		}
	}
	s.table(t)
	if len(after) > 0 {
		s.para(after...)
	}
	for _, run := range runs {
		if run.CPU != nil && run.CPU.Per != per {
			s.para(line{sty("user and sys are per "+run.CPU.Per+", start-up included: the kernel accounts CPU time per process", dim)})
			break
		}
	}
	if f.mode == result.ModeInterleaved && len(runs) > 1 {
		s.para(line{sty("peak RSS is the whole process's, shared by the candidates interleaved in it", dim)})
	}
	return s
}

// cpuCells are a run's user and system CPU time per iteration, or empty
// cells when its sampler did not measure them.
func (f *facts) cpuCells(c *result.CPUTime) []span {
	if c == nil {
		return []span{txt(""), txt("")}
	}
	cell := func(v float64) span {
		if v == 0 {
			return txt("0")
		}
		return txt(f.time(v))
	}
	return []span{cell(c.User), cell(c.System)}
}

// failureLine summarises the failed runs of a process-mode candidate.
func failureLine(run *result.Run) line {
	n := len(run.Failures)
	total := run.Time.N + n
	var parts []string
	for i, fl := range run.Failures {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more", n-3))
			break
		}
		p := fmt.Sprintf("run %d", fl.Run)
		switch {
		case fl.Signal != "":
			p += " killed by " + fl.Signal
		default:
			p += fmt.Sprintf(" exited %d", fl.ExitCode)
		}
		if fl.Reason != "" {
			p += " (" + oneLine(fl.Reason) + ")"
		}
		parts = append(parts, p)
	}
	return line{sty(fmt.Sprintf("%s: %d of %d runs failed and are not in its time: %s", run.Candidate, n, total, strings.Join(parts, "; ")), bad)}
}

// syscallCols are the memory syscalls in the order the report lists them.
var syscallCols = []struct {
	name string
	get  func(*result.Syscalls) float64
}{
	{"brk", func(s *result.Syscalls) float64 { return s.Brk }},
	{"mmap", func(s *result.Syscalls) float64 { return s.Mmap }},
	{"munmap", func(s *result.Syscalls) float64 { return s.Munmap }},
	{"mremap", func(s *result.Syscalls) float64 { return s.Mremap }},
	{"madvise", func(s *result.Syscalls) float64 { return s.Madvise }},
	{"mprotect", func(s *result.Syscalls) float64 { return s.Mprotect }},
	{"fork", func(s *result.Syscalls) float64 { return s.Forks }},
	{"spawn", func(s *result.Syscalls) float64 { return s.Spawns }},
}

func (f *facts) memorySection() *section {
	s := &section{ID: "memory", Title: "Memory activity per iteration"}
	for _, cfg := range f.configs {
		runs := f.runsIn(cfg, f.mode)
		var sysRun, allocRun *result.Run
		for _, run := range runs {
			if run.PerIteration.Syscalls != nil && sysRun == nil {
				sysRun = run
			}
			if run.PerIteration.Allocations != nil && allocRun == nil {
				allocRun = run
			}
		}
		native := nativeBlock(f.configTitle(cfg), runs)
		if sysRun == nil && allocRun == nil {
			if len(native) > 0 {
				s.para(native...)
			}
			continue
		}
		var src []string
		head := []string{""}
		right := []bool{false}
		var cols []int
		if sysRun != nil {
			src = append(src, "syscalls from the "+sourceOf(sysRun, "syscalls", result.PassTrace)+" pass")
			for i, sc := range syscallCols {
				for _, run := range runs {
					if sy := run.PerIteration.Syscalls; sy != nil && sc.get(sy) != 0 {
						cols = append(cols, i)
						break
					}
				}
			}
			for _, i := range cols {
				head = append(head, syscallCols[i].name)
				right = append(right, true)
			}
			if len(cols) == 0 {
				head = append(head, "syscalls")
				right = append(right, true)
			}
		}
		if allocRun != nil {
			src = append(src, "allocations of 256 KiB or more from the "+sourceOf(allocRun, "allocations", result.PassAlloc)+" pass")
			head = append(head, "large allocs", "allocated", "peak")
			right = append(right, false, true, true)
		}
		hasSizes := false
		for _, run := range runs {
			if sy := run.PerIteration.Syscalls; sy != nil && len(sy.Sizes) > 0 {
				hasSizes = true
			}
		}
		if hasSizes {
			// The sizes are the longest cell: last, where a long one
			// does not push the other columns apart.
			head = append(head, "syscall sizes")
			right = append(right, false)
		}
		t := &table{Head: head, Right: right, Fill: -1}
		for _, run := range runs {
			sy, al := run.PerIteration.Syscalls, run.PerIteration.Allocations
			if sy == nil && al == nil {
				continue
			}
			row := []span{sty(run.Candidate, strong)}
			if sysRun != nil {
				for _, i := range cols {
					if sy == nil {
						row = append(row, sty("-", dim))
					} else {
						row = append(row, txt(fmtCount(syscallCols[i].get(sy))))
					}
				}
				if len(cols) == 0 {
					if sy == nil {
						row = append(row, sty("-", dim))
					} else {
						row = append(row, txt("none"))
					}
				}
			}
			if allocRun != nil {
				if al == nil {
					row = append(row, sty("-", dim), txt(""), txt(""))
				} else {
					row = append(row, txt(largeText(al)), txt(fmtBytes(al.Bytes)), txt(fmtBytes(al.PeakBytes)))
				}
			}
			if hasSizes {
				row = append(row, txt(sizesText(sy)))
			}
			t.Rows = append(t.Rows, row)
		}
		s.para(line{sty(f.configTitle(cfg), strong), txt(": " + strings.Join(src, "; "))})
		s.table(t)
		if who := issuersBlock(runs); len(who) > 0 {
			s.para(who...)
		}
		if len(native) > 0 {
			s.para(native...)
		}
	}
	return s
}

func sizesText(sy *result.Syscalls) string {
	if sy == nil {
		return ""
	}
	if len(sy.Sizes) == 0 {
		return ""
	}
	// Sizes that print alike (7.6 MiB of slightly different lengths, one
	// per iteration) are one entry, and the list stops at maxSizes.
	var merged []result.SizeCount
	at := map[string]int{}
	for _, sz := range sy.Sizes {
		k := fmtSize(result.SizeCount{Call: sz.Call, Bytes: sz.Bytes, Per: 1})
		if i, ok := at[k]; ok {
			// Sums of tenths are not exact: keep nine decimals.
			merged[i].Per = math.Round((merged[i].Per+sz.Per)*1e9) / 1e9
			continue
		}
		at[k] = len(merged)
		merged = append(merged, sz)
	}
	parts := make([]string, 0, min(len(merged), maxSizes)+1)
	for i, sz := range merged {
		if i == maxSizes {
			parts = append(parts, fmt.Sprintf("%d more sizes", len(merged)-maxSizes))
			break
		}
		parts = append(parts, fmtSize(sz))
	}
	return strings.Join(parts, ", ")
}

// maxSizes is how many syscall sizes a table cell lists; the JSON has all.
const maxSizes = 6

func largeText(al *result.Allocations) string {
	if len(al.Large) == 0 {
		return fmtCount(al.Count)
	}
	parts := make([]string, 0, len(al.Large))
	for _, l := range al.Large {
		parts = append(parts, fmtCount(l.Per)+" x "+fmtBytes(float64(l.Bytes)))
	}
	return strings.Join(parts, ", ")
}
