/*
 * agent_executor.c: owns custom executors on the agent: one per framework
 * and executor ID, started with the first task that names it (a task of
 * its own kind, agent_int.h, so it has a supervisor, a checkpoint and a
 * recovery like any task), its tasks handed to it as RUN_TASK lines, its
 * STATUS_UPDATEs turned into the agent's reliable updates, its lines
 * acknowledged to the supervisor once checkpointed, framework messages
 * both ways, the sum of its tasks' limits, its shutdown once it has no
 * task left, and its tasks' end when it ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"
#include "buf.h"
#include "sup/sup.h"
#include "id.h"
#include "sup/isolate.h"
#include "sup/launcher.h"
#include "log.h"
#include "proto.h"
#include "res.h"
#include "xmem.h"

#define NUM_MAX 32
#define DEC_BASE 10

struct agent_task *
agent_executor_find(struct agent *a, const char *fw, const char *executor_id)
{
	char *tid = xstrfmt("/%s", executor_id);
	struct agent_task *e = agent_task_find(a, fw, tid);

	free(tid);
	return e;
}

static int
runs_on(const struct agent_task *t, const struct agent_task *e)
{
	return !t->is_executor && t->executor_id != NULL && strcmp(t->executor_id, e->executor_id) == 0 &&
	       strcmp(t->framework_id, e->framework_id) == 0;
}

static void
send_error(struct agent_task *e, const char *reason)
{
	struct buf b;

	log_warnx("executor %s: %s", e->key, reason);
	buf_init(&b, 0);
	proto_begin(&b, "ERROR");
	proto_add(&b, "reason", reason);
	if (proto_end(&b) == 0)
		agent_task_send_supervisor(e, b.data);
	buf_free(&b);
}

/* What the supervisor holds the executor to: the sum over its live tasks. */
static void
send_limits(struct agent *a, struct agent_task *e)
{
	uint64_t mem = 0, disk = 0;
	int64_t cpus = 0;
	char line[3 * NUM_MAX + sizeof("LIMITS mem_bytes= disk_bytes= cpus_milli=\n")];
	const char *key;
	void *val;

	if (e->supervisor == NULL || e->launch != NULL)
		return;
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		if (t->live && runs_on(t, e)) {
			mem += launcher_mem_bytes(&t->resources);
			disk += launcher_disk_bytes(&t->resources);
			cpus += res_scalar(&t->resources, "cpus");
		}
	}
	snprintf(line, sizeof(line), "LIMITS mem_bytes=%llu disk_bytes=%llu cpus_milli=%lld\n",
	    (unsigned long long)mem, (unsigned long long)disk, (long long)cpus);
	agent_task_send_supervisor(e, line);
}

/* A task that never reached a running executor, or an invalid one: over at once. */
static void
refuse(struct agent *a, struct agent_task *t, const char *state, const char *reason,
       const char *msg)
{
	log_warnx("task %s: %s", t->key, msg);
	agent_journal_task(a, t);
	agent_task_finish(a, t, state, "SOURCE_AGENT", reason, msg, NULL);
}

