/*
 * pc_commit.c: group commit for a plugin's REST API. A change a request
 * makes is only noted (pc_commit_soon); the reply pc_rest_reply makes for
 * it is held, and at the end of the loop turn one save (the plugin's
 * changes into its journal, pc_journal.c, then one write and one fsync)
 * makes every change of the turn durable, then the held replies go out. So a client never hears of a
 * change a kill -9 could still lose, and N requests arriving together cost
 * one fsync, not N. A failed commit answers each held request 500.
 *
 * One REST API per plugin host, one journal per plugin: one state here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"
#include "buf.h"
#include "http.h"
#include "xmem.h"

#define COMMIT_ERR_MAX 512
#define COMMIT_NOW_MS 0                 /* the timer fires once this loop turn's events are done */

struct held {
	struct http_exchange *x;        /* NULL once its peer left */
	int status;
	struct buf body;
	struct held *next;
};

static struct {
	struct framework_driver *d;
	struct pc_journal *j;           /* NULL: replies go out at once */
	pc_commit_fn save;
	void *arg;
	uint64_t timer;                 /* 0 = no flush due */
	struct held *first, **last;
} gc = { NULL, NULL, NULL, NULL, 0, NULL, &gc.first };

static void
gone(struct http_exchange *x, void *arg)
{
	struct held *h = arg;

	(void)x;
	h->x = NULL;
}

/* Commit, then answer every held request. */
static void
flush(void)
{
	char err[COMMIT_ERR_MAX], msg[COMMIT_ERR_MAX + 32];
	int rc = gc.save != NULL ? gc.save(gc.arg, err, sizeof(err)) : 0;
	struct held *h = gc.first, *next;

	if (rc == -1) {
		gc.d->log(gc.d, FRAMEWORK_LOG_ERROR, "cannot save state: %s", err);
		snprintf(msg, sizeof(msg), "cannot save state: %s", err);
	}
	gc.first = NULL;
	gc.last = &gc.first;
	for (; h != NULL; h = next) {
		next = h->next;
		if (h->x != NULL && rc == -1)
			http_reply_error(h->x, 500, msg);
		else if (h->x != NULL)
			http_reply_json(h->x, h->status, &h->body);
		buf_free(&h->body);
		free(h);
	}
}

static void
due(struct framework_driver *d, void *arg)
{
	(void)d;
	(void)arg;
	gc.timer = 0;
	flush();
}

void
pc_commit_with(struct framework_driver *d, struct pc_journal *j, pc_commit_fn save, void *arg)
{
	if (gc.timer != 0) {
		gc.d->timer_cancel(gc.d, gc.timer);
		gc.timer = 0;
		flush();
	}
	gc.d = d;
	gc.j = j;
	gc.save = save;
	gc.arg = arg;
}

void
pc_commit_soon(void)
{
	if (gc.j != NULL && gc.timer == 0)
		gc.timer = gc.d->timer_add(gc.d, COMMIT_NOW_MS, due, NULL);
}

int
pc_commit_hold(struct http_exchange *x, int status, struct buf *b)
{
	struct held *h;

	if (gc.j == NULL || (gc.timer == 0 && !pc_journal_pending(gc.j)))
		return 0;
	h = xcalloc(1, sizeof(*h));
	h->x = x;
	h->status = status;
	h->body = *b;
	memset(b, 0, sizeof(*b));
	*gc.last = h;
	gc.last = &h->next;
	http_defer(x, gone, h);
	pc_commit_soon();
	return 1;
}
