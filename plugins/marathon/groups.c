/*
 * groups.c: Marathon's groups (its documentation, "Application Groups"
 * and the REST API's /v2/groups): a group is a path holding apps and
 * groups. Here a group is what its apps' ids imply (every prefix of an
 * app id), so the tree is derived from the apps on each request and never
 * disagrees with them; a group posted empty is remembered while the
 * plugin runs. Also: bulk PUT/PATCH /v2/apps, and `dependencies`: an app
 * whose dependencies (apps, or every app of a group) are not all running
 * and healthy is not launched yet, so a group deploys in dependency order.
 * Each change through /v2/groups records the definition of the group it
 * changed and of every group above it as a version (gversions.c keeps
 * them); a PUT of {"version": V} rolls a group back to one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "http.h"
#include "json.h"
#include "xmem.h"

#define GROUP_APPS_MAX 10000          /* apps one request may define */
#define GROUP_DEPTH_MAX 32            /* nesting of groups in one request */
#define SCALE_BY_MAX 1000.0           /* a group's scaleBy: instances stay countable */
#define GROUP_DEFINITION 0x100        /* write_group: apps as definitions (a version's form) */
#define VERSIONS_PART "/versions"     /* .../versions[/VERSION] after a group's path */

/* Whether app id lies in group gid ("/" holds every app). */
static int
in_group(const char *id, const char *gid)
{
	size_t n = strlen(gid);

	if (strcmp(gid, "/") == 0)
		return 1;
	return strncmp(id, gid, n) == 0 && id[n] == '/';
}

/* path resolved against base (a group path): "../x", "./x", "x" and "/x". */
static void
resolve(const char *base, const char *path, char *out, size_t len)
{
	char tmp[2 * MT_ID_MAX + 2];
	char *parts[MT_ID_MAX], *save = NULL, *p;
	size_t np = 0, o = 0;

	if (path[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", path);
	else
		snprintf(tmp, sizeof(tmp), "%s/%s", base, path);
	for (p = strtok_r(tmp, "/", &save); p != NULL && np < MT_ID_MAX; p = strtok_r(NULL, "/", &save)) {
		if (strcmp(p, "..") == 0)
			np -= np > 0;
		else if (strcmp(p, ".") != 0)
			parts[np++] = p;
	}
	out[0] = '\0';
	for (size_t i = 0; i < np; i++)
		o += (size_t)snprintf(out + o, o < len ? len - o : 0, "/%s", parts[i]);
	if (np == 0)
		snprintf(out, len, "/");
}

/* The group holding app id: "/a/b/c" -> "/a/b", "/c" -> "/". */
static void
parent_of(const char *id, char *out, size_t len)
{
	const char *slash = strrchr(id, '/');

	if (slash == NULL || slash == id)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - id), id);
}

/* ---- dependencies ---- */

/* Every instance of a runs its current config (and passes its checks), no deployment pending. */
static int
app_ready(const struct mt_app *a)
{
	long long ok = 0;

	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next)
		ok += !t->killing && !t->outdated && app_task_healthy(a, t);
	return ok >= a->instances;
}

/* Whether every app at path dep (an app, or all of a group), a itself aside, is ready. */
static int
dep_ready(struct mt *m, const struct mt_app *a, const char *dep)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		const struct mt_app *o = v;

		if (o != a && (strcmp(o->id, dep) == 0 || in_group(o->id, dep)) && !app_ready(o))
			return 0;
	}
	return 1;
}

/* The dependencies of group gid (JSON text, relative to gid itself) all ready. */
static int
group_deps_ready(struct mt *m, const struct mt_app *a, const char *gid)
{
	const char *text = map_get(&m->groups, gid);
	char err[MT_ERR_MAX], dep[MT_ID_MAX + 1];
	struct json *deps;
	int ok = 1;

	if (text == NULL || strcmp(text, "[]") == 0)
		return 1;
	deps = json_parse(text, strlen(text), err, sizeof(err));
	for (size_t i = 0; deps != NULL && i < deps->n && ok; i++)
		if (deps->items[i]->type == JSON_STRING) {
			resolve(gid, deps->items[i]->string, dep, sizeof(dep));
			ok = dep_ready(m, a, dep);
		}
	json_free(deps);
	return ok;
}

