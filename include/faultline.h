/*
 * faultline.h: mark benchmark iterations for faultline (single header).
 *
 * When a program runs under `faultline run`, the environment variable
 * FAULTLINE_FD names a descriptor that faultline reads. faultline_begin(name)
 * and faultline_end(name) write one protocol line each to it, with a single
 * write(2):
 *
 *     begin cand=NAME iter=N
 *     end cand=NAME iter=N ns=T minflt=F majflt=M
 *
 * N counts the iterations of NAME from 0; T is the iteration's time from a
 * monotonic clock, F and M the process's page faults during it (getrusage).
 * faultline's tracer stops the program on exactly these writes, so every
 * brk, mmap, munmap, mremap and madvise in between is attributed to that
 * iteration (docs/protocol.md). Without FAULTLINE_FD both calls do nothing
 * but one getenv on first use, so the marks can stay in the program.
 *
 * Usage:
 *
 *     #include "faultline.h"
 *     for (int i = 0; i < n; i++) {
 *         faultline_begin("A");
 *         work();
 *         faultline_end("A");
 *     }
 *
 * Names are at most 63 bytes; bytes outside printable ASCII (and spaces)
 * become '_'. Up to FAULTLINE_MAX_NAMES distinct names are tracked. The
 * state is per translation unit and not thread-safe: call both from one
 * thread, in one source file.
 */
#ifndef FAULTLINE_H
#define FAULTLINE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef FAULTLINE_MAX_NAMES
#define FAULTLINE_MAX_NAMES 32
#endif

struct faultline_slot {
	char name[64];
	long iter;
	int open;
	struct timespec t0;
	long minflt0, majflt0;
};

static struct {
	int ready; /* FAULTLINE_FD has been looked up */
	int fd;    /* -1: not marking */
	struct faultline_slot slots[FAULTLINE_MAX_NAMES];
} faultline_state;

/* faultline_fd returns the marker descriptor, or -1 when not marking. */
static inline int faultline_fd(void) {
	if (!faultline_state.ready) {
		const char *s = getenv("FAULTLINE_FD");
		char *end = NULL;
		long fd = s && *s ? strtol(s, &end, 10) : -1;
		if (!end || *end != '\0' || fd < 0 || fd > 1 << 20 || fcntl((int)fd, F_GETFD) == -1)
			fd = -1;
		faultline_state.fd = (int)fd;
		faultline_state.ready = 1;
	}
	return faultline_state.fd;
}

/* faultline_enabled reports whether marks are written. */
static inline int faultline_enabled(void) { return faultline_fd() >= 0; }

static inline struct faultline_slot *faultline_slot_for(const char *name) {
	char clean[64];
	size_t n = 0;
	for (; name && name[n] && n < sizeof clean - 1; n++) {
		unsigned char c = (unsigned char)name[n];
		clean[n] = (c < 0x21 || c > 0x7e) ? '_' : (char)c;
	}
	if (n == 0)
		clean[n++] = '_';
	clean[n] = '\0';
	struct faultline_slot *free_slot = NULL;
	for (int i = 0; i < FAULTLINE_MAX_NAMES; i++) {
		struct faultline_slot *s = &faultline_state.slots[i];
		if (s->name[0] == '\0') {
			if (!free_slot)
				free_slot = s;
		} else if (strcmp(s->name, clean) == 0) {
			return s;
		}
	}
	if (free_slot)
		memcpy(free_slot->name, clean, n + 1);
	return free_slot;
}

static inline void faultline_write(const char *buf, size_t size, int len) {
	if (len <= 0 || (size_t)len >= size)
		return; /* cannot happen with the bounded fields below */
	/* One write per record: the tracer recognises markers by their write. */
	while (write(faultline_state.fd, buf, (size_t)len) < 0 && errno == EINTR) {
	}
}

/* faultline_begin marks the start of the next iteration of name. */
static inline void faultline_begin(const char *name) {
	if (faultline_fd() < 0)
		return;
	struct faultline_slot *s = faultline_slot_for(name);
	if (!s)
		return;
	char line[128];
	faultline_write(line, sizeof line, snprintf(line, sizeof line, "begin cand=%s iter=%ld\n", s->name, s->iter));
	/* Measure after the write: the marker's own cost stays outside. */
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	s->minflt0 = ru.ru_minflt;
	s->majflt0 = ru.ru_majflt;
	s->open = 1;
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
}

/* faultline_end marks the end of the iteration of name begun last. */
static inline void faultline_end(const char *name) {
	if (faultline_fd() < 0)
		return;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	struct faultline_slot *s = faultline_slot_for(name);
	if (!s || !s->open)
		return;
	long long ns = (long long)(t1.tv_sec - s->t0.tv_sec) * 1000000000LL + (t1.tv_nsec - s->t0.tv_nsec);
	char line[192];
	faultline_write(line, sizeof line,
	                snprintf(line, sizeof line, "end cand=%s iter=%ld ns=%lld minflt=%ld majflt=%ld\n", s->name, s->iter,
	                         ns, ru.ru_minflt - s->minflt0, ru.ru_majflt - s->majflt0));
	s->open = 0;
	s->iter++;
}

#endif /* FAULTLINE_H */
