package result

import (
	"slices"
	"testing"
)

func ran(cand, cfg, mode, status string, median float64, n int) Run {
	return Run{Candidate: cand, Config: cfg, Mode: mode, Status: status, Time: Estimate{Unit: "s", Median: median, N: n}}
}

func TestBaselineConfig(t *testing.T) {
	r := New(KindTimeit, "test", nil)
	if got := r.BaselineConfig(); got != DefaultConfig {
		t.Errorf("no configs: %q, want %q", got, DefaultConfig)
	}
	r.Configs = []Config{{Name: "jemalloc"}, {Name: "glibc"}}
	if got := r.BaselineConfig(); got != "jemalloc" {
		t.Errorf("configs jemalloc, glibc: %q, want the first", got)
	}
}

func TestUserCandidates(t *testing.T) {
	r := New(KindTimeit, "test", nil)
	r.Candidates = []Candidate{{Name: "A"}, {Name: "B-fix", FixOf: "B"}, {Name: "B"}}
	var names []string
	for _, c := range r.UserCandidates() {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"A", "B"}) {
		t.Errorf("user candidates %v, want [A B]", names)
	}
	if !r.Candidate("B-fix").IsFix() || r.Candidate("B").IsFix() {
		t.Error("IsFix: want B-fix only")
	}
}

func TestBaselineCandidate(t *testing.T) {
	cands := []Candidate{{Name: "A"}, {Name: "B"}, {Name: "C"}, {Name: "B-fix", FixOf: "B"}}
	tests := []struct {
		name  string
		kind  string
		cands []Candidate
		runs  []Run
		want  string
	}{
		{"fastest user candidate", KindTimeit, cands, []Run{
			ran("A", "glibc", ModeInterleaved, StatusOK, 3e-3, 10),
			ran("B", "glibc", ModeInterleaved, StatusOK, 2e-3, 10),
			ran("C", "glibc", ModeInterleaved, StatusOK, 4e-3, 10),
		}, "B"},
		{"a failed run is never the baseline", KindTimeit, cands, []Run{
			ran("A", "glibc", ModeInterleaved, StatusOK, 3e-3, 10),
			ran("B", "glibc", ModeInterleaved, StatusFailed, 0, 0),
			ran("C", "glibc", ModeInterleaved, StatusOK, 4e-3, 10),
		}, "A"},
		{"a run without samples is never the baseline", KindTimeit, cands, []Run{
			ran("A", "glibc", ModeInterleaved, StatusOK, 3e-3, 10),
			ran("B", "glibc", ModeInterleaved, StatusOK, 1e-3, 0),
		}, "A"},
		{"a faster code fix is not the baseline", KindTimeit, cands, []Run{
			ran("A", "glibc", ModeInterleaved, StatusOK, 3e-3, 10),
			ran("B", "glibc", ModeInterleaved, StatusOK, 5e-3, 10),
			ran("B-fix", "glibc", ModeInterleaved, StatusOK, 1e-3, 10),
		}, "A"},
		{"other configurations and modes do not count", KindTimeit, cands, []Run{
			ran("A", "glibc", ModeInterleaved, StatusOK, 3e-3, 10),
			ran("B", "glibc", ModeInterleaved, StatusOK, 5e-3, 10),
			ran("B", "jemalloc", ModeInterleaved, StatusOK, 1e-3, 10),
			ran("B", "glibc", ModeIsolated, StatusOK, 1e-3, 10),
		}, "A"},
		{"process mode for faultline run", KindRun, cands, []Run{
			ran("A", "glibc", ModeInterleaved, StatusOK, 1e-3, 10),
			ran("A", "glibc", ModeProcess, StatusOK, 3e-3, 10),
			ran("C", "glibc", ModeProcess, StatusOK, 2e-3, 10),
		}, "C"},
		{"nothing measured: the first user candidate", KindTimeit,
			[]Candidate{{Name: "A-fix", FixOf: "A"}, {Name: "A"}, {Name: "B"}}, nil, "A"},
		{"no user candidate", KindTimeit, []Candidate{{Name: "A-fix", FixOf: "A"}}, nil, ""},
	}
	for _, tt := range tests {
		r := New(tt.kind, "test", nil)
		r.Candidates, r.Results = tt.cands, tt.runs
		r.Configs = []Config{{Name: "glibc"}, {Name: "jemalloc"}}
		if got := r.BaselineCandidate(); got != tt.want {
			t.Errorf("%s: baseline %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTimed(t *testing.T) {
	run := Run{Samples: []Sample{
		{Seq: 0, Seconds: 9, Warmup: true},
		{Seq: 1, Seconds: 3},
		{Seq: 2, Seconds: 8, Warmup: true},
		{Seq: 3, Seconds: 1},
		{Seq: 4, Seconds: 2},
	}}
	if got := run.TimedSeconds(); !slices.Equal(got, []float64{3, 1, 2}) {
		t.Errorf("timed seconds %v, want [3 1 2] (warm-ups out, order kept)", got)
	}
	var seqs []int
	for _, s := range Timed(run.Samples) {
		seqs = append(seqs, s.Seq)
	}
	if !slices.Equal(seqs, []int{1, 3, 4}) {
		t.Errorf("timed samples %v, want [1 3 4]", seqs)
	}
	if got := (&Run{}).TimedSeconds(); len(got) != 0 {
		t.Errorf("no samples: %v", got)
	}
}

func TestUnit(t *testing.T) {
	marked := ran("A", "glibc", ModeProcess, StatusOK, 1e-3, 10)
	marked.Loops = 200
	single := ran("A", "glibc", ModeProcess, StatusOK, 1e-3, 10)
	single.Loops = 1
	tests := []struct {
		kind string
		runs []Run
		want string
	}{
		{KindTimeit, nil, UnitCall},
		{KindDemo, nil, UnitCall},
		{KindRun, []Run{single}, UnitRun},
		{KindRun, []Run{single, marked}, UnitIteration},
	}
	for _, tt := range tests {
		r := New(tt.kind, "test", nil)
		r.Results = tt.runs
		if got := r.Unit(); got != tt.want {
			t.Errorf("%s with %d runs: unit %q, want %q", tt.kind, len(tt.runs), got, tt.want)
		}
	}
}
