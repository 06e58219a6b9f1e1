/*
 * master_task.c: tasks in the master: their states and status history,
 * the updates sent to frameworks, kills sent to agents, the return of a
 * finished task's resources to the pool, and each framework's ring of
 * completed tasks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "http.h"
#include "id.h"
#include "log.h"
#include "loop.h"
#include "master.h"
#include "net.h"
#include "proto.h"
#include "xmem.h"

/* ---------------------------------------------------------------- tasks */

char *
master_task_key(const char *fw_id, const char *task_id)
{
	return xstrfmt("%s/%s", fw_id, task_id);
}

struct master_task *
master_task_new(struct master_framework *fw, struct master_agent *a, const char *id,
                const char *name, const struct res *r)
{
	struct master_task *t = xcalloc(1, sizeof(*t));
	t->id = xstrdup(id);
	t->name = xstrdup(name && *name ? name : id);
	t->fw = fw;
	t->agent_id = xstrdup(a->id);
	res_copy(&t->resources, r);
	t->started = compat_wall_time();
	map_put(&fw->tasks, id, t);
	char *key = master_task_key(fw->id, id);
	map_put(&a->tasks, key, t);
	free(key);
	res_add(&a->used, r);
	return t;
}

const char *
master_task_user(const struct master_task *t)
{
	return t->user != NULL ? t->user : t->fw->user;
}

void
master_task_free(struct master_task *t)
{
	for (size_t i = 0; i < t->nstatuses; i++) {
		free(t->statuses[i].message);
		free(t->statuses[i].reason);
		free(t->statuses[i].source);
		free(t->statuses[i].uuid);
	}
	free(t->statuses);
	free(t->id);
	free(t->name);
	free(t->agent_id);
	free(t->user);
	res_free(&t->resources);
	free(t);
}

static struct master_task_status *
status_of(const struct master_task *t, const char *uuid)
{
	if (!uuid || !*uuid)
		return NULL;
	for (size_t i = t->nstatuses; i-- > 0;)
		if (t->statuses[i].uuid && strcmp(t->statuses[i].uuid, uuid) == 0)
			return &t->statuses[i];
	return NULL;
}

int
master_task_acked(const struct master_task *t, const char *uuid)
{
	const struct master_task_status *s = status_of(t, uuid);

	return s != NULL && s->acked;
}

void
master_task_mark_acked(struct master_framework *fw, const char *task_id, const char *uuid)
{
	struct master_task *t = map_get(&fw->tasks, task_id);
	struct master_task_status *s;

	if (t == NULL)
		t = master_task_find_completed(fw, task_id);
	if (t != NULL && (s = status_of(t, uuid)) != NULL)
		s->acked = 1;
}

int
master_task_has_uuid(const struct master_task *t, const char *uuid)
{
	if (!uuid || !*uuid)
		return 0;
	for (size_t i = 0; i < t->nstatuses; i++)
		if (t->statuses[i].uuid && strcmp(t->statuses[i].uuid, uuid) == 0)
			return 1;
	return 0;
}

void
master_task_record(struct master_task *t, const char *state, const char *source,
                   const char *reason, const char *message, const char *uuid, double ts)
{
	struct master_task_status *s;

	if (t->nstatuses < MASTER_TASK_STATUSES_MAX) {
		if (t->nstatuses == t->capstatuses) {
			t->capstatuses = t->capstatuses ? 2 * t->capstatuses : MASTER_TASK_STATUSES_FIRST;
			if (t->capstatuses > MASTER_TASK_STATUSES_MAX)
				t->capstatuses = MASTER_TASK_STATUSES_MAX;
			t->statuses = xreallocarray(t->statuses, t->capstatuses, sizeof(*t->statuses));
		}
		s = &t->statuses[t->nstatuses++];
	} else {
		/* Keep the first status (when it was staged) and the most recent ones. */
		struct master_task_status *drop = &t->statuses[1];
		free(drop->message);
		free(drop->reason);
		free(drop->source);
		free(drop->uuid);
		memmove(&t->statuses[1], &t->statuses[2],
		        (MASTER_TASK_STATUSES_MAX - 2) * sizeof(t->statuses[0]));
		s = &t->statuses[MASTER_TASK_STATUSES_MAX - 1];
	}
	memset(s, 0, sizeof(*s));
	xstrlcpy(s->state, state, sizeof(s->state));
	s->message = message && *message ? xstrdup(message) : NULL;
	s->reason = reason && *reason ? xstrdup(reason) : NULL;
	s->source = source && *source ? xstrdup(source) : NULL;
	s->uuid = uuid && *uuid ? xstrdup(uuid) : NULL;
	s->timestamp = ts;
	s->healthy = -1;
	t->statuses_total++;
	xstrlcpy(t->state, state, sizeof(t->state));
}

