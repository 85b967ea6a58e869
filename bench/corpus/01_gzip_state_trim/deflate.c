/* A compressor that sets up its working state for every stream, like gzip's
 * deflateInit/deflateEnd: a window, a hash chain, a pending buffer and a
 * literal buffer, each below glibc's 128 KiB mmap threshold, about 330 KiB in
 * all. Freed together, they leave a heap top above the 128 KiB trim threshold.
 *
 *   deflate N          set up and tear down the state for each of N streams
 *   deflate N reuse    set it up once and reset it per stream (deflateReset)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUF 5
static const size_t sizes[NBUF] = {64 << 10, 64 << 10, 64 << 10, 64 << 10, 72 << 10};

/* "compress" one stream: write every byte of the state, as deflate does */
static unsigned long stream(unsigned char **st, int n) {
	unsigned long sum = 0;
	for (int i = 0; i < NBUF; i++) {
		memset(st[i], n & 0xff, sizes[i]);
		sum += st[i][sizes[i] / 2];
	}
	return sum;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	int reuse = argc > 2 && strcmp(argv[2], "reuse") == 0;
	unsigned char *st[NBUF];
	unsigned long sum = 0;
	if (reuse)
		for (int i = 0; i < NBUF; i++) st[i] = malloc(sizes[i]);
	for (int it = 0; it < n; it++) {
		if (!reuse)
			for (int i = 0; i < NBUF; i++) st[i] = malloc(sizes[i]);
		sum += stream(st, it);
		if (!reuse)
			for (int i = 0; i < NBUF; i++) free(st[i]);
	}
	printf("%lu\n", sum);
	return 0;
}
