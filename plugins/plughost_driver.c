/*
 * plughost_driver.c: the driver a framework plugin calls (framework.h),
 * as mesos-plughost implements it: each call checked and composed into
 * the framework side of the wire protocol (ACCEPT with its task records,
 * DECLINE, KILL, RECONCILE, ACKNOWLEDGE, ...), the plugin's log lines kept
 * one line each, and its timers and descriptor watches run on the host's
 * loop, never on a descriptor of the host's own. A call that cannot be
 * made returns -1 and says why in last_error().
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "log.h"
#include "loop.h"
#include "plughost_link.h"
#include "framework.h"
#include "plughost.h"
#include "proto.h"
#include "xmem.h"

#define HOST_LOG_LINE_MAX   2048                  /* bytes of one plugin log line */
#define HOST_DEFAULT_REFUSE_S 5.0                 /* Mesos's Filters.refuse_seconds */
#define MS_PER_SECOND       1000.0

struct plughost_timer {
	struct plughost *h;
	uint64_t id;
	framework_timer_fn fn;
	void *arg;
	struct plughost_timer *next;
};

struct plughost_watch {
	struct plughost *h;
	int fd;
	framework_watch_fn fn;
	void *arg;
	struct plughost_watch *next;
};

static struct plughost *
host_of(struct framework_driver *d)
{
	return (struct plughost *)d;
}

/* Calls that talk to the master need a subscribed framework. */
static int
need_master(struct plughost *h)
{
	if (h->stopping)
		return plughost_fail(h, "the plugin is stopping");
	if (!h->subscribed || h->conn == NULL)
		return plughost_fail(h, "not subscribed");
	return 0;
}

/* A plugin's seconds, 0 meaning the default, as a health check's milliseconds (-1: the default). */
static int64_t
seconds_to_ms(double s)
{
	return s > 0 ? (int64_t)(s * MS_PER_SECOND) : -1;
}

/* A key the task record may carry: [a-z0-9_.]+, and not one that starts a record. */
static int
option_key_ok(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > PROTO_KEY_MAX)
		return 0;
	for (const char *s = k; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.'))
			return 0;
	return strcmp(k, "task_id") != 0 && strcmp(k, "offer_id") != 0 &&
	       strcmp(k, "refuse_seconds") != 0;
}

static int
add_task(struct plughost *h, const struct framework_task *t)
{
	if (t->task_id == NULL || *t->task_id == '\0')
		return plughost_fail(h, "a task has no task_id");
	if (t->command == NULL || *t->command == '\0')
		return plughost_fail(h, "task %.64s has no command", t->task_id);
	if (t->resources == NULL || *t->resources == '\0')
		return plughost_fail(h, "task %.64s has no resources", t->task_id);
	proto_add(&h->out, "task_id", t->task_id);
	proto_add(&h->out, "name", t->name != NULL && *t->name ? t->name : t->task_id);
	proto_add(&h->out, "command", t->command);
	proto_add(&h->out, "resources", t->resources);
	for (size_t i = 0; i < t->nenv; i++) {
		if (t->env[i] == NULL || strchr(t->env[i], '=') == NULL)
			return plughost_fail(h, "task %.64s: env entries are NAME=value",
			                     t->task_id);
		proto_add(&h->out, "env", t->env[i]);
	}
	for (size_t i = 0; i < t->nuris; i++)
		if (t->uris[i] != NULL)
			proto_add(&h->out, "uri", t->uris[i]);
	if (t->kill_grace_ms > 0)
		proto_add_int(&h->out, "grace_ms", (long long)t->kill_grace_ms);
	if (t->user != NULL && *t->user)
		proto_add(&h->out, "user", t->user);
	for (size_t i = 0; i < t->nlabels; i++) {
		const struct framework_label *l = &t->labels[i];
		if (l->key == NULL || *l->key == '\0' || strchr(l->key, '=') != NULL)
			return plughost_fail(h, "task %.64s: a label needs a key without '='",
			                     t->task_id);
		proto_addf(&h->out, "label", "%s=%s", l->key, l->value != NULL ? l->value : "");
	}
	const struct framework_health_check *hc = t->health_check;
	if (hc != NULL) {
		enum proto_health_type type = proto_health_type_parse(hc->type);
		if (type == PROTO_HEALTH_NONE)
			return plughost_fail(h, "task %.64s: health check type is COMMAND, TCP or "
			                     "HTTP", t->task_id);
		if (type == PROTO_HEALTH_COMMAND && (hc->command == NULL || *hc->command == '\0'))
			return plughost_fail(h, "task %.64s: a COMMAND health check needs a "
			                     "command", t->task_id);
		if (type != PROTO_HEALTH_COMMAND && (hc->port <= 0 || hc->port > PROTO_HEALTH_PORT_MAX))
			return plughost_fail(h, "task %.64s: a %s health check needs a port",
			                     t->task_id, hc->type);
		struct proto_health spec;
		proto_health_init(&spec);
		spec.type = type;
		spec.command = hc->command;
		spec.port = hc->port;
		spec.path = hc->path;
		spec.delay_ms = seconds_to_ms(hc->delay_seconds);
		spec.interval_ms = seconds_to_ms(hc->interval_seconds);
		spec.timeout_ms = seconds_to_ms(hc->timeout_seconds);
		spec.grace_ms = seconds_to_ms(hc->grace_period_seconds);
		if (hc->consecutive_failures > 0)
			spec.consecutive_failures = hc->consecutive_failures;
		proto_health_compose(&h->out, &spec);
	}
	for (size_t i = 0; i < t->noptions; i++) {
		const struct framework_label *o = &t->options[i];
		if (o->key == NULL || !option_key_ok(o->key))
			return plughost_fail(h, "task %.64s: bad option key '%.64s'",
			                     t->task_id, o->key != NULL ? o->key : "(null)");
		proto_add(&h->out, o->key, o->value != NULL ? o->value : "");
	}
	return 0;
}

