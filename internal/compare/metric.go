package compare

import (
	"strings"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

// MetricTime is the timing metric: medians compared by the verdict's test
// (stats.Infer), unlike the counts below, which are compared as they are.
const MetricTime = "time"

// Metric is one per-iteration count that a comparison shows and a gate can
// judge. Counts from the timing pass (faults) are means over every timed
// iteration; counts from the diagnostic passes (syscalls, allocations) are
// the same on every iteration of a steady loop. Both are nearly
// deterministic, so a change in them needs no repeated runs to be believed.
type Metric struct {
	Name string // as --fail-if and the JSON name it
	Unit string // faults, calls, allocs, B
	Pass string // the pass it comes from (result.PassTiming, ...)
	What string // in words, for the table
	// Alone says the count is taken from the candidate's isolated run
	// when both files have one: a candidate alone in a fresh process, so
	// another candidate's heap trimming (an order effect) does not count
	// against it.
	Alone bool
	// Floor is the smallest rise per iteration a gate counts (0: every
	// rise): faults move a little on a loaded machine, syscalls do not.
	Floor float64
	// PerProcess says the count differs between processes of one
	// program: where a page boundary falls under address-space
	// randomisation decides which blocks transparent huge pages back
	// (NumPy's 800 KiB temporaries take 808 faults a call in one process,
	// 1,319 in the next). Such a rise counts only when the two files'
	// processes do not overlap (Change.Overlap).
	PerProcess bool
	get        func(*result.PerIteration) (float64, bool)
}

// Metrics lists every count in the order the tables show them.
var Metrics = []Metric{
	{Name: "faults", Unit: "faults", Pass: result.PassTiming, What: "minor page faults", Alone: true, Floor: stats.FaultFloor, PerProcess: true,
		get: func(p *result.PerIteration) (float64, bool) { return p.MinorFaults, true }},
	{Name: "major-faults", Unit: "faults", Pass: result.PassTiming, What: "major page faults", Alone: true, Floor: stats.FaultFloor,
		get: func(p *result.PerIteration) (float64, bool) { return p.MajorFaults, true }},
	sys("brk", func(s *result.Syscalls) float64 { return s.Brk }),
	sys("mmap", func(s *result.Syscalls) float64 { return s.Mmap }),
	sys("munmap", func(s *result.Syscalls) float64 { return s.Munmap }),
	sys("mremap", func(s *result.Syscalls) float64 { return s.Mremap }),
	sys("madvise", func(s *result.Syscalls) float64 { return s.Madvise }),
	sys("syscalls", (*result.Syscalls).Calls),
	{Name: "allocs", Unit: "allocs", Pass: result.PassAlloc, What: "allocations of 256 KiB or more",
		get: alloc(func(a *result.Allocations) float64 { return a.Count })},
	{Name: "bytes", Unit: "B", Pass: result.PassAlloc, What: "bytes in those allocations",
		get: alloc(func(a *result.Allocations) float64 { return a.Bytes })},
	{Name: "peak", Unit: "B", Pass: result.PassAlloc, What: "peak traced memory",
		get: alloc(func(a *result.Allocations) float64 { return a.PeakBytes })},
}

// aliases are other spellings users reach for.
var aliases = map[string]string{
	"minor-faults": "faults",
	"minflt":       "faults",
	"majflt":       "major-faults",
	"allocations":  "allocs",
	"alloc-bytes":  "bytes",
}

func sys(name string, f func(*result.Syscalls) float64) Metric {
	what := name + " calls"
	if name == "syscalls" {
		what = "memory syscalls (brk, mmap, munmap, mremap, madvise)"
	}
	return Metric{Name: name, Unit: "calls", Pass: result.PassTrace, What: what,
		get: func(p *result.PerIteration) (float64, bool) {
			if p.Syscalls == nil {
				return 0, false
			}
			return f(p.Syscalls), true
		}}
}

func alloc(f func(*result.Allocations) float64) func(*result.PerIteration) (float64, bool) {
	return func(p *result.PerIteration) (float64, bool) {
		if p.Allocations == nil {
			return 0, false
		}
		return f(p.Allocations), true
	}
}

// LookupMetric returns the metric called name (or one of its aliases).
func LookupMetric(name string) (*Metric, bool) {
	name = strings.ToLower(name)
	if a, ok := aliases[name]; ok {
		name = a
	}
	for i := range Metrics {
		if Metrics[i].Name == name {
			return &Metrics[i], true
		}
	}
	return nil, false
}

// MetricNames lists the names a gate accepts, time first.
func MetricNames() []string {
	names := []string{MetricTime}
	for _, m := range Metrics {
		names = append(names, m.Name)
	}
	return names
}

// Value returns the metric of a run, false when the run's passes did not
// measure it.
func (m *Metric) Value(run *result.Run) (float64, bool) {
	if run == nil || run.Status != result.StatusOK {
		return 0, false
	}
	if m.Pass == result.PassTiming && run.Time.N == 0 {
		return 0, false
	}
	return m.get(&run.PerIteration)
}

// processValues returns the metric in each process a run's samples came
// from: an isolated run's processes, or each run of a process-mode
// result; nil when the run is one process (interleaved rounds) or the
// metric does not vary by process.
func (m *Metric) processValues(run *result.Run) []float64 {
	if !m.PerProcess || run == nil {
		return nil
	}
	if len(run.ProcessFaults) > 1 {
		return run.ProcessFaults
	}
	if run.Mode != result.ModeProcess {
		return nil
	}
	var out []float64
	for _, s := range result.Timed(run.Samples) {
		out = append(out, s.MinorFaults)
	}
	if len(out) < 2 {
		return nil
	}
	return out
}
