/* Control: one 2048 x 2048 matrix of doubles (32 MiB, row-major), allocated
 * and filled once at start-up, summed N times. The default build walks it
 * row by row (consecutive addresses); -DCOLUMNS walks it column by column
 * (a 16 KiB stride: a new cache line, and often a new TLB entry, per
 * element). Same allocation, same faults, same memory system calls; the gap is
 * cache and TLB misses.
 */
#include <stdio.h>
#include <stdlib.h>

#define DIM 2048

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 10;
	double *m = malloc((size_t)DIM * DIM * sizeof *m), acc = 0;
	for (size_t i = 0; i < (size_t)DIM * DIM; i++) m[i] = (double)(i % 1000) * 1e-3;
	for (int it = 0; it < n; it++) {
#ifdef COLUMNS
		for (size_t c = 0; c < DIM; c++)
			for (size_t r = 0; r < DIM; r++) acc += m[r * DIM + c];
#else
		for (size_t r = 0; r < DIM; r++)
			for (size_t c = 0; c < DIM; c++) acc += m[r * DIM + c];
#endif
	}
	printf("%g\n", acc);
	free(m);
	return 0;
}
