/*
 * master_http.c: the master's HTTP endpoints, shaped and named as Mesos's
 * so that its tools and habits carry over: /master/state, /master/roles,
 * /metrics/snapshot, /health, /version; and the two operator calls that
 * change the allocator at run time, as Mesos's: POST /quota (DELETE
 * /quota/ROLE) and PUT /weights.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "compat.h"
#include "log.h"
#include "http.h"
#include "json.h"
#include "master.h"
#include "master_plugins.h"
#include "proto.h"
#include "xmem.h"

#define QUOTA_BODY_MAX 65536     /* bytes of a quota or weights request */
#define ROLE_NAME_MAX 255        /* bytes of a role named in a quota or weights request */
#define REPLY_TEXT_MAX 300       /* bytes of a reply's text made here (error, pid) */
#define REQUEST_ERR_MAX 256      /* bytes of why a request is refused */

static void
write_status(struct json_w *w, const struct master_task_status *s)
{
	json_obj_begin(w);
	json_kstr(w, "state", s->state);
	json_kdouble(w, "timestamp", s->timestamp);
	if (s->source)
		json_kstr(w, "source", s->source);
	if (s->reason)
		json_kstr(w, "reason", s->reason);
	if (s->message)
		json_kstr(w, "message", s->message);
	if (s->uuid)
		json_kstr(w, "uuid", s->uuid);
	if (s->healthy >= 0)
		json_kbool(w, "healthy", s->healthy);
	json_obj_end(w);
}

static void
write_task(struct json_w *w, const struct master_task *t)
{
	json_obj_begin(w);
	json_kstr(w, "id", t->id);
	json_kstr(w, "name", t->name);
	json_kstr(w, "framework_id", t->fw->id);
	json_kstr(w, "executor_id", "");
	json_kstr(w, "slave_id", t->agent_id);
	json_kstr(w, "state", t->state);
	json_key(w, "resources");
	res_json(&t->resources, w);
	if (t->usage.known) {
		/* What its supervisor measured, with Mesos's /monitor/statistics names. */
		json_key(w, "statistics");
		json_obj_begin(w);
		json_kdouble(w, "cpus_user_time_secs", t->usage.cpus_user_time_secs);
		json_kdouble(w, "cpus_system_time_secs", t->usage.cpus_system_time_secs);
		json_kint(w, "mem_rss_bytes", t->usage.mem_rss_bytes);
		json_kint(w, "disk_used_bytes", t->usage.disk_used_bytes);
		json_obj_end(w);
	}
	json_key(w, "statuses");
	json_arr_begin(w);
	for (size_t i = 0; i < t->nstatuses; i++)
		write_status(w, &t->statuses[i]);
	json_arr_end(w);
	json_obj_end(w);
}

/* t, if the request's principal may see it (view_tasks, on the task's user). */
static void
write_task_seen(struct json_w *w, const struct master *m, const struct master_task *t)
{
	if (master_auth_http_may_view(m, MASTER_ACL_VIEW_TASKS, master_task_user(t)))
		write_task(w, t);
}

