/*
 * rest.c: Marathon's REST API (/v2/apps with versions, /v2/tasks,
 * /v2/info, /v2/leader, /ping, /metrics) with its JSON shapes and error
 * bodies (Marathon's documentation, "REST API"), /v2/queue and
 * /v2/deployments.
 * Every change is answered only after the store has it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "http.h"
#include "id.h"
#include "json.h"
#include "xmem.h"

#define PARAM_MAX 256
#define UUID_HEX 32
#define MARATHON_VERSION "1.10.26-c"     /* the API level copied, and that this is a re-implementation */

static void
not_found_app(struct http_exchange *x, const char *id)
{
	char msg[MT_ID_MAX + 64];

	snprintf(msg, sizeof(msg), "App '%s' does not exist", id);
	http_reply_error(x, 404, msg);
}

void
rest_deployment_reply(struct http_exchange *x, int status, const char *dep_id, const char *version)
{
	struct json_w w;
	struct buf b;

	http_add_header(x, "Marathon-Deployment-Id", dep_id);
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "deploymentId", dep_id);
	json_kstr(&w, "version", version);
	json_obj_end(&w);
	pc_rest_reply(x, status, &b);
}

/* 1 (and a 409 sent) when a deployment holds a and the request does not force it. */
int
rest_locked(struct http_exchange *x, const struct mt_app *a)
{
	char msg[MT_ERR_MAX];
	struct json_w w;
	struct buf b;

	if (a == NULL || a->dep == NULL || pc_rest_flag(x, "force"))
		return 0;
	snprintf(msg, sizeof(msg), "App is locked by one or more deployments. Override with the "
	         "option '?force=true'. View details at '/v2/deployments/%s'.", a->dep->id);
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "message", msg);
	json_key(&w, "deployments");
	json_arr_begin(&w);
	json_obj_begin(&w);
	json_kstr(&w, "id", a->dep->id);
	json_obj_end(&w);
	json_arr_end(&w);
	json_obj_end(&w);
	pc_rest_reply(x, 409, &b);
	return 1;
}

void
rest_save(struct mt *m)
{
	/* A group's change saves once, after all its apps (each save looks at every app). */
	if (m->saves_deferred)
		return;
	store_stage(m);
}

/* Validate j as an app; on error reply 400/422 and return NULL. */
struct mt_app *
rest_app_or_reply(struct http_exchange *x, const struct json *j)
{
	struct json_w w;
	struct buf b;
	struct mt_app *a;
	int status = 422;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	if ((a = app_from_json(j, 0, &w, &status)) != NULL) {
		buf_free(&b);
		return a;
	}
	pc_rest_reply(x, status, &b);
	return NULL;
}

/*
 * Install a (new, or replacing old) as the app's definition, as a
 * deployment; the old one's tasks move over, outdated by a config change
 * (or a restart) so they roll. The deployment's id goes to dep_id (it may
 * be over before this returns: a scale to what already runs).
 */
void
rest_install(struct mt *m, struct mt_app *a, struct mt_app *old, int restart, const char *why,
             char *dep_id)
{
	char now[MT_VERSION_MAX];
	int config = old == NULL || restart || app_config_differs(old, a);
	struct mt_deployment *dep;

	app_version_now(now, sizeof(now));
	snprintf(a->version, sizeof(a->version), "%s", now);
	snprintf(a->last_scaling, sizeof(a->last_scaling), "%s", now);
	snprintf(a->last_config_change, sizeof(a->last_config_change), "%s",
	         config ? now : old->last_config_change);
	app_assign_service_ports(m, a, old);
	if (old != NULL) {
		deployments_fail(m, old, why);
		versions_take(a, old);
	}
	versions_add(a);
	dep = deployments_start(m, a, old != NULL && config ? "RestartApplication" :
	                        "ScaleApplication", old != NULL ? app_json_text(old) : NULL);
	if (old != NULL) {
		a->tasks = old->tasks;
		old->tasks = NULL;
		for (struct mt_task *t = a->tasks; t != NULL; t = t->next) {
			t->app = a;
			t->outdated |= config;
		}
		if (!config) {
			a->delay_s = old->delay_s;
			a->delay_ref_ms = old->delay_ref_ms;
			a->next_launch_ms = old->next_launch_ms;
		}
		a->since = old->since;
		a->stats = old->stats;
		a->last_failure = old->last_failure;
		old->last_failure = NULL;
		queue_reset_delay(m, old);
		map_del(&m->apps, old->id);
		app_free(old);
	}
	map_put(&m->apps, a->id, a);
	snprintf(dep_id, MT_UUID_MAX, "%s", dep->id);
	m->d->log(m->d, FRAMEWORK_LOG_INFO, "deployment %s: %s %s", dep->id, dep->action, a->id);
	rest_save(m);
	queue_converge(m, a);    /* may end the deployment, and free dep */
	rest_save(m);
}

