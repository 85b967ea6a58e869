package stats

import (
	"math"
	"slices"

	mstats "github.com/aclements/go-moremath/stats"
)

// The verdict of a comparison has three answers, as criterion.rs gives
// them: one side is slower (or faster), the two are equivalent within a
// stated margin, or the samples cannot tell yet. "No significant
// difference" is never an answer: a gap that was only under-sampled is
// inconclusive, and says how many runs would settle it.
//
// Time is tested with Welch's t-test on log times. Timing noise is
// multiplicative (a busy neighbour slows a run by a share of it), so log
// times are close to normal with unequal spreads, and the t-test keeps its
// power at three samples a side, where a rank test cannot reject at
// Alpha at all (its smallest two-sided p for 3 against 3 is 0.1).
//
// Counts are evidence too. Minor faults per iteration are nearly
// deterministic: when every sample of one side faults more than every
// sample of the other, beyond the noise of counting, and those faults at
// the host's fault cost can make a tenth of the time gap, the time test
// need only reach AlphaCorroborated in the same direction. The answer says
// which evidence decided it.

// Answer is a comparison's verdict: Other against Base.
type Answer string

// The answers.
const (
	Slower       Answer = "slower"
	Faster       Answer = "faster"
	Equivalent   Answer = "equivalent"
	Inconclusive Answer = "inconclusive"
)

// AlphaCorroborated is the level the time test must reach when the
// counts separate the two sides in the same direction.
const AlphaCorroborated = 0.05

// Noise is the difference below which a significant gap is still called
// equivalent: a 90% interval of the ratio inside ±Noise (criterion.rs's
// noise threshold).
const Noise = 0.02

// EquivalenceLimit is the widest margin an equivalence is claimed with;
// a wider interval that includes 1 is inconclusive.
const EquivalenceLimit = 0.10

// Evidence sources a verdict names.
const (
	ByTime       = "time"
	ByTimeFaults = "time and faults"
)

// Side is one candidate's samples: timed seconds per iteration and, where
// counted, the minor faults per iteration of the same samples (nil when
// not counted).
type Side struct {
	Times  []float64
	Faults []float64
}

// Verdict is the inference about Other against Base.
type Verdict struct {
	Comparison
	Answer Answer
	// DecidedBy names the evidence that decided a slower, faster or
	// equivalent answer: ByTime or ByTimeFaults.
	DecidedBy string
	// Margin is, for an equivalent answer, the largest difference the
	// samples allow (0.04: within ±4%).
	Margin float64
	// RunsNeeded is, for an inconclusive answer, about how many samples
	// a side the question needs at the spread seen (0 when unknown).
	RunsNeeded int
}

// Infer compares other against base with every piece of evidence given.
// faultCost is the host's seconds per minor fault (0 when unknown: the
// counts then corroborate by their separation alone).
func Infer(base, other Side, faultCost float64) Verdict {
	v := Verdict{Comparison: ratio(base.Times, other.Times), Answer: Inconclusive}
	w := welch(base.Times, other.Times)
	if !w.ok {
		v.RunsNeeded = 3
		return v
	}
	v.P = w.p
	dir := Slower
	if w.d < 0 {
		dir = Faster
	}
	lo90, hi90 := w.interval(0.90)
	margin := max(math.Exp(hi90)-1, 1-math.Exp(lo90))
	switch {
	case margin <= Noise:
		v.Answer, v.DecidedBy, v.Margin = Equivalent, ByTime, roundUpPercent(margin)
	case w.p < Alpha:
		v.Answer, v.DecidedBy = dir, ByTime
	case w.p < AlphaCorroborated && countsAgree(base, other, dir, faultCost):
		v.Answer, v.DecidedBy = dir, ByTimeFaults
	case margin <= EquivalenceLimit:
		v.Answer, v.DecidedBy, v.Margin = Equivalent, ByTime, roundUpPercent(margin)
	default:
		v.RunsNeeded = w.runsNeeded()
	}
	v.Significant = v.Answer == Slower || v.Answer == Faster
	return v
}

// roundUpPercent rounds a margin up to a whole percent, at least 1%.
func roundUpPercent(m float64) float64 {
	return max(1, math.Ceil(m*100-1e-9)) / 100
}

