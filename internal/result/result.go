// Package result defines faultline's measured result: the versioned JSON
// document at the centre of the tool. Measurement produces it, diagnosis adds
// findings to it, and every renderer (terminal, Markdown, HTML, benchstat
// text) reads only it, so a saved result can be re-rendered later without
// re-measuring. The schema is documented in docs/json-schema.md; any change
// here must be reflected there and, if incompatible, bump Schema.
package result

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/faultline/faultline/internal/atomicfile"
	"github.com/faultline/faultline/internal/load"
	"github.com/faultline/faultline/internal/stats"
)

// Schema identifies the document format. Readers refuse other values.
const Schema = "faultline/v1"

// Kinds of measurement.
const (
	KindTimeit = "timeit" // Python statements in one process
	KindRun    = "run"    // whole commands, one process per run
	KindDemo   = "demo"   // the built-in seed comparison
)

// Modes of a timing result.
const (
	ModeInterleaved = "interleaved" // candidates alternate in shuffled rounds in one process
	ModeIsolated    = "isolated"    // each candidate alone in a fresh process
	ModeProcess     = "process"     // one process per run (faultline run)
)

// Passes: where a number came from. Timing passes are observed only by
// cheap counters; diagnostic passes (syscall tracing, allocation tracking)
// slow the target down and never contribute times.
const (
	PassTiming = "timing"
	PassTrace  = "trace"
	PassAlloc  = "alloc"
	// PassNative is the native allocation pass: uprobes on the allocator
	// API of a program that is not Python (faultline run).
	PassNative = "native"
)

// Configuration and run status values.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// DefaultConfig is the name of the baseline configuration when the
// environment faultline runs in preloads no allocator (glibc malloc), and
// of the baseline of a result that lists no configuration. Otherwise the
// baseline is named for the allocator that environment runs; a result's
// baseline is always its first configuration.
const DefaultConfig = "glibc"

// Result is one faultline measurement.
type Result struct {
	Schema  string    `json:"schema"`
	Tool    Tool      `json:"tool"`
	Kind    string    `json:"kind"`
	Started time.Time `json:"started"`
	// WallSeconds is the whole run's elapsed time, all passes included.
	WallSeconds float64 `json:"wall_seconds"`
	// Partial is true when the run was interrupted (Ctrl-C, SIGTERM, time
	// budget hit in a way that skipped planned work, or a fatal error);
	// Interrupted says why. Everything measured until then is kept.
	Partial     bool   `json:"partial"`
	Interrupted string `json:"interrupted,omitempty"`

	Host  Host   `json:"host"`
	Setup string `json:"setup,omitempty"` // timeit: the setup code (all -s joined)

	Candidates []Candidate `json:"candidates"`
	// Reference names the candidate the user chose to compare the others
	// with (--reference); empty when it is the fastest (summary.Reference).
	Reference   string       `json:"reference,omitempty"`
	Configs     []Config     `json:"configs"`
	Results     []Run        `json:"results"`
	Comparisons []Comparison `json:"comparisons"`
	// Verdict is the answer decided from Comparisons (Decide); nil when
	// nothing was compared.
	Verdict *Verdict `json:"verdict,omitempty"`
	// Rule is the rule Comparisons were decided by, so that a rendering
	// explains the numbers it shows without computing them; nil in
	// results written before it was stored.
	Rule   *VerdictRule `json:"verdict_rule,omitempty"`
	Passes []Pass       `json:"passes,omitempty"`
	// Taxes say what memory management costs each user candidate:
	// its time under the baseline against the best configuration that
	// ran (diagnose.Diagnose), in candidate order.
	Taxes    []Tax     `json:"taxes,omitempty"`
	Findings []Finding `json:"findings"`
	// Notes are one-line remarks about degraded evidence ("no PMU:
	// hardware counters off") and measurement caveats.
	Notes []string `json:"notes,omitempty"`
}

// Tool names the program that wrote the result.
type Tool struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Args    []string `json:"args,omitempty"`
}

// Host describes the machine the numbers were measured on.
type Host struct {
	Kernel   string `json:"kernel,omitempty"`
	Arch     string `json:"arch,omitempty"`
	CPUs     int    `json:"cpus,omitempty"`
	CPUModel string `json:"cpu_model,omitempty"`
	PageSize int    `json:"page_size,omitempty"`
	THP      string `json:"thp,omitempty"` // transparent_hugepage/enabled mode
	PMU      bool   `json:"pmu"`           // hardware perf counters available
	Libc     string `json:"libc,omitempty"`
	Python   string `json:"python,omitempty"` // interpreter path used (timeit)
	PyVer    string `json:"python_version,omitempty"`
	NumPy    string `json:"numpy,omitempty"`
	// FaultCostSeconds is the calibrated cost of one 4 KiB minor fault on
	// this machine (first touch of a fresh anonymous page); 0 if unknown.
	FaultCostSeconds float64 `json:"fault_cost_s,omitempty"`
	// FaultCostCached says the cost came from the cache of an earlier
	// calibration in this boot (less than a day old), not from this run.
	FaultCostCached bool `json:"fault_cost_cached,omitempty"`
}

