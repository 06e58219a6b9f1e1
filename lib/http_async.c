/*
 * http_async.c: owns GETs on the loop: one conn each (conn.c does the
 * connecting, the caps and the idle timeout), the request as the blocking
 * client composes it, the head read whole and parsed by http_msg.c, and
 * the body handed on as it arrives, decoded by the client's chunked
 * decoder when it is chunked.
 */
#include "http_async.h"
#include "buf.h"
#include "conn.h"
#include "http.h"
#include "http_client.h"
#include "http_msg.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The request is tiny; a connection that cannot take it is broken. */
#define HTTP_ASYNC_OUT_MAX 65536
#define HTTP_ASYNC_ERR_MAX 256
#define HTTP_ASYNC_INTERIM_MAX 199     /* 1xx: an interim response */

enum http_async_state { HA_HEAD, HA_BODY, HA_DONE };

struct http_async {
	const struct http_async_ops *ops;
	void *arg;
	struct conn *c;
	struct http_client_url url;
	char *user_agent;
	int64_t idle_ms;
	enum http_async_state st;
	struct buf head;                  /* the head while it is incomplete */
	struct http_msg *msg;             /* the final head, parsed */
	uint64_t left;                    /* HTTP_MSG_BODY_LENGTH: bytes still to come */
	struct http_client_chunked *chunked;
	int cancelled;
	int finished;                     /* on_done has run */
};

static void
finish(struct http_async *a, const char *err)
{
	if (a->finished || a->cancelled)
		return;
	a->finished = 1;
	a->st = HA_DONE;
	if (a->ops->on_done != NULL)
		a->ops->on_done(a, err, a->arg);
}

static int
chunk_sink(const char *data, size_t len, void *arg, char *err, size_t errlen)
{
	struct http_async *a = arg;

	(void)err;
	(void)errlen;
	if (a->ops->on_body != NULL && !a->cancelled)
		a->ops->on_body(a, data, len, a->arg);
	return 0;
}

/* Body bytes: 1 when the body is complete, 0 for more, -1 after finish(err). */
static int
body_bytes(struct http_async *a, const char *data, size_t len)
{
	char err[HTTP_ASYNC_ERR_MAX];
	int r;

	switch (a->msg->body) {
	case HTTP_MSG_BODY_NONE:
		return 1;
	case HTTP_MSG_BODY_LENGTH:
		if (len > a->left)
			len = (size_t)a->left;
		a->left -= len;
		if (len > 0 && a->ops->on_body != NULL)
			a->ops->on_body(a, data, len, a->arg);
		return a->left == 0;
	case HTTP_MSG_BODY_CHUNKED:
		r = http_client_chunked_feed(a->chunked, data, len, chunk_sink, a, err, sizeof(err));
		if (r < 0)
			finish(a, err);
		return r;
	case HTTP_MSG_BODY_CLOSE:
		if (len > 0 && a->ops->on_body != NULL)
			a->ops->on_body(a, data, len, a->arg);
		return 0;
	}
	return 0;
}

/* The head is whole in a->head[0, n): parse it, then hand on what follows. */
static void
head_done(struct http_async *a, size_t n)
{
	char err[HTTP_ASYNC_ERR_MAX];
	size_t rest_len = a->head.len - n;
	char *rest;
	int r;

	if (a->msg == NULL)
		a->msg = xmalloc(sizeof(*a->msg));
	if (http_msg_parse(a->msg, a->head.data, n, HTTP_MSG_RESPONSE, err, sizeof(err)) != 0) {
		char *why = xstrfmt("bad response from %s:%d: %s", a->url.host, a->url.port, err);

		finish(a, why);
		free(why);
		return;
	}
	rest = xmalloc(rest_len + 1);
	memcpy(rest, a->head.data + n, rest_len);
	buf_reset(&a->head);
	if (a->msg->status <= HTTP_ASYNC_INTERIM_MAX) {
		/* An interim response: the real head follows. */
		buf_append(&a->head, rest, rest_len);
		free(rest);
		return;
	}
	a->st = HA_BODY;
	a->left = a->msg->length;
	if (a->msg->body == HTTP_MSG_BODY_CHUNKED) {
		a->chunked = xmalloc(sizeof(*a->chunked));
		http_client_chunked_init(a->chunked);
	}
	if (a->ops->on_head != NULL)
		a->ops->on_head(a, a->msg->status, a->arg);
	r = a->cancelled || a->finished ? -1 : body_bytes(a, rest, rest_len);
	free(rest);
	if (r == 1)
		finish(a, NULL);
}

