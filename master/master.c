/*
 * master.c: the master's core. It owns the listening socket and every peer
 * connection, reads each line, checks the handshake and hands the message
 * to the handler of the peer's kind and verb (tables in master_agent.c,
 * master_framework.c, master_cli.c), and starts and stops the master as a
 * whole. A peer that sends something malformed gets "ERROR reason=..."
 * and is disconnected; what it had registered stays, exactly as after a
 * broken TCP connection.
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
#include "conncap.h"
#include "http.h"
#include "id.h"
#include "log.h"
#include "loop.h"
#include "master.h"
#include "net.h"
#include "proto.h"
#include "xmem.h"

#define PEER_ADDR_MAX 96              /* an accepted peer's "address:port", IPv6 included */
#define SHUTDOWN_ROUNDS 3             /* loop turns for the peers' closes at shutdown */

/* ---------------------------------------------------------------- sending */

struct buf *
master_msg(struct master *m, const char *verb)
{
	buf_reset(&m->out);
	proto_begin(&m->out, verb);
	return &m->out;
}

struct buf *
master_out(struct master *m)
{
	buf_reset(&m->out);
	return &m->out;
}

void
master_send(struct master *m, struct master_peer *p)
{
	if (proto_end(&m->out) < 0) {
		log_warnx("dropping an outgoing message over %d bytes", PROTO_LINE_MAX);
		return;
	}
	if (p && p->conn && !conn_is_closing(p->conn))
		conn_send(p->conn, m->out.data, m->out.len);
}

void
master_peer_error(struct master_peer *p, const char *reason)
{
	struct master *m = p->m;

	log_warnx("peer %s: %s; disconnecting it", conn_peer(p->conn), reason);
	m->metrics.invalid_messages++;
	master_msg(m, "ERROR");
	proto_add(&m->out, "reason", reason);
	master_send(m, p);
	conn_close_after_flush(p->conn, reason);
}

/* ---------------------------------------------------------------- dispatch */

static void
liveness_ping(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	master_msg(m, "PONG");
	if (proto_get(msg, "seq"))
		proto_add(&m->out, "seq", proto_get(msg, "seq"));
	master_send(m, p);
}

static void
liveness_pong(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	(void)m;
	(void)p;
	(void)msg;     /* any line from an agent already counts as alive */
}

/* PING/PONG work the same for every peer kind: looked up after the kind's own table. */
static const struct master_handler liveness_handlers[] = {
	{ "PING", liveness_ping },
	{ "PONG", liveness_pong },
	{ NULL, NULL },
};

static const struct master_handler *
find_handler(const struct master_handler *table, const char *verb)
{
	for (; table->verb; table++)
		if (strcmp(table->verb, verb) == 0)
			return table;
	return NULL;
}

static void
peer_unlink(struct master *m, struct master_peer *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else if (m->peers == p)
		m->peers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
}

static void
peer_hello(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	enum proto_kind kind;

	if (strcmp(msg->verb, "HELLO") != 0) {
		snprintf(m->err, sizeof(m->err), "expected HELLO first, got '%.32s'", msg->verb);
		master_peer_error(p, m->err);
		return;
	}
	if (proto_hello_parse(msg, &kind, m->err, sizeof(m->err)) < 0) {
		master_peer_error(p, m->err);
		return;
	}
	if (kind == PROTO_KIND_EXECUTOR) {
		master_peer_error(p, "executors talk to their agent, not to the master");
		return;
	}
	p->kind = kind;
	if (master_auth_hello(m, p, msg, kind))
		return;
	master_peer_welcome(m, p, NULL);
}

