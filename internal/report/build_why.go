package report

// The sections that explain: findings, fixes, notes and passes.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

func (f *facts) whySection() *section {
	if len(f.r.Findings) == 0 {
		return nil
	}
	s := &section{ID: "why", Title: "Why"}
	for i, fd := range f.r.Findings {
		h := line{sty(fmt.Sprintf("%d. %s", i+1, fd.Cause), strong)}
		if about := f.about(fd.Candidate, fd.Config); about != "" {
			h = append(h, txt(" · "+about))
		}
		s.h3(h)
		var ls []line
		if fd.Summary != "" {
			ls = append(ls, line{txt(oneLine(fd.Summary))})
		}
		var facts []string
		switch {
		case fd.Explains > 0 && fd.Tax:
			who := "at least " + fmtPct(fd.Explains) + " of every candidate's"
			if fd.Candidate != "" {
				who = fmtPct(fd.Explains) + " of " + fd.Candidate + "'s"
			}
			facts = append(facts, "memory management takes "+who+" time under "+fd.Config)
		case fd.Explains > 0:
			gap := "the gap"
			if fd.Candidate != "" && fd.Candidate != f.base {
				gap = "the gap between " + fd.Candidate + " and " + f.base
			}
			if fd.Config != "" {
				gap += " under " + fd.Config
			}
			facts = append(facts, "explains "+fmtPct(fd.Explains)+" of "+gap)
		}
		if fd.Confidence != "" {
			facts = append(facts, "confidence "+fd.Confidence)
		}
		if len(facts) > 0 {
			ls = append(ls, line{sty(strings.Join(facts, " · "), strong)})
		}
		if len(ls) > 0 {
			s.para(ls...)
		}
		if fd.Explains > 0 {
			s.bar(fd.Explains)
		}
		if len(fd.Evidence) > 0 {
			t := &table{Head: []string{"evidence", "candidate", "config", "value", "pass"},
				Right: []bool{false, false, false, true, false}, Fill: 0}
			for _, e := range fd.Evidence {
				t.Rows = append(t.Rows, []span{txt(oneLine(e.What)), txt(e.Candidate), txt(e.Config),
					sty(fmtValue(e.Value, e.Unit), strong), sty(e.Pass, dim)})
			}
			s.table(t)
		}
		if n := len(fd.Fixes); n > 0 {
			v := 0
			for _, fx := range fd.Fixes {
				if fx.Verified {
					v++
				}
			}
			msg := fmt.Sprintf("fixes: %d verified", v)
			if n > v {
				msg += fmt.Sprintf(", %d not verified", n-v)
			}
			s.para(line{sty(msg+" (see Fixes)", dim)})
		}
	}
	return s
}

func (f *facts) about(cand, cfg string) string {
	switch {
	case cand != "" && cfg != "":
		return cand + " under " + cfg
	case cand != "":
		return cand
	case cfg != "":
		return "under " + cfg
	}
	return ""
}

// fixRef is a fix with the finding it belongs to, and the causes of the
// later findings that propose the same fix.
type fixRef struct {
	fix     result.Fix
	finding *result.Finding
	also    []string
}

// allFixes lists every fix once, verified ones first, otherwise in
// finding order: a user should try first what faultline has measured. A
// fix two findings share (the same setting undoes a trim and a
// configuration's regression) is listed with the first, most important,
// finding's measurement, and names the other's cause.
func (f *facts) allFixes() []fixRef {
	var out []fixRef
	seen := map[string]int{}
	for i := range f.r.Findings {
		fd := &f.r.Findings[i]
		for _, fx := range fd.Fixes {
			key := fx.Kind + "\x00" + fixWhat(fx)
			if j, ok := seen[key]; ok {
				other := fd.Cause
				if fx.Verified && !out[j].fix.Verified {
					other = out[j].finding.Cause
					out[j].fix, out[j].finding = fx, fd
				}
				if !slices.Contains(out[j].also, other) && other != out[j].finding.Cause {
					out[j].also = append(out[j].also, other)
				}
				continue
			}
			seen[key] = len(out)
			out = append(out, fixRef{fix: fx, finding: fd})
		}
	}
	slices.SortStableFunc(out, func(a, b fixRef) int {
		switch {
		case a.fix.Verified == b.fix.Verified:
			return 0
		case a.fix.Verified:
			return -1
		}
		return 1
	})
	return out
}

// fixWhat is the thing to apply: the environment, the code, or the words.
func fixWhat(fx result.Fix) string {
	switch {
	case len(fx.Env) > 0:
		return fmtEnv(fx.Env)
	case fx.Code != "":
		return oneLine(fx.Code)
	}
	return oneLine(fx.Change)
}