/* ---------------------------------------------------------------- the calls */

static int
drv_accept(struct framework_driver *d, const char *offer_id, const struct framework_operation *ops,
           size_t nops, double refuse_seconds)
{
	struct plughost *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	if (offer_id == NULL || *offer_id == '\0')
		return plughost_fail(h, "no offer_id");
	for (size_t i = 0; i < nops; i++)
		if (ops[i].type != FRAMEWORK_OP_LAUNCH)
			return plughost_fail(h, "operation type %d is not supported by this master "
			                     "(only LAUNCH)", (int)ops[i].type);
	plughost_msg_begin(h, "ACCEPT");
	proto_add(&h->out, "offer_id", offer_id);
	proto_addf(&h->out, "refuse_seconds", "%g",
	           refuse_seconds < 0 ? HOST_DEFAULT_REFUSE_S : refuse_seconds);
	for (size_t i = 0; i < nops; i++)
		for (size_t j = 0; j < ops[i].ntasks; j++)
			if (add_task(h, &ops[i].tasks[j]) < 0)
				return -1;
	return plughost_msg_send_split(h, h->conn, "task_id");
}

static int
drv_launch(struct framework_driver *d, const char *offer_id, const struct framework_task *tasks,
           size_t ntasks, double refuse_seconds)
{
	struct framework_operation op = { FRAMEWORK_OP_LAUNCH, tasks, ntasks };

	return drv_accept(d, offer_id, &op, 1, refuse_seconds);
}

static int
drv_decline(struct framework_driver *d, const char *offer_id, double refuse_seconds)
{
	struct plughost *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	if (offer_id == NULL || *offer_id == '\0')
		return plughost_fail(h, "no offer_id");
	plughost_msg_begin(h, "DECLINE");
	proto_add(&h->out, "offer_id", offer_id);
	proto_addf(&h->out, "refuse_seconds", "%g",
	           refuse_seconds < 0 ? HOST_DEFAULT_REFUSE_S : refuse_seconds);
	return plughost_msg_send(h, h->conn);
}

static int
drv_kill(struct framework_driver *d, const char *task_id, int64_t grace_ms)
{
	struct plughost *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	if (task_id == NULL || *task_id == '\0')
		return plughost_fail(h, "no task_id");
	plughost_msg_begin(h, "KILL");
	proto_add(&h->out, "task_id", task_id);
	if (grace_ms > 0)
		proto_add_int(&h->out, "grace_ms", (long long)grace_ms);
	return plughost_msg_send(h, h->conn);
}

