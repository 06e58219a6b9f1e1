/*
 * health.c: task health. Results come from the agent (MESOS_HTTP,
 * MESOS_TCP, COMMAND: a `healthy` field on status updates; the agent kills
 * a task that fails too often itself) or from the HTTP and TCP checks the
 * plugin runs itself. Those never block the host's loop: a non-blocking
 * connect watched through the driver, a timer for the timeout and one for
 * the next check. Marathon's rules (its documentation's "Health Checks
 * and Task Termination", and what Marathon does beyond it): the first
 * check after min(intervalSeconds, 5 s); failures ignored until a first
 * success or gracePeriodSeconds after the task started; HTTP healthy on
 * 200-399; a failure arriving when maxConsecutiveFailures already failed
 * kills the task (0 = never), and the launch queue replaces it. An app
 * may have several checks: each keeps its own result and failure count;
 * the task is healthy when all of them last passed, unhealthy when any
 * failed, and only a change of that verdict is news.
 *
 * Agents are known by the host name they advertise. A numeric one needs no
 * lookup; a name is resolved once (getaddrinfo, which may ask DNS and wait
 * for it) and its address kept for RESOLVED_TTL_MS, a failure for
 * UNRESOLVED_TTL_MS, so the host's loop waits for a resolver at most once
 * per agent per period, never per check. Agents advertising an address
 * (--hostname=IP) never make it wait.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mt.h"
#include "compat.h"
#include "json.h"
#include "net.h"
#include "resolve.h"
#include "xmem.h"

#define FIRST_CHECK_MAX_MS 5000       /* Marathon's first check: min(interval, 5 s) */
#define REQUEST_MAX 1024              /* the GET line and headers */
#define STATUS_LINE_MAX 256           /* the reply is read up to its status line only */
#define HTTP_HEALTHY_MIN 200
#define HTTP_HEALTHY_MAX 399
#define HTTP_INFO_MIN 100
#define HTTP_INFO_MAX 199
#define DEC_BASE 10
#define RESOLVED_TTL_MS 300000        /* a host name's address is looked up again after 5 min */
#define UNRESOLVED_TTL_MS 30000       /* a failed lookup is tried again after 30 s */
#define ADDR_MAX 64                   /* a numeric IPv6 address and then some */
#define RESOLVE_WAIT_MS 100           /* a check whose host is being looked up tries again so soon */

struct resolved {
	char addr[ADDR_MAX];            /* "" = the lookup failed */
	int64_t at_ms;                  /* when it was looked up */
	int pending;                    /* asked of the resolver thread, no answer yet */
};

enum phase { IDLE, CONNECTING, SENDING, RECEIVING };

struct mt_check {
	struct mt *m;
	struct mt_task *t;
	size_t idx;                     /* which of its app's checks */
	uint64_t timer;                 /* the next check, or the running one's timeout */
	int fd;                         /* -1 between checks */
	enum phase phase;
	char req[REQUEST_MAX];
	size_t reqlen, reqoff;
	char resp[STATUS_LINE_MAX];
	size_t resplen;
};

static void start(struct framework_driver *d, void *arg);

static int64_t
ms_of(double seconds)
{
	return (int64_t)(seconds * MT_MS_PER_S);
}

static void
close_fd(struct mt_check *c)
{
	if (c->fd >= 0) {
		c->m->d->unwatch(c->m->d, c->fd);
		close(c->fd);
	}
	c->fd = -1;
	c->phase = IDLE;
}

static void
stop_check(struct mt_task *t, size_t i)
{
	struct mt_check *c = t->hs[i].check;

	if (c == NULL)
		return;
	close_fd(c);
	if (c->timer != 0)
		c->m->d->timer_cancel(c->m->d, c->timer);
	free(c);
	t->hs[i].check = NULL;
}

void
health_stop(struct mt_task *t)
{
	for (size_t i = 0; i < t->nhs; i++)
		stop_check(t, i);
}

void
health_task_free(struct mt_task *t)
{
	health_stop(t);
	free(t->hs);
	t->hs = NULL;
	t->nhs = 0;
}

/* One state per check of t's app (a changed app starts them afresh); 0 if it has none. */
static size_t
states(struct mt_task *t)
{
	size_t n = t->app != NULL ? t->app->nhealth : 0;

	if (t->app == NULL || t->nhs == n)
		return t->nhs;
	health_task_free(t);
	if (n == 0)
		return 0;
	t->hs = xcalloc(n, sizeof(*t->hs));
	for (size_t i = 0; i < n; i++)
		t->hs[i].healthy = -1;
	t->nhs = n;
	return n;
}

