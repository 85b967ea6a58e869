// Package workload is faultline's native reproduction of the seed case, run
// as a probe so that `faultline demo` works on a machine with no Python and
// no NumPy: nothing but the faultline binary and the C library.
//
// The seed case compares two NumPy statements over a 1,000,000-element uint8
// array a:
//
//	A  a.astype(np.float64) / 255.0           one live 8,000,000-byte buffer
//	B  t = a.astype(np.float64); t / 255.0    two live 8,000,000-byte buffers
//
// NumPy's temporary elision divides A's unnamed astype result in place; the
// name t prevents that in B, so B holds two 8 MB blocks at once. Under
// glibc's default malloc, once the dynamic mmap threshold has risen past
// 8 MB, both blocks come from the brk heap, and freeing them leaves a heap
// top just above trim_threshold: every B call shrinks the heap with brk and
// faults ~16 MB of fresh pages back in on the next call. A never crosses
// the threshold. docs/workload.md has the mechanism and the numbers measured
// with this package.
//
// This package performs the same allocations in the same order, with the
// same loops and the same madvise(MADV_HUGEPAGE) NumPy issues on buffers of
// 4 MiB or more (NUMPY_MADVISE_HUGEPAGE is honoured as NumPy honours it), so
// the allocator sees the same request stream and the fault and syscall
// counts follow the Python case.
//
// # Running it
//
// The workload runs in a re-exec'd faultline process:
//
//	faultline __workload seed [prewarm=0]
//
// Command builds that argv; "__workload" is the package's internal/reexec
// role, so reexec.Main, called first thing in main() (and in TestMain), runs
// the workload: it serves the probe protocol of docs/protocol.md on
// FAULTLINE_CTL_FD / FAULTLINE_FD and exits. prewarm=0
// skips the setup's first 8 MB malloc/free (see below); it exists to show
// that the steady state does not depend on it.
//
// # Why cgo first, purego without it, never Go
//
// The allocations must go through the process's own malloc, free and madvise
// symbols so that LD_PRELOAD allocators (tcmalloc, jemalloc, mimalloc) and
// GLIBC_TUNABLES act on them: that swap is the experiment that proves the
// diagnosis. Go's own allocator maps memory itself and never calls malloc, so
// a pure-Go loop would reproduce nothing. With cgo (engine_cgo.go, seed.c)
// the whole timed loop (clock and getrusage around it included) is C
// compiled by gcc -O2, like NumPy's inner loops, and the Go runtime does
// nothing while it runs; the binary links dynamically against libc, which
// LD_PRELOAD needs anyway (a static binary ignores it). Built with
// CGO_ENABLED=0 on linux/amd64 or linux/arm64, engine_purego.go loads the C
// library with purego and calls the same malloc, free and madvise: the
// allocator sees the same request stream, but the arithmetic runs in Go, so
// B/A is smaller (docs/workload.md compares the two). Without cgo elsewhere
// (engine_nocgo.go) the workload answers with a setup error and Available
// reports false.
//
// # Keeping the Go runtime out of glibc's heap
//
// The Go runtime gets its memory with mmap, not malloc. The C code runs on
// the process's main thread (locked in reexec's init for every role),
// which glibc serves from the main, brk-based arena as it serves CPython's
// main thread; other Go threads that ever call malloc get arenas of their
// own. Records are formatted and written by Go between C calls, never inside
// a timed stretch, and a trace iteration is one C call between the single
// write() of its begin record and that of its end record.
//
// # Allocation counts
//
// There is no tracemalloc in C. The alloc command answers with the workload's
// own accounting: every data buffer goes through one counting malloc
// wrapper, so count, bytes and peak are exact for the candidate's buffers
// (1 or 2 buffers of 8,000,000 bytes per iteration) and exclude whatever the
// C library allocates for itself.
//
// # Setup
//
// The input is a 1,000,000-byte malloc filled with pseudo-random bytes (as
// np.random.randint's output), live for the whole run. Then, unless
// prewarm=0, one 8,000,000-byte malloc/free: glibc mmaps that first block
// (it is above the initial 128 KiB threshold) and its free raises the
// dynamic mmap threshold to 8,003,584 bytes and the trim threshold to twice
// that, the state the Python case reaches during its first call. Without it
// the first call of whichever candidate runs first does the same; every
// later call is identical either way (tested).
package workload
