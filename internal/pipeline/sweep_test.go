package pipeline

import (
	"context"
	"testing"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/sweep"
)

func testSweep(t *testing.T) *SweepRequest {
	t.Helper()
	p, err := sweep.List("n", "1KiB,2,x")
	if err != nil {
		t.Fatal(err)
	}
	sw, err := sweep.New(p)
	if err != nil {
		t.Fatal(err)
	}
	sr := &SweepRequest{Sweep: sw, Points: sw.Points()}
	for range sr.Points {
		sr.Requests = append(sr.Requests, &Request{Kind: result.KindRun, Version: "test"})
	}
	return sr
}

// TestSweepNotRun: points that cannot start are recorded skipped with the
// reason, and never measured.
func TestSweepNotRun(t *testing.T) {
	sr := testSweep(t)
	sr.Begin = func(*Request) { t.Error("a point started") }
	doc, err := RunSweep(context.Background(), sr) // no budget at all
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range doc.Points {
		if pt.Status != result.StatusSkipped || pt.Reason != "time budget exhausted (raise --budget)" || pt.Result != nil {
			t.Errorf("point %v: status %q reason %q", pt.Values, pt.Status, pt.Reason)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sr = testSweep(t)
	sr.Budget = 1e9
	doc, err = RunSweep(ctx, sr)
	if err == nil || !doc.Partial || doc.Interrupted == "" {
		t.Errorf("interrupted sweep: err %v, partial %v %q", err, doc.Partial, doc.Interrupted)
	}
	if len(doc.Points) != 3 || doc.Points[0].Reason != "interrupted" {
		t.Errorf("interrupted sweep: points %+v", doc.Points)
	}
}

// TestSweepDocument: the parameters and each point's values, as written
// and as substituted.
func TestSweepDocument(t *testing.T) {
	doc, _ := RunSweep(context.Background(), testSweep(t))
	if doc.Schema != result.SweepSchema || doc.Kind != result.KindRun || doc.Tool.Version != "test" {
		t.Errorf("header: %+v", doc)
	}
	vals := doc.Parameters[0].Values
	if len(vals) != 3 || vals[0].Text != "1KiB" || vals[0].Value != "1024" || vals[0].Number == nil || *vals[0].Number != 1024 || vals[2].Number != nil {
		t.Errorf("parameter values: %+v", vals)
	}
	if pt := doc.Points[0]; pt.Values["n"] != "1024" || pt.Text["n"] != "1KiB" {
		t.Errorf("point 0: %+v", pt)
	}
}
