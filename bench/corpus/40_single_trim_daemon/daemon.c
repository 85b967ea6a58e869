/* daemon: a request loop that builds a 6 MiB working set from 4 KiB
 * records, frees it, and calls malloc_trim(0) after every request, as a
 * daemon that trims on a timer does at a shorter period: every trim
 * hands the free pages back and the next request faults them in again.
 *
 * usage: daemon N   N requests */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS 1536
#define RECORD 4000

static void *volatile sink;

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 300;
	static char *rec[RECORDS];
	long sum = 0;
	for (long r = 0; r < n; r++) {
		for (int i = 0; i < RECORDS; i++) {
			rec[i] = malloc(RECORD);
			memset(rec[i], (int)(r + i), RECORD);
			sink = rec[i];
			sum += rec[i][i % RECORD];
		}
		/* A small record that outlives the request keeps the top. */
		char *keep = malloc(64);
		sink = keep;
		for (int i = 0; i < RECORDS; i++)
			free(rec[i]);
		malloc_trim(0);
	}
	printf("%ld\n", sum & 1);
	return 0;
}
