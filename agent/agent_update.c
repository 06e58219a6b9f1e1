/*
 * agent_update.c: owns the agent's status update manager and its
 * checkpoint, as Mesos's: every update gets a UUID, is written to the
 * journal before it is sent, goes out one at a time per task in order, and
 * is resent with doubling intervals until the framework's acknowledgement
 * comes back through the master. Also the group commit (one write for all
 * that changed in a pass of the loop, then the launches that waited for it;
 * one fsync in the background, syncer.h, for all written meanwhile, then
 * the sends that waited for that), the journal's compaction, and recovery
 * at start-up: the agent ID, the boot check, the tasks and their
 * unacknowledged updates.
 *
 * On disk (work_dir/meta):
 *   boot_id                          the boot the checkpoint belongs to
 *   slaves/latest -> AGENT_ID        the last registration
 *   slaves/AGENT_ID/slave.info       SLAVE agent_id= hostname=
 *   slaves/AGENT_ID/task.updates     the journal: TASK, STARTED, UPDATE, ACK,
 *                                    FATE, ENDED, GONE and (executors) RELAYED
 *                                    and HANDED records, one a line
 *   slaves/AGENT_ID/runs/RUN.sock    a supervisor's socket while agentd is
 *   slaves/AGENT_ID/runs/RUN.status  away and its task's end if it came then
 *                                    (executor.h); RUN is the sandbox's run ID
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_int.h"
#include "buf.h"
#include "checkpoint.h"
#include "compat.h"
#include "sup/sup.h"
#include "id.h"
#include "sup/launcher.h"
#include "log.h"
#include "proc.h"
#include "loop.h"
#include "proto.h"
#include "syncer.h"
#include "xmem.h"

#define META_DIR "meta"
#define BOOT_ID_FILE "boot_id"
#define SLAVE_INFO_FILE "slave.info"
#define JOURNAL_FILE "task.updates"
#define INFO_MAX 4096                   /* bytes of slave.info or boot_id read back */
#define COMPACT_MIN_LINES 4096          /* never compact a journal shorter than this */
#define COMPACT_GROWTH 4                /* compact when it is this many times its live size */
#define COMMIT_RETRY_MS 1000            /* after a failed write of the journal */
#define DEC_BASE 10

const char *const agent_usage_keys[AGENT_USAGE_FIELDS] = {
	"cpus_user_time_secs", "cpus_system_time_secs", "mem_rss_bytes", "disk_used_bytes",
};

/* --- updates ------------------------------------------------------------ */

void
agent_update_free(struct update *u)
{
	free(u->source);
	free(u->reason);
	free(u->message);
	for (size_t i = 0; i < AGENT_USAGE_FIELDS; i++)
		free(u->usage[i]);
	free(u);
}

static struct update *
update_new(const char *state, const char *source, const char *reason, const char *message,
           int healthy, const char *const usage[AGENT_USAGE_FIELDS])
{
	struct update *u = xcalloc(1, sizeof(*u));

	id_random_hex(u->uuid, AGENT_UUID_HEX_LEN);
	xstrlcpy(u->state, state, sizeof(u->state));
	u->source = xstrdup(source);
	u->reason = reason ? xstrdup(reason) : NULL;
	u->message = message ? xstrdup(message) : NULL;
	u->timestamp = compat_wall_time();
	u->healthy = healthy;
	for (size_t i = 0; usage != NULL && i < AGENT_USAGE_FIELDS; i++)
		u->usage[i] = usage[i] ? xstrdup(usage[i]) : NULL;
	return u;
}

/* The fields of an update, for the wire and for the journal alike. */
static void
add_update_fields(struct buf *b, const char *fw, const char *tid, const struct update *u)
{
	proto_add(b, "framework_id", fw);
	proto_add(b, "task_id", tid);
	proto_add(b, "state", u->state);
	proto_add(b, "uuid", u->uuid);
	proto_add(b, "source", u->source);
	if (u->reason != NULL)
		proto_add(b, "reason", u->reason);
	if (u->message != NULL)
		proto_add(b, "message", u->message);
	if (u->healthy >= 0)
		proto_add(b, "healthy", u->healthy ? "true" : "false");
	for (size_t i = 0; i < AGENT_USAGE_FIELDS; i++)
		if (u->usage[i] != NULL)
			proto_add(b, agent_usage_keys[i], u->usage[i]);
	proto_addf(b, "timestamp", "%.3f", u->timestamp);
}

