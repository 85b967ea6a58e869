package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/faultline/faultline/internal/progress"
	"github.com/faultline/faultline/internal/report"
	"github.com/faultline/faultline/internal/result"
)

// live is what one measurement shows on stderr while it runs: its phase,
// and its answer as soon as the baseline is traced, updated as the
// experiments confirm or change it. The full report follows on stdout at
// the end; the JSON is written once, complete.
//
//   - On a terminal: the updating status line, with the answer's lines
//     printed above it.
//   - Elsewhere (a CI log, a file): one line per phase with the elapsed
//     time, at least every heartbeat while a phase lasts, and the answer's
//     lines with theirs.
//   - With FAULTLINE_PHASE_LOG set (the Python package, the reliability
//     tests): every message as "phase: ..." and the answer's lines as
//     "answer: ...", for a program to read.
//   - With --quiet: nothing.
type live struct {
	mu    sync.Mutex
	w     io.Writer
	rep   *progress.Reporter // the terminal's status line
	lines bool               // one line per phase, with elapsed times
	log   bool               // FAULTLINE_PHASE_LOG
	start time.Time

	phase   string    // the phase last printed (lines)
	latest  string    // the latest message
	printed time.Time // when a line was last printed (lines)
	shown   map[string]string
	proving bool // "proving: ..." was shown
	ticker  *time.Ticker
	stop    chan struct{}
}

// heartbeat is how long a phase may go on before its latest message is
// printed again, in lines mode: a CI log shows a line at least this often.
const heartbeat = 4 * time.Second

// newLive returns the display of one measurement; close it when the
// measurement ends.
func newLive(out *outputFlags) *live {
	l := &live{w: os.Stderr, start: time.Now(), shown: map[string]string{}}
	switch {
	case os.Getenv("FAULTLINE_PHASE_LOG") != "":
		l.log = true
	case out.quiet:
	case term.IsTerminal(int(os.Stderr.Fd())):
		l.rep = progress.New(os.Stderr, progress.Options{NoColor: out.noColor})
		if !l.rep.Enabled() {
			l.rep = nil
		}
	default:
		l.lines = true
		l.stop = make(chan struct{})
		l.ticker = time.NewTicker(time.Second)
		go l.beat()
	}
	return l
}

// shows says anything is shown: not --quiet, and a terminal that can
// draw the status line, a log, or a program reading phase: lines.
func (l *live) shows() bool { return l.rep != nil || l.lines || l.log }

// progress is the pipeline's Request.Progress: nil when nothing shows.
func (l *live) progress() func(string) {
	if !l.shows() {
		return nil
	}
	return l.message
}

// answer is the pipeline's Request.Answer: nil when nothing shows.
func (l *live) answer() func(*result.Result, string) {
	if !l.shows() {
		return nil
	}
	return l.show
}

func (l *live) message(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.log:
		fmt.Fprintln(l.w, "phase:", msg)
	case l.rep != nil:
		l.rep.Message(msg)
	case l.lines:
		l.latest = msg
		if p := phaseOf(msg); p != l.phase {
			l.phase = p
			l.printLocked(msg)
		}
	}
}

// beat prints the latest message of a phase that has gone on for a
// heartbeat without a line.
func (l *live) beat() {
	for {
		select {
		case <-l.stop:
			return
		case <-l.ticker.C:
			l.mu.Lock()
			if l.latest != "" && time.Since(l.printed) >= heartbeat {
				l.printLocked(l.latest)
			}
			l.mu.Unlock()
		}
	}
}

func (l *live) printLocked(msg string) {
	fmt.Fprintf(l.w, "[faultline %s] %s\n", elapsed(time.Since(l.start)), msg)
	l.printed = time.Now()
}

// show prints the lines of the answer so far that say something new: the
// first answer whole, with what the measurement does next to prove it,
// then a line whose gist changed (another cause, a fix verified).
func (l *live) show(res *result.Result, next string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lines []string
	for _, s := range report.Answer(res) {
		k, g := gist(s)
		if l.shown[k] == g {
			continue
		}
		l.shown[k] = g
		lines = append(lines, s)
	}
	if next != "" && !l.proving {
		l.proving = true
		lines = append(lines, "proving: "+next+"…")
	}
	for _, s := range lines {
		switch {
		case l.log:
			fmt.Fprintln(l.w, "answer:", s)
		case l.rep != nil:
			l.rep.Printf("%s  %s", elapsed(time.Since(l.start)), s)
		case l.lines:
			l.printLocked(s)
		}
	}
}

// gist is a verdict line's kind ("Why") and what about it counts as news:
// the cause and its confidence, not the share it explains; the fix, not
// what it measured; the verdict's answer, not its interval.
func gist(s string) (kind, g string) {
	kind, _, _ = strings.Cut(s, ":")
	g = s
	switch kind {
	case "Fix":
		g, _, _ = strings.Cut(s, " — ")
	case "Verdict":
		g, _, _ = strings.Cut(s, " (")
	case "Why", "Memory":
		g, _, _ = strings.Cut(s, ", explains")
		g, _, _ = strings.Cut(g, "):")
	case "Noise":
		g = kind
	}
	return kind, g
}

// phaseOf is a message without its count: "timing glibc (interleaved)"
// for "timing glibc (interleaved): round 3".
func phaseOf(msg string) string {
	i := strings.LastIndex(msg, ": ")
	if i < 0 {
		return msg
	}
	for _, p := range []string{"round ", "run ", "calibrating "} {
		if strings.HasPrefix(msg[i+2:], p) {
			return msg[:i]
		}
	}
	return msg
}

// elapsed prints a duration as "1.6s".
func elapsed(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// close ends the display (nil does nothing).
func (l *live) close() {
	if l == nil {
		return
	}
	if l.ticker != nil {
		l.ticker.Stop()
		close(l.stop)
		l.ticker = nil
	}
	l.rep.Close()
}
