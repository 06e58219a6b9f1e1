/*
 * agent.c: owns the agent's side of the master connection: registration
 * and re-registration (with the checkpointed agent ID after a restart)
 * with backoff, the task list it hands a master it comes back to, the ping
 * watchdog, dispatching the master's messages to the task, update and file
 * code, and the agent's start (recovery first), orderly stop and detach.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "agent_int.h"
#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "sup/sup.h"
#include "id.h"
#include "sup/launcher.h"
#include "log.h"
#include "loop.h"
#include "map.h"
#include "proc.h"
#include "proto.h"
#include "res.h"
#include "xmem.h"

#define PID_KEY_MAX 24
#define AGENT_FREE_LOOP_SPINS 4      /* loop passes agent_free allows for deferred closes */
#define SELF_DIR_MAX 4096
#define INSTALLED_LIBEXEC "/../libexec/mesos"   /* from sbin/ to the installed helpers */

static void connect_master(struct agent *a);

int
agent_link_up(const struct agent *a)
{
	return a->link == AGENT_LINK_REGISTERED && a->conn != NULL && !conn_is_closing(a->conn);
}

void
agent_send_msg(struct agent *a, struct buf *b)
{
	if (proto_end(b) == -1) {
		log_warnx("not sending a message over the %d byte line limit", PROTO_LINE_MAX);
		return;
	}
	if (a->conn != NULL && !conn_is_closing(a->conn))
		(void)conn_send(a->conn, b->data, b->len);
}

void
agent_send_fields(struct agent *a, const char *verb, ...)
{
	const char *key;
	struct buf b;
	va_list ap;

	buf_init(&b, 0);
	proto_begin(&b, verb);
	va_start(ap, verb);
	while ((key = va_arg(ap, const char *)) != NULL)
		proto_add(&b, key, va_arg(ap, const char *));
	va_end(ap);
	agent_send_msg(a, &b);
	buf_free(&b);
}

static const char *
opt_field(const struct proto_msg *m, const char *key, const char *dflt)
{
	const char *v = proto_get(m, key);

	return v != NULL ? v : dflt;
}

/* --- registration and the master connection ---------------------------------- */

static void
cancel_link_timers(struct agent *a)
{
	const char *key;
	void *val;

	loop_timer_cancel(a->loop, a->register_timer);
	loop_timer_cancel(a->loop, a->ping_timer);
	a->register_timer = a->ping_timer = 0;
	/* Nothing can be resent until we are registered again; then heads go out at once. */
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		loop_timer_cancel(a->loop, t->retry_timer);
		t->retry_timer = 0;
	}
}

static void
on_reconnect_timer(struct loop *loop, void *arg)
{
	struct agent *a = arg;

	(void)loop;
	a->reconnect_timer = 0;
	connect_master(a);
}

static void
connection_lost(struct agent *a, const char *reason)
{
	int64_t delay;

	if (a->stopping || a->freeing)
		return;
	delay = backoff_next(&a->backoff);
	if (!a->warned) {
		log_warnx("master %s: %s; retrying in %lld ms", a->master, reason, (long long)delay);
		a->warned = 1;
	} else {
		log_info("master %s: %s; retrying in %lld ms", a->master, reason, (long long)delay);
	}
	loop_timer_cancel(a->loop, a->reconnect_timer);
	a->reconnect_timer = loop_timer_add(a->loop, delay, on_reconnect_timer, a);
}

/* Registration and ping watchdog: either way the master is not answering as it should. */
static void
on_link_timeout(struct loop *loop, void *arg)
{
	struct agent *a = arg;
	char reason[AGENT_MSG_MAX];

	(void)loop;
	if (a->link == AGENT_LINK_REGISTERED)
		snprintf(reason, sizeof(reason), "no ping from the master for %lld ms",
		    (long long)a->ping_timeout_ms);
	else
		snprintf(reason, sizeof(reason), "no registration reply within %d ms",
		    AGENT_REGISTER_TIMEOUT_MS);
	a->register_timer = a->ping_timer = 0;
	if (a->conn != NULL)
		conn_close(a->conn, reason);
}

static void
arm_ping_watchdog(struct agent *a)
{
	loop_timer_cancel(a->loop, a->ping_timer);
	a->ping_timer = loop_timer_add(a->loop, a->ping_timeout_ms, on_link_timeout, a);
}

