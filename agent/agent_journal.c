/*
 * agent_journal.c: owns the agent's checkpoint journal, so that nothing
 * the agent starts or tells the master is lost by a crash: its records (one
 * a line, in the wire's spelling), the group commit (one write for all that
 * changed in a pass of the loop, then the launches that waited for it; one
 * fsync in the background, syncer.h, for all written meanwhile, then the
 * sends that waited for that), the generations that say how far commits
 * got, the compaction that keeps it short, and the checkpoint of a
 * registration (the agent ID, its journal opened) and its close. What a
 * task waits for is the task's to know (agent_task_committed): the journal
 * keeps only the list of those waiting and the generations.
 *
 * On disk (work_dir/meta):
 *   boot_id                          the boot the checkpoint belongs to
 *                                    (agent_recover.c)
 *   slaves/latest -> AGENT_ID        the last registration
 *   slaves/AGENT_ID/slave.info       SLAVE agent_id= hostname=
 *   slaves/AGENT_ID/task.updates     the journal: TASK, STARTED, STATUS_UPDATE
 *                                    (as it goes to the master; UPDATE in
 *                                    journals of before 2026-12), ACK, FATE,
 *                                    ENDED, GONE and (executors) RELAYED and
 *                                    HANDED records, one a line
 *   slaves/AGENT_ID/runs/RUN.sock    a supervisor's socket while agentd is
 *   slaves/AGENT_ID/runs/RUN.status  away and its task's end if it came then
 *                                    (sup/sup.h); RUN is the sandbox's run ID
 */
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
#include "sup/launcher.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "syncer.h"
#include "xmem.h"

#define COMPACT_MIN_LINES 4096          /* never compact a journal shorter than this */
#define COMPACT_GROWTH 4                /* compact when it is this many times its live size */
#define COMMIT_RETRY_MS 1000            /* after a failed write of the journal */

/* FATE records spell a task's fate so. */
static const char *const fate_names[] = {
	[AGENT_FATE_TRACKED] = "tracked",
	[AGENT_FATE_FRAMEWORK_GONE] = "framework_gone",
	[AGENT_FATE_SILENT] = "silent",
};

/* --- records ------------------------------------------------------------------ */

static void
journal_add(struct agent *a, struct agent_task *t, struct buf *b)
{
	if (!a->journal_open)
		return;
	if (checkpoint_journal_add(&a->journal, b) == -1)
		log_warnx("journal record over the line limit: not checkpointed");
	t->journal_gen = a->journal_gen;   /* what waits for the commit of t waits for this one */
}

void
agent_journal_update(struct agent *a, struct agent_task *t, struct agent_update *u)
{
	struct buf b;

	buf_init(&b, 0);
	agent_update_compose(&b, t->framework_id, t->task_id, u, NULL);
	journal_add(a, t, &b);
	u->journal_gen = a->journal_gen;
	buf_free(&b);
}

static void
journal_fields(struct agent *a, const char *verb, struct agent_task *t, ...)
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
agent_journal_ack(struct agent *a, struct agent_task *t, const char *uuid)
{
	journal_fields(a, "ACK", t, "uuid", uuid, (char *)NULL);
}

void
agent_journal_task(struct agent *a, struct agent_task *t)
{
	char grace[AGENT_STATE_MAX];
	char *res = res_to_string(&t->resources);

	snprintf(grace, sizeof(grace), "%lld", t->grace_ms);
	/* The executor fields come last: a NULL key ends the list where they are absent. */
	/*
	 * Its state too: compaction drops acknowledged updates, and a task
	 * replayed without it would re-register as TASK_STAGING.
	 */
	journal_fields(a, "TASK", t, "state", t->state, "name", t->name, "role", t->role, "framework_name",
	    t->framework_name, "user", t->user, "failover_timeout", t->failover_timeout, "resources",
	    res, "sandbox", t->sandbox ? t->sandbox : "", "meta", t->meta ? t->meta : "", "grace_ms",
	    grace, t->executor_id ? "executor_id" : NULL, t->executor_id,
	    t->is_executor ? "kind" : NULL, "executor", (char *)NULL);
	free(res);
}

void
agent_journal_fate(struct agent *a, struct agent_task *t)
{
	journal_fields(a, "FATE", t, "fate", fate_names[t->fate], (char *)NULL);
}

