/* Control: a program that emits N small log records (64 bytes) to /dev/null.
 * Both modes format each record into the same 64 KiB static buffer, at the
 * next position (so both touch the same pages), and allocate nothing.
 *
 *   emit N            one write(2) per record (unbuffered)
 *   emit N buffered   one write(2) per full 64 KiB buffer (1,024 records)
 *
 * Same memory, same faults, no memory system calls in the loop; the gap is the
 * cost of a million more write system calls.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC 64
#define BUF (64 << 10)

static char buf[BUF];

/* "ts=<8 hex digits> level=info msg=request served\n", padded to 64 bytes */
static void format(char *p, unsigned v) {
	static const char hex[] = "0123456789abcdef";
	memcpy(p, "ts=", 3);
	for (int i = 0; i < 8; i++) p[3 + i] = hex[(v >> (28 - 4 * i)) & 15];
	memcpy(p + 11, " level=info msg=request served", 30);
	memset(p + 41, ' ', REC - 42);
	p[REC - 1] = '\n';
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	int buffered = argc > 2 && strcmp(argv[2], "buffered") == 0;
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0) { perror("/dev/null"); return 1; }
	size_t pos = 0;
	for (long i = 0; i < n; i++) {
		format(buf + pos, (unsigned)i);
		if (!buffered && write(fd, buf + pos, REC) != REC) return 1;
		pos += REC;
		if (pos == BUF) {
			if (buffered && write(fd, buf, BUF) != BUF) return 1;
			pos = 0;
		}
	}
	if (buffered && pos && write(fd, buf, pos) != (ssize_t)pos) return 1;
	printf("%ld records\n", n);
	return 0;
}
