package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// The hyperfine exports write a result in the shapes of hyperfine's
// --export-json, --export-csv and --export-markdown, so scripts written
// for hyperfine (jq '.results[0].mean') read faultline's results. One
// entry per user candidate, as hyperfine has one per command: its timed
// samples under the baseline configuration in the primary mode, which is
// how the user runs it. hyperfine's statistics are means; faultline's own
// reports use medians, which the entry's "faultline" object also gives.
// Everything hyperfine has no field for goes under that one key.

// HyperfineExport is hyperfine's JSON document, with faultline's extras.
type HyperfineExport struct {
	Results []HyperfineResult `json:"results"`
	// Faultline is what the whole result adds: its kind, the reference
	// candidate and the findings.
	Faultline *HyperfineDoc `json:"faultline,omitempty"`
}

// HyperfineResult is one command's entry, hyperfine's fields first.
type HyperfineResult struct {
	Command string  `json:"command"`
	Mean    float64 `json:"mean"`
	// Stddev is the sample standard deviation; null with one time, as
	// hyperfine writes it.
	Stddev     *float64          `json:"stddev"`
	Median     float64           `json:"median"`
	User       float64           `json:"user"`
	System     float64           `json:"system"`
	Min        float64           `json:"min"`
	Max        float64           `json:"max"`
	Times      []float64         `json:"times"`
	ExitCodes  []int             `json:"exit_codes"`
	Parameters map[string]string `json:"parameters,omitempty"`
	Faultline  HyperfineExtra    `json:"faultline"`
}

// HyperfineExtra is faultline's own view of one entry.
type HyperfineExtra struct {
	Candidate string `json:"candidate"`
	Config    string `json:"config"`
	Mode      string `json:"mode"`
	// Per is what one time covers (call, iteration, run) and CPUPer what
	// user and system cover ("" when not measured).
	Per    string `json:"per"`
	CPUPer string `json:"cpu_per,omitempty"`
	Loops  int    `json:"loops,omitempty"`
	// Time is the median with its confidence interval, faultline's
	// summary of the same times.
	Time         result.Estimate     `json:"time"`
	MinorFaults  float64             `json:"minor_faults"`
	MajorFaults  float64             `json:"major_faults"`
	PeakRSSBytes int64               `json:"peak_rss_bytes,omitempty"`
	Syscalls     *result.Syscalls    `json:"syscalls,omitempty"`
	Allocations  *result.Allocations `json:"allocations,omitempty"`
	// Failures are runs that failed and are not in times.
	Failures []result.Failure `json:"failures,omitempty"`
	// Configs is the candidate under every configuration measured, the
	// baseline's first.
	Configs []HyperfineConfig `json:"configs,omitempty"`
}

// HyperfineConfig is a candidate's figures under one configuration.
type HyperfineConfig struct {
	Config      string  `json:"config"`
	Mean        float64 `json:"mean"`
	Median      float64 `json:"median"`
	User        float64 `json:"user"`
	System      float64 `json:"system"`
	MinorFaults float64 `json:"minor_faults"`
	// Ratio is the median against the reference candidate's under the
	// same configuration, 0 for the reference itself.
	Ratio       float64 `json:"ratio,omitempty"`
	Significant bool    `json:"significant,omitempty"`
}

// HyperfineDoc is what a whole result adds to hyperfine's document.
type HyperfineDoc struct {
	Schema    string             `json:"schema"`
	Kind      string             `json:"kind"`
	Version   string             `json:"version"`
	Reference string             `json:"reference"`
	Partial   bool               `json:"partial,omitempty"`
	Findings  []HyperfineFinding `json:"findings"`
}

// HyperfineFinding is one finding in a line.
type HyperfineFinding struct {
	Cause     string `json:"cause"`
	Candidate string `json:"candidate,omitempty"`
	Config    string `json:"config,omitempty"`
	Summary   string `json:"summary"`
}

// HyperfineJSON writes r as hyperfine's JSON export.
func HyperfineJSON(w io.Writer, r *result.Result) error {
	return writeJSON(w, hyperfineExport(r))
}

