package main

import "github.com/spf13/cobra"

// outputFlags name the files a result is written to.
type outputFlags struct {
	json, markdown, html, benchstat string
	// hyperfine's export shapes (docs/report.md).
	exportJSON, exportCSV, exportMarkdown string
	// unit fixes the terminal's time unit (timeit -u).
	unit                    string
	quiet, noColor, verbose bool
	// baseline is the comparison run after the measurement (timeit,
	// run), nil for commands without one.
	baseline *baselineFlags
}

func (o *outputFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.json, "json", "", "write the result as JSON (docs/json-schema.md) to `FILE`")
	fl.StringVar(&o.markdown, "markdown", "", "write a Markdown report to `FILE`")
	fl.StringVar(&o.html, "html", "", "write a self-contained HTML report to `FILE`")
	fl.StringVar(&o.benchstat, "benchstat", "", "write Go benchmark text readable by benchstat to `FILE`")
	fl.StringVar(&o.exportJSON, "export-json", "", "write hyperfine's JSON shape (results[].mean, ...) to `FILE`")
	fl.StringVar(&o.exportCSV, "export-csv", "", "write hyperfine's CSV shape to `FILE`")
	fl.StringVar(&o.exportMarkdown, "export-markdown", "", "write hyperfine's Markdown table to `FILE`")
	fl.BoolVarP(&o.quiet, "quiet", "q", false, "no progress, and only the summary table")
	fl.BoolVar(&o.noColor, "no-color", false, "no colour (also when NO_COLOR is set)")
	fl.BoolVarP(&o.verbose, "verbose", "v", false, "show every section and sample count, and the legend of the notation (±, p against α, ~)")
}
