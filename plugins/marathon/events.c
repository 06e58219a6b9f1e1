/*
 * events.c: GET /v2/events, Marathon's event stream (Server-Sent Events):
 * status_update_event, deployment_info, deployment_success and
 * api_post_event, each as "event: TYPE\ndata: JSON\n\n" to every
 * subscriber. A subscriber whose connection cannot take more (a reader
 * too slow for the conn's output cap) is cut: its conn closes and the
 * abort callback drops it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "../../buf.h"
#include "../../http.h"
#include "../../json.h"
#include "../../xmem.h"

#define EVENTS_SUBSCRIBERS_MAX 64     /* open streams; more get 503 */
#define EVENTS_FILTER_MAX      256    /* bytes of ?event_type= */

struct events_sub {
	struct mt_events *ev;
	struct http_exchange *x;
	char filter[EVENTS_FILTER_MAX]; /* the only event type wanted, "" = all */
	struct events_sub *next;
};

struct mt_events {
	struct events_sub *subs;
	size_t n;
};

static struct mt_events *
events_of(struct mt *m)
{
	if (m->events == NULL)
		m->events = xcalloc(1, sizeof(*m->events));
	return m->events;
}

static void
unlink_sub(struct events_sub *s)
{
	for (struct events_sub **pp = &s->ev->subs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			s->ev->n--;
			break;
		}
}

/* The peer left: x is freed right after this returns. */
static void
on_abort(struct http_exchange *x, void *arg)
{
	struct events_sub *s = arg;

	(void)x;
	unlink_sub(s);
	free(s);
}

void
events_subscribe(struct mt *m, struct http_exchange *x)
{
	struct mt_events *ev = events_of(m);
	struct events_sub *s;

	if (ev->n >= EVENTS_SUBSCRIBERS_MAX) {
		http_reply_error(x, 503, "too many event stream subscribers");
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->ev = ev;
	s->x = x;
	http_query_param(x, "event_type", s->filter, sizeof(s->filter));
	s->next = ev->subs;
	ev->subs = s;
	ev->n++;
	http_defer(x, on_abort, s);
	http_stream_begin(x, 200, "text/event-stream");
}

void
events_free(struct mt *m)
{
	struct mt_events *ev = m->events;

	if (ev == NULL)
		return;
	while (ev->subs != NULL) {
		struct events_sub *s = ev->subs;

		ev->subs = s->next;
		http_stream_end(s->x);
		free(s);
	}
	free(ev);
	m->events = NULL;
}

static int
listening(const struct mt *m)
{
	return m->events != NULL && m->events->subs != NULL;
}

/* Start an event's object: eventType and timestamp; the caller adds the rest. */
static void
begin(struct json_w *w, struct buf *b, const char *type)
{
	char now[MT_VERSION_MAX];

	buf_init(b, 0);
	json_w_init(w, b);
	json_obj_begin(w);
	json_kstr(w, "eventType", type);
	app_version_now(now, sizeof(now));
	json_kstr(w, "timestamp", now);
}

/* End the object, send it to every subscriber that wants it, free b. */
static void
post(struct mt *m, struct json_w *w, struct buf *b, const char *type)
{
	struct buf line;

	json_obj_end(w);
	buf_init(&line, 0);
	buf_printf(&line, "event: %s\ndata: ", type);
	buf_append(&line, b->data, b->len);
	buf_puts(&line, "\n\n");
	for (struct events_sub *s = m->events->subs; s != NULL; s = s->next)
		if (s->filter[0] == '\0' || strcmp(s->filter, type) == 0)
			/* -1: the conn is closing; its abort callback will drop s. */
			(void)http_stream_write(s->x, line.data, line.len);
	buf_free(&line);
	buf_free(b);
}

void
events_status(struct mt *m, const struct framework_status *st)
{
	const struct mt_task *t;
	struct json_w w;
	struct buf b;

	if (!listening(m))
		return;
	t = map_get(&m->tasks, st->task_id);
	begin(&w, &b, "status_update_event");
	json_kstr(&w, "slaveId", st->agent_id);
	json_kstr(&w, "taskId", st->task_id);
	json_kstr(&w, "taskStatus", st->state);
	json_kstr(&w, "message", st->message);
	json_kstr(&w, "appId", t != NULL && t->app != NULL ? t->app->id : "");
	json_kstr(&w, "host", t != NULL ? t->host : "");
	json_key(&w, "ports");
	json_arr_begin(&w);
	for (size_t i = 0; t != NULL && i < t->nports; i++)
		json_int(&w, t->ports[i]);
	json_arr_end(&w);
	json_kstr(&w, "version", t != NULL ? t->version : "");
	post(m, &w, &b, "status_update_event");
}

/* deployment_info (a started) or deployment_success (a's deployment done). */
void
events_deployment(struct mt *m, const struct mt_app *a, const char *type)
{
	struct json_w w;
	struct buf b;

	if (!listening(m) || a->dep == NULL)
		return;
	begin(&w, &b, type);
	if (strcmp(type, "deployment_success") == 0)
		json_kstr(&w, "id", a->dep->id);
	json_key(&w, "plan");
	json_obj_begin(&w);
	json_kstr(&w, "id", a->dep->id);
	json_kstr(&w, "version", a->dep->version);
	json_key(&w, "steps");
	json_arr_begin(&w);
	json_obj_begin(&w);
	json_key(&w, "actions");
	json_arr_begin(&w);
	json_obj_begin(&w);
	json_kstr(&w, "action", a->dep->action);
	json_kstr(&w, "app", a->id);
	json_obj_end(&w);
	json_arr_end(&w);
	json_obj_end(&w);
	json_arr_end(&w);
	json_obj_end(&w);
	if (strcmp(type, "deployment_info") == 0) {
		json_key(&w, "currentStep");
		json_obj_begin(&w);
		json_key(&w, "actions");
		json_arr_begin(&w);
		json_obj_begin(&w);
		json_kstr(&w, "action", a->dep->action);
		json_kstr(&w, "app", a->id);
		json_obj_end(&w);
		json_arr_end(&w);
		json_obj_end(&w);
	}
	post(m, &w, &b, type);
}

void
events_api_post(struct mt *m, struct http_exchange *x, const struct mt_app *a)
{
	struct json_w w;
	struct buf b;

	if (!listening(m))
		return;
	begin(&w, &b, "api_post_event");
	json_kstr(&w, "clientIp", http_peer(x));
	json_kstr(&w, "uri", http_path(x));
	json_key(&w, "appDefinition");
	json_obj_begin(&w);
	app_write_fields(&w, a);
	json_obj_end(&w);
	post(m, &w, &b, "api_post_event");
}