static void
send_update(struct agent *a, const char *fw, const char *tid, struct update *u, const char *latest)
{
	struct buf b;

	if (a->drops_left > 0) {
		a->drops_left--;
		log_info("test hook: status update %s %s of %s/%s lost on purpose (%lld more to lose)",
		    u->state, u->uuid, fw, tid, (long long)a->drops_left);
		return;
	}
	buf_init(&b, 0);
	proto_begin(&b, "STATUS_UPDATE");
	add_update_fields(&b, fw, tid, u);
	/* Mesos's latest_state: the master may free the resources of a task whose end waits in line. */
	if (latest != NULL && strcmp(latest, u->state) != 0)
		proto_add(&b, "latest_state", latest);
	agent_send_msg(a, &b);
	buf_free(&b);
}

void
agent_update_oneshot(struct agent *a, const char *fw, const char *tid, const char *state,
                     const char *source, const char *reason, const char *message)
{
	struct update *u = update_new(state, source, reason, message, -1, NULL);

	send_update(a, fw, tid, u, NULL);
	agent_update_free(u);
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
	agent_update_send_head(t->agent, t);
}

/* Nothing goes out before its record is fsync'ed: the syncer may still be at it. */
static int
on_disk(const struct agent *a, const struct update *u)
{
	return !a->journal_open || u == NULL || u->journal_gen <= a->synced_gen;
}

void
agent_update_send_head(struct agent *a, struct task *t)
{
	if (t->head == NULL || !agent_link_up(a))
		return;
	if (!on_disk(a, t->head)) {
		t->want_send = 1;   /* sent when its fsync ends */
		agent_commit_soon(a, t);
		return;
	}
	send_update(a, t->framework_id, t->task_id, t->head, t->tail->state);
	t->head->sent = 1;
	loop_timer_cancel(a->loop, t->retry_timer);
	t->retry_timer = loop_timer_add(a->loop, t->retry_ms, on_retry, t);
}

static void
journal_add(struct agent *a, struct task *t, struct buf *b)
{
	if (!a->journal_open)
		return;
	if (checkpoint_journal_add(&a->journal, b) == -1)
		log_warnx("journal record over the line limit: not checkpointed");
	t->journal_gen = a->journal_gen;   /* what waits for the commit of t waits for this one */
}

static void
journal_update(struct agent *a, struct task *t, struct update *u)
{
	struct buf b;

	buf_init(&b, 0);
	proto_begin(&b, "UPDATE");
	add_update_fields(&b, t->framework_id, t->task_id, u);
	journal_add(a, t, &b);
	u->journal_gen = a->journal_gen;
	buf_free(&b);
}

static void
append(struct task *t, struct update *u)
{
	if (t->tail != NULL)
		t->tail->next = u;
	else
		t->head = u;
	t->tail = u;
}

void
agent_update(struct agent *a, struct task *t, const char *state, const char *source,
             const char *reason, const char *message, int healthy,
             const char *const usage[AGENT_USAGE_FIELDS])
{
	struct update *u;
	int first;

	xstrlcpy(t->state, state, sizeof(t->state));
	if (t->fate != FATE_TRACKED)
		return;
	u = update_new(state, source, reason, message, healthy, usage);
	first = t->head == NULL;
	append(t, u);
	journal_update(a, t, u);
	if (first) {
		t->retry_ms = a->cfg.update_retry_ms;
		t->want_send = 1;
	}
	agent_commit_soon(a, t);
}

void
agent_update_drop(struct agent *a, struct task *t)
{
	while (t->head != NULL) {
		struct update *u = t->head;
		t->head = u->next;
		agent_update_free(u);
	}
	t->tail = NULL;
	loop_timer_cancel(a->loop, t->retry_timer);
	t->retry_timer = 0;
}

static void
journal_fields(struct agent *a, const char *verb, struct task *t, ...)
{
	const char *key;
	struct buf b;
	va_list ap;

	buf_init(&b, 0);
	proto_begin(&b, verb);
	proto_add(&b, "framework_id", t->framework_id);
	proto_add(&b, "task_id", t->task_id);
	va_start(ap, t);
	while ((key = va_arg(ap, const char *)) != NULL)
		proto_add(&b, key, va_arg(ap, const char *));
	va_end(ap);
	journal_add(a, t, &b);
	buf_free(&b);
}

