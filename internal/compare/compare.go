// Package compare compares saved results: the candidates of each file are
// paired with the first file's by what was measured (their label, or their
// code), and for every configuration both measured, their times, faults,
// memory syscalls and allocations per iteration are set side by side with
// the change, as benchstat sets benchmarks side by side; the findings that
// appeared, vanished or changed are listed.
//
// Times are compared as faultline compares candidates (internal/stats):
// medians with distribution-free intervals and a Mann-Whitney U test, so a
// change that the test does not find significant is shown as "~". The
// counts are compared as they are: faults per iteration are means over
// every timed iteration, and syscall and allocation counts repeat exactly
// on every iteration of a steady loop, so a change in them is not noise
// to be tested away. That is what lets a CI gate (internal/gate) judge
// them from one run per side.
//
// The comparison is a plain document (Schema) that every rendering reads;
// it is computed from the results alone.
package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
	"github.com/faultline/faultline/internal/summary"
)

// Schema identifies the comparison document (docs/compare.md).
const Schema = "faultline-compare/v1"

// Comparison is every later file compared with the first.
type Comparison struct {
	Schema     string      `json:"schema"`
	Files      []File      `json:"files"`
	Candidates []Candidate `json:"candidates"`
	// Unpaired lists the candidates of one file that have no counterpart
	// in another.
	Unpaired []Unpaired      `json:"unpaired,omitempty"`
	Findings []FindingChange `json:"findings"`
	Notes    []string        `json:"notes,omitempty"`
	// Rule is how the time changes were decided.
	Rule    result.VerdictRule `json:"verdict_rule"`
	results []*result.Result   // the inputs, for the gate's checks
	opts    Options
}

// Time modes a comparison may take its times from (Options.TimeMode).
const (
	// TimeIsolated: each candidate alone in a fresh process, where every
	// file has that run. It is the stable one: interleaved rounds put one
	// candidate's heap trimming on the next one's time (an order effect),
	// so a change to B moves A's interleaved time although A is
	// unchanged, and a gate would blame A.
	TimeIsolated = "isolated"
	// TimePrimary: the mode each result was measured in first
	// (interleaved rounds; run: one process per run).
	TimePrimary = "interleaved"
)

// Options choose what a comparison reads.
type Options struct {
	// TimeMode is TimeIsolated (the default, "") or TimePrimary.
	TimeMode string
}

// ParseTimeMode reads a --time-mode value.
func ParseTimeMode(s string) (string, error) {
	switch s {
	case "", TimeIsolated:
		return TimeIsolated, nil
	case TimePrimary, "primary":
		return TimePrimary, nil
	}
	return "", fmt.Errorf("--time-mode %q: want %s (each candidate alone, the default) or %s (the rounds that time candidates together)", s, TimeIsolated, TimePrimary)
}

// File is one compared result.
type File struct {
	Path     string    `json:"path"`
	Kind     string    `json:"kind"`
	Version  string    `json:"version,omitempty"` // faultline's version that wrote it
	Started  time.Time `json:"started"`
	Host     string    `json:"host,omitempty"` // CPU model and kernel, in words
	Partial  bool      `json:"partial,omitempty"`
	Baseline string    `json:"baseline_config"` // its baseline configuration
	// Unit is what one iteration is: call, iteration or run
	// (result.Result.Unit).
	Unit string `json:"unit"`
}

// Candidate is one candidate paired across the files.
type Candidate struct {
	// Names and Labels are the candidate's name and label in each file,
	// "" where it has no counterpart.
	Names  []string `json:"names"`
	Labels []string `json:"labels"`
	// PairedBy says, for each file after the first, what paired it with
	// the first file's: "label" (the same label, which defaults to the
	// code), "code" (the same statement or command under another label),
	// or "" when it has no counterpart there.
	PairedBy []string `json:"paired_by"`
	Configs  []Config `json:"configs"`
	// Taxes holds the candidate's memory tax in each file
	// (result.Result.Taxes), null where the file has none for it: a
	// change of what memory management costs it.
	Taxes []*result.Tax `json:"taxes,omitempty"`
	code  string
}

