package diagnose

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/runtimeid"
)

// purging is a slow side that returns 6 MiB with MADV_DONTNEED every
// iteration from a process of threads threads.
func purging(threads int) side {
	return side{t: 12e-3, faults: 1100, sys: &result.Syscalls{Madvise: 1, AdvisedBytes: 6 << 20, Advice: map[string]float64{"MADV_DONTNEED": 1},
		Threads: threads, Sizes: []result.SizeCount{{Call: "madvise:MADV_DONTNEED", Bytes: 6 << 20, Per: 1}}}}
}

// glibc's free does not madvise in a single-threaded program: the
// program does (malloc_trim, its own madvise). Without the native pass's
// calls to show it the reading is low; with a malloc_trim call it names
// the call and its caller.
func TestSingleThreadedMadviseIsTheProgram(t *testing.T) {
	r := pairResult("", side{t: 0.5e-3, sys: &result.Syscalls{Threads: 1}}, purging(1), nil, nil)
	f := first(t, r, ProgramTrim)
	if f.Confidence != Low || !strings.Contains(f.Summary, "malloc_trim") {
		t.Errorf("without native calls: %s, %q", f.Confidence, f.Summary)
	}
	run := r.Run("B", "glibc", r.PrimaryMode())
	run.PerIteration.Native = &result.NativeAllocations{Allocator: "glibc",
		Tuning: []result.NativeSite{{Function: "malloc_trim", Args: []int64{0}, Per: 1, Caller: "handle_request", Object: "/srv/bin/server"}}}
	f = first(t, r, ProgramTrim)
	if f.Confidence == Low || !strings.Contains(f.Summary, "calls malloc_trim itself") || !strings.Contains(f.Summary, "handle_request in server") {
		t.Errorf("with a malloc_trim call: %s, %q", f.Confidence, f.Summary)
	}
}

// Who releases follows what runs the code and its threads; a runtime's
// own heap gets no allocator setting.
func TestReleaserFollowsTheRuntime(t *testing.T) {
	r := pairResult("", side{t: 0.5e-3, sys: &result.Syscalls{}}, purging(3), nil, nil)
	if f := first(t, r, HeapTrimRefault); !strings.Contains(f.Summary, "thread's arena") {
		t.Errorf("threads: %q", f.Summary)
	}
	r.Candidates[1].Runtime = runtimeid.Go
	if f := first(t, r, RuntimePoolRelease); f.Confidence != Low || !strings.Contains(f.Summary, "Go runtime") || allocatorFix(f) {
		t.Errorf("a Go binary: %s %q, fixes %+v", f.Confidence, f.Summary, f.Fixes)
	}
	r.Candidates[1].Runtime = runtimeid.Native
	run := r.Run("B", "glibc", r.PrimaryMode())
	run.PerIteration.Native = &result.NativeAllocations{Allocator: "libjemalloc_pic"}
	if f := first(t, r, AllocatorPurge); !strings.Contains(f.Summary, "linked into the program") {
		t.Errorf("a linked allocator: %q", f.Summary)
	}
}

// A mallopt that freezes glibc's dynamic threshold, from the program:
// the mechanism (every 1 MiB chunk mapped) is named, the cause is the call.
func TestFreezingMalloptIsProgramTuning(t *testing.T) {
	const chunk = 1<<20 + 4096
	b := side{t: 60e-3, faults: 128000, sys: &result.Syscalls{Mmap: 500, Munmap: 500, MappedBytes: 500 * chunk, UnmappedBytes: 500 * chunk,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: chunk, Per: 500}, {Call: "munmap", Bytes: chunk, Per: 500}}}}
	r := pairResult("", side{t: 2e-3, faults: 570, sys: &result.Syscalls{}}, b, nil, nil)
	r.Run("B", "glibc", r.PrimaryMode()).PerIteration.Native = &result.NativeAllocations{Allocator: "glibc",
		Tuning: []result.NativeSite{{Function: "mallopt", Args: []int64{-1, 64 << 20}, Per: 1, Caller: "main", Object: "/w/chunks"}}}
	f := first(t, r, ProgramTuning)
	if !strings.Contains(f.Summary, "mallopt(M_TRIM_THRESHOLD, 67108864)") || !strings.Contains(f.Summary, "(from main in chunks)") {
		t.Errorf("summary %q", f.Summary)
	}
	// Built with -g: the call's line, by the base name of its file.
	r.Run("B", "glibc", r.PrimaryMode()).PerIteration.Native.Tuning[0].CallerFile = "/home/u/chunks/chunks.c"
	r.Run("B", "glibc", r.PrimaryMode()).PerIteration.Native.Tuning[0].CallerLine = 31
	if f := first(t, r, ProgramTuning); !strings.Contains(f.Summary, "(from main in chunks at chunks.c:31)") {
		t.Errorf("with a line: summary %q", f.Summary)
	}
	code := false
	for _, fx := range f.Fixes {
		code = code || fx.Kind == result.FixCode && strings.Contains(fx.Change, "mallopt")
	}
	if !code {
		t.Errorf("no code fix for the call: %+v", f.Fixes)
	}
}

