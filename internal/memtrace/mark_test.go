package memtrace

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

func TestParseBoundary(t *testing.T) {
	tests := []struct {
		line    string
		want    Boundary
		ok, err bool
	}{
		{line: "begin cand=A iter=0", want: Boundary{Cand: "A", Iter: 0}, ok: true},
		{line: "end cand=B iter=7 ns=5 minflt=2 majflt=0\n", want: Boundary{Cand: "B", Iter: 7, End: true}, ok: true},
		{line: ""},
		{line: "  \r\n"},
		{line: "sample cand=A seq=1 loops=1 ns=5"},
		{line: `error cand=A "Traceback..."`},
		{line: "begin cand=A", err: true},
		{line: "begin iter=1", err: true},
		{line: "end cand= iter=1", err: true},
		{line: "end cand=A iter=x", err: true},
		{line: "begin cand=A iter=99999999999999999999", err: true},
		{line: "\x00\x01", err: true},
		{line: `"str"`, err: true},
	}
	for _, tt := range tests {
		b, ok, err := ParseBoundary(tt.line)
		if b != tt.want || ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("ParseBoundary(%q) = %+v, %v, %v; want %+v, %v, error %v", tt.line, b, ok, err, tt.want, tt.ok, tt.err)
		}
		if err != nil && ok {
			t.Errorf("ParseBoundary(%q): ok with an error", tt.line)
		}
	}
}

func begin(cand string, iter int64) Boundary { return Boundary{Cand: cand, Iter: iter} }
func end(cand string, iter int64) Boundary   { return Boundary{Cand: cand, Iter: iter, End: true} }

// step is one input of a Tally: an event, or a boundary in process pid.
type step struct {
	e     Event
	pid   int
	b     Boundary
	bound bool
}

func ev(e Event) step             { return step{e: e} }
func bd(pid int, b Boundary) step { return step{pid: pid, b: b, bound: true} }
func tallyOf(steps ...step) *Tally {
	ta := NewTally()
	for _, s := range steps {
		if s.bound {
			ta.AddBoundary(s.pid, s.b)
		} else {
			ta.Add(s.e)
		}
	}
	return ta
}

// TestAddBoundary: structured boundaries attribute, abandon and reject as
// the marker lines they stand for.
func TestAddBoundary(t *testing.T) {
	tests := []struct {
		name       string
		structured []step
		text       []Event
	}{
		{
			name:       "one iteration",
			structured: []step{bd(1, begin("A", 0)), ev(mmap(1, 4096)), bd(1, end("A", 0))},
			text:       []Event{mark(1, "begin cand=A iter=0\n"), mmap(1, 4096), mark(1, "end cand=A iter=0\n")},
		},
		{
			name:       "other processes are outside",
			structured: []step{bd(1, begin("A", 0)), ev(mmap(2, 4096)), ev(brk(1, 8192)), bd(1, end("A", 0))},
			text:       []Event{mark(1, "begin cand=A iter=0\n"), mmap(2, 4096), brk(1, 8192), mark(1, "end cand=A iter=0\n")},
		},
		{
			name:       "an end that matches nothing",
			structured: []step{bd(1, begin("A", 0)), ev(mmap(1, 4096)), bd(1, end("A", 7)), bd(1, end("B", 0)), bd(1, end("A", 0))},
			text: []Event{mark(1, "begin cand=A iter=0\n"), mmap(1, 4096), mark(1, "end cand=A iter=7\n"), mark(1, "end cand=B iter=0\n"),
				mark(1, "end cand=A iter=0\n")},
		},
		{
			name:       "a begin without end is abandoned",
			structured: []step{bd(1, begin("A", 0)), ev(mmap(1, 4096)), bd(1, begin("A", 1)), bd(1, end("A", 1)), bd(1, begin("B", 0))},
			text: []Event{mark(1, "begin cand=A iter=0\n"), mmap(1, 4096), mark(1, "begin cand=A iter=1\n"), mark(1, "end cand=A iter=1\n"),
				mark(1, "begin cand=B iter=0\n")},
		},
		{
			name:       "exit and exec abandon",
			structured: []step{bd(1, begin("A", 0)), ev(Event{Call: CallExit, Pid: 1}), bd(1, end("A", 0)), bd(2, begin("A", 1)), ev(Event{Call: CallExec, Pid: 2}), bd(2, end("A", 1))},
			text: []Event{mark(1, "begin cand=A iter=0\n"), {Call: CallExit, Pid: 1}, mark(1, "end cand=A iter=0\n"), mark(2, "begin cand=A iter=1\n"),
				{Call: CallExec, Pid: 2}, mark(2, "end cand=A iter=1\n")},
		},
		{
			name:       "no candidate",
			structured: []step{bd(1, begin("", 0)), ev(mmap(1, 4096)), bd(1, end("", 0))},
			text:       []Event{mark(1, "begin cand= iter=0\n"), mmap(1, 4096), mark(1, "end cand= iter=0\n")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tallyOf(tt.structured...)
			want := NewTally()
			for _, e := range tt.text {
				want.Add(e)
			}
			if g, w := view(t, got), view(t, want); !reflect.DeepEqual(g, w) {
				t.Errorf("structured boundaries tally\n %+v\nmarker lines\n %+v", g, w)
			}
			checkConsistent(t, got)
			checkRoundTrip(t, got)
		})
	}
}

// tallyView is what a Tally tells its users, iterations still open
// counted as abandoned, as after the trip from the supervisor.
type tallyView struct {
	Cands                []string
	Syscalls             []*result.Syscalls
	Whole, Outside       *result.Syscalls
	Malformed, Abandoned int
}

func view(t *testing.T, ta *Tally) tallyView {
	t.Helper()
	b, err := json.Marshal(ta)
	if err != nil {
		t.Fatal(err)
	}
	done := NewTally()
	if err := json.Unmarshal(b, done); err != nil {
		t.Fatal(err)
	}
	v := tallyView{Cands: done.Candidates(), Whole: done.Whole(), Outside: done.Outside(),
		Malformed: done.Malformed(), Abandoned: done.Abandoned()}
	for _, c := range v.Cands {
		v.Syscalls = append(v.Syscalls, done.Syscalls(c))
	}
	return v
}
