/* mmapstress: a system-call storm for measuring tracer overhead.
 * MAPS x (mmap 4 KiB + touch + munmap), then CALLS x getppid, which a
 * seccomp-filtered tracer never sees and an every-syscall tracer does.
 * usage: mmapstress [MAPS [CALLS]]   (default 20000 300000) */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "escape.h"

int main(int argc, char **argv) {
	long maps = argc > 1 ? atol(argv[1]) : 20000;
	long calls = argc > 2 ? atol(argv[2]) : 300000;
	for (long i = 0; i < maps; i++) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		p[0] = 1;
		escape(p);
		munmap(p, 4096);
	}
	for (long i = 0; i < calls; i++)
		syscall(SYS_getppid); /* the raw call: no libc caching */
	return 0;
}
