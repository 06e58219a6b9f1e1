/*
 * run.c: a job's runs, as Metronome's JobRunExecutorActor drives them,
 * with N tasks a run beyond it (Kubernetes' Job completions and
 * parallelism, Slurm's job arrays). A run has one slot per completion
 * index: pending, launched, running or done. It is INITIAL while no task
 * is launched, STARTING once one is, ACTIVE once one runs, SUCCESS when
 * every slot is done and FAILED when a task fails and the restart policy
 * (ON_FAILURE within activeDeadlineSeconds of the run's creation) does not
 * launch it again, when a slot waits longer than maxLaunchDelay to run,
 * when a scheduled run has not started within startingDeadlineSeconds of
 * its time, or when it is stopped. A finished run goes to the job's
 * history (Metronome's successCount, failureCount, last times and the
 * finished runs, the newest history_count of each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jb.h"
#include "buf.h"
#include "compat.h"
#include "id.h"
#include "json.h"
#include "xmem.h"

#define RUN_ID_SUFFIX 5                 /* random letters and digits after the time */
#define TASK_ID_HEX 8
#define HISTORY_TASKS_MAX 100           /* task ids a finished run keeps in the history */
#define MS_PER_S 1000.0

static const char *const STATUS_NAMES[] = { "INITIAL", "STARTING", "ACTIVE", "SUCCESS", "FAILED" };

/* Task states after which it will not run again; TASK_FINISHED is the one success. */
static const char *const ENDED_STATES[] = { "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED",
	"TASK_ERROR", "TASK_DROPPED", "TASK_LOST", "TASK_GONE", "TASK_GONE_BY_OPERATOR",
	"TASK_UNKNOWN", "TASK_UNREACHABLE", NULL };

static int
in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

const char *
run_status_name(int status)
{
	return status >= JB_INITIAL && status <= JB_FAILED ? STATUS_NAMES[status] : "";
}

int
run_status_parse(const char *name)
{
	for (int i = JB_INITIAL; i <= JB_FAILED; i++)
		if (strcmp(STATUS_NAMES[i], name) == 0)
			return i;
	return -1;
}

void
run_new_id(double now, char *out, size_t len)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[RUN_ID_SUFFIX];
	char suffix[RUN_ID_SUFFIX + 1], base[JB_RUN_ID_MAX];
	time_t secs = (time_t)now;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y%m%d%H%M%S", &tm);
	compat_random_bytes(r, sizeof(r));
	for (size_t i = 0; i < RUN_ID_SUFFIX; i++)
		suffix[i] = alnum[r[i] % (sizeof(alnum) - 1)];
	suffix[RUN_ID_SUFFIX] = '\0';
	snprintf(out, len, "%s%s", base, suffix);
}

long long
run_launchable(const struct jb_run *r)
{
	long long pending = r->spec->completions - r->ndone - r->nlive;
	long long room = r->spec->parallelism - r->nlive;

	if (r->status == JB_SUCCESS || r->status == JB_FAILED)
		return 0;
	return pending < room ? pending : room;
}

