/*
 * view.c: how the REST API shows apps and tasks, as Marathon 1.10 does:
 * an app with its counts and deployments and what `embed` asks for
 * (tasks, lastTaskFailure, taskStats; both spellings, app.X and apps.X,
 * repeated parameters), a task, the app's last task failure (kept here
 * from queue.c's status updates), and the text/plain task lists
 * (Marathon's EndpointsHelper: one line per app and service port,
 * "id<TAB>servicePort<TAB>host:port<TAB>..." that old haproxy bridges
 * read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "compat.h"
#include "http.h"
#include "json.h"
#include "xmem.h"

struct mt_failure {
	char task_id[MT_TASK_ID_MAX];
	char host[MT_HOST_MAX];
	char agent_id[MT_TASK_ID_MAX];
	char state[MT_NAME_MAX];
	char *message;
	char timestamp[MT_VERSION_MAX];
	char version[MT_VERSION_MAX];
};

static void
write_ports(struct json_w *w, const char *key, const int *p, size_t n)
{
	json_key(w, key);
	json_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		json_int(w, p[i]);
	json_arr_end(w);
}

void
view_task(struct json_w *w, const struct mt_task *t)
{
	char ts[MT_VERSION_MAX];
	int sp[MT_PORTS_MAX];
	size_t nsp = 0;

	json_obj_begin(w);
	json_kstr(w, "id", t->id);
	json_kstr(w, "appId", t->app != NULL ? t->app->id : "");
	json_kstr(w, "host", t->host);
	write_ports(w, "ports", t->ports, t->nports);
	if (t->app != NULL)
		for (; nsp < t->app->nports; nsp++)
			sp[nsp] = t->app->ports[nsp].port;
	write_ports(w, "servicePorts", sp, nsp);
	json_kstr(w, "slaveId", t->agent_id);
	app_version_at(t->staged_at, ts, sizeof(ts));
	json_kstr(w, "stagedAt", ts);
	json_key(w, "startedAt");
	if (t->started_at > 0) {
		app_version_at(t->started_at, ts, sizeof(ts));
		json_str(w, ts);
	} else {
		json_null(w);
	}
	json_kstr(w, "version", t->version);
	json_kstr(w, "state", t->state);
	health_write(w, t);
	json_obj_end(w);
}

/* Marathon's healthy counts only tasks that passed a health check: none without checks. */
static int
task_healthy(const struct mt_app *a, const struct mt_task *t)
{
	return a->nhealth > 0 && t->healthy == 1 && strcmp(t->state, "TASK_RUNNING") == 0;
}

static int
task_unhealthy(const struct mt_app *a, const struct mt_task *t)
{
	return a->nhealth > 0 && t->healthy == 0 && strcmp(t->state, "TASK_RUNNING") == 0;
}

static int
task_staged(const struct mt_task *t)
{
	return strcmp(t->state, "TASK_STAGING") == 0 || strcmp(t->state, "TASK_STARTING") == 0;
}

/* Which tasks one taskStats entry counts. */
enum stats_kind { STATS_AFTER_SCALING, STATS_LATEST, STATS_OUTDATED, STATS_TOTAL };

static int
stats_counts(const struct mt_app *a, const struct mt_task *t, enum stats_kind k)
{
	char staged[MT_VERSION_MAX];

	switch (k) {
	case STATS_AFTER_SCALING:
		/* Versions and times share one ISO-8601 form: they compare as strings. */
		app_version_at(t->staged_at, staged, sizeof(staged));
		return strcmp(staged, a->last_scaling) >= 0;
	case STATS_LATEST:
		return !t->outdated;
	case STATS_OUTDATED:
		return t->outdated;
	case STATS_TOTAL:
		return 1;
	}
	return 0;
}

static int
cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

