package measure

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
)

// Starter starts the next probes while the current one measures: a Python
// with NumPy takes a tenth of a second or more to start and run its setup,
// a dozen times per measurement, and on a machine with a second core that
// start need not wait. A probe started ahead is used only by a request for
// the same candidates under the same environment; one never asked for is
// ended by Close. The zero value is not usable; a nil Starter starts
// nothing ahead.
//
// The probe's start runs beside the timing of another process: it shares
// the machine as any neighbour does, and the comparisons that decide a
// verdict are between candidates interleaved in one process, so it shifts
// them alike.
type Starter struct {
	mu      sync.Mutex
	pending []*early
	closed  bool
}

// aheadMax is how many probes may wait started at once: each holds its
// setup's memory, and one more than the next is rarely used before the
// current ends.
const aheadMax = 2

// early is one probe started ahead.
type early struct {
	key    string
	done   chan struct{}
	s      *probe.Session
	err    error
	ctx    context.Context
	cancel context.CancelFunc
}

// NewStarter returns a Starter.
func NewStarter() *Starter { return &Starter{} }

// startKey identifies what a probe runs: the candidates and the
// environment (a retuned configuration's new thresholds make another key).
func startKey(cands []result.Candidate, env []string) string {
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = c.Name + "=" + c.Statement
	}
	return strings.Join(names, "\x00") + "\x01" + strings.Join(env, "\x00")
}

// Ahead starts a probe for cands under cfg unless one is pending, as many
// are already waiting, or the budget has no room for a start.
func (st *Starter) Ahead(ctx context.Context, tgt Target, cfg result.Config, cands []result.Candidate, o *Options) {
	if st == nil || len(cands) == 0 {
		return
	}
	o.Defaults()
	b := o.budget()
	if !b.fits(probeStartCost) {
		return
	}
	env := o.Env(cfg)
	key := startKey(cands, env)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed || len(st.pending) >= aheadMax || slices.ContainsFunc(st.pending, func(e *early) bool { return e.key == key }) {
		return
	}
	spec, err := tgt.Spec(cands, env)
	if err != nil {
		return
	}
	hctx, cancel := b.hard(ctx)
	e := &early{key: key, done: make(chan struct{}), ctx: hctx, cancel: cancel}
	st.pending = append(st.pending, e)
	go func() {
		defer close(e.done)
		e.s, e.err = probe.Start(hctx, spec)
	}()
}

// take returns the probe started ahead for cands under env once its start
// has ended (its session, or the error that ended it), nil when none was
// started.
func (st *Starter) take(cands []result.Candidate, env []string) *early {
	if st == nil {
		return nil
	}
	key := startKey(cands, env)
	st.mu.Lock()
	i := slices.IndexFunc(st.pending, func(e *early) bool { return e.key == key })
	if i < 0 {
		st.mu.Unlock()
		return nil
	}
	e := st.pending[i]
	st.pending = slices.Delete(st.pending, i, i+1)
	st.mu.Unlock()
	<-e.done
	return e
}

// Close ends every probe started ahead and not taken, and starts no more.
func (st *Starter) Close() {
	if st == nil {
		return
	}
	st.mu.Lock()
	pending := st.pending
	st.pending, st.closed = nil, true
	st.mu.Unlock()
	for _, e := range pending {
		e.cancel()
		<-e.done
		if e.s != nil {
			e.s.Abort()
		}
	}
}

// start returns a probe for cands under env: the one started ahead, else
// a new one, with the context bounding its life (nil when the spec could
// not be made: err says why) and its cancel.
func (st *Starter) start(ctx context.Context, tgt Target, cands []result.Candidate, env []string, b budget) (*probe.Session, context.Context, context.CancelFunc, error) {
	if e := st.take(cands, env); e != nil {
		// A failed start's context stays live, as a fresh one's does:
		// the caller reads it to say whether the budget's stop struck.
		return e.s, e.ctx, e.cancel, e.err
	}
	spec, err := tgt.Spec(cands, env)
	if err != nil {
		return nil, nil, nil, err
	}
	hctx, cancel := b.hard(ctx)
	s, err := probe.Start(hctx, spec)
	return s, hctx, cancel, err
}
