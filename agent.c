/*
 * agent.c: owns the agent's side of the protocol: registration and
 * re-registration with backoff, the ping watchdog, every task from RUN_TASK
 * to its acknowledged terminal update (Mesos's status update manager: one
 * update in flight per task, resent until acknowledged), kills, framework
 * shutdown, sandbox file reads, and the orderly exit.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "id.h"
#include "launcher.h"
#include "log.h"
#include "loop.h"
#include "map.h"
#include "proto.h"
#include "res.h"
#include "xmem.h"

#define UUID_HEX_LEN 32
#define STATE_MAX 32
#define ERR_MAX 512
#define PID_KEY_MAX 24
#define MSG_MAX 256
#define FILE_DATA_OVERHEAD 1024      /* bytes of a FILE_DATA line besides data and request_id */
#define ESCAPED_BYTE_LEN 3           /* "%XX" */
#define ASCII_DEL 0x7f
#define AGENT_FREE_LOOP_SPINS 4      /* loop passes agent_free allows for the conn's deferred close */

enum link_state { LINK_IDLE, LINK_CONNECTING, LINK_HELLO, LINK_REGISTERING, LINK_REGISTERED };

/* What the agent still owes the master about a task. */
enum task_fate {
	FATE_TRACKED,        /* every update, resent until acknowledged */
	FATE_FRAMEWORK_GONE, /* its framework was shut down: one last update, no retries */
	FATE_SILENT,         /* from a registration the master dropped: nothing */
};

struct update {
	struct update *next;
	char uuid[UUID_HEX_LEN + 1];
	char state[STATE_MAX];
	const char *source;
	char *reason;
	char *message;
	double timestamp;
};

struct task {
	struct agent *agent;
	char *key;                   /* framework_id "/" task_id */
	char *task_id;
	char *framework_id;
	char *name;
	char *role;
	char *framework_name;
	char *user;
	char *failover_timeout;      /* seconds, echoed back as the master sent it */
	struct res resources;
	char *sandbox;               /* NULL when it never got one */
	char state[STATE_MAX];       /* the latest state reported */
	pid_t pid;                   /* > 0 while its process runs */
	long long grace_ms;          /* from RUN_TASK; < 0 when not given */
	enum task_fate fate;
	int kill_requested;
	int64_t kill_deadline;       /* loop time of the SIGKILL while kill_timer runs */
	uint64_t kill_timer;
	struct update *head, *tail;
	uint64_t retry_timer;
	int64_t retry_ms;
};

struct agent {
	struct loop *loop;
	char *master;                /* as given, for messages */
	char master_host[AGENT_HOST_MAX];
	int master_port;
	char *hostname;
	char *work_dir;              /* absolute */
	int64_t shutdown_grace_ms;
	struct res resources;
	char *resources_str;
	char *attributes_str;
	char agent_id[ID_MAX + 1];   /* "" until the first registration */

	struct conn *conn;
	enum link_state link;
	int reregistering;           /* the REGISTER_AGENT in flight carried our ID */
	int warned;                  /* connection trouble already logged at warning level */
	struct backoff backoff;
	uint64_t reconnect_timer;
	uint64_t register_timer;
	uint64_t ping_timer;
	int64_t ping_timeout_ms;

	struct map tasks;            /* key -> struct task * */
	struct map pids;             /* decimal pid -> struct task * */
	struct map completed;        /* key -> sandbox path of a forgotten task */
	char **completed_ring;       /* keys of `completed`, oldest overwritten first */
	size_t completed_next;

	int stopping;
	int stopped;
	int flushed;
	int freeing;
	uint64_t stop_timer;
};

static void connect_master(struct agent *a);
static void send_head(struct agent *a, struct task *t);

static int
link_up(const struct agent *a)
{
	return a->link == LINK_REGISTERED && a->conn != NULL && !conn_is_closing(a->conn);
}

/* Finish a message built with proto_begin and queue it, if the master is there. */
static void
send_msg(struct agent *a, struct buf *b)
{
	if (proto_end(b) == -1) {
		log_warnx("not sending a message over the %d byte line limit", PROTO_LINE_MAX);
		return;
	}
	if (a->conn != NULL && !conn_is_closing(a->conn))
		(void)conn_send(a->conn, b->data, b->len);
}

static struct task *
find_task(struct agent *a, const char *fw, const char *tid)
{
	char *key = xstrfmt("%s/%s", fw, tid);
	struct task *t = map_get(&a->tasks, key);

	free(key);
	return t;
}

/* A message of string fields: key, value, ..., NULL (a NULL key ends it early). */
static void
send_fields(struct agent *a, const char *verb, ...)
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
	send_msg(a, &b);
	buf_free(&b);
}

static void
pid_key(pid_t pid, char out[PID_KEY_MAX])
{
	snprintf(out, PID_KEY_MAX, "%ld", (long)pid);
}

