/*
 * bench/marathon_fake.c: the Marathon plugin under a stand-in master, to
 * weigh its REST API with more tasks than a test machine can run: the
 * plugin is linked in and driven through its framework_plugin callbacks;
 * one huge agent is offered again as soon as an offer is used; every
 * launched task is reported TASK_RUNNING at once, every killed one
 * TASK_KILLED; the plugin's descriptor watches and timers run on poll().
 * The plugin logs "REST API listening on 127.0.0.1:PORT" to stderr.
 *
 *   marathon_fake          (runs until SIGTERM or SIGINT)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "xmem.h"
#include "plugins/framework.h"

#define OFFER_RESOURCES "cpus:1000000;mem:1000000000;disk:1000000;ports:[31000-32000]"
#define AGENT_ID "fake-S0"
#define FRAMEWORK_ID "fake-0000"
#define IDLE_WAIT_MS 100             /* poll timeout with no timer due */
#define ERR_MAX 256
#define ID_MAX 128

extern const struct framework_plugin mesos_framework_plugin;

struct timer {
	uint64_t id;
	int64_t due;
	framework_timer_fn fn;
	void *arg;
};

struct watch {
	int fd, events;
	framework_watch_fn fn;
	void *arg;
};

struct update {
	char *task_id;
	const char *state;
};

static struct timer *timers;
static size_t ntimers, timers_cap;
static uint64_t next_timer_id = 1;
static struct watch *watches;
static size_t nwatches, watches_cap;
static struct update *updates;
static size_t nupdates, updates_cap;
static int offer_out, offers_wanted = 1;
static unsigned long long offer_seq;
static char last_err[ERR_MAX];
static volatile sig_atomic_t stopping;

static void
queue_update(const char *task_id, const char *state)
{
	if (nupdates == updates_cap) {
		updates_cap = updates_cap ? updates_cap * 2 : 64;
		updates = xrealloc(updates, updates_cap * sizeof(*updates));
	}
	updates[nupdates].task_id = xstrdup(task_id);
	updates[nupdates++].state = state;
}

static int
d_launch(struct framework_driver *d, const char *offer_id, const struct framework_task *tasks,
         size_t ntasks, double refuse_seconds)
{
	(void)d;
	(void)offer_id;
	(void)refuse_seconds;
	for (size_t i = 0; i < ntasks; i++)
		queue_update(tasks[i].task_id, "TASK_RUNNING");
	offer_out = 0;
	return 0;
}

static int
d_accept(struct framework_driver *d, const char *offer_id, const struct framework_operation *ops,
         size_t nops, double refuse_seconds)
{
	for (size_t i = 0; i < nops; i++)
		d_launch(d, offer_id, ops[i].tasks, ops[i].ntasks, refuse_seconds);
	return 0;
}

static int
d_decline(struct framework_driver *d, const char *offer_id, double refuse_seconds)
{
	(void)d;
	(void)offer_id;
	(void)refuse_seconds;
	offer_out = 0;
	offers_wanted = 0;      /* nothing waits: no more offers until revive() */
	return 0;
}

static int
d_kill(struct framework_driver *d, const char *task_id, int64_t grace_ms)
{
	(void)d;
	(void)grace_ms;
	queue_update(task_id, "TASK_KILLED");
	return 0;
}

static int
d_reconcile(struct framework_driver *d, const char *const *ids, size_t n)
{
	(void)d;
	(void)ids;
	(void)n;
	return 0;
}

static int
d_suppress(struct framework_driver *d)
{
	(void)d;
	offers_wanted = 0;
	return 0;
}

static int
d_revive(struct framework_driver *d)
{
	(void)d;
	offers_wanted = 1;
	return 0;
}

static int
d_ack(struct framework_driver *d, const struct framework_status *st)
{
	(void)d;
	(void)st;
	return 0;
}

