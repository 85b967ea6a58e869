package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/host"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
)

type timeitFlags struct {
	setup  []string
	labels []string
	python string
	common commonFlags
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
      't = a.astype(np.float64); t / 255.0'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTimeit(cmd, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.setup, "setup", "s", nil, "setup code, run once before timing (repeatable; joined by newlines)")
	fl.StringArrayVarP(&f.labels, "label", "l", nil, "label for the statement at the same position (repeatable)")
	fl.StringVar(&f.python, "python", "python3", "Python interpreter to run the statements")
	f.common.registerProbe(cmd)
	return cmd
}

func runTimeit(cmd *cobra.Command, f *timeitFlags, stmts []string) error {
	if err := f.common.validate(cmd); err != nil {
		return err
	}
	if len(f.labels) > len(stmts) {
		return usageErr("%d labels for %d statements", len(f.labels), len(stmts))
	}
	py, err := probe.LookPython(f.python)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	res := result.New(result.KindTimeit, version, os.Args[1:])
	res.Setup = strings.Join(f.setup, "\n")
	res.Host = host.Info()
	res.Host.Python = py
	for i, s := range stmts {
		c := result.Candidate{Name: candidateName(i), Label: s, Statement: s}
		if i < len(f.labels) && f.labels[i] != "" {
			c.Label = f.labels[i]
		}
		res.Candidates = append(res.Candidates, c)
	}
	tgt := pythonTarget(py, res.Setup)
	return measureAndReport(cmd, res, tgt, &f.common, kindOpts{python: true, alloc: true, numpy: strings.Contains(res.Setup, "numpy")})
}

func pythonTarget(py, setup string) measure.Target {
	return measure.Target{Spec: func(cands []result.Candidate, env []string) (probe.Spec, error) {
		pc := make([]probe.Candidate, len(cands))
		for i, c := range cands {
			pc[i] = probe.Candidate{Name: c.Name, Statement: c.Statement}
		}
		s, err := probe.PythonSpec(py, setup, pc)
		if err != nil {
			return s, err
		}
		s.Env = env
		// The statements' own output goes to our stderr, as a file so the
		// kernel moves it and faultline buffers nothing.
		s.Stderr = os.Stderr
		return s, nil
	}}
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
