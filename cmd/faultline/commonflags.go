package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/result"
)

// commonFlags are shared by the measuring commands.
type commonFlags struct {
	loops, rounds, warmup int
	budget, sampleTime    time.Duration
	configs               string
	userConfigs           []string
	reference             string
	noExperiments         bool
	quick                 bool
	noIsolated            bool
	noTrace, noAlloc      bool
	keepGC                bool
	baseline              baselineFlags
	processTime           bool
	out                   outputFlags
}

func (c *commonFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&c.budget, "budget", 60*time.Second, "time budget for the whole measurement, all passes included")
	fl.StringVar(&c.configs, "configs", "all", "comma-separated configurations to run (see docs/configs.md), or all")
	fl.StringArrayVar(&c.userConfigs, "config", nil, "extra configuration NAME:VAR=VALUE[,VAR=VALUE...] (repeatable)")
	fl.StringVar(&c.reference, "reference", "", "compare every candidate with this one (a name A, B, ..., a label or the code), not the fastest")
	fl.BoolVar(&c.noExperiments, "no-experiments", false, "time under the default configuration only")
	fl.BoolVar(&c.quick, "quick", false, "the verdict, its cause and one verified fix, then stop: only the experiments the diagnosis proposes, until one fix is verified (leave it out for the full proof)")
	fl.BoolVar(&c.noTrace, "no-trace", false, "skip the syscall-tracing diagnostic pass")
	c.out.register(cmd)
}

// registerProbe adds the flags of commands that time candidates inside a
// probe (timeit, demo): loops and samples as python -m timeit names them.
func (c *commonFlags) registerProbe(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVarP(&c.loops, "number", "n", 0, "iterations per timed sample (0: choose so a sample takes --sample-time)")
	fl.IntVarP(&c.rounds, "repeat", "r", 0, "samples per candidate and configuration (0: adaptive, stop when intervals are tight)")
	fl.IntVar(&c.warmup, "warmup", 1, "warm-up samples per candidate, shown in the timeline but not summarised")
	fl.DurationVar(&c.sampleTime, "sample-time", 50*time.Millisecond, "target duration of one timed sample")
	fl.BoolVar(&c.noIsolated, "no-isolated", false, "skip running each candidate alone in a fresh process")
	fl.BoolVar(&c.noAlloc, "no-alloc", false, "skip the allocation-tracking diagnostic pass")
	fl.BoolVar(&c.keepGC, "gc", false, "keep Python's cyclic garbage collector enabled while timing")
	c.register(cmd)
}

// settings are the shared flags as the pipeline takes them.
func (c *commonFlags) settings() pipeline.Settings {
	return pipeline.Settings{Budget: c.budget, Configs: c.configs, UserConfigs: c.userConfigs,
		NoExperiments: c.noExperiments, Quick: c.quick, NoIsolated: c.noIsolated, NoTrace: c.noTrace, NoAlloc: c.noAlloc,
		KeepGC: c.keepGC, ProcessTime: c.processTime, Loops: c.loops, Rounds: c.rounds, Warmup: c.warmup, SampleTime: c.sampleTime}
}

// referenceIn resolves --reference among cands: "" when not given.
func (c *commonFlags) referenceIn(cands []result.Candidate) (string, error) {
	if c.reference == "" {
		return "", nil
	}
	name, err := result.FindCandidate(cands, c.reference)
	if err != nil {
		return "", usageErr("--reference %v", err)
	}
	return name, nil
}
