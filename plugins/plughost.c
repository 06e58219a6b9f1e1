/*
 * plughost.c: mesos-plughost, the process one framework plugin runs in.
 * It dlopen()s the plugin, checks its ABI version, reads its NAME.conf,
 * and implements the plugin's driver (plugins/framework.h) by speaking
 * the framework side of the wire protocol: to the master that forked it
 * over an inherited socketpair (plugin.h), or over TCP with --master, as
 * any external framework. Incoming lines become callbacks; PINGs are
 * answered; the plugin's timers and watchers run on this process's loop.
 * Whatever the plugin does wrong (a crash, an endless loop) ends this
 * process only.
 *
 *   mesos-plughost --plugin=PATH [--conf=PATH] [--framework_id=ID]
 *                  [--master=HOST:PORT] [--name=NAME] [--log_level=LEVEL]
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "flags.h"
#include "id.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "master/master_plugins.h"
#include "framework.h"
#include "proto.h"
#include "xmem.h"

#define HOST_OUT_MAX        (16u << 20)           /* unsent bytes to the master */
#define HOST_MSG_MAX        (2u * PROTO_LINE_MAX) /* one message being built */
#define HOST_CONNECT_TIMEOUT_MS 10000             /* --master: connecting */
#define HOST_ERR_MAX        512
#define HOST_LOG_LINE_MAX   2048                  /* bytes of one plugin log line */
#define HOST_NAME_MAX_BYTES 64                    /* the plugin's name in log lines */
#define HOST_USER_MAX       256
#define HOST_EXIT_USAGE     2
#define HOST_EXIT_SIGNALLED 128                   /* + signal number, as shells report it */
#define HOST_DEFAULT_REFUSE_S 5.0                 /* Mesos's Filters.refuse_seconds */
#define HOST_CLOSE_ROUNDS   16                    /* loop turns for the conns' closes at exit */
#define HOST_READ_CHUNK     4096                  /* bytes read from NAME.conf at a time */
#define HOST_HOSTNAME_MAX   256                   /* bytes of --master's host */
#define MS_PER_SECOND       1000.0

struct host;

struct host_timer {
	struct host *h;
	uint64_t id;
	framework_timer_fn fn;
	void *arg;
	struct host_timer *next;
};

struct host_watch {
	struct host *h;
	int fd;
	framework_watch_fn fn;
	void *arg;
	struct host_watch *next;
};

struct host {
	struct framework_driver d;   /* first, so a driver pointer is the host's */
	const struct framework_plugin *plugin;
	void *dl;
	const char *name;            /* the plugin's, for log lines */
	struct loop *loop;
	struct conn *conn;           /* the master */
	struct conn *ctl;            /* the manager; NULL when run with --master */
	char **conf_keys, **conf_vals;
	size_t nconf;
	const char *failover_id;     /* --framework_id */
	char *framework_id;          /* once subscribed */
	int subscribed;
	int stopping;                /* stop() was called or the loop is ending */
	int said_disconnected;
	int exit_code;
	struct buf out;
	char err[HOST_ERR_MAX];
	struct host_timer *timers;
	struct host_watch *watches;
};

static struct host *
host_of(struct framework_driver *d)
{
	return (struct host *)d;
}

