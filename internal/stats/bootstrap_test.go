package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// drawnRatio is bootstrapRatio as it was before medians were drawn
// directly: every resample drawn value by value.
func drawnRatio(base, other []float64) (lo, hi float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	ratios := make([]float64, 0, resamples)
	bb := make([]float64, len(base))
	ob := make([]float64, len(other))
	for range resamples {
		for i := range bb {
			bb[i] = base[rng.IntN(len(base))]
		}
		for i := range ob {
			ob[i] = other[rng.IntN(len(other))]
		}
		if m := Median(bb); m > 0 {
			ratios = append(ratios, Median(ob)/m)
		}
	}
	if len(ratios) == 0 {
		return 0, 0
	}
	slices.Sort(ratios)
	a := (1 - Confidence) / 2
	return ratios[int(a*float64(len(ratios)-1))], ratios[int((1-a)*float64(len(ratios)-1))]
}

// Samples of up to drawnMax values keep the intervals they always had:
// saved results and the golden files compare as they were written.
func TestBootstrapSmallUnchanged(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range [][2]int{{1, 1}, {3, 3}, {20, 21}, {200, 7}, {drawnMax, drawnMax}} {
		a, b := noisy(rng, 1e-3, n[0]), noisy(rng, 2e-3, n[1])
		lo, hi := bootstrapRatio(a, b)
		wlo, whi := drawnRatio(a, b)
		if lo != wlo || hi != whi {
			t.Errorf("%v samples: interval [%g, %g], want [%g, %g] as before", n, lo, hi, wlo, whi)
		}
	}
	// Zeros: resamples whose base median is 0 are left out, as before.
	z := []float64{0, 0, 0, 1, 2}
	if lo, hi := bootstrapRatio(z, z); lo == 0 && hi == 0 {
		t.Errorf("a base of mostly zeros gave no interval")
	} else if wlo, whi := drawnRatio(z, z); lo != wlo || hi != whi {
		t.Errorf("zeros: [%g, %g], want [%g, %g]", lo, hi, wlo, whi)
	}
}

// A resample's median drawn directly has the distribution of the median
// of a resample drawn value by value: their quantiles agree, for an even
// and an odd number of skewed (log-normal) values.
func TestMedianDrawDistribution(t *testing.T) {
	const draws = 8000
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{drawnMax + 1, 1500} {
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Exp(rng.NormFloat64())
		}
		direct := newMedianDraw(x)
		byValue := &medianDraw{x: x, buf: make([]float64, n)}
		if direct.sorted == nil {
			t.Fatalf("n = %d: not drawn directly; the premise of this test is wrong", n)
		}
		d, v := make([]float64, draws), make([]float64, draws)
		r1, r2 := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(3, 4))
		for i := range draws {
			d[i], v[i] = direct.next(r1), byValue.next(r2)
		}
		slices.Sort(d)
		slices.Sort(v)
		// The spread of the bootstrap median, for the tolerance: the
		// quantiles of 8000 draws each are within a twentieth of it.
		spread := v[int(0.975*draws)] - v[int(0.025*draws)]
		for _, q := range []float64{0.025, 0.25, 0.5, 0.75, 0.975} {
			i := int(q * draws)
			if math.Abs(d[i]-v[i]) > 0.05*spread {
				t.Errorf("n = %d: quantile %g of the medians is %.5f drawn directly, %.5f drawn by value (spread %.5f)",
					n, q, d[i], v[i], spread)
			}
		}
	}
}

// A directly drawn median costs a few random numbers whatever the size
// of the sample: the bootstrap is linear in it (after one sort), not
// resamples × n log n.
func TestMedianDrawCost(t *testing.T) {
	for _, n := range []int{drawnMax + 1, 1_000_000} {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(i)
		}
		d := newMedianDraw(x)
		src := &countedSource{src: rand.NewPCG(1, 2)}
		rng := rand.New(src)
		for range resamples {
			d.next(rng)
		}
		if per := float64(src.n) / resamples; per > 20 {
			t.Errorf("n = %d: %.1f random numbers a median, want a few", n, per)
		}
	}
}

type countedSource struct {
	src rand.Source
	n   int
}

func (c *countedSource) Uint64() uint64 { c.n++; return c.src.Uint64() }

func TestGammaDrawMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, shape := range []float64{1, 2.5, 500_000} {
		const n = 20000
		var sum, ss float64
		for range n {
			x := gammaDraw(rng, shape)
			sum += x
			ss += x * x
		}
		mean := sum / n
		variance := ss/n - mean*mean
		// Gamma(k, 1) has mean and variance k; the mean of 20000
		// draws is within 4 standard errors of it.
		if math.Abs(mean-shape) > 4*math.Sqrt(shape/n) || math.Abs(variance/shape-1) > 0.1 {
			t.Errorf("Gamma(%g): mean %g, variance %g; want both %g", shape, mean, variance, shape)
		}
	}
}

func BenchmarkBootstrapRatio(b *testing.B) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{100, 100_000} {
		x, y := noisy(rng, 1e-3, n), noisy(rng, 1.1e-3, n)
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				bootstrapRatio(x, y)
			}
		})
	}
}