static int
d_send(struct framework_driver *d, const char *agent_id, const char *executor_id,
       const void *data, size_t len)
{
	(void)d;
	(void)agent_id;
	(void)executor_id;
	(void)data;
	(void)len;
	snprintf(last_err, sizeof(last_err), "not supported");
	return -1;
}

static int
d_stop(struct framework_driver *d, int failover)
{
	(void)d;
	(void)failover;
	stopping = 1;
	return 0;
}

static void
d_log(struct framework_driver *d, enum framework_log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)d;
	if (level > FRAMEWORK_LOG_INFO)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "plugin marathon: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const char *
d_conf(struct framework_driver *d, const char *key)
{
	(void)d;
	if (strcmp(key, "http_port") == 0)
		return "0";
	if (strcmp(key, "http_ip") == 0)
		return "127.0.0.1";
	return NULL;
}

static const char *
d_framework_id(struct framework_driver *d)
{
	(void)d;
	return FRAMEWORK_ID;
}

static const char *
d_last_error(struct framework_driver *d)
{
	(void)d;
	return last_err;
}

static int64_t
d_now(struct framework_driver *d)
{
	(void)d;
	return compat_monotonic_ms();
}

static uint64_t
d_timer_add(struct framework_driver *d, int64_t after_ms, framework_timer_fn fn, void *arg)
{
	if (ntimers == timers_cap) {
		timers_cap = timers_cap ? timers_cap * 2 : 64;
		timers = xrealloc(timers, timers_cap * sizeof(*timers));
	}
	timers[ntimers].id = next_timer_id++;
	timers[ntimers].due = d_now(d) + after_ms;
	timers[ntimers].fn = fn;
	timers[ntimers].arg = arg;
	return timers[ntimers++].id;
}

static void
d_timer_cancel(struct framework_driver *d, uint64_t id)
{
	(void)d;
	for (size_t i = 0; i < ntimers; i++)
		if (timers[i].id == id) {
			timers[i] = timers[--ntimers];
			return;
		}
}

static int
d_watch(struct framework_driver *d, int fd, int events, framework_watch_fn fn, void *arg)
{
	(void)d;
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < nwatches; i++)
		if (watches[i].fd == fd) {
			watches[i].events = events;
			watches[i].fn = fn;
			watches[i].arg = arg;
			return 0;
		}
	if (nwatches == watches_cap) {
		watches_cap = watches_cap ? watches_cap * 2 : 64;
		watches = xrealloc(watches, watches_cap * sizeof(*watches));
	}
	watches[nwatches].fd = fd;
	watches[nwatches].events = events;
	watches[nwatches].fn = fn;
	watches[nwatches++].arg = arg;
	return 0;
}

