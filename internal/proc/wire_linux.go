package proc

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/memtrace"
)

// The supervisor talks to faultline over two pipes. faultline writes one
// JSON config and closes its end; the supervisor answers with frames: a
// kind byte, a little-endian uint32 payload length, the payload. Control
// frames carry JSON, event frames memtrace.Event's binary form.
const (
	frameStarted = 'S' // startedMsg: the target exec'd
	frameFailed  = 'F' // failedMsg: the target could not be started
	frameEvent   = 'E' // a memtrace.Event
	frameExit    = 'X' // exitMsg: the target and its leftovers are gone
)

// maxFrame bounds a frame's payload: an event is at most memtrace.MaxMark
// plus 60 bytes, an exit report a few KiB plus the tally, which its own
// bounds keep to some MiB even for a target that marks all it can.
const maxFrame = 64 << 20

// config is what the supervisor (and, from it, the exec helper) needs to
// know about the target.
type config struct {
	Parent   int      `json:"parent"` // faultline's pid
	Path     string   `json:"path"`
	Argv     []string `json:"argv"`
	Env      []string `json:"env"`
	Extra    int      `json:"extra"` // inherited descriptors 3 .. 3+Extra-1
	Counters bool     `json:"counters"`
	Trace    bool     `json:"trace"`
	MarkFD   int      `json:"mark_fd"` // Spec.Marks in the target; 0: none
	// Listener asks the exec helper to hand the supervisor a seccomp
	// listener (Tracer.Listener).
	Listener bool `json:"listener"`
	// Stream asks for every trace event as a frame (Options.OnEvent);
	// otherwise the supervisor only tallies them.
	Stream bool `json:"stream"`
}

type startedMsg struct {
	Pid int `json:"pid"`
}

type failedMsg struct {
	Err string `json:"err"`
}

type exitMsg struct {
	Status uint32 `json:"status"` // the target's wait status
	WallNS int64  `json:"wall_ns"`
	Rusage usage  `json:"rusage"`
	// PreMinFlt and PreMajFlt are the exec helper's faults before it
	// exec'd the target, subtracted from the target's rusage.
	PreMinFlt int64 `json:"pre_minflt,omitempty"`
	PreMajFlt int64 `json:"pre_majflt,omitempty"`
	// PreUTimeNS and PreSTimeNS are its CPU time before the exec.
	PreUTimeNS int64 `json:"pre_utime_ns,omitempty"`
	PreSTimeNS int64 `json:"pre_stime_ns,omitempty"`

	Counters     map[string]float64 `json:"counters,omitempty"`
	CounterNotes []string           `json:"counter_notes,omitempty"`
	// Fallback is set when perf_event_open was refused: the note to give,
	// counters then come from rusage.
	Fallback string `json:"fallback,omitempty"`
	// UserOnly: the counters exclude the kernel, so context-switches must
	// come from rusage.
	UserOnly bool `json:"user_only,omitempty"`

	Trace *memtrace.Stats `json:"trace,omitempty"`
	// Tally is the supervisor's memtrace.Tally of the run.
	Tally json.RawMessage `json:"tally,omitempty"`
	// Err reports supervisor trouble after the start (a tracer failure).
	Err string `json:"err,omitempty"`
}

type usage struct {
	MinFlt, MajFlt, MaxRSSKiB, UTimeNS, STimeNS, NVCSW, NIVCSW int64
}

// frameWriter batches frames into one pipe write: the tracer emits events
// while its tracee is stopped, so an event must cost an append, not a
// system call. A goroutine flushes shortly after the first unflushed frame,
// at once for control frames and whenever the batch grows large.
type frameWriter struct {
	mu      sync.Mutex
	buf     []byte
	spare   []byte // the buffer last written, reused (flush only)
	err     error
	f       *os.File
	pending chan struct{} // buffered; something to flush
	urgent  chan struct{} // buffered; flush now
	quit    chan struct{}
	stopped chan struct{}
}

// Flush batching: wait this long after the first unflushed event, or until
// this many bytes are buffered.
const (
	flushDelay = 10 * time.Millisecond
	flushBytes = 256 << 10
)

func newFrameWriter(f *os.File) *frameWriter {
	w := &frameWriter{f: f, pending: make(chan struct{}, 1), urgent: make(chan struct{}, 1),
		quit: make(chan struct{}), stopped: make(chan struct{})}
	go w.loop()
	return w
}

func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (w *frameWriter) loop() {
	defer close(w.stopped)
	for {
		select {
		case <-w.pending:
			// Let a batch of events gather: one write per batch.
			t := time.NewTimer(flushDelay)
			select {
			case <-t.C:
			case <-w.urgent:
			case <-w.quit:
				t.Stop()
				return
			}
			t.Stop()
		case <-w.urgent:
		case <-w.quit:
			return
		}
		w.flush()
	}
}

// flush writes what is buffered. Only the loop calls it, and close after
// the loop has stopped, so spare needs no lock.
func (w *frameWriter) flush() {
	w.mu.Lock()
	b := w.buf
	w.buf = w.spare[:0]
	w.mu.Unlock()
	w.spare = b
	if len(b) == 0 {
		return
	}
	if _, err := w.f.Write(b); err != nil {
		w.mu.Lock()
		if w.err == nil {
			w.err = err
		}
		w.mu.Unlock()
	}
}

// frame appends one frame; fill appends the payload.
func (w *frameWriter) frame(kind byte, urgent bool, fill func([]byte) []byte) {
	w.mu.Lock()
	start := len(w.buf)
	w.buf = append(w.buf, kind, 0, 0, 0, 0)
	w.buf = fill(w.buf)
	binary.LittleEndian.PutUint32(w.buf[start+1:], uint32(len(w.buf)-start-5))
	n := len(w.buf)
	w.mu.Unlock()
	switch {
	case urgent || n >= flushBytes:
		notify(w.urgent)
	case start == 0:
		notify(w.pending)
	}
}

func (w *frameWriter) event(e memtrace.Event) {
	w.frame(frameEvent, false, func(b []byte) []byte {
		out, err := e.AppendBinary(b)
		if err != nil {
			return b
		}
		return out
	})
}

func (w *frameWriter) json(kind byte, v any) {
	payload, err := json.Marshal(v)
	if err != nil {
		payload, _ = json.Marshal(failedMsg{Err: err.Error()})
	}
	w.frame(kind, true, func(b []byte) []byte { return append(b, payload...) })
}

// close flushes everything and closes the pipe.
func (w *frameWriter) close() error {
	close(w.quit)
	<-w.stopped
	w.flush()
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readFrame reads one frame into buf (grown as needed).
func readFrame(r *bufio.Reader, buf []byte) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return 0, nil, fmt.Errorf("supervisor report cut short")
		}
		return 0, nil, err
	}
	n := binary.LittleEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("supervisor frame of %d bytes exceeds %d", n, maxFrame)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, fmt.Errorf("supervisor report cut short: %w", err)
	}
	return hdr[0], buf, nil
}
