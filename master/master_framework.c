/*
 * master_framework.c: frameworks as the master sees them: subscription and
 * failover with their framework ID, accepting offers with tasks (each task
 * checked against the offer), declines with filters, kills,
 * reconciliation, suppress/revive, teardown and removal.
 */
#include <errno.h>
#include <float.h>
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

#define DEFAULT_REFUSE_MS 5000          /* Mesos Filters.refuse_seconds default */
#define MAX_REFUSE_MS (365LL * 24 * 3600 * 1000)   /* Mesos clamps refusals to a year */
#define ASCII_DEL 0x7f                  /* not allowed in a role, as control characters */

/* ---------------------------------------------------------------- frameworks */

struct master_framework *
master_framework_new(struct master *m, const char *id, const char *name, const char *user,
                     const char *role)
{
	struct master_framework *fw = xcalloc(1, sizeof(*fw));
	fw->m = m;
	fw->id = xstrdup(id);
	fw->name = xstrdup(name ? name : "");
	fw->user = xstrdup(user && *user ? user : "nobody");
	fw->role = xstrdup(role && *role ? role : "*");
	fw->principal = xstrdup("");
	map_init(&fw->tasks);
	map_init(&fw->offers);
	fw->registered_time = compat_wall_time();
	fw->alloc = alloc_fw_add(m->alloc, fw->id, fw->role, 0, fw);
	map_put(&m->frameworks, fw->id, fw);
	return fw;
}

void
master_framework_free(struct master_framework *fw)
{
	for (size_t i = 0; i < fw->ncompleted; i++)
		master_task_free(master_task_completed_at(fw, i));
	free(fw->completed);
	map_free(&fw->tasks);
	map_free(&fw->offers);
	free(fw->id);
	free(fw->name);
	free(fw->user);
	free(fw->role);
	free(fw->principal);
	free(fw);
}

int
master_framework_was_removed(const struct master *m, const char *id)
{
	size_t max = (size_t)m->cfg.max_completed_frameworks;
	for (size_t i = 0; i < m->ncompleted_frameworks; i++) {
		struct master_framework *fw =
			m->completed_frameworks[(m->completed_frameworks_head + i) % max];
		if (strcmp(fw->id, id) == 0)
			return 1;
	}
	return 0;
}

static void
framework_to_completed(struct master *m, struct master_framework *fw)
{
	size_t max = (size_t)m->cfg.max_completed_frameworks;

	fw->unregistered_time = compat_wall_time();
	if (max == 0) {
		master_framework_free(fw);
		return;
	}
	if (!m->completed_frameworks)
		m->completed_frameworks = xcalloc(max, sizeof(*m->completed_frameworks));
	if (m->ncompleted_frameworks < max) {
		m->completed_frameworks[(m->completed_frameworks_head + m->ncompleted_frameworks) % max] = fw;
		m->ncompleted_frameworks++;
	} else {
		master_framework_free(m->completed_frameworks[m->completed_frameworks_head]);
		m->completed_frameworks[m->completed_frameworks_head] = fw;
		m->completed_frameworks_head = (m->completed_frameworks_head + 1) % max;
	}
}

/*
 * Remove a framework: its tasks are killed on their agents and recorded as
 * TASK_KILLED (REASON_FRAMEWORK_REMOVED), its offers and allocations go
 * back to the pool, and it joins the completed frameworks.
 */
void
master_framework_remove(struct master *m, struct master_framework *fw, const char *why)
{
	log_info("removing framework %s (%s): %s", fw->id, fw->name, why);
	loop_timer_cancel(m->loop, fw->failover_timer);
	fw->failover_timer = 0;
	master_offer_rescind_framework(m, fw, 0);

	struct master_agent *a;
	for (size_t it = 0; map_next(&m->agents, &it, NULL, (void **)&a);) {
		int has = 0;
		struct master_task *t;
		for (size_t jt = 0; map_next(&fw->tasks, &jt, NULL, (void **)&t);)
			if (strcmp(t->agent_id, a->id) == 0) {
				has = 1;
				break;
			}
		if (has && a->peer) {
			master_msg(m, "SHUTDOWN_FRAMEWORK");
			proto_add(&m->out, "framework_id", fw->id);
			master_send(m, a->peer);
		}
	}
	double now = compat_wall_time();
	struct master_task *t;
	for (size_t it = 0; map_next(&fw->tasks, &it, NULL, (void **)&t);)
		master_task_update(m, t, "TASK_KILLED", "SOURCE_MASTER", "REASON_FRAMEWORK_REMOVED",
		            "framework removed", NULL, now, 0);
	if (fw->alloc) {
		alloc_fw_remove(m->alloc, fw->alloc);
		fw->alloc = NULL;
	}
	if (fw->peer) {
		fw->peer->fw = NULL;
		fw->peer = NULL;
	}
	map_del(&m->frameworks, fw->id);
	m->metrics.frameworks_removed++;
	framework_to_completed(m, fw);
	master_offer_allocate_soon(m);
}

