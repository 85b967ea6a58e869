/* forker: forks children that mmap, so a tracer must follow fork, vfork
 * and exec to see every call.
 *
 *   forker           3 forked children; the first forks a grandchild, the
 *                    second execs "forker child"; then one vfork+exec of
 *                    "forker child". The parent waits for all of them.
 *   forker child     8 x mmap(64 KiB) + touch + munmap, then exit. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape.h"

static void churn(int n) {
	for (int i = 0; i < n; i++) {
		char *p = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		memset(p, i, 64 * 1024);
		escape(p);
		munmap(p, 64 * 1024);
	}
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		churn(8);
		return 0;
	}
	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			churn(4);
			if (i == 0) {
				pid_t g = fork();
				if (g == 0) {
					churn(2);
					_exit(0);
				}
				waitpid(g, NULL, 0);
			}
			if (i == 1) {
				execl("/proc/self/exe", argv[0], "child", (char *)NULL);
				_exit(4);
			}
			_exit(0);
		}
	}
	pid_t v = vfork();
	if (v == 0) {
		execl("/proc/self/exe", argv[0], "child", (char *)NULL);
		_exit(4);
	}
	int status, bad = 0;
	while (wait(&status) > 0)
		bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	churn(1);
	return bad;
}