static void
write_framework(struct json_w *w, const struct master *m, const struct master_framework *fw,
                int live, int with_tasks)
{
	struct res used, offered, total;
	const struct master_task *t;

	if (!master_auth_http_may_view(m, MASTER_ACL_VIEW_FRAMEWORKS, fw->user))
		return;
	res_init(&used);
	for (size_t it = 0; map_next(&fw->tasks, &it, NULL, (void **)&t);)
		res_add(&used, &t->resources);
	master_offer_resources(m, fw, &offered);
	res_copy(&total, &used);
	res_add(&total, &offered);

	json_obj_begin(w);
	json_kstr(w, "id", fw->id);
	json_kstr(w, "name", fw->name);
	json_kstr(w, "user", fw->user);
	json_kstr(w, "role", fw->role);
	json_kstr(w, "principal", fw->principal);
	json_kbool(w, "active", live && fw->peer != NULL);
	json_kbool(w, "connected", live && fw->peer != NULL);
	json_kbool(w, "recovered", fw->recovered);
	json_kdouble(w, "failover_timeout", fw->failover_timeout);
	json_kbool(w, "checkpoint", fw->checkpoint);
	json_key(w, "capabilities");
	json_arr_begin(w);
	if (fw->partition_aware)
		json_str(w, "PARTITION_AWARE");
	json_arr_end(w);
	master_plugins_framework_json(m, fw->id, w);
	json_kdouble(w, "registered_time", fw->registered_time);
	if (!live)
		json_kdouble(w, "unregistered_time", fw->unregistered_time);
	json_kdouble(w, "dominant_share", live && fw->alloc ? alloc_fw_share(m->alloc, fw->alloc) : 0.0);
	json_key(w, "resources");
	res_json(&total, w);
	json_key(w, "used_resources");
	res_json(&used, w);
	json_key(w, "offered_resources");
	res_json(&offered, w);
	json_kint(w, "task_count", (long long)map_len(&fw->tasks));
	if (!with_tasks) {
		json_obj_end(w);
		res_free(&used);
		res_free(&offered);
		res_free(&total);
		return;
	}
	json_key(w, "tasks");
	json_arr_begin(w);
	for (size_t it = 0; map_next(&fw->tasks, &it, NULL, (void **)&t);)
		write_task_seen(w, m, t);
	json_arr_end(w);
	json_key(w, "completed_tasks");
	json_arr_begin(w);
	for (size_t i = 0; i < master_task_completed_count(fw); i++)
		write_task_seen(w, m, master_task_completed_at(fw, i));
	json_arr_end(w);
	json_obj_end(w);
	res_free(&used);
	res_free(&offered);
	res_free(&total);
}

static void
write_agent(struct json_w *w, const struct master_agent *a)
{
	json_obj_begin(w);
	json_kstr(w, "id", a->id);
	json_kstr(w, "hostname", a->hostname);
	json_kdouble(w, "registered_time", a->registered_time);
	json_key(w, "resources");
	res_json(&a->total, w);
	json_key(w, "used_resources");
	res_json(&a->used, w);
	json_key(w, "free_resources");
	res_json(alloc_agent_free(a->alloc), w);
	json_key(w, "attributes");
	attrs_json(&a->attributes, w);
	json_kstr(w, "isolation", a->isolation);
	json_kbool(w, "disk_full", a->disk_full);
	if (a->disk_reason != NULL)
		json_kstr(w, "disk_full_reason", a->disk_reason);
	json_kbool(w, "active", a->peer != NULL);
	json_kint(w, "task_count", (long long)map_len(&a->tasks));
	json_kstr(w, "version", MASTER_VERSION);
	json_obj_end(w);
}

static void
serve_state(struct http_exchange *x, struct master *m)
{
	struct buf body;
	struct json_w w;
	struct master_agent *a;
	struct master_framework *fw;
	long long active = 0;

	buf_init(&body, 0);
	json_w_init(&w, &body);
	for (size_t it = 0; map_next(&m->agents, &it, NULL, (void **)&a);)
		active += a->peer != NULL;

	json_obj_begin(&w);
	json_kstr(&w, "version", MASTER_VERSION);
	json_kstr(&w, "id", m->id);
	{
		char pid[REPLY_TEXT_MAX];
		snprintf(pid, sizeof(pid), "master@%s:%d",
		         m->cfg.ip && *m->cfg.ip ? m->cfg.ip : MASTER_DEFAULT_IP, m->port);
		json_kstr(&w, "pid", pid);
	}
	json_kstr(&w, "hostname", m->cfg.hostname);
	json_kdouble(&w, "start_time", m->start_time);
	json_kdouble(&w, "elected_time", m->start_time);
	json_kint(&w, "activated_slaves", active);
	json_kint(&w, "deactivated_slaves", (long long)map_len(&m->agents) - active);
	json_kint(&w, "unreachable_slaves", (long long)map_len(&m->unreachable_agents));
	json_key(&w, "unreachable_agents");
	json_arr_begin(&w);
	{
		const char *uid;
		struct master_unreachable *u;

		for (size_t it = 0; map_next(&m->unreachable_agents, &it, &uid, (void **)&u);) {
			json_obj_begin(&w);
			json_kstr(&w, "id", uid);
			json_kstr(&w, "hostname", u->hostname);
			json_kdouble(&w, "unreachable_time", u->since);
			json_obj_end(&w);
		}
	}
	json_arr_end(&w);
	json_key(&w, "slaves");
	json_arr_begin(&w);
	for (size_t it = 0; map_next(&m->agents, &it, NULL, (void **)&a);)
		write_agent(&w, a);
	json_arr_end(&w);
	json_key(&w, "frameworks");
	json_arr_begin(&w);
	for (size_t it = 0; map_next(&m->frameworks, &it, NULL, (void **)&fw);)
		write_framework(&w, m, fw, 1, 1);
	json_arr_end(&w);
	json_key(&w, "completed_frameworks");
	json_arr_begin(&w);
	size_t max = (size_t)m->cfg.max_completed_frameworks;
	for (size_t i = 0; i < m->ncompleted_frameworks; i++)
		write_framework(&w, m, m->completed_frameworks[(m->completed_frameworks_head + i) % max], 0,
		                1);
	json_arr_end(&w);
	master_plugins_state_json(m, &w);
	json_key(&w, "orphan_tasks");
	json_arr_begin(&w);
	json_arr_end(&w);
	json_key(&w, "unregistered_frameworks");
	json_arr_begin(&w);
	json_arr_end(&w);
	json_obj_end(&w);

	http_reply_json(x, 200, &body);
	buf_free(&body);
}

