package diagnose

import (
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

// allocatorFix reports a fix or proposal that changes the allocator or
// its settings.
func allocatorFix(f result.Finding) bool {
	for _, fx := range f.Fixes {
		if fx.Kind == result.FixEnv {
			return true
		}
	}
	return false
}

// TestClaimsAddUp: glibc returns 3.2 MiB with brk every call (at most 820
// pages to fault again) while the slow side takes 45,000 more faults: the
// trim claims no more than its pages, its confidence drops, and the rest
// is reported as unexplained with its numbers.
func TestClaimsAddUp(t *testing.T) {
	const shrink = 3355443
	b := side{t: 0.6, faults: 45000, sys: &result.Syscalls{Brk: 2, BrkGrowBytes: shrink, BrkShrinkBytes: shrink,
		Sizes: []result.SizeCount{{Call: "brk+", Bytes: int64(shrink), Per: 1}, {Call: "brk-", Bytes: int64(shrink), Per: 1}}}}
	r := pairResult("", side{t: 0.1, faults: 10, sys: &result.Syscalls{}}, b, nil, nil)
	var trim, rest *result.Finding
	fs := diagnoseOf(r)
	for i, f := range fs {
		t.Logf("%s explains %.3f %s, claim %+v: %s", f.Cause, f.Explains, f.Confidence, f.Claim, f.Summary)
		switch f.Cause {
		case HeapTrimRefault:
			trim = &fs[i]
		case PageFaults:
			rest = &fs[i]
		}
	}
	if trim == nil || rest == nil {
		t.Fatalf("want a heap-trim-refault and a page-faults finding")
	}
	if trim.Claim == nil || trim.Claim.Faults > trim.Claim.MaxFaults || trim.Claim.MaxFaults > 900 {
		t.Errorf("trim claims %+v: more than 3.2 MiB of pages", trim.Claim)
	}
	if trim.Confidence == High || trim.Explains > 0.1 {
		t.Errorf("trim explains %.3f at %s confidence of a gap its pages cannot produce", trim.Explains, trim.Confidence)
	}
	if rest.Claim == nil || rest.Claim.Faults < 40000 || !strings.Contains(rest.Summary, "unexplained") {
		t.Errorf("remainder %+v: %s", rest.Claim, rest.Summary)
	}
	if rest.Confidence != Low {
		t.Errorf("unexplained faults at %s confidence", rest.Confidence)
	}
}

// TestFileMappingIsNotAnAllocation: an 8 MiB file mapped and unmapped
// every call is a file mapping, with a code fix and no allocator setting.
func TestFileMappingIsNotAnAllocation(t *testing.T) {
	const size = 8 << 20
	b := side{t: 5e-3, faults: 2050, sys: &result.Syscalls{Mmap: 1, Munmap: 1, FileMappedBytes: size, UnmappedBytes: size,
		Sizes: []result.SizeCount{{Call: "mmap:file", Bytes: size, Per: 1}, {Call: "munmap:file", Bytes: size, Per: 1}}}}
	r := pairResult("", side{t: 1e-3, faults: 2, sys: &result.Syscalls{}}, b, nil, nil)
	f := first(t, r, FileMapping)
	if allocatorFix(f) || len(proposalsOf(r)) != 0 {
		t.Errorf("an allocator fix for a file mapping: fixes %+v, proposals %+v", f.Fixes, proposalsOf(r))
	}
	for _, g := range diagnoseOf(r) {
		if g.Cause == MmapPerAllocation {
			t.Errorf("the file mapping read as an allocation: %s", g.Summary)
		}
	}
}

// TestReservationIsNotFreshMemory: a 64 MiB PROT_NONE reservation mapped
// and unmapped every call, of which 1 MiB is committed, is not a 64 MiB
// block faulted in again; the faults it may claim are the committed
// pages'.
func TestReservationIsNotFreshMemory(t *testing.T) {
	const resv, commit = 64 << 20, 1 << 20
	b := side{t: 3e-3, faults: 300, sys: &result.Syscalls{Mmap: 1, Munmap: 1, Mprotect: 1, ReservedBytes: resv, CommittedBytes: commit, UnmappedBytes: resv,
		Sizes: []result.SizeCount{{Call: "mmap:reserve", Bytes: resv, Per: 1}, {Call: "munmap:reserve", Bytes: resv, Per: 1}, {Call: "mprotect:rw", Bytes: commit, Per: 1}}}}
	r := pairResult("", side{t: 1e-3, faults: 2, sys: &result.Syscalls{}}, b, nil, nil)
	for _, f := range diagnoseOf(r) {
		t.Logf("%s %s: %s (claim %+v)", f.Cause, f.Confidence, f.Summary, f.Claim)
		if f.Cause == MmapPerAllocation || strings.Contains(f.Summary, "64.0 MiB") {
			t.Errorf("the reservation read as fresh memory: %s", f.Summary)
		}
		if f.Claim != nil && f.Cause != PageFaults && f.Claim.MaxFaults > commit/4096+1 {
			t.Errorf("%s may claim %v faults, more than the %d committed pages", f.Cause, f.Claim.MaxFaults, commit/4096)
		}
	}
}

// TestForkCOW: a candidate that forks once a call from a 256 MiB process
// and faults 60,000 times more is diagnosed as copy-on-write after fork,
// with a spawning fix and no allocator setting.
func TestForkCOW(t *testing.T) {
	b := side{t: 0.2, faults: 60000, sys: &result.Syscalls{Forks: 1}}
	a := side{t: 0.02, faults: 40, sys: &result.Syscalls{Spawns: 1}}
	r := pairResult("", a, b, nil, nil)
	r.Run("B", "glibc", r.PrimaryMode()).PeakRSSBytes = 256 << 20
	f := first(t, r, ForkCOW)
	if allocatorFix(f) || !strings.Contains(f.Fixes[0].Change, "posix_spawn") {
		t.Errorf("fixes %+v", f.Fixes)
	}
	if f.Claim == nil || f.Claim.Faults > f.Claim.MaxFaults {
		t.Errorf("claim %+v", f.Claim)
	}
}

// TestRemainderAfterTheFix: an allocator that removes B's faults makes B
// 2.5x faster but leaves it 4x slower than A, with no fault difference
// left: the fix says what remains and that memory does not explain it.
func TestRemainderAfterTheFix(t *testing.T) {
	const size = 8 << 20
	b := side{t: 10e-3, faults: 2050, sys: &result.Syscalls{Mmap: 1, Munmap: 1, MappedBytes: size, UnmappedBytes: size,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: size, Per: 1}, {Call: "munmap", Bytes: size, Per: 1}}}}
	a := side{t: 1e-3, faults: 2, sys: &result.Syscalls{}}
	r := pairResult("", a, b, map[string][4]float64{"tcmalloc": {1e-3, 2, 4e-3, 3}},
		map[string]map[string]string{"tcmalloc": {"LD_PRELOAD": libdir + tcmalloc}})
	f := first(t, r, MmapPerAllocation)
	var rem *result.Remainder
	for _, fx := range f.Fixes {
		if fx.Verified && fx.Config == "tcmalloc" {
			rem = fx.Remains
		}
	}
	if rem == nil {
		t.Fatalf("no remainder on the verified fix: %+v", f.Fixes)
	}
	t.Logf("%+v", rem)
	if rem.Ratio < 3 || rem.Ratio > 5 || !strings.Contains(rem.Summary, "not in page faults") || len(rem.Causes) != 0 {
		t.Errorf("remainder %+v", rem)
	}
}

