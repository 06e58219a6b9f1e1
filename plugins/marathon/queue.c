/*
 * queue.c: keeping each app's `instances` tasks running. Matches offers
 * against the apps that lack tasks (cpus, mem, disk, host ports), builds
 * Marathon's task ids and environment, persists the new tasks before
 * launching them, follows status updates, replaces tasks that end with
 * Marathon's launch backoff (backoffSeconds, backoffFactor,
 * maxLaunchDelaySeconds of its app definition, "REST API" in Marathon's
 * documentation), rolls a new config over within upgradeStrategy
 * ("Deployments"), picks the victims of a scale-down (killSelection) and
 * keeps tasks whose agent went away as unreachable instances under the
 * app's unreachableStrategy (both in "Task Handling Configuration"). The
 * README's Marathon section says how far each goes here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "attrs.h"
#include "buf.h"
#include "compat.h"
#include "id.h"
#include "xmem.h"

#define DECLINE_IDLE_S 120.0          /* Marathon's --decline_offer_duration: nothing to launch */
#define DECLINE_BUSY_S -1.0           /* the host's default: some app still waits */
#define OFFER_TASKS_MAX 100           /* tasks launched from one offer (one protocol line) */
#define LAUNCH_REFUSE_S 0.0           /* what a launch leaves is offered again at once */
#define UUID_HEX 32
#define MS_PER_S 1000.0
#define ENV_FIXED 8                   /* PORT, PORTS, HOST, MARATHON_APP_*, MESOS_TASK_ID */
/*
 * How often unreachable tasks are checked against their timeouts. Marathon
 * only looks on its reconciliation tick (10 min); a second keeps our
 * timeouts within a second of what the app asks, at the cost of a scan of
 * the known tasks while some are unreachable.
 */
#define UNREACHABLE_TICK_MS 1000

static const char *const FAILED_STATES[] = { "TASK_FAILED", "TASK_ERROR", "TASK_DROPPED",
	"TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_FINISHED", "TASK_LOST", "TASK_UNKNOWN",
	"TASK_UNREACHABLE", NULL };

static int
in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

long long
queue_active(const struct mt_app *a)
{
	long long n = 0;

	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next)
		n += !t->killing && !t->outdated && !t->inactive;
	return n;
}

struct mt_task *
queue_task_new(struct mt *m, struct mt_app *a, const char *id)
{
	struct mt_task *t = xcalloc(1, sizeof(*t));

	snprintf(t->id, sizeof(t->id), "%s", id);
	t->app = a;
	if (a != NULL) {
		t->next = a->tasks;
		a->tasks = t;
	}
	map_put(&m->tasks, t->id, t);
	return t;
}

void
queue_task_free(struct mt_task *t)
{
	health_task_free(t);
	readiness_task_free(t);
	for (size_t i = 0; i < t->ncvals; i++)
		free(t->cvals[i]);
	free(t->cvals);
	free(t);
}

