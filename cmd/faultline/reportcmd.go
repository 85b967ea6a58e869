package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/result"
)

func newReport() *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "report RESULT.json",
		Short: "Re-render a saved result (terminal, --markdown, --html, --benchstat) without measuring",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := result.Load(args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if err := out.checkWritable(); err != nil {
				return err
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
