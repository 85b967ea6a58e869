package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/sweep"
	"github.com/faultline/faultline/internal/units"
)

type timeitFlags struct {
	setup   []string
	labels  []string
	python  string
	process bool
	params  paramFlags
	common  commonFlags
}

func newTimeit() *cobra.Command {
	var f timeitFlags
	cmd := &cobra.Command{
		Use:   "timeit [flags] STATEMENT STATEMENT...",
		Short: "Compare Python statements in one process, like python -m timeit",
		Long: `Compare Python statements. The setup (-s) runs once; then the statements run in
interleaved rounds in one process and each alone in a fresh process. Each statement
runs as the body of a function called once per iteration, so names it assigns live
for one iteration, as in the function you are benchmarking.`,
		Example: `  faultline timeit -s 'import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)' \
      'a.astype(np.float64) / 255.0' \
      't = a.astype(np.float64); t / 255.0'
  faultline timeit -P n 100000 10000000 --geometric 5 -s 'import numpy as np; a = np.ones({n}, np.uint8)' \
      'a.astype(np.float64) / 255.0'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTimeit(cmd, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.setup, "setup", "s", nil, "setup code, run once before timing (repeatable; joined by newlines)")
	fl.StringArrayVarP(&f.labels, "label", "l", nil, "label for the statement at the same position (repeatable)")
	fl.StringVar(&f.python, "python", "python3", "Python interpreter to run the statements")
	fl.BoolVarP(&f.process, "process", "p", false, "time with time.process_time() (the probe's CPU time) instead of time.perf_counter(), as python -m timeit -p")
	fl.StringVarP(&f.common.out.unit, "unit", "u", "", "print times in this unit: nsec, usec, msec or sec (default: chosen per number)")
	f.params.register(cmd)
	f.common.registerBaseline(cmd)
	f.common.registerProbe(cmd)
	return cmd
}

func runTimeit(cmd *cobra.Command, f *timeitFlags, stmts []string) error {
	if err := f.common.validate(cmd); err != nil {
		return err
	}
	if u := f.common.out.unit; u != "" && !units.IsTimeUnit(u) {
		return usageErr("-u/--unit %s: want nsec, usec, msec or sec", u)
	}
	f.common.processTime = f.process
	if len(f.labels) > len(stmts) {
		return usageErr("%d labels for %d statements", len(f.labels), len(stmts))
	}
	sw, err := f.params.sweep(cmd)
	if err != nil {
		return err
	}
	py, err := probe.LookPython(f.python)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	build := func(pt sweep.Point) (*pipeline.Request, error) {
		setup := strings.Join(pt.ExpandAll(f.setup), "\n")
		req := &pipeline.Request{Kind: result.KindTimeit, Python: py, Setup: setup,
			Candidates: candidates(pt.ExpandAll(stmts), pt.ExpandAll(f.labels), true),
			Probe:      pipeline.PythonTarget(py, setup, f.process, os.Stderr),
			Traits:     pipeline.Traits{Python: true, Alloc: true, NumPy: strings.Contains(setup, "numpy")},
			Settings:   f.common.settings()}
		var err error
		req.Reference, err = f.common.referenceIn(req.Candidates)
		return req, err
	}
	if sw == nil {
		req, err := build(nil)
		if err != nil {
			return err
		}
		return measureAndReport(cmd.Context(), req, &f.common.out)
	}
	return measureSweep(cmd.Context(), sw, f.fields(stmts), build, f.params.refine, &f.common)
}

// fields are the texts a sweep substitutes into.
func (f *timeitFlags) fields(stmts []string) []sweep.Field {
	var fs []sweep.Field
	for i, s := range stmts {
		fs = append(fs, sweep.Field{Where: fmt.Sprintf("statement %d", i+1), Text: s, Use: sweep.Code})
	}
	for _, s := range f.setup {
		fs = append(fs, sweep.Field{Where: "-s/--setup", Text: s, Use: sweep.Code})
	}
	return append(fs, labelFields(f.labels)...)
}

func labelFields(labels []string) []sweep.Field {
	var fs []sweep.Field
	for i, s := range labels {
		fs = append(fs, sweep.Field{Where: fmt.Sprintf("label %d", i+1), Text: s, Use: sweep.Label})
	}
	return fs
}

// candidates names each of texts A, B, ... with its label, if one was
// given; statements says they are Python statements (else commands).
func candidates(texts, labels []string, statements bool) []result.Candidate {
	var cs []result.Candidate
	for i, s := range texts {
		c := result.Candidate{Name: candidateName(i), Label: s}
		if statements {
			c.Statement = s
		}
		if i < len(labels) && labels[i] != "" {
			c.Label = labels[i]
		}
		cs = append(cs, c)
	}
	return cs
}

// candidateName names the i-th candidate A, B, ..., Z, AA, AB, ...
func candidateName(i int) string {
	s := ""
	for {
		s = string(rune('A'+i%26)) + s
		i = i/26 - 1
		if i < 0 {
			return s
		}
	}
}
