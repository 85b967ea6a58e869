// Package protocol reads and writes faultline's line protocol: the small text
// protocol a target speaks with faultline over inherited file descriptors.
//
// Every message is one line: a verb, then fields separated by single spaces.
// A field is key=value (no spaces in either) or a bare token; the last field
// may instead be a JSON string (starting with '"') that runs to the end of
// the line and carries free text such as a traceback. The full description,
// with every verb, is in docs/protocol.md.
//
// The parser reads what a target writes, so it must never panic and must
// bound what it accepts: lines longer than MaxLine are rejected.
package protocol

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Version is the protocol version a target announces in its hello line.
const Version = 1

// Environment variables through which a target learns its descriptors.
const (
	// EnvFD names the descriptor a target writes records to.
	EnvFD = "FAULTLINE_FD"
	// EnvCtlFD names the descriptor a probe reads commands from (probes
	// only; a program that merely marks iterations has none).
	EnvCtlFD = "FAULTLINE_CTL_FD"
)

// MaxLine bounds one line, traceback included.
const MaxLine = 1 << 20

// Verbs a target writes.
const (
	VerbHello  = "hello"  // proto=1 impl=... : first line
	VerbReady  = "ready"  // setup done; probe waits for commands
	VerbSample = "sample" // cand= seq= loops= ns= minflt= majflt=
	VerbRange  = "range"  // cand= loops= ns= : autorange answer
	VerbBegin  = "begin"  // cand= iter= : an iteration starts
	VerbEnd    = "end"    // cand= iter= [ns= minflt= majflt=] : it ends
	VerbAlloc  = "alloc"  // cand= iters= count= bytes= peak= large=
	VerbError  = "error"  // cand= or phase= , then a JSON string
	VerbDone   = "done"   // a trace or alloc command finished
	VerbInfo   = "info"   // key=value facts about the target
)

// Commands faultline writes to a probe.
const (
	CmdRun       = "run"       // cand= loops= seq=
	CmdAutorange = "autorange" // cand= target_ns=
	CmdTrace     = "trace"     // cand= iters=
	CmdAlloc     = "alloc"     // cand= iters=
	CmdQuit      = "quit"
)

// Record is one parsed line.
type Record struct {
	Verb string
	Args []string          // bare tokens, in order
	KV   map[string]string // key=value fields
	Text string            // decoded trailing JSON string, if any
}

// ErrEmpty is returned for a blank line.
var ErrEmpty = errors.New("empty line")

// Parse parses one line (without or with its trailing newline).
func Parse(line string) (Record, error) {
	line = strings.TrimRight(line, "\r\n")
	if len(line) > MaxLine {
		return Record{}, fmt.Errorf("line of %d bytes exceeds %d", len(line), MaxLine)
	}
	if strings.TrimSpace(line) == "" {
		return Record{}, ErrEmpty
	}
	var r Record
	rest := line
	for rest != "" {
		if rest[0] == ' ' {
			rest = rest[1:]
			continue
		}
		if rest[0] == '"' {
			if r.Verb == "" {
				return Record{}, fmt.Errorf("line starts with a string: %.40q", line)
			}
			var s string
			if err := json.Unmarshal([]byte(rest), &s); err != nil {
				return Record{}, fmt.Errorf("bad string field: %w", err)
			}
			r.Text = s
			break
		}
		field := rest
		if i := strings.IndexByte(rest, ' '); i >= 0 {
			field, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if r.Verb == "" {
			if !validToken(field) || strings.Contains(field, "=") {
				return Record{}, fmt.Errorf("bad verb %.40q", field)
			}
			r.Verb = field
			continue
		}
		if k, v, ok := strings.Cut(field, "="); ok {
			if k == "" || !validToken(k) {
				return Record{}, fmt.Errorf("bad key in %.40q", field)
			}
			if r.KV == nil {
				r.KV = make(map[string]string)
			}
			r.KV[k] = v
			continue
		}
		r.Args = append(r.Args, field)
	}
	return r, nil
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// Get returns the value of key, or "".
func (r Record) Get(key string) string { return r.KV[key] }

// Int returns key's value as an integer.
func (r Record) Int(key string) (int64, error) {
	v, ok := r.KV[key]
	if !ok {
		return 0, fmt.Errorf("%s record has no %s", r.Verb, key)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s record: %s=%q is not an integer", r.Verb, key, v)
	}
	return n, nil
}

// Float returns key's value as a float.
func (r Record) Float(key string) (float64, error) {
	v, ok := r.KV[key]
	if !ok {
		return 0, fmt.Errorf("%s record has no %s", r.Verb, key)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%s record: %s=%q is not a number", r.Verb, key, v)
	}
	return f, nil
}

// Format renders a record as one line, newline included. Keys are written
// in the order given by keys; Text, if non-empty, is appended as JSON.
func Format(verb string, kv [][2]string, text string) string {
	var b strings.Builder
	b.WriteString(verb)
	for _, p := range kv {
		b.WriteByte(' ')
		b.WriteString(p[0])
		b.WriteByte('=')
		b.WriteString(p[1])
	}
	if text != "" {
		t, _ := json.Marshal(text)
		b.WriteByte(' ')
		b.Write(t)
	}
	b.WriteByte('\n')
	return b.String()
}

// Reader reads records line by line with a bounded buffer.
type Reader struct {
	sc *bufio.Scanner
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), MaxLine+2)
	return &Reader{sc: sc}
}

// Next returns the next non-blank record. It returns io.EOF at the end of
// input and an error for a malformed or overlong line.
func (r *Reader) Next() (Record, error) {
	for r.sc.Scan() {
		rec, err := Parse(r.sc.Text())
		if err == ErrEmpty {
			continue
		}
		return rec, err
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Record{}, fmt.Errorf("line exceeds %d bytes", MaxLine)
		}
		return Record{}, err
	}
	return Record{}, io.EOF
}
