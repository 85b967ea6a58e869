/* batch_notrim: batch.c's workload with glibc's heap trimming held off.
 * Per iteration, 32 x malloc(64 KiB) + memset, then free them all, after
 * mallopt(M_TRIM_THRESHOLD, 8 MiB) at start-up: the 2 MiB top chunk left
 * by the frees stays below the threshold, so glibc keeps it and the next
 * iteration reuses its pages without faulting (case 02's fast side; batch.c
 * is the slow side).
 *
 * usage: batch_notrim [N]   N iterations (default 10)
 * Iterations are marked with include/faultline.h when FAULTLINE_FD is set. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "faultline.h"

#define MSG (64 * 1024)
#define K 32
#define TRIM (8 << 20)

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

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 10;
	if (mallopt(M_TRIM_THRESHOLD, TRIM) != 1)
		abort();
	for (int i = 0; i < n; i++) {
		faultline_begin("B");
		batch();
		faultline_end("B");
	}
	return 0;
}
