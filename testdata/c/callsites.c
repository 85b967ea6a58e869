/* callsites: two malloc calls in one function, on lines the line-table
 * tests find by their marker comments. The program defines malloc itself
 * (forwarding to glibc's __libc_malloc) to read the return address of
 * each marked call, and prints it as a file offset of its executable, one
 * hexadecimal number a line, from /proc/self/maps: the address a uprobe
 * on malloc reads, without needing uprobes. */
#include <stdio.h>
#include <stdlib.h>

#include "escape.h"

extern void *__libc_malloc(size_t);

#define FIRST 100000
#define SECOND 200000

static void *rets[2];

__attribute__((noinline, noipa)) void *malloc(size_t n) {
	if (n == FIRST)
		rets[0] = __builtin_return_address(0);
	if (n == SECOND)
		rets[1] = __builtin_return_address(0);
	return __libc_malloc(n);
}

/* offset prints addr's file offset in the mapping that holds it. */
static int offset(void *addr) {
	unsigned long a = (unsigned long)addr;
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		return 1;
	char line[4096];
	int found = 0;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi, off;
		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) == 3 && a >= lo && a < hi) {
			printf("%lx\n", a - lo + off);
			found = 1;
		}
	}
	fclose(f);
	return !found;
}

int main(void) {
	char *a = malloc(FIRST); /* line-test: first */
	escape(a);
	char *b = malloc(SECOND); /* line-test: second */
	escape(b);
	int bad = offset(rets[0]) | offset(rets[1]);
	free(a);
	free(b);
	return bad;
}