static void
unlink_task(struct mt_task *t)
{
	struct mt_task **pp;

	if (t->app == NULL)
		return;
	for (pp = &t->app->tasks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->app = NULL;
	t->next = NULL;
}

static void
drop_task(struct mt *m, struct mt_task *t)
{
	unlink_task(t);
	map_del(&m->tasks, t->id);
	queue_task_free(t);
}

static void
save(struct mt *m)
{
	char err[MT_ERR_MAX];

	if (store_save(m, err, sizeof(err)) == -1)
		m->d->log(m->d, FRAMEWORK_LOG_ERROR, "cannot save state: %s", err);
}

void
queue_kill(struct mt *m, struct mt_task *t)
{
	int64_t grace = t->app != NULL && t->app->kill_grace_seconds >= 0 ?
	                (int64_t)(t->app->kill_grace_seconds * MS_PER_S) : 0;

	t->killing = 1;
	health_stop(t);
	readiness_stop(t);
	if (m->d->kill(m->d, t->id, grace) == -1)
		m->d->log(m->d, FRAMEWORK_LOG_WARN, "kill %s: %s", t->id, m->d->last_error(m->d));
}

static void
delay_due(struct framework_driver *d, void *arg)
{
	struct mt_app *a = arg;

	a->delay_timer = 0;
	d->revive(d);
}

void
queue_reset_delay(struct mt *m, struct mt_app *a)
{
	a->delay_s = 0;
	a->next_launch_ms = 0;
	if (a->delay_timer != 0)
		m->d->timer_cancel(m->d, a->delay_timer);
	a->delay_timer = 0;
}

/* A task of a ended badly: the next launch waits (RateLimiter.scala). */
static void
backoff(struct mt *m, struct mt_app *a)
{
	int64_t now = m->d->now_ms(m->d);

	/* A delay untouched for maxLaunchDelaySeconds is forgotten. */
	if (a->delay_s > 0 && now > a->delay_ref_ms + (int64_t)(a->max_launch_delay_seconds * MS_PER_S))
		a->delay_s = 0;
	if (a->delay_s == 0)
		a->delay_s = a->backoff_seconds;
	else
		a->delay_s *= a->backoff_factor;
	if (a->delay_s > a->max_launch_delay_seconds)
		a->delay_s = a->max_launch_delay_seconds;
	a->delay_ref_ms = now;
	a->next_launch_ms = now + (int64_t)(a->delay_s * MS_PER_S);
	if (a->delay_timer != 0)
		m->d->timer_cancel(m->d, a->delay_timer);
	a->delay_timer = m->d->timer_add(m->d, a->next_launch_ms - now, delay_due, a);
}

/* Scale-down order: unreachable, staging, starting, running, then by killSelection. */
static int
weight(const struct mt_task *t)
{
	if (t->unreachable_since != 0)
		return -1;
	if (strcmp(t->state, "TASK_STAGING") == 0)
		return 0;
	if (strcmp(t->state, "TASK_STARTING") == 0)
		return 1;
	if (strcmp(t->state, "TASK_RUNNING") == 0)
		return 2;
	return 3;
}

static int oldest_first;

static int
victim_cmp(const void *pa, const void *pb)
{
	const struct mt_task *a = *(const struct mt_task *const *)pa;
	const struct mt_task *b = *(const struct mt_task *const *)pb;

	if (weight(a) != weight(b))
		return weight(a) - weight(b);
	if (a->staged_at == b->staged_at)
		return strcmp(a->id, b->id);
	if (oldest_first)
		return a->staged_at < b->staged_at ? -1 : 1;
	return a->staged_at > b->staged_at ? -1 : 1;
}

struct roll {
	long long old, fresh, healthy, fresh_running;   /* alive (not being killed) */
	long long min_healthy, max_capacity;
};

/* Non-negative ceil and floor without libm (a plugin links nothing beyond libc). */
static long long
up(double v)
{
	long long i = (long long)v;

	return (double)i < v ? i + 1 : i;
}

static long long
down(double v)
{
	return (long long)v;
}

/* TaskReplaceActor.computeRestartStrategy: the bounds of a rolling replacement. */
static void
roll_of(const struct mt_app *a, struct roll *r)
{
	memset(r, 0, sizeof(*r));
	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next) {
		int running = app_task_healthy(a, t);

		if (t->killing || t->inactive)
			continue;
		r->healthy += running;
		if (t->outdated) {
			r->old++;
		} else {
			r->fresh++;
			r->fresh_running += running;
		}
	}
	r->min_healthy = up((double)a->instances * a->min_health_capacity);
	r->max_capacity = down((double)a->instances * (1 + a->max_over_capacity));
	if (r->min_healthy == r->max_capacity && r->max_capacity <= r->healthy)
		r->max_capacity++;      /* room for one extra, or nothing could ever move */
}

long long
queue_room(const struct mt_app *a)
{
	struct roll r;
	long long room;

	roll_of(a, &r);
	room = a->instances - r.fresh;
	if (r.old > 0 && r.max_capacity - r.old - r.fresh < room)
		room = r.max_capacity - r.old - r.fresh;
	return room > 0 ? room : 0;
}

