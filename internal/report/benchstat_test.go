package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

// The exported text must parse with benchfmt's own reader, with ns/op on
// every line and one line per timed sample.
func TestBenchstatParses(t *testing.T) {
	for _, fx := range fixtures {
		r := loadFixture(t, fx+".json")
		var b bytes.Buffer
		if err := Benchstat(&b, r); err != nil {
			t.Fatal(err)
		}
		rd := benchfmt.NewReader(&b, fx)
		lines := map[string]int{}
		for rd.Scan() {
			switch rec := rd.Result().(type) {
			case *benchfmt.SyntaxError:
				t.Errorf("%s: %v", fx, rec)
			case *benchfmt.Result:
				if _, ok := rec.Value("sec/op"); !ok { // ns/op, tidied by the reader
					t.Errorf("%s: %s has no ns/op", fx, rec.Name)
				}
				lines[rec.GetConfig("mode")+" "+string(rec.Name.Full())]++
			}
		}
		if err := rd.Err(); err != nil {
			t.Fatal(err)
		}
		keys := benchKeys(newFacts(r))
		for _, run := range r.Results {
			if !ok(&run) {
				continue
			}
			key := run.Mode + " " + keys[run.Candidate] + "/config=" + benchName(run.Config)
			if lines[key] != len(run.TimedSeconds()) {
				t.Errorf("%s: %s has %d lines, want one per timed sample (%d)", fx, key, lines[key], len(run.TimedSeconds()))
			}
		}
	}
}

// buildBenchstat compiles golang.org/x/perf/cmd/benchstat from the module
// cache: the version go.mod pins, so the test checks the benchstat users
// get with it. GOPROXY=off keeps it offline; the module's go.sum already
// has x/perf and its one dependency (aclements/go-moremath).
func buildBenchstat(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = "/usr/local/go/bin/go"
		if _, err := os.Stat(gobin); err != nil {
			t.Skip("no go command in PATH to build benchstat with")
		}
	}
	bin := filepath.Join(t.TempDir(), "benchstat")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, "build", "-o", bin, "golang.org/x/perf/cmd/benchstat")
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build benchstat: %v\n%s\n(the module cache needs golang.org/x/perf: go mod download golang.org/x/perf)", err, out)
	}
	return bin
}

// TestBenchstatAgrees runs the real benchstat on the exported text and
// checks that, for every comparison faultline made, benchstat's rank test
// on the exported samples is the one on the stored samples, with the same
// ratio of medians: a disagreement means the export lost or altered
// samples.
func TestBenchstatAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building benchstat takes a while")
	}
	bin := buildBenchstat(t)
	for _, fx := range fixtures {
		t.Run(fx, func(t *testing.T) {
			r := loadFixture(t, fx+".json")
			var b bytes.Buffer
			if err := Benchstat(&b, r); err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(t.TempDir(), fx+".txt")
			if err := os.WriteFile(in, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "-format", "csv", "-alpha", strconv.FormatFloat(stats.Alpha, 'g', -1, 64),
				"-col", ".name", "-row", "/config", in)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("benchstat: %v\n%s", err, stderr.String())
			}
			cells := parseBenchstatCSV(t, out)
			keys := benchKeys(newFacts(r))
			n := 0
			for _, c := range r.Comparisons {
				key := c.Mode + "|" + benchName(c.Config) + "|" + keys[c.Other]
				got, found := cells[key]
				if !found {
					t.Errorf("benchstat has no comparison for %s", key)
					continue
				}
				n++
				checkAgreement(t, key, r, c, got)
			}
			if n == 0 {
				t.Fatal("no comparison checked")
			}
			t.Logf("%d comparisons agree with benchstat", n)
		})
	}
}

type bsCell struct{ delta, p string }

// parseBenchstatCSV extracts, for each mode's sec/op table, the "vs base"
// and "P" cells of every candidate column, keyed "mode|config|candidate".
func parseBenchstatCSV(t *testing.T, out []byte) map[string]bsCell {
	t.Helper()
	rd := csv.NewReader(bytes.NewReader(out))
	rd.FieldsPerRecord = -1
	cells := map[string]bsCell{}
	mode := ""
	var names []string
	inTime := false
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("benchstat csv: %v", err)
		}
		switch {
		case len(rec) == 1 && strings.HasPrefix(rec[0], "mode: "):
			mode = strings.TrimPrefix(rec[0], "mode: ")
		case len(rec) > 1 && rec[0] == "" && rec[1] != "" && rec[1] != "sec/op" && !strings.Contains(rec[1], "/"):
			names = rec // candidate names over their column groups
		case len(rec) > 1 && rec[0] == "":
			inTime = rec[1] == "sec/op"
		case inTime && len(rec) > 1 && rec[0] != "geomean":
			for i, name := range names {
				if name == "" || i+3 >= len(rec) || i == 1 {
					continue // empty, or the baseline column group
				}
				cells[mode+"|"+rec[0]+"|"+name] = bsCell{delta: rec[i+2], p: rec[i+3]}
			}
		}
	}
	return cells
}

// checkAgreement checks benchstat's cell against the samples the
// comparison was made from: benchstat's rank test (the same benchmath
// code) on them, its "~" at the same Alpha, and the ratio of medians.
// faultline's own verdict uses another test (stats.Infer); what must
// agree is that the export carried every sample.
func checkAgreement(t *testing.T, key string, r *result.Result, c result.Comparison, got bsCell) {
	t.Helper()
	b, o := r.Run(c.Baseline, c.Config, c.Mode), r.Run(c.Other, c.Config, c.Mode)
	if b == nil || o == nil {
		t.Fatalf("%s: the comparison's runs are missing", key)
	}
	want := stats.MannWhitneyP(b.TimedSeconds(), o.TimedSeconds())
	// "p=0.006 n=20"
	pf := strings.Fields(got.p)
	if len(pf) == 0 || !strings.HasPrefix(pf[0], "p=") {
		t.Errorf("%s: unexpected P cell %q", key, got.p)
		return
	}
	p, err := strconv.ParseFloat(strings.TrimPrefix(pf[0], "p="), 64)
	if err != nil || math.Abs(p-want) > 0.0006 {
		t.Errorf("%s: benchstat p=%v, rank test on the samples p=%.4f", key, p, want)
	}
	sig := want < stats.Alpha
	switch {
	case !sig && got.delta != "~":
		t.Errorf("%s: rank test not significant (p=%.3f), benchstat %q", key, want, got.delta)
	case sig && got.delta == "~":
		t.Errorf("%s: rank test significant (p=%.3f), benchstat says ~", key, want)
	case sig && c.Ratio > 1 && !strings.HasPrefix(got.delta, "+"):
		t.Errorf("%s: faultline ratio %.3f (slower), benchstat %q", key, c.Ratio, got.delta)
	case sig && c.Ratio < 1 && !strings.HasPrefix(got.delta, "-"):
		t.Errorf("%s: faultline ratio %.3f (faster), benchstat %q", key, c.Ratio, got.delta)
	}
	if sig {
		// The delta is the ratio of medians, as ours.
		d, err := strconv.ParseFloat(strings.TrimSuffix(got.delta, "%"), 64)
		if err == nil && math.Abs((1+d/100)-c.Ratio) > 0.0001*c.Ratio+0.00005 {
			t.Errorf("%s: benchstat delta %s, faultline ratio %.5f", key, got.delta, c.Ratio)
		}
	}
}