/* One taskStats entry ({"stats":{"counts":..,"lifeTime":..}}), nothing when it counts no task. */
static void
stats_write(struct json_w *w, const struct mt_app *a, enum stats_kind k, const char *key)
{
	long long staged = 0, running = 0, healthy = 0, unhealthy = 0, n = 0;
	double now = compat_wall_time(), *life, sum = 0;
	size_t nlife = 0, ntasks = 0;

	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next)
		ntasks++;
	life = xcalloc(ntasks + 1, sizeof(*life));
	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next) {
		if (!stats_counts(a, t, k))
			continue;
		n++;
		staged += task_staged(t);
		running += strcmp(t->state, "TASK_RUNNING") == 0;
		healthy += task_healthy(a, t);
		unhealthy += task_unhealthy(a, t);
		if (t->started_at > 0) {
			life[nlife] = now - t->started_at;
			sum += life[nlife++];
		}
	}
	if (n > 0) {
		json_key(w, key);
		json_obj_begin(w);
		json_key(w, "stats");
		json_obj_begin(w);
		json_key(w, "counts");
		json_obj_begin(w);
		json_kint(w, "staged", staged);
		json_kint(w, "running", running);
		json_kint(w, "healthy", healthy);
		json_kint(w, "unhealthy", unhealthy);
		json_obj_end(w);
		if (nlife > 0) {
			qsort(life, nlife, sizeof(*life), cmp_double);
			json_key(w, "lifeTime");
			json_obj_begin(w);
			json_kdouble(w, "averageSeconds", sum / (double)nlife);
			json_kdouble(w, "medianSeconds", nlife % 2 ? life[nlife / 2] :
			             (life[nlife / 2 - 1] + life[nlife / 2]) / 2);
			json_obj_end(w);
		}
		json_obj_end(w);
		json_obj_end(w);
	}
	free(life);
}

static void
failure_write(struct json_w *w, const struct mt_app *a)
{
	const struct mt_failure *f = a->last_failure;

	if (f == NULL)
		return;
	json_key(w, "lastTaskFailure");
	json_obj_begin(w);
	json_kstr(w, "appId", a->id);
	json_kstr(w, "host", f->host);
	json_kstr(w, "message", f->message);
	json_kstr(w, "state", f->state);
	json_kstr(w, "taskId", f->task_id);
	json_kstr(w, "timestamp", f->timestamp);
	json_kstr(w, "version", f->version);
	json_kstr(w, "slaveId", f->agent_id);
	json_obj_end(w);
}

int
view_embed(struct http_exchange *x, int single)
{
	static const struct {
		const char *name;
		int flags;
	} embeds[] = {
		{ "tasks", VIEW_TASKS }, { "lastTaskFailure", VIEW_FAILURE },
		{ "taskStats", VIEW_STATS }, { "failures", VIEW_TASKS | VIEW_FAILURE },
		{ "readiness", VIEW_READINESS },
	};
	int flags = single ? VIEW_TASKS | VIEW_FAILURE : 0;
	char name[MT_NAME_MAX];

	for (size_t i = 0; i < sizeof(embeds) / sizeof(embeds[0]); i++) {
		/* Marathon takes either spelling on either route (InfoEmbedResolver). */
		snprintf(name, sizeof(name), "app.%s", embeds[i].name);
		if (http_query_has(x, "embed", name))
			flags |= embeds[i].flags;
		snprintf(name, sizeof(name), "apps.%s", embeds[i].name);
		if (http_query_has(x, "embed", name))
			flags |= embeds[i].flags;
	}
	return flags;
}