static void
count_terminal(struct master *m, const char *state)
{
	if (strcmp(state, "TASK_FINISHED") == 0)
		m->metrics.tasks_finished++;
	else if (strcmp(state, "TASK_FAILED") == 0)
		m->metrics.tasks_failed++;
	else if (strcmp(state, "TASK_KILLED") == 0)
		m->metrics.tasks_killed++;
	else if (strcmp(state, "TASK_LOST") == 0)
		m->metrics.tasks_lost++;
	else if (strcmp(state, "TASK_ERROR") == 0)
		m->metrics.tasks_error++;
	else if (strcmp(state, "TASK_DROPPED") == 0)
		m->metrics.tasks_dropped++;
	else if (strcmp(state, "TASK_UNREACHABLE") == 0)
		m->metrics.tasks_unreachable++;
}

static void
framework_add_completed_task(struct master *m, struct master_framework *fw, struct master_task *t)
{
	size_t max = (size_t)m->cfg.max_completed_tasks_per_framework;

	if (max == 0) {
		master_task_free(t);
		return;
	}
	if (!fw->completed) {
		fw->completed = xcalloc(max, sizeof(*fw->completed));
		fw->completed_cap = max;
	}
	if (fw->ncompleted < max) {
		fw->completed[(fw->completed_head + fw->ncompleted) % max] = t;
		fw->ncompleted++;
	} else {
		master_task_free(fw->completed[fw->completed_head]);
		fw->completed[fw->completed_head] = t;
		fw->completed_head = (fw->completed_head + 1) % max;
	}
}

size_t
master_task_completed_count(const struct master_framework *fw)
{
	return fw->ncompleted;
}

struct master_task *
master_task_completed_at(const struct master_framework *fw, size_t i)
{
	return fw->completed[(fw->completed_head + i) % fw->completed_cap];
}

struct master_task *
master_task_find_completed(const struct master_framework *fw, const char *task_id)
{
	for (size_t i = fw->ncompleted; i-- > 0;) {
		struct master_task *t = master_task_completed_at(fw, i);
		if (strcmp(t->id, task_id) == 0)
			return t;
	}
	return NULL;
}

/*
 * A task reached a terminal state: its resources go back to the pool at
 * once (the agent keeps resending the update until it is acknowledged),
 * and it moves to the framework's completed tasks.
 */
static void
task_terminal(struct master *m, struct master_task *t)
{
	struct master_framework *fw = t->fw;
	struct master_agent *a = map_get(&m->agents, t->agent_id);

	count_terminal(m, t->state);
	map_del(&fw->tasks, t->id);
	if (a) {
		char *key = master_task_key(fw->id, t->id);
		map_del(&a->tasks, key);
		free(key);
		res_sub(&a->used, &t->resources);
		if (fw->alloc && a->alloc)
			alloc_recover(m->alloc, fw->alloc, a->alloc, &t->resources, 0, loop_now(m->loop));
		master_offer_allocate_soon(m);
	}
	framework_add_completed_task(m, fw, t);
}

void
master_task_send_status(struct master *m, struct master_framework *fw, const struct master_task *t,
                        const char *uuid)
{
	const struct master_task_status *s = t->nstatuses ? &t->statuses[t->nstatuses - 1] : NULL;
	struct proto_status st = {
		.framework_id = fw->id, .task_id = t->id, .agent_id = t->agent_id, .state = t->state,
		.uuid = uuid, .healthy = PROTO_HEALTHY_NONE,
	};

	if (!fw->peer)
		return;
	/*
	 * A resent update goes out as it first did, not as the task's latest:
	 * an agent may have several of a task's updates unacknowledged (sent
	 * together), and a TASK_STARTING resent after its TASK_RUNNING must not
	 * reach the framework as a second TASK_RUNNING.
	 */
	for (size_t i = t->nstatuses; uuid != NULL && i-- > 0;) {
		if (t->statuses[i].uuid != NULL && strcmp(t->statuses[i].uuid, uuid) == 0) {
			s = &t->statuses[i];
			st.state = s->state;
			break;
		}
	}
	if (s) {
		st.source = s->source;
		st.reason = s->reason;
		st.message = s->message;
		st.healthy = s->healthy;
		st.timestamp = s->timestamp;
	}
	if (proto_state_terminal(st.state))
		st.usage = t->usage;
	proto_status_compose(master_out(m), &st);
	master_send(m, fw->peer);
}

