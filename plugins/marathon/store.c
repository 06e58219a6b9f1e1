/*
 * store.c: the plugin's state on disk, so a restarted plugin neither loses
 * nor duplicates a task. One file, STATE_DIR/marathon.json: every app's
 * definition, its stored versions and its running deployment, and every
 * task with its app, agent, host and ports. It is rewritten whole
 * (pc_store_write: a temporary file, fsync, rename) before any launch and
 * after every change, so what is on disk is always one complete state.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mt.h"
#include "buf.h"
#include "json.h"
#include "xmem.h"

#define STORE_FILE "marathon.json"
#define STORE_BYTES_MAX (256u << 20)     /* a state file larger than this is refused */

static void
write_task(struct json_w *w, const struct mt_task *t)
{
	json_obj_begin(w);
	json_kstr(w, "id", t->id);
	json_kstr(w, "appId", t->app->id);
	json_kstr(w, "agentId", t->agent_id);
	json_kstr(w, "host", t->host);
	json_key(w, "ports");
	json_arr_begin(w);
	for (size_t i = 0; i < t->nports; i++)
		json_int(w, t->ports[i]);
	json_arr_end(w);
	json_kstr(w, "state", t->state);
	json_kdouble(w, "stagedAt", t->staged_at);
	json_kdouble(w, "startedAt", t->started_at);
	json_kstr(w, "version", t->version);
	json_kbool(w, "killing", t->killing);
	json_kbool(w, "outdated", t->outdated);
	json_kint(w, "healthy", t->healthy);
	json_kdouble(w, "unreachableSince", t->unreachable_since);
	json_kbool(w, "inactive", t->inactive);
	json_key(w, "constraintValues");
	json_arr_begin(w);
	for (size_t i = 0; i < t->ncvals; i++)
		if (t->cvals[i] != NULL)
			json_str(w, t->cvals[i]);
		else
			json_null(w);
	json_arr_end(w);
	json_obj_end(w);
}

int
store_save(struct mt *m, char *err, size_t errlen)
{
	struct json_w w;
	struct buf b;
	const char *k;
	void *v;
	int rc;

	if (m->state_dir == NULL)
		return 0;
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_key(&w, "apps");
	json_arr_begin(&w);
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		json_obj_begin(&w);
		app_write_fields(&w, v);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_key(&w, "versions");
	json_arr_begin(&w);
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		const struct mt_app *a = v;

		if (a->nversions == 0)
			continue;
		json_obj_begin(&w);
		json_kstr(&w, "app", a->id);
		json_key(&w, "versions");
		versions_write_store(&w, a);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_key(&w, "deployments");
	json_arr_begin(&w);
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);)
		if (((struct mt_app *)v)->dep != NULL)
			deployments_write(&w, v);
	json_arr_end(&w);
	json_key(&w, "tasks");
	json_arr_begin(&w);
	for (size_t i = 0; map_next(&m->tasks, &i, &k, &v);)
		if (((struct mt_task *)v)->app != NULL)
			write_task(&w, v);
	json_arr_end(&w);
	json_obj_end(&w);
	buf_putc(&b, '\n');
	rc = pc_store_write(m->state_dir, STORE_FILE, b.data, b.len, err, errlen);
	buf_free(&b);
	return rc;
}

