//go:build cgo

// The native reproduction of the seed case. See seed.c and doc.go.

#ifndef FAULTLINE_SEED_H
#define FAULTLINE_SEED_H

#include <stdint.h>

// What one timed stretch cost: wall time, the process's page faults and
// its user and system CPU time.
typedef struct {
	int64_t ns;
	int64_t minflt;
	int64_t majflt;
	int64_t utime_ns;
	int64_t stime_ns;
} fl_meas;

// Candidate numbers for fl_run.
enum { FL_CAND_A = 0, FL_CAND_B = 1 };

// Element count of the uint8 input, as in the seed
// (np.random.randint(0, 256, 1_000_000, dtype=np.uint8)).
#define FL_N 1000000

int fl_setup(int madvise_hugepage, int prewarm);
int fl_run(int cand, int64_t loops, int64_t iter0, fl_meas *m);
void fl_alloc_stats(int64_t *count, int64_t *bytes, int64_t *peak);
void fl_alloc_reset(void);
const char *fl_libc_version(void);

#endif
