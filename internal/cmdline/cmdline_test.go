package cmdline

import (
	"slices"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "python3 -c 'print(1)'", want: []string{"python3", "-c", "print(1)"}},
		{in: `echo "a \"b\" $x" c\ d`, want: []string{"echo", `a "b" $x`, "c d"}},
		{in: "  ./a   8 ", want: []string{"./a", "8"}},
		{in: `''`, want: []string{""}},
		{in: "ünï 'cödé'", want: []string{"ünï", "cödé"}},
		{in: "a 'b", wantErr: true},
		{in: `a \`, wantErr: true},
		{in: "   ", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Split(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && !slices.Equal(got, tt.want)) {
			t.Errorf("Split(%q) = %q, %v; want %q (err %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"a b", `"a b" 'c'`, `x\ y`, `"\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := Split(s)
		if err == nil && len(words) == 0 {
			t.Fatalf("Split(%q) returned no words and no error", s)
		}
	})
}

func TestShellSyntax(t *testing.T) {
	tests := []struct{ in, want string }{
		{"seq 1 100000 | sort -n", "|"},
		{"make && ./a", "&&"},
		{"./a > out.txt", ">"},
		{"./a 2>&1", ">&"},
		{"./a; ./b", ";"},
		{"./a &", "&"},
		{"./a $N", "$N"},
		{`./a $(nproc)`, "$("},
		{`./a ${HOME}/x`, "${"},
		{"echo `date`", "`"},
		{"(cd x && ./a)", "("},
		{"diff <(./a) <(./b)", "<("},
		// Quoted or escaped: a word the program receives as written.
		{"python3 -c 'import sys; print(sys.argv[1:] | 1)'", ""},
		{`grep "a|b" file`, ""},
		{`find . -exec rm {} \;`, ""},
		{`./a \$HOME`, ""},
		{`echo "\$x"`, ""},
		// Double quotes hold another interpreter's text, as Split keeps it.
		{`sh -c "i=0; while [ $i -lt 9 ]; do i=$((i+1)); done"`, ""},
		{`python3 -c "import sys; print(1 | 2)"`, ""},
		{"./prog 20", ""},
		{"./a 5$", ""},
		{"./a x=1,y=2 -- {n}", ""},
		{"a 'b", ""},
	}
	for _, tt := range tests {
		if got := ShellSyntax(tt.in); got != tt.want {
			t.Errorf("ShellSyntax(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
