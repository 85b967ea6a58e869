package cliff

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

// pointSpec is a synthetic point: B's faults and time ratio against A,
// and B's traced syscalls.
type pointSpec struct {
	n      float64
	faults float64
	ratio  float64
	sys    *result.Syscalls
	refine bool
}

func run(cand, cfg string, median, faults float64, sys *result.Syscalls) result.Run {
	return result.Run{Candidate: cand, Config: cfg, Mode: result.ModeInterleaved, Status: result.StatusOK,
		Time:         result.Estimate{Unit: "s", Median: median, Low: median * 0.98, High: median * 1.02, N: 20},
		PerIteration: result.PerIteration{MinorFaults: faults, Syscalls: sys}}
}

// synthetic builds a one-parameter sweep over n: A takes 1 ms per million
// n and faults nothing; B as specified.
func synthetic(specs []pointSpec) *result.Sweep {
	doc := &result.Sweep{Parameters: []result.SweepParameter{{Name: "n"}}}
	for _, s := range specs {
		res := &result.Result{Kind: result.KindTimeit,
			Candidates: []result.Candidate{{Name: "A"}, {Name: "B"}},
			Configs:    []result.Config{{Name: "glibc", Env: map[string]string{}, Status: result.StatusOK}}}
		ta := s.n * 1e-9
		res.Results = []result.Run{run("A", "glibc", ta, 0, &result.Syscalls{}), run("B", "glibc", ta*s.ratio, s.faults, s.sys)}
		res.Comparisons = []result.Comparison{{Config: "glibc", Mode: result.ModeInterleaved, Baseline: "A", Other: "B",
			Ratio: s.ratio, Significant: s.ratio > 1.1}}
		v := strconv.FormatFloat(s.n, 'f', -1, 64)
		doc.Points = append(doc.Points, result.SweepPoint{Values: map[string]string{"n": v}, Text: map[string]string{"n": v},
			Refine: s.refine, Result: res})
	}
	return doc
}

func TestFind(t *testing.T) {
	// Faults proportional to n: 1 fault per 1,000 n.
	linear := func(n float64) float64 { return n / 1000 }
	tests := []struct {
		name   string
		specs  []pointSpec
		cliffs []string // "metric below above"
	}{
		{"smooth linear growth", []pointSpec{
			{n: 1e5, faults: linear(1e5), ratio: 2}, {n: 2e5, faults: linear(2e5), ratio: 2.1},
			{n: 4e5, faults: linear(4e5), ratio: 2}, {n: 8e5, faults: linear(8e5), ratio: 2.05}}, nil},
		{"one fault cliff", []pointSpec{
			{n: 1e5, faults: 0.5, ratio: 1}, {n: 2e5, faults: 1, ratio: 1.02},
			{n: 4e5, faults: 1000, ratio: 9}, {n: 8e5, faults: 2000, ratio: 9.5}}, []string{"minor_faults 200000 400000"}},
		{"two cliffs, up then down", []pointSpec{
			{n: 1e5, faults: 0.5, ratio: 1}, {n: 2e5, faults: 1000, ratio: 10},
			{n: 4e5, faults: 2000, ratio: 10}, {n: 8e5, faults: 10, ratio: 1.05}},
			[]string{"minor_faults 100000 200000", "minor_faults 400000 800000"}},
		{"noise below the factors", []pointSpec{
			{n: 1e5, faults: 100, ratio: 3}, {n: 2e5, faults: 500, ratio: 2.3},
			{n: 4e5, faults: 600, ratio: 3.1}, {n: 8e5, faults: 1700, ratio: 2.4}}, nil},
		{"small absolute fault jump", []pointSpec{
			{n: 1e5, faults: 0, ratio: 1}, {n: 2e5, faults: 60, ratio: 1.05}}, nil},
		{"ratio cliff without faults", []pointSpec{
			{n: 1e5, faults: 0, ratio: 1.2}, {n: 2e5, faults: 0, ratio: 3}}, []string{"ratio 100000 200000"}},
		{"insignificant ratio", []pointSpec{
			{n: 1e5, faults: 0, ratio: 0.7}, {n: 2e5, faults: 0, ratio: 1.05}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range Find(synthetic(tt.specs)) {
				if c.Candidate != "B" || c.Config != "glibc" || c.Parameter != "n" || c.Summary == "" {
					t.Errorf("cliff %+v", c)
				}
				got = append(got, c.Metric+" "+strconv.FormatFloat(c.Below, 'f', -1, 64)+" "+strconv.FormatFloat(c.Above, 'f', -1, 64))
			}
			if strings.Join(got, "; ") != strings.Join(tt.cliffs, "; ") {
				t.Errorf("cliffs %q, want %q", got, tt.cliffs)
			}
		})
	}
}