static void
failover_expired(struct loop *loop, void *arg)
{
	struct master_framework *fw = arg;
	(void)loop;
	fw->failover_timer = 0;
	master_framework_remove(fw->m, fw, "failover timeout elapsed");
}

void
master_framework_disconnected(struct master *m, struct master_framework *fw, const char *why)
{
	log_info("framework %s (%s) disconnected: %s", fw->id, fw->name, why);
	fw->peer = NULL;
	if (fw->alloc)
		alloc_fw_activate(m->alloc, fw->alloc, 0);
	master_offer_rescind_framework(m, fw, 0);
	if (fw->failover_timeout <= 0) {
		master_framework_remove(m, fw, "disconnected with failover_timeout 0");
		return;
	}
	int64_t ms = (int64_t)(fw->failover_timeout * MASTER_MS_PER_SECOND);
	fw->failover_timer = loop_timer_add(m->loop, ms, failover_expired, fw);
}

/* The master restarted and an agent reports tasks of a framework it has not seen yet. */
struct master_framework *
master_framework_recover(struct master *m, const struct proto_msg *msg, const char *fw_id)
{
	const char *role = proto_get(msg, "role");
	struct master_framework *fw =
		master_framework_new(m, fw_id, proto_get(msg, "framework_name"), proto_get(msg, "user"),
		                     role);
	double failover = 0;
	proto_get_double(msg, "failover_timeout", 0, &failover, m->err, sizeof(m->err));
	fw->failover_timeout = failover;
	fw->recovered = 1;
	/* It gets the re-registration window plus its own failover timeout to come back. */
	int64_t ms = m->cfg.agent_reregister_timeout_ms +
	             (int64_t)(failover * MASTER_MS_PER_SECOND);
	fw->failover_timer = loop_timer_add(m->loop, ms, failover_expired, fw);
	log_info("recovered framework %s (%s) from an agent's report", fw->id, fw->name);
	return fw;
}

/* ---------------------------------------------------------------- handlers: framework */

static int
role_check(const struct master *m, const char *role, char *err, size_t errlen)
{
	if (strcmp(role, "*") == 0)
		return 0;
	if (!*role || role[0] == '/' || role[strlen(role) - 1] == '/' || strstr(role, "//")) {
		snprintf(err, errlen, "invalid role '%.64s'", role);
		return -1;
	}
	for (const char *s = role; *s;) {
		size_t n = strcspn(s, "/");
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.') ||
		    (n == 1 && s[0] == '*') || s[0] == '-') {
			snprintf(err, errlen, "invalid role '%.64s'", role);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] <= ' ' || s[i] == ASCII_DEL) {
				snprintf(err, errlen, "invalid role '%.64s'", role);
				return -1;
			}
		s += n;
		if (*s == '/')
			s++;
	}
	if (m->cfg.roles && *m->cfg.roles) {
		const char *s = m->cfg.roles;
		size_t len = strlen(role);
		while (*s) {
			size_t n = strcspn(s, ",");
			if (n == len && strncmp(s, role, n) == 0)
				return 0;
			s += n;
			if (*s == ',')
				s++;
		}
		snprintf(err, errlen, "role '%.64s' is not one of --roles", role);
		return -1;
	}
	return 0;
}

/* Whether --weights (role=w,...) names role: the operator's flag wins over a plugin's conf. */
static int
weights_flag_names(const char *spec, const char *role)
{
	size_t len = strlen(role);

	for (const char *s = spec != NULL ? spec : ""; *s != '\0';) {
		size_t n = strcspn(s, ",");

		if (n > len && strncmp(s, role, len) == 0 && s[len] == '=')
			return 1;
		s += n + (s[n] == ',');
	}
	return 0;
}

