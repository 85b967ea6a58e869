package main

import (
	"slices"
	"strings"
	"testing"
)

// TestJoinParamArgs checks that hyperfine's multi-word flags become one
// word each, and that nothing else on the command line changes.
func TestJoinParamArgs(t *testing.T) {
	j := func(words ...string) string { return strings.Join(words, argSep) }
	tests := []struct {
		in, want []string
		err      string
	}{
		{in: []string{"run", "-P", "n", "1", "10", "true {n}"},
			want: []string{"run", "--parameter-scan=" + j("n", "1", "10"), "true {n}"}},
		{in: []string{"run", "--parameter-scan", "n", "1", "10", "-D", "2", "true {n}"},
			want: []string{"run", "--parameter-scan=" + j("n", "1", "10"), "-D", "2", "true {n}"}},
		{in: []string{"timeit", "-L", "k", "a,b", "-L", "m", "1,2", "f({k}, {m})"},
			want: []string{"timeit", "--parameter-list=" + j("k", "a,b"), "--parameter-list=" + j("m", "1,2"), "f({k}, {m})"}},
		// Negative bounds are values, not flags.
		{in: []string{"run", "-P", "x", "-5", "-1", "true {x}"},
			want: []string{"run", "--parameter-scan=" + j("x", "-5", "-1"), "true {x}"}},
		// The one-word forms stay as they are.
		{in: []string{"run", "-P", "n=1..10", "true {n}"}, want: []string{"run", "--parameter-scan=n=1..10", "true {n}"}},
		{in: []string{"run", "--parameter-scan=n=1..10", "true {n}"}, want: []string{"run", "--parameter-scan=n=1..10", "true {n}"}},
		{in: []string{"run", "-L", "n=a,b", "true {n}"}, want: []string{"run", "--parameter-list=n=a,b", "true {n}"}},
		// A list whose values hold = is still NAME VALUES.
		{in: []string{"run", "-L", "e", "A=1,A=2", "env {e} true"},
			want: []string{"run", "--parameter-list=" + j("e", "A=1,A=2"), "env {e} true"}},
		// Attached to the flag's word, and after bool shorthands.
		{in: []string{"run", "-Pn", "1", "10", "x"}, want: []string{"run", "--parameter-scan=" + j("n", "1", "10"), "x"}},
		{in: []string{"run", "-qP", "n", "1", "10", "x"}, want: []string{"run", "-q", "--parameter-scan=" + j("n", "1", "10"), "x"}},
		{in: []string{"run", "-qiL", "n", "a", "x"}, want: []string{"run", "-qi", "--parameter-list=" + j("n", "a"), "x"}},
		// Another flag's value is never a flag: -l takes -P as its label.
		{in: []string{"run", "-l", "-P", "true"}, want: []string{"run", "-l", "-P", "true"}},
		{in: []string{"run", "--label", "-L", "true"}, want: []string{"run", "--label", "-L", "true"}},
		{in: []string{"run", "-l-P", "true"}, want: []string{"run", "-l-P", "true"}},
		{in: []string{"run", "-ql", "-P", "true"}, want: []string{"run", "-ql", "-P", "true"}},
		// Everything after -- is an argument.
		{in: []string{"run", "-P", "n", "1", "2", "--", "-P", "x", "y", "z"},
			want: []string{"run", "--parameter-scan=" + j("n", "1", "2"), "--", "-P", "x", "y", "z"}},
		// Other commands are left alone: demo has no -P, pflag says so.
		{in: []string{"demo", "-P", "n", "1", "2"}, want: []string{"demo", "-P", "n", "1", "2"}},
		{in: []string{"nosuchcommand", "-P"}, want: []string{"nosuchcommand", "-P"}},
		{in: []string{"run", "--no-such-flag", "-P", "n", "1", "2", "x"},
			want: []string{"run", "--no-such-flag", "--parameter-scan=" + j("n", "1", "2"), "x"}},
		// --refine alone, or with its precision as the next word.
		{in: []string{"run", "-P", "n", "1", "3", "--refine", "--budget", "1s", "x {n}"},
			want: []string{"run", "--parameter-scan=" + j("n", "1", "3"), "--refine", "--budget", "1s", "x {n}"}},
		{in: []string{"run", "--refine", "0.05", "x"}, want: []string{"run", "--refine=0.05", "x"}},
		{in: []string{"run", "--refine", "x"}, want: []string{"run", "--refine", "x"}},
		// Too few words: one line.
		{in: []string{"run", "-P", "n", "1"}, err: "-P/--parameter-scan needs NAME LO HI, as in -P n 1000 100000"},
		{in: []string{"run", "-P", "n", "1", "--", "true"}, err: "needs NAME LO HI"},
		{in: []string{"run", "true", "-L", "n"}, err: "-L/--parameter-list needs NAME VALUES"},
	}
	for _, tt := range tests {
		got, err := joinParamArgs(newRoot(), tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("joinParamArgs(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("joinParamArgs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestParamFlagsAreFree checks the sweep flags' shorthands against the
// commands that have them, and that demo has none.
func TestParamFlagsAreFree(t *testing.T) {
	root := newRoot()
	for _, name := range []string{"timeit", "run", "demo"} {
		cmd, _, err := root.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		for short, long := range map[string]string{"L": "parameter-list", "P": "parameter-scan", "D": "parameter-step-size"} {
			f := cmd.Flags().ShorthandLookup(short)
			switch {
			case name == "demo" && f != nil:
				t.Errorf("demo has -%s", short)
			case name != "demo" && (f == nil || f.Name != long):
				t.Errorf("%s: -%s is %v, want --%s", name, short, f, long)
			}
		}
		if (cmd.Flags().Lookup("geometric") != nil) != (name != "demo") {
			t.Errorf("%s: --geometric registered wrongly", name)
		}
	}
}
