package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/compare"
	"github.com/faultline/faultline/internal/gate"
	"github.com/faultline/faultline/internal/report"
)

func newCompare() *cobra.Command {
	var out outputFlags
	var failIf, timeMode string
	cmd := &cobra.Command{
		Use:   "compare OLD.json NEW.json [MORE.json...]",
		Short: "Compare saved results: candidates paired by label or code, changes in time, faults, syscalls, findings",
		Long: `Compare saved results (--json files): each later file against the first. Candidates
pair by label, or by statement or command, never by letter. Times are compared with
Welch's t-test on log times (~ when the change is not significant), from each candidate
alone in a fresh process where every file has that run (--time-mode); faults, memory
syscalls and allocations per iteration as they are. --fail-if turns the comparison into
a CI gate: exit 5 when a limit is broken (docs/compare.md, docs/ci.md).`,
		Example: `  faultline compare before.json after.json
  faultline compare --fail-if 'time>+5%,faults>+10%,brk>+0.5' main.json branch.json`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validateFlags(cmd); err != nil {
				return err
			}
			rules, err := failIfRules(cmd, failIf)
			if err != nil {
				return err
			}
			opts, err := compareOptions(timeMode)
			if err != nil {
				return err
			}
			return runCompare(args, opts, rules, &out)
		},
	}
	registerTimeMode(cmd, &timeMode)
	cmd.Flags().StringVar(&failIf, "fail-if", "", "exit 5 when a limit is broken: `RULES` such as 'time>+5%,faults>+10%,brk>+0.5' (docs/compare.md)")
	out.registerRenderings(cmd)
	return cmd
}

// registerTimeMode adds --time-mode (compare, and timeit and run with
// --baseline).
func registerTimeMode(cmd *cobra.Command, mode *string) {
	cmd.Flags().StringVar(mode, "time-mode", compare.TimeIsolated,
		"times compared: `MODE` isolated (each candidate alone in a fresh process, where every file has it: stable under order effects) or interleaved")
}

// compareOptions reads --time-mode.
func compareOptions(timeMode string) (compare.Options, error) {
	m, err := compare.ParseTimeMode(timeMode)
	if err != nil {
		return compare.Options{}, usageErr("%v", err)
	}
	return compare.Options{TimeMode: m}, nil
}

func runCompare(paths []string, opts compare.Options, rules []gate.Rule, out *outputFlags) error {
	if err := out.checkWritable(); err != nil {
		return err
	}
	c, err := compare.Load(paths, opts)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	werr := writeComparison(c, out)
	w := reportFile(out)
	if err := report.CompareTerminal(w, c, termOptions(w, out)); err != nil && werr == nil {
		werr = fmt.Errorf("render terminal comparison: %w", err)
	}
	// The gate is judged whatever became of the outputs: a breach is
	// always printed, and its exit status stands.
	if gerr := judge(c, rules); gerr != nil {
		if werr != nil {
			fmt.Fprintln(os.Stderr, "faultline:", werr)
		}
		return gerr
	}
	if werr != nil {
		return &exitError{code: exitInternal, err: werr}
	}
	return nil
}

// writeComparison writes every requested rendering of c, safely as the
// result's renderings are written.
func writeComparison(c *compare.Comparison, out *outputFlags) error {
	outs := []output{
		{out.json, c.Write},
		{out.markdown, func(w io.Writer) error { return report.CompareMarkdown(w, c) }},
		{out.html, func(w io.Writer) error { return report.CompareHTML(w, c) }},
	}
	return writeAll(outs, c.Write, "faultline-compare-*.json")
}

// judge prints one line per broken limit and returns exit 5 when there is
// any.
func judge(c *compare.Comparison, rules []gate.Rule) error {
	if len(rules) == 0 {
		return nil
	}
	breaches := gate.Check(c, rules)
	for _, b := range breaches {
		fmt.Fprintln(os.Stderr, "faultline: fail-if:", b.Line(c))
	}
	if len(breaches) > 0 {
		return &exitError{code: exitGate, err: errors.New("")}
	}
	return nil
}

// registerRenderings adds the output flags of a command that measures
// nothing: the files and the terminal's colour.
func (o *outputFlags) registerRenderings(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.json, "json", "", "write the comparison as JSON (docs/compare.md) to `FILE`")
	fl.StringVar(&o.markdown, "markdown", "", "write a Markdown comparison to `FILE`")
	fl.StringVar(&o.html, "html", "", "write a self-contained HTML comparison to `FILE`")
	fl.BoolVar(&o.noColor, "no-color", false, "no colour (also when NO_COLOR is set)")
	fl.BoolVarP(&o.verbose, "verbose", "v", false, "add the legend of the notation (±, p against α, ~)")
}
