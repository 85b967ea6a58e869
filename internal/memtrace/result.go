package memtrace

import (
	"fmt"

	"github.com/faultline/faultline/internal/result"
)

// Result is what one traced run produced.
type Result struct {
	// Totals counts every traced call of the run, marked or not, as one
	// iteration (Tally.Whole at the end of the run).
	Totals *result.Syscalls
	// Tally attributes the calls to candidate iterations.
	Tally *Tally
	// Stats says what the tracer followed and how many stops it cost.
	Stats Stats
	// Notes are one-line remarks on evidence that degraded (unreadable or
	// malformed markers, unfinished iterations).
	Notes []string
}

// NewResult wraps a finished Tally and the tracer's statistics, noting
// anything that makes the attribution less than complete.
func NewResult(t *Tally, st Stats) *Result {
	r := &Result{Totals: t.Whole(), Tally: t, Stats: st}
	if st.Unreadable > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d marker writes could not be read from the target's memory", st.Unreadable))
	}
	if n := t.Malformed(); n > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d marker lines were malformed or unmatched and were ignored", n))
	}
	if n := t.Abandoned(); n > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d iterations began but never ended; their calls count in the totals only", n))
	}
	return r
}
