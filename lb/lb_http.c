/*
 * lb_http.c: owns HTTP proxying: the shared HTTP port, where each request
 * goes to the app whose HAPROXY_{n}_VHOST names its Host (and whose
 * HAPROXY_{n}_PATH prefixes its path), and the service ports of apps in
 * HAPROXY_{n}_MODE=http. As marathon-lb's HAProxy (option
 * http-server-close): clients keep their connection alive between
 * requests, each request gets a connection of its own to a backend, with
 * X-Forwarded-For added and hop-by-hop headers dropped. Heads are capped
 * (LB_HEAD_MAX) and must arrive within --http_request_timeout; bodies are
 * streamed, never held: a request's by Content-Length or chunks, a
 * response's the same or up to the backend's close. A request nothing
 * routes gets 503 with a short body. A backend that refuses, times out or
 * drops a request before answering is ejected and the request tried on
 * another one, when it is safe to repeat (GET, HEAD, OPTIONS, no body).
 * /_lb/stats and /_lb/health are answered here too.
 */
#include "lb/lb.h"
#include "buf.h"
#include "http.h"
#include "http_client.h"
#include "http_msg.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "xmem.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRIES_MAX 16               /* backends one request may try */
#define IN_MAX (LB_HEAD_MAX + LB_READ_BYTES)   /* client bytes held: a head and what follows */
#define LB_PATH_PREFIX "/_lb/"

enum hstate {
	H_IDLE,        /* between requests: nothing read of the next one */
	H_HEAD,        /* reading a request head */
	H_CONNECT,     /* connecting to a backend */
	H_REQ_BODY,    /* forwarding the request's body */
	H_RESP_HEAD,   /* waiting for the response's head */
	H_RESP_BODY,   /* forwarding the response's body */
	H_CLOSING      /* a last reply is flushing */
};

struct http_conn {
	struct lb *lb;
	struct lb_service *fixed;      /* a service port in HTTP mode; NULL: route by Host */
	struct lb_service *svc;        /* the request's service (held) */
	struct lb_backend *be;         /* its backend (attached) */
	struct lb_link link;
	struct lb_link all;
	struct lb_side c, b;
	char peer[LB_ADDR_MAX];
	enum hstate st;
	struct buf in;                 /* client bytes not forwarded yet */
	struct buf bin;                /* a response head being read */
	struct buf req;                /* the request's head as sent, until the response starts */
	int keep_alive;                /* the client keeps its connection */
	int minor;                     /* the client's HTTP/1.minor */
	int head_req;
	int repeatable;                /* safe to send again to another backend */
	enum http_msg_body req_body, resp_body;
	uint64_t req_left, resp_left;
	struct http_client_chunked *req_chunked, *resp_chunked;
	int req_done;                  /* the request's body is all with the backend */
	int resp_started;              /* the client has bytes of the response */
	struct lb_backend *tried[TRIES_MAX];
	size_t ntried;
	uint64_t timer;
	int64_t last_active;
};

static void update(struct http_conn *h);
static void reply_text(struct http_conn *h, int status, const char *text, int close);
static void try_connect(struct http_conn *h);
static void next_request(struct http_conn *h);

/* ---- ending ---------------------------------------------------------------------------- */

static void
drop_backend(struct http_conn *h)
{
	if (h->be != NULL)
		lb_table_detach(h->lb, h->be, &h->link);
	h->be = NULL;
	lb_side_close(h->lb->loop, &h->b);
	lb_side_init(&h->b, -1);
	buf_free(&h->bin);
}

static void
end_request(struct http_conn *h)
{
	drop_backend(h);
	if (h->svc != NULL)
		lb_table_release(h->lb, h->svc);
	h->svc = NULL;
	buf_free(&h->req);
	free(h->req_chunked);
	free(h->resp_chunked);
	h->req_chunked = h->resp_chunked = NULL;
	h->ntried = 0;
	h->resp_started = 0;
	h->req_done = 0;
}

