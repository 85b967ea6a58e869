package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/atomicfile"
	"github.com/faultline/faultline/internal/report"
	"github.com/faultline/faultline/internal/result"
)

// outputs lists every output flag with its file ("" when not given).
func (o *outputFlags) outputs() [][2]string {
	return [][2]string{{"--json", o.json}, {"--markdown", o.markdown}, {"--html", o.html}, {"--benchstat", o.benchstat},
		{"--export-json", o.exportJSON}, {"--export-csv", o.exportCSV}, {"--export-markdown", o.exportMarkdown}}
}

// named lists the requested output files with their flags.
func (o *outputFlags) named() [][2]string {
	var out [][2]string
	for _, f := range o.outputs() {
		if f[1] != "" {
			out = append(out, f)
		}
	}
	return out
}

// paths lists the requested output files.
func (o *outputFlags) paths() []string {
	var ps []string
	for _, f := range o.named() {
		ps = append(ps, f[1])
	}
	return ps
}

// validateFlags refuses an output flag given an empty file name: it would
// be ignored, and the user asked for a file.
func (o *outputFlags) validateFlags(cmd *cobra.Command) error {
	for _, out := range o.outputs() {
		if f := cmd.Flags().Lookup(strings.TrimPrefix(out[0], "--")); f != nil && f.Changed && out[1] == "" {
			return usageErr("%s needs a file name (- for standard output)", out[0])
		}
	}
	return nil
}

// checkWritable fails fast, before anything is measured, when an output
// file cannot be created or replaced, or two outputs name the same file
// (the last would silently win), so a long measurement is not wasted on a
// typo.
func (o *outputFlags) checkWritable() error {
	stdout := 0
	outs := o.named()
	for i, f := range outs {
		if err := atomicfile.Check(f[1]); err != nil {
			return usageErr("cannot write %s: %v", f[1], err)
		}
		if atomicfile.IsStdout(f[1]) {
			stdout++
			continue
		}
		for _, g := range outs[:i] {
			if !atomicfile.IsStdout(g[1]) && samePath(f[1], g[1]) {
				return usageErr("%s and %s both write %s: give each output its own file", g[0], f[0], f[1])
			}
		}
	}
	if stdout > 1 {
		return usageErr("only one output can go to standard output")
	}
	return nil
}

// samePath says whether two output paths name one file: the same path
// once cleaned and made absolute, or one existing file (links, hard links).
// A device (/dev/null) takes any number of outputs.
func samePath(a, b string) bool {
	if st, err := os.Stat(a); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		return false
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == bb {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// toStdout says whether a rendering goes to standard output, in which case
// the terminal report goes to stderr so the two do not mix.
func (o *outputFlags) toStdout() bool {
	for _, p := range o.paths() {
		if atomicfile.IsStdout(p) {
			return true
		}
	}
	return false
}

// writeError is what became of the outputs that could not be written:
// which failed, and where the result was kept instead, or that it is lost.
type writeError struct {
	failed []error
	kept   string // the fallback JSON, "" when it could not be written
	lost   error  // why the fallback failed
}

// Error is one line: what failed and where the result is, or that it is
// lost.
func (e *writeError) Error() string {
	var msgs []string
	for _, err := range e.failed {
		msgs = append(msgs, oneLineErr(err))
	}
	s := strings.Join(msgs, "; ")
	if e.kept != "" {
		return s + "; the result was saved to " + e.kept + " instead"
	}
	return s + "; the result is lost: it could not be saved to a temporary file either (" + oneLineErr(e.lost) + ")"
}

// writeOutputs writes every requested rendering of res.
func writeOutputs(res *result.Result, out *outputFlags) error {
	outs := []output{{out.json, res.Write}}
	for _, r := range renderers(out) {
		outs = append(outs, output{r.path, func(w io.Writer) error { return r.render(w, res) }})
	}
	return writeAll(outs, res.Write, "faultline-result-*.json")
}

// output is a file to write and what goes into it.
type output struct {
	path   string // "" when not requested
	render func(io.Writer) error
}

// writeAll writes every requested output. Each file is written atomically
// (internal/atomicfile), so an interrupted write never leaves a truncated
// file. When a file cannot be written at the end of a measurement, the
// JSON document (save) goes to a temporary file named by pattern instead
// and the error says where, so nothing measured is lost; when that fails
// too, the error says the result is lost.
func writeAll(outs []output, save func(io.Writer) error, pattern string) error {
	we := &writeError{}
	for _, o := range outs {
		if o.path == "" {
			continue
		}
		var buf bytes.Buffer
		if err := o.render(&buf); err != nil {
			we.failed = append(we.failed, fmt.Errorf("render %s: %w", o.path, err))
			continue
		}
		if err := atomicfile.Write(o.path, buf.Bytes()); err != nil {
			we.failed = append(we.failed, err)
		}
	}
	if len(we.failed) == 0 {
		return nil
	}
	var buf bytes.Buffer
	err := save(&buf)
	if err == nil {
		we.kept, err = atomicfile.WriteTemp("", pattern, buf.Bytes())
	}
	we.lost = err
	return we
}

type renderer struct {
	path   string
	render func(io.Writer, *result.Result) error
}

// renderers lists the requested non-JSON renderings.
func renderers(out *outputFlags) []renderer {
	return []renderer{
		{out.markdown, report.Markdown},
		{out.html, report.HTML},
		{out.benchstat, report.Benchstat},
		{out.exportJSON, report.HyperfineJSON},
		{out.exportCSV, report.HyperfineCSV},
		{out.exportMarkdown, report.HyperfineMarkdown},
	}
}
