package pipeline

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
)

// diagnoseFixture loads one of the diagnosis's fixture results.
func diagnoseFixture(t *testing.T, name string) *result.Result {
	t.Helper()
	r, err := result.Load(filepath.Join("..", "diagnose", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// untraceExperiments drops the syscalls of every run outside the
// baseline, as a result stands before the trace passes under experiments.
func untraceExperiments(r *result.Result) {
	for i := range r.Results {
		if r.Results[i].Config != r.BaselineConfig() {
			r.Results[i].PerIteration.Syscalls = nil
			delete(r.Results[i].Sources, "syscalls")
		}
	}
}

// TestTraceConfigsAreTheRegressions: with only the baseline traced, the
// configurations to trace are those that make a candidate slower, the
// largest slowdown first, at most two; a configuration already traced is
// not traced again; a gap of arithmetic alone asks for none.
func TestTraceConfigsAreTheRegressions(t *testing.T) {
	r := diagnoseFixture(t, "seed.json")
	untraceExperiments(r)
	got := traceConfigs(r, summary.Of(r))
	// The seed's fast side: 33.5x slower under jemalloc, 22.3x under
	// glibc-trim (docs/causes.md, config-regression).
	if want := []string{"jemalloc", "glibc-trim"}; !slices.Equal(got, want) {
		t.Fatalf("traceConfigs = %v, want %v", got, want)
	}
	for i := range r.Results {
		if r.Results[i].Config == "jemalloc" {
			r.Results[i].PerIteration.Syscalls = &result.Syscalls{Iterations: 10}
		}
	}
	if got := traceConfigs(r, summary.Of(r)); slices.Contains(got, "jemalloc") || slices.Contains(got, r.BaselineConfig()) {
		t.Errorf("traceConfigs = %v after jemalloc was traced", got)
	}
	nd := diagnoseFixture(t, "nodiff.json")
	untraceExperiments(nd)
	if got := traceConfigs(nd, summary.Of(nd)); len(got) != 0 {
		t.Errorf("no regression, no widening gap: traceConfigs = %v, want none", got)
	}
}
