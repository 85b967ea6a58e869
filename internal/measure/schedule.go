package measure

import (
	"math/rand/v2"
	"time"
)

// schedule is the one way candidates are timed together, in a probe or as
// processes: warm-up rounds, then rounds in a fresh random order each, so
// drift on a noisy machine hits every candidate alike, until a fixed
// count, or adaptively until every interval is tight (or the question the
// run answers is decided), the configuration's share of time is spent, or
// the budget ends.
type schedule struct {
	fixed    int // exact rounds; 0 = adaptive
	min, max int // adaptive bounds
	warmup   int
	// share is the time after which adaptive rounds stop once min
	// rounds are in.
	share time.Duration
	// done says the samples so far answer the question: every interval
	// tight, or an experiment decided.
	done func() bool
	// undecided, when set, extends the share up to longShare while it
	// holds: an experiment whose comparison is not settled yet.
	undecided func() bool
	longShare time.Duration
	// plan, when set, sizes the schedule from the work once the first
	// timed round shows how long a round takes (workPlan).
	plan *workPlan
	// samples, when set, is the fewest timed samples any candidate has:
	// more than the rounds when a long warm-up counted, and the minimum
	// is of samples.
	samples func() int
}

// workPlan sizes an adaptive schedule from the length of its first
// round and what is left of the budget. A slow command gets the rounds
// its question needs before anything else: at least minRounds, and up to
// the schedule's own minimum when those fit in share of what is left;
// while the question is undecided, the schedule may go on until long of
// what is left is spent. The budget stays a hard ceiling.
type workPlan struct {
	minRounds   int
	share, long float64
	// reserve is time that must stay free after the schedule (the trace
	// pass's runs), known only once a round has run.
	reserve func() time.Duration
}

// apply resizes s after its first round, which took round, with the
// schedule started at start.
func (p *workPlan) apply(s *schedule, b budget, round time.Duration, start time.Time) {
	if b.deadline.IsZero() || round <= 0 {
		return
	}
	left := time.Until(b.deadline)
	if p.reserve != nil {
		left -= p.reserve()
	}
	if left <= 0 {
		return
	}
	fit := int(p.share * float64(left) / float64(round))
	s.min = min(max(p.minRounds, fit), max(p.minRounds, s.min))
	s.share = max(s.share, time.Duration(s.min)*round)
	if s.undecided != nil {
		s.longShare = max(s.longShare, s.share, time.Since(start)+time.Duration(p.long*float64(left)))
	}
}

// take runs one sample of candidate c; false (with a nil error) ends the
// schedule cleanly, for the budget.
type take func(c string, round int, warm bool) (bool, error)

// run runs the schedule over names and returns the timed rounds completed.
func (s schedule) run(names []string, rng *rand.Rand, b budget, sample take, progress func(round int)) (int, error) {
	start := time.Now()
	for w := 0; w < s.warmup; w++ {
		for _, c := range names {
			if ok, err := sample(c, -1, true); !ok {
				return 0, err
			}
		}
	}
	order := append([]string(nil), names...)
	roundStart := time.Now()
	for round := 0; ; round++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, c := range order {
			if ok, err := sample(c, round, false); !ok {
				return round, err
			}
		}
		n := round + 1
		if n == 1 && s.plan != nil {
			s.plan.apply(&s, b, time.Since(roundStart), start)
		}
		if progress != nil {
			progress(n)
		}
		if s.stop(n, time.Since(start)) || !b.fits(0) {
			return n, nil
		}
	}
}

// stop says whether n rounds, taking elapsed, are enough.
func (s schedule) stop(n int, elapsed time.Duration) bool {
	if s.fixed > 0 {
		return n >= s.fixed
	}
	if s.samples != nil {
		n = max(n, s.samples())
	}
	if n >= s.max {
		return true
	}
	if n < s.min {
		return false
	}
	if s.done != nil && s.done() {
		return true
	}
	if elapsed > s.share && s.undecided != nil && s.undecided() {
		return elapsed > s.longShare
	}
	return elapsed > s.share
}
