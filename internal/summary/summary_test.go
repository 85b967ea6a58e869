package summary

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/stats"
)

func ran(cand, cfg, mode, status string, median float64, n int) result.Run {
	return result.Run{Candidate: cand, Config: cfg, Mode: mode, Status: status, Time: result.Estimate{Median: median, N: n}}
}

func TestReference(t *testing.T) {
	cands := []result.Candidate{{Name: "A"}, {Name: "B"}, {Name: "C"}, {Name: "B-fix", FixOf: "B"}}
	tests := []struct {
		name  string
		kind  string
		cands []result.Candidate
		runs  []result.Run
		want  string
	}{
		{"fastest user candidate", result.KindTimeit, cands, []result.Run{
			ran("A", "glibc", result.ModeInterleaved, result.StatusOK, 3e-3, 10),
			ran("B", "glibc", result.ModeInterleaved, result.StatusOK, 2e-3, 10),
			ran("C", "glibc", result.ModeInterleaved, result.StatusOK, 4e-3, 10),
		}, "B"},
		{"a failed run is never the baseline", result.KindTimeit, cands, []result.Run{
			ran("A", "glibc", result.ModeInterleaved, result.StatusOK, 3e-3, 10),
			ran("B", "glibc", result.ModeInterleaved, result.StatusFailed, 0, 0),
			ran("C", "glibc", result.ModeInterleaved, result.StatusOK, 4e-3, 10),
		}, "A"},
		{"a run without samples is never the baseline", result.KindTimeit, cands, []result.Run{
			ran("A", "glibc", result.ModeInterleaved, result.StatusOK, 3e-3, 10),
			ran("B", "glibc", result.ModeInterleaved, result.StatusOK, 1e-3, 0),
		}, "A"},
		{"a faster code fix is not the baseline", result.KindTimeit, cands, []result.Run{
			ran("A", "glibc", result.ModeInterleaved, result.StatusOK, 3e-3, 10),
			ran("B", "glibc", result.ModeInterleaved, result.StatusOK, 5e-3, 10),
			ran("B-fix", "glibc", result.ModeInterleaved, result.StatusOK, 1e-3, 10),
		}, "A"},
		{"other configurations and modes do not count", result.KindTimeit, cands, []result.Run{
			ran("A", "glibc", result.ModeInterleaved, result.StatusOK, 3e-3, 10),
			ran("B", "glibc", result.ModeInterleaved, result.StatusOK, 5e-3, 10),
			ran("B", "jemalloc", result.ModeInterleaved, result.StatusOK, 1e-3, 10),
			ran("B", "glibc", result.ModeIsolated, result.StatusOK, 1e-3, 10),
		}, "A"},
		{"process mode for faultline run", result.KindRun, cands, []result.Run{
			ran("A", "glibc", result.ModeInterleaved, result.StatusOK, 1e-3, 10),
			ran("A", "glibc", result.ModeProcess, result.StatusOK, 3e-3, 10),
			ran("C", "glibc", result.ModeProcess, result.StatusOK, 2e-3, 10),
		}, "C"},
		{"nothing measured: the first user candidate", result.KindTimeit,
			[]result.Candidate{{Name: "A-fix", FixOf: "A"}, {Name: "A"}, {Name: "B"}}, nil, "A"},
		{"no user candidate", result.KindTimeit, []result.Candidate{{Name: "A-fix", FixOf: "A"}}, nil, ""},
	}
	for _, tt := range tests {
		r := result.New(tt.kind, "test", nil)
		r.Candidates, r.Results = tt.cands, tt.runs
		r.Configs = []result.Config{{Name: "glibc"}, {Name: "jemalloc"}}
		if got := Reference(r); got != tt.want {
			t.Errorf("%s: baseline %q, want %q", tt.name, got, tt.want)
		}
	}
}

// twoCandidates is A (1 ms) and B (3 ms, 500 faults) interleaved for ten
// rounds under glibc: B's sample right after A takes 4 ms.
func twoCandidates() *result.Result {
	r := result.New(result.KindTimeit, "test", nil)
	r.Candidates = []result.Candidate{{Name: "A"}, {Name: "B"}}
	r.Configs = []result.Config{{Name: "glibc"}}
	for _, c := range []string{"A", "B"} {
		run := result.Run{Candidate: c, Config: "glibc", Mode: result.ModeInterleaved, Status: result.StatusOK}
		for i := 0; i < 10; i++ {
			s := result.Sample{Seq: i, Round: i, Seconds: 1e-3 * (1 + float64(i%3)/100), MinorFaults: 2}
			if c == "B" {
				s.Seconds, s.MinorFaults = 3e-3*(1+float64(i%3)/100), 500
				if i%2 == 0 {
					s.After, s.Seconds = "A", 4e-3*(1+float64(i%3)/100)
				}
			}
			run.Samples = append(run.Samples, s)
		}
		run.Time = stats.Summarize(run.TimedSeconds())
		r.Results = append(r.Results, run)
	}
	return r
}

// TestOfOnlyReads: summarizing leaves the result as it was; Store is the
// one write.
func TestOfOnlyReads(t *testing.T) {
	r := twoCandidates()
	before, _ := json.Marshal(r)
	s := Of(r)
	after, _ := json.Marshal(r)
	if !bytes.Equal(before, after) {
		t.Fatal("Of changed the result")
	}
	if len(s.Comparisons) != 1 || s.Verdict == nil {
		t.Fatalf("summary %+v", s)
	}
	s.Store(r)
	if len(r.Comparisons) != 1 || r.Verdict != s.Verdict || r.Run("B", "glibc", result.ModeInterleaved).After == nil {
		t.Errorf("Store did not write the comparisons, the verdict and the carry-over split")
	}
}

// TestReferenceSlowOne: with the slow candidate as the reference, the
// comparison reads "faster", and the slow pair and the verdict still name
// the slow one.
func TestReferenceSlowOne(t *testing.T) {
	r := twoCandidates()
	r.Reference = "B"
	s := Of(r)
	if c := s.Comparison("glibc", result.ModeInterleaved, "A"); c == nil || c.Baseline != "B" || c.Answer() != result.VerdictFaster {
		t.Fatalf("comparison %+v, want A faster than the reference B", c)
	}
	if len(s.Pairs) != 1 || s.Pairs[0].Slow != "B" || s.Pairs[0].Fast != "A" {
		t.Errorf("pairs %+v, want B slow, A fast", s.Pairs)
	}
	if v := s.Verdict; v == nil || v.Answer != result.AnswerSlower || v.Slow != "B" || v.Ratio < 2 {
		t.Errorf("verdict %+v, want B slower", v)
	}
}

// TestCarryOverSplit: B's samples right after A against its others.
func TestCarryOverSplit(t *testing.T) {
	s := Of(twoCandidates())
	splits := s.CarryOver[Key("B", "glibc")]
	if len(splits) != 2 || splits[0].After != "A" || splits[1].After != "" {
		t.Fatalf("splits %+v, want after A, then no switch", splits)
	}
	a := splits[0]
	if a.N != 5 || a.OthersN != 5 || a.Median < 3.9e-3 || a.OthersMedian > 3.1e-3 || a.P >= 0.05 {
		t.Errorf("after A %+v: want 5 samples near 4 ms against 5 near 3 ms, p < 0.05", a)
	}
	if _, ok := s.CarryOver[Key("A", "glibc")]; ok {
		t.Error("A never ran after a switch in this fixture, yet has a split")
	}
}
