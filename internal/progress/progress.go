// Package progress shows one updating status line on stderr while faultline
// measures ("timing B under jemalloc  [12/40 rounds]  7.2s of 20s").
//
// The line is drawn only when the stream is a terminal: piped into a file
// or a CI log, carriage returns and escape codes would garble the output,
// so a Reporter on a non-terminal writes nothing at all. Redraws are
// throttled to 10 per second so the status line never costs measurable
// CPU next to a timed target on a small machine, and the last update
// inside a throttle window is still drawn (by a timer), so the line is
// never stale. NO_COLOR (https://no-color.org) and TERM=dumb are honoured.
//
// A Reporter is safe for concurrent use. Call Clear before writing
// anything else to the same terminal, or use Printf, which clears, writes
// a line and redraws the status below it.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// DefaultInterval is the minimum time between two redraws (10 Hz).
const DefaultInterval = 100 * time.Millisecond

// Options configure a Reporter.
type Options struct {
	// Quiet turns the reporter off entirely (--quiet).
	Quiet bool
	// NoColor turns colour off (--no-color); NO_COLOR in the environment
	// does the same.
	NoColor bool
	// Interval is the minimum time between redraws; 0 means
	// DefaultInterval. Shorter intervals are raised to it, never lowered.
	Interval time.Duration
}

// Status is what the measurement is doing now.
type Status struct {
	Phase     string // "timing", "tracing syscalls", "allocation pass", "calibrating"
	Candidate string
	Config    string
	Round     int // rounds done
	Rounds    int // rounds planned; 0 when adaptive and unknown
	Elapsed   time.Duration
	Budget    time.Duration // 0 when unbounded
}

// String formats the status as one line:
// "timing B under jemalloc  [12/40 rounds]  7.2s of 20s".
func (s Status) String() string {
	main, counts, clock := s.parts()
	out := main
	if counts != "" {
		out += "  " + counts
	}
	if clock != "" {
		out += "  " + clock
	}
	return out
}

func (s Status) parts() (main, counts, clock string) {
	var w []string
	if s.Phase != "" {
		w = append(w, s.Phase)
	}
	if s.Candidate != "" {
		w = append(w, s.Candidate)
	}
	if s.Config != "" {
		w = append(w, "under "+s.Config)
	}
	main = strings.Join(w, " ")
	switch {
	case s.Rounds > 0:
		counts = fmt.Sprintf("[%d/%d rounds]", s.Round, s.Rounds)
	case s.Round > 0:
		counts = fmt.Sprintf("[round %d]", s.Round)
	}
	if s.Elapsed > 0 {
		clock = formatDuration(s.Elapsed)
		if s.Budget > 0 {
			clock += " of " + formatDuration(s.Budget)
		}
	}
	return main, counts, clock
}

// formatDuration prints "7.2s" below a minute, "20s" for whole seconds,
// "1m05s" above.
func formatDuration(d time.Duration) string {
	if d >= time.Minute {
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// Reporter draws the status line. The zero value is not usable; use New.
type Reporter struct {
	mu       sync.Mutex
	w        io.Writer
	enabled  bool
	color    bool
	dumb     bool       // TERM=dumb: no escape codes at all
	width    func() int // terminal width, 0 if unknown
	now      func() time.Time
	interval time.Duration

	line    string // what is on the screen now ("" when cleared)
	shown   int    // its width, for erasing without escape codes
	pending string // the latest status not yet drawn
	dirty   bool
	last    time.Time
	timer   *time.Timer
	closed  bool
}

// New returns a reporter writing to f (normally os.Stderr). It draws
// nothing unless f is a terminal and opt.Quiet is false.
func New(f *os.File, opt Options) *Reporter {
	fd := int(f.Fd())
	tty := term.IsTerminal(fd)
	width := func() int {
		w, _, err := term.GetSize(fd)
		if err != nil {
			return 0
		}
		return w
	}
	return newReporter(f, tty, width, opt, os.Getenv)
}

func newReporter(w io.Writer, tty bool, width func() int, opt Options, getenv func(string) string) *Reporter {
	iv := opt.Interval
	if iv < DefaultInterval {
		iv = DefaultInterval
	}
	dumb := getenv("TERM") == "dumb"
	return &Reporter{
		w:        w,
		enabled:  tty && !opt.Quiet,
		color:    !opt.NoColor && getenv("NO_COLOR") == "" && !dumb,
		dumb:     dumb,
		width:    width,
		now:      time.Now,
		interval: iv,
	}
}

// Enabled reports whether the reporter draws anything.
func (r *Reporter) Enabled() bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.enabled && !r.closed
}

// Update sets the status.
func (r *Reporter) Update(s Status) {
	if r == nil {
		return
	}
	main, counts, clock := s.parts()
	if r.color {
		// The numbers are secondary: dim them so the eye finds what runs.
		if counts != "" {
			counts = "\x1b[2m" + counts + "\x1b[0m"
		}
		if clock != "" {
			clock = "\x1b[2m" + clock + "\x1b[0m"
		}
	}
	line := main
	if counts != "" {
		line += "  " + counts
	}
	if clock != "" {
		line += "  " + clock
	}
	r.set(line)
}

// Message sets a free-form status line; it fits measure.Options.Progress.
func (r *Reporter) Message(msg string) {
	if r == nil {
		return
	}
	r.set(sanitize(msg))
}

func (r *Reporter) set(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.enabled || r.closed {
		return
	}
	r.pending, r.dirty = line, true
	now := r.now()
	if wait := r.interval - now.Sub(r.last); wait > 0 && !r.last.IsZero() {
		// Inside the throttle window: draw the latest status when it
		// ends, unless a timer is already due to.
		if r.timer == nil {
			r.timer = time.AfterFunc(wait, r.flush)
		}
		return
	}
	r.drawLocked()
}

func (r *Reporter) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timer = nil
	if r.dirty && r.enabled && !r.closed {
		r.drawLocked()
	}
}

