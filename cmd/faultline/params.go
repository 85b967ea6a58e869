package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/report"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/sweep"
)

// paramFlags are the sweep parameters of timeit and run, in hyperfine's
// spelling (docs/sweeps.md).
type paramFlags struct {
	specs     []paramSpec // -L and -P in the order given
	step      string
	geometric int
	refine    float64
}

// paramSpec is one -L NAME VALUES or -P NAME LO HI.
type paramSpec struct {
	scan bool
	args []string // NAME VALUES or NAME LO HI; nil when raw did not parse
	raw  string
}

// defaultRefine is --refine's precision when none is given: 2% of the
// boundary's value.
const defaultRefine = "0.02"

// isFraction says whether a word is --refine's precision rather than a
// statement or command: a number, as 0.02 or .5 (1 and more are refused
// by the range check, with their own line).
func isFraction(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && !strings.ContainsAny(s, " \t")
}

// argSep joins the words of a multi-word flag (joinParamArgs) into one
// flag value: no command-line argument can contain it.
const argSep = "\x00"

// paramValue is -L or -P as a pflag value. Set never fails: what it
// cannot read is reported by paramFlags.sweep, in one line.
type paramValue struct {
	specs *[]paramSpec
	scan  bool
}

func (v *paramValue) Set(s string) error {
	sp := paramSpec{scan: v.scan, raw: s}
	if strings.Contains(s, argSep) {
		sp.args = strings.Split(s, argSep)
	} else if name, rest, ok := strings.Cut(s, "="); ok && !v.scan {
		sp.args = []string{name, rest}
	} else if lo, hi, ok2 := strings.Cut(rest, ".."); ok && ok2 {
		sp.args = []string{name, lo, hi}
	}
	*v.specs = append(*v.specs, sp)
	return nil
}

func (v *paramValue) String() string { return "" }

func (v *paramValue) Type() string {
	if v.scan {
		return "NAME LO HI"
	}
	return "NAME VALUES"
}

func (p *paramFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.VarP(&paramValue{specs: &p.specs}, "parameter-list", "L",
		"sweep: measure once per comma-separated value, {NAME} replaced by it (repeatable; also NAME=VALUES)")
	fl.VarP(&paramValue{specs: &p.specs, scan: true}, "parameter-scan", "P",
		"sweep: measure once per integer from LO to HI, {NAME} replaced by it (also NAME=LO..HI)")
	fl.StringVarP(&p.step, "parameter-step-size", "D", "", "the `STEP` of -P (decimals and sizes allowed: 0.5, 1MiB)")
	fl.IntVar(&p.geometric, "geometric", 0, "-P: `N` points from LO to HI, geometrically spaced")
	fl.Float64Var(&p.refine, "refine", 0, "sweep: bisect each cliff until its boundary is known within this `FRACTION` of its value (alone: 0.02, 2%)")
	fl.Lookup("refine").NoOptDefVal = defaultRefine
}

// sweep reads the parameters; nil when there are none.
func (p *paramFlags) sweep(cmd *cobra.Command) (*sweep.Sweep, error) {
	fl := cmd.Flags()
	scans := 0
	for _, s := range p.specs {
		if s.scan {
			scans++
		}
	}
	switch {
	case scans > 1:
		return nil, usageErr("-P/--parameter-scan is given %d times: a sweep scans one range (add parameters with -L)", scans)
	case scans == 0 && fl.Changed("parameter-step-size"):
		return nil, usageErr("-D/--parameter-step-size needs -P/--parameter-scan")
	case scans == 0 && fl.Changed("geometric"):
		return nil, usageErr("--geometric needs -P/--parameter-scan")
	case fl.Changed("parameter-step-size") && fl.Changed("geometric"):
		return nil, usageErr("-D/--parameter-step-size and --geometric contradict each other")
	case fl.Changed("parameter-step-size") && p.step == "":
		return nil, usageErr("-D/--parameter-step-size needs a step")
	case fl.Changed("geometric") && p.geometric < 2:
		return nil, usageErr("--geometric %d: want 2 or more points", p.geometric)
	case fl.Changed("refine") && !(p.refine > 0 && p.refine < 1): // NaN too
		return nil, usageErr("--refine %g: want a fraction of the boundary's value between 0 and 1, as in --refine 0.02", p.refine)
	case fl.Changed("refine") && len(p.specs) == 0:
		return nil, usageErr("--refine needs parameters (-P or -L): it narrows the cliffs a sweep finds")
	case len(p.specs) == 0:
		return nil, nil
	}
	var params []sweep.Param
	for _, s := range p.specs {
		param, err := p.param(s)
		if err != nil {
			return nil, err
		}
		params = append(params, param)
	}
	sw, err := sweep.New(params...)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return sw, nil
}

