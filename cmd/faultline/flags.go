package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// validate rejects values of the shared flags that cannot mean anything,
// before anything runs: one line, exit 2.
func (c *commonFlags) validate(cmd *cobra.Command) error {
	if c.budget <= 0 {
		return usageErr("--budget %s: want a positive duration such as 30s", c.budget)
	}
	if err := c.out.validateFlags(cmd); err != nil {
		return err
	}
	if cmd.Flags().Changed("configs") {
		for _, n := range strings.Split(c.configs, ",") {
			if strings.TrimSpace(n) == "" {
				return usageErr("--configs %q: an empty name; want comma-separated names such as glibc-tuned,tcmalloc, or all", c.configs)
			}
		}
	}
	if err := c.baseline.prepare(cmd, c); err != nil {
		return err
	}
	if c.warmup < 0 {
		return usageErr("--warmup %d: want 0 or more", c.warmup)
	}
	if cmd.Flags().Lookup("number") != nil {
		if c.loops < 0 {
			return usageErr("-n/--number %d: want a positive count, or 0 to choose one", c.loops)
		}
		if c.rounds < 0 {
			return usageErr("-r/--repeat %d: want a positive count, or 0 for adaptive", c.rounds)
		}
		if c.sampleTime <= 0 {
			return usageErr("--sample-time %s: want a positive duration such as 100ms", c.sampleTime)
		}
		if c.sampleTime > c.budget {
			return usageErr("--sample-time %s is longer than --budget %s", c.sampleTime, c.budget)
		}
	}
	return nil
}

// validate rejects run's own nonsense values and contradictions.
func (f *runFlags) validate(cmd *cobra.Command) error {
	fl := cmd.Flags()
	switch {
	case f.noShell && fl.Changed("shell") && f.shell != "none":
		return usageErr("--shell=%s and -N/--no-shell contradict each other", f.shell)
	case f.shell == "":
		return usageErr("--shell needs a shell, or none")
	case f.runs < 0:
		return usageErr("-r/--runs %d: want a positive count, or 0 for adaptive", f.runs)
	case f.minRuns < 1:
		return usageErr("-m/--min-runs %d: want 1 or more", f.minRuns)
	case f.maxRuns < 1:
		return usageErr("-M/--max-runs %d: want 1 or more", f.maxRuns)
	case f.minRuns > f.maxRuns:
		return usageErr("-m/--min-runs %d is more than -M/--max-runs %d", f.minRuns, f.maxRuns)
	case f.timeout < 0:
		return usageErr("--timeout %s: want a positive duration, or 0 for no limit", f.timeout)
	case fl.Changed("prepare") && f.prepare == "":
		return usageErr("--prepare needs a command")
	}
	if err := f.around.validate(cmd); err != nil {
		return err
	}
	if f.timeout > 0 && f.timeout < time.Millisecond {
		return usageErr("--timeout %s is shorter than a process takes to start; want 1ms or more", f.timeout)
	}
	return f.common.validate(cmd)
}
