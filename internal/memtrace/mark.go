package memtrace

import (
	"fmt"
	"strings"

	"github.com/faultline/faultline/internal/protocol"
)

// Boundary is where one iteration of a candidate begins or ends.
type Boundary struct {
	Cand string
	Iter int64
	End  bool // the iteration ends here; otherwise it begins
}

// ParseBoundary reads the boundary a marker line records: a protocol line
// "begin cand=X iter=N" or "end cand=X iter=N ..." (docs/protocol.md),
// with or without its newline. ok is false with a nil error for a blank
// line and for records of other verbs; the error says why a line is no
// protocol record, or is a begin or end record without a candidate or an
// iteration number.
func ParseBoundary(line string) (b Boundary, ok bool, err error) {
	rec, err := protocol.Parse(line)
	if err == protocol.ErrEmpty {
		return Boundary{}, false, nil
	}
	if err != nil {
		return Boundary{}, false, fmt.Errorf("marker line: %w", err)
	}
	if rec.Verb != protocol.VerbBegin && rec.Verb != protocol.VerbEnd {
		return Boundary{}, false, nil
	}
	cand := rec.Get("cand")
	if cand == "" {
		return Boundary{}, false, fmt.Errorf("marker line: %s record without a candidate", rec.Verb)
	}
	iter, err := rec.Int("iter")
	if err != nil {
		return Boundary{}, false, fmt.Errorf("marker line: %w", err)
	}
	return Boundary{Cand: cand, Iter: iter, End: rec.Verb == protocol.VerbEnd}, true, nil
}

// mark consumes a marker write: complete lines now, an incomplete last
// line once the rest of it arrives.
func (t *Tally) mark(e Event) {
	st := t.proc(e.Pid)
	data := st.carry + e.Text
	st.carry = ""
	for {
		i := strings.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		t.line(st, data[:i])
		data = data[i+1:]
	}
	switch {
	case data == "":
	case e.Truncated || len(data) > MaxMark:
		// The rest of this line was never read: it cannot be trusted.
		// Only a marker cut short matters; a long record of another
		// verb (a probe's traceback) is no loss.
		if strings.HasPrefix(data, protocol.VerbBegin) || strings.HasPrefix(data, protocol.VerbEnd) {
			t.malformed++
		}
	default:
		st.carry = data
	}
}

func (t *Tally) line(st *procState, line string) {
	b, ok, err := ParseBoundary(line)
	if err != nil {
		t.malformed++
		return
	}
	if ok {
		t.boundary(st, b)
	}
}
