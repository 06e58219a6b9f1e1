/*
 * deployments.c: every change to an app is a deployment (Marathon's
 * StartApplication, ScaleApplication, RestartApplication), one at a time
 * per app, listed by GET /v2/deployments until the app runs exactly its
 * `instances` tasks of its current config. It keeps the definition from
 * before the change, so DELETE /v2/deployments/{id} can roll back. The
 * rolling itself (upgradeStrategy) is the launch queue's (queue.c).
 * Deployments live in memory: after a plugin restart the apps converge
 * again but no deployment is listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "../../id.h"
#include "../../json.h"
#include "../../xmem.h"

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
	deployments_free(a);
	a->dep = dep;
	events_deployment(m, a, "deployment_info");
	return dep;
}

/* Done: exactly `instances` healthy tasks of the current config, and nothing else. */
static int
done(const struct mt_app *a)
{
	long long running = 0;

	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next) {
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
	deployments_free(a);
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
write_action(struct json_w *w, const struct mt_app *a)
{
	json_obj_begin(w);
	json_kstr(w, "action", a->dep->action);
	json_kstr(w, "app", a->id);
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
		write_action(w, a);
		json_arr_end(w);
		json_obj_end(w);
		json_arr_end(w);
		json_key(w, "currentActions");
		json_arr_begin(w);
		write_action(w, a);
		json_arr_end(w);
		json_kint(w, "currentStep", 1);
		json_kint(w, "totalSteps", 1);
		json_obj_end(w);
	}
	json_arr_end(w);
}
