/*
 * store.c: the plugin's state on disk, so a restarted plugin neither loses
 * nor duplicates a task. It lives in STATE_DIR (the conf's state_dir, else
 * the master's WORK_DIR/marathon) as a pc_journal.c journal named
 * "marathon": one key per app ("app ID": its definition), per app's stored
 * versions ("versions ID"), running deployment ("deployment ID"), task
 * ("task ID": app, agent, host, ports, state) and posted group ("group
 * PATH"), each value the JSON the old whole file held, and gversions.c's
 * group versions ("gversion PATH VERSION"). A save brings the
 * journal up to the state in memory and commits what differs: at once
 * before a launch; at the end of the loop turn for a REST change (its
 * reply held until then: pc_commit.c) and for what tasks' updates changed,
 * so all of a turn's changes share one fsync. The old STATE_DIR/marathon.json is loaded
 * once and moved into the journal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "json.h"
#include "xmem.h"

#define STORE_FILE "marathon.json"          /* the whole-file state before the journal */
#define JOURNAL_NAME "marathon"               /* marathon.snap, marathon.journal.G */
/* Journal keys: the kind, then the app's or task's id or the group's path. */
#define KEY_APP "app "
#define KEY_VERSIONS "versions "
#define KEY_DEPLOYMENT "deployment "
#define KEY_TASK "task "
#define KEY_GROUP "group "
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

/* One entity's JSON, in the scratch buf b (reset first). */
static void
put_json(struct mt *m, struct buf *b, const char *kind, const char *id)
{
	char *key = xstrfmt("%s%s", kind, id);

	pc_journal_put(m->journal, key, b->data != NULL ? b->data : "", b->len);
	free(key);
}

/* Is the entity a journal key names still there? */
static int
key_live(struct mt *m, const char *key)
{
	const struct mt_app *a;
	const struct mt_task *t;

	if (strncmp(key, KEY_APP, strlen(KEY_APP)) == 0)
		return map_get(&m->apps, key + strlen(KEY_APP)) != NULL;
	if (strncmp(key, KEY_VERSIONS, strlen(KEY_VERSIONS)) == 0)
		return (a = map_get(&m->apps, key + strlen(KEY_VERSIONS))) != NULL && a->nversions > 0;
	if (strncmp(key, KEY_DEPLOYMENT, strlen(KEY_DEPLOYMENT)) == 0)
		return (a = map_get(&m->apps, key + strlen(KEY_DEPLOYMENT))) != NULL && a->dep != NULL;
	if (strncmp(key, KEY_TASK, strlen(KEY_TASK)) == 0)
		return (t = map_get(&m->tasks, key + strlen(KEY_TASK))) != NULL && t->app != NULL;
	if (strncmp(key, KEY_GROUP, strlen(KEY_GROUP)) == 0)
		return map_get(&m->groups, key + strlen(KEY_GROUP)) != NULL;
	return 1;                       /* a later version's: kept */
}

/*
 * What an app's record was made of. Every change to a definition installs
 * a new app or gives it a new version, so an app with the same address,
 * version, instances and stored versions need not be written out again:
 * a save costs what changed, not every app.
 */
struct staged {
	uintptr_t app;
	char version[MT_VERSION_MAX];
	long long instances;
	size_t nversions;
};

static int
unchanged(struct mt *m, const struct mt_app *a)
{
	struct staged *st = map_get(&m->staged, a->id);

	/* Its record goes with its staged entry (a dead key takes both): no journal lookup. */
	if (st != NULL && st->app == (uintptr_t)a && strcmp(st->version, a->version) == 0 &&
	    st->instances == a->instances && st->nversions == a->nversions)
		return 1;
	if (st == NULL) {
		st = xcalloc(1, sizeof(*st));
		map_put(&m->staged, a->id, st);
	}
	st->app = (uintptr_t)a;
	snprintf(st->version, sizeof(st->version), "%s", a->version);
	st->instances = a->instances;
	st->nversions = a->nversions;
	return 0;
}