int
groups_deps_ready(struct mt *m, const struct mt_app *a)
{
	char base[MT_ID_MAX + 1], dep[MT_ID_MAX + 1];

	parent_of(a->id, base, sizeof(base));
	for (size_t d = 0; d < a->ndeps; d++) {
		resolve(base, a->deps[d], dep, sizeof(dep));
		if (!dep_ready(m, a, dep))
			return 0;
	}
	/* A group's dependencies hold for every app under it (Marathon's "inherited"). */
	while (map_len(&m->groups) > 0) {
		if (!group_deps_ready(m, a, base))
			return 0;
		if (strcmp(base, "/") == 0)
			break;
		parent_of(base, dep, sizeof(dep));
		snprintf(base, sizeof(base), "%s", dep);
	}
	return 1;
}

void
groups_wake(struct mt *m)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		struct mt_app *a = v;

		if ((a->ndeps > 0 || map_len(&m->groups) > 0) && queue_room(a) > 0 &&
		    groups_deps_ready(m, a)) {
			m->d->revive(m->d);
			return;
		}
	}
}

/* ---- the tree, as GET shows it ---- */

/* Whether group gid exists: an app in it, or posted empty. */
static int
group_exists(struct mt *m, const char *gid)
{
	const char *k;
	void *v;

	if (strcmp(gid, "/") == 0 || map_get(&m->groups, gid) != NULL)
		return 1;
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);)
		if (in_group(((struct mt_app *)v)->id, gid))
			return 1;
	for (size_t i = 0; map_next(&m->groups, &i, &k, &v);)
		if (in_group(k, gid))
			return 1;
	return 0;
}

/* The direct subgroup of gid that holds id ("/a" + "/a/b/c" -> "/a/b"), 0 when id is a direct child. */
static int
subgroup_of(const char *gid, const char *id, char *out, size_t len)
{
	size_t skip = strcmp(gid, "/") == 0 ? 0 : strlen(gid);
	const char *rest = id + skip + 1, *slash = strchr(rest, '/');

	if (slash == NULL)
		return 0;
	snprintf(out, len, "%.*s", (int)(slash - id), id);
	return 1;
}

/* Add s to the set (an array of owned strings) unless there. */
static void
set_add(char ***set, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*set)[i], s) == 0)
			return;
	*set = xrealloc(*set, (*n + 1) * sizeof(**set));
	(*set)[(*n)++] = xstrdup(s);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* gid's tree; version NULL: its newest app's. GROUP_DEFINITION in flags: as posted. */
static void
write_group(struct json_w *w, struct mt *m, const char *gid, int flags, int depth,
            const char *version)
{
	char sub[MT_ID_MAX + 1], newest[MT_VERSION_MAX] = "";
	char **subs = NULL;
	size_t nsubs = 0;
	const char *k, *deps;
	void *v;

	json_obj_begin(w);
	json_kstr(w, "id", gid);
	json_key(w, "apps");
	json_arr_begin(w);
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		const struct mt_app *a = v;

		if (!in_group(a->id, gid))
			continue;
		if (strcmp(a->version, newest) > 0)
			snprintf(newest, sizeof(newest), "%s", a->version);
		if (subgroup_of(gid, a->id, sub, sizeof(sub)))
			set_add(&subs, &nsubs, sub);
		else if (flags & GROUP_DEFINITION) {
			json_obj_begin(w);
			app_write_fields(w, a);
			json_obj_end(w);
		} else
			view_app(w, a, flags);
	}
	json_arr_end(w);
	for (size_t i = 0; map_next(&m->groups, &i, &k, &v);)
		if (in_group(k, gid)) {
			if (subgroup_of(gid, k, sub, sizeof(sub)))
				set_add(&subs, &nsubs, sub);
			else
				set_add(&subs, &nsubs, k);
		}
	if (nsubs > 1)
		qsort(subs, nsubs, sizeof(*subs), cmp_str);
	json_key(w, "groups");
	json_arr_begin(w);
	for (size_t i = 0; i < nsubs; i++) {
		if (depth < GROUP_DEPTH_MAX)
			write_group(w, m, subs[i], flags, depth + 1, NULL);
		free(subs[i]);
	}
	json_arr_end(w);
	free(subs);
	json_key(w, "pods");
	json_arr_begin(w);
	json_arr_end(w);
	deps = map_get(&m->groups, gid);
	json_key(w, "dependencies");
	json_raw(w, deps != NULL ? deps : "[]");
	if (newest[0] == '\0')
		app_version_now(newest, sizeof(newest));
	json_kstr(w, "version", version != NULL ? version : newest);
	json_obj_end(w);
}

