package diagnose

import (
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
)

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

// TestRegressingAndWidening: the seed's fast side is 33.5x slower under
// jemalloc and 22.3x under glibc-trim (docs/causes.md, config-regression);
// no configuration widens its gap with more faults on the slow side.
func TestRegressingAndWidening(t *testing.T) {
	r := loadFixture(t, "seed.json")
	s := summary.Of(r)
	reg := Regressing(r, s)
	if reg["jemalloc"] < 10 || reg["glibc-trim"] < 10 {
		t.Errorf("Regressing = %v, want jemalloc and glibc-trim over 10x", reg)
	}
	for cfg, w := range Widening(r, s) {
		if w >= 1.25 {
			t.Errorf("Widening: %s widens the gap %.2fx", cfg, w)
		}
	}
	if len(Regressing(nil, nil)) != 0 || len(Widening(nil, nil)) != 0 {
		t.Error("facts without a result")
	}
}

// TestRegressionNamesItsMeasuredMechanism: a regression whose
// configuration was traced is explained from its own syscalls (what it
// returns to the kernel, in which calls, from which library), and rests
// on trace evidence under that configuration; untraced, it says only what
// such a configuration is known to do.
func TestRegressionNamesItsMeasuredMechanism(t *testing.T) {
	r := loadFixture(t, "seed.json")
	untraceExperiments(r)
	for i := range r.Results {
		run := &r.Results[i]
		if run.Config == "jemalloc" && run.Candidate == "A" {
			run.PerIteration.Syscalls = &result.Syscalls{Iterations: 10, Madvise: 1, AdvisedBytes: 8 << 20,
				Advice: map[string]float64{"MADV_DONTNEED": 1},
				Sizes:  []result.SizeCount{{Call: "madvise:MADV_DONTNEED", Bytes: 8 << 20, Per: 1}},
				Issuers: []result.SyscallIssuer{{Call: "madvise:MADV_DONTNEED", Bytes: 8 << 20, Per: 1,
					Object: "/usr/lib/x86_64-linux-gnu/libc.so.6", Function: "madvise",
					CallerObject: "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", Stripped: true}}}
		}
	}
	find := func(fs []result.Finding, cfg string) *result.Finding {
		for i := range fs {
			if fs[i].Cause == ConfigRegression && fs[i].Config == cfg {
				return &fs[i]
			}
		}
		return nil
	}
	fs := diagnoseOf(r)
	f := find(fs, "jemalloc")
	if f == nil {
		t.Fatal("no config-regression finding for jemalloc")
	}
	for _, want := range []string{"returns 8.0 MiB per call to the kernel", "madvise(MADV_DONTNEED)", "libjemalloc.so.2"} {
		if !strings.Contains(f.Summary, want) {
			t.Errorf("jemalloc regression %q lacks %q", f.Summary, want)
		}
	}
	traced := false
	for _, e := range f.Evidence {
		traced = traced || e.Pass == result.PassTrace && e.Config == "jemalloc" && strings.HasPrefix(e.What, "bytes returned")
	}
	if !traced {
		t.Errorf("jemalloc regression has no trace evidence under jemalloc: %+v", f.Evidence)
	}
	g := find(fs, "glibc-trim")
	if g == nil {
		t.Fatal("no config-regression finding for glibc-trim")
	}
	if strings.Contains(g.Summary, "returns") {
		t.Errorf("untraced glibc-trim regression claims a measured return: %q", g.Summary)
	}
	for _, e := range g.Evidence {
		if e.Pass == result.PassTrace {
			t.Errorf("untraced glibc-trim regression cites trace evidence %+v", e)
		}
	}
}
