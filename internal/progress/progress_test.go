package progress

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the reporter's timer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

func width(n int) func() int { return func() int { return n } }

var seedStatus = Status{Phase: "timing", Candidate: "B", Config: "jemalloc", Round: 12, Rounds: 40,
	Elapsed: 7200 * time.Millisecond, Budget: 20 * time.Second}

func TestStatusString(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{seedStatus, "timing B under jemalloc  [12/40 rounds]  7.2s of 20s"},
		{Status{Phase: "tracing syscalls", Config: "glibc"}, "tracing syscalls under glibc"},
		{Status{Phase: "timing", Candidate: "A", Round: 3}, "timing A  [round 3]"},
		{Status{Phase: "timing", Elapsed: 65 * time.Second, Budget: 2 * time.Minute}, "timing  1m05s of 2m00s"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

// On a pipe (not a terminal) a reporter writes nothing at all: CI logs and
// redirected stderr stay clean.
func TestNotATerminal(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	r := New(pw, Options{})
	if r.Enabled() {
		t.Fatal("a pipe was taken for a terminal")
	}
	r.Update(seedStatus)
	r.Message("calibrating A")
	r.Clear()
	r.Close()
	pw.Close()
	out, _ := io.ReadAll(pr)
	if len(out) != 0 {
		t.Errorf("wrote %q to a pipe", out)
	}
}

func TestQuiet(t *testing.T) {
	var b syncBuffer
	r := newReporter(&b, true, width(80), Options{Quiet: true}, env())
	r.Update(seedStatus)
	r.Close()
	if b.String() != "" {
		t.Errorf("Quiet reporter wrote %q", b.String())
	}
}

func TestDrawAndClear(t *testing.T) {
	var b syncBuffer
	r := newReporter(&b, true, width(200), Options{NoColor: true}, env())
	r.Update(seedStatus)
	want := "\rtiming B under jemalloc  [12/40 rounds]  7.2s of 20s\x1b[K"
	if b.String() != want {
		t.Fatalf("drew %q, want %q", b.String(), want)
	}
	r.Clear()
	if !strings.HasSuffix(b.String(), "\r\x1b[K") {
		t.Errorf("Clear did not erase the line: %q", b.String())
	}
	r.Clear() // nothing shown: nothing to erase
	if strings.Count(b.String(), "\r\x1b[K") != 1 {
		t.Errorf("a second Clear wrote again: %q", b.String())
	}
}

func TestColorAndNoColor(t *testing.T) {
	for _, tt := range []struct {
		name   string
		env    func(string) string
		opt    Options
		escape bool // any escape code at all
		dim    bool
	}{
		{"colour", env(), Options{}, true, true},
		{"NO_COLOR", env("NO_COLOR", "1"), Options{}, true, false},
		{"--no-color", env(), Options{NoColor: true}, true, false},
		// A dumb terminal gets neither colour nor erase-line codes.
		{"TERM=dumb", env("TERM", "dumb"), Options{}, false, false},
	} {
		var b syncBuffer
		r := newReporter(&b, true, width(200), tt.opt, tt.env)
		r.Update(seedStatus)
		r.Update(Status{Phase: "x"}) // throttled: pending until Close stops it
		r.Close()
		out := b.String()
		if got := strings.Contains(out, "\x1b"); got != tt.escape {
			t.Errorf("%s: escape codes = %v, want %v: %q", tt.name, got, tt.escape, out)
		}
		if got := strings.Contains(out, "\x1b[2m"); got != tt.dim {
			t.Errorf("%s: dim = %v, want %v: %q", tt.name, got, tt.dim, out)
		}
	}
}

// A dumb terminal cannot erase to the end of the line, so a shorter status
// is padded with spaces over the longer one before it.
func TestDumbTerminalPads(t *testing.T) {
	var b syncBuffer
	r := newReporter(&b, true, width(200), Options{}, env("TERM", "dumb"))
	r.now = func() time.Time { return time.Time{}.Add(time.Hour) }
	r.Message("a long status line")
	r.last = time.Time{} // let the next update draw at once
	r.Message("short")
	if !strings.Contains(b.String(), "\rshort"+strings.Repeat(" ", 13)+"\rshort") {
		t.Errorf("no padding over the longer line: %q", b.String())
	}
}

func TestTruncatesToWidth(t *testing.T) {
	var b syncBuffer
	r := newReporter(&b, true, width(20), Options{}, env())
	r.Update(seedStatus)
	line := strings.TrimSuffix(strings.TrimPrefix(b.String(), "\r"), "\x1b[K")
	if n := visibleWidth(line); n > 19 {
		t.Errorf("line is %d columns on a 20-column terminal: %q", n, line)
	}
	if !strings.HasSuffix(line, "\x1b[0m") {
		t.Errorf("a cut inside a styled part must reset attributes: %q", line)
	}
}

// Updates faster than 10 Hz are coalesced, and the last one is drawn
// when the throttle window ends.
func TestThrottle(t *testing.T) {
	var b syncBuffer
	r := newReporter(&b, true, width(200), Options{NoColor: true}, env())
	for i := range 50 {
		r.Message(fmt.Sprintf("round %d", i))
	}
	if n := strings.Count(b.String(), "\r"); n != 1 {
		t.Errorf("50 updates in a burst drew %d times, want 1 until the window ends", n)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(b.String(), "round 49") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(b.String(), "round 49") {
		t.Fatalf("the last update was never drawn: %q", b.String())
	}
	if n := strings.Count(b.String(), "\r"); n != 2 {
		t.Errorf("drew %d times, want 2 (first update, then the latest)", n)
	}
	r.Close()
}

func TestPrintfKeepsStatusBelow(t *testing.T) {
	var b syncBuffer
	r := newReporter(&b, true, width(200), Options{NoColor: true}, env())
	r.Message("timing A")
	r.Printf("warning: %s", "no PMU")
	want := "\rtiming A\x1b[K\r\x1b[Kwarning: no PMU\n\rtiming A\x1b[K"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	// Not a terminal: the text alone.
	var p syncBuffer
	np := newReporter(&p, false, width(0), Options{}, env())
	np.Message("timing A")
	np.Printf("warning: no PMU")
	if p.String() != "warning: no PMU\n" {
		t.Errorf("non-terminal Printf wrote %q", p.String())
	}
}

func TestMessageSanitized(t *testing.T) {
	var b syncBuffer
	r := newReporter(&b, true, width(200), Options{}, env())
	r.Message("a\nb\x1b[2Jc")
	if strings.Contains(b.String(), "\x1b[2J") || strings.Contains(b.String(), "\n") {
		t.Errorf("message escaped its line: %q", b.String())
	}
}

func TestCloseStops(t *testing.T) {
	var b syncBuffer
	r := newReporter(&b, true, width(200), Options{}, env())
	r.Message("one")
	r.Message("two") // throttled, timer pending
	r.Close()
	before := b.String()
	r.Message("three")
	time.Sleep(3 * DefaultInterval)
	if b.String() != before {
		t.Errorf("wrote after Close: %q", strings.TrimPrefix(b.String(), before))
	}
	if r.Enabled() {
		t.Error("Enabled after Close")
	}
	var nilR *Reporter
	nilR.Update(seedStatus) // a nil reporter is a valid "off" reporter
	nilR.Close()
}

func TestConcurrentUse(t *testing.T) {
	var b syncBuffer
	r := newReporter(&b, true, width(80), Options{}, env())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				switch i % 4 {
				case 0:
					r.Update(Status{Phase: "timing", Candidate: fmt.Sprint(g), Round: i})
				case 1:
					r.Message("calibrating")
				case 2:
					r.Clear()
				default:
					if i%40 == 3 {
						r.Printf("note %d", i)
					}
				}
			}
		}()
	}
	wg.Wait()
	r.Close()
}
