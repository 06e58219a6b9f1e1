/*
 * versions.c: each app's stored versions, as Marathon keeps them: every
 * change (config or scale) is a new version, its whole definition kept as
 * JSON text so GET /v2/apps/{id}/versions/{version} shows it and a PUT of
 * {"version": V} rolls back to it. At most MT_VERSIONS_MAX per app (the
 * oldest go first); they move with the app from one definition to the
 * next and are persisted with it by store.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "json.h"
#include "xmem.h"

static void
drop_oldest(struct mt_app *a)
{
	free(a->versions[0].json);
	memmove(a->versions, a->versions + 1, (a->nversions - 1) * sizeof(*a->versions));
	a->nversions--;
}

static void
append(struct mt_app *a, const char *version, char *json)
{
	if (a->nversions > 0 && strcmp(a->versions[a->nversions - 1].version, version) == 0) {
		/* Two changes within one millisecond: the later one is that version. */
		free(a->versions[a->nversions - 1].json);
		a->versions[a->nversions - 1].json = json;
		return;
	}
	if (a->nversions == MT_VERSIONS_MAX)
		drop_oldest(a);
	if (a->versions == NULL)
		a->versions = xcalloc(MT_VERSIONS_MAX, sizeof(*a->versions));
	snprintf(a->versions[a->nversions].version, MT_VERSION_MAX, "%s", version);
	a->versions[a->nversions++].json = json;
}

void
versions_add(struct mt_app *a)
{
	append(a, a->version, app_json_text(a));
}

void
versions_take(struct mt_app *to, struct mt_app *from)
{
	versions_free(to);
	to->versions = from->versions;
	to->nversions = from->nversions;
	from->versions = NULL;
	from->nversions = 0;
}

void
versions_free(struct mt_app *a)
{
	for (size_t i = 0; i < a->nversions; i++)
		free(a->versions[i].json);
	free(a->versions);
	a->versions = NULL;
	a->nversions = 0;
}

const char *
versions_get(const struct mt_app *a, const char *version)
{
	for (size_t i = 0; i < a->nversions; i++)
		if (strcmp(a->versions[i].version, version) == 0)
			return a->versions[i].json;
	return NULL;
}

void
versions_write_list(struct json_w *w, const struct mt_app *a)
{
	json_obj_begin(w);
	json_key(w, "versions");
	json_arr_begin(w);
	for (size_t i = a->nversions; i > 0; i--)
		json_str(w, a->versions[i - 1].version);
	json_arr_end(w);
	json_obj_end(w);
}

void
versions_write_store(struct json_w *w, const struct mt_app *a)
{
	json_arr_begin(w);
	for (size_t i = 0; i < a->nversions; i++) {
		json_obj_begin(w);
		json_kstr(w, "version", a->versions[i].version);
		json_key(w, "app");
		json_raw(w, a->versions[i].json);
		json_obj_end(w);
	}
	json_arr_end(w);
}

void
versions_load_store(struct mt_app *a, const struct json *j)
{
	struct json_w w;
	struct buf b;

	for (size_t i = 0; j != NULL && j->type == JSON_ARRAY && i < j->n; i++) {
		const char *v = json_get_str(j->items[i], "version");
		const struct json *app = json_get(j->items[i], "app");

		if (v == NULL || app == NULL || app->type != JSON_OBJECT || strlen(v) >= MT_VERSION_MAX)
			continue;
		buf_init(&b, 0);
		json_w_init(&w, &b);
		json_write(&w, app);
		append(a, v, buf_detach(&b));
	}
}
