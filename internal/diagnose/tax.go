package diagnose

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
	"github.com/faultline/faultline/internal/units"
)

// The memory tax: what memory management costs one candidate, its time
// under the baseline against the fastest configuration that ran. The gap
// findings explain why one candidate is slower than another; the tax says
// what both pay, and for a single command it is the whole answer.
const (
	// taxMin is the smallest speed-up under another configuration that
	// counts as a tax (with a significant time test): the fastest of
	// several configurations is picked after the fact, so a few percent
	// is selection, not memory management.
	taxMin = 1.1
	// nothingBound: a candidate whose counts bound memory management
	// below this share of its time has nothing for the experiments to
	// find (NothingToExplain).
	nothingBound = 0.05
	// syscallBound and allocCallBound are generous costs of one memory
	// syscall beyond its faults and of one allocator call, for the bound
	// from counts: an upper bound, not an estimate.
	syscallBound   = 2e-6
	allocCallBound = 100e-9
)

// NothingToExplain reports whether the baseline's counts bound memory
// management below nothingBound of every user candidate's time, with the
// largest such bound: no experiment can find a tax there. It needs the
// trace (and for a command the allocator calls of the native pass); a
// candidate without them, or slower than another, leaves it false.
func NothingToExplain(r *result.Result, s *summary.Summary) (float64, bool) {
	if r == nil || s == nil || len(s.Pairs) > 0 {
		return 0, false
	}
	a := newAnalysis(r, s)
	worst := 0.0
	for _, c := range r.UserCandidates() {
		b := a.run(c.Name, a.base)
		if b == nil || b.PerIteration.Syscalls == nil || r.Kind == result.KindRun && b.PerIteration.Native == nil {
			return 0, false
		}
		bound, ok := a.countBound(b)
		if !ok || bound >= nothingBound {
			return 0, false
		}
		worst = max(worst, bound)
	}
	return worst, len(r.UserCandidates()) > 0
}

// countBound is the most memory management can cost run as a share of
// its time, from its counts: the faults its fresh memory can take (pages
// mapped, grown, committed or given back with madvise and taken again,
// and shared by fork, less what the dynamic loader mapped), at the
// calibrated cost; its memory syscalls; its allocator calls (the native
// pass's, or the allocation pass's with their frees). false without a
// trace.
func (a *analysis) countBound(run *result.Run) (float64, bool) {
	ss := run.PerIteration.Syscalls
	if ss == nil || run.Time.Median <= 0 {
		return 0, false
	}
	fresh := ss.MappedBytes + ss.BrkGrowBytes + ss.CommittedBytes + 2*ss.ForkedBytes +
		ss.AdviceBytes("MADV_DONTNEED") + ss.AdviceBytes("MADV_FREE")
	calls := ss.Calls() - classedCalls(ss, "mmap") - classedCalls(ss, "munmap")
	for _, is := range ss.Issuers {
		if is.Owner == alloc.OwnerLoader && is.Call == "mmap" {
			fresh -= float64(is.Bytes) * is.Per
			calls -= is.Per
		}
	}
	flt := math.Min(faults(run), math.Max(0, fresh)/a.page)
	secs := flt*a.cost + math.Max(0, calls)*syscallBound
	if n := run.PerIteration.Native; n != nil {
		secs += (n.Calls + n.Frees) * allocCallBound
	}
	if al := run.PerIteration.Allocations; al != nil {
		// Each traced allocation is freed too.
		secs += 2 * al.Count * allocCallBound
	}
	return secs / run.Time.Median, true
}

// taxes measures every user candidate's tax.
func (a *analysis) taxes() []result.Tax {
	var out []result.Tax
	for _, c := range a.r.UserCandidates() {
		if t := a.tax(c.Name); t != nil {
			out = append(out, *t)
		}
	}
	return out
}

// tax is cand's: the fastest other configuration against the baseline.
func (a *analysis) tax(cand string) *result.Tax {
	b := a.run(cand, a.base)
	if b == nil || b.Time.Median <= 0 {
		return nil
	}
	t := &result.Tax{Candidate: cand, Config: a.base, Seconds: b.Time.Median, Faults: faults(b)}
	var best *result.Run
	for _, c := range a.configs() {
		if r := a.run(cand, c.Name); r != nil && r.Time.Median > 0 && (best == nil || r.Time.Median < best.Time.Median) {
			best, t.Best = r, c.Name
		}
	}
	if best != nil {
		t.BestSeconds, t.BestFaults = best.Time.Median, faults(best)
		t.Ratio = round3(b.Time.Median / best.Time.Median)
		if best.Time.High > 0 && best.Time.Low > 0 {
			t.Low, t.High = round3(b.Time.Low/best.Time.High), round3(b.Time.High/best.Time.Low)
		}
		t.Paid = t.Ratio >= taxMin && significant(b, best)
	}
	if !t.Paid {
		t.Bound = a.taxBound(b, t)
		t.Summary = a.noTaxWords(cand, b, t)
		return t
	}
	ds := a.taxMechanisms(cand, b, best)
	for _, d := range ds {
		t.Causes = append(t.Causes, d.f.Cause)
	}
	t.Summary = a.taxWords(cand, b, best, t, ds)
	if fx := a.taxFixes(cand, b, best); len(fx) > 0 {
		t.Fix = &fx[0]
	}
	return t
}