// Candidate is one of the things being compared.
type Candidate struct {
	Name      string   `json:"name"`  // "A", "B", ...
	Label     string   `json:"label"` // user-facing label (defaults to the code)
	Statement string   `json:"statement,omitempty"`
	Command   []string `json:"command,omitempty"`
	Shell     bool     `json:"shell,omitempty"` // Command[0] is run by a shell
	// FixOf names the candidate this one rewrites as a code fix proposed
	// by the diagnosis (e.g. an in-place ufunc); such candidates are
	// measured to verify the fix and are not part of the user's comparison.
	FixOf string `json:"fix_of,omitempty"`
	// Runtime is what runs the candidate's code (internal/runtimeid):
	// python, go, rust, jvm, node, native (malloc from the C library) or
	// static; empty when unknown.
	Runtime string `json:"runtime,omitempty"`
}

// Config is an environment under which every candidate is run.
type Config struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Env         map[string]string `json:"env"`
	Status      string            `json:"status"`
	Reason      string            `json:"reason,omitempty"`
	// Derived says how generated values (thresholds) were chosen.
	Derived string `json:"derived,omitempty"`
	// Limits are what the configuration's allocator reported of its
	// limits when asked (alloc.ReadLimits), or its defaults where it
	// reported a setting unset.
	Limits []Limit `json:"limits,omitempty"`
}

// Limit is one limit of an allocator: a threshold in bytes, a delay in
// milliseconds, a count.
type Limit struct {
	Name  string  `json:"name"` // "mmap_threshold", "oversize_threshold", ...
	Value float64 `json:"value"`
	Unit  string  `json:"unit"` // "bytes", "ms" or "count"
	// Source says how the value was known: "ld.so --list-tunables",
	// "jemalloc stats", "mimalloc verbose", or "default" (reported unset,
	// so the allocator's documented default applies).
	Source string `json:"source"`
}

// Limit returns the limit named name, nil when none was reported.
func (c *Config) Limit(name string) *Limit {
	for i := range c.Limits {
		if c.Limits[i].Name == name {
			return &c.Limits[i]
		}
	}
	return nil
}

// Run is the timing result of one candidate under one config in one mode,
// together with per-iteration evidence gathered for that pair.
type Run struct {
	Candidate string `json:"candidate"`
	Config    string `json:"config"`
	Mode      string `json:"mode"`
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	// TimedOut: the target stopped reporting (or was still running at
	// the end of the time budget) and was killed; Error says when.
	TimedOut bool `json:"timed_out,omitempty"`

	Time         Estimate     `json:"time"`
	PerIteration PerIteration `json:"per_iteration"`
	// Sources maps each kind of number in PerIteration to the pass it came
	// from, e.g. {"time": "timing", "minor_faults": "timing",
	// "syscalls": "trace"}.
	Sources map[string]string `json:"sources,omitempty"`

	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
	// CPU is the mean user and system CPU time of the timed samples; nil
	// when the sampler could not measure it (a probe that does not report
	// it).
	CPU *CPUTime `json:"cpu,omitempty"`
	// Loops is the number of iterations per timed sample (timeit's
	// "number"); for process runs 1, or the marked iterations per run of a
	// program that marks them (its times and faults are then per marked
	// iteration, from the program's own end records).
	Loops   int      `json:"loops,omitempty"`
	Samples []Sample `json:"samples,omitempty"`
	// Failures lists the runs that exited non-zero or were killed by a
	// signal (process runs).
	Failures []Failure `json:"failures,omitempty"`
	// ProcessFaults are the minor faults per iteration of each process
	// that contributed samples (isolated runs use two fresh processes), so
	// that a difference between processes can be told from an order
	// effect.
	ProcessFaults []float64 `json:"process_minor_faults,omitempty"`
	// After splits an interleaved run's timed samples by the candidate
	// that ran just before each (the carry-over split; summary.Of):
	// one entry per candidate seen before, and "" for the samples that
	// followed the same candidate. Absent when no switch was seen.
	After []AfterSplit `json:"after,omitempty"`
}

// AfterSplit is the part of an interleaved run's samples taken right
// after one candidate, against all its other samples.
type AfterSplit struct {
	After       string  `json:"after"` // "" for no switch
	N           int     `json:"n"`
	Median      float64 `json:"median_s"`
	MinorFaults float64 `json:"minor_faults"` // mean per iteration
	// The run's other samples, and the Mann-Whitney p-value of the two
	// parts' times.
	OthersN           int     `json:"others_n"`
	OthersMedian      float64 `json:"others_median_s"`
	OthersMinorFaults float64 `json:"others_minor_faults"`
	P                 float64 `json:"p"`
}