static void
apps_list(struct http_exchange *x, struct mt *m)
{
	char idf[PARAM_MAX], cmdf[PARAM_MAX];
	int embed = view_embed(x, 0);
	int has_id = http_query_param(x, "id", idf, sizeof(idf));
	int has_cmd = http_query_param(x, "cmd", cmdf, sizeof(cmdf));
	struct json_w w;
	struct buf b;
	const char *k;
	void *v;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_key(&w, "apps");
	json_arr_begin(&w);
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		const struct mt_app *a = v;

		if ((has_id && strstr(a->id, idf) == NULL) ||
		    (has_cmd && (a->cmd == NULL || strstr(a->cmd, cmdf) == NULL)))
			continue;
		view_app(&w, a, embed);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	pc_rest_reply(x, 200, &b);
}

static void
apps_create(struct http_exchange *x, struct mt *m)
{
	struct json *j = pc_rest_body(x);
	struct mt_app *a;
	struct json_w w;
	struct buf b;
	char msg[MT_ID_MAX + 64];

	if (j == NULL)
		return;
	a = rest_app_or_reply(x, j);
	json_free(j);
	if (a == NULL)
		return;
	if (map_get(&m->apps, a->id) != NULL) {
		snprintf(msg, sizeof(msg), "An app with id [%s] already exists.", a->id);
		app_free(a);
		http_reply_error(x, 409, msg);
		return;
	}
	{
		char dep[MT_UUID_MAX];

		rest_install(m, a, NULL, 0, NULL, dep);
		events_api_post(m, x, a);
		http_add_header(x, "Marathon-Deployment-Id", dep);
	}
	http_add_header(x, "Location", a->id);
	buf_init(&b, 0);
	json_w_init(&w, &b);
	view_app(&w, a, 0);
	pc_rest_reply(x, 201, &b);
}

/* PUT (partial unless ?partialUpdate=false) and PATCH: the body merged over the app. */
static void
app_update(struct http_exchange *x, struct mt *m, const char *id, int patch)
{
	struct mt_app *old = map_get(&m->apps, id), *a;
	struct json *j = pc_rest_body(x), *merged = NULL;
	char pu[PARAM_MAX], err[MT_ERR_MAX], *text;
	int partial = patch || !http_query_param(x, "partialUpdate", pu, sizeof(pu)) ||
	              strcmp(pu, "false") != 0;
	const char *rollback = NULL;

	if (j == NULL)
		return;
	if (j->type != JSON_OBJECT) {
		json_free(j);
		http_reply_error(x, 400, "Invalid JSON");
		return;
	}
	if (old == NULL && patch) {
		json_free(j);
		not_found_app(x, id);
		return;
	}
	if (rest_locked(x, old)) {
		json_free(j);
		return;
	}
	/* {"version": V} (with at most the id): back to a stored version (AppHelpers.rollback). */
	if (json_get_str(j, "version") != NULL && j->n == 1 + (json_get(j, "id") != NULL)) {
		const char *v = json_get_str(j, "version");

		rollback = old != NULL ? versions_get(old, v) : NULL;
		if (rollback == NULL) {
			char msg[MT_ID_MAX + MT_VERSION_MAX + 64];

			snprintf(msg, sizeof(msg), "App '%s' does not exist in version %s", id, v);
			json_free(j);
			http_reply_error(x, 404, msg);
			return;
		}
	}
	text = rollback != NULL ? xstrdup(rollback) : app_merge(old, id, j, partial, err, sizeof(err));
	json_free(j);
	merged = text != NULL ? json_parse(text, strlen(text), err, sizeof(err)) : NULL;
	free(text);
	if (merged == NULL) {
		http_reply_error(x, 400, "Invalid JSON");
		return;
	}
	a = rest_app_or_reply(x, merged);
	json_free(merged);
	if (a == NULL)
		return;
	{
		int existed = old != NULL;
		char dep[MT_UUID_MAX];

		rest_install(m, a, old, 0, "overridden by a new deployment (force=true)", dep);
		events_api_post(m, x, a);
		rest_deployment_reply(x, existed ? 200 : 201, dep, a->version);
	}
}