/* The check c runs, NULL once its app no longer has it. */
static const struct mt_health *
plugin_check_of(const struct mt_check *c)
{
	const struct mt_app *a = c->t->app;

	if (a == NULL || c->idx >= a->nhealth || c->idx >= c->t->nhs || !a->health[c->idx].by_plugin)
		return NULL;
	return &a->health[c->idx];
}

void
health_task_running(struct mt *m, struct mt_task *t)
{
	size_t n = states(t);

	if (t->killing || strcmp(t->state, "TASK_RUNNING") != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct mt_health *h = &t->app->health[i];
		struct mt_check *c;
		int64_t first;

		if (!h->by_plugin || t->hs[i].check != NULL)
			continue;
		c = xcalloc(1, sizeof(*c));
		c->m = m;
		c->t = t;
		c->idx = i;
		c->fd = -1;
		t->hs[i].check = c;
		first = ms_of(h->interval_s);
		if (first > FIRST_CHECK_MAX_MS)
			first = FIRST_CHECK_MAX_MS;
		c->timer = m->d->timer_add(m->d, first, start, c);
	}
}

/* One check is over: schedule the next, then hand the result on (which may stop c). */
static void
finish(struct mt_check *c, int healthy, const char *cause, int counts)
{
	struct mt *m = c->m;
	struct mt_task *t = c->t;
	const struct mt_health *h = plugin_check_of(c);
	size_t idx = c->idx;

	close_fd(c);
	if (c->timer != 0)
		m->d->timer_cancel(m->d, c->timer);
	c->timer = 0;
	if (h == NULL) {
		stop_check(t, idx);
		return;
	}
	c->timer = m->d->timer_add(m->d, ms_of(h->interval_s), start, c);
	if (counts)
		health_result(m, t, idx, healthy, cause, 0);
}

static void
timed_out(struct framework_driver *d, void *arg)
{
	struct mt_check *c = arg;
	char cause[MT_CAUSE_MAX];

	(void)d;
	c->timer = 0;
	snprintf(cause, sizeof(cause), "no answer within %gs", plugin_check_of(c) != NULL ?
	         plugin_check_of(c)->timeout_s : 0.0);
	finish(c, 0, cause, 1);
}

/* The status line is in (or the peer closed): judge it. */
static void
judge(struct mt_check *c)
{
	const struct mt_health *h = plugin_check_of(c);
	char cause[MT_CAUSE_MAX];
	const char *sp;
	long code;

	c->resp[c->resplen] = '\0';
	sp = strchr(c->resp, ' ');
	if (strncmp(c->resp, "HTTP/", strlen("HTTP/")) != 0 || sp == NULL) {
		finish(c, 0, "not an HTTP reply", 1);
		return;
	}
	code = strtol(sp + 1, NULL, DEC_BASE);
	if (code >= HTTP_INFO_MIN && code <= HTTP_INFO_MAX && h != NULL && h->ignore_1xx) {
		finish(c, 0, "", 0);
		return;
	}
	if (code >= HTTP_HEALTHY_MIN && code <= HTTP_HEALTHY_MAX) {
		finish(c, 1, "", 1);
		return;
	}
	snprintf(cause, sizeof(cause), "HTTP status %ld", code);
	finish(c, 0, cause, 1);
}

static void
on_io(struct framework_driver *d, int fd, int events, void *arg)
{
	struct mt_check *c = arg;
	char err[MT_CAUSE_MAX];
	ssize_t n;

	(void)events;
	if (c->phase == CONNECTING) {
		const struct mt_health *h = plugin_check_of(c);

		if (net_connect_result(fd, err, sizeof(err)) == -1) {
			finish(c, 0, err, 1);
			return;
		}
		if (h == NULL || strcmp(h->protocol, "TCP") == 0) {
			finish(c, 1, "", 1);
			return;
		}
		c->reqlen = (size_t)snprintf(c->req, sizeof(c->req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
		                             "User-Agent: marathon\r\nConnection: close\r\n\r\n",
		                             h->path != NULL ? h->path : "/", c->t->host);
		if (c->reqlen >= sizeof(c->req)) {
			finish(c, 0, "the health check path is too long", 1);
			return;
		}
		c->reqoff = 0;
		c->phase = SENDING;
	}
	if (c->phase == SENDING) {
		n = compat_send(fd, c->req + c->reqoff, c->reqlen - c->reqoff);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n == -1) {
			snprintf(err, sizeof(err), "send: %s", strerror(errno));
			finish(c, 0, err, 1);
			return;
		}
		c->reqoff += (size_t)n;
		if (c->reqoff < c->reqlen)
			return;
		c->phase = RECEIVING;
		d->watch(d, fd, FRAMEWORK_READ, on_io, c);
		return;
	}
	n = read(fd, c->resp + c->resplen, sizeof(c->resp) - 1 - c->resplen);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n == -1) {
		snprintf(err, sizeof(err), "read: %s", strerror(errno));
		finish(c, 0, err, 1);
		return;
	}
	c->resplen += (size_t)n;
	c->resp[c->resplen] = '\0';
	if (n == 0 || strstr(c->resp, "\r\n") != NULL || c->resplen == sizeof(c->resp) - 1)
		judge(c);
}

