/* churn: a malloc-heavy program, N x (malloc(64) + free) from churn_loop,
 * plus one 1 MiB block, for the native allocation pass's cost.
 *
 * usage: churn N */
#include <stdlib.h>

#include "escape.h"

__attribute__((noinline)) static long churn_loop(long n) {
	long sum = 0;
	for (long i = 0; i < n; i++) {
		char *p = malloc(64);
		escape(p);
		p[0] = (char)i;
		sum += p[0];
		free(p);
	}
	return sum;
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	char *big = malloc(1 << 20);
	escape(big);
	long sum = churn_loop(n);
	free(big);
	return sum == 42;
}