void
master_peer_welcome(struct master *m, struct master_peer *p, const char *proof)
{
	p->hello = 1;
	conn_set_deadline(p->conn, 0, NULL);
	/*
	 * Liveness after HELLO: agents answer the agent pings (master_agent.c),
	 * frameworks the heartbeat PINGs below; a cli peer has no pings and is
	 * closed when idle.
	 */
	if (p->kind == PROTO_KIND_CLI)
		conn_set_idle_timeout(p->conn, MASTER_CLI_IDLE_TIMEOUT_MS);
	else if (p->kind == PROTO_KIND_FRAMEWORK)
		conn_set_idle_timeout(p->conn, m->cfg.framework_heartbeat_interval_ms *
		                      MASTER_FRAMEWORK_MISSED_HEARTBEATS);
	else
		conn_set_idle_timeout(p->conn, 0);
	master_msg(m, "WELCOME");
	proto_add_int(&m->out, "version", PROTO_VERSION);
	proto_add(&m->out, "master_id", m->id);
	if (proof != NULL)
		proto_add(&m->out, "proof", proof);
	master_send(m, p);
}

static void
peer_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct master_peer *p = arg;
	struct master *m = p->m;
	struct proto_msg msg;

	if (!p->hello && http_is_request_line(line)) {
		/* The first line says HTTP: hand the connection to the HTTP server. */
		peer_unlink(m, p);
		conn_set_idle_timeout(c, 0);
		conn_set_deadline(c, 0, NULL);
		http_adopt(c, line, master_http_handle, m);
		free(p);
		return;
	}
	m->metrics.messages_received++;
	proto_msg_init(&msg);
	if (proto_parse(line, len, &msg, m->err, sizeof(m->err)) < 0) {
		char reason[MASTER_ERR_MAX];
		snprintf(reason, sizeof(reason), "%s", m->err);
		master_peer_error(p, reason);
		proto_msg_free(&msg);
		return;
	}
	if (!p->hello && (p->auth_peer_nonce != NULL || p->auth_failed)) {
		master_auth_line(m, p, &msg);
		proto_msg_free(&msg);
		return;
	}
	if (!p->hello) {
		peer_hello(m, p, &msg);
		proto_msg_free(&msg);
		return;
	}
	const struct master_handler *table = p->kind == PROTO_KIND_AGENT ? master_agent_handlers :
	                                     p->kind == PROTO_KIND_FRAMEWORK ?
	                                     master_framework_handlers : master_cli_handlers;
	if (p->agent) {
		p->agent->missed_pings = 0;
		p->agent->pong_pending = 0;
	}
	const struct master_handler *h = find_handler(table, msg.verb);
	if (h == NULL)
		h = find_handler(liveness_handlers, msg.verb);
	if (h != NULL && !master_auth_verb_allowed(m, p, &msg)) {
		/* refused, with its reason, there */
	} else if (h != NULL) {
		h->fn(m, p, &msg);
	} else {
		snprintf(m->err, sizeof(m->err), "unknown verb '%.32s' for a %s peer", msg.verb,
		         proto_kind_name(p->kind));
		master_peer_error(p, m->err);
	}
	proto_msg_free(&msg);
}

static void
peer_on_close(struct conn *c, const char *reason, void *arg)
{
	struct master_peer *p = arg;
	struct master *m = p->m;
	(void)c;

	peer_unlink(m, p);
	if (p->agent)
		master_agent_disconnected(m, p->agent, reason);
	if (p->fw)
		master_framework_disconnected(m, p->fw, reason);
	master_cli_peer_gone(m, p);
	master_auth_peer_gone(m, p);
	/* A clean end is routine; any other reason (a limit, a timeout) is worth a line. */
	if (strcmp(reason, "eof") == 0)
		log_debug("connection from %s closed: %s", conn_peer(c), reason);
	else
		log_info("connection from %s closed: %s", conn_peer(c), reason);
	free(p);
}

/* The conn caught a limit being broken (a line too long): say so before it closes. */
static void
peer_on_error(struct conn *c, const char *reason, void *arg)
{
	struct master_peer *p = arg;
	struct master *m = p->m;

	log_warnx("peer %s: %s; disconnecting it", conn_peer(c), reason);
	m->metrics.invalid_messages++;
	master_msg(m, "ERROR");
	proto_add(&m->out, "reason", reason);
	master_send(m, p);
}

static const struct conn_ops peer_ops = {
	.on_line = peer_on_line,
	.on_close = peer_on_close,
	.on_error = peer_on_error,
};

