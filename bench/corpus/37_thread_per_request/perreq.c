/* A server that starts a thread per request and joins it, against one that
 * hands every request to the same worker thread. The handler keeps a
 * per-thread scratch table (32 blocks of 64 KiB, below the mmap threshold),
 * allocated on the thread's first request and freed by its TLS destructor
 * when the thread exits.
 *
 * glibc gives the first worker an arena of its own: a 64 MiB heap reserved
 * PROT_NONE (mmap of 128 MiB, MAP_NORESERVE, trimmed to an aligned 64 MiB)
 * and made usable with mprotect as it grows. When a thread exits its arena
 * goes on a free list and the next thread takes the same one, and its stack
 * comes from glibc's stack cache: no new mapping per request. What repeats is
 * the trim: the exiting thread frees its 2 MiB table, heap_trim returns the
 * arena's top with madvise(MADV_DONTNEED), and the next thread faults it in.
 *
 *   perreq N          one thread per request
 *   perreq N reuse    one worker thread for all requests
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLK (64u << 10)
#define NBLK 32

static pthread_key_t key;
static unsigned long sum;
static int n;

static void drop(void *p) {
	unsigned char **b = p;
	for (int i = 0; i < NBLK; i++) free(b[i]);
	free(b);
}

static unsigned char **scratch(void) {
	unsigned char **b = pthread_getspecific(key);
	if (!b) {
		b = malloc(NBLK * sizeof *b);
		for (int i = 0; i < NBLK; i++) b[i] = malloc(BLK);
		pthread_setspecific(key, b);
	}
	return b;
}

static void handle(int it) {
	unsigned char **b = scratch();
	for (int i = 0; i < NBLK; i++) {
		memset(b[i], (it + i) & 0xff, BLK);
		sum += b[i][it % BLK];
	}
}

static void *one(void *arg) { handle((int)(long)arg); return NULL; }

static void *all(void *arg) {
	(void)arg;
	for (int it = 0; it < n; it++) handle(it);
	return NULL;
}

int main(int argc, char **argv) {
	n = argc > 1 ? atoi(argv[1]) : 500;
	int reuse = argc > 2 && strcmp(argv[2], "reuse") == 0;
	pthread_key_create(&key, drop);
	pthread_t t;
	if (reuse) {
		pthread_create(&t, NULL, all, NULL);
		pthread_join(t, NULL);
	} else {
		for (int it = 0; it < n; it++) {
			pthread_create(&t, NULL, one, (void *)(long)it);
			pthread_join(t, NULL);
		}
	}
	printf("%lu\n", sum);
	return 0;
}
