/* spin: mmaps and unmaps a page forever (until killed), so that it is
 * always in the middle of traced work. */
#include <sys/mman.h>

#include "escape.h"

int main(void) {
	for (;;) {
		char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		p[0] = 1;
		escape(p);
		munmap(p, 4096);
	}
}
