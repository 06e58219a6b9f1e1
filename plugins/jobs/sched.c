/*
 * sched.c: a job's schedule firing on time. Each enabled schedule has one
 * timer on the host's loop, set for its next time (cron.c in its zone);
 * nothing polls. When it fires, the concurrencyPolicy decides: ALLOW
 * starts a run (Metronome), FORBID starts one only when no run of the job
 * is active, else the time waits for them to end and is skipped if they
 * do not within startingDeadlineSeconds, and REPLACE stops the active
 * runs and starts a new one (both as Kubernetes' CronJob). The latest
 * time handled is stored with the job, so after a restart the run of a
 * time missed while the plugin was down starts once, if its starting
 * deadline has not passed, and every other missed time is counted as
 * skipped: no run is lost silently and none starts twice.
 */
#include <stdio.h>
#include <string.h>

#include "jb.h"

#define MS_PER_S 1000.0
#define EARLY_S 0.001                   /* a timer this early counts as on time */
#define MISSED_SCAN_MAX 100000          /* missed times counted one by one after a restart */

static void fire_due(struct framework_driver *d, void *arg);
static void pending_due(struct framework_driver *d, void *arg);

static uint64_t
timer_at(struct jb *jb, double at, framework_timer_fn fn, void *arg)
{
	double left = (at - jobs_now(jb)) * MS_PER_S;

	/* Rounded up: a timer never fires before its time (the ms it rounds off). */
	return jb->d->timer_add(jb->d, left > 0 ? (int64_t)left + 1 : 0, fn, arg);
}

void
sched_disarm(struct jb *jb, struct jb_job *job)
{
	struct jb_schedule *s = job->sched;

	if (s == NULL)
		return;
	if (s->timer != 0)
		jb->d->timer_cancel(jb->d, s->timer);
	if (s->pending_timer != 0)
		jb->d->timer_cancel(jb->d, s->pending_timer);
	s->timer = s->pending_timer = 0;
	s->next_at = 0;
}

void
sched_arm(struct jb *jb, struct jb_job *job)
{
	struct jb_schedule *s = job->sched;
	double now = jobs_now(jb);
	int64_t after, next;

	if (s == NULL)
		return;
	if (s->timer != 0)
		jb->d->timer_cancel(jb->d, s->timer);
	s->timer = 0;
	s->next_at = 0;
	if (!s->enabled)
		return;
	after = (int64_t)now;
	if (s->last_fired > (double)after)
		after = (int64_t)s->last_fired;
	if (cron_next(&s->cron, s->tz, after, &next) == -1) {
		jb->d->log(jb->d, FRAMEWORK_LOG_WARN, "job %s: schedule %s (%s) never fires", job->id,
		           s->id, s->cron_text);
		return;
	}
	s->next_at = (double)next;
	s->timer = timer_at(jb, s->next_at, fire_due, job);
}

/* A FORBID time waits for the active runs: until its deadline, then it is skipped. */
static void
wait_for_runs(struct jb *jb, struct jb_job *job, double at)
{
	struct jb_schedule *s = job->sched;

	s->pending_at = at;
	if (s->pending_timer != 0)
		jb->d->timer_cancel(jb->d, s->pending_timer);
	s->pending_timer = timer_at(jb, at + (double)s->deadline_s, pending_due, job);
	jb->d->log(jb->d, FRAMEWORK_LOG_INFO, "job %s: a scheduled run waits for %zu active run(s) "
	           "(FORBID)", job->id, job->nruns);
}

/* Time `at` of job's schedule has come (or came while the plugin was down). */
static void
fire(struct jb *jb, struct jb_job *job, double at)
{
	struct jb_schedule *s = job->sched;
	char why[JB_ERR_MAX];

	s->last_fired = at;
	if (s->pending_at > 0) {
		/* A newer time supersedes the one that waited (one run at most per wait). */
		run_skipped(jb, job, s->pending_at, 1, "a later scheduled time came first (FORBID)");
		s->pending_at = 0;
		if (s->pending_timer != 0)
			jb->d->timer_cancel(jb->d, s->pending_timer);
		s->pending_timer = 0;
	}
	if (s->policy == JB_FORBID && job->nruns > 0) {
		wait_for_runs(jb, job, at);
		jobs_dirty(jb, job);
		return;
	}
	if (s->policy == JB_REPLACE)
		while (job->runs != NULL) {
			snprintf(why, sizeof(why), "replaced by a newer scheduled run (REPLACE)");
			run_fail(jb, job->runs, why, NULL);
		}
	if (job->nruns >= JB_RUNS_MAX) {
		snprintf(why, sizeof(why), "the job has %d active runs", JB_RUNS_MAX);
		run_skipped(jb, job, at, 1, why);
		return;
	}
	run_start(jb, job, at, s->deadline_s);
}