// causeConfigRegression is the cause id (docs/causes.md) of a finding about
// a configuration that makes a candidate slower. Its fixes are measured
// against the candidate itself, not against another candidate.
const causeConfigRegression = "config-regression"

// fixMeasured says how a verified fix was measured and what it gave.
func (f *facts) fixMeasured(ref fixRef) string {
	fx, fd := ref.fix, ref.finding
	m := ""
	switch {
	case fd.Tax:
		m = f.taxMeasured(fx, fd)
	case fd.Cause == causeConfigRegression:
		m = f.regressionFixMeasured(fx, fd)
	default:
		m = f.gapFixMeasured(fx, fd)
	}
	if c := f.memoryCost(fx); c != "" && m != "" {
		m += "; " + c
	}
	return m
}

// gapFixMeasured says how a fix of a gap finding was measured.
func (f *facts) gapFixMeasured(fx result.Fix, fd *result.Finding) string {
	slow := fd.Candidate
	var by, num string
	if c := f.r.Candidate(fx.Config); c != nil {
		// A code fix is verified by timing the rewritten candidate.
		by = "as candidate " + c.Name
		if cfg := f.measuredUnder(c.Name); cfg != "" {
			by += " under " + cfg
		}
		num = c.Name
	} else {
		if fx.Config != "" {
			by = "under " + fx.Config
		}
		num = slow
	}
	var p []string
	if by != "" {
		p = append(p, "measured "+by)
	}
	if fx.Ratio > 0 {
		switch {
		case num == "":
			p = append(p, "ratio "+fmtRatio(fx.Ratio))
		case num != f.base:
			p = append(p, num+"/"+f.base+" "+fmtRatio(fx.Ratio))
		}
		// A candidate against itself ("A/A") says nothing: left out.
	}
	if fx.Speedup > 0 && slow != "" {
		p = append(p, slow+" became "+fmtRatio(fx.Speedup)+" faster")
	}
	return strings.Join(p, ", ")
}

// regressionFixMeasured says how a fix of a config-regression was
// measured: the candidate's time under the fix against its time under the
// baseline configuration (the fix undoes the slowdown when that is near
// 1x), and how much faster it is than under the regressing configuration.
func (f *facts) regressionFixMeasured(fx result.Fix, fd *result.Finding) string {
	var p []string
	if fx.Config != "" {
		p = append(p, "measured under "+fx.Config)
	}
	cand := fd.Candidate
	if cand == "" {
		return strings.Join(p, ", ")
	}
	if fx.OfBaseline > 0 {
		p = append(p, cand+" "+fmtRatio(fx.OfBaseline)+" of its "+f.baseCfg+" time")
	}
	if fx.Speedup > 0 {
		s := cand + " became " + fmtRatio(fx.Speedup) + " faster"
		if fd.Config != "" {
			s += " than under " + fd.Config
		}
		p = append(p, s)
	}
	return strings.Join(p, ", ")
}

func (f *facts) fixesSection() *section {
	fixes := f.allFixes()
	if len(fixes) == 0 {
		return nil
	}
	s := &section{ID: "fixes", Title: "Fixes",
		Subtitle: line{txt("verified first: faultline re-ran the candidates with each verified fix and measured it")}}
	var items []item
	for _, ref := range fixes {
		fx := ref.fix
		st := sty("verified", good)
		if !fx.Verified {
			st = sty("not verified", warn)
		}
		it := item{Head: line{st, txt("  " + fx.Kind + "  "), sty(fixWhat(fx), code)}}
		if fx.Change != "" && fixWhat(fx) != oneLine(fx.Change) {
			it.Lines = append(it.Lines, line{txt(oneLine(fx.Change))})
		}
		var res line
		if fx.Verified {
			if m := f.fixMeasured(ref); m != "" {
				res = append(res, sty(m, good))
			}
		} else {
			res = append(res, sty("faultline has not measured this fix", warn))
		}
		res = append(res, sty("  (for "+strings.Join(append([]string{ref.finding.Cause}, ref.also...), ", ")+")", dim))
		it.Lines = append(it.Lines, res)
		if fx.Remains != nil {
			it.Lines = append(it.Lines, line{sty("what remains: ", warn), txt(oneLine(fx.Remains.Summary))})
		}
		items = append(items, it)
	}
	s.list(items)
	return s
}