void
rest_remove(struct mt *m, struct mt_app *a, char *dep, char *now)
{
	char id[MT_ID_MAX + 1], hex[UUID_HEX + 1];

	/* A deployment still running for it ends unfinished (Marathon cancels its plan). */
	deployments_fail(m, a, "the app was deleted");
	snprintf(id, sizeof(id), "%s", a->id);
	map_del(&m->apps, a->id);
	queue_delete_app(m, a);
	rest_save(m);
	app_version_now(now, MT_VERSION_MAX);
	id_random_hex(hex, UUID_HEX);
	snprintf(dep, MT_UUID_MAX, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
	         hex + 20);
	m->metrics.deployments_started++;
	m->metrics.deployments_succeeded++;
	events_deployment_at_once(m, id, dep, now, "StopApplication");
}

static void
app_delete(struct http_exchange *x, struct mt *m, struct mt_app *a)
{
	char now[MT_VERSION_MAX], dep[MT_UUID_MAX];

	rest_remove(m, a, dep, now);
	rest_deployment_reply(x, 200, dep, now);
}

static void
tasks_reply(struct http_exchange *x, struct mt *m, const struct mt_app *only, const char *status)
{
	struct json_w w;
	struct buf b;
	const char *k;
	void *v;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_key(&w, "tasks");
	json_arr_begin(&w);
	for (size_t i = 0; map_next(&m->tasks, &i, &k, &v);) {
		const struct mt_task *t = v;
		char want[MT_NAME_MAX];

		if (t->app == NULL || (only != NULL && t->app != only))
			continue;
		if (status != NULL) {
			snprintf(want, sizeof(want), "TASK_%s", status);
			for (char *c = want; *c; c++)
				if (*c >= 'a' && *c <= 'z')
					*c = (char)(*c - 'a' + 'A');
			if (strcmp(t->state, want) != 0)
				continue;
		}
		view_task(&w, t);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	pc_rest_reply(x, 200, &b);
}

/* Kill tasks by id; with scale, lower their apps' instances so they are not replaced. */
static void
kill_tasks(struct http_exchange *x, struct mt *m, struct mt_task **ts, size_t n, int scale,
           int single)
{
	struct json_w w;
	struct buf b;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	if (single) {
		json_obj_begin(&w);
		json_key(&w, "task");
		view_task(&w, ts[0]);
		json_obj_end(&w);
	} else {
		json_obj_begin(&w);
		json_key(&w, "tasks");
		json_arr_begin(&w);
		for (size_t i = 0; i < n; i++)
			view_task(&w, ts[i]);
		json_arr_end(&w);
		json_obj_end(&w);
	}
	for (size_t i = 0; i < n; i++) {
		struct mt_app *a = ts[i]->app;

		if (ts[i]->killing)
			continue;
		if (scale && a != NULL && a->instances > 0 && !ts[i]->outdated && !ts[i]->inactive) {
			a->instances--;
			app_version_now(a->version, sizeof(a->version));
			snprintf(a->last_scaling, sizeof(a->last_scaling), "%s", a->version);
		}
		queue_kill(m, ts[i]);
		if (a != NULL)
			queue_converge(m, a);
	}
	rest_save(m);
	if (scale && n > 0 && ts[0]->app != NULL) {
		struct mt_app *a = ts[0]->app;
		struct mt_deployment *dep;

		versions_add(a);
		dep = deployments_start(m, a, "ScaleApplication", NULL);
		char id[MT_UUID_MAX], version[MT_VERSION_MAX];

		snprintf(id, sizeof(id), "%s", dep->id);
		snprintf(version, sizeof(version), "%s", a->version);
		deployments_check(m, a);
		buf_free(&b);
		rest_deployment_reply(x, 200, id, version);
		return;
	}
	pc_rest_reply(x, 200, &b);
}

static void
app_tasks_delete(struct http_exchange *x, struct mt *m, struct mt_app *a, const char *task_id)
{
	struct mt_task **ts, *t;
	size_t n = 0;
	char msg[MT_TASK_ID_MAX + 64];

	if (task_id != NULL) {
		t = map_get(&m->tasks, task_id);
		if (t == NULL || t->app != a) {
			snprintf(msg, sizeof(msg), "Task '%s' does not exist", task_id);
			http_reply_error(x, 404, msg);
			return;
		}
		if (!pc_rest_flag(x, "scale") || !rest_locked(x, a))
			kill_tasks(x, m, &t, 1, pc_rest_flag(x, "scale"), 1);
		return;
	}
	if (pc_rest_flag(x, "scale") && rest_locked(x, a))
		return;
	ts = xcalloc(map_len(&m->tasks) + 1, sizeof(*ts));
	for (t = a->tasks; t != NULL; t = t->next)
		ts[n++] = t;
	kill_tasks(x, m, ts, n, pc_rest_flag(x, "scale"), 0);
	free(ts);
}

static void
tasks_delete(struct http_exchange *x, struct mt *m)
{
	struct json *j = pc_rest_body(x);
	const struct json *ids;
	struct mt_task **ts;
	size_t n = 0;

	if (j == NULL)
		return;
	ids = json_get(j, "ids");
	if (ids == NULL || ids->type != JSON_ARRAY) {
		json_free(j);
		http_reply_error(x, 400, "Invalid JSON: expected {\"ids\":[...]}");
		return;
	}
	ts = xcalloc(ids->n + 1, sizeof(*ts));
	for (size_t i = 0; i < ids->n; i++) {
		struct mt_task *t = ids->items[i]->type == JSON_STRING ?
		                    map_get(&m->tasks, ids->items[i]->string) : NULL;

		if (ids->items[i]->type != JSON_STRING) {
			http_reply_error(x, 400, "Invalid JSON: task ids are strings");
			free(ts);
			json_free(j);
			return;
		}
		/* Marathon skips ids it does not know: 200 with the tasks it did kill. */
		if (t != NULL && t->app != NULL)
			ts[n++] = t;
	}
	json_free(j);
	kill_tasks(x, m, ts, n, pc_rest_flag(x, "scale"), 0);
	free(ts);
}

static void
info(struct http_exchange *x, struct mt *m)
{
	const char *fw = m->d->framework_id(m->d);
	struct json_w w;
	struct buf b;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "name", "marathon");
	json_kstr(&w, "version", MARATHON_VERSION);
	json_kbool(&w, "elected", 1);
	json_kstr(&w, "leader", m->leader);
	json_key(&w, "frameworkId");
	if (fw != NULL)
		json_str(&w, fw);
	else
		json_null(&w);
	json_key(&w, "marathon_config");
	json_obj_begin(&w);
	json_kstr(&w, "framework_name", "marathon");
	json_kint(&w, "local_port_min", MT_SERVICE_PORT_MIN);
	json_kint(&w, "local_port_max", MT_SERVICE_PORT_MAX);
	/* Only keys Marathon has: clients map them onto fixed fields (python-marathon). */
	json_kstr(&w, "executor", "//cmd");
	json_kbool(&w, "ha", 0);
	json_obj_end(&w);
	/* No ZooKeeper here: the object Marathon always sends, with none of its keys. */
	json_key(&w, "zookeeper_config");
	json_obj_begin(&w);
	json_obj_end(&w);
	json_key(&w, "http_config");
	json_obj_begin(&w);
	json_kint(&w, "http_port", m->http_port);
	json_obj_end(&w);
	json_obj_end(&w);
	pc_rest_reply(x, 200, &b);
}

