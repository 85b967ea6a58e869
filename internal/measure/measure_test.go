package measure

import (
	"context"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
)

const seedSetup = "import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)"

func numpyPython(t *testing.T) string {
	t.Helper()
	py, ok := probe.FindNumPy(context.Background())
	if !ok {
		t.Skip("no Python with NumPy: apt-get install python3-numpy (test.sh does)")
	}
	return py.Path
}

func pythonTarget(py, setup string) Target {
	return Target{Spec: func(cands []result.Candidate, env []string) (probe.Spec, error) {
		pc := make([]probe.Candidate, len(cands))
		for i, c := range cands {
			pc[i] = probe.Candidate{Name: c.Name, Statement: c.Statement}
		}
		s, err := probe.PythonSpec(py, setup, pc)
		s.Env = env
		return s, err
	}}
}

func baselineOnly() []result.Config {
	return []result.Config{{Name: result.DefaultConfig, Env: map[string]string{}}}
}

// TestSeedCase measures the NumPy case that started faultline under the
// default glibc and checks the published shape: the named temporary is at
// least 5x slower, significantly, with hundreds of page faults per call,
// while the unnamed one barely faults.
func TestSeedCase(t *testing.T) {
	py := numpyPython(t)
	res := result.New(result.KindTimeit, "test", nil)
	res.Setup = seedSetup
	res.Candidates = []result.Candidate{
		{Name: "A", Statement: "a.astype(np.float64) / 255.0"},
		{Name: "B", Statement: "t = a.astype(np.float64); t / 255.0"},
	}
	o := &Options{Isolated: true, Warmup: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Matrix(ctx, res, pythonTarget(py, seedSetup), baselineOnly(), o); err != nil {
		t.Fatal(err)
	}
	a := res.Run("A", result.DefaultConfig, result.ModeInterleaved)
	b := res.Run("B", result.DefaultConfig, result.ModeInterleaved)
	c := res.Comparison(result.DefaultConfig, result.ModeInterleaved, "B")
	if a == nil || b == nil || c == nil {
		t.Fatalf("missing runs or comparison: %+v", res.Comparisons)
	}
	t.Logf("A %.3f ms %.1f flt/iter; B %.3f ms %.1f flt/iter; B/A %.1fx p=%.2g",
		a.Time.Median*1e3, a.PerIteration.MinorFaults, b.Time.Median*1e3, b.PerIteration.MinorFaults, c.Ratio, c.P)
	if c.Baseline != "A" || c.Ratio < 5 || c.P >= 0.01 || !c.Significant {
		t.Errorf("B/A = %.2f (p=%.3g), want >= 5 with p < 0.01", c.Ratio, c.P)
	}
	if b.PerIteration.MinorFaults < 300 {
		t.Errorf("B: %.1f minor faults per iteration, want >= 300", b.PerIteration.MinorFaults)
	}
	if a.PerIteration.MinorFaults > 5 {
		t.Errorf("A: %.1f minor faults per iteration, want <= 5", a.PerIteration.MinorFaults)
	}
	for _, name := range []string{"A", "B"} {
		iso := res.Run(name, result.DefaultConfig, result.ModeIsolated)
		if iso == nil || iso.Status != result.StatusOK || iso.Time.N < 6 {
			t.Errorf("isolated run of %s missing or short: %+v", name, iso)
		}
	}
	// Samples are recorded in process order with the candidate that ran before.
	switched := 0
	for _, s := range a.Samples {
		if s.After == "B" {
			switched++
		}
	}
	if switched == 0 {
		t.Error("no A sample recorded as following B in the interleaved process")
	}
}

// TestConfigFailureIsRecorded: a configuration under which the target
// cannot start is recorded as failed with a reason and does not stop the
// others.
func TestConfigFailureIsRecorded(t *testing.T) {
	py := numpyPython(t)
	res := result.New(result.KindTimeit, "test", nil)
	res.Candidates = []result.Candidate{{Name: "A", Statement: "sum(range(100))"}, {Name: "B", Statement: "sum(range(200))"}}
	configs := append(baselineOnly(),
		result.Config{Name: "broken", Env: map[string]string{"PYTHONHOME": "/nonexistent"}},
		result.Config{Name: "user", Env: map[string]string{"FOO": "1"}})
	o := &Options{Rounds: 6, SampleTime: 2 * time.Millisecond,
		Env: func(c result.Config) []string {
			env := []string{"PATH=/usr/bin:/bin"}
			for k, v := range c.Env {
				env = append(env, k+"="+v)
			}
			return env
		}}
	if err := Matrix(context.Background(), res, pythonTarget(py, ""), configs, o); err != nil {
		t.Fatal(err)
	}
	if c := res.Config("broken"); c.Status != result.StatusFailed || c.Reason == "" {
		t.Errorf("broken config: %+v", c)
	}
	if c := res.Config("user"); c.Status != result.StatusOK {
		t.Errorf("user config: %+v", c)
	}
	if r := res.Run("B", "user", result.ModeInterleaved); r == nil || r.Time.N != 6 {
		t.Errorf("user config run: %+v", r)
	}
	if r := res.Run("A", "broken", result.ModeInterleaved); r == nil || r.Status != result.StatusFailed {
		t.Errorf("broken config run: %+v", r)
	}
}

// TestInterruptKeepsSamples: cancelling mid-measurement returns the context
// error and keeps every sample taken so far.
func TestInterruptKeepsSamples(t *testing.T) {
	py := numpyPython(t)
	res := result.New(result.KindTimeit, "test", nil)
	res.Candidates = []result.Candidate{{Name: "A", Statement: "sum(range(1000))"}, {Name: "B", Statement: "sum(range(2000))"}}
	ctx, cancel := context.WithCancel(context.Background())
	o := &Options{Rounds: 100000, SampleTime: time.Millisecond}
	go func() { time.Sleep(1500 * time.Millisecond); cancel() }()
	err := Matrix(ctx, res, pythonTarget(py, ""), baselineOnly(), o)
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	r := res.Run("A", result.DefaultConfig, result.ModeInterleaved)
	if r == nil || r.Time.N < 3 {
		t.Fatalf("samples before the interrupt were lost: %+v", r)
	}
}
