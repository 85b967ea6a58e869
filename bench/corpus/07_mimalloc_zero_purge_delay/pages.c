/* A request handler that allocates sixteen 256 KiB buffers per request and
 * frees them, run with mimalloc preloaded and its purge delay set to 0
 * (MIMALLOC_PURGE_DELAY=0, MIMALLOC_DECOMMIT_DELAY=0 in 2.0), as users set it
 * to keep RSS low. mimalloc then returns each freed page to the kernel at once
 * and the next request faults it in again.
 *
 *   pages N         malloc + fill + free per request
 *   pages N keep    allocate the buffers once and refill them per request
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF (256u << 10)
#define NBUF 16

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 300;
	int keep = argc > 2 && strcmp(argv[2], "keep") == 0;
	unsigned char *b[NBUF];
	unsigned long sum = 0;
	if (keep)
		for (int i = 0; i < NBUF; i++) b[i] = malloc(BUF);
	for (int it = 0; it < n; it++) {
		for (int i = 0; i < NBUF; i++) {
			if (!keep) b[i] = malloc(BUF);
			memset(b[i], (it + i) & 0xff, BUF);
			sum += b[i][it % BUF];
		}
		if (!keep)
			for (int i = 0; i < NBUF; i++) free(b[i]);
	}
	printf("%lu\n", sum);
	return 0;
}
