package measure

import (
	"context"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/result"
)

// checkCPU checks that a run carries user and system time and that the one
// the workload spends its time in is the larger; both never exceed the
// wall time by more than the kernel's tick accounting can add.
func checkCPU(t *testing.T, run *result.Run, per string, sysHeavy bool) {
	t.Helper()
	if run == nil || run.Status != result.StatusOK {
		t.Fatalf("run missing or failed: %+v", run)
	}
	c := run.CPU
	if c == nil || c.Per != per || run.Sources["cpu"] != result.PassTiming {
		t.Fatalf("%s: cpu %+v (sources %v), want per %s from the timing pass", run.Candidate, c, run.Sources, per)
	}
	t.Logf("%s: wall %.3g s, user %.3g s, system %.3g s per %s", run.Candidate, run.Time.Median, c.User, c.System, c.Per)
	if sysHeavy && c.System <= c.User || !sysHeavy && c.User <= c.System {
		t.Errorf("%s: user %.3g s, system %.3g s: the wrong one is larger", run.Candidate, c.User, c.System)
	}
	for _, s := range result.Timed(run.Samples) {
		if s.UserSeconds < 0 || s.SystemSeconds < 0 {
			t.Fatalf("%s: sample with negative CPU time: %+v", run.Candidate, s)
		}
	}
	// One clock tick (10 ms at USER_HZ 100) of slack per sample.
	if wall := run.Time.Median; c.User+c.System > 2*wall+0.01 {
		t.Errorf("%s: user+system %.3g s against %.3g s of wall time", run.Candidate, c.User+c.System, wall)
	}
}

// TestRunCPUTime: faultline run records each run's user and system time
// from the kernel's rusage of the process tree: a command that copies
// bytes one read and write at a time spends it in the kernel, one that
// computes in user mode.
func TestRunCPUTime(t *testing.T) {
	res := result.New(result.KindRun, "test", nil)
	res.Candidates = []result.Candidate{
		{Name: "A", Command: []string{"/usr/bin/python3", "-c", "sum(i * i for i in range(2_000_000))"}},
		{Name: "B", Command: []string{"dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=400000", "status=none"}},
	}
	o := &RunOptions{Runs: 3, Argv: func(c result.Candidate) []string { return c.Command },
		Env: func(result.Config) []string { return []string{"PATH=/usr/bin:/bin"} }}
	if err := RunConfig(context.Background(), res, res.Candidates, baselineOnly()[0], o); err != nil {
		t.Fatal(err)
	}
	checkCPU(t, res.Run("A", result.DefaultConfig, result.ModeProcess), result.UnitRun, false)
	checkCPU(t, res.Run("B", result.DefaultConfig, result.ModeProcess), result.UnitRun, true)
}

// TestTimeitCPUTime: the Python probe reports the CPU time of each sample
// (getrusage around the loop, as for the faults), per call: reading 4 MiB
// of /dev/zero into a buffer allocated once is the kernel's work (it
// clears the pages in place; a fresh buffer per call would add the
// allocator's and the copy's user time, which outweighs it on some
// hosts), summing squares the interpreter's.
func TestTimeitCPUTime(t *testing.T) {
	py := numpyPython(t)
	setup := "import os; z = os.open('/dev/zero', os.O_RDONLY); buf = bytearray(4 << 20)"
	res := result.New(result.KindTimeit, "test", nil)
	res.Setup = setup
	res.Candidates = []result.Candidate{
		{Name: "A", Statement: "sum(i * i for i in range(20_000))"},
		{Name: "B", Statement: "os.readv(z, [buf])"},
	}
	o := &Options{Rounds: 8, SampleTime: 20 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Matrix(ctx, res, pythonTarget(py, setup), baselineOnly(), o); err != nil {
		t.Fatal(err)
	}
	checkCPU(t, res.Run("A", result.DefaultConfig, result.ModeInterleaved), result.UnitCall, false)
	checkCPU(t, res.Run("B", result.DefaultConfig, result.ModeInterleaved), result.UnitCall, true)
}
