/*
 * agent_task.c: owns the agent's tasks from RUN_TASK to being forgotten:
 * checking what the master sent, the sandbox and checkpoint directories,
 * the supervisor that runs each task (started once its task is
 * checkpointed, talked to over its socket, found again after agentd
 * restarts, its end read from its status file when it is gone), kills and
 * framework shutdowns, and the task's states as its supervisor reports
 * them.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_int.h"
#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "sup/sup.h"
#include "sup/fetch.h"
#include "id.h"
#include "sup/isolate.h"
#include "sup/launcher.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "xmem.h"

#define PID_KEY_MAX 24
#define SUPERVISOR_OUT_MAX (1u << 20)         /* unsent bytes to one supervisor */
#define STATUS_FILE_MAX 4096
#define PIDS_LINE_MAX 128
#define DEC_BASE 10

static void probe(struct agent *a, struct agent_task *t);

static void
pid_key(pid_t pid, char out[PID_KEY_MAX])
{
	snprintf(out, PID_KEY_MAX, "%ld", (long)pid);
}

struct agent_task *
agent_task_find(struct agent *a, const char *fw, const char *tid)
{
	char *key = xstrfmt("%s/%s", fw, tid);
	struct agent_task *t = map_get(&a->tasks, key);

	free(key);
	return t;
}

struct agent_task *
agent_task_new(struct agent *a, const char *fw, const char *tid)
{
	struct agent_task *t = xcalloc(1, sizeof(*t));

	t->agent = a;
	t->key = xstrfmt("%s/%s", fw, tid);
	t->framework_id = xstrdup(fw);
	t->task_id = xstrdup(tid);
	t->name = xstrdup(tid);
	t->role = xstrdup("*");
	t->framework_name = xstrdup("");
	t->user = xstrdup("");
	t->failover_timeout = xstrdup("0");
	res_init(&t->resources);
	t->grace_ms = -1;
	t->pending_kill_ms = -1;
	t->healthy = PROTO_HEALTHY_NONE;
	t->fate = AGENT_FATE_TRACKED;
	t->retry_ms = a->cfg.update_retry_ms;
	xstrlcpy(t->state, "TASK_STAGING", sizeof(t->state));
	map_put(&a->tasks, t->key, t);
	return t;
}

static void
close_supervisor(struct agent_task *t)
{
	struct conn *c = t->supervisor;

	if (c == NULL)
		return;
	t->supervisor = NULL;
	/* No callbacks: the conn must not call back into a task freed meanwhile. */
	conn_set_ops(c, NULL, NULL);
	conn_close_after_flush(c, "done with the supervisor");   /* an ACK may be on its way */
}

void
agent_task_free(struct agent *a, struct agent_task *t)
{
	agent_update_drop(a, t);
	loop_timer_cancel(a->loop, t->probe_timer);
	close_supervisor(t);
	if (t->child_pid > 0) {
		char pk[PID_KEY_MAX];
		pid_key(t->child_pid, pk);
		map_del(&a->pids, pk);
	}
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
	free(t->meta);
	free(t->launch);
	free(t->executor_id);
	free(t);
}

void
agent_task_remember_sandbox(struct agent *a, const char *key, const char *sandbox)
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

/* Done with it: out of the tables, its checkpoint directory removed, its sandbox kept to read. */
static void
forget(struct agent *a, struct agent_task *t)
{
	log_debug("forgetting task %s", t->key);
	if (t->in_commit) {
		t->after |= AGENT_AFTER_FORGET;   /* still on the after-commit list: its turn comes */
		return;
	}
	agent_journal_gone(a, t);
	agent_journal_commit_soon(a, NULL);
	map_del(&a->tasks, t->key);
	/* Its RUN.status, if its supervisor had to write one, goes with the next sweep. */
	if (t->meta != NULL && !t->live)
		agent_gc_drop_status_soon(a->gc, t->meta);
	if (t->sandbox != NULL) {
		agent_task_remember_sandbox(a, t->key, t->sandbox);
		/* A task of an executor shares the executor's sandbox, which goes with the executor. */
		if (t->executor_id == NULL || t->is_executor)
			agent_gc_schedule(a->gc, t->sandbox, compat_wall_time());
	}
	agent_task_free(a, t);
}

/* --- the supervisor's messages --------------------------------------------------- */

void
agent_task_send_supervisor(struct agent_task *t, const char *line)
{
	if (t->supervisor != NULL && !conn_is_closing(t->supervisor))
		(void)conn_send_str(t->supervisor, line);
}


