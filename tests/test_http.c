/*
 * tests/test_http.c: unit tests for http.c, http_msg.c and http_async.c.
 * A server runs on 127.0.0.1 in this process's loop and raw sockets drive
 * it; the blocking client is tested against a server in a forked child.
 */
#include "check.h"
#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "http.h"
#include "http_async.h"
#include "http_msg.h"
#include "http_client.h"
#include "json.h"
#include "loop.h"
#include "net.h"
#include "xmem.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERR_BYTES 256
#define PUMP_MS 3000
#define LOOP_SLICE_MS 10
#define SHORT_TIMEOUT_MS 300
#define READ_CHUNK 65536

struct srv {
	struct loop *loop;
	int lfd;
	int port;
	struct http_exchange *pending;   /* a deferred exchange or an open stream */
	int aborts;
	int requests;
};

static struct srv S;

static void
on_abort(struct http_exchange *x, void *arg)
{
	struct srv *s = arg;

	if (s->pending == x)
		s->pending = NULL;
	s->aborts++;
}

static void
handler(struct http_exchange *x, void *arg)
{
	struct srv *s = arg;
	const char *path = http_path(x);
	char a[64], b[64], out[256];
	size_t len;
	const char *body;

	s->requests++;
	if (strcmp(path, "/hello") == 0) {
		http_reply(x, 200, "text/plain", "hello", 5);
	} else if (strcmp(path, "/q") == 0) {
		int ha = http_query_param(x, "a", a, sizeof(a));
		int hb = http_query_param(x, "b", b, sizeof(b));
		int hc = http_query_param(x, "c", NULL, 0);
		int hd = http_query_param(x, "d", NULL, 0);

		snprintf(out, sizeof(out), "a=%s;b=%s;c=%d;d=%d;raw=%s", ha ? a : "-", hb ? b : "-",
		    hc, hd, http_query(x));
		http_reply(x, 200, "text/plain", out, strlen(out));
	} else if (strcmp(path, "/echo") == 0) {
		body = http_body(x, &len);
		snprintf(out, sizeof(out), "%zu", len);
		http_add_header(x, "X-Len", out);
		http_reply(x, 200, "application/octet-stream", body, len);
	} else if (strcmp(path, "/header") == 0) {
		const char *v = http_header(x, "x-TEST");

		http_reply(x, 200, "text/plain", v ? v : "none", strlen(v ? v : "none"));
	} else if (strncmp(path, "/p/", 3) == 0) {
		snprintf(out, sizeof(out), "[%s] %s", path, http_method(x));
		http_reply(x, 200, "text/plain", out, strlen(out));
	} else if (strcmp(path, "/json") == 0) {
		struct buf jb;
		struct json_w w;

		buf_init(&jb, 0);
		json_w_init(&w, &jb);
		json_obj_begin(&w);
		json_kdouble(&w, "cpus", 4.0);
		json_obj_end(&w);
		http_reply_json(x, 201, &jb);
		buf_free(&jb);
	} else if (strcmp(path, "/defer") == 0) {
		http_defer(x, on_abort, s);
		s->pending = x;
	} else if (strcmp(path, "/stream") == 0) {
		http_defer(x, on_abort, s);
		http_stream_begin(x, 200, "text/event-stream");
		http_stream_write(x, "data: one\n\n", 11);
		s->pending = x;
	} else if (strcmp(path, "/finite") == 0) {
		http_stream_begin(x, 200, "text/plain");
		http_stream_write(x, "abc", 3);
		http_stream_end(x);
	} else if (strcmp(path, "/chunked") == 0) {
		static const char chunks[] = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nT: x\r\n\r\n";

		http_add_header(x, "Transfer-Encoding", "chunked");
		http_stream_begin(x, 200, "text/plain");
		http_stream_write(x, chunks, sizeof(chunks) - 1);
		http_stream_end(x);
	} else if (strcmp(path, "/big") == 0) {
		char *big = xmalloc(READ_CHUNK);

		memset(big, 'z', READ_CHUNK);
		http_reply(x, 200, "text/plain", big, READ_CHUNK);
		free(big);
	} else if (strcmp(path, "/noreply") == 0) {
		/* deliberately nothing */
	} else {
		snprintf(out, sizeof(out), "no route for %s", path);
		http_reply_error(x, 404, out);
	}
}

/* ---- raw client helpers ---- */

static int
client(void)
{
	char err[ERR_BYTES];
	int fd = net_connect_blocking("127.0.0.1", S.port, PUMP_MS, err, sizeof(err));

	if (fd < 0) {
		fprintf(stderr, "connect: %s\n", err);
		return -1;
	}
	compat_set_nonblock(fd, 1);
	return fd;
}

static void
csend(int fd, const char *s, size_t len)
{
	int64_t end = compat_monotonic_ms() + PUMP_MS;

	while (len > 0 && compat_monotonic_ms() < end) {
		ssize_t n = compat_send(fd, s, len);

		if (n > 0) {
			s += n;
			len -= (size_t)n;
		} else {
			loop_run_once(S.loop, LOOP_SLICE_MS);
		}
	}
}

static void
csends(int fd, const char *s)
{
	csend(fd, s, strlen(s));
}

/* Read what is there; 1 at end of stream. */
static int
cread(int fd, struct buf *got)
{
	char tmp[READ_CHUNK];

	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));

		if (n > 0) {
			buf_append(got, tmp, (size_t)n);
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return 1;
	}
}