void
health_free(struct mt *m)
{
	const char *k;
	void *v;

	if (m->resolver != NULL) {
		m->d->unwatch(m->d, resolver_fd(m->resolver));
		resolver_free(m->resolver);
		m->resolver = NULL;
	}
	for (size_t i = 0; map_next(&m->hosts, &i, &k, &v);)
		free(v);
	map_free(&m->hosts);
}

/* The resolver thread's answers into the cache. */
static void
on_answer(const char *host, const char *addr, const char *why, void *arg)
{
	struct mt *m = arg;
	struct resolved *r = map_get(&m->hosts, host);

	(void)why;
	if (r == NULL)
		return;
	r->pending = 0;
	r->at_ms = m->d->now_ms(m->d);
	snprintf(r->addr, sizeof(r->addr), "%s", addr != NULL ? addr : "");
}

static void
on_resolver(struct framework_driver *d, int fd, int events, void *arg)
{
	struct mt *m = arg;

	(void)d;
	(void)fd;
	(void)events;
	resolver_collect(m->resolver, on_answer, m);
}

/*
 * Look host up off the loop: getaddrinfo may wait seconds for a DNS server,
 * and every other app's checks, offers and REST calls would wait with it.
 * 0 asked (or already asked); -1 when no thread could be had or its queue
 * is full: the lookup is tried later.
 */
static int
ask(struct mt *m, struct resolved *r, const char *host, char *err, size_t errlen)
{
	if (r->pending)
		return 0;
	if (m->resolver == NULL) {
		if ((m->resolver = resolver_new(err, errlen)) == NULL)
			return -1;
		m->d->watch(m->d, resolver_fd(m->resolver), FRAMEWORK_READ, on_resolver, m);
	}
	if (resolver_ask(m->resolver, host) == -1) {
		snprintf(err, errlen, "too many host lookups under way; %.64s waits", host);
		return -1;
	}
	r->pending = 1;
	return 0;
}

/*
 * host as a numeric address, from the cache; NULL with err when unknown,
 * or NULL with *pending set while its lookup runs.
 */
static const char *
address_of(struct mt *m, const char *host, int *pending, char *err, size_t errlen)
{
	struct resolved *r = map_get(&m->hosts, host);
	int64_t now = m->d->now_ms(m->d);

	*pending = 0;
	if (r != NULL && !r->pending &&
	    now - r->at_ms < (r->addr[0] ? RESOLVED_TTL_MS : UNRESOLVED_TTL_MS)) {
		if (r->addr[0] == '\0')
			snprintf(err, errlen, "cannot resolve %.64s (cached)", host);
		return r->addr[0] ? r->addr : NULL;
	}
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		map_put(&m->hosts, host, r);
	}
	/* A numeric address needs no lookup. */
	if (net_resolve_numeric(host, r->addr, sizeof(r->addr)) == 0) {
		r->at_ms = now;
		return r->addr;
	}
	if (ask(m, r, host, err, errlen) == -1)
		return NULL;
	/* An expired address still serves while its new lookup runs. */
	if (r->addr[0] != '\0')
		return r->addr;
	*pending = 1;
	return NULL;
}

/*
 * The same for readiness checks, which run again at their next interval:
 * a lookup still under way is that round's answer.
 */
const char *
health_address(struct mt *m, const char *host, char *err, size_t errlen)
{
	int pending;
	const char *addr = address_of(m, host, &pending, err, errlen);

	if (addr == NULL && pending)
		snprintf(err, errlen, "looking up %.64s", host);
	return addr;
}