// SweepHyperfineJSON writes a sweep as hyperfine writes a parameter scan:
// one entry per point and candidate, with the point's values under
// "parameters".
func SweepHyperfineJSON(w io.Writer, s *result.Sweep) error {
	doc := HyperfineExport{Results: []HyperfineResult{}}
	for _, pt := range s.Points {
		if pt.Result != nil {
			doc.Results = append(doc.Results, hyperfineEntries(pt.Result, pt.Values)...)
		}
	}
	return writeJSON(w, doc)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func hyperfineExport(r *result.Result) HyperfineExport {
	f := newFacts(r)
	d := &HyperfineDoc{Schema: r.Schema, Kind: r.Kind, Version: r.Tool.Version, Reference: f.base,
		Partial: r.Partial, Findings: []HyperfineFinding{}}
	for _, fd := range r.Findings {
		d.Findings = append(d.Findings, HyperfineFinding{Cause: fd.Cause, Candidate: fd.Candidate, Config: fd.Config, Summary: fd.Summary})
	}
	return HyperfineExport{Results: hyperfineEntries(r, nil), Faultline: d}
}

// hyperfineEntries are the user candidates with timed samples under the
// baseline configuration, in candidate order.
func hyperfineEntries(r *result.Result, params map[string]string) []HyperfineResult {
	f := newFacts(r)
	out := []HyperfineResult{}
	for _, c := range f.users {
		run := r.Run(c.Name, f.baseCfg, f.mode)
		if run == nil {
			continue
		}
		times := run.TimedSeconds()
		if len(times) == 0 {
			continue
		}
		e := HyperfineResult{Command: commandText(c), Times: times, ExitCodes: make([]int, len(times)),
			Parameters: params}
		e.Mean, e.Stddev, e.Median, e.Min, e.Max = run.Time.Mean, run.Time.Stddev, run.Time.Median, run.Time.Min, run.Time.Max
		if run.CPU != nil {
			e.User, e.System = run.CPU.User, run.CPU.System
		}
		x := &e.Faultline
		x.Candidate, x.Config, x.Mode, x.Per, x.Loops = c.Name, run.Config, run.Mode, r.Unit(), run.Loops
		if run.CPU != nil {
			x.CPUPer = run.CPU.Per
		}
		x.Time, x.MinorFaults, x.MajorFaults, x.PeakRSSBytes = run.Time, run.PerIteration.MinorFaults, run.PerIteration.MajorFaults, run.PeakRSSBytes
		x.Syscalls, x.Allocations, x.Failures = run.PerIteration.Syscalls, run.PerIteration.Allocations, run.Failures
		for _, cfg := range f.configs {
			cr := r.Run(c.Name, cfg, f.mode)
			if !ok(cr) {
				continue
			}
			hc := HyperfineConfig{Config: cfg, Median: cr.Time.Median, Mean: cr.Time.Mean, MinorFaults: cr.PerIteration.MinorFaults}
			if cr.CPU != nil {
				hc.User, hc.System = cr.CPU.User, cr.CPU.System
			}
			if cmp := r.Comparison(cfg, f.mode, c.Name); cmp != nil {
				hc.Ratio, hc.Significant = cmp.Ratio, cmp.Significant
			}
			x.Configs = append(x.Configs, hc)
		}
		out = append(out, e)
	}
	return out
}

// commandText is a candidate as hyperfine names a command: its label
// (-n/--command-name, --label), else the code or command as given.
func commandText(c *result.Candidate) string {
	switch {
	case c.Label != "":
		return c.Label
	case c.Statement != "":
		return c.Statement
	}
	return strings.Join(c.Command, " ")
}

// HyperfineCSV writes r as hyperfine's CSV export: one row per candidate.
func HyperfineCSV(w io.Writer, r *result.Result) error {
	return writeHyperfineCSV(w, hyperfineEntries(r, nil), nil)
}

// SweepHyperfineCSV writes a sweep as hyperfine's CSV of a parameter
// scan: a parameter_NAME column per parameter.
func SweepHyperfineCSV(w io.Writer, s *result.Sweep) error {
	var es []HyperfineResult
	for _, pt := range s.Points {
		if pt.Result != nil {
			es = append(es, hyperfineEntries(pt.Result, pt.Values)...)
		}
	}
	var names []string
	for _, p := range s.Parameters {
		names = append(names, p.Name)
	}
	return writeHyperfineCSV(w, es, names)
}

func writeHyperfineCSV(w io.Writer, es []HyperfineResult, params []string) error {
	cw := csv.NewWriter(w)
	head := []string{"command", "mean", "stddev", "median", "user", "system", "min", "max"}
	for _, p := range params {
		head = append(head, "parameter_"+p)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, e := range es {
		sd := ""
		if e.Stddev != nil {
			sd = num(*e.Stddev)
		}
		row := []string{csvText(e.Command), num(e.Mean), sd, num(e.Median), num(e.User), num(e.System), num(e.Min), num(e.Max)}
		for _, p := range params {
			row = append(row, csvText(e.Parameters[p]))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvText makes a text cell (a command, a parameter's value: the user's
// words) safe to open in a spreadsheet. One that begins with =, +, -, @,
// a tab or a carriage return is read as a formula, which can run
// commands (=cmd|' /C calc'!A0): as OWASP advises for CSV injection, it
// gets a leading ', which makes it text; encoding/csv then quotes the
// cell as RFC 4180 needs. A number ("-5", a parameter's value) is left
// as it is: it is no formula, and a ' would turn it into text.
func csvText(s string) string {
	if s == "" || strings.IndexByte("=+-@\t\r", s[0]) < 0 {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}

// HyperfineMarkdown writes r as hyperfine's Markdown table: mean ± standard
// deviation, min, max, and each mean relative to the reference candidate's.
func HyperfineMarkdown(w io.Writer, r *result.Result) error {
	return writeHyperfineMarkdown(w, hyperfineEntries(r, nil), newFacts(r).base)
}

// SweepHyperfineMarkdown writes one hyperfine table per point, under the
// point's values.
func SweepHyperfineMarkdown(w io.Writer, s *result.Sweep) error {
	for i, pt := range s.Points {
		if pt.Result == nil {
			continue
		}
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "%s\n\n", mdEscape(oneLine(pointName(s, pt)))); err != nil {
			return err
		}
		if err := writeHyperfineMarkdown(w, hyperfineEntries(pt.Result, nil), newFacts(pt.Result).base); err != nil {
			return err
		}
	}
	return nil
}

func writeHyperfineMarkdown(w io.Writer, es []HyperfineResult, ref string) error {
	unit, scale := "s", 1.0
	if len(es) > 0 {
		// One unit for the table, chosen by its fastest mean.
		low := math.Inf(1)
		for _, e := range es {
			low = min(low, e.Mean)
		}
		switch {
		case low < 1e-3:
			unit, scale = "µs", 1e6
		case low < 1:
			unit, scale = "ms", 1e3
		}
	}
	var refE *HyperfineResult
	for i := range es {
		if es[i].Faultline.Candidate == ref {
			refE = &es[i]
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| Command | Mean [%s] | Min [%s] | Max [%s] | Relative |\n|:---|---:|---:|---:|---:|\n", unit, unit, unit)
	f1 := func(x float64) string { return strconv.FormatFloat(x*scale, 'f', 1, 64) }
	for _, e := range es {
		mean := f1(e.Mean)
		if e.Stddev != nil {
			mean += " ± " + f1(*e.Stddev)
		}
		rel := ""
		switch {
		case refE == nil || refE.Mean <= 0:
		case e.Faultline.Candidate == ref:
			rel = "1.00"
		default:
			ratio := e.Mean / refE.Mean
			rel = strconv.FormatFloat(ratio, 'f', 2, 64)
			if e.Stddev != nil && refE.Stddev != nil && e.Mean > 0 {
				// hyperfine's propagation of both relative errors.
				sd := ratio * math.Hypot(*e.Stddev/e.Mean, *refE.Stddev/refE.Mean)
				rel += " ± " + strconv.FormatFloat(sd, 'f', 2, 64)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCode(e.Command, true), mean, f1(e.Min), f1(e.Max), rel)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
