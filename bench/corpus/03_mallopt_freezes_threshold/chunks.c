/* A test harness that processes 1 MiB chunks one at a time. Built with
 * -DSET_TRIM it calls mallopt(M_TRIM_THRESHOLD, 64 MiB) at start-up "to keep
 * freed memory", as the report's child processes did. Setting any of
 * M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD or M_MMAP_MAX turns off glibc's
 * dynamic mmap threshold, which stays at 128 KiB: every 1 MiB chunk is then
 * mmapped and munmapped. Without the call glibc raises the threshold to 1 MiB
 * after the first free and serves the chunks from the heap.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (1u << 20)

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 500;
#ifdef SET_TRIM
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	unsigned long sum = 0;
	for (int it = 0; it < n; it++) {
		unsigned char *c = malloc(CHUNK);
		memset(c, it & 0xff, CHUNK);
		sum += c[(it * 4096) % CHUNK];
		free(c);
	}
	printf("%lu\n", sum);
	return 0;
}