static int
count(const struct buf *got, const char *want)
{
	const char *p = got->data;
	int n = 0;

	if (p == NULL)
		return 0;
	while ((p = strstr(p, want)) != NULL) {
		n++;
		p += strlen(want);
	}
	return n;
}

/*
 * Run the loop and read until `want` appears n times (want NULL: skip) and,
 * if want_eof, the server has closed. Returns 1 when that happened in time.
 */
static int
pump(int fd, struct buf *got, const char *want, int n, int want_eof, int64_t ms)
{
	int64_t end = compat_monotonic_ms() + ms;
	int eof = 0;

	for (;;) {
		loop_run_once(S.loop, LOOP_SLICE_MS);
		if (!eof)
			eof = cread(fd, got);
		if ((want == NULL || count(got, want) >= n) && (!want_eof || eof))
			return 1;
		if (compat_monotonic_ms() >= end)
			return 0;
	}
}

static void
pump_ms(int64_t ms)
{
	int64_t end = compat_monotonic_ms() + ms;

	while (compat_monotonic_ms() < end)
		loop_run_once(S.loop, LOOP_SLICE_MS);
}

/* One request on a fresh connection, read until the server closes or want shows. */
static void
exchange(const char *req, const char *want, int want_eof, struct buf *got)
{
	int fd = client();

	buf_init(got, 0);
	if (fd < 0)
		return;
	csends(fd, req);
	CHECK(pump(fd, got, want, 1, want_eof, PUMP_MS));
	close(fd);
}

static int
has(const struct buf *got, const char *s)
{
	return got->data != NULL && strstr(got->data, s) != NULL;
}

/* ---- tests ---- */

static void
test_pure(void)
{
	char d[64];
	struct buf b;

	CHECK(http_url_decode(d, "a%20b+c%2F", 10, 0) == 6);
	CHECK_STR(d, "a b+c/");
	CHECK(http_url_decode(d, "a%20b+c", 7, 1) == 5);
	CHECK_STR(d, "a b c");
	CHECK(http_url_decode(d, "%zz", 3, 0) == -1);
	CHECK(http_url_decode(d, "%2", 2, 0) == -1);
	CHECK(http_url_decode(d, "%", 1, 0) == -1);
	strcpy(d, "x%41y");
	CHECK(http_url_decode(d, d, strlen(d), 0) == 3);
	CHECK_STR(d, "xAy");
	buf_init(&b, 0);
	http_url_encode(&b, "a b/c~d-e_f.g\xc3\xa9&=");
	CHECK_STR(b.data, "a%20b%2Fc~d-e_f.g%C3%A9%26%3D");
	buf_free(&b);

	CHECK(http_is_request_line("GET / HTTP/1.1"));
	CHECK(http_is_request_line("POST /a/b?c=d HTTP/1.0\r"));
	CHECK(http_is_request_line("M-SEARCH /x HTTP/1.1"));
	CHECK(!http_is_request_line("GET / HTTP/2.0"));
	CHECK(!http_is_request_line("GET  / HTTP/1.1"));
	CHECK(!http_is_request_line("GET http://x/ HTTP/1.1"));
	CHECK(!http_is_request_line("GET / HTTP/1.1 "));
	CHECK(!http_is_request_line("HELLO agent=1"));
	CHECK(!http_is_request_line(""));
	CHECK(!http_is_request_line("GET /"));
	CHECK(!http_is_request_line("G(T / HTTP/1.1"));

	CHECK_STR(http_status_text(200), "OK");
	CHECK_STR(http_status_text(404), "Not Found");
	CHECK_STR(http_status_text(413), "Content Too Large");
	CHECK_STR(http_status_text(799), "Unknown");
}