// taxBound is how much memory management may cost a candidate that pays
// no tax: the bound from its counts when there is one, else what the
// interval of its fastest configuration leaves room for.
func (a *analysis) taxBound(b *result.Run, t *result.Tax) float64 {
	if x, ok := a.countBound(b); ok && (t.Best == "" || x < t.High-1) {
		return round3(x)
	}
	if t.High > 1 {
		return round3(t.High - 1)
	}
	return 0
}

// taxMechanisms are the fault mechanisms of cand under the baseline
// against its best configuration: the gap detectors run on the pair
// the candidate makes with itself there. Their drafts give the causes
// (the largest first), not the words.
func (a *analysis) taxMechanisms(cand string, b, best *result.Run) []*draft {
	p := &pair{slow: cand, fast: cand, s: b, f: best, gap: b.Time.Median - best.Time.Median}
	var ds []*draft
	if faults(b)-faults(best) >= minFaultDiff {
		for _, det := range a.mechanisms() {
			if d := det(p); d != nil {
				ds = append(ds, d)
			}
		}
		a.programCauses(p, ds)
	}
	for _, det := range []func(*pair) *draft{a.syscallCost, a.thp} {
		if d := det(p); d != nil {
			ds = append(ds, d)
		}
	}
	slices.SortStableFunc(ds, func(x, y *draft) int { return cmp.Compare(y.faultBytes, x.faultBytes) })
	return ds
}

// taxWords says what cand pays and what it is made of.
func (a *analysis) taxWords(cand string, b, best *result.Run, t *result.Tax, ds []*draft) string {
	var what []string
	for _, d := range ds {
		if w := a.mechanismWords(d.f.Cause, b); w != "" && !slices.Contains(what, w) {
			what = append(what, w)
		}
	}
	if len(what) == 0 {
		if dF := faults(b) - faults(best); dF >= minFaultDiff {
			what = append(what, fmt.Sprintf("%s more minor faults %s that no memory-syscall signature names", fmtCount(dF), a.per()))
		} else {
			what = append(what, "the allocator's own work: the faults are the same")
		}
	}
	return fmt.Sprintf("memory management costs %s %s: under %s it takes %s %s instead of %s, %s minor faults instead of %s; %s",
		cand, fmtRatio(t.Ratio), t.Best, units.Seconds(t.BestSeconds), a.per(), units.Seconds(t.Seconds),
		fmtCount(t.BestFaults), fmtCount(t.Faults), strings.Join(what, "; "))
}

// noTaxWords says that cand pays no tax, and how much it could.
func (a *analysis) noTaxWords(cand string, b *result.Run, t *result.Tax) string {
	limit := fmtPct(math.Max(0.01, t.Bound))
	counts := fmt.Sprintf("%s minor faults and %s memory syscalls %s", fmtCount(faults(b)), fmtCount(b.PerIteration.Syscalls.Calls()), a.per())
	if t.Best == "" {
		return fmt.Sprintf("no memory-management cost above ±%s for %s (%s): nothing to explain", limit, cand, counts)
	}
	return fmt.Sprintf("no memory-management cost above ±%s for %s: no configuration made it significantly faster (fastest: %s, %s) (%s)",
		limit, cand, t.Best, fmtRatio(t.Ratio), counts)
}