// TestGrowthFromAllocations: a vector grown by doubling without reserve
// allocates 256 KiB ... 64 MiB every batch where the reserving side
// allocates 64 MiB once: realloc-copy, not the one step that happens to
// be mapped (mmap-per-allocation).
func TestGrowthFromAllocations(t *testing.T) {
	var steps []result.SizeCount
	for b := int64(256 << 10); b <= 64<<20; b *= 2 {
		steps = append(steps, result.SizeCount{Call: "alloc", Bytes: b, Per: 1})
	}
	const big, step = 64 << 20, 32 << 20
	b := side{t: 90e-3, faults: 32737, sys: &result.Syscalls{Mmap: 2, Munmap: 2, MappedBytes: big + step,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: big, Per: 1}, {Call: "munmap", Bytes: big, Per: 1}, {Call: "mmap", Bytes: step, Per: 1}, {Call: "munmap", Bytes: step, Per: 1}}},
		alloc: &result.Allocations{Count: 9, Bytes: 127 << 20, PeakBytes: 96 << 20, Large: steps}}
	a := side{t: 45e-3, faults: 16385, sys: &result.Syscalls{Mmap: 1, Munmap: 1, MappedBytes: big,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: big, Per: 1}, {Call: "munmap", Bytes: big, Per: 1}}},
		alloc: &result.Allocations{Count: 1, Bytes: big, PeakBytes: big, Large: []result.SizeCount{{Call: "alloc", Bytes: big, Per: 1}}}}
	r := pairResult("", a, b, nil, nil)
	f := first(t, r, ReallocCopy)
	if !strings.Contains(f.Fixes[0].Change, "reserve") {
		t.Errorf("fixes %+v", f.Fixes)
	}
	for _, g := range diagnoseOf(r) {
		if g.Cause == MmapPerAllocation {
			t.Errorf("a growth step read as an allocation per iteration: %s", g.Summary)
		}
	}
}