/* http_msg.c: heads read as bytes, as the load balancer and the loop's client read them. */
static void
test_msg(void)
{
	static const char req[] = "POST /a?b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	                          "Connection: close\r\n\r\nabcGET";
	static const char resp[] = "HTTP/1.0 200 OK\nX: 1\n\nbody";
	struct http_msg m;
	char err[256];
	size_t n;

	n = http_msg_head_end(req, sizeof(req) - 1);
	CHECK(n == sizeof(req) - 1 - 6);
	CHECK(http_msg_head_end(req, 20) == 0);
	CHECK(http_msg_parse(&m, req, n, HTTP_MSG_REQUEST, err, sizeof(err)) == 0);
	CHECK(m.method_len == 4 && strncmp(m.method, "POST", 4) == 0);
	CHECK(m.target_len == 4 && strncmp(m.target, "/a?b", 4) == 0);
	CHECK(m.minor == 1 && m.nheaders == 3 && !m.keep_alive);
	CHECK(m.body == HTTP_MSG_BODY_LENGTH && m.length == 3);
	CHECK(http_msg_find(&m, "host") != NULL && http_msg_find(&m, "host")->value_len == 1);
	CHECK(http_msg_find(&m, "Expect") == NULL);

	n = http_msg_head_end(resp, sizeof(resp) - 1);
	CHECK(n == sizeof(resp) - 1 - 4);
	CHECK(http_msg_parse(&m, resp, n, HTTP_MSG_RESPONSE, err, sizeof(err)) == 0);
	CHECK(m.status == 200 && m.minor == 0 && m.body == HTTP_MSG_BODY_CLOSE && !m.keep_alive);

#define MSG(text, kind) http_msg_parse(&m, text, sizeof(text) - 1, kind, err, sizeof(err))
	CHECK(MSG("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", HTTP_MSG_RESPONSE) == 0);
	CHECK(m.body == HTTP_MSG_BODY_NONE && m.keep_alive);
	CHECK(MSG("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n\r\n",
	    HTTP_MSG_RESPONSE) == 0);
	CHECK(m.body == HTTP_MSG_BODY_CHUNKED && m.length == 0);
	CHECK(MSG("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", HTTP_MSG_REQUEST) == 0);
	CHECK(m.keep_alive && m.body == HTTP_MSG_BODY_NONE);
	CHECK(MSG("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    HTTP_MSG_REQUEST) == 400);
	CHECK_STR(err, "bad Content-Length");
	CHECK(MSG("GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", HTTP_MSG_REQUEST) == 501);
	CHECK(MSG("GET / HTTP/1.1\r\n folded\r\n\r\n", HTTP_MSG_REQUEST) == 400);
	CHECK(MSG("GET / HTTP/1.1\r\nBad\x01: v\r\n\r\n", HTTP_MSG_REQUEST) == 400);
	CHECK_STR(err, "bad header line: 'Bad%01:%20v'");
	CHECK(MSG("GET /\r\n\r\n", HTTP_MSG_REQUEST) == 400);
	CHECK(MSG("HTTP/2 200\r\n\r\n", HTTP_MSG_RESPONSE) == 502);
#undef MSG
	{
		struct buf many;

		buf_init(&many, 0);
		buf_puts(&many, "GET / HTTP/1.1\r\n");
		for (int i = 0; i <= HTTP_HEADERS_MAX; i++)
			buf_printf(&many, "H%d: v\r\n", i);
		buf_puts(&many, "\r\n");
		CHECK(http_msg_parse(&m, many.data, many.len, HTTP_MSG_REQUEST, err, sizeof(err)) == 431);
		buf_free(&many);
	}
}

static void
test_simple_get(void)
{
	struct buf got;

	exchange("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", "hello", 0, &got);
	CHECK(has(&got, "HTTP/1.1 200 OK\r\n"));
	CHECK(has(&got, "Content-Type: text/plain\r\n"));
	CHECK(has(&got, "Content-Length: 5\r\n"));
	CHECK(has(&got, "Connection: keep-alive\r\n"));
	CHECK(has(&got, "\r\n\r\nhello"));
	buf_free(&got);

	/* Bare LF line ends are accepted too. */
	exchange("GET /hello HTTP/1.1\nHost: t\n\n", "hello", 0, &got);
	CHECK(has(&got, "HTTP/1.1 200 OK\r\n"));
	buf_free(&got);

	/* HEAD: the length of the body that GET would send, and no body. */
	exchange("HEAD /hello HTTP/1.1\r\nConnection: close\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "Content-Length: 5\r\n"));
	CHECK(has(&got, "Connection: close\r\n"));
	CHECK(!has(&got, "hello"));
	buf_free(&got);

	/* HTTP/1.0 closes unless asked not to. */
	exchange("GET /hello HTTP/1.0\r\n\r\n", "hello", 1, &got);
	CHECK(has(&got, "Connection: close\r\n"));
	buf_free(&got);
	exchange("GET /hello HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "hello", 0, &got);
	CHECK(has(&got, "Connection: keep-alive\r\n"));
	buf_free(&got);

	exchange("GET /header HTTP/1.1\r\nX-Test:   some value \t\r\n\r\n", "some value", 0, &got);
	CHECK(has(&got, "\r\n\r\nsome value"));
	buf_free(&got);

	exchange("GET /json HTTP/1.1\r\n\r\n", "}", 0, &got);
	CHECK(has(&got, "HTTP/1.1 201 Created\r\n"));
	CHECK(has(&got, "Content-Type: application/json\r\n"));
	CHECK(has(&got, "{\"cpus\":4.0}"));
	buf_free(&got);

	/* A big reply goes out whole. */
	exchange("GET /big HTTP/1.1\r\nConnection: close\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "Content-Length: 65536\r\n"));
	CHECK(got.len > READ_CHUNK && got.data[got.len - 1] == 'z');
	buf_free(&got);
}

static void
test_query_and_path(void)
{
	struct buf got;

	exchange("GET /q?a=1%202&b=x+y&c HTTP/1.1\r\n\r\n", "raw=", 0, &got);
	CHECK(has(&got, "a=1 2;b=x y;c=1;d=0;raw=a=1%202&b=x+y&c"));
	buf_free(&got);
	exchange("GET /q HTTP/1.1\r\n\r\n", "raw=", 0, &got);
	CHECK(has(&got, "a=-;b=-;c=0;d=0;raw=\r") || has(&got, "a=-;b=-;c=0;d=0;raw="));
	buf_free(&got);
	/* A pair with a bad escape counts as absent. */
	exchange("GET /q?a=%zz&b=%41 HTTP/1.1\r\n\r\n", "raw=", 0, &got);
	CHECK(has(&got, "a=-;b=A;"));
	buf_free(&got);

	exchange("GET /p/a%2Fb%20c HTTP/1.1\r\n\r\n", "GET", 0, &got);
	CHECK(has(&got, "[/p/a/b c] GET"));
	buf_free(&got);
	exchange("GET /p/%00 HTTP/1.1\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 Bad Request\r\n"));
	buf_free(&got);
	exchange("GET /p/%zz HTTP/1.1\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 Bad Request\r\n"));
	buf_free(&got);

	/* The handler's 404. */
	exchange("GET /nowhere HTTP/1.1\r\n\r\n", "}", 0, &got);
	CHECK(has(&got, "HTTP/1.1 404 Not Found\r\n"));
	CHECK(has(&got, "Content-Type: application/json\r\n"));
	CHECK(has(&got, "{\"message\":\"no route for /nowhere\"}"));
	buf_free(&got);

	/* A handler that forgets to reply yields a 500, not a hang. */
	exchange("GET /noreply HTTP/1.1\r\n\r\n", "}", 0, &got);
	CHECK(has(&got, "HTTP/1.1 500 Internal Server Error\r\n"));
	buf_free(&got);
}

static void
test_post(void)
{
	struct buf got;
	int fd;

	exchange("POST /echo HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world", "world", 0,
	    &got);
	CHECK(has(&got, "X-Len: 11\r\n"));
	CHECK(has(&got, "\r\n\r\nhello world"));
	buf_free(&got);

	/* The body arrives in pieces. */
	fd = client();
	buf_init(&got, 0);
	csends(fd, "POST /echo HTTP/1.1\r\nContent-Le");
	pump_ms(30);
	csends(fd, "ngth: 6\r\n\r\nab");
	pump_ms(30);
	CHECK(got.len == 0 && !pump(fd, &got, "HTTP", 1, 0, 50));
	csends(fd, "cdef");
	CHECK(pump(fd, &got, "abcdef", 1, 0, PUMP_MS));
	CHECK(has(&got, "X-Len: 6\r\n"));
	close(fd);
	buf_free(&got);

	/* Expect: 100-continue gets the interim answer before the body is sent. */
	fd = client();
	buf_init(&got, 0);
	csends(fd, "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
	CHECK(pump(fd, &got, "HTTP/1.1 100 Continue\r\n\r\n", 1, 0, PUMP_MS));
	csends(fd, "xyz");
	CHECK(pump(fd, &got, "xyz", 1, 0, PUMP_MS));
	CHECK(has(&got, "HTTP/1.1 200 OK"));
	close(fd);
	buf_free(&got);
}

static void
test_keepalive_and_pipelining(void)
{
	struct buf got;
	int fd = client();

	buf_init(&got, 0);
	csends(fd, "GET /hello HTTP/1.1\r\n\r\n");
	CHECK(pump(fd, &got, "hello", 1, 0, PUMP_MS));
	csends(fd, "POST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\nok\r\n");
	CHECK(pump(fd, &got, "HTTP/1.1 200 OK", 2, 0, PUMP_MS));
	CHECK(pump(fd, &got, "\r\n\r\nok", 1, 0, PUMP_MS));
	/* A stray CRLF after the body is skipped; the connection still serves. */
	csends(fd, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n");
	CHECK(pump(fd, &got, "hello", 2, 1, PUMP_MS));
	CHECK(count(&got, "HTTP/1.1 200 OK") == 3);
	close(fd);
	buf_free(&got);

	/* Three requests in one write, answered in order. */
	fd = client();
	buf_init(&got, 0);
	csends(fd, "GET /p/one HTTP/1.1\r\n\r\nPOST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\n"
	    "twoGET /p/three HTTP/1.1\r\nConnection: close\r\n\r\n");
	CHECK(pump(fd, &got, "HTTP/1.1 200 OK", 3, 1, PUMP_MS));
	{
		const char *one = strstr(got.data ? got.data : "", "[/p/one]");
		const char *two = strstr(got.data ? got.data : "", "\r\n\r\ntwo");
		const char *three = strstr(got.data ? got.data : "", "[/p/three]");

		CHECK(one != NULL && two != NULL && three != NULL && one < two && two < three);
	}
	close(fd);
	buf_free(&got);
}

static void
test_deferred(void)
{
	struct buf got;
	int fd = client();

	buf_init(&got, 0);
	S.pending = NULL;
	csends(fd, "GET /defer HTTP/1.1\r\n\r\n");
	CHECK(!pump(fd, &got, "HTTP", 1, 0, 100));
	CHECK(S.pending != NULL);
	if (S.pending != NULL) {
		CHECK_STR(http_path(S.pending), "/defer");
		http_reply(S.pending, 202, "text/plain", "later", 5);
		S.pending = NULL;
	}
	CHECK(pump(fd, &got, "later", 1, 0, PUMP_MS));
	CHECK(has(&got, "HTTP/1.1 202 Accepted\r\n"));
	CHECK(has(&got, "Connection: keep-alive\r\n"));
	/* The connection goes on after a deferred reply. */
	csends(fd, "GET /hello HTTP/1.1\r\n\r\n");
	CHECK(pump(fd, &got, "hello", 1, 0, PUMP_MS));
	close(fd);
	buf_free(&got);

	/* A request pipelined behind a deferred one: the reply closes instead. */
	fd = client();
	buf_init(&got, 0);
	csends(fd, "GET /defer HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
	pump_ms(100);
	CHECK(S.pending != NULL);
	if (S.pending != NULL) {
		http_reply(S.pending, 200, "text/plain", "first", 5);
		S.pending = NULL;
	}
	CHECK(pump(fd, &got, "first", 1, 1, PUMP_MS));
	CHECK(has(&got, "Connection: close\r\n"));
	CHECK(!has(&got, "hello"));
	close(fd);
	buf_free(&got);
}

static void
test_stream(void)
{
	struct buf got;
	int fd = client();
	int aborts = S.aborts;

	buf_init(&got, 0);
	csends(fd, "GET /stream HTTP/1.1\r\n\r\n");
	CHECK(pump(fd, &got, "data: one\n\n", 1, 0, PUMP_MS));
	CHECK(has(&got, "HTTP/1.1 200 OK\r\n"));
	CHECK(has(&got, "Content-Type: text/event-stream\r\n"));
	CHECK(has(&got, "Cache-Control: no-cache\r\n"));
	CHECK(has(&got, "Connection: close\r\n"));
	CHECK(!has(&got, "Content-Length"));
	CHECK(S.pending != NULL);
	if (S.pending != NULL)
		CHECK(http_stream_write(S.pending, "data: two\n\n", 11) == 0);
	CHECK(pump(fd, &got, "data: two\n\n", 1, 0, PUMP_MS));
	/* The subscriber leaves: the abort callback runs and the exchange is gone. */
	close(fd);
	pump_ms(100);
	CHECK(S.aborts == aborts + 1);
	CHECK(S.pending == NULL);
	buf_free(&got);

	/* The server ends a stream: the client sees the end of the body. */
	fd = client();
	buf_init(&got, 0);
	csends(fd, "GET /stream HTTP/1.1\r\n\r\n");
	CHECK(pump(fd, &got, "data: one\n\n", 1, 0, PUMP_MS));
	if (S.pending != NULL) {
		http_stream_write(S.pending, "data: bye\n\n", 11);
		http_stream_end(S.pending);
		S.pending = NULL;
	}
	CHECK(pump(fd, &got, "data: bye\n\n", 1, 1, PUMP_MS));
	CHECK(S.aborts == aborts + 1);
	close(fd);
	buf_free(&got);

	/* A stream started and ended inside the handler. */
	exchange("GET /finite HTTP/1.1\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "\r\n\r\nabc"));
	buf_free(&got);
}

static void
test_bad_requests(void)
{
	struct buf got, req;
	int i;

	exchange("GARBAGE\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 Bad Request\r\n"));
	CHECK(has(&got, "Connection: close\r\n"));
	CHECK(has(&got, "bad request line"));
	buf_free(&got);
	exchange("GET / HTTP/2.0\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 "));
	buf_free(&got);
	exchange("GET nopath HTTP/1.1\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 "));
	buf_free(&got);
	exchange("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 ") && has(&got, "bad header line"));
	buf_free(&got);
	exchange("GET / HTTP/1.1\r\nNoColon\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 "));
	buf_free(&got);
	exchange("GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 ") && has(&got, "folding"));
	buf_free(&got);
	exchange("GET / HTTP/1.1\r\nA: b\001c\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 "));
	buf_free(&got);
	exchange("POST /echo HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 "));
	buf_free(&got);
	exchange("POST /echo HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", NULL, 1,
	    &got);
	CHECK(has(&got, "HTTP/1.1 400 "));
	buf_free(&got);
	exchange("POST /echo HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 3\r\n\r\nabc", NULL, 1,
	    &got);
	CHECK(has(&got, "HTTP/1.1 400 "));
	buf_free(&got);

	/* Too many header fields. */
	buf_init(&req, 0);
	buf_puts(&req, "GET /hello HTTP/1.1\r\n");
	for (i = 0; i <= HTTP_HEADERS_MAX; i++)
		buf_printf(&req, "H%d: v\r\n", i);
	buf_puts(&req, "\r\n");
	exchange(req.data, NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 431 ") || has(&got, "HTTP/1.1 400 "));
	buf_free(&got);
	buf_free(&req);

	/* Exactly the limit is fine. */
	buf_init(&req, 0);
	buf_puts(&req, "GET /hello HTTP/1.1\r\n");
	for (i = 0; i < HTTP_HEADERS_MAX; i++)
		buf_printf(&req, "H%d: v\r\n", i);
	buf_puts(&req, "\r\n");
	exchange(req.data, "hello", 0, &got);
	CHECK(has(&got, "HTTP/1.1 200 OK"));
	buf_free(&got);
	buf_free(&req);

	/* Too many header bytes, in one huge line and spread over several. */
	buf_init(&req, 0);
	buf_puts(&req, "GET /hello HTTP/1.1\r\nBig: ");
	for (i = 0; i < HTTP_HEADER_BYTES_MAX; i++)
		buf_putc(&req, 'x');
	buf_puts(&req, "\r\n\r\n");
	exchange(req.data, NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 431 "));
	buf_free(&got);
	buf_free(&req);
	buf_init(&req, 0);
	buf_puts(&req, "GET /hello HTTP/1.1\r\n");
	for (i = 0; i < 8; i++) {
		int k;

		buf_printf(&req, "B%d: ", i);
		for (k = 0; k < HTTP_HEADER_BYTES_MAX / 8; k++)
			buf_putc(&req, 'y');
		buf_puts(&req, "\r\n");
	}
	buf_puts(&req, "\r\n");
	exchange(req.data, NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 431 "));
	buf_free(&got);
	buf_free(&req);

	/* A request line longer than the whole head may be. */
	buf_init(&req, 0);
	buf_puts(&req, "GET /");
	for (i = 0; i < HTTP_HEADER_BYTES_MAX; i++)
		buf_putc(&req, 'a');
	buf_puts(&req, " HTTP/1.1\r\n\r\n");
	exchange(req.data, NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 414 "));
	buf_free(&got);
	buf_free(&req);

	/* Bodies: too large, and chunked. */
	exchange("POST /echo HTTP/1.1\r\nContent-Length: 4194305\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 413 "));
	buf_free(&got);
	exchange("POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", NULL, 1,
	    &got);
	CHECK(has(&got, "HTTP/1.1 400 "));
	buf_free(&got);
	/* Chunked bodies: decoded (extensions and trailers skipped), then the next request. */
	exchange("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
	    "4;ext=1\r\ndefg\r\n0\r\nT: x\r\n\r\nGET /header HTTP/1.1\r\nX-Test: next\r\n\r\n",
	    "next", 0, &got);
	CHECK(has(&got, "HTTP/1.1 200 OK\r\n") && has(&got, "X-Len: 7\r\n") && has(&got, "abcdefg"));
	buf_free(&got);
	exchange("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n", NULL, 1,
	    &got);
	CHECK(has(&got, "HTTP/1.1 400 ") && has(&got, "chunk size"));
	buf_free(&got);
	exchange("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", NULL, 1,
	    &got);
	CHECK(has(&got, "HTTP/1.1 400 "));
	buf_free(&got);
	exchange("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n400001\r\n", NULL, 1,
	    &got);
	CHECK(has(&got, "HTTP/1.1 413 "));
	buf_free(&got);
	exchange("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
	    NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 "));
	buf_free(&got);
	exchange("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
	    "3\r\nabc\r\n0\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 400 ") && has(&got, "both Transfer-Encoding and Content-Length"));
	buf_free(&got);
	exchange("POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 501 Not Implemented\r\n"));
	buf_free(&got);
	/* No 100 Continue for a body we will refuse. */
	exchange("POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 9999999\r\n\r\n",
	    NULL, 1, &got);
	CHECK(!has(&got, "100 Continue") && has(&got, "HTTP/1.1 413 "));
	buf_free(&got);
}

static void
test_slow_client(void)
{
	struct buf got;
	int64_t start, took;
	int fd, closed = 0;

	http_set_request_timeout_ms(SHORT_TIMEOUT_MS);

	/* Trickling a byte at a time does not keep a request alive. */
	fd = client();
	buf_init(&got, 0);
	start = compat_monotonic_ms();
	csends(fd, "GET /hello HTTP/1.1\r\nX-Slow: ");
	while (compat_monotonic_ms() - start < 10 * SHORT_TIMEOUT_MS) {
		if (compat_send(fd, "a", 1) < 0)
			break;
		if (pump(fd, &got, NULL, 0, 1, 50)) {
			closed = 1;
			break;
		}
	}
	took = compat_monotonic_ms() - start;
	CHECK(closed);
	CHECK(took >= SHORT_TIMEOUT_MS - LOOP_SLICE_MS && took < 3 * SHORT_TIMEOUT_MS);
	close(fd);
	buf_free(&got);

	/* A truncated chunked body never runs the handler: closed at the deadline. */
	fd = client();
	buf_init(&got, 0);
	csends(fd, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
	CHECK(pump(fd, &got, NULL, 0, 1, 10 * SHORT_TIMEOUT_MS));
	CHECK(!has(&got, "X-Len"));
	close(fd);
	buf_free(&got);

	/* Saying nothing at all is closed too. */
	fd = client();
	buf_init(&got, 0);
	start = compat_monotonic_ms();
	CHECK(pump(fd, &got, NULL, 0, 1, 10 * SHORT_TIMEOUT_MS));
	took = compat_monotonic_ms() - start;
	CHECK(took < 3 * SHORT_TIMEOUT_MS);
	close(fd);
	buf_free(&got);

	/* A keep-alive connection gets a fresh deadline per request, then idles out. */
	fd = client();
	buf_init(&got, 0);
	pump_ms(SHORT_TIMEOUT_MS / 2);
	csends(fd, "GET /hello HTTP/1.1\r\n\r\n");
	CHECK(pump(fd, &got, "hello", 1, 0, PUMP_MS));
	pump_ms(SHORT_TIMEOUT_MS / 2);
	csends(fd, "GET /hello HTTP/1.1\r\n\r\n");
	CHECK(pump(fd, &got, "hello", 2, 0, PUMP_MS));
	CHECK(pump(fd, &got, NULL, 0, 1, 10 * SHORT_TIMEOUT_MS));
	close(fd);
	buf_free(&got);

	http_set_request_timeout_ms(0);
}

/* ---- adoption of a line-mode conn ---- */

static void
adopt_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	if (http_is_request_line(line))
		http_adopt(c, line, handler, &S);
	else
		conn_close(c, "not http");
}

static int adopt_closed;

static void
adopt_on_close(struct conn *c, const char *reason, void *arg)
{
	(void)c;
	(void)reason;
	(void)arg;
	adopt_closed++;
}

static void
test_adopt(void)
{
	static const struct conn_ops line_ops = {
		.on_line = adopt_on_line,
		.on_close = adopt_on_close,
	};
	struct buf got;
	int fds[2];
	struct conn *c;

	CHECK(compat_socketpair(fds) == 0);
	compat_set_nonblock(fds[1], 1);
	c = conn_new(S.loop, fds[0], &line_ops, NULL, 1024, 0);
	CHECK(c != NULL);
	buf_init(&got, 0);
	/* The request line and what follows arrive together: the rest is redelivered raw. */
	csends(fds[1], "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\n"
	    "Content-Length: 4\r\nConnection: close\r\n\r\nbody");
	CHECK(pump(fds[1], &got, "\r\n\r\nbody", 1, 1, PUMP_MS));
	CHECK(has(&got, "\r\n\r\nhello"));
	CHECK(adopt_closed == 0);   /* the HTTP side owns the close now */
	close(fds[1]);
	buf_free(&got);
}

/* ---- blocking client against a forked server ---- */

static pid_t
fork_server(int *port)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char err[ERR_BYTES];
		struct loop *loop = loop_new();
		int lfd;

		close(p[0]);
		S.loop = loop;
		lfd = http_server_listen(loop, "127.0.0.1", 0, handler, &S, err, sizeof(err));
		*port = lfd < 0 ? -1 : net_local_port(lfd);
		if (write(p[1], port, sizeof(*port)) != (ssize_t)sizeof(*port))
			_exit(1);
		close(p[1]);
		loop_run(loop);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], port, sizeof(*port)) != (ssize_t)sizeof(*port))
		*port = -1;
	close(p[0]);
	return pid;
}