/* Apps waiting for tasks, why, and how long their backoff still holds them. */
static void
queue_list(struct http_exchange *x, struct mt *m)
{
	int64_t now = m->d->now_ms(m->d);
	char ts[MT_VERSION_MAX];
	struct json_w w;
	struct buf b;
	const char *k;
	void *v;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_key(&w, "queue");
	json_arr_begin(&w);
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		const struct mt_app *a = v;
		long long need = a->instances - queue_active(a);

		if (need <= 0)
			continue;
		json_obj_begin(&w);
		json_key(&w, "app");
		json_obj_begin(&w);
		app_write_fields(&w, a);
		json_obj_end(&w);
		json_kint(&w, "count", need);
		json_key(&w, "delay");
		json_obj_begin(&w);
		json_kint(&w, "timeLeftSeconds", a->next_launch_ms > now ?
		          (a->next_launch_ms - now + MT_MS_PER_S - 1) / MT_MS_PER_S : 0);
		json_kbool(&w, "overdue", a->next_launch_ms <= now);
		json_obj_end(&w);
		app_version_at(a->since, ts, sizeof(ts));
		json_kstr(&w, "since", ts);
		json_key(&w, "processedOffersSummary");
		pc_offer_stats_write(&w, &a->stats, MT_TIME_ZONE);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	pc_rest_reply(x, 200, &b);
}