static void
send_register(struct agent *a)
{
	struct buf b;

	buf_init(&b, 0);
	proto_begin(&b, "REGISTER_AGENT");
	proto_add(&b, "hostname", a->hostname);
	proto_add_int(&b, "port", 0);
	proto_add(&b, "resources", a->resources_str);
	proto_add(&b, "attributes", a->attributes_str);
	proto_add(&b, "isolation", a->isolation_str);
	if (a->agent_id[0] != '\0')
		proto_add(&b, "agent_id", a->agent_id);
	else if (a->previous_agent_id[0] != '\0')
		proto_add(&b, "previous_agent_id", a->previous_agent_id);
	proto_add(&b, "version", AGENT_VERSION);
	agent_send_msg(a, &b);
	buf_free(&b);
	a->reregistering = a->agent_id[0] != '\0';
	a->link = AGENT_LINK_REGISTERING;
}

static void
send_resync(struct agent *a)
{
	char count[PID_KEY_MAX];
	const char *key;
	void *val;
	size_t n = 0;

	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		char *res;
		if (t->fate != AGENT_FATE_TRACKED)
			continue;
		res = res_to_string(&t->resources);
		agent_send_fields(a, "AGENT_TASK", "task_id", t->task_id, "framework_id", t->framework_id,
		    "name", t->name, "state", t->state, "resources", res, "role", t->role,
		    "framework_name", t->framework_name, "user", t->user,
		    "failover_timeout", t->failover_timeout, (char *)NULL);
		free(res);
		n++;
	}
	snprintf(count, sizeof(count), "%zu", n);
	agent_send_fields(a, "AGENT_RESYNC_DONE", "tasks", count, (char *)NULL);
}

/* The master gave us a new ID: it has written off everything we ran under the old one. */
static void
drop_old_registration(struct agent *a, const char *new_id)
{
	const char *key;
	void *val;

	if (map_len(&a->tasks) > 0)
		log_warnx("the master assigned a new agent ID %s (was %s): killing the %zu task(s) of "
		    "the old registration", new_id, a->agent_id, map_len(&a->tasks));
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);)
		agent_task_abandon(a, val, AGENT_FATE_SILENT, a->cfg.executor_shutdown_grace_period_ms);
}

static void
handle_registered(struct agent *a, const struct proto_msg *m)
{
	const char *id = proto_get(m, "agent_id");
	char err[AGENT_ERR_MAX];
	long long interval, timeouts;
	int same;

	if (a->link != AGENT_LINK_REGISTERING) {
		log_warnx("unexpected AGENT_REGISTERED: ignored");
		return;
	}
	if (id_check("agent ID", id, err, sizeof(err)) == -1) {
		log_warnx("AGENT_REGISTERED with a bad agent ID: %s", err);
		conn_close(a->conn, "bad AGENT_REGISTERED");
		return;
	}
	if (proto_get_int(m, "ping_interval_ms", AGENT_DEFAULT_PING_INTERVAL_MS, &interval, err,
	        sizeof(err)) == -1 || interval <= 0) {
		log_warnx("AGENT_REGISTERED: bad ping_interval_ms; assuming %d", AGENT_DEFAULT_PING_INTERVAL_MS);
		interval = AGENT_DEFAULT_PING_INTERVAL_MS;
	}
	if (proto_get_int(m, "ping_timeouts", AGENT_DEFAULT_PING_TIMEOUTS, &timeouts, err,
	        sizeof(err)) == -1 || timeouts <= 0) {
		log_warnx("AGENT_REGISTERED: bad ping_timeouts; assuming %d", AGENT_DEFAULT_PING_TIMEOUTS);
		timeouts = AGENT_DEFAULT_PING_TIMEOUTS;
	}
	if (interval > INT64_MAX / timeouts)
		interval = INT64_MAX / timeouts;
	a->ping_timeout_ms = interval * timeouts;

	same = a->reregistering && strcmp(a->agent_id, id) == 0;
	if (a->agent_id[0] != '\0' && !same)
		drop_old_registration(a, id);
	if (agent_journal_open(a, id, err, sizeof(err)) == -1)
		log_warnx("cannot checkpoint the agent ID: %s (a restart will register afresh)", err);
	xstrlcpy(a->agent_id, id, sizeof(a->agent_id));
	a->previous_agent_id[0] = '\0';
	loop_timer_cancel(a->loop, a->register_timer);
	a->register_timer = 0;
	a->link = AGENT_LINK_REGISTERED;
	backoff_reset(&a->backoff);
	a->warned = 0;
	log_info("%s with master as %s", same ? "re-registered" : "registered", a->agent_id);
	if (same)
		send_resync(a);
	agent_journal_report(a);
	arm_ping_watchdog(a);
	agent_update_reset_retries(a);
}