static void
test_client(void)
{
	struct http_client_response resp;
	struct buf body;
	char err[ERR_BYTES];
	int port = -1, rc, dead_port;
	pid_t pid = fork_server(&port);
	int64_t start;

	CHECK(pid > 0 && port > 0);
	if (pid <= 0 || port <= 0)
		return;

	buf_init(&body, 1 << 20);
	resp.body = &body;
	rc = http_client_request("127.0.0.1", port, "GET", "/hello", NULL, NULL, 0, PUMP_MS,
	    &resp, err, sizeof(err));
	CHECK(rc == 0 && resp.status == 200);
	CHECK_STR(body.data, "hello");
	CHECK_STR(resp.content_type, "text/plain");

	buf_reset(&body);
	rc = http_client_request("127.0.0.1", port, "POST", "/echo", "application/json",
	    "{\"a\":1}", 7, PUMP_MS, &resp, err, sizeof(err));
	CHECK(rc == 0 && resp.status == 200);
	CHECK_STR(body.data, "{\"a\":1}");

	buf_reset(&body);
	rc = http_client_request("127.0.0.1", port, "GET", "/nowhere?x=1", NULL, NULL, 0, PUMP_MS,
	    &resp, err, sizeof(err));
	CHECK(rc == 0 && resp.status == 404);
	CHECK_STR(resp.content_type, "application/json");
	CHECK_STR(body.data, "{\"message\":\"no route for /nowhere\"}");

	buf_reset(&body);
	rc = http_client_request("127.0.0.1", port, "HEAD", "/hello", NULL, NULL, 0, PUMP_MS,
	    &resp, err, sizeof(err));
	CHECK(rc == 0 && resp.status == 200 && body.len == 0);

	/* Body until the server closes. */
	buf_reset(&body);
	rc = http_client_request("127.0.0.1", port, "GET", "/finite", NULL, NULL, 0, PUMP_MS,
	    &resp, err, sizeof(err));
	CHECK(rc == 0 && resp.status == 200);
	CHECK_STR(body.data, "abc");

	/* Chunked, with an extension and a trailer. */
	buf_reset(&body);
	rc = http_client_request("127.0.0.1", port, "GET", "/chunked", NULL, NULL, 0, PUMP_MS,
	    &resp, err, sizeof(err));
	CHECK(rc == 0 && resp.status == 200);
	CHECK_STR(body.data, "hello world");

	buf_reset(&body);
	rc = http_client_request("127.0.0.1", port, "GET", "/big", NULL, NULL, 0, PUMP_MS,
	    &resp, err, sizeof(err));
	CHECK(rc == 0 && body.len == READ_CHUNK);

	/* Larger than the caller's buffer allows, by length and by chunks. */
	buf_free(&body);
	buf_init(&body, 3);
	rc = http_client_request("127.0.0.1", port, "GET", "/hello", NULL, NULL, 0, PUMP_MS,
	    &resp, err, sizeof(err));
	CHECK(rc == -1);
	CHECK_STR(err, "response too large");
	buf_reset(&body);
	rc = http_client_request("127.0.0.1", port, "GET", "/chunked", NULL, NULL, 0, PUMP_MS,
	    &resp, err, sizeof(err));
	CHECK(rc == -1);
	CHECK_STR(err, "response too large");
	buf_free(&body);
	buf_init(&body, 1 << 20);

	/* A server that never answers: the overall timeout holds. */
	start = compat_monotonic_ms();
	rc = http_client_request("127.0.0.1", port, "GET", "/defer", NULL, NULL, 0, SHORT_TIMEOUT_MS,
	    &resp, err, sizeof(err));
	CHECK(rc == -1);
	CHECK_STR(err, "timeout after 300 ms");
	CHECK(compat_monotonic_ms() - start < 3 * SHORT_TIMEOUT_MS);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);

	/* Nobody listens any more. */
	dead_port = port;
	rc = http_client_request("127.0.0.1", dead_port, "GET", "/", NULL, NULL, 0, PUMP_MS,
	    &resp, err, sizeof(err));
	CHECK(rc == -1);
	{
		char want[ERR_BYTES];

		snprintf(want, sizeof(want), "connect to 127.0.0.1:%d: Connection refused", dead_port);
		CHECK_STR(err, want);
	}
	buf_free(&body);
}