static void
send_kill(struct agent_task *t, long long grace_ms)
{
	char line[PIDS_LINE_MAX];

	snprintf(line, sizeof(line), "KILL grace_ms=%lld\n", grace_ms);
	agent_task_send_supervisor(t, line);
}

void
agent_task_finish(struct agent *a, struct agent_task *t, const char *state, const char *source,
                  const char *reason, const char *message, const struct proto_usage *usage)
{
	unsigned work = 0;

	t->live = 0;
	t->ended = 1;
	agent_journal_ended(a, t);
	log_info("task %s %s: %s", t->key, state, message ? message : "");
	switch (t->fate) {
	case AGENT_FATE_TRACKED:
		agent_update_queue(a, t, state, source, reason, message, PROTO_HEALTHY_NONE, usage);
		break;
	case AGENT_FATE_FRAMEWORK_GONE:
		agent_update_oneshot(a, t->framework_id, t->task_id, state, source, reason, message);
		work = AGENT_AFTER_FORGET;
		break;
	case AGENT_FATE_SILENT:
		work = AGENT_AFTER_FORGET;
		break;
	}
	agent_task_after_commit(a, t, work);
}

void
agent_task_ended(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	const char *state = proto_get(m, "state");
	char err[AGENT_ERR_MAX];
	struct proto_usage usage;

	if (!t->live)
		return;   /* told again on a re-connection: already known */
	if (state == NULL || !proto_state_valid(state) || !proto_state_terminal(state))
		state = "TASK_FAILED";
	if (t->is_executor) {
		agent_executor_ended(a, t, state, proto_get(m, "reason"), proto_get(m, "message"));
		return;
	}
	if (proto_usage_parse(m, &usage, err, sizeof(err)) < 0) {
		log_warnx("task %s: what it used is not known: %s", t->key, err);
		usage.known = 0;
	}
	agent_task_finish(a, t, state, "SOURCE_EXECUTOR", proto_get(m, "reason"),
	    proto_get(m, "message"), &usage);
	agent_task_after_commit(a, t, AGENT_AFTER_SUPERVISOR_ACK);
}

static void
supervisor_started(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	const char *pid = proto_get(m, "pid");

	/* TASK_STAGING: a task replayed from an older journal, whose state compaction dropped. */
	if (!t->live || (strcmp(t->state, "TASK_STARTING") != 0 && strcmp(t->state, "TASK_STAGING") != 0))
		return;
	if (pid != NULL && t->task_pid == 0) {
		/* Kept so that a supervisor killed with its task still lets us sweep the task's group. */
		t->task_pid = (pid_t)strtol(pid, NULL, DEC_BASE);
		agent_journal_started(a, t);
	}
	agent_update_queue(a, t, "TASK_RUNNING", "SOURCE_EXECUTOR", NULL, NULL, PROTO_HEALTHY_NONE, NULL);
}

static void
supervisor_health(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	char err[AGENT_ERR_MAX];
	int healthy;

	if (proto_get_bool(m, "healthy", PROTO_HEALTHY_NONE, &healthy, err, sizeof(err)) < 0) {
		log_warnx("task %s: its supervisor's %s: %s", t->key, m->verb, err);
		return;
	}
	if (!t->live || healthy == PROTO_HEALTHY_NONE || healthy == t->healthy)
		return;
	t->healthy = healthy;
	log_info("task %s is %s", t->key, healthy ? "healthy" : "unhealthy");
	agent_update_queue(a, t, "TASK_RUNNING", "SOURCE_EXECUTOR",
	    healthy ? NULL : "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", proto_get(m, "message"),
	    healthy, NULL);
}

static void
supervisor_attached(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	const char *phase = proto_get(m, "phase");

	log_info("task %s: its supervisor is back in touch (%s)", t->key, phase ? phase : "?");
	if (phase != NULL && strcmp(phase, "running") == 0)
		supervisor_started(a, t, m);
	if (proto_get(m, "healthy") != NULL)
		supervisor_health(a, t, m);
	if (t->pending_kill_ms >= 0) {
		send_kill(t, t->pending_kill_ms);
		t->pending_kill_ms = -1;
	}
}

/* Its pid tells a supervisor that is gone from one not listening yet (probe). */
static void
note_supervisor(struct agent_task *t, const struct proto_msg *m)
{
	const char *v = proto_get(m, "supervisor");
	long long pid;
	char *end;

	if (v == NULL || (strcmp(m->verb, "STARTED") != 0 && strcmp(m->verb, "ATTACHED") != 0))
		return;
	errno = 0;
	pid = strtoll(v, &end, DEC_BASE);
	if (errno == 0 && *end == '\0' && pid > 1 && pid <= INT_MAX)
		t->supervisor_pid = (pid_t)pid;
}

