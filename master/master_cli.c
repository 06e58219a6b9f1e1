/*
 * master_cli.c: operator requests from mesosctl over the protocol: kill a
 * task, read a file from a task's sandbox or list one of its directories
 * (relayed to its agent and back; the web page's reads too, master_web.c),
 * tear a framework down.
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

#define FILE_READ_MAX 32768             /* bytes one READ_FILE may ask for */
#define FILE_LIST_MAX 16384             /* bytes of listing one LIST_FILES may ask for */

static void
reply_failed(struct master_peer *p, const char *reason)
{
	master_msg(p->m, "FAILED");
	proto_add(&p->m->out, "reason", reason);
	master_send(p->m, p);
}

static void
reply_ok(struct master_peer *p)
{
	master_msg(p->m, "OK");
	master_send(p->m, p);
}

/* ---------------------------------------------------------------- handlers: cli */

/* Find a task (live or completed) by ID, optionally within one framework. */
static struct master_task *
find_task(struct master *m, const char *task_id, const char *fw_id, char *err, size_t errlen)
{
	struct master_task *found = NULL, *done = NULL;
	int matches = 0;
	struct master_framework *fw;

	for (size_t it = 0; map_next(&m->frameworks, &it, NULL, (void **)&fw);) {
		if (fw_id && *fw_id && strcmp(fw->id, fw_id) != 0)
			continue;
		struct master_task *t = map_get(&fw->tasks, task_id);
		if (t) {
			found = t;
			matches++;
		} else if (!done) {
			done = master_task_find_completed(fw, task_id);
		}
	}
	if (matches > 1) {
		snprintf(err, errlen, "task ID '%.64s' is used by several frameworks; name one with "
		         "--framework", task_id);
		return NULL;
	}
	if (found)
		return found;
	if (done)
		return done;
	size_t max = (size_t)m->cfg.max_completed_frameworks;
	for (size_t i = m->ncompleted_frameworks; i-- > 0;) {
		fw = m->completed_frameworks[(m->completed_frameworks_head + i) % max];
		if (fw_id && *fw_id && strcmp(fw->id, fw_id) != 0)
			continue;
		if ((done = master_task_find_completed(fw, task_id)))
			return done;
	}
	snprintf(err, errlen, "unknown task '%.64s'", task_id);
	return NULL;
}

static void
cli_kill_task(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	const char *task_id = proto_need(msg, "task_id", m->err, sizeof(m->err));
	if (!task_id) {
		master_peer_error(p, m->err);
		return;
	}
	struct master_task *t = find_task(m, task_id, proto_get(msg, "framework_id"), m->err,
	                                  sizeof(m->err));
	if (!t) {
		reply_failed(p, m->err);
		return;
	}
	if (proto_state_terminal(t->state)) {
		snprintf(m->err, sizeof(m->err), "task %.64s has already ended (%s)", t->id, t->state);
		reply_failed(p, m->err);
		return;
	}
	if (master_task_kill(m, t, proto_get(msg, "grace_ms"), m->err, sizeof(m->err)) < 0) {
		reply_failed(p, m->err);
		return;
	}
	log_info("operator at %s asked to kill task %s of framework %s", conn_peer(p->conn), t->id,
	         t->fw->id);
	reply_ok(p);
}

static void
file_request_timeout(struct loop *loop, void *arg)
{
	struct master_file_request *fr = arg;
	struct master *m = fr->m;

	(void)loop;
	fr->timer = 0;
	if (fr->cli) {
		master_msg(m, "FILE_ERROR");
		proto_add(&m->out, "reason", "the agent did not answer in time");
		master_send(m, fr->cli);
	}
	if (fr->x)
		master_web_file_reply(fr->x, NULL, NULL, "the agent did not answer in time");
	map_del(&fr->m->file_requests, fr->id);
	free(fr->agent_id);
	free(fr);
}

