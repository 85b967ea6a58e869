/* A language runtime whose default allocator maps every heap value with its own
 * mmap and unmaps it on free. Each value here is a small list (16 KiB reserved,
 * 128 bytes written): one mmap, one munmap and one page fault per value. The
 * time goes to the memory system calls themselves.
 *
 *   objs N          mmap + munmap per value
 *   objs N malloc   malloc + free per value (recycled by glibc, no syscalls)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define RESERVE (16u << 10)

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 100000;
	int use_malloc = argc > 2 && strcmp(argv[2], "malloc") == 0;
	unsigned long sum = 0;
	for (int it = 0; it < n; it++) {
		unsigned char *v;
		if (use_malloc)
			v = malloc(RESERVE);
		else
			v = mmap(NULL, RESERVE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(v, it & 0xff, 128);
		sum += v[it % 128];
		if (use_malloc)
			free(v);
		else
			munmap(v, RESERVE);
	}
	printf("%lu\n", sum);
	return 0;
}