// mechanismWords says in a few words what a mechanism does to run.
func (a *analysis) mechanismWords(cause string, run *result.Run) string {
	ss := run.PerIteration.Syscalls
	per := "every " + a.unit
	switch cause {
	case HeapTrimRefault:
		return fmt.Sprintf("glibc gives %s of heap back to the kernel with brk %s and faults it in again", fmtBytes(ss.BrkShrinkBytes), per)
	case ProgramTrim:
		return "the program's own malloc_trim hands the free heap back to the kernel, and it faults in again"
	case ProgramTuning:
		return "the program's mallopt call turns glibc's dynamic mmap threshold off, so large blocks are mapped and unmapped " + per
	case MmapPerAllocation:
		if bs := churnedBlocks(ss, 64*kib); len(bs) > 0 {
			return fmt.Sprintf("blocks of %s are mapped and unmapped %s, so their pages fault in again", fmtBytes(float64(bs[0].bytes)), per)
		}
		return "fresh blocks are mapped " + per + " and fault in again"
	case AllocatorPurge:
		// The bytes allocator-purge counts: dropped pages and decommits,
		// not every advice (NumPy's MADV_HUGEPAGE returns nothing).
		return fmt.Sprintf("the allocator gives %s back to the kernel %s and faults it in again", fmtBytes(ss.AdviceBytes("MADV_DONTNEED")+decommitted(ss)), per)
	case RuntimePoolRelease:
		return "the runtime releases its pools to the kernel " + per + " and faults them in again"
	case ReallocCopy:
		return "growth copies into freshly mapped blocks " + per
	case HugePages:
		return "its memory faults in 4 KiB pages where the best configuration gets huge pages"
	case THP:
		return "huge pages zero far more memory than it touches"
	case SyscallCost:
		return fmt.Sprintf("%s memory syscalls %s", fmtCount(ss.Calls()), a.per())
	case FileMapping:
		return "a file is mapped and unmapped " + per
	case ForkCOW:
		return "copy-on-write faults after fork"
	}
	return ""
}