// One mmap and munmap per 16 KiB value: the calls cost more than their
// faults.
func TestSyscallCost(t *testing.T) {
	b := side{t: 288e-3, faults: 30064, sys: &result.Syscalls{Mmap: 30008, Munmap: 30001, MappedBytes: 30008 * 16500,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: 1974096, Per: 1}}}}
	r := pairResult("", side{t: 2.8e-3, faults: 66, sys: &result.Syscalls{Mmap: 8, Munmap: 1}}, b, nil, nil)
	r.Host.FaultCostSeconds = 1.8e-6
	f := first(t, r, SyscallCost)
	if f.Explains < 0.5 || !strings.Contains(f.Summary, "60,009 memory syscalls") {
		t.Errorf("explains %.2f, %q", f.Explains, f.Summary)
	}
	// Large mappings are their faults' cost, not the calls'.
	b.sys.MappedBytes = 30008 * (1 << 20)
	r = pairResult("", side{t: 2.8e-3, faults: 66, sys: &result.Syscalls{Mmap: 8, Munmap: 1}}, b, nil, nil)
	for _, f := range diagnoseOf(r) {
		if f.Cause == SyscallCost {
			t.Errorf("syscall-cost for 1 MiB mappings: %q", f.Summary)
		}
	}
}

// Huge pages on the slow side, the same faults, each far dearer: thp.
func TestTHPMakesTheSlowSideSlower(t *testing.T) {
	const table = 256 << 20
	mapped := func(advise bool) *result.Syscalls {
		s := &result.Syscalls{Mmap: 4, Munmap: 4, Sizes: []result.SizeCount{{Call: "mmap", Bytes: table + 2<<20, Per: 4}, {Call: "munmap", Bytes: table + 2<<20, Per: 4}}}
		if advise {
			s.Madvise, s.Advice = 4, map[string]float64{"MADV_HUGEPAGE": 4}
			s.Sizes = append(s.Sizes, result.SizeCount{Call: "madvise:MADV_HUGEPAGE", Bytes: table, Per: 4})
		}
		return s
	}
	r := pairResult("", side{t: 3.8e-3, faults: 575, sys: mapped(false)}, side{t: 61e-3, faults: 575, sys: mapped(true)}, nil, nil)
	r.Host.FaultCostSeconds = 1.8e-6
	f := first(t, r, THP)
	if f.Candidate != "B" || !strings.Contains(f.Summary, "2 MiB page") {
		t.Errorf("%s: %q", f.Candidate, f.Summary)
	}
}

// A whole process is one iteration: the loader's and libc's mappings,
// made once, are not the loop's. A program that maps one 1 MiB chunk 500
// times is mmap-per-allocation, not "ever larger blocks".
func TestStartupIsNotTheLoop(t *testing.T) {
	const chunk = 1<<20 + 4096
	startup := []result.SizeCount{{Call: "mmap", Bytes: 1974096, Per: 1}, {Call: "mmap", Bytes: 1400832, Per: 1}, {Call: "mmap", Bytes: 339968, Per: 1}}
	b := side{t: 60e-3, faults: 128000, sys: &result.Syscalls{Mmap: 508, Munmap: 501, MappedBytes: 500*chunk + 3.7e6, UnmappedBytes: 500 * chunk,
		Sizes: append([]result.SizeCount{{Call: "mmap", Bytes: chunk, Per: 500}, {Call: "munmap", Bytes: chunk, Per: 500}}, startup...)}}
	r := pairResult("", side{t: 2e-3, faults: 570, sys: &result.Syscalls{Mmap: 8, Munmap: 1, Sizes: startup}}, b, nil, nil)
	r.Kind = result.KindRun
	for i := range r.Results {
		r.Results[i].Mode, r.Results[i].Loops = result.ModeProcess, 1
	}
	compare(r)
	f := first(t, r, MmapPerAllocation)
	said := false
	for _, e := range f.Evidence {
		said = said || strings.HasPrefix(e.What, "times the loop repeats") && e.Candidate == "B" && e.Value == 500
	}
	if !said {
		t.Errorf("the finding does not say how the loop was read: %+v", f.Evidence)
	}
}