static void
queue_delay_reset(struct http_exchange *x, struct mt *m, const char *id)
{
	struct mt_app *a = map_get(&m->apps, id);

	if (a == NULL) {
		not_found_app(x, id);
		return;
	}
	queue_reset_delay(m, a);
	queue_converge(m, a);
	http_reply(x, 204, "application/json", "", 0);
}

/* A copy of a's definition installed as a new version: every task rolls. */
static void
restart(struct http_exchange *x, struct mt *m, struct mt_app *a)
{
	char *text = app_json_text(a), err[MT_ERR_MAX];
	struct json *j = json_parse(text, strlen(text), err, sizeof(err));
	struct mt_app *copy = j != NULL ? rest_app_or_reply(x, j) : NULL;
	char dep[MT_UUID_MAX];
	int parsed = j != NULL;

	free(text);
	json_free(j);
	if (copy == NULL) {
		if (!parsed)
			http_reply_error(x, 500, err);
		return;
	}
	rest_install(m, copy, a, 1, "overridden by a restart (force=true)", dep);
	rest_deployment_reply(x, 200, dep, copy->version);
}

/* GET /v2/deployments, DELETE /v2/deployments/ID (?force=true: stop; else roll back). */
static void
deployments_route(struct http_exchange *x, struct mt *m, const char *id, int get)
{
	struct mt_app *a, *prev;
	struct json *j;
	char err[MT_ERR_MAX], msg[MT_ERR_MAX], dep[MT_UUID_MAX];

	if (get && *id == '\0') {
		struct json_w w;
		struct buf b;

		buf_init(&b, 0);
		json_w_init(&w, &b);
		deployments_write_all(&w, m);
		pc_rest_reply(x, 200, &b);
		return;
	}
	if (get || strcmp(http_method(x), "DELETE") != 0) {
		http_reply_error(x, 405, "method not allowed");
		return;
	}
	if ((a = deployments_find(m, id)) == NULL) {
		snprintf(msg, sizeof(msg), "DeploymentPlan %s does not exist", id);
		http_reply_error(x, 404, msg);
		return;
	}
	if (!pc_rest_flag(x, "force") && a->dep->previous == NULL && a->nversions == 1) {
		/* Rolling back a creation (its app's only version) removes the app, as Marathon's
		 * revert of its plan does. */
		app_delete(x, m, a);
		return;
	}
	if (pc_rest_flag(x, "force")) {
		/* Stopped where it is: the app keeps converging on its current definition. */
		deployments_fail(m, a, "cancelled by DELETE /v2/deployments");
		rest_save(m);
		http_reply(x, 202, "application/json", "", 0);
		return;
	}
	j = json_parse(a->dep->previous, strlen(a->dep->previous), err, sizeof(err));
	prev = j != NULL ? rest_app_or_reply(x, j) : NULL;
	if (j == NULL)
		http_reply_error(x, 500, err);
	json_free(j);
	if (prev == NULL)
		return;
	rest_install(m, prev, a, 0, "cancelled: rolled back by DELETE /v2/deployments", dep);
	rest_deployment_reply(x, 200, dep, prev->version);
}