/* Kill outdated tasks as far as minimumHealthCapacity allows: not running ones first. */
static void
retire_outdated(struct mt *m, struct mt_app *a)
{
	struct roll r;
	long long killable;

	roll_of(a, &r);
	if (r.old == 0)
		return;
	killable = r.fresh_running >= a->instances ? r.old : r.healthy - r.min_healthy;
	for (int pass = 0; pass < 2; pass++)
		for (struct mt_task *t = a->tasks; t != NULL; t = t->next) {
			int running = app_task_healthy(a, t);

			if (t->killing || !t->outdated || running != pass)
				continue;
			if (running && killable <= 0)
				return;
			queue_kill(m, t);
			killable -= running;
		}
}

void
queue_converge(struct mt *m, struct mt_app *a)
{
	long long active = queue_active(a);
	struct mt_task **v;
	size_t n = 0;

	retire_outdated(m, a);
	deployments_check(m, a);
	if (queue_room(a) > 0) {
		if (a->since == 0)
			a->since = compat_wall_time();
		m->d->revive(m->d);
		return;
	}
	a->since = 0;
	memset(&a->stats, 0, sizeof(a->stats));
	if (active <= a->instances)
		return;
	v = xcalloc((size_t)active, sizeof(*v));
	for (struct mt_task *t = a->tasks; t != NULL; t = t->next)
		if (!t->killing && !t->outdated && !t->inactive)
			v[n++] = t;
	oldest_first = a->kill_oldest_first;
	qsort(v, n, sizeof(*v), victim_cmp);
	for (long long i = 0; i < active - a->instances; i++)
		queue_kill(m, v[i]);
	free(v);
}

void
queue_delete_app(struct mt *m, struct mt_app *a)
{
	while (a->tasks != NULL) {
		struct mt_task *t = a->tasks;

		if (!t->killing)
			queue_kill(m, t);
		/* It stays known, appless, until its end is reported. */
		unlink_task(t);
	}
	queue_reset_delay(m, a);
	app_free(a);
}

/*
 * Apply t's app's unreachableStrategy at wall clock now: inactive (replaced)
 * after inactiveAfterSeconds, expunged after expungeAfterSeconds. A task
 * being killed, or whose app is gone, is expunged at once: its agent will
 * never report its end. Returns 1 if t was expunged (freed).
 */
static int
expire(struct mt *m, struct mt_task *t, double now)
{
	const struct mt_app *a = t->app;
	double gone = now - t->unreachable_since;

	if (t->killing || a == NULL || (!a->unreachable_disabled && gone >= a->unreachable_expunge_s)) {
		m->d->log(m->d, FRAMEWORK_LOG_INFO, "%s: unreachable instance expunged", t->id);
		drop_task(m, t);
		return 1;
	}
	if (!a->unreachable_disabled && !t->inactive && gone >= a->unreachable_inactive_s) {
		m->d->log(m->d, FRAMEWORK_LOG_INFO, "%s: unreachable instance inactive, replacing it",
		          t->id);
		t->inactive = 1;
	}
	return 0;
}

static void tick(struct framework_driver *d, void *arg);

/* Keep the tick going while some task is unreachable. */
static void
arm(struct mt *m)
{
	const char *k;
	void *v;

	if (m->unreachable_timer != 0)
		return;
	for (size_t i = 0; map_next(&m->tasks, &i, &k, &v);)
		if (((struct mt_task *)v)->unreachable_since != 0) {
			m->unreachable_timer = m->d->timer_add(m->d, UNREACHABLE_TICK_MS, tick, m);
			return;
		}
}

static void
tick(struct framework_driver *d, void *arg)
{
	struct mt *m = arg;
	size_t n = 0, napps = 0;
	struct mt_task **ts = xcalloc(map_len(&m->tasks) + 1, sizeof(*ts));
	struct mt_app **apps = xcalloc(map_len(&m->tasks) + 1, sizeof(*apps));
	double now = compat_wall_time();
	const char *k;
	void *v;

	(void)d;
	m->unreachable_timer = 0;
	/* Collected first: expunging changes the map being walked. */
	for (size_t i = 0; map_next(&m->tasks, &i, &k, &v);)
		if (((struct mt_task *)v)->unreachable_since != 0)
			ts[n++] = v;
	for (size_t i = 0; i < n; i++) {
		struct mt_app *a = ts[i]->app;
		int was = ts[i]->inactive;

		if ((expire(m, ts[i], now) || ts[i]->inactive != was) && a != NULL)
			apps[napps++] = a;
	}
	if (napps > 0)
		store_save_soon(m);   /* with the rest of this loop turn's changes */
	/* Converging kills and revives; it frees no app or task, so apps stay valid. */
	for (size_t i = 0; i < napps; i++)
		queue_converge(m, apps[i]);
	free(ts);
	free(apps);
	arm(m);
}