// countsAgree says whether the faults separate the two sides in the
// direction of the time: every sample of the slower side faults more
// than every sample of the other, by more than counting noise, and (when
// the cost of a fault is known) those faults can make a tenth of the time
// gap.
func countsAgree(base, other Side, dir Answer, faultCost float64) bool {
	if len(base.Faults) < 2 || len(other.Faults) < 2 {
		return false
	}
	slow, fast := other, base
	if dir == Faster {
		slow, fast = base, other
	}
	lo, hi := slices.Min(slow.Faults), slices.Max(fast.Faults)
	if lo <= hi || CountsAlike(lo, hi) {
		return false
	}
	if faultCost <= 0 {
		return true
	}
	gap := math.Abs(Median(other.Times) - Median(base.Times))
	return (lo-hi)*faultCost >= 0.1*gap
}

// The noise floors of per-iteration counts, the only ones: every rule
// that asks whether faults or calls differ reads these.
const (
	// CountNoise is the difference of a per-iteration count (faults,
	// calls) that counting alone can make: a fault-based cause rests on
	// more, and CountsAlike allows it.
	CountNoise = 2
	// FaultFloor is the change in minor faults per iteration below which
	// a change of faults is not material: a quarter MiB of 4 KiB pages,
	// what a loaded machine, a compaction or a first touch of a stack can
	// add to a loop that allocates nothing. A gate's breach, a cliff's
	// jump, a candidate faulting alone and a configuration worth tracing
	// all need at least this much.
	FaultFloor = 64
)

// CountsAlike says whether two per-iteration counts (faults, calls) are
// the same within counting noise: within CountNoise or 20% of the larger.
// Processes, samples and gates use it.
func CountsAlike(x, y float64) bool {
	return math.Abs(x-y) < max(CountNoise, 0.2*max(math.Abs(x), math.Abs(y)))
}

// welchResult is Welch's t-test on log times: d is the mean of log(other)
// minus that of log(base), se its standard error, df Welch-Satterthwaite's
// degrees of freedom.
type welchResult struct {
	ok        bool
	d, se, df float64
	p         float64
	sd        float64 // pooled standard deviation of one log sample
}

func welch(base, other []float64) welchResult {
	lb, lo := logs(base), logs(other)
	if len(lb) < 2 || len(lo) < 2 {
		return welchResult{}
	}
	mb, vb := meanVar(lb)
	mo, vo := meanVar(lo)
	nb, no := float64(len(lb)), float64(len(lo))
	w := welchResult{ok: true, d: mo - mb}
	sb, so := vb/nb, vo/no
	w.se = math.Sqrt(sb + so)
	w.sd = math.Sqrt((vb + vo) / 2)
	if w.se == 0 {
		// Identical samples on each side: the difference is exact.
		w.df = nb + no - 2
		if w.d == 0 {
			w.p = 1
		}
		return w
	}
	w.df = (sb + so) * (sb + so) / (sb*sb/(nb-1) + so*so/(no-1))
	t := w.d / w.se
	w.p = clampP(2 * (1 - (mstats.TDist{V: w.df}).CDF(math.Abs(t))))
	return w
}

// interval is the two-sided interval of d at level.
func (w welchResult) interval(level float64) (lo, hi float64) {
	if w.se == 0 {
		return w.d, w.d
	}
	q := tQuantile(w.df, 1-(1-level)/2)
	return w.d - q*w.se, w.d + q*w.se
}

// runsNeeded is about how many samples a side would decide the question
// at the spread seen: a difference as large as the one seen, at Alpha
// with 80% power, or an interval inside EquivalenceLimit, whichever is
// reached first; capped at 1000.
func (w welchResult) runsNeeded() int {
	const zAlpha, zPower, z90 = 2.576, 0.842, 1.645
	need := math.Inf(1)
	if d := math.Abs(w.d); d > 0 {
		need = 2 * math.Pow((zAlpha+zPower)*w.sd/d, 2)
	}
	if room := math.Log1p(EquivalenceLimit) - math.Abs(w.d); room > 0 {
		need = min(need, 2*math.Pow(z90*w.sd/room, 2))
	}
	if math.IsInf(need, 1) || math.IsNaN(need) {
		return 0
	}
	return int(min(1000, max(3, math.Ceil(need))))
}

// tQuantile inverts the t distribution's CDF by bisection.
func tQuantile(df, p float64) float64 {
	d := mstats.TDist{V: df}
	lo, hi := 0.0, 1.0
	for d.CDF(hi) < p && hi < 1e6 {
		hi *= 2
	}
	for range 100 {
		mid := (lo + hi) / 2
		if d.CDF(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

func logs(v []float64) []float64 {
	out := make([]float64, 0, len(v))
	for _, x := range v {
		if x > 0 {
			out = append(out, math.Log(x))
		}
	}
	return out
}

func meanVar(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v)-1)
}

// Differ says whether two samples of times differ: a slower or faster
// verdict on times alone.
func Differ(a, b []float64) bool { return Compare(a, b).Significant }