void
agent_update_handle_ack(struct agent *a, const struct proto_msg *m)
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
	t = agent_task_find(a, fw, tid);
	if (t == NULL || t->head == NULL || strcmp(t->head->uuid, uuid) != 0) {
		/* Duplicates are harmless: a resent update the framework acknowledged twice. */
		log_debug("ignoring acknowledgement %s for %s/%s: no such pending update", uuid, fw, tid);
		return;
	}
	u = t->head;
	t->head = u->next;
	if (t->head == NULL)
		t->tail = NULL;
	terminal = proto_state_terminal(u->state);
	journal_fields(a, "ACK", t, "uuid", uuid, (char *)NULL);
	agent_update_free(u);
	loop_timer_cancel(a->loop, t->retry_timer);
	t->retry_timer = 0;
	t->retry_ms = a->cfg.update_retry_ms;
	if (terminal && t->ended && t->head == NULL)
		t->want_forget = 1;
	else if (t->head != NULL)
		t->want_send = 1;
	agent_commit_soon(a, t);
}

void
agent_update_send_all(struct agent *a)
{
	const char *key;
	void *val;

	if (!agent_link_up(a))
		return;
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct task *t = val;
		for (struct update *u = t->head; u != NULL && on_disk(a, u); u = u->next)
			send_update(a, t->framework_id, t->task_id, u, NULL);
	}
}

void
agent_update_reset_retries(struct agent *a)
{
	const char *key;
	void *val;

	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct task *t = val;
		t->retry_ms = a->cfg.update_retry_ms;
		agent_update_send_head(a, t);
	}
}

/* --- the journal and commits ------------------------------------------------ */

void
agent_journal_task(struct agent *a, struct task *t)
{
	char grace[AGENT_STATE_MAX];
	char *res = res_to_string(&t->resources);

	snprintf(grace, sizeof(grace), "%lld", t->grace_ms);
	/* The executor fields come last: a NULL key ends the list where they are absent. */
	journal_fields(a, "TASK", t, "name", t->name, "role", t->role, "framework_name",
	    t->framework_name, "user", t->user, "failover_timeout", t->failover_timeout, "resources",
	    res, "sandbox", t->sandbox ? t->sandbox : "", "meta", t->meta ? t->meta : "", "grace_ms",
	    grace, t->executor_id ? "executor_id" : NULL, t->executor_id,
	    t->is_executor ? "kind" : NULL, "executor", (char *)NULL);
	free(res);
}

static const char *
fate_name(enum task_fate f)
{
	return f == FATE_FRAMEWORK_GONE ? "framework_gone" : f == FATE_SILENT ? "silent" : "tracked";
}

void
agent_journal_fate(struct agent *a, struct task *t)
{
	journal_fields(a, "FATE", t, "fate", fate_name(t->fate), (char *)NULL);
}

void
agent_journal_ended(struct agent *a, struct task *t)
{
	journal_fields(a, "ENDED", t, (char *)NULL);
}

void
agent_journal_started(struct agent *a, struct task *t)
{
	char pid[AGENT_STATE_MAX];

	snprintf(pid, sizeof(pid), "%ld", (long)t->task_pid);
	journal_fields(a, "STARTED", t, "pid", pid, (char *)NULL);
}

void
agent_journal_gone(struct agent *a, struct task *t)
{
	journal_fields(a, "GONE", t, (char *)NULL);
}

void
agent_journal_handed(struct agent *a, struct task *t)
{
	journal_fields(a, "HANDED", t, (char *)NULL);
}

void
agent_journal_relayed(struct agent *a, struct task *e)
{
	char seq[AGENT_STATE_MAX];

	snprintf(seq, sizeof(seq), "%llu", e->relay_seq);
	journal_fields(a, "RELAYED", e, "seq", seq, (char *)NULL);
}