/* --- status updates --------------------------------------------------- */

static void
update_free(struct update *u)
{
	free(u->reason);
	free(u->message);
	free(u);
}

static void
send_update(struct agent *a, const char *fw, const char *tid, const struct update *u)
{
	struct buf b;

	buf_init(&b, 0);
	proto_begin(&b, "STATUS_UPDATE");
	proto_add(&b, "framework_id", fw);
	proto_add(&b, "task_id", tid);
	proto_add(&b, "state", u->state);
	proto_add(&b, "uuid", u->uuid);
	proto_add(&b, "source", u->source);
	if (u->reason != NULL)
		proto_add(&b, "reason", u->reason);
	if (u->message != NULL)
		proto_add(&b, "message", u->message);
	proto_addf(&b, "timestamp", "%.3f", u->timestamp);
	send_msg(a, &b);
	buf_free(&b);
}

static struct update *
update_new(const char *state, const char *source, const char *reason, const char *message)
{
	struct update *u = xcalloc(1, sizeof(*u));

	id_random_hex(u->uuid, UUID_HEX_LEN);
	xstrlcpy(u->state, state, sizeof(u->state));
	u->source = source;
	u->reason = reason ? xstrdup(reason) : NULL;
	u->message = message ? xstrdup(message) : NULL;
	u->timestamp = compat_wall_time();
	return u;
}

/* An update about a task the agent does not track: sent once, never resent. */
static void
send_oneshot(struct agent *a, const char *fw, const char *tid, const char *state, const char *source,
             const char *reason, const char *message)
{
	struct update *u = update_new(state, source, reason, message);

	send_update(a, fw, tid, u);
	update_free(u);
}

static void
on_retry(struct loop *loop, void *arg)
{
	struct task *t = arg;

	(void)loop;
	t->retry_timer = 0;
	t->retry_ms = t->retry_ms * 2 > AGENT_UPDATE_RETRY_MAX_MS ? AGENT_UPDATE_RETRY_MAX_MS
	                                                         : t->retry_ms * 2;
	log_debug("resending %s of task %s (unacknowledged)", t->head ? t->head->state : "?", t->key);
	send_head(t->agent, t);
}

static void
send_head(struct agent *a, struct task *t)
{
	if (t->head == NULL || !link_up(a))
		return;
	send_update(a, t->framework_id, t->task_id, t->head);
	loop_timer_cancel(a->loop, t->retry_timer);
	t->retry_timer = loop_timer_add(a->loop, t->retry_ms, on_retry, t);
}

static void
enqueue_update(struct agent *a, struct task *t, const char *state, const char *source,
               const char *reason, const char *message)
{
	struct update *u;

	xstrlcpy(t->state, state, sizeof(t->state));
	if (t->fate != FATE_TRACKED)
		return;
	u = update_new(state, source, reason, message);
	if (t->tail != NULL) {
		t->tail->next = u;
		t->tail = u;
		return;
	}
	t->head = t->tail = u;
	t->retry_ms = AGENT_UPDATE_RETRY_MS;
	send_head(a, t);
}

static void
drop_updates(struct agent *a, struct task *t)
{
	while (t->head != NULL) {
		struct update *u = t->head;
		t->head = u->next;
		update_free(u);
	}
	t->tail = NULL;
	loop_timer_cancel(a->loop, t->retry_timer);
	t->retry_timer = 0;
}

/* --- tasks --------------------------------------------------------------- */

static void
remember_sandbox(struct agent *a, const char *key, const char *sandbox)
{
	char *old = map_get(&a->completed, key);
	char *victim;

	if (old != NULL) {
		free(old);
		map_put(&a->completed, key, xstrdup(sandbox));
		return;
	}
	if (a->completed_ring == NULL)
		a->completed_ring = xcalloc(AGENT_COMPLETED_SANDBOXES_MAX, sizeof(char *));
	victim = a->completed_ring[a->completed_next];
	if (victim != NULL) {
		free(map_del(&a->completed, victim));
		free(victim);
	}
	a->completed_ring[a->completed_next] = xstrdup(key);
	a->completed_next = (a->completed_next + 1) % AGENT_COMPLETED_SANDBOXES_MAX;
	map_put(&a->completed, key, xstrdup(sandbox));
}

static void
task_free(struct agent *a, struct task *t)
{
	drop_updates(a, t);
	loop_timer_cancel(a->loop, t->kill_timer);
	free(t->key);
	free(t->task_id);
	free(t->framework_id);
	free(t->name);
	free(t->role);
	free(t->framework_name);
	free(t->user);
	free(t->failover_timeout);
	res_free(&t->resources);
	free(t->sandbox);
	free(t);
}

