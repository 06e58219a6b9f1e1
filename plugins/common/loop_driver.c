/*
 * loop_driver.c: a second backend of lib/loop.h's interface, chosen at
 * link time: its own struct loop, on top of the plugin driver's timers
 * and descriptor watchers. Why it exists: the project's one HTTP server
 * (http.c, conn.c) runs on a struct loop, and a plugin has no loop of its
 * own: it lives inside the host's. Linked instead of lib/loop.c into
 * each plugin with a REST API (with hidden visibility, so these symbols
 * never meet the host's) and into their unit tests and benches, it lets
 * them share that implementation while loop.c stays the only place
 * that calls poll(). It implements what conn.c and http.c call, not signals,
 * loop_run or loop_stop: the host runs the one loop. loop_driver_new()
 * binds a loop to the driver. A loop made by loop_new() has no driver:
 * it refuses watches and its loop_run_once() fails with ENOSYS, so the
 * blocking client (net_connect_blocking) reports an error instead of
 * blocking the host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pc.h"
#include "loop.h"
#include "map.h"
#include "xmem.h"

#define KEY_MAX 32      /* decimal fd or timer id */

struct watch {
	loop_fd_fn fn;
	void *arg;
	int events;
};

struct timer {
	struct loop *loop;
	uint64_t id;
	loop_timer_fn fn;
	void *arg;
};

struct loop {
	struct framework_driver *d;     /* NULL: made by loop_new(), inert */
	struct map watches;             /* fd -> struct watch */
	struct map timers;              /* driver timer id -> struct timer */
};

static void
key_of(char *out, unsigned long long v)
{
	snprintf(out, KEY_MAX, "%llu", v);
}

struct loop *
loop_driver_new(struct framework_driver *d)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->d = d;
	map_init(&l->watches);
	map_init(&l->timers);
	return l;
}

void
loop_driver_free(struct loop *l)
{
	const char *k;
	void *v;

	if (l == NULL)
		return;
	for (size_t i = 0; map_next(&l->watches, &i, &k, &v);) {
		if (l->d != NULL)
			l->d->unwatch(l->d, atoi(k));
		free(v);
	}
	for (size_t i = 0; map_next(&l->timers, &i, &k, &v);) {
		if (l->d != NULL)
			l->d->timer_cancel(l->d, ((struct timer *)v)->id);
		free(v);
	}
	map_free(&l->watches);
	map_free(&l->timers);
	free(l);
}

struct loop *
loop_new(void)
{
	return loop_driver_new(NULL);
}

void
loop_free(struct loop *l)
{
	loop_driver_free(l);
}

static void
on_ready(struct framework_driver *d, int fd, int events, void *arg)
{
	struct loop *l = arg;
	struct watch *w;
	char k[KEY_MAX];
	int ev = 0;

	(void)d;
	key_of(k, (unsigned long long)fd);
	if ((w = map_get(&l->watches, k)) == NULL)
		return;
	ev |= (events & FRAMEWORK_READ) ? LOOP_READ : 0;
	ev |= (events & FRAMEWORK_WRITE) ? LOOP_WRITE : 0;
	ev |= (events & FRAMEWORK_ERROR) ? LOOP_ERROR : 0;
	w->fn(l, fd, ev, w->arg);
}

static int
to_driver(int events)
{
	return ((events & LOOP_READ) ? FRAMEWORK_READ : 0) |
	       ((events & LOOP_WRITE) ? FRAMEWORK_WRITE : 0);
}

int
loop_watch(struct loop *l, int fd, int events, loop_fd_fn fn, void *arg)
{
	struct watch *w;
	char k[KEY_MAX];

	if (l->d == NULL || fd < 0) {
		errno = l->d == NULL ? ENOSYS : EBADF;
		return -1;
	}
	key_of(k, (unsigned long long)fd);
	if ((w = map_get(&l->watches, k)) == NULL) {
		w = xcalloc(1, sizeof(*w));
		map_put(&l->watches, k, w);
	}
	w->fn = fn;
	w->arg = arg;
	w->events = events;
	if (l->d->watch(l->d, fd, to_driver(events), on_ready, l) == -1) {
		free(map_del(&l->watches, k));
		errno = EBADF;
		return -1;
	}
	return 0;
}

void
loop_set_events(struct loop *l, int fd, int events)
{
	struct watch *w;
	char k[KEY_MAX];

	key_of(k, (unsigned long long)fd);
	if (l->d == NULL || (w = map_get(&l->watches, k)) == NULL)
		return;
	w->events = events;
	/* Watching for no events keeps the registration: the driver sees a 0 mask. */
	l->d->watch(l->d, fd, to_driver(events), on_ready, l);
}

void
loop_unwatch(struct loop *l, int fd)
{
	char k[KEY_MAX];

	key_of(k, (unsigned long long)fd);
	if (l->d == NULL)
		return;
	free(map_del(&l->watches, k));
	l->d->unwatch(l->d, fd);
}

static void
on_timer(struct framework_driver *d, void *arg)
{
	struct timer *t = arg;
	struct loop *l = t->loop;
	char k[KEY_MAX];

	(void)d;
	key_of(k, (unsigned long long)t->id);
	map_del(&l->timers, k);
	t->fn(l, t->arg);
	free(t);
}

uint64_t
loop_timer_add(struct loop *l, int64_t after_ms, loop_timer_fn fn, void *arg)
{
	struct timer *t;
	char k[KEY_MAX];

	if (l->d == NULL)
		return 0;
	t = xcalloc(1, sizeof(*t));
	t->loop = l;
	t->fn = fn;
	t->arg = arg;
	t->id = l->d->timer_add(l->d, after_ms < 0 ? 0 : after_ms, on_timer, t);
	if (t->id == 0) {
		free(t);
		return 0;
	}
	key_of(k, (unsigned long long)t->id);
	map_put(&l->timers, k, t);
	return t->id;
}

void
loop_timer_cancel(struct loop *l, uint64_t id)
{
	char k[KEY_MAX];

	if (l->d == NULL || id == 0)
		return;
	key_of(k, (unsigned long long)id);
	free(map_del(&l->timers, k));
	l->d->timer_cancel(l->d, id);
}

int64_t
loop_now(struct loop *l)
{
	return l->d != NULL ? l->d->now_ms(l->d) : 0;
}

int
loop_run_once(struct loop *l, int64_t max_wait_ms)
{
	(void)l;
	(void)max_wait_ms;
	errno = ENOSYS;     /* the host runs the one loop; see the comment at the top */
	return -1;
}
