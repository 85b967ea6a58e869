/* An image filter that allocates a 64 MiB output plane per frame and writes all
 * of it. glibc serves it with mmap, so every frame faults 16,384 fresh 4 KiB
 * pages (THP is "madvise" on Debian and most distributions). Built with
 * -DADVISE it calls madvise(MADV_HUGEPAGE) on the plane first, as NumPy does for
 * arrays of 4 MiB or more: 32 huge-page faults instead.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PLANE (64u << 20)

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 20;
	unsigned long sum = 0;
	for (int it = 0; it < n; it++) {
		unsigned char *p = malloc(PLANE);
#ifdef ADVISE
		uintptr_t s = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
		madvise((void *)s, (PLANE - (s - (uintptr_t)p)) & ~(size_t)4095, MADV_HUGEPAGE);
#endif
		memset(p, it & 0xff, PLANE);
		sum += p[(size_t)it * 4096 % PLANE];
		free(p);
	}
	printf("%lu\n", sum);
	return 0;
}
