/*
 * tests/test_resolve.c: lib/resolve.c, the lookups off the loop: answers
 * come back through the fd, a name that does not resolve says why, the
 * queue is bounded, and freeing with lookups queued loses no memory.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compat.h"
#include "loop.h"
#include "resolve.h"

#define WAIT_MS 10000
#define QUEUE_MAX 64        /* RESOLVER_QUEUE_MAX */

struct got {
	int answers, failed;
	char addr[64];
};

static void
on_answer(const char *host, const char *addr, const char *why, void *arg)
{
	struct got *g = arg;

	g->answers++;
	if (addr == NULL) {
		g->failed++;
		CHECK(why != NULL && strstr(why, host) != NULL);
	} else {
		snprintf(g->addr, sizeof(g->addr), "%s", addr);
	}
}

static struct resolver *R;
static struct got G;

static void
on_readable(struct loop *loop, int fd, int events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	(void)arg;
	resolver_collect(R, on_answer, &G);
}

/* Run a loop watching the resolver until n answers came, or the deadline. */
static void
wait_answers(struct resolver *r, int n)
{
	int64_t end = compat_monotonic_ms() + WAIT_MS;
	struct loop *loop = loop_new();

	loop_watch(loop, resolver_fd(r), LOOP_READ, on_readable, NULL);
	while (G.answers < n && compat_monotonic_ms() < end)
		loop_run_once(loop, 100);
	loop_unwatch(loop, resolver_fd(r));
	loop_free(loop);
}

int
main(void)
{
	char err[256];
	struct resolver *r = resolver_new(err, sizeof(err));

	CHECK(r != NULL);
	if (r == NULL)
		return CHECK_DONE();
	R = r;
	memset(&G, 0, sizeof(G));
	CHECK(resolver_ask(r, "127.0.0.1") == 0);
	wait_answers(r, 1);
	CHECK(G.answers == 1 && G.failed == 0);
	CHECK_STR(G.addr, "127.0.0.1");

	memset(&G, 0, sizeof(G));
	CHECK(resolver_ask(r, "localhost") == 0);
	wait_answers(r, 1);
	CHECK(G.answers == 1 && G.failed == 0);
	CHECK(strcmp(G.addr, "127.0.0.1") == 0 || strcmp(G.addr, "::1") == 0);

	memset(&G, 0, sizeof(G));
	CHECK(resolver_ask(r, "no-such-host.invalid") == 0);
	wait_answers(r, 1);
	CHECK(G.answers == 1 && G.failed == 1);

	/* Bounded: at most QUEUE_MAX lookups asked and not collected. */
	int asked = 0;
	for (int i = 0; i < QUEUE_MAX + 8; i++)
		asked += resolver_ask(r, "127.0.0.1") == 0;
	CHECK(asked <= QUEUE_MAX && asked > 0);
	resolver_free(r);
	return CHECK_DONE();
}