static void
handle_ping(struct agent *a, const struct proto_msg *m)
{
	const char *seq = proto_get(m, "seq");

	agent_send_fields(a, "PONG", seq ? "seq" : NULL, seq, (char *)NULL);
	if (a->link == AGENT_LINK_REGISTERED)
		arm_ping_watchdog(a);
}

static void
handle_welcome(struct agent *a, const struct proto_msg *m)
{
	long long version;
	char err[AGENT_ERR_MAX];

	if (a->link != AGENT_LINK_HELLO) {
		log_warnx("unexpected WELCOME: ignored");
		return;
	}
	if (proto_get_int(m, "version", PROTO_VERSION, &version, err, sizeof(err)) == -1 ||
	    version != PROTO_VERSION) {
		snprintf(err, sizeof(err), "the master speaks protocol version %s, we speak %d",
		    opt_field(m, "version", "?"), PROTO_VERSION);
		conn_close(a->conn, err);
		return;
	}
	if (proto_auth_client_welcome(&a->auth, m, err, sizeof(err)) == -1) {
		log_warnx("master %s: %s", a->master, err);
		conn_close(a->conn, err);
		return;
	}
	log_debug("connected to master %s (%s)", a->master, opt_field(m, "master_id", "?"));
	send_register(a);
}

static void
handle_challenge(struct agent *a, const struct proto_msg *m)
{
	char err[AGENT_ERR_MAX];
	struct buf b;

	buf_init(&b, 0);
	if (a->link != AGENT_LINK_HELLO ||
	    proto_auth_client_challenge(&a->auth, m, &b, err, sizeof(err)) == -1) {
		if (a->link != AGENT_LINK_HELLO)
			snprintf(err, sizeof(err), "a CHALLENGE after the handshake");
		log_warnx("master %s: %s", a->master, err);
		conn_close(a->conn, err);
	} else {
		agent_send_msg(a, &b);
	}
	buf_free(&b);
}

static void
handle_error(struct agent *a, const struct proto_msg *m)
{
	log_warnx("master %s reports an error: %s", a->master, opt_field(m, "reason", "(none)"));
}

static void
handle_pong(struct agent *a, const struct proto_msg *m)
{
	(void)a;
	(void)m;
}

/* The master's lines; some only make sense once the master knows who we are. */
static const struct master_verb {
	const char *verb;
	int registered;              /* ignored before registration */
	void (*fn)(struct agent *a, const struct proto_msg *m);
} master_verbs[] = {
	{ "PING", 0, handle_ping },
	{ "PONG", 0, handle_pong },
	{ "WELCOME", 0, handle_welcome },
	{ "CHALLENGE", 0, handle_challenge },
	{ "AGENT_REGISTERED", 0, handle_registered },
	{ "ERROR", 0, handle_error },
	{ "RUN_TASK", 1, agent_task_handle_run },
	{ "KILL_TASK", 1, agent_task_handle_kill },
	{ "SHUTDOWN_FRAMEWORK", 1, agent_task_handle_shutdown },
	{ "ACKNOWLEDGE", 1, agent_update_handle_ack },
	{ "READ_FILE", 1, agent_files_handle_read },
	{ "LIST_FILES", 1, agent_files_handle_list },
	{ "FRAMEWORK_MESSAGE", 1, agent_executor_handle_message },
	{ NULL, 0, NULL },
};

static void
dispatch(struct agent *a, const struct proto_msg *m)
{
	const struct master_verb *h;

	for (h = master_verbs; h->verb != NULL; h++)
		if (strcmp(h->verb, m->verb) == 0)
			break;
	if (h->verb == NULL)
		log_warnx("unknown verb '%s' from the master: ignored", m->verb);
	else if (h->registered && a->link != AGENT_LINK_REGISTERED)
		log_warnx("%s before registration: ignored", m->verb);
	else
		h->fn(a, m);
}