static void
http_close(struct http_conn *h, const char *why)
{
	struct lb *lb = h->lb;

	log_debug("http %s: closed: %s", h->peer, why);
	end_request(h);
	loop_timer_cancel(lb->loop, h->timer);
	lb_side_close(lb->loop, &h->c);
	lb_link_remove(&h->all);
	buf_free(&h->in);
	lb_conn_closed(lb);
	free(h);
}

static void
http_kill(void *h, const char *why)
{
	http_close(h, why);
}

/* ---- timers ---------------------------------------------------------------------------- */

static void
on_timer(struct loop *loop, void *arg)
{
	struct http_conn *h = arg;
	int64_t quiet = loop_now(loop) - h->last_active;

	h->timer = 0;
	switch (h->st) {
	case H_IDLE:
		/* Pipelined bytes after a reply of ours: read on the loop, not deeper in the stack. */
		if (h->in.len > 0) {
			next_request(h);
			return;
		}
		http_close(h, "keep-alive timeout");
		return;
	case H_HEAD:
		/* As HAProxy: 408 to a client that began a request and did not finish it in time. */
		if (h->in.len > 0)
			reply_text(h, 408, "request timeout", 1);
		else
			http_close(h, "request timeout");
		return;
	case H_CONNECT:
		/* The connect timer is set by try_connect; reaching here means it ran out. */
		break;
	default:
		if (quiet < h->lb->cfg.idle_timeout_ms) {
			h->timer = loop_timer_add(loop, h->lb->cfg.idle_timeout_ms - quiet, on_timer, h);
			return;
		}
		http_close(h, "idle timeout");
		return;
	}
}

static void
set_timer(struct http_conn *h, int64_t ms)
{
	loop_timer_cancel(h->lb->loop, h->timer);
	h->timer = loop_timer_add(h->lb->loop, ms, on_timer, h);
}

/* ---- local replies --------------------------------------------------------------------- */

/* A reply of our own; close: the connection ends after it, else the next request may come. */
static void
reply(struct http_conn *h, int status, const char *type, const char *body, size_t len,
      int close)
{
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-cache\r\nConnection: %s\r\n\r\n", status, http_status_text(status),
	    type, len, close ? "close" : "keep-alive");
	if (!h->head_req)
		buf_append(&b, body, len);
	if (lb_side_send(&h->c, b.data, b.len) < 0)
		close = 1;
	buf_free(&b);
	end_request(h);
	if (close) {
		h->st = H_CLOSING;
		lb_side_shut_when_flushed(&h->c);
		set_timer(h, h->lb->cfg.idle_timeout_ms);
		if (lb_side_pending(&h->c) == 0) {
			http_close(h, "replied");
			return;
		}
		update(h);
		return;
	}
	/* A client pipelining requests we answer ourselves must not grow our stack with each. */
	h->st = H_IDLE;
	set_timer(h, h->in.len > 0 ? 0 : h->lb->cfg.keepalive_timeout_ms);
	update(h);
}

static void
reply_text(struct http_conn *h, int status, const char *text, int close)
{
	char body[LB_ERR_MAX];
	int n = snprintf(body, sizeof(body), "%s\n", text);

	reply(h, status, "text/plain", body, n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0,
	    close);
}

/* ---- the request ----------------------------------------------------------------------- */

static int
hop_by_hop(const struct http_msg_header *hd)
{
	static const char *const names[] = { "Connection", "Keep-Alive", "Proxy-Connection",
	                                     "Upgrade", "TE" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (http_msg_name_is(hd->name, hd->name_len, names[i]))
			return 1;
	return 0;
}

/* The peer's address without its port, for X-Forwarded-For. */
static void
peer_ip(const char *peer, char *out, size_t len)
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon != NULL ? (size_t)(colon - peer) : strlen(peer);

	if (n > 1 && peer[0] == '[' && peer[n - 1] == ']') {
		peer++;
		n -= 2;
	}
	snprintf(out, len, "%.*s", (int)n, peer);
}

