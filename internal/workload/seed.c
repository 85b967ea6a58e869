//go:build cgo

// The native reproduction of the seed case: the same allocation pattern,
// the same loops and the same madvise calls as NumPy's
//
//     A: a.astype(np.float64) / 255.0           (one live 8 MB buffer)
//     B: t = a.astype(np.float64); t / 255.0    (two live 8 MB buffers)
//
// Everything an iteration does happens here, in C, through the process's
// malloc/free/madvise symbols: LD_PRELOAD allocators and GLIBC_TUNABLES then
// act on it exactly as they act on NumPy, and no Go code (and no Go
// allocation) runs inside a timed loop.

#include "seed.h"

#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

// NumPy advises huge pages for data buffers of at least 4 MiB
// (numpy/core/src/multiarray/alloc.c, indicate_hugepages).
#define FL_HUGEPAGE_MIN (1u << 22)

static unsigned char *fl_input;
static int fl_madvise_hugepage;

// The workload's own buffer accounting, the native stand-in for
// tracemalloc: every buffer the candidates allocate goes through fl_malloc.
static int64_t fl_count, fl_bytes, fl_live, fl_peak;

// Written once per iteration so the result is observably used.
static volatile double fl_sink;

// fl_escape tells the compiler that p's memory may be read by anything.
// Without it gcc may delete a malloc/fill/free sequence whose result is
// never used, or fold malloc+fill into calloc, and then the allocation under
// study is gone.
static inline void fl_escape(void *p) { __asm__ volatile("" : : "g"(p) : "memory"); }

// fl_malloc allocates a data buffer the way NumPy's default allocator does:
// plain malloc, then madvise(MADV_HUGEPAGE) on the part after the first page
// boundary when the buffer is 4 MiB or more. NumPy computes the offset as
// 4096 - p % 4096, which skips a whole page even when p is page aligned; we
// copy that, since the advised range decides which 2 MiB blocks can become
// huge pages and so the fault counts. Errors are ignored, as NumPy does.
static void *fl_malloc(size_t size) {
	void *p = malloc(size);
	if (p == NULL)
		return NULL;
	fl_count++;
	fl_bytes += (int64_t)size;
	fl_live += (int64_t)size;
	if (fl_live > fl_peak)
		fl_peak = fl_live;
	if (fl_madvise_hugepage && size >= FL_HUGEPAGE_MIN) {
		uintptr_t offset = 4096u - (uintptr_t)p % 4096u;
		madvise((char *)p + offset, size - offset, MADV_HUGEPAGE);
	}
	return p;
}

static void fl_free(void *p, size_t size) {
	fl_live -= (int64_t)size;
	free(p);
}

// NumPy runs its arithmetic loops with SIMD chosen at run time (AVX-512F /
// AVX2 dispatch for division). The inner loops here are compiled with -O3
// (the #cgo line in engine_cgo.go) and cloned per instruction set, so the compute part
// of an iteration costs about what NumPy's does and the time ratios that
// page faults cause are comparable. target_clones needs glibc's ifunc.
#if defined(__GLIBC__) && defined(__x86_64__)
#define FL_SIMD __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FL_SIMD
#endif

FL_SIMD static void fl_convert(double *restrict t, const unsigned char *restrict in) {
	for (size_t i = 0; i < FL_N; i++)
		t[i] = (double)in[i];
}

FL_SIMD static void fl_divide(double *restrict r, const double *restrict t) {
	for (size_t i = 0; i < FL_N; i++)
		r[i] = t[i] / 255.0;
}

FL_SIMD static void fl_divide_inplace(double *t) {
	for (size_t i = 0; i < FL_N; i++)
		t[i] = t[i] / 255.0;
}

// astype(np.float64): a new buffer holding the converted input.
static double *fl_astype(void) {
	double *t = fl_malloc(FL_N * sizeof(double));
	if (t == NULL)
		return NULL;
	fl_convert(t, fl_input);
	return t;
}

