/* touch: maps N pages (default 20000, or argv[1]) and writes one byte to
 * each, so the process takes about N minor page faults, then exits. With
 * argv[2] it also forks a child that touches the same number of pages, for
 * checking that counters follow children. */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape.h"

static void touch(long n) {
	char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		exit(1);
	/* No huge pages: one fault per 4 KiB page, so counts are exact. */
	madvise(p, (size_t)n * 4096, MADV_NOHUGEPAGE);
	for (long i = 0; i < n; i++)
		p[i * 4096] = 1;
	escape(p);
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 20000;
	if (argc > 2) {
		pid_t pid = fork();
		if (pid == 0) {
			touch(n);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	touch(n);
	return 0;
}
