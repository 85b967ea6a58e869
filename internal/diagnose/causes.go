package diagnose

// Cause ids. They are stable: the JSON result, the renderers and
// docs/causes.md refer to them, so an id is never renamed or reused.
const (
	// HeapTrimRefault: glibc gives the top of its brk heap back after an
	// iteration (brk shrink, or MADV_DONTNEED in a thread's arena) and the
	// next iteration faults it in again.
	HeapTrimRefault = "heap-trim-refault"
	// MmapPerAllocation: a block above the mmap threshold (or glibc's
	// 32 MiB ceiling for the dynamic threshold) is mmapped and munmapped
	// on every iteration, so every page of it faults every time.
	MmapPerAllocation = "mmap-per-allocation"
	// AllocatorPurge: the allocator returns freed pages to the kernel with
	// madvise(MADV_DONTNEED) (jemalloc's oversize purge, tcmalloc's
	// aggressive decommit, mimalloc without a decommit delay) and reuses
	// the addresses, which fault again.
	AllocatorPurge = "allocator-purge"
	// LazyZeroing: one side's memory is zero-filled lazily by the kernel
	// (calloc of a fresh mapping) and never touched, so the comparison
	// measures work that side defers.
	LazyZeroing = "lazy-zeroing"
	// HugePages: one side gets transparent huge pages and the other does
	// not, so the same amount of memory costs up to 512 times more faults.
	HugePages = "huge-pages"
	// ExtraBuffer: the slower side allocates more or larger buffers per
	// iteration (for NumPy: a temporary the faster side reuses in place).
	ExtraBuffer = "extra-buffer"
	// ReallocCopy: growth copies into freshly mapped pages instead of
	// moving the mapping with mremap.
	ReallocCopy = "realloc-copy"
	// RuntimePoolRelease: a language runtime's pool allocator releases a
	// whole arena per iteration (CPython's obmalloc: mmap/munmap of 1 MiB,
	// 256 KiB before 3.10) and maps it again.
	RuntimePoolRelease = "runtime-pool-release"
	// FileMapping: a file is mapped with mmap and unmapped every
	// iteration, so its pages fault in again from the page cache each
	// time; no allocator setting changes it.
	FileMapping = "file-mapping"
	// ForkCOW: the slower side creates processes with fork from a large
	// process, and every page written after a fork takes a copy-on-write
	// fault; posix_spawn and vfork share the memory instead.
	ForkCOW = "fork-cow"
	// PageFaults: the slower side takes more page faults per iteration but
	// no memory-syscall signature names the mechanism (the trace pass was
	// unavailable, or the faults are first touches of memory mapped
	// earlier).
	PageFaults = "page-faults"
	// MemoryTax: every candidate is significantly faster under another
	// configuration, and no mechanism they share is named: memory
	// management costs them all (Finding.Tax).
	MemoryTax = "memory-tax"
	// OrderEffect: a candidate's time depends on what ran before it in
	// the same process (interleaved and isolated results differ, or the
	// samples right after a switch differ).
	OrderEffect = "order-effect"
	// ConfigRegression: a configuration tried as an experiment makes a
	// candidate much slower; it explains no part of the gap, it warns
	// against a tempting fix.
	ConfigRegression = "config-regression"
)

// Catalog lists every cause id in the order findings of equal weight are
// shown.
var Catalog = []string{
	ProgramTuning, ProgramTrim, HeapTrimRefault, MmapPerAllocation, AllocatorPurge, LazyZeroing, HugePages, THP,
	ReallocCopy, RuntimePoolRelease, FileMapping, ForkCOW, SyscallCost, PageFaults, MemoryTax, ExtraBuffer, OrderEffect, ConfigRegression,
}

func catalogRank(id string) int {
	for i, c := range Catalog {
		if c == id {
			return i
		}
	}
	return len(Catalog)
}

// Confidence levels.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

func confidenceRank(c string) int {
	switch c {
	case High:
		return 0
	case Medium:
		return 1
	}
	return 2
}