/* The agent is done with a task; its sandbox stays readable. */
static void
forget_task(struct agent *a, struct task *t)
{
	log_debug("forgetting task %s", t->key);
	map_del(&a->tasks, t->key);
	if (t->pid > 0) {
		char pk[PID_KEY_MAX];
		pid_key(t->pid, pk);
		map_del(&a->pids, pk);
	}
	if (t->sandbox != NULL)
		remember_sandbox(a, t->key, t->sandbox);
	task_free(a, t);
}

static const char *
opt_field(const struct proto_msg *m, const char *key, const char *dflt)
{
	const char *v = proto_get(m, key);

	return v != NULL ? v : dflt;
}

static struct task *
task_new(struct agent *a, const struct proto_msg *m, const char *fw, const char *tid)
{
	struct task *t = xcalloc(1, sizeof(*t));

	t->agent = a;
	t->key = xstrfmt("%s/%s", fw, tid);
	t->framework_id = xstrdup(fw);
	t->task_id = xstrdup(tid);
	t->name = xstrdup(opt_field(m, "name", tid));
	t->role = xstrdup(opt_field(m, "role", "*"));
	t->framework_name = xstrdup(opt_field(m, "framework_name", ""));
	t->user = xstrdup(opt_field(m, "user", ""));
	t->failover_timeout = xstrdup(opt_field(m, "failover_timeout", "0"));
	res_init(&t->resources);
	t->grace_ms = -1;
	t->fate = FATE_TRACKED;
	t->retry_ms = AGENT_UPDATE_RETRY_MS;
	xstrlcpy(t->state, "TASK_STAGING", sizeof(t->state));
	map_put(&a->tasks, t->key, t);
	return t;
}

static void
on_kill_timer(struct loop *loop, void *arg)
{
	struct task *t = arg;

	(void)loop;
	t->kill_timer = 0;
	if (t->pid <= 0)
		return;
	log_info("task %s did not exit within its grace period: sending SIGKILL", t->key);
	(void)launcher_kill(t->pid, SIGKILL);
}

/* SIGTERM now, SIGKILL after grace_ms; a later kill may only bring the SIGKILL closer. */
static void
kill_task(struct agent *a, struct task *t, int64_t grace_ms)
{
	int64_t deadline;

	if (t->pid <= 0)
		return;
	if (grace_ms < 0)
		grace_ms = 0;
	deadline = loop_now(a->loop) + grace_ms;
	if (!t->kill_requested) {
		t->kill_requested = 1;
		log_info("killing task %s (grace period %lld ms)", t->key, (long long)grace_ms);
		if (launcher_kill(t->pid, SIGTERM) == -1)
			log_warn("kill task %s (pid %ld)", t->key, (long)t->pid);
		enqueue_update(a, t, "TASK_KILLING", "SOURCE_EXECUTOR", NULL, NULL);
	} else if (t->kill_timer != 0 && deadline >= t->kill_deadline) {
		return;
	}
	loop_timer_cancel(a->loop, t->kill_timer);
	t->kill_deadline = deadline;
	t->kill_timer = loop_timer_add(a->loop, grace_ms, on_kill_timer, t);
}

/* Stop caring about a task: drop what is queued, kill it, forget it once it is gone. */
static void
abandon_task(struct agent *a, struct task *t, enum task_fate fate, int64_t grace_ms)
{
	drop_updates(a, t);
	t->fate = fate;
	if (t->pid > 0)
		kill_task(a, t, grace_ms);
	else
		forget_task(a, t);
}

static void maybe_finish_stop(struct agent *a);

static void
task_exited(struct agent *a, struct task *t, int status)
{
	char desc[MSG_MAX];
	const char *state, *reason = NULL;
	pid_t pid = t->pid;

	/* The leader is gone; whatever it left in its group goes with it, as Mesos destroys a container. */
	launcher_sweep(pid);
	t->pid = 0;
	loop_timer_cancel(a->loop, t->kill_timer);
	t->kill_timer = 0;
	launcher_describe_exit(status, desc, sizeof(desc));
	if (t->kill_requested) {
		state = "TASK_KILLED";
	} else if (launcher_exit_ok(status)) {
		state = "TASK_FINISHED";
	} else {
		state = "TASK_FAILED";
		reason = "REASON_COMMAND_EXECUTOR_FAILED";
	}
	log_info("task %s (pid %ld) %s: %s", t->key, (long)pid, desc, state);
	switch (t->fate) {
	case FATE_TRACKED:
		enqueue_update(a, t, state, "SOURCE_EXECUTOR", reason, desc);
		break;
	case FATE_FRAMEWORK_GONE:
		send_oneshot(a, t->framework_id, t->task_id, state, "SOURCE_EXECUTOR", reason, desc);
		forget_task(a, t);
		break;
	case FATE_SILENT:
		forget_task(a, t);
		break;
	}
}

