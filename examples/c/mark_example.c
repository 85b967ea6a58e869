/* mark_example: a C benchmark that marks its iterations for faultline.
 *
 *   gcc -O2 -I include -o mark_example examples/c/mark_example.c
 *   faultline run ./mark_example
 *
 * Run alone it just runs; under faultline every iteration's brk, mmap,
 * munmap, mremap and madvise calls are attributed to candidate "grow" or
 * "reuse", and each iteration's time and page faults are reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faultline.h"

#define N (8 << 20) /* 8 MiB: above glibc's initial mmap threshold */

/* Keep the compiler from deleting the buffers it never sees read. */
static inline void escape(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

int main(void) {
	static char keep[N];
	for (int i = 0; i < 20; i++) {
		faultline_begin("grow"); /* a fresh 8 MiB block every time */
		char *p = malloc(N);
		memset(p, i, N);
		escape(p);
		free(p);
		faultline_end("grow");

		faultline_begin("reuse"); /* the same work in memory kept across iterations */
		memset(keep, i, N);
		escape(keep);
		faultline_end("reuse");
	}
	printf("marking %s\n", faultline_enabled() ? "on" : "off (FAULTLINE_FD not set)");
	return 0;
}
