/*
 * deployments.c: every change to an app is a deployment (Marathon's
 * StartApplication, ScaleApplication, RestartApplication), one at a time
 * per app, listed by GET /v2/deployments until the app runs exactly its
 * `instances` tasks of its current config. It keeps the definition from
 * before the change, so DELETE /v2/deployments/{id} can roll back. The
 * rolling itself (upgradeStrategy) is the launch queue's (queue.c). A
 * deployment that ends unfinished (overridden with force=true, cancelled
 * by DELETE /v2/deployments, its app deleted) is a deployment_failed, as
 * Marathon's cancelled plans are. Deployments are stored with the apps
 * (store.c), so a restarted plugin lists them and carries them on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "id.h"
#include "json.h"
#include "xmem.h"

#define UUID_HEX 32

void
deployments_free(struct mt_app *a)
{
	if (a->dep == NULL)
		return;
	free(a->dep->previous);
	free(a->dep);
	a->dep = NULL;
}

struct mt_deployment *
deployments_start(struct mt *m, struct mt_app *a, const char *action, char *previous)
{
	struct mt_deployment *dep = xcalloc(1, sizeof(*dep));
	char hex[UUID_HEX + 1];

	id_random_hex(hex, UUID_HEX);
	snprintf(dep->id, sizeof(dep->id), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	         hex + 16, hex + 20);
	snprintf(dep->action, sizeof(dep->action), "%s", action);
	snprintf(dep->version, sizeof(dep->version), "%s", a->version);
	dep->previous = previous;
	if (a->dep != NULL)
		deployments_fail(m, a, "overridden by a new deployment (force=true)");
	a->dep = dep;
	m->metrics.deployments_started++;
	events_deployment(m, a, "deployment_info");
	return dep;
}

void
deployments_fail(struct mt *m, struct mt_app *a, const char *why)
{
	if (a->dep == NULL)
		return;
	m->d->log(m->d, FRAMEWORK_LOG_INFO, "deployment %s of %s (%s) failed: %s", a->dep->id, a->id,
	          a->dep->action, why);
	m->metrics.deployments_failed++;
	events_deployment(m, a, "deployment_failed");
	deployments_free(a);
}

/*
 * Done: exactly `instances` healthy tasks of the current config, and
 * nothing else but unreachable instances already replaced (they wait to
 * be expunged).
 */
static int
done(const struct mt_app *a)
{
	long long running = 0;

	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next) {
		if (t->inactive)
			continue;
		if (t->outdated || t->killing || !app_task_healthy(a, t))
			return 0;
		running++;
	}
	return running == a->instances;
}

void
deployments_check(struct mt *m, struct mt_app *a)
{
	if (a->dep == NULL || !done(a))
		return;
	m->d->log(m->d, FRAMEWORK_LOG_INFO, "deployment %s of %s (%s) succeeded", a->dep->id, a->id,
	          a->dep->action);
	events_deployment(m, a, "deployment_success");
	m->metrics.deployments_succeeded++;
	deployments_free(a);
	/* A restart from here on must not carry it on (one carried on would just end again):
	 * committed with the rest of this loop turn's changes. */
	store_stage(m);
}

void
deployments_write(struct json_w *w, const struct mt_app *a)
{
	json_obj_begin(w);
	json_kstr(w, "id", a->dep->id);
	json_kstr(w, "app", a->id);
	json_kstr(w, "action", a->dep->action);
	json_kstr(w, "version", a->dep->version);
	json_key(w, "previous");
	if (a->dep->previous != NULL)
		json_raw(w, a->dep->previous);
	else
		json_null(w);
	json_obj_end(w);
}

int
deployments_load(struct mt *m, const struct json *j)
{
	const char *id = json_get_str(j, "id"), *app = json_get_str(j, "app");
	const char *action = json_get_str(j, "action"), *version = json_get_str(j, "version");
	const struct json *prev = json_get(j, "previous");
	struct mt_deployment *dep;
	struct mt_app *a;

	if (id == NULL || app == NULL || action == NULL || version == NULL ||
	    (a = map_get(&m->apps, app)) == NULL || a->dep != NULL || strlen(id) >= MT_UUID_MAX)
		return -1;
	dep = xcalloc(1, sizeof(*dep));
	snprintf(dep->id, sizeof(dep->id), "%s", id);
	snprintf(dep->action, sizeof(dep->action), "%s", action);
	snprintf(dep->version, sizeof(dep->version), "%s", version);
	if (prev != NULL && prev->type == JSON_OBJECT) {
		struct json_w w;
		struct buf b;

		buf_init(&b, 0);
		json_w_init(&w, &b);
		json_write(&w, prev);
		dep->previous = buf_detach(&b);
	}
	a->dep = dep;
	return 0;
}

struct mt_app *
deployments_find(struct mt *m, const char *id)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		struct mt_app *a = v;

		if (a->dep != NULL && strcmp(a->dep->id, id) == 0)
			return a;
	}
	return NULL;
}

static void
write_action(struct json_w *w, const struct mt_app *a, int current)
{
	json_obj_begin(w);
	json_kstr(w, "action", a->dep->action);
	json_kstr(w, "app", a->id);
	/* As Marathon: a current action says how its new tasks' readiness checks went. */
	if (current)
		readiness_write_results(w, a);
	json_obj_end(w);
}

void
deployments_write_all(struct json_w *w, struct mt *m)
{
	const char *k;
	void *v;

	json_arr_begin(w);
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		const struct mt_app *a = v;

		if (a->dep == NULL)
			continue;
		json_obj_begin(w);
		json_kstr(w, "id", a->dep->id);
		json_kstr(w, "version", a->dep->version);
		json_key(w, "affectedApps");
		json_arr_begin(w);
		json_str(w, a->id);
		json_arr_end(w);
		json_key(w, "affectedPods");
		json_arr_begin(w);
		json_arr_end(w);
		json_key(w, "steps");
		json_arr_begin(w);
		json_obj_begin(w);
		json_key(w, "actions");
		json_arr_begin(w);
		write_action(w, a, 0);
		json_arr_end(w);
		json_obj_end(w);
		json_arr_end(w);
		json_key(w, "currentActions");
		json_arr_begin(w);
		write_action(w, a, 1);
		json_arr_end(w);
		json_kint(w, "currentStep", 1);
		json_kint(w, "totalSteps", 1);
		json_obj_end(w);
	}
	json_arr_end(w);
}
