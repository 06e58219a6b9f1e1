/*
 * gversions.c: each group's stored versions, as Marathon keeps them
 * (GET /v2/groups/{id}/versions, .../versions/{version}, and PUT of
 * {"version": V} rolling a group back). A version is the group's
 * definition (its apps' definitions, its groups, its dependencies) as JSON
 * text, recorded by groups.c after each change made through /v2/groups for
 * the group changed and every group above it, up to the root. At most
 * MT_VERSIONS_MAX per group, oldest dropped first, as for apps.
 *
 * Each version is one journal record of its own ("gversion PATH VERSION"),
 * so recording one writes that record (and deletes the oldest), never the
 * group's whole history; store.c's next save commits them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "http.h"
#include "json.h"
#include "xmem.h"

#define KEY_GVERSION "gversion "      /* journal key: the kind, then "PATH VERSION" */

struct gv_list {
	struct mt_version v[MT_VERSIONS_MAX];   /* oldest first */
	size_t n;
};

static void
journal_key(char *out, size_t len, const char *gid, const char *version)
{
	snprintf(out, len, "%s%s %s", KEY_GVERSION, gid, version);
}

/* Add (version, json) to gid's list (json taken); persist: also as a journal record. */
static void
add(struct mt *m, const char *gid, const char *version, char *json, int persist)
{
	struct gv_list *l = map_get(&m->gversions, gid);
	char key[sizeof(KEY_GVERSION) + MT_ID_MAX + MT_VERSION_MAX + 2];

	if (l == NULL) {
		l = xcalloc(1, sizeof(*l));
		map_put(&m->gversions, gid, l);
	}
	if (persist && m->journal != NULL) {
		journal_key(key, sizeof(key), gid, version);
		pc_journal_put(m->journal, key, json, strlen(json));
	}
	if (l->n > 0 && strcmp(l->v[l->n - 1].version, version) == 0) {
		/* Two changes within one millisecond: the later one is that version. */
		free(l->v[l->n - 1].json);
		l->v[l->n - 1].json = json;
		return;
	}
	if (l->n == MT_VERSIONS_MAX) {
		if (persist && m->journal != NULL) {
			journal_key(key, sizeof(key), gid, l->v[0].version);
			pc_journal_del(m->journal, key);
		}
		free(l->v[0].json);
		memmove(l->v, l->v + 1, (l->n - 1) * sizeof(*l->v));
		l->n--;
	}
	snprintf(l->v[l->n].version, MT_VERSION_MAX, "%s", version);
	l->v[l->n++].json = json;
}

void
gversions_add(struct mt *m, const char *gid, const char *version, char *json)
{
	add(m, gid, version, json, 1);
}

const char *
gversions_get(struct mt *m, const char *gid, const char *version)
{
	const struct gv_list *l = map_get(&m->gversions, gid);

	for (size_t i = 0; l != NULL && i < l->n; i++)
		if (strcmp(l->v[i].version, version) == 0)
			return l->v[i].json;
	return NULL;
}

void
gversions_reply(struct http_exchange *x, struct mt *m, const char *gid, const char *version)
{
	const struct gv_list *l = map_get(&m->gversions, gid);
	const char *def;
	char msg[MT_ID_MAX + MT_VERSION_MAX + 64];
	struct json_w w;
	struct buf b;

	buf_init(&b, 0);
	if (version == NULL) {
		/* Newest first, as Marathon lists them. */
		json_w_init(&w, &b);
		json_arr_begin(&w);
		for (size_t i = l != NULL ? l->n : 0; i > 0; i--)
			json_str(&w, l->v[i - 1].version);
		json_arr_end(&w);
		pc_rest_reply(x, 200, &b);
		return;
	}
	if ((def = gversions_get(m, gid, version)) == NULL) {
		buf_free(&b);
		snprintf(msg, sizeof(msg), "Group '%s' does not exist in version '%s'", gid, version);
		http_reply_error(x, 404, msg);
		return;
	}
	buf_fill(&b, def, strlen(def));
	pc_rest_reply(x, 200, &b);
}

/* Whether path is gid or lies under it. */
static int
at_or_under(const char *path, const char *gid)
{
	size_t n = strlen(gid);

	if (strcmp(gid, "/") == 0)
		return 1;
	return strncmp(path, gid, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void
list_free(struct mt *m, const char *gid, struct gv_list *l)
{
	char key[sizeof(KEY_GVERSION) + MT_ID_MAX + MT_VERSION_MAX + 2];

	for (size_t i = 0; i < l->n; i++) {
		if (m != NULL && m->journal != NULL) {
			journal_key(key, sizeof(key), gid, l->v[i].version);
			pc_journal_del(m->journal, key);
		}
		free(l->v[i].json);
	}
	free(l);
}

void
gversions_forget(struct mt *m, const char *gid)
{
	char **gone = NULL;
	size_t n = 0;
	const char *k;
	void *v;

	/* The root's versions stay: they are how a deleted group comes back. */
	for (size_t i = 0; map_next(&m->gversions, &i, &k, &v);)
		if (strcmp(k, "/") != 0 && at_or_under(k, gid)) {
			gone = xrealloc(gone, (n + 1) * sizeof(*gone));
			gone[n++] = xstrdup(k);
		}
	for (size_t i = 0; i < n; i++) {
		list_free(m, gone[i], map_del(&m->gversions, gone[i]));
		free(gone[i]);
	}
	free(gone);
}

struct loaded {
	char *key;                      /* "PATH VERSION" */
	const char *json;
};

static int
cmp_loaded(const void *a, const void *b)
{
	return strcmp(((const struct loaded *)a)->key, ((const struct loaded *)b)->key);
}

void
gversions_load(struct mt *m)
{
	struct loaded *all = NULL;
	size_t n = 0, len;
	const char *k, *v;

	for (size_t i = 0; pc_journal_next(m->journal, &i, &k, &v, &len);)
		if (strncmp(k, KEY_GVERSION, strlen(KEY_GVERSION)) == 0 &&
		    strchr(k + strlen(KEY_GVERSION), ' ') != NULL) {
			all = xrealloc(all, (n + 1) * sizeof(*all));
			all[n].key = xstrdup(k + strlen(KEY_GVERSION));
			all[n++].json = v;
		}
	/* Versions are ISO-8601 timestamps: sorted as text, each group's oldest comes first. */
	if (n > 1)
		qsort(all, n, sizeof(*all), cmp_loaded);
	for (size_t i = 0; i < n; i++) {
		char *sp = strrchr(all[i].key, ' ');

		*sp = '\0';
		if (sp - all[i].key <= MT_ID_MAX && strlen(sp + 1) < MT_VERSION_MAX)
			add(m, all[i].key, sp + 1, xstrdup(all[i].json), 0);
		free(all[i].key);
	}
	free(all);
}

size_t
gversions_count(struct mt *m)
{
	const char *k;
	void *v;
	size_t n = 0;

	for (size_t i = 0; map_next(&m->gversions, &i, &k, &v);)
		n += ((struct gv_list *)v)->n;
	return n;
}

void
gversions_free(struct mt *m)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&m->gversions, &i, &k, &v);)
		list_free(NULL, k, v);
	map_free(&m->gversions);
}
