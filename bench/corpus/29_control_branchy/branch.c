/* Control: the sorted-vs-unsorted loop. 32,768 random bytes in an int array
 * (128 KiB, on the stack of main, no heap), summed N times where the element
 * is >= 128. `branch N` sums them in random order: the branch is taken half
 * the time at random and mispredicted about every other element. `branch N
 * sorted` sorts the array first (a counting sort in place, once, no
 * allocation; qsort would malloc a 128 KiB buffer): the branch becomes
 * predictable. Same memory, same faults; the gap is branch misprediction.
 * Built with -fno-tree-vectorize -fno-if-conversion -fno-if-conversion2 so
 * that gcc 12 keeps the branch (at -O2 it vectorizes the loop or turns the
 * branch into a conditional move, which removes the effect, as the answers to
 * the question note for newer compilers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEN 32768

static void sort_bytes(int *d) {
	int count[256] = {0}, k = 0;
	for (int i = 0; i < LEN; i++) count[d[i]]++;
	for (int v = 0; v < 256; v++)
		while (count[v]--) d[k++] = v;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	int sorted = argc > 2 && strcmp(argv[2], "sorted") == 0;
	int data[LEN];
	srand(1);
	for (int i = 0; i < LEN; i++) data[i] = rand() % 256;
	if (sorted) sort_bytes(data);
	long long sum = 0;
	for (int it = 0; it < n; it++)
		for (int i = 0; i < LEN; i++)
			if (data[i] >= 128) sum += data[i];
	printf("%lld\n", sum);
	return 0;
}
