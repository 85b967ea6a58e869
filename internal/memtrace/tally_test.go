package memtrace

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

func mark(pid int, text string) Event { return Event{Call: CallMark, Pid: pid, Tid: pid, Text: text} }
func mmap(pid int, size int64) Event {
	return anon(Event{Call: CallMmap, Pid: pid, Tid: pid, Size: size})
}

// anon makes an mmap event an anonymous, writable private mapping.
func anon(e Event) Event {
	e.Flags, e.Prot, e.Fd = e.Flags|MapAnonymous|0x02, ProtRead|ProtWrite, -1
	return e
}
func brk(pid int, delta int64) Event { return Event{Call: CallBrk, Pid: pid, Tid: pid, Size: delta} }

func TestTally(t *testing.T) {
	tests := []struct {
		name      string
		events    []Event
		cand      string
		want      *result.Syscalls // nil: no completed iteration
		outside   float64          // mmap calls outside
		malformed int
		abandoned int
	}{
		{
			name:    "no marks",
			events:  []Event{mmap(1, 4096), mmap(1, 4096)},
			cand:    "A",
			outside: 2,
		},
		{
			name:   "one iteration",
			events: []Event{mark(1, "begin cand=A iter=0\n"), mmap(1, 4096), mark(1, "end cand=A iter=0 ns=5\n")},
			cand:   "A",
			want:   &result.Syscalls{Mmap: 1, MappedBytes: 4096, PeakBytes: 4096, Iterations: 1, Sizes: []result.SizeCount{{Call: "mmap", Bytes: 4096, Per: 1}}},
		},
		{
			name: "means over iterations, other threads inside",
			events: []Event{
				mark(1, "begin cand=A iter=0\n"), mmap(1, 8192), anon(Event{Call: CallMmap, Pid: 1, Tid: 2, Size: 8192}), mark(1, "end cand=A iter=0\n"),
				mark(1, "begin cand=A iter=1\n"), mark(1, "end cand=A iter=1\n"),
			},
			cand: "A",
			want: &result.Syscalls{Mmap: 1, MappedBytes: 8192, PeakBytes: 16384, Iterations: 2, Sizes: []result.SizeCount{{Call: "mmap", Bytes: 8192, Per: 1}}},
		},
		{
			name:    "other processes are outside",
			events:  []Event{mark(1, "begin cand=A iter=0\n"), mmap(2, 4096), mark(1, "end cand=A iter=0\n")},
			cand:    "A",
			want:    &result.Syscalls{Iterations: 1},
			outside: 1,
		},
		{
			name: "brk grow and shrink",
			events: []Event{mark(1, "begin cand=B iter=0\n"), brk(1, 0), brk(1, 135168), brk(1, 135168), brk(1, -262144),
				mark(1, "end cand=B iter=0\n")},
			cand: "B",
			want: &result.Syscalls{Brk: 4, BrkGrowBytes: 270336, BrkShrinkBytes: 262144, PeakBytes: 270336, Iterations: 1,
				Sizes: []result.SizeCount{{Call: "brk-", Bytes: 262144, Per: 1}, {Call: "brk+", Bytes: 135168, Per: 2}}},
		},
		{
			name: "madvise and mremap",
			events: []Event{mark(1, "begin cand=A iter=0\n"),
				{Call: CallMadvise, Pid: 1, Size: 1 << 20, Advice: 4}, {Call: CallMadvise, Pid: 1, Size: 1 << 20, Advice: 14},
				{Call: CallMremap, Pid: 1, Old: 4096, Size: 8192}, {Call: CallMunmap, Pid: 1, Size: 8192},
				mark(1, "end cand=A iter=0\n")},
			cand: "A",
			want: &result.Syscalls{Madvise: 2, Mremap: 1, Munmap: 1, AdvisedBytes: 2 << 20, UnmappedBytes: 8192, PeakBytes: 4096, Iterations: 1,
				Advice: map[string]float64{"MADV_DONTNEED": 1, "MADV_HUGEPAGE": 1},
				Sizes: []result.SizeCount{{Call: "madvise:MADV_DONTNEED", Bytes: 1 << 20, Per: 1}, {Call: "madvise:MADV_HUGEPAGE", Bytes: 1 << 20, Per: 1},
					{Call: "mremap", Bytes: 8192, Per: 1}, {Call: "munmap", Bytes: 8192, Per: 1}}},
		},
		{
			name: "a line split over two writes",
			events: []Event{mark(1, "sample cand=A seq=1\nbegin cand=A"), mark(1, " iter=0\n"), mmap(1, 4096),
				mark(1, "end cand=A iter=0\n")},
			cand: "A",
			want: &result.Syscalls{Mmap: 1, MappedBytes: 4096, PeakBytes: 4096, Iterations: 1, Sizes: []result.SizeCount{{Call: "mmap", Bytes: 4096, Per: 1}}},
		},
		{
			name: "an end that matches nothing is ignored",
			events: []Event{mark(1, "begin cand=A iter=0\n"), mmap(1, 4096), mark(1, "end cand=A iter=7\n"), mmap(1, 4096),
				mark(1, "end cand=A iter=0\n")},
			cand:      "A",
			want:      &result.Syscalls{Mmap: 2, MappedBytes: 8192, PeakBytes: 8192, Iterations: 1, Sizes: []result.SizeCount{{Call: "mmap", Bytes: 4096, Per: 2}}},
			malformed: 1,
		},
		{
			name:      "a begin without end is abandoned",
			events:    []Event{mark(1, "begin cand=A iter=0\n"), mmap(1, 4096), mark(1, "begin cand=A iter=1\n"), mark(1, "end cand=A iter=1\n")},
			cand:      "A",
			want:      &result.Syscalls{Iterations: 1},
			abandoned: 1,
		},
		{
			name:      "exit abandons",
			events:    []Event{mark(1, "begin cand=A iter=0\n"), mmap(1, 4096), {Call: CallExit, Pid: 1}, mark(1, "end cand=A iter=0\n")},
			cand:      "A",
			abandoned: 1,
			malformed: 1,
		},
		{
			name:      "exec abandons",
			events:    []Event{mark(1, "begin cand=A iter=0\n"), {Call: CallExec, Pid: 1}, mmap(1, 4096), mark(1, "end cand=A iter=0\n")},
			cand:      "A",
			outside:   1,
			abandoned: 1,
			malformed: 1,
		},
		{
			name: "garbage",
			events: []Event{mark(1, "\x00\x01\n"), mark(1, "begin cand=A\n"), mark(1, "begin iter=1\n"), mark(1, "end cand=A iter=x\n"),
				mark(1, `"str"`+"\n"), {Call: CallMark, Pid: 1, Text: "begin cand=A it", Truncated: true}, mark(1, "\n\n  \n"),
				{Call: CallMark, Pid: 1, Text: "error cand=A \"Traceback...", Truncated: true}},
			cand:      "A",
			malformed: 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := NewTally()
			for _, e := range tt.events {
				ta.Add(e)
			}
			if got := ta.Syscalls(tt.cand); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Syscalls(%q) =\n %+v\nwant\n %+v", tt.cand, got, tt.want)
			}
			if got := ta.Outside().Mmap; got != tt.outside {
				t.Errorf("outside mmap = %v, want %v", got, tt.outside)
			}
			if ta.Malformed() != tt.malformed || ta.Abandoned() != tt.abandoned {
				t.Errorf("malformed %d, abandoned %d; want %d, %d", ta.Malformed(), ta.Abandoned(), tt.malformed, tt.abandoned)
			}
			checkConsistent(t, ta)
			checkRoundTrip(t, ta)
		})
	}
}