/* A task's supervisor's lines. */
static const struct agent_task_verb task_verbs[] = {
	{ "STARTED", supervisor_started },
	{ "HEALTH", supervisor_health },
	{ "ATTACHED", supervisor_attached },
	{ "EXITED", agent_task_ended },
	{ NULL, NULL },
};

static void
on_supervisor_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct agent_task *t = arg;
	struct agent *a = t->agent;
	const struct agent_task_verb *h;
	struct proto_msg m;
	char err[AGENT_ERR_MAX];

	(void)c;
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) == -1) {
		log_warnx("task %s: bad line from its supervisor: %s", t->key, err);
		proto_msg_free(&m);
		return;
	}
	note_supervisor(t, &m);
	/* An executor's supervisor also relays the executor's own lines. */
	for (h = t->is_executor ? agent_executor_verbs : task_verbs; h->verb != NULL; h++)
		if (strcmp(h->verb, m.verb) == 0)
			break;
	if (h->verb != NULL)
		h->fn(a, t, &m);
	else
		log_warnx("%s %s: unknown '%s' from its supervisor", t->is_executor ? "executor" : "task",
		    t->key, m.verb);
	proto_msg_free(&m);
}

static void
on_probe_timer(struct loop *loop, void *arg)
{
	struct agent_task *t = arg;

	(void)loop;
	t->probe_timer = 0;
	probe(t->agent, t);
}

static void
on_supervisor_close(struct conn *c, const char *reason, void *arg)
{
	struct agent_task *t = arg;
	struct agent *a = t->agent;

	if (t->supervisor != c)
		return;
	t->supervisor = NULL;
	if (!t->live || a->freeing || a->detaching)
		return;
	log_info("task %s: lost its supervisor's socket (%s); looking for it", t->key, reason);
	t->probes = 0;
	loop_timer_cancel(a->loop, t->probe_timer);
	t->probe_timer = loop_timer_add(a->loop, 0, on_probe_timer, t);
}

static const struct conn_ops supervisor_ops = {
	.on_line = on_supervisor_line,
	.on_close = on_supervisor_close,
};

/* --- finding a supervisor again -------------------------------------------------- */

/* The supervisor is gone for good: its status file says how the task ended, if it got to write it. */
static void
read_status(struct agent *a, struct agent_task *t)
{
	char *path = xstrfmt("%s" SUP_STATUS_SUFFIX, t->meta);
	char err[AGENT_ERR_MAX];
	struct buf b;
	struct proto_msg m;
	int missing;

	/* Whatever it left in its cgroups goes: it removes them itself when all goes well. */
	agent_isolation_cleanup(a, t);
	buf_init(&b, 0);
	proto_msg_init(&m);
	if (checkpoint_read(path, STATUS_FILE_MAX, &b, &missing, err, sizeof(err)) == 0 && b.len > 0 &&
	    b.data[b.len - 1] == '\n' && proto_parse(b.data, b.len - 1, &m, err, sizeof(err)) == 0 &&
	    strcmp(m.verb, "EXITED") == 0) {
		log_info("task %s ended while the agent could not see it", t->key);
		agent_task_ended(a, t, &m);
	} else {
		char msg[PIDS_LINE_MAX];

		/* Whatever the task left behind goes with it: its group, if it is still there. */
		if (t->task_pid > 1)
			(void)kill(-t->task_pid, SIGKILL);
		snprintf(msg, sizeof(msg), "the task's supervisor is gone and left no status");
		log_warnx("task %s: %s", t->key, msg);
		proto_msg_free(&m);
		proto_msg_init(&m);
		buf_reset(&b);
		proto_begin(&b, "EXITED");
		proto_add(&b, "state", "TASK_FAILED");
		proto_add(&b, "reason", "REASON_EXECUTOR_TERMINATED");
		proto_add(&b, "message", msg);
		if (proto_parse(b.data, b.len, &m, err, sizeof(err)) == 0)
			agent_task_ended(a, t, &m);
	}
	proto_msg_free(&m);
	buf_free(&b);
	free(path);
}

int
agent_task_connect(struct agent *a, struct agent_task *t, char *err, size_t errlen)
{
	const char *slash = strrchr(t->meta, '/');
	char *dir = xstrndup(t->meta, slash ? (size_t)(slash - t->meta) : 0);
	char *name = xstrfmt("%s" SUP_SOCKET_SUFFIX, slash ? slash + 1 : t->meta);
	int fd = launcher_connect_unix(dir, name, a->cwd_fd, err, errlen);
	int e = errno;

	free(dir);
	free(name);
	errno = e;
	return fd;
}