static void
on_master_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct agent *a = arg;
	struct proto_msg m;
	char err[AGENT_ERR_MAX];

	(void)c;
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) == -1)
		log_warnx("bad line from the master: %s", err);
	else
		dispatch(a, &m);
	proto_msg_free(&m);
}

static void
on_master_connect(struct conn *c, void *arg)
{
	struct agent *a = arg;
	struct buf b;

	if (a->stopping) {
		conn_close(c, "agent shutting down");
		return;
	}
	a->link = AGENT_LINK_HELLO;
	buf_init(&b, 0);
	proto_auth_client_hello(&a->auth, &b);
	agent_send_msg(a, &b);
	buf_free(&b);
	a->register_timer = loop_timer_add(a->loop, AGENT_REGISTER_TIMEOUT_MS, on_link_timeout, a);
}

static void
on_master_close(struct conn *c, const char *reason, void *arg)
{
	struct agent *a = arg;

	(void)c;
	a->conn = NULL;
	a->link = AGENT_LINK_IDLE;
	cancel_link_timers(a);
	if (a->freeing)
		return;
	if (a->stopping) {
		agent_maybe_finish_stop(a);
		return;
	}
	connection_lost(a, reason);
}

static void
on_master_drain(struct conn *c, void *arg)
{
	(void)c;
	agent_maybe_finish_stop(arg);
}

static const struct conn_ops master_ops = {
	.on_line = on_master_line,
	.on_data = NULL,
	.on_connect = on_master_connect,
	.on_close = on_master_close,
	.on_drain = on_master_drain,
};

static void
connect_master(struct agent *a)
{
	char err[AGENT_ERR_MAX];

	if (a->stopping || a->conn != NULL)
		return;
	a->link = AGENT_LINK_CONNECTING;
	a->conn = conn_connect(a->loop, a->master_host, a->master_port, AGENT_CONNECT_TIMEOUT_MS,
	    &master_ops, a, PROTO_LINE_MAX, AGENT_CONN_OUT_MAX, err, sizeof(err));
	if (a->conn == NULL) {
		a->link = AGENT_LINK_IDLE;
		connection_lost(a, err);
	}
}

/* --- start, stop, free ------------------------------------------------------------ */

/* mesos-executor and mesos-fetcher: in --launcher_dir, else next to agentd, else its libexec. */
static char *
helper_path(const char *launcher_dir, const char *name)
{
	char self[SELF_DIR_MAX];
	char *p;

	if (launcher_dir != NULL && launcher_dir[0] != '\0')
		return xstrfmt("%s/%s", launcher_dir, name);
	if (compat_self_dir(self, sizeof(self)) == -1)
		return xstrdup(name);
	p = xstrfmt("%s/%s", self, name);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return xstrfmt("%s" INSTALLED_LIBEXEC "/%s", self, name);
}

/* posix/mem samples the tasks' memory: say at start where this system cannot tell it. */
static void
warn_unsampled(const struct agent *a)
{
	struct proc_info self;

	if (strncmp(a->isolation_str, "posix", strlen("posix")) == 0 &&
	    proc_descendants(getppid(), &self, 1) == -1)
		log_warnx("memory sampling unavailable: this system cannot tell a process's "
		          "memory; each task's address space is capped at its mem instead (RLIMIT_AS)");
}

