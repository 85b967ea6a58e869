package sweep

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in        string
		canonical string
		sub       string
		isInt     bool
		size      bool
		err       string // substring of the error; "" for none
		notNumber bool
	}{
		{in: "1000000", canonical: "1000000", sub: "1000000", isInt: true},
		{in: "1_000_000", canonical: "1000000", sub: "1000000", isInt: true},
		{in: "1e6", canonical: "1000000", sub: "1000000", isInt: true},
		{in: "1E6", canonical: "1000000", sub: "1000000", isInt: true},
		{in: "2.5e5", canonical: "250000", sub: "250000", isInt: true},
		{in: "2.5e-1", canonical: "0.25", sub: "0.25"},
		{in: "1e+3", canonical: "1000", sub: "1000", isInt: true},
		{in: "1e20", canonical: "100000000000000000000", sub: "100000000000000000000", isInt: true},
		{in: "-5", canonical: "-5", sub: "-5", isInt: true},
		{in: "+5", canonical: "5", sub: "+5", isInt: true},
		// Plain decimal notation substitutes as written.
		{in: "3.10", canonical: "3.1", sub: "3.10"},
		{in: "007", canonical: "7", sub: "007", isInt: true},
		{in: "5.", canonical: "5", sub: "5.", isInt: true},
		{in: ".5", canonical: "0.5", sub: ".5"},
		{in: "-.5", canonical: "-0.5", sub: "-.5"},
		{in: "0.1", canonical: "0.1", sub: "0.1"},
		// Sizes.
		{in: "8MiB", canonical: "8388608", sub: "8388608", isInt: true, size: true},
		{in: "64KiB", canonical: "65536", sub: "65536", isInt: true, size: true},
		{in: "1GiB", canonical: "1073741824", sub: "1073741824", isInt: true, size: true},
		{in: "1TiB", canonical: "1099511627776", sub: "1099511627776", isInt: true, size: true},
		{in: "1.5KiB", canonical: "1536", sub: "1536", isInt: true, size: true},
		{in: "8mib", canonical: "8388608", sub: "8388608", isInt: true, size: true},
		{in: "4KB", canonical: "4000", sub: "4000", isInt: true, size: true},
		{in: "4kB", canonical: "4000", sub: "4000", isInt: true, size: true},
		{in: "2.5MB", canonical: "2500000", sub: "2500000", isInt: true, size: true},
		{in: "1GB", canonical: "1000000000", sub: "1000000000", isInt: true, size: true},
		{in: "512B", canonical: "512", sub: "512", isInt: true, size: true},
		{in: "1_024KiB", canonical: "1048576", sub: "1048576", isInt: true, size: true},
		{in: "1e3KiB", canonical: "1024000", sub: "1024000", isInt: true, size: true},
		// Errors.
		{in: "-8MiB", err: "a size cannot be negative"},
		{in: "1.3KiB", err: "1.3KiB is 1331.2 bytes, not a whole number"},
		{in: "0.5B", err: "not a whole number"},
		{in: "4k", err: "k is ambiguous: write 4KiB (×1024) or 4KB (×1000)", notNumber: true},
		{in: "8M", err: "M is ambiguous", notNumber: true},
		{in: "1Gi", err: "ambiguous", notNumber: true},
		{in: "3x", err: `unknown suffix "x"`, notNumber: true},
		{in: "1 MiB", err: "unknown suffix", notNumber: true},
		{in: "1e", err: "unknown suffix", notNumber: true},
		{in: "1_", err: "unknown suffix", notNumber: true},
		{in: "1__0", err: "unknown suffix", notNumber: true},
		{in: "abc", err: "not a number", notNumber: true},
		{in: "", err: "not a number", notNumber: true},
		{in: "-", err: "not a number", notNumber: true},
		{in: ".", err: "not a number", notNumber: true},
		{in: "_1", err: "not a number", notNumber: true},
		{in: "0x10", err: "unknown suffix", notNumber: true},
		{in: "inf", err: "not a number", notNumber: true},
		{in: "1e101", err: "exponent out of range"},
		{in: "1e-999999999999999999999", err: "exponent out of range"},
	}
	for _, tt := range tests {
		n, err := ParseNumber(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseNumber(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			if errors.Is(err, ErrNotNumber) != tt.notNumber {
				t.Errorf("ParseNumber(%q): errors.Is(ErrNotNumber) = %v, want %v", tt.in, !tt.notNumber, tt.notNumber)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseNumber(%q): %v", tt.in, err)
			continue
		}
		if n.Canonical() != tt.canonical || n.Sub() != tt.sub || n.IsInt() != tt.isInt || n.IsSize() != tt.size || n.Text() != tt.in {
			t.Errorf("ParseNumber(%q) = canonical %q sub %q int %v size %v; want %q %q %v %v",
				tt.in, n.Canonical(), n.Sub(), n.IsInt(), n.IsSize(), tt.canonical, tt.sub, tt.isInt, tt.size)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1e6", "8MiB", "1_000", "-.5", "2.5e-3KB", "1e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			return
		}
		// The canonical text is a number again, with the same value.
		m, err := ParseNumber(n.Canonical())
		if err != nil || m.Rat().Cmp(n.Rat()) != 0 {
			t.Fatalf("ParseNumber(%q).Canonical() = %q does not read back: %v", s, n.Canonical(), err)
		}
	})
}