/* ---- http_async.c: GETs on the loop, against the server on the same loop ---- */

struct got {
	int status;
	struct buf body;
	int done;
	char err[ERR_BYTES];
	int cancel_at_body;       /* cancel once the body has this many bytes (0: never) */
};

static void
got_head(struct http_async *a, int status, void *arg)
{
	struct got *g = arg;

	(void)a;
	g->status = status;
}

static void
got_body(struct http_async *a, const char *data, size_t len, void *arg)
{
	struct got *g = arg;

	buf_append(&g->body, data, len);
	if (g->cancel_at_body > 0 && g->body.len >= (size_t)g->cancel_at_body) {
		http_async_cancel(a);
		g->done = 1;
	}
}

static void
got_done(struct http_async *a, const char *err, void *arg)
{
	struct got *g = arg;

	(void)a;
	g->done = 1;
	snprintf(g->err, sizeof(g->err), "%s", err != NULL ? err : "");
}

static const struct http_async_ops got_ops = { got_head, got_body, got_done };

/* GET path (on S unless port is given), pumping the loop until it ends. */
static void
async_get(const char *path, int port, int64_t idle_ms, struct got *g)
{
	char url[ERR_BYTES], err[ERR_BYTES];
	int64_t deadline = compat_monotonic_ms() + PUMP_MS;
	struct http_async *a;

	buf_free(&g->body);
	buf_init(&g->body, 0);
	g->status = 0;
	g->done = 0;
	g->err[0] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port ? port : S.port, path);
	a = http_async_get(S.loop, url, "test", 1000, idle_ms, &got_ops, g, err, sizeof(err));
	CHECK(a != NULL);
	while (a != NULL && !g->done && compat_monotonic_ms() < deadline)
		loop_run_once(S.loop, LOOP_SLICE_MS);
	CHECK(g->done);
}