/* Whether id (with its last slash at slash) is APP/versions/VERSION. */
static int
versions_of(char *id, const char *slash)
{
	const char *prev;
	int yes;

	id[slash - id] = '\0';
	prev = strrchr(id, '/');
	yes = prev != NULL && strcmp(prev, "/versions") == 0 && prev != id;
	id[slash - id] = '/';
	return yes;
}

/* GET /v2/apps/ID/versions (version NULL) or /v2/apps/ID/versions/VERSION. */
static void
versions_reply(struct http_exchange *x, const struct mt_app *a, const char *version, size_t vlen)
{
	char v[MT_VERSION_MAX], msg[MT_ID_MAX + MT_VERSION_MAX + 64];
	const char *def;
	struct json_w w;
	struct buf b;

	if (version == NULL) {
		buf_init(&b, 0);
		json_w_init(&w, &b);
		versions_write_list(&w, a);
		pc_rest_reply(x, 200, &b);
		return;
	}
	snprintf(v, sizeof(v), "%.*s", (int)vlen, version);
	if (vlen >= sizeof(v) || (def = versions_get(a, v)) == NULL) {
		snprintf(msg, sizeof(msg), "App '%s' does not exist in version %s", a->id, v);
		http_reply_error(x, 404, msg);
		return;
	}
	http_reply(x, 200, "application/json", def, strlen(def));
}

/* GET /metrics: Dropwizard's JSON shape, as Marathon's, with its names where it has them. */
static void
metrics(struct http_exchange *x, struct mt *m)
{
	static const char *const states[] = { "TASK_STAGING", "TASK_STARTING", "TASK_RUNNING",
		"TASK_KILLING" };
	const struct mt_metrics *c = &m->metrics;
	long long nstate[sizeof(states) / sizeof(states[0])] = { 0 }, deps = 0, healthy = 0;
	long long unhealthy = 0, waiting = 0, commits = 0, records = 0;

	if (m->journal != NULL)
		pc_journal_counts(m->journal, &commits, &records);
	const struct pc_metric counters[] = {
		{ "marathon.http.requests.counter", c->http_requests },
		{ "marathon.tasks.launched.counter", c->tasks_launched },
		{ "marathon.tasks.failed.counter", c->tasks_failed },
		{ "marathon.tasks.killed-unhealthy.counter", c->tasks_killed_unhealthy },
		{ "marathon.deployments.counter", c->deployments_started },
		{ "marathon.deployments.success.counter", c->deployments_succeeded },
		{ "marathon.deployments.failure.counter", c->deployments_failed },
		{ "marathon.health-checks.run.counter", c->health_checks_run },
		{ "marathon.health-checks.failed.counter", c->health_checks_failed },
		{ "marathon.store.commits.counter", commits },
		{ "marathon.store.records.counter", records },
	};
	struct json_w w;
	struct buf b;
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		const struct mt_app *a = v;

		deps += a->dep != NULL;
		waiting += a->instances > queue_active(a) ? a->instances - queue_active(a) : 0;
		for (const struct mt_task *t = a->tasks; t != NULL; t = t->next) {
			for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++)
				nstate[s] += strcmp(t->state, states[s]) == 0;
			healthy += app_task_healthy(a, t);
			unhealthy += a->nhealth > 0 && t->healthy == 0;
		}
	}
	const struct pc_metric gauges[] = {
		{ "marathon.apps.active.gauge", (long long)map_len(&m->apps) },
		{ "marathon.deployments.active.gauge", deps },
		{ "marathon.instances.launch-queue.gauge", waiting },
		{ "marathon.instances.healthy.gauge", healthy },
		{ "marathon.instances.unhealthy.gauge", unhealthy },
		{ "marathon.tasks.known.gauge", (long long)map_len(&m->tasks) },
		{ "marathon.instances.staged.gauge", nstate[0] },
		{ "marathon.instances.starting.gauge", nstate[1] },
		{ "marathon.instances.running.gauge", nstate[2] },
		{ "marathon.instances.killing.gauge", nstate[3] },
	};
	buf_init(&b, 0);
	json_w_init(&w, &b);
	pc_json_metrics(&w, gauges, sizeof(gauges) / sizeof(gauges[0]), counters,
	                sizeof(counters) / sizeof(counters[0]));
	pc_rest_reply(x, 200, &b);
}

