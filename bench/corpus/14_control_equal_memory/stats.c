/* Control with memory activity on both sides: each iteration allocates a 2 MiB
 * sample buffer, fills it, computes statistics over it and frees it. Both
 * builds allocate, touch and free exactly the same; -DROUNDS=4 runs the
 * statistics four times per buffer, the default once. glibc raises its mmap
 * threshold to 2 MiB after the first free, so both reuse the heap from then on.
 */
#include <stdio.h>
#include <stdlib.h>

#ifndef ROUNDS
#define ROUNDS 1
#endif
#define LEN (256 * 1024) /* doubles: 2 MiB */

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 300;
	double acc = 0;
	for (int it = 0; it < n; it++) {
		double *s = malloc(LEN * sizeof *s);
		for (int i = 0; i < LEN; i++) s[i] = (i ^ it) * 1e-3;
		for (int r = 0; r < ROUNDS; r++) {
			double m = 0, q = 0;
			for (int i = 0; i < LEN; i++) { m += s[i]; q += s[i] * s[i] * (r + 1); }
			acc += q / LEN - (m / LEN) * (m / LEN);
		}
		free(s);
	}
	printf("%g\n", acc);
	return 0;
}
