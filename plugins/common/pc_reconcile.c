/*
 * pc_reconcile.c: reconciliation with the master, as Mesos's
 * reconciliation guide advises and Marathon does. After every
 * (re-)registration, an explicit reconciliation of every known task; the
 * tasks the master has not answered are asked again with exponential
 * backoff (a restarted master holds its answer while its agents are still
 * re-registering, so the first ask may well stay unanswered). On a timer
 * (the conf's reconciliation_interval, Marathon's 600 s), explicit and
 * implicit reconciliation again: what went stale without anyone noticing
 * (a lost update, a kill lost with the master) is set right, and the
 * master's tasks the plugin does not know are reported so that it kills them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"
#include "map.h"
#include "xmem.h"

#define RECONCILE_CONF_KEY "reconciliation_interval"
#define RECONCILE_INTERVAL_S_DEFAULT 600.0      /* Marathon's --reconciliation_interval */
#define RECONCILE_RETRY_FIRST_MS 1000           /* first re-ask of unanswered tasks */
#define RECONCILE_RETRY_MAX_MS 15000            /* Marathon's reconciliation_initial_delay */
#define MS_PER_S 1000.0

int
pc_reconcile_init(struct pc_reconcile *r, struct framework_driver *d, const struct map *tasks,
                  char *err, size_t errlen)
{
	const char *v = d->conf(d, RECONCILE_CONF_KEY);
	double s = RECONCILE_INTERVAL_S_DEFAULT;

	memset(r, 0, sizeof(*r));
	r->d = d;
	r->tasks = tasks;
	map_init(&r->pending);
	if (v != NULL && *v) {
		char *end;

		s = strtod(v, &end);
		if (end == v || *end != '\0' || !(s > 0 && s <= RECONCILE_INTERVAL_S_DEFAULT * MS_PER_S)) {
			snprintf(err, errlen, "%s: a number of seconds above 0 (Marathon's default: "
			         "600)", RECONCILE_CONF_KEY);
			map_free(&r->pending);
			return -1;
		}
	}
	r->interval_ms = (int64_t)(s * MS_PER_S);
	return 0;
}

/* Ask about the pending tasks still known (or, with all, every known task). */
static void
ask(struct pc_reconcile *r, int all)
{
	const char **ids = xcalloc(map_len(r->tasks) + 1, sizeof(*ids));
	const char *k;
	size_t n = 0;

	if (all) {
		map_free(&r->pending);
		map_init(&r->pending);
	}
	for (size_t i = 0; map_next(r->tasks, &i, &k, NULL);) {
		if (!all && map_get(&r->pending, k) == NULL)
			continue;
		ids[n++] = k;
		if (all)
			map_put(&r->pending, k, (void *)1);
	}
	/* Forget those the plugin no longer knows. */
	if (!all) {
		struct map still;

		map_init(&still);
		for (size_t i = 0; i < n; i++)
			map_put(&still, ids[i], (void *)1);
		map_free(&r->pending);
		r->pending = still;
	}
	r->asked += n;
	if (n > 0 && r->d->reconcile(r->d, ids, n) == -1)
		r->d->log(r->d, FRAMEWORK_LOG_WARN, "reconcile: %s", r->d->last_error(r->d));
	free(ids);
}

static void retry_due(struct framework_driver *d, void *arg);

static void
arm_retry(struct pc_reconcile *r)
{
	if (r->retry_timer != 0 || map_len(&r->pending) == 0)
		return;
	r->retry_timer = r->d->timer_add(r->d, r->retry_ms, retry_due, r);
}

static void
retry_due(struct framework_driver *d, void *arg)
{
	struct pc_reconcile *r = arg;

	(void)d;
	r->retry_timer = 0;
	if (map_len(&r->pending) == 0)
		return;
	r->retries++;
	ask(r, 0);
	r->retry_ms *= 2;
	if (r->retry_ms > RECONCILE_RETRY_MAX_MS)
		r->retry_ms = RECONCILE_RETRY_MAX_MS;
	arm_retry(r);
}

/* Explicit of every known task, retried until answered; with implicit, the master's others too. */
static void
run(struct pc_reconcile *r, int implicit)
{
	if (r->retry_timer != 0)
		r->d->timer_cancel(r->d, r->retry_timer);
	r->retry_timer = 0;
	r->retry_ms = RECONCILE_RETRY_FIRST_MS;
	r->rounds++;
	ask(r, 1);
	if (implicit && r->d->reconcile(r->d, NULL, 0) == -1)
		r->d->log(r->d, FRAMEWORK_LOG_WARN, "reconcile: %s", r->d->last_error(r->d));
	arm_retry(r);
}

static void
period_due(struct framework_driver *d, void *arg)
{
	struct pc_reconcile *r = arg;

	r->period_timer = d->timer_add(d, r->interval_ms, period_due, r);
	run(r, 1);
}

void
pc_reconcile_start(struct pc_reconcile *r)
{
	if (r->period_timer != 0)
		r->d->timer_cancel(r->d, r->period_timer);
	r->period_timer = r->d->timer_add(r->d, r->interval_ms, period_due, r);
	/* The host asked for implicit reconciliation itself on a re-registration. */
	run(r, 0);
}

void
pc_reconcile_answered(struct pc_reconcile *r, const char *task_id)
{
	map_del(&r->pending, task_id);
}

void
pc_reconcile_stop(struct pc_reconcile *r)
{
	if (r->retry_timer != 0)
		r->d->timer_cancel(r->d, r->retry_timer);
	if (r->period_timer != 0)
		r->d->timer_cancel(r->d, r->period_timer);
	r->retry_timer = 0;
	r->period_timer = 0;
}

void
pc_reconcile_free(struct pc_reconcile *r)
{
	pc_reconcile_stop(r);
	map_free(&r->pending);
}