/* group.apps.tasks and friends: the apps' embeds, as Marathon's GroupInfo resolves them. */
static int
group_embed(struct http_exchange *x)
{
	int flags = 0;

	if (http_query_has(x, "embed", "group.apps.tasks"))
		flags |= VIEW_TASKS;
	if (http_query_has(x, "embed", "group.apps.lastTaskFailure"))
		flags |= VIEW_FAILURE;
	if (http_query_has(x, "embed", "group.apps.taskStats"))
		flags |= VIEW_STATS;
	return flags;
}

static void
not_found(struct http_exchange *x, const char *gid)
{
	char msg[MT_ID_MAX + 64];

	snprintf(msg, sizeof(msg), "Group '%s' does not exist", gid);
	http_reply_error(x, 404, msg);
}

/* ---- changes ---- */

/* After a change to gid at version: the definitions of gid and the groups above it, kept. */
static void
record_versions(struct mt *m, const char *gid, const char *version)
{
	char g[MT_ID_MAX + 1], up[MT_ID_MAX + 1];
	struct json_w w;
	struct buf b;

	snprintf(g, sizeof(g), "%s", gid);
	for (;;) {
		if (group_exists(m, g)) {
			buf_init(&b, 0);
			json_w_init(&w, &b);
			write_group(&w, m, g, GROUP_DEFINITION, 0, version);
			gversions_add(m, g, version, buf_detach(&b));
		}
		if (strcmp(g, "/") == 0)
			return;
		parent_of(g, up, sizeof(up));
		snprintf(g, sizeof(g), "%s", up);
	}
}

/* The apps a change defines, validated whole before any is installed. */
struct plan {
	struct mt_app **apps;
	size_t n;
	char **groups;                  /* groups posted (kept so an empty one shows) */
	char **group_deps;              /* their dependencies as JSON text */
	size_t ngroups;
	int failed;                     /* a reply went out */
};

static void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		app_free(p->apps[i]);
	free(p->apps);
	for (size_t i = 0; i < p->ngroups; i++) {
		free(p->groups[i]);
		free(p->group_deps[i]);
	}
	free(p->groups);
	free(p->group_deps);
	memset(p, 0, sizeof(*p));
}

/* One app of a group body: its id made absolute under gid, then validated. */
static void
plan_app(struct http_exchange *x, struct plan *p, const char *gid, const struct json *j)
{
	char id[MT_ID_MAX + 1];
	const char *given = json_get_str(j, "id");
	struct json_w w;
	struct buf b;
	struct mt_app *a;
	struct json *copy;
	char err[MT_ERR_MAX], *text;

	if (j->type != JSON_OBJECT || given == NULL) {
		http_reply_error(x, 422, "each app of a group needs an id");
		p->failed = 1;
		return;
	}
	resolve(gid, given, id, sizeof(id));
	/* The app as if posted alone with its absolute id. */
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "id", id);
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->keys[i], "id") != 0) {
			json_key(&w, j->keys[i]);
			json_write(&w, j->items[i]);
		}
	json_obj_end(&w);
	text = buf_detach(&b);
	copy = json_parse(text, strlen(text), err, sizeof(err));
	free(text);
	a = copy != NULL ? rest_app_or_reply(x, copy) : NULL;
	json_free(copy);
	if (a == NULL) {
		p->failed = 1;
		return;
	}
	p->apps = xrealloc(p->apps, (p->n + 1) * sizeof(*p->apps));
	p->apps[p->n++] = a;
}