enum agent_task_fate
agent_journal_fate_named(const char *name)
{
	for (size_t i = 0; i < sizeof(fate_names) / sizeof(fate_names[0]); i++)
		if (strcmp(name, fate_names[i]) == 0)
			return (enum agent_task_fate)i;
	return AGENT_FATE_TRACKED;
}

void
agent_journal_ended(struct agent *a, struct agent_task *t)
{
	journal_fields(a, "ENDED", t, (char *)NULL);
}

void
agent_journal_started(struct agent *a, struct agent_task *t)
{
	char pid[AGENT_STATE_MAX];

	snprintf(pid, sizeof(pid), "%ld", (long)t->task_pid);
	journal_fields(a, "STARTED", t, "pid", pid, (char *)NULL);
}

void
agent_journal_gone(struct agent *a, struct agent_task *t)
{
	journal_fields(a, "GONE", t, (char *)NULL);
}

void
agent_journal_handed(struct agent *a, struct agent_task *t)
{
	journal_fields(a, "HANDED", t, (char *)NULL);
}

void
agent_journal_relayed(struct agent *a, struct agent_task *e)
{
	char seq[AGENT_STATE_MAX];

	snprintf(seq, sizeof(seq), "%llu", e->relay_seq);
	journal_fields(a, "RELAYED", e, "seq", seq, (char *)NULL);
}

/* --- compaction ---------------------------------------------------------------- */

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
		struct agent_task *t = val;
		agent_journal_task(a, t);
		if (t->fate != AGENT_FATE_TRACKED)
			agent_journal_fate(a, t);
		if (t->task_pid > 0)
			agent_journal_started(a, t);
		if (t->ended)
			agent_journal_ended(a, t);
		if (t->relay_seq > 0)
			agent_journal_relayed(a, t);
		if (t->handed)
			agent_journal_handed(a, t);
		for (struct agent_update *u = t->head; u != NULL; u = u->next)
			agent_journal_update(a, t, u);
	}
	*out = a->journal.pending;
	a->journal.pending = saved.pending;
	return a->journal.lines - before;
}

/* An fsync covering gen has ended. */
static void
synced_to(struct agent *a, uint64_t gen)
{
	a->synced_gen = gen;
	if (gen >= a->written_gen)
		a->sync_due = 0;
}

int
agent_journal_compact(struct agent *a, char *err, size_t errlen)
{
	struct buf content;
	size_t lines;
	int rc;

	buf_init(&content, 0);
	lines = live_content(a, &content);
	rc = checkpoint_journal_rewrite(&a->journal, &content, lines, err, errlen);
	buf_free(&content);
	if (rc == 0) {
		/* Temp, fsync, rename: every record so far is on disk, whoever compacted. */
		a->written_gen = a->journal_gen;
		synced_to(a, a->journal_gen);
		a->compact_at = lines * COMPACT_GROWTH > COMPACT_MIN_LINES ? lines * COMPACT_GROWTH
		                                                          : COMPACT_MIN_LINES;
		log_debug("journal compacted to %zu records", lines);
	}
	return rc;
}

/* --- commits ------------------------------------------------------------------- */

/* Every record of commit gen is written (kill -9 safe), or there is no journal. */
static int
all_written(const struct agent *a, uint64_t gen)
{
	return !a->journal_open || gen <= a->written_gen;
}

int
agent_journal_synced(const struct agent *a, uint64_t gen)
{
	return !a->journal_open || gen <= a->synced_gen;
}

static void
on_commit_timer(struct loop *loop, void *arg)
{
	struct agent *a = arg;

	(void)loop;
	a->commit_timer = 0;
	agent_journal_commit(a);
}

void
agent_journal_commit_soon(struct agent *a, struct agent_task *t)
{
	if (t != NULL && !t->in_commit && t != a->committing) {
		t->in_commit = 1;
		t->commit_next = a->after_commit;
		a->after_commit = t;
	}
	if (a->commit_timer == 0)
		a->commit_timer = loop_timer_add(a->loop, 0, on_commit_timer, a);
}

/*
 * What waited for a commit: each task on the list is told how far its
 * records got and says whether it still waits (agent_task_committed knows
 * what each kind of work needs). While its work runs a task is off the list
 * (its work may forget it), and asking for a commit then does not put it
 * back: it stays off or waits as it says.
 */
