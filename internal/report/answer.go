package report

import "github.com/faultline/faultline/internal/result"

// Answer returns the verdict's lines as plain text, one string each
// (Verdict, Memory, Why, Where, Fix), unwrapped: what a measurement shows
// of its answer while it goes on, from a result assembled so far. They are
// the lines that open the full report, from the same facts.
func Answer(r *result.Result) []string {
	var out []string
	for _, l := range newFacts(r).verdict() {
		out = append(out, l.String())
	}
	return out
}
