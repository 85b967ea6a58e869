package pipeline

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/testenv"
)

// TestTunedCoversBigBlocks: a statement that allocates a 48 MiB array per
// call is above glibc's largest dynamic mmap threshold (32 MiB), so every
// call maps and unmaps it and faults it in. The glibc-tuned experiment,
// derived from the traced block size, raises the threshold past it, and
// the faults go.
func TestTunedCoversBigBlocks(t *testing.T) {
	py, ok := probe.FindNumPy(context.Background())
	if !ok {
		testenv.Missing(t, "no Python with NumPy (test.sh installs python3-numpy)")
	}
	setup := "import numpy as np"
	req := &Request{Kind: result.KindTimeit, Version: "test", Python: py.Path, Setup: setup,
		Candidates: []result.Candidate{
			{Name: "A", Label: "big", Statement: "a = np.ones(6_000_000)"},
			{Name: "B", Label: "small", Statement: "a = np.ones(1_000)"}},
		Probe:    PythonTarget(py.Path, setup, false, os.Stderr),
		Traits:   Traits{Python: true, NumPy: true},
		Settings: Settings{Budget: 30 * time.Second, Configs: "glibc,glibc-tuned", NoIsolated: true, NoAlloc: true, Warmup: 1, SampleTime: 50 * time.Millisecond},
	}
	res, err := Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	tuned := res.Config(alloc.GlibcTuned)
	if tuned == nil || tuned.Status != result.StatusOK {
		t.Fatalf("glibc-tuned not measured: %+v", tuned)
	}
	threshold := tunable(t, tuned.Env["GLIBC_TUNABLES"], "glibc.malloc.mmap_threshold")
	if threshold <= 48_000_000 {
		t.Errorf("glibc-tuned's mmap_threshold %d does not cover the 48 MB block (env %v)", threshold, tuned.Env)
	}
	base, under := res.Run("A", res.BaselineConfig(), result.ModeInterleaved), res.Run("A", alloc.GlibcTuned, result.ModeInterleaved)
	if base == nil || under == nil {
		t.Fatal("A not measured under both configurations")
	}
	if base.PerIteration.MinorFaults < 100 || under.PerIteration.MinorFaults > base.PerIteration.MinorFaults/10 {
		t.Errorf("A faults %.0f per call under glibc and %.0f under glibc-tuned: want many, then under a tenth",
			base.PerIteration.MinorFaults, under.PerIteration.MinorFaults)
	}
}

func tunable(t *testing.T, tunables, name string) int64 {
	t.Helper()
	for _, kv := range strings.Split(tunables, ":") {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", kv, err)
			}
			return n
		}
	}
	t.Fatalf("%s not in %q", name, tunables)
	return 0
}
