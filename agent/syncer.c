/*
 * syncer.c: the background fsync (syncer.h): its thread, the hand-over of
 * one descriptor under a mutex, and the pipe that tells the loop it is
 * done. The loop leaves the descriptor open until then. Also the average
 * time of an fsync, which tells the loop whether to do its own.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "syncer.h"
#include "xmem.h"

#define DRAIN_CHUNK 64
/*
 * An fsync that takes less than this is done in the loop. Handing one to
 * the thread and hearing back costs about 50 us of CPU on this project's
 * VM; a disk's fsync takes 100 us and more, and the loop must not wait that.
 */
#define FAST_FSYNC_US 50
/* The average follows each new time by this fraction: a slow disk shows in two or three. */
#define AVERAGE_WEIGHT 4

struct syncer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;           /* to the thread: a job, or quit */
	pthread_cond_t done_cond;      /* to a waiting syncer_finish */
	int notify[2];                 /* the thread writes a byte here when a job ends */
	int fd;
	int busy;                      /* a job is handed over and not yet collected */
	int ended;                     /* the thread is done with it */
	int errnum;                    /* its result: 0, or errno */
	int64_t took_us;               /* how long it took */
	int64_t average_us;            /* of recent fsyncs, the thread's and the caller's */
	int quit;
};


static void *
syncer_main(void *arg)
{
	struct syncer *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		int rc, e;
		int64_t start, took;
		ssize_t wrote;

		while (!s->quit && !(s->busy && !s->ended))
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->quit)
			break;
		pthread_mutex_unlock(&s->lock);
		start = compat_monotonic_us();
		rc = compat_fdatasync(s->fd);
		e = errno;
		took = compat_monotonic_us() - start;
		pthread_mutex_lock(&s->lock);
		s->errnum = rc == 0 ? 0 : e;
		s->took_us = took;
		s->ended = 1;
		pthread_cond_broadcast(&s->done_cond);
		/*
		 * The byte goes out with the lock released: the loop wakes to it and
		 * takes the lock at once, and must not find it held (a futex wait and
		 * wake each side). A full pipe already says so: the loop collects by
		 * looking at ended, and a late byte finds nothing ended, which is fine.
		 */
		pthread_mutex_unlock(&s->lock);
		wrote = write(s->notify[1], "x", 1);
		(void)wrote;
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Everything but the thread, which is gone or never was. */
static void
release(struct syncer *s)
{
	close(s->notify[0]);
	close(s->notify[1]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->done_cond);
	free(s);
}

struct syncer *
syncer_new(char *err, size_t errlen)
{
	struct syncer *s = xcalloc(1, sizeof(*s));
	sigset_t all, saved;
	int rc;

	if (compat_pipe(s->notify) == -1) {
		snprintf(err, errlen, "cannot make the syncer's pipe: %s", strerror(errno));
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->done_cond, NULL);
	/* Signals are the loop's business: the thread starts with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	rc = pthread_create(&s->thread, NULL, syncer_main, s);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the syncer thread: %s", strerror(rc));
		release(s);
		return NULL;
	}
	return s;
}

int
syncer_fd(const struct syncer *s)
{
	return s->notify[0];
}

int
syncer_start(struct syncer *s, int fd)
{
	if (s->busy)
		return -1;
	pthread_mutex_lock(&s->lock);
	s->fd = fd;
	s->busy = 1;
	s->ended = 0;
	s->errnum = 0;
	pthread_mutex_unlock(&s->lock);
	/* Signalled unlocked: the thread wakes to a free lock, not into a wait for ours. */
	pthread_cond_signal(&s->wake);
	return 0;
}

int
syncer_finish(struct syncer *s, int wait, int *errnum)
{
	char drain[DRAIN_CHUNK];

	/* A pipe's read takes all there is up to the size: a short one leaves it empty. */
	while (read(s->notify[0], drain, sizeof(drain)) == (ssize_t)sizeof(drain))
		continue;
	if (!s->busy)
		return 0;
	pthread_mutex_lock(&s->lock);
	while (wait && !s->ended)
		pthread_cond_wait(&s->done_cond, &s->lock);
	if (!s->ended) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	*errnum = s->errnum;
	s->busy = 0;
	syncer_note_time(s, s->took_us);
	pthread_mutex_unlock(&s->lock);
	return *errnum == 0 ? 1 : -1;
}

/* The loop's thread only: the thread's times arrive through syncer_finish. */
void
syncer_note_time(struct syncer *s, int64_t us)
{
	s->average_us += (us - s->average_us) / AVERAGE_WEIGHT;
}

int
syncer_fast(const struct syncer *s)
{
	return s->average_us < FAST_FSYNC_US;
}

int
syncer_fsync_here(struct syncer *s, int fd)
{
	int64_t start = compat_monotonic_us();
	int rc = compat_fdatasync(fd);
	int e = errno;

	syncer_note_time(s, compat_monotonic_us() - start);
	errno = e;
	return rc;
}

void
syncer_free(struct syncer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	while (s->busy && !s->ended)
		pthread_cond_wait(&s->done_cond, &s->lock);
	s->quit = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	release(s);
}
