/*
 * agent_update.c: owns the agent's status update manager, as Mesos's:
 * every update gets a UUID, is written to the journal (agent_journal.c)
 * before it is sent, goes out in order per task, and is resent with
 * doubling intervals until the framework's acknowledgement comes back
 * through the master. One is in flight per task, as in Mesos, except that
 * those whose records reached the disk together go out together: a task's
 * TASK_STARTING waits for its TASK_RUNNING (agent_update_hold), so a launch
 * costs one round through the master and the framework less. Updates about tasks the agent does not
 * track go out once; leaving, every queued update goes out at once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"
#include "buf.h"
#include "compat.h"
#include "id.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "xmem.h"

void
agent_update_free(struct agent_update *u)
{
	free(u->source);
	free(u->reason);
	free(u->message);
	free(u);
}

/*
 * An update's UUID: 64 random bits drawn once per agentd run, then a count.
 * Unique within the run by the count and across runs by the draw, as a
 * fresh random UUID each would be, without a getrandom() per update (three
 * per task launched, of about fifty syscalls in all).
 */
#define UUID_HALF_HEX (AGENT_UUID_HEX_LEN / 2)

static void
update_uuid(char *out)
{
	static char prefix[UUID_HALF_HEX + 1];
	static uint64_t count;

	if (prefix[0] == '\0')
		id_random_hex(prefix, UUID_HALF_HEX);
	snprintf(out, AGENT_UUID_HEX_LEN + 1, "%s%016llx", prefix, (unsigned long long)++count);
}

static struct agent_update *
update_new(const char *state, const char *source, const char *reason, const char *message,
           int healthy, const struct proto_usage *usage)
{
	struct agent_update *u = xcalloc(1, sizeof(*u));

	update_uuid(u->uuid);
	xstrlcpy(u->state, state, sizeof(u->state));
	u->source = xstrdup(source);
	u->reason = reason ? xstrdup(reason) : NULL;
	u->message = message ? xstrdup(message) : NULL;
	u->timestamp = compat_wall_time();
	u->healthy = healthy;
	if (usage != NULL)
		u->usage = *usage;
	return u;
}

void
agent_update_compose(struct buf *b, const char *fw, const char *tid, const struct agent_update *u,
                     const char *latest)
{
	struct proto_status s = {
		.framework_id = fw, .task_id = tid, .state = u->state, .latest_state = latest,
		.uuid = u->uuid, .source = u->source, .reason = u->reason, .message = u->message,
		.healthy = u->healthy, .timestamp = u->timestamp, .usage = u->usage,
	};

	proto_status_compose(b, &s);
}

/* 0 when the test hook lost it. */
static int
send_update(struct agent *a, const char *fw, const char *tid, struct agent_update *u,
            const char *latest)
{
	struct buf b;

	if (a->drops_left > 0) {
		a->drops_left--;
		log_info("test hook: status update %s %s of %s/%s lost on purpose (%lld more to lose)",
		    u->state, u->uuid, fw, tid, (long long)a->drops_left);
		return 0;
	}
	buf_init(&b, 0);
	/* Mesos's latest_state: the master may free the resources of a task whose end waits in line. */
	agent_update_compose(&b, fw, tid, u, latest);
	agent_send_msg(a, &b);
	buf_free(&b);
	return 1;
}

void
agent_update_oneshot(struct agent *a, const char *fw, const char *tid, const char *state,
                     const char *source, const char *reason, const char *message)
{
	struct agent_update *u = update_new(state, source, reason, message, PROTO_HEALTHY_NONE, NULL);

	send_update(a, fw, tid, u, NULL);
	agent_update_free(u);
}

static void send_head(struct agent *a, struct agent_task *t);

static void
on_retry(struct loop *loop, void *arg)
{
	struct agent_task *t = arg;

	(void)loop;
	t->retry_timer = 0;
	t->retry_ms = t->retry_ms * 2 > AGENT_UPDATE_RETRY_MAX_MS ? AGENT_UPDATE_RETRY_MAX_MS
	                                                         : t->retry_ms * 2;
	log_debug("resending %s of task %s (unacknowledged)", t->head ? t->head->state : "?", t->key);
	send_head(t->agent, t);
}

