package main

import (
	"encoding/json"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/faultline/faultline/internal/doctor"
)

func newDoctor() *cobra.Command {
	var asJSON, noColor bool
	var python string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Show what this machine lets faultline measure, and how to get the rest",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cs := doctor.Run(cmd.Context(), python)
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(cs)
			}
			color := !noColor && os.Getenv("NO_COLOR") == "" && term.IsTerminal(int(os.Stdout.Fd()))
			doctor.Write(os.Stdout, cs, color)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the checks as JSON")
	cmd.Flags().BoolVar(&noColor, "no-color", false, "no colour")
	cmd.Flags().StringVar(&python, "python", "", "the interpreter whose IPython and faultline package to check (default: the first with NumPy)")
	return cmd
}
