/* Mappings of every class the trace tells apart, for the recorders' tests:
 *
 *   mappings FILE N
 *
 * writes FILE (1,234,567 bytes), then N times maps it, reads every page and
 * unmaps it; reserves 64 MiB with PROT_NONE, commits 1 MiB of it with
 * mprotect and writes it, decommits it and unmaps the reservation; maps and
 * writes 8 MiB of fresh memory, then creates one process with fork() and
 * one with vfork(), each exiting at once.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILE_BYTES 1234567
#define RESERVE (64u << 20)
#define COMMIT (1u << 20)

int main(int argc, char **argv) {
	if (argc < 3)
		return 2;
	int n = atoi(argv[2]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, FILE_BYTES) != 0)
		return 1;
	unsigned long sum = 0;
	for (int i = 0; i < n; i++) {
		unsigned char *p = mmap(NULL, FILE_BYTES, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			return 1;
		for (size_t off = 0; off < FILE_BYTES; off += 4096)
			sum += p[off];
		munmap(p, FILE_BYTES);
	}
	close(fd);
	unsigned char *r = mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED || mprotect(r, COMMIT, PROT_READ | PROT_WRITE) != 0)
		return 1;
	memset(r, 1, COMMIT);
	mprotect(r, COMMIT, PROT_NONE);
	munmap(r, RESERVE);
	unsigned char *heap = mmap(NULL, 8u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (heap == MAP_FAILED)
		return 1;
	memset(heap, 2, 8u << 20);
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	waitpid(c, NULL, 0);
	c = vfork();
	if (c == 0)
		_exit(0);
	waitpid(c, NULL, 0);
	printf("%lu\n", sum);
	return 0;
}