/* A group body: its apps and groups, recursively, under gid. */
static void
plan_group(struct http_exchange *x, struct plan *p, const char *gid, const struct json *j,
           int depth)
{
	const struct json *apps = json_get(j, "apps"), *groups = json_get(j, "groups");
	const struct json *deps = json_get(j, "dependencies");
	struct json_w w;
	struct buf b;

	if (depth > GROUP_DEPTH_MAX) {
		http_reply_error(x, 422, "groups nested too deep");
		p->failed = 1;
		return;
	}
	buf_init(&b, 0);
	json_w_init(&w, &b);
	if (deps != NULL && deps->type == JSON_ARRAY)
		json_write(&w, deps);
	else
		json_raw(&w, "[]");
	p->groups = xrealloc(p->groups, (p->ngroups + 1) * sizeof(*p->groups));
	p->group_deps = xrealloc(p->group_deps, (p->ngroups + 1) * sizeof(*p->group_deps));
	p->groups[p->ngroups] = xstrdup(gid);
	p->group_deps[p->ngroups++] = buf_detach(&b);
	for (size_t i = 0; apps != NULL && apps->type == JSON_ARRAY && i < apps->n && !p->failed; i++) {
		if (p->n >= GROUP_APPS_MAX) {
			http_reply_error(x, 422, "too many apps in one request");
			p->failed = 1;
			return;
		}
		plan_app(x, p, gid, apps->items[i]);
	}
	for (size_t i = 0; groups != NULL && groups->type == JSON_ARRAY && i < groups->n && !p->failed;
	     i++) {
		const char *sid = json_get_str(groups->items[i], "id");
		char sub[MT_ID_MAX + 1];

		if (sid == NULL) {
			http_reply_error(x, 422, "each group needs an id");
			p->failed = 1;
			return;
		}
		resolve(gid, sid, sub, sizeof(sub));
		plan_group(x, p, sub, groups->items[i], depth + 1);
	}
}

/* Install every planned app (p->apps taken over) and remember the groups; the first deployment. */
static void
plan_apply(struct mt *m, struct plan *p, char *dep, char *version)
{
	dep[0] = '\0';
	app_version_now(version, MT_VERSION_MAX);
	/* Launches wait for offers, which come after this returns and saves: still saved first. */
	m->saves_deferred = 1;
	for (size_t i = 0; i < p->ngroups; i++) {
		char *old = map_get(&m->groups, p->groups[i]);

		free(old);
		map_put(&m->groups, p->groups[i], p->group_deps[i]);
		p->group_deps[i] = NULL;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct mt_app *old = map_get(&m->apps, p->apps[i]->id);
		char d[MT_UUID_MAX];

		rest_install(m, p->apps[i], old, 0, "overridden by a group change", d);
		if (dep[0] == '\0') {
			snprintf(dep, MT_UUID_MAX, "%s", d);
			snprintf(version, MT_VERSION_MAX, "%s", p->apps[i]->version);
		}
	}
	m->saves_deferred = 0;
	p->n = 0;
}

/* A deployment id for a change that deployed nothing (an empty group). */
static void
empty_deployment(char *dep)
{
	snprintf(dep, MT_UUID_MAX, "00000000-0000-0000-0000-000000000000");
}

/* 1 (409 sent) when an app of the plan, or one in gid, is locked without ?force. */
static int
any_locked(struct http_exchange *x, struct mt *m, const struct plan *p, const char *gid)
{
	const char *k;
	void *v;

	for (size_t i = 0; i < p->n; i++)
		if (rest_locked(x, map_get(&m->apps, p->apps[i]->id)))
			return 1;
	for (size_t i = 0; gid != NULL && map_next(&m->apps, &i, &k, &v);)
		if (in_group(((struct mt_app *)v)->id, gid) && rest_locked(x, v))
			return 1;
	return 0;
}

