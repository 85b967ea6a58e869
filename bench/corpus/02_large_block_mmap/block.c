/* A query engine that allocates a 48 MiB working block per query (a hash
 * table being built, a column being decoded). Above glibc's 32 MiB ceiling for
 * its dynamic mmap threshold, every malloc of it is a fresh mmap and every free
 * a munmap, so each query faults the whole block in again.
 *
 *   block N          malloc + fill + free the block per query
 *   block N reuse    allocate the block once and refill it per query
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (48u << 20)

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 20;
	int reuse = argc > 2 && strcmp(argv[2], "reuse") == 0;
	unsigned char *b = reuse ? malloc(BLOCK) : NULL;
	unsigned long sum = 0;
	for (int it = 0; it < n; it++) {
		if (!reuse) b = malloc(BLOCK);
		memset(b, it & 0xff, BLOCK);
		sum += b[it * 4096 % BLOCK];
		if (!reuse) free(b);
	}
	printf("%lu\n", sum);
	return 0;
}