// ProcessFaultsDiffer reports whether the processes of a run disagree
// about its minor faults per iteration by more than noise (at least 2
// faults and 20%), with the lowest and highest per-process figures.
func (r *Run) ProcessFaultsDiffer() (lo, hi float64, differ bool) {
	pf := r.ProcessFaults
	if len(pf) < 2 {
		return 0, 0, false
	}
	lo, hi = slices.Min(pf), slices.Max(pf)
	return lo, hi, !stats.CountsAlike(lo, hi)
}

// Estimate is a median with its confidence interval, as internal/stats
// computes it; its JSON form is part of the schema (docs/json-schema.md).
type Estimate = stats.Estimate

// Sample is one timed sample: Loops back-to-back iterations. Values are per
// iteration. Seq orders samples of all candidates in one process (the
// timeline), Round is the interleaving round.
type Sample struct {
	Seq         int     `json:"seq"`
	Round       int     `json:"round"`
	Seconds     float64 `json:"s"`
	MinorFaults float64 `json:"minflt"`
	MajorFaults float64 `json:"majflt"`
	// After names the candidate that ran immediately before this sample in
	// the same process ("" when none or the same candidate).
	After string `json:"after,omitempty"`
	// Warmup samples are recorded for the timeline but not summarised.
	Warmup bool `json:"warmup,omitempty"`
	// Process numbers the fresh process a sample ran in, from 0, when a
	// run is made of several (isolated runs); Round counts within it.
	Process int `json:"process,omitempty"`
	// UserSeconds and SystemSeconds are the CPU time the kernel accounted
	// to the target in user and kernel mode, per iteration as Seconds is
	// (per run for a marking program: CPUTime.Per says which); 0 when not
	// measured, which Run.CPU tells apart.
	UserSeconds   float64 `json:"user_s,omitempty"`
	SystemSeconds float64 `json:"sys_s,omitempty"`
}

// CPUTime is user and system CPU time, in seconds. System time is the
// first sign that the kernel is where the time goes (page faults, brk and
// munmap are all kernel time).
type CPUTime struct {
	User   float64 `json:"user_s"`
	System float64 `json:"system_s"`
	// Per is what one figure covers: UnitCall (timeit, demo) or UnitRun
	// (a whole process run, also for a marking program, whose time is
	// per marked iteration: the kernel accounts CPU per process).
	Per string `json:"per"`
}