static int
copy_config(struct agent *a, const struct agent_config *cfg, char *err, size_t errlen)
{
	a->cfg = *cfg;
	a->master = xstrdup(cfg->master);
	xstrlcpy(a->master_host, cfg->master_host, sizeof(a->master_host));
	a->master_port = cfg->master_port;
	a->hostname = xstrdup(cfg->hostname);
	a->work_dir = xstrdup(cfg->work_dir);
	res_copy(&a->resources, cfg->resources);
	a->total_cpus_milli = res_scalar(&a->resources, "cpus");
	a->resources_str = res_to_string(&a->resources);
	a->attributes_str = xstrdup(cfg->attributes);
	a->supervisor_path = helper_path(cfg->launcher_dir, SUP_PROGRAM);
	a->fetcher_path = helper_path(cfg->launcher_dir, SUP_FETCHER_PROGRAM);
	a->fetcher_cache_dir = cfg->fetcher_cache_dir != NULL && cfg->fetcher_cache_dir[0] != '\0'
	                           ? xstrdup(cfg->fetcher_cache_dir)
	                           : xstrfmt("%s/fetch", a->work_dir);
	a->cfg.log_level = cfg->log_level != NULL ? xstrdup(cfg->log_level) : NULL;
	/* The strings above are ours now; the caller's may go. */
	a->cfg.master = a->cfg.master_host = a->cfg.hostname = a->cfg.work_dir = NULL;
	a->cfg.attributes = a->cfg.launcher_dir = a->cfg.fetcher_cache_dir = NULL;
	a->cfg.resources = NULL;
	a->drops_left = cfg->test_drop_updates;
	a->isolation_cgroups = cfg->isolation_cgroups;
	isolate_isolation_name(a->isolation_cgroups, a->isolation_str, sizeof(a->isolation_str));
	for (int c = 0; c < CGROUP_CTRLS; c++) {
		if (cfg->cgroups != NULL && cfg->cgroups->dir[c] != NULL) {
			a->cgroups.dir[c] = xstrdup(cfg->cgroups->dir[c]);
			a->cgroups.version[c] = cfg->cgroups->version[c];
		}
	}
	a->cfg.cgroups = NULL;
	{
		struct passwd *pw = getpwuid(geteuid());
		a->euid_root = geteuid() == 0;
		a->self_user = pw != NULL && pw->pw_name != NULL ? xstrdup(pw->pw_name) : NULL;
	}
	if (access(a->supervisor_path, X_OK) == -1) {
		snprintf(err, errlen, "cannot run the supervisor '%s': %s (see --launcher_dir)",
		    a->supervisor_path, strerror(errno));
		return -1;
	}
	/* Supervisors' sockets are reached from inside their directories; this is the way back. */
	if (chdir(a->work_dir) == -1 || (a->cwd_fd = open(".", O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot enter the work dir '%s': %s", a->work_dir, strerror(errno));
		return -1;
	}
	return 0;
}

struct agent *
agent_new(struct loop *loop, const struct agent_config *cfg, char *err, size_t errlen)
{
	struct agent *a = xcalloc(1, sizeof(*a));

	a->loop = loop;
	a->cwd_fd = -1;
	/*
	 * Commit 0 counts as written and fsync'ed (nothing to write yet): the
	 * first records belong to commit 1, or they would count as on disk
	 * before their first write (a fresh agent's first updates went out so).
	 */
	a->journal_gen = 1;
	res_init(&a->resources);
	map_init(&a->tasks);
	map_init(&a->pids);
	map_init(&a->completed);
	backoff_init(&a->backoff, AGENT_BACKOFF_INITIAL_MS, AGENT_BACKOFF_MAX_MS);
	a->ping_timeout_ms = (int64_t)AGENT_DEFAULT_PING_INTERVAL_MS * AGENT_DEFAULT_PING_TIMEOUTS;
	if (cfg->principal != NULL) {
		a->credential.principal = xstrdup(cfg->principal);
		a->credential.secret = xstrdup(cfg->secret);
	}
	proto_auth_client_init(&a->auth, PROTO_KIND_AGENT, a->credential.principal,
	                       a->credential.secret);
	if (copy_config(a, cfg, err, errlen) == -1 || agent_task_watch_children(a, err, errlen) == -1) {
		agent_free(a);
		return NULL;
	}
	a->gc = agent_gc_new(a);
	if (agent_journal_syncer_start(a, err, errlen) == -1)
		log_warnx("%s: journal commits run in the loop", err);
	agent_spawner_start(a);
	if (agent_recover(a, err, errlen) == -1) {
		agent_free(a);
		return NULL;
	}
	agent_gc_scan(a->gc);
	agent_isolation_recover(a);
	log_info("agent on %s, work dir %s, resources %s%s%s, isolation %s", a->hostname, a->work_dir,
	    a->resources_str, a->attributes_str[0] ? ", attributes " : "", a->attributes_str,
	    a->isolation_str);
	warn_unsampled(a);
	return a;
}

void
agent_start(struct agent *a)
{
	connect_master(a);
}

/*
 * Leaving for good (SIGTERM): every supervisor still connected is told so.
 * One whose task's end was not taken yet (its EXITED still on its way when
 * the stop deadline passed, a supervisor held up under load) would else
 * wait --recovery_timeout for an agentd that is not coming back; told,
 * it ends its task now and leaves the end in RUN.status for the next one.
 */
static void
finish_stop(struct agent *a)
{
	const char *key;
	void *val;

	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);)
		agent_task_send_supervisor(val, AGENT_SUPERVISOR_SHUTDOWN_NOW);
	a->stopped = 1;
	loop_timer_cancel(a->loop, a->stop_timer);
	a->stop_timer = 0;
	loop_stop(a->loop);
}