func (r *Reporter) drawLocked() {
	line := r.pending
	if w := r.width(); w > 1 {
		// One column short of the width: a line that fills it wraps on
		// some terminals, and then \r no longer returns to its start.
		line = truncate(line, w-1)
	}
	var b strings.Builder
	b.WriteByte('\r')
	b.WriteString(line)
	n := visibleWidth(line)
	if r.dumb {
		if n < r.shown {
			b.WriteString(strings.Repeat(" ", r.shown-n))
			b.WriteString("\r" + line)
		}
	} else {
		b.WriteString("\x1b[K")
	}
	io.WriteString(r.w, b.String())
	r.line, r.shown = line, n
	r.dirty = false
	r.last = r.now()
}

// Clear erases the status line so other output starts on a clean line.
// The next Update draws it again.
func (r *Reporter) Clear() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearLocked()
}

func (r *Reporter) clearLocked() {
	if r.line == "" && r.shown == 0 {
		return
	}
	if r.dumb {
		io.WriteString(r.w, "\r"+strings.Repeat(" ", r.shown)+"\r")
	} else {
		io.WriteString(r.w, "\r\x1b[K")
	}
	r.line, r.shown = "", 0
	// What was on screen is pending again, for the next redraw.
	r.dirty = r.pending != ""
}

// Printf clears the status line, writes a line of text to the same stream
// and draws the status again below it. On a non-terminal it writes the
// text alone, so warnings reach logs.
func (r *Reporter) Printf(format string, args ...any) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	if r.closed || !r.enabled {
		if !r.closed {
			io.WriteString(r.w, msg)
		}
		return
	}
	wasShown := r.line != ""
	r.clearLocked()
	io.WriteString(r.w, msg)
	if wasShown {
		r.drawLocked()
	}
}

// Close erases the status line and stops the reporter; later calls draw
// nothing.
func (r *Reporter) Close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.clearLocked()
	r.closed = true
}

// sanitize keeps a message on one line and free of escape sequences.
func sanitize(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// visibleWidth counts runes outside ANSI escape sequences.
func visibleWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			j := i + 1
			for j < len(s) && s[j] != 'm' {
				j++
			}
			i = j + 1
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return n
}

// truncate cuts s to w visible columns, keeping escape sequences whole and
// resetting attributes if it cut inside a styled part.
func truncate(s string, w int) string {
	if visibleWidth(s) <= w {
		return s
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			j := i + 1
			for j < len(s) && s[j] != 'm' {
				j++
			}
			b.WriteString(s[i:min(j+1, len(s))])
			i = j + 1
			continue
		}
		if n == w-1 {
			b.WriteString("…")
			break
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[i : i+size])
		i += size
		n++
	}
	if strings.Contains(s, "\x1b[") {
		b.WriteString("\x1b[0m")
	}
	return b.String()
}