/* agent_update's held: a TASK_STARTING waiting for what follows, then going with it. */
enum {
	HOLD_NONE,
	HOLD_TIMED,        /* until the next update is queued, or the hold timer ends */
	HOLD_FOR_NEXT,     /* until the next update's record is fsync'ed too */
};

/* Nothing goes out before its record is fsync'ed: the syncer may still be at it. */
static int
on_disk(const struct agent *a, const struct agent_update *u)
{
	return u == NULL || agent_journal_synced(a, u->journal_gen);
}

/* t's head can go out now: on disk, and so is the one it waited for. */
static int
head_ready(const struct agent *a, const struct agent_task *t)
{
	const struct agent_update *u = t->head;

	return u == NULL || (on_disk(a, u) && (u->held != HOLD_FOR_NEXT || on_disk(a, u->next)));
}

/*
 * Behind the head, what is on disk and not yet out goes too, in order: an
 * update waits for its own record, not for the acknowledgement of the one
 * before it, so a late acknowledgement (the master forwards them at its
 * leisure) delays nothing. One the test hook lost holds back those behind
 * it until its own resend, as a TCP connection would lose them: never one
 * past another. 0 while one of them waits for its fsync.
 */
static int
send_followers(struct agent *a, struct agent_task *t)
{
	for (struct agent_update *u = t->head; u != NULL; u = u->next) {
		if (u->lost)
			return 1;
		if (u->sent)
			continue;
		if (!on_disk(a, u))
			return 0;
		u->sent = 1;
		u->lost = !send_update(a, t->framework_id, t->task_id, u, t->tail->state);
	}
	return 1;
}

static void
send_head(struct agent *a, struct agent_task *t)
{
	if (t->head == NULL || !agent_link_up(a))
		return;
	if (!head_ready(a, t)) {
		agent_task_after_commit(a, t, AGENT_AFTER_SEND);   /* sent when its fsync ends */
		return;
	}
	t->head->sent = 1;
	t->head->held = HOLD_NONE;
	loop_timer_cancel(a->loop, t->retry_timer);
	t->retry_timer = loop_timer_add(a->loop, t->retry_ms, on_retry, t);
	t->head->lost = !send_update(a, t->framework_id, t->task_id, t->head, t->tail->state);
	if (!send_followers(a, t))
		agent_task_after_commit(a, t, AGENT_AFTER_SEND);
}

static void
on_hold_end(struct loop *loop, void *arg)
{
	struct agent_task *t = arg;

	(void)loop;
	t->retry_timer = 0;
	if (t->head != NULL && t->head->held == HOLD_TIMED) {
		t->head->held = HOLD_NONE;
		agent_task_after_commit(t->agent, t, AGENT_AFTER_SEND);
	}
}

void
agent_update_hold(struct agent *a, struct agent_task *t)
{
	if (t->head == NULL || t->head != t->tail || t->head->sent)
		return;
	t->head->held = HOLD_TIMED;
	t->after &= ~AGENT_AFTER_SEND;
	loop_timer_cancel(a->loop, t->retry_timer);
	t->retry_timer = loop_timer_add(a->loop, AGENT_STARTING_HOLD_MS, on_hold_end, t);
}

static void
append(struct agent_task *t, struct agent_update *u)
{
	if (t->tail != NULL)
		t->tail->next = u;
	else
		t->head = u;
	t->tail = u;
}

void
agent_update_queue(struct agent *a, struct agent_task *t, const char *state,
                   const char *source, const char *reason, const char *message, int healthy,
                   const struct proto_usage *usage)
{
	struct agent_update *u;
	int first;

	xstrlcpy(t->state, state, sizeof(t->state));
	if (t->fate != AGENT_FATE_TRACKED)
		return;
	u = update_new(state, source, reason, message, healthy, usage);
	first = t->head == NULL;
	append(t, u);
	agent_journal_update(a, t, u);
	if (first)
		t->retry_ms = a->cfg.update_retry_ms;
	if (!first && t->head->held == HOLD_TIMED) {
		/* What it waited for: both go out after this one's fsync. */
		t->head->held = HOLD_FOR_NEXT;
		loop_timer_cancel(a->loop, t->retry_timer);
		t->retry_timer = 0;
	}
	/* A held head goes with it; one already out does not wait for its acknowledgement. */
	agent_task_after_commit(a, t, t->head->held == HOLD_TIMED ? 0 : AGENT_AFTER_SEND);
}

