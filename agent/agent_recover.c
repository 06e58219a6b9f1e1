/*
 * agent_recover.c: owns the agent's start-up from its checkpoint, so that
 * a restarted agentd carries on where the last one stopped: the agent ID
 * it registered with, the boot check (a reboot took every task with it),
 * the journal's replay (tasks, their unacknowledged updates, what their
 * executors were handed and said), and then each task's supervisor shut
 * down (its end already known, or --recover=cleanup) or taken back.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_int.h"
#include "buf.h"
#include "checkpoint.h"
#include "compat.h"
#include "id.h"
#include "sup/launcher.h"
#include "log.h"
#include "proc.h"
#include "proto.h"
#include "xmem.h"

#define BOOT_ID_FILE "boot_id"
#define INFO_MAX 4096                   /* bytes of slave.info or boot_id read back */
#define DEC_BASE 10

/* Read a one-line checkpoint file (slave.info, boot_id) into out; 0, or -1 when absent or bad. */
static int
read_line_file(const char *path, struct buf *out)
{
	char err[AGENT_ERR_MAX];
	int missing;

	if (checkpoint_read(path, INFO_MAX, out, &missing, err, sizeof(err)) == -1) {
		if (!missing)
			log_warnx("%s", err);
		return -1;
	}
	while (out->len > 0 && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
	return out->len > 0 ? 0 : -1;
}

/* A task's first record, to a task just made. */
static void
replay_task(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	const char *sandbox = proto_get(m, "sandbox"), *meta = proto_get(m, "meta");
	const char *res = proto_get(m, "resources"), *state = proto_get(m, "state");
	char err[AGENT_ERR_MAX];
	long long grace;

	(void)a;
	if (state != NULL && proto_state_valid(state))
		xstrlcpy(t->state, state, sizeof(t->state));   /* absent in journals of before 2026-12 */
#define FIELD(name, dflt) (proto_get(m, name) ? proto_get(m, name) : (dflt))
	free(t->name);
	t->name = xstrdup(FIELD("name", t->task_id));
	free(t->role);
	t->role = xstrdup(FIELD("role", "*"));
	free(t->framework_name);
	t->framework_name = xstrdup(FIELD("framework_name", ""));
	free(t->user);
	t->user = xstrdup(FIELD("user", ""));
	free(t->failover_timeout);
	t->failover_timeout = xstrdup(FIELD("failover_timeout", "0"));
#undef FIELD
	if (res != NULL && res_parse(&t->resources, res, err, sizeof(err)) == -1)
		log_warnx("task %s: checkpointed resources: %s", t->key, err);
	t->sandbox = sandbox && *sandbox ? xstrdup(sandbox) : NULL;
	t->meta = meta && *meta ? xstrdup(meta) : NULL;
	if (proto_get_int(m, "grace_ms", -1, &grace, err, sizeof(err)) == 0)
		t->grace_ms = grace;
	if (proto_get(m, "executor_id") != NULL)
		t->executor_id = xstrdup(proto_get(m, "executor_id"));
	if (t->executor_id != NULL && proto_get(m, "kind") != NULL &&
	    strcmp(proto_get(m, "kind"), "executor") == 0) {
		t->is_executor = 1;
		t->fate = AGENT_FATE_SILENT;
	}
	/* A task of an executor has no supervisor of its own: it runs until told otherwise. */
	t->live = t->meta != NULL || (t->executor_id != NULL && !t->is_executor);
}

static void
replay_update(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	char err[AGENT_ERR_MAX];
	struct proto_status s;

	(void)a;
	if (proto_status_parse(m, &s, err, sizeof(err)) < 0) {
		log_warnx("journal: an update of task %s left out: %s", t->key, err);
		return;
	}
	agent_update_replay(t, &s);
}

static void
replay_ack(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	const char *uuid = proto_get(m, "uuid");

	(void)a;
	if (uuid != NULL)
		agent_update_replay_ack(t, uuid);
}

static void
replay_fate(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	const char *fate = proto_get(m, "fate");

	if (fate == NULL)
		return;
	t->fate = agent_journal_fate_named(fate);
	if (t->fate != AGENT_FATE_TRACKED)
		agent_update_drop(a, t);
}

static void
replay_handed(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	(void)a;
	(void)m;
	t->handed = 1;
}

static void
replay_relayed(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	const char *seq = proto_get(m, "seq");

	(void)a;
	if (seq != NULL)
		t->relay_seq = strtoull(seq, NULL, DEC_BASE);
}

static void
replay_started(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	const char *pid = proto_get(m, "pid");

	(void)a;
	if (pid != NULL)
		t->task_pid = (pid_t)strtol(pid, NULL, DEC_BASE);
}

static void
replay_ended(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	(void)a;
	(void)m;
	t->ended = 1;
	t->live = 0;
}

static void
replay_gone(struct agent *a, struct agent_task *t, const struct proto_msg *m)
{
	(void)m;
	map_del(&a->tasks, t->key);
	agent_task_free(a, t);
}

/* The journal's records: a task's first makes it; the others are about a task made before. */
static const struct record {
	const char *verb;
	int makes;
	void (*fn)(struct agent *a, struct agent_task *t, const struct proto_msg *m);
} records[] = {
	{ "TASK", 1, replay_task },
	{ "STATUS_UPDATE", 0, replay_update },
	{ "UPDATE", 0, replay_update },   /* its name in journals of before 2026-12 */
	{ "ACK", 0, replay_ack },
	{ "FATE", 0, replay_fate },
	{ "HANDED", 0, replay_handed },
	{ "RELAYED", 0, replay_relayed },
	{ "STARTED", 0, replay_started },
	{ "ENDED", 0, replay_ended },
	{ "GONE", 0, replay_gone },
	{ NULL, 0, NULL },
};

static void
replay_record(const struct proto_msg *m, void *arg)
{
	struct agent *a = arg;
	const char *fw = proto_get(m, "framework_id"), *tid = proto_get(m, "task_id");
	const struct record *r;
	struct agent_task *t;

	if (fw == NULL || tid == NULL)
		return;
	for (r = records; r->verb != NULL; r++)
		if (strcmp(r->verb, m->verb) == 0)
			break;
	if (r->verb == NULL)
		return;
	t = agent_task_find(a, fw, tid);
	if (r->makes == (t != NULL))
		return;   /* a task made twice keeps its first record; one never made has none */
	if (t == NULL)
		t = agent_task_new(a, fw, tid);
	r->fn(a, t, m);
}

/*
 * The supervisor of a task we give up on or whose end we already have, if
 * one still runs: kill the task if need be, and let the supervisor go.
 */
static void
shut_down(struct agent *a, struct agent_task *t)
{
	static const char shutdown_now[] = AGENT_SUPERVISOR_SHUTDOWN_NOW;
	char err[AGENT_ERR_MAX];
	int fd;

	if (t->meta == NULL || (fd = agent_task_connect(a, t, err, sizeof(err))) == -1)
		return;
	if (t->live)
		log_info("killing task %s of the old checkpoint", t->key);
	if (compat_send(fd, shutdown_now, sizeof(shutdown_now) - 1) < 0)
		log_warn("task %s", t->key);
	close(fd);
}

/* --recover=cleanup: kill what the old checkpoint still runs and forget it. */
static void
kill_old_supervisors(struct agent *a)
{
	const char *key;
	void *val;

	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		shut_down(a, t);
		map_del(&a->tasks, key);
		agent_task_free(a, t);
	}
}

