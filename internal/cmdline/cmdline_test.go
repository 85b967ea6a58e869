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
