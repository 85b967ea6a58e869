package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/diagnose"
	"github.com/faultline/faultline/internal/proc/proctest"
	"github.com/faultline/faultline/internal/result"
)

// TestRegressionTracedUnderItsConfiguration: a 12 MB block freed in a
// loop stays in glibc's heap but is purged by jemalloc on every free (its
// size class is above oversize_threshold). The experiment under jemalloc
// makes that candidate slower; faultline then traces it there, and the
// config-regression finding rests on jemalloc's own calls: the
// madvise(MADV_DONTNEED) of the block on every iteration, issued from
// jemalloc's library.
func TestRegressionTracedUnderItsConfiguration(t *testing.T) {
	if testing.Short() {
		t.Skip("a real comparison of about 15 s (-short)")
	}
	if alloc.FindNamed(alloc.Jemalloc) == "" {
		t.Fatal("jemalloc not installed: apt-get install libjemalloc2 (test.sh does)")
	}
	bin := proctest.BuildC(t, "sizes")
	const iters = 40
	cmd, tmp := cliCmd(t, "run", "-q", "--configs", "glibc,jemalloc", "--runs", "5", "-w", "1", "--json", "out.json",
		bin+" 12000000 40", bin+" 1000000 40")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("faultline run: %v\n%s", err, out)
	}
	r, err := result.Load(filepath.Join(tmp, "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	tracedUnder := false
	for _, p := range r.Passes {
		tracedUnder = tracedUnder || p.Name == result.PassTrace && p.Config == alloc.Jemalloc && p.Status == ""
	}
	if !tracedUnder {
		t.Fatalf("no trace pass under jemalloc: %+v", r.Passes)
	}
	run := r.Run("A", alloc.Jemalloc, result.ModeProcess)
	if run == nil || run.PerIteration.Syscalls == nil {
		t.Fatal("A's run under jemalloc has no syscalls")
	}
	s := run.PerIteration.Syscalls
	// One purge per free of the 12 MB block, give or take jemalloc's own
	// start-up and exit.
	if n := s.Advice["MADV_DONTNEED"]; n < iters || n > iters+8 {
		t.Errorf("A under jemalloc: %v madvise(MADV_DONTNEED) calls, want about %d", n, iters)
	}
	if is := s.IssuedBy("madvise:MADV_DONTNEED"); is == nil || !strings.Contains(is.CallerObject, "libjemalloc") {
		t.Errorf("A's purges issued by %+v, want jemalloc's library", is)
	}
	var f *result.Finding
	for i := range r.Findings {
		if r.Findings[i].Cause == diagnose.ConfigRegression && r.Findings[i].Config == alloc.Jemalloc && r.Findings[i].Candidate == "A" {
			f = &r.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("no config-regression finding for A under jemalloc: %+v", r.Findings)
	}
	// 12,000,000 bytes are served from jemalloc's 12 MiB size class.
	if !strings.Contains(f.Summary, "madvise(MADV_DONTNEED) calls of 12.0 MiB") || !strings.Contains(f.Summary, "libjemalloc.so.2") {
		t.Errorf("regression summary does not give jemalloc's measured mechanism: %q", f.Summary)
	}
	cited := false
	for _, e := range f.Evidence {
		cited = cited || e.Pass == result.PassTrace && e.Config == alloc.Jemalloc
	}
	if !cited {
		t.Errorf("regression cites no trace evidence under jemalloc: %+v", f.Evidence)
	}
	// The glibc baseline's faults are what B's and A's share; jemalloc's
	// trace does not replace the baseline's.
	if b := r.Run("A", alloc.Glibc, result.ModeProcess); b == nil || b.PerIteration.Syscalls == nil || b.PerIteration.Syscalls.Advice["MADV_DONTNEED"] > 2 {
		t.Errorf("A's glibc run lost or changed its own trace: %+v", b)
	}
}
