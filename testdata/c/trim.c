/* trim: per iteration, 256 x malloc(64 KiB) from the main arena (below
 * the mmap threshold, so the heap grows by brk), a small guard block
 * above them, then frees the 256 (one free chunk of 16 MiB the guard keeps
 * from the top) and calls malloc_trim(0): glibc returns the chunk's
 * pages with madvise(MADV_DONTNEED) from inside libc. Unmarked.
 * MODE "wait": read one byte of stdin before the loop (a recorder can
 * attach to the running program).
 *
 * usage: trim N [MODE] */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"

#define BLOCKS 256
#define BLOCK (64 << 10)

__attribute__((noinline)) static long churn_and_trim(void) {
	static char *p[BLOCKS];
	long sum = 0;
	for (int i = 0; i < BLOCKS; i++) {
		p[i] = malloc(BLOCK);
		escape(p[i]);
		memset(p[i], 1, BLOCK);
		sum += p[i][i];
	}
	char *guard = malloc(64);
	escape(guard);
	for (int i = 0; i < BLOCKS; i++)
		free(p[i]);
	malloc_trim(0);
	free(guard);
	return sum;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 1;
	/* No trimming of the top by free, and no dynamic mmap threshold: the
	 * 16 MiB go back only through malloc_trim. */
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if (argc > 2 && strcmp(argv[2], "wait") == 0) {
		char c;
		if (read(0, &c, 1) != 1)
			return 1;
	}
	long sum = 0;
	for (int i = 0; i < n; i++)
		sum += churn_and_trim();
	return sum == 42; /* never: keeps the work observable */
}
