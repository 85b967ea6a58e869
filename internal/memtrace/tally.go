package memtrace

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/faultline/faultline/internal/result"
)

// Tally attributes traced system calls to candidate iterations.
//
// An iteration of candidate X runs in one process between the Boundary
// that begins it and the one that ends it (AddBoundary). Every memory
// system call made by any thread of that process in between belongs to
// that iteration of X; calls of other processes, and calls made outside a
// begin/end pair, are "outside". Only completed pairs count: an iteration
// that never ended (the target died, exec'd, or began another one) is
// abandoned, and its calls are kept apart so that the per-iteration means
// are not diluted or inflated by a partial iteration.
//
// Boundaries come from the target, so Tally accepts anything: a boundary
// without a candidate, or an end that does not match the open begin, is
// counted in Malformed and otherwise ignored, as are marker lines that do
// not parse (see Add). Tally is not safe for concurrent use.
type Tally struct {
	procs     map[int]*procState
	cands     map[string]*counts
	order     []string
	whole     counts
	outside   counts
	abandoned counts
	malformed int
	dropped   int // abandoned iterations
}

type procState struct {
	open  *openIter
	carry string // an incomplete last line of a marker write
	// maps are the process's live file mappings and reservations, so
	// that an munmap or mprotect can say what it unmaps or commits.
	maps []region
	// footprint is the fresh memory the process has mapped, grown and
	// committed, less what it gave back, since its exec: what a fork of
	// it shares copy-on-write, at most.
	footprint int64
}

type openIter struct {
	cand string
	iter int64
	c    counts
	// start is the process's footprint when the iteration began: the
	// iteration's peak is measured above it.
	start int64
}

// counts accumulates system calls. Byte volumes saturate instead of
// overflowing: sizes come from the target.
type counts struct {
	iters                                         int
	brk, mmap, munmap, mremap, madvise            int64
	brkGrow, brkShrink, mapped, unmapped, advised int64
	// peak is the most fresh memory held at once above the span's
	// start (a process's exec, an iteration's begin): a maximum, not a
	// sum, so merging keeps the largest.
	peak int64
	// class holds the counts by mapping class and process creation,
	// indexed by the class* constants.
	class   [nClass]int64
	advice  map[string]int64
	sizes   map[sizeKey]int64
	issuers map[issuerKey]issuerCount
}

// Indexes of counts.class: mprotect calls; bytes mapped from files,
// reserved (PROT_NONE), committed (mprotect to writable) and decommitted
// (mprotect to PROT_NONE); processes created with a copy of the caller's
// memory (fork) and sharing it (vfork, posix_spawn), the footprint the
// forks shared, and programs executed.
const (
	classMprotect = iota
	classFile
	classReserved
	classCommitted
	classDecommitted
	classForks
	classSpawns
	classForked
	classExecs
	nClass
)

type sizeKey struct {
	call  string
	bytes int64
}

// Bounds on what one Tally keeps, whatever the target does: candidates,
// distinct advice names and distinct (call, size) pairs per candidate.
const (
	maxCands    = 256
	maxAdvice   = 64
	maxSizeKeys = 1024
	// maxSizes bounds result.Syscalls.Sizes: the entries with the largest
	// byte volume are kept.
	maxSizes = 48
)

// NewTally returns an empty Tally.
func NewTally() *Tally {
	return &Tally{procs: make(map[int]*procState), cands: make(map[string]*counts)}
}

func (t *Tally) proc(pid int) *procState {
	st := t.procs[pid]
	if st == nil {
		st = &procState{}
		t.procs[pid] = st
	}
	return st
}