// Failure records a process run that did not exit cleanly.
type Failure struct {
	Run      int    `json:"run"`
	ExitCode int    `json:"exit_code"`
	Signal   string `json:"signal,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// PerIteration holds per-iteration means of everything counted.
type PerIteration struct {
	MinorFaults float64 `json:"minor_faults"`
	MajorFaults float64 `json:"major_faults"`
	// Counters holds perf_event software/hardware counters per iteration
	// by perf's event name ("page-faults", "context-switches",
	// "task-clock", "cycles", ...).
	Counters    map[string]float64 `json:"counters,omitempty"`
	Syscalls    *Syscalls          `json:"syscalls,omitempty"`
	Allocations *Allocations       `json:"allocations,omitempty"`
	// Native holds a native program's allocator calls, from the native
	// pass.
	Native *NativeAllocations `json:"native_allocations,omitempty"`
}

// Syscalls are memory-management system calls per iteration, from the
// trace pass.
type Syscalls struct {
	Brk     float64 `json:"brk"`
	Mmap    float64 `json:"mmap"`
	Munmap  float64 `json:"munmap"`
	Mremap  float64 `json:"mremap"`
	Madvise float64 `json:"madvise"`
	// Byte volumes per iteration.
	BrkGrowBytes   float64 `json:"brk_grow_bytes"`
	BrkShrinkBytes float64 `json:"brk_shrink_bytes"`
	// MappedBytes is fresh memory: anonymous, accessible mappings. File
	// mappings and reservations (PROT_NONE) are counted apart.
	MappedBytes   float64 `json:"mapped_bytes"`
	UnmappedBytes float64 `json:"unmapped_bytes"`
	AdvisedBytes  float64 `json:"advised_bytes"`
	// Mprotect counts mprotect calls; CommittedBytes is what they made
	// writable (a runtime committing part of a reservation),
	// DecommittedBytes what they made PROT_NONE again.
	Mprotect         float64 `json:"mprotect,omitempty"`
	CommittedBytes   float64 `json:"committed_bytes,omitempty"`
	DecommittedBytes float64 `json:"decommitted_bytes,omitempty"`
	// FileMappedBytes is what mmap mapped from files, ReservedBytes what
	// it reserved with PROT_NONE (glibc's thread-arena heaps, a runtime's
	// heap reservation): neither is fresh memory until touched or
	// committed.
	FileMappedBytes float64 `json:"file_mapped_bytes,omitempty"`
	ReservedBytes   float64 `json:"reserved_bytes,omitempty"`
	// Forks counts processes created with a copy-on-write copy of the
	// caller's memory (fork, clone without CLONE_VM); Spawns those
	// created sharing it until exec (vfork, posix_spawn).
	Forks  float64 `json:"forks,omitempty"`
	Spawns float64 `json:"spawns,omitempty"`
	// ForkedBytes is the fresh memory the forking processes held (mapped,
	// grown and committed, less what they gave back) at their forks: what
	// the forks shared copy-on-write, at most.
	ForkedBytes float64 `json:"forked_bytes,omitempty"`
	// Execs counts programs executed (execve): each maps its libraries
	// from files as it starts.
	Execs float64 `json:"execs,omitempty"`
	// PeakBytes is the most fresh memory held at once above an
	// iteration's start (mapped, grown and committed, less what was
	// given back), the largest over the traced iterations; for a process
	// that marks nothing, above its exec. What an allocator setting must
	// keep mapped is at most this: tunables are sized from it, never
	// from the volumes, which add up every iteration.
	PeakBytes float64 `json:"peak_bytes,omitempty"`
	// Advice counts madvise calls per iteration by advice name
	// ("MADV_DONTNEED", "MADV_HUGEPAGE", ...).
	Advice map[string]float64 `json:"advice,omitempty"`
	// Iterations is how many iterations the trace pass observed.
	Iterations int `json:"iterations"`
	// Threads is how many threads the traced process tree ran in all
	// (1 for a single-threaded program); 0 when unknown.
	Threads int `json:"threads,omitempty"`
	// Sizes lists the distinct mapping/brk sizes seen, largest first, with
	// how often per iteration (for evidence such as "brk +7.6 MiB").
	Sizes []SizeCount `json:"sizes,omitempty"`
	// Issuers says who issued the calls, where the trace pass could
	// sample the caller's registers: per call kind (as in Sizes), size
	// class and issuing site, the groups that moved the most bytes, by
	// call and then by volume.
	Issuers []SyscallIssuer `json:"issuers,omitempty"`
}

// SyscallIssuer is a group of calls of one kind and size class issued
// from one site, per iteration.
type SyscallIssuer struct {
	Call string `json:"call"` // as in SizeCount: "brk+", "munmap", "madvise:MADV_DONTNEED", ...
	// Bytes is the mean size of one call of the group; Bytes x Per is the
	// group's volume per iteration.
	Bytes int64   `json:"bytes"`
	Per   float64 `json:"per_iteration"`
	// Object is the file holding the syscall instruction, Function the
	// function it is in (libc's madvise wrapper, a Go binary's
	// runtime.madvise); "" when no file mapping or symbol covers it.
	Object   string `json:"object,omitempty"`
	Function string `json:"function,omitempty"`
	// Caller is the function Function returns to, in CallerObject: the
	// program's own code calling libc's wrapper, or the allocator's or
	// runtime's function calling it. "" when the return address was not
	// in a file mapping (the wrapper had used its stack) or no symbol
	// covers it.
	Caller       string `json:"caller,omitempty"`
	CallerObject string `json:"caller_object,omitempty"`
	// File and Line are the source line of the syscall instruction,
	// CallerFile and CallerLine that of the call in Caller, from the
	// objects' DWARF line tables (or their separate debug files); File is
	// the full path the compiler recorded. Omitted without debug
	// information.
	File       string `json:"file,omitempty"`
	Line       int    `json:"line,omitempty"`
	CallerFile string `json:"caller_file,omitempty"`
	CallerLine int    `json:"caller_line,omitempty"`
	// Owner is who the site says issued the calls (alloc.Owner): "glibc
	// malloc", "jemalloc", "Go runtime", "V8 (Node.js)", "program", ...;
	// "" when the site does not tell.
	Owner string `json:"owner,omitempty"`
	// Stripped: an address fell in an object without a symbol covering
	// it (a stripped library's internal function): a name is missing, not
	// guessed.
	Stripped bool `json:"stripped,omitempty"`
}

// SizeCount is a syscall kind and size with its per-iteration frequency.
type SizeCount struct {
	// Call is the kind: "brk+", "brk-", "mmap", "munmap",
	// "madvise:MADV_DONTNEED", "mprotect:rw"; a mapping's class follows
	// as a suffix when it is not fresh anonymous memory ("mmap:file",
	// "munmap:reserve").
	Call  string  `json:"call"`
	Bytes int64   `json:"bytes"`
	Per   float64 `json:"per_iteration"`
}

// Allocations are heap allocations per iteration, from the alloc pass
// (tracemalloc for Python, which includes NumPy's data buffers).
type Allocations struct {
	Count float64 `json:"count"`
	Bytes float64 `json:"bytes"`
	// PeakBytes is the peak of live traced memory during one iteration,
	// above what was live before it.
	PeakBytes float64 `json:"peak_bytes"`
	// Large lists allocations of at least 256 KiB by size, per iteration.
	Large      []SizeCount `json:"large,omitempty"`
	Iterations int         `json:"iterations"`
	// Sites are the large allocations by where in the statement they were
	// made: the expression (Python 3.11+) or the line.
	Sites []AllocSite `json:"sites,omitempty"`
}

// AllocSite is a group of large allocations of one size made at one place
// in a candidate's statement.
type AllocSite struct {
	Bytes int64   `json:"bytes"`
	Per   float64 `json:"per_iteration"`
	// Line is the statement's line (from 1), Where the expression that
	// allocated (the whole line's text where columns are not known).
	Line  int    `json:"line"`
	Where string `json:"where"`
}

// NativeAllocations are a native program's calls of its allocator's API
// per iteration, from the native pass (uprobes; docs/tracing.md).
type NativeAllocations struct {
	// Allocator is the allocator that served the calls: glibc, jemalloc,
	// tcmalloc, mimalloc, or the base name of the object that did.
	Allocator string `json:"allocator"`
	// Object is the file whose functions were called ("" when none was).
	Object string `json:"object,omitempty"`
	// Calls and Bytes are the allocating calls (malloc, calloc, realloc,
	// ...) and the bytes they asked for; Frees the releasing ones.
	Calls float64 `json:"calls"`
	Bytes float64 `json:"bytes"`
	Frees float64 `json:"frees"`
	// PeakLiveBytes is the most memory the program held allocated at
	// once (requested sizes), from its exec on.
	PeakLiveBytes float64 `json:"peak_live_bytes"`
	// Functions has every API function called, by calls.
	Functions []NativeFunction `json:"functions,omitempty"`
	// Large lists the allocations of at least LargeBytes, by size and
	// calling function, per iteration.
	Large []NativeSite `json:"large,omitempty"`
	// Tuning lists the calls of the allocator's tuning API (mallopt,
	// malloc_trim, mallctl, mi_option_set, ...) with their arguments.
	Tuning     []NativeSite `json:"tuning,omitempty"`
	Iterations int          `json:"iterations"`
	// Scope is "process" when an iteration is the whole process (an
	// unmarked command, or a marking one whose calls were not split).
	Scope string `json:"scope,omitempty"`
	// Truncated: the pass stopped recording after its limit of calls
	// (the figures cover the start of the run only).
	Truncated bool `json:"truncated,omitempty"`
	// Lost counts calls the kernel dropped.
	Lost int64 `json:"lost,omitempty"`
}

// LargeBytes is the smallest allocation listed in NativeAllocations.Large.
const LargeBytes = 64 << 10

// NativeFunction is one API function's calls and requested bytes per
// iteration.
type NativeFunction struct {
	Name  string  `json:"name"`
	Calls float64 `json:"calls"`
	Bytes float64 `json:"bytes,omitempty"`
}

// NativeSite is a group of calls of one function from one caller: the
// allocations of one size, or the tuning calls with the same arguments.
type NativeSite struct {
	Function string  `json:"function"`
	Bytes    int64   `json:"bytes,omitempty"`
	Args     []int64 `json:"args,omitempty"`
	Per      float64 `json:"per_iteration"`
	// Caller is the function the call returns to, from the symbol table
	// of Object; "" when Stripped (no symbol covers the address) or the
	// address fell in no mapped file (JIT code, a vanished mapping).
	Caller   string `json:"caller,omitempty"`
	Object   string `json:"object,omitempty"`
	Stripped bool   `json:"stripped,omitempty"`
	// CallerFile and CallerLine are the source line of the call, from
	// Object's DWARF line table (or its separate debug file), the full
	// path the compiler recorded; omitted without debug information.
	// Calls from two lines of one function are two sites.
	CallerFile string `json:"caller_file,omitempty"`
	CallerLine int    `json:"caller_line,omitempty"`
}

// At is the call's source line as a C programmer names it, "x.c:12"
// (the file's base name), or "" without debug information.
func (s NativeSite) At() string { return SourceAt(s.CallerFile, s.CallerLine) }

// AtLine is " at x.c:12" after a site's name, "" without a line (at as
// At and CallerAt give it).
func AtLine(at string) string {
	if at == "" {
		return ""
	}
	return " at " + at
}

// SourceAt is "x.c:12" for a file and line, "" without a line.
func SourceAt(file string, line int) string {
	if line <= 0 || file == "" {
		return ""
	}
	return path.Base(file) + ":" + strconv.Itoa(line)
}

// Comparison compares a candidate against the baseline within one config
// and mode. Ratio > 1 means Other is slower.
type Comparison struct {
	Config   string  `json:"config"`
	Mode     string  `json:"mode"`
	Baseline string  `json:"baseline"`
	Other    string  `json:"other"`
	Ratio    float64 `json:"ratio"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
	// P is Welch's t-test on log times; Significant says the verdict is
	// slower or faster.
	P           float64 `json:"p"`
	Alpha       float64 `json:"alpha"`
	Significant bool    `json:"significant"`
	// Verdict is Other against Baseline: "slower", "faster",
	// "equivalent" (no difference larger than ±Margin) or "inconclusive"
	// (RunsNeeded samples a side would settle it). DecidedBy names the
	// evidence that decided it: "time", or "time and faults" when the
	// faults of every sample separate the sides.
	Verdict    string  `json:"verdict"`
	DecidedBy  string  `json:"decided_by,omitempty"`
	Margin     float64 `json:"margin,omitempty"`
	RunsNeeded int     `json:"runs_needed,omitempty"`
	// N is the number of timed samples on each side (Baseline, Other).
	N [2]int `json:"n"`
}

