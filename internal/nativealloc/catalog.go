// Package nativealloc is the model of the native allocation pass: which
// allocator a program that is not Python really uses, which of its API
// functions to probe and how to read their arguments, and how the probes'
// hits become per-iteration figures (calls and bytes per function, the
// live peak, the large allocations with the function that made them, the
// calls of the allocator's tuning API).
//
// The probes themselves are internal/uprobe's; symbols come from
// internal/elfsym. docs/tracing.md describes the pass and its cost.
package nativealloc

// kind is what a function does to the heap.
type kind int

const (
	kAlloc    kind = iota // returns a new block
	kRealloc              // moves or resizes a block
	kFree                 // releases a block
	kOutAlloc             // writes a new block through its first argument (posix_memalign)
	kTune                 // changes the allocator's behaviour (mallopt, malloc_trim)
)

// fn is one API function: its name, what it does and where its size and
// pointer arguments are (argument index, -1 for none).
type fn struct {
	name string
	kind kind
	size int // argument holding the size
	// count: calloc-like, the size is args[count] * args[size].
	count int
	ptr   int // argument holding the block released or resized
}

// catalog lists the functions probed in every object that defines them,
// the standard names first: an allocator that exports both malloc and its
// own name for it (tcmalloc's tc_malloc, mimalloc's mi_malloc) has one
// function at one address, probed once under the standard name.
var catalog = []fn{
	{name: "malloc", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "calloc", kind: kAlloc, size: 1, count: 0, ptr: -1},
	{name: "realloc", kind: kRealloc, size: 1, count: -1, ptr: 0},
	{name: "reallocarray", kind: kRealloc, size: 2, count: 1, ptr: 0},
	{name: "free", kind: kFree, size: -1, count: -1, ptr: 0},
	{name: "posix_memalign", kind: kOutAlloc, size: 2, count: -1, ptr: -1},
	{name: "aligned_alloc", kind: kAlloc, size: 1, count: -1, ptr: -1},
	{name: "memalign", kind: kAlloc, size: 1, count: -1, ptr: -1},
	{name: "valloc", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "pvalloc", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "mallopt", kind: kTune, size: -1, count: -1, ptr: -1},
	{name: "malloc_trim", kind: kTune, size: -1, count: -1, ptr: -1},
	// jemalloc's non-standard API.
	{name: "mallocx", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "rallocx", kind: kRealloc, size: 1, count: -1, ptr: 0},
	{name: "dallocx", kind: kFree, size: -1, count: -1, ptr: 0},
	{name: "sdallocx", kind: kFree, size: -1, count: -1, ptr: 0},
	{name: "mallctl", kind: kTune, size: -1, count: -1, ptr: -1},
	// tcmalloc's.
	{name: "tc_malloc", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "tc_calloc", kind: kAlloc, size: 1, count: 0, ptr: -1},
	{name: "tc_realloc", kind: kRealloc, size: 1, count: -1, ptr: 0},
	{name: "tc_free", kind: kFree, size: -1, count: -1, ptr: 0},
	{name: "tc_free_sized", kind: kFree, size: -1, count: -1, ptr: 0},
	{name: "tc_memalign", kind: kAlloc, size: 1, count: -1, ptr: -1},
	{name: "tc_posix_memalign", kind: kOutAlloc, size: 2, count: -1, ptr: -1},
	{name: "tc_new", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "tc_newarray", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "tc_delete", kind: kFree, size: -1, count: -1, ptr: 0},
	{name: "tc_deletearray", kind: kFree, size: -1, count: -1, ptr: 0},
	{name: "tc_mallopt", kind: kTune, size: -1, count: -1, ptr: -1},
	{name: "MallocExtension_ReleaseFreeMemory", kind: kTune, size: -1, count: -1, ptr: -1},
	// mimalloc's.
	{name: "mi_malloc", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "mi_calloc", kind: kAlloc, size: 1, count: 0, ptr: -1},
	{name: "mi_zalloc", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "mi_realloc", kind: kRealloc, size: 1, count: -1, ptr: 0},
	{name: "mi_free", kind: kFree, size: -1, count: -1, ptr: 0},
	{name: "mi_free_size", kind: kFree, size: -1, count: -1, ptr: 0},
	{name: "mi_malloc_aligned", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "mi_zalloc_aligned", kind: kAlloc, size: 0, count: -1, ptr: -1},
	{name: "mi_option_set", kind: kTune, size: -1, count: -1, ptr: -1},
	{name: "mi_collect", kind: kTune, size: -1, count: -1, ptr: -1},
}

// returns says whether the function's return value is the new block, read
// by a return probe.
func (f fn) returns() bool { return f.kind == kAlloc || f.kind == kRealloc }

// bytes is the size a call asks for.
func (f fn) bytes(args [3]uint64) uint64 {
	if f.size < 0 {
		return 0
	}
	n := args[f.size]
	if f.count >= 0 {
		c := args[f.count]
		if c != 0 && n > ^uint64(0)/c {
			return 0 // overflows: the call fails
		}
		n *= c
	}
	return n
}
