/*
 * tests/fuzz_http.c: libFuzzer target for http.c, http_msg.c and http_client.c. Not
 * part of the normal build. Each input is fed three ways: to the pure
 * helpers (the client's URL parser and chunked decoder among them), as
 * request bytes to a server conn over a socketpair (through the same
 * adoption path the master uses), and as the response bytes a server
 * thread sends to the blocking client. Nothing may crash, leak or hang.
 *
 * Build and run (from the source directory, after ./configure):
 *   clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -pthread -I. -Ilib -o tests/fuzz_http tests/fuzz_http.c lib/http.c lib/http_msg.c \
 *     lib/http_client.c \
 *     lib/json.c lib/conn.c lib/loop.c lib/net.c lib/buf.c lib/xmem.c lib/log.c lib/compat.c
 *   ./tests/fuzz_http -max_total_time=60
 */
#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "http.h"
#include "http_client.h"
#include "http_msg.h"
#include "loop.h"
#include "net.h"
#include "xmem.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_ERR_BYTES 256
#define FUZZ_VALUE_BYTES 64
/* Loop iterations allowed to finish one input; far more than any needs. */
#define FUZZ_SPINS_MAX 10000
/* After the server side closes: iterations for its deferred frees to run. */
#define FUZZ_SETTLE_SPINS 4
#define FUZZ_CLIENT_TIMEOUT_MS 2000
#define FUZZ_CLIENT_BODY_MAX 1024
#define FUZZ_READ_BYTES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct loop *loop;
static int listen_fd = -1, listen_port;

static void
handler(struct http_exchange *x, void *arg)
{
	const char *path = http_path(x);
	char v[FUZZ_VALUE_BYTES];
	const char *body;
	size_t len;

	(void)arg;
	body = http_body(x, &len);
	(void)http_header(x, "Content-Type");
	(void)http_peer(x);
	if (strcmp(path, "/r") == 0) {
		http_add_header(x, "X-Echo", http_query(x));
		http_reply(x, 200, "text/plain", body, len);
	} else if (strcmp(path, "/q") == 0) {
		if (http_query_param(x, "a", v, sizeof(v)))
			http_reply(x, 200, "text/plain", v, strlen(v));
		else
			http_reply_error(x, 400, "no a");
	} else if (strcmp(path, "/s") == 0) {
		http_stream_begin(x, 200, "text/event-stream");
		http_stream_write(x, body, len);
		http_stream_end(x);
	} else if (strcmp(path, "/n") != 0) {
		http_reply_error(x, 404, path);
	}
}

static void
on_line(struct conn *c, char *line, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	if (http_is_request_line(line))
		http_adopt(c, line, handler, NULL);
	else
		conn_close(c, "not http");
}

static const struct conn_ops line_ops = { .on_line = on_line };

static void
fuzz_server(const uint8_t *data, size_t size)
{
	char sink[FUZZ_READ_BYTES];
	size_t sent = 0;
	int fds[2], spins, eof = 0, shut = 0;

	if (compat_socketpair(fds) < 0)
		abort();
	compat_set_nonblock(fds[1], 1);
	if (conn_new(loop, fds[0], &line_ops, NULL, HTTP_HEADER_BYTES_MAX, 0) == NULL)
		abort();
	for (spins = 0; spins < FUZZ_SPINS_MAX && !eof; spins++) {
		ssize_t n;

		if (sent < size) {
			n = compat_send(fds[1], data + sent, size - sent);
			if (n > 0)
				sent += (size_t)n;
		} else if (!shut) {
			shutdown(fds[1], SHUT_WR);
			shut = 1;
		}
		loop_run_once(loop, 0);
		while ((n = read(fds[1], sink, sizeof(sink))) > 0)
			;
		if (n == 0)
			eof = 1;
	}
	if (!eof)
		abort();
	close(fds[1]);
	for (spins = 0; spins < FUZZ_SETTLE_SPINS; spins++)
		loop_run_once(loop, 0);
}

struct canned {
	const uint8_t *data;
	size_t size;
};

/* Play a server that answers with the fuzz input, then waits for the client to go. */
static void *
respond(void *arg)
{
	struct canned *cn = arg;
	char sink[FUZZ_READ_BYTES];
	char peer[FUZZ_VALUE_BYTES];
	size_t off = 0;
	int fd;

	while ((fd = net_accept(listen_fd, peer, sizeof(peer))) < 0)
		;
	compat_set_nonblock(fd, 0);
	while (off < cn->size) {
		ssize_t n = compat_send(fd, cn->data + off, cn->size - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, sink, sizeof(sink)) > 0)
		;
	close(fd);
	return NULL;
}

static void
fuzz_client(const uint8_t *data, size_t size)
{
	struct canned cn = { data, size };
	struct http_client_response resp;
	struct buf body;
	char err[FUZZ_ERR_BYTES];
	pthread_t t;

	if (pthread_create(&t, NULL, respond, &cn) != 0)
		abort();
	buf_init(&body, FUZZ_CLIENT_BODY_MAX);
	resp.body = &body;
	if (http_client_request("127.0.0.1", listen_port, "GET", "/", NULL, NULL, 0,
	    FUZZ_CLIENT_TIMEOUT_MS, &resp, err, sizeof(err)) == 0 && body.len > body.max)
		abort();
	buf_free(&body);
	pthread_join(t, NULL);
}

static int
discard(const char *data, size_t len, void *arg, char *err, size_t errlen)
{
	(void)data;
	(void)len;
	(void)arg;
	(void)err;
	(void)errlen;
	return 0;
}

/*
 * The client's URL parser and resolver, its chunked decoder fed in two
 * splits, and http_msg's head parser on the input as a request and as a
 * response.
 */
static void
fuzz_client_parsers(const char *text, size_t size)
{
	struct http_client_url u;
	struct http_client_chunked *c = xmalloc(sizeof(*c));
	struct http_msg *m = xmalloc(sizeof(*m));
	char err[FUZZ_ERR_BYTES];
	size_t head = http_msg_head_end(text, size);

	(void)http_msg_parse(m, text, head > 0 ? head : size, HTTP_MSG_REQUEST, err, sizeof(err));
	(void)http_msg_parse(m, text, head > 0 ? head : size, HTTP_MSG_RESPONSE, err, sizeof(err));
	free(m);

	if (http_client_url_parse(text, &u, err, sizeof(err)) == 0) {
		free(http_client_url_resolve(&u, text + size / 2));
		http_client_url_free(&u);
	}
	http_client_chunked_init(c);
	if (http_client_chunked_feed(c, text, size / 2, discard, NULL, err, sizeof(err)) == 0)
		(void)http_client_chunked_feed(c, text + size / 2, size - size / 2, discard, NULL, err,
		    sizeof(err));
	free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[FUZZ_ERR_BYTES];
	char *text;

	if (loop == NULL) {
		loop = loop_new();
		listen_fd = net_listen("127.0.0.1", 0, err, sizeof(err));
		if (listen_fd < 0)
			abort();
		listen_port = net_local_port(listen_fd);
	}

	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	(void)http_is_request_line(text);
	fuzz_client_parsers(text, size);
	(void)http_url_decode(text, text, size, (int)(size & 1));
	free(text);

	fuzz_server(data, size);
	fuzz_client(data, size);
	return 0;
}