static int
drv_reconcile(struct framework_driver *d, const char *const *task_ids, size_t ntasks)
{
	struct plughost *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	plughost_msg_begin(h, "RECONCILE");
	for (size_t i = 0; i < ntasks; i++)
		if (task_ids[i] != NULL && *task_ids[i])
			proto_add(&h->out, "task_id", task_ids[i]);
	return plughost_msg_send_split(h, h->conn, "task_id");
}

static int
send_bare(struct framework_driver *d, const char *verb)
{
	struct plughost *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	plughost_msg_begin(h, verb);
	return plughost_msg_send(h, h->conn);
}

static int
drv_suppress(struct framework_driver *d)
{
	return send_bare(d, "SUPPRESS");
}

static int
drv_revive(struct framework_driver *d)
{
	return send_bare(d, "REVIVE");
}

static int
drv_acknowledge(struct framework_driver *d, const struct framework_status *s)
{
	struct plughost *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	if (s == NULL || s->uuid == NULL || *s->uuid == '\0')
		return 0;    /* nothing to acknowledge */
	if (s->agent_id == NULL || *s->agent_id == '\0')
		return plughost_fail(h, "the update of task %.64s names no agent", s->task_id);
	struct proto_ack ack = { NULL, s->task_id, s->agent_id, s->uuid };

	buf_reset(&h->out);
	proto_ack_compose(&h->out, &ack);
	return plughost_msg_send(h, h->conn);
}

static int
drv_send_message(struct framework_driver *d, const char *agent_id, const char *executor_id,
                 const void *data, size_t len)
{
	struct plughost *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	if (agent_id == NULL || *agent_id == '\0' || executor_id == NULL || *executor_id == '\0')
		return plughost_fail(h, "a framework message needs an agent_id and an executor_id");
	if (data == NULL && len > 0)
		return plughost_fail(h, "no data");
	plughost_msg_begin(h, "FRAMEWORK_MESSAGE");
	proto_add(&h->out, "agent_id", agent_id);
	proto_add(&h->out, "executor_id", executor_id);
	proto_addn(&h->out, "data", len > 0 ? data : "", len);
	return plughost_msg_send(h, h->conn);
}

static int
drv_stop(struct framework_driver *d, int failover)
{
	struct plughost *h = host_of(d);

	if (h->stopping)
		return 0;
	h->stopping = 1;
	if (!failover && h->subscribed && h->conn != NULL) {
		plughost_msg_begin(h, "TEARDOWN");
		plughost_msg_send(h, h->conn);
	}
	h->exit_code = failover ? PLUGIN_EXIT_RESTART : PLUGIN_EXIT_STOPPED;
	log_info("plugin asked to stop (%s)", failover ? "to fail over" : "for good");
	if (h->conn != NULL)
		conn_close_after_flush(h->conn, "the plugin stopped");
	else
		loop_stop(h->loop);
	return 0;
}