/* The request's head as the backend gets it. */
static void
compose_request(struct http_conn *h, const struct http_msg *m, const char *line, size_t line_len)
{
	char ip[LB_ADDR_MAX];

	buf_init(&h->req, 0);
	buf_append(&h->req, line, line_len);
	buf_puts(&h->req, "\r\n");
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct http_msg_header *hd = &m->headers[i];

		/* A chunked body's Content-Length is stale or a smuggling attempt. */
		if (hop_by_hop(hd) || (m->body == HTTP_MSG_BODY_CHUNKED &&
		    http_msg_name_is(hd->name, hd->name_len, "Content-Length")))
			continue;
		buf_append(&h->req, hd->name, hd->name_len);
		buf_puts(&h->req, ": ");
		buf_append(&h->req, hd->value, hd->value_len);
		buf_puts(&h->req, "\r\n");
	}
	peer_ip(h->peer, ip, sizeof(ip));
	buf_printf(&h->req, "X-Forwarded-For: %s\r\nConnection: close\r\n\r\n", ip);
}

/* The Host header without its port, or "" (HTTP/1.0 may send none). */
static void
host_of(const struct http_msg *m, const char **host, size_t *len)
{
	const struct http_msg_header *hd = http_msg_find(m, "Host");
	const char *v = hd != NULL ? hd->value : "";
	size_t n = hd != NULL ? hd->value_len : 0, k;

	if (n > 0 && v[0] == '[') {
		for (k = 0; k < n && v[k] != ']'; k++)
			;
		*host = v;
		*len = k < n ? k + 1 : n;
		return;
	}
	for (k = 0; k < n && v[k] != ':'; k++)
		;
	*host = v;
	*len = k;
}

static void
local_stats(struct http_conn *h, const char *path, size_t path_len)
{
	char p[LB_HOST_MAX];
	struct buf b;
	int status;

	snprintf(p, sizeof(p), "%.*s", (int)path_len, path);
	buf_init(&b, 0);
	status = lb_stats_render(h->lb, p, &b);
	reply(h, status, "application/json", b.data, b.len, !h->keep_alive);
	buf_free(&b);
}

/* Methods are case-sensitive (RFC 9110, 9.1). */
static int
method_is(const struct http_msg *m, const char *name)
{
	return m->method_len == strlen(name) && memcmp(m->method, name, m->method_len) == 0;
}

/* A whole head is at the front of h->in (head_len bytes): route it and start it. */
static void
start_request(struct http_conn *h, size_t head_len)
{
	struct http_msg *m = xmalloc(sizeof(*m));
	char err[LB_ERR_MAX];
	const char *host, *path, *q, *nl;
	size_t host_len, path_len, line_len;
	int status;

	status = http_msg_parse(m, h->in.data, head_len, HTTP_MSG_REQUEST, err, sizeof(err));
	if (status != 0) {
		free(m);
		log_debug("http %s: %s", h->peer, err);
		reply_text(h, status, err, 1);
		return;
	}
	h->keep_alive = m->keep_alive;
	h->minor = m->minor;
	h->head_req = method_is(m, "HEAD");
	h->req_body = m->body;
	h->req_left = m->length;
	h->repeatable = m->body == HTTP_MSG_BODY_NONE &&
	    (method_is(m, "GET") || h->head_req || method_is(m, "OPTIONS"));
	path = m->target;
	q = memchr(path, '?', m->target_len);
	path_len = q != NULL ? (size_t)(q - path) : m->target_len;
	if (h->fixed == NULL && path_len >= strlen(LB_PATH_PREFIX) &&
	    strncmp(path, LB_PATH_PREFIX, strlen(LB_PATH_PREFIX)) == 0 &&
	    m->body == HTTP_MSG_BODY_NONE) {
		buf_consume(&h->in, head_len);
		free(m);
		local_stats(h, path, path_len);
		return;
	}
	host_of(m, &host, &host_len);
	h->svc = h->fixed != NULL ? h->fixed : lb_table_route(h->lb, host, host_len, path, path_len);
	if (h->svc == NULL) {
		char msg[LB_ERR_MAX];

		snprintf(msg, sizeof(msg), "no app serves host '%.*s'", (int)(host_len < LB_HOST_MAX ?
		    host_len : LB_HOST_MAX), host);
		/* Its body (if any) was not read: the connection cannot carry another request. */
		free(m);
		buf_consume(&h->in, head_len);
		reply_text(h, 503, msg, h->req_body != HTTP_MSG_BODY_NONE || !h->keep_alive);
		return;
	}
	lb_table_hold(h->lb, h->svc);
	nl = memchr(h->in.data, '\n', head_len);
	line_len = (size_t)(nl - h->in.data);
	if (line_len > 0 && h->in.data[line_len - 1] == '\r')
		line_len--;
	compose_request(h, m, h->in.data, line_len);
	free(m);
	buf_consume(&h->in, head_len);
	if (h->req_body == HTTP_MSG_BODY_CHUNKED) {
		h->req_chunked = xmalloc(sizeof(*h->req_chunked));
		http_client_chunked_init(h->req_chunked);
	}
	h->st = H_CONNECT;
	try_connect(h);
}