/* Delete every app in gid not in keep (NULL: all), and the empty groups posted under it. */
static void
remove_apps(struct mt *m, const char *gid, const struct plan *keep, int whole)
{
	char **ids = NULL, dep[MT_UUID_MAX], version[MT_VERSION_MAX];
	size_t n = 0;
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		const struct mt_app *a = v;
		int kept = 0;

		if (!in_group(a->id, gid))
			continue;
		for (size_t j = 0; keep != NULL && j < keep->n && !kept; j++)
			kept = strcmp(keep->apps[j]->id, a->id) == 0;
		if (!kept)
			set_add(&ids, &n, a->id);
	}
	m->saves_deferred = 1;
	for (size_t i = 0; i < n; i++) {
		struct mt_app *a = map_get(&m->apps, ids[i]);

		if (a != NULL)
			rest_remove(m, a, dep, version);
		free(ids[i]);
	}
	m->saves_deferred = 0;
	free(ids);
	ids = NULL;
	n = 0;
	for (size_t i = 0; map_next(&m->groups, &i, &k, &v);)
		if ((whole && strcmp(k, gid) == 0) || in_group(k, gid))
			set_add(&ids, &n, k);
	for (size_t i = 0; i < n; i++) {
		free(map_del(&m->groups, ids[i]));
		free(ids[i]);
	}
	free(ids);
}

static void
group_create(struct http_exchange *x, struct mt *m, const char *base)
{
	struct json *j = pc_rest_body(x);
	struct plan p;
	char gid[MT_ID_MAX + 1], dep[MT_UUID_MAX], version[MT_VERSION_MAX], msg[MT_ID_MAX + 96];
	const char *id;

	if (j == NULL)
		return;
	memset(&p, 0, sizeof(p));
	id = json_get_str(j, "id");
	if (j->type != JSON_OBJECT || id == NULL) {
		json_free(j);
		http_reply_error(x, 422, "a group needs an id");
		return;
	}
	resolve(base, id, gid, sizeof(gid));
	if (strcmp(gid, "/") != 0 && group_exists(m, gid)) {
		snprintf(msg, sizeof(msg), "Group %s is already created. Use PUT to change this group.",
		         gid);
		json_free(j);
		http_reply_error(x, 409, msg);
		return;
	}
	plan_group(x, &p, gid, j, 0);
	json_free(j);
	for (size_t i = 0; !p.failed && i < p.n; i++)
		if (map_get(&m->apps, p.apps[i]->id) != NULL) {
			snprintf(msg, sizeof(msg), "An app with id [%s] already exists.", p.apps[i]->id);
			http_reply_error(x, 409, msg);
			p.failed = 1;
		}
	if (!p.failed) {
		plan_apply(m, &p, dep, version);
		if (dep[0] == '\0')
			empty_deployment(dep);
		record_versions(m, gid, version);
		rest_save(m);
		rest_deployment_reply(x, 201, dep, version);
	}
	plan_free(&p);
}

/* scaleBy: every app of gid at ceil(instances * factor), as Marathon's GroupManager does. */
static void
group_scale(struct http_exchange *x, struct mt *m, const char *gid, double factor)
{
	char dep[MT_UUID_MAX] = "", version[MT_VERSION_MAX], **ids = NULL, err[MT_ERR_MAX];
	size_t n = 0;
	const char *k;
	void *v;

	app_version_now(version, sizeof(version));
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);)
		if (in_group(((struct mt_app *)v)->id, gid))
			set_add(&ids, &n, k);
	m->saves_deferred = 1;
	for (size_t i = 0; i < n; i++) {
		struct mt_app *old = map_get(&m->apps, ids[i]), *a;
		char *text = app_json_text(old);
		struct json *j = json_parse(text, strlen(text), err, sizeof(err));
		char d[MT_UUID_MAX];
		int status = 0;
		struct json_w w;
		struct buf b;

		buf_init(&b, 0);
		json_w_init(&w, &b);
		a = j != NULL ? app_from_json(j, 0, &w, &status) : NULL;
		buf_free(&b);
		json_free(j);
		free(text);
		if (a != NULL) {
			double want = (double)old->instances * factor;

			a->instances = (long long)want;
			a->instances += (double)a->instances < want;     /* rounded up */
			rest_install(m, a, old, 0, "overridden by a group scale", d);
			if (dep[0] == '\0')
				snprintf(dep, sizeof(dep), "%s", d);
		}
		free(ids[i]);
	}
	m->saves_deferred = 0;
	free(ids);
	if (dep[0] == '\0')
		empty_deployment(dep);
	record_versions(m, gid, version);
	rest_save(m);
	rest_deployment_reply(x, 200, dep, version);
}