static void
drv_log(struct framework_driver *d, enum framework_log_level level, const char *fmt, ...)
{
	char line[HOST_LOG_LINE_MAX];
	va_list ap;

	(void)d;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One log line per call, whatever the plugin put in it. */
	for (char *s = line; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	switch (level) {
	case FRAMEWORK_LOG_ERROR:
	case FRAMEWORK_LOG_WARN:
		log_warnx("%s", line);
		break;
	case FRAMEWORK_LOG_DEBUG:
		log_debug("%s", line);
		break;
	default:
		log_info("%s", line);
		break;
	}
}

static const char *
drv_conf(struct framework_driver *d, const char *key)
{
	struct plughost *h = host_of(d);

	for (size_t i = 0; key != NULL && i < h->nconf; i++)
		if (strcmp(h->conf_keys[i], key) == 0)
			return h->conf_vals[i];
	/* Every plugin that keeps state keeps it, under the master's work dir by default. */
	if (key != NULL && strcmp(key, "state_dir") == 0)
		return h->default_state_dir;
	return NULL;
}

static const char *
drv_framework_id(struct framework_driver *d)
{
	return host_of(d)->framework_id;
}

static const char *
drv_last_error(struct framework_driver *d)
{
	return host_of(d)->err;
}

static int64_t
drv_now_ms(struct framework_driver *d)
{
	(void)d;
	return compat_monotonic_ms();
}

static void
timer_fired(struct loop *loop, void *arg)
{
	struct plughost_timer *t = arg, **pp;
	struct plughost *h = t->h;

	(void)loop;
	for (pp = &h->timers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->fn(&h->d, t->arg);
	free(t);
}

static uint64_t
drv_timer_add(struct framework_driver *d, int64_t after_ms, framework_timer_fn fn, void *arg)
{
	struct plughost *h = host_of(d);
	struct plughost_timer *t;

	if (fn == NULL)
		return 0;
	t = xcalloc(1, sizeof(*t));
	t->h = h;
	t->fn = fn;
	t->arg = arg;
	t->id = loop_timer_add(h->loop, after_ms < 0 ? 0 : after_ms, timer_fired, t);
	t->next = h->timers;
	h->timers = t;
	return t->id;
}

static void
drv_timer_cancel(struct framework_driver *d, uint64_t id)
{
	struct plughost *h = host_of(d);

	for (struct plughost_timer **pp = &h->timers; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			struct plughost_timer *t = *pp;
			*pp = t->next;
			loop_timer_cancel(h->loop, t->id);
			free(t);
			return;
		}
}

static void
watch_fired(struct loop *loop, int fd, int events, void *arg)
{
	struct plughost_watch *w = arg;
	int ev = 0;

	(void)loop;
	if (events & LOOP_READ)
		ev |= FRAMEWORK_READ;
	if (events & LOOP_WRITE)
		ev |= FRAMEWORK_WRITE;
	if (events & LOOP_ERROR)
		ev |= FRAMEWORK_ERROR;
	/* The callback may unwatch (free w): nothing touches w after it. */
	w->fn(&w->h->d, fd, ev, w->arg);
}

static int
own_fd(const struct plughost *h, int fd)
{
	return (h->conn != NULL && fd == conn_fd(h->conn)) ||
	       (h->ctl != NULL && fd == conn_fd(h->ctl)) ||
	       fd == PLUGIN_PROTO_FD || fd == PLUGIN_CONTROL_FD;
}

static int
drv_watch(struct framework_driver *d, int fd, int events, framework_watch_fn fn, void *arg)
{
	struct plughost *h = host_of(d);
	struct plughost_watch *w;
	int ev = 0;

	if (fd < 0 || fn == NULL || fcntl(fd, F_GETFD) < 0)
		return plughost_fail(h, "descriptor %d is not open", fd);
	if (own_fd(h, fd))
		return plughost_fail(h, "descriptor %d is the host's", fd);
	for (w = h->watches; w != NULL; w = w->next)
		if (w->fd == fd)
			break;
	if (w == NULL) {
		w = xcalloc(1, sizeof(*w));
		w->h = h;
		w->fd = fd;
		w->next = h->watches;
		h->watches = w;
	}
	w->fn = fn;
	w->arg = arg;
	if (events & FRAMEWORK_READ)
		ev |= LOOP_READ;
	if (events & FRAMEWORK_WRITE)
		ev |= LOOP_WRITE;
	if (loop_watch(h->loop, fd, ev, watch_fired, w) < 0)
		return plughost_fail(h, "cannot watch descriptor %d", fd);
	return 0;
}

static void
drv_unwatch(struct framework_driver *d, int fd)
{
	struct plughost *h = host_of(d);

	for (struct plughost_watch **pp = &h->watches; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->fd == fd) {
			struct plughost_watch *w = *pp;
			*pp = w->next;
			loop_unwatch(h->loop, fd);
			free(w);
			return;
		}
}

void
plughost_driver_init(struct plughost *h)
{
	struct framework_driver *d = &h->d;

	d->launch = drv_launch;
	d->accept = drv_accept;
	d->decline = drv_decline;
	d->kill = drv_kill;
	d->reconcile = drv_reconcile;
	d->suppress = drv_suppress;
	d->revive = drv_revive;
	d->acknowledge = drv_acknowledge;
	d->send_message = drv_send_message;
	d->stop = drv_stop;
	d->log = drv_log;
	d->conf = drv_conf;
	d->framework_id = drv_framework_id;
	d->last_error = drv_last_error;
	d->now_ms = drv_now_ms;
	d->timer_add = drv_timer_add;
	d->timer_cancel = drv_timer_cancel;
	d->watch = drv_watch;
	d->unwatch = drv_unwatch;
}

void
plughost_driver_free(struct plughost *h)
{
	while (h->timers != NULL)
		drv_timer_cancel(&h->d, h->timers->id);
	while (h->watches != NULL)
		drv_unwatch(&h->d, h->watches->fd);
}