static void
on_data(struct conn *c, const char *data, size_t len, void *arg)
{
	struct http_async *a = arg;
	size_t n;

	(void)c;
	if (a->cancelled || a->finished)
		return;
	if (a->st == HA_BODY) {
		if (body_bytes(a, data, len) == 1)
			finish(a, NULL);
		goto out;
	}
	if (buf_append(&a->head, data, len) < 0) {
		finish(a, "response header too large");
		goto out;
	}
	/* A loop: interim heads may precede the final one in the same bytes. */
	while (a->st == HA_HEAD && !a->cancelled && !a->finished &&
	       (n = http_msg_head_end(a->head.data, a->head.len)) > 0)
		head_done(a, n);
out:
	if ((a->cancelled || a->finished) && a->c != NULL)
		conn_close(a->c, "done");
}

static void
on_connect(struct conn *c, void *arg)
{
	struct http_async *a = arg;
	struct buf req;

	buf_init(&req, 0);
	http_client_build_request(&req, a->url.host, a->url.port, "GET", a->url.target,
	    a->user_agent, NULL, NULL, 0);
	conn_send(c, req.data, req.len);
	buf_free(&req);
	conn_set_idle_timeout(c, a->idle_ms);
}

static void
on_close(struct conn *c, const char *reason, void *arg)
{
	struct http_async *a = arg;

	(void)c;
	a->c = NULL;
	if (a->st == HA_BODY && a->msg->body == HTTP_MSG_BODY_CLOSE && strcmp(reason, "eof") == 0)
		finish(a, NULL);
	else if (a->st != HA_DONE)
		finish(a, strcmp(reason, "eof") == 0 ?
		    "connection closed before the response was complete" : reason);
	buf_free(&a->head);
	free(a->msg);
	free(a->chunked);
	http_client_url_free(&a->url);
	free(a->user_agent);
	free(a);
}

static const struct conn_ops http_async_conn_ops = {
	.on_data = on_data,
	.on_connect = on_connect,
	.on_close = on_close,
};

struct http_async *
http_async_get(struct loop *loop, const char *url, const char *user_agent, int64_t connect_ms,
               int64_t idle_ms, const struct http_async_ops *ops, void *arg, char *err,
               size_t errlen)
{
	struct http_async *a = xcalloc(1, sizeof(*a));

	if (http_client_url_parse(url, &a->url, err, errlen) < 0) {
		free(a);
		return NULL;
	}
	a->ops = ops;
	a->arg = arg;
	a->user_agent = xstrdup(user_agent);
	a->idle_ms = idle_ms;
	buf_init(&a->head, HTTP_HEADER_BYTES_MAX);
	a->c = conn_connect(loop, a->url.host, a->url.port, connect_ms, &http_async_conn_ops, a,
	    HTTP_HEADER_BYTES_MAX, HTTP_ASYNC_OUT_MAX, err, errlen);
	if (a->c == NULL) {
		buf_free(&a->head);
		http_client_url_free(&a->url);
		free(a->user_agent);
		free(a);
		return NULL;
	}
	conn_set_raw(a->c, 1);
	return a;
}

void
http_async_cancel(struct http_async *a)
{
	if (a->cancelled || a->finished)
		return;
	a->cancelled = 1;
	if (a->c != NULL)
		conn_close(a->c, "cancelled");
}