// Add consumes one event. A marker write (CallMark) is split into
// protocol lines, a line cut by the end of the write joined with the
// rest from the next one; the begin and end records among them are
// boundaries (ParseBoundary), records of other verbs (a probe's samples on
// the same descriptor) are ignored.
func (t *Tally) Add(e Event) {
	switch e.Call {
	case CallBrk, CallMmap, CallMunmap, CallMremap, CallMadvise, CallMprotect:
		st := t.proc(e.Pid)
		key := st.classify(e)
		st.track(e, key)
		t.count(st, func(c *counts) { c.add(e, key) })
		t.peak(st)
	case CallFork:
		st := t.proc(e.Pid)
		t.count(st, func(c *counts) { c.fork(e, st.footprint) })
		if child := int(e.Ret); child > 0 && child != e.Pid && e.Copies() {
			ch := t.proc(child)
			ch.maps, ch.footprint = append([]region(nil), st.maps...), st.footprint
		}
	case CallMark:
		t.mark(e)
	case CallExec:
		st := t.procs[e.Pid]
		t.count(st, func(c *counts) { c.class[classExecs]++ })
		// A new program image: whatever iteration the old one had open
		// will never end.
		if st != nil {
			t.abandon(st)
			st.carry = ""
			st.maps, st.footprint = nil, 0
		}
	case CallExit:
		if st := t.procs[e.Pid]; st != nil {
			t.abandon(st)
			delete(t.procs, e.Pid)
		}
	}
}

// count applies f to the totals and to the iteration st has open, or to
// the counts outside any iteration.
func (t *Tally) count(st *procState, f func(*counts)) {
	f(&t.whole)
	if st != nil && st.open != nil {
		f(&st.open.c)
	} else {
		f(&t.outside)
	}
}

// peak raises the peaks of the totals and of the span st is in to its
// footprint now.
func (t *Tally) peak(st *procState) {
	t.whole.peak = max(t.whole.peak, st.footprint)
	if st.open != nil {
		st.open.c.peak = max(st.open.c.peak, st.footprint-st.open.start)
	} else {
		t.outside.peak = max(t.outside.peak, st.footprint)
	}
}

func (t *Tally) abandon(st *procState) {
	if st.open != nil {
		t.abandoned.merge(&st.open.c)
		t.dropped++
		st.open = nil
	}
}

// AddBoundary records that an iteration of b.Cand begins or ends in
// process pid, between the events added before and those added after.
func (t *Tally) AddBoundary(pid int, b Boundary) { t.boundary(t.proc(pid), b) }

func (t *Tally) boundary(st *procState, b Boundary) {
	if b.Cand == "" {
		t.malformed++
		return
	}
	if !b.End {
		t.abandon(st)
		st.open = &openIter{cand: b.Cand, iter: b.Iter, start: st.footprint}
		return
	}
	if st.open == nil || st.open.cand != b.Cand || st.open.iter != b.Iter {
		t.malformed++
		return
	}
	c := t.cands[b.Cand]
	if c == nil && len(t.cands) >= maxCands {
		t.malformed++
		t.abandon(st)
		return
	}
	if c == nil {
		c = &counts{}
		t.cands[b.Cand] = c
		t.order = append(t.order, b.Cand)
	}
	c.merge(&st.open.c)
	c.iters++
	st.open = nil
}

// Candidates lists the candidates with at least one completed iteration,
// in the order their first iteration completed.
func (t *Tally) Candidates() []string { return append([]string(nil), t.order...) }

// Syscalls returns the per-iteration means of cand's completed iterations,
// or nil when cand completed none.
func (t *Tally) Syscalls(cand string) *result.Syscalls {
	c := t.cands[cand]
	if c == nil || c.iters == 0 {
		return nil
	}
	return c.perIteration(c.iters)
}

// Whole returns the totals of every traced call, marked or not, as one
// iteration: the view of a process that marks nothing.
func (t *Tally) Whole() *result.Syscalls { return t.whole.perIteration(1) }

// Outside returns the totals of the calls made outside any iteration
// (start-up, set-up, other processes), as one iteration.
func (t *Tally) Outside() *result.Syscalls { return t.outside.perIteration(1) }

// Malformed counts marker lines that did not parse, begin/end records
// without a candidate or iteration number, begin or end lines cut short,
// boundaries without a candidate and ends that matched no open begin.
func (t *Tally) Malformed() int { return t.malformed }

// Abandoned counts iterations that began but never ended.
func (t *Tally) Abandoned() int { return t.dropped }

func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// length turns a size from the target into a byte volume: negative values
// (a length above 2^63 read as int64) count as the largest volume.
func length(n int64) int64 {
	if n < 0 {
		return math.MaxInt64
	}
	return n
}

func (c *counts) fork(e Event, footprint int64) {
	if e.Copies() {
		c.class[classForks]++
		c.class[classForked] = satAdd(c.class[classForked], footprint)
	} else if e.Flags&CloneThread == 0 {
		c.class[classSpawns]++
	}
}

