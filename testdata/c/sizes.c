/* sizes: allocates SIZE bytes (argv[1], default 1 MiB), writes every byte
 * and frees the block, ITERATIONS times (argv[2], default 100). Where the
 * allocator keeps a freed block for the next malloc, only the first
 * iteration faults; where it gives the block back to the kernel (glibc
 * past its mmap threshold's 32 MiB cap, jemalloc past oversize_threshold,
 * mimalloc past its large-object limit), every iteration faults it in
 * again. The sweep test looks for each allocator's cliff in SIZE. With
 * "reuse" (argv[3]) the block is allocated once and written ITERATIONS
 * times: the same work without the allocator in the loop. PASSES
 * (argv[4], default 1) writes the block that many times per iteration,
 * to dilute the allocator's share of the time. The "line-test" comment
 * marks the line that tests of source lines look for. */
#include <stdlib.h>
#include <string.h>

#include "escape.h"

int main(int argc, char **argv) {
	size_t size = argc > 1 ? strtoull(argv[1], NULL, 10) : 1 << 20;
	long iterations = argc > 2 ? atol(argv[2]) : 100;
	int reuse = argc > 3 && strcmp(argv[3], "reuse") == 0;
	long passes = argc > 4 ? atol(argv[4]) : 1;
	char *kept = reuse ? malloc(size) : NULL;
	if (reuse && kept == NULL)
		return 1;
	for (long i = 0; i < iterations; i++) {
		char *p = reuse ? kept : malloc(size); /* line-test: block */
		if (p == NULL)
			return 1;
		for (long k = 0; k < passes; k++) {
			memset(p, (int)(i + k), size);
			escape(p);
		}
		if (!reuse)
			free(p);
	}
	free(kept);
	return 0;
}
