/* arith: a pure arithmetic loop with no allocation after start-up, for
 * 0.1 s or so: memory management costs it nothing.
 *
 * usage: arith [N]   N million steps (default 60) */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
	long n = (argc > 1 ? atol(argv[1]) : 60) * 1000000L;
	unsigned long x = 88172645463325252UL;
	for (long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	printf("%lu\n", x & 1);
	return 0;
}
