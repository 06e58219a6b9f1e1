/*
 * master_agent.c: agents as the master sees them: registration and
 * re-registration with their running tasks (after either side restarted),
 * pings and failure detection, removal (tasks lost, resources leave the
 * pool), and the status updates agents send.
 */
#include <errno.h>
#include <stdint.h>
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

/* ---------------------------------------------------------------- agents */

/*
 * Agent pings fire on a grid of this many ms, so that the pings of
 * thousands of agents go out in a few loop turns a second instead of one
 * turn (one poll() over every connection) per agent: at 10,000 agents the
 * turns, not the pings, were the cost. A ping is at most this much late
 * (or PING_GRID_SHARE-th of the interval, if that is less). Each tick
 * costs about two turns (the pings, then their replies, which the loop
 * gathers: loop.c); at 10,000 agents a turn costs 3-5 ms, so a 50 ms grid
 * (40 turns a second) spent more on poll() than on the pings.
 */
#define PING_GRID_MS 200
/* A short ping interval gets a finer grid: at most this share of it late. */
#define PING_GRID_SHARE 5

static void agent_ping(struct loop *loop, void *arg);

/*
 * Re-registrations logged at info level, then at debug: after a failover
 * every agent comes back at once, and at 10,000 agents a line each was a
 * write() each, 3% of the master's cpu for the whole return. The registry
 * says when every known agent is back.
 */
#define REREGISTER_INFO_LINES 100

/* Arm a's next ping one interval from now, rounded up to the grid. */
static void
agent_ping_arm(struct master *m, struct master_agent *a)
{
	int64_t grid = m->cfg.agent_ping_timeout_ms / PING_GRID_SHARE;
	int64_t at = loop_now(m->loop) + m->cfg.agent_ping_timeout_ms;
	int64_t late = 0;

	if (grid > PING_GRID_MS)
		grid = PING_GRID_MS;
	if (grid > 1)
		late = (grid - at % grid) % grid;

	a->ping_timer = loop_timer_add(m->loop, m->cfg.agent_ping_timeout_ms + late, agent_ping, a);
}

static struct master_agent *
agent_new(struct master *m, const char *id)
{
	struct master_agent *a = xcalloc(1, sizeof(*a));
	a->m = m;
	a->id = xstrdup(id);
	a->hostname = xstrdup("");
	a->isolation = xstrdup("");
	res_init(&a->total);
	res_init(&a->used);
	attrs_init(&a->attributes);
	map_init(&a->tasks);
	map_init(&a->offers);
	a->registered_time = compat_wall_time();
	map_put(&m->agents, a->id, a);
	agent_ping_arm(m, a);
	return a;
}

void
master_agent_free(struct master *m, struct master_agent *a)
{
	loop_timer_cancel(m->loop, a->ping_timer);
	map_free(&a->tasks);
	map_free(&a->offers);
	res_free(&a->total);
	res_free(&a->used);
	attrs_free(&a->attributes);
	free(a->id);
	free(a->hostname);
	free(a->isolation);
	free(a->disk_reason);
	free(a->principal);
	free(a);
}


void
master_agent_disconnected(struct master *m, struct master_agent *a, const char *why)
{
	log_info("agent %s (%s) disconnected: %s; it has %lld ms to come back", a->id, a->hostname,
	         why, (long long)(m->cfg.agent_ping_timeout_ms * m->cfg.max_agent_ping_timeouts));
	a->peer = NULL;
	a->resyncing = 0;
	if (a->alloc)
		alloc_agent_activate(m->alloc, a->alloc, 0);
	master_offer_rescind_agent(m, a);
	master_cli_fail_requests(m, a->id, "agent disconnected");
}

/*
 * The agent is gone for good (TASK_GONE: it came back as a new agent), or
 * for now (unreachable: it missed too many pings). Its tasks end in
 * task_state, or for an unreachable agent in TASK_UNREACHABLE for
 * frameworks that declared PARTITION_AWARE and TASK_LOST for the others,
 * as Mesos 1.x does; frameworks hear of it, and its resources leave the
 * pool. An unreachable agent is remembered so that its return brings the
 * partition-aware frameworks' tasks back and kills the others'.
 */
