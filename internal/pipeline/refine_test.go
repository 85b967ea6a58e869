package pipeline

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/cliff"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/sweep"
	"github.com/faultline/faultline/internal/testenv"
)

func TestRefineSteps(t *testing.T) {
	for _, tt := range []struct {
		lo, hi, prec float64
		want         int
	}{
		{100, 200, 0.05, 5}, // 100 -> 50 -> 25 -> 12.5 -> 6.25 -> 3.125
		{100, 104, 0.05, 0},
		{0, 8, 0.5, 1}, // relative to 8 when the low end is 0
		{1, 1e12, 1e-9, maxRefineSteps},
	} {
		if got := refineSteps(tt.lo, tt.hi, tt.prec); got != tt.want {
			t.Errorf("refineSteps(%g, %g, %g) = %d, want %d", tt.lo, tt.hi, tt.prec, got, tt.want)
		}
	}
}

// TestMidpoint: geometric, integral between integers, the other
// parameters held, and nothing between adjacent integers.
func TestMidpoint(t *testing.T) {
	doc := &result.Sweep{Points: []result.SweepPoint{
		{Values: map[string]string{"n": "100", "k": "x"}}, {Values: map[string]string{"n": "100", "k": "y"}}}}
	pts := []sweep.Point{
		{{Name: "n", Value: sweep.Value{Sub: "100"}}, {Name: "k", Value: sweep.Value{Sub: "x"}}},
		{{Name: "n", Value: sweep.Value{Sub: "100"}}, {Name: "k", Value: sweep.Value{Sub: "y"}}}}
	pt, ok := midpoint(doc, pts, result.Cliff{Parameter: "n", Others: map[string]string{"k": "y"}, Below: 100, Above: 400})
	if !ok || pt[0].Value.Sub != "200" || pt[1].Value.Sub != "y" {
		t.Errorf("midpoint %v %v", pt, ok)
	}
	if _, ok := midpoint(doc, pts, result.Cliff{Parameter: "n", Others: map[string]string{"k": "x"}, Below: 100, Above: 101}); ok {
		t.Error("a midpoint between adjacent integers")
	}
	doc.Points = append(doc.Points, result.SweepPoint{Values: map[string]string{"n": "200", "k": "y"}})
	if _, ok := midpoint(doc, pts, result.Cliff{Parameter: "n", Others: map[string]string{"k": "y"}, Below: 100, Above: 400}); ok {
		t.Error("a midpoint measured already")
	}
}