/*
 * A plugin's conf gives its role a weight (weight= in NAME.conf, sent on
 * SUBSCRIBE), so an operator can weigh batch against services where the
 * plugins are configured; --weights, when it names the role, wins.
 */
static void
conf_weight(struct master *m, const char *role, double w, const char *plugin)
{
	if (weights_flag_names(m->cfg.weights, role)) {
		log_info("role %s keeps its --weights weight; %s's weight=%g is not used", role, plugin,
		         w);
		return;
	}
	alloc_set_weight(m->alloc, role, w);
	log_info("weight of role %s set to %g by %s's conf", role, w, plugin);
}

static void
framework_subscribe(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	const char *name = proto_need(msg, "name", m->err, sizeof(m->err));
	const char *fw_id = proto_get(msg, "framework_id");
	const char *role = proto_get(msg, "role");
	double failover = 0, weight = 0;
	int checkpoint = 0;

	if (!name) {
		master_peer_error(p, m->err);
		return;
	}
	if (p->fw) {
		master_peer_error(p, "already subscribed on this connection");
		return;
	}
	if (!role || !*role)
		role = "*";
	if (role_check(m, role, m->err, sizeof(m->err)) < 0 ||
	    proto_get_double(msg, "failover_timeout", 0, &failover, m->err, sizeof(m->err)) < 0 ||
	    proto_get_bool(msg, "checkpoint", 0, &checkpoint, m->err, sizeof(m->err)) < 0 ||
	    (fw_id && *fw_id && id_check("framework ID", fw_id, m->err, sizeof(m->err)) < 0)) {
		master_peer_error(p, m->err);
		return;
	}
	if (failover < 0) {
		master_peer_error(p, "failover_timeout must not be negative");
		return;
	}
	if (proto_get(msg, "weight") != NULL) {
		if (!p->plugin) {
			master_peer_error(p, "weight is the operator's to set (--weights, PUT /weights, "
			                  "a plugin's conf), not a framework's");
			return;
		}
		if (proto_get_double(msg, "weight", 0, &weight, m->err, sizeof(m->err)) < 0 ||
		    !(weight > 0 && weight <= DBL_MAX)) {
			master_peer_error(p, "weight must be a number greater than 0");
			return;
		}
	}

	if (master_auth_subscribe_check(m, p, msg, role, m->err, sizeof(m->err)) < 0) {
		master_peer_error(p, m->err);
		return;
	}

	struct master_framework *fw = NULL;
	if (fw_id && *fw_id) {
		fw = map_get(&m->frameworks, fw_id);
		if (!fw && master_framework_was_removed(m, fw_id)) {
			snprintf(m->err, sizeof(m->err), "framework %.64s has been removed", fw_id);
			master_peer_error(p, m->err);
			return;
		}
		if (fw && fw->peer) {
			struct master_peer *old = fw->peer;
			old->fw = NULL;
			fw->peer = NULL;
			master_msg(m, "ERROR");
			proto_add(&m->out, "reason", "framework failed over to a new connection");
			master_send(m, old);
			conn_close_after_flush(old->conn, "framework failed over");
			master_offer_rescind_framework(m, fw, 0);
		}
		if (fw && strcmp(fw->role, role) != 0) {
			snprintf(m->err, sizeof(m->err), "framework %.64s cannot change its role from '%.64s'",
			         fw_id, fw->role);
			master_peer_error(p, m->err);
			return;
		}
		if (!fw)
			fw = master_framework_new(m, fw_id, name, proto_get(msg, "user"), role);
	} else {
		char id[MASTER_NEW_ID_MAX];
		snprintf(id, sizeof(id), "%s-%04llu", m->id, m->next_framework++);
		fw = master_framework_new(m, id, name, proto_get(msg, "user"), role);
	}
	loop_timer_cancel(m->loop, fw->failover_timer);
	fw->failover_timer = 0;
	free(fw->name);
	fw->name = xstrdup(name);
	if (proto_get(msg, "user") && *proto_get(msg, "user")) {
		free(fw->user);
		fw->user = xstrdup(proto_get(msg, "user"));
	}
	master_auth_framework_bind(fw, p, msg);
	fw->failover_timeout = failover;
	fw->checkpoint = checkpoint != 0;
	fw->partition_aware = proto_has_capability(msg, "PARTITION_AWARE");
	fw->recovered = 0;
	fw->peer = p;
	p->fw = fw;
	alloc_fw_activate(m->alloc, fw->alloc, 1);
	if (weight > 0)
		conf_weight(m, fw->role, weight, conn_peer(p->conn));

	master_msg(m, "SUBSCRIBED");
	proto_add(&m->out, "framework_id", fw->id);
	proto_add_int(&m->out, "heartbeat_interval_ms", MASTER_FRAMEWORK_HEARTBEAT_MS);
	master_send(m, p);
	log_info("framework %s (%s) subscribed from %s, role %s", fw->id, fw->name,
	         conn_peer(p->conn), fw->role);
	master_offer_allocate_soon(m);
}