static void
test_async(void)
{
	struct got g;
	char err[ERR_BYTES];

	memset(&g, 0, sizeof(g));
	buf_init(&g.body, 0);
	async_get("/hello", 0, 0, &g);
	CHECK(g.status == 200 && g.body.len == 5 && strcmp(g.body.data, "hello") == 0);
	CHECK_STR(g.err, "");
	async_get("/chunked", 0, 0, &g);
	CHECK(g.status == 200);
	CHECK_STR(g.body.data, "hello world");
	CHECK_STR(g.err, "");
	async_get("/finite", 0, 0, &g);
	CHECK(g.status == 200 && g.body.len == 3);
	CHECK_STR(g.err, "");
	async_get("/nope", 0, 0, &g);
	CHECK(g.status == 404 && g.body.len > 0);
	/* A stream that never ends: the reader stops it, and no on_done follows. */
	g.cancel_at_body = 5;
	async_get("/stream", 0, 0, &g);
	CHECK(g.status == 200);
	CHECK(strncmp(g.body.data, "data: one", 9) == 0);
	g.cancel_at_body = 0;
	pump_ms(50);
	/* Silence past idle_ms, and a refused connect, say why. */
	async_get("/defer", 0, 100, &g);
	CHECK_STR(g.err, "idle timeout");
	{
		int lfd = net_listen("127.0.0.1", 0, err, sizeof(err)), port = net_local_port(lfd);

		close(lfd);
		async_get("/", port, 0, &g);
		CHECK(strstr(g.err, "Connection refused") != NULL);
	}
	CHECK(http_async_get(S.loop, "ftp://x/", "test", 1000, 0, &got_ops, &g, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "not an http:// URL") != NULL);
	buf_free(&g.body);
}