void
queue_stop(struct mt *m)
{
	if (m->unreachable_timer != 0)
		m->d->timer_cancel(m->d, m->unreachable_timer);
	m->unreachable_timer = 0;
}

/* The task's agent went away (our master is not partition-aware: removed = unreachable). */
static int
unreachable_signal(const struct framework_status *st)
{
	int agent_gone = strcmp(st->reason, "REASON_AGENT_REMOVED") == 0 ||
	                 strcmp(st->reason, "REASON_AGENT_DISCONNECTED") == 0;

	return strcmp(st->state, "TASK_UNREACHABLE") == 0 ||
	       (agent_gone && (strcmp(st->state, "TASK_LOST") == 0 ||
	                       strcmp(st->state, "TASK_GONE") == 0));
}

void
queue_reconcile(struct mt *m)
{
	pc_reconcile_start(&m->reconcile);
	arm(m);
}

void
queue_status(struct mt *m, const struct framework_status *st)
{
	struct mt_task *t = map_get(&m->tasks, st->task_id);
	int over = in_list(FAILED_STATES, st->state) || strcmp(st->state, "TASK_KILLED") == 0;
	struct mt_app *a;

	pc_reconcile_answered(&m->reconcile, st->task_id);
	if (t == NULL) {
		/* Not ours (launched by a lost earlier life, or already replaced): end it. */
		if (!over) {
			m->d->log(m->d, FRAMEWORK_LOG_INFO, "killing unknown task %s", st->task_id);
			m->d->kill(m->d, st->task_id, 0);
		}
		return;
	}
	a = t->app;
	if (st->agent_id[0] != '\0')
		snprintf(t->agent_id, sizeof(t->agent_id), "%s", st->agent_id);
	if (!over && t->killing && strcmp(st->reason, "REASON_RECONCILIATION") == 0) {
		/* Still alive after our kill: the kill was lost (with a master that died). Again. */
		m->d->log(m->d, FRAMEWORK_LOG_INFO, "%s is still %s: killing it again", t->id,
		          st->state);
		queue_kill(m, t);
	}
	if (!over) {
		int running = strcmp(st->state, "TASK_RUNNING") == 0;

		snprintf(t->state, sizeof(t->state), "%s", st->state);
		/* Back after all: a live task again (a surplus is then scaled away). */
		t->unreachable_since = 0;
		t->inactive = 0;
		if (running && t->started_at == 0)
			t->started_at = st->timestamp > 0 ? st->timestamp : compat_wall_time();
		if (a != NULL && a->delay_s > 0)
			a->delay_ref_ms = m->d->now_ms(m->d);    /* Marathon's advanceDelay */
		if (a == NULL)
			return;
		/* The agent's verdict on its own check: converges when it is news. */
		if (st->healthy != -1 && app_agent_check(a) >= 0)
			health_result(m, t, (size_t)app_agent_check(a), st->healthy, st->message, 1);
		if (running) {
			health_task_running(m, t);
			readiness_task_running(m, t);
		}
		if (running && a->nhealth == 0)
			queue_converge(m, a);
		if (running)
			groups_wake(m);
		return;
	}
	/* Already unreachable: the master repeating that it knows nothing of it changes nothing. */
	if (t->unreachable_since != 0 && !t->killing &&
	    (unreachable_signal(st) || strcmp(st->reason, "REASON_RECONCILIATION") == 0))
		return;
	m->d->log(m->d, FRAMEWORK_LOG_INFO, "%s is %s%s%s", t->id, st->state,
	          st->message[0] ? ": " : "", st->message);
	if (a != NULL && !t->killing && unreachable_signal(st)) {
		m->metrics.tasks_failed++;
		backoff(m, a);
		snprintf(t->state, sizeof(t->state), "TASK_UNREACHABLE");
		t->unreachable_since = st->timestamp > 0 ? st->timestamp : compat_wall_time();
		health_stop(t);
		readiness_stop(t);
		if (!expire(m, t, compat_wall_time()))
			arm(m);
		store_save_soon(m);   /* with the rest of this loop turn's changes */
		queue_converge(m, a);
		return;
	}
	if (a != NULL && strcmp(st->reason, "REASON_TASK_UNHEALTHY_CHECK_FAILED") == 0) {
		/* The agent killed it for its check: replaced, as Marathon does, without backoff. */
		m->metrics.tasks_killed_unhealthy++;
		events_unhealthy_kill(m, t);
	}
	if (a != NULL && !t->killing && in_list(FAILED_STATES, st->state) &&
	    strcmp(st->state, "TASK_FINISHED") != 0)
		view_failure_record(a, t, st);
	if (a != NULL && !t->killing && in_list(FAILED_STATES, st->state)) {
		m->metrics.tasks_failed++;
		backoff(m, a);
	}
	drop_task(m, t);
	store_save_soon(m);   /* with the rest of this loop turn's changes */
	if (a != NULL)
		queue_converge(m, a);
}