// TestForkFromTheLargeProcess: both sides fork as often, but A forks
// from its 256 MiB coordinator and B from a small server: the memory the
// forks share tells them apart.
func TestForkFromTheLargeProcess(t *testing.T) {
	b := side{t: 1.6, faults: 1.39e6, sys: &result.Syscalls{Forks: 20, ForkedBytes: 20 * 270e6}}
	a := side{t: 0.5, faults: 67000, sys: &result.Syscalls{Forks: 20, Spawns: 2, ForkedBytes: 20 * 12e6}}
	r := pairResult("", a, b, nil, nil)
	f := first(t, r, ForkCOW)
	if f.Claim == nil || f.Claim.Faults > f.Claim.MaxFaults || f.Claim.Faults < 1e6 {
		t.Errorf("claim %+v", f.Claim)
	}
}

// TestStartedProgramsMapTheirLibraries: a side that runs a program per
// request maps that program's libraries each time; the loader's file
// mappings are not file-mapping.
func TestStartedProgramsMapTheirLibraries(t *testing.T) {
	const libc = 1974096
	b := side{t: 30e-3, faults: 6000, sys: &result.Syscalls{Mmap: 60, Munmap: 12, Forks: 12, Execs: 12, FileMappedBytes: 12 * libc,
		Sizes: []result.SizeCount{{Call: "mmap:file", Bytes: libc, Per: 12}, {Call: "munmap:file", Bytes: libc, Per: 12}}}}
	r := pairResult("", side{t: 1e-3, faults: 20, sys: &result.Syscalls{}}, b, nil, nil)
	for _, f := range diagnoseOf(r) {
		if f.Cause == FileMapping {
			t.Errorf("the loader's mappings read as the program's: %s", f.Summary)
		}
	}
}

// TestFreshBlocksKept: 200 fresh 8 MiB blocks mapped every run and never
// unmapped while it runs (a JVM's direct buffers), beside one 1 MiB
// mapping: fresh memory per allocation with a code fix, not a growth
// series, and no allocator setting.
func TestFreshBlocksKept(t *testing.T) {
	const blk = 8<<20 + 4096
	b := side{t: 1.3, faults: 414900, sys: &result.Syscalls{Mmap: 201, Munmap: 1, MappedBytes: 200*blk + 1<<20,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: blk, Per: 200}, {Call: "mmap", Bytes: 1 << 20, Per: 1}, {Call: "munmap", Bytes: 64 << 10, Per: 1}}}}
	r := pairResult("", side{t: 0.3, faults: 7100, sys: &result.Syscalls{}}, b, nil, nil)
	f := first(t, r, MmapPerAllocation)
	if allocatorFix(f) || !strings.Contains(f.Summary, "does not unmap") {
		t.Errorf("%q, fixes %+v", f.Summary, f.Fixes)
	}
}