/* Send verb for task t to its agent a under a request ID of ours; the answer goes to p or x. */
static struct master_file_request *
start_relay(struct master *m, const struct master_task *t, const struct master_agent *a,
            struct master_peer *p, struct http_exchange *x, const char *verb, const char *path,
            long long offset, long long length)
{
	struct master_file_request *fr = xcalloc(1, sizeof(*fr));
	/* Unguessable, so no one can answer a request without having been asked it. */
	id_random_hex(fr->id, MASTER_REQUEST_ID_HEX_LEN);
	fr->cli = p;
	fr->x = x;
	fr->agent_id = xstrdup(a->id);
	fr->m = m;
	fr->timer = loop_timer_add(m->loop, MASTER_FILE_REQUEST_TIMEOUT_MS, file_request_timeout, fr);
	map_put(&m->file_requests, fr->id, fr);

	master_msg(m, verb);
	proto_add(&m->out, "request_id", fr->id);
	proto_add(&m->out, "framework_id", t->fw->id);
	proto_add(&m->out, "task_id", t->id);
	proto_add(&m->out, "path", path);
	proto_add_int(&m->out, "offset", offset);
	proto_add_int(&m->out, "length", length);
	master_send(m, a->peer);
	return fr;
}

/*
 * READ_FILE and LIST_FILES: checked here, relayed to the task's agent
 * under a request ID of ours, and its FILE_DATA or FILE_ERROR relayed back
 * (master_cli_file_reply).
 */
static void
relay_file_request(struct master *m, struct master_peer *p, const struct proto_msg *msg,
                   long long max, const char *default_path)
{
	const char *task_id = proto_need(msg, "task_id", m->err, sizeof(m->err));
	const char *path = proto_get(msg, "path");
	long long offset, length;

	if (!task_id ||
	    proto_get_int(msg, "offset", 0, &offset, m->err, sizeof(m->err)) < 0 ||
	    proto_get_int(msg, "length", max, &length, m->err, sizeof(m->err)) < 0) {
		master_peer_error(p, m->err);
		return;
	}
	struct master_task *t = find_task(m, task_id, proto_get(msg, "framework_id"), m->err,
	                                  sizeof(m->err));
	if (t && !master_auth_cli_sandbox(m, p, t))
		return;
	struct master_agent *a = t ? map_get(&m->agents, t->agent_id) : NULL;
	if (t && (!a || !a->peer))
		snprintf(m->err, sizeof(m->err), "agent %s of task %s is not connected", t->agent_id,
		         t->id);
	if (!t || !a || !a->peer) {
		master_msg(m, "FILE_ERROR");
		proto_add(&m->out, "reason", m->err);
		master_send(m, p);
		return;
	}
	if (offset < 0 || length < 0) {
		master_msg(m, "FILE_ERROR");
		proto_add(&m->out, "reason", "offset and length must not be negative");
		master_send(m, p);
		return;
	}
	start_relay(m, t, a, p, NULL, msg->verb, path ? path : default_path, offset,
	            length > max ? max : length);
}

static void
cli_read_file(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	relay_file_request(m, p, msg, FILE_READ_MAX, "stdout");
}

static void
cli_list_files(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	relay_file_request(m, p, msg, FILE_LIST_MAX, "");
}

/* The web page's request went away first: its answer, when it comes, goes nowhere. */
static void
file_http_abort(struct http_exchange *x, void *arg)
{
	struct master_file_request *fr = arg;

	(void)x;
	fr->x = NULL;
}

int
master_cli_file_http(struct master *m, struct http_exchange *x, const char *verb,
                     const char *task_id, const char *fw_id, const char *path, long long offset,
                     long long length, char *err, size_t errlen)
{
	long long max = strcmp(verb, "LIST_FILES") == 0 ? FILE_LIST_MAX : FILE_READ_MAX;
	struct master_task *t = find_task(m, task_id, fw_id, err, errlen);
	struct master_agent *a = t ? map_get(&m->agents, t->agent_id) : NULL;
	struct master_file_request *fr;

	if (!t)
		return MASTER_FILE_NO_TASK;
	if (!master_auth_http_sandbox(m, master_task_user(t), err, errlen))
		return MASTER_FILE_FORBIDDEN;
	if (!a || !a->peer) {
		snprintf(err, errlen, "agent %s of task %s is not connected", t->agent_id, t->id);
		return MASTER_FILE_NO_AGENT;
	}
	fr = start_relay(m, t, a, NULL, x, verb, path, offset < 0 ? 0 : offset,
	                 length < 0 || length > max ? max : length);
	http_defer(x, file_http_abort, fr);
	return 0;
}

