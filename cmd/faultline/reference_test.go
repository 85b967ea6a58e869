package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/pipeline"
	"github.com/faultline/faultline/internal/report"
	"github.com/faultline/faultline/internal/result"
)

// pythonReads is what the Python package says of a saved result: its
// stored answer, its verdict() lines and its ratios both ways.
const pythonReads = `
import json, sys
import faultline
res = faultline.load(sys.argv[1])
print(json.dumps({"answer": res.answer, "verdict": res.verdict(),
                  "ab": float(res.ratio("A", "B")), "ba": float(res.ratio("B", "A"))}))
`

// TestPythonReferenceIsTheSlowOne assembles the seed fixture (A fast, B
// about 54x slower) with --reference B, the slow one, as the pipeline
// does, and checks that the Python package tells the verdict the terminal
// report tells: B is slower than A, whichever is the reference.
func TestPythonReferenceIsTheSlowOne(t *testing.T) {
	py := plainPython(t)
	r, err := result.Load(filepath.Join("..", "..", "internal", "report", "testdata", "seed.json"))
	if err != nil {
		t.Fatal(err)
	}
	r.Reference = "B"
	pipeline.Assemble(r)
	v := r.Verdict
	if v == nil || v.Answer != result.AnswerSlower || v.Slow != "B" || v.Fast != "A" || v.Ratio < 10 {
		t.Fatalf("assembled verdict %+v, want B much slower than A", v)
	}
	path := filepath.Join(t.TempDir(), "reference-b.json")
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}

	var term bytes.Buffer
	if err := report.Terminal(&term, r, report.Options{Width: 1000}); err != nil {
		t.Fatal(err)
	}
	if l := lineWith(term.String(), "Verdict:"); !strings.HasPrefix(l, "Verdict: B is") || !strings.Contains(l, "slower than A") {
		t.Errorf("terminal verdict line %q, want B slower than A", l)
	}

	pkg, err := filepath.Abs(filepath.Join("..", "..", "python"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", pythonReads, path)
	cmd.Env = append(cmd.Environ(), "PYTHONPATH="+pkg)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderrOf(err))
	}
	var got struct {
		Answer  map[string]any
		Verdict []string
		AB, BA  float64
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python printed %q: %v", out, err)
	}
	if got.Answer["answer"] != "slower" || got.Answer["slow"] != "B" || got.Answer["fast"] != "A" {
		t.Errorf("Result.answer = %v, want B slower than A", got.Answer)
	}
	if len(got.Verdict) == 0 || !strings.HasPrefix(got.Verdict[0], "Verdict: B is") {
		t.Errorf("verdict() begins %q, want \"Verdict: B is ...\"", got.Verdict)
	}
	for _, l := range got.Verdict {
		if strings.Contains(l, "A is") && strings.Contains(l, "slower than B") || strings.Contains(l, "B is the fastest") {
			t.Errorf("verdict() contradicts the verdict: %q", l)
		}
		checkInterval(t, l)
	}
	if math.Abs(got.AB-v.Ratio) > 1e-6*v.Ratio {
		t.Errorf("ratio(\"A\", \"B\") = %v, want the verdict's %v", got.AB, v.Ratio)
	}
	if math.Abs(got.AB*got.BA-1) > 1e-9 {
		t.Errorf("ratio(\"B\", \"A\") = %v, want 1/%v", got.BA, got.AB)
	}
	if t.Failed() {
		t.Logf("terminal:\n%s\npython verdict():\n%s", firstLinesOf(term.String(), 6), strings.Join(got.Verdict, "\n"))
	}
}

// sayRatio is a line's "Nx slower/faster ... 95% interval L-Hx".
var sayRatio = regexp.MustCompile(`([0-9.]+)x (?:slower|faster) than .*95% interval ([0-9.]+)-([0-9.]+)x`)

// checkInterval fails t when line l gives a ratio outside its own
// interval: an interval said the other way round from its ratio.
func checkInterval(t *testing.T, l string) {
	t.Helper()
	m := sayRatio.FindStringSubmatch(l)
	if m == nil {
		return
	}
	var f [3]float64
	for i := range f {
		v, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		f[i] = v
	}
	if f[0] < f[1] || f[0] > f[2] {
		t.Errorf("%q: the ratio %v is outside its interval [%v, %v]", l, f[0], f[1], f[2])
	}
}

// lineWith is the first line of s that starts with prefix, or "".
func lineWith(s, prefix string) string {
	for l := range strings.Lines(s) {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimSuffix(l, "\n")
		}
	}
	return ""
}

func firstLinesOf(s string, n int) string {
	ls := strings.SplitN(s, "\n", n+1)
	return strings.Join(ls[:min(n, len(ls))], "\n")
}

func stderrOf(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}