/*
 * Removed agents are remembered as Mesos's registry remembers them
 * (--registry_max_agent_count, --registry_max_agent_age): up to a count,
 * the oldest forgotten first, and no longer than an age, checked where
 * one is looked up or counted. The value is the removal's time in whole
 * seconds: nothing to free.
 */
static int
removed_expired(const struct master *m, void *when, double now)
{
	return now - (double)(uintptr_t)when > (double)m->cfg.registry_max_agent_age_ms / MASTER_MS_PER_SECOND;
}

static void
removed_note(struct master *m, const char *id, double now)
{
	const char *key, *oldest = NULL;
	void *val;
	uintptr_t oldest_at = UINTPTR_MAX;

	if (m->cfg.registry_max_agent_count <= 0)
		return;
	while ((long long)map_len(&m->removed_agents) >= m->cfg.registry_max_agent_count) {
		for (size_t it = 0; map_next(&m->removed_agents, &it, &key, &val);)
			if ((uintptr_t)val < oldest_at) {
				oldest_at = (uintptr_t)val;
				oldest = key;
			}
		map_del(&m->removed_agents, oldest);
		oldest_at = UINTPTR_MAX;
	}
	map_put(&m->removed_agents, id, (void *)(uintptr_t)now);
}

int
master_agent_was_removed(struct master *m, const char *id, double now)
{
	void *when = map_get(&m->removed_agents, id);

	if (when == NULL)
		return 0;
	if (!removed_expired(m, when, now))
		return 1;
	map_del(&m->removed_agents, id);
	return 0;
}

size_t
master_agent_removed_count(struct master *m, double now)
{
	const char *key;
	void *val;

	for (size_t it = 0; map_next(&m->removed_agents, &it, &key, &val);)
		if (removed_expired(m, val, now))
			map_del(&m->removed_agents, key);
	return map_len(&m->removed_agents);
}

static void
agent_remove(struct master *m, struct master_agent *a, const char *why, const char *task_state,
             const char *task_reason, int unreachable)
{
	log_warnx("%s agent %s (%s): %s", unreachable ? "unreachable:" : "removing", a->id,
	          a->hostname, why);
	master_offer_rescind_agent(m, a);
	master_cli_fail_requests(m, a->id, unreachable ? "agent unreachable" : "agent removed");

	char *message = xstrfmt("agent %s (%s) %s: %s", a->id, a->hostname,
	                        unreachable ? "unreachable" : "removed", why);
	double now = compat_wall_time();
	struct master_task *t;
	for (size_t it = 0; map_next(&a->tasks, &it, NULL, (void **)&t);) {
		const char *state = !unreachable ? task_state :
		                    t->fw->partition_aware ? "TASK_UNREACHABLE" : "TASK_LOST";
		master_task_update(m, t, state, "SOURCE_MASTER", task_reason, message, NULL, now, 1);
	}
	free(message);

	struct master_framework *fw;
	for (size_t it = 0; map_next(&m->frameworks, &it, NULL, (void **)&fw);) {
		if (!fw->peer)
			continue;
		master_msg(m, "AGENT_LOST");
		proto_add(&m->out, "agent_id", a->id);
		master_send(m, fw->peer);
	}
	if (a->alloc)
		alloc_agent_remove(m->alloc, a->alloc);
	if (unreachable) {
		struct master_unreachable *u = xcalloc(1, sizeof(*u));

		if (map_len(&m->unreachable_agents) >= MASTER_UNREACHABLE_AGENTS_MAX)
			master_agent_unreachable_free(m);
		u->hostname = xstrdup(a->hostname);
		u->since = now;
		map_put(&m->unreachable_agents, a->id, u);
		m->metrics.agents_marked_unreachable++;
	} else {
		removed_note(m, a->id, now);
		m->metrics.agent_removals++;
	}
	if (a->peer) {
		a->peer->agent = NULL;
		conn_close(a->peer->conn, unreachable ? "agent unreachable" : "agent removed");
	}
	map_del(&m->agents, a->id);
	master_registry_changed(m);
	master_agent_free(m, a);
}