/* The journal as a fresh file would hold it: only what is still true. */
static size_t
live_content(struct agent *a, struct buf *out)
{
	struct checkpoint_journal saved = a->journal;
	const char *key;
	void *val;
	size_t before;

	/* Reuse the record writers: point the journal's queue at out for a moment. */
	a->journal.pending = *out;
	before = a->journal.lines;
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct task *t = val;
		agent_journal_task(a, t);
		if (t->fate != FATE_TRACKED)
			agent_journal_fate(a, t);
		if (t->task_pid > 0)
			agent_journal_started(a, t);
		if (t->ended)
			agent_journal_ended(a, t);
		if (t->relay_seq > 0)
			agent_journal_relayed(a, t);
		if (t->handed)
			agent_journal_handed(a, t);
		for (struct update *u = t->head; u != NULL; u = u->next)
			journal_update(a, t, u);
	}
	*out = a->journal.pending;
	a->journal.pending = saved.pending;
	return a->journal.lines - before;
}

static int
compact(struct agent *a, char *err, size_t errlen)
{
	struct buf content;
	size_t lines;
	int rc;

	buf_init(&content, 0);
	lines = live_content(a, &content);
	rc = checkpoint_journal_rewrite(&a->journal, &content, lines, err, errlen);
	buf_free(&content);
	if (rc == 0) {
		a->compact_at = lines * COMPACT_GROWTH > COMPACT_MIN_LINES ? lines * COMPACT_GROWTH
		                                                          : COMPACT_MIN_LINES;
		log_debug("journal compacted to %zu records", lines);
	}
	return rc;
}

static void
on_commit_timer(struct loop *loop, void *arg)
{
	struct agent *a = arg;

	(void)loop;
	a->commit_timer = 0;
	agent_commit(a);
}

void
agent_commit_soon(struct agent *a, struct task *t)
{
	if (t != NULL && !t->in_commit) {
		t->in_commit = 1;
		t->commit_next = a->after_commit;
		a->after_commit = t;
	}
	if (a->commit_timer == 0)
		a->commit_timer = loop_timer_add(a->loop, 0, on_commit_timer, a);
}

/*
 * What waited for a commit. Starting a supervisor, telling one its end is
 * kept and acknowledging an executor's message need the records written: a
 * kill -9 of agentd loses nothing written. What goes to the master, and
 * forgetting, need them fsync'ed: a crash of the machine must not undo
 * what the framework was told.
 */
static void
run_ready(struct agent *a)
{
	struct task *list = a->after_commit, *waiting = NULL;

	a->after_commit = NULL;
	while (list != NULL) {
		struct task *t = list;
		int written = !a->journal_open || t->journal_gen <= a->written_gen;
		int synced = !a->journal_open || t->journal_gen <= a->synced_gen;

		list = t->commit_next;
		if (written && t->want_launch) {
			t->want_launch = 0;
			agent_task_launch(a, t);
		}
		if (written && t->want_exec_ack) {
			t->want_exec_ack = 0;
			agent_task_exec_ack(a, t);
		}
		if (written && t->relay_ack > 0)
			agent_executor_relay_ack(a, t);
		/* An update waits for its own record only, not for the ACK of the one before it. */
		if (t->want_send && on_disk(a, t->head)) {
			t->want_send = 0;
			agent_update_send_head(a, t);
		}
		if (!synced || t->want_send) {
			t->commit_next = waiting;   /* the rest waits for its fsync */
			waiting = t;
			continue;
		}
		t->commit_next = NULL;
		t->in_commit = 0;
		if (t->want_forget) {
			t->want_forget = 0;
			if (t->in_commit) {
				t->want_forget = 1;   /* queued again meanwhile: its turn comes next commit */
				continue;
			}
			agent_task_forget(a, t);
		}
	}
	while (waiting != NULL) {
		struct task *t = waiting;

		waiting = t->commit_next;
		t->commit_next = a->after_commit;
		a->after_commit = t;
	}
}

/* fsync what was written, in the background, unless an fsync is under way (its end comes back). */
static void
start_sync(struct agent *a)
{
	if (a->commit_inflight || a->syncer == NULL || a->synced_gen >= a->written_gen)
		return;
	if (syncer_start(a->syncer, a->journal.fd) == 0) {
		a->commit_inflight = 1;
		a->inflight_gen = a->written_gen;
	}
}

static void
on_sync_retry(struct loop *loop, void *arg)
{
	struct agent *a = arg;

	(void)loop;
	a->commit_timer = 0;
	start_sync(a);
	agent_commit(a);
}