static void
d_unwatch(struct framework_driver *d, int fd)
{
	(void)d;
	for (size_t i = 0; i < nwatches; i++)
		if (watches[i].fd == fd) {
			watches[i] = watches[--nwatches];
			return;
		}
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Run every due timer once (those they add wait for the next round). */
static void
run_timers(struct framework_driver *d)
{
	int64_t now = d_now(d);

	for (size_t i = 0; i < ntimers;) {
		if (timers[i].due > now) {
			i++;
			continue;
		}
		{
			struct timer t = timers[i];

			timers[i] = timers[--ntimers];
			t.fn(d, t.arg);
		}
	}
}

static void
deliver(struct framework_driver *d, const struct framework_plugin *p)
{
	struct update *u = updates;
	size_t n = nupdates;

	updates = NULL;
	nupdates = updates_cap = 0;
	for (size_t i = 0; i < n; i++) {
		struct framework_status st;

		memset(&st, 0, sizeof(st));
		st.task_id = u[i].task_id;
		st.agent_id = AGENT_ID;
		st.state = u[i].state;
		st.source = "SOURCE_EXECUTOR";
		st.reason = "";
		st.message = "";
		st.uuid = "";
		st.healthy = -1;
		st.timestamp = compat_wall_time();
		p->status_update(d, &st);
		free(u[i].task_id);
	}
	free(u);
}

static void
offer(struct framework_driver *d, const struct framework_plugin *p)
{
	char id[ID_MAX];
	struct framework_offer o;

	snprintf(id, sizeof(id), "fake-O%llu", ++offer_seq);
	o.id = id;
	o.agent_id = AGENT_ID;
	o.hostname = "127.0.0.1";
	o.resources = OFFER_RESOURCES;
	o.attributes = "";
	offer_out = 1;
	p->offers(d, &o, 1);
}

int
main(void)
{
	const struct framework_plugin *p = &mesos_framework_plugin;
	struct framework_driver d;
	struct sigaction sa;
	char err[ERR_MAX];

	memset(&d, 0, sizeof(d));
	d.launch = d_launch;
	d.accept = d_accept;
	d.decline = d_decline;
	d.kill = d_kill;
	d.reconcile = d_reconcile;
	d.suppress = d_suppress;
	d.revive = d_revive;
	d.acknowledge = d_ack;
	d.send_message = d_send;
	d.stop = d_stop;
	d.log = d_log;
	d.conf = d_conf;
	d.framework_id = d_framework_id;
	d.last_error = d_last_error;
	d.now_ms = d_now;
	d.timer_add = d_timer_add;
	d.timer_cancel = d_timer_cancel;
	d.watch = d_watch;
	d.unwatch = d_unwatch;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (p->init(&d, err, sizeof(err)) == -1) {
		fprintf(stderr, "marathon_fake: %s\n", err);
		return 1;
	}
	p->registered(&d, FRAMEWORK_ID);
	while (!stopping) {
		struct pollfd *pf = xcalloc(nwatches + 1, sizeof(*pf));
		struct watch *ws = xcalloc(nwatches + 1, sizeof(*ws));
		size_t n = nwatches;
		int64_t wait = IDLE_WAIT_MS, now = d_now(&d);

		for (size_t i = 0; i < ntimers; i++)
			if (timers[i].due - now < wait)
				wait = timers[i].due - now > 0 ? timers[i].due - now : 0;
		if (nupdates > 0 || (offers_wanted && !offer_out))
			wait = 0;
		memcpy(ws, watches, n * sizeof(*ws));
		for (size_t i = 0; i < n; i++) {
			pf[i].fd = ws[i].fd;
			pf[i].events = (short)(((ws[i].events & FRAMEWORK_READ) ? POLLIN : 0) |
			                       ((ws[i].events & FRAMEWORK_WRITE) ? POLLOUT : 0));
		}
		if (poll(pf, (nfds_t)n, (int)wait) == -1 && errno != EINTR) {
			perror("marathon_fake: poll");
			stopping = 1;
		}
		for (size_t i = 0; i < n && !stopping; i++) {
			int ev = 0;

			if (pf[i].revents == 0)
				continue;
			ev |= (pf[i].revents & POLLIN) ? FRAMEWORK_READ : 0;
			ev |= (pf[i].revents & POLLOUT) ? FRAMEWORK_WRITE : 0;
			ev |= (pf[i].revents & (POLLERR | POLLHUP | POLLNVAL)) ? FRAMEWORK_ERROR : 0;
			/* Still watched as it was when polled (an earlier callback may have changed that). */
			for (size_t k = 0; k < nwatches; k++)
				if (watches[k].fd == ws[i].fd && watches[k].fn == ws[i].fn &&
				    watches[k].arg == ws[i].arg) {
					ws[i].fn(&d, ws[i].fd, ev, ws[i].arg);
					break;
				}
		}
		free(pf);
		free(ws);
		run_timers(&d);
		deliver(&d, p);
		if (offers_wanted && !offer_out)
			offer(&d, p);
	}
	p->fini(&d);
	for (size_t i = 0; i < nupdates; i++)
		free(updates[i].task_id);
	free(updates);
	free(timers);
	free(watches);
	return 0;
}
