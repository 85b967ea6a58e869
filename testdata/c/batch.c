/* batch: per iteration, 32 x malloc(64 KiB) + memset, then free them all.
 * 64 KiB is below glibc's 128 KiB mmap threshold, so the blocks come from
 * the main arena's brk heap: the heap grows by 2 MiB, and freeing the lot
 * leaves a top chunk above trim_threshold, which glibc gives back with brk.
 *
 * usage: batch [N [MODE]]   N iterations (default 10)
 *   MODE "A" (default): every iteration is candidate A, as above.
 *   MODE "AB": iterations alternate between candidate A (the batch) and
 *   candidate B, which maps, touches and unmaps 3 x 1 MiB with direct
 *   mmap/munmap calls (so glibc's dynamic threshold is left alone).
 *   MODE "notrim": candidate B, the batch after mallopt(M_TRIM_THRESHOLD,
 *   8 MiB) at start-up: the 2 MiB top chunk left by the frees stays below
 *   the threshold, so glibc keeps it and the next iteration reuses its
 *   pages without faulting (case 02's fast side).
 * Iterations are marked with include/faultline.h when FAULTLINE_FD is set. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "escape.h"
#include "faultline.h"

#define MSG (64 * 1024)
#define K 32
#define BIG (1 << 20)

static void batch(void) {
	void *p[K];
	for (int k = 0; k < K; k++) {
		p[k] = malloc(MSG);
		memset(p[k], k + 1, MSG);
		escape(p[k]);
	}
	for (int k = 0; k < K; k++)
		free(p[k]);
}

static void maps(void) {
	for (int i = 0; i < 3; i++) {
		char *p = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			abort();
		for (int off = 0; off < BIG; off += 4096)
			p[off] = 1;
		escape(p);
		munmap(p, BIG);
	}
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 10;
	int ab = argc > 2 && strcmp(argv[2], "AB") == 0;
	int notrim = argc > 2 && strcmp(argv[2], "notrim") == 0;
	if (notrim && mallopt(M_TRIM_THRESHOLD, 8 << 20) != 1)
		abort();
	for (int i = 0; i < n; i++) {
		if (ab && i % 2 == 1) {
			faultline_begin("B");
			maps();
			faultline_end("B");
		} else {
			const char *name = notrim ? "B" : "A";
			faultline_begin(name);
			batch();
			faultline_end(name);
		}
	}
	return 0;
}
