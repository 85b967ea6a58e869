/* A long-running service with a large in-memory table (256 MiB, written at
 * start-up) that runs a small helper program for every request and then
 * updates its table (one counter per 4 KiB record).
 *
 *   spawner N          fork() + execve("/bin/true") per request: fork copies
 *                      the page tables and write-protects every page of the
 *                      table, so the parent's next write to each page is a
 *                      copy-on-write fault (65,536 per request)
 *   spawner N spawn    posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)): the
 *                      child borrows the address space, nothing is protected
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TABLE (256ul << 20)
#define PAGE 4096ul

extern char **environ;

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 20;
	int use_spawn = argc > 2 && strcmp(argv[2], "spawn") == 0;
	char *const child[] = {"/bin/true", NULL};
	unsigned char *t = malloc(TABLE);
	memset(t, 1, TABLE);
	unsigned long sum = 0;
	for (int it = 0; it < n; it++) {
		pid_t pid;
		if (use_spawn) {
			if (posix_spawn(&pid, child[0], NULL, NULL, child, environ) != 0) { perror("posix_spawn"); return 1; }
		} else {
			pid = fork();
			if (pid < 0) { perror("fork"); return 1; }
			if (pid == 0) {
				execve(child[0], child, environ);
				_exit(127);
			}
		}
		int st;
		waitpid(pid, &st, 0);
		/* the request's effect on the table: one counter per record */
		for (size_t off = 0; off < TABLE; off += PAGE) t[off + (it & 63)]++;
		sum += t[(it * PAGE) % TABLE];
	}
	printf("%lu\n", sum);
	return 0;
}