func subs(p Param) []string {
	var out []string
	for _, v := range p.Values {
		out = append(out, v.Sub)
	}
	return out
}

func texts(p Param) []string {
	var out []string
	for _, v := range p.Values {
		out = append(out, v.Text)
	}
	return out
}

func TestList(t *testing.T) {
	tests := []struct {
		name, values string
		subs, texts  []string
		err          string
	}{
		{name: "n", values: "1000,1e6,8MiB", subs: []string{"1000", "1000000", "8388608"}, texts: []string{"1000", "1e6", "8MiB"}},
		{name: "kind", values: "dict,set,list", subs: []string{"dict", "set", "list"}},
		{name: "res", values: "4k,1080p", subs: []string{"4k", "1080p"}},
		{name: "ver", values: "3.10,3.12", subs: []string{"3.10", "3.12"}},
		{name: "opt", values: ",-O2", subs: []string{"", "-O2"}},
		{name: "s", values: `a\,b,c\\d,e\f`, subs: []string{"a,b", `c\d`, `e\f`}},
		{name: "s", values: "hello world", subs: []string{"hello world"}},
		{name: "_x1", values: "1", subs: []string{"1"}},
		{name: "n", values: "", err: "the list of values is empty"},
		{name: "n", values: "1,2,1", err: `value "1" is listed twice`},
		{name: "n", values: "1e3,1000", err: `values "1e3" and "1000" are the same value, 1000`},
		{name: "n", values: ",", err: `value "" is listed twice`},
		{name: "n", values: "a,,b", err: "value 2 of the list is empty"},
		{name: "n", values: "1,-1KiB", err: "a size cannot be negative"},
		{name: "2n", values: "1", err: `parameter name "2n" is not an identifier`},
		{name: "n-m", values: "1", err: "not an identifier"},
		{name: "", values: "1", err: "not an identifier"},
		{name: "ñ", values: "1", err: "not an identifier"},
	}
	for _, tt := range tests {
		p, err := List(tt.name, tt.values)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("List(%q, %q) error = %v, want %q", tt.name, tt.values, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("List(%q, %q): %v", tt.name, tt.values, err)
			continue
		}
		want := tt.texts
		if want == nil {
			want = tt.subs
		}
		if !slices.Equal(subs(p), tt.subs) || !slices.Equal(texts(p), want) {
			t.Errorf("List(%q, %q) = subs %q texts %q; want %q %q", tt.name, tt.values, subs(p), texts(p), tt.subs, want)
		}
	}
	if _, err := List("n", values(MaxPoints+1)); err == nil || !strings.Contains(err.Error(), "at most 1000") {
		t.Errorf("a list over MaxPoints: error = %v", err)
	}
	p, _ := List("n", "1e6,x")
	if v := p.Values[0]; !v.Numeric || v.Number != 1e6 || p.Values[1].Numeric {
		t.Errorf("List numeric flags: %+v", p.Values)
	}
}