// taxFixes are the configurations that remove cand's tax, best first: a
// speed-up of at least fixSpeedupMin, and most of the faults the best
// configuration removes gone. Among those within nearBest of the largest
// speed-up, the least change first, then the least memory.
func (a *analysis) taxFixes(cand string, b, best *result.Run) []result.Fix {
	removed := faults(b) - faults(best)
	var fixes []result.Fix
	top := 0.0
	for _, c := range a.configs() {
		r := a.run(cand, c.Name)
		if r == nil || r.Time.Median <= 0 {
			continue
		}
		sp := b.Time.Median / r.Time.Median
		if sp < fixSpeedupMin || removed >= minFaultDiff && faults(b)-faults(r) < (1-faultGapLeft)*removed {
			continue
		}
		fx := a.envFix(c, cand, cand, sp)
		fx.Ratio = 0
		fx.OfBaseline = round3(r.Time.Median / b.Time.Median)
		fx.PeakRSSBytes, fx.BaselinePeakRSSBytes = r.PeakRSSBytes, b.PeakRSSBytes
		fixes = append(fixes, fx)
		top = math.Max(top, sp)
	}
	slices.SortStableFunc(fixes, func(x, y result.Fix) int {
		nx, ny := x.Speedup >= nearBest*top, y.Speedup >= nearBest*top
		if nx != ny {
			if nx {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(a.fixInvasiveness(x), a.fixInvasiveness(y)); c != 0 {
			return c
		}
		if c := lessMemory(x, y); c != 0 {
			return c
		}
		return cmp.Compare(y.Speedup, x.Speedup)
	})
	return fixes
}

// lessMemory orders two fixes by the memory they keep, when both were
// measured and they differ by more than a tenth: the smallest setting
// that removes the faults before the largest.
func lessMemory(x, y result.Fix) int {
	if x.PeakRSSBytes <= 0 || y.PeakRSSBytes <= 0 {
		return 0
	}
	lo, hi := min(x.PeakRSSBytes, y.PeakRSSBytes), max(x.PeakRSSBytes, y.PeakRSSBytes)
	if float64(hi) <= 1.1*float64(lo) {
		return 0
	}
	return cmp.Compare(x.PeakRSSBytes, y.PeakRSSBytes)
}

// sharedTax is the finding of a tax every user candidate pays, when it is
// larger than every gap between them: it then leads (drafts are ordered
// by the time they account for, and a tax's is the smallest any
// candidate pays).
// The cause is the mechanism they share, else memory-tax.
func (a *analysis) sharedTax(taxes []result.Tax) *draft {
	if len(taxes) == 0 || len(taxes) != len(a.r.UserCandidates()) {
		return nil
	}
	cause := ""
	if len(taxes[0].Causes) > 0 {
		cause = taxes[0].Causes[0]
	}
	secs, share := math.Inf(1), math.Inf(1)
	for _, t := range taxes {
		if !t.Paid {
			return nil
		}
		if !slices.Contains(t.Causes, cause) {
			cause = ""
		}
		secs = math.Min(secs, t.Seconds-t.BestSeconds)
		share = math.Min(share, 1-t.BestSeconds/t.Seconds)
	}
	// A tax smaller than the gap between the candidates is each one's
	// own business (Result.Taxes): the gap findings lead.
	for _, p := range a.pairs() {
		if p.gap >= secs {
			return nil
		}
	}
	if cause == "" {
		cause = MemoryTax
	}
	d := &draft{seconds: secs, f: result.Finding{Cause: cause, Config: a.base, Tax: true, Explains: round3(share)}}
	d.f.Fixes = a.sharedFixes(taxes)
	if len(taxes) == 1 {
		d.f.Candidate = taxes[0].Candidate
		d.f.Summary = taxes[0].Summary
	} else {
		d.f.Summary = a.sharedWords(taxes, d.f.Fixes)
	}
	for _, t := range taxes {
		d.f.Evidence = append(d.f.Evidence,
			ev("median time "+a.per(), t.Candidate, t.Config, t.Seconds, "s", result.PassTiming),
			ev("median time "+a.per(), t.Candidate, t.Best, t.BestSeconds, "s", result.PassTiming),
			ev("minor page faults "+a.per(), t.Candidate, t.Config, t.Faults, "faults", result.PassTiming),
			ev("minor page faults "+a.per(), t.Candidate, t.Best, t.BestFaults, "faults", result.PassTiming))
	}
	d.f.Confidence = Low
	switch {
	case cause != MemoryTax && len(d.f.Fixes) > 0:
		d.f.Confidence = High
	case cause != MemoryTax || len(d.f.Fixes) > 0:
		d.f.Confidence = Medium
	}
	return d
}

// sharedWords says what every candidate pays, and its time under fix (the
// shared fixes, best first), else under its own fastest configuration:
// "Both pay 2.9-3.1x to memory management: glibc gives ...; under
// glibc-tuned A 1.34 ms, B 1.33 ms".
func (a *analysis) sharedWords(taxes []result.Tax, fix []result.Fix) string {
	lo, hi := math.Inf(1), 0.0
	var under []string
	for _, t := range taxes {
		lo, hi = math.Min(lo, t.Ratio), math.Max(hi, t.Ratio)
	}
	cfg := taxes[0].Best
	if len(fix) > 0 {
		cfg = fix[0].Config
	}
	for _, t := range taxes {
		if len(fix) == 0 && t.Best != cfg {
			cfg = ""
		}
	}
	for _, t := range taxes {
		if cfg == "" {
			under = append(under, fmt.Sprintf("%s %s under %s", t.Candidate, units.Seconds(t.BestSeconds), t.Best))
			continue
		}
		secs := t.BestSeconds
		if r := a.run(t.Candidate, cfg); r != nil {
			secs = r.Time.Median
		}
		under = append(under, fmt.Sprintf("%s %s", t.Candidate, units.Seconds(secs)))
	}
	if cfg != "" {
		under[0] = "under " + cfg + " " + under[0]
	}
	who := "Both"
	if len(taxes) > 2 {
		who = fmt.Sprintf("All %d", len(taxes))
	}
	span := fmtRatio(lo)
	if fmtRatio(hi) != span {
		span = strings.TrimSuffix(fmtRatio(lo), "x") + "-" + fmtRatio(hi)
	}
	what := taxes[0].Summary
	if i := strings.Index(what, "; "); i >= 0 {
		what = what[i+2:]
	}
	return fmt.Sprintf("%s candidates pay %s to memory management (%s minor faults %s against %s): %s; %s",
		who, span, fmtCount(taxes[0].Faults), a.per(), fmtCount(taxes[0].BestFaults), what, strings.Join(under, ", "))
}

// sharedFixes are the configurations that fix every candidate's tax, in
// the first candidate's order, each with the first candidate's figures.
func (a *analysis) sharedFixes(taxes []result.Tax) []result.Fix {
	var lists [][]result.Fix
	for _, t := range taxes {
		lists = append(lists, a.taxFixes(t.Candidate, a.run(t.Candidate, a.base), a.run(t.Candidate, t.Best)))
	}
	var out []result.Fix
	for _, fx := range lists[0] {
		all := true
		for _, l := range lists[1:] {
			if !slices.ContainsFunc(l, func(o result.Fix) bool { return o.Config == fx.Config }) {
				all = false
			}
		}
		if all {
			out = append(out, fx)
		}
	}
	return out
}

// memoryCosts records, on every verified fix of a finding about one
// candidate, the candidate's peak RSS under the fix and under the
// baseline: what the fix costs in memory.
func (a *analysis) memoryCosts(d *draft) {
	b := a.run(d.f.Candidate, a.base)
	if b == nil {
		return
	}
	for i := range d.f.Fixes {
		fx := &d.f.Fixes[i]
		if !fx.Verified || fx.PeakRSSBytes > 0 {
			continue
		}
		var r *result.Run
		switch fx.Kind {
		case result.FixEnv:
			r = a.run(d.f.Candidate, fx.Config)
		case result.FixCode:
			r = a.run(fx.Config, a.base)
		}
		if r != nil {
			fx.PeakRSSBytes, fx.BaselinePeakRSSBytes = r.PeakRSSBytes, b.PeakRSSBytes
		}
	}
}