static struct jb_run *
find_run(const struct jb_job *job, const char *id)
{
	for (struct jb_run *r = job->runs; r != NULL; r = r->next)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

struct jb_run *
run_start(struct jb *jb, struct jb_job *job, double scheduled_at, long long deadline_s)
{
	struct jb_run *r = xcalloc(1, sizeof(*r));
	double now = jobs_now(jb);
	long long n = job->spec->completions;

	do
		run_new_id(now, r->id, sizeof(r->id));
	while (find_run(job, r->id) != NULL);
	r->job = job;
	r->spec = job_spec_ref(job->spec);
	r->status = JB_INITIAL;
	r->created_at = now;
	r->scheduled_at = scheduled_at;
	r->deadline_s = deadline_s;
	r->slots = xmalloc((size_t)n);
	memset(r->slots, JB_SLOT_PENDING, (size_t)n);
	r->queued_at = xcalloc((size_t)n, sizeof(*r->queued_at));
	for (long long i = 0; i < n; i++)
		r->queued_at[i] = now;
	r->waiting_since = now;
	r->next = job->runs;
	job->runs = r;
	job->nruns++;
	jb->metrics.runs_started++;
	jb->d->log(jb->d, FRAMEWORK_LOG_INFO, "job %s: run %s started%s (%lld task(s), %lld at once)",
	           job->id, r->id, scheduled_at > 0 ? " by its schedule" : "", n,
	           job->spec->parallelism);
	/*
	 * A run started by hand is on disk before it is answered. A scheduled
	 * one goes with the next flush, so a hundred jobs on one minute all
	 * start on time: a crash before it loses nothing, as the time it was
	 * for is then missed and started again after the restart.
	 */
	if (scheduled_at > 0)
		jobs_dirty(jb, job);
	else
		jobs_save(jb, job);
	jevents_run(jb, r, "job_run_started");
	run_arm(jb, r);
	launch_wanted(jb);
	return r;
}

struct jb_task *
run_task_new(struct jb *jb, struct jb_run *r, long long index, const char *agent_id,
             const char *host)
{
	struct jb_task *t = xcalloc(1, sizeof(*t));
	char hex[TASK_ID_HEX + 1];

	id_random_hex(hex, TASK_ID_HEX);
	snprintf(t->id, sizeof(t->id), "%s_%s.%lld-%s", r->job->id, r->id, index, hex);
	t->run = r;
	t->index = index;
	snprintf(t->agent_id, sizeof(t->agent_id), "%s", agent_id);
	snprintf(t->host, sizeof(t->host), "%s", host);
	snprintf(t->state, sizeof(t->state), "TASK_STAGING");
	t->staged_at = jobs_now(jb);
	r->slots[index] = JB_SLOT_LAUNCHED;
	r->nlive++;
	t->next = r->tasks;
	r->tasks = t;
	r->ntasks++;
	if (r->status == JB_INITIAL)
		r->status = JB_STARTING;
	if (run_launchable(r) == 0)
		r->waiting_since = 0;
	map_put(&jb->tasks, t->id, t);
	return t;
}

void
run_task_free(struct jb_task *t)
{
	for (size_t i = 0; i < t->ncvals; i++)
		free(t->cvals[i]);
	free(t->cvals);
	free(t);
}

void
run_task_drop(struct jb *jb, struct jb_task *t)
{
	struct jb_run *r = t->run;

	map_del(&jb->tasks, t->id);
	for (struct jb_task **pp = &r->tasks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	r->ntasks--;
	r->nlive--;
	r->slots[t->index] = JB_SLOT_PENDING;
	if (t->index < r->next_slot)
		r->next_slot = t->index;
	if (r->ntasks == 0 && r->status == JB_STARTING)
		r->status = JB_INITIAL;
	if (r->waiting_since == 0)
		r->waiting_since = jobs_now(jb);
	run_task_free(t);
}

void
run_free(struct jb *jb, struct jb_run *r)
{
	if (r == NULL)
		return;
	if (r->timer != 0)
		jb->d->timer_cancel(jb->d, r->timer);
	while (r->tasks != NULL) {
		struct jb_task *t = r->tasks;

		r->tasks = t->next;
		if (map_get(&jb->tasks, t->id) == t)
			map_del(&jb->tasks, t->id);
		run_task_free(t);
	}
	free(r->slots);
	free(r->queued_at);
	job_spec_unref(r->spec);
	free(r);
}

static void
finished_free(struct jb_finished *f)
{
	pc_json_strings_free(f->tasks, f->ntasks);
}

void
run_history_free(struct jb_history *h)
{
	for (size_t i = 0; i < h->nok; i++)
		finished_free(&h->ok[i]);
	for (size_t i = 0; i < h->nfailed; i++)
		finished_free(&h->failed[i]);
	free(h->ok);
	free(h->failed);
	memset(h, 0, sizeof(*h));
}

/* r's entry at the front of list (newest first), at most max kept. */
static void
remember(struct jb_finished **list, size_t *n, size_t max, const struct jb_run *r)
{
	struct jb_finished f;
	size_t k = 0;

	if (max == 0)
		return;
	memset(&f, 0, sizeof(f));
	snprintf(f.id, sizeof(f.id), "%s", r->id);
	f.created_at = r->created_at;
	f.finished_at = r->completed_at;
	f.tasks = xcalloc(r->ntasks < HISTORY_TASKS_MAX ? r->ntasks + 1 : HISTORY_TASKS_MAX,
	                  sizeof(*f.tasks));
	/* The list is newest first: the first tasks are its tail. */
	for (const struct jb_task *t = r->tasks; t != NULL; t = t->next, k++)
		if (r->ntasks - k <= HISTORY_TASKS_MAX)
			f.tasks[r->ntasks - k - 1] = xstrdup(t->id);
	f.ntasks = r->ntasks < HISTORY_TASKS_MAX ? r->ntasks : HISTORY_TASKS_MAX;
	if (*n == max)
		finished_free(&(*list)[--*n]);
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	memmove(*list + 1, *list, *n * sizeof(**list));
	(*list)[0] = f;
	++*n;
}

static void
kill_task(struct jb *jb, struct jb_task *t)
{
	const struct jb_spec *s = t->run->spec;
	int64_t grace = s->kill_grace_s >= 0 ? (int64_t)(s->kill_grace_s * MS_PER_S) : 0;

	t->killing = 1;
	if (jb->d->kill(jb->d, t->id, grace) == -1)
		jb->d->log(jb->d, FRAMEWORK_LOG_WARN, "kill %s: %s", t->id, jb->d->last_error(jb->d));
}

/* r is over (SUCCESS or FAILED): its live tasks killed, it goes to the history and is freed. */
static void
finish(struct jb *jb, struct jb_run *r, int status, const char *why, struct buf *reply)
{
	struct jb_job *job = r->job;
	struct jb_history *h = &job->hist;

	r->status = status;
	r->completed_at = jobs_now(jb);
	snprintf(r->why, sizeof(r->why), "%s", why != NULL ? why : "");
	for (struct jb_task *t = r->tasks; t != NULL; t = t->next)
		if (map_get(&jb->tasks, t->id) == t)
			kill_task(jb, t);
	for (struct jb_run **pp = &job->runs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			job->nruns--;
			break;
		}
	if (status == JB_SUCCESS) {
		h->successes++;
		h->last_success = r->completed_at;
		remember(&h->ok, &h->nok, (size_t)jb->history_max, r);
		jb->metrics.runs_succeeded++;
	} else {
		h->failures++;
		h->last_failure = r->completed_at;
		remember(&h->failed, &h->nfailed, (size_t)jb->history_max, r);
		jb->metrics.runs_failed++;
	}
	jb->d->log(jb->d, status == JB_SUCCESS ? FRAMEWORK_LOG_INFO : FRAMEWORK_LOG_WARN,
	           "job %s: run %s %s%s%s", job->id, r->id, run_status_name(status),
	           r->why[0] ? ": " : "", r->why);
	if (reply != NULL) {
		struct json_w w;

		json_w_init(&w, reply);
		run_write(&w, r, 1);
	}
	jevents_run(jb, r, status == JB_SUCCESS ? "job_run_finished" : "job_run_failed");
	/* The killed ones stay known, runless, until their end is reported. */
	for (struct jb_task **pp = &r->tasks; *pp != NULL;) {
		struct jb_task *t = *pp;

		if (map_get(&jb->tasks, t->id) == t) {
			t->run = NULL;
			*pp = t->next;
		} else {
			pp = &t->next;
		}
	}
	run_free(jb, r);
	jobs_dirty(jb, job);
	sched_run_ended(jb, job);
	launch_wanted(jb);
}

void
run_fail(struct jb *jb, struct jb_run *r, const char *why, struct buf *reply)
{
	finish(jb, r, JB_FAILED, why, reply);
}

void
run_skipped(struct jb *jb, struct jb_job *job, double scheduled_at, long long n, const char *why)
{
	char ts[PC_TIME_MAX];

	job->hist.skips += n;
	job->hist.last_skip = jobs_now(jb);
	jb->metrics.runs_skipped += n;
	pc_rest_time(scheduled_at, JB_TIME_ZONE, ts, sizeof(ts));
	if (n == 1)
		jb->d->log(jb->d, FRAMEWORK_LOG_WARN, "job %s: the run scheduled for %s is skipped: %s",
		           job->id, ts, why);
	else
		jb->d->log(jb->d, FRAMEWORK_LOG_WARN, "job %s: %lld runs scheduled up to %s are "
		           "skipped: %s", job->id, n, ts, why);
	jevents_skipped(jb, job, scheduled_at, why);
	jobs_dirty(jb, job);
}

/* The first deadline of r still ahead: its starting deadline, a slot's maxLaunchDelay. */
static double
next_deadline(const struct jb_run *r, int *starting)
{
	const struct jb_spec *s = r->spec;
	double at = 0;

	*starting = 0;
	if (r->deadline_s >= 0 && r->status < JB_ACTIVE) {
		at = (r->scheduled_at > 0 ? r->scheduled_at : r->created_at) + (double)r->deadline_s;
		*starting = 1;
	}
	for (long long i = 0; i < s->completions; i++)
		if ((r->slots[i] == JB_SLOT_PENDING || r->slots[i] == JB_SLOT_LAUNCHED) &&
		    (at == 0 || r->queued_at[i] + (double)s->max_launch_delay_s < at)) {
			at = r->queued_at[i] + (double)s->max_launch_delay_s;
			*starting = 0;
		}
	return at;
}

static void
deadline_due(struct framework_driver *d, void *arg)
{
	struct jb_run *r = arg;
	struct jb *jb = d->data;
	char why[JB_ERR_MAX];
	int starting;
	double at = next_deadline(r, &starting);

	r->timer = 0;
	if (at == 0 || at > jobs_now(jb)) {
		run_arm(jb, r);     /* woken early (the clock moved): wait the rest */
		return;
	}
	if (starting)
		snprintf(why, sizeof(why), "it did not start within startingDeadlineSeconds (%llds) of "
		         "its time", r->deadline_s);
	else
		snprintf(why, sizeof(why), "a task did not start running within maxLaunchDelay (%llds)",
		         r->spec->max_launch_delay_s);
	run_fail(jb, r, why, NULL);
}

void
run_arm(struct jb *jb, struct jb_run *r)
{
	int starting;
	double at = next_deadline(r, &starting), left;

	if (r->timer != 0)
		jb->d->timer_cancel(jb->d, r->timer);
	r->timer = 0;
	if (at == 0)
		return;
	left = (at - jobs_now(jb)) * MS_PER_S;
	r->timer = jb->d->timer_add(jb->d, left > 0 ? (int64_t)left + 1 : 0, deadline_due, r);
}

void
run_reconcile(struct jb *jb)
{
	pc_reconcile_start(&jb->reconcile);
}

/* A task of r ended without success: launched again under ON_FAILURE, else r fails. */
static void
task_failed(struct jb *jb, struct jb_task *t, const struct framework_status *st)
{
	struct jb_run *r = t->run;
	const struct jb_spec *s = r->spec;
	double now = jobs_now(jb);
	char why[JB_ERR_MAX];

	jb->metrics.tasks_failed++;
	if (s->on_failure && (s->active_deadline_s < 0 ||
	                      now < r->created_at + (double)s->active_deadline_s)) {
		jb->d->log(jb->d, FRAMEWORK_LOG_INFO, "job %s: run %s: task %lld is %s, launching it "
		           "again (ON_FAILURE)", r->job->id, r->id, t->index, st->state);
		r->slots[t->index] = JB_SLOT_PENDING;
		r->queued_at[t->index] = now;
		if (t->index < r->next_slot)
			r->next_slot = t->index;
		if (r->waiting_since == 0)
			r->waiting_since = now;
		run_arm(jb, r);
		launch_wanted(jb);
		return;
	}
	snprintf(why, sizeof(why), "task %s is %s%s%s%s", t->id, st->state,
	         st->message[0] ? ": " : "", st->message,
	         s->on_failure ? " (past activeDeadlineSeconds)" : "");
	run_fail(jb, r, why, NULL);
}

void
run_status(struct jb *jb, const struct framework_status *st)
{
	struct jb_task *t = map_get(&jb->tasks, st->task_id);
	int ended = in_list(ENDED_STATES, st->state);
	struct jb_run *r;

	pc_reconcile_answered(&jb->reconcile, st->task_id);
	if (t != NULL && t->run == NULL) {
		/* Killed with its run: nothing to do but forget it once it has ended. */
		if (ended) {
			map_del(&jb->tasks, t->id);
			run_task_free(t);
		}
		return;
	}
	if (t == NULL) {
		/* Not ours (launched by a lost earlier life, or its run is over): end it. */
		if (!ended) {
			jb->d->log(jb->d, FRAMEWORK_LOG_INFO, "killing unknown task %s", st->task_id);
			jb->d->kill(jb->d, st->task_id, 0);
		}
		return;
	}
	r = t->run;
	jevents_status(jb, st, t);
	if (st->agent_id[0] != '\0')
		snprintf(t->agent_id, sizeof(t->agent_id), "%s", st->agent_id);
	jobs_dirty(jb, r->job);
	if (!ended) {
		snprintf(t->state, sizeof(t->state), "%s", st->state);
		if (strcmp(st->state, "TASK_RUNNING") != 0)
			return;
		if (t->started_at == 0)
			t->started_at = st->timestamp > 0 ? st->timestamp : jobs_now(jb);
		r->slots[t->index] = JB_SLOT_RUNNING;
		if (r->status < JB_ACTIVE) {
			r->status = JB_ACTIVE;
			jevents_run(jb, r, "job_run_updated");
		}
		run_arm(jb, r);
		return;
	}
	snprintf(t->state, sizeof(t->state), "%s", st->state);
	t->completed_at = st->timestamp > 0 ? st->timestamp : jobs_now(jb);
	map_del(&jb->tasks, t->id);
	r->nlive--;
	if (strcmp(st->state, "TASK_FINISHED") == 0) {
		r->slots[t->index] = JB_SLOT_DONE;
		r->ndone++;
		if (r->ndone == r->spec->completions) {
			finish(jb, r, JB_SUCCESS, NULL, NULL);
			return;
		}
		launch_wanted(jb);      /* a slot within the parallelism is free */
		run_arm(jb, r);
		return;
	}
	task_failed(jb, t, st);
}

/* ---- out ---- */

void
run_write(struct json_w *w, const struct jb_run *r, int with_tasks)
{
	long long pending = r->spec->completions - r->ndone - r->nlive;

	json_obj_begin(w);
	json_kstr(w, "id", r->id);
	json_kstr(w, "jobId", r->job->id);
	json_kstr(w, "status", run_status_name(r->status));
	job_write_time(w, "createdAt", r->created_at);
	job_write_time(w, "completedAt", r->completed_at);
	if (with_tasks) {
		json_key(w, "tasks");
		json_arr_begin(w);
		for (const struct jb_task *t = r->tasks; t != NULL; t = t->next) {
			json_obj_begin(w);
			json_kstr(w, "id", t->id);
			job_write_time(w, "startedAt", t->staged_at);
			job_write_time(w, "completedAt", t->completed_at);
			json_kstr(w, "status", t->state);
			json_obj_end(w);
		}
		json_arr_end(w);
	}
	/* Beyond Metronome: what a parallel run has done, why it failed, why it waits. */
	json_kint(w, "completions", r->spec->completions);
	json_kint(w, "succeeded", r->ndone);
	json_kint(w, "active", r->nlive);
	if (r->scheduled_at > 0)
		job_write_time(w, "scheduledAt", r->scheduled_at);
	if (r->why[0] != '\0')
		json_kstr(w, "message", r->why);
	if (pending > 0 && r->status != JB_SUCCESS && r->status != JB_FAILED) {
		json_key(w, "waiting");
		json_obj_begin(w);
		json_kint(w, "tasks", pending);
		json_kint(w, "launchable", run_launchable(r));
		job_write_time(w, "since", r->waiting_since);
		json_key(w, "processedOffersSummary");
		pc_offer_stats_write(w, &r->stats, JB_TIME_ZONE);
		json_obj_end(w);
	}
	json_obj_end(w);
}

void
run_write_finished(struct json_w *w, const char *key, const struct jb_finished *f, size_t n,
                   int as_text)
{
	void (*write_time)(struct json_w *, const char *, double) =
		as_text ? job_write_time : json_kdouble;

	json_key(w, key);
	json_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		json_obj_begin(w);
		json_kstr(w, "id", f[i].id);
		write_time(w, "createdAt", f[i].created_at);
		write_time(w, "finishedAt", f[i].finished_at);
		json_key(w, "tasks");
		json_arr_begin(w);
		for (size_t k = 0; k < f[i].ntasks; k++)
			json_str(w, f[i].tasks[k]);
		json_arr_end(w);
		json_obj_end(w);
	}
	json_arr_end(w);
}

void
run_write_history(struct json_w *w, const struct jb_history *h, int full)
{
	json_obj_begin(w);
	json_kint(w, "successCount", h->successes);
	json_kint(w, "failureCount", h->failures);
	job_write_time(w, "lastSuccessAt", h->last_success);
	job_write_time(w, "lastFailureAt", h->last_failure);
	if (full) {
		run_write_finished(w, "successfulFinishedRuns", h->ok, h->nok, 1);
		run_write_finished(w, "failedFinishedRuns", h->failed, h->nfailed, 1);
	}
	/* Beyond Metronome: scheduled times that started no run. */
	json_kint(w, "skippedCount", h->skips);
	job_write_time(w, "lastSkippedAt", h->last_skip);
	json_obj_end(w);
}
