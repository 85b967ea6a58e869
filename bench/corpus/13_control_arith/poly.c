/* Control: two builds of a numeric kernel over the same 256 KiB buffer,
 * allocated once at start-up. -DPASSES=3 evaluates the polynomial three times
 * per element, the default once. Same allocations, faults and memory system
 * calls; the gap is arithmetic only.
 */
#include <stdio.h>
#include <stdlib.h>

#ifndef PASSES
#define PASSES 1
#endif
#define LEN (32 * 1024)

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	double *x = malloc(LEN * sizeof *x), acc = 0;
	for (int i = 0; i < LEN; i++) x[i] = i * 1e-5;
	for (int it = 0; it < n; it++) {
		for (int i = 0; i < LEN; i++) {
			double v = x[i];
			for (int p = 0; p < PASSES; p++)
				v = ((0.5 * v + 0.25) * v + 0.125) * v + 0.0625;
			acc += v;
		}
	}
	printf("%g\n", acc);
	free(x);
	return 0;
}
