package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/atomicfile"
	"github.com/faultline/faultline/internal/manpage"
)

// exitCodes are the README's table, for the man page.
var exitCodes = [][2]string{
	{"0", "measured; every target ran cleanly"},
	{"1", "measured, but a target failed (non-zero exit, signal, timeout)"},
	{"2", "bad usage or input, before anything runs"},
	{"3", "interrupted (Ctrl-C, SIGTERM); what was measured is written, marked partial"},
	{"4", "faultline itself failed (an output file could not be written)"},
}

func newMan() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "man [-o FILE]",
		Short: "Write faultline's man page (roff), generated from its commands and flags",
		Example: `  faultline man | man -l -
  faultline man -o /usr/local/share/man/man1/faultline.1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var buf bytes.Buffer
			page := manpage.Page{Section: "1", Source: "faultline " + version, Exit: exitCodes,
				SeeAlso: []string{"hyperfine(1), benchstat, python3 -m timeit", "https://github.com/faultline/faultline (docs/)"}}
			if err := manpage.Write(&buf, cmd.Root(), page); err != nil {
				return &exitError{code: exitInternal, err: fmt.Errorf("man page: %w", err)}
			}
			if out == "" || out == "-" {
				_, err := os.Stdout.Write(buf.Bytes())
				return err
			}
			if err := atomicfile.Write(out, buf.Bytes()); err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the page to `FILE` (default: standard output)")
	return cmd
}