// The verdicts of a comparison.
const (
	VerdictSlower       = string(stats.Slower)
	VerdictFaster       = string(stats.Faster)
	VerdictEquivalent   = string(stats.Equivalent)
	VerdictInconclusive = string(stats.Inconclusive)
)

// Answer is the comparison's verdict; for a result saved before verdicts
// were stored, slower or faster when it was significant, else
// inconclusive.
func (c *Comparison) Answer() string {
	switch {
	case c.Verdict != "":
		return c.Verdict
	case c.Significant && c.Ratio > 1:
		return VerdictSlower
	case c.Significant && c.Ratio < 1:
		return VerdictFaster
	}
	return VerdictInconclusive
}

// Conclusive says whether the comparison answered: slower, faster or
// equivalent.
func (c *Comparison) Conclusive() bool { return c.Answer() != VerdictInconclusive }

// Pass records one measurement pass and what it cost.
type Pass struct {
	Name      string  `json:"name"` // timing | trace | alloc
	Config    string  `json:"config"`
	Candidate string  `json:"candidate,omitempty"`
	Seconds   float64 `json:"seconds"` // wall time spent in the pass
	// Overhead is the traced time per iteration divided by the untraced
	// one (1.05 = 5% slower while observed); 0 when not measured.
	Overhead float64 `json:"overhead,omitempty"`
	Note     string  `json:"note,omitempty"`
	// Status is empty for a pass that ran, StatusSkipped for one that did
	// not (Reason says why: the time budget, an interruption).
	Status string `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Load is how busy the machine was during a timing pass: CPU
	// pressure, steal, runnable tasks (internal/load).
	Load *load.Load `json:"load,omitempty"`
}

// Finding is one explanation of (part of) a time difference.
type Finding struct {
	Cause   string `json:"cause"` // stable id from docs/causes.md
	Summary string `json:"summary"`
	// Candidate is the candidate the finding is about (the slower one).
	Candidate string     `json:"candidate,omitempty"`
	Config    string     `json:"config,omitempty"`
	Evidence  []Evidence `json:"evidence"`
	// Explains is the share (0..1) of the time gap this cause accounts for.
	Explains   float64 `json:"explains"`
	Confidence string  `json:"confidence"` // high | medium | low
	Fixes      []Fix   `json:"fixes,omitempty"`
	// Claim is what a fault-based finding accounts for: never more
	// faults than its mechanism's bytes can produce.
	Claim *Claim `json:"claim,omitempty"`
	// Tax marks a finding about what memory management costs every
	// candidate (Result.Taxes), not about the gap between them: Candidate
	// is then empty and Explains is the share of the candidates' own
	// time the tax takes.
	Tax bool `json:"tax,omitempty"`
}

// Claim is the extra minor faults per iteration a finding attributes to
// its mechanism, and the most the mechanism can produce (its bytes in
// pages: a page faults at most once per mapping, or per fork on each
// side). Faults never exceeds MaxFaults; what no finding claims is
// reported as unexplained (a page-faults finding).
type Claim struct {
	Faults    float64 `json:"faults"`
	MaxFaults float64 `json:"max_faults"`
	// Of is the fault difference of the pair the claim is a part of.
	Of float64 `json:"of"`
}

// Evidence is one number a finding rests on.
type Evidence struct {
	What      string  `json:"what"`
	Candidate string  `json:"candidate,omitempty"`
	Config    string  `json:"config,omitempty"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit"`
	Pass      string  `json:"pass"`
}

