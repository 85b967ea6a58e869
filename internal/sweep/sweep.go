// Package sweep is the parameter layer of a sweep: one measurement per
// point of a grid of parameter values, to find where a slowdown starts.
//
// It parses parameter values (ParseNumber: 1_000_000, 1e6, 8MiB), defines
// parameters as hyperfine does (List for --parameter-list, Scan for
// --parameter-scan with its step, or geometric spacing), forms the points
// (the cartesian product of the parameters, the first outermost), and
// substitutes a point into the texts of a measurement: {name} is replaced
// by the parameter's value. docs/sweeps.md is the user's description.
//
// The placeholder rule is made for texts that are code. Python uses braces
// for sets, dicts, f-strings and str.format, and shells for ${var} and
// brace groups, so only {name} with name an identifier is a placeholder,
// and not when escaped the ways those languages escape a brace: directly
// after $ or \, or in a doubled {{ (format strings' literal brace). The
// text is never unescaped: what is not a placeholder stays byte for byte,
// and the target reads its own escapes. A placeholder naming a defined
// parameter is replaced; one naming none is left alone in Python code (it
// is a set or an f-string field) and is an error in commands and labels,
// where it can only be a typo.
package sweep

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Sweep is a set of parameters; its points are their cartesian product.
type Sweep struct {
	Params []Param
}

// New checks that params can form a sweep: at least one, no name twice,
// at most MaxPoints points.
func New(params ...Param) (*Sweep, error) {
	if len(params) == 0 {
		return nil, errors.New("no parameters")
	}
	var dims []string
	n := 1
	for i, p := range params {
		if err := checkName(p.Name); err != nil {
			return nil, err
		}
		if slices.ContainsFunc(params[:i], func(q Param) bool { return q.Name == p.Name }) {
			return nil, fmt.Errorf("parameter %s is defined twice", p.Name)
		}
		if len(p.Values) == 0 {
			return nil, fmt.Errorf("parameter %s has no values", p.Name)
		}
		dims = append(dims, fmt.Sprintf("%s: %d values", p.Name, len(p.Values)))
		// Bounded before multiplying, so the product cannot overflow.
		n = min(n*len(p.Values), MaxPoints+1)
	}
	if n > MaxPoints {
		return nil, fmt.Errorf("the parameters make more than %d points (%s); a sweep has at most %d", MaxPoints, strings.Join(dims, ", "), MaxPoints)
	}
	return &Sweep{Params: params}, nil
}

// Len is the number of points.
func (s *Sweep) Len() int {
	n := 1
	for _, p := range s.Params {
		n *= len(p.Values)
	}
	return n
}

// Points lists every point, the first parameter outermost: with -L a 1,2
// and -L b x,y the order is (1,x) (1,y) (2,x) (2,y), as nested loops
// written in the order of the flags would run.
func (s *Sweep) Points() []Point {
	idx := make([]int, len(s.Params))
	var pts []Point
	for {
		pt := make(Point, len(s.Params))
		for i, p := range s.Params {
			pt[i] = Binding{Name: p.Name, Value: p.Values[idx[i]]}
		}
		pts = append(pts, pt)
		i := len(idx) - 1
		for ; i >= 0; i-- {
			if idx[i]++; idx[i] < len(s.Params[i].Values) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return pts
		}
	}
}

// Point is one value of every parameter, in the parameters' order.
type Point []Binding

// Binding is a parameter's value at a point.
type Binding struct {
	Name  string
	Value Value
}

// Lookup returns the value of the named parameter.
func (p Point) Lookup(name string) (Value, bool) {
	for _, b := range p {
		if b.Name == name {
			return b.Value, true
		}
	}
	return Value{}, false
}

// String is the point as a heading: "n = 8MiB, kind = dict", values as
// written, quoted when empty or holding spaces, commas or quotes.
func (p Point) String() string {
	parts := make([]string, len(p))
	for i, b := range p {
		t := b.Value.Text
		if t == "" || strings.ContainsAny(t, " \t\n,=\"'") {
			t = strconv.Quote(t)
		}
		parts[i] = b.Name + " = " + t
	}
	return strings.Join(parts, ", ")
}

// Expand replaces every placeholder of a parameter of p in s by its
// value's Sub, in one pass: a value is never searched for placeholders
// itself. Everything else in s stays as it is.
func (p Point) Expand(s string) string {
	var b strings.Builder
	last := 0
	placeholders(s, func(start, end int, name string) {
		if v, ok := p.Lookup(name); ok {
			b.WriteString(s[last:start])
			b.WriteString(v.Sub)
			last = end
		}
	})
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// ExpandAll expands each of ss; nil stays nil.
func (p Point) ExpandAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p.Expand(s)
	}
	return out
}

// Placeholders lists the names of the placeholders in s, in order, with
// repeats.
func Placeholders(s string) []string {
	var names []string
	placeholders(s, func(_, _ int, name string) { names = append(names, name) })
	return names
}

// placeholders calls fn with the span and name of each placeholder in s.
func placeholders(s string, fn func(start, end int, name string)) {
	for i := 0; i < len(s); {
		if s[i] != '{' {
			i++
			continue
		}
		run := i
		for i < len(s) && s[i] == '{' {
			i++
		}
		escaped := (i-run)%2 == 0 || run > 0 && (s[run-1] == '$' || s[run-1] == '\\')
		j := i
		for j < len(s) && identByte(s[j], j == i) {
			j++
		}
		if !escaped && j > i && j < len(s) && s[j] == '}' {
			fn(i-1, j+1, s[i:j])
			i = j + 1
		}
	}
}

// Use is the role of a text a sweep substitutes into.
type Use int

const (
	// Code is Python source (a statement, the setup): a placeholder
	// naming no parameter is code ({x} is a set, f"{x}" a field) and
	// stays.
	Code Use = iota
	// Command is a command line (a command, its --prepare): a
	// placeholder naming no parameter is an error.
	Command
	// Label is text for the reader: as Command, but a parameter used only
	// in labels counts as unused, since every point would measure the
	// same thing.
	Label
)

// Field is a text a sweep substitutes into.
type Field struct {
	Where string // how an error names it: "command 2", "--prepare"
	Text  string
	Use   Use
}

// Check rejects what would make the sweep wrong before anything runs: a
// placeholder in a command or label naming no parameter, and a parameter
// that no code or command uses.
func (s *Sweep) Check(fields []Field) error {
	names := make([]string, len(s.Params))
	for i, p := range s.Params {
		names[i] = p.Name
	}
	used := map[string]bool{}
	for _, f := range fields {
		for _, name := range Placeholders(f.Text) {
			switch {
			case slices.Contains(names, name):
				used[name] = used[name] || f.Use != Label
			case f.Use != Code:
				return fmt.Errorf("%s: {%s} is not a parameter (parameters: %s); write \\{%s} for a literal brace",
					f.Where, name, strings.Join(names, ", "), name)
			}
		}
	}
	for _, name := range names {
		if !used[name] {
			return fmt.Errorf("parameter %s is never used: write {%s} in a statement, the setup or a command", name, name)
		}
	}
	return nil
}