static void
on_sigchld(struct loop *loop, int signo, void *arg)
{
	struct agent *a = arg;
	pid_t pid;
	int status;

	(void)loop;
	(void)signo;
	while (launcher_reap(&pid, &status)) {
		char pk[PID_KEY_MAX];
		struct task *t;

		pid_key(pid, pk);
		t = map_del(&a->pids, pk);
		if (t == NULL) {
			log_debug("reaped pid %ld, not a task", (long)pid);
			continue;
		}
		task_exited(a, t, status);
	}
	maybe_finish_stop(a);
}

/* --- RUN_TASK ------------------------------------------------------------- */

/* proto_get stops at a NUL, so a command or ID holding one would be silently cut short. */
static int
nul_field(const struct proto_msg *m, char *err, size_t errlen)
{
	for (size_t i = 0; i < m->nfields; i++) {
		if (strcmp(m->fields[i].key, "env") != 0 && strlen(m->fields[i].val) != m->fields[i].vlen) {
			snprintf(err, errlen, "field '%s' contains a NUL byte", m->fields[i].key);
			return -1;
		}
	}
	return 0;
}

/* Everything RUN_TASK asks for that can be wrong; fills env with the task's own part. */
static int
validate_task(struct task *t, const struct proto_msg *m, struct launcher_env *env, char *err,
              size_t errlen)
{
	const char *command = proto_get(m, "command");
	const char *resources = proto_get(m, "resources");
	long long grace;

	if (command == NULL || command[0] == '\0') {
		snprintf(err, errlen, "missing field 'command'");
		return -1;
	}
	if (resources != NULL && res_parse(&t->resources, resources, err, errlen) == -1)
		return -1;
	if (proto_get_int(m, "grace_ms", -1, &grace, err, errlen) == -1)
		return -1;
	if (grace < 0 && proto_get(m, "grace_ms") != NULL) {
		snprintf(err, errlen, "field 'grace_ms' must not be negative");
		return -1;
	}
	t->grace_ms = grace;
	launcher_env_ports(env, &t->resources, AGENT_PORT_ENV_MAX);
	for (size_t i = 0; i < m->nfields; i++) {
		const struct proto_field *f = &m->fields[i];
		if (strcmp(f->key, "env") == 0 && launcher_env_put(env, f->val, f->vlen, err, errlen) == -1)
			return -1;
	}
	return 0;
}

static void
launch_task(struct agent *a, struct task *t, const char *command, struct launcher_env *env)
{
	char err[ERR_MAX];
	char pk[PID_KEY_MAX];
	struct launcher_spec spec;
	pid_t pid;

	t->sandbox = launcher_sandbox_create(a->work_dir, a->agent_id, t->framework_id, t->task_id, err,
	    sizeof(err));
	if (t->sandbox == NULL) {
		log_warnx("task %s: %s", t->key, err);
		enqueue_update(a, t, "TASK_FAILED", "SOURCE_AGENT", "REASON_CONTAINER_LAUNCH_FAILED", err);
		return;
	}
	launcher_env_set(env, "MESOS_TASK_ID", t->task_id);
	launcher_env_set(env, "MESOS_EXECUTOR_ID", t->task_id);
	launcher_env_set(env, "MESOS_FRAMEWORK_ID", t->framework_id);
	launcher_env_set(env, "MESOS_AGENT_ID", a->agent_id);
	launcher_env_set(env, "MESOS_SANDBOX", t->sandbox);

	spec.command = command;
	spec.sandbox = t->sandbox;
	spec.env = env->vars;
	spec.mem_bytes = launcher_mem_bytes(&t->resources);

	enqueue_update(a, t, "TASK_STARTING", "SOURCE_EXECUTOR", NULL, NULL);
	pid = launcher_start(&spec, err, sizeof(err));
	if (pid == -1) {
		log_warnx("task %s: %s", t->key, err);
		enqueue_update(a, t, "TASK_FAILED", "SOURCE_AGENT", "REASON_CONTAINER_LAUNCH_FAILED", err);
		return;
	}
	t->pid = pid;
	pid_key(pid, pk);
	map_put(&a->pids, pk, t);
	log_info("launched task %s as pid %ld in %s", t->key, (long)pid, t->sandbox);
	enqueue_update(a, t, "TASK_RUNNING", "SOURCE_EXECUTOR", NULL, NULL);
}

