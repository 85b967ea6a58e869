/* work: a batch job that builds a 4 MiB table of 64 KiB blocks for each
 * item it processes, the shape of many parsers and encoders. The project
 * tuned glibc to keep freed memory in its heap (M_TRIM_THRESHOLD), so the
 * pages are faulted in once.
 *
 * Built with -DTRIM it calls malloc_trim(0) after every item, as a change
 * meant to lower its resident memory would: the heap goes back to the
 * kernel and every item faults its 4 MiB in again. That is the regression
 * the CI recipe in docs/ci.md catches, by the counts.
 *
 *   cc -O2 -o work work.c            # as on main
 *   cc -O2 -DTRIM -o work work.c     # the change under review
 *   ./work 50                        # 50 items
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCKS = 64, BLOCK = 64 << 10 };

int main(int argc, char **argv)
{
	int items = argc > 1 ? atoi(argv[1]) : 50;
	unsigned long sum = 0;
	char *b[BLOCKS];

	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	for (int i = 0; i < items; i++) {
		for (int k = 0; k < BLOCKS; k++) {
			b[k] = malloc(BLOCK);
			if (b[k] == NULL) {
				perror("malloc");
				return 1;
			}
			memset(b[k], i + k, BLOCK);
		}
		for (int k = 0; k < BLOCKS; k++) {
			sum += (unsigned char)b[k][k * 7];
			free(b[k]);
		}
#ifdef TRIM
		malloc_trim(0);
#endif
	}
	printf("%lu\n", sum);
	return 0;
}