/* Forward what of h->in belongs to the request's body; 1 when the body is whole, -1 gone. */
static int
forward_req_body(struct http_conn *h)
{
	char err[LB_ERR_MAX];
	size_t n = 0;
	int done = 0;

	if (h->req_body == HTTP_MSG_BODY_NONE)
		return 1;
	if (h->in.len == 0)
		return 0;
	if (h->req_body == HTTP_MSG_BODY_LENGTH) {
		n = h->in.len < h->req_left ? h->in.len : (size_t)h->req_left;
		h->req_left -= n;
		done = h->req_left == 0;
	} else {
		int r = http_client_chunked_feed(h->req_chunked, h->in.data, h->in.len, NULL, NULL,
		    err, sizeof(err));

		if (r < 0) {
			http_close(h, err);
			return -1;
		}
		n = h->req_chunked->used;
		done = r == 1;
	}
	if (lb_side_send(&h->b, h->in.data, n) < 0) {
		http_close(h, "backend: write failed");
		return -1;
	}
	h->be->n.bytes_in += n;
	h->svc->n.bytes_in += n;
	buf_consume(&h->in, n);
	return done;
}

/* ---- the backend ----------------------------------------------------------------------- */

/* The backend failed before answering: another one if the request may be repeated. */
static void
backend_failed(struct http_conn *h, const char *why, int eject)
{
	struct lb *lb = h->lb;

	if (eject)
		lb_table_eject(lb, h->be, why);
	else if (h->be != NULL) {
		h->be->n.errors++;
		h->svc->n.errors++;
	}
	drop_backend(h);
	if (h->resp_started) {
		http_close(h, why);
		return;
	}
	if (eject || h->repeatable) {
		h->st = H_CONNECT;
		try_connect(h);
		return;
	}
	reply_text(h, 502, "the backend failed", 1);
}

static void
on_backend_connect(struct loop *loop, int fd, int events, void *arg);

static void
on_connect_timeout(struct loop *loop, void *arg)
{
	struct http_conn *h = arg;

	(void)loop;
	h->timer = 0;
	backend_failed(h, "connect timed out", 1);
}

static void
try_connect(struct http_conn *h)
{
	struct lb *lb = h->lb;
	const char *why;
	int fd = lb_tcp_connect_next(lb, h->svc, h->peer, h->tried, &h->ntried, TRIES_MAX, &h->link,
	    &h->be, &why);

	if (fd < 0) {
		h->be = NULL;
		reply_text(h, 503, strcmp(why, "no backend") == 0 ? "no backend is available" : why, 1);
		return;
	}
	lb_side_init(&h->b, fd);
	loop_watch(lb->loop, fd, LOOP_WRITE, on_backend_connect, h);
	loop_timer_cancel(lb->loop, h->timer);
	h->timer = loop_timer_add(lb->loop, lb->cfg.connect_timeout_ms, on_connect_timeout, h);
	update(h);
}

static void on_backend(struct loop *loop, int fd, int events, void *arg);