static struct master_framework *
need_framework(struct master_peer *p)
{
	if (!p->fw)
		master_peer_error(p, "SUBSCRIBE first");
	return p->fw;
}

/*
 * The framework of p, for KILL and TEARDOWN: they act on that framework
 * alone, whatever they name. One naming another framework (framework_id=)
 * is refused with a clear error, so nobody believes it killed or tore down
 * someone else's; the connection stays.
 */
static struct master_framework *
own_framework(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_framework *fw = need_framework(p);
	const char *named = proto_get(msg, "framework_id");

	if (!fw || named == NULL || strcmp(named, fw->id) == 0)
		return fw;
	snprintf(m->err, sizeof(m->err), "%s names framework %.64s, not this connection's (%s): "
	         "a framework acts only on itself", msg->verb, named, fw->id);
	log_warnx("framework %s (%s): %s", fw->id, conn_peer(p->conn), m->err);
	m->metrics.invalid_messages++;
	master_msg(m, "ERROR");
	proto_add(&m->out, "reason", m->err);
	master_send(m, p);
	return NULL;
}

/* One task of an ACCEPT: the fields from its task_id up to the next task_id. */
struct task_spec {
	const char *id, *name, *command, *resources, *grace_ms, *executor_id, *user;
	size_t first, last;            /* field index range */
};

static void
task_invalid(struct master *m, struct master_framework *fw, const char *task_id,
             const char *agent_id, const char *state, const char *reason, const char *message)
{
	(void)m;
	if (strcmp(state, "TASK_ERROR") == 0)
		m->metrics.tasks_error++;
	else
		m->metrics.tasks_dropped++;
	master_task_send_unknown(fw, task_id, agent_id, state, reason, message);
}

/*
 * The fields the master writes itself; every other field of the task's
 * record (env, uri, health checks, limits, ...) is passed to the agent as
 * the framework wrote it, so new task options need no change here.
 */
static int
master_owned_field(const char *key)
{
	static const char *const owned[] = {
		"framework_id", "task_id", "name", "command", "resources", "role", "framework_name",
		"failover_timeout", PROTO_MORE_KEY, NULL,   /* more: the accept's, not the task's */
	};
	for (size_t i = 0; owned[i]; i++)
		if (strcmp(key, owned[i]) == 0)
			return 1;
	return 0;
}

static void
send_run_task(struct master *m, struct master_framework *fw, struct master_agent *a,
              const struct master_task *t, const struct proto_msg *msg, const struct task_spec *s)
{
	struct buf text;
	int own_user = 0;

	buf_init(&text, 0);
	res_format(&t->resources, &text);
	master_msg(m, "RUN_TASK");
	proto_add(&m->out, "framework_id", fw->id);
	proto_add(&m->out, "task_id", t->id);
	proto_add(&m->out, "name", t->name);
	if (s->command)
		proto_add(&m->out, "command", s->command);
	proto_add(&m->out, "resources", text.data ? text.data : "");
	proto_add(&m->out, "role", fw->role);
	proto_add(&m->out, "framework_name", fw->name);
	proto_addf(&m->out, "failover_timeout", "%g", fw->failover_timeout);
	for (size_t i = s->first; i <= s->last; i++) {
		const struct proto_field *f = &msg->fields[i];
		if (master_owned_field(f->key))
			continue;
		if (strcmp(f->key, "user") == 0)
			own_user = 1;
		proto_addn(&m->out, f->key, f->val, f->vlen);
	}
	if (!own_user)
		proto_add(&m->out, "user", fw->user);
	buf_free(&text);
	master_send(m, a->peer);
}