static struct master_peer *
adopt_conn(struct master *m, struct conn *c)
{
	struct master_peer *p = xcalloc(1, sizeof(*p));

	p->m = m;
	p->kind = PROTO_KIND_UNKNOWN;
	p->conn = c;
	conn_set_ops(c, &peer_ops, p);
	/* Absolute: a peer trickling a byte at a time is gone at the deadline all the same. */
	conn_set_deadline(c, m->cfg.handshake_timeout_ms, "handshake timeout");
	p->next = m->peers;
	if (m->peers)
		m->peers->prev = p;
	m->peers = p;
	return p;
}

/* A conn nobody reads yet: adopted as a peer, or refused over a cap and closed. */
static const struct conn_ops unadopted_ops = { .on_line = NULL };

static struct conn *
new_conn(struct master *m, int fd, const char *origin)
{
	struct conn *c = conn_new(m->loop, fd, &unadopted_ops, NULL, PROTO_LINE_MAX,
	                          (size_t)m->cfg.peer_output_limit);

	conn_set_peer(c, origin);
	return c;
}

struct master_peer *
master_adopt_fd(struct master *m, int fd, const char *origin)
{
	return adopt_conn(m, new_conn(m, fd, origin));
}

/* Over a connection cap: told why, in one line, and closed before it is anyone's peer. */
static void
refuse(struct master *m, struct conn *c, const char *reason)
{
	/* No port in the line: a crowd from one address repeats it, and the log folds repeats. */
	log_warnx("refusing a connection: %s", reason);
	master_msg(m, "ERROR");
	proto_add(&m->out, "reason", reason);
	if (proto_end(&m->out) == 0)
		conn_send(c, m->out.data, m->out.len);
	conn_close_after_flush(c, reason);
}

static void
resume_accept(struct loop *loop, void *arg)
{
	struct master *m = arg;

	m->accept_retry_timer = 0;
	loop_set_events(loop, m->listen_fd, LOOP_READ);
}

static void
on_accept(struct loop *loop, int fd, int events, void *arg)
{
	struct master *m = arg;
	char addr[PEER_ADDR_MAX];
	(void)events;

	for (;;) {
		int cfd = net_accept(fd, addr, sizeof(addr));
		if (cfd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/*
			 * Out of descriptors (EMFILE, ENFILE) or memory: the backlog stays
			 * readable, so polling it again at once would spin. Pause, and let
			 * the connections we hold (a /health) be served meanwhile.
			 */
			log_warn("accept (paused for %d ms)", MASTER_ACCEPT_RETRY_MS);
			loop_set_events(loop, fd, 0);
			m->accept_retry_timer = loop_timer_add(loop, MASTER_ACCEPT_RETRY_MS,
			                                       resume_accept, m);
			return;
		}
		struct conn *c = new_conn(m, cfd, addr);
		if (c == NULL) {
			log_warnx("cannot watch a connection from %s", addr);
			close(cfd);
			continue;
		}
		if (conncap_admit(m->conncap, c, m->err, sizeof(m->err)) < 0) {
			char reason[MASTER_ERR_MAX];
			snprintf(reason, sizeof(reason), "%s", m->err);
			refuse(m, c, reason);
			continue;
		}
		adopt_conn(m, c);
	}
}

/* Heartbeats: a framework that answers none of them is closed by its idle timeout. */
static void
heartbeat(struct loop *loop, void *arg)
{
	struct master *m = arg;

	for (struct master_peer *p = m->peers; p; p = p->next) {
		if (!p->hello || p->kind != PROTO_KIND_FRAMEWORK)
			continue;
		master_msg(m, "PING");
		master_send(m, p);
	}
	m->heartbeat_timer = loop_timer_add(loop, m->cfg.framework_heartbeat_interval_ms,
	                                    heartbeat, m);
}

/* ---------------------------------------------------------------- life cycle */