/* /v2/apps/ID[/tasks[/TASK]|/restart|/versions[/VERSION]] -> app id, and what follows it. */
static void
apps_route(struct http_exchange *x, struct mt *m, const char *rest, const char *method)
{
	char id[MT_ID_MAX + 1], norm[MT_ID_MAX + 2];
	const char *task = NULL, *sub = NULL, *version = NULL;
	size_t len = strlen(rest);
	const char *slash;
	struct mt_app *a;

	while (len > 0 && rest[len - 1] == '/')
		len--;
	if (len == 0 || len > MT_ID_MAX) {
		http_reply_error(x, 404, "no such app path");
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)len, rest);
	slash = strrchr(id, '/');
	if (slash != NULL && (strcmp(slash, "/tasks") == 0 || strcmp(slash, "/restart") == 0 ||
	                      strcmp(slash, "/versions") == 0)) {
		sub = slash + 1;
		id[slash - id] = '\0';
	} else if (slash != NULL && strcmp(method, "GET") == 0 && versions_of(id, slash)) {
		/* ID/versions/VERSION: versions never hold a '/'. */
		version = rest + (slash - id) + 1;
		sub = "versions";
		id[strrchr(id, '/') - id] = '\0';
		id[strrchr(id, '/') - id] = '\0';
	} else if (slash != NULL && strcmp(method, "DELETE") == 0) {
		/* ID/tasks/TASK_ID: task ids never hold a '/'. */
		const char *prev;

		id[slash - id] = '\0';
		prev = strrchr(id, '/');
		if (prev != NULL && strcmp(prev, "/tasks") == 0) {
			task = rest + (slash - id) + 1;
			sub = "tasks";
			id[prev - id] = '\0';
		} else {
			id[slash - id] = '/';
		}
	}
	snprintf(norm, sizeof(norm), "%s%s", id[0] == '/' ? "" : "/", id);
	a = map_get(&m->apps, norm);
	if (sub != NULL && strcmp(sub, "restart") == 0) {
		if (strcmp(method, "POST") != 0)
			http_reply_error(x, 405, "method not allowed");
		else if (a == NULL)
			not_found_app(x, norm);
		else if (!rest_locked(x, a))
			restart(x, m, a);
		return;
	}
	if (sub != NULL && strcmp(sub, "versions") == 0) {
		if (strcmp(method, "GET") != 0)
			http_reply_error(x, 405, "method not allowed");
		else if (a == NULL)
			not_found_app(x, norm);
		else
			versions_reply(x, a, version, (size_t)(len - (size_t)(version != NULL ?
			               version - rest : 0)));
		return;
	}
	if (sub != NULL && strcmp(sub, "tasks") == 0) {
		char tid[MT_TASK_ID_MAX];

		if (a == NULL) {
			not_found_app(x, norm);
		} else if (strcmp(method, "GET") == 0 && task == NULL) {
			if (view_wants_text(x))
				view_tasks_text(x, m, a);
			else
				tasks_reply(x, m, a, NULL);
		} else if (strcmp(method, "DELETE") == 0) {
			if (task != NULL)
				snprintf(tid, sizeof(tid), "%.*s", (int)(len - (size_t)(task - rest)), task);
			app_tasks_delete(x, m, a, task != NULL ? tid : NULL);
		} else {
			http_reply_error(x, 405, "method not allowed");
		}
		return;
	}
	if (strcmp(method, "GET") == 0) {
		struct json_w w;
		struct buf b;

		if (a == NULL) {
			not_found_app(x, norm);
			return;
		}
		buf_init(&b, 0);
		json_w_init(&w, &b);
		json_obj_begin(&w);
		json_key(&w, "app");
		view_app(&w, a, view_embed(x, 1));
		json_obj_end(&w);
		pc_rest_reply(x, 200, &b);
	} else if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
		app_update(x, m, norm, method[1] == 'A');
	} else if (strcmp(method, "DELETE") == 0) {
		if (a == NULL)
			not_found_app(x, norm);
		else if (!rest_locked(x, a))
			app_delete(x, m, a);
	} else {
		http_reply_error(x, 405, "method not allowed");
	}
}

