/* sizes: allocates SIZE bytes (argv[1], default 1 MiB), writes every byte
 * and frees the block, ITERATIONS times (argv[2], default 100). Where the
 * allocator keeps a freed block for the next malloc, only the first
 * iteration faults; where it gives the block back to the kernel (glibc
 * past its mmap threshold's 32 MiB cap, jemalloc past oversize_threshold,
 * mimalloc past its large-object limit), every iteration faults it in
 * again. The sweep test looks for each allocator's cliff in SIZE. */
#include <stdlib.h>
#include <string.h>

#include "escape.h"

int main(int argc, char **argv) {
	size_t size = argc > 1 ? strtoull(argv[1], NULL, 10) : 1 << 20;
	long iterations = argc > 2 ? atol(argv[2]) : 100;
	for (long i = 0; i < iterations; i++) {
		char *p = malloc(size);
		if (p == NULL)
			return 1;
		memset(p, (int)i, size);
		escape(p);
		free(p);
	}
	return 0;
}