static void
check_boot(struct agent *a, int *rebooted)
{
	char boot[PROC_BOOT_ID_MAX], err[AGENT_ERR_MAX];
	char *path = agent_journal_meta_path(a, BOOT_ID_FILE);
	struct buf old;

	*rebooted = 0;
	buf_init(&old, 0);
	if (proc_boot_id(boot, sizeof(boot)) == -1) {
		log_info("this system cannot tell its boot identity: reboots go unnoticed");
		boot[0] = '\0';
	}
	if (read_line_file(path, &old) == 0 && boot[0] != '\0' && strcmp(old.data, boot) != 0)
		*rebooted = 1;
	if (boot[0] != '\0') {
		size_t n = strlen(boot);
		boot[n] = '\n';
		if (checkpoint_write(path, boot, n + 1, err, sizeof(err)) == -1)
			log_warnx("%s", err);
	}
	buf_free(&old);
	free(path);
}

int
agent_recover(struct agent *a, char *err, size_t errlen)
{
	char *meta = agent_journal_meta_path(a, "");
	char *info = agent_journal_meta_path(a, "slaves/latest/" AGENT_SLAVE_INFO_FILE);
	char *journal;
	const char *key, *id;
	void *val;
	struct buf line;
	struct proto_msg m;
	size_t skipped, n;
	int rebooted;

	buf_init(&line, 0);
	proto_msg_init(&m);
	if (compat_mkdirs(meta, LAUNCHER_DIR_MODE, err, errlen) == -1) {
		free(meta);
		free(info);
		return -1;
	}
	free(meta);
	check_boot(a, &rebooted);
	if (read_line_file(info, &line) == -1 || proto_parse(line.data, line.len, &m, err, errlen) == -1 ||
	    (id = proto_get(&m, "agent_id")) == NULL || id_check("agent ID", id, err, errlen) == -1) {
		log_info("no checkpointed agent ID: registering as a new agent");
		proto_msg_free(&m);
		buf_free(&line);
		free(info);
		return 0;
	}
	free(info);
	journal = xstrfmt("%s/" AGENT_META_DIR "/slaves/%s/" AGENT_JOURNAL_FILE, a->work_dir, id);
	if (checkpoint_replay(journal, replay_record, a, &skipped, err, errlen) == -1) {
		free(journal);
		proto_msg_free(&m);
		buf_free(&line);
		return -1;
	}
	free(journal);
	if (skipped > 0)
		log_warnx("journal: %zu damaged record(s) skipped (a write cut short by a crash)", skipped);
	if (a->cfg.recover == AGENT_RECOVER_CLEANUP) {
		log_warnx("--recover=cleanup: killing the %zu task(s) of agent %s and starting afresh",
		    map_len(&a->tasks), id);
		xstrlcpy(a->previous_agent_id, id, sizeof(a->previous_agent_id));
		kill_old_supervisors(a);
		proto_msg_free(&m);
		buf_free(&line);
		return 0;
	}
	xstrlcpy(a->agent_id, id, sizeof(a->agent_id));
	proto_msg_free(&m);
	buf_free(&line);
	if (agent_journal_open(a, a->agent_id, err, errlen) == -1)
		return -1;
	n = map_len(&a->tasks);
	log_info("recovering agent %s: %zu task(s) in the checkpoint%s", a->agent_id, n,
	    rebooted ? "; the machine rebooted since" : "");
	agent_executor_recover(a);
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;

		if (t->sandbox != NULL)
			agent_task_remember_sandbox(a, t->key, t->sandbox);
		if (t->ended || !t->live) {
			/* Its end is checkpointed; its supervisor may still wait to hear so. */
			shut_down(a, t);
			t->live = 0;
			if (t->head != NULL)
				t->ended = 1;
			agent_task_after_commit(a, t, t->head == NULL ? AGENT_AFTER_FORGET : 0);
		} else if (rebooted) {
			shut_down(a, t);   /* none after a real reboot; a copied work dir may have some */
			t->live = 0;
			t->ended = 1;
			agent_journal_ended(a, t);
			agent_update_queue(a, t, "TASK_LOST", "SOURCE_AGENT", "REASON_AGENT_RESTARTED",
			    "the agent's machine rebooted: the task is gone", -1, NULL);
			agent_task_after_commit(a, t, t->fate != AGENT_FATE_TRACKED ? AGENT_AFTER_FORGET : 0);
		} else {
			agent_task_reattach(a, t);
		}
	}
	/*
	 * A fresh journal now. When there is no room for it (a full disk) the
	 * agent starts all the same: the journal is reopened after its last
	 * whole line, so no torn tail is appended to, and a commit retries
	 * the compaction now, every second until there is room: an idle agent
	 * may commit nothing else for long.
	 */
	if (agent_journal_compact(a, err, errlen) == -1) {
		agent_journal_condition(a, err);
		a->compact_at = 0;
		agent_journal_commit_soon(a, NULL);
	}
	return 0;
}