// TestSweepRefinesTrimCliff sweeps the seed comparison across the size
// where glibc starts trimming B's heap every call (about n = 30,000 on
// the machine docs/benchmarks.md describes; found, not assumed) and
// refines it: the cliff's ends must be within a few percent, B's heap
// kept below and trimmed above, and the boundary tied to the trim
// threshold.
func TestSweepRefinesTrimCliff(t *testing.T) {
	if testing.Short() {
		t.Skip("a real sweep of about 40 s (-short)")
	}
	py, ok := probe.FindNumPy(context.Background())
	if !ok {
		testenv.Missing(t, "no Python with NumPy (test.sh installs python3-numpy)")
	}
	param, err := sweep.Scan{Name: "n", Lo: "10000", Hi: "200000", Geometric: 4}.Param()
	if err != nil {
		t.Fatal(err)
	}
	sw, err := sweep.New(param)
	if err != nil {
		t.Fatal(err)
	}
	build := func(pt sweep.Point) (*Request, error) {
		setup := pt.Expand("import numpy as np; a = np.random.randint(0, 256, {n}, dtype=np.uint8)")
		return &Request{Kind: result.KindTimeit, Version: "test", Python: py.Path, Setup: setup,
			Candidates: []result.Candidate{{Name: "A", Statement: "a.astype(np.float64) / 255.0"},
				{Name: "B", Statement: "t = a.astype(np.float64); t / 255.0"}},
			Probe:    PythonTarget(py.Path, setup, false, os.Stderr),
			Traits:   Traits{Python: true, NumPy: true, Alloc: true},
			Settings: Settings{NoExperiments: true, NoIsolated: true, Warmup: 1, SampleTime: 50 * time.Millisecond}}, nil
	}
	sr := &SweepRequest{Sweep: sw, Points: sw.Points(), Budget: 40 * time.Second, Refine: 0.05, Build: build}
	for _, pt := range sr.Points {
		req, _ := build(pt)
		sr.Requests = append(sr.Requests, req)
	}
	doc, err := RunSweep(context.Background(), sr)
	if err != nil {
		t.Fatal(err)
	}
	for i, req := range sr.Requests {
		if req.Settings.Budget != 0 || req.Progress != nil {
			t.Errorf("the sweep changed the caller's request %d: budget %s", i, req.Settings.Budget)
		}
	}
	c := trimCliff(doc, "B")
	if c == nil {
		t.Fatalf("no refined trim cliff for B among %d cliffs:\n%s%s", len(doc.Cliffs), summaries(doc), skips(doc))
	}
	if (c.Above-c.Below)/c.Below > 0.1 {
		t.Errorf("cliff %g..%g is not refined to 10%%:\n%s", c.Below, c.Above, summaries(doc))
	}
	below, above := pointAt(doc, c.Below), pointAt(doc, c.Above)
	kept, trimmed := shrink(below, "B"), shrink(above, "B")
	if kept > 0 || trimmed < 64<<10 {
		t.Errorf("B's brk shrink per call %g at n = %g and %g at n = %g: want kept, then trimmed", kept, c.Below, trimmed, c.Above)
	}
	if doc.WallSeconds > 45 {
		t.Errorf("the sweep took %.1f s of a 40 s budget", doc.WallSeconds)
	}
	t.Logf("%.1f s, %d points:\n%s", doc.WallSeconds, len(doc.Points), summaries(doc))
}

func trimCliff(doc *result.Sweep, cand string) *result.Cliff {
	for i, c := range doc.Cliffs {
		if c.Candidate == cand && c.Metric == cliff.MetricFaults && c.Refined && c.After > c.Before &&
			c.Threshold != nil && strings.HasPrefix(c.Threshold.Name, "glibc trim threshold") {
			return &doc.Cliffs[i]
		}
	}
	return nil
}

func pointAt(doc *result.Sweep, n float64) *result.Result {
	for _, pt := range doc.Points {
		if pt.Values["n"] == strconv.FormatFloat(n, 'f', -1, 64) {
			return pt.Result
		}
	}
	return nil
}

func shrink(res *result.Result, cand string) float64 {
	if res == nil {
		return -1
	}
	run := res.Run(cand, res.BaselineConfig(), res.PrimaryMode())
	if run == nil || run.PerIteration.Syscalls == nil {
		return -1
	}
	return run.PerIteration.Syscalls.BrkShrinkBytes
}

func summaries(doc *result.Sweep) string {
	var b strings.Builder
	for _, c := range doc.Cliffs {
		b.WriteString(c.Summary + "\n")
	}
	return b.String()
}

// skips lists the passes a point skipped, and why: a cliff is tied to
// its threshold only from the trace passes either side.
func skips(doc *result.Sweep) string {
	var b strings.Builder
	for _, pt := range doc.Points {
		if pt.Result == nil {
			fmt.Fprintf(&b, "n = %s: %s %s\n", pt.Values["n"], pt.Status, pt.Reason)
			continue
		}
		for _, p := range pt.Result.Passes {
			if p.Status != "" {
				fmt.Fprintf(&b, "n = %s (%.1f s): %s pass %s: %s\n", pt.Values["n"], pt.BudgetSeconds, p.Name, p.Status, p.Reason)
			}
		}
	}
	return b.String()
}
