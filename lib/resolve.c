/*
 * resolve.c: owns the lookup thread, its queue of host names and its
 * answers, and the pipe that wakes the owner's loop when answers wait.
 * The queue is bounded: a caller asking faster than DNS answers is told
 * to try again later instead of growing our memory.
 */
#include "resolve.h"
#include "compat.h"
#include "net.h"
#include "xmem.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESOLVER_QUEUE_MAX 64     /* lookups waiting, and answers not collected, at most */
#define RESOLVER_ADDR_MAX 64      /* a numeric IPv6 address and then some */
#define RESOLVER_WHY_MAX 128

struct resolver_job {
	char *host;
	char addr[RESOLVER_ADDR_MAX];   /* "" = failed */
	char why[RESOLVER_WHY_MAX];
};

struct resolver {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct resolver_job asked[RESOLVER_QUEUE_MAX];  /* a ring: head, count */
	size_t asked_head, asked_count;
	struct resolver_job done[RESOLVER_QUEUE_MAX];
	size_t done_count;
	size_t busy;                  /* a lookup under way: counts against the bound */
	int stop;
	int pipe_rd, pipe_wr;
};

static void
lookup(struct resolver_job *j)
{
	if (net_resolve(j->host, j->addr, sizeof(j->addr), j->why, sizeof(j->why)) == -1)
		j->addr[0] = '\0';
}

static void *
run(void *arg)
{
	struct resolver *r = arg;
	const char one = 1;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->stop && r->asked_count == 0)
			pthread_cond_wait(&r->wake, &r->lock);
		if (r->stop)
			break;
		struct resolver_job j = r->asked[r->asked_head];
		r->asked_head = (r->asked_head + 1) % RESOLVER_QUEUE_MAX;
		r->asked_count--;
		r->busy = 1;
		pthread_mutex_unlock(&r->lock);
		lookup(&j);
		pthread_mutex_lock(&r->lock);
		r->busy = 0;
		r->done[r->done_count++] = j;
		/* A full pipe already says answers wait: a lost byte loses nothing. */
		(void)compat_write_all(r->pipe_wr, &one, 1);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct resolver *
resolver_new(char *err, size_t errlen)
{
	struct resolver *r = xcalloc(1, sizeof(*r));
	int fds[2];

	if (compat_pipe(fds) == -1) {
		snprintf(err, errlen, "resolver: pipe: %s", strerror(errno));
		free(r);
		return NULL;
	}
	r->pipe_rd = fds[0];
	r->pipe_wr = fds[1];
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if ((errno = pthread_create(&r->thread, NULL, run, r)) != 0) {
		snprintf(err, errlen, "resolver: cannot start its thread: %s", strerror(errno));
		close(r->pipe_rd);
		close(r->pipe_wr);
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		free(r);
		return NULL;
	}
	return r;
}

int
resolver_fd(const struct resolver *r)
{
	return r->pipe_rd;
}

int
resolver_ask(struct resolver *r, const char *host)
{
	int rc = -1;

	pthread_mutex_lock(&r->lock);
	/* Every job asked may end up in done: both rings stay within the bound. */
	if (r->asked_count + r->done_count + r->busy < RESOLVER_QUEUE_MAX) {
		size_t at = (r->asked_head + r->asked_count) % RESOLVER_QUEUE_MAX;
		memset(&r->asked[at], 0, sizeof(r->asked[at]));
		r->asked[at].host = xstrdup(host);
		r->asked_count++;
		pthread_cond_signal(&r->wake);
		rc = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void
resolver_collect(struct resolver *r, resolver_fn fn, void *arg)
{
	struct resolver_job done[RESOLVER_QUEUE_MAX];
	char drain[RESOLVER_QUEUE_MAX];
	size_t n;

	while (read(r->pipe_rd, drain, sizeof(drain)) > 0)
		continue;
	pthread_mutex_lock(&r->lock);
	n = r->done_count;
	memcpy(done, r->done, n * sizeof(done[0]));
	r->done_count = 0;
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		fn(done[i].host, done[i].addr[0] ? done[i].addr : NULL, done[i].why, arg);
		free(done[i].host);
	}
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	for (size_t i = 0; i < r->asked_count; i++)
		free(r->asked[(r->asked_head + i) % RESOLVER_QUEUE_MAX].host);
	for (size_t i = 0; i < r->done_count; i++)
		free(r->done[i].host);
	close(r->pipe_rd);
	close(r->pipe_wr);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r);
}