static void
count_task_state(const char *state, long long *staging, long long *starting, long long *running,
                 long long *killing)
{
	if (strcmp(state, "TASK_STAGING") == 0)
		(*staging)++;
	else if (strcmp(state, "TASK_STARTING") == 0)
		(*starting)++;
	else if (strcmp(state, "TASK_RUNNING") == 0)
		(*running)++;
	else if (strcmp(state, "TASK_KILLING") == 0)
		(*killing)++;
}

static void
serve_metrics(struct http_exchange *x, struct master *m)
{
	struct buf body;
	struct json_w w;
	struct master_agent *a;
	struct master_framework *fw;
	long long active = 0, fw_active = 0, fw_inactive = 0, disk_full = 0;
	long long staging = 0, starting = 0, running = 0, killing = 0;
	int64_t total_cpus = 0, used_cpus = 0, total_mem = 0, used_mem = 0, total_disk = 0,
	        used_disk = 0;

	for (size_t it = 0; map_next(&m->agents, &it, NULL, (void **)&a);) {
		active += a->peer != NULL;
		disk_full += a->disk_full;
		total_cpus += res_scalar(&a->total, "cpus");
		total_mem += res_scalar(&a->total, "mem");
		total_disk += res_scalar(&a->total, "disk");
		used_cpus += res_scalar(&a->used, "cpus");
		used_mem += res_scalar(&a->used, "mem");
		used_disk += res_scalar(&a->used, "disk");
	}
	for (size_t it = 0; map_next(&m->frameworks, &it, NULL, (void **)&fw);) {
		const struct master_task *t;
		if (fw->peer)
			fw_active++;
		else
			fw_inactive++;
		for (size_t jt = 0; map_next(&fw->tasks, &jt, NULL, (void **)&t);)
			count_task_state(t->state, &staging, &starting, &running, &killing);
	}

	buf_init(&body, 0);
	json_w_init(&w, &body);
	json_obj_begin(&w);
	json_kdouble(&w, "master/uptime_secs",
	             (double)(compat_monotonic_ms() - m->start_ms) / MASTER_MS_PER_SECOND);
	json_kdouble(&w, "master/elected", 1.0);
	json_kdouble(&w, "master/slaves_active", (double)active);
	json_kdouble(&w, "master/slaves_inactive", (double)((long long)map_len(&m->agents) - active));
	json_kdouble(&w, "master/slaves_connected", (double)active);
	json_kdouble(&w, "master/slaves_disconnected",
	             (double)((long long)map_len(&m->agents) - active));
	json_kdouble(&w, "master/slaves_disk_full", (double)disk_full);
	json_kdouble(&w, "master/slave_registrations", (double)m->metrics.agent_registrations);
	json_kdouble(&w, "master/slave_reregistrations", (double)m->metrics.agent_reregistrations);
	json_kdouble(&w, "master/slave_removals", (double)m->metrics.agent_removals);
	json_kdouble(&w, "master/slaves_removed_remembered",
	    (double)master_agent_removed_count(m, compat_wall_time()));
	json_kdouble(&w, "master/slaves_unreachable", (double)map_len(&m->unreachable_agents));
	json_kdouble(&w, "master/slave_unreachable_completed",
	             (double)m->metrics.agents_marked_unreachable);
	json_kdouble(&w, "master/frameworks_active", (double)fw_active);
	json_kdouble(&w, "master/frameworks_inactive", (double)fw_inactive);
	json_kdouble(&w, "master/frameworks_connected", (double)fw_active);
	json_kdouble(&w, "master/frameworks_disconnected", (double)fw_inactive);
	json_kdouble(&w, "master/tasks_staging", (double)staging);
	json_kdouble(&w, "master/tasks_starting", (double)starting);
	json_kdouble(&w, "master/tasks_running", (double)running);
	json_kdouble(&w, "master/tasks_killing", (double)killing);
	json_kdouble(&w, "master/tasks_finished", (double)m->metrics.tasks_finished);
	json_kdouble(&w, "master/tasks_failed", (double)m->metrics.tasks_failed);
	json_kdouble(&w, "master/tasks_killed", (double)m->metrics.tasks_killed);
	json_kdouble(&w, "master/tasks_lost", (double)m->metrics.tasks_lost);
	json_kdouble(&w, "master/tasks_error", (double)m->metrics.tasks_error);
	json_kdouble(&w, "master/tasks_dropped", (double)m->metrics.tasks_dropped);
	json_kdouble(&w, "master/tasks_unreachable", (double)m->metrics.tasks_unreachable);
	json_kdouble(&w, "master/cpus_total", (double)total_cpus / RES_SCALAR_ONE);
	json_kdouble(&w, "master/cpus_used", (double)used_cpus / RES_SCALAR_ONE);
	json_kdouble(&w, "master/mem_total", (double)total_mem / RES_SCALAR_ONE);
	json_kdouble(&w, "master/mem_used", (double)used_mem / RES_SCALAR_ONE);
	json_kdouble(&w, "master/disk_total", (double)total_disk / RES_SCALAR_ONE);
	json_kdouble(&w, "master/disk_used", (double)used_disk / RES_SCALAR_ONE);
	json_kdouble(&w, "master/outstanding_offers", (double)map_len(&m->offers));
	json_kdouble(&w, "master/messages_received", (double)m->metrics.messages_received);
	json_kdouble(&w, "master/invalid_messages", (double)m->metrics.invalid_messages);
	json_kdouble(&w, "master/invalid_status_updates", (double)m->metrics.invalid_status_updates);
	json_kdouble(&w, "master/invalid_file_replies", (double)m->metrics.invalid_file_replies);
	json_kdouble(&w, "master/invalid_framework_messages",
	             (double)m->metrics.invalid_framework_messages);
	json_kdouble(&w, "master/agent_takeovers_refused", (double)m->metrics.agent_takeovers_refused);
	json_kdouble(&w, "master/offers_sent", (double)m->metrics.offers_sent);
	json_kdouble(&w, "master/offers_declined", (double)m->metrics.offers_declined);
	json_kdouble(&w, "master/offers_accepted", (double)m->metrics.offers_accepted);
	json_kdouble(&w, "master/offers_rescinded", (double)m->metrics.offers_rescinded);
	json_kdouble(&w, "master/frameworks_removed", (double)m->metrics.frameworks_removed);
	json_kdouble(&w, "master/authentication_successes", (double)m->metrics.auth_successes);
	json_kdouble(&w, "master/authentication_failures", (double)m->metrics.auth_failures);
	json_kdouble(&w, "master/http_authentication_failures", (double)m->metrics.http_auth_failures);
	json_kdouble(&w, "master/authorization_refusals", (double)m->metrics.authz_refusals);
	json_kdouble(&w, "allocator/allocation_runs", (double)m->metrics.allocation_runs);
	json_kdouble(&w, "allocator/allocation_run_ms", m->metrics.allocation_last_ms);
	json_obj_end(&w);
	http_reply_json(x, 200, &body);
	buf_free(&body);
}