static void
start(struct framework_driver *d, void *arg)
{
	struct mt_check *c = arg;
	struct mt_task *t = c->t;
	const struct mt_health *h = plugin_check_of(c);
	char err[MT_CAUSE_MAX];
	const char *addr;
	int port, pending;

	c->timer = 0;
	if (h == NULL || t->killing) {
		stop_check(t, c->idx);
		return;
	}
	c->m->metrics.health_checks_run++;
	port = h->port_index >= 0 ? ((size_t)h->port_index < t->nports ? t->ports[h->port_index] : 0) :
	       h->port;
	if (port <= 0) {
		finish(c, 0, "the task has no port at portIndex", 1);
		return;
	}
	if ((addr = address_of(c->m, t->host, &pending, err, sizeof(err))) == NULL) {
		if (pending)
			c->timer = d->timer_add(d, RESOLVE_WAIT_MS, start, c);
		else
			finish(c, 0, err, 1);
		return;
	}
	c->fd = net_connect(addr, port, err, sizeof(err));
	if (c->fd == -1) {
		finish(c, 0, err, 1);
		return;
	}
	c->phase = CONNECTING;
	c->resplen = 0;
	if (d->watch(d, c->fd, FRAMEWORK_WRITE, on_io, c) == -1) {
		close(c->fd);
		c->fd = -1;
		finish(c, 0, "cannot watch the check's socket", 1);
		return;
	}
	c->timer = d->timer_add(d, ms_of(h->timeout_s), timed_out, c);
}

/* The verdict over all of t's checks: 0 if any failed, 1 if all passed, else -1. */
static int
verdict(const struct mt_task *t)
{
	int v = 1;

	for (size_t i = 0; i < t->nhs; i++) {
		if (t->hs[i].healthy == 0)
			return 0;
		if (t->hs[i].healthy != 1)
			v = -1;
	}
	return v;
}

void
health_result(struct mt *m, struct mt_task *t, size_t idx, int healthy, const char *cause,
              int by_agent)
{
	struct mt_app *a = t->app;
	const struct mt_health *h;
	struct mt_hstate *s;
	double now = compat_wall_time();
	int was = t->healthy, now_v, killed = 0;

	if (a == NULL || idx >= states(t))
		return;
	h = &a->health[idx];
	s = &t->hs[idx];
	/* In the grace period a failure before the first success is no news. */
	if (!healthy && !by_agent && s->first_success == 0 &&
	    (t->started_at == 0 || now < t->started_at + h->grace_s))
		return;
	if (healthy) {
		s->failures = 0;
		s->last_success = now;
		if (s->first_success == 0)
			s->first_success = now;
		s->cause[0] = '\0';
	} else {
		s->failures++;
		s->last_failure = now;
		snprintf(s->cause, sizeof(s->cause), "%s", cause != NULL ? cause : "");
		snprintf(t->cause, sizeof(t->cause), "%s", s->cause);
		m->metrics.health_checks_failed++;
	}
	s->healthy = healthy;
	/* Some check without a result yet: the verdict so far stands. */
	now_v = verdict(t);
	if (now_v != -1) {
		t->healthy = now_v;
		t->last_health = now;
		if (now_v == 1)
			t->cause[0] = '\0';
	}
	if (t->healthy != was) {
		m->d->log(m->d, FRAMEWORK_LOG_INFO, "%s is %s%s%s", t->id, t->healthy == 1 ? "healthy" :
		          "unhealthy", t->cause[0] ? ": " : "", t->cause);
		events_health(m, t);
	}
	if (!by_agent && !healthy && h->max_failures > 0 && s->failures > h->max_failures &&
	    !t->killing) {
		m->d->log(m->d, FRAMEWORK_LOG_INFO, "killing %s: %lld consecutive failed health checks",
		          t->id, s->failures);
		m->metrics.tasks_killed_unhealthy++;
		events_unhealthy_kill(m, t);
		queue_kill(m, t);       /* stops the checks too; still wanted, so it is replaced */
		killed = 1;
	}
	if (t->healthy != was || killed)
		queue_converge(m, a);
}

static void
kts(struct json_w *w, const char *key, double at)
{
	char ts[MT_VERSION_MAX];

	json_key(w, key);
	if (at > 0) {
		app_version_at(at, ts, sizeof(ts));
		json_str(w, ts);
	} else {
		json_null(w);
	}
}

void
health_write(struct json_w *w, const struct mt_task *t)
{
	const char *end = strstr(t->id, "._app");
	size_t n = t->app != NULL && t->app->nhealth == t->nhs ? t->nhs : 0;

	json_key(w, "healthCheckResults");
	json_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		const struct mt_hstate *s = &t->hs[i];

		if (s->healthy == -1)
			continue;
		json_obj_begin(w);
		json_kbool(w, "alive", s->healthy == 1);
		json_kint(w, "consecutiveFailures", s->failures);
		kts(w, "firstSuccess", s->first_success);
		kts(w, "lastSuccess", s->last_success);
		kts(w, "lastFailure", s->last_failure);
		json_key(w, "lastFailureCause");
		if (s->cause[0])
			json_str(w, s->cause);
		else
			json_null(w);
		json_key(w, "instanceId");
		json_strn(w, t->id, end != NULL ? (size_t)(end - t->id) : strlen(t->id));
		json_kstr(w, "taskId", t->id);
		json_obj_end(w);
	}
	json_arr_end(w);
}
