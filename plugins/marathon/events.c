/*
 * events.c: GET /v2/events, Marathon's event stream (Server-Sent Events):
 * event_stream_attached (to the new subscriber), status_update_event,
 * deployment_info, deployment_success, deployment_failed, api_post_event,
 * health_status_changed_event and unhealthy_instance_kill_event, each as
 * "event: TYPE\ndata: JSON\n\n" to every subscriber; the stream itself is
 * plugins/common/pc_sse.c.
 */
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "http.h"
#include "json.h"

void
events_subscribe(struct mt *m, struct http_exchange *x)
{
	char now[MT_VERSION_MAX];

	if (m->events == NULL)
		m->events = pc_sse_new();
	app_version_now(now, sizeof(now));
	pc_sse_subscribe(m->events, x, now);
}

void
events_free(struct mt *m)
{
	pc_sse_free(m->events);
	m->events = NULL;
}

/* Start an event's object: eventType and timestamp; the caller adds the rest. */
static void
begin(struct json_w *w, struct buf *b, const char *type)
{
	char now[MT_VERSION_MAX];

	app_version_now(now, sizeof(now));
	pc_sse_begin(w, b, type, now);
}

void
events_status(struct mt *m, const struct framework_status *st)
{
	const struct mt_task *t;
	struct json_w w;
	struct buf b;

	if (!pc_sse_listening(m->events))
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
	pc_sse_post(m->events, &w, &b, "status_update_event");
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
	pc_sse_post(m->events, &w, &b, type);
}

void
events_deployment(struct mt *m, const struct mt_app *a, const char *type)
{
	if (!pc_sse_listening(m->events) || a->dep == NULL)
		return;
	deployment_event(m, type, a->id, a->dep->id, a->dep->version, a->dep->action);
}

void
events_deployment_at_once(struct mt *m, const char *app_id, const char *dep_id,
                          const char *version, const char *action)
{
	if (!pc_sse_listening(m->events))
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

	if (!pc_sse_listening(m->events))
		return;
	begin(&w, &b, "health_status_changed_event");
	task_fields(&w, t);
	json_kbool(&w, "alive", t->healthy == 1);
	pc_sse_post(m->events, &w, &b, "health_status_changed_event");
}

void
events_unhealthy_kill(struct mt *m, const struct mt_task *t)
{
	struct json_w w;
	struct buf b;

	if (!pc_sse_listening(m->events))
		return;
	begin(&w, &b, "unhealthy_instance_kill_event");
	task_fields(&w, t);
	json_kstr(&w, "reason", t->cause[0] ? t->cause : "FailedHealthChecks");
	json_kstr(&w, "host", t->host);
	json_kstr(&w, "slaveId", t->agent_id);
	pc_sse_post(m->events, &w, &b, "unhealthy_instance_kill_event");
}

void
events_api_post(struct mt *m, struct http_exchange *x, const struct mt_app *a)
{
	struct json_w w;
	struct buf b;

	if (!pc_sse_listening(m->events))
		return;
	begin(&w, &b, "api_post_event");
	json_kstr(&w, "clientIp", http_peer(x));
	json_kstr(&w, "uri", http_path(x));
	json_key(&w, "appDefinition");
	json_obj_begin(&w);
	app_write_fields(&w, a);
	json_obj_end(&w);
	pc_sse_post(m->events, &w, &b, "api_post_event");
}
