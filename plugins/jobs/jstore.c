/*
 * jstore.c: the jobs on disk, one record a job in a pc_journal.c journal
 * (STATE_DIR/jobs.snap, jobs.journal.G), key "job ID": its definition (as
 * GET shows it), its schedule's state (the latest time handled, a FORBID
 * time waiting), its active runs with their slots and every task (agent,
 * state, times, constraint values) and its history. A change to one job
 * appends only its record, and the changes of one flush share one write
 * and one fsync (group commit), so a thousand jobs cost nothing to one
 * that runs every minute and a kill -9 loses nothing committed. A record
 * that does not parse, or a definition this version refuses, is logged
 * and left alone; the others load. The files of the store before the
 * journal (STATE_DIR/jobs/ID.json) are loaded once and moved into it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jb.h"
#include "buf.h"
#include "json.h"
#include "xmem.h"

#define JOBS_DIR "jobs"                 /* the one-file-a-job store before the journal */
#define JOURNAL_NAME "jobs"             /* jobs.snap, jobs.journal.G */
#define KEY_JOB "job "                  /* journal key: the kind, then the job's id */
#define FILE_SUFFIX ".json"
#define FILE_BYTES_MAX (64u << 20)      /* a job's file larger than this is refused */
#define ERR_BODY_MAX 4096               /* bytes of a refused definition's errors logged */

static char *
jobs_dir(const struct jb *jb)
{
	return xstrfmt("%s/%s", jb->state_dir, JOBS_DIR);
}