static void
on_sync_done(struct loop *loop, int fd, int events, void *arg)
{
	struct agent *a = arg;
	int rc, errnum = 0;

	(void)loop;
	(void)fd;
	(void)events;
	rc = syncer_finish(a->syncer, 0, &errnum);
	if (rc == 0)
		return;
	a->commit_inflight = 0;
	if (rc == -1) {
		/* Nothing goes out that is not on disk first: try again in a while. */
		log_warnx("cannot fsync journal '%s': %s; retrying in %d ms", a->journal.path,
		    strerror(errnum), COMMIT_RETRY_MS);
		loop_timer_cancel(a->loop, a->commit_timer);
		a->commit_timer = loop_timer_add(a->loop, COMMIT_RETRY_MS, on_sync_retry, a);
		return;
	}
	a->synced_gen = a->inflight_gen;
	run_ready(a);
	start_sync(a);   /* what was written meanwhile */
	agent_maybe_finish_stop(a);
}

int
agent_commit_start(struct agent *a, char *err, size_t errlen)
{
	if ((a->syncer = syncer_new(err, errlen)) == NULL)
		return -1;
	loop_watch(a->loop, syncer_fd(a->syncer), LOOP_READ, on_sync_done, a);
	return 0;
}

/* Wait for the fsync under way, then fsync the rest here: at exit, or before the journal changes. */
static int
sync_now(struct agent *a, char *err, size_t errlen)
{
	int errnum = 0;

	if (a->commit_inflight) {
		a->commit_inflight = 0;
		if (syncer_finish(a->syncer, 1, &errnum) == 1)
			a->synced_gen = a->inflight_gen;
	}
	if (a->synced_gen >= a->written_gen)
		return 0;
	if (a->syncer == NULL) {
		if (checkpoint_journal_sync(&a->journal, err, errlen) == -1)
			return -1;
	} else if (syncer_fsync_here(a->syncer, a->journal.fd) == -1) {
		snprintf(err, errlen, "cannot fsync journal '%s': %s", a->journal.path, strerror(errno));
		return -1;
	}
	a->synced_gen = a->written_gen;
	return 0;
}

void
agent_commit_stop(struct agent *a)
{
	if (a->syncer == NULL)
		return;
	if (a->commit_inflight) {
		int errnum;

		(void)syncer_finish(a->syncer, 1, &errnum);
		a->commit_inflight = 0;
	}
	loop_unwatch(a->loop, syncer_fd(a->syncer));
	syncer_free(a->syncer);
	a->syncer = NULL;
}

void
agent_commit(struct agent *a)
{
	char err[AGENT_ERR_MAX];
	int rc = 0;

	loop_timer_cancel(a->loop, a->commit_timer);
	a->commit_timer = 0;
	if (a->journal_open) {
		uint64_t gen = a->journal_gen;
		/*
		 * Leaving, or with no thread: everything here and now, as it always
		 * was. Also while fsyncs are quick, unless the thread has one under
		 * way (waiting for it is what the thread is for).
		 */
		int here = a->syncer == NULL || a->detaching || a->stopping ||
		    (!a->commit_inflight && syncer_fast(a->syncer));

		if (a->journal.lines >= a->compact_at && !a->commit_inflight) {
			/* Temp, fsync, rename: everything in memory is on disk after it. */
			rc = compact(a, err, sizeof(err));
			if (rc == 0)
				a->written_gen = a->synced_gen = gen;
		} else if (checkpoint_journal_dirty(&a->journal)) {
			rc = checkpoint_journal_write(&a->journal, err, sizeof(err));
			if (rc == 0)
				a->written_gen = gen;
		}
		if (rc == 0 && here)
			rc = sync_now(a, err, sizeof(err));
		if (rc == 0 && a->written_gen == gen)
			a->journal_gen++;
	}
	if (rc == -1) {
		log_warnx("%s; retrying in %d ms", err, COMMIT_RETRY_MS);
		a->commit_timer = loop_timer_add(a->loop, COMMIT_RETRY_MS, on_commit_timer, a);
		return;
	}
	start_sync(a);
	run_ready(a);
	agent_maybe_finish_stop(a);
}

/* --- registration and recovery -------------------------------------------------- */

static char *
meta_path(const struct agent *a, const char *rest)
{
	return xstrfmt("%s/" META_DIR "/%s", a->work_dir, rest);
}