static void
group_update(struct http_exchange *x, struct mt *m, const char *gid)
{
	struct json *j = pc_rest_body(x);
	const struct json *scale;
	struct plan p;
	char dep[MT_UUID_MAX], version[MT_VERSION_MAX], msg[MT_ID_MAX + MT_VERSION_MAX + 64];
	const char *back, *def;
	int existed = group_exists(m, gid);

	if (j == NULL)
		return;
	memset(&p, 0, sizeof(p));
	if (j->type != JSON_OBJECT) {
		json_free(j);
		http_reply_error(x, 400, "Invalid JSON");
		return;
	}
	if (any_locked(x, m, &p, gid)) {
		json_free(j);
		return;
	}
	if ((back = json_get_str(j, "version")) != NULL) {
		/* A rollback (Marathon's GroupUpdate.version): the body is the group as it was. */
		if ((def = gversions_get(m, gid, back)) == NULL) {
			snprintf(msg, sizeof(msg), "Group '%s' does not exist in version '%s'", gid, back);
			json_free(j);
			http_reply_error(x, 404, msg);
			return;
		}
		json_free(j);
		j = json_parse(def, strlen(def), msg, sizeof(msg));
		if (j == NULL) {
			http_reply_error(x, 500, msg);
			return;
		}
	}
	scale = json_get(j, "scaleBy");
	if (scale != NULL && scale->type == JSON_NUMBER) {
		double factor = scale->number;

		json_free(j);
		if (!existed)
			not_found(x, gid);
		else if (factor < 0 || factor > SCALE_BY_MAX)
			http_reply_error(x, 422, "scaleBy must be between 0 and 1000");
		else
			group_scale(x, m, gid, factor);
		return;
	}
	plan_group(x, &p, gid, j, 0);
	if (!p.failed && any_locked(x, m, &p, NULL))
		p.failed = 1;
	if (!p.failed) {
		/* The body is the group's definition: apps it no longer names go, with their tasks. */
		if (json_get(j, "apps") != NULL || json_get(j, "groups") != NULL)
			remove_apps(m, gid, &p, 0);
		plan_apply(m, &p, dep, version);
		if (dep[0] == '\0')
			empty_deployment(dep);
		record_versions(m, gid, version);
		rest_save(m);
		rest_deployment_reply(x, existed ? 200 : 201, dep, version);
	}
	json_free(j);
	plan_free(&p);
}

static void
group_delete(struct http_exchange *x, struct mt *m, const char *gid)
{
	struct plan none;
	char dep[MT_UUID_MAX], version[MT_VERSION_MAX];

	memset(&none, 0, sizeof(none));
	if (!group_exists(m, gid)) {
		not_found(x, gid);
		return;
	}
	if (any_locked(x, m, &none, gid))
		return;
	remove_apps(m, gid, NULL, 1);
	app_version_now(version, sizeof(version));
	empty_deployment(dep);
	gversions_forget(m, gid);
	record_versions(m, gid, version);
	rest_save(m);
	rest_deployment_reply(x, 200, dep, version);
}