/* Record a new state (with the agent's health result and usage, if any) and tell the framework. */
static void
task_update(struct master *m, struct master_task *t, const char *state, const char *source,
            const char *reason, const char *message, const char *uuid, double ts, int forward,
            int healthy, const struct proto_usage *usage)
{
	master_task_record(t, state, source, reason, message, uuid, ts);
	t->statuses[t->nstatuses - 1].healthy = healthy;
	if (usage && usage->known)
		t->usage = *usage;
	if (forward)
		master_task_send_status(m, t->fw, t, uuid);
	/*
	 * TASK_UNREACHABLE is not terminal (the task may come back), but the
	 * master lets go of it as of a terminal one: its agent's resources have
	 * left the pool; a return re-adopts it (master_agent.c).
	 */
	if (proto_state_terminal(state) || strcmp(state, "TASK_UNREACHABLE") == 0)
		task_terminal(m, t);
}

/*
 * Record a new state for t and tell its framework. Terminal states free
 * the task's resources (and may free t: the caller must not use t after).
 */
void
master_task_update(struct master *m, struct master_task *t, const char *state,
                   const char *source, const char *reason, const char *message, const char *uuid,
                   double ts, int forward)
{
	task_update(m, t, state, source, reason, message, uuid, ts, forward, PROTO_HEALTHY_NONE, NULL);
}

void
master_task_agent_update(struct master *m, struct master_task *t, const char *state,
                         const char *source, const char *reason, const char *message,
                         const char *uuid, double ts, int healthy,
                         const struct proto_usage *usage)
{
	task_update(m, t, state, source, reason, message, uuid, ts, 1, healthy, usage);
}

/*
 * Within this an acknowledgement reaches its agent, which only then forgets
 * the update (and stops resending it, after 10 s at the soonest): it waits
 * for the next message to that agent (a launch, another acknowledgement's
 * turn) instead of waking the agent on its own. The agent sends a task's
 * next update without waiting for it.
 */
#define ACK_LAZY_MS 20

void
master_task_forward_ack(struct master *m, struct master_peer *agent, const struct proto_ack *ack)
{
	proto_ack_compose(master_out(m), ack);
	if (proto_end(&m->out) < 0) {
		log_warnx("dropping an outgoing message over %d bytes", PROTO_LINE_MAX);
		return;
	}
	if (agent->conn != NULL && !conn_is_closing(agent->conn))
		(void)conn_send_lazy(agent->conn, m->out.data, m->out.len, ACK_LAZY_MS);
}

/* A status update about a task the master does not track (reconciliation, unknown kill). */
void
master_task_send_unknown(struct master_framework *fw, const char *task_id,
                         const char *agent_id, const char *state, const char *reason,
                         const char *message)
{
	struct master *m = fw->m;
	struct proto_status st = {
		.framework_id = fw->id, .task_id = task_id,
		.agent_id = agent_id && *agent_id ? agent_id : NULL, .state = state,
		.source = "SOURCE_MASTER", .reason = reason, .message = message,
		.healthy = PROTO_HEALTHY_NONE, .timestamp = compat_wall_time(),
	};

	if (!fw->peer)
		return;
	proto_status_compose(master_out(m), &st);
	master_send(m, fw->peer);
}

/* Kill a live task on its agent; returns 0, or -1 with the reason in err. */
int
master_task_kill(struct master *m, struct master_task *t, const char *grace_ms, char *err,
                 size_t errlen)
{
	struct master_agent *a = map_get(&m->agents, t->agent_id);
	if (!a || !a->peer) {
		snprintf(err, errlen, "agent %s of task %s is not connected", t->agent_id, t->id);
		return -1;
	}
	master_msg(m, "KILL_TASK");
	proto_add(&m->out, "framework_id", t->fw->id);
	proto_add(&m->out, "task_id", t->id);
	if (grace_ms)
		proto_add(&m->out, "grace_ms", grace_ms);
	master_send(m, a->peer);
	return 0;
}