static int
supervisor_gone(const struct agent_task *t)
{
	if (t->child_pid > 0)
		return 0;   /* our child, not reaped yet */
	return t->supervisor_pid > 1 && kill(t->supervisor_pid, 0) == -1 && errno == ESRCH;
}

static void
probe(struct agent *a, struct agent_task *t)
{
	char err[AGENT_ERR_MAX];
	int fd;

	if (!t->live || t->supervisor != NULL || t->meta == NULL)
		return;
	fd = agent_task_connect(a, t, err, sizeof(err));
	if (fd != -1) {
		t->supervisor = conn_new(a->loop, fd, &supervisor_ops, t, PROTO_LINE_MAX, SUPERVISOR_OUT_MAX);
		agent_task_send_supervisor(t, "ATTACH\n");
		return;   /* it answers with ATTACHED or EXITED */
	}
	/*
	 * Not listening yet, or busy: a few more tries. A supervisor listens only
	 * once it has lost agentd, which it learns a moment after; unless it is
	 * known to be gone (its pid, once reported, is no more).
	 */
	if ((errno == ENOENT || errno == ECONNREFUSED || errno == EAGAIN) && !supervisor_gone(t) &&
	    ++t->probes < AGENT_PROBE_TRIES) {
		t->probe_timer = loop_timer_add(a->loop, AGENT_PROBE_RETRY_MS, on_probe_timer, t);
		return;
	}
	log_debug("task %s: %s", t->key, err);
	read_status(a, t);
}

void
agent_task_reattach(struct agent *a, struct agent_task *t)
{
	t->live = 1;
	t->probes = 0;
	probe(a, t);
}

static void
on_sigchld(struct loop *loop, int signo, void *arg)
{
	struct agent *a = arg;
	pid_t pid;
	int status;

	(void)loop;
	(void)signo;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		char pk[PID_KEY_MAX];
		struct agent_task *t;

		pid_key(pid, pk);
		t = map_del(&a->pids, pk);
		if (t == NULL)
			continue;
		t->child_pid = 0;
		/* Its socket tells us the rest; if the socket is already gone, look now. */
		if (t->live && t->supervisor == NULL && t->probe_timer == 0)
			probe(a, t);
	}
	agent_maybe_finish_stop(a);
}

