/* buffers: one or two 8 MiB buffers per iteration, made by make_buffers,
 * plus a few small allocations from small_work.
 *   default: make_buffers allocates one 8 MiB buffer, fills and frees it.
 *   MODE "two": it allocates two, both live at once (the second is
 *   filled from the first), then frees both.
 *   MODE "dontneed": one buffer, and the program itself gives the pages
 *   back with madvise(MADV_DONTNEED) from release_pages before freeing.
 * Unmarked: the whole process is one iteration of a measurement. The
 * "line-test" comments mark lines that tests of source lines look for.
 *
 * usage: buffers N [MODE] */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "escape.h"

#define SIZE (8 << 20)

__attribute__((noinline)) static void release_pages(char *p) {
	/* Whole pages inside the block. */
	char *start = (char *)(((unsigned long)p + 4095) & ~4095UL);
	madvise(start, SIZE - 8192, MADV_DONTNEED); /* line-test: madvise */
}

__attribute__((noinline)) static long make_buffers(int two, int dontneed) {
	char *a = malloc(SIZE); /* line-test: a */
	escape(a);
	memset(a, 1, SIZE);
	long sum = a[SIZE / 2];
	if (two) {
		char *b = malloc(SIZE); /* line-test: b */
		escape(b);
		memcpy(b, a, SIZE);
		sum += b[SIZE / 3];
		free(b);
	}
	if (dontneed)
		release_pages(a); /* line-test: release */
	free(a);
	return sum;
}

__attribute__((noinline)) static long small_work(void) {
	long sum = 0;
	for (int i = 0; i < 16; i++) {
		char *p = malloc(100 + i);
		escape(p);
		p[0] = (char)i;
		sum += p[0];
		free(p);
	}
	return sum;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int two = argc > 2 && strcmp(argv[2], "two") == 0;
	int dontneed = argc > 2 && strcmp(argv[2], "dontneed") == 0;
	long sum = 0;
	for (int i = 0; i < n; i++) {
		sum += make_buffers(two, dontneed);
		sum += small_work();
	}
	return sum == 42; /* never: keeps the work observable */
}