static int
fail(struct host *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---------------------------------------------------------------- sending */

static void
msg_begin(struct host *h, const char *verb)
{
	buf_reset(&h->out);
	proto_begin(&h->out, verb);
}

static int
msg_send(struct host *h, struct conn *c)
{
	if (proto_end(&h->out) < 0)
		return fail(h, "message over %d bytes: send less at once", PROTO_LINE_MAX);
	if (c == NULL || conn_is_closing(c))
		return fail(h, "not connected to the master");
	if (conn_send(c, h->out.data, h->out.len) < 0)
		return fail(h, "the master is not reading: output buffer full");
	return 0;
}

/* Calls that talk to the master need a subscribed framework. */
static int
need_master(struct host *h)
{
	if (h->stopping)
		return fail(h, "the plugin is stopping");
	if (!h->subscribed || h->conn == NULL)
		return fail(h, "not subscribed");
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
add_task(struct host *h, const struct framework_task *t)
{
	if (t->task_id == NULL || *t->task_id == '\0')
		return fail(h, "a task has no task_id");
	if (t->command == NULL || *t->command == '\0')
		return fail(h, "task %.64s has no command", t->task_id);
	if (t->resources == NULL || *t->resources == '\0')
		return fail(h, "task %.64s has no resources", t->task_id);
	proto_add(&h->out, "task_id", t->task_id);
	proto_add(&h->out, "name", t->name != NULL && *t->name ? t->name : t->task_id);
	proto_add(&h->out, "command", t->command);
	proto_add(&h->out, "resources", t->resources);
	for (size_t i = 0; i < t->nenv; i++) {
		if (t->env[i] == NULL || strchr(t->env[i], '=') == NULL)
			return fail(h, "task %.64s: env entries are NAME=value", t->task_id);
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
			return fail(h, "task %.64s: a label needs a key without '='", t->task_id);
		proto_addf(&h->out, "label", "%s=%s", l->key, l->value != NULL ? l->value : "");
	}
	const struct framework_health_check *hc = t->health_check;
	if (hc != NULL) {
		enum proto_health_type type = proto_health_type_parse(hc->type);
		if (type == PROTO_HEALTH_NONE)
			return fail(h, "task %.64s: health check type is COMMAND, TCP or HTTP",
			            t->task_id);
		if (type == PROTO_HEALTH_COMMAND && (hc->command == NULL || *hc->command == '\0'))
			return fail(h, "task %.64s: a COMMAND health check needs a command", t->task_id);
		if (type != PROTO_HEALTH_COMMAND && (hc->port <= 0 || hc->port > PROTO_HEALTH_PORT_MAX))
			return fail(h, "task %.64s: a %s health check needs a port", t->task_id, hc->type);
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
			return fail(h, "task %.64s: bad option key '%.64s'", t->task_id,
			            o->key != NULL ? o->key : "(null)");
		proto_add(&h->out, o->key, o->value != NULL ? o->value : "");
	}
	return 0;
}

/* ---------------------------------------------------------------- the driver */

static int
drv_accept(struct framework_driver *d, const char *offer_id, const struct framework_operation *ops,
           size_t nops, double refuse_seconds)
{
	struct host *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	if (offer_id == NULL || *offer_id == '\0')
		return fail(h, "no offer_id");
	for (size_t i = 0; i < nops; i++)
		if (ops[i].type != FRAMEWORK_OP_LAUNCH)
			return fail(h, "operation type %d is not supported by this master (only LAUNCH)",
			            (int)ops[i].type);
	msg_begin(h, "ACCEPT");
	proto_add(&h->out, "offer_id", offer_id);
	proto_addf(&h->out, "refuse_seconds", "%g",
	           refuse_seconds < 0 ? HOST_DEFAULT_REFUSE_S : refuse_seconds);
	for (size_t i = 0; i < nops; i++)
		for (size_t j = 0; j < ops[i].ntasks; j++)
			if (add_task(h, &ops[i].tasks[j]) < 0)
				return -1;
	return msg_send(h, h->conn);
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
	struct host *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	if (offer_id == NULL || *offer_id == '\0')
		return fail(h, "no offer_id");
	msg_begin(h, "DECLINE");
	proto_add(&h->out, "offer_id", offer_id);
	proto_addf(&h->out, "refuse_seconds", "%g",
	           refuse_seconds < 0 ? HOST_DEFAULT_REFUSE_S : refuse_seconds);
	return msg_send(h, h->conn);
}

static int
drv_kill(struct framework_driver *d, const char *task_id, int64_t grace_ms)
{
	struct host *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	if (task_id == NULL || *task_id == '\0')
		return fail(h, "no task_id");
	msg_begin(h, "KILL");
	proto_add(&h->out, "task_id", task_id);
	if (grace_ms > 0)
		proto_add_int(&h->out, "grace_ms", (long long)grace_ms);
	return msg_send(h, h->conn);
}

static int
drv_reconcile(struct framework_driver *d, const char *const *task_ids, size_t ntasks)
{
	struct host *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	msg_begin(h, "RECONCILE");
	for (size_t i = 0; i < ntasks; i++)
		if (task_ids[i] != NULL && *task_ids[i])
			proto_add(&h->out, "task_id", task_ids[i]);
	return msg_send(h, h->conn);
}

static int
send_bare(struct framework_driver *d, const char *verb)
{
	struct host *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	msg_begin(h, verb);
	return msg_send(h, h->conn);
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
	struct host *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	if (s == NULL || s->uuid == NULL || *s->uuid == '\0')
		return 0;    /* nothing to acknowledge */
	if (s->agent_id == NULL || *s->agent_id == '\0')
		return fail(h, "the update of task %.64s names no agent", s->task_id);
	struct proto_ack ack = { NULL, s->task_id, s->agent_id, s->uuid };

	buf_reset(&h->out);
	proto_ack_compose(&h->out, &ack);
	return msg_send(h, h->conn);
}

static int
drv_send_message(struct framework_driver *d, const char *agent_id, const char *executor_id,
                 const void *data, size_t len)
{
	struct host *h = host_of(d);

	if (need_master(h) < 0)
		return -1;
	if (agent_id == NULL || *agent_id == '\0' || executor_id == NULL || *executor_id == '\0')
		return fail(h, "a framework message needs an agent_id and an executor_id");
	if (data == NULL && len > 0)
		return fail(h, "no data");
	msg_begin(h, "FRAMEWORK_MESSAGE");
	proto_add(&h->out, "agent_id", agent_id);
	proto_add(&h->out, "executor_id", executor_id);
	proto_addn(&h->out, "data", len > 0 ? data : "", len);
	return msg_send(h, h->conn);
}

static int
drv_stop(struct framework_driver *d, int failover)
{
	struct host *h = host_of(d);

	if (h->stopping)
		return 0;
	h->stopping = 1;
	if (!failover && h->subscribed && h->conn != NULL) {
		msg_begin(h, "TEARDOWN");
		msg_send(h, h->conn);
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
	struct host *h = host_of(d);

	for (size_t i = 0; key != NULL && i < h->nconf; i++)
		if (strcmp(h->conf_keys[i], key) == 0)
			return h->conf_vals[i];
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
	struct host_timer *t = arg, **pp;
	struct host *h = t->h;

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
	struct host *h = host_of(d);
	struct host_timer *t;

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
	struct host *h = host_of(d);

	for (struct host_timer **pp = &h->timers; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			struct host_timer *t = *pp;
			*pp = t->next;
			loop_timer_cancel(h->loop, t->id);
			free(t);
			return;
		}
}

static void
watch_fired(struct loop *loop, int fd, int events, void *arg)
{
	struct host_watch *w = arg;
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
own_fd(const struct host *h, int fd)
{
	return (h->conn != NULL && fd == conn_fd(h->conn)) ||
	       (h->ctl != NULL && fd == conn_fd(h->ctl)) ||
	       fd == PLUGIN_PROTO_FD || fd == PLUGIN_CONTROL_FD;
}

static int
drv_watch(struct framework_driver *d, int fd, int events, framework_watch_fn fn, void *arg)
{
	struct host *h = host_of(d);
	struct host_watch *w;
	int ev = 0;

	if (fd < 0 || fn == NULL || fcntl(fd, F_GETFD) < 0)
		return fail(h, "descriptor %d is not open", fd);
	if (own_fd(h, fd))
		return fail(h, "descriptor %d is the host's", fd);
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
		return fail(h, "cannot watch descriptor %d", fd);
	return 0;
}

static void
drv_unwatch(struct framework_driver *d, int fd)
{
	struct host *h = host_of(d);

	for (struct host_watch **pp = &h->watches; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->fd == fd) {
			struct host_watch *w = *pp;
			*pp = w->next;
			loop_unwatch(h->loop, fd);
			free(w);
			return;
		}
}

static void
driver_init(struct host *h)
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

/* ---------------------------------------------------------------- the master's lines */

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static const char *
field(const struct proto_msg *m, const char *key)
{
	return or_empty(proto_get(m, key));
}

static void
send_subscribe(struct host *h)
{
	const struct framework_plugin *p = h->plugin;
	const char *name = drv_conf(&h->d, "name");
	const char *user = drv_conf(&h->d, "user");
	const char *role = drv_conf(&h->d, "role");
	const char *principal = drv_conf(&h->d, "principal");
	const char *failover = drv_conf(&h->d, "failover_timeout");
	const char *checkpoint = drv_conf(&h->d, "checkpoint");
	char login[HOST_USER_MAX];

	if (user == NULL || *user == '\0') {
		const char *env = getenv("USER");
		struct passwd *pw;

		if (env != NULL && *env)
			xstrlcpy(login, env, sizeof(login));
		else if ((pw = getpwuid(getuid())) != NULL)
			xstrlcpy(login, pw->pw_name, sizeof(login));
		else
			xstrlcpy(login, "nobody", sizeof(login));
		user = login;
	}
	msg_begin(h, "SUBSCRIBE");
	proto_add(&h->out, "name", name != NULL && *name ? name :
	                           p->name != NULL && *p->name ? p->name : h->name);
	proto_add(&h->out, "user", user);
	proto_add(&h->out, "role", role != NULL && *role ? role :
	                           p->role != NULL && *p->role ? p->role : "*");
	if (principal != NULL)
		proto_add(&h->out, "principal", principal);
	if (failover != NULL && *failover)
		proto_add(&h->out, "failover_timeout", failover);
	else
		proto_addf(&h->out, "failover_timeout", "%.0f", PLUGIN_DEFAULT_FAILOVER_S);
	/* On unless the conf says no: a plugin's tasks should outlive a restart of their agent. */
	proto_add_bool(&h->out, "checkpoint", checkpoint == NULL || *checkpoint == '\0' ||
	    (strcmp(checkpoint, "0") != 0 && strcmp(checkpoint, "false") != 0));
	if (h->failover_id != NULL)
		proto_add(&h->out, "framework_id", h->failover_id);
	msg_send(h, h->conn);
}

static void
on_subscribed(struct host *h, const struct proto_msg *m)
{
	const char *id = proto_get(m, "framework_id");

	if (id == NULL || id_check("framework ID", id, h->err, sizeof(h->err)) < 0) {
		log_warnx("bad SUBSCRIBED from the master: %s", id == NULL ? "no framework_id" : h->err);
		conn_close(h->conn, "bad SUBSCRIBED");
		return;
	}
	int again = h->failover_id != NULL && strcmp(h->failover_id, id) == 0;
	free(h->framework_id);
	h->framework_id = xstrdup(id);
	h->subscribed = 1;
	log_info("%s as framework %s", again ? "registered again" : "registered", id);
	if (h->ctl != NULL) {
		msg_begin(h, "SUBSCRIBED");
		proto_add(&h->out, "framework_id", id);
		msg_send(h, h->ctl);
	}
	if (again) {
		/* Learn the state of every task we had before the plugin sees anything. */
		drv_reconcile(&h->d, NULL, 0);
		if (h->plugin->reregistered != NULL)
			h->plugin->reregistered(&h->d, id);
	} else if (h->plugin->registered != NULL) {
		h->plugin->registered(&h->d, id);
	}
}

static void
on_status(struct host *h, const struct proto_msg *m)
{
	struct framework_status s;
	struct proto_status ps;

	if (proto_status_parse(m, &ps, h->err, sizeof(h->err)) < 0) {
		log_warnx("ignoring a STATUS_UPDATE from the master: %s", h->err);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.task_id = ps.task_id;
	s.agent_id = or_empty(ps.agent_id);
	s.state = ps.state;
	s.source = or_empty(ps.source);
	s.reason = or_empty(ps.reason);
	s.message = or_empty(ps.message);
	s.uuid = or_empty(ps.uuid);
	s.healthy = ps.healthy;
	s.timestamp = ps.timestamp;
	if (h->plugin->status_update != NULL)
		h->plugin->status_update(&h->d, &s);
	if (!(h->plugin->flags & FRAMEWORK_EXPLICIT_ACKS) && *s.uuid && h->subscribed &&
	    !h->stopping)
		drv_acknowledge(&h->d, &s);
}

/* The data may hold any byte, NUL included: it goes to the plugin with its length. */
static void
on_framework_message(struct host *h, const struct proto_msg *m)
{
	const struct proto_field *data = NULL;

	for (size_t i = 0; i < m->nfields && data == NULL; i++)
		if (strcmp(m->fields[i].key, "data") == 0)
			data = &m->fields[i];
	if (h->plugin->framework_message != NULL)
		h->plugin->framework_message(&h->d, field(m, "agent_id"), field(m, "executor_id"),
		    data != NULL ? data->val : "", data != NULL ? data->vlen : 0);
}

static void
dispatch(struct host *h, const struct proto_msg *m)
{
	const struct framework_plugin *p = h->plugin;

	if (strcmp(m->verb, "PING") == 0) {
		msg_begin(h, "PONG");
		if (proto_get(m, "seq") != NULL)
			proto_add(&h->out, "seq", proto_get(m, "seq"));
		msg_send(h, h->conn);
	} else if (strcmp(m->verb, "WELCOME") == 0) {
		send_subscribe(h);
	} else if (strcmp(m->verb, "SUBSCRIBED") == 0) {
		on_subscribed(h, m);
	} else if (strcmp(m->verb, "ERROR") == 0) {
		log_warnx("the master says: %s", field(m, "reason"));
		if (p->error != NULL)
			p->error(&h->d, field(m, "reason"));
	} else if (!h->subscribed) {
		log_debug("ignoring %s before SUBSCRIBED", m->verb);
	} else if (strcmp(m->verb, "OFFER") == 0) {
		struct framework_offer o = { field(m, "offer_id"), field(m, "agent_id"),
		                             field(m, "hostname"), field(m, "resources"),
		                             field(m, "attributes") };
		if (p->offers != NULL)
			p->offers(&h->d, &o, 1);
		else
			drv_decline(&h->d, o.id, -1);
	} else if (strcmp(m->verb, "RESCIND") == 0) {
		if (p->offer_rescinded != NULL)
			p->offer_rescinded(&h->d, field(m, "offer_id"));
	} else if (strcmp(m->verb, "STATUS_UPDATE") == 0) {
		on_status(h, m);
	} else if (strcmp(m->verb, "AGENT_LOST") == 0) {
		if (p->agent_lost != NULL)
			p->agent_lost(&h->d, field(m, "agent_id"));
	} else if (strcmp(m->verb, "FRAMEWORK_MESSAGE") == 0) {
		on_framework_message(h, m);
	} else if (strcmp(m->verb, "PONG") != 0) {
		log_debug("ignoring %s from the master", m->verb);
	}
}

static void
master_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct host *h = arg;
	struct proto_msg m;

	if (h->stopping)
		return;
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, h->err, sizeof(h->err)) < 0) {
		log_warnx("bad line from the master: %s", h->err);
		conn_close(c, "bad line from the master");
	} else {
		dispatch(h, &m);
	}
	proto_msg_free(&m);
}

static void
say_hello(struct host *h)
{
	buf_reset(&h->out);
	proto_hello_compose(&h->out, PROTO_KIND_FRAMEWORK);
	msg_send(h, h->conn);
}

static void
master_on_connect(struct conn *c, void *arg)
{
	(void)c;
	say_hello(arg);
}

static void
master_on_close(struct conn *c, const char *reason, void *arg)
{
	struct host *h = arg;

	(void)c;
	h->conn = NULL;
	if (!h->stopping) {
		log_info("connection to the master closed: %s", reason);
		h->exit_code = PLUGIN_EXIT_LOST;
	}
	h->subscribed = 0;
	if (!h->said_disconnected && h->exit_code == PLUGIN_EXIT_LOST) {
		h->said_disconnected = 1;
		if (h->plugin->disconnected != NULL)
			h->plugin->disconnected(&h->d);
	}
	h->stopping = 1;
	loop_stop(h->loop);
}

static const struct conn_ops master_ops = {
	.on_line = master_on_line,
	.on_connect = master_on_connect,
	.on_close = master_on_close,
};

/* ---------------------------------------------------------------- the manager's lines */

static void
ctl_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct host *h = arg;
	struct proto_msg m;

	proto_msg_init(&m);
	if (proto_parse(line, len, &m, h->err, sizeof(h->err)) == 0 && strcmp(m.verb, "PING") == 0) {
		msg_begin(h, "PONG");
		if (proto_get(&m, "seq") != NULL)
			proto_add(&h->out, "seq", proto_get(&m, "seq"));
		msg_send(h, c);
	}
	proto_msg_free(&m);
}

static void
ctl_on_close(struct conn *c, const char *reason, void *arg)
{
	struct host *h = arg;

	(void)c;
	h->ctl = NULL;
	/* The manager is gone, so is the master: nothing to serve. */
	if (!h->stopping) {
		log_info("control connection closed: %s", reason);
		h->exit_code = PLUGIN_EXIT_LOST;
		if (h->conn != NULL)
			conn_close(h->conn, "the master's control connection closed");
		else
			loop_stop(h->loop);
	}
}

static const struct conn_ops ctl_ops = {
	.on_line = ctl_on_line,
	.on_close = ctl_on_close,
};

/* ---------------------------------------------------------------- start-up */

static void
on_signal(struct loop *loop, int signo, void *arg)
{
	struct host *h = arg;

	log_info("received signal %d, stopping", signo);
	if (h->stopping)
		return;
	h->stopping = 1;
	h->exit_code = HOST_EXIT_SIGNALLED + signo;
	loop_stop(loop);
}

/* Read NAME.conf: key=value lines, '#' comments, blanks; a key set twice is an error. */
static int
read_conf(struct host *h, const char *path, int must_exist)
{
	struct buf text;
	char chunk[HOST_READ_CHUNK];
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return fail(h, "cannot read %s: %s", path, strerror(errno));
	}
	buf_init(&text, PLUGIN_CONF_MAX);
	int rc = 0;
	while (rc == 0) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = fail(h, "cannot read %s: %s", path, strerror(errno));
		else if (n == 0)
			break;
		else if (buf_append(&text, chunk, (size_t)n) < 0)
			rc = fail(h, "%s is over %d bytes", path, PLUGIN_CONF_MAX);
	}
	close(fd);
	if (rc < 0) {
		buf_free(&text);
		return -1;
	}
	char *s = text.data != NULL ? text.data : "";
	int lineno = 0;
	while (*s && rc == 0) {
		char *end = strchr(s, '\n'), *next = end != NULL ? end + 1 : s + strlen(s);
		if (end != NULL)
			*end = '\0';
		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = strlen(s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
			s[--n] = '\0';
		if (*s && *s != '#') {
			char *eq = strchr(s, '=');
			char *k = s, *v;
			if (eq == NULL) {
				rc = fail(h, "%s line %d: expected key=value", path, lineno);
				break;
			}
			*eq = '\0';
			v = eq + 1;
			for (n = strlen(k); n > 0 && (k[n - 1] == ' ' || k[n - 1] == '\t'); n--)
				k[n - 1] = '\0';
			while (*v == ' ' || *v == '\t')
				v++;
			if (*k == '\0') {
				rc = fail(h, "%s line %d: empty key", path, lineno);
				break;
			}
			if (drv_conf(&h->d, k) != NULL) {
				rc = fail(h, "%s line %d: '%.64s' is set twice", path, lineno, k);
				break;
			}
			h->conf_keys = xreallocarray(h->conf_keys, h->nconf + 1, sizeof(char *));
			h->conf_vals = xreallocarray(h->conf_vals, h->nconf + 1, sizeof(char *));
			h->conf_keys[h->nconf] = xstrdup(k);
			h->conf_vals[h->nconf] = xstrdup(v);
			h->nconf++;
		}
		s = next;
	}
	buf_free(&text);
	return rc;
}