func TestScan(t *testing.T) {
	tests := []struct {
		scan  Scan
		subs  []string
		texts []string
		err   string
	}{
		{scan: Scan{Name: "n", Lo: "1", Hi: "5"}, subs: []string{"1", "2", "3", "4", "5"}},
		{scan: Scan{Name: "n", Lo: "-2", Hi: "2"}, subs: []string{"-2", "-1", "0", "1", "2"}},
		{scan: Scan{Name: "n", Lo: "3", Hi: "3"}, subs: []string{"3"}},
		{scan: Scan{Name: "n", Lo: "0", Hi: "10", Step: "3"}, subs: []string{"0", "3", "6", "9"}},
		{scan: Scan{Name: "n", Lo: "1e3", Hi: "3e3", Step: "1e3"}, subs: []string{"1000", "2000", "3000"}},
		{scan: Scan{Name: "x", Lo: "0", Hi: "1", Step: "0.1"},
			subs: []string{"0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"}},
		{scan: Scan{Name: "x", Lo: "0.5", Hi: "1.5", Step: "0.25"}, subs: []string{"0.5", "0.75", "1", "1.25", "1.5"}},
		{scan: Scan{Name: "n", Lo: "1MiB", Hi: "4MiB", Step: "1MiB"},
			subs:  []string{"1048576", "2097152", "3145728", "4194304"},
			texts: []string{"1MiB", "2MiB", "3MiB", "4MiB"}},
		{scan: Scan{Name: "n", Lo: "1KiB", Hi: "2KiB", Step: "512"},
			subs:  []string{"1024", "1536", "2048"},
			texts: []string{"1KiB", "1.5KiB", "2KiB"}},
		{scan: Scan{Name: "n", Lo: "1MB", Hi: "3MB", Step: "1MB"},
			subs:  []string{"1000000", "2000000", "3000000"},
			texts: []string{"1MB", "2MB", "3MB"}},
		{scan: Scan{Name: "n", Lo: "1000", Hi: "1000000", Geometric: 4}, subs: []string{"1000", "10000", "100000", "1000000"}},
		{scan: Scan{Name: "n", Lo: "1KiB", Hi: "1MiB", Geometric: 3},
			subs:  []string{"1024", "32768", "1048576"},
			texts: []string{"1KiB", "32KiB", "1MiB"}},
		{scan: Scan{Name: "n", Lo: "1KiB", Hi: "8KiB", Geometric: 5},
			subs:  []string{"1024", "1722", "2896", "4871", "8192"},
			texts: []string{"1KiB", "1722", "2896", "4871", "8KiB"}},
		// Rounding to integers makes duplicates; they are dropped.
		{scan: Scan{Name: "n", Lo: "1", Hi: "4", Geometric: 10}, subs: []string{"1", "2", "3", "4"}},
		{scan: Scan{Name: "n", Lo: "5", Hi: "5", Geometric: 3}, subs: []string{"5"}},
		{scan: Scan{Name: "x", Lo: "0.001", Hi: "1", Geometric: 3}, subs: []string{"0.001", "0.0316228", "1"}},
		// Errors, one line each.
		{scan: Scan{Name: "n", Lo: "10", Hi: "1"}, err: "HI 1 is below LO 10"},
		{scan: Scan{Name: "n", Lo: "1", Hi: "10", Step: "0"}, err: "step 0 is not positive"},
		{scan: Scan{Name: "n", Lo: "1", Hi: "10", Step: "-1"}, err: "step -1 is not positive"},
		{scan: Scan{Name: "n", Lo: "1", Hi: "10", Step: "x"}, err: `step "x" is not a number`},
		{scan: Scan{Name: "n", Lo: "0.5", Hi: "2"}, err: "decimal values need a step (-D)"},
		{scan: Scan{Name: "n", Lo: "1", Hi: "100000"}, err: "1..100000 in steps of 1 is 100000 points; a sweep has at most 1000"},
		{scan: Scan{Name: "n", Lo: "1MiB", Hi: "8MiB"}, err: "is 7340033 points"},
		{scan: Scan{Name: "n", Lo: "0", Hi: "1e90", Step: "1"}, err: "a sweep has at most 1000"},
		{scan: Scan{Name: "n", Lo: "1KiB", Hi: "2KiB", Step: "0.5"}, err: "step 0.5 is not a whole number of bytes"},
		{scan: Scan{Name: "n", Lo: "4k", Hi: "8k"}, err: "LO 4k: k is ambiguous"},
		{scan: Scan{Name: "n", Lo: "1", Hi: "abc"}, err: `HI "abc" is not a number`},
		{scan: Scan{Name: "n", Lo: "1", Hi: "10", Geometric: 1}, err: "--geometric 1: want 2 or more points"},
		{scan: Scan{Name: "n", Lo: "1", Hi: "10", Geometric: 1001}, err: "at most 1000 points"},
		{scan: Scan{Name: "n", Lo: "0", Hi: "10", Geometric: 3}, err: "LO 0 is not positive: geometric spacing multiplies"},
		{scan: Scan{Name: "n", Lo: "1", Hi: "10", Step: "2", Geometric: 3}, err: "contradict"},
		{scan: Scan{Name: "9", Lo: "1", Hi: "10"}, err: "not an identifier"},
	}
	for _, tt := range tests {
		p, err := tt.scan.Param()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%+v: error = %v, want %q", tt.scan, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tt.scan, err)
			continue
		}
		want := tt.texts
		if want == nil {
			want = tt.subs
		}
		if !slices.Equal(subs(p), tt.subs) || !slices.Equal(texts(p), want) {
			t.Errorf("%+v = subs %q texts %q; want %q %q", tt.scan, subs(p), texts(p), tt.subs, want)
		}
		for _, v := range p.Values {
			if !v.Numeric {
				t.Errorf("%+v: value %q is not marked numeric", tt.scan, v.Sub)
			}
		}
	}
}