int
master_init(struct master *m, struct loop *loop, char *err, size_t errlen)
{
	char seed_bytes[8];
	uint64_t seed = 0;

	m->loop = loop;
	buf_init(&m->out, PROTO_LINE_MAX + 2);
	id_random_hex(m->id, MASTER_ID_HEX_LEN);
	compat_random_bytes(seed_bytes, sizeof(seed_bytes));
	memcpy(&seed, seed_bytes, sizeof(seed));
	m->alloc = alloc_new(seed);
	alloc_set_interval(m->alloc, m->cfg.allocation_interval_ms);
	if (alloc_set_min_allocatable(m->alloc, m->cfg.min_allocatable_resources, err, errlen) < 0)
		return -1;
	if (m->cfg.weights && *m->cfg.weights &&
	    alloc_set_weights(m->alloc, m->cfg.weights, err, errlen) < 0)
		return -1;
	if (m->cfg.quota && *m->cfg.quota && alloc_set_quotas(m->alloc, m->cfg.quota, err, errlen) < 0)
		return -1;
	map_init(&m->agents);
	map_init(&m->frameworks);
	map_init(&m->offers);
	map_init(&m->removed_agents);
	map_init(&m->unreachable_agents);
	map_init(&m->file_requests);
	m->start_time = compat_wall_time();
	m->start_ms = compat_monotonic_ms();
	if (master_auth_init(m, err, errlen) < 0)
		return -1;

	master_registry_load(m);
	m->listen_fd = net_listen(m->cfg.ip, (int)m->cfg.port, err, errlen);
	if (m->listen_fd < 0)
		return -1;
	m->port = net_local_port(m->listen_fd);
	m->conncap = conncap_new(m->cfg.max_connections, m->cfg.max_connections_per_address);
	loop_watch(loop, m->listen_fd, LOOP_READ, on_accept, m);
	m->heartbeat_timer = loop_timer_add(loop, m->cfg.framework_heartbeat_interval_ms,
	                                    heartbeat, m);
	master_offer_start(m);
	master_history_start(m);
	log_info("master %s listening on %s:%d", m->id,
	         m->cfg.ip && *m->cfg.ip ? m->cfg.ip : MASTER_DEFAULT_IP, m->port);
	return 0;
}

void
master_shutdown(struct master *m)
{
	size_t fw_max = (size_t)m->cfg.max_completed_frameworks;

	loop_unwatch(m->loop, m->listen_fd);
	close(m->listen_fd);
	loop_timer_cancel(m->loop, m->accept_retry_timer);
	loop_timer_cancel(m->loop, m->heartbeat_timer);
	/* Detach every peer, close it, and let the loop run the deferred closes. */
	for (struct master_peer *p = m->peers; p; p = p->next) {
		if (p->agent)
			p->agent->peer = NULL;
		if (p->fw)
			p->fw->peer = NULL;
		p->agent = NULL;
		p->fw = NULL;
		conn_close(p->conn, "master shutting down");
	}
	for (int i = 0; i < SHUTDOWN_ROUNDS && m->peers; i++)
		loop_run_once(m->loop, 0);

	master_offer_stop(m);
	master_history_stop(m);
	struct master_framework *fw;
	for (size_t it = 0; map_next(&m->frameworks, &it, NULL, (void **)&fw);) {
		struct master_task *t;
		for (size_t jt = 0; map_next(&fw->tasks, &jt, NULL, (void **)&t);)
			master_task_free(t);
		loop_timer_cancel(m->loop, fw->failover_timer);
		master_framework_free(fw);
	}
	for (size_t i = 0; i < m->ncompleted_frameworks; i++)
		master_framework_free(m->completed_frameworks[(m->completed_frameworks_head + i) % fw_max]);
	free(m->completed_frameworks);
	struct master_agent *a;
	for (size_t it = 0; map_next(&m->agents, &it, NULL, (void **)&a);)
		master_agent_free(m, a);
	master_cli_free_requests(m);
	master_registry_close(m);
	map_free(&m->agents);
	map_free(&m->frameworks);
	map_free(&m->offers);
	map_free(&m->removed_agents);
	master_agent_unreachable_free(m);
	map_free(&m->file_requests);
	alloc_free(m->alloc);
	master_auth_fini(m);
	conncap_free(m->conncap);
	buf_free(&m->out);
}