static void
framework_accept(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_framework *fw = need_framework(p);
	const char *offer_id;
	long long refuse_ms = DEFAULT_REFUSE_MS;
	double refuse_s;

	if (!fw)
		return;
	if (!(offer_id = proto_need(msg, "offer_id", m->err, sizeof(m->err)))) {
		master_peer_error(p, m->err);
		return;
	}
	if (proto_get_double(msg, "refuse_seconds", DEFAULT_REFUSE_MS / MASTER_MS_PER_SECOND,
	                     &refuse_s, m->err, sizeof(m->err)) < 0) {
		master_peer_error(p, m->err);
		return;
	}
	refuse_ms = refuse_s < 0 ? DEFAULT_REFUSE_MS :
	            (long long)(refuse_s * MASTER_MS_PER_SECOND);
	if (refuse_ms > MAX_REFUSE_MS)
		refuse_ms = MAX_REFUSE_MS;
	/* A part of an accept too long for one line (proto_end_split): more parts follow. */
	int more;
	if (proto_get_bool(msg, PROTO_MORE_KEY, 0, &more, m->err, sizeof(m->err)) < 0) {
		master_peer_error(p, m->err);
		return;
	}

	/* Split the fields into task records. */
	size_t ntasks = proto_count(msg, "task_id");
	struct task_spec *specs = xcalloc(ntasks ? ntasks : 1, sizeof(*specs));
	size_t k = 0;
	for (size_t i = 0; i < msg->nfields; i++) {
		const struct proto_field *f = &msg->fields[i];
		if (strcmp(f->key, "task_id") == 0) {
			if (k > 0)
				specs[k - 1].last = i - 1;
			specs[k].id = f->val;
			specs[k].first = i;
			specs[k].last = msg->nfields - 1;
			k++;
			continue;
		}
		if (k == 0)
			continue;
		struct task_spec *s = &specs[k - 1];
		if (strcmp(f->key, "name") == 0)
			s->name = f->val;
		else if (strcmp(f->key, "command") == 0)
			s->command = f->val;
		else if (strcmp(f->key, "resources") == 0)
			s->resources = f->val;
		else if (strcmp(f->key, "grace_ms") == 0)
			s->grace_ms = f->val;
		else if (strcmp(f->key, "executor_id") == 0)
			s->executor_id = f->val;
		else if (strcmp(f->key, "user") == 0)
			s->user = f->val;
	}

	struct master_offer *o = map_get(&m->offers, offer_id);
	if (!o || o->fw != fw) {
		char *why = xstrfmt("offer %s is no longer valid", offer_id);
		for (size_t i = 0; i < ntasks; i++)
			task_invalid(m, fw, specs[i].id, NULL, "TASK_DROPPED", "REASON_INVALID_OFFERS", why);
		free(why);
		free(specs);
		return;
	}
	if (!more)
		m->metrics.offers_accepted++;
	struct master_agent *a = o->agent;
	struct res remaining;
	res_copy(&remaining, &o->resources);
	double now = compat_wall_time();

	for (size_t i = 0; i < ntasks; i++) {
		struct task_spec *s = &specs[i];
		struct res want, taken;
		char why[MASTER_ERR_MAX];
		int dup = 0;

		res_init(&want);
		res_init(&taken);
		for (size_t j = 0; j < i; j++)
			if (strcmp(specs[j].id, s->id) == 0)
				dup = 1;
		if (id_check("task ID", s->id, why, sizeof(why)) < 0) {
			/* why is set */
		} else if (dup || map_get(&fw->tasks, s->id)) {
			snprintf(why, sizeof(why), "task ID '%.64s' is already in use", s->id);
		} else if ((!s->command || !*s->command) && !s->executor_id) {
			/* A custom executor knows what to do with a task without one. */
			snprintf(why, sizeof(why), "task %.64s has no command", s->id);
		} else if (!s->resources) {
			snprintf(why, sizeof(why), "task %.64s has no resources", s->id);
		} else if (res_parse(&want, s->resources, why, sizeof(why)) < 0) {
			/* why is set */
		} else if (res_empty(&want)) {
			snprintf(why, sizeof(why), "task %.64s asks for no resources", s->id);
		} else if (res_take(&remaining, &want, fw->role, &taken, why, sizeof(why)) < 0) {
			/* why is set: what did not fit */
		} else if (master_auth_run_task_check(m, fw, s->user ? s->user : fw->user, why,
		                                      sizeof(why)) < 0) {
			/* why is set: the ACLs refused */
		} else {
			why[0] = '\0';
		}
		if (why[0]) {
			task_invalid(m, fw, s->id, a->id, "TASK_ERROR", "REASON_TASK_INVALID", why);
			res_free(&want);
			res_free(&taken);
			continue;
		}
		struct master_task *t = master_task_new(fw, a, s->id, s->name, &taken);
		if (s->user != NULL && *s->user != '\0')
			t->user = xstrdup(s->user);
		master_task_update(m, t, "TASK_STAGING", "SOURCE_MASTER", NULL, NULL, NULL, now, 1);
		send_run_task(m, fw, a, t, msg, s);
		res_free(&want);
		res_free(&taken);
	}
	free(specs);
	if (more) {
		/* The offer holds what is left for the next part, still the framework's. */
		res_free(&o->resources);
		o->resources = remaining;
		return;
	}

	struct alloc_fw *afw = fw->alloc;
	struct alloc_agent *aag = a->alloc;
	master_offer_free(m, o);
	if (!res_empty(&remaining))
		alloc_recover(m->alloc, afw, aag, &remaining, refuse_ms, loop_now(m->loop));
	res_free(&remaining);
	master_offer_allocate_soon(m);
}

