/*
 * fields.c: the fields of Marathon 1.10's app schema (its documentation's
 * types/app.raml) that app.c does not act on. An app exported from
 * Marathon (GET /v2/apps/ID) must post back unchanged, so each such field
 * is one of:
 *   carried     stored as given and shown again by GET, with no effect
 *               here (ipAddress null, tty, residency, executorResources,
 *               resourceLimits, check, storeUrls; dependencies, which
 *               groups.c also reads);
 *   defaulted   accepted while it holds what this Marathon does anyway
 *               (host networking, role "*", a MESOS container without an
 *               image or volumes, no gpus, the command executor), then
 *               carried; any other value would run differently, so it is
 *               refused with a 422 naming the field;
 *   refused     unless empty: secrets.
 * Unknown fields are ignored, as Marathon's JSON readers ignore them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "json.h"
#include "xmem.h"

#define FIELD_PATH_MAX 96               /* "/container/portMappings" */

/* Handled by app.c, or set by the server and ignored on input. */
static const char *const HANDLED[] = { "id", "cmd", "args", "cpus", "mem", "disk", "instances",
	"portDefinitions", "ports", "requirePorts", "constraints", "healthChecks", "env", "labels",
	"fetch", "uris", "backoffSeconds", "backoffFactor", "maxLaunchDelaySeconds",
	"upgradeStrategy", "killSelection", "taskKillGracePeriodSeconds", "unreachableStrategy",
	"user", "version", "versionInfo", "gpus", "readinessChecks", NULL };

/* Stored and shown again, whatever they hold. */
static const char *const CARRIED[] = { "tty", "residency", "executorResources",
	"resourceLimits", "check", "storeUrls", "dependencies", NULL };

/* Shown by fields_write whatever was posted: the one value each may hold. */
static const char *const ALWAYS_SHOWN[] = { "executor", "networks", NULL };