static void
fire_due(struct framework_driver *d, void *arg)
{
	struct jb_job *job = arg;
	struct jb *jb = d->data;
	struct jb_schedule *s = job->sched;
	double at = s->next_at;

	s->timer = 0;
	/* Not even a millisecond early: a run's createdAt is never before its time. */
	if (jobs_now(jb) < at) {
		sched_arm(jb, job);     /* early (the wall clock moved): wait the rest */
		return;
	}
	fire(jb, job, at);
	sched_arm(jb, job);
}

static void
pending_due(struct framework_driver *d, void *arg)
{
	struct jb_job *job = arg;
	struct jb *jb = d->data;
	struct jb_schedule *s = job->sched;

	s->pending_timer = 0;
	if (s->pending_at == 0)
		return;
	if (jobs_now(jb) < s->pending_at + (double)s->deadline_s - EARLY_S) {
		s->pending_timer = timer_at(jb, s->pending_at + (double)s->deadline_s, pending_due, job);
		return;
	}
	run_skipped(jb, job, s->pending_at, 1, "the active run did not end within "
	            "startingDeadlineSeconds (FORBID)");
	s->pending_at = 0;
}

void
sched_run_ended(struct jb *jb, struct jb_job *job)
{
	struct jb_schedule *s = job->sched;
	double at;

	if (s == NULL || s->pending_at == 0 || job->nruns > 0)
		return;
	at = s->pending_at;
	s->pending_at = 0;
	if (s->pending_timer != 0)
		jb->d->timer_cancel(jb->d, s->pending_timer);
	s->pending_timer = 0;
	if (jobs_now(jb) > at + (double)s->deadline_s) {
		run_skipped(jb, job, at, 1, "the active run did not end within "
		            "startingDeadlineSeconds (FORBID)");
		return;
	}
	run_start(jb, job, at, s->deadline_s);
}

void
sched_recover(struct jb *jb, struct jb_job *job)
{
	struct jb_schedule *s = job->sched;
	double now = jobs_now(jb), window;
	long long skipped = 0;
	int64_t t, next, last_skipped = 0, run_at = 0;

	if (s == NULL)
		return;
	if (!s->enabled || s->last_fired == 0) {
		s->last_fired = now;            /* nothing known to be missed */
		sched_arm(jb, job);
		return;
	}
	/* Times missed beyond their starting deadline: counted, never run. */
	window = now - (double)s->deadline_s;
	t = (int64_t)s->last_fired;
	while (cron_next(&s->cron, s->tz, t, &next) == 0 && (double)next < window) {
		t = last_skipped = next;
		if (++skipped == MISSED_SCAN_MAX) {
			t = (int64_t)window - 1;    /* the rest is not counted one by one */
			break;
		}
	}
	/* Times missed within it: the latest one runs, once; the others are skipped. */
	while (cron_next(&s->cron, s->tz, t, &next) == 0 && (double)next <= now) {
		if (run_at != 0) {
			skipped++;
			last_skipped = run_at;
		}
		t = run_at = next;
	}
	if (skipped > 0)
		run_skipped(jb, job, (double)last_skipped, skipped, "missed while the plugin was down");
	if (run_at != 0) {
		jb->d->log(jb->d, FRAMEWORK_LOG_INFO, "job %s: starting the run missed while the plugin "
		           "was down", job->id);
		fire(jb, job, (double)run_at);
	} else if (last_skipped != 0) {
		s->last_fired = (double)last_skipped;
	}
	if (s->pending_at > 0) {
		if (now > s->pending_at + (double)s->deadline_s)
			pending_due(jb->d, job);
		else if (job->nruns == 0)
			sched_run_ended(jb, job);
		else
			wait_for_runs(jb, job, s->pending_at);
	}
	jobs_save(jb, job);
	sched_arm(jb, job);
}
