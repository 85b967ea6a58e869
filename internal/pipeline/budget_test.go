package pipeline

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/testenv"
)

// TestShortBudgetStillTraces: two candidates whose times never settle
// (a random sleep each call) keep the timing adaptive to its end. With a
// budget shorter than the timing's own default share, the timing must
// still leave the trace pass its room: a sweep's refinement point runs on
// a second or two and exists to be traced.
func TestShortBudgetStillTraces(t *testing.T) {
	py, ok := probe.FindNumPy(context.Background())
	if !ok {
		testenv.Missing(t, "no /usr/bin/python3 with NumPy (test.sh installs python3-numpy)")
	}
	setup := "import random, time"
	req := &Request{Kind: result.KindTimeit, Version: "test", Python: py.Path, Setup: setup,
		Candidates: []result.Candidate{
			{Name: "A", Statement: "time.sleep(random.random() * 0.002)"},
			{Name: "B", Statement: "time.sleep(random.random() * 0.002); b = bytearray(1 << 20)"}},
		Probe:    PythonTarget(py.Path, setup, false, os.Stderr),
		Traits:   Traits{Python: true},
		Settings: Settings{Budget: 1500 * time.Millisecond, NoExperiments: true, NoIsolated: true, NoAlloc: true, Warmup: 1, SampleTime: 50 * time.Millisecond},
	}
	res, err := Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"A", "B"} {
		run := res.Run(c, res.BaselineConfig(), result.ModeInterleaved)
		if run == nil || run.PerIteration.Syscalls == nil {
			t.Errorf("%s was not traced in a 1.5 s budget; passes %+v", c, res.Passes)
		}
	}
}