static void
handle_run_task(struct agent *a, const struct proto_msg *m)
{
	const char *fw = proto_get(m, "framework_id");
	const char *tid = proto_get(m, "task_id");
	char err[ERR_MAX];
	struct launcher_env env;
	struct task *t;

	if (fw == NULL || tid == NULL) {
		log_warnx("RUN_TASK without %s: ignored", fw == NULL ? "framework_id" : "task_id");
		return;
	}
	if (nul_field(m, err, sizeof(err)) == -1 || id_check("framework ID", fw, err, sizeof(err)) == -1 ||
	    id_check("task ID", tid, err, sizeof(err)) == -1) {
		log_warnx("RUN_TASK refused: %s", err);
		send_oneshot(a, fw, tid, "TASK_ERROR", "SOURCE_AGENT", "REASON_TASK_INVALID", err);
		return;
	}
	if (a->stopping) {
		send_oneshot(a, fw, tid, "TASK_DROPPED", "SOURCE_AGENT", NULL, "the agent is shutting down");
		return;
	}
	t = find_task(a, fw, tid);
	if (t != NULL) {
		snprintf(err, sizeof(err), "task ID '%s' is already in use by framework '%s'", tid, fw);
		log_warnx("RUN_TASK refused: %s", err);
		send_oneshot(a, fw, tid, "TASK_ERROR", "SOURCE_AGENT", "REASON_TASK_INVALID", err);
		return;
	}
	t = task_new(a, m, fw, tid);
	launcher_env_init(&env, 1);
	if (validate_task(t, m, &env, err, sizeof(err)) == -1) {
		log_warnx("task %s is invalid: %s", t->key, err);
		enqueue_update(a, t, "TASK_ERROR", "SOURCE_AGENT", "REASON_TASK_INVALID", err);
		launcher_env_free(&env);
		return;
	}
	if (proto_count(m, "uri") > 0)
		log_info("task %s: fetching URIs is not supported yet; %zu uri field(s) ignored", t->key,
		    proto_count(m, "uri"));
	launch_task(a, t, proto_get(m, "command"), &env);
	launcher_env_free(&env);
}

/* --- KILL_TASK, SHUTDOWN_FRAMEWORK, ACKNOWLEDGE ----------------------------- */

static void
handle_kill_task(struct agent *a, const struct proto_msg *m)
{
	const char *fw = proto_get(m, "framework_id");
	const char *tid = proto_get(m, "task_id");
	char err[ERR_MAX];
	long long grace;
	struct task *t;

	if (fw == NULL || tid == NULL) {
		log_warnx("KILL_TASK without %s: ignored", fw == NULL ? "framework_id" : "task_id");
		return;
	}
	if (proto_get_int(m, "grace_ms", -1, &grace, err, sizeof(err)) == -1) {
		log_warnx("KILL_TASK for %s/%s: %s; using the task's grace period", fw, tid, err);
		grace = -1;
	}
	t = find_task(a, fw, tid);
	if (t == NULL) {
		log_info("KILL_TASK for unknown task %s/%s: answering TASK_LOST", fw, tid);
		send_oneshot(a, fw, tid, "TASK_LOST", "SOURCE_AGENT", NULL, "unknown task");
		return;
	}
	if (t->pid <= 0) {
		log_debug("KILL_TASK for %s, which is no longer running", t->key);
		return;
	}
	if (grace < 0)
		grace = t->grace_ms >= 0 ? t->grace_ms : AGENT_DEFAULT_KILL_GRACE_MS;
	kill_task(a, t, grace);
}

static void
handle_shutdown_framework(struct agent *a, const struct proto_msg *m)
{
	const char *fw = proto_get(m, "framework_id");
	const char *key;
	void *val;
	size_t n = 0;

	if (fw == NULL) {
		log_warnx("SHUTDOWN_FRAMEWORK without framework_id: ignored");
		return;
	}
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct task *t = val;
		if (strcmp(t->framework_id, fw) != 0)
			continue;
		n++;
		abandon_task(a, t, FATE_FRAMEWORK_GONE, a->shutdown_grace_ms);
	}
	log_info("framework %s shut down: %zu task(s) killed or dropped", fw, n);
}

static void
handle_acknowledge(struct agent *a, const struct proto_msg *m)
{
	const char *fw = proto_get(m, "framework_id");
	const char *tid = proto_get(m, "task_id");
	const char *uuid = proto_get(m, "uuid");
	struct update *u;
	struct task *t;
	int terminal;

	if (fw == NULL || tid == NULL || uuid == NULL) {
		log_warnx("ACKNOWLEDGE without framework_id, task_id or uuid: ignored");
		return;
	}
	t = find_task(a, fw, tid);
	if (t == NULL || t->head == NULL || strcmp(t->head->uuid, uuid) != 0) {
		log_debug("ignoring acknowledgement %s for %s/%s: no such pending update", uuid, fw, tid);
		return;
	}
	u = t->head;
	t->head = u->next;
	if (t->head == NULL)
		t->tail = NULL;
	terminal = proto_state_terminal(u->state);
	update_free(u);
	loop_timer_cancel(a->loop, t->retry_timer);
	t->retry_timer = 0;
	if (terminal && t->pid <= 0 && t->head == NULL) {
		forget_task(a, t);
		return;
	}
	t->retry_ms = AGENT_UPDATE_RETRY_MS;
	send_head(a, t);
}

/* --- READ_FILE ---------------------------------------------------------------- */