/* ---- offer matching ---- */

/* What launch() needs for one task, all owned here until the launch call returns. */
struct launching {
	struct framework_task ft;
	struct framework_health_check hc;
	char **env;
	size_t nenv;
	char *command;
	char *resources;
	char **uris;                    /* fetch entries with their options */
};

static void
build(struct launching *l, const struct mt_app *a, const struct mt_task *t)
{
	char name[MT_ID_MAX];
	struct buf ports;

	memset(l, 0, sizeof(*l));
	l->env = xcalloc(a->nenv + a->nlabels + 2 * a->nports + ENV_FIXED, sizeof(*l->env));
	for (size_t i = 0; i < a->nenv; i++)
		l->env[l->nenv++] = xstrfmt("%s=%s", a->env[i].key, a->env[i].value);
	buf_init(&ports, 0);
	for (size_t i = 0; i < t->nports; i++) {
		l->env[l->nenv++] = xstrfmt("PORT%zu=%d", i, t->ports[i]);
		if (a->ports[i].name[0]) {
			pc_offer_env_name(name, sizeof(name), "PORT_", a->ports[i].name);
			l->env[l->nenv++] = xstrfmt("%s=%d", name, t->ports[i]);
		}
		buf_printf(&ports, "%s%d", i ? "," : "", t->ports[i]);
	}
	if (t->nports > 0) {
		l->env[l->nenv++] = xstrfmt("PORT=%d", t->ports[0]);
		l->env[l->nenv++] = xstrfmt("PORTS=%s", ports.data);
	}
	buf_free(&ports);
	l->env[l->nenv++] = xstrfmt("HOST=%s", t->host);
	l->env[l->nenv++] = xstrfmt("MARATHON_APP_ID=%s", a->id);
	l->env[l->nenv++] = xstrfmt("MARATHON_APP_VERSION=%s", a->version);
	l->env[l->nenv++] = xstrfmt("MESOS_TASK_ID=%s", t->id);
	for (size_t i = 0; i < a->nlabels; i++) {
		pc_offer_env_name(name, sizeof(name), "MARATHON_APP_LABEL_", a->labels[i].key);
		l->env[l->nenv++] = xstrfmt("%s=%s", name, a->labels[i].value);
	}
	l->command = a->cmd != NULL ? xstrdup(a->cmd) : pc_offer_shell_join(a->args, a->nargs);
	l->resources = pc_offer_resources(a->cpus, a->mem, a->disk, t->ports, t->nports);
	l->ft.task_id = t->id;
	l->ft.command = l->command;
	l->ft.resources = l->resources;
	l->ft.env = (const char *const *)l->env;
	l->ft.nenv = l->nenv;
	l->uris = xcalloc(a->nuris + 1, sizeof(*l->uris));
	for (size_t i = 0; i < a->nuris; i++) {
		char spec[MT_FETCH_SPEC_MAX];

		app_fetch_spec(a, i, spec, sizeof(spec));
		l->uris[i] = xstrdup(spec);
	}
	l->ft.uris = (const char *const *)l->uris;
	l->ft.nuris = a->nuris;
	l->ft.user = a->user;
	if (app_agent_check(a) >= 0) {
		const struct mt_health *h = &a->health[app_agent_check(a)];

		/* MESOS_HTTP -> HTTP, MESOS_TCP -> TCP: the agent's names. */
		l->hc.type = strncmp(h->protocol, "MESOS_", strlen("MESOS_")) == 0 ?
		             h->protocol + strlen("MESOS_") : h->protocol;
		l->hc.command = h->command;
		l->hc.port = h->port_index >= 0 && (size_t)h->port_index < t->nports ?
		             t->ports[h->port_index] : h->port;
		l->hc.path = h->path;
		l->hc.delay_seconds = h->delay_s;
		l->hc.interval_seconds = h->interval_s;
		l->hc.timeout_seconds = h->timeout_s;
		l->hc.grace_period_seconds = h->grace_s;
		l->hc.consecutive_failures = (int)h->max_failures;
		l->ft.health_check = &l->hc;
	}
	l->ft.kill_grace_ms = a->kill_grace_seconds >= 0 ?
	                      (int64_t)(a->kill_grace_seconds * MS_PER_S) : 0;
}

