/* A file-system daemon that calls malloc_trim(0) after every operation to keep
 * its resident size down. Each operation parses a reply into about 2 MB of small
 * objects and frees them, keeping one in fifty in a session cache until the
 * next operation (so the heap top stays pinned and free() alone trims nothing).
 * malloc_trim(0) walks the whole heap and returns every free page inside it
 * with madvise(MADV_DONTNEED); the next operation faults them all in again.
 *
 *   server N          malloc_trim(0) after every operation
 *   server N notrim   the same without the call
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOBJ 2000
#define KEEP 50

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 200;
	int trim = !(argc > 2 && strcmp(argv[2], "notrim") == 0);
	static unsigned char *obj[NOBJ], *cache[NOBJ / KEEP];
	unsigned long sum = 0, seed = 1;
	for (int it = 0; it < n; it++) {
		for (int i = 0; i < NOBJ; i++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			size_t sz = 64 + (seed >> 33) % 1985; /* 64..2048 bytes */
			obj[i] = malloc(sz);
			memset(obj[i], i & 0xff, sz);
		}
		for (int i = 0; i < NOBJ; i++) {
			sum += obj[i][0];
			if (i % KEEP == 0) {
				free(cache[i / KEEP]);
				cache[i / KEEP] = obj[i];
			} else {
				free(obj[i]);
			}
		}
		if (trim) malloc_trim(0);
	}
	printf("%lu\n", sum);
	return 0;
}