func (c *counts) add(e Event, key string) {
	switch e.Call {
	case CallBrk:
		c.brk++
		switch {
		case e.Size > 0:
			c.brkGrow = satAdd(c.brkGrow, e.Size)
			c.size("brk+", e.Size, 1)
			c.issued("brk+", e.Size, e.Site)
		case e.Size < 0:
			n := -e.Size
			if n < 0 { // -MinInt64
				n = math.MaxInt64
			}
			c.brkShrink = satAdd(c.brkShrink, n)
			c.size("brk-", n, 1)
			c.issued("brk-", n, e.Site)
		}
	case CallMmap:
		c.mmap++
		switch key {
		case CallMmap:
			c.mapped = satAdd(c.mapped, length(e.Size))
		case CallMmap + ":" + ClassFile:
			c.class[classFile] = satAdd(c.class[classFile], length(e.Size))
		default:
			c.class[classReserved] = satAdd(c.class[classReserved], length(e.Size))
		}
		c.size(key, length(e.Size), 1)
		c.issued(key, length(e.Size), e.Site)
	case CallMunmap:
		c.munmap++
		c.unmapped = satAdd(c.unmapped, length(e.Size))
		c.size(key, length(e.Size), 1)
		c.issued(key, length(e.Size), e.Site)
	case CallMprotect:
		c.class[classMprotect]++
		switch key {
		case MprotectCommit:
			c.class[classCommitted] = satAdd(c.class[classCommitted], length(e.Size))
		case MprotectDecommit:
			c.class[classDecommitted] = satAdd(c.class[classDecommitted], length(e.Size))
		}
		c.size(key, length(e.Size), 1)
		c.issued(key, length(e.Size), e.Site)
	case CallMremap:
		c.mremap++
		c.size(CallMremap, length(e.Size), 1)
		c.issued(CallMremap, length(e.Size), e.Site)
	case CallMadvise:
		c.madvise++
		c.advised = satAdd(c.advised, length(e.Size))
		name := AdviceName(e.Advice)
		if c.advice == nil {
			c.advice = make(map[string]int64)
		}
		if _, ok := c.advice[name]; !ok && len(c.advice) >= maxAdvice-1 {
			// The last slot is MADV_other's.
			name = "MADV_other"
		}
		c.advice[name]++
		c.size("madvise:"+name, length(e.Size), 1)
		c.issued("madvise:"+name, length(e.Size), e.Site)
	}
}

func (c *counts) size(call string, bytes, n int64) {
	if bytes == 0 {
		return
	}
	k := sizeKey{call, bytes}
	if c.sizes == nil {
		c.sizes = make(map[sizeKey]int64)
	}
	if _, ok := c.sizes[k]; !ok && len(c.sizes) >= maxSizeKeys {
		return
	}
	c.sizes[k] = satAdd(c.sizes[k], n)
}

func (c *counts) merge(o *counts) {
	for i, v := range o.class {
		c.class[i] = satAdd(c.class[i], v)
	}
	c.brk += o.brk
	c.mmap += o.mmap
	c.munmap += o.munmap
	c.mremap += o.mremap
	c.madvise += o.madvise
	c.brkGrow = satAdd(c.brkGrow, o.brkGrow)
	c.brkShrink = satAdd(c.brkShrink, o.brkShrink)
	c.mapped = satAdd(c.mapped, o.mapped)
	c.unmapped = satAdd(c.unmapped, o.unmapped)
	c.advised = satAdd(c.advised, o.advised)
	c.peak = max(c.peak, o.peak)
	for k, v := range o.advice {
		if c.advice == nil {
			c.advice = make(map[string]int64)
		}
		if _, ok := c.advice[k]; !ok && len(c.advice) >= maxAdvice-1 {
			k = "MADV_other"
		}
		c.advice[k] += v
	}
	for k, v := range o.sizes {
		c.size(k.call, k.bytes, v)
	}
	for k, v := range o.issuers {
		c.issue(k, v)
	}
}