static void
run_ready(struct agent *a)
{
	struct agent_task *list = a->after_commit, *waiting = NULL;

	a->after_commit = NULL;
	while (list != NULL) {
		struct agent_task *t = list;
		int written = all_written(a, t->journal_gen);
		int synced = agent_journal_synced(a, t->journal_gen);
		int waits;

		list = t->commit_next;
		t->commit_next = NULL;
		t->in_commit = 0;
		a->committing = t;
		waits = agent_task_committed(a, t, written, synced);
		a->committing = NULL;
		if (waits) {
			t->in_commit = 1;
			t->commit_next = waiting;   /* the rest waits for its fsync */
			waiting = t;
		}
	}
	while (waiting != NULL) {
		struct agent_task *t = waiting;

		waiting = t->commit_next;
		t->commit_next = a->after_commit;
		a->after_commit = t;
	}
}

/*
 * Whether written records must be fsync'ed now: something waits for them.
 * An update going out does (the master must never hear what the agent
 * might not know after a crash); launches and a supervisor's ACK need only
 * the write. A task being forgotten waits for its records' fsync too, but
 * does not call for one: nothing outside sees it go, so it rides with the
 * next update's fsync, which a busy agent does within milliseconds, or the
 * lazy one. Records nothing waits for (TASK, ACK, GONE, ...) ride the same
 * way (arm_lazy_sync): one fdatasync for the records of every task written
 * before it, instead of one for each pass of the loop.
 */
static int
sync_awaited(const struct agent *a)
{
	if (a->sync_due || a->detaching || a->stopping)
		return 1;
	for (const struct agent_task *t = a->after_commit; t != NULL; t = t->commit_next)
		if (t->after & AGENT_AFTER_SEND)
			return 1;
	return 0;
}

static void
on_lazy_sync(struct loop *loop, void *arg)
{
	struct agent *a = arg;

	(void)loop;
	a->lazy_sync_timer = 0;
	if (a->synced_gen >= a->written_gen)
		return;
	a->sync_due = 1;
	agent_journal_commit(a);
}

/* What is written and not fsync'ed reaches the disk within AGENT_LAZY_SYNC_MS, however quiet the agent. */
static void
arm_lazy_sync(struct agent *a)
{
	if (a->lazy_sync_timer == 0 && a->journal_open && a->synced_gen < a->written_gen)
		a->lazy_sync_timer = loop_timer_add(a->loop, AGENT_LAZY_SYNC_MS, on_lazy_sync, a);
}

/*
 * fsync what was written, in the background, unless an fsync is under way
 * (its end comes back) or nothing waits for it yet.
 */
static void
start_sync(struct agent *a)
{
	if (a->commit_inflight || a->syncer == NULL || a->synced_gen >= a->written_gen)
		return;
	if (!sync_awaited(a)) {
		arm_lazy_sync(a);
		return;
	}
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
	agent_journal_commit(a);
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
	synced_to(a, a->inflight_gen);
	run_ready(a);
	start_sync(a);   /* what was written meanwhile */
	agent_maybe_finish_stop(a);
}

int
agent_journal_syncer_start(struct agent *a, char *err, size_t errlen)
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
			synced_to(a, a->inflight_gen);
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
	synced_to(a, a->written_gen);
	return 0;
}

void
agent_journal_syncer_stop(struct agent *a)
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
agent_journal_commit(struct agent *a)
{
	char err[AGENT_ERR_MAX];
	int rc = 0, trouble = 0;

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
			if (agent_journal_compact(a, err, sizeof(err)) == -1) {
				/*
				 * No room for a new file (a full disk): the lines still go in,
				 * over the zeros kept ahead of them, and the compaction is
				 * tried again in a while.
				 */
				agent_journal_condition(a, err);
				trouble = 1;
			}
		}
		if (a->written_gen != gen && checkpoint_journal_dirty(&a->journal)) {
			rc = checkpoint_journal_write(&a->journal, err, sizeof(err));
			if (rc == 0)
				a->written_gen = gen;
		}
		if (rc == 0 && here && sync_awaited(a))
			rc = sync_now(a, err, sizeof(err));
		if (rc == 0 && a->written_gen == gen)
			a->journal_gen++;
	}
	if (rc == -1) {
		agent_journal_condition(a, err);
		a->commit_timer = loop_timer_add(a->loop, COMMIT_RETRY_MS, on_commit_timer, a);
		return;
	}
	if (trouble)
		a->commit_timer = loop_timer_add(a->loop, COMMIT_RETRY_MS, on_commit_timer, a);
	else if (a->journal_open)
		agent_journal_condition(a, NULL);
	start_sync(a);
	run_ready(a);
	arm_lazy_sync(a);
	agent_maybe_finish_stop(a);
}

