// Package stats summarises timing samples the way benchstat does.
//
// A candidate's time is the median of its samples with a distribution-free
// confidence interval from order statistics (golang.org/x/perf/benchmath,
// AssumeNothing): timing noise on shared machines is skewed and heavy-tailed,
// so the mean and a t-interval would be pulled around by a few slow samples.
// Whether two candidates differ is inferred from every piece of evidence
// (infer.go): Welch's t-test on log times, which keeps its power at three
// samples a side, corroborated by the counts; the answer is slower,
// equivalent within a margin, or inconclusive. benchstat prints "~" for
// what is not significant, and so do we. The interval of a ratio of medians has no closed
// form, so it comes from a percentile bootstrap with a fixed seed (the
// output is deterministic for the same samples).
package stats

import (
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// Confidence is the level of every interval faultline reports.
const Confidence = 0.95

// Alpha is the significance level of comparisons.
const Alpha = 0.01

// Estimate is a median with its confidence interval. The result schema
// stores it as it is (result.Estimate), so its JSON form is part of that
// schema (docs/json-schema.md).
type Estimate struct {
	Unit   string  `json:"unit"` // always "s" for time
	Median float64 `json:"median"`
	Low    float64 `json:"low"`
	High   float64 `json:"high"`
	// Confidence is the level of [Low, High]; 0 when n was too small for
	// an interval (Low == High == Median then).
	Confidence float64 `json:"confidence"`
	N          int     `json:"n"`
	// Mean, Stddev (the sample standard deviation, nil below two
	// values), Min and Max are the figures hyperfine reports, kept so that
	// an export computes nothing.
	Mean   float64  `json:"mean,omitempty"`
	Stddev *float64 `json:"stddev,omitempty"`
	Min    float64  `json:"min,omitempty"`
	Max    float64  `json:"max,omitempty"`
}

// Summarize returns the median of values, in seconds, with its confidence
// interval.
func Summarize(values []float64) Estimate {
	e := Estimate{Unit: "s", N: len(values)}
	if len(values) == 0 {
		return e
	}
	e.Mean, e.Stddev = meanStddev(values)
	e.Min, e.Max = slices.Min(values), slices.Max(values)
	s := benchmath.NewSample(slices.Clone(values), &benchmath.DefaultThresholds)
	sum := benchmath.AssumeNothing.Summary(s, Confidence)
	e.Median, e.Low, e.High = sum.Center, sum.Lo, sum.Hi
	if len(sum.Warnings) == 0 && !math.IsInf(e.Low, 0) && !math.IsInf(e.High, 0) {
		e.Confidence = Confidence
	} else {
		e.Low, e.High = e.Median, e.Median
	}
	return e
}

// Comparison is the result of comparing other against base.
type Comparison struct {
	Ratio, Low, High float64 // median(other)/median(base) with its interval
	P                float64 // Welch's t-test on log times (infer.go)
	Significant      bool    // the verdict is slower or faster
}

// Compare compares two samples of times alone (Infer with no counts):
// the ratio of medians with its bootstrap interval, Welch's p on log
// times, and whether the verdict is slower or faster.
func Compare(base, other []float64) Comparison {
	return Infer(Side{Times: base}, Side{Times: other}, 0).Comparison
}

// ratio is the ratio of medians with its bootstrap interval.
func ratio(base, other []float64) Comparison {
	c := Comparison{P: 1}
	if len(base) == 0 || len(other) == 0 {
		return c
	}
	if mb := Median(base); mb > 0 {
		c.Ratio = Median(other) / mb
	}
	c.Low, c.High = bootstrapRatio(base, other)
	return c
}

// MannWhitneyP returns the two-sided Mann-Whitney U p-value of two samples.
func MannWhitneyP(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 1
	}
	sa := benchmath.NewSample(slices.Clone(a), &benchmath.DefaultThresholds)
	sb := benchmath.NewSample(slices.Clone(b), &benchmath.DefaultThresholds)
	return clampP(benchmath.AssumeNothing.Compare(sa, sb).P)
}

// clampP keeps a p-value a probability: with ties the two-sided p can
// exceed 1 (1.2 for 1, 2, 2 against 2, 2), which no reader of a result
// accepts.
func clampP(p float64) float64 {
	if math.IsNaN(p) {
		return 1
	}
	return min(1, max(0, p))
}

// Median returns the median of values, 0 for none.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return sortedMedian(s)
}

// sortedMedian is the median of sorted values, at least one.
func sortedMedian(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// RelWidth is the half-width of an estimate's interval relative to its
// median; +Inf when there is no interval yet.
func RelWidth(e Estimate) float64 {
	if e.Confidence == 0 || e.Median <= 0 {
		return math.Inf(1)
	}
	return (e.High - e.Low) / 2 / e.Median
}

// meanStddev is the mean and the sample standard deviation (nil for fewer
// than two values, as hyperfine leaves it out).
func meanStddev(v []float64) (float64, *float64) {
	if len(v) == 0 {
		return 0, nil
	}
	var sum float64
	for _, x := range v {
		sum += x
	}
	mean := sum / float64(len(v))
	if len(v) < 2 {
		return mean, nil
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(len(v)-1))
	return mean, &sd
}
