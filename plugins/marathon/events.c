/*
 * events.c: GET /v2/events, Marathon's event stream (Server-Sent Events):
 * event_stream_attached (to the new subscriber), status_update_event,
 * deployment_info, deployment_success, deployment_failed, api_post_event,
 * health_status_changed_event and unhealthy_instance_kill_event, each as
 * "event: TYPE\ndata: JSON\n\n" to every subscriber. A subscriber whose
 * connection cannot take more (a reader too slow for the conn's output
 * cap) is cut: its conn closes and the abort callback drops it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "http.h"
#include "json.h"
#include "xmem.h"

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

/* Marathon's first frame, to the new subscriber alone. */
static void
attached(struct events_sub *s)
{
	char now[MT_VERSION_MAX];
	struct json_w w;
	struct buf b, line;

	if (s->filter[0] != '\0' && strcmp(s->filter, "event_stream_attached") != 0)
		return;
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "remoteAddress", http_peer(s->x));
	json_kstr(&w, "eventType", "event_stream_attached");
	app_version_now(now, sizeof(now));
	json_kstr(&w, "timestamp", now);
	json_obj_end(&w);
	buf_init(&line, 0);
	buf_printf(&line, "event: event_stream_attached\ndata: ");
	buf_append(&line, b.data, b.len);
	buf_puts(&line, "\n\n");
	(void)http_stream_write(s->x, line.data, line.len);
	buf_free(&line);
	buf_free(&b);
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
	attached(s);
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

static void
write_actions(struct json_w *w, const char *app_id, const char *action)
{
	json_key(w, "actions");
	json_arr_begin(w);
	json_obj_begin(w);
	json_kstr(w, "action", action);
	json_kstr(w, "app", app_id);
	json_obj_end(w);
	json_arr_end(w);
}

/* One deployment event: deployment_info, deployment_success or deployment_failed. */
static void
deployment_event(struct mt *m, const char *type, const char *app_id, const char *dep_id,
                 const char *version, const char *action)
{
	struct json_w w;
	struct buf b;

	begin(&w, &b, type);
	if (strcmp(type, "deployment_info") != 0)
		json_kstr(&w, "id", dep_id);
	json_key(&w, "plan");
	json_obj_begin(&w);
	json_kstr(&w, "id", dep_id);
	json_kstr(&w, "version", version);
	json_key(&w, "steps");
	json_arr_begin(&w);
	json_obj_begin(&w);
	write_actions(&w, app_id, action);
	json_obj_end(&w);
	json_arr_end(&w);
	json_obj_end(&w);
	if (strcmp(type, "deployment_info") == 0) {
		json_key(&w, "currentStep");
		json_obj_begin(&w);
		write_actions(&w, app_id, action);
		json_obj_end(&w);
	}
	post(m, &w, &b, type);
}

void
events_deployment(struct mt *m, const struct mt_app *a, const char *type)
{
	if (!listening(m) || a->dep == NULL)
		return;
	deployment_event(m, type, a->id, a->dep->id, a->dep->version, a->dep->action);
}

void
events_deployment_at_once(struct mt *m, const char *app_id, const char *dep_id,
                          const char *version, const char *action)
{
	if (!listening(m))
		return;
	deployment_event(m, "deployment_info", app_id, dep_id, version, action);
	deployment_event(m, "deployment_success", app_id, dep_id, version, action);
}

/* The fields Marathon's health events share. */
static void
task_fields(struct json_w *w, const struct mt_task *t)
{
	const char *end = strstr(t->id, "._app");

	json_kstr(w, "appId", t->app != NULL ? t->app->id : "");
	json_key(w, "instanceId");
	json_strn(w, t->id, end != NULL ? (size_t)(end - t->id) : strlen(t->id));
	json_kstr(w, "taskId", t->id);
	json_kstr(w, "version", t->version);
}

void
events_health(struct mt *m, const struct mt_task *t)
{
	struct json_w w;
	struct buf b;

	if (!listening(m))
		return;
	begin(&w, &b, "health_status_changed_event");
	task_fields(&w, t);
	json_kbool(&w, "alive", t->healthy == 1);
	post(m, &w, &b, "health_status_changed_event");
}

void
events_unhealthy_kill(struct mt *m, const struct mt_task *t)
{
	struct json_w w;
	struct buf b;

	if (!listening(m))
		return;
	begin(&w, &b, "unhealthy_instance_kill_event");
	task_fields(&w, t);
	json_kstr(&w, "reason", t->cause[0] ? t->cause : "FailedHealthChecks");
	json_kstr(&w, "host", t->host);
	json_kstr(&w, "slaveId", t->agent_id);
	post(m, &w, &b, "unhealthy_instance_kill_event");
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