/* The LAUNCH line of a custom executor: its command, in its sandbox, with the channel's variables. */
static int
executor_launch(struct agent *a, struct agent_task *e, const struct agent_task *first,
                const char *command, struct buf *launch, char *err, size_t errlen)
{
	struct launcher_env env;
	struct proto_launch l;
	char fd[NUM_MAX];
	int rc = -1;

	launcher_env_init(&env, 0);
	snprintf(fd, sizeof(fd), "%d", SUP_CHANNEL_FD);
	launcher_env_set(&env, "MESOS_EXECUTOR_FD", fd);
	launcher_env_set(&env, "MESOS_EXECUTOR_ID", e->executor_id);
	launcher_env_set(&env, "MESOS_FRAMEWORK_ID", e->framework_id);
	launcher_env_set(&env, "MESOS_AGENT_ID", a->agent_id);
	launcher_env_set(&env, "MESOS_SANDBOX", e->sandbox);
	launcher_env_set(&env, "MESOS_DIRECTORY", e->sandbox);
	memset(&l, 0, sizeof(l));
	proto_health_init(&l.health);
	if (agent_task_launch_base(a, e, command, &env, &l, err, errlen) == -1)
		goto out;
	/* The first task's cpus until LIMITS says the sum. */
	l.cpus_milli = (uint64_t)res_scalar(&first->resources, "cpus");
	l.executor_id = e->executor_id;
	l.framework_id = e->framework_id;
	l.agent_id = a->agent_id;
	/* No mem_bytes, disk_bytes: LIMITS says them, as the executor's tasks come and go. */
	l.processes = (uint64_t)a->cfg.task_max_processes;
	l.open_files = (uint64_t)a->cfg.task_max_open_files;
	/* POSIX cannot change a weight as tasks come and go: the first task's share it is. */
	l.nice = isolate_nice(res_scalar(&first->resources, "cpus"), a->total_cpus_milli);
	l.grace_ms = a->cfg.executor_shutdown_grace_period_ms;
	proto_launch_compose(launch, &l);
	if (proto_end(launch) == -1) {
		snprintf(err, errlen, "the executor does not fit in one line to its supervisor");
		goto out;
	}
	rc = 0;
out:
	agent_isolation_launch_done(a);
	launcher_env_free(&env);
	return rc;
}

/* The executor a new task names: the running one, or a new one (NULL, t refused, when neither). */
static struct agent_task *
executor_for(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	const char *eid = proto_get(m, "executor_id");
	const char *command = proto_get(m, "executor_command");
	struct agent_task *e = agent_executor_find(a, t->framework_id, eid);
	char err[AGENT_ERR_MAX];
	struct buf launch;
	char *tid;

	if (e != NULL && e->live && !e->kill_requested)
		return e;
	if (e != NULL) {
		snprintf(err, sizeof(err), "executor '%s' is shutting down; launch the task again", eid);
		refuse(a, t, "TASK_DROPPED", "REASON_EXECUTOR_TERMINATED", err);
		return NULL;
	}
	if (command == NULL || command[0] == '\0') {
		refuse(a, t, "TASK_ERROR", "REASON_TASK_INVALID",
		    "missing field 'executor_command' (the executor is not running)");
		return NULL;
	}
	tid = xstrfmt("/%s", eid);
	e = agent_task_new(a, t->framework_id, tid);
	free(tid);
	e->is_executor = 1;
	e->fate = AGENT_FATE_SILENT;
	e->executor_id = xstrdup(eid);
	free(e->name);
	e->name = xstrdup(proto_get(m, "executor_name") ? proto_get(m, "executor_name") : eid);
	free(e->role);
	e->role = xstrdup(t->role);
	free(e->framework_name);
	e->framework_name = xstrdup(t->framework_name);
	free(e->user);
	e->user = xstrdup(t->user);
	e->sandbox = launcher_sandbox_create(a->work_dir, a->agent_id, t->framework_id, eid, err,
	    sizeof(err));
	buf_init(&launch, 0);
	if (e->sandbox == NULL || (e->meta = agent_task_meta_name(a, e->sandbox, err, sizeof(err))) == NULL ||
	    executor_launch(a, e, t, command, &launch, err, sizeof(err)) == -1) {
		buf_free(&launch);
		map_del(&a->tasks, e->key);
		agent_task_free(a, e);
		refuse(a, t, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", err);
		return NULL;
	}
	e->launch = buf_detach(&launch);
	e->live = 1;
	agent_journal_task(a, e);
	/* The supervisor starts once the executor is on disk, as a task's does. */
	agent_task_after_commit(a, e, AGENT_AFTER_LAUNCH);
	log_info("executor %s starts for task %s", e->key, t->key);
	return e;
}

void
agent_executor_run(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	const char *eid = proto_get(m, "executor_id");
	const char *resources = proto_get(m, "resources");
	char err[AGENT_ERR_MAX];
	long long grace;
	struct agent_task *e;
	struct buf run;

	if (id_check("executor ID", eid, err, sizeof(err)) == -1 ||
	    (resources != NULL && res_parse(&t->resources, resources, err, sizeof(err)) == -1) ||
	    proto_get_int(m, "grace_ms", -1, &grace, err, sizeof(err)) == -1) {
		refuse(a, t, "TASK_ERROR", "REASON_TASK_INVALID", err);
		return;
	}
	t->grace_ms = grace;
	t->executor_id = xstrdup(eid);
	if ((e = executor_for(a, t, m)) == NULL)
		return;
	/* The executor's sandbox is its tasks' too, as in Mesos: their files are read there. */
	t->sandbox = xstrdup(e->sandbox);
	buf_init(&run, 0);
	proto_begin(&run, "RUN_TASK");
	for (size_t i = 0; i < m->nfields; i++)
		proto_addn(&run, m->fields[i].key, m->fields[i].val, m->fields[i].vlen);
	if (proto_end(&run) == -1) {
		buf_free(&run);
		snprintf(err, sizeof(err), "the task does not fit in one line (limit %d bytes)",
		    PROTO_LINE_MAX);
		refuse(a, t, "TASK_ERROR", "REASON_TASK_INVALID", err);
		return;
	}
	t->launch = buf_detach(&run);
	t->live = 1;
	agent_journal_task(a, t);
	send_limits(a, e);
	/* Handed to the executor once it is on disk: a crash before that loses nothing that runs. */
	agent_task_after_commit(a, t, AGENT_AFTER_LAUNCH);
}

/* No task left: the executor is asked to shut down, and killed after the grace period. */
static void
maybe_idle(struct agent *a, struct agent_task *e)
{
	const char *key;
	void *val;

	if (e == NULL || !e->live || e->kill_requested || a->stopping)
		return;
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);)
		if (((struct agent_task *)val)->live && runs_on(val, e))
			return;
	log_info("executor %s has no task left: shutting it down", e->key);
	agent_task_kill(a, e, a->cfg.executor_shutdown_grace_period_ms);
}