/* dlopen the plugin, find its descriptor and check the ABI it was built for. */
static int
load_plugin(struct host *h, const char *path)
{
	const struct framework_plugin *p;
	const char *e;

	h->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h->dl == NULL) {
		e = dlerror();
		return fail(h, "cannot load %s: %s", path, e != NULL ? e : "dlopen failed");
	}
	dlerror();
	p = dlsym(h->dl, FRAMEWORK_PLUGIN_SYMBOL);
	if (p == NULL)
		return fail(h, "%s exports no '%s': not a framework plugin", path,
		            FRAMEWORK_PLUGIN_SYMBOL);
	if (p->abi_version != FRAMEWORK_ABI_VERSION)
		return fail(h, "%s was built for framework ABI version %d; this master speaks version %d",
		            path, p->abi_version, FRAMEWORK_ABI_VERSION);
	h->plugin = p;
	return 0;
}

/* Before the loop runs: a blocking write of FAILED on the control descriptor. */
static void
report_failed(struct host *h)
{
	if (h->ctl == NULL && fcntl(PLUGIN_CONTROL_FD, F_GETFD) < 0) {
		log_warnx("%s", h->err);
		return;
	}
	struct buf b;
	buf_init(&b, HOST_MSG_MAX);
	proto_begin(&b, "FAILED");
	proto_add(&b, "reason", h->err);
	if (proto_end(&b) == 0) {
		size_t off = 0;
		while (off < b.len) {
			ssize_t n = write(PLUGIN_CONTROL_FD, b.data + off, b.len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	buf_free(&b);
}

static void
host_free(struct host *h)
{
	while (h->timers != NULL)
		drv_timer_cancel(&h->d, h->timers->id);
	while (h->watches != NULL)
		drv_unwatch(&h->d, h->watches->fd);
	for (size_t i = 0; i < h->nconf; i++) {
		free(h->conf_keys[i]);
		free(h->conf_vals[i]);
	}
	free(h->conf_keys);
	free(h->conf_vals);
	free(h->framework_id);
	buf_free(&h->out);
}

/* Adopt an inherited descriptor as a conn: non-blocking, and not passed on to what the plugin runs. */
static struct conn *
adopt(struct host *h, int fd, const struct conn_ops *ops, const char *what)
{
	struct conn *c;

	if (compat_set_nonblock(fd, 1) < 0 || compat_set_cloexec(fd) < 0)
		return NULL;
	c = conn_new(h->loop, fd, ops, h, PROTO_LINE_MAX, HOST_OUT_MAX);
	conn_set_peer(c, what);
	return c;
}

int
main(int argc, char **argv)
{
	static char progname[HOST_NAME_MAX_BYTES + 8];
	struct host h;
	char *plugin_path = NULL, *conf_path = NULL, *framework_id = NULL, *master = NULL;
	char *name = NULL, *log_level = NULL;
	int help = 0, first = 0, hosted, level;
	char err[HOST_ERR_MAX];
	struct flag flags[] = {
		{ "plugin", FLAG_STRING, &plugin_path, "the plugin (.so) to run", 0 },
		{ "conf", FLAG_STRING, &conf_path, "its key=value configuration file", 0 },
		{ "framework_id", FLAG_STRING, &framework_id, "fail over as this framework", 0 },
		{ "master", FLAG_STRING, &master,
		  "HOST:PORT: run as an external framework over TCP (else the master's fds 3, 4)", 0 },
		{ "name", FLAG_STRING, &name, "the plugin's name in log lines", 0 },
		{ "log_level", FLAG_STRING, &log_level, "error, warning, info or debug", 0 },
	};
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);

	memset(&h, 0, sizeof(h));
	log_level = xstrdup("info");
	log_init(PLUGIN_HOST_NAME, LOG_LEVEL_INFO);
	if (flags_parse(flags, nflags, argc, argv, NULL, &first, &help, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s (see --help)\n", PLUGIN_HOST_NAME, err);
		flags_free(flags, nflags);
		return HOST_EXIT_USAGE;
	}
	if (help) {
		flags_usage(flags, nflags, PLUGIN_HOST_NAME, "--plugin=PATH [--flag=value ...]");
		flags_free(flags, nflags);
		return 0;
	}
	level = log_level_parse(log_level);
	if (plugin_path == NULL || *plugin_path == '\0' || first < argc || level < 0) {
		fprintf(stderr, "%s: %s (see --help)\n", PLUGIN_HOST_NAME,
		        level < 0 ? "bad --log_level" : first < argc ? "unexpected argument" :
		        "--plugin=PATH is required");
		flags_free(flags, nflags);
		return HOST_EXIT_USAGE;
	}
	hosted = master == NULL || *master == '\0';
	if (hosted && (fcntl(PLUGIN_PROTO_FD, F_GETFD) < 0 || fcntl(PLUGIN_CONTROL_FD, F_GETFD) < 0)) {
		fprintf(stderr, "%s: no --master and no descriptors %d and %d: mesosd starts this "
		        "program, or give --master=HOST:PORT\n", PLUGIN_HOST_NAME, PLUGIN_PROTO_FD,
		        PLUGIN_CONTROL_FD);
		flags_free(flags, nflags);
		return HOST_EXIT_USAGE;
	}
	if (name == NULL || *name == '\0') {
		const char *base = strrchr(plugin_path, '/');
		free(name);
		name = xstrdup(base != NULL ? base + 1 : plugin_path);
		size_t n = strlen(name), sl = strlen(PLUGIN_SO_SUFFIX);
		if (n > sl && strcmp(name + n - sl, PLUGIN_SO_SUFFIX) == 0)
			name[n - sl] = '\0';
	}
	snprintf(progname, sizeof(progname), "plugin %.*s", HOST_NAME_MAX_BYTES, name);
	log_init(progname, (enum log_level)level);

	h.name = name;
	h.exit_code = PLUGIN_EXIT_LOST;
	h.failover_id = framework_id != NULL && *framework_id ? framework_id : NULL;
	buf_init(&h.out, HOST_MSG_MAX);
	driver_init(&h);
	h.loop = loop_new();
	loop_signal(h.loop, SIGTERM, on_signal, &h);
	loop_signal(h.loop, SIGINT, on_signal, &h);

	if ((h.failover_id != NULL &&
	     id_check("framework ID", h.failover_id, h.err, sizeof(h.err)) < 0) ||
	    load_plugin(&h, plugin_path) < 0 ||
	    (conf_path != NULL && *conf_path && read_conf(&h, conf_path, !hosted) < 0) ||
	    (h.plugin->init != NULL && h.plugin->init(&h.d, h.err, sizeof(h.err)) < 0)) {
		if (h.plugin != NULL && h.plugin->init != NULL && h.err[0] == '\0')
			snprintf(h.err, sizeof(h.err), "the plugin's init() refused to start");
		if (hosted)
			report_failed(&h);
		else
			log_warnx("%s", h.err);
		h.exit_code = PLUGIN_EXIT_REFUSED;
		goto out;
	}
	if (hosted) {
		h.ctl = adopt(&h, PLUGIN_CONTROL_FD, &ctl_ops, "mesosd control");
		h.conn = adopt(&h, PLUGIN_PROTO_FD, &master_ops, "mesosd");
		if (h.ctl == NULL || h.conn == NULL) {
			log_warn("cannot use the master's descriptors");
			h.exit_code = PLUGIN_EXIT_LOST;
			goto out_fini;
		}
		say_hello(&h);
	} else {
		char mhost[HOST_HOSTNAME_MAX];
		int mport;
		if (net_parse_hostport(master, 0, mhost, sizeof(mhost), &mport, err,
		                       sizeof(err)) < 0 || mport == 0) {
			log_warnx("bad --master '%s': %s", master, mport == 0 ? "no port" : err);
			h.exit_code = HOST_EXIT_USAGE;
			goto out_fini;
		}
		h.conn = conn_connect(h.loop, mhost, mport, HOST_CONNECT_TIMEOUT_MS, &master_ops, &h,
		                      PROTO_LINE_MAX, HOST_OUT_MAX, err, sizeof(err));
		if (h.conn == NULL) {
			log_warnx("%s", err);
			goto out_fini;
		}
	}
	loop_run(h.loop);

out_fini:
	h.stopping = 1;
	if (h.conn != NULL)
		conn_close(h.conn, "the host is ending");
	if (h.ctl != NULL)
		conn_close(h.ctl, "the host is ending");
	/* Let the closes run (the conns are freed from the loop). */
	for (int i = 0; i < HOST_CLOSE_ROUNDS && (h.conn != NULL || h.ctl != NULL); i++)
		loop_run_once(h.loop, 0);
	if (h.plugin->fini != NULL)
		h.plugin->fini(&h.d);
out:
	host_free(&h);
	loop_free(h.loop);
	if (h.dl != NULL)
		dlclose(h.dl);
	flags_free(flags, nflags);   /* name and framework_id too: they are flag values */
	return h.exit_code;
}