// Fix kinds.
const (
	FixEnv    = "env"
	FixCode   = "code"
	FixMethod = "benchmark-method"
)

// Fix is a change that removes (part of) the cause.
type Fix struct {
	Kind   string            `json:"kind"`
	Change string            `json:"change"` // what to change, in words
	Env    map[string]string `json:"env,omitempty"`
	Code   string            `json:"code,omitempty"`
	// Verified is true only when faultline measured the fix: Config names
	// the configuration (or re-run) that tested it, Ratio the slower/faster
	// ratio measured with it, Speedup how much faster the slow candidate
	// got.
	Verified bool    `json:"verified"`
	Config   string  `json:"config,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	Speedup  float64 `json:"speedup,omitempty"`
	// OfBaseline, for the fix of a configuration's regression, is the
	// candidate's time under the fix over its time under the baseline
	// configuration: near 1x, the fix undoes the slowdown.
	OfBaseline float64 `json:"of_baseline,omitempty"`
	// Remains, for a verified fix that leaves the slow candidate clearly
	// slower, is what is left and what it is.
	Remains *Remainder `json:"remains,omitempty"`
	// PeakRSSBytes is the fixed candidate's peak resident memory under
	// the fix, BaselinePeakRSSBytes under the baseline: what the fix
	// costs in memory (verified fixes; 0 when not measured).
	PeakRSSBytes         int64 `json:"peak_rss_bytes,omitempty"`
	BaselinePeakRSSBytes int64 `json:"baseline_peak_rss_bytes,omitempty"`
}

// VerdictRule is how a comparison is decided (internal/stats): a
// difference is significant when Welch's p on log times is below Alpha,
// or below AlphaFaults with the faults per iteration differing the same
// way; the times are equivalent when the difference the samples allow is
// within ±Equivalence (a fraction).
type VerdictRule struct {
	Alpha       float64 `json:"alpha"`
	AlphaFaults float64 `json:"alpha_faults"`
	Equivalence float64 `json:"equivalence"`
}

// Tax is what memory management costs one candidate: its time and faults
// under the baseline configuration against the fastest configuration that
// ran, what the difference is made of, and the fix that removes it.
type Tax struct {
	Candidate string `json:"candidate"`
	// Config is the baseline configuration; Best the fastest other one
	// ("" when no other ran).
	Config string `json:"config"`
	Best   string `json:"best,omitempty"`
	// Seconds and BestSeconds are the median times per iteration there;
	// Ratio is Seconds over BestSeconds, Low and High its interval.
	Seconds     float64 `json:"seconds"`
	BestSeconds float64 `json:"best_seconds,omitempty"`
	Ratio       float64 `json:"ratio,omitempty"`
	Low         float64 `json:"low,omitempty"`
	High        float64 `json:"high,omitempty"`
	// Faults and BestFaults are the minor faults per iteration.
	Faults     float64 `json:"faults"`
	BestFaults float64 `json:"best_faults,omitempty"`
	// Paid: Best is significantly faster, by at least diagnose's tax
	// threshold. Otherwise Bound is the most memory management can cost
	// the candidate as a share of its time: from its counts (the faults
	// its fresh memory can take, its memory syscalls, its allocator
	// calls), or from the interval of the best configuration.
	Paid  bool    `json:"paid"`
	Bound float64 `json:"bound,omitempty"`
	// Causes are the mechanisms the difference is made of (cause ids,
	// docs/causes.md), the largest first; Summary says it in words.
	Causes  []string `json:"causes,omitempty"`
	Summary string   `json:"summary"`
	// Fix is the verified fix that removes the most of it with the least
	// change and memory; nil when none was verified.
	Fix *Fix `json:"fix,omitempty"`
}

// Remainder is the gap a verified fix leaves: the slow candidate under
// the fix against the fast one, the extra minor faults left, and the
// causes that remain (from a diagnosis of the fix's runs, or the pair's
// other findings), or none when nothing explains it.
type Remainder struct {
	Ratio       float64  `json:"ratio"`
	ExtraFaults float64  `json:"extra_faults"`
	Causes      []string `json:"causes,omitempty"`
	Summary     string   `json:"summary"`
}

// New returns an empty result of the given kind.
func New(kind string, version string, args []string) *Result {
	return &Result{
		Schema:      Schema,
		Tool:        Tool{Name: "faultline", Version: version, Args: args},
		Kind:        kind,
		Started:     time.Now().UTC(),
		Candidates:  []Candidate{},
		Configs:     []Config{},
		Results:     []Run{},
		Comparisons: []Comparison{},
		Findings:    []Finding{},
	}
}

// Candidate returns the candidate with the given name, or nil.
func (r *Result) Candidate(name string) *Candidate {
	for i := range r.Candidates {
		if r.Candidates[i].Name == name {
			return &r.Candidates[i]
		}
	}
	return nil
}

// Config returns the config with the given name, or nil.
func (r *Result) Config(name string) *Config {
	for i := range r.Configs {
		if r.Configs[i].Name == name {
			return &r.Configs[i]
		}
	}
	return nil
}

// Run returns the run for candidate, config and mode, or nil.
func (r *Result) Run(candidate, config, mode string) *Run {
	for i := range r.Results {
		x := &r.Results[i]
		if x.Candidate == candidate && x.Config == config && x.Mode == mode {
			return x
		}
	}
	return nil
}

// Comparison returns the comparison of other against baseline within
// config and mode, or nil.
func (r *Result) Comparison(config, mode, other string) *Comparison {
	for i := range r.Comparisons {
		c := &r.Comparisons[i]
		if c.Config == config && c.Mode == mode && c.Other == other {
			return c
		}
	}
	return nil
}

// PrimaryMode is the mode whose runs carry the main comparison: process
// runs for faultline run, interleaved rounds otherwise.
func (r *Result) PrimaryMode() string {
	if r.Kind == KindRun {
		return ModeProcess
	}
	return ModeInterleaved
}

// MarkedIterations says whether a process-mode result comes from a
// program that marks its iterations (a run with more than one marked
// iteration per process): its per-iteration figures are then per marked
// iteration rather than per run.
func (r *Result) MarkedIterations() bool {
	for _, run := range r.Results {
		if run.Mode == ModeProcess && run.Loops > 1 {
			return true
		}
	}
	return false
}

// Note appends a one-line remark once.
func (r *Result) Note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	for _, n := range r.Notes {
		if n == s {
			return
		}
	}
	r.Notes = append(r.Notes, s)
}

// Write encodes r as indented JSON.
func (r *Result) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Save writes r to path atomically: a temporary file in the same directory
// renamed over the target, so an interrupted write never leaves a truncated
// result behind.
func (r *Result) Save(path string) error {
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, b.Bytes())
}

// Read decodes a result and checks its schema.
func Read(rd io.Reader) (*Result, error) {
	var r Result
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode result: %w", err)
	}
	return checked(&r)
}

// Parse decodes a result held in memory and checks it.
func Parse(data []byte) (*Result, error) {
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode result: %w", err)
	}
	return checked(&r)
}

func checked(r *Result) (*Result, error) {
	if r.Schema != Schema {
		return nil, fmt.Errorf("unsupported result schema %q (want %q)", r.Schema, Schema)
	}
	if err := r.Check(); err != nil {
		return nil, fmt.Errorf("invalid result: %w", err)
	}
	return r, nil
}

// Load reads a result file.
func Load(path string) (*Result, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// LoadAny reads a result or a sweep document, whichever the file's
// schema says it is; the other is nil.
func LoadAny(path string) (*Result, *Sweep, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, nil, fmt.Errorf("%s: decode result: %w", path, err)
	}
	if head.Schema == SweepSchema {
		sw, err := ParseSweep(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, sw, nil
	}
	r, err := Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil, nil
}

// MaxDocumentBytes bounds a result or sweep document read from a file or
// a pipe (docs/json-schema.md): far above the largest result a
// measurement writes (a 2 M-sample result is about 200 MB), and small
// enough that a document never costs the machine its memory.
const MaxDocumentBytes = 1 << 30

// readFile reads a document whole: a regular file in one buffer of its
// size (a decoder would grow its buffer by doubling, up to twice a large
// result's size), a pipe or FIFO to its end, each at most
// MaxDocumentBytes. Anything else (a directory, a device such as
// /dev/zero, a socket) is refused at once: it is not a document. "-" is
// standard input.
func readFile(path string) ([]byte, error) {
	f := os.Stdin
	if path != "-" {
		// Non-blocking: opening a FIFO nobody writes would wait forever
		// (it reads as empty instead); Go's poller waits for data.
		var err error
		if f, err = os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err != nil {
			return nil, fmt.Errorf("read result: %w", err)
		}
		defer f.Close()
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read result %s: %w", path, err)
	}
	mode := st.Mode()
	switch {
	case mode.IsRegular():
		if st.Size() > MaxDocumentBytes {
			return nil, fmt.Errorf("read result %s: %d bytes, more than the %d a document may have", path, st.Size(), MaxDocumentBytes)
		}
	case mode&fs.ModeNamedPipe != 0:
	default:
		return nil, fmt.Errorf("read result %s: not a regular file or a pipe (%s)", path, kind(mode))
	}
	buf := bytes.NewBuffer(make([]byte, 0, max(st.Size(), 0)+bytes.MinRead))
	n, err := buf.ReadFrom(io.LimitReader(f, MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read result %s: %w", path, err)
	}
	if n > MaxDocumentBytes {
		return nil, fmt.Errorf("read result %s: more than the %d bytes a document may have", path, MaxDocumentBytes)
	}
	return buf.Bytes(), nil
}

// kind names a file type for an error message.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}

// Copy returns a deep copy of r that shares nothing with it: a snapshot
// to render while r is still being measured into. gob, not JSON, so that
// non-finite values a measurement has not dropped yet copy too.
func (r *Result) Copy() (*Result, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(r); err != nil {
		return nil, fmt.Errorf("copy result: %w", err)
	}
	var c Result
	if err := gob.NewDecoder(&b).Decode(&c); err != nil {
		return nil, fmt.Errorf("copy result: %w", err)
	}
	return &c, nil
}