// checkRoundTrip: a Tally survives its trip from the supervisor.
func checkRoundTrip(t *testing.T, ta *Tally) {
	t.Helper()
	b, err := json.Marshal(ta)
	if err != nil {
		t.Fatal(err)
	}
	got := NewTally()
	if err := json.Unmarshal(b, got); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	open := 0
	for _, st := range ta.procs {
		if st.open != nil {
			open++
		}
	}
	if got.Malformed() != ta.Malformed() || got.Abandoned() != ta.Abandoned()+open {
		t.Errorf("after the trip: malformed %d, abandoned %d; before %d, %d+%d open", got.Malformed(), got.Abandoned(), ta.Malformed(), ta.Abandoned(), open)
	}
	if !reflect.DeepEqual(got.Candidates(), ta.Candidates()) || !reflect.DeepEqual(got.Whole(), ta.Whole()) || !reflect.DeepEqual(got.Outside(), ta.Outside()) {
		t.Errorf("after the trip: %v %+v %+v; before %v %+v %+v", got.Candidates(), got.Whole(), got.Outside(), ta.Candidates(), ta.Whole(), ta.Outside())
	}
	for _, c := range ta.Candidates() {
		if !reflect.DeepEqual(got.Syscalls(c), ta.Syscalls(c)) {
			t.Errorf("after the trip %q = %+v, before %+v", c, got.Syscalls(c), ta.Syscalls(c))
		}
	}
}