void
agent_update_drop(struct agent *a, struct agent_task *t)
{
	while (t->head != NULL) {
		struct agent_update *u = t->head;
		t->head = u->next;
		agent_update_free(u);
	}
	t->tail = NULL;
	loop_timer_cancel(a->loop, t->retry_timer);
	t->retry_timer = 0;
}

void
agent_update_handle_ack(struct agent *a, const struct proto_msg *m)
{
	char err[AGENT_ERR_MAX];
	struct proto_ack ack;
	const char *fw, *tid, *uuid;
	struct agent_update *u;
	struct agent_task *t;
	unsigned work = 0;
	int terminal;

	if (proto_ack_parse(m, &ack, err, sizeof(err)) < 0 || ack.framework_id == NULL) {
		log_warnx("ACKNOWLEDGE ignored: %s", ack.framework_id == NULL ? "missing field "
		    "'framework_id'" : err);
		return;
	}
	fw = ack.framework_id;
	tid = ack.task_id;
	uuid = ack.uuid;
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
	agent_journal_ack(a, t, uuid);
	agent_update_free(u);
	loop_timer_cancel(a->loop, t->retry_timer);
	t->retry_timer = 0;
	t->retry_ms = a->cfg.update_retry_ms;
	if (terminal && t->ended && t->head == NULL)
		work = AGENT_AFTER_FORGET;
	else if (t->head != NULL && t->head->sent)
		t->retry_timer = loop_timer_add(a->loop, t->retry_ms, on_retry, t);   /* went with the last */
	else if (t->head != NULL)
		work = AGENT_AFTER_SEND;
	agent_task_after_commit(a, t, work);
}

void
agent_update_send_all(struct agent *a)
{
	const char *key;
	void *val;

	if (!agent_link_up(a))
		return;
	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		for (struct agent_update *u = t->head; u != NULL && on_disk(a, u); u = u->next)
			send_update(a, t->framework_id, t->task_id, u, NULL);
	}
}

void
agent_update_reset_retries(struct agent *a)
{
	const char *key;
	void *val;

	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		t->retry_ms = a->cfg.update_retry_ms;
		send_head(a, t);
	}
}

int
agent_update_committed(struct agent *a, struct agent_task *t)
{
	if (t->head == NULL || !agent_link_up(a))
		return 1;   /* the link's return sends them all */
	if (t->head->sent)
		return send_followers(a, t);
	if (!head_ready(a, t))
		return 0;
	send_head(a, t);
	return 1;
}

/* --- from the journal ---------------------------------------------------------- */

void
agent_update_replay(struct agent_task *t, const struct proto_status *s)
{
	struct agent_update *u;

	if (s->uuid == NULL || strlen(s->uuid) != AGENT_UUID_HEX_LEN)
		return;
	u = update_new(s->state, s->source ? s->source : "SOURCE_AGENT", s->reason, s->message,
	    s->healthy, &s->usage);
	xstrlcpy(u->uuid, s->uuid, sizeof(u->uuid));
	if (s->timestamp > 0)
		u->timestamp = s->timestamp;
	xstrlcpy(t->state, s->state, sizeof(t->state));
	append(t, u);
}

void
agent_update_replay_ack(struct agent_task *t, const char *uuid)
{
	struct agent_update **pp = &t->head, *prev = NULL;

	for (; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
		struct agent_update *u = *pp;
		if (strcmp(u->uuid, uuid) != 0)
			continue;
		*pp = u->next;
		if (t->tail == u)
			t->tail = prev;
		agent_update_free(u);
		return;
	}
}
