package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

// resamples is the number of bootstrap resamples of an interval.
const resamples = 2000

// drawnMax is the largest sample whose resamples are drawn value by
// value. A larger one has its resamples' medians drawn directly
// (medianDraw): drawing every value costs resamples × n log n, minutes
// for runs of a hundred thousand samples, while a direct draw costs the
// same for any n. Below it the intervals are those every result so
// far was written with, so saved results compare as they were measured.
const drawnMax = 1000

// bootstrapRatio is the percentile bootstrap interval of median(other) /
// median(base): each resample draws len(base) values of base and
// len(other) values of other with replacement. The seed is fixed, so the
// same samples give the same interval.
func bootstrapRatio(base, other []float64) (lo, hi float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	bd, od := newMedianDraw(base), newMedianDraw(other)
	ratios := make([]float64, 0, resamples)
	for range resamples {
		// Both are drawn before the test, keeping the order in which
		// the random numbers are used.
		mb, mo := bd.next(rng), od.next(rng)
		if mb > 0 {
			ratios = append(ratios, mo/mb)
		}
	}
	if len(ratios) == 0 {
		return 0, 0
	}
	slices.Sort(ratios)
	a := (1 - Confidence) / 2
	return ratios[int(a*float64(len(ratios)-1))], ratios[int((1-a)*float64(len(ratios)-1))]
}

// medianDraw draws the median of a bootstrap resample of one sample.
//
// A resample of n values of x drawn with replacement is, with x sorted,
// x[floor(n·U_i)] for n uniform U_i; floor(n·u) never decreases in u, so
// the resample's order statistics are those of the uniforms mapped the
// same way, and its median needs only the middle one or two of them. The
// k-th order statistic of n uniforms is S_k / S_(n+1), where S_j sums j
// standard exponentials (the n+1 gaps between the sorted uniforms), so
// the middle two are G/T and (G+E)/T for G ~ Gamma(k), E ~ Exp(1), and
// T = G + E + Gamma(n-k). The medians drawn this way have exactly the
// distribution of the resamples' medians.
type medianDraw struct {
	x      []float64 // the sample as given: drawn from by index
	sorted []float64 // sorted, for a direct draw
	buf    []float64 // one resample, drawn value by value
}

func newMedianDraw(x []float64) *medianDraw {
	if len(x) <= drawnMax {
		return &medianDraw{x: x, buf: make([]float64, len(x))}
	}
	s := slices.Clone(x)
	slices.Sort(s)
	return &medianDraw{x: x, sorted: s}
}

// next draws one resample's median.
func (d *medianDraw) next(rng *rand.Rand) float64 {
	if d.sorted == nil {
		for i := range d.buf {
			d.buf[i] = d.x[rng.IntN(len(d.x))]
		}
		slices.Sort(d.buf)
		return sortedMedian(d.buf)
	}
	n := len(d.sorted)
	// The middle order statistics are the k-th and, for even n, the
	// (k+1)-th; n > drawnMax, so both gammas have a shape of 1 or more.
	k := (n + 1) / 2
	g := gammaDraw(rng, float64(k))
	e := rng.ExpFloat64()
	t := g + e + gammaDraw(rng, float64(n-k))
	at := func(u float64) float64 {
		return d.sorted[min(n-1, int(u*float64(n)))]
	}
	if n%2 == 1 {
		return at(g / t)
	}
	return (at(g/t) + at((g+e)/t)) / 2
}

// gammaDraw draws from Gamma(shape, 1) for shape ≥ 1: Marsaglia and
// Tsang, "A simple method for generating gamma variables" (2000).
func gammaDraw(rng *rand.Rand, shape float64) float64 {
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
