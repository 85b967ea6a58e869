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

// TestTracedAlone: A's list of tuples fills whole CPython arenas, which
// empty when it dies; interleaved, B's pinned tuples keep arenas alive, so
// A faults only alone. The trace pass then traces A alone too, where its
// 1 MiB arenas are unmapped and mapped again every call.
func TestTracedAlone(t *testing.T) {
	py, ok := probe.FindNumPy(context.Background())
	if !ok {
		testenv.Missing(t, "no /usr/bin/python3 with NumPy (test.sh installs python3-numpy)")
	}
	setup := "pins = []"
	req := &Request{Kind: result.KindTimeit, Version: "test", Python: py.Path, Setup: setup,
		Candidates: []result.Candidate{
			{Name: "A", Statement: "t = [(i,) for i in range(60000)]"},
			{Name: "B", Statement: "t = [(i,) for i in range(60000)]; pins[:] = t[::1000]"}},
		Probe:    PythonTarget(py.Path, setup, false, os.Stderr),
		Traits:   Traits{Python: true},
		Settings: Settings{Budget: 25 * time.Second, NoExperiments: true, NoAlloc: true, Warmup: 1, SampleTime: 50 * time.Millisecond},
	}
	res, err := Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	iso := res.Run("A", res.BaselineConfig(), result.ModeIsolated)
	if iso == nil || iso.PerIteration.MinorFaults < 100 {
		t.Fatalf("A did not fault alone (%+v): CPython 3.11 empties its arenas when the list dies", iso)
	}
	sy := iso.PerIteration.Syscalls
	if sy == nil {
		t.Fatalf("A faults %.0f per call alone but was not traced alone; passes %+v", iso.PerIteration.MinorFaults, res.Passes)
	}
	arenas := 0.0
	for _, z := range sy.Sizes {
		if z.Call == "munmap" && (z.Bytes == 1<<20 || z.Bytes == 256<<10) {
			arenas += z.Per
		}
	}
	if arenas < 0.5 {
		t.Errorf("A alone unmaps no arenas: %+v", sy.Sizes)
	}
}