void
agent_executor_send_task(struct agent *a, struct agent_task *t)
{
	struct agent_task *e = agent_executor_find(a, t->framework_id, t->executor_id);

	if (t->launch == NULL || !t->live)
		return;
	if (t->kill_requested || e == NULL || !e->live) {
		free(t->launch);
		t->launch = NULL;
		if (t->kill_requested)
			agent_task_finish(a, t, "TASK_KILLED", "SOURCE_AGENT",
			    "REASON_TASK_KILLED_DURING_LAUNCH", "killed before it started", NULL);
		else
			agent_task_finish(a, t, "TASK_FAILED", "SOURCE_AGENT", "REASON_EXECUTOR_TERMINATED",
			    "its executor is gone", NULL);
		maybe_idle(a, e);
		return;
	}
	if (e->supervisor == NULL || e->launch != NULL)
		return;   /* agent_executor_flush sends it once the executor's supervisor is reached */
	agent_task_send_supervisor(e, t->launch);
	free(t->launch);
	t->launch = NULL;
	t->handed = 1;
	agent_journal_handed(a, t);
	agent_journal_commit_soon(a, t);
	log_info("task %s handed to executor %s", t->key, e->key);
}

static void
send_kill(struct agent_task *e, struct agent_task *t, long long grace_ms)
{
	struct buf b;

	buf_init(&b, 0);
	proto_begin(&b, "KILL_TASK");
	proto_add(&b, "task_id", t->task_id);
	proto_add_int(&b, "grace_ms", grace_ms);
	if (proto_end(&b) == 0)
		agent_task_send_supervisor(e, b.data);
	buf_free(&b);
}

void
agent_executor_flush(struct agent *a, struct agent_task *e)
{
	const char *key;
	void *val;

	send_limits(a, e);
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		if (!t->live || !runs_on(t, e))
			continue;
		if (t->launch != NULL)
			agent_executor_send_task(a, t);
		if (t->pending_kill_ms >= 0 && t->launch == NULL) {
			send_kill(e, t, t->pending_kill_ms);
			t->pending_kill_ms = -1;
		}
	}
}

