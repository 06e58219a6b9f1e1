/*
 * jobs.c: the jobs plugin itself (plugins/jobs.so): its configuration
 * (jobs.conf: http_port, default 9000 as Metronome's, http_ip, state_dir,
 * role and weight, which the host and the master read, history_count,
 * zoneinfo_dir, and clock_offset for tests), the REST listener, the
 * driver callbacks, and when changes reach the disk. A change made
 * through the REST API is saved before it is answered and new tasks
 * before they are launched; what status updates change is saved once for
 * a burst (a timer of FLUSH_DELAY_MS) and only then are those updates
 * acknowledged (the plugin acknowledges them itself), so a crash
 * loses none: an update not acknowledged is sent again by its agent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jb.h"
#include "compat.h"
#include "http.h"
#include "xmem.h"

#define DEFAULT_HTTP_PORT 9000          /* Metronome's */
#define CONF_NAME "jobs.conf"
#define DEFAULT_HISTORY 1000            /* Metronome's metronome.history.count */
#define HISTORY_MAX 100000
#define FLUSH_RETRY_MS 1000             /* after a failed save, try again this soon */
/*
 * Changes are saved this soon after the first: the schedules due at one
 * time (their timers a millisecond apart at most) all fire before the
 * flush's fsyncs hold the loop, and a burst of updates is saved once.
 */
#define FLUSH_DELAY_MS 5
#define CONF_NUM_MAX 1e9                /* bounds of a number in the conf */

#if defined(__GNUC__) || defined(__clang__)
#define EXPORTED __attribute__((visibility("default")))
#else
#define EXPORTED
#endif

double
jobs_now(const struct jb *jb)
{
	return compat_wall_time() + jb->clock_offset;
}

static void flush(struct framework_driver *d, void *arg);

static void
flush_soon(struct jb *jb, int64_t after_ms)
{
	if (jb->flush_timer == 0)
		jb->flush_timer = jb->d->timer_add(jb->d, after_ms, flush, jb);
}

void
jobs_dirty(struct jb *jb, struct jb_job *job)
{
	job->dirty = 1;
	flush_soon(jb, FLUSH_DELAY_MS);
}

int
jobs_save(struct jb *jb, struct jb_job *job)
{
	char err[JB_ERR_MAX];

	if (jstore_save(jb, job, err, sizeof(err)) == -1) {
		jb->d->log(jb->d, FRAMEWORK_LOG_ERROR, "cannot save job %s: %s", job->id, err);
		job->dirty = 1;
		return -1;
	}
	job->dirty = 0;
	return 0;
}

void
jobs_ack_later(struct jb *jb, const struct framework_status *st)
{
	struct jb_ack *a;

	if (st->uuid == NULL || st->uuid[0] == '\0')
		return;
	if (jb->nacks == jb->acks_cap) {
		jb->acks_cap = jb->acks_cap ? jb->acks_cap * 2 : 64;
		jb->acks = xreallocarray(jb->acks, jb->acks_cap, sizeof(*jb->acks));
	}
	a = &jb->acks[jb->nacks++];
	a->task_id = xstrdup(st->task_id);
	a->agent_id = xstrdup(st->agent_id);
	a->uuid = xstrdup(st->uuid);
	flush_soon(jb, FLUSH_DELAY_MS);
}

static void
acks_free(struct jb *jb)
{
	for (size_t i = 0; i < jb->nacks; i++) {
		free(jb->acks[i].task_id);
		free(jb->acks[i].agent_id);
		free(jb->acks[i].uuid);
	}
	jb->nacks = 0;
}

/* Save every changed job, then acknowledge the updates that changed them. */
static void
flush(struct framework_driver *d, void *arg)
{
	struct jb *jb = arg;
	char err[JB_ERR_MAX];
	int failed = 0;
	const char *k;
	void *v;

	jb->flush_timer = 0;
	/* Every changed job's record, then one commit for them all. */
	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &v);)
		if (((struct jb_job *)v)->dirty) {
			jstore_stage(jb, v);
			((struct jb_job *)v)->dirty = 0;
		}
	if (jstore_commit(jb, err, sizeof(err)) == -1) {
		d->log(d, FRAMEWORK_LOG_ERROR, "cannot save jobs: %s", err);
		failed = 1;
	}
	if (failed) {
		flush_soon(jb, FLUSH_RETRY_MS);
		return;
	}
	for (size_t i = 0; i < jb->nacks && jb->registered; i++) {
		struct framework_status st;

		memset(&st, 0, sizeof(st));
		st.task_id = jb->acks[i].task_id;
		st.agent_id = jb->acks[i].agent_id;
		st.uuid = jb->acks[i].uuid;
		if (d->acknowledge(d, &st) == -1)
			d->log(d, FRAMEWORK_LOG_WARN, "acknowledge %s: %s", st.task_id, d->last_error(d));
	}
	acks_free(jb);
}