// Growth by copying on the heap: twenty brk steps up for one trim, more
// heap than was ever live. The trim is folded into the growth's finding;
// blocks that accumulate (as much live as grown) stay a heap trim.
func TestHeapGrowthByCopying(t *testing.T) {
	grow := func(peak float64) side {
		sizes := []result.SizeCount{{Call: "brk-", Bytes: 12386304, Per: 1}, {Call: "brk+", Bytes: 589824, Per: 20}, {Call: "brk+", Bytes: 327680, Per: 1}}
		return side{t: 11.5e-3, faults: 2878, sys: &result.Syscalls{Brk: 23, BrkGrowBytes: 12386304, BrkShrinkBytes: 12386304, Sizes: sizes},
			alloc: &result.Allocations{Count: 1, Bytes: 4 << 20, PeakBytes: peak}}
	}
	fast := side{t: 0.1e-3, faults: 1, sys: &result.Syscalls{}, alloc: &result.Allocations{Count: 1, Bytes: 4 << 20, PeakBytes: 4 << 20}}
	r := pairResult("", fast, grow(8.3e6), nil, nil)
	f := first(t, r, ReallocCopy)
	if !strings.Contains(f.Summary, "21 steps") || !strings.Contains(f.Summary, "(11.8 MiB) is given back with brk after every call") {
		t.Errorf("summary %q", f.Summary)
	}
	for _, g := range diagnoseOf(r) {
		if g.Cause == HeapTrimRefault {
			t.Errorf("the trim is reported apart: %q", g.Summary)
		}
	}
	first(t, pairResult("", fast, grow(12e6), nil, nil), HeapTrimRefault)
}

// The trace's issuing site decides who released the pages: the program's
// own function, glibc's malloc_trim on the program's request, or glibc's
// free path trimming a thread's arena.
func TestIssuerNamesTheReleaser(t *testing.T) {
	for _, tt := range []struct {
		caller, object string
		cause, says    string
		file           string
		line           int
	}{
		{"make_buffers", "/w/buffers", ProgramTrim, "madvise from make_buffers in buffers)", "", 0},
		// With debug information, the call's line.
		{"release_pages", "/w/buffers", ProgramTrim, "madvise from release_pages in buffers at buffers.c:58)", "/src/w/buffers.c", 58},
		{"malloc_trim", "/usr/lib/x86_64-linux-gnu/libc.so.6", ProgramTrim, "through malloc_trim", "", 0},
		{"", "/usr/lib/x86_64-linux-gnu/libc.so.6", HeapTrimRefault, "thread's arena", "", 0},
		// libc's debug file installed: a stripped function with a line.
		{"", "/usr/lib/x86_64-linux-gnu/libc.so.6", HeapTrimRefault, "from a stripped function in libc.so.6 at arena.c:700)", "./malloc/arena.c", 700},
		// jemalloc linked into the program (as Redis has it).
		{"je_pages_purge_forced", "/usr/bin/redis-server", AllocatorPurge, "the allocator linked into redis-server", "", 0},
	} {
		b := purging(1)
		b.sys.Issuers = []result.SyscallIssuer{{Call: "madvise:MADV_DONTNEED", Bytes: 6 << 20, Per: 1, Object: "/usr/lib/x86_64-linux-gnu/libc.so.6",
			Function: "madvise", Caller: tt.caller, CallerObject: tt.object, Stripped: tt.caller == "", CallerFile: tt.file, CallerLine: tt.line}}
		r := pairResult("", side{t: 0.5e-3, sys: &result.Syscalls{Threads: 1}}, b, nil, nil)
		f := first(t, r, tt.cause)
		if !strings.Contains(f.Summary, tt.says) || f.Confidence == Low && tt.cause == ProgramTrim {
			t.Errorf("%s in %s: %s %s %q", tt.caller, tt.object, f.Cause, f.Confidence, f.Summary)
		}
	}
}

// CPython arenas that empty only when a candidate runs alone: interleaved,
// the other candidate's objects keep them mapped. Traced alone, the
// mechanism is the answer and the order effect its symptom.
func TestAloneMechanism(t *testing.T) {
	r := pairResult("", side{t: 2.0e-3, sys: &result.Syscalls{}}, side{t: 2.3e-3, sys: &result.Syscalls{}}, nil, nil)
	rng := rand.New(rand.NewPCG(2, 2))
	isolate(r, rng, "glibc", []spec{sp("A", 4.1e-3, 504), sp("B", 1.7e-3, 0)}, 12)
	arena := int64(1 << 20)
	r.Run("A", "glibc", result.ModeIsolated).PerIteration.Syscalls = &result.Syscalls{Mmap: 2, Munmap: 2, MappedBytes: 2 << 20, UnmappedBytes: 2 << 20,
		Sizes: []result.SizeCount{{Call: "mmap", Bytes: arena, Per: 2}, {Call: "munmap", Bytes: arena, Per: 2}}}
	compare(r)
	fs := diagnoseOf(r)
	if len(fs) == 0 || fs[0].Cause != RuntimePoolRelease || fs[0].Candidate != "A" || fs[0].Confidence == High ||
		!strings.HasPrefix(fs[0].Summary, "alone in a fresh process: ") {
		t.Fatalf("findings %+v", fs)
	}
	for _, f := range fs {
		if f.Cause == OrderEffect && f.Candidate == "A" && f.Confidence != Low {
			t.Errorf("the order effect stays %s: %q", f.Confidence, f.Summary)
		}
	}
}
