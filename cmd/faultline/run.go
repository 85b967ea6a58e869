package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/cmdline"
	"github.com/faultline/faultline/internal/diagnose"
	"github.com/faultline/faultline/internal/host"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/trace"
)

type runFlags struct {
	labels        []string
	shell         string
	noShell       bool
	runs, minRuns int
	maxRuns       int
	prepare       string
	timeout       time.Duration
	ignoreFailure bool
	showOutput    bool
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
  faultline run --shell=bash 'python3 a.py | wc -l' 'python3 b.py | wc -l'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.labels, "label", "l", nil, "label for the command at the same position (repeatable)")
	fl.StringVarP(&f.shell, "shell", "S", "none", "shell that runs each command (none: split into words and exec directly)")
	fl.BoolVarP(&f.noShell, "no-shell", "N", false, "same as --shell=none (the default)")
	fl.IntVarP(&f.runs, "runs", "r", 0, "exact number of timed runs per command and configuration (0: adaptive)")
	fl.IntVarP(&f.minRuns, "min-runs", "m", 10, "adaptive: at least this many runs")
	fl.IntVarP(&f.maxRuns, "max-runs", "M", 200, "adaptive: at most this many runs")
	fl.StringVarP(&f.prepare, "prepare", "p", "", "command to run before every timed run (untimed)")
	fl.DurationVar(&f.timeout, "timeout", 0, "kill a run's whole process tree after this long (0: no limit)")
	fl.BoolVarP(&f.ignoreFailure, "ignore-failure", "i", false, "keep measuring when a command exits non-zero or is killed")
	fl.BoolVar(&f.showOutput, "show-output", false, "show the commands' output (discarded by default)")
	fl.IntVarP(&f.common.warmup, "warmup", "w", 1, "untimed runs of each command before the first timed round")
	f.common.register(cmd)
	fl.StringVar(&f.common.out.json, "export-json", "", "same as --json")
	return cmd
}

func runRun(cmd *cobra.Command, f *runFlags, cmds []string) error {
	if len(f.labels) > len(cmds) {
		return usageErr("%d labels for %d commands", len(f.labels), len(cmds))
	}
	if err := f.validate(cmd); err != nil {
		return err
	}
	if f.noShell {
		f.shell = "none"
	}
	if err := f.common.out.checkWritable(); err != nil {
		return err
	}
	res := result.New(result.KindRun, version, os.Args[1:])
	res.Host = host.Info()
	argvs := map[string][]string{}
	for i, s := range cmds {
		c := result.Candidate{Name: candidateName(i), Label: s}
		if i < len(f.labels) && f.labels[i] != "" {
			c.Label = f.labels[i]
		}
		if f.shell == "none" {
			words, err := cmdline.Split(s)
			if err != nil {
				return usageErr("command %d: %v", i+1, err)
			}
			c.Command = words
			argvs[c.Name] = words
		} else {
			c.Command, c.Shell = []string{s}, true
			argvs[c.Name] = []string{f.shell, "-c", s}
		}
		if _, err := lookCommand(argvs[c.Name][0]); err != nil {
			return usageErr("command %d: %v", i+1, err)
		}
		res.Candidates = append(res.Candidates, c)
	}
	var prepare []string
	if f.prepare != "" {
		if f.shell == "none" {
			w, err := cmdline.Split(f.prepare)
			if err != nil {
				return usageErr("--prepare: %v", err)
			}
			prepare = w
		} else {
			prepare = []string{f.shell, "-c", f.prepare}
		}
		if len(prepare) == 0 {
			return usageErr("--prepare needs a command")
		}
		if _, err := lookCommand(prepare[0]); err != nil {
			return usageErr("--prepare: %v", err)
		}
	}
	c := &f.common
	start := time.Now()
	deadline, stop := measure.Budget(start, c.budget)
	// First, so that it counts against the budget like every pass.
	calibrate(res)
	o := &measure.RunOptions{
		Argv:   func(c result.Candidate) []string { return argvs[c.Name] },
		Warmup: c.warmup, Runs: f.runs, MinRuns: f.minRuns, MaxRuns: f.maxRuns,
		Prepare: prepare, Timeout: f.timeout, IgnoreFailure: f.ignoreFailure,
		Deadline: deadline, Stop: stop,
		Progress: newProgress(&c.out),
		Env:      func(cfg result.Config) []string { return alloc.Apply(nil, cfg) },
		// perf_event software counters from exec; rusage when refused.
		Configure: func(s *proc.Spec) { s.Counters = true },
		Counters:  func(e *proc.Exit) map[string]float64 { return e.Counters },
	}
	if f.showOutput {
		o.Output = os.Stderr
	}
	configs, err := c.selectConfigs(kindOpts{})
	if err != nil {
		return err
	}
	err = measure.RunMatrix(cmd.Context(), res, configs[:1], o)
	if err == nil && !c.noTrace {
		if terr := trace.Probe(); terr != nil {
			res.Note("syscall tracing unavailable (%s): no per-run syscalls", terr)
		} else {
			err = diagnosticPass(cmd.Context(), res, "trace", measure.RunTrace(cmd.Context(), res, configs[0], o))
			configs = retune(configs, res, c.defaultConfigs())
		}
	}
	if err == nil && len(configs) > 1 {
		err = measure.RunVerify(cmd.Context(), res, configs[1:], o)
	}
	if err == nil && !c.noExperiments {
		envs, _ := proposals(res)
		err = measure.RunVerify(cmd.Context(), res, envs, o)
	}
	measure.SkipRest(res, configs, notRun(cmd.Context(), err, deadline))
	if err == nil && f.ignoreFailure {
		err = measure.FailedEveryRun(res, configs[0].Name)
	}
	res.Findings = diagnose.Diagnose(res)
	clearProgress(os.Stderr, &c.out)
	res.WallSeconds = time.Since(start).Seconds()
	return finish(cmd.Context(), res, err, &c.out)
}

func lookCommand(name string) (string, error) {
	p, err := execLookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s: not found or not executable", name)
	}
	return p, nil
}