static void
framework_decline(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_framework *fw = need_framework(p);
	const char *offer_id;
	double refuse_s;

	if (!fw)
		return;
	if (!(offer_id = proto_need(msg, "offer_id", m->err, sizeof(m->err))) ||
	    proto_get_double(msg, "refuse_seconds", DEFAULT_REFUSE_MS / MASTER_MS_PER_SECOND,
	                     &refuse_s, m->err, sizeof(m->err)) < 0) {
		master_peer_error(p, m->err);
		return;
	}
	struct master_offer *o = map_get(&m->offers, offer_id);
	if (!o || o->fw != fw) {
		log_debug("framework %s declined unknown offer %s", fw->id, offer_id);
		return;
	}
	long long refuse_ms = refuse_s < 0 ? DEFAULT_REFUSE_MS :
	                      (long long)(refuse_s * MASTER_MS_PER_SECOND);
	if (refuse_ms > MAX_REFUSE_MS)
		refuse_ms = MAX_REFUSE_MS;
	m->metrics.offers_declined++;
	alloc_recover(m->alloc, fw->alloc, o->agent->alloc, &o->resources, refuse_ms,
	              loop_now(m->loop));
	master_offer_free(m, o);
	master_offer_allocate_soon(m);
}

static void
framework_acknowledge(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_framework *fw = need_framework(p);
	struct proto_ack ack;

	if (!fw)
		return;
	if (proto_ack_parse(msg, &ack, m->err, sizeof(m->err)) < 0) {
		master_peer_error(p, m->err);
		return;
	}
	if (ack.agent_id == NULL) {
		master_peer_error(p, "missing field 'agent_id'");
		return;
	}
	/* Remembered: a resend of it (its ack lost with the agent) is acked here, not shown again. */
	if (ack.task_id != NULL && ack.uuid != NULL)
		master_task_mark_acked(fw, ack.task_id, ack.uuid);
	struct master_agent *a = map_get(&m->agents, ack.agent_id);
	if (!a || !a->peer)
		return;      /* the agent resends the update after it reconnects */
	/* To the agent, the framework is named and the agent is the one it goes to. */
	ack.framework_id = fw->id;
	ack.agent_id = NULL;
	master_task_forward_ack(m, a->peer, &ack);
}

static void
framework_kill(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_framework *fw = own_framework(m, p, msg);
	const char *task_id;

	if (!fw)
		return;
	if (!(task_id = proto_need(msg, "task_id", m->err, sizeof(m->err)))) {
		master_peer_error(p, m->err);
		return;
	}
	struct master_task *t = map_get(&fw->tasks, task_id);
	if (!t && master_registry_recovering(m)) {
		/* Its agent may be on its way back after a master restart: wait for it. */
		log_info("framework %s: kill of task %s unknown while agents re-register; ignored",
		         fw->id, task_id);
		return;
	}
	if (!t) {
		master_task_send_unknown(fw, task_id, NULL, "TASK_LOST", "REASON_RECONCILIATION",
		                    "task is unknown to the master");
		return;
	}
	if (master_task_kill(m, t, proto_get(msg, "grace_ms"), m->err, sizeof(m->err)) < 0)
		log_info("framework %s: cannot kill task %s yet: %s", fw->id, task_id, m->err);
}