/* Over a cap, a connection is answered 503 with the reason; under it again, served. */
static void
test_caps(void)
{
	int held[2];
	struct buf got;

	http_server_set_caps(S.loop, S.lfd, 0, 2);
	held[0] = client();
	held[1] = client();
	pump_ms(LOOP_SLICE_MS * 4);
	exchange("GET /hello HTTP/1.1\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "HTTP/1.1 503 Service Unavailable\r\n"));
	CHECK(has(&got, "too many connections from 127.0.0.1: 2 open"));
	buf_free(&got);
	close(held[0]);
	pump_ms(LOOP_SLICE_MS * 4);
	exchange("GET /hello HTTP/1.1\r\n\r\n", "hello", 0, &got);
	CHECK(has(&got, "HTTP/1.1 200 OK\r\n"));
	buf_free(&got);
	close(held[1]);
	pump_ms(LOOP_SLICE_MS * 4);
	http_server_set_caps(S.loop, S.lfd, 1, 0);
	held[0] = client();
	pump_ms(LOOP_SLICE_MS * 4);
	exchange("GET /hello HTTP/1.1\r\n\r\n", NULL, 1, &got);
	CHECK(has(&got, "too many connections: 1 open"));
	buf_free(&got);
	close(held[0]);
	pump_ms(LOOP_SLICE_MS * 4);
}

int
main(void)
{
	char err[ERR_BYTES];

	test_pure();
	test_msg();
	/* The client tests fork first, before this process holds a loop and sockets. */
	test_client();

	S.loop = loop_new();
	S.lfd = http_server_listen(S.loop, "127.0.0.1", 0, handler, &S, err, sizeof(err));
	CHECK(S.lfd >= 0);
	if (S.lfd < 0) {
		fprintf(stderr, "listen: %s\n", err);
		return CHECK_DONE();
	}
	S.port = net_local_port(S.lfd);

	test_simple_get();
	test_query_and_path();
	test_post();
	test_keepalive_and_pipelining();
	test_deferred();
	test_stream();
	test_bad_requests();
	test_slow_client();
	test_adopt();
	test_async();
	test_caps();

	http_server_close(S.loop, S.lfd);
	/* Let every closing conn reach its on_close so nothing is left allocated. */
	pump_ms(100);
	loop_free(S.loop);
	return CHECK_DONE();
}
