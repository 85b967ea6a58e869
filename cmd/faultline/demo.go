package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/workload"
)

type demoFlags struct {
	python string
	native bool
	common commonFlags
}

func newDemo() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the NumPy case that started faultline, on what this machine has",
		Long: `Compare a.astype(np.float64) / 255.0 with t = a.astype(np.float64); t / 255.0 on a
1,000,000-element uint8 array, explain the difference and verify the fix. It uses a
Python with NumPy when one is found (--python chooses), and otherwise a built-in native
reproduction of the same allocation pattern through glibc malloc (--native forces it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd, &f) },
	}
	cmd.Flags().StringVar(&f.python, "python", "", "Python interpreter with NumPy (default: the first one found)")
	cmd.Flags().BoolVar(&f.native, "native", false, "run the built-in native reproduction even when NumPy is available")
	f.common.registerProbe(cmd)
	return cmd
}

func runDemo(cmd *cobra.Command, f *demoFlags) error {
	if err := f.common.validate(cmd); err != nil {
		return err
	}
	if f.native && f.python != "" {
		return usageErr("--native and --python contradict each other")
	}
	req := &pipeline.Request{Kind: result.KindDemo, Setup: workload.SetupStatement, Settings: f.common.settings()}
	for _, c := range workload.Candidates() {
		req.Candidates = append(req.Candidates, result.Candidate{Name: c.Name, Label: c.Statement, Statement: c.Statement})
	}
	ref, err := f.common.referenceIn(req.Candidates)
	if err != nil {
		return err
	}
	req.Reference = ref
	py, ok, err := demoPython(cmd.Context(), f)
	if err != nil {
		return err
	}
	if ok {
		req.Python = py.Path
		fmt.Fprintf(os.Stderr, "faultline demo: the seed case with %s (Python %s, NumPy %s)\n", py.Path, py.Version, py.NumPy)
		req.Probe = pipeline.PythonTarget(py.Path, req.Setup, false, os.Stderr)
		req.Traits = pipeline.Traits{Python: true, NumPy: true, Alloc: true}
		return measureAndReport(cmd.Context(), req, &f.common.out)
	}
	if !workload.Available() {
		return usageErr("no Python with NumPy found and this build has no native workload: apt-get install python3-numpy")
	}
	self, err := os.Executable()
	if err != nil {
		return &exitError{code: exitInternal, err: fmt.Errorf("find own executable: %w", err)}
	}
	why := "no Python with NumPy found (apt-get install python3-numpy for the real thing)"
	if f.native {
		why = "--native"
	}
	fmt.Fprintf(os.Stderr, "faultline demo: %s; running the built-in native reproduction: the same two 8 MB float64 buffers through glibc malloc\n", why)
	for i := range req.Candidates {
		req.Candidates[i].Label = workload.Candidates()[i].Label + " (native: " + req.Candidates[i].Statement + ")"
	}
	req.Probe = pipeline.CommandTarget(workload.Command(self), os.Stderr)
	req.Traits = pipeline.Traits{Alloc: true}
	return measureAndReport(cmd.Context(), req, &f.common.out)
}

// demoPython finds the Python to run the seed case with. One named on
// purpose must be usable: falling back to the native workload would answer
// a question nobody asked.
func demoPython(ctx context.Context, f *demoFlags) (probe.Python, bool, error) {
	if f.native {
		return probe.Python{}, false, nil
	}
	if f.python == "" {
		py, ok := probe.FindNumPy(ctx)
		return py, ok, nil
	}
	py, err := probe.Inspect(ctx, f.python)
	if err != nil {
		return py, false, usageErr("--python %s: %v", f.python, oneLineErr(err))
	}
	if py.NumPy == "" {
		return py, false, usageErr("--python %s has no NumPy: apt-get install python3-numpy, or leave --python out for the native reproduction", f.python)
	}
	return py, true, nil
}