static void
unbuild(struct launching *l)
{
	for (size_t i = 0; i < l->nenv; i++)
		free(l->env[i]);
	free(l->env);
	free(l->command);
	free(l->resources);
	for (size_t i = 0; l->uris != NULL && l->uris[i] != NULL; i++)
		free(l->uris[i]);
	free(l->uris);
}

static struct mt_task *
new_task(struct mt *m, struct mt_app *a, const struct framework_offer *of,
         const struct attrs *attrs)
{
	char prefix[MT_ID_MAX + 1], hex[UUID_HEX + 1], id[MT_TASK_ID_MAX];
	struct mt_task *t;

	app_task_prefix(a->id, prefix, sizeof(prefix));
	id_random_hex(hex, UUID_HEX);
	snprintf(id, sizeof(id), "%s.instance-%.8s-%.4s-%.4s-%.4s-%.12s._app", prefix, hex, hex + 8,
	         hex + 12, hex + 16, hex + 20);
	t = queue_task_new(m, a, id);
	snprintf(t->agent_id, sizeof(t->agent_id), "%s", of->agent_id);
	snprintf(t->host, sizeof(t->host), "%s", of->hostname);
	snprintf(t->state, sizeof(t->state), "TASK_STAGING");
	snprintf(t->version, sizeof(t->version), "%s", a->version);
	t->staged_at = compat_wall_time();
	t->healthy = -1;
	constraints_task_values(a, t, of->hostname, attrs);
	return t;
}

/*
 * Largest instances first (memory, then cpus, then disk; the id breaks a
 * tie, for one order on every offer): the held headroom fits the sum the
 * services want, and smaller instances filling it first left a 4 GB one
 * waiting for a batch task's end (first-fit decreasing, as bin packers do).
 */