func (f *facts) notesSection() *section {
	if len(f.r.Notes) == 0 {
		return nil
	}
	s := &section{ID: "notes", Title: "Notes"}
	var items []item
	for _, n := range f.r.Notes {
		items = append(items, item{Head: line{sty(oneLine(n), dim)}})
	}
	s.list(items)
	return s
}

// passSources lists, for each kind of number, the pass it came from, as the
// runs recorded it: "time, minor faults, major faults: timing".
func (f *facts) passSources() string {
	byPass := map[string][]string{}
	var order []string
	for _, run := range f.r.Results {
		keys := make([]string, 0, len(run.Sources))
		for k := range run.Sources {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int { return sourceRank(a) - sourceRank(b) })
		for _, k := range keys {
			p := run.Sources[k]
			k = strings.ReplaceAll(k, "_", " ")
			if !slices.Contains(order, p) {
				order = append(order, p)
			}
			if !slices.Contains(byPass[p], k) {
				byPass[p] = append(byPass[p], k)
			}
		}
	}
	var parts []string
	for _, p := range order {
		parts = append(parts, strings.Join(byPass[p], ", ")+": "+p)
	}
	return strings.Join(parts, "; ")
}

// sourceRank orders kinds of numbers as the report shows them.
func sourceRank(k string) int {
	switch k {
	case "time":
		return 0
	case "minor_faults":
		return 1
	case "major_faults":
		return 2
	case "counters":
		return 3
	case "syscalls":
		return 4
	case "allocations":
		return 5
	}
	return 6
}

func (f *facts) passesSection(verbose bool) *section {
	if len(f.r.Passes) == 0 {
		return nil
	}
	s := &section{ID: "passes", Title: "Passes",
		Subtitle: line{txt("timing passes are observed only by cheap counters; diagnostic passes (trace, alloc) slow the target down and never contribute a time")}}
	if src := f.passSources(); src != "" {
		s.para(line{txt("numbers by pass: " + src)})
	}
	if verbose {
		t := &table{Head: []string{"pass", "config", "candidate", "wall time", "observation cost", "note"},
			Right: []bool{false, false, false, true, false, false}, Fill: 5}
		for _, p := range f.r.Passes {
			t.Rows = append(t.Rows, []span{sty(p.Name, strong), txt(p.Config), txt(p.Candidate), txt(fmtSeconds(p.Seconds)),
				txt(costText(p.Name, overheadOf(p))), sty(oneLine(p.Note), dim)})
		}
		s.table(t)
		return s
	}
	// One line per kind of pass: how many processes, where, how long, what
	// observing cost.
	type agg struct {
		name    string
		configs []string
		n       int
		seconds float64
		cost    []string
		notes   []string
	}
	var aggs []*agg
	for _, p := range f.r.Passes {
		var a *agg
		for _, x := range aggs {
			if x.name == p.Name {
				a = x
			}
		}
		if a == nil {
			a = &agg{name: p.Name}
			aggs = append(aggs, a)
		}
		a.n++
		a.seconds += p.Seconds
		if !slices.Contains(a.configs, p.Config) {
			a.configs = append(a.configs, p.Config)
		}
		if p.Overhead > 0 {
			who := p.Candidate
			switch {
			case who == "":
				who = p.Config
			case p.Config != f.r.BaselineConfig():
				who += " under " + p.Config
			}
			a.cost = append(a.cost, who+" "+fmtRatio(p.Overhead))
		}
		// Timing notes only name the mode; the other passes say how
		// they observe.
		if n := oneLine(p.Note); n != "" && !slices.Contains(a.notes, n) && p.Name != result.PassTiming {
			a.notes = append(a.notes, n)
		}
	}
	var items []item
	for _, a := range aggs {
		cfgs := strings.Join(a.configs, ", ")
		if len(a.configs) > 3 {
			cfgs = plural(len(a.configs), "configuration", "configurations")
		}
		head := line{sty(a.name, strong), txt(": " + plural(a.n, "process", "processes") + " under " + cfgs + ", " + fmtSeconds(a.seconds) + "; " + costText(a.name, a.cost))}
		it := item{Head: head}
		for _, n := range a.notes {
			it.Lines = append(it.Lines, line{sty(n, dim)})
		}
		items = append(items, it)
	}
	s.list(items)
	return s
}

func overheadOf(p result.Pass) []string {
	if p.Overhead > 0 {
		return []string{fmtRatio(p.Overhead)}
	}
	return nil
}

// costText says what observing the target cost during a pass.
func costText(pass string, cost []string) string {
	switch {
	case pass == result.PassTiming:
		return "untraced"
	case len(cost) == 0:
		return "observation cost not measured"
	}
	return "slower while observed: " + strings.Join(cost, ", ")
}