static void
file_error(struct agent *a, const char *rid, const char *reason)
{
	send_fields(a, "FILE_ERROR", "request_id", rid, "reason", reason, (char *)NULL);
}

/* The protocol escapes these bytes as %XX (docs/PROTOCOL.md, "Syntax"). */
static size_t
escaped_len(unsigned char c)
{
	return (c <= ' ' || c == '%' || c == '=' || c == ASCII_DEL) ? ESCAPED_BYTE_LEN : 1;
}

/* How many of the n bytes fit in budget bytes once escaped. */
static size_t
fit_escaped(const char *data, size_t n, size_t budget)
{
	size_t used = 0, i;

	for (i = 0; i < n; i++) {
		size_t l = escaped_len((unsigned char)data[i]);
		if (used + l > budget)
			break;
		used += l;
	}
	return i;
}

static const char *
sandbox_of(struct agent *a, const char *fw, const char *tid, int *known)
{
	char *key = xstrfmt("%s/%s", fw, tid);
	struct task *t = map_get(&a->tasks, key);
	const char *sandbox;

	if (t != NULL && t->sandbox != NULL)
		sandbox = t->sandbox;
	else
		sandbox = map_get(&a->completed, key);
	*known = t != NULL || sandbox != NULL;
	free(key);
	return sandbox;
}

static void
read_file_reply(struct agent *a, const char *rid, const char *sandbox, const char *path,
                long long offset, long long length)
{
	size_t budget = PROTO_LINE_MAX - FILE_DATA_OVERHEAD;
	struct launcher_chunk chunk;
	char err[ERR_MAX];
	struct buf b;
	size_t n;

	if (strlen(rid) * ESCAPED_BYTE_LEN >= budget) {
		file_error(a, rid, "request_id too long");
		return;
	}
	budget -= strlen(rid) * ESCAPED_BYTE_LEN;
	if (launcher_sandbox_read(sandbox, path, (uint64_t)offset,
	        length > AGENT_READ_MAX ? AGENT_READ_MAX : (size_t)length, &chunk, err, sizeof(err)) == -1) {
		file_error(a, rid, err);
		return;
	}
	n = fit_escaped(chunk.data, chunk.len, budget);
	buf_init(&b, 0);
	proto_begin(&b, "FILE_DATA");
	proto_add(&b, "request_id", rid);
	proto_addn(&b, "data", chunk.data ? chunk.data : "", n);
	proto_add_int(&b, "offset", offset);
	proto_add_int(&b, "size", (long long)chunk.size);
	proto_add_int(&b, "eof", (uint64_t)offset + n >= chunk.size);
	send_msg(a, &b);
	buf_free(&b);
	free(chunk.data);
}

static void
handle_read_file(struct agent *a, const struct proto_msg *m)
{
	const char *rid = proto_get(m, "request_id");
	const char *fw, *tid, *path, *sandbox;
	char err[ERR_MAX];
	long long offset, length;
	int known;

	if (rid == NULL) {
		log_warnx("READ_FILE without request_id: ignored");
		return;
	}
	if ((fw = proto_need(m, "framework_id", err, sizeof(err))) == NULL ||
	    (tid = proto_need(m, "task_id", err, sizeof(err))) == NULL ||
	    (path = proto_need(m, "path", err, sizeof(err))) == NULL ||
	    proto_get_int(m, "offset", 0, &offset, err, sizeof(err)) == -1 ||
	    proto_get_int(m, "length", AGENT_READ_MAX, &length, err, sizeof(err)) == -1) {
		file_error(a, rid, err);
		return;
	}
	if (offset < 0 || length < 0) {
		file_error(a, rid, "offset and length must not be negative");
		return;
	}
	sandbox = sandbox_of(a, fw, tid, &known);
	if (sandbox == NULL) {
		file_error(a, rid, known ? "the task has no sandbox" : "no such task");
		return;
	}
	read_file_reply(a, rid, sandbox, path, offset, length);
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
		struct task *t = val;
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
	char reason[MSG_MAX];

	(void)loop;
	if (a->link == LINK_REGISTERED)
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
	if (a->agent_id[0] != '\0')
		proto_add(&b, "agent_id", a->agent_id);
	proto_add(&b, "version", AGENT_VERSION);
	send_msg(a, &b);
	buf_free(&b);
	a->reregistering = a->agent_id[0] != '\0';
	a->link = LINK_REGISTERING;
}