// Config is one candidate under one configuration in every file.
type Config struct {
	Name string `json:"name"`
	// Mode is the mode the times come from: isolated where every file
	// has the candidate alone in a fresh process (Options.TimeMode),
	// else the primary mode (interleaved, or process for run results).
	Mode string `json:"mode"`
	// Time holds each file's estimate; N is 0 where the file has no
	// successful run.
	Time []stats.Estimate `json:"time"`
	// TimeChanges compares each later file's samples with the first's;
	// nil where either has none.
	TimeChanges []*TimeChange `json:"time_changes"`
	Metrics     []MetricValue `json:"metrics"`
}

// TimeChange is the change of a median time, new against old.
type TimeChange struct {
	// Ratio is median(new) / median(old), Low..High its bootstrap
	// interval.
	Ratio float64 `json:"ratio"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	// P is Welch's t-test on log times; Significant says the verdict
	// is slower or faster.
	P           float64 `json:"p"`
	Alpha       float64 `json:"alpha"`
	Significant bool    `json:"significant"`
	// Verdict is new against old, as a result's comparisons say it
	// (result.Comparison): slower, faster, equivalent or inconclusive.
	Verdict string `json:"verdict"`
}

// MetricValue is one count in every file.
type MetricValue struct {
	Name string `json:"name"`
	Unit string `json:"unit"`
	Pass string `json:"pass"`
	// Mode is the run the count was taken from: isolated for faults when
	// every file has an isolated run, else the time's mode.
	Mode string `json:"mode"`
	// Values holds each file's count per iteration, null where the file
	// did not measure it.
	Values []*float64 `json:"values"`
	// Changes holds each later file's change against the first; null
	// where either is missing.
	Changes []*Change `json:"changes"`
}

// Change is a count's change, new against old.
type Change struct {
	Delta float64 `json:"delta"` // new - old, per iteration
	// Relative is Delta over the old value, taken as at least one count
	// per iteration so a rise from 0 is finite (0 -> 3 faults is +300%).
	Relative float64 `json:"relative"`
	// Overlap says, for a count that varies by process
	// (Metric.PerProcess), that both files have several processes and
	// their ranges overlap: some process of the old file counted at
	// least as many as some process of the new one, so the change of the
	// means is the processes' layout, not the program.
	Overlap bool `json:"overlap,omitempty"`
}

// FindingChange is a finding that appeared, vanished or changed.
type FindingChange struct {
	Change string `json:"change"` // new, gone or changed
	// File is the index of the later file, compared with the first.
	File   int    `json:"file"`
	Cause  string `json:"cause"`
	Config string `json:"config,omitempty"`
	// Candidate is the index into Candidates, -1 for a finding about an
	// unpaired candidate (or none); Name is its name in the file the
	// finding is from.
	Candidate int           `json:"candidate"`
	Name      string        `json:"name,omitempty"`
	Old       *FindingBrief `json:"old,omitempty"`
	New       *FindingBrief `json:"new,omitempty"`
}

// FindingBrief is what a comparison keeps of a finding.
type FindingBrief struct {
	Summary    string  `json:"summary"`
	Explains   float64 `json:"explains"`
	Confidence string  `json:"confidence"`
}

// Unpaired is a candidate of one file with no counterpart in another.
type Unpaired struct {
	File  int    `json:"file"`  // the file it is in
	Other int    `json:"other"` // the file it has no counterpart in
	Name  string `json:"name"`
	Label string `json:"label"`
}

// Input is a loaded result and the path it came from.
type Input struct {
	Path   string
	Result *result.Result
}

// NoPairError says a file has no candidate in common with the first.
type NoPairError struct {
	Path, First string
	Labels      []string
}

func (e *NoPairError) Error() string {
	return fmt.Sprintf("%s has no candidate in common with %s: candidates pair by label, or by statement or command (its labels: %s)",
		e.Path, e.First, quoteList(e.Labels))
}

// New compares every input after the first with the first. It fails with
// a *NoPairError when a file pairs no candidate at all, and when the files
// are of kinds whose iterations mean different things (a timeit call
// against a whole run).
func New(in []Input, o Options) (*Comparison, error) {
	if len(in) < 2 {
		return nil, errors.New("compare needs two results or more")
	}
	c := &Comparison{Schema: Schema, Candidates: []Candidate{}, Findings: []FindingChange{}, opts: o,
		Rule: summary.Rule()}
	for _, x := range in {
		c.Files = append(c.Files, fileOf(x))
		c.results = append(c.results, x.Result)
	}
	for i := 1; i < len(in); i++ {
		if u0, u := c.Files[0].Unit, c.Files[i].Unit; u0 != u {
			return nil, fmt.Errorf("%s counts per %s and %s per %s: compare results of the same kind (timeit with timeit, run with run)",
				in[0].Path, u0, in[i].Path, u)
		}
	}
	if err := c.pair(in); err != nil {
		return nil, err
	}
	for i := range c.Candidates {
		c.Candidates[i].Configs = c.configs(&c.Candidates[i])
		c.Candidates[i].Taxes = c.taxes(&c.Candidates[i])
	}
	c.diffFindings()
	c.notes()
	return c, nil
}

func fileOf(x Input) File {
	r := x.Result
	f := File{Path: x.Path, Kind: r.Kind, Version: r.Tool.Version, Started: r.Started, Partial: r.Partial,
		Baseline: r.BaselineConfig(), Unit: r.Unit()}
	switch {
	case r.Host.CPUModel != "" && r.Host.Kernel != "":
		f.Host = r.Host.CPUModel + ", Linux " + r.Host.Kernel
	case r.Host.CPUModel != "":
		f.Host = r.Host.CPUModel
	}
	return f
}

// taxes are the candidate's taxes in every file; nil when no file has one.
func (c *Comparison) taxes(cand *Candidate) []*result.Tax {
	out := make([]*result.Tax, len(c.results))
	found := false
	for i, r := range c.results {
		for j := range r.Taxes {
			if t := &r.Taxes[j]; cand.Names[i] != "" && t.Candidate == cand.Names[i] {
				out[i], found = t, true
			}
		}
	}
	if !found {
		return nil
	}
	return out
}

// configs compares the candidate under every configuration that any file
// ran it under, in the first file's order.
func (c *Comparison) configs(cand *Candidate) []Config {
	var names []string
	seen := map[string]bool{}
	for i, r := range c.results {
		if cand.Names[i] == "" {
			continue
		}
		for _, cfg := range r.Configs {
			if !seen[cfg.Name] && r.Run(cand.Names[i], cfg.Name, r.PrimaryMode()) != nil {
				seen[cfg.Name] = true
				names = append(names, cfg.Name)
			}
		}
	}
	var out []Config
	for _, name := range names {
		out = append(out, c.config(cand, name))
	}
	return out
}

func (c *Comparison) config(cand *Candidate, name string) Config {
	n := len(c.results)
	cfg := Config{Name: name, Mode: c.results[0].PrimaryMode(), Time: make([]stats.Estimate, n),
		TimeChanges: make([]*TimeChange, n-1)}
	runs := make([]*result.Run, n)
	alone := make([]*result.Run, n)
	allAlone := true
	for i, r := range c.results {
		runs[i] = okRun(r, cand.Names[i], name, r.PrimaryMode())
		alone[i] = okRun(r, cand.Names[i], name, result.ModeIsolated)
		if alone[i] == nil {
			allAlone = false
		}
	}
	timed := runs
	if allAlone && c.opts.TimeMode != TimePrimary {
		timed, cfg.Mode = alone, result.ModeIsolated
	}
	for i, run := range timed {
		cfg.Time[i] = stats.Estimate{Unit: "s"}
		if run != nil {
			cfg.Time[i] = run.Time
		}
	}
	for i := 1; i < n; i++ {
		if timed[0] == nil || timed[i] == nil {
			continue
		}
		if len(timed[0].TimedSeconds()) == 0 || len(timed[i].TimedSeconds()) == 0 {
			continue
		}
		// The faults corroborate as within one result; the fault cost
		// may differ between the files' hosts, so it is not used.
		sc := summary.Compare(cfg.Name, cfg.Mode, timed[0], timed[i], 0)
		cfg.TimeChanges[i-1] = &TimeChange{Ratio: sc.Ratio, Low: sc.Low, High: sc.High, P: sc.P,
			Alpha: stats.Alpha, Significant: sc.Significant, Verdict: sc.Verdict}
	}
	for _, m := range Metrics {
		from, mode := runs, c.results[0].PrimaryMode()
		if m.Alone && allAlone {
			from, mode = alone, result.ModeIsolated
		}
		mv := MetricValue{Name: m.Name, Unit: m.Unit, Pass: m.Pass, Mode: mode,
			Values: make([]*float64, n), Changes: make([]*Change, n-1)}
		for i, run := range from {
			if v, ok := m.Value(run); ok {
				mv.Values[i] = &v
			}
		}
		for i := 1; i < n; i++ {
			if mv.Values[0] != nil && mv.Values[i] != nil {
				d := *mv.Values[i] - *mv.Values[0]
				mv.Changes[i-1] = &Change{Delta: d, Relative: d / max(*mv.Values[0], 1),
					Overlap: overlap(m.processValues(from[0]), m.processValues(from[i]))}
			}
		}
		cfg.Metrics = append(cfg.Metrics, mv)
	}
	return cfg
}

// overlap says whether two files' per-process values share a range, when
// each has several.
func overlap(old, cur []float64) bool {
	if len(old) < 2 || len(cur) < 2 {
		return false
	}
	return slices.Max(old) >= slices.Min(cur) && slices.Max(cur) >= slices.Min(old)
}

func okRun(r *result.Result, cand, cfg, mode string) *result.Run {
	if cand == "" {
		return nil
	}
	run := r.Run(cand, cfg, mode)
	if run == nil || run.Status != result.StatusOK {
		return nil
	}
	return run
}

// Metric returns the named count of cfg, or nil.
func (cfg *Config) Metric(name string) *MetricValue {
	for i := range cfg.Metrics {
		if cfg.Metrics[i].Name == name {
			return &cfg.Metrics[i]
		}
	}
	return nil
}

// Config returns the candidate's comparison under the named
// configuration, or nil.
func (cand *Candidate) Config(name string) *Config {
	for i := range cand.Configs {
		if cand.Configs[i].Name == name {
			return &cand.Configs[i]
		}
	}
	return nil
}

// notes adds the caveats a reader of the comparison needs: partial
// files, different hosts, different baseline configurations.
func (c *Comparison) notes() {
	f0 := c.Files[0]
	for _, f := range c.Files {
		if f.Partial {
			c.note("%s is a partial result (interrupted): some runs are missing", f.Path)
		}
	}
	for _, f := range c.Files[1:] {
		if f.Host != f0.Host && f.Host != "" && f0.Host != "" {
			c.note("%s and %s were measured on different hosts (%s; %s): times may differ for that alone", f0.Path, f.Path, f0.Host, f.Host)
		}
		if f.Baseline != f0.Baseline {
			c.note("%s runs under %s by default and %s under %s: their baseline configurations differ", f0.Path, f0.Baseline, f.Path, f.Baseline)
		}
	}
}

func (c *Comparison) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	for _, n := range c.Notes {
		if n == s {
			return
		}
	}
	c.Notes = append(c.Notes, s)
}

// Load reads the result files at paths and compares them.
func Load(paths []string, o Options) (*Comparison, error) {
	var in []Input
	for _, p := range paths {
		r, err := result.Load(p)
		if err != nil {
			return nil, err
		}
		in = append(in, Input{Path: p, Result: r})
	}
	return New(in, o)
}

// Write encodes the comparison as indented JSON.
func (c *Comparison) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
