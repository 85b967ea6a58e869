package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

// TestSweepFixtureIsCurrent checks testdata/sweep.json against
// sweepFixture, or rewrites it with -fixtures.
func TestSweepFixtureIsCurrent(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("fixtures are generated on amd64; fused multiply-add elsewhere changes the last bits of simulated samples")
	}
	path := filepath.Join("testdata", "sweep.json")
	var got bytes.Buffer
	if err := sweepFixture().Write(&got); err != nil {
		t.Fatal(err)
	}
	if *genFixtures {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Error("testdata/sweep.json is stale: regenerate with -run TestSweepFixtureIsCurrent -fixtures")
	}
}

func loadSweepFixture(t *testing.T) *result.Sweep {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "sweep.json"))
	if err != nil {
		t.Fatalf("%v: regenerate with go test -run TestSweepFixtureIsCurrent -fixtures", err)
	}
	var s result.Sweep
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// sweepFixture is the seed case swept over the array size: at the
// smallest n, B's two buffers stay below glibc's trim threshold and only
// the extra buffer costs it; from the next size on, the heap top is
// trimmed after every call (the cliff). The seed result is scaled
// linearly in n; the last point is skipped, as when the budget runs out.
func sweepFixture() *result.Sweep {
	ns := []float64{1e5, 1e6, 1e7, 1e8, 1e9}
	s := &result.Sweep{Schema: result.SweepSchema, Tool: result.Tool{Name: "faultline", Version: "0.1.0-dev",
		Args: []string{"timeit", "-P", "n", "100000", "1000000000", "--geometric", "5", "-s", "a = np.ones({n})", seedA, seedB}},
		Kind: result.KindTimeit, Started: fixtureStart, BudgetSeconds: 600}
	param := result.SweepParameter{Name: "n"}
	for i, n := range ns {
		text := fmt.Sprintf("%.0f", n)
		param.Values = append(param.Values, result.SweepValue{Text: text, Value: text, Number: &ns[i]})
		pt := result.SweepPoint{Values: map[string]string{"n": text}, Text: map[string]string{"n": text}, BudgetSeconds: 120}
		if i == len(ns)-1 {
			pt.Status, pt.Reason = "skipped", "the sweep's budget was used up"
		} else {
			pt.Result = sweepPointResult(n / 1e6)
			s.WallSeconds += pt.Result.WallSeconds
		}
		s.Points = append(s.Points, pt)
	}
	s.Parameters = []result.SweepParameter{param}
	before := s.Points[0].Result.Comparison("glibc", result.ModeInterleaved, "B").Ratio
	after := s.Points[1].Result.Comparison("glibc", result.ModeInterleaved, "B").Ratio
	s.Cliffs = []result.Cliff{{Parameter: "n", Candidate: "B", Config: "glibc", Metric: "ratio",
		Below: ns[0], Above: ns[1], Before: round3(before), After: round3(after),
		Threshold: &result.Threshold{Name: "glibc trim threshold", Bytes: 128 * 1024, Quantity: "B's heap top, 2 x 8 x n bytes", Source: "documented"},
		Summary: fmt.Sprintf("B against A jumps from %sx at n = 100000 to %sx at n = 1000000: B's heap top (2 x 8 x n bytes) crosses glibc's trim threshold (128 KiB)",
			units3(before), units3(after)), VerifiedBy: "glibc-tuned"}}
	s.WallSeconds = math.Round(s.WallSeconds*10) / 10
	return s
}

func units3(x float64) string { return fmtRatio(x)[:len(fmtRatio(x))-1] }

// sweepPointResult is the seed result at k times its size, under glibc
// and glibc-tuned only so the golden files stay short; below k = 1 B
// behaves as under glibc-tuned (no trim), which is the cliff.
func sweepPointResult(k float64) *result.Result {
	r := seedFixture()
	keep := []string{"glibc", "glibc-tuned"}
	r.Configs = slices.DeleteFunc(r.Configs, func(c result.Config) bool { return !slices.Contains(keep, c.Name) })
	r.Results = slices.DeleteFunc(r.Results, func(run result.Run) bool { return !slices.Contains(keep, run.Config) })
	for i := range r.Results {
		run := &r.Results[i]
		if k < 1 && run.Candidate == "B" && run.Config == "glibc" {
			tuned := r.Run("B", "glibc-tuned", result.ModeInterleaved)
			scaleRun(run, tuned.Time.Median/run.Time.Median, 0)
			run.PerIteration.Syscalls = nil
			if a := r.Run("A", "glibc", run.Mode); a != nil && a.PerIteration.Syscalls != nil {
				sy := *a.PerIteration.Syscalls
				run.PerIteration.Syscalls = &sy
			}
		}
		scaleRun(run, k, k)
	}
	compare(r, "A")
	if k < 1 {
		r.Findings = slices.DeleteFunc(r.Findings, func(f result.Finding) bool { return f.Cause == "heap-trim-refault" })
	}
	finish(r)
	r.WallSeconds = math.Round(r.WallSeconds*k*10+10) / 10
	return r
}

// scaleRun multiplies a run's times by kt and its fault counts by kf,
// and summarises it again as measure would.
func scaleRun(run *result.Run, kt, kf float64) {
	for j := range run.Samples {
		run.Samples[j].Seconds = round9(run.Samples[j].Seconds * kt)
		run.Samples[j].MinorFaults = round3(run.Samples[j].MinorFaults * kf)
	}
	run.Time = stats.Summarize(run.TimedSeconds())
	run.PerIteration.MinorFaults = round3(run.PerIteration.MinorFaults * kf)
	if sy := run.PerIteration.Syscalls; sy != nil && kf == 0 {
		*sy = result.Syscalls{}
	}
}
