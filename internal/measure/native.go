package measure

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/faultline/faultline/internal/nativealloc"
	"github.com/faultline/faultline/internal/perftrace"
	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/uprobe"
)

// NativeMaxCalls bounds what the native pass records of one command: at
// a few microseconds a probe hit, a program making millions of allocator
// calls would otherwise run for tens of seconds observed. When it is
// reached the probes are removed and the command runs on at full speed;
// the figures then cover the start of the run and say so.
const NativeMaxCalls = 1 << 19

// RunNative is the native allocation pass of faultline run: each
// candidate runs once more with uprobes on its allocator's API, placed
// before its exec (the command is held by a shell that stops itself, as
// for the perf trace pass), so its calls are counted from the first. The
// whole process is one iteration. It never contributes a time.
func RunNative(ctx context.Context, res *result.Result, cfg result.Config, o *RunOptions) error {
	o.Defaults()
	if err := uprobe.Available(); err != nil {
		res.Note("native allocation pass unavailable (%s): no allocator calls for the commands", oneLine(err))
		return nil
	}
	env := o.Env(cfg)
	b := o.budget()
	ctx, cancel := b.hard(ctx)
	defer cancel()
	for _, c := range res.UserCandidates() {
		r := res.Run(c.Name, cfg.Name, result.ModeProcess)
		if r == nil || r.Status != result.StatusOK {
			continue
		}
		// Probes slow a command down: it needs at least its time, and
		// removing them about 1.5 s (docs/tracing.md).
		if need := time.Duration(r.Time.Median*float64(max(1, r.Loops))*1e9) + nativeSlack; !b.fits(need) {
			skippedPass(res, result.PassNative, cfg.Name, c.Name, "", ErrBudget.Error())
			continue
		}
		if o.Progress != nil {
			o.Progress("native allocation pass: " + c.Name)
		}
		if err := nativeOne(ctx, res, r, c, env, o, cfg); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, uprobe.ErrUnavailable) {
				res.Note("native allocation pass unavailable (%s)", oneLine(err))
				return nil
			}
			res.Note("native allocation pass of %s failed: %s", c.Name, oneLine(err))
		}
	}
	return nil
}

func nativeOne(ctx context.Context, res *result.Result, r *result.Run, c result.Candidate, env []string, o *RunOptions, cfg result.Config) error {
	start := time.Now()
	argv := o.Argv(c)
	plan, err := nativealloc.NewPlan(nativealloc.Target{Argv: argv, Env: env})
	if err != nil {
		return err
	}
	p, err := proc.Start(ctx, &proc.Spec{Argv: perftrace.HoldArgv(argv), Env: env, Stdout: o.Output, Stderr: o.Output})
	if err != nil {
		return err
	}
	pid := p.Pid()
	abandon := func(err error) error {
		p.Kill()
		_, _ = p.Wait()
		return err
	}
	if err := perftrace.WaitStopped(ctx, pid, 5*time.Second); err != nil {
		return abandon(err)
	}
	var sess *uprobe.Session
	if len(plan.Probes) > 0 {
		sess, err = uprobe.Open(pid, plan.Probes, uprobe.Options{EnableOnExec: true, MaxHits: NativeMaxCalls})
		if err != nil {
			return abandon(err)
		}
	}
	t0 := time.Now()
	_ = syscall.Kill(pid, syscall.SIGCONT)
	exit, err := p.Wait()
	wall := time.Since(t0)
	var rec uprobe.Recording
	if sess != nil {
		rec = sess.Stop()
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return &Stalled{Candidate: c.Name, Config: cfg.Name, Phase: "native allocation", After: time.Since(start), Budget: true}
	}
	if exit.Failed() {
		return fmt.Errorf("the observed run %s", exit)
	}
	a, notes := nativealloc.Tally(plan, rec, 1)
	a.Scope = "process"
	r.PerIteration.Native = a
	r.Sources["native_allocations"] = result.PassNative
	for _, n := range notes {
		res.Note("native: %s: %s", c.Name, n)
	}
	if r.Loops > 1 {
		res.Note("native: %s marks its iterations, but its allocator calls are per process, not per iteration", c.Name)
	}
	pass := result.Pass{Name: result.PassNative, Config: cfg.Name, Candidate: c.Name, Seconds: time.Since(start).Seconds(),
		Note: fmt.Sprintf("uprobes on %d allocator functions (%d calls recorded)", plan.Functions(), len(rec.Hits))}
	if r.Time.Median > 0 && r.Loops <= 1 {
		pass.Overhead = wall.Seconds() / r.Time.Median
	}
	res.Passes = append(res.Passes, pass)
	return nil
}