static void
serve_version(struct http_exchange *x)
{
	struct buf body;
	struct json_w w;

	buf_init(&body, 0);
	json_w_init(&w, &body);
	json_obj_begin(&w);
	json_kstr(&w, "version", MASTER_VERSION);
	json_kstr(&w, "git_sha", "");
	json_kstr(&w, "build_date", __DATE__);
	json_kstr(&w, "build_time", __TIME__);
	json_kint(&w, "protocol_version", PROTO_VERSION);
	json_obj_end(&w);
	http_reply_json(x, 200, &body);
	buf_free(&body);
}

static void
serve_roles(struct http_exchange *x, struct master *m)
{
	struct buf body;
	struct json_w w;

	buf_init(&body, 0);
	json_w_init(&w, &body);
	alloc_roles_json(m->alloc, &w);
	http_reply_json(x, 200, &body);
	buf_free(&body);
}

/* A role named in a request: Mesos's syntax, checked by the allocator's parser. */
static int
role_ok(const char *role)
{
	return role && *role && strlen(role) <= ROLE_NAME_MAX &&
	       strcspn(role, " \t\r\n,=:;") == strlen(role);
}

/*
 * {"role":"prod","guarantee":{"cpus":4,"mem":2048}}, or Mesos's form with
 * "guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":4}}].
 */