// TestFindRefined: refinement points appended out of order fall into
// place, and the cliff lies between the closest points either side.
func TestFindRefined(t *testing.T) {
	doc := synthetic([]pointSpec{
		{n: 1e5, faults: 1, ratio: 1}, {n: 4e5, faults: 1000, ratio: 9},
		{n: 2e5, faults: 1.5, ratio: 1, refine: true}, {n: 3e5, faults: 800, ratio: 8, refine: true}})
	cs := Find(doc)
	if len(cs) != 1 || cs[0].Below != 2e5 || cs[0].Above != 3e5 || !cs[0].Refined {
		t.Fatalf("cliffs %+v", cs)
	}
	if !strings.Contains(cs[0].Summary, "(refined)") {
		t.Errorf("summary %q", cs[0].Summary)
	}
}

// TestFindOthersHeld: a second parameter splits the points into lines,
// and a text parameter makes none.
func TestFindOthersHeld(t *testing.T) {
	doc := synthetic([]pointSpec{
		{n: 1e5, faults: 1, ratio: 1}, {n: 2e5, faults: 1000, ratio: 9},
		{n: 1e5, faults: 1, ratio: 1}, {n: 2e5, faults: 2, ratio: 1}})
	doc.Parameters = append(doc.Parameters, result.SweepParameter{Name: "kind"})
	for i := range doc.Points {
		doc.Points[i].Values["kind"] = []string{"x", "y"}[i/2]
	}
	cs := Find(doc)
	if len(cs) != 1 || cs[0].Others["kind"] != "x" {
		t.Fatalf("cliffs %+v", cs)
	}
}

func TestAttributeGlibcTrim(t *testing.T) {
	kept := &result.Syscalls{Iterations: 10}
	trimmed := &result.Syscalls{Brk: 3, BrkGrowBytes: 16_000_000, BrkShrinkBytes: 15_998_976, Iterations: 10}
	doc := synthetic([]pointSpec{
		{n: 9e5, faults: 1, ratio: 1, sys: kept}, {n: 1e6, faults: 3875, ratio: 40, sys: trimmed}})
	cs := Find(doc)
	if len(cs) != 1 || cs[0].Threshold == nil {
		t.Fatalf("cliffs %+v", cs)
	}
	th := cs[0].Threshold
	if !strings.HasPrefix(th.Name, "glibc trim threshold") || th.Source != "traced" || th.Bytes < 14.4e6 || th.Bytes > 16e6 {
		t.Errorf("threshold %+v", th)
	}
	if !strings.Contains(cs[0].Summary, "glibc trim threshold") || !strings.Contains(th.Quantity, "B's heap top") {
		t.Errorf("summary %q", cs[0].Summary)
	}
}

func TestAttributeMapping(t *testing.T) {
	mapped := func(size int64) *result.Syscalls {
		return &result.Syscalls{Mmap: 1, Munmap: 1, MappedBytes: float64(size), UnmappedBytes: float64(size),
			Sizes: []result.SizeCount{{Call: "mmap", Bytes: size, Per: 1}, {Call: "munmap", Bytes: size, Per: 1}}}
	}
	heap := func(size int64) *result.Syscalls {
		return &result.Syscalls{Sizes: []result.SizeCount{{Call: "brk+", Bytes: size, Per: 0.1}}}
	}
	tests := []struct {
		allocator string
		below     *result.Syscalls
		above     *result.Syscalls
		want      string
		bytes     float64
	}{
		{"glibc", heap(30 << 20), mapped(34 << 20), "glibc mmap threshold's cap (the dynamic threshold stops rising at DEFAULT_MMAP_THRESHOLD_MAX)", 32 << 20},
		{"mimalloc", heap(15 << 20), mapped(17 << 20), "mimalloc large-object limit (MI_LARGE_OBJ_SIZE_MAX)", 16 << 20},
	}
	for _, tt := range tests {
		doc := synthetic([]pointSpec{{n: 3e7, faults: 1, ratio: 1, sys: tt.below}, {n: 3.4e7, faults: 8000, ratio: 20, sys: tt.above}})
		for _, pt := range doc.Points {
			if tt.allocator != "glibc" {
				pt.Result.Configs[0].Env = map[string]string{"LD_PRELOAD": "/lib/libmimalloc.so.2"}
			}
		}
		cs := Find(doc)
		if len(cs) != 1 || cs[0].Threshold == nil || cs[0].Threshold.Name != tt.want || math.Abs(cs[0].Threshold.Bytes-tt.bytes) > 1 {
			t.Errorf("%s: cliffs %+v", tt.allocator, cs)
			continue
		}
		if cs[0].Threshold.Source != "documented" {
			t.Errorf("%s: source %q", tt.allocator, cs[0].Threshold.Source)
		}
	}
}