static void
send_reconcile(struct master_framework *fw, const struct master_task *t)
{
	struct master *m = fw->m;
	const struct master_task_status *s = t->nstatuses ? &t->statuses[t->nstatuses - 1] : NULL;
	struct proto_status st = {
		.framework_id = fw->id, .task_id = t->id, .agent_id = t->agent_id, .state = t->state,
		.source = "SOURCE_MASTER", .reason = "REASON_RECONCILIATION",
		.message = s ? s->message : NULL, .healthy = PROTO_HEALTHY_NONE,
		.timestamp = compat_wall_time(),
	};

	proto_status_compose(master_out(m), &st);
	master_send(m, fw->peer);
}

static void
framework_reconcile(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_framework *fw = need_framework(p);
	if (!fw)
		return;
	size_t n = proto_count(msg, "task_id");
	if (n == 0) {
		struct master_task *t;
		for (size_t it = 0; map_next(&fw->tasks, &it, NULL, (void **)&t);)
			send_reconcile(fw, t);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *id = proto_get_nth(msg, "task_id", i);
		struct master_task *t = map_get(&fw->tasks, id);
		if (!t)
			t = master_task_find_completed(fw, id);
		if (t)
			send_reconcile(fw, t);
		else if (master_registry_recovering(m))
			continue;   /* no answer yet, as Mesos: its agent may still re-register */
		else
			master_task_send_unknown(fw, id, NULL, "TASK_LOST", "REASON_RECONCILIATION",
			                    "task is unknown to the master");
	}
}

static void
framework_suppress(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_framework *fw = need_framework(p);
	(void)msg;
	if (fw)
		alloc_fw_suppress(m->alloc, fw->alloc);
}

static void
framework_revive(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_framework *fw = need_framework(p);
	(void)msg;
	if (!fw)
		return;
	alloc_fw_revive(m->alloc, fw->alloc);
	master_offer_allocate_soon(m);
}

static void
framework_teardown(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_framework *fw = own_framework(m, p, msg);

	if (fw)
		master_framework_remove(m, fw, "the framework asked for teardown");
}

/*
 * To one executor, through its agent. Best effort, as in Mesos: an
 * unknown or absent agent drops the message with a log line (no ERROR:
 * the framework did nothing wrong), and so does an agent without that
 * executor.
 */
static void
framework_message(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	struct master_framework *fw = need_framework(p);
	const char *agent_id, *executor_id;
	const struct proto_field *data = NULL;

	if (!fw)
		return;
	if (!(agent_id = proto_need(msg, "agent_id", m->err, sizeof(m->err))) ||
	    !(executor_id = proto_need(msg, "executor_id", m->err, sizeof(m->err)))) {
		master_peer_error(p, m->err);
		return;
	}
	for (size_t i = 0; i < msg->nfields && !data; i++)
		if (strcmp(msg->fields[i].key, "data") == 0)
			data = &msg->fields[i];
	if (!data) {
		master_peer_error(p, "missing field 'data'");
		return;
	}
	struct master_agent *a = map_get(&m->agents, agent_id);
	if (!a || !a->peer) {
		log_info("framework %s: message for executor %.64s on agent %.64s dropped: no such "
		         "agent connected", fw->id, executor_id, agent_id);
		return;
	}
	master_msg(m, "FRAMEWORK_MESSAGE");
	proto_add(&m->out, "framework_id", fw->id);
	proto_add(&m->out, "executor_id", executor_id);
	proto_addn(&m->out, "data", data->val, data->vlen);
	master_send(m, a->peer);
}

const struct master_handler master_framework_handlers[] = {
	{ "SUBSCRIBE", framework_subscribe },
	{ "ACCEPT", framework_accept },
	{ "DECLINE", framework_decline },
	{ "ACKNOWLEDGE", framework_acknowledge },
	{ "KILL", framework_kill },
	{ "RECONCILE", framework_reconcile },
	{ "SUPPRESS", framework_suppress },
	{ "REVIVE", framework_revive },
	{ "TEARDOWN", framework_teardown },
	{ "FRAMEWORK_MESSAGE", framework_message },
	{ NULL, NULL },
};
