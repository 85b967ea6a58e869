package measure

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/faultline/faultline/internal/result"
)

// The time budget (--budget) bounds the whole run with two instants. Work
// that would not finish by the deadline is not started: a sample, a run, a
// pass or a configuration is skipped and recorded as such. Whatever is
// still running at the stop (a target that hangs, a probe that never
// starts) is killed there. The gap between the two leaves time to kill,
// diagnose and write before the budget ends.
type budget struct {
	deadline time.Time // no new work past this
	stop     time.Time // anything still running is killed here
}

// Budget returns the deadline and stop of a run that started at start
// with the time budget d: the stop is the end of the budget, the
// deadline a tenth of it earlier (at most a second), for the tail.
func Budget(start time.Time, d time.Duration) (deadline, stop time.Time) {
	stop = start.Add(d)
	return stop.Add(-min(time.Second, d/10)), stop
}

// fits says whether work expected to take d can start now.
func (b budget) fits(d time.Duration) bool {
	return b.deadline.IsZero() || !time.Now().Add(d).After(b.deadline)
}

// hard returns ctx bounded by the stop.
func (b budget) hard(ctx context.Context) (context.Context, context.CancelFunc) {
	if b.stop.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, b.stop)
}

// watchdog is how long one request to a probe that is expected to take
// about d may take before the target counts as stalled: far beyond any
// noise of a loaded machine, and short against a budget.
func watchdog(d time.Duration) time.Duration { return max(2*time.Second, 20*d) }

// watch bounds ctx by the watchdog for a request expected to take d (0:
// unknown, bounded by the stop only).
func watch(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, watchdog(d))
}

// ErrBudget is returned when the deadline left no time for planned work.
var ErrBudget = errors.New("time budget exhausted (raise --budget)")

// budgetCut says whether the end of the time budget cut the work err
// ended, rather than the target failing it: ErrBudget, or a deadline that
// struck after the budget's deadline had passed. A target killed at the
// budget's end because it stopped reporting is a *Stalled (stalledAtEnd),
// not a cut.
func budgetCut(err error, deadline time.Time) bool {
	return errors.Is(err, ErrBudget) ||
		errors.Is(err, context.DeadlineExceeded) && !deadline.IsZero() && !time.Now().Before(deadline)
}

// stalledAtEnd says whether err is a target still stalled (starting, in
// a sample) when the budget ended.
func stalledAtEnd(err error) bool {
	var st *Stalled
	return errors.As(err, &st) && st.Budget
}

// Stalled reports a target that stopped reporting: a probe that did not
// become ready, a sample or a run that outlived its watchdog. It was
// killed; what was measured before is kept.
type Stalled struct {
	Candidate string // "" when the probe never became ready
	Config    string
	Phase     string // what it was doing: "start", "sample", "trace", "alloc", "run"
	After     time.Duration
	// Budget: the watchdog that fired was the end of the time budget.
	Budget bool
}

func (e *Stalled) Error() string {
	who := "the probe"
	if e.Candidate != "" {
		who = "candidate " + e.Candidate
	}
	what := map[string]string{"start": "starting", "sample": "in a sample", "trace": "in the trace pass",
		"alloc": "in the allocation pass", "run": "running"}[e.Phase]
	if e.Budget {
		return fmt.Sprintf("%s timed out under %s: still %s at the end of the time budget (--budget); killed", who, e.Config, what)
	}
	return fmt.Sprintf("%s timed out under %s: no report for %s %s; killed", who, e.Config, e.After.Round(100*time.Millisecond), what)
}

// stalled turns the error of a probe request made under rctx (a watchdog
// or the stop, derived from ctx) into a *Stalled when a watchdog fired;
// other errors, and the caller's own cancellation, pass unchanged.
func stalled(ctx, rctx context.Context, err error, b budget, cand, config, phase string, t0 time.Time) error {
	if err == nil || ctx.Err() != nil || rctx.Err() == nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &Stalled{Candidate: cand, Config: config, Phase: phase, After: time.Since(t0),
		Budget: !b.stop.IsZero() && !time.Now().Before(b.stop)}
}

// markStalled records a stall on the runs it concerns: the candidate's
// run under config and mode (every candidate's when the probe never
// started), failed and timed out, its samples kept.
func markStalled(res *result.Result, st *Stalled, mode string, cands []result.Candidate) {
	for _, c := range cands {
		if st.Candidate != "" && c.Name != st.Candidate {
			continue
		}
		r := res.Run(c.Name, st.Config, mode)
		if r == nil {
			res.Results = append(res.Results, result.Run{Candidate: c.Name, Config: st.Config, Mode: mode})
			r = &res.Results[len(res.Results)-1]
		}
		r.Status, r.Error, r.TimedOut = result.StatusFailed, st.Error(), true
	}
}

// skippedPass records a pass that did not run, and why.
func skippedPass(res *result.Result, name, config, cand, note, reason string) {
	res.Passes = append(res.Passes, result.Pass{Name: name, Config: config, Candidate: cand, Note: note,
		Status: result.StatusSkipped, Reason: reason})
}