void
agent_executor_kill_task(struct agent *a, struct agent_task *t, int64_t grace_ms)
{
	struct agent_task *e = agent_executor_find(a, t->framework_id, t->executor_id);

	if (e != NULL && e->supervisor != NULL && e->launch == NULL) {
		send_kill(e, t, grace_ms);
		return;
	}
	(void)a;
	if (t->pending_kill_ms < 0 || grace_ms < t->pending_kill_ms)
		t->pending_kill_ms = grace_ms;
}

void
agent_executor_ended(struct agent *a, struct agent_task *e, const char *state,
                     const char *reason, const char *message)
{
	/*
	 * A broken limit or a launch that failed is the tasks' reason too;
	 * anything else is the executor's end (Mesos).
	 */
	const char *why = reason != NULL && strncmp(reason, "REASON_CONTAINER_",
	    strlen("REASON_CONTAINER_")) == 0 ? reason : "REASON_EXECUTOR_TERMINATED";
	char *msg = xstrfmt("the executor ended (%s): %s", state, message ? message : "");
	const char *key;
	void *val;

	e->live = 0;
	e->ended = 1;
	agent_journal_ended(a, e);
	log_info("executor %s %s: %s", e->key, state, message ? message : "");
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		if (!t->live || !runs_on(t, e))
			continue;
		free(t->launch);
		t->launch = NULL;
		agent_task_finish(a, t, t->kill_requested ? "TASK_KILLED" : "TASK_FAILED", "SOURCE_AGENT",
		    why, msg, NULL);
	}
	free(msg);
	agent_task_after_commit(a, e, AGENT_AFTER_SUPERVISOR_ACK | AGENT_AFTER_FORGET);
}

/* --- what the executor says ------------------------------------------------------ */

static void
executor_update(struct agent *a, struct agent_task *e, const struct proto_msg *m)
{
	struct proto_status s;
	const char *tid, *state;
	struct agent_task *t;
	char err[AGENT_ERR_MAX];

	if (proto_status_parse(m, &s, err, sizeof(err)) < 0) {
		send_error(e, err);
		return;
	}
	tid = s.task_id;
	state = s.state;
	t = agent_task_find(a, e->framework_id, tid);
	if (t == NULL || !runs_on(t, e) || t->launch != NULL) {
		snprintf(err, sizeof(err), "task '%.200s' is not one of this executor's", tid);
		send_error(e, err);
		return;
	}
	if (!t->live) {
		snprintf(err, sizeof(err), "task '%.200s' is already over (%s)", tid, t->state);
		send_error(e, err);
		return;
	}
	if (strcmp(state, "TASK_STAGING") == 0) {
		send_error(e, "TASK_STAGING is the master's to report");
		return;
	}
	if (proto_state_terminal(state)) {
		agent_task_finish(a, t, state, "SOURCE_EXECUTOR", s.reason, s.message, NULL);
		send_limits(a, e);
		maybe_idle(a, e);
		return;
	}
	agent_update_queue(a, t, state, "SOURCE_EXECUTOR", s.reason, s.message, s.healthy, NULL);
}

/* Best effort, as in Mesos: nobody resends a framework message. */
static void
executor_message(struct agent *a, struct agent_task *e, const struct proto_msg *m)
{
	struct buf b;

	if (!agent_link_up(a)) {
		log_info("executor %s: framework message dropped (the master is away)", e->key);
		return;
	}
	buf_init(&b, 0);
	proto_begin(&b, "FRAMEWORK_MESSAGE");
	proto_add(&b, "framework_id", e->framework_id);
	proto_add(&b, "executor_id", e->executor_id);
	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].key, "data") == 0)
			proto_addn(&b, "data", m->fields[i].val, m->fields[i].vlen);
	agent_send_msg(a, &b);
	buf_free(&b);
}