static int
parse_guarantee(const struct json *g, struct res *out, char *err, size_t errlen)
{
	res_init(out);
	if (g && g->type == JSON_OBJECT) {
		for (size_t i = 0; i < g->n; i++) {
			if (g->items[i]->type != JSON_NUMBER || g->items[i]->number < 0) {
				snprintf(err, errlen, "guarantee of '%.64s' must be a number >= 0", g->keys[i]);
				return -1;
			}
			res_set_scalar(out, g->keys[i], "*", (int64_t)(g->items[i]->number * RES_SCALAR_ONE + 0.5));
		}
		return 0;
	}
	if (g && g->type == JSON_ARRAY) {
		for (size_t i = 0; i < g->n; i++) {
			const char *name = json_get_str(g->items[i], "name");
			const struct json *v = json_path(g->items[i], "scalar.value");
			if (!name || !v || v->type != JSON_NUMBER || v->number < 0) {
				snprintf(err, errlen, "guarantee[%zu] needs a name and scalar.value >= 0", i);
				return -1;
			}
			res_set_scalar(out, name, "*", (int64_t)(v->number * RES_SCALAR_ONE + 0.5));
		}
		return 0;
	}
	snprintf(err, errlen, "'guarantee' must be an object or an array");
	return -1;
}

static struct json *
request_json(struct http_exchange *x)
{
	size_t len;
	const char *body = http_body(x, &len);
	char err[REQUEST_ERR_MAX], msg[REPLY_TEXT_MAX];
	struct json *j;

	if (len > QUOTA_BODY_MAX) {
		http_reply_error(x, 413, "request body too large");
		return NULL;
	}
	j = json_parse(body ? body : "", len, err, sizeof(err));
	if (!j) {
		snprintf(msg, sizeof(msg), "malformed JSON: %s", err);
		http_reply_error(x, 400, msg);
	}
	return j;
}

static void
serve_quota_set(struct http_exchange *x, struct master *m)
{
	struct json *j = request_json(x);
	const char *role;
	struct res guarantee;
	char err[REQUEST_ERR_MAX];

	if (!j)
		return;
	role = json_get_str(j, "role");
	if (!role_ok(role)) {
		http_reply_error(x, 400, "'role' must name a role");
	} else if (!master_auth_http_allows(m, x, MASTER_ACL_UPDATE_QUOTAS, role)) {
		/* refused with 403 */
	} else if (parse_guarantee(json_get(j, "guarantee"), &guarantee, err, sizeof(err)) < 0) {
		res_free(&guarantee);
		http_reply_error(x, 400, err);
	} else {
		char *text = res_to_string(&guarantee);
		alloc_set_quota(m->alloc, role, &guarantee);
		log_info("quota of role %s set to %s by %s", role, text, http_peer(x));
		free(text);
		res_free(&guarantee);
		master_offer_allocate_soon(m);
		http_reply(x, 200, "application/json", "{}", 2);
	}
	json_free(j);
}

static void
serve_quota_remove(struct http_exchange *x, struct master *m, const char *role)
{
	if (!role_ok(role)) {
		http_reply_error(x, 400, "name a role: DELETE /quota/ROLE");
		return;
	}
	if (!master_auth_http_allows(m, x, MASTER_ACL_UPDATE_QUOTAS, role))
		return;
	alloc_set_quota(m->alloc, role, NULL);
	log_info("quota of role %s removed by %s", role, http_peer(x));
	master_offer_allocate_soon(m);
	http_reply(x, 200, "application/json", "{}", 2);
}

