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