int
agent_checkpoint_registered(struct agent *a, const char *id, char *err, size_t errlen)
{
	char *dir, *info, *journal, *latest, *tmp;
	struct buf b;
	int rc = -1;

	if (a->journal_open && strcmp(a->agent_id, id) == 0)
		return 0;
	agent_checkpoint_close(a);
	dir = xstrfmt("%s/" META_DIR "/slaves/%s", a->work_dir, id);
	info = xstrfmt("%s/" SLAVE_INFO_FILE, dir);
	journal = xstrfmt("%s/" JOURNAL_FILE, dir);
	latest = meta_path(a, "slaves/latest");
	tmp = meta_path(a, "slaves/.latest.tmp");
	buf_init(&b, 0);
	proto_begin(&b, "SLAVE");
	proto_add(&b, "agent_id", id);
	proto_add(&b, "hostname", a->hostname);
	if (compat_mkdirs(dir, LAUNCHER_DIR_MODE, err, errlen) == -1 || proto_end(&b) == -1 ||
	    checkpoint_write(info, b.data, b.len, err, errlen) == -1)
		goto out;
	unlink(tmp);
	if (symlink(id, tmp) == -1 || rename(tmp, latest) == -1) {
		snprintf(err, errlen, "cannot link '%s': %s", latest, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (checkpoint_journal_open(&a->journal, journal, err, errlen) == -1)
		goto out;
	a->journal_open = 1;
	if (a->compact_at < COMPACT_MIN_LINES)
		a->compact_at = COMPACT_MIN_LINES;
	rc = 0;
out:
	buf_free(&b);
	free(dir);
	free(info);
	free(journal);
	free(latest);
	free(tmp);
	return rc;
}

void
agent_checkpoint_close(struct agent *a)
{
	char err[AGENT_ERR_MAX];

	if (!a->journal_open)
		return;
	if (checkpoint_journal_write(&a->journal, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	else
		a->written_gen = a->journal_gen;
	if (sync_now(a, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	checkpoint_journal_close(&a->journal);
	a->journal_open = 0;
}

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

static void
replay_task(struct agent *a, const struct proto_msg *m, const char *fw, const char *tid)
{
	struct task *t = agent_task_find(a, fw, tid);
	const char *sandbox = proto_get(m, "sandbox"), *meta = proto_get(m, "meta");
	const char *res = proto_get(m, "resources");
	char err[AGENT_ERR_MAX];
	long long grace;

	if (t != NULL)
		return;
	t = agent_task_new(a, fw, tid);
#define FIELD(name, dflt) (proto_get(m, name) ? proto_get(m, name) : (dflt))
	free(t->name);
	t->name = xstrdup(FIELD("name", tid));
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
		t->fate = FATE_SILENT;
	}
	/* A task of an executor has no supervisor of its own: it runs until told otherwise. */
	t->live = t->meta != NULL || (t->executor_id != NULL && !t->is_executor);
}

static void
replay_update(struct task *t, const struct proto_msg *m)
{
	const char *state = proto_get(m, "state"), *uuid = proto_get(m, "uuid");
	const char *healthy = proto_get(m, "healthy");
	const char *usage[AGENT_USAGE_FIELDS];
	char err[AGENT_ERR_MAX];
	struct update *u;
	double ts;

	if (state == NULL || uuid == NULL || strlen(uuid) != AGENT_UUID_HEX_LEN)
		return;
	for (size_t i = 0; i < AGENT_USAGE_FIELDS; i++)
		usage[i] = proto_get(m, agent_usage_keys[i]);
	u = update_new(state, proto_get(m, "source") ? proto_get(m, "source") : "SOURCE_AGENT",
	    proto_get(m, "reason"), proto_get(m, "message"),
	    healthy == NULL ? -1 : strcmp(healthy, "true") == 0, usage);
	xstrlcpy(u->uuid, uuid, sizeof(u->uuid));
	if (proto_get_double(m, "timestamp", u->timestamp, &ts, err, sizeof(err)) == 0)
		u->timestamp = ts;
	xstrlcpy(t->state, state, sizeof(t->state));
	append(t, u);
}

static void
replay_ack(struct task *t, const char *uuid)
{
	struct update **pp = &t->head, *prev = NULL;

	for (; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
		struct update *u = *pp;
		if (strcmp(u->uuid, uuid) != 0)
			continue;
		*pp = u->next;
		if (t->tail == u)
			t->tail = prev;
		agent_update_free(u);
		return;
	}
}

static void
replay_record(const struct proto_msg *m, void *arg)
{
	struct agent *a = arg;
	const char *fw = proto_get(m, "framework_id"), *tid = proto_get(m, "task_id");
	const char *fate = proto_get(m, "fate");
	struct task *t;

	if (fw == NULL || tid == NULL)
		return;
	if (strcmp(m->verb, "TASK") == 0) {
		replay_task(a, m, fw, tid);
		return;
	}
	if ((t = agent_task_find(a, fw, tid)) == NULL)
		return;
	if (strcmp(m->verb, "UPDATE") == 0) {
		replay_update(t, m);
	} else if (strcmp(m->verb, "ACK") == 0 && proto_get(m, "uuid") != NULL) {
		replay_ack(t, proto_get(m, "uuid"));
	} else if (strcmp(m->verb, "FATE") == 0 && fate != NULL) {
		t->fate = strcmp(fate, "framework_gone") == 0 ? FATE_FRAMEWORK_GONE
		        : strcmp(fate, "silent") == 0        ? FATE_SILENT
		                                             : FATE_TRACKED;
		if (t->fate != FATE_TRACKED)
			agent_update_drop(a, t);
	} else if (strcmp(m->verb, "HANDED") == 0) {
		t->handed = 1;
	} else if (strcmp(m->verb, "RELAYED") == 0 && proto_get(m, "seq") != NULL) {
		t->relay_seq = strtoull(proto_get(m, "seq"), NULL, DEC_BASE);
	} else if (strcmp(m->verb, "STARTED") == 0 && proto_get(m, "pid") != NULL) {
		t->task_pid = (pid_t)strtol(proto_get(m, "pid"), NULL, DEC_BASE);
	} else if (strcmp(m->verb, "ENDED") == 0) {
		t->ended = 1;
		t->live = 0;
	} else if (strcmp(m->verb, "GONE") == 0) {
		map_del(&a->tasks, t->key);
		agent_task_free(a, t);
	}
}

/*
 * The supervisor of a task we give up on or whose end we already have, if
 * one still runs: kill the task if need be, and let the supervisor go.
 */
static void
shut_down(struct agent *a, struct task *t)
{
	static const char shutdown_now[] = "SHUTDOWN grace_ms=0\n";
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
		struct task *t = val;
		shut_down(a, t);
		map_del(&a->tasks, key);
		agent_task_free(a, t);
	}
}

static void
check_boot(struct agent *a, int *rebooted)
{
	char boot[PROC_BOOT_ID_MAX], err[AGENT_ERR_MAX];
	char *path = meta_path(a, BOOT_ID_FILE);
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
	char *meta = meta_path(a, ""), *info = meta_path(a, "slaves/latest/" SLAVE_INFO_FILE);
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
	journal = xstrfmt("%s/" META_DIR "/slaves/%s/" JOURNAL_FILE, a->work_dir, id);
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
	if (agent_checkpoint_registered(a, a->agent_id, err, errlen) == -1)
		return -1;
	n = map_len(&a->tasks);
	log_info("recovering agent %s: %zu task(s) in the checkpoint%s", a->agent_id, n,
	    rebooted ? "; the machine rebooted since" : "");
	agent_executor_recover(a);
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct task *t = val;

		if (t->sandbox != NULL)
			agent_task_remember_sandbox(a, t->key, t->sandbox);
		if (t->ended || !t->live) {
			/* Its end is checkpointed; its supervisor may still wait to hear so. */
			shut_down(a, t);
			t->live = 0;
			if (t->head == NULL)
				t->want_forget = 1;
			else
				t->ended = 1;
			agent_commit_soon(a, t);
		} else if (rebooted) {
			shut_down(a, t);   /* none after a real reboot; a copied work dir may have some */
			t->live = 0;
			t->ended = 1;
			agent_journal_ended(a, t);
			agent_update(a, t, "TASK_LOST", "SOURCE_AGENT", "REASON_AGENT_RESTARTED",
			    "the agent's machine rebooted: the task is gone", -1, NULL);
			if (t->fate != FATE_TRACKED)
				t->want_forget = 1;
			agent_commit_soon(a, t);
		} else {
			agent_task_reattach(a, t);
		}
	}
	/* A fresh journal now: no torn tail from the crash is appended to. */
	if (compact(a, err, errlen) == -1)
		return -1;
	return 0;
}