void
groups_route(struct http_exchange *x, struct mt *m, const char *rest, const char *method)
{
	char path[MT_ID_MAX + 1], gid[MT_ID_MAX + 1], *at, *slash;
	const char *version = NULL;
	size_t len = strlen(rest), vlen = strlen(VERSIONS_PART);
	int versions = 0;

	while (len > 0 && rest[len - 1] == '/')
		len--;
	if (len > MT_ID_MAX) {
		http_reply_error(x, 404, "no such group path");
		return;
	}
	snprintf(path, sizeof(path), "%.*s", (int)len, rest);
	/* ID/versions or ID/versions/VERSION ("versions" never ends a group's id; a version has no '/'). */
	slash = strrchr(path, '/');
	at = slash != NULL && (size_t)(slash - path) >= vlen ? slash - vlen : NULL;
	if (at != NULL && strncmp(at, VERSIONS_PART, vlen) == 0) {
		versions = 1;
		version = slash + 1;
		*at = '\0';
	} else if (len >= vlen && strcmp(path + len - vlen, VERSIONS_PART) == 0) {
		versions = 1;
		path[len - vlen] = '\0';
	}
	resolve("/", path, gid, sizeof(gid));
	if (strcmp(method, "GET") == 0) {
		struct json_w w;
		struct buf b;

		if (!group_exists(m, gid)) {
			not_found(x, gid);
			return;
		}
		buf_init(&b, 0);
		json_w_init(&w, &b);
		if (versions) {
			buf_free(&b);
			gversions_reply(x, m, gid, version);
			return;
		}
		write_group(&w, m, gid, group_embed(x), 0, NULL);
		pc_rest_reply(x, 200, &b);
	} else if (versions) {
		http_reply_error(x, 405, "method not allowed");
	} else if (strcmp(method, "POST") == 0) {
		group_create(x, m, gid);
	} else if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
		group_update(x, m, gid);
	} else if (strcmp(method, "DELETE") == 0) {
		group_delete(x, m, gid);
	} else {
		http_reply_error(x, 405, "method not allowed");
	}
}

void
groups_apps_bulk(struct http_exchange *x, struct mt *m, int patch)
{
	struct json *j = pc_rest_body(x);
	struct plan p;
	char dep[MT_UUID_MAX], version[MT_VERSION_MAX], err[MT_ERR_MAX];

	if (j == NULL)
		return;
	memset(&p, 0, sizeof(p));
	if (j->type != JSON_ARRAY || j->n > GROUP_APPS_MAX) {
		json_free(j);
		http_reply_error(x, 400, "Invalid JSON: expected an array of apps");
		return;
	}
	for (size_t i = 0; i < j->n && !p.failed; i++) {
		const char *given = json_get_str(j->items[i], "id");
		char id[MT_ID_MAX + 1], *text;
		struct mt_app *old, *a;
		struct json *merged;

		if (given == NULL) {
			http_reply_error(x, 422, "each app needs an id");
			p.failed = 1;
			break;
		}
		resolve("/", given, id, sizeof(id));
		old = map_get(&m->apps, id);
		if (patch && old == NULL) {
			snprintf(err, sizeof(err), "App '%s' does not exist", id);
			http_reply_error(x, 404, err);
			p.failed = 1;
			break;
		}
		/* As PUT /v2/apps/ID does: merged over the app (PUT: unless ?partialUpdate=false). */
		text = app_merge(old, id, j->items[i], patch || !http_query_has(x, "partialUpdate",
		                 "false"), err, sizeof(err));
		merged = text != NULL ? json_parse(text, strlen(text), err, sizeof(err)) : NULL;
		free(text);
		a = merged != NULL ? rest_app_or_reply(x, merged) : NULL;
		if (merged == NULL)
			http_reply_error(x, 400, "Invalid JSON");
		json_free(merged);
		if (a == NULL) {
			p.failed = 1;
			break;
		}
		p.apps = xrealloc(p.apps, (p.n + 1) * sizeof(*p.apps));
		p.apps[p.n++] = a;
	}
	json_free(j);
	if (!p.failed && !any_locked(x, m, &p, NULL)) {
		plan_apply(m, &p, dep, version);
		if (dep[0] == '\0')
			empty_deployment(dep);
		rest_save(m);
		rest_deployment_reply(x, 200, dep, version);
	}
	plan_free(&p);
}
