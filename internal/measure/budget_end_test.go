package measure

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/result"
)

// TestBudgetEndSkips: an experiment the end of the budget cuts (killed
// "still starting", or its run's context past the deadline) is skipped,
// not failed; the baseline's own runs cut by the budget give ErrBudget,
// not the target's failure; a target that hung (a *Stalled) still fails
// the baseline.
func TestBudgetEndSkips(t *testing.T) {
	past := time.Now().Add(-time.Second)
	res := result.New(result.KindRun, "test", nil)
	res.Candidates = []result.Candidate{{Name: "A"}}
	cfgs := []result.Config{{Name: "glibc"}, {Name: "glibc-tuned"}, {Name: "tcmalloc"}}
	errs := map[string]error{
		"glibc":       nil,
		"glibc-tuned": &Stalled{Config: "glibc-tuned", Phase: "start", Budget: true},
		"tcmalloc":    fmt.Errorf("candidate A: %w", context.DeadlineExceeded),
	}
	// The deadline passes during the last experiment, as the budget's
	// end strikes it.
	deadline := time.Now().Add(200 * time.Millisecond)
	err := forEachConfig(context.Background(), res, cfgs, deadline, result.ModeProcess, true, func(i int, c result.Config) error {
		if c.Name == "tcmalloc" {
			time.Sleep(time.Until(deadline) + 10*time.Millisecond)
		}
		return errs[c.Name]
	})
	if err != nil {
		t.Fatalf("forEachConfig = %v", err)
	}
	for _, c := range res.Configs[1:] {
		if c.Status != result.StatusSkipped || c.Reason != ErrBudget.Error() {
			t.Errorf("%s: %s (%s), want skipped for the budget", c.Name, c.Status, c.Reason)
		}
	}
	base := result.New(result.KindRun, "test", nil)
	base.Candidates = res.Candidates
	cut := func(int, result.Config) error { return fmt.Errorf("candidate A: %w", context.DeadlineExceeded) }
	if err := forEachConfig(context.Background(), base, cfgs[:1], past, result.ModeProcess, true, cut); !errors.Is(err, ErrBudget) {
		t.Errorf("the baseline cut by the budget: %v, want ErrBudget", err)
	}
	hung := result.New(result.KindRun, "test", nil)
	hung.Candidates = res.Candidates
	stall := func(int, result.Config) error {
		return &Stalled{Candidate: "A", Config: "glibc", Phase: "run", Budget: true}
	}
	if err := forEachConfig(context.Background(), hung, cfgs[:1], past, result.ModeProcess, true, stall); errors.Is(err, ErrBudget) || err == nil {
		t.Errorf("a hung baseline: %v, want the stall", err)
	}
}