// FuzzTallyJSON: decoding a tally never panics, and what decodes can be
// queried.
func FuzzTallyJSON(f *testing.F) {
	ta := NewTally()
	for _, e := range []Event{mark(1, "begin cand=A iter=0\n"), mmap(1, 4096), brk(1, -8192), mark(1, "end cand=A iter=0\n"), mark(1, "begin cand=B iter=0\n")} {
		ta.Add(e)
	}
	b, _ := json.Marshal(ta)
	f.Add(b)
	f.Add([]byte(`{"cands":[{"name":"A","counts":{"iters":1,"calls":[1,0,0,0,0],"bytes":[0,0,0,0,0],"size_calls":["brk+"],"size_bytes":[5],"size_n":[1]}}]}`))
	f.Add([]byte(`{"whole":{"calls":[-1,0,0,0,0]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := NewTally()
		if err := json.Unmarshal(b, got); err != nil {
			return
		}
		for _, c := range got.Candidates() {
			if s := got.Syscalls(c); s == nil || s.Iterations <= 0 {
				t.Fatalf("candidate %q without iterations", c)
			}
		}
		got.Whole()
		got.Outside()
	})
}

func TestCandidatesBounded(t *testing.T) {
	ta := NewTally()
	for i := 0; i < maxCands+10; i++ {
		name := strconv.Itoa(i)
		ta.Add(mark(1, "begin cand="+name+" iter=0\n"))
		ta.Add(mmap(1, 4096))
		ta.Add(mark(1, "end cand="+name+" iter=0\n"))
	}
	if n := len(ta.Candidates()); n != maxCands || ta.Malformed() != 10 || ta.Abandoned() != 10 {
		t.Errorf("%d candidates, %d malformed, %d abandoned", n, ta.Malformed(), ta.Abandoned())
	}
	checkConsistent(t, ta)
}

func TestSizesBounded(t *testing.T) {
	ta := NewTally()
	ta.Add(mark(1, "begin cand=A iter=0\n"))
	for i := int64(1); i <= 10000; i++ {
		ta.Add(mmap(1, i*4096))
		ta.Add(Event{Call: CallMadvise, Pid: 1, Size: 4096, Advice: int(i)})
	}
	ta.Add(mark(1, "end cand=A iter=0\n"))
	s := ta.Syscalls("A")
	if len(s.Sizes) != maxSizes || len(s.Advice) > maxAdvice {
		t.Fatalf("%d sizes, %d advice names", len(s.Sizes), len(s.Advice))
	}
	for i := 1; i < len(s.Sizes); i++ {
		if s.Sizes[i].Bytes > s.Sizes[i-1].Bytes {
			t.Errorf("sizes not largest first: %+v", s.Sizes)
			break
		}
	}
	if s.Mmap != 10000 || s.Madvise != 10000 {
		t.Errorf("counts = %v mmap, %v madvise", s.Mmap, s.Madvise)
	}
}

func TestAdviceName(t *testing.T) {
	for adv, want := range map[int]string{4: "MADV_DONTNEED", 8: "MADV_FREE", 14: "MADV_HUGEPAGE", 77: "MADV_77", -1: "MADV_-1"} {
		if got := AdviceName(adv); got != want {
			t.Errorf("AdviceName(%d) = %q, want %q", adv, got, want)
		}
	}
}

// checkConsistent verifies that every traced call is counted exactly once:
// in the totals, and in one of outside, a completed iteration, an
// abandoned iteration or an iteration still open.
func checkConsistent(t *testing.T, ta *Tally) {
	t.Helper()
	var sum counts
	sum.merge(&ta.outside)
	sum.merge(&ta.abandoned)
	for _, c := range ta.cands {
		sum.merge(c)
		if c.iters <= 0 {
			t.Errorf("candidate with %d iterations", c.iters)
		}
	}
	for _, st := range ta.procs {
		if st.open != nil {
			sum.merge(&st.open.c)
		}
	}
	w := ta.whole
	if sum.brk != w.brk || sum.mmap != w.mmap || sum.munmap != w.munmap || sum.mremap != w.mremap || sum.madvise != w.madvise {
		t.Errorf("parts %+v do not add up to the whole %+v", sum, w)
	}
	if len(ta.order) != len(ta.cands) {
		t.Errorf("%d candidates in order, %d counted", len(ta.order), len(ta.cands))
	}
	for _, name := range ta.order {
		s := ta.Syscalls(name)
		if s == nil {
			t.Fatalf("candidate %q listed without iterations", name)
		}
		for _, v := range []float64{s.Brk, s.Mmap, s.Munmap, s.Mremap, s.Madvise, s.BrkGrowBytes, s.BrkShrinkBytes, s.MappedBytes, s.UnmappedBytes, s.AdvisedBytes} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%q: bad value %v in %+v", name, v, s)
			}
		}
		if len(s.Sizes) > maxSizes {
			t.Errorf("%q: %d sizes", name, len(s.Sizes))
		}
	}
}

var fuzzLines = []string{
	"begin cand=A iter=0\n", "end cand=A iter=0 ns=1 minflt=2 majflt=0\n", "begin cand=B iter=1\n", "end cand=B iter=1\n",
	"sample cand=A seq=0 loops=1 ns=5\n", "begin cand=", "A iter=0\n", "end", "\n", "begin cand=A iter=99999999999999999999\n",
}

// FuzzTally feeds arbitrary event sequences and marker text: Tally must
// never panic and every call must be counted exactly once.
func FuzzTally(f *testing.F) {
	f.Add([]byte{6, 1, 0, 2, 1, 9, 6, 1, 1})
	f.Add([]byte{6, 1, 0, 1, 1, 200, 5, 1, 77, 0, 1, 255, 6, 1, 1, 8, 1, 0})
	f.Add([]byte{6, 2, 2, 6, 2, 3, 4, 2, 9, 6, 2, 1, 7, 2, 0})
	f.Fuzz(runFuzzTally)
}

// runFuzzTally decodes data into events: a call, a process and thread, a
// size, and for marks either a known line or raw bytes.
func runFuzzTally(t *testing.T, data []byte) {
	ta := NewTally()
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	for len(data) > 0 {
		code := next()
		e := Event{Pid: int(next() % 4), Tid: int(next() % 8)}
		e.Call = callCodes[1+int(code)%(len(callCodes)-1)]
		var raw [8]byte
		for i := range raw {
			raw[i] = next()
		}
		e.Size = int64(binary.LittleEndian.Uint64(raw[:]))
		if code&0x80 != 0 {
			e.Size = int64(raw[0]) - 128 // small, either sign
		}
		e.Advice = int(int8(raw[1]))
		if e.Call == CallMark {
			k := next()
			if k%5 == 1 {
				// The same boundary, structured, as the perf recorder
				// adds it.
				if b, ok, _ := ParseBoundary(fuzzLines[int(k)%len(fuzzLines)]); ok {
					ta.AddBoundary(e.Pid, b)
					continue
				}
			}
			if k < 200 {
				e.Text = fuzzLines[int(k)%len(fuzzLines)]
			} else {
				n := int(next()) % 64
				for i := 0; i < n && len(data) > 0; i++ {
					e.Text += string(rune(next()))
				}
			}
			e.Truncated = k%7 == 0
		}
		ta.Add(e)
	}
	checkConsistent(t, ta)
	checkRoundTrip(t, ta)
}

// FuzzEventBinary: the decoder rejects garbage without panicking, and
// whatever it accepts encodes back to the same bytes.
func FuzzEventBinary(f *testing.F) {
	for _, e := range []Event{
		{Call: CallBrk, Pid: 1, Tid: 1, Size: -4096, Ret: 0x5555},
		{Call: CallMark, Pid: 7, Tid: 9, Text: "begin cand=A iter=0\n", Truncated: true},
		{Call: CallMmap, Addr: math.MaxUint64, Size: math.MaxInt64, Flags: 0x22},
	} {
		b, err := e.AppendBinary(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Event
		if err := e.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := e.AppendBinary(nil)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", e, err)
		}
		var e2 Event
		if err := e2.UnmarshalBinary(again); err != nil || !reflect.DeepEqual(e, e2) {
			t.Fatalf("round trip: %+v -> %+v (%v)", e, e2, err)
		}
	})
}

// TestPeak: an iteration's peak is the most fresh memory it held at once
// above what its process held when it began, not the volume it mapped:
// a block mapped and unmapped three times peaks at one block, and memory
// held from before the iteration is not its own.
func TestPeak(t *testing.T) {
	const blk = 8 << 20
	ta := NewTally()
	unmap := func(pid int, size int64) Event { return Event{Call: CallMunmap, Pid: pid, Tid: pid, Size: size} }
	events := []Event{mmap(1, 64<<20), brk(1, 1<<20), mark(1, "begin cand=A iter=0\n")}
	for range 3 {
		events = append(events, mmap(1, blk), brk(1, blk/2), brk(1, -blk/2), unmap(1, blk))
	}
	events = append(events, mark(1, "end cand=A iter=0\n"))
	for _, e := range events {
		ta.Add(e)
	}
	s := ta.Syscalls("A")
	if s.MappedBytes != 3*blk || s.BrkGrowBytes != 3*blk/2 {
		t.Fatalf("volumes: mapped %v, grown %v", s.MappedBytes, s.BrkGrowBytes)
	}
	if s.PeakBytes != blk+blk/2 {
		t.Errorf("iteration peak = %v, want %v (one block and one brk step above the start)", s.PeakBytes, blk+blk/2)
	}
	if w := ta.Whole(); w.PeakBytes != 64<<20+1<<20+blk+blk/2 {
		t.Errorf("process peak = %v, want everything held at once since exec", w.PeakBytes)
	}
	checkRoundTrip(t, ta)
}
