/*
 * pc_sse.c: an event stream as Marathon's /v2/events serves it
 * (Server-Sent Events): each subscriber's GET becomes a stream, opened
 * with an event_stream_attached frame to it alone; every event then goes
 * to every subscriber that wants its type (?event_type=T: only T) as
 * "event: TYPE\ndata: JSON\n\n". A subscriber whose connection cannot
 * take more (a reader too slow for the conn's output cap) is cut: its
 * conn closes and the abort callback drops it. The plugins say what their
 * events hold; this file only carries them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"
#include "buf.h"
#include "http.h"
#include "json.h"
#include "xmem.h"

#define SSE_SUBSCRIBERS_MAX 64     /* open streams; more get 503 */
#define SSE_FILTER_MAX      256    /* bytes of ?event_type= */

struct sse_sub {
	struct pc_sse *hub;
	struct http_exchange *x;
	char filter[SSE_FILTER_MAX];   /* the only event type wanted, "" = all */
	struct sse_sub *next;
};

struct pc_sse {
	struct sse_sub *subs;
	size_t n;
};

struct pc_sse *
pc_sse_new(void)
{
	return xcalloc(1, sizeof(struct pc_sse));
}

static void
unlink_sub(struct sse_sub *s)
{
	for (struct sse_sub **pp = &s->hub->subs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			s->hub->n--;
			break;
		}
}

/* The peer left: x is freed right after this returns. */
static void
on_abort(struct http_exchange *x, void *arg)
{
	struct sse_sub *s = arg;

	(void)x;
	unlink_sub(s);
	free(s);
}

static int
wants(const struct sse_sub *s, const char *type)
{
	return s->filter[0] == '\0' || strcmp(s->filter, type) == 0;
}

/* "event: TYPE\ndata: JSON\n\n" into line (buf_init'ed here). */
static void
frame(struct buf *line, const char *type, const struct buf *json)
{
	buf_init(line, 0);
	buf_printf(line, "event: %s\ndata: ", type);
	buf_append(line, json->data, json->len);
	buf_puts(line, "\n\n");
}

void
pc_sse_subscribe(struct pc_sse *hub, struct http_exchange *x, const char *timestamp)
{
	struct sse_sub *s;
	struct json_w w;
	struct buf b, line;

	if (hub->n >= SSE_SUBSCRIBERS_MAX) {
		http_reply_error(x, 503, "too many event stream subscribers");
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->hub = hub;
	s->x = x;
	http_query_param(x, "event_type", s->filter, sizeof(s->filter));
	s->next = hub->subs;
	hub->subs = s;
	hub->n++;
	http_defer(x, on_abort, s);
	http_stream_begin(x, 200, "text/event-stream");
	if (!wants(s, "event_stream_attached"))
		return;
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "remoteAddress", http_peer(x));
	json_kstr(&w, "eventType", "event_stream_attached");
	json_kstr(&w, "timestamp", timestamp);
	json_obj_end(&w);
	frame(&line, "event_stream_attached", &b);
	(void)http_stream_write(x, line.data, line.len);
	buf_free(&line);
	buf_free(&b);
}

void
pc_sse_free(struct pc_sse *hub)
{
	if (hub == NULL)
		return;
	while (hub->subs != NULL) {
		struct sse_sub *s = hub->subs;

		hub->subs = s->next;
		http_stream_end(s->x);
		free(s);
	}
	free(hub);
}

int
pc_sse_listening(const struct pc_sse *hub)
{
	return hub != NULL && hub->subs != NULL;
}

void
pc_sse_begin(struct json_w *w, struct buf *b, const char *type, const char *timestamp)
{
	buf_init(b, 0);
	json_w_init(w, b);
	json_obj_begin(w);
	json_kstr(w, "eventType", type);
	json_kstr(w, "timestamp", timestamp);
}

void
pc_sse_post(struct pc_sse *hub, struct json_w *w, struct buf *b, const char *type)
{
	struct buf line;

	json_obj_end(w);
	frame(&line, type, b);
	for (struct sse_sub *s = hub->subs; s != NULL; s = s->next)
		if (wants(s, type))
			/* -1: the conn is closing; its abort callback will drop s. */
			(void)http_stream_write(s->x, line.data, line.len);
	buf_free(&line);
	buf_free(b);
}
