package main

import (
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/sweep"
)

// aroundFlags are run's commands around the timed runs and its input, as
// hyperfine names them (docs/measurement.md).
type aroundFlags struct {
	setup, cleanup, conclude string
	input                    string
}

func (a *aroundFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&a.setup, "setup", "s", "", "command to run once before each configuration's runs (untimed)")
	fl.StringVarP(&a.cleanup, "cleanup", "c", "", "command to run once after each configuration's runs (untimed)")
	fl.StringVarP(&a.conclude, "conclude", "C", "", "command to run after every timed run (untimed)")
	fl.StringVar(&a.input, "input", "", "`FILE` every run of the commands reads as standard input (default: none)")
}

// validate rejects flags given with nothing to run.
func (a *aroundFlags) validate(cmd *cobra.Command) error {
	fl := cmd.Flags()
	for _, f := range []struct{ name, v string }{{"setup", a.setup}, {"cleanup", a.cleanup}, {"conclude", a.conclude}} {
		if fl.Changed(f.name) && f.v == "" {
			return usageErr("--%s needs a command", f.name)
		}
	}
	if fl.Changed("input") && a.input == "" {
		return usageErr("--input needs a file")
	}
	return nil
}

// apply puts the commands, as argv, and the input into p at the sweep's
// point pt.
func (a *aroundFlags) apply(p *pipeline.ProcessSettings, pt sweep.Point, argv func(string) ([]string, error)) error {
	for _, c := range []struct {
		what, text string
		dst        *[]string
	}{{"--setup", a.setup, &p.Setup}, {"--cleanup", a.cleanup, &p.Cleanup}, {"--conclude", a.conclude, &p.Conclude}} {
		if c.text == "" {
			continue
		}
		v, err := argv(pt.Expand(c.text))
		if err != nil {
			return usageErr("%s: %v", c.what, err)
		}
		*c.dst = v
	}
	if a.input == "" {
		return nil
	}
	// Checked before anything runs: every run would fail the same way.
	p.Input = pt.Expand(a.input)
	// Non-blocking: a FIFO with no writer would hold this open forever.
	f, err := os.OpenFile(p.Input, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return usageErr("--input: %v", err)
	}
	st, err := f.Stat()
	f.Close()
	switch {
	case err != nil:
		return usageErr("--input: %v", err)
	case st.IsDir():
		return usageErr("--input %s is a directory", p.Input)
	case !st.Mode().IsRegular() && st.Mode()&os.ModeCharDevice == 0:
		// Every run reads it from the start: a FIFO or a socket would
		// give the first run everything and the others nothing.
		return usageErr("--input %s: want a regular file (or a device such as /dev/null), not a %s", p.Input, st.Mode().Type())
	}
	return nil
}

// fields are the texts a sweep substitutes into.
func (a *aroundFlags) fields() []sweep.Field {
	var fs []sweep.Field
	for _, c := range []struct{ where, text string }{{"--setup", a.setup}, {"--cleanup", a.cleanup}, {"--conclude", a.conclude}} {
		if c.text != "" {
			fs = append(fs, sweep.Field{Where: c.where, Text: c.text, Use: sweep.Command})
		}
	}
	if a.input != "" {
		fs = append(fs, sweep.Field{Where: "--input", Text: a.input, Use: sweep.Command})
	}
	return fs
}