static void
send_resync(struct agent *a)
{
	char count[PID_KEY_MAX];
	const char *key;
	void *val;
	size_t n = 0;

	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct task *t = val;
		char *res;
		if (t->fate != FATE_TRACKED)
			continue;
		res = res_to_string(&t->resources);
		send_fields(a, "AGENT_TASK", "task_id", t->task_id, "framework_id", t->framework_id,
		    "name", t->name, "state", t->state, "resources", res, "role", t->role,
		    "framework_name", t->framework_name, "user", t->user,
		    "failover_timeout", t->failover_timeout, (char *)NULL);
		free(res);
		n++;
	}
	snprintf(count, sizeof(count), "%zu", n);
	send_fields(a, "AGENT_RESYNC_DONE", "tasks", count, (char *)NULL);
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
		abandon_task(a, val, FATE_SILENT, a->shutdown_grace_ms);
}

static void
handle_registered(struct agent *a, const struct proto_msg *m)
{
	const char *id = proto_get(m, "agent_id");
	char err[ERR_MAX];
	long long interval, timeouts;
	int same;
	const char *key;
	void *val;

	if (a->link != LINK_REGISTERING) {
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
	xstrlcpy(a->agent_id, id, sizeof(a->agent_id));
	loop_timer_cancel(a->loop, a->register_timer);
	a->register_timer = 0;
	a->link = LINK_REGISTERED;
	backoff_reset(&a->backoff);
	a->warned = 0;
	log_info("%s with master as %s", same ? "re-registered" : "registered", a->agent_id);
	if (same)
		send_resync(a);
	arm_ping_watchdog(a);
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct task *t = val;
		t->retry_ms = AGENT_UPDATE_RETRY_MS;
		send_head(a, t);
	}
}

static void
handle_ping(struct agent *a, const struct proto_msg *m)
{
	const char *seq = proto_get(m, "seq");

	send_fields(a, "PONG", seq ? "seq" : NULL, seq, (char *)NULL);
	if (a->link == LINK_REGISTERED)
		arm_ping_watchdog(a);
}

static void
handle_welcome(struct agent *a, const struct proto_msg *m)
{
	long long version;
	char err[ERR_MAX];

	if (a->link != LINK_HELLO) {
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
	log_debug("connected to master %s (%s)", a->master, opt_field(m, "master_id", "?"));
	send_register(a);
}

/* Messages that only make sense once the master knows who we are. */
struct registered_handler {
	const char *verb;
	void (*fn)(struct agent *a, const struct proto_msg *m);
};

static const struct registered_handler registered_handlers[] = {
	{ "RUN_TASK", handle_run_task },
	{ "KILL_TASK", handle_kill_task },
	{ "SHUTDOWN_FRAMEWORK", handle_shutdown_framework },
	{ "ACKNOWLEDGE", handle_acknowledge },
	{ "READ_FILE", handle_read_file },
};

static void
dispatch(struct agent *a, const struct proto_msg *m)
{
	if (strcmp(m->verb, "PING") == 0) {
		handle_ping(a, m);
		return;
	}
	if (strcmp(m->verb, "PONG") == 0)
		return;
	if (strcmp(m->verb, "WELCOME") == 0) {
		handle_welcome(a, m);
		return;
	}
	if (strcmp(m->verb, "AGENT_REGISTERED") == 0) {
		handle_registered(a, m);
		return;
	}
	if (strcmp(m->verb, "ERROR") == 0) {
		log_warnx("master %s reports an error: %s", a->master, opt_field(m, "reason", "(none)"));
		return;
	}
	for (size_t i = 0; i < sizeof(registered_handlers) / sizeof(registered_handlers[0]); i++) {
		if (strcmp(m->verb, registered_handlers[i].verb) != 0)
			continue;
		if (a->link != LINK_REGISTERED)
			log_warnx("%s before registration: ignored", m->verb);
		else
			registered_handlers[i].fn(a, m);
		return;
	}
	log_warnx("unknown verb '%s' from the master: ignored", m->verb);
}

static void
on_master_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct agent *a = arg;
	struct proto_msg m;
	char err[ERR_MAX];

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
	a->link = LINK_HELLO;
	buf_init(&b, 0);
	proto_begin(&b, "HELLO");
	proto_add_int(&b, "version", PROTO_VERSION);
	proto_add(&b, "kind", proto_kind_name(PROTO_KIND_AGENT));
	send_msg(a, &b);
	buf_free(&b);
	a->register_timer = loop_timer_add(a->loop, AGENT_REGISTER_TIMEOUT_MS, on_link_timeout, a);
}

static void
on_master_close(struct conn *c, const char *reason, void *arg)
{
	struct agent *a = arg;

	(void)c;
	a->conn = NULL;
	a->link = LINK_IDLE;
	cancel_link_timers(a);
	if (a->freeing)
		return;
	if (a->stopping) {
		maybe_finish_stop(a);
		return;
	}
	connection_lost(a, reason);
}

