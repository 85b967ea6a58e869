/* daemon: double-forks a setsid daemon that sleeps (writing its pid to
 * argv[1] first), then sleeps itself, so that a test can cancel the run and
 * check that the daemon, which left the target's process group and
 * session, died too. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 2)
		return 2;
	pid_t p = fork();
	if (p == 0) {
		setsid();
		if (fork() == 0) {
			FILE *f = fopen(argv[1], "w");
			if (!f)
				_exit(1);
			fprintf(f, "%d\n", getpid());
			fclose(f);
			for (;;)
				pause();
		}
		_exit(0); /* the daemon is now an orphan */
	}
	waitpid(p, NULL, 0);
	for (;;)
		pause();
}