// param reads one -L or -P; its errors quote it as given.
func (p *paramFlags) param(s paramSpec) (sweep.Param, error) {
	if !s.scan {
		if len(s.args) != 2 {
			return sweep.Param{}, usageErr("-L/--parameter-list %q: want NAME VALUES, or NAME=VALUES", s.raw)
		}
		param, err := sweep.List(s.args[0], s.args[1])
		if err != nil {
			return param, usageErr("-L %s %q: %v", s.args[0], s.args[1], err)
		}
		return param, nil
	}
	if len(s.args) != 3 {
		return sweep.Param{}, usageErr("-P/--parameter-scan %q: want NAME LO HI, or NAME=LO..HI", s.raw)
	}
	sc := sweep.Scan{Name: s.args[0], Lo: s.args[1], Hi: s.args[2], Step: p.step, Geometric: p.geometric}
	param, err := sc.Param()
	if err != nil {
		given := "-P " + strings.Join(s.args, " ")
		if sc.Step != "" {
			given += " -D " + sc.Step
		}
		if sc.Geometric != 0 {
			given += fmt.Sprintf(" --geometric %d", sc.Geometric)
		}
		return param, usageErr("%s: %v", given, err)
	}
	return param, nil
}

// joinParamArgs rewrites hyperfine's multi-word flags, -P NAME LO HI and
// -L NAME VALUES, into one word each (--parameter-scan=NAME␀LO␀HI), since
// pflag gives a flag one value. It reads args as pflag will, with the
// flags of the command they run, so that a word that is another flag's
// value (-l -P) stays one, and it leaves everything after -- alone. A
// word after -P or -L that holds = is the one-word form NAME=LO..HI or
// NAME=VALUES (a NAME has no =).
func joinParamArgs(root *cobra.Command, args []string) ([]string, error) {
	sub, _, err := root.Find(args)
	if err != nil || sub.Flags().Lookup("parameter-scan") == nil {
		return args, nil
	}
	fs := sub.Flags()
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		var f *pflag.Flag
		attached, cluster := "", ""
		switch {
		case a == "--":
			return append(out, args[i:]...), nil
		case strings.HasPrefix(a, "--") && !strings.Contains(a, "="):
			f = fs.Lookup(a[2:])
		case strings.HasPrefix(a, "-") && len(a) > 1 && a[1] != '-':
			f, cluster, attached = shortFlag(fs, a)
		}
		switch {
		case f != nil && f.Name == "refine" && attached == "":
			// --refine alone bisects to the default precision; a number
			// after it is its precision (pflag reads only --refine=X
			// for a flag with a default).
			if i+1 < len(args) && isFraction(args[i+1]) {
				out = append(out, "--refine="+args[i+1])
				i++
			} else {
				out = append(out, "--refine")
			}
		case f != nil && isParamFlag(f):
			joined, n, err := takeParamArgs(f, attached, args[i+1:])
			if err != nil {
				return nil, err
			}
			if cluster != "" {
				out = append(out, cluster)
			}
			out = append(out, "--"+f.Name+"="+joined)
			i += n
		case f != nil && f.NoOptDefVal == "" && attached == "" && i+1 < len(args):
			// Another flag's value: the next word, whatever it is.
			out = append(out, a, args[i+1])
			i++
		default:
			out = append(out, a)
		}
	}
	return out, nil
}

// shortFlag reads a word of shorthand flags (-qP, -n5) as pflag does: up
// to the first flag that takes a value, whose value is the rest of the
// word (after an optional =) or else the next word. It returns that flag,
// the flags before it as a word of their own ("" for none), and the rest;
// a nil flag when none takes a value or one is unknown.
func shortFlag(fs *pflag.FlagSet, a string) (f *pflag.Flag, cluster, attached string) {
	for j := 1; j < len(a); j++ {
		f := fs.ShorthandLookup(a[j : j+1])
		switch {
		case f == nil:
			return nil, "", ""
		case f.NoOptDefVal == "":
			if j > 1 {
				cluster = a[:j]
			}
			return f, cluster, strings.TrimPrefix(a[j+1:], "=")
		}
	}
	return nil, "", ""
}

func isParamFlag(f *pflag.Flag) bool {
	return f.Name == "parameter-scan" || f.Name == "parameter-list"
}

// takeParamArgs collects the words of -P (NAME LO HI) or -L (NAME VALUES):
// attached to the flag's word or following it. It returns them joined
// and how many following words it took.
func takeParamArgs(f *pflag.Flag, attached string, rest []string) (string, int, error) {
	want, form := 3, "-P/--parameter-scan needs NAME LO HI, as in -P n 1000 100000 (or n=1000..100000)"
	if f.Name == "parameter-list" {
		want, form = 2, "-L/--parameter-list needs NAME VALUES, as in -L n 1000,10000 (or n=1000,10000)"
	}
	var words []string
	if attached != "" {
		words = append(words, attached)
	}
	used := 0
	if len(words) == 0 && len(rest) > 0 && strings.Contains(rest[0], "=") {
		words, used = rest[:1], 1
	}
	if len(words) == 1 && strings.Contains(words[0], "=") {
		return words[0], used, nil
	}
	for len(words) < want && used < len(rest) && rest[used] != "--" {
		words = append(words, rest[used])
		used++
	}
	if len(words) < want {
		return "", 0, usageErr("%s", form)
	}
	return strings.Join(words, argSep), used, nil
}