static int
listed(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static int
empty(const struct json *e)
{
	return e->type == JSON_NULL || ((e->type == JSON_ARRAY || e->type == JSON_OBJECT) &&
	       e->n == 0) || (e->type == JSON_STRING && e->string[0] == '\0');
}

/* networks: host mode only (Marathon's default for an app without a container network). */
static int
networks_ok(const struct json *e, struct pc_json_errs *v)
{
	char path[FIELD_PATH_MAX];

	if (e->type != JSON_ARRAY) {
		pc_json_type(v, "/networks", "jsarray");
		return 0;
	}
	for (size_t i = 0; i < e->n; i++) {
		const char *mode = json_get_str(e->items[i], "mode");

		snprintf(path, sizeof(path), "/networks(%zu)/mode", i);
		if (mode == NULL || strcmp(mode, "host") != 0) {
			pc_json_err(v, path, "only host networking is supported by this Marathon");
			return 0;
		}
	}
	return 1;
}

/* A MESOS container with nothing in it is what a plain command task runs in. */
static int
container_ok(const struct json *e, struct pc_json_errs *v)
{
	static const char *const must_be_empty[] = { "volumes", "portMappings", "docker",
		"appc", NULL };
	const char *type;
	char path[FIELD_PATH_MAX];

	if (e->type != JSON_OBJECT) {
		pc_json_type(v, "/container", "jsobject");
		return 0;
	}
	type = json_get_str(e, "type");
	if (type == NULL || strcmp(type, "MESOS") != 0) {
		pc_json_err(v, "/container/type", "only a MESOS container without an image is supported "
		            "by this Marathon (no Docker)");
		return 0;
	}
	for (size_t i = 0; must_be_empty[i] != NULL; i++) {
		const struct json *x = json_get(e, must_be_empty[i]);

		if (x != NULL && !empty(x)) {
			snprintf(path, sizeof(path), "/container/%s", must_be_empty[i]);
			pc_json_err(v, path, "is not supported by this Marathon: a MESOS container here has "
			            "no image, volumes or port mappings");
			return 0;
		}
	}
	return 1;
}

/* Whether each of the strings in e is "*" (any role: what this Marathon is offered). */
static int
roles_ok(const struct json *e, const char *path, struct pc_json_errs *v)
{
	if (e->type == JSON_STRING) {
		if (strcmp(e->string, "*") == 0 || e->string[0] == '\0')
			return 1;
	} else if (e->type == JSON_ARRAY) {
		size_t i;

		for (i = 0; i < e->n; i++)
			if (e->items[i]->type != JSON_STRING || strcmp(e->items[i]->string, "*") != 0)
				break;
		if (i == e->n)
			return 1;
	}
	pc_json_err(v, path, "only the role \"*\" is supported by this Marathon");
	return 0;
}

/* 1 when key's value e is accepted (carried), 0 when refused (an error noted). */
static int
defaulted_ok(const char *key, const struct json *e, struct pc_json_errs *v)
{
	if (e->type == JSON_NULL)
		return 1;
	if (strcmp(key, "networks") == 0)
		return networks_ok(e, v);
	if (strcmp(key, "container") == 0)
		return container_ok(e, v);
	if (strcmp(key, "role") == 0)
		return roles_ok(e, "/role", v);
	if (strcmp(key, "acceptedResourceRoles") == 0)
		return roles_ok(e, "/acceptedResourceRoles", v);
	if (strcmp(key, "executor") == 0) {
		if (e->type == JSON_STRING && (e->string[0] == '\0' || strcmp(e->string, "//cmd") == 0))
			return 1;
		pc_json_err(v, "/executor", "only the command executor (\"\" or \"//cmd\") is supported "
		            "by this Marathon");
		return 0;
	}
	if (strcmp(key, "ipAddress") == 0) {
		pc_json_err(v, "/ipAddress", "IP-per-task networking is not supported by this Marathon: "
		            "only host networking");
		return 0;
	}
	if (strcmp(key, "secrets") == 0) {
		char path[FIELD_PATH_MAX];

		if (empty(e))
			return 1;
		snprintf(path, sizeof(path), "/%s", key);
		pc_json_err(v, path, "is not supported by this Marathon yet");
		return 0;
	}
	return -1;
}

void
fields_parse(const struct json *j, struct mt_app *a, struct pc_json_errs *v)
{
	const struct json *g = json_get(j, "gpus");
	long long gpus = 0;

	if (pc_json_int(v, g, "/gpus", 0, &gpus) == 0 && gpus != 0)
		pc_json_err(v, "/gpus", "GPUs are not supported by this Marathon: only 0");
	/* Paths, relative to the app's group: groups.c holds launches back until they run. */
	pc_json_strings(v, json_get(j, "dependencies"), "/dependencies", &a->deps, &a->ndeps);
	a->carried = xcalloc(j->n ? j->n : 1, sizeof(*a->carried));
	for (size_t i = 0; i < j->n; i++) {
		const char *key = j->keys[i];
		int ok;
		struct json_w w;
		struct buf b;

		if (listed(HANDLED, key) || json_get(j, key) != j->items[i])
			continue;
		ok = listed(CARRIED, key) ? 1 : defaulted_ok(key, j->items[i], v);
		/* null is absent; the two fields_write always shows are never carried. */
		if (ok != 1 || j->items[i]->type == JSON_NULL || listed(ALWAYS_SHOWN, key))
			continue;
		buf_init(&b, 0);
		json_w_init(&w, &b);
		json_write(&w, j->items[i]);
		a->carried[a->ncarried].key = xstrdup(key);
		a->carried[a->ncarried++].value = buf_detach(&b);
	}
}

void
fields_write(struct json_w *w, const struct mt_app *a)
{
	/* What Marathon shows for an app that set none of them, the only values accepted. */
	json_kstr(w, "executor", "");
	json_key(w, "networks");
	json_raw(w, "[{\"mode\":\"host\"}]");
	for (size_t i = 0; i < a->ncarried; i++) {
		json_key(w, a->carried[i].key);
		json_raw(w, a->carried[i].value);
	}
}

int
fields_differ(const struct mt_app *a, const struct mt_app *b)
{
	return pc_json_kv_differ(a->carried, a->ncarried, b->carried, b->ncarried);
}

void
fields_free(struct mt_app *a)
{
	pc_json_kv_free(a->carried, a->ncarried);
	pc_json_strings_free(a->deps, a->ndeps);
	a->deps = NULL;
	a->ndeps = 0;
	a->carried = NULL;
	a->ncarried = 0;
}
