package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/faultline/faultline/internal/atomicfile"
	"github.com/faultline/faultline/internal/report"
	"github.com/faultline/faultline/internal/result"
)

// checkWritable fails fast, before anything is measured, when an output
// file cannot be created, so a long measurement is not wasted on a typo.
func (o *outputFlags) checkWritable() error {
	for _, p := range []string{o.json, o.markdown, o.html, o.benchstat} {
		if p == "" {
			continue
		}
		f, err := os.CreateTemp(filepath.Dir(p), ".faultline-check-*")
		if err != nil {
			return usageErr("cannot write %s: %v", p, errors.Unwrap(err))
		}
		f.Close()
		os.Remove(f.Name())
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return usageErr("cannot write %s: it is a directory", p)
		}
	}
	return nil
}

// writeOutputs writes every requested rendering. Each file is written to a
// temporary file and renamed, so an interrupted write never leaves a
// truncated file. When a file cannot be written at the end of a
// measurement, the JSON result is saved to a temporary file instead and the
// error says where, so nothing measured is lost.
func writeOutputs(res *result.Result, out *outputFlags) error {
	var errs []error
	write := func(path string, render func(io.Writer) error) {
		if path == "" {
			return
		}
		var buf bytes.Buffer
		if err := render(&buf); err != nil {
			errs = append(errs, fmt.Errorf("render %s: %w", path, err))
			return
		}
		if err := atomicfile.Write(path, buf.Bytes()); err != nil {
			errs = append(errs, err)
		}
	}
	write(out.json, res.Write)
	for _, r := range renderers(out) {
		write(r.path, func(w io.Writer) error { return r.render(w, res) })
	}
	if len(errs) == 0 {
		return nil
	}
	f, err := os.CreateTemp("", "faultline-result-*.json")
	if err == nil {
		err = res.Write(f)
		f.Close()
	}
	if err == nil {
		errs = append(errs, fmt.Errorf("the result was saved to %s instead", f.Name()))
	}
	return errors.Join(errs...)
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
	}
}