/* Bring the journal's keys up to the state in memory: a record for each difference. */
static void
stage(struct mt *m)
{
	struct json_w w;
	struct buf b;
	const char *k;
	void *v;
	const char **dead;
	size_t ndead = 0, live = gversions_count(m);

	buf_init(&b, 0);
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		const struct mt_app *a = v;

		int same = unchanged(m, a);

		live += 1 + (a->nversions > 0) + (a->dep != NULL);
		if (!same) {
			buf_reset(&b);
			json_w_init(&w, &b);
			json_obj_begin(&w);
			app_write_fields(&w, a);
			json_obj_end(&w);
			put_json(m, &b, KEY_APP, a->id);
		}
		if (!same && a->nversions > 0) {
			buf_reset(&b);
			json_w_init(&w, &b);
			json_obj_begin(&w);
			json_kstr(&w, "app", a->id);
			json_key(&w, "versions");
			versions_write_store(&w, a);
			json_obj_end(&w);
			put_json(m, &b, KEY_VERSIONS, a->id);
		}
		if (a->dep != NULL) {
			buf_reset(&b);
			json_w_init(&w, &b);
			deployments_write(&w, a);
			put_json(m, &b, KEY_DEPLOYMENT, a->id);
		}
	}
	for (size_t i = 0; map_next(&m->tasks, &i, &k, &v);) {
		if (((struct mt_task *)v)->app == NULL)
			continue;
		live++;
		buf_reset(&b);
		json_w_init(&w, &b);
		write_task(&w, v);
		put_json(m, &b, KEY_TASK, k);
	}
	for (size_t i = 0; map_next(&m->groups, &i, &k, &v);) {
		buf_reset(&b);
		buf_fill(&b, v, strlen(v));
		put_json(m, &b, KEY_GROUP, k);
		live++;
	}
	buf_free(&b);
	/* Every live entity has its key now: as many keys as entities, none is dead. */
	if (pc_journal_len(m->journal) == live)
		return;
	/* Collected first: deleting changes the map being walked. */
	dead = xcalloc(pc_journal_len(m->journal) + 1, sizeof(*dead));
	for (size_t i = 0; pc_journal_next(m->journal, &i, &k, (const char **)&v, &(size_t){ 0 });)
		if (!key_live(m, k))
			dead[ndead++] = xstrdup(k);
	for (size_t i = 0; i < ndead; i++) {
		if (strncmp(dead[i], KEY_APP, strlen(KEY_APP)) == 0)
			free(map_del(&m->staged, dead[i] + strlen(KEY_APP)));
		pc_journal_del(m->journal, dead[i]);
		free((char *)dead[i]);
	}
	free(dead);
}

int
store_save(struct mt *m, char *err, size_t errlen)
{
	if (m->journal == NULL)
		return 0;
	if (m->save_timer != 0) {
		m->d->timer_cancel(m->d, m->save_timer);
		m->save_timer = 0;
	}
	stage(m);
	return pc_journal_commit(m->journal, err, errlen);
}

static void
save_due(struct framework_driver *d, void *arg)
{
	struct mt *m = arg;
	char err[MT_ERR_MAX];

	(void)d;
	m->save_timer = 0;
	if (store_save(m, err, sizeof(err)) == -1)
		m->d->log(m->d, FRAMEWORK_LOG_ERROR, "cannot save state: %s", err);
}

void
store_stage(struct mt *m)
{
	if (m->journal != NULL)
		pc_commit_soon();
}

/* pc_commit.c's save at the end of a loop turn. */
static int
commit_save(void *arg, char *err, size_t errlen)
{
	return store_save(arg, err, errlen);
}

void
store_save_soon(struct mt *m)
{
	if (m->journal != NULL && m->save_timer == 0)
		m->save_timer = m->d->timer_add(m->d, 0, save_due, m);
}

