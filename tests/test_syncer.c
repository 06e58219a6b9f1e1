/*
 * tests/test_syncer.c: the background fsync (syncer.c): an fsync started,
 * its end seen through the descriptor and collected; one at a time; a
 * failing fsync reported with its errno; the quick-or-slow judgement that
 * lets the caller do quick ones itself; freeing while one is under way.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "agent/syncer.h"

#define WAIT_MS 5000
#define ERR_MAX 256
#define SLOW_US 2000          /* a disk's fsync */
#define QUICK_ROUNDS 20

static int
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, WAIT_MS) == 1;
}

int
main(void)
{
	char err[ERR_MAX], path[] = "/tmp/test_syncer.XXXXXX";
	struct syncer *s = syncer_new(err, sizeof(err));
	int fd = mkstemp(path), p[2], errnum = 0;

	CHECK(s != NULL);
	CHECK(fd != -1);
	if (s == NULL || fd == -1)
		return CHECK_DONE();
	unlink(path);
	CHECK(syncer_finish(s, 0, &errnum) == 0);          /* none under way */
	CHECK(write(fd, "a line\n", 7) == 7);
	CHECK(syncer_start(s, fd) == 0);
	CHECK(syncer_start(s, fd) == -1);                  /* one at a time */
	CHECK(readable(syncer_fd(s)));
	CHECK(syncer_finish(s, 0, &errnum) == 1);
	CHECK(syncer_finish(s, 0, &errnum) == 0);          /* collected once */

	/* Waiting for it, without the descriptor. */
	CHECK(syncer_start(s, fd) == 0);
	CHECK(syncer_finish(s, 1, &errnum) == 1);

	/* fsync of a pipe fails (EINVAL): reported, and the syncer goes on. */
	CHECK(pipe(p) == 0);
	CHECK(syncer_start(s, p[1]) == 0);
	CHECK(syncer_finish(s, 1, &errnum) == -1 && errnum == EINVAL);
	CHECK(syncer_start(s, fd) == 0);
	CHECK(syncer_finish(s, 1, &errnum) == 1);

	/* Quick fsyncs are the caller's to do; slow ones send it back to the thread. */
	CHECK(syncer_fsync_here(s, fd) == 0);
	errno = 0;
	CHECK(syncer_fsync_here(s, p[1]) == -1 && errno == EINVAL);
	syncer_note_time(s, SLOW_US);
	syncer_note_time(s, SLOW_US);
	CHECK(!syncer_fast(s));                            /* two slow ones tell */
	for (int i = 0; i < QUICK_ROUNDS && !syncer_fast(s); i++)
		syncer_note_time(s, 0);
	CHECK(syncer_fast(s));                             /* and quick ones win it back */

	/* Freed with one under way: it waits for it. */
	CHECK(syncer_start(s, fd) == 0);
	syncer_free(s);
	close(p[0]);
	close(p[1]);
	close(fd);
	return CHECK_DONE();
}