static void
on_backend_connect(struct loop *loop, int fd, int events, void *arg)
{
	struct http_conn *h = arg;
	char why[LB_ERR_MAX];
	int done;

	(void)events;
	if (net_connect_result(fd, why, sizeof(why)) < 0) {
		loop_timer_cancel(loop, h->timer);
		h->timer = 0;
		backend_failed(h, why, 1);
		return;
	}
	h->last_active = loop_now(loop);
	set_timer(h, h->lb->cfg.idle_timeout_ms);
	loop_watch(loop, fd, 0, on_backend, h);
	buf_init(&h->bin, LB_HEAD_MAX);
	if (lb_side_send(&h->b, h->req.data, h->req.len) < 0) {
		backend_failed(h, "write failed", 0);
		return;
	}
	h->be->n.bytes_in += h->req.len;
	h->svc->n.bytes_in += h->req.len;
	if ((done = forward_req_body(h)) < 0)
		return;
	h->req_done = done;
	h->st = done ? H_RESP_HEAD : H_REQ_BODY;
	update(h);
}

/* The response is over: the backend goes, the client stays for the next request or goes too. */
static void
response_done(struct http_conn *h, int close)
{
	/* An answer before the request's body ended leaves the rest of that body unread. */
	if (close || !h->keep_alive || !h->req_done) {
		end_request(h);
		h->st = H_CLOSING;
		lb_side_shut_when_flushed(&h->c);
		set_timer(h, h->lb->cfg.idle_timeout_ms);
		if (lb_side_pending(&h->c) == 0)
			http_close(h, "response done");
		else
			update(h);
		return;
	}
	end_request(h);
	next_request(h);
}

/* Body bytes of the response in data: forward them; 1 when it is whole, -1 when h is gone. */
static int
forward_resp_body(struct http_conn *h, const char *data, size_t len)
{
	char err[LB_ERR_MAX];
	size_t n = len;
	int done = 0;

	switch (h->resp_body) {
	case HTTP_MSG_BODY_NONE:
		return 1;
	case HTTP_MSG_BODY_LENGTH:
		n = len < h->resp_left ? len : (size_t)h->resp_left;
		h->resp_left -= n;
		done = h->resp_left == 0;
		break;
	case HTTP_MSG_BODY_CHUNKED: {
		int r = http_client_chunked_feed(h->resp_chunked, data, len, NULL, NULL, err,
		    sizeof(err));

		if (r < 0) {
			h->be->n.errors++;
			http_close(h, err);
			return -1;
		}
		n = h->resp_chunked->used;
		done = r == 1;
		break;
	}
	case HTTP_MSG_BODY_CLOSE:
		break;
	}
	if (n > 0 && lb_side_send(&h->c, data, n) < 0) {
		http_close(h, "client: write failed");
		return -1;
	}
	h->be->n.bytes_out += n;
	h->svc->n.bytes_out += n;
	return done;
}

/* A whole response head is at the front of h->bin. */
static void
response_head(struct http_conn *h, size_t head_len)
{
	struct http_msg *m = xmalloc(sizeof(*m));
	char err[LB_ERR_MAX];
	struct buf out;
	const char *nl;
	size_t rest;
	int r, close;

	if (http_msg_parse(m, h->bin.data, head_len, HTTP_MSG_RESPONSE, err, sizeof(err)) != 0) {
		free(m);
		log_warnx("%s: backend %s:%d: %s", h->svc->key, h->be->addr, h->be->port, err);
		backend_failed(h, err, 0);
		return;
	}
	buf_init(&out, 0);
	nl = memchr(h->bin.data, '\n', head_len);
	buf_append(&out, h->bin.data, (size_t)(nl - h->bin.data) + 1);
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct http_msg_header *hd = &m->headers[i];

		if (hop_by_hop(hd))
			continue;
		buf_append(&out, hd->name, hd->name_len);
		buf_puts(&out, ": ");
		buf_append(&out, hd->value, hd->value_len);
		buf_puts(&out, "\r\n");
	}
	if (m->status < 200) {
		/* An interim answer (100 Continue) goes through; the real head follows. */
		buf_puts(&out, "\r\n");
		r = lb_side_send(&h->c, out.data, out.len);
		buf_free(&out);
		free(m);
		buf_consume(&h->bin, head_len);
		if (r < 0)
			http_close(h, "client: write failed");
		return;
	}
	h->resp_body = h->head_req ? HTTP_MSG_BODY_NONE : m->body;
	h->resp_left = m->length;
	close = !h->keep_alive || h->resp_body == HTTP_MSG_BODY_CLOSE || !h->req_done;
	buf_puts(&out, close ? "Connection: close\r\n\r\n" :
	         h->minor == 0 ? "Connection: keep-alive\r\n\r\n" : "\r\n");
	free(m);
	if (h->resp_body == HTTP_MSG_BODY_CHUNKED) {
		h->resp_chunked = xmalloc(sizeof(*h->resp_chunked));
		http_client_chunked_init(h->resp_chunked);
	}
	h->resp_started = 1;
	buf_free(&h->req);
	r = lb_side_send(&h->c, out.data, out.len);
	buf_free(&out);
	if (r < 0) {
		http_close(h, "client: write failed");
		return;
	}
	if (close)
		h->keep_alive = 0;
	h->st = H_RESP_BODY;
	rest = h->bin.len - head_len;
	r = forward_resp_body(h, h->bin.data + head_len, rest);
	if (r < 0)
		return;
	buf_free(&h->bin);
	if (r == 1)
		response_done(h, 0);
	else
		update(h);
}