static void
write_task(struct json_w *w, const struct jb_task *t)
{
	json_obj_begin(w);
	json_kstr(w, "id", t->id);
	json_kint(w, "index", t->index);
	json_kstr(w, "agentId", t->agent_id);
	json_kstr(w, "host", t->host);
	json_kstr(w, "state", t->state);
	json_kdouble(w, "stagedAt", t->staged_at);
	json_kdouble(w, "startedAt", t->started_at);
	json_kdouble(w, "completedAt", t->completed_at);
	json_kbool(w, "killing", t->killing);
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

static void
write_run(struct json_w *w, const struct jb_run *r)
{
	json_obj_begin(w);
	json_kstr(w, "id", r->id);
	json_kstr(w, "status", run_status_name(r->status));
	json_kdouble(w, "createdAt", r->created_at);
	json_kdouble(w, "scheduledAt", r->scheduled_at);
	json_kint(w, "startingDeadlineSeconds", r->deadline_s);
	json_kdouble(w, "waitingSince", r->waiting_since);
	/* Its own spec when its job has changed since it started. */
	if (r->spec != r->job->spec) {
		json_key(w, "run");
		job_write_spec(w, r->spec);
	}
	json_key(w, "slots");
	json_strn(w, r->slots, (size_t)r->spec->completions);
	json_key(w, "queuedAt");
	json_arr_begin(w);
	for (long long i = 0; i < r->spec->completions; i++)
		json_double(w, r->queued_at[i]);
	json_arr_end(w);
	json_key(w, "tasks");
	json_arr_begin(w);
	for (const struct jb_task *t = r->tasks; t != NULL; t = t->next)
		write_task(w, t);
	json_arr_end(w);
	json_obj_end(w);
}

void
jstore_stage(struct jb *jb, const struct jb_job *job)
{
	const struct jb_history *h = &job->hist;
	struct json_w w;
	struct buf b;
	char *key;

	if (jb->journal == NULL)
		return;
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_key(&w, "job");
	json_obj_begin(&w);
	job_write_fields(&w, job);
	json_obj_end(&w);
	if (job->sched != NULL) {
		json_key(&w, "schedule");
		json_obj_begin(&w);
		json_kdouble(&w, "lastFired", job->sched->last_fired);
		json_kdouble(&w, "pendingAt", job->sched->pending_at);
		json_obj_end(&w);
	}
	json_key(&w, "runs");
	json_arr_begin(&w);
	for (const struct jb_run *r = job->runs; r != NULL; r = r->next)
		write_run(&w, r);
	json_arr_end(&w);
	json_key(&w, "history");
	json_obj_begin(&w);
	json_kint(&w, "successes", h->successes);
	json_kint(&w, "failures", h->failures);
	json_kint(&w, "skips", h->skips);
	json_kdouble(&w, "lastSuccess", h->last_success);
	json_kdouble(&w, "lastFailure", h->last_failure);
	json_kdouble(&w, "lastSkip", h->last_skip);
	run_write_finished(&w, "ok", h->ok, h->nok, 0);
	run_write_finished(&w, "failed", h->failed, h->nfailed, 0);
	json_obj_end(&w);
	json_obj_end(&w);
	key = xstrfmt("%s%s", KEY_JOB, job->id);
	pc_journal_put(jb->journal, key, b.data, b.len);
	free(key);
	buf_free(&b);
}

int
jstore_commit(struct jb *jb, char *err, size_t errlen)
{
	return jb->journal != NULL ? pc_journal_commit(jb->journal, err, errlen) : 0;
}

int
jstore_save(struct jb *jb, const struct jb_job *job, char *err, size_t errlen)
{
	jstore_stage(jb, job);
	return jstore_commit(jb, err, errlen);
}

int
jstore_remove(struct jb *jb, const char *id, char *err, size_t errlen)
{
	char *key;

	if (jb->journal == NULL)
		return 0;
	key = xstrfmt("%s%s", KEY_JOB, id);
	pc_journal_del(jb->journal, key);
	free(key);
	return jstore_commit(jb, err, errlen);
}

void
jstore_close(struct jb *jb)
{
	pc_journal_close(jb->journal);
	jb->journal = NULL;
}

/* ---- loading ---- */

static double
num(const struct json *j, const char *key)
{
	const struct json *x = json_get(j, key);

	return x != NULL && x->type == JSON_NUMBER ? x->number : 0;
}

static void
load_finished(struct jb_finished **out, size_t *n, const struct json *list)
{
	if (list == NULL || list->type != JSON_ARRAY)
		return;
	*out = xcalloc(list->n + 1, sizeof(**out));
	for (size_t i = 0; i < list->n; i++) {
		const struct json *e = list->items[i], *ts = json_get(e, "tasks");
		struct jb_finished *f = &(*out)[*n];

		if (json_get_str(e, "id") == NULL)
			continue;
		snprintf(f->id, sizeof(f->id), "%s", json_get_str(e, "id"));
		f->created_at = num(e, "createdAt");
		f->finished_at = num(e, "finishedAt");
		f->tasks = xcalloc(ts != NULL && ts->type == JSON_ARRAY ? ts->n + 1 : 1,
		                   sizeof(*f->tasks));
		for (size_t k = 0; ts != NULL && ts->type == JSON_ARRAY && k < ts->n; k++)
			if (ts->items[k]->type == JSON_STRING)
				f->tasks[f->ntasks++] = xstrdup(ts->items[k]->string);
		++*n;
	}
}

static void
load_task(struct jb *jb, struct jb_run *r, const struct json *j)
{
	const char *id = json_get_str(j, "id"), *s;
	const struct json *cv = json_get(j, "constraintValues"), *x;
	struct jb_task *t;
	long long index;

	if (id == NULL || json_as_int(json_get(j, "index"), &index) == -1 || index < 0 ||
	    index >= r->spec->completions || map_get(&jb->tasks, id) != NULL)
		return;
	t = xcalloc(1, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->run = r;
	t->index = index;
	snprintf(t->agent_id, sizeof(t->agent_id), "%s", (s = json_get_str(j, "agentId")) ? s : "");
	snprintf(t->host, sizeof(t->host), "%s", (s = json_get_str(j, "host")) ? s : "");
	snprintf(t->state, sizeof(t->state), "%s", (s = json_get_str(j, "state")) ? s :
	         "TASK_STAGING");
	t->staged_at = num(j, "stagedAt");
	t->started_at = num(j, "startedAt");
	t->completed_at = num(j, "completedAt");
	t->killing = (x = json_get(j, "killing")) != NULL && x->type == JSON_BOOL && x->boolean;
	if (cv != NULL && cv->type == JSON_ARRAY && cv->n == r->spec->nconstraints && cv->n > 0) {
		t->cvals = xcalloc(cv->n, sizeof(*t->cvals));
		t->ncvals = cv->n;
		for (size_t i = 0; i < cv->n; i++)
			t->cvals[i] = cv->items[i]->type == JSON_STRING ? xstrdup(cv->items[i]->string) :
			              NULL;
	}
	/* Appended: the file lists them newest first, as the run keeps them. */
	{
		struct jb_task **pp = &r->tasks;

		while (*pp != NULL)
			pp = &(*pp)->next;
		*pp = t;
	}
	r->ntasks++;
	if (t->completed_at == 0) {
		map_put(&jb->tasks, t->id, t);
		r->nlive++;
	}
}

static void
load_run(struct jb *jb, struct jb_job *job, const struct json *j, const char *path)
{
	const char *id = json_get_str(j, "id"), *slots = json_get_str(j, "slots");
	const struct json *q = json_get(j, "queuedAt"), *ts = json_get(j, "tasks"), *spec;
	struct jb_run *r, **pp;
	long long n;
	int status;

	if (id == NULL || strlen(id) >= JB_RUN_ID_MAX)
		return;
	r = xcalloc(1, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->job = job;
	if ((spec = json_get(j, "run")) != NULL) {
		struct json_w w;
		struct buf b;

		buf_init(&b, ERR_BODY_MAX);
		json_w_init(&w, &b);
		r->spec = job_spec_from_json(jb, spec, &w, &status);
		if (r->spec == NULL) {
			jb->d->log(jb->d, FRAMEWORK_LOG_ERROR, "%s: run %s skipped: %s", path, id,
			           b.data != NULL ? b.data : "");
			buf_free(&b);
			free(r);
			return;
		}
		buf_free(&b);
	} else {
		r->spec = job_spec_ref(job->spec);
	}
	n = r->spec->completions;
	r->status = (status = run_status_parse(json_get_str(j, "status") ?
	             json_get_str(j, "status") : "")) >= 0 ? status : JB_INITIAL;
	r->created_at = num(j, "createdAt");
	r->scheduled_at = num(j, "scheduledAt");
	if (json_as_int(json_get(j, "startingDeadlineSeconds"), &r->deadline_s) == -1)
		r->deadline_s = -1;
	r->waiting_since = num(j, "waitingSince");
	r->slots = xmalloc((size_t)n);
	memset(r->slots, JB_SLOT_PENDING, (size_t)n);
	r->queued_at = xcalloc((size_t)n, sizeof(*r->queued_at));
	for (long long i = 0; i < n; i++) {
		if (slots != NULL && (long long)strlen(slots) == n && slots[i] == JB_SLOT_DONE)
			r->slots[i] = JB_SLOT_DONE;
		r->queued_at[i] = q != NULL && q->type == JSON_ARRAY && (size_t)i < q->n &&
		                  q->items[i]->type == JSON_NUMBER ? q->items[i]->number : r->created_at;
	}
	for (size_t i = 0; ts != NULL && ts->type == JSON_ARRAY && i < ts->n; i++)
		load_task(jb, r, ts->items[i]);
	/* Slots from the tasks themselves: a live task's slot is launched or running. */
	for (const struct jb_task *t = r->tasks; t != NULL; t = t->next)
		if (t->completed_at == 0)
			r->slots[t->index] = strcmp(t->state, "TASK_RUNNING") == 0 ? JB_SLOT_RUNNING :
			                     JB_SLOT_LAUNCHED;
	for (long long i = 0; i < n; i++)
		r->ndone += r->slots[i] == JB_SLOT_DONE;
	for (pp = &job->runs; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = r;
	job->nruns++;
}

/* One job's record (text, len bytes), path naming it in logs. */
static void
load_job(struct jb *jb, const char *path, const char *text, size_t len)
{
	const struct json *sched, *runs, *h;
	struct json *j;
	struct jb_job *job;
	struct json_w w;
	struct buf b;
	char err[JB_ERR_MAX];
	int status;

	j = json_parse(text, len, err, sizeof(err));
	if (j == NULL) {
		jb->d->log(jb->d, FRAMEWORK_LOG_ERROR, "%s: %s", path, err);
		return;
	}
	buf_init(&b, ERR_BODY_MAX);
	json_w_init(&w, &b);
	job = json_get(j, "job") != NULL ? job_from_json(jb, json_get(j, "job"), NULL, &w, &status) :
	      NULL;
	if (job == NULL || map_get(&jb->jobs, job->id) != NULL || map_len(&jb->jobs) >= JB_JOBS_MAX) {
		jb->d->log(jb->d, FRAMEWORK_LOG_ERROR, "%s: job skipped: %s", path,
		           job == NULL ? (b.data != NULL ? b.data : "no job") : "a duplicate");
		job_free(job);
		buf_free(&b);
		json_free(j);
		return;
	}
	buf_free(&b);
	if (job->sched != NULL && (sched = json_get(j, "schedule")) != NULL) {
		job->sched->last_fired = num(sched, "lastFired");
		job->sched->pending_at = num(sched, "pendingAt");
	}
	runs = json_get(j, "runs");
	for (size_t i = 0; runs != NULL && runs->type == JSON_ARRAY && i < runs->n; i++)
		load_run(jb, job, runs->items[i], path);
	if ((h = json_get(j, "history")) != NULL) {
		json_as_int(json_get(h, "successes"), &job->hist.successes);
		json_as_int(json_get(h, "failures"), &job->hist.failures);
		json_as_int(json_get(h, "skips"), &job->hist.skips);
		job->hist.last_success = num(h, "lastSuccess");
		job->hist.last_failure = num(h, "lastFailure");
		job->hist.last_skip = num(h, "lastSkip");
		load_finished(&job->hist.ok, &job->hist.nok, json_get(h, "ok"));
		load_finished(&job->hist.failed, &job->hist.nfailed, json_get(h, "failed"));
	}
	map_put(&jb->jobs, job->id, job);
	json_free(j);
}

/*
 * The files of the store before the journal (STATE_DIR/jobs/ID.json): each
 * put into the journal as it is, committed, then removed with their folder.
 */
static int
migrate(struct jb *jb, char *err, size_t errlen)
{
	char *dir = jobs_dir(jb), **names = NULL;
	size_t n = 0;
	struct dirent *e;
	struct buf b;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc == -1)
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	buf_init(&b, FILE_BYTES_MAX);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *path, *key;

		if (len <= strlen(FILE_SUFFIX) || strcmp(e->d_name + len - strlen(FILE_SUFFIX),
		                                         FILE_SUFFIX) != 0)
			continue;       /* ".", "..", a temporary file a crash left */
		path = xstrfmt("%s/%s", dir, e->d_name);
		buf_reset(&b);
		if (pc_store_read(path, &b, err, errlen) == 0) {
			key = xstrfmt("%s%.*s", KEY_JOB, (int)(len - strlen(FILE_SUFFIX)), e->d_name);
			pc_journal_put(jb->journal, key, b.data != NULL ? b.data : "", b.len);
			free(key);
		} else {
			jb->d->log(jb->d, FRAMEWORK_LOG_ERROR, "%s: %s", path, err);
		}
		free(path);
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	buf_free(&b);
	rc = jstore_commit(jb, err, errlen);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = pc_store_remove(dir, names[i], err, errlen);
		free(names[i]);
	}
	free(names);
	if (rc == 0 && rmdir(dir) == -1 && errno != ENOENT && errno != ENOTEMPTY &&
	    errno != EEXIST)
		jb->d->log(jb->d, FRAMEWORK_LOG_WARN, "%s: %s", dir, strerror(errno));
	if (rc == 0 && n > 0)
		jb->d->log(jb->d, FRAMEWORK_LOG_INFO, "%zu job file(s) of %s moved into the journal",
		           n, dir);
	free(dir);
	return rc;
}

int
jstore_load(struct jb *jb, char *err, size_t errlen)
{
	size_t runs = 0, len;
	const char *k, *v;
	void *jv;

	if (jb->state_dir == NULL)
		return 0;
	jb->journal = pc_journal_open(jb->state_dir, JOURNAL_NAME, err, errlen);
	if (jb->journal == NULL)
		return -1;
	if (pc_journal_len(jb->journal) == 0 && migrate(jb, err, errlen) == -1)
		return -1;
	for (size_t i = 0; pc_journal_next(jb->journal, &i, &k, &v, &len);)
		if (strncmp(k, KEY_JOB, strlen(KEY_JOB)) == 0)
			load_job(jb, k, v, len);
	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &jv);)
		runs += ((struct jb_job *)jv)->nruns;
	jb->d->log(jb->d, FRAMEWORK_LOG_INFO, "loaded %zu job(s), %zu active run(s) and %zu task(s) "
	           "from %s", map_len(&jb->jobs), runs, map_len(&jb->tasks), jb->state_dir);
	return 0;
}