void
store_close(struct mt *m)
{
	char err[MT_ERR_MAX];
	const char *k;
	void *v;

	if (m->journal == NULL)
		return;
	if (m->save_timer != 0 && store_save(m, err, sizeof(err)) == -1)
		m->d->log(m->d, FRAMEWORK_LOG_ERROR, "cannot save state: %s", err);
	pc_commit_with(m->d, NULL, NULL, NULL);
	pc_journal_close(m->journal);
	m->journal = NULL;
	for (size_t i = 0; map_next(&m->staged, &i, &k, &v);)
		free(v);
	map_free(&m->staged);
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

/* Everything in j (the old file's shape): apps, tasks, versions, deployments. */
static void
load_json(struct mt *m, const struct json *j, const char *path)
{
	struct buf details;
	struct json_w dw;
	const struct json *apps, *tasks, *versions, *deps;
	size_t ndeps = 0;
	int status;

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
}

/* The journal's records of one kind as a JSON array: "[v1,v2,...]". */
static void
gather(struct mt *m, struct buf *b, const char *kind)
{
	const char *k, *v;
	size_t len, n = 0;

	buf_putc(b, '[');
	for (size_t i = 0; pc_journal_next(m->journal, &i, &k, &v, &len);)
		if (strncmp(k, kind, strlen(kind)) == 0) {
			if (n++ > 0)
				buf_putc(b, ',');
			buf_fill(b, v, len);
		}
	buf_putc(b, ']');
}

/* Today's whole-file state (STORE_FILE), loaded once and moved into the journal. */
static int
migrate(struct mt *m, char *err, size_t errlen)
{
	struct buf b;
	struct json *j;
	char *path = xstrfmt("%s/%s", m->state_dir, STORE_FILE), perr[MT_ERR_MAX];
	int rc;

	buf_init(&b, STORE_BYTES_MAX);
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
	load_json(m, j, path);
	json_free(j);
	rc = store_save(m, err, errlen);
	if (rc == 0) {
		m->d->log(m->d, FRAMEWORK_LOG_INFO, "%s moved into the journal", path);
		rc = pc_store_remove(m->state_dir, STORE_FILE, err, errlen);
	}
	free(path);
	return rc;
}

int
store_load(struct mt *m, char *err, size_t errlen)
{
	struct buf b;
	struct json *j;
	const char *k, *v;
	size_t len;
	char perr[MT_ERR_MAX];

	if (m->state_dir == NULL)
		return 0;
	m->journal = pc_journal_open(m->state_dir, JOURNAL_NAME, err, errlen);
	if (m->journal == NULL)
		return -1;
	pc_commit_with(m->d, m->journal, commit_save, m);
	if (pc_journal_len(m->journal) == 0)
		return migrate(m, err, errlen);
	for (size_t i = 0; pc_journal_next(m->journal, &i, &k, &v, &len);)
		if (strncmp(k, KEY_GROUP, strlen(KEY_GROUP)) == 0)
			free(map_put(&m->groups, k + strlen(KEY_GROUP), xstrdup(v)));
	gversions_load(m);
	buf_init(&b, 0);
	buf_fill(&b, "{\"apps\":", strlen("{\"apps\":"));
	gather(m, &b, KEY_APP);
	buf_fill(&b, ",\"versions\":", strlen(",\"versions\":"));
	gather(m, &b, KEY_VERSIONS);
	buf_fill(&b, ",\"deployments\":", strlen(",\"deployments\":"));
	gather(m, &b, KEY_DEPLOYMENT);
	buf_fill(&b, ",\"tasks\":", strlen(",\"tasks\":"));
	gather(m, &b, KEY_TASK);
	buf_putc(&b, '}');
	j = json_parse(b.data, b.len, perr, sizeof(perr));
	buf_free(&b);
	if (j == NULL) {
		snprintf(err, errlen, "%s/%s: %s", m->state_dir, JOURNAL_NAME, perr);
		return -1;
	}
	load_json(m, j, m->state_dir);
	json_free(j);
	return 0;
}