static void
on_backend(struct loop *loop, int fd, int events, void *arg)
{
	struct http_conn *h = arg;
	ssize_t n;
	size_t head_len;
	int r;

	(void)fd;
	h->last_active = loop_now(loop);
	if ((events & (LOOP_WRITE | LOOP_ERROR)) && lb_side_pending(&h->b) > 0 &&
	    lb_side_flush(&h->b) < 0) {
		backend_failed(h, strerror(errno), 0);
		return;
	}
	if (!(events & (LOOP_READ | LOOP_ERROR)) ||
	    (h->st != H_RESP_HEAD && h->st != H_RESP_BODY && h->st != H_REQ_BODY) ||
	    lb_side_pending(&h->c) > 0) {
		update(h);
		return;
	}
	n = lb_side_read(&h->b, h->lb->scratch, sizeof(h->lb->scratch));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		update(h);
		return;
	}
	if (n <= 0) {
		if (n == 0 && h->st == H_RESP_BODY && h->resp_body == HTTP_MSG_BODY_CLOSE) {
			response_done(h, 1);
			return;
		}
		backend_failed(h, n == 0 ? "closed before the response was whole" : strerror(errno), 0);
		return;
	}
	if (h->st == H_RESP_BODY) {
		r = forward_resp_body(h, h->lb->scratch, (size_t)n);
		if (r == 1)
			response_done(h, 0);
		else if (r == 0)
			update(h);
		return;
	}
	/* A response (maybe early, while the request's body still flows): its head. */
	if (buf_append(&h->bin, h->lb->scratch, (size_t)n) < 0) {
		backend_failed(h, "response head too large", 0);
		return;
	}
	while (h->st != H_RESP_BODY && (head_len = http_msg_head_end(h->bin.data, h->bin.len)) > 0) {
		response_head(h, head_len);
		return;
	}
	update(h);
}

/* ---- the client ------------------------------------------------------------------------ */

/* Look for a request in what the client sent; start it when its head is whole. */
static void
next_request(struct http_conn *h)
{
	size_t head_len;

	/* Blank lines between requests are allowed (RFC 9112, 2.2). */
	while (h->in.len > 0 && (h->in.data[0] == '\r' || h->in.data[0] == '\n'))
		buf_consume(&h->in, 1);
	if (h->in.len == 0) {
		h->st = H_IDLE;
		set_timer(h, h->lb->cfg.keepalive_timeout_ms);
		update(h);
		return;
	}
	if (h->st != H_HEAD) {
		h->st = H_HEAD;
		set_timer(h, h->lb->cfg.request_timeout_ms);
	}
	head_len = http_msg_head_end(h->in.data, h->in.len);
	if (head_len > 0) {
		start_request(h, head_len);
		return;
	}
	if (h->in.len > LB_HEAD_MAX) {
		reply_text(h, 431, "request header fields too large", 1);
		return;
	}
	update(h);
}

