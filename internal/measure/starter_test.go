package measure

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/testenv"
)

// startLog is a target that records which configuration each probe was
// started for, in order, and how many of its probes have ended.
type startLog struct {
	mu      sync.Mutex
	started []string
	ended   int
}

func (l *startLog) target(py string) Target {
	tgt := pythonTarget(py, "x = list(range(1000))")
	return Target{Spec: func(c []result.Candidate, env []string) (probe.Spec, error) {
		s, err := tgt.Spec(c, env)
		l.mu.Lock()
		l.started = append(l.started, envValue(env, "X"))
		l.mu.Unlock()
		clean := s.Cleanup
		s.Cleanup = func() {
			if clean != nil {
				clean()
			}
			l.mu.Lock()
			l.ended++
			l.mu.Unlock()
		}
		return s, err
	}}
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if len(kv) > len(key) && kv[:len(key)+1] == key+"=" {
			return kv[len(key)+1:]
		}
	}
	return ""
}

// starterSetup is a log of probe starts, its target (python3 from PATH)
// and a result with one candidate, A.
func starterSetup(t *testing.T) (*startLog, Target, *result.Result) {
	py, err := probe.LookPython("python3")
	if err != nil {
		testenv.Missing(t, "no python3 on PATH")
	}
	log := &startLog{}
	res := result.New(result.KindTimeit, "test", nil)
	res.Candidates = []result.Candidate{{Name: "A", Statement: "sum(x)"}}
	return log, log.target(py), res
}

func starterConfigs() []result.Config {
	var cfgs []result.Config
	for _, v := range []string{"base", "one", "two", "three"} {
		cfgs = append(cfgs, result.Config{Name: v, Env: map[string]string{"X": v}})
	}
	return cfgs
}

// TestStarterStartsTwoAtOnce runs three experiments with a Starter: every
// probe is started once (a probe started ahead is the one used), the
// second experiment's probe is asked for before the first's (they start
// together, before the first is timed), and no probe is left running.
func TestStarterStartsTwoAtOnce(t *testing.T) {
	log, tgt, res := starterSetup(t)
	res.Candidates = append(res.Candidates, result.Candidate{Name: "B", Statement: "max(x)"})
	cfgs := starterConfigs()
	st := NewStarter()
	o := &Options{Rounds: 2, SampleTime: 2 * time.Millisecond, Starter: st,
		Env: func(c result.Config) []string { return append(os.Environ(), "X="+c.Env["X"]) }}
	ctx := context.Background()
	if err := TimeConfig(ctx, res, tgt, cfgs[0], res.Candidates, result.ModeInterleaved, o); err != nil {
		t.Fatal(err)
	}
	res.Configs = append(res.Configs, cfgs[0])
	if err := Verify(ctx, res, tgt, cfgs[1:], nil, o); err != nil {
		t.Fatal(err)
	}
	st.Close()
	want := []string{"base", "two", "one", "three"}
	if len(log.started) != len(want) {
		t.Fatalf("probes started for %v, want one each, in the order %v", log.started, want)
	}
	for i := range want {
		if log.started[i] != want[i] {
			t.Fatalf("probes started for %v, want %v: the next experiment's starts with the one before it", log.started, want)
		}
	}
	for _, c := range cfgs[1:] {
		if r := res.Run("A", c.Name, result.ModeInterleaved); r == nil || r.Time.N != 2 {
			t.Errorf("%s: A's run %+v, want 2 samples", c.Name, r)
		}
	}
	if log.ended != len(want) {
		t.Errorf("%d of %d probes ended", log.ended, len(want))
	}
}

// TestStarterCloseEndsUnused starts probes ahead that are never asked
// for: Close ends them, and a Starter closed starts no more.
func TestStarterCloseEndsUnused(t *testing.T) {
	log, tgt, res := starterSetup(t)
	st := NewStarter()
	o := &Options{Starter: st, Env: func(c result.Config) []string { return append(os.Environ(), "X="+c.Env["X"]) }}
	cfgs := starterConfigs()
	for _, c := range cfgs {
		st.Ahead(context.Background(), tgt, c, res.Candidates, o)
	}
	if len(log.started) != aheadMax {
		t.Errorf("%d probes started ahead, want at most %d", len(log.started), aheadMax)
	}
	st.Close()
	st.Ahead(context.Background(), tgt, cfgs[3], res.Candidates, o)
	if log.ended != len(log.started) || len(log.started) != aheadMax {
		t.Errorf("%d probes started, %d ended after Close", len(log.started), log.ended)
	}
}
