package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/result"
)

func newReport() *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "report RESULT.json",
		Short: "Re-render a saved result or sweep (terminal, --markdown, --html, --benchstat) without measuring",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validateFlags(cmd); err != nil {
				return err
			}
			res, sw, err := pipeline.Load(args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if err := out.checkWritable(); err != nil {
				return err
			}
			if sw != nil {
				return reportSweep(sw, &out)
			}
			if err := writeOutputs(res, &out); err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			w := os.Stdout
			if out.toStdout() {
				w = os.Stderr
			}
			if err := printTerminal(w, res, &out); err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			return nil
		},
	}
	out.register(cmd)
	return cmd
}

// reportSweep re-renders a saved sweep document.
func reportSweep(sw *result.Sweep, out *outputFlags) error {
	if err := writeSweep(sw, out); err != nil {
		return &exitError{code: exitInternal, err: err}
	}
	w := os.Stdout
	if out.toStdout() {
		w = os.Stderr
	}
	if err := printSweep(w, sw, out); err != nil {
		return &exitError{code: exitInternal, err: err}
	}
	return nil
}