// TestAttributeHugeAdvice: NumPy's advice starts at 4 MiB arrays, and the
// faults (and time) drop.
func TestAttributeHugeAdvice(t *testing.T) {
	trim := func(advice float64) *result.Syscalls {
		return &result.Syscalls{Brk: 3, BrkGrowBytes: 1, BrkShrinkBytes: 1 << 20, Advice: map[string]float64{"MADV_HUGEPAGE": advice},
			Sizes: []result.SizeCount{{Call: "brk+", Bytes: 0, Per: 2}}}
	}
	doc := synthetic([]pointSpec{{n: 4e5, faults: 1516, ratio: 26, sys: trim(0)}, {n: 6e5, faults: 764, ratio: 10, sys: trim(2)}})
	for i, pt := range doc.Points {
		size := int64([]float64{3.2e6, 4.8e6}[i])
		for j := range pt.Result.Results {
			pt.Result.Results[j].PerIteration.Allocations = &result.Allocations{Large: []result.SizeCount{{Call: "malloc", Bytes: size, Per: 2}}}
		}
	}
	for _, pt := range doc.Points {
		pt.Result.Host.NumPy = "1.24.2"
	}
	cs := Find(doc)
	if len(cs) != 1 || cs[0].Metric != MetricRatio || cs[0].Threshold == nil || cs[0].Threshold.Bytes != 4<<20 {
		t.Fatalf("cliffs %+v", cs)
	}
	// Without NumPy the advice is the program's or its allocator's: the
	// limit is the huge page, which these blocks do not bracket.
	for _, pt := range doc.Points {
		pt.Result.Host.NumPy = ""
	}
	cs = Find(doc)
	if len(cs) != 1 || cs[0].Threshold == nil || strings.Contains(cs[0].Threshold.Name, "NumPy") || cs[0].Threshold.Source != "traced" {
		t.Fatalf("without NumPy: cliffs %+v", cs)
	}
}

// TestVerifiedBy: the experiment whose faults at the point after the jump
// are no cliff from the baseline's before it verifies the cause; one
// that leaves the faults does not.
func TestVerifiedBy(t *testing.T) {
	doc := synthetic([]pointSpec{{n: 1e5, faults: 1, ratio: 1}, {n: 2e5, faults: 1000, ratio: 9}})
	above := doc.Points[1].Result
	above.Configs = append(above.Configs, result.Config{Name: "numpy-nohuge", Status: result.StatusOK},
		result.Config{Name: "glibc-tuned", Status: result.StatusOK})
	above.Results = append(above.Results, run("B", "numpy-nohuge", 2e-3, 990, nil), run("B", "glibc-tuned", 2e-4, 0, nil))
	cs := Find(doc)
	if len(cs) != 1 || cs[0].VerifiedBy != "glibc-tuned" || strings.Contains(cs[0].Summary, "gone under") {
		t.Fatalf("cliffs %+v", cs)
	}
}

// TestAttributeElision: the heap is trimmed below and not grown at all
// above, and the blocks cross 256 KiB: NumPy elides the temporary.
func TestAttributeElision(t *testing.T) {
	trimmed := &result.Syscalls{Brk: 3, BrkGrowBytes: 524_288, BrkShrinkBytes: 520_192,
		Sizes: []result.SizeCount{{Call: "brk+", Bytes: 262_144, Per: 2}}}
	doc := synthetic([]pointSpec{{n: 32733, faults: 95, ratio: 1, sys: trimmed}, {n: 33771, faults: 0, ratio: 1, sys: &result.Syscalls{}}})
	for _, pt := range doc.Points {
		pt.Result.Host.NumPy = "1.24.2"
	}
	cs := Find(doc)
	if len(cs) != 1 || cs[0].Threshold == nil || !strings.HasPrefix(cs[0].Threshold.Name, "NumPy temporary elision") {
		t.Fatalf("cliffs %+v", cs)
	}
	// B keeps trimming while A, its reference, stops: B's ratio jumps,
	// and A's cliff explains it.
	doc = synthetic([]pointSpec{{n: 32733, faults: 95, ratio: 1, sys: trimmed}, {n: 33771, faults: 98, ratio: 17, sys: trimmed}})
	for i, pt := range doc.Points {
		pt.Result.Host.NumPy = "1.24.2"
		pt.Result.Results[0].PerIteration.MinorFaults = []float64{95, 0}[i]
		pt.Result.Results[0].PerIteration.Syscalls = []*result.Syscalls{trimmed, {}}[i]
	}
	if cs := Find(doc); len(cs) != 2 || !strings.HasSuffix(cs[1].Summary, "A changes here (NumPy temporary elision (arrays of 256 KiB or more))") {
		t.Errorf("B's ratio cliff: %+v", cs)
	}
	doc = synthetic([]pointSpec{{n: 32733, faults: 95, ratio: 1, sys: trimmed}, {n: 33771, faults: 0, ratio: 1, sys: &result.Syscalls{}}})
	if cs := Find(doc); len(cs) != 1 || cs[0].Threshold == nil || !strings.HasPrefix(cs[0].Threshold.Name, "glibc trim") {
		t.Errorf("without NumPy: cliffs %+v", cs)
	}
}