// measureSweep measures every point of sw: the texts (fields) are checked
// against the parameters and every point's request built by build before
// anything runs. With -v each point's full report is printed under its
// heading as it finishes; then the sweep's compact table with the cliffs
// found, and the files (--json is the sweep document, the others its
// renderings). refine is --refine (0: off).
func measureSweep(ctx context.Context, sw *sweep.Sweep, fields []sweep.Field, build func(sweep.Point) (*pipeline.Request, error), refine float64, c *commonFlags) error {
	out := &c.out
	if err := out.checkWritable(); err != nil {
		return err
	}
	if share := c.budget / time.Duration(sw.Len()); c.sampleTime > share {
		return usageErr("--budget %s over %d points is %s a point, less than --sample-time %s: raise --budget", c.budget, sw.Len(), share, c.sampleTime)
	}
	if err := sw.Check(fields); err != nil {
		return usageErr("%v", err)
	}
	measuring.Store(true)
	stamped := func(pt sweep.Point) (*pipeline.Request, error) {
		req, err := build(pt)
		if err == nil {
			req.Version, req.Args = version, os.Args[1:]
		}
		return req, err
	}
	sr := &pipeline.SweepRequest{Sweep: sw, Points: sw.Points(), Budget: c.budget, Refine: refine, Build: stamped}
	for _, pt := range sr.Points {
		req, err := stamped(pt)
		if err != nil {
			return atPoint(pt, err)
		}
		sr.Requests = append(sr.Requests, req)
	}
	w := reportFile(out)
	var rerr error
	// Each point has a progress line of its own, closed when it is done.
	var lv *live
	sr.Begin = func(req *pipeline.Request) {
		lv = newLive(out)
		req.Progress = lv.progress()
	}
	sr.Done = func(pt sweep.Point, refine bool, res *result.Result, err error) {
		lv.close()
		printTraceback(err)
		if perr := printPoint(w, pt, refine, res, out); perr != nil && rerr == nil {
			rerr = perr
		}
	}
	doc, err := pipeline.RunSweep(ctx, sr)
	lv.close()
	var ue *pipeline.UsageError
	if errors.As(err, &ue) {
		return &exitError{code: exitUsage, err: ue}
	}
	werr := writeSweep(doc, out)
	if perr := printSweep(w, doc, out); perr != nil && rerr == nil {
		rerr = perr
	}
	if werr == nil {
		werr = rerr
	}
	return outcome(ctx, err, werr, out)
}

// printPoint prints a point's full report under its heading, with -v
// only: a sweep's default output is its compact table.
func printPoint(w *os.File, pt sweep.Point, refine bool, res *result.Result, out *outputFlags) error {
	if !out.verbose {
		return nil
	}
	heading := pt.String()
	if refine {
		heading += " (refinement point: timing and trace only)"
	}
	fmt.Fprintf(w, "%s\n\n", heading)
	if len(res.Results) > 0 {
		if err := printTerminal(w, res, out); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	return nil
}

// printSweep prints the sweep's compact table; -q keeps the verdict and
// the tables.
func printSweep(w *os.File, doc *result.Sweep, out *outputFlags) error {
	if doc == nil {
		return nil
	}
	opt := termOptions(w, out)
	opt.Quiet = out.quiet
	if err := report.SweepTerminal(w, doc, opt); err != nil {
		return fmt.Errorf("render terminal report: %w", err)
	}
	return nil
}

// writeSweep writes the sweep document and its requested renderings.
func writeSweep(doc *result.Sweep, out *outputFlags) error {
	if doc == nil {
		return nil
	}
	outs := []output{
		{out.json, doc.Write},
		{out.markdown, func(w io.Writer) error { return report.SweepMarkdown(w, doc) }},
		{out.html, func(w io.Writer) error { return report.SweepHTML(w, doc) }},
		{out.benchstat, func(w io.Writer) error { return report.SweepBenchstat(w, doc) }},
		{out.exportJSON, func(w io.Writer) error { return report.SweepHyperfineJSON(w, doc) }},
		{out.exportCSV, func(w io.Writer) error { return report.SweepHyperfineCSV(w, doc) }},
		{out.exportMarkdown, func(w io.Writer) error { return report.SweepHyperfineMarkdown(w, doc) }},
	}
	return writeAll(outs, doc.Write, "faultline-sweep-*.json")
}

// atPoint says at which point a request could not be built.
func atPoint(pt sweep.Point, err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.code, err: fmt.Errorf("%s: %w", pt, ee.err)}
	}
	return usageErr("%s: %v", pt, err)
}
