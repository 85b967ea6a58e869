/* A lookup service whose data file (16 MiB, written once by `scan init`) is
 * consulted by every request: the request maps the file with mmap(fd), reads a
 * record header on every 4 KiB page, and unmaps it. The pages stay in the page
 * cache, but each new mapping has no page-table entries for them, so every
 * request faults them in again (file-backed minor faults, 16 pages per fault
 * with the kernel's fault-around).
 *
 *   scan init          write data.bin (16 MiB) in the current directory
 *   scan N             mmap + scan + munmap the file per request
 *   scan N once        map the file once at start-up and scan it per request
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FILE_SIZE (16u << 20)
#define PAGE 4096u

static unsigned long scan(const unsigned char *p) {
	unsigned long sum = 0;
	for (size_t off = 0; off < FILE_SIZE; off += PAGE) /* one header per page */
		sum += *(const unsigned long *)(p + off) + p[off + 100];
	return sum;
}

static unsigned char *map(int fd) {
	void *p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) { perror("mmap"); exit(1); }
	return p;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "init") == 0) {
		/* written one 4 KiB record at a time, as a log or an index writer does */
		unsigned char rec[PAGE];
		int fd = open("data.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) { perror("data.bin"); return 1; }
		for (size_t off = 0; off < FILE_SIZE; off += PAGE) {
			for (size_t i = 0; i < PAGE; i++) rec[i] = (unsigned char)((off + i) * 2654435761u >> 13);
			if (write(fd, rec, PAGE) != PAGE) { perror("write"); return 1; }
		}
		return close(fd) != 0;
	}
	int n = argc > 1 ? atoi(argv[1]) : 200;
	int once = argc > 2 && strcmp(argv[2], "once") == 0;
	int fd = open("data.bin", O_RDONLY);
	if (fd < 0) { perror("data.bin (run `scan init` first)"); return 1; }
	unsigned char *p = once ? map(fd) : NULL;
	unsigned long sum = 0;
	for (int it = 0; it < n; it++) {
		if (!once) p = map(fd);
		sum += scan(p);
		if (!once) munmap(p, FILE_SIZE);
	}
	printf("%lu\n", sum);
	return 0;
}
