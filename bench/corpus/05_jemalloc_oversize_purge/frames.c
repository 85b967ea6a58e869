/* A video pipeline that decodes each frame into a fresh buffer, run with
 * jemalloc preloaded. jemalloc 5.3 purges freed extents at or above its
 * oversize threshold (8 MiB) at once with madvise(MADV_DONTNEED), so a 12 MiB
 * frame faults in again every time; two 6 MiB half-frames are kept dirty and
 * reused.
 *
 *   frames N         one 12 MiB buffer per frame
 *   frames N halves  two 6 MiB buffers per frame (same bytes written)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME (12u << 20)

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 50;
	int halves = argc > 2 && strcmp(argv[2], "halves") == 0;
	unsigned long sum = 0;
	for (int it = 0; it < n; it++) {
		if (halves) {
			unsigned char *p = malloc(FRAME / 2), *q = malloc(FRAME / 2);
			memset(p, it & 0xff, FRAME / 2);
			memset(q, it & 0xff, FRAME / 2);
			sum += p[it] + q[it];
			free(p);
			free(q);
		} else {
			unsigned char *p = malloc(FRAME);
			memset(p, it & 0xff, FRAME);
			sum += p[it];
			free(p);
		}
	}
	printf("%lu\n", sum);
	return 0;
}