// A: NumPy's temporary elision turns "tmp / 255.0" into "tmp /= 255.0"
// because the astype result is an unnamed temporary (refcount 1), so one
// 8 MB buffer is live per call.
static int fl_cand_a(int64_t iter) {
	double *t = fl_astype();
	if (t == NULL)
		return -1;
	fl_divide_inplace(t);
	fl_escape(t);
	fl_sink = t[(uint64_t)iter % FL_N];
	fl_free(t, FL_N * sizeof(double));
	return 0;
}

// B: the name t keeps a second reference, so the division gets its own
// result buffer while t is alive: two live 8 MB buffers. CPython frees t
// when the frame is cleared and the result afterwards, when the caller drops
// it; we free in that order.
static int fl_cand_b(int64_t iter) {
	double *t = fl_astype();
	if (t == NULL)
		return -1;
	double *r = fl_malloc(FL_N * sizeof(double));
	if (r == NULL) {
		fl_free(t, FL_N * sizeof(double));
		return -1;
	}
	fl_divide(r, t);
	fl_escape(t);
	fl_escape(r);
	fl_sink = r[(uint64_t)iter % FL_N];
	fl_free(t, FL_N * sizeof(double));
	fl_free(r, FL_N * sizeof(double));
	return 0;
}

// fl_setup builds the input and, when prewarm is set, brings glibc's
// dynamic mmap threshold to where NumPy's first call leaves it: the first
// 8 MB block is above the initial 128 KiB threshold, so glibc mmaps it, and
// its free raises mmap_threshold to the block's size (8,003,584) and
// trim_threshold to twice that. Returns -1 when malloc fails.
int fl_setup(int madvise_hugepage, int prewarm) {
	fl_madvise_hugepage = madvise_hugepage;
	// np.random.randint's output is a plain 1 MB malloc (below NumPy's
	// 4 MiB huge-page limit), live for the whole run.
	fl_input = malloc(FL_N);
	if (fl_input == NULL)
		return -1;
	uint64_t x = 0x9e3779b97f4a7c15u; // xorshift64: any bytes will do
	for (size_t i = 0; i < FL_N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fl_input[i] = (unsigned char)(x >> 56);
	}
	if (prewarm) {
		void *p = fl_malloc(FL_N * sizeof(double));
		if (p == NULL)
			return -1;
		fl_escape(p);
		fl_free(p, FL_N * sizeof(double));
	}
	fl_alloc_reset();
	return 0;
}

static int64_t fl_ns(const struct timespec *t) {
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

// fl_run runs one candidate loops times back to back, timed and counted
// around the whole loop (in the order the Python probe uses: rusage, clock,
// loop, clock, rusage). Returns -1 when malloc fails.
static int64_t fl_tv_ns(const struct timeval *tv) {
	return (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000;
}

int fl_run(int cand, int64_t loops, int64_t iter0, fl_meas *m) {
	int (*fn)(int64_t) = cand == FL_CAND_B ? fl_cand_b : fl_cand_a;
	struct rusage r0, r1;
	struct timespec t0, t1;
	int rc = 0;

	getrusage(RUSAGE_SELF, &r0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int64_t i = 0; i < loops; i++) {
		if (fn(iter0 + i) != 0) {
			rc = -1;
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &r1);
	m->ns = fl_ns(&t1) - fl_ns(&t0);
	m->minflt = (int64_t)(r1.ru_minflt - r0.ru_minflt);
	m->majflt = (int64_t)(r1.ru_majflt - r0.ru_majflt);
	m->utime_ns = fl_tv_ns(&r1.ru_utime) - fl_tv_ns(&r0.ru_utime);
	m->stime_ns = fl_tv_ns(&r1.ru_stime) - fl_tv_ns(&r0.ru_stime);
	return rc;
}

void fl_alloc_stats(int64_t *count, int64_t *bytes, int64_t *peak) {
	*count = fl_count;
	*bytes = fl_bytes;
	*peak = fl_peak;
}

// fl_alloc_reset starts a new accounting window; the peak restarts from what
// is live now (nothing, between iterations).
void fl_alloc_reset(void) {
	fl_count = 0;
	fl_bytes = 0;
	fl_peak = fl_live;
}

const char *fl_libc_version(void) {
#ifdef __GLIBC__
	return gnu_get_libc_version();
#else
	return "";
#endif
}
