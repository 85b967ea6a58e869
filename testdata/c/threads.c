/* threads: 8 pthreads, each mallocs, fills and frees a 1 MiB block
 * ROUNDS times (default 16, or argv[1]).
 *
 * The syscall counts are made deterministic so that two runs (ours and
 * strace's) can be compared exactly: one arena (M_ARENA_MAX=1) so that no
 * thread creates a heap whose alignment depends on ASLR, a fixed mmap
 * threshold so that every 1 MiB block is one mmap and one munmap, small
 * stacks so that none is freed from the stack cache, and barriers so that
 * all threads are alive at once. */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

#define T 8
#define BLOCK (1 << 20)

static pthread_barrier_t start, stop;
static int rounds = 16;

static void *work(void *arg) {
	(void)arg;
	pthread_barrier_wait(&start);
	for (int r = 0; r < rounds; r++) {
		char *p = malloc(BLOCK);
		memset(p, r + 1, BLOCK);
		escape(p);
		free(p);
	}
	pthread_barrier_wait(&stop);
	return NULL;
}

int main(int argc, char **argv) {
	if (argc > 1)
		rounds = atoi(argv[1]);
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	pthread_barrier_init(&start, NULL, T);
	pthread_barrier_init(&stop, NULL, T);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_t th[T];
	for (int i = 0; i < T; i++)
		if (pthread_create(&th[i], &attr, work, NULL) != 0)
			return 1;
	for (int i = 0; i < T; i++)
		pthread_join(th[i], NULL);
	return 0;
}