static void
on_client(struct loop *loop, int fd, int events, void *arg)
{
	struct http_conn *h = arg;
	ssize_t n;
	int done;

	(void)fd;
	if ((events & (LOOP_WRITE | LOOP_ERROR)) && lb_side_pending(&h->c) > 0 &&
	    lb_side_flush(&h->c) < 0) {
		http_close(h, "client: write failed");
		return;
	}
	if (h->st == H_CLOSING) {
		if (lb_side_pending(&h->c) == 0)
			http_close(h, "replied");
		return;
	}
	if (!(events & (LOOP_READ | LOOP_ERROR)) ||
	    (h->st != H_IDLE && h->st != H_HEAD && h->st != H_REQ_BODY)) {
		update(h);
		return;
	}
	n = lb_side_read(&h->c, h->lb->scratch, sizeof(h->lb->scratch));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		update(h);
		return;
	}
	if (n <= 0) {
		http_close(h, n == 0 ? "client closed" : strerror(errno));
		return;
	}
	h->last_active = loop_now(loop);
	if (buf_append(&h->in, h->lb->scratch, (size_t)n) < 0) {
		reply_text(h, 431, "request header fields too large", 1);
		return;
	}
	if (h->st != H_REQ_BODY) {
		next_request(h);
		return;
	}
	if ((done = forward_req_body(h)) < 0)
		return;
	if (done) {
		h->req_done = 1;
		h->st = H_RESP_HEAD;
	}
	update(h);
}

static void
update(struct http_conn *h)
{
	int cev = lb_side_pending(&h->c) > 0 ? LOOP_WRITE : 0, bev = 0;

	if ((h->st == H_IDLE || h->st == H_HEAD || (h->st == H_REQ_BODY &&
	    lb_side_pending(&h->b) == 0)) && !h->c.eof)
		cev |= LOOP_READ;
	loop_set_events(h->lb->loop, h->c.fd, cev);
	if (h->b.fd < 0 || h->st == H_CONNECT)
		return;
	if (lb_side_pending(&h->b) > 0)
		bev |= LOOP_WRITE;
	if ((h->st == H_RESP_HEAD || h->st == H_REQ_BODY || h->st == H_RESP_BODY) &&
	    lb_side_pending(&h->c) == 0)
		bev |= LOOP_READ;
	loop_set_events(h->lb->loop, h->b.fd, bev);
}

void
lb_http_accepted(struct lb *lb, struct lb_service *svc, int fd, const char *peer)
{
	struct http_conn *h = xcalloc(1, sizeof(*h));

	h->lb = lb;
	h->fixed = svc;
	h->link.kill = h->all.kill = http_kill;
	h->link.owner = h->all.owner = h;
	lb_link_insert(&lb->conns, &h->all);
	lb_side_init(&h->c, fd);
	lb_side_init(&h->b, -1);
	buf_init(&h->in, IN_MAX);
	xstrlcpy(h->peer, peer, sizeof(h->peer));
	h->last_active = loop_now(lb->loop);
	loop_watch(lb->loop, fd, LOOP_READ, on_client, h);
	/* The first request gets the request timeout, not the shorter keep-alive one. */
	h->st = H_HEAD;
	set_timer(h, lb->cfg.request_timeout_ms);
}

/* ---- the shared port ------------------------------------------------------------------- */

static void
on_accept(struct loop *loop, int lfd, int events, void *arg)
{
	(void)loop;
	(void)events;
	lb_tcp_accept(arg, lfd, NULL, 1);
}

int
lb_http_listen(struct lb *lb, char *err, size_t errlen)
{
	char why[LB_ERR_MAX];

	lb->http_fd = -1;
	if (lb->cfg.http_port < 0)
		return 0;
	lb->http_fd = net_listen(lb->cfg.ip, (int)lb->cfg.http_port, why, sizeof(why));
	if (lb->http_fd < 0)
		return log_fail(err, errlen, "HTTP port %lld: %s", lb->cfg.http_port, why);
	loop_watch(lb->loop, lb->http_fd, LOOP_READ, on_accept, lb);
	log_info("HTTP port listening on %s:%d", lb->cfg.ip, net_local_port(lb->http_fd));
	return 0;
}

void
lb_http_close(struct lb *lb)
{
	if (lb->http_fd < 0)
		return;
	loop_unwatch(lb->loop, lb->http_fd);
	close(lb->http_fd);
	lb->http_fd = -1;
}
