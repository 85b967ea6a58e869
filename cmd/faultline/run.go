package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/cmdline"
	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/sweep"
)

type runFlags struct {
	labels        []string
	names         []string // -n/--command-name, hyperfine's word for a label
	shell         string
	noShell       bool
	runs, minRuns int
	maxRuns       int
	prepare       string
	around        aroundFlags
	timeout       time.Duration
	ignoreFailure bool
	showOutput    bool
	params        paramFlags
	common        commonFlags
}

func newRun() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] COMMAND COMMAND...",
		Short: "Compare whole commands, one fresh process per run (any language)",
		Long: `Compare whole commands, like hyperfine: each run is a fresh process, runs of the
candidates are interleaved in shuffled rounds, and each run's time, page faults, peak RSS
and exit status are recorded. Commands are split into words without a shell unless
--shell is given. A program may mark its own iterations over FAULTLINE_FD
(docs/protocol.md): its time and faults are then per marked iteration, start-up left out.`,
		Example: `  faultline run './batch 200' './batch 200 notrim'
  faultline run --shell=bash 'python3 a.py | wc -l' 'python3 b.py | wc -l'
  faultline run -P size 1MiB 64MiB --geometric 7 './batch {size}' './batch {size} notrim'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.labels, "label", "l", nil, "label for the command at the same position (repeatable)")
	fl.StringArrayVarP(&f.names, "command-name", "n", nil, "same as --label, as hyperfine names it")
	fl.StringVarP(&f.shell, "shell", "S", "none", "shell that runs each command (none: split into words and exec directly)")
	fl.BoolVarP(&f.noShell, "no-shell", "N", false, "same as --shell=none (the default)")
	fl.IntVarP(&f.runs, "runs", "r", 0, "exact number of timed runs per command and configuration (0: adaptive)")
	fl.IntVarP(&f.minRuns, "min-runs", "m", 10, "adaptive: at least this many runs")
	fl.IntVarP(&f.maxRuns, "max-runs", "M", 200, "adaptive: at most this many runs")
	fl.StringVarP(&f.prepare, "prepare", "p", "", "command to run before every timed run (untimed)")
	f.around.register(cmd)
	fl.DurationVar(&f.timeout, "timeout", 0, "kill a run's whole process tree after this long (0: no limit)")
	fl.BoolVarP(&f.ignoreFailure, "ignore-failure", "i", false, "keep measuring when a command exits non-zero or is killed")
	fl.BoolVar(&f.showOutput, "show-output", false, "show the commands' output (discarded by default)")
	fl.IntVarP(&f.common.warmup, "warmup", "w", 1, "untimed runs of each command before the first timed round")
	f.params.register(cmd)
	f.common.registerBaseline(cmd)
	f.common.register(cmd)
	return cmd
}

func runRun(cmd *cobra.Command, f *runFlags, cmds []string) error {
	if len(f.names) > 0 {
		if len(f.labels) > 0 {
			return usageErr("-l/--label and -n/--command-name both name the commands: use one")
		}
		f.labels = f.names
	}
	if len(f.labels) > len(cmds) {
		return usageErr("%d labels for %d commands", len(f.labels), len(cmds))
	}
	if err := f.validate(cmd); err != nil {
		return err
	}
	if f.noShell {
		f.shell = "none"
	}
	sw, err := f.params.sweep(cmd)
	if err != nil {
		return err
	}
	build := func(pt sweep.Point) (*pipeline.Request, error) {
		return f.request(pt, cmds)
	}
	if sw == nil {
		req, err := build(nil)
		if err != nil {
			return err
		}
		return measureAndReport(cmd.Context(), req, &f.common.out)
	}
	return measureSweep(cmd.Context(), sw, f.fields(cmds), build, f.params.refine, &f.common)
}

// request is the measurement of cmds at the sweep's point pt (nil: no
// sweep), with their labels and the commands around the runs.
func (f *runFlags) request(pt sweep.Point, cmds []string) (*pipeline.Request, error) {
	cmds = pt.ExpandAll(cmds)
	req := &pipeline.Request{Kind: result.KindRun, Candidates: candidates(cmds, pt.ExpandAll(f.labels), false),
		Commands: map[string][]string{}, Settings: f.common.settings(),
		Process: pipeline.ProcessSettings{Runs: f.runs, MinRuns: f.minRuns, MaxRuns: f.maxRuns,
			Timeout: f.timeout, IgnoreFailure: f.ignoreFailure}}
	if f.showOutput {
		req.Process.Output = os.Stderr
	}
	for i := range req.Candidates {
		c := &req.Candidates[i]
		argv, err := f.argv(cmds[i])
		if err != nil {
			return nil, usageErr("command %d: %v", i+1, err)
		}
		c.Command, c.Shell = argv, f.shell != "none"
		if c.Shell {
			c.Command, argv = []string{cmds[i]}, []string{f.shell, "-c", cmds[i]}
		}
		req.Commands[c.Name] = argv
	}
	err := f.around.apply(&req.Process, pt, f.argv)
	if err == nil {
		req.Process.Prepare, err = f.untimed("--prepare", pt.Expand(f.prepare))
	}
	if err == nil {
		req.Reference, err = f.common.referenceIn(req.Candidates)
	}
	return req, err
}

// untimed is the argv of one of the commands around the runs, nil when s
// is "".
func (f *runFlags) untimed(what, s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	argv, err := f.argv(s)
	if err != nil {
		return nil, usageErr("%s: %v", what, err)
	}
	return argv, nil
}

// fields are the texts a sweep substitutes into.
func (f *runFlags) fields(cmds []string) []sweep.Field {
	var fs []sweep.Field
	for i, s := range cmds {
		fs = append(fs, sweep.Field{Where: fmt.Sprintf("command %d", i+1), Text: s, Use: sweep.Command})
	}
	if f.prepare != "" {
		fs = append(fs, sweep.Field{Where: "--prepare", Text: f.prepare, Use: sweep.Command})
	}
	fs = append(fs, f.around.fields()...)
	return append(fs, labelFields(f.labels)...)
}

// argv splits s into words (no shell) or hands it to the shell, and
// checks that the program exists.
func (f *runFlags) argv(s string) ([]string, error) {
	argv := []string{f.shell, "-c", s}
	if f.shell == "none" {
		// Without a shell a pipe or a redirection would reach the program
		// as a word: say so before anything runs.
		if op := cmdline.ShellSyntax(s); op != "" {
			return nil, fmt.Errorf("%q has shell syntax (%s), which only a shell runs: add --shell=bash (or quote the %s to pass it as a word)", s, op, op)
		}
		words, err := cmdline.Split(s)
		if err != nil {
			return nil, err
		}
		argv = words
	}
	if len(argv) == 0 {
		return nil, errors.New("needs a command")
	}
	if _, err := lookCommand(argv[0]); err != nil {
		return nil, err
	}
	return argv, nil
}

func lookCommand(name string) (string, error) {
	p, err := execLookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s: not found or not executable", name)
	}
	return p, nil
}