int
agent_task_watch_children(struct agent *a, char *err, size_t errlen)
{
	if (loop_signal(a->loop, SIGCHLD, on_sigchld, a) == -1) {
		snprintf(err, errlen, "cannot watch SIGCHLD: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* --- launching ---------------------------------------------------------------- */

static void
launch_failed(struct agent *a, struct agent_task *t, const char *reason, const char *msg)
{
	log_warnx("task %s: %s", t->key, msg);
	if (t->is_executor) {
		agent_executor_ended(a, t, "TASK_FAILED", reason, msg);
		return;
	}
	t->live = 0;
	t->ended = 1;
	agent_journal_ended(a, t);
	agent_update_queue(a, t, "TASK_FAILED", "SOURCE_AGENT", reason, msg, PROTO_HEALTHY_NONE, NULL);
}

/* Its records are written: start t's supervisor, or hand t to its executor. */
static void
launch(struct agent *a, struct agent_task *t)
{
	char err[AGENT_ERR_MAX];
	int sv[2];

	if (t->executor_id != NULL && !t->is_executor) {
		agent_executor_send_task(a, t);
		return;
	}
	if (t->launch == NULL || !t->live)
		return;
	if (t->kill_requested && t->is_executor) {
		free(t->launch);
		t->launch = NULL;
		agent_executor_ended(a, t, "TASK_KILLED", NULL, "shut down before it started");
		return;
	}
	if (t->kill_requested) {
		/* Killed before it could start: nothing to run. */
		free(t->launch);
		t->launch = NULL;
		t->live = 0;
		t->ended = 1;
		agent_journal_ended(a, t);
		agent_update_queue(a, t, "TASK_KILLED", "SOURCE_AGENT", "REASON_TASK_KILLED_DURING_LAUNCH",
		    "killed before it started", -1, NULL);
		return;
	}
	/* The supervisor's end too: its own conn makes it non-blocking at once. */
	if (compat_socketpair_nonblock(sv) == -1) {
		snprintf(err, sizeof(err), "cannot make a socketpair: %s", strerror(errno));
		launch_failed(a, t, "REASON_CONTAINER_LAUNCH_FAILED", err);
		return;
	}
	/* What it is to do waits in the socket for the supervisor, however it starts. */
	t->supervisor = conn_new_nonblocking(a->loop, sv[0], &supervisor_ops, t, PROTO_LINE_MAX,
	    SUPERVISOR_OUT_MAX);
	agent_task_send_supervisor(t, t->launch);
	free(t->launch);
	t->launch = NULL;
	if (agent_spawner_launch(a, t->key, t->meta, sv[1]) == -1 &&
	    agent_task_exec_supervisor(a, t, sv[1]) == -1)
		return;   /* reported; t may be gone */
	log_info("launched %s %s in %s", t->is_executor ? "executor" : "task", t->key, t->sandbox);
	if (t->is_executor)
		agent_executor_flush(a, t);
}

int
agent_task_exec_supervisor(struct agent *a, struct agent_task *t, int fd)
{
	char err[AGENT_ERR_MAX], pk[PID_KEY_MAX];
	pid_t pid = launcher_spawn(a->supervisor_path, t->meta, fd, err, sizeof(err));

	close(fd);
	if (pid == -1) {
		close_supervisor(t);
		launch_failed(a, t, "REASON_CONTAINER_LAUNCH_FAILED", err);
		return -1;
	}
	t->child_pid = pid;
	pid_key(pid, pk);
	map_put(&a->pids, pk, t);
	log_debug("task %s: supervisor %ld started with exec", t->key, (long)pid);
	return 0;
}

/* --- after the commit -------------------------------------------------------------- */

void
agent_task_after_commit(struct agent *a, struct agent_task *t, unsigned work)
{
	t->after |= work;
	agent_journal_commit_soon(a, t);
}

int
agent_task_committed(struct agent *a, struct agent_task *t, int written, int synced)
{
	if (written && (t->after & AGENT_AFTER_LAUNCH)) {
		t->after &= ~AGENT_AFTER_LAUNCH;
		launch(a, t);
	}
	if (written && (t->after & AGENT_AFTER_SUPERVISOR_ACK)) {
		t->after &= ~AGENT_AFTER_SUPERVISOR_ACK;
		agent_task_send_supervisor(t, "ACK\n");   /* the supervisor may exit */
		/*
		 * It has nothing more to say: its socket leaves poll() (once the ACK
		 * is out), so that its exit does not wake the loop; it is closed
		 * when the task is forgotten. Closing it here instead would let the
		 * supervisor see agentd go before it is done with the socket.
		 */
		if (t->supervisor != NULL)
			conn_pause_reading(t->supervisor, 1);
	}
	if (written && (t->after & AGENT_AFTER_RELAY_ACK)) {
		t->after &= ~AGENT_AFTER_RELAY_ACK;
		agent_executor_relay_ack(a, t);
	}
	/* An update waits for its own record only, not for the ACK of the one before it. */
	if ((t->after & AGENT_AFTER_SEND) && agent_update_committed(a, t))
		t->after &= ~AGENT_AFTER_SEND;
	/* What is left waits: for a write still to come, or for its fsync. */
	if (t->after & (AGENT_AFTER_LAUNCH | AGENT_AFTER_SUPERVISOR_ACK | AGENT_AFTER_RELAY_ACK |
	                AGENT_AFTER_SEND))
		return 1;
	if (t->after & AGENT_AFTER_FORGET) {
		if (!synced)
			return 1;
		t->after &= ~AGENT_AFTER_FORGET;
		forget(a, t);
	}
	return 0;
}

/* --- RUN_TASK -------------------------------------------------------------------- */

static const char *
opt_field(const struct proto_msg *m, const char *key, const char *dflt)
{
	const char *v = proto_get(m, key);

	return v != NULL ? v : dflt;
}

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

static int
get_count(const struct proto_msg *m, const char *key, long long dflt, long long *out, char *err,
          size_t errlen)
{
	if (proto_get_int(m, key, dflt, out, err, errlen) == -1)
		return -1;
	if (*out < 0) {
		snprintf(err, errlen, "field '%s' must not be negative", key);
		return -1;
	}
	return 0;
}

int
agent_task_launch_base(struct agent *a, const struct agent_task *t, const char *command,
                       const struct launcher_env *env, struct proto_launch *l, char *err,
                       size_t errlen)
{
	int switching = a->cfg.switch_user && a->euid_root;

	l->task = t->key;
	l->command = command;
	l->sandbox = t->sandbox;
	l->env = (const char **)env->vars;
	l->nenv = env->n;
	l->mem_watch_ms = a->cfg.memory_watch_ms;
	l->disk_watch_ms = a->cfg.container_disk_watch_ms;
	l->recovery_timeout_ms = a->cfg.recovery_timeout_ms;
	l->log_level = a->cfg.log_level;
	agent_isolation_launch(a, t, res_scalar(&t->resources, "cpus"), l);

	if (switching && t->user[0] == '\0') {
		snprintf(err, errlen, "the task has no user to run as");
		return -1;
	}
	/* Our own user needs no switch (nor the user database): only root must be allowed. */
	if (switching && a->self_user != NULL && strcmp(t->user, a->self_user) == 0) {
		if (!a->cfg.allow_root_tasks) {
			snprintf(err, errlen, "refusing to run a task as root (user '%s'); start agentd with "
			    "--allow_root_tasks to allow it", t->user);
			return -1;
		}
	} else if (switching) {
		l->user = t->user;
		l->allow_root = a->cfg.allow_root_tasks;
	}
	return 0;
}

/* Everything RUN_TASK asks for that can be wrong, and the LAUNCH line that carries it. */
static int
prepare(struct agent *a, struct agent_task *t, const struct proto_msg *m, struct buf *launch,
        int *refused, char *err, size_t errlen)
{
	const char *command = proto_get(m, "command");
	const char *resources = proto_get(m, "resources");
	struct launcher_env env;
	struct proto_launch l;
	long long grace, cpu_seconds, processes, open_files;
	const char *port0;
	int rc = -1;

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
	if (get_count(m, "cpu_limit_seconds", 0, &cpu_seconds, err, errlen) == -1 ||
	    get_count(m, "max_processes", a->cfg.task_max_processes, &processes, err, errlen) == -1 ||
	    get_count(m, "max_open_files", a->cfg.task_max_open_files, &open_files, err, errlen) == -1)
		return -1;
	memset(&l, 0, sizeof(l));
	if (proto_health_parse(m, &l.health, err, errlen) == -1)
		return -1;
	for (size_t i = 0; i < m->nfields; i++) {
		struct fetch_uri u;
		if (strcmp(m->fields[i].key, "uri") != 0)
			continue;
		if (fetch_uri_parse(m->fields[i].val, &u, err, errlen) == -1) {
			free(l.uris);
			return -1;
		}
		fetch_uri_free(&u);
		l.uris = xreallocarray(l.uris, l.nuris + 1, sizeof(*l.uris));
		l.uris[l.nuris++] = m->fields[i].val;
	}
	launcher_env_init(&env, 0);
	launcher_env_ports(&env, &t->resources, AGENT_PORT_ENV_MAX);
	/* As a task under Mesos finds it (the agent's, in its environment): the task's env may override. */
	launcher_env_set(&env, "HOSTNAME", a->hostname);
	for (size_t i = 0; i < m->nfields; i++) {
		const struct proto_field *f = &m->fields[i];
		if (strcmp(f->key, "env") == 0 && launcher_env_put(&env, f->val, f->vlen, err, errlen) == -1)
			goto out;
	}
	launcher_env_set(&env, "MESOS_TASK_ID", t->task_id);
	launcher_env_set(&env, "MESOS_EXECUTOR_ID", t->task_id);
	launcher_env_set(&env, "MESOS_FRAMEWORK_ID", t->framework_id);
	launcher_env_set(&env, "MESOS_AGENT_ID", a->agent_id);
	launcher_env_set(&env, "MESOS_SANDBOX", t->sandbox);
	launcher_env_set(&env, "MESOS_DIRECTORY", t->sandbox);
	port0 = launcher_env_get(&env, "PORT0");

	if (agent_task_launch_base(a, t, command, &env, &l, err, errlen) == -1) {
		*refused = 1;
		goto out;
	}
	l.mem_bytes = launcher_mem_bytes(&t->resources);
	l.disk_bytes = launcher_disk_bytes(&t->resources);
	l.cpu_seconds = (uint64_t)cpu_seconds;
	l.processes = (uint64_t)processes;
	l.open_files = (uint64_t)open_files;
	l.nice = isolate_nice(res_scalar(&t->resources, "cpus"), a->total_cpus_milli);
	l.grace_ms = grace >= 0 ? grace : AGENT_DEFAULT_KILL_GRACE_MS;
	l.port0 = port0 != NULL ? (int)strtol(port0, NULL, DEC_BASE) : 0;
	l.fetcher = a->fetcher_path;
	l.cache_dir = a->fetcher_cache_dir;
	l.cache_bytes = a->cfg.fetcher_cache_bytes;
	l.stall_timeout_ms = a->cfg.fetcher_stall_ms;
	proto_launch_compose(launch, &l);
	if (proto_end(launch) == -1) {
		snprintf(err, errlen, "the task does not fit in one line to its supervisor (limit %d bytes)",
		    PROTO_LINE_MAX);
		goto out;
	}
	rc = 0;
out:
	agent_isolation_launch_done(a);
	free(l.uris);
	launcher_env_free(&env);
	return rc;
}

/* WORK_DIR/meta/slaves/AGENT/runs/RUN, RUN being the sandbox's run ID: the supervisor's name. */
char *
agent_task_meta_name(struct agent *a, const char *sandbox, char *err, size_t errlen)
{
	const char *run = strrchr(sandbox, '/');
	char *runs = xstrfmt("%s/meta/slaves/%s/runs", a->work_dir, a->agent_id);
	char *name;

	/* Nothing removes it while the agent runs: made once, not once per task. */
	if (a->meta_runs_made == NULL || strcmp(a->meta_runs_made, runs) != 0) {
		if (compat_mkdirs(runs, LAUNCHER_DIR_MODE, err, errlen) == -1) {
			free(runs);
			return NULL;
		}
		free(a->meta_runs_made);
		a->meta_runs_made = xstrdup(runs);
	}
	name = xstrfmt("%s/%s", runs, run ? run + 1 : sandbox);
	free(runs);
	return name;
}

void
agent_task_handle_run(struct agent *a, const struct proto_msg *m)
{
	const char *fw = proto_get(m, "framework_id");
	const char *tid = proto_get(m, "task_id");
	char err[AGENT_ERR_MAX];
	struct buf launch;
	struct agent_task *t;
	int refused = 0;

	if (fw == NULL || tid == NULL) {
		log_warnx("RUN_TASK without %s: ignored", fw == NULL ? "framework_id" : "task_id");
		return;
	}
	if (nul_field(m, err, sizeof(err)) == -1 || id_check("framework ID", fw, err, sizeof(err)) == -1 ||
	    id_check("task ID", tid, err, sizeof(err)) == -1) {
		log_warnx("RUN_TASK refused: %s", err);
		agent_update_oneshot(a, fw, tid, "TASK_ERROR", "SOURCE_AGENT", "REASON_TASK_INVALID", err);
		return;
	}
	if (a->stopping) {
		agent_update_oneshot(a, fw, tid, "TASK_DROPPED", "SOURCE_AGENT", NULL,
		    "the agent is shutting down");
		return;
	}
	if (agent_task_find(a, fw, tid) != NULL) {
		snprintf(err, sizeof(err), "task ID '%s' is already in use by framework '%s'", tid, fw);
		log_warnx("RUN_TASK refused: %s", err);
		agent_update_oneshot(a, fw, tid, "TASK_ERROR", "SOURCE_AGENT", "REASON_TASK_INVALID", err);
		return;
	}
	t = agent_task_new(a, fw, tid);
	free(t->name);
	t->name = xstrdup(opt_field(m, "name", tid));
	free(t->role);
	t->role = xstrdup(opt_field(m, "role", "*"));
	free(t->framework_name);
	t->framework_name = xstrdup(opt_field(m, "framework_name", ""));
	free(t->user);
	t->user = xstrdup(opt_field(m, "user", ""));
	free(t->failover_timeout);
	t->failover_timeout = xstrdup(opt_field(m, "failover_timeout", "0"));
	if (proto_get(m, "executor_id") != NULL) {
		agent_executor_run(a, t, m);
		return;
	}
	t->sandbox = launcher_sandbox_create(a->work_dir, a->agent_id, fw, tid, err, sizeof(err));
	if (t->sandbox == NULL ||
	    (t->meta = agent_task_meta_name(a, t->sandbox, err, sizeof(err))) == NULL) {
		agent_journal_task(a, t);
		t->ended = 1;
		agent_journal_ended(a, t);
		log_warnx("task %s: %s", t->key, err);
		agent_update_queue(a, t, "TASK_FAILED", "SOURCE_AGENT", "REASON_CONTAINER_LAUNCH_FAILED", err,
		    PROTO_HEALTHY_NONE, NULL);
		return;
	}
	buf_init(&launch, 0);
	if (prepare(a, t, m, &launch, &refused, err, sizeof(err)) == -1) {
		buf_free(&launch);
		agent_journal_task(a, t);
		t->ended = 1;
		agent_journal_ended(a, t);
		log_warnx("task %s %s: %s", t->key, refused ? "refused" : "is invalid", err);
		if (refused)
			agent_update_queue(a, t, "TASK_FAILED", "SOURCE_AGENT", "REASON_CONTAINER_LAUNCH_FAILED", err,
			    -1, NULL);
		else
			agent_update_queue(a, t, "TASK_ERROR", "SOURCE_AGENT", "REASON_TASK_INVALID", err,
			    PROTO_HEALTHY_NONE, NULL);
		return;
	}
	t->launch = buf_detach(&launch);
	t->live = 1;
	agent_journal_task(a, t);
	agent_update_queue(a, t, "TASK_STARTING", "SOURCE_EXECUTOR", NULL, NULL, PROTO_HEALTHY_NONE, NULL);
	/* Its TASK_RUNNING comes within milliseconds: one write, one fsync and one ack for both. */
	agent_update_hold(a, t);
	/* The supervisor starts once the task is on disk: a crash before that loses nothing that runs. */
	agent_task_after_commit(a, t, AGENT_AFTER_LAUNCH);
}

/* --- kills ----------------------------------------------------------------------- */

void
agent_task_kill(struct agent *a, struct agent_task *t, int64_t grace_ms)
{
	if (!t->live)
		return;
	if (grace_ms < 0)
		grace_ms = 0;
	if (!t->kill_requested) {
		t->kill_requested = 1;
		log_info("%s %s (grace period %lld ms)", t->is_executor ? "shutting down executor"
		    : "killing task", t->key, (long long)grace_ms);
		agent_update_queue(a, t, "TASK_KILLING", "SOURCE_EXECUTOR", NULL, NULL, PROTO_HEALTHY_NONE,
		    NULL);
	}
	if (t->launch != NULL)
		return;   /* not started yet: launch() reports it killed */
	if (t->executor_id != NULL && !t->is_executor) {
		agent_executor_kill_task(a, t, grace_ms);
		return;
	}
	if (t->supervisor != NULL) {
		send_kill(t, grace_ms);
		return;
	}
	if (t->pending_kill_ms < 0 || grace_ms < t->pending_kill_ms)
		t->pending_kill_ms = grace_ms;
}

void
agent_task_abandon(struct agent *a, struct agent_task *t, enum agent_task_fate fate,
                   int64_t grace_ms)
{
	unsigned work = 0;

	agent_update_drop(a, t);
	t->fate = fate;
	agent_journal_fate(a, t);
	if (t->live)
		agent_task_kill(a, t, grace_ms);
	else
		work = AGENT_AFTER_FORGET;
	agent_task_after_commit(a, t, work);
}

void
agent_task_handle_kill(struct agent *a, const struct proto_msg *m)
{
	const char *fw = proto_get(m, "framework_id");
	const char *tid = proto_get(m, "task_id");
	char err[AGENT_ERR_MAX];
	long long grace;
	struct agent_task *t;

	if (fw == NULL || tid == NULL) {
		log_warnx("KILL_TASK without %s: ignored", fw == NULL ? "framework_id" : "task_id");
		return;
	}
	if (proto_get_int(m, "grace_ms", -1, &grace, err, sizeof(err)) == -1) {
		log_warnx("KILL_TASK for %s/%s: %s; using the task's grace period", fw, tid, err);
		grace = -1;
	}
	t = agent_task_find(a, fw, tid);
	if (t == NULL) {
		log_info("KILL_TASK for unknown task %s/%s: answering TASK_LOST", fw, tid);
		agent_update_oneshot(a, fw, tid, "TASK_LOST", "SOURCE_AGENT", NULL, "unknown task");
		return;
	}
	if (!t->live) {
		log_debug("KILL_TASK for %s, which is no longer running", t->key);
		return;
	}
	if (grace < 0)
		grace = t->grace_ms >= 0 ? t->grace_ms : AGENT_DEFAULT_KILL_GRACE_MS;
	agent_task_kill(a, t, grace);
}

void
agent_task_handle_shutdown(struct agent *a, const struct proto_msg *m)
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
		struct agent_task *t = val;
		if (strcmp(t->framework_id, fw) != 0)
			continue;
		n++;
		agent_task_abandon(a, t, AGENT_FATE_FRAMEWORK_GONE, a->cfg.executor_shutdown_grace_period_ms);
	}
	log_info("framework %s shut down: %zu task(s) killed or dropped", fw, n);
}
