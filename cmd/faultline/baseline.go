package main

import (
	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/compare"
	"github.com/faultline/faultline/internal/gate"
	"github.com/faultline/faultline/internal/report"
	"github.com/faultline/faultline/internal/result"
)

// baselineFlags compare a new measurement with a saved one once it is
// finished: --baseline FILE prints the comparison, --fail-if gates on it.
type baselineFlags struct {
	path, failIf string
	timeMode     string
	rules        []gate.Rule
	opts         compare.Options
	base         *result.Result
}

// registerBaseline adds --baseline and --fail-if (timeit, run).
func (c *commonFlags) registerBaseline(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&c.baseline.path, "baseline", "", "compare the result with a saved one (--json `FILE`) when it is finished")
	fl.StringVar(&c.baseline.failIf, "fail-if", "", "with --baseline: exit 5 when a limit is broken, `RULES` such as 'time>+5%,faults>+10%' (docs/compare.md)")
	registerTimeMode(cmd, &c.baseline.timeMode)
	c.out.baseline = &c.baseline
}

// failIfRules reads --fail-if when it was given, an empty value included:
// that is a mistake to say, not a gate to drop silently.
func failIfRules(cmd *cobra.Command, expr string) ([]gate.Rule, error) {
	if !cmd.Flags().Changed("fail-if") {
		return nil, nil
	}
	rules, err := gate.Parse(expr)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return rules, nil
}

// prepare checks the rules and loads the baseline before anything is
// measured, so a typo costs no measurement: one line, exit 2.
func (b *baselineFlags) prepare(cmd *cobra.Command, c *commonFlags) error {
	fl := cmd.Flags()
	rules, err := failIfRules(cmd, b.failIf)
	switch {
	case err != nil:
		return err
	case rules != nil && b.path == "":
		return usageErr("--fail-if needs --baseline FILE: the saved result to compare with")
	case fl.Changed("time-mode") && b.path == "":
		return usageErr("--time-mode needs --baseline FILE: it chooses the times compared with the saved result")
	case b.path == "":
		return nil
	case fl.Changed("parameter-scan") || fl.Changed("parameter-list"):
		return usageErr("--baseline compares one result, not a sweep: drop -P/-L, or compare a point's result")
	}
	b.rules = rules
	if b.opts, err = compareOptions(b.timeMode); err != nil {
		return err
	}
	base, err := result.Load(b.path)
	if err != nil {
		return usageErr("--baseline: %v", err)
	}
	b.base = base
	for _, p := range gate.Passes(b.rules) {
		if (p == result.PassTrace && c.noTrace) || (p == result.PassAlloc && c.noAlloc) {
			return usageErr("--fail-if needs the %s pass, which --no-%s turns off", p, p)
		}
	}
	return nil
}

// judge compares res with the baseline, prints the comparison after the
// report and gates on it.
func (b *baselineFlags) judge(res *result.Result, out *outputFlags) error {
	if b.base == nil {
		return nil
	}
	c, err := compare.New([]compare.Input{{Path: b.path, Result: b.base}, {Path: "this run", Result: res}}, b.opts)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	w := reportFile(out)
	w.WriteString("\n")
	if err := report.CompareTerminal(w, c, termOptions(w, out)); err != nil {
		return &exitError{code: exitInternal, err: err}
	}
	return judge(c, b.rules)
}
