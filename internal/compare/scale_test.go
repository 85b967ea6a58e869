package compare

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

// synthetic is a timeit result with candidates A and B under one
// configuration, n samples a run with 2% noise around 1 ms and 2 ms,
// times scaled by scale.
func synthetic(n int, scale float64, seed uint64) *result.Result {
	rng := rand.New(rand.NewPCG(seed, 1))
	r := result.New(result.KindTimeit, "test", nil)
	r.Configs = []result.Config{{Name: result.DefaultConfig, Status: result.StatusOK}}
	for i, name := range []string{"A", "B"} {
		r.Candidates = append(r.Candidates, result.Candidate{Name: name, Label: name, Statement: name})
		run := result.Run{Candidate: name, Config: result.DefaultConfig, Mode: result.ModeInterleaved, Status: result.StatusOK, Loops: 1}
		run.Samples = make([]result.Sample, n)
		for j := range run.Samples {
			run.Samples[j] = result.Sample{Seq: j, Round: j, Seconds: float64(i+1) * 1e-3 * scale * (1 + 0.02*rng.NormFloat64()), MinorFaults: 1}
		}
		run.Time = stats.Estimate{Unit: "s", Median: float64(i+1) * 1e-3 * scale, N: n}
		r.Results = append(r.Results, run)
	}
	return r
}

// Comparing two results costs a few sorts of their samples, not a sort
// per bootstrap resample (2000 of them per candidate): before, runs of a
// hundred thousand samples took 100 s to compare and a million would
// have taken half an hour. The cost is measured against a sort of the
// same samples in the same process, so a loaded machine slows both, and
// at two sizes, so it also grows as n log n.
func TestCompareCostsFewSorts(t *testing.T) {
	const maxSorts = 100
	for _, n := range []int{10_000, 40_000} {
		in := []Input{{"old.json", synthetic(n, 1, 1)}, {"new.json", synthetic(n, 1.01, 2)}}
		one := bestOf(3, func() {
			s := in[0].Result.Results[0].TimedSeconds()
			slices.Sort(s)
		})
		// Two tries: a scheduling stall on a busy machine is not the
		// algorithm.
		var took time.Duration
		for range 2 {
			took = bestOf(1, func() {
				if _, err := New(in, Options{}); err != nil {
					t.Fatal(err)
				}
			})
			if took <= maxSorts*one {
				break
			}
		}
		if took > maxSorts*one {
			t.Errorf("%d samples a run: compare took %v, %.0f times a sort of one run's samples (%v); want at most %d",
				n, took, float64(took)/float64(one), one, maxSorts)
		}
	}
}

// bestOf is the shortest of k runs of f.
func bestOf(k int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range k {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}

func BenchmarkNew(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		in := []Input{{"old.json", synthetic(n, 1, 1)}, {"new.json", synthetic(n, 1.01, 2)}}
		b.Run("samples="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := New(in, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