static void
free_all(struct jb *jb)
{
	const char *k;
	void *v;

	jevents_free(jb);
	if (jb->flush_timer != 0)
		jb->d->timer_cancel(jb->d, jb->flush_timer);
	if (jb->addr.fd >= 0)
		pc_rest_close(jb->loop, jb->addr.fd);
	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &v);) {
		struct jb_job *job = v;

		sched_disarm(jb, job);
		while (job->runs != NULL) {
			struct jb_run *r = job->runs;

			job->runs = r->next;
			run_free(jb, r);
		}
		job_free(job);
	}
	/* What is left are the runless tasks killed with their runs. */
	for (size_t i = 0; map_next(&jb->tasks, &i, &k, &v);)
		run_task_free(v);
	pc_reconcile_free(&jb->reconcile);
	map_free(&jb->jobs);
	map_free(&jb->tasks);
	job_zones_free(jb);
	acks_free(jb);
	free(jb->acks);
	jstore_close(jb);
	loop_driver_free(jb->loop);
	free(jb->state_dir);
	free(jb->zoneinfo_dir);
	free(jb);
}

/* A number from the conf within [min, max], def when unset; -1 with err. */
static int
conf_number(struct framework_driver *d, const char *key, double def, double min, double max,
            double *out, char *err, size_t errlen)
{
	const char *s = d->conf(d, key);
	char *end;

	*out = def;
	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	*out = strtod(s, &end);
	if (errno != 0 || *end != '\0' || *out < min || *out > max) {
		snprintf(err, errlen, "%s: %s must be a number in %g..%g, not '%s'", CONF_NAME, key, min,
		         max, s);
		return -1;
	}
	return 0;
}

static int
jobs_init(struct framework_driver *d, char *err, size_t errlen)
{
	struct jb *jb = xcalloc(1, sizeof(*jb));
	const char *role = d->conf(d, "role"), *zdir = d->conf(d, "zoneinfo_dir");
	double history;
	const char *k;
	void *v;

	jb->d = d;
	jb->addr.fd = -1;
	jb->suppressed = -1;
	map_init(&jb->jobs);
	map_init(&jb->tasks);
	map_init(&jb->zones);
	jb->loop = loop_driver_new(d);
	d->data = jb;
	snprintf(jb->role, sizeof(jb->role), "%s", role != NULL && *role ? role : "*");
	if (zdir != NULL && *zdir != '\0')
		jb->zoneinfo_dir = xstrdup(zdir);
	if (conf_number(d, "clock_offset", 0, -CONF_NUM_MAX, CONF_NUM_MAX, &jb->clock_offset, err,
	                errlen) == -1 ||
	    conf_number(d, "history_count", DEFAULT_HISTORY, 0, HISTORY_MAX, &history, err,
	                errlen) == -1 ||
	    pc_reconcile_init(&jb->reconcile, d, &jb->tasks, err, errlen) == -1 ||
	    pc_store_dir(d, CONF_NAME, &jb->state_dir, err, errlen) == -1 ||
	    jstore_load(jb, err, errlen) == -1 ||
	    pc_rest_listen(d, jb->loop, CONF_NAME, DEFAULT_HTTP_PORT, jrest_handle, jb, &jb->addr,
	                   err, errlen) == -1) {
		free_all(jb);
		d->data = NULL;
		return -1;
	}
	jb->history_max = (long long)history;
	if (jb->clock_offset != 0)
		d->log(d, FRAMEWORK_LOG_WARN, "clock_offset=%g: this plugin's clock is not the system's",
		       jb->clock_offset);
	/* Loaded: deadlines and schedules take up where they were. */
	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &v);) {
		for (struct jb_run *r = ((struct jb_job *)v)->runs; r != NULL; r = r->next)
			run_arm(jb, r);
		sched_recover(jb, v);
	}
	return 0;
}

static void
jobs_fini(struct framework_driver *d)
{
	if (d->data != NULL)
		free_all(d->data);
	d->data = NULL;
}

static void
jobs_registered(struct framework_driver *d, const char *framework_id)
{
	struct jb *jb = d->data;

	jb->registered = 1;
	jb->suppressed = -1;
	d->log(d, FRAMEWORK_LOG_INFO, "registered as framework %s", framework_id);
	/* Tasks on disk but unknown to a new framework ID are gone: ask, so their runs go on. */
	run_reconcile(jb);
	launch_wanted(jb);
}

static void
jobs_reregistered(struct framework_driver *d, const char *framework_id)
{
	struct jb *jb = d->data;

	jb->registered = 1;
	jb->suppressed = -1;
	d->log(d, FRAMEWORK_LOG_INFO, "registered again as framework %s with %zu known task(s)",
	       framework_id, map_len(&jb->tasks));
	run_reconcile(jb);
	launch_wanted(jb);
	flush_soon(jb, 0);      /* acknowledgements held while away */
}

static void
jobs_offers(struct framework_driver *d, const struct framework_offer *offers, size_t n)
{
	launch_offers(d->data, offers, n);
}

static void
jobs_status(struct framework_driver *d, const struct framework_status *st)
{
	run_status(d->data, st);
	jobs_ack_later(d->data, st);
}

static void
jobs_disconnected(struct framework_driver *d)
{
	((struct jb *)d->data)->registered = 0;
	pc_reconcile_stop(&((struct jb *)d->data)->reconcile);
}

EXPORTED const struct framework_plugin mesos_framework_plugin = {
	.abi_version = FRAMEWORK_ABI_VERSION,
	.name = "jobs",
	.flags = FRAMEWORK_EXPLICIT_ACKS,
	.init = jobs_init,
	.fini = jobs_fini,
	.registered = jobs_registered,
	.reregistered = jobs_reregistered,
	.offers = jobs_offers,
	.status_update = jobs_status,
	.disconnected = jobs_disconnected,
};
