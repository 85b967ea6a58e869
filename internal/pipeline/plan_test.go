package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/result"
)

// TestSlowCommandGetsItsVerdictRuns: a command of more than a second
// under a budget that holds a handful of its runs. Its warm-up run counts
// as timed, the baseline takes the three runs a verdict needs before the
// diagnostic passes' room, an experiment that cannot run every candidate
// is skipped whole rather than measured for the fast one alone, and the
// verdict is an answer. sleep's length does not move with the machine's
// load, so the mechanism is what is tested.
func TestSlowCommandGetsItsVerdictRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a real run of about 15 s")
	}
	req := &Request{Kind: result.KindRun, Version: "test",
		Candidates: []result.Candidate{{Name: "A", Label: "short"}, {Name: "B", Label: "long"}},
		Commands:   map[string][]string{"A": {"sleep", "0.3"}, "B": {"sleep", "1.5"}},
		Settings:   Settings{Budget: 15 * time.Second, Configs: "glibc,jemalloc,tcmalloc,mimalloc", NoTrace: true, NoAlloc: true, Warmup: 1},
	}
	res, err := Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	a, b := res.Run("A", res.BaselineConfig(), result.ModeProcess), res.Run("B", res.BaselineConfig(), result.ModeProcess)
	if a == nil || b == nil {
		t.Fatal("the baseline did not run both candidates")
	}
	if a.Time.N < 3 || b.Time.N < 3 {
		t.Errorf("baseline runs A %d, B %d: want at least three each", a.Time.N, b.Time.N)
	}
	var keptWarm bool
	for _, s := range b.Samples {
		keptWarm = keptWarm || (!s.Warmup && s.Seq == 0)
	}
	if !keptWarm {
		t.Errorf("B's warm-up run of 1.5 s was not kept as timed: %+v", b.Samples)
	}
	if v := res.Verdict; v == nil || v.Answer != result.AnswerSlower || v.Slow != "B" {
		t.Errorf("verdict %+v, want B slower", v)
	}
	for _, cfg := range res.Configs[1:] {
		ra, rb := res.Run("A", cfg.Name, result.ModeProcess), res.Run("B", cfg.Name, result.ModeProcess)
		na, nb := 0, 0
		if ra != nil {
			na = ra.Time.N
		}
		if rb != nil {
			nb = rb.Time.N
		}
		if (na == 0) != (nb == 0) {
			t.Errorf("%s (%s): A %d runs, B %d: an experiment measured one candidate alone", cfg.Name, cfg.Status, na, nb)
		}
		if cfg.Status == result.StatusFailed {
			t.Errorf("%s failed (%s): the end of the budget is not a target's failure", cfg.Name, cfg.Reason)
		}
	}
	if res.WallSeconds > 15.5 {
		t.Errorf("took %.1f s of a 15 s budget", res.WallSeconds)
	}
}