static void
on_master_drain(struct conn *c, void *arg)
{
	(void)c;
	maybe_finish_stop(arg);
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
	char err[ERR_MAX];

	if (a->stopping || a->conn != NULL)
		return;
	a->link = LINK_CONNECTING;
	a->conn = conn_connect(a->loop, a->master_host, a->master_port, AGENT_CONNECT_TIMEOUT_MS,
	    &master_ops, a, PROTO_LINE_MAX, AGENT_CONN_OUT_MAX, err, sizeof(err));
	if (a->conn == NULL) {
		a->link = LINK_IDLE;
		connection_lost(a, err);
	}
}

/* --- start, stop, free ------------------------------------------------------------ */

struct agent *
agent_new(struct loop *loop, const struct agent_config *cfg, char *err, size_t errlen)
{
	struct agent *a = xcalloc(1, sizeof(*a));

	a->loop = loop;
	res_init(&a->resources);
	map_init(&a->tasks);
	map_init(&a->pids);
	map_init(&a->completed);
	backoff_init(&a->backoff, AGENT_BACKOFF_INITIAL_MS, AGENT_BACKOFF_MAX_MS);
	a->ping_timeout_ms = (int64_t)AGENT_DEFAULT_PING_INTERVAL_MS * AGENT_DEFAULT_PING_TIMEOUTS;
	a->master = xstrdup(cfg->master);
	xstrlcpy(a->master_host, cfg->master_host, sizeof(a->master_host));
	a->master_port = cfg->master_port;
	a->hostname = xstrdup(cfg->hostname);
	a->work_dir = xstrdup(cfg->work_dir);
	a->shutdown_grace_ms = cfg->executor_shutdown_grace_period_ms;
	res_copy(&a->resources, cfg->resources);
	a->resources_str = res_to_string(&a->resources);
	a->attributes_str = xstrdup(cfg->attributes);
	if (loop_signal(loop, SIGCHLD, on_sigchld, a) == -1) {
		snprintf(err, errlen, "cannot watch SIGCHLD: %s", strerror(errno));
		agent_free(a);
		return NULL;
	}
	log_info("agent on %s, work dir %s, resources %s%s%s", a->hostname, a->work_dir,
	    a->resources_str, a->attributes_str[0] ? ", attributes " : "", a->attributes_str);
	return a;
}

void
agent_start(struct agent *a)
{
	connect_master(a);
}

static void
send_all_updates(struct agent *a)
{
	const char *key;
	void *val;

	if (!link_up(a))
		return;
	/* Leaving: every queued update goes out now, in order, not one at a time. */
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct task *t = val;
		for (struct update *u = t->head; u != NULL; u = u->next)
			send_update(a, t->framework_id, t->task_id, u);
	}
}

static void
finish_stop(struct agent *a)
{
	a->stopped = 1;
	loop_timer_cancel(a->loop, a->stop_timer);
	a->stop_timer = 0;
	loop_stop(a->loop);
}

static void
maybe_finish_stop(struct agent *a)
{
	const char *key;
	void *val;

	if (!a->stopping || a->stopped)
		return;
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);)
		if (((struct task *)val)->pid > 0)
			return;
	if (!a->flushed) {
		a->flushed = 1;
		send_all_updates(a);
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
		struct task *t = val;
		if (t->pid > 0) {
			kill_task(a, t, a->shutdown_grace_ms);
			n++;
		}
	}
	log_info("shutting down: %zu running task(s) to stop", n);
	a->stop_timer = loop_timer_add(a->loop, a->shutdown_grace_ms + AGENT_SHUTDOWN_SLACK_MS,
	    on_stop_deadline, a);
	maybe_finish_stop(a);
}

void
agent_free(struct agent *a)
{
	const char *key;
	void *val;

	if (a == NULL)
		return;
	a->freeing = 1;
	if (a->conn != NULL) {
		conn_close(a->conn, "agent shutting down");
		/* The conn is freed from a zero-delay timer that calls on_close with us: let it run now. */
		for (int i = 0; a->conn != NULL && i < AGENT_FREE_LOOP_SPINS; i++)
			(void)loop_run_once(a->loop, 0);
	}
	loop_timer_cancel(a->loop, a->reconnect_timer);
	loop_timer_cancel(a->loop, a->register_timer);
	loop_timer_cancel(a->loop, a->ping_timer);
	loop_timer_cancel(a->loop, a->stop_timer);
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct task *t = val;
		if (t->pid > 0)
			(void)launcher_kill(t->pid, SIGKILL);
		task_free(a, t);
	}
	map_free(&a->tasks);
	map_free(&a->pids);
	for (size_t i = 0; map_next(&a->completed, &i, &key, &val);)
		free(val);
	map_free(&a->completed);
	if (a->completed_ring != NULL)
		for (size_t i = 0; i < AGENT_COMPLETED_SANDBOXES_MAX; i++)
			free(a->completed_ring[i]);
	free(a->completed_ring);
	res_free(&a->resources);
	free(a->resources_str);
	free(a->attributes_str);
	free(a->master);
	free(a->hostname);
	free(a->work_dir);
	free(a);
}
