package protocol

import (
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		line    string
		verb    string
		args    []string
		kv      map[string]string
		text    string
		wantErr bool
	}{
		{line: "ready\n", verb: "ready"},
		{line: "sample cand=B seq=3 loops=10 ns=123 minflt=1300 majflt=0", verb: "sample",
			kv: map[string]string{"cand": "B", "seq": "3", "loops": "10", "ns": "123", "minflt": "1300", "majflt": "0"}},
		{line: `error phase=setup "Traceback:\n  x\nZeroDivisionError: division by zero"`, verb: "error",
			kv: map[string]string{"phase": "setup"}, text: "Traceback:\n  x\nZeroDivisionError: division by zero"},
		{line: "begin  A 7", verb: "begin", args: []string{"A", "7"}},
		{line: "   ", wantErr: true},
		{line: `"x"`, wantErr: true},
		{line: "end a=1 \"unterminated", wantErr: true},
		{line: "=x", wantErr: true},
		{line: "verb =v", wantErr: true},
		{line: "v\x01rb", wantErr: true},
	}
	for _, tt := range tests {
		r, err := Parse(tt.line)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) err = %v, wantErr %v", tt.line, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if r.Verb != tt.verb || r.Text != tt.text || strings.Join(r.Args, ",") != strings.Join(tt.args, ",") {
			t.Errorf("Parse(%q) = %+v", tt.line, r)
		}
		for k, v := range tt.kv {
			if r.KV[k] != v {
				t.Errorf("Parse(%q)[%s] = %q, want %q", tt.line, k, r.KV[k], v)
			}
		}
		if len(r.KV) != len(tt.kv) {
			t.Errorf("Parse(%q) has %d keys, want %d", tt.line, len(r.KV), len(tt.kv))
		}
	}
}

func TestFormatRoundTrip(t *testing.T) {
	line := Format("error", [][2]string{{"cand", "B"}}, "multi\nline \"quoted\" ünïcode")
	r, err := Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verb != "error" || r.Get("cand") != "B" || r.Text != "multi\nline \"quoted\" ünïcode" {
		t.Fatalf("round trip: %+v", r)
	}
}

func TestIntFloat(t *testing.T) {
	r, _ := Parse("sample loops=10 ns=1.5e3 bad=x")
	if n, err := r.Int("loops"); err != nil || n != 10 {
		t.Errorf("Int(loops) = %d, %v", n, err)
	}
	if f, err := r.Float("ns"); err != nil || f != 1500 {
		t.Errorf("Float(ns) = %g, %v", f, err)
	}
	if _, err := r.Int("bad"); err == nil {
		t.Error("Int(bad) succeeded")
	}
	if _, err := r.Int("missing"); err == nil {
		t.Error("Int(missing) succeeded")
	}
}

func TestReaderSkipsBlankAndBoundsLines(t *testing.T) {
	in := "\nready\n\nsample cand=A\n" + strings.Repeat("x", MaxLine+10) + "\n"
	rd := NewReader(strings.NewReader(in))
	for _, want := range []string{"ready", "sample"} {
		r, err := rd.Next()
		if err != nil || r.Verb != want {
			t.Fatalf("Next = %+v, %v; want %s", r, err, want)
		}
	}
	if _, err := rd.Next(); err == nil || err == io.EOF {
		t.Fatalf("overlong line: err = %v, want a length error", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"ready", "sample cand=A seq=1 loops=2 ns=3", `error phase=setup "a\nb"`, "begin A 1", `x "\u00e9"`, "a=b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := Parse(line)
		if err != nil {
			return
		}
		if r.Verb == "" {
			t.Fatalf("parsed %q with empty verb", line)
		}
		// A parsed record re-formats into something that parses to the same verb and text.
		var kv [][2]string
		for k, v := range r.KV {
			if strings.ContainsAny(v, " \n") {
				return
			}
			kv = append(kv, [2]string{k, v})
		}
		r2, err := Parse(Format(r.Verb, kv, r.Text))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", line, err)
		}
		if r2.Verb != r.Verb || r2.Text != r.Text || len(r2.KV) != len(r.KV) {
			t.Fatalf("round trip of %q: %+v vs %+v", line, r, r2)
		}
	})
}
