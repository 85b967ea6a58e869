/* A batch job that allocates four 1 MiB work areas per batch and frees them,
 * run with tcmalloc preloaded and TCMALLOC_AGGRESSIVE_DECOMMIT=1 in the
 * environment. Blocks above tcmalloc's 256 KiB small-object limit are spans of
 * the page heap; with aggressive decommit every freed span is returned to the
 * kernel at once (madvise) and faults in again on the next batch.
 *
 *   spans N         malloc + fill + free the work areas per batch
 *   spans N keep    allocate them once and refill them per batch
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AREA (1u << 20)
#define NAREA 4

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 200;
	int keep = argc > 2 && strcmp(argv[2], "keep") == 0;
	unsigned char *a[NAREA];
	unsigned long sum = 0;
	if (keep)
		for (int i = 0; i < NAREA; i++) a[i] = malloc(AREA);
	for (int it = 0; it < n; it++) {
		for (int i = 0; i < NAREA; i++) {
			if (!keep) a[i] = malloc(AREA);
			memset(a[i], (it + i) & 0xff, AREA);
			sum += a[i][it % AREA];
		}
		if (!keep)
			for (int i = 0; i < NAREA; i++) free(a[i]);
	}
	printf("%lu\n", sum);
	return 0;
}