static void
load_task(struct mt *m, const struct json *j)
{
	const char *id = json_get_str(j, "id"), *app = json_get_str(j, "appId");
	const struct json *ports = json_get(j, "ports"), *x;
	struct mt_app *a;
	struct mt_task *t;

	if (id == NULL || app == NULL || (a = map_get(&m->apps, app)) == NULL ||
	    map_get(&m->tasks, id) != NULL)
		return;
	t = queue_task_new(m, a, id);
	snprintf(t->agent_id, sizeof(t->agent_id), "%s", json_get_str(j, "agentId") ?
	         json_get_str(j, "agentId") : "");
	snprintf(t->host, sizeof(t->host), "%s", json_get_str(j, "host") ? json_get_str(j, "host") : "");
	snprintf(t->state, sizeof(t->state), "%s", json_get_str(j, "state") ?
	         json_get_str(j, "state") : "TASK_STAGING");
	snprintf(t->version, sizeof(t->version), "%s", json_get_str(j, "version") ?
	         json_get_str(j, "version") : "");
	for (size_t i = 0; ports != NULL && ports->type == JSON_ARRAY && i < ports->n &&
	     i < MT_PORTS_MAX; i++) {
		long long p;

		if (json_as_int(ports->items[i], &p) == 0)
			t->ports[t->nports++] = (int)p;
	}
	if ((x = json_get(j, "stagedAt")) != NULL && x->type == JSON_NUMBER)
		t->staged_at = x->number;
	if ((x = json_get(j, "startedAt")) != NULL && x->type == JSON_NUMBER)
		t->started_at = x->number;
	if ((x = json_get(j, "killing")) != NULL && x->type == JSON_BOOL)
		t->killing = x->boolean;
	if ((x = json_get(j, "outdated")) != NULL && x->type == JSON_BOOL)
		t->outdated = x->boolean;
	if ((x = json_get(j, "unreachableSince")) != NULL && x->type == JSON_NUMBER)
		t->unreachable_since = x->number;
	if ((x = json_get(j, "inactive")) != NULL && x->type == JSON_BOOL)
		t->inactive = x->boolean;
	t->healthy = -1;
	if ((x = json_get(j, "healthy")) != NULL && x->type == JSON_NUMBER)
		t->healthy = x->number > 0 ? 1 : x->number == 0 ? 0 : -1;
	/* Values for the app's constraints as they were when it was placed. */
	if ((x = json_get(j, "constraintValues")) != NULL && x->type == JSON_ARRAY &&
	    x->n == a->nconstraints && x->n > 0) {
		t->cvals = xcalloc(x->n, sizeof(*t->cvals));
		t->ncvals = x->n;
		for (size_t i = 0; i < x->n; i++)
			t->cvals[i] = x->items[i]->type == JSON_STRING ? xstrdup(x->items[i]->string) : NULL;
	}
}

int
store_load(struct mt *m, char *err, size_t errlen)
{
	struct buf b, details;
	struct json_w dw;
	struct json *j;
	const struct json *apps, *tasks, *versions, *deps;
	char *path, perr[MT_ERR_MAX];
	size_t ndeps = 0;
	int rc, status;

	if (m->state_dir == NULL)
		return 0;
	buf_init(&b, STORE_BYTES_MAX);
	path = xstrfmt("%s/%s", m->state_dir, STORE_FILE);
	rc = pc_store_read(path, &b, err, errlen);
	if (rc != 0) {
		free(path);
		buf_free(&b);
		return rc == 1 ? 0 : -1;
	}
	j = json_parse(b.data, b.len, perr, sizeof(perr));
	buf_free(&b);
	if (j == NULL) {
		snprintf(err, errlen, "%s: %s", path, perr);
		free(path);
		return -1;
	}
	apps = json_get(j, "apps");
	tasks = json_get(j, "tasks");
	versions = json_get(j, "versions");
	deps = json_get(j, "deployments");
	buf_init(&details, 0);
	json_w_init(&dw, &details);
	for (size_t i = 0; apps != NULL && apps->type == JSON_ARRAY && i < apps->n; i++) {
		struct mt_app *a = app_from_json(apps->items[i], 1, &dw, &status);

		if (a == NULL) {
			/* A definition this version refuses: say which, keep the rest. */
			m->d->log(m->d, FRAMEWORK_LOG_ERROR, "%s: app %zu skipped: %s", path, i,
			          details.data);
			buf_reset(&details);
			json_w_init(&dw, &details);
			continue;
		}
		if (map_get(&m->apps, a->id) != NULL) {
			app_free(a);
			continue;
		}
		map_put(&m->apps, a->id, a);
	}
	buf_free(&details);
	for (size_t i = 0; tasks != NULL && tasks->type == JSON_ARRAY && i < tasks->n; i++)
		load_task(m, tasks->items[i]);
	for (size_t i = 0; versions != NULL && versions->type == JSON_ARRAY && i < versions->n; i++) {
		const char *id = json_get_str(versions->items[i], "app");
		struct mt_app *a = id != NULL ? map_get(&m->apps, id) : NULL;

		if (a != NULL)
			versions_load_store(a, json_get(versions->items[i], "versions"));
	}
	for (size_t i = 0; deps != NULL && deps->type == JSON_ARRAY && i < deps->n; i++)
		ndeps += deployments_load(m, deps->items[i]) == 0;
	m->d->log(m->d, FRAMEWORK_LOG_INFO, "loaded %zu app(s) and %zu task(s) from %s",
	          map_len(&m->apps), map_len(&m->tasks), path);
	if (ndeps > 0)
		m->d->log(m->d, FRAMEWORK_LOG_INFO, "%zu deployment(s) carry on", ndeps);
	free(path);
	json_free(j);
	return 0;
}
