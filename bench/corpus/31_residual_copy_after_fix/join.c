/* A query engine's hash-join build, per query: it decodes the input into a
 * 64 MiB scratch area, then builds its 8 MiB output table in a buffer that it
 * grows as rows arrive.
 *
 *   join N           malloc + free the scratch area per query (64 MiB, above
 *                    glibc's 32 MiB dynamic mmap threshold ceiling: an mmap
 *                    and a munmap per query, 16,384 fresh pages), and grow the
 *                    output by 256 KiB at a time with malloc(larger) + memcpy
 *                    + free (no realloc): 31 copies, 124 MiB copied per query
 *   join N reuse     one scratch area for all queries, and the output buffer
 *                    reserved at its final size (one malloc per query)
 *
 * Raising the mmap threshold (GLIBC_TUNABLES) keeps the scratch area in the
 * heap and removes its faults, but not the copies of the growth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH (64ul << 20)
#define OUT (8ul << 20)
#define STEP (256ul << 10)
#define ROW 4096ul

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 20;
	int reuse = argc > 2 && strcmp(argv[2], "reuse") == 0;
	unsigned char *scratch = reuse ? malloc(SCRATCH) : NULL;
	unsigned long sum = 0;
	for (int q = 0; q < n; q++) {
		if (!reuse) scratch = malloc(SCRATCH);
		/* decode: write one word per cache line of the scratch area */
		for (size_t i = 0; i < SCRATCH; i += 64) *(unsigned long *)(scratch + i) = i ^ q;
		/* build: append 4 KiB rows taken from the scratch area */
		size_t cap = reuse ? OUT : STEP, len = 0;
		unsigned char *out = malloc(cap);
		while (len < OUT) {
			if (len == cap) {
				unsigned char *bigger = malloc(cap + STEP);
				memcpy(bigger, out, len);
				free(out);
				out = bigger;
				cap += STEP;
			}
			memcpy(out + len, scratch + (len * 4) % SCRATCH, ROW);
			len += ROW;
		}
		sum += out[len / 3] + scratch[q * 4096ul % SCRATCH];
		free(out);
		if (!reuse) free(scratch);
	}
	printf("%lu\n", sum);
	return 0;
}