// Under jemalloc the purge side names oversize_threshold as the allocator
// reported it; where the parameter brackets the size class below it, that
// class is the boundary (a request above it rounds up to the threshold).
func TestAttributeJemallocPurge(t *testing.T) {
	purging := func(extent int64) *result.Syscalls {
		return &result.Syscalls{Madvise: 50, Advice: map[string]float64{"MADV_DONTNEED": 51},
			Sizes: []result.SizeCount{{Call: "madvise:MADV_DONTNEED", Bytes: extent, Per: 50}, {Call: "madvise:MADV_DONTNEED", Bytes: 4096, Per: 1}}}
	}
	// Start-up's one-page purge is on both sides: it is no mechanism.
	keeping := &result.Syscalls{Madvise: 1, Advice: map[string]float64{"MADV_DONTNEED": 1},
		Sizes: []result.SizeCount{{Call: "madvise:MADV_DONTNEED", Bytes: 4096, Per: 1}}}
	limits := []result.Limit{{Name: "oversize_threshold", Value: 8 << 20, Unit: "bytes", Source: "jemalloc stats"},
		{Name: "class_below_oversize", Value: 7 << 20, Unit: "bytes", Source: "jemalloc stats"}}
	for _, tt := range []struct {
		below, above float64
		bytes        float64
		source       string
	}{
		{7.29e6, 7.37e6, 7 << 20, "allocator"}, // the parameter is the request size
		{1e5, 2e5, 8 << 20, "allocator"},       // it is not: the threshold itself
	} {
		doc := synthetic([]pointSpec{{n: tt.below, faults: 1, ratio: 1, sys: keeping}, {n: tt.above, faults: 2000, ratio: 20, sys: purging(8392704)}})
		for _, pt := range doc.Points {
			pt.Result.Configs[0].Env = map[string]string{"LD_PRELOAD": "/lib/libjemalloc.so.2"}
			pt.Result.Configs[0].Limits = limits
		}
		cs := Find(doc)
		if len(cs) != 1 || cs[0].Threshold == nil {
			t.Fatalf("%g..%g: cliffs %+v", tt.below, tt.above, cs)
		}
		th := cs[0].Threshold
		if th.Bytes != tt.bytes || th.Source != tt.source || !strings.Contains(th.Name, "oversize_threshold") || th.Reported == "" {
			t.Errorf("%g..%g: threshold %+v", tt.below, tt.above, th)
		}
	}
}

// Two arrays of 8·n bytes: below the 32 MiB cap they come from the heap,
// which is trimmed every iteration; above it each is mapped and unmapped.
// The heap top (two arrays) is no block: the cap is found from the block
// unmapped above, scaled to the side below by n.
func TestAttributeHeapToMapping(t *testing.T) {
	trimmed := &result.Syscalls{Brk: 2, BrkGrowBytes: 66.5e6, BrkShrinkBytes: 66.5e6,
		Sizes: []result.SizeCount{{Call: "brk+", Bytes: 66506752, Per: 1}, {Call: "brk-", Bytes: 66506752, Per: 1}}}
	mapped := &result.Syscalls{Mmap: 2, Munmap: 2, MappedBytes: 2 * 33738752, UnmappedBytes: 2 * 33738752,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: 33738752, Per: 2}, {Call: "munmap", Bytes: 33738752, Per: 2}}}
	doc := synthetic([]pointSpec{{n: 4156713, faults: 10, ratio: 3.9, sys: trimmed}, {n: 4216965, faults: 16000, ratio: 1.6, sys: mapped}})
	cs := Find(doc)
	if len(cs) == 0 || cs[0].Threshold == nil || !strings.Contains(cs[0].Threshold.Name, "cap") || cs[0].Threshold.Bytes != 32<<20 {
		t.Fatalf("cliffs %+v", cs)
	}
	if q := cs[0].Threshold.Quantity; !strings.Contains(q, "32.2 MiB unmapped every iteration") {
		t.Errorf("quantity %q", q)
	}
}