func (c *counts) perIteration(iters int) *result.Syscalls {
	n := float64(iters)
	s := &result.Syscalls{
		Brk:              float64(c.brk) / n,
		Mmap:             float64(c.mmap) / n,
		Munmap:           float64(c.munmap) / n,
		Mremap:           float64(c.mremap) / n,
		Madvise:          float64(c.madvise) / n,
		BrkGrowBytes:     float64(c.brkGrow) / n,
		BrkShrinkBytes:   float64(c.brkShrink) / n,
		MappedBytes:      float64(c.mapped) / n,
		UnmappedBytes:    float64(c.unmapped) / n,
		AdvisedBytes:     float64(c.advised) / n,
		Mprotect:         float64(c.class[classMprotect]) / n,
		FileMappedBytes:  float64(c.class[classFile]) / n,
		ReservedBytes:    float64(c.class[classReserved]) / n,
		CommittedBytes:   float64(c.class[classCommitted]) / n,
		DecommittedBytes: float64(c.class[classDecommitted]) / n,
		Forks:            float64(c.class[classForks]) / n,
		ForkedBytes:      float64(c.class[classForked]) / n,
		Spawns:           float64(c.class[classSpawns]) / n,
		Execs:            float64(c.class[classExecs]) / n,
		PeakBytes:        float64(c.peak),
		Iterations:       iters,
	}
	if len(c.advice) > 0 {
		s.Advice = make(map[string]float64, len(c.advice))
		for k, v := range c.advice {
			s.Advice[k] = float64(v) / n
		}
	}
	keys := make([]sizeKey, 0, len(c.sizes))
	for k := range c.sizes {
		keys = append(keys, k)
	}
	// Keep the sizes that moved the most bytes, then list them largest
	// first: the evidence a finding quotes ("brk +7.6 MiB, 3 per call").
	volume := func(k sizeKey) float64 { return float64(k.bytes) * float64(c.sizes[k]) }
	sort.Slice(keys, func(i, j int) bool {
		if vi, vj := volume(keys[i]), volume(keys[j]); vi != vj {
			return vi > vj
		}
		return less(keys[i], keys[j])
	})
	if len(keys) > maxSizes {
		keys = keys[:maxSizes]
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	for _, k := range keys {
		s.Sizes = append(s.Sizes, result.SizeCount{Call: k.call, Bytes: k.bytes, Per: float64(c.sizes[k]) / n})
	}
	s.Issuers = c.issuersPerIteration(n)
	return s
}

// less orders sizes largest first, then by call name.
func less(a, b sizeKey) bool {
	if a.bytes != b.bytes {
		return a.bytes > b.bytes
	}
	return a.call < b.call
}

// The supervisor process that traces a target tallies as it goes and
// hands faultline the finished Tally in this form, so that events need
// not cross a pipe while the target runs.
type tallyState struct {
	Cands     []candState `json:"cands"`
	Whole     countsState `json:"whole"`
	Outside   countsState `json:"outside"`
	Abandoned countsState `json:"abandoned"`
	Malformed int         `json:"malformed"`
	Dropped   int         `json:"dropped"`
}

type candState struct {
	Name   string      `json:"name"`
	Counts countsState `json:"counts"`
}

type countsState struct {
	Iters     int              `json:"iters,omitempty"`
	Calls     [5]int64         `json:"calls"` // brk, mmap, munmap, mremap, madvise
	Bytes     [5]int64         `json:"bytes"` // brk grow, brk shrink, mapped, unmapped, advised
	Advice    map[string]int64 `json:"advice,omitempty"`
	SizeCalls []string         `json:"size_calls,omitempty"`
	SizeBytes []int64          `json:"size_bytes,omitempty"`
	SizeN     []int64          `json:"size_n,omitempty"`
	Issuers   []issuerState    `json:"issuers,omitempty"`
	// mprotect calls; bytes mapped from files, reserved, committed and
	// decommitted; forks, spawns and the footprint the forks copied.
	Classes [nClass]int64 `json:"classes"`
	Peak    int64         `json:"peak,omitempty"`
}

func (c *counts) state() countsState {
	s := countsState{
		Iters:   c.iters,
		Calls:   [5]int64{c.brk, c.mmap, c.munmap, c.mremap, c.madvise},
		Bytes:   [5]int64{c.brkGrow, c.brkShrink, c.mapped, c.unmapped, c.advised},
		Advice:  c.advice,
		Issuers: c.issuerStates(),
		Classes: c.class,
		Peak:    c.peak,
	}
	for k, n := range c.sizes {
		s.SizeCalls = append(s.SizeCalls, k.call)
		s.SizeBytes = append(s.SizeBytes, k.bytes)
		s.SizeN = append(s.SizeN, n)
	}
	return s
}

func (s *countsState) counts() (counts, error) {
	c := counts{iters: s.Iters,
		brk: s.Calls[0], mmap: s.Calls[1], munmap: s.Calls[2], mremap: s.Calls[3], madvise: s.Calls[4],
		brkGrow: s.Bytes[0], brkShrink: s.Bytes[1], mapped: s.Bytes[2], unmapped: s.Bytes[3], advised: s.Bytes[4]}
	c.class, c.peak = s.Classes, s.Peak
	for _, v := range append(append(append(s.Calls[:], s.Bytes[:]...), s.Classes[:]...), s.Peak) {
		if v < 0 {
			return c, fmt.Errorf("negative count %d", v)
		}
	}
	if s.Iters < 0 || len(s.Advice) > maxAdvice+1 || len(s.SizeCalls) > maxSizeKeys ||
		len(s.SizeBytes) != len(s.SizeCalls) || len(s.SizeN) != len(s.SizeCalls) {
		return c, fmt.Errorf("malformed counts")
	}
	for k, v := range s.Advice {
		if v < 0 {
			return c, fmt.Errorf("negative advice count")
		}
		if c.advice == nil {
			c.advice = make(map[string]int64)
		}
		c.advice[k] = v
	}
	for i, call := range s.SizeCalls {
		if s.SizeBytes[i] <= 0 || s.SizeN[i] <= 0 {
			return c, fmt.Errorf("malformed size entry")
		}
		c.size(call, s.SizeBytes[i], s.SizeN[i])
	}
	if len(s.Issuers) > maxIssuerKeys {
		return c, fmt.Errorf("malformed counts: %d issuer groups", len(s.Issuers))
	}
	for _, is := range s.Issuers {
		if !is.valid() {
			return c, fmt.Errorf("malformed issuer entry")
		}
		c.issue(is.key(), issuerCount{is.N, is.Bytes})
	}
	return c, nil
}

// MarshalJSON encodes the Tally as it stands. Iterations still open can
// no longer end (the run is over) and are counted as abandoned.
func (t *Tally) MarshalJSON() ([]byte, error) {
	st := tallyState{Whole: t.whole.state(), Outside: t.outside.state(), Malformed: t.malformed, Dropped: t.dropped}
	abandoned := counts{}
	abandoned.merge(&t.abandoned)
	for _, p := range t.procs {
		if p.open != nil {
			abandoned.merge(&p.open.c)
			st.Dropped++
		}
	}
	st.Abandoned = abandoned.state()
	for _, name := range t.order {
		st.Cands = append(st.Cands, candState{Name: name, Counts: t.cands[name].state()})
	}
	return json.Marshal(st)
}

// UnmarshalJSON replaces t with a Tally encoded by MarshalJSON.
func (t *Tally) UnmarshalJSON(b []byte) error {
	var st tallyState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("decode tally: %w", err)
	}
	n := NewTally()
	var err error
	if n.whole, err = st.Whole.counts(); err != nil {
		return fmt.Errorf("decode tally: %w", err)
	}
	if n.outside, err = st.Outside.counts(); err != nil {
		return fmt.Errorf("decode tally: %w", err)
	}
	if n.abandoned, err = st.Abandoned.counts(); err != nil {
		return fmt.Errorf("decode tally: %w", err)
	}
	if st.Malformed < 0 || st.Dropped < 0 || len(st.Cands) > maxCands {
		return fmt.Errorf("decode tally: bad totals")
	}
	n.malformed, n.dropped = st.Malformed, st.Dropped
	for _, cs := range st.Cands {
		c, err := cs.Counts.counts()
		if err != nil {
			return fmt.Errorf("decode tally: candidate %q: %w", cs.Name, err)
		}
		if c.iters <= 0 || cs.Name == "" || n.cands[cs.Name] != nil {
			return fmt.Errorf("decode tally: bad candidate %q", cs.Name)
		}
		n.cands[cs.Name] = &c
		n.order = append(n.order, cs.Name)
	}
	*t = *n
	return nil
}
