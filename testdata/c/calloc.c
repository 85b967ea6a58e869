/* calloc: a large zeroed block per iteration, obtained two ways.
 * 64 MiB is above glibc's largest dynamic mmap threshold (32 MiB), so every
 * block is a fresh mmap, unmapped again by free:
 *   MODE "calloc" (default): calloc(1, 64 MiB) and nothing else. glibc
 *   knows a fresh mapping is zero and skips the memset; the kernel zeroes
 *   each page on its first touch, which never comes (about one fault).
 *   MODE "memset": malloc(64 MiB) + memset(0), which writes, and so
 *   faults in, every page (16,385 faults).
 * The calloc side defers the work rather than saving it (case 05,
 * lazy-zeroing).
 *
 * usage: calloc [N [MODE]]   N iterations (default 1)
 * Iterations are marked with include/faultline.h when FAULTLINE_FD is set. */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "faultline.h"

#define SIZE (64 << 20)

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int touch = argc > 2 && strcmp(argv[2], "memset") == 0;
	const char *name = touch ? "B" : "A";
	for (int i = 0; i < n; i++) {
		faultline_begin(name);
		char *p;
		if (touch) {
			p = malloc(SIZE);
			escape(p); /* keep gcc from fusing malloc + memset(0) into calloc */
			if (p)
				memset(p, 0, SIZE);
		} else {
			p = calloc(1, SIZE);
		}
		if (!p)
			abort();
		escape(p);
		free(p);
		faultline_end(name);
	}
	return 0;
}