void
view_app(struct json_w *w, const struct mt_app *a, int flags)
{
	long long staged = 0, running = 0, healthy = 0, unhealthy = 0;

	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next) {
		running += strcmp(t->state, "TASK_RUNNING") == 0;
		healthy += task_healthy(a, t);
		unhealthy += task_unhealthy(a, t);
		staged += task_staged(t);
	}
	json_obj_begin(w);
	app_write_fields(w, a);
	json_kint(w, "tasksStaged", staged);
	json_kint(w, "tasksRunning", running);
	json_kint(w, "tasksHealthy", healthy);
	json_kint(w, "tasksUnhealthy", unhealthy);
	json_key(w, "deployments");
	json_arr_begin(w);
	if (a->dep != NULL) {
		json_obj_begin(w);
		json_kstr(w, "id", a->dep->id);
		json_obj_end(w);
	}
	json_arr_end(w);
	if (flags & VIEW_TASKS) {
		json_key(w, "tasks");
		json_arr_begin(w);
		for (const struct mt_task *t = a->tasks; t != NULL; t = t->next)
			view_task(w, t);
		json_arr_end(w);
	}
	if (flags & VIEW_FAILURE)
		failure_write(w, a);
	if (flags & VIEW_READINESS)
		readiness_write_results(w, a);
	if (flags & VIEW_STATS) {
		json_key(w, "taskStats");
		json_obj_begin(w);
		stats_write(w, a, STATS_AFTER_SCALING, "startedAfterLastScaling");
		stats_write(w, a, STATS_LATEST, "withLatestConfig");
		stats_write(w, a, STATS_OUTDATED, "withOutdatedConfig");
		stats_write(w, a, STATS_TOTAL, "totalSummary");
		json_obj_end(w);
	}
	json_obj_end(w);
}

void
view_failure_record(struct mt_app *a, const struct mt_task *t, const struct framework_status *st)
{
	struct mt_failure *f = a->last_failure;

	if (f == NULL)
		f = a->last_failure = xcalloc(1, sizeof(*f));
	free(f->message);
	snprintf(f->task_id, sizeof(f->task_id), "%s", t->id);
	snprintf(f->host, sizeof(f->host), "%s", t->host);
	snprintf(f->agent_id, sizeof(f->agent_id), "%s", t->agent_id);
	snprintf(f->state, sizeof(f->state), "%s", st->state);
	snprintf(f->version, sizeof(f->version), "%s", t->version);
	f->message = xstrdup(st->message);
	app_version_at(st->timestamp > 0 ? st->timestamp : compat_wall_time(), f->timestamp,
	               sizeof(f->timestamp));
}

void
view_failure_free(struct mt_app *a)
{
	if (a->last_failure != NULL)
		free(a->last_failure->message);
	free(a->last_failure);
	a->last_failure = NULL;
}

int
view_wants_text(struct http_exchange *x)
{
	const char *accept = http_header(x, "Accept");

	return accept != NULL && strstr(accept, "text/plain") != NULL &&
	       strstr(accept, "application/json") == NULL;
}

/* One app's lines of the text/plain task list. */
static void
text_app(struct buf *b, const struct mt_app *a)
{
	char safe[MT_ID_MAX + 1];

	app_task_prefix(a->id, safe, sizeof(safe));
	if (a->nports == 0) {
		buf_printf(b, "%s\t \t", safe);
		for (const struct mt_task *t = a->tasks; t != NULL; t = t->next)
			if (strcmp(t->state, "TASK_RUNNING") == 0)
				buf_printf(b, "%s ", t->host);
		buf_puts(b, "\n");
		return;
	}
	for (size_t i = 0; i < a->nports; i++) {
		buf_printf(b, "%s\t%d\t", safe, a->ports[i].port);
		for (const struct mt_task *t = a->tasks; t != NULL; t = t->next)
			if (strcmp(t->state, "TASK_RUNNING") == 0 && i < t->nports)
				buf_printf(b, "%s:%d\t", t->host, t->ports[i]);
		buf_puts(b, "\n");
	}
}

void
view_tasks_text(struct http_exchange *x, struct mt *m, const struct mt_app *only)
{
	struct buf b;
	const char *k;
	void *v;

	buf_init(&b, 0);
	if (only != NULL)
		text_app(&b, only);
	for (size_t i = 0; only == NULL && map_next(&m->apps, &i, &k, &v);)
		text_app(&b, v);
	http_reply(x, 200, "text/plain", b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
}