// values is a list of n distinct values.
func values(n int) string {
	vs := make([]string, n)
	for i := range vs {
		vs[i] = strconv.Itoa(i)
	}
	return strings.Join(vs, ",")
}

func mustList(t *testing.T, name, values string) Param {
	t.Helper()
	p, err := List(name, values)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewAndPoints(t *testing.T) {
	s, err := New(mustList(t, "a", "1,2"), mustList(t, "b", "x,y,z"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range s.Points() {
		got = append(got, p.String())
	}
	want := []string{
		"a = 1, b = x", "a = 1, b = y", "a = 1, b = z",
		"a = 2, b = x", "a = 2, b = y", "a = 2, b = z",
	}
	if !slices.Equal(got, want) || s.Len() != 6 {
		t.Errorf("points = %q (Len %d), want %q", got, s.Len(), want)
	}

	errs := []struct {
		params []Param
		err    string
	}{
		{nil, "no parameters"},
		{[]Param{mustList(t, "a", "1"), mustList(t, "a", "2")}, "parameter a is defined twice"},
		{[]Param{{Name: "a"}}, "parameter a has no values"},
		{[]Param{{Name: "1a", Values: []Value{{}}}}, "not an identifier"},
		{[]Param{mustList(t, "a", values(40)), mustList(t, "b", values(30))},
			"the parameters make more than 1000 points (a: 40 values, b: 30 values); a sweep has at most 1000"},
	}
	for _, tt := range errs {
		if _, err := New(tt.params...); err == nil || err.Error() != tt.err && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("New(%d params) error = %v, want %q", len(tt.params), err, tt.err)
		}
	}
	// 1000 points exactly is allowed.
	if _, err := New(mustList(t, "a", values(10)), mustList(t, "b", values(100))); err != nil {
		t.Errorf("1000 points: %v", err)
	}
}

func TestPointString(t *testing.T) {
	p := Point{{"n", Value{Text: "8MiB"}}, {"s", Value{Text: "a b"}}, {"e", Value{Text: ""}}, {"c", Value{Text: "x,y"}}}
	if got, want := p.String(), `n = 8MiB, s = "a b", e = "", c = "x,y"`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestExpand(t *testing.T) {
	p := Point{
		{"n", Value{Text: "8MiB", Sub: "8388608"}},
		{"m", Value{Text: "{n}", Sub: "{n}"}},
		{"k", Value{Text: "dict", Sub: "dict"}},
	}
	tests := []struct{ in, want string }{
		{"x = bytearray({n})", "x = bytearray(8388608)"},
		{"{n}{n}", "83886088388608"},
		{"./prog {n} {k}", "./prog 8388608 dict"},
		// A value is not searched for placeholders itself.
		{"echo {m}", "echo {n}"},
		// Python braces that are not a parameter's placeholder stay.
		{"{x}", "{x}"},
		{"{'a': 1}", "{'a': 1}"},
		{"{n: 1}", "{n: 1}"},
		{"{ n }", "{ n }"},
		{"{1}", "{1}"},
		{"{}", "{}"},
		{"{", "{"},
		{"{n", "{n"},
		{"f'{n!r}'", "f'{n!r}'"},
		{"f'{n:>8}'", "f'{n:>8}'"},
		{"{'k': {n}}", "{'k': 8388608}"},
		// Escapes: ${n} (shell, string.Template), \{n}, {{n}} (format
		// strings) stay byte for byte.
		{"echo ${n}", "echo ${n}"},
		{`echo \{n}`, `echo \{n}`},
		{"f'{{n}}'", "f'{{n}}'"},
		// An odd run of braces: the last one opens a placeholder.
		{"f'{{{n}}}'", "f'{{8388608}}'"},
		{"{{{{n}}}}", "{{{{n}}}}"},
		{"ünï {n} ü", "ünï 8388608 ü"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := p.Expand(tt.in); got != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := p.ExpandAll([]string{"{n}", "{k}"}); !slices.Equal(got, []string{"8388608", "dict"}) {
		t.Errorf("ExpandAll = %q", got)
	}
	if p.ExpandAll(nil) != nil {
		t.Error("ExpandAll(nil) is not nil")
	}
}

func TestPlaceholders(t *testing.T) {
	got := Placeholders("a {n} {x} ${y} {{z}} {n} {_1} {1a} \\{w}")
	if want := []string{"n", "x", "n", "_1"}; !slices.Equal(got, want) {
		t.Errorf("Placeholders = %q, want %q", got, want)
	}
}

func TestCheck(t *testing.T) {
	s, err := New(mustList(t, "n", "1,2"), mustList(t, "k", "a,b"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fields []Field
		err    string
	}{
		{fields: []Field{{"statement 1", "f({n}, {k})", Code}}},
		{fields: []Field{{"--setup", "x = {n}", Code}, {"statement 1", "g('{k}')", Code}}},
		{fields: []Field{{"command 1", "./p {n}", Command}, {"--prepare", "./q {k}", Command}}},
		// A set literal in Python code is not an error.
		{fields: []Field{{"statement 1", "s = {x}; f({n}, {k})", Code}}},
		// Escaped braces in a command are not placeholders.
		{fields: []Field{{"command 1", `sh -c 'echo ${HOME} \{x} {{y}} {n} {k}'`, Command}}},
		{fields: []Field{{"command 1", "./p {n} {m}", Command}, {"command 2", "./p {k}", Command}},
			err: `command 1: {m} is not a parameter (parameters: n, k); write \{m} for a literal brace`},
		{fields: []Field{{"command 1", "./p {n} {k}", Command}, {"label 1", "{size}", Label}},
			err: "label 1: {size} is not a parameter"},
		{fields: []Field{{"command 1", "./p {n}", Command}},
			err: "parameter k is never used: write {k} in a statement, the setup or a command"},
		// A parameter only in a label measures the same thing at every point.
		{fields: []Field{{"command 1", "./p {n}", Command}, {"label 1", "k={k}", Label}},
			err: "parameter k is never used"},
		{fields: nil, err: "parameter n is never used"},
	}
	for i, tt := range tests {
		err := s.Check(tt.fields)
		if (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("case %d: Check error = %v, want %q", i, err, tt.err)
		}
	}
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"{n}", "${n} {{n}} {x}", "f'{{{n}}}'", "{'a': {n}}", `\{n}`} {
		f.Add(s)
	}
	// A one-byte value, so that counting it counts replacements.
	p := Point{{"n", Value{Text: "nul", Sub: "\x00"}}}
	f.Fuzz(func(t *testing.T, s string) {
		got := p.Expand(s)
		if !slices.Contains(Placeholders(s), "n") && got != s {
			t.Fatalf("Expand(%q) = %q: changed a text without placeholders", s, got)
		}
		uses := 0
		for _, name := range Placeholders(s) {
			if name == "n" {
				uses++
			}
		}
		if strings.Count(got, "\x00")-strings.Count(s, "\x00") != uses {
			t.Fatalf("Expand(%q) = %q: not one value per placeholder", s, got)
		}
	})
}
