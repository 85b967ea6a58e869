/* A sparse table (a hash index, a bitmap over a large id space) in a fresh
 * 256 MiB anonymous mapping, of which one small record per 2 MiB is written.
 * Built with -DHUGE it advises the mapping for transparent huge pages
 * (MADV_HUGEPAGE), as many programs do for "large buffers": every touched
 * 2 MiB region then costs a huge-page fault that zeroes 2 MiB, where a 4 KiB
 * page would have been enough.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define MAP (256ul << 20)
#define HUGE2M (2ul << 20)

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 20;
	unsigned long sum = 0;
	for (int it = 0; it < n; it++) {
		/* map 2 MiB more so the table can start on a 2 MiB boundary */
		unsigned char *m = mmap(NULL, MAP + HUGE2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned char *t = (unsigned char *)(((uintptr_t)m + HUGE2M - 1) & ~(HUGE2M - 1));
#ifdef HUGE
		madvise(t, MAP, MADV_HUGEPAGE);
#endif
		for (size_t off = 0; off < MAP; off += HUGE2M) {
			t[off] = (unsigned char)it;
			sum += t[off];
		}
		munmap(m, MAP + HUGE2M);
	}
	printf("%lu\n", sum);
	return 0;
}