static void
cli_teardown(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	const char *fw_id = proto_need(msg, "framework_id", m->err, sizeof(m->err));
	if (!fw_id) {
		master_peer_error(p, m->err);
		return;
	}
	struct master_framework *fw = map_get(&m->frameworks, fw_id);
	if (!fw) {
		snprintf(m->err, sizeof(m->err), "unknown framework '%.64s'", fw_id);
		reply_failed(p, m->err);
		return;
	}
	log_info("operator at %s asked to tear down framework %s", conn_peer(p->conn), fw->id);
	if (fw->peer) {
		master_msg(m, "ERROR");
		proto_add(&m->out, "reason", "framework torn down by an operator");
		master_send(m, fw->peer);
		conn_close_after_flush(fw->peer->conn, "framework torn down");
	}
	master_framework_remove(m, fw, "torn down by an operator");
	reply_ok(p);
}

void
master_cli_fail_requests(struct master *m, const char *agent_id, const char *why)
{
	struct master_file_request *fr;
	for (size_t it = 0; map_next(&m->file_requests, &it, NULL, (void **)&fr);) {
		if (strcmp(fr->agent_id, agent_id) != 0)
			continue;
		if (fr->cli) {
			master_msg(m, "FILE_ERROR");
			proto_add(&m->out, "reason", why);
			master_send(m, fr->cli);
		}
		if (fr->x)
			master_web_file_reply(fr->x, NULL, NULL, why);
		map_del(&m->file_requests, fr->id);
		loop_timer_cancel(m->loop, fr->timer);
		free(fr->agent_id);
		free(fr);
	}
}

void
master_cli_file_reply(struct master *m, const struct proto_msg *msg)
{
	const char *rid = proto_get(msg, "request_id");
	struct master_file_request *fr = rid ? map_get(&m->file_requests, rid) : NULL;

	if (!fr)
		return;
	if (fr->cli) {
		master_msg(m, msg->verb);
		for (size_t i = 0; i < msg->nfields; i++)
			if (strcmp(msg->fields[i].key, "request_id") != 0)
				proto_addn(&m->out, msg->fields[i].key, msg->fields[i].val,
				           msg->fields[i].vlen);
		master_send(m, fr->cli);
	}
	if (fr->x)
		master_web_file_reply(fr->x, msg->verb, msg, NULL);
	map_del(&m->file_requests, fr->id);
	loop_timer_cancel(m->loop, fr->timer);
	free(fr->agent_id);
	free(fr);
}

void
master_cli_peer_gone(struct master *m, struct master_peer *p)
{
	struct master_file_request *fr;
	for (size_t it = 0; map_next(&m->file_requests, &it, NULL, (void **)&fr);)
		if (fr->cli == p)
			fr->cli = NULL;
}

void
master_cli_free_requests(struct master *m)
{
	struct master_file_request *fr;
	for (size_t it = 0; map_next(&m->file_requests, &it, NULL, (void **)&fr);) {
		if (fr->x)
			master_web_file_reply(fr->x, NULL, NULL, "the master is shutting down");
		loop_timer_cancel(m->loop, fr->timer);
		free(fr->agent_id);
		free(fr);
	}
}

const struct master_handler master_cli_handlers[] = {
	{ "KILL_TASK", cli_kill_task },
	{ "READ_FILE", cli_read_file },
	{ "LIST_FILES", cli_list_files },
	{ "TEARDOWN_FRAMEWORK", cli_teardown },
	{ NULL, NULL },
};