static void
unreachable_forget(struct master *m, const char *id)
{
	struct master_unreachable *u = map_get(&m->unreachable_agents, id);

	if (!u)
		return;
	map_del(&m->unreachable_agents, id);
	free(u->hostname);
	free(u);
}

void
master_agent_unreachable_free(struct master *m)
{
	struct master_unreachable *u;

	for (size_t it = 0; map_next(&m->unreachable_agents, &it, NULL, (void **)&u);) {
		free(u->hostname);
		free(u);
	}
	map_free(&m->unreachable_agents);
	map_init(&m->unreachable_agents);
}

static void
agent_ping(struct loop *loop, void *arg)
{
	struct master_agent *a = arg;
	struct master *m = a->m;

	a->ping_timer = 0;
	if (a->pong_pending || !a->peer)
		a->missed_pings++;
	if (a->missed_pings >= m->cfg.max_agent_ping_timeouts) {
		agent_remove(m, a, "health check timed out", NULL, "REASON_AGENT_REMOVED", 1);
		return;
	}
	if (a->peer) {
		master_msg(m, "PING");
		proto_add_int(&m->out, "seq", ++a->ping_seq);
		master_send(m, a->peer);
		a->pong_pending = 1;
	}
	(void)loop;
	agent_ping_arm(m, a);
}

/* ---------------------------------------------------------------- binding */

/* Tell the agent its update is taken care of: nobody else will acknowledge it. */
static void
ack_for_framework(struct master *m, struct master_peer *p, const struct proto_status *s)
{
	struct proto_ack ack = { s->framework_id, s->task_id, NULL, s->uuid };

	proto_ack_compose(master_out(m), &ack);
	master_send(m, p);
}

/*
 * An agent ID whose connection is alive is not taken over: anyone who can
 * reach the port could otherwise kick the real agent off, its tasks turned
 * LOST, replaced, then adopted again as duplicates (issue #17). The old
 * connection is freed only by its own end (EOF, error) or by missing its
 * pings; a restarted agent whose old connection is not closed yet is refused
 * and comes back after its backoff, by then the master has seen the EOF.
 */
static void
refuse_takeover(struct master *m, struct master_peer *p, const struct master_agent *a)
{
	snprintf(m->err, sizeof(m->err), "agent %s is connected from %s: its ID is free again once "
	         "that connection ends or misses its pings", a->id, conn_peer(a->peer->conn));
	m->metrics.agent_takeovers_refused++;
	master_peer_error(p, m->err);
}

/*
 * Refuse what an agent said about something that is not its own (another
 * agent's task, a reply to a request another agent was asked): answered,
 * counted in /metrics (*counter) and logged once for each agent, so a flood
 * cannot fill the log. The connection stays: a genuine agent may hold a
 * stale update of a task since placed elsewhere.
 */
static void
agent_refuse(struct master *m, struct master_peer *p, long long *counter, const char *why)
{
	struct master_agent *a = p->agent;

	(*counter)++;
	if (!a->refused_logged) {
		log_warnx("agent %s (%s, %s): %s: refused (later refusals are only counted)", a->id,
		          a->hostname, conn_peer(p->conn), why);
		a->refused_logged = 1;
	}
	master_msg(m, "ERROR");
	proto_add(&m->out, "reason", why);
	master_send(m, p);
}

/*
 * Whether task t is one the master placed on the agent of p: an agent speaks
 * only for its own tasks, so a fake agent cannot fail a task running
 * elsewhere (issue #17). A refused update is acknowledged (if it has a
 * uuid), as nobody else will, so a genuine agent stops resending it.
 */
