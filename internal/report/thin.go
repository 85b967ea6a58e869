package report

import (
	"fmt"

	"github.com/faultline/faultline/internal/result"
)

// maxChartSamples bounds the samples of one run that the HTML charts draw.
// A chart 960 pixels wide cannot show more points than it has pixels, and
// each point is an SVG element with a tooltip: a result of 2 M samples
// drawn in full made an 800 MB page no browser opens. Tables and summaries
// still use every sample.
const maxChartSamples = 1000

// thinned is a shallow copy of r whose runs hold at most max samples each:
// every warm-up sample (few, and the chart marks them) and an evenly
// spaced selection of the rest, in their original order. shown and total
// are the largest run's counts after and before, for the page's note.
func thinned(r *result.Result, max int) (t *result.Result, shown, total int) {
	c := *r
	c.Results = make([]result.Run, len(r.Results))
	copy(c.Results, r.Results)
	for i := range c.Results {
		s := c.Results[i].Samples
		if len(s) <= max {
			continue
		}
		total = maxInt(total, len(s))
		warm := 0
		for _, x := range s {
			if x.Warmup {
				warm++
			}
		}
		keep := maxInt(max-warm, 1)
		rest := len(s) - warm
		out := make([]result.Sample, 0, warm+keep)
		j := 0 // index among the non-warm-up samples
		for _, x := range s {
			if x.Warmup {
				out = append(out, x)
				continue
			}
			// The k-th kept sample is the first whose index reaches
			// k*rest/keep: evenly spaced, the first one included.
			if j*keep/rest != (j-1)*keep/rest || j == 0 {
				out = append(out, x)
			}
			j++
		}
		c.Results[i].Samples = out
		shown = maxInt(shown, len(out))
	}
	return &c, shown, total
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// thinNote says what a thinned chart leaves out.
func thinNote(shown, total int) string {
	if total == 0 {
		return ""
	}
	return fmt.Sprintf(" Thinned for display: at most %d evenly spaced samples of each run are drawn (the largest run has %d); the tables use all of them.", shown, total)
}
