package pipeline

import (
	"slices"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

// TestFocusPoints: experiments run again either side of each cliff (the
// sweep's own points, not refinement points), then at the widest gap.
func TestFocusPoints(t *testing.T) {
	doc := &result.Sweep{}
	for i, v := range []string{"100", "200", "400", "800", "300"} {
		r := result.New(result.KindTimeit, "test", nil)
		r.Configs = []result.Config{{Name: "glibc"}}
		ratio := []float64{1.1, 1.2, 5, 6, 3}[i]
		r.Comparisons = []result.Comparison{{Config: "glibc", Mode: result.ModeInterleaved, Baseline: "A", Other: "B", Ratio: ratio, Significant: true}}
		doc.Points = append(doc.Points, result.SweepPoint{Values: map[string]string{"n": v}, Result: r, Refine: i == 4})
	}
	doc.Cliffs = []result.Cliff{
		{Parameter: "n", Candidate: "B", Below: 200, Above: 300, Before: 1, After: 90}, // 300 is a refinement point
		{Parameter: "n", Candidate: "B", Below: 100, Above: 200, Before: 1, After: 50}, // up: its slow side is 200
		{Parameter: "n", Candidate: "B", Below: 200, Above: 400, Before: 50, After: 1}, // down: 200 again
		{Parameter: "n", Candidate: "B", Below: 400, Above: 800, Before: 1, After: 60},
	}
	if got := focusPoints(doc); !slices.Equal(got, []int{1, 3}) {
		t.Errorf("focus points %v, want 200 (the slow side of two cliffs), 800 (of one, and the widest gap)", got)
	}
	doc.Cliffs = nil
	if got := focusPoints(doc); !slices.Equal(got, []int{3}) {
		t.Errorf("no cliffs: focus points %v, want the widest gap only", got)
	}
}