static int
agent_owns(struct master *m, struct master_peer *p, const char *fw_id,
           const struct proto_status *s, const struct master_task *t)
{
	if (strcmp(t->agent_id, p->agent->id) == 0)
		return 1;
	snprintf(m->err, sizeof(m->err), "task %.64s of framework %.64s is not on this agent", t->id,
	         fw_id);
	agent_refuse(m, p, &m->metrics.invalid_status_updates, m->err);
	if (s && s->uuid)
		ack_for_framework(m, p, s);
	return 0;
}

/* Whether a task of fw is on a: only then may a speak for one of its executors. */
static int
agent_runs_framework(const struct master_agent *a, const struct master_framework *fw)
{
	struct master_task *t;

	for (size_t it = 0; map_next(&a->tasks, &it, NULL, (void **)&t);)
		if (t->fw == fw)
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- handlers: agent */

static void
agent_register(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	const char *hostname = proto_need(msg, "hostname", m->err, sizeof(m->err));
	const char *resources = proto_need(msg, "resources", m->err, sizeof(m->err));
	const char *attributes = proto_get(msg, "attributes");
	const char *agent_id = proto_get(msg, "agent_id");
	struct res total;
	struct attrs attrs;

	if (!hostname || !resources) {
		master_peer_error(p, m->err);
		return;
	}
	if (p->agent) {
		master_peer_error(p, "already registered on this connection");
		return;
	}
	res_init(&total);
	attrs_init(&attrs);
	if (res_parse(&total, resources, m->err, sizeof(m->err)) < 0 ||
	    attrs_parse(&attrs, attributes ? attributes : "", m->err, sizeof(m->err)) < 0 ||
	    (agent_id && *agent_id && id_check("agent ID", agent_id, m->err, sizeof(m->err)) < 0) ||
	    master_auth_agent_check(m, p, msg, m->err, sizeof(m->err)) < 0) {
		res_free(&total);
		attrs_free(&attrs);
		master_peer_error(p, m->err);
		return;
	}

	struct master_agent *a = NULL;
	int reregister = agent_id && *agent_id;
	if (reregister) {
		a = map_get(&m->agents, agent_id);
		if (a && a->peer) {
			refuse_takeover(m, p, a);
			res_free(&total);
			attrs_free(&attrs);
			return;
		}
		if (!a)
			a = agent_new(m, agent_id);
		m->metrics.agent_reregistrations++;
	} else {
		char id[MASTER_NEW_ID_MAX];
		const char *previous = proto_get(msg, "previous_agent_id");
		struct master_agent *old = previous ? map_get(&m->agents, previous) : NULL;

		/* It discarded its checkpoint (a reboot, --recover=cleanup): its old tasks are gone. */
		if (old)
			agent_remove(m, old, "it registered again as a new agent", "TASK_GONE",
			             "REASON_AGENT_RESTARTED", 0);
		snprintf(id, sizeof(id), "%s-S%llu", m->id, m->next_agent++);
		a = agent_new(m, id);
		m->metrics.agent_registrations++;
		master_registry_changed(m);
	}
	free(a->hostname);
	a->hostname = xstrdup(hostname);
	res_free(&a->total);
	a->total = total;
	attrs_free(&a->attributes);
	a->attributes = attrs;
	free(a->isolation);
	a->isolation = xstrdup(proto_get(msg, "isolation") != NULL ? proto_get(msg, "isolation") : "");
	a->disk_full = 0;   /* a registered agent says so again (AGENT_CONDITION) */
	free(a->disk_reason);
	a->disk_reason = NULL;
	a->peer = p;
	p->agent = a;
	master_auth_agent_bind(a, p);
	a->missed_pings = 0;
	a->pong_pending = 0;
	if (a->alloc) {
		alloc_agent_update_total(m->alloc, a->alloc, &a->total);
		alloc_agent_activate(m->alloc, a->alloc, 1);
	} else {
		a->alloc = alloc_agent_add(m->alloc, a->id, &a->total, a);
	}
	a->resync_round++;
	a->resyncing = reregister;

	master_msg(m, "AGENT_REGISTERED");
	proto_add(&m->out, "agent_id", a->id);
	proto_add_int(&m->out, "ping_interval_ms", m->cfg.agent_ping_timeout_ms);
	proto_add_int(&m->out, "ping_timeouts", m->cfg.max_agent_ping_timeouts);
	master_send(m, p);
	if (!reregister || m->metrics.agent_reregistrations <= REREGISTER_INFO_LINES)
		log_info("agent %s (%s) %sregistered from %s", a->id, a->hostname, reregister ? "re-" : "",
		         conn_peer(p->conn));
	else
		log_debug("agent %s (%s) re-registered from %s", a->id, a->hostname, conn_peer(p->conn));
	if (reregister && m->metrics.agent_reregistrations == REREGISTER_INFO_LINES)
		log_info("further re-registrations are logged at debug level");
	master_offer_allocate_soon(m);
}

static void
agent_task(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_agent *a = p->agent;
	const char *task_id = proto_need(msg, "task_id", m->err, sizeof(m->err));
	const char *fw_id = task_id ? proto_need(msg, "framework_id", m->err, sizeof(m->err)) : NULL;
	const char *state = fw_id ? proto_need(msg, "state", m->err, sizeof(m->err)) : NULL;
	const char *resources = proto_get(msg, "resources");
	struct res r;

	if (!a) {
		master_peer_error(p, "AGENT_TASK before REGISTER_AGENT");
		return;
	}
	if (!state) {
		master_peer_error(p, m->err);
		return;
	}
	if (!proto_state_valid(state)) {
		master_peer_error(p, "unknown task state");
		return;
	}
	res_init(&r);
	if (res_parse(&r, resources ? resources : "", m->err, sizeof(m->err)) < 0) {
		res_free(&r);
		master_peer_error(p, m->err);
		return;
	}
	/* Reported in this registration's resync: not lost (a mark, not a set: no allocation). */
	char key_buf[2 * ID_MAX + 2];
	char *key = key_buf;
	if ((size_t)snprintf(key_buf, sizeof(key_buf), "%s/%s", fw_id, task_id) >= sizeof(key_buf))
		key = master_task_key(fw_id, task_id);   /* longer than valid IDs make */
	struct master_task *seen = map_get(&a->tasks, key);
	if (key != key_buf)
		free(key);
	if (seen)
		seen->resync_seen = a->resync_round;

	struct master_framework *fw = map_get(&m->frameworks, fw_id);
	int removed_agent = master_agent_was_removed(m, a->id, compat_wall_time());
	if (!fw && master_framework_was_removed(m, fw_id)) {
		master_msg(m, "SHUTDOWN_FRAMEWORK");
		proto_add(&m->out, "framework_id", fw_id);
		master_send(m, p);
		res_free(&r);
		return;
	}
	int unreachable = map_get(&m->unreachable_agents, a->id) != NULL;
	int adopt = unreachable && fw && fw->partition_aware && !proto_state_terminal(state);
	if ((removed_agent || (unreachable && !adopt)) && !proto_state_terminal(state)) {
		/* Its framework was told TASK_LOST when the agent went: kill it, as Mesos does. */
		log_info("agent %s came back with task %s it was %s with; killing it", a->id,
		         task_id, removed_agent ? "removed" : "unreachable");
		master_msg(m, "KILL_TASK");
		proto_add(&m->out, "framework_id", fw_id);
		proto_add(&m->out, "task_id", task_id);
		master_send(m, p);
		res_free(&r);
		return;
	}
	if (!fw)
		fw = master_framework_recover(m, msg, fw_id);
	struct master_task *t = map_get(&fw->tasks, task_id);
	if (t && !agent_owns(m, p, fw_id, NULL, t)) {
		res_free(&r);
		return;
	}
	if (!t && !proto_state_terminal(state)) {
		t = master_task_new(fw, a, task_id, proto_get(msg, "name"), &r);
		t->resync_seen = a->resync_round;
		if (fw->alloc && a->alloc)
			alloc_allocate(m->alloc, fw->alloc, a->alloc, &r);
		/* Back from a partition: its framework was told TASK_UNREACHABLE, now it decides. */
		if (adopt)
			master_task_update(m, t, state, "SOURCE_MASTER", NULL,
			                   "its agent re-registered after being unreachable", NULL,
			                   compat_wall_time(), 1);
		else
			master_task_record(t, state, "SOURCE_AGENT", NULL, NULL, NULL, compat_wall_time());
	} else if (t && strcmp(t->state, state) != 0 && !proto_state_terminal(state)) {
		master_task_record(t, state, "SOURCE_AGENT", NULL, NULL, NULL, compat_wall_time());
	}
	res_free(&r);
}

static void
agent_resync_done(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_agent *a = p->agent;
	(void)msg;
	if (!a) {
		master_peer_error(p, "AGENT_RESYNC_DONE before REGISTER_AGENT");
		return;
	}
	if (!a->resyncing)
		return;
	a->resyncing = 0;
	master_registry_agent_back(m, a->id);
	/* Its tasks are sorted out (adopted or killed): it is an agent like any other again. */
	unreachable_forget(m, a->id);
	double now = compat_wall_time();
	struct master_task *t;
	for (size_t it = 0; map_next(&a->tasks, &it, NULL, (void **)&t);) {
		if (t->resync_seen == a->resync_round)
			continue;
		master_task_update(m, t, "TASK_LOST", "SOURCE_MASTER", "REASON_AGENT_DISCONNECTED",
		            "task not reported by its agent when it re-registered", NULL, now, 1);
	}
}

static void
agent_status_update(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_agent *a = p->agent;
	struct proto_status s;

	if (!a) {
		master_peer_error(p, "STATUS_UPDATE before REGISTER_AGENT");
		return;
	}
	if (proto_status_parse(msg, &s, m->err, sizeof(m->err)) < 0) {
		master_peer_error(p, m->err);
		return;
	}
	if (s.framework_id == NULL) {
		master_peer_error(p, "missing field 'framework_id'");
		return;
	}
	if (s.timestamp == 0)
		s.timestamp = compat_wall_time();
	struct master_framework *fw = map_get(&m->frameworks, s.framework_id);
	if (!fw) {
		/* Nobody will ever acknowledge it: do so on the framework's behalf, and stop the task. */
		if (s.uuid)
			ack_for_framework(m, p, &s);
		if (!proto_state_terminal(s.state)) {
			master_msg(m, "KILL_TASK");
			proto_add(&m->out, "framework_id", s.framework_id);
			proto_add(&m->out, "task_id", s.task_id);
			master_send(m, p);
		}
		return;
	}
	struct master_task *t = map_get(&fw->tasks, s.task_id);
	if (!t) {
		/* A resent update of a task that already ended: forward it so it can be acknowledged. */
		struct master_task *done = master_task_find_completed(fw, s.task_id);
		if (done && !agent_owns(m, p, s.framework_id, &s, done))
			return;
		if (done && master_task_acked(done, s.uuid)) {
			ack_for_framework(m, p, &s);   /* the framework has it: its ack was lost with the agent */
		} else if (done && fw->peer) {
			s.agent_id = a->id;
			s.latest_state = NULL;
			proto_status_compose(master_out(m), &s);
			master_send(m, fw->peer);
		} else if (!done && s.uuid) {
			ack_for_framework(m, p, &s);
		}
		return;
	}
	if (!agent_owns(m, p, s.framework_id, &s, t))
		return;
	if (master_task_acked(t, s.uuid)) {
		ack_for_framework(m, p, &s);   /* a retry the framework acknowledged: its ack was lost */
		return;
	}
	if (master_task_has_uuid(t, s.uuid)) {
		master_task_send_status(m, fw, t, s.uuid);   /* a retry: the framework may not have acked yet */
		return;
	}
	master_task_agent_update(m, t, s.state, s.source, s.reason, s.message, s.uuid, s.timestamp,
	    s.healthy, &s.usage);
}

/* From an executor to its scheduler; dropped with a log line when the scheduler is away. */
static void
agent_framework_message(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	const char *fw_id = proto_need(msg, "framework_id", m->err, sizeof(m->err));
	const char *executor_id = fw_id ? proto_need(msg, "executor_id", m->err, sizeof(m->err)) : NULL;
	const struct proto_field *data = NULL;

	if (!p->agent) {
		master_peer_error(p, "FRAMEWORK_MESSAGE before REGISTER_AGENT");
		return;
	}
	if (!executor_id) {
		master_peer_error(p, m->err);
		return;
	}
	for (size_t i = 0; i < msg->nfields && !data; i++)
		if (strcmp(msg->fields[i].key, "data") == 0)
			data = &msg->fields[i];
	struct master_framework *fw = map_get(&m->frameworks, fw_id);
	if (!fw || !fw->peer) {
		log_info("agent %s: message from executor %.64s to framework %.64s dropped: the "
		         "framework is not connected", p->agent->id, executor_id, fw_id);
		return;
	}
	if (!agent_runs_framework(p->agent, fw)) {
		snprintf(m->err, sizeof(m->err), "a message for framework %.64s, which has no task on "
		         "this agent", fw_id);
		agent_refuse(m, p, &m->metrics.invalid_framework_messages, m->err);
		return;
	}
	master_msg(m, "FRAMEWORK_MESSAGE");
	proto_add(&m->out, "agent_id", p->agent->id);
	proto_add(&m->out, "executor_id", executor_id);
	if (data)
		proto_addn(&m->out, "data", data->val, data->vlen);
	else
		proto_add(&m->out, "data", "");
	master_send(m, fw->peer);
}

/* A sandbox read's answer, taken only from the agent that was asked. */
static void
agent_file_reply(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	const char *rid = proto_get(msg, "request_id");
	const struct master_file_request *fr = rid ? map_get(&m->file_requests, rid) : NULL;

	if (!p->agent) {
		master_peer_error(p, "FILE_DATA or FILE_ERROR before REGISTER_AGENT");
		return;
	}
	if (fr && strcmp(fr->agent_id, p->agent->id) != 0) {
		agent_refuse(m, p, &m->metrics.invalid_file_replies,
		             "a reply to a file request this agent was not asked");
		return;
	}
	master_cli_file_reply(m, msg);
}

/* The agent's checkpoints fail (a full disk) or work again: shown in its state and the metrics. */
static void
agent_condition(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	int full;

	if (!p->agent) {
		master_peer_error(p, "AGENT_CONDITION before REGISTER_AGENT");
		return;
	}
	if (proto_get_bool(msg, "disk_full", 0, &full, m->err, sizeof(m->err)) == -1) {
		master_peer_error(p, m->err);
		return;
	}
	if (full != p->agent->disk_full)
		log_info("agent %s: %s", p->agent->id, full ? "its disk is full" : "its disk has room again");
	p->agent->disk_full = full;
	free(p->agent->disk_reason);
	p->agent->disk_reason = full && proto_get(msg, "reason") ? xstrdup(proto_get(msg, "reason")) : NULL;
}

const struct master_handler master_agent_handlers[] = {
	{ "REGISTER_AGENT", agent_register },
	{ "AGENT_TASK", agent_task },
	{ "AGENT_RESYNC_DONE", agent_resync_done },
	{ "STATUS_UPDATE", agent_status_update },
	{ "FILE_DATA", agent_file_reply },
	{ "FILE_ERROR", agent_file_reply },
	{ "FRAMEWORK_MESSAGE", agent_framework_message },
	{ "AGENT_CONDITION", agent_condition },
	{ NULL, NULL },
};