static void
relayed(struct agent *a, struct agent_task *e, const struct proto_msg *m)
{
	char err[AGENT_ERR_MAX];
	long long seq;

	if (proto_get_int(m, "relay_seq", 0, &seq, err, sizeof(err)) == -1 || seq <= 0) {
		log_warnx("executor %s: %s without a good relay_seq: ignored", e->key, m->verb);
		return;
	}
	/* Acknowledged after the next commit, whatever it was: it never needs to come again. */
	e->relay_ack = (unsigned long long)seq;
	agent_task_after_commit(a, e, AGENT_AFTER_RELAY_ACK);
	if ((unsigned long long)seq <= e->relay_seq)
		return;   /* sent again after our restart: handled before it */
	e->relay_seq = (unsigned long long)seq;
	agent_journal_relayed(a, e);
	if (strcmp(m->verb, "STATUS_UPDATE") == 0)
		executor_update(a, e, m);
	else
		executor_message(a, e, m);
}

static void
started(struct agent *a, struct agent_task *e, const struct proto_msg *m)
{
	const char *pid = proto_get(m, "pid");

	if (pid != NULL && e->task_pid == 0 && e->live) {
		/* Kept so that a supervisor killed with its executor still lets us sweep its group. */
		e->task_pid = (pid_t)strtol(pid, NULL, DEC_BASE);
		agent_journal_started(a, e);
		agent_journal_commit_soon(a, e);
	}
}

static void
attached(struct agent *a, struct agent_task *e, const struct proto_msg *m)
{
	started(a, e, m);
	log_info("executor %s: its supervisor is back in touch", e->key);
	agent_executor_flush(a, e);
}

const struct agent_task_verb agent_executor_verbs[] = {
	{ "STATUS_UPDATE", relayed },
	{ "FRAMEWORK_MESSAGE", relayed },
	{ "STARTED", started },
	{ "ATTACHED", attached },
	{ "EXITED", agent_task_ended },
	{ NULL, NULL },
};

void
agent_executor_relay_ack(struct agent *a, struct agent_task *e)
{
	char line[NUM_MAX + sizeof("RELAY_ACK seq=\n")];

	(void)a;
	snprintf(line, sizeof(line), "RELAY_ACK seq=%llu\n", e->relay_ack);
	agent_task_send_supervisor(e, line);
}

void
agent_executor_handle_message(struct agent *a, const struct proto_msg *m)
{
	const char *fw = proto_get(m, "framework_id"), *eid = proto_get(m, "executor_id");
	struct agent_task *e = fw != NULL && eid != NULL ? agent_executor_find(a, fw, eid) : NULL;
	struct buf b;

	if (e == NULL || !e->live || e->supervisor == NULL || e->launch != NULL) {
		log_info("framework message for executor %s of framework %s dropped: no such executor "
		    "running here", eid ? eid : "?", fw ? fw : "?");
		return;
	}
	buf_init(&b, 0);
	proto_begin(&b, "FRAMEWORK_MESSAGE");
	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].key, "data") == 0)
			proto_addn(&b, "data", m->fields[i].val, m->fields[i].vlen);
	if (proto_end(&b) == 0)
		agent_task_send_supervisor(e, b.data);
	buf_free(&b);
}

void
agent_executor_recover(struct agent *a)
{
	const char *key;
	void *val;

	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val, *e;
		if (t->is_executor || t->executor_id == NULL || !t->live || t->ended)
			continue;
		e = agent_executor_find(a, t->framework_id, t->executor_id);
		if (e == NULL || !e->live || e->ended)
			agent_task_finish(a, t, "TASK_FAILED", "SOURCE_AGENT", "REASON_EXECUTOR_TERMINATED",
			    "its executor is gone", NULL);
		else if (!t->handed)
			/* Its RUN_TASK was not kept: the executor never has it, or has it and will be told no. */
			agent_task_finish(a, t, "TASK_DROPPED", "SOURCE_AGENT", "REASON_AGENT_RESTARTED",
			    "the agent restarted before the task reached its executor", NULL);
	}
}