void
agent_maybe_finish_stop(struct agent *a)
{
	const char *key;
	void *val;

	if (!a->stopping || a->stopped)
		return;
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);)
		if (((struct agent_task *)val)->live)
			return;
	if (a->after_commit != NULL || a->commit_timer != 0 || a->commit_inflight)
		return;   /* agent_journal_commit comes back here */
	if (!a->flushed) {
		a->flushed = 1;
		/* Leaving: every queued update goes out now, in order, not one at a time. */
		agent_update_send_all(a);
	}
	if (a->conn != NULL && !conn_is_closing(a->conn) && conn_out_pending(a->conn) > 0)
		return;   /* on_drain comes back here */
	finish_stop(a);
}

static void
on_stop_deadline(struct loop *loop, void *arg)
{
	struct agent *a = arg;

	(void)loop;
	a->stop_timer = 0;
	log_warnx("shutdown took longer than the grace period: exiting now");
	finish_stop(a);
}

void
agent_stop(struct agent *a)
{
	const char *key;
	void *val;
	size_t n = 0;

	if (a->stopping) {
		log_info("already shutting down");
		return;
	}
	a->stopping = 1;
	loop_timer_cancel(a->loop, a->reconnect_timer);
	a->reconnect_timer = 0;
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		if (t->live) {
			agent_task_kill(a, t, a->cfg.executor_shutdown_grace_period_ms);
			n++;
		}
	}
	log_info("shutting down: %zu running task(s) to stop", n);
	a->stop_timer = loop_timer_add(a->loop,
	    a->cfg.executor_shutdown_grace_period_ms + AGENT_SHUTDOWN_SLACK_MS, on_stop_deadline, a);
	agent_maybe_finish_stop(a);
}

void
agent_detach(struct agent *a)
{
	log_info("leaving without touching the %zu task(s): a restarted agentd takes them back",
	    map_len(&a->tasks));
	a->detaching = 1;
	agent_journal_commit(a);
	loop_stop(a->loop);
}

void
agent_free(struct agent *a)
{
	const char *key;
	void *val;

	if (a == NULL)
		return;
	cred_free(&a->credential);
	agent_spawner_free(a);
	a->freeing = 1;
	if (a->conn != NULL)
		conn_close(a->conn, "agent shutting down");
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);)
		agent_task_free(a, val);
	map_free(&a->tasks);
	map_init(&a->tasks);
	/* Closed conns are freed from zero-delay timers that call on_close: let them run now. */
	for (int i = 0; i < AGENT_FREE_LOOP_SPINS; i++)
		(void)loop_run_once(a->loop, 0);
	loop_timer_cancel(a->loop, a->reconnect_timer);
	loop_timer_cancel(a->loop, a->register_timer);
	loop_timer_cancel(a->loop, a->ping_timer);
	loop_timer_cancel(a->loop, a->stop_timer);
	loop_timer_cancel(a->loop, a->commit_timer);
	agent_journal_close(a);
	agent_journal_syncer_stop(a);
	map_free(&a->tasks);
	map_free(&a->pids);
	for (size_t i = 0; map_next(&a->completed, &i, &key, &val);)
		free(val);
	map_free(&a->completed);
	if (a->completed_ring != NULL)
		for (size_t i = 0; i < AGENT_COMPLETED_SANDBOXES_MAX; i++)
			free(a->completed_ring[i]);
	free(a->completed_ring);
	agent_gc_free(a->gc);
	agent_isolation_free(a);
	if (a->cwd_fd != -1)
		close(a->cwd_fd);
	res_free(&a->resources);
	free(a->resources_str);
	free(a->attributes_str);
	free(a->master);
	free(a->hostname);
	free(a->work_dir);
	free(a->supervisor_path);
	free(a->fetcher_path);
	free(a->fetcher_cache_dir);
	free(a->self_user);
	free(a->meta_runs_made);
	free((char *)a->cfg.log_level);
	free(a);
}
