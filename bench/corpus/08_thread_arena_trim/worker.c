/* A server whose requests are handled on a worker thread, so its allocations
 * come from a per-thread glibc arena (a mapped heap, not brk). Each request
 * builds 24 response blocks of 48 KiB (below the mmap threshold) and frees them
 * together; the arena's top then exceeds the trim threshold and heap_trim
 * returns it with madvise(MADV_DONTNEED), so the next request faults it in.
 *
 *   worker N         allocate and free the blocks per request (on the worker)
 *   worker N keep    the worker allocates them once and refills them
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLK (48u << 10)
#define NBLK 24

static int n, keep;
static unsigned long sum;

static void *serve(void *arg) {
	(void)arg;
	unsigned char *b[NBLK];
	if (keep)
		for (int i = 0; i < NBLK; i++) b[i] = malloc(BLK);
	for (int it = 0; it < n; it++) {
		for (int i = 0; i < NBLK; i++) {
			if (!keep) b[i] = malloc(BLK);
			memset(b[i], (it + i) & 0xff, BLK);
			sum += b[i][it % BLK];
		}
		if (!keep)
			for (int i = 0; i < NBLK; i++) free(b[i]);
	}
	return NULL;
}

int main(int argc, char **argv) {
	n = argc > 1 ? atoi(argv[1]) : 500;
	keep = argc > 2 && strcmp(argv[2], "keep") == 0;
	pthread_t t;
	pthread_create(&t, NULL, serve, NULL);
	pthread_join(t, NULL);
	printf("%lu\n", sum);
	return 0;
}