/* --- the registration's checkpoint ------------------------------------------------- */

char *
agent_journal_meta_path(const struct agent *a, const char *rest)
{
	return xstrfmt("%s/" AGENT_META_DIR "/%s", a->work_dir, rest);
}

static int
same_content(const char *path, const struct buf *want)
{
	char err[AGENT_ERR_MAX];
	struct buf have;
	int missing, same;

	buf_init(&have, 0);
	same = checkpoint_read(path, want->len + 1, &have, &missing, err, sizeof(err)) == 0 &&
	    have.len == want->len && memcmp(have.data, want->data, want->len) == 0;
	buf_free(&have);
	return same;
}

static int
links_to(const char *link, const char *target)
{
	char have[AGENT_ERR_MAX];
	ssize_t n = readlink(link, have, sizeof(have) - 1);

	if (n < 0)
		return 0;
	have[n] = '\0';
	return strcmp(have, target) == 0;
}

void
agent_journal_report(struct agent *a)
{
	if (!a->checkpoint_failing)
		return;
	agent_send_fields(a, "AGENT_CONDITION", "disk_full", "true", "reason", a->checkpoint_error,
	    (char *)NULL);
}

void
agent_journal_condition(struct agent *a, const char *err)
{
	if (err == NULL) {
		if (!a->checkpoint_failing)
			return;
		a->checkpoint_failing = 0;
		a->checkpoint_error[0] = '\0';
		log_info("checkpoints are written again");
		agent_send_fields(a, "AGENT_CONDITION", "disk_full", "false", (char *)NULL);
		return;
	}
	if (a->checkpoint_failing) {
		log_debug("%s; retrying", err);
		return;
	}
	a->checkpoint_failing = 1;
	xstrlcpy(a->checkpoint_error, err, sizeof(a->checkpoint_error));
	log_warnx("%s; the agent goes on, holding back what must be on disk first, and retries "
	    "every %d ms", err, COMMIT_RETRY_MS);
	agent_journal_report(a);
}

int
agent_journal_open(struct agent *a, const char *id, char *err, size_t errlen)
{
	char *dir, *info, *journal, *latest, *tmp;
	struct buf b;
	int rc = -1;

	if (a->journal_open && strcmp(a->agent_id, id) == 0)
		return 0;
	agent_journal_close(a);
	dir = xstrfmt("%s/" AGENT_META_DIR "/slaves/%s", a->work_dir, id);
	info = xstrfmt("%s/" AGENT_SLAVE_INFO_FILE, dir);
	journal = xstrfmt("%s/" AGENT_JOURNAL_FILE, dir);
	latest = agent_journal_meta_path(a, "slaves/latest");
	tmp = agent_journal_meta_path(a, "slaves/.latest.tmp");
	buf_init(&b, 0);
	proto_begin(&b, "SLAVE");
	proto_add(&b, "agent_id", id);
	proto_add(&b, "hostname", a->hostname);
	/*
	 * What already says the same is left alone: a recovering agent whose
	 * disk is full needs no new file to take its tasks back.
	 */
	if (compat_mkdirs(dir, LAUNCHER_DIR_MODE, err, errlen) == -1 || proto_end(&b) == -1 ||
	    (!same_content(info, &b) && checkpoint_write(info, b.data, b.len, err, errlen) == -1))
		goto out;
	if (links_to(latest, id))
		;
	else if (unlink(tmp), symlink(id, tmp) == -1 || rename(tmp, latest) == -1) {
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
agent_journal_close(struct agent *a)
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
	loop_timer_cancel(a->loop, a->lazy_sync_timer);
	a->lazy_sync_timer = 0;
	checkpoint_journal_close(&a->journal);
	a->journal_open = 0;
}