static int
larger_instance_first(const void *x, const void *y)
{
	const struct mt_app *a = *(struct mt_app *const *)x, *b = *(struct mt_app *const *)y;

	if (a->mem != b->mem)
		return a->mem > b->mem ? -1 : 1;
	if (a->cpus != b->cpus)
		return a->cpus > b->cpus ? -1 : 1;
	if (a->disk != b->disk)
		return a->disk > b->disk ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* Launch what fits on one offer; 1 if some app still waits for more. */
static int
match_offer(struct mt *m, const struct framework_offer *of, int64_t now)
{
	struct launching *ls = NULL;
	struct framework_task *fts;
	struct mt_task **made;
	struct mt_app **wanting;
	struct pc_offer left;
	struct attrs attrs;
	char err[MT_ERR_MAX];
	size_t n = 0, nwanting = 0, fitting;
	int waiting = 0;
	const char *k;
	void *v;

	if (pc_offer_init(&left, of->resources, err, sizeof(err)) == -1) {
		m->d->log(m->d, FRAMEWORK_LOG_WARN, "offer %s: %s", of->id, err);
		m->d->decline(m->d, of->id, DECLINE_BUSY_S);
		return 0;
	}
	attrs_init(&attrs);
	if (attrs_parse(&attrs, of->attributes != NULL ? of->attributes : "", err, sizeof(err)) == -1)
		m->d->log(m->d, FRAMEWORK_LOG_WARN, "offer %s attributes: %s", of->id, err);
	made = xcalloc(OFFER_TASKS_MAX, sizeof(*made));
	wanting = xcalloc(map_len(&m->apps) + 1, sizeof(*wanting));
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);)
		if (queue_room(v) > 0)
			wanting[nwanting++] = v;
	qsort(wanting, nwanting, sizeof(*wanting), larger_instance_first);
	for (size_t i = 0; i < nwanting; i++) {
		struct mt_app *a = wanting[i];
		long long need = queue_room(a), got = 0;
		int why = -1, want[MT_PORTS_MAX];

		if (now < a->next_launch_ms) {
			waiting = 1;      /* its delay timer revives offers */
			continue;
		}
		/* Its dependencies first: groups_wake revives offers once they run. */
		if (!groups_deps_ready(m, a))
			continue;
		/* requirePorts: the app's own port numbers; else any free ones. */
		for (size_t p = 0; p < a->nports; p++)
			want[p] = a->require_ports ? a->ports[p].port : 0;
		while (need > 0 && n < OFFER_TASKS_MAX) {
			int ports[MT_PORTS_MAX];

			if (!constraints_match(a, of->hostname, &attrs)) {
				why = PC_REASON_CONSTRAINT;
				break;
			}
			if ((why = pc_offer_take(&left, a->cpus, a->mem, a->disk, want, a->nports,
			                         ports)) != -1)
				break;
			made[n] = new_task(m, a, of, &attrs);
			memcpy(made[n]->ports, ports, a->nports * sizeof(*ports));
			made[n]->nports = a->nports;
			n++;
			need--;
			got++;
		}
		pc_offer_stats_note(&a->stats, got, why);
		waiting |= need > 0;
	}
	free(wanting);
	attrs_free(&attrs);
	if (n == 0) {
		free(made);
		m->d->decline(m->d, of->id, waiting ? DECLINE_BUSY_S : DECLINE_IDLE_S);
		return waiting;
	}
	/* Known before launched: a crash from here on finds them in the store. */
	save(m);
	ls = xcalloc(n, sizeof(*ls));
	fts = xcalloc(n, sizeof(*fts));
	for (size_t i = 0; i < n; i++)
		build(&ls[i], made[i]->app, made[i]);
	/* After every build: ls no longer moves, so health_check pointers hold. */
	for (size_t i = 0; i < n; i++)
		fts[i] = ls[i].ft;
	/* Too much for one message (long envs): halve until it fits; the rest waits. */
	for (fitting = n; fitting > 0; fitting /= 2)
		if (m->d->launch(m->d, of->id, fts, fitting, LAUNCH_REFUSE_S) == 0)
			break;
	if (fitting < n) {
		m->d->log(m->d, FRAMEWORK_LOG_WARN, "launch on %s: %s; %zu of %zu task(s) launched",
		          of->hostname, m->d->last_error(m->d), fitting, n);
		for (size_t i = fitting; i < n; i++)
			drop_task(m, made[i]);
		save(m);
		if (fitting == 0)
			m->d->decline(m->d, of->id, DECLINE_BUSY_S);
	} else {
		m->d->log(m->d, FRAMEWORK_LOG_DEBUG, "launched %zu task(s) on %s", n, of->hostname);
	}
	m->metrics.tasks_launched += (long long)fitting;
	for (size_t i = 0; i < n; i++)
		unbuild(&ls[i]);
	free(ls);
	free(fts);
	free(made);
	return waiting;
}

void
queue_offers(struct mt *m, const struct framework_offer *offers, size_t n)
{
	int64_t now = m->d->now_ms(m->d);

	for (size_t i = 0; i < n; i++)
		match_offer(m, &offers[i], now);
}