void
rest_handle(struct http_exchange *x, void *arg)
{
	struct mt *m = arg;
	const char *p = http_path(x), *method = http_method(x);
	char status[PARAM_MAX];
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	m->metrics.http_requests++;
	if (strcmp(p, "/ping") == 0 && get) {
		http_reply(x, 200, "text/plain", "pong\n", strlen("pong\n"));
	} else if (strcmp(p, "/metrics") == 0 && get) {
		metrics(x, m);
	} else if (strcmp(p, "/v2/info") == 0 && get) {
		info(x, m);
	} else if (strcmp(p, "/v2/leader") == 0 && get) {
		struct json_w w;
		struct buf b;

		buf_init(&b, 0);
		json_w_init(&w, &b);
		json_obj_begin(&w);
		json_kstr(&w, "leader", m->leader);
		json_obj_end(&w);
		pc_rest_reply(x, 200, &b);
	} else if (strcmp(p, "/v2/apps") == 0 || strcmp(p, "/v2/apps/") == 0) {
		if (get)
			apps_list(x, m);
		else if (strcmp(method, "POST") == 0)
			apps_create(x, m);
		else if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0)
			groups_apps_bulk(x, m, method[1] == 'A');
		else
			http_reply_error(x, 405, "method not allowed");
	} else if (strncmp(p, "/v2/apps/", strlen("/v2/apps/")) == 0) {
		apps_route(x, m, p + strlen("/v2/apps/"), get ? "GET" : method);
	} else if (strcmp(p, "/v2/groups") == 0 || strncmp(p, "/v2/groups/", strlen("/v2/groups/")) == 0) {
		groups_route(x, m, p + strlen("/v2/groups"), get ? "GET" : method);
	} else if (strcmp(p, "/v2/tasks") == 0 && get && view_wants_text(x)) {
		view_tasks_text(x, m, NULL);
	} else if (strcmp(p, "/v2/tasks") == 0 && get) {
		tasks_reply(x, m, NULL, http_query_param(x, "status", status, sizeof(status)) ?
		            status : NULL);
	} else if (strcmp(p, "/v2/tasks/delete") == 0 && strcmp(method, "POST") == 0) {
		tasks_delete(x, m);
	} else if (strcmp(p, "/v2/deployments") == 0 || strcmp(p, "/v2/deployments/") == 0) {
		deployments_route(x, m, "", get);
	} else if (strncmp(p, "/v2/deployments/", strlen("/v2/deployments/")) == 0) {
		deployments_route(x, m, p + strlen("/v2/deployments/"), get);
	} else if (strcmp(p, "/v2/events") == 0 && get) {
		events_subscribe(m, x);
	} else if ((strcmp(p, "/v2/queue") == 0 || strcmp(p, "/v2/queue/") == 0) && get) {
		queue_list(x, m);
	} else if (strncmp(p, "/v2/queue/", strlen("/v2/queue/")) == 0 &&
	           strcmp(method, "DELETE") == 0 && strlen(p) > strlen("/v2/queue//delay") &&
	           strcmp(p + strlen(p) - strlen("/delay"), "/delay") == 0) {
		char id[MT_ID_MAX + 2];
		size_t n = strlen(p) - strlen("/v2/queue/") - strlen("/delay");

		snprintf(id, sizeof(id), "%s%.*s", p[strlen("/v2/queue/")] == '/' ? "" : "/",
		         (int)(n < MT_ID_MAX ? n : MT_ID_MAX), p + strlen("/v2/queue/"));
		queue_delay_reset(x, m, id);
	} else {
		http_reply_error(x, 404, "not found");
	}
}
