/* A growable buffer (a vector, a string builder) filled to 32 MiB by doubling,
 * once per record batch.
 *
 *   grow N copy      grow by malloc(new) + memcpy + free(old): above the mmap
 *                    threshold every step maps fresh pages and faults them
 *   grow N realloc   grow with realloc: glibc moves an mmapped block with
 *                    mremap, without copying or faulting the old pages again
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FINAL (32u << 20)

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 20;
	int use_realloc = argc > 2 && strcmp(argv[2], "realloc") == 0;
	unsigned long sum = 0;
	for (int it = 0; it < n; it++) {
		size_t cap = 4096, len = 0;
		unsigned char *b = malloc(cap);
		while (len < FINAL) {
			if (len == cap) {
				size_t ncap = cap * 2;
				if (use_realloc) {
					b = realloc(b, ncap);
				} else {
					unsigned char *nb = malloc(ncap);
					memcpy(nb, b, len);
					free(b);
					b = nb;
				}
				cap = ncap;
			}
			/* append one 4 KiB record */
			memset(b + len, (int)(len >> 12) & 0xff, 4096);
			len += 4096;
		}
		sum += b[len / 3];
		free(b);
	}
	printf("%lu\n", sum);
	return 0;
}
