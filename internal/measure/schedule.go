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
	for round := 0; ; round++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, c := range order {
			if ok, err := sample(c, round, false); !ok {
				return round, err
			}
		}
		n := round + 1
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
