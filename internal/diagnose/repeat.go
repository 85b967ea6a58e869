package diagnose

import (
	"math"

	"github.com/faultline/faultline/internal/result"
)

// A whole process measured as one iteration (faultline run of a program
// that does not mark its iterations) mixes its start-up and shutdown into
// the per-iteration figures: the dynamic loader maps each library once,
// libc and the runtime map their arenas once. A program that loops does
// its work many times, so what it repeats is its work: the syscall sizes
// made about as often as the most repeated one. repeating keeps those and
// drops the ones made a few times per process, so that the signatures
// (a block mapped every iteration, ever larger blocks) read the loop
// alone. It changes nothing for a program that marks its iterations, or
// one that repeats nothing.

// startupMax is how often a start-up call of one size can be made per
// process (a loader mapping a few segments of one size) and still count as
// start-up when the loop repeats far more.
const startupMax = 8

// repeats is the loop count the sizes show: the most common frequency
// among sizes made more than startupMax times (ties: the higher), 1 when
// none is.
func repeats(s *result.Syscalls) float64 {
	if s == nil {
		return 1
	}
	seen := map[float64]int{}
	best, bestN := 1.0, 0
	for _, z := range s.Sizes {
		n := math.Round(z.Per)
		if n <= startupMax {
			continue
		}
		seen[n]++
		if seen[n] > bestN || seen[n] == bestN && n > best {
			best, bestN = n, seen[n]
		}
	}
	return best
}

// repeating returns s without the sizes made fewer than half as often as
// the loop repeats, for a run whose whole process is one iteration, and
// the loop count it read (0 when it read none); s itself otherwise. The
// counts and byte totals are left as measured.
func (a *analysis) repeating(s *result.Syscalls) (*result.Syscalls, float64) {
	if s == nil || a.unit != result.UnitRun || s.Iterations > 1 {
		return s, 0
	}
	k := repeats(s)
	if k <= 1 {
		return s, 0
	}
	c := *s
	c.Sizes = nil
	for _, z := range s.Sizes {
		if z.Per >= k/2 {
			c.Sizes = append(c.Sizes, z)
		}
	}
	return &c, k
}

// repeatEvidence says how a per-process trace was read, for the findings
// that rest on it: "the loop" is what repeats, start-up is left out.
func (a *analysis) repeatEvidence(p *pair) []result.Evidence {
	var out []result.Evidence
	for i, name := range []string{p.slow, p.fast} {
		if k := p.loops[i]; k > 1 {
			out = append(out, ev("times the loop repeats per run, read from the trace (calls made fewer than half as often left out as start-up)",
				name, a.base, k, "times", result.PassTrace))
		}
	}
	return out
}

// withRepeating is a copy of run whose syscalls are read by repeating,
// and the loop count read (0 for none).
func (a *analysis) withRepeating(run *result.Run) (*result.Run, float64) {
	if run == nil || run.PerIteration.Syscalls == nil {
		return run, 0
	}
	s, k := a.repeating(run.PerIteration.Syscalls)
	if k == 0 {
		return run, 0
	}
	c := *run
	c.PerIteration.Syscalls = s
	return &c, k
}