/* [{"role":"prod","weight":3.0}, ...] */
static void
serve_weights_set(struct http_exchange *x, struct master *m)
{
	struct json *j = request_json(x);

	if (!j)
		return;
	if (j->type != JSON_ARRAY) {
		http_reply_error(x, 400, "expected an array of {\"role\", \"weight\"}");
		json_free(j);
		return;
	}
	for (size_t i = 0; i < j->n; i++) {
		const char *role = json_get_str(j->items[i], "role");
		const struct json *w = json_get(j->items[i], "weight");
		if (!role_ok(role) || !w || w->type != JSON_NUMBER || !(w->number > 0)) {
			char msg[REPLY_TEXT_MAX];
			snprintf(msg, sizeof(msg), "entry %zu needs a role and a weight > 0", i);
			http_reply_error(x, 400, msg);
			json_free(j);
			return;
		}
		if (!master_auth_http_allows(m, x, MASTER_ACL_UPDATE_WEIGHTS, role)) {
			json_free(j);
			return;
		}
	}
	for (size_t i = 0; i < j->n; i++) {
		const char *role = json_get_str(j->items[i], "role");
		double w = json_get(j->items[i], "weight")->number;
		alloc_set_weight(m->alloc, role, w);
		log_info("weight of role %s set to %g by %s", role, w, http_peer(x));
	}
	master_offer_allocate_soon(m);
	http_reply(x, 200, "application/json", "{}", 2);
	json_free(j);
}

/* The writers of /master/state, for the web page's lighter endpoints (master_web.c). */
void
master_http_task_json(struct json_w *w, const struct master_task *t)
{
	write_task(w, t);
}

void
master_http_agent_json(struct json_w *w, const struct master_agent *a)
{
	write_agent(w, a);
}

void
master_http_framework_json(struct json_w *w, const struct master *m,
                           const struct master_framework *fw, int live, int with_tasks)
{
	write_framework(w, m, fw, live, with_tasks);
}

void
master_http_handle(struct http_exchange *x, void *arg)
{
	struct master *m = arg;
	const char *path = http_path(x);
	const char *method = http_method(x);
	int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	static const char *const known[] = {
		"/master/state", "/state", "/master/state.json", "/state.json", "/metrics/snapshot", "/health",
		"/master/health", "/version", "/master/roles", "/roles", NULL,
	};
	int found = 0;

	/* Credentials first: the page and its sandbox reads are behind them too. */
	if (!master_auth_http(m, x))
		return;
	if (master_web_handle(x, m))
		return;
	if (strcmp(path, "/quota") == 0 || strcmp(path, "/master/quota") == 0) {
		if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
			serve_quota_set(x, m);
		else if (is_get)
			serve_roles(x, m);
		else
			http_reply_error(x, 405, "use POST /quota or DELETE /quota/ROLE");
		return;
	}
	if (strncmp(path, "/quota/", strlen("/quota/")) == 0 ||
	    strncmp(path, "/master/quota/", strlen("/master/quota/")) == 0) {
		if (strcmp(method, "DELETE") == 0)
			serve_quota_remove(x, m, path + (path[1] == 'm' ? strlen("/master/quota/") : strlen("/quota/")));
		else
			http_reply_error(x, 405, "use DELETE /quota/ROLE");
		return;
	}
	if (strcmp(path, "/weights") == 0 || strcmp(path, "/master/weights") == 0) {
		if (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0)
			serve_weights_set(x, m);
		else if (is_get)
			serve_roles(x, m);
		else
			http_reply_error(x, 405, "use PUT /weights");
		return;
	}
	for (size_t i = 0; known[i]; i++)
		if (strcmp(path, known[i]) == 0)
			found = 1;
	if (!found) {
		char msg[REPLY_TEXT_MAX];
		snprintf(msg, sizeof(msg), "no such endpoint: %.200s", path);
		http_reply_error(x, 404, msg);
		return;
	}
	if (!is_get) {
		http_add_header(x, "Allow", "GET, HEAD");
		http_reply_error(x, 405, "only GET is supported here");
		return;
	}
	if (strcmp(path, "/health") == 0 || strcmp(path, "/master/health") == 0)
		http_reply(x, 200, "text/plain", "", 0);
	else if (strcmp(path, "/metrics/snapshot") == 0)
		serve_metrics(x, m);
	else if (strcmp(path, "/version") == 0)
		serve_version(x);
	else if (strcmp(path, "/master/roles") == 0 || strcmp(path, "/roles") == 0)
		serve_roles(x, m);
	else
		serve_state(x, m);
}
