/*
 * tests/httpd.c: a small HTTP server for the fetcher and health check
 * tests, on 127.0.0.1 and an ephemeral port it prints as "listening on
 * 127.0.0.1:PORT". Paths:
 *   /files/NAME          the file DIR/NAME, with Content-Length
 *   /chunked/NAME        the same file in a chunked body
 *   /redirect/N/NAME     302 to /redirect/N-1/NAME, then to /files/NAME
 *   /status/CODE         an empty reply with that status
 *   /hang                never answers
 *   /whoami              "127.0.0.1:PORT": which server answered (mesos-lb's tests)
 *   /header/NAME         the request's header NAME, or 404
 *   .../v2/apps          the file DIR/apps.json, and .../v2/events an event
 *                        stream that says it is attached and stays open: a
 *                        stand-in Marathon for mesos-lb (its bench and tests)
 *   httpd [--drain=MS] DIR [PORT]   (PORT 0 or none: any free port)
 * With --drain, SIGTERM is answered as a well-behaved Marathon app does:
 * it goes on serving for MS (the load balancer stops sending new
 * connections meanwhile), then exits.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "agent/checkpoint.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "loop.h"
#include "xmem.h"

#define FILE_MAX (64u << 20)
#define CHUNK_BYTES 4096
#define DEC_BASE 10
#define ERR_MAX 256
#define HTTP_OK 200
#define HTTP_FOUND 302
#define PREFIX_LEN(p) (sizeof(p) - 1)
#define HTTP_NOT_FOUND 404
#define STATUS_MIN 100
#define STATUS_MAX 599

static const char *dir;
static int port;
static long drain_ms = -1;

static void
on_abort(struct http_exchange *x, void *arg)
{
	(void)x;
	(void)arg;
}

static int
read_file(const char *name, struct buf *out)
{
	char err[ERR_MAX];
	char *path;
	int missing, rc;

	if (strstr(name, "..") != NULL)
		return -1;
	path = xstrfmt("%s/%s", dir, name);
	rc = checkpoint_read(path, FILE_MAX, out, &missing, err, sizeof(err));
	free(path);
	return rc;
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && strcmp(s + n - k, tail) == 0;
}

static void
handle(struct http_exchange *x, void *arg)
{
	const char *path = http_path(x);
	struct buf body;

	(void)arg;
	buf_init(&body, 0);
	if (strncmp(path, "/files/", PREFIX_LEN("/files/")) == 0 &&
	    read_file(path + PREFIX_LEN("/files/"), &body) == 0) {
		http_reply(x, HTTP_OK, "application/octet-stream", body.data ? body.data : "", body.len);
	} else if (strncmp(path, "/chunked/", PREFIX_LEN("/chunked/")) == 0 &&
	           read_file(path + PREFIX_LEN("/chunked/"), &body) == 0) {
		struct buf chunk;

		buf_init(&chunk, 0);
		http_add_header(x, "Transfer-Encoding", "chunked");
		http_stream_begin(x, HTTP_OK, "application/octet-stream");
		for (size_t off = 0; off < body.len; off += CHUNK_BYTES) {
			size_t n = body.len - off < CHUNK_BYTES ? body.len - off : CHUNK_BYTES;
			buf_reset(&chunk);
			buf_printf(&chunk, "%zx;ext=1\r\n", n);
			buf_append(&chunk, body.data + off, n);
			buf_puts(&chunk, "\r\n");
			http_stream_write(x, chunk.data, chunk.len);
		}
		http_stream_write(x, "0\r\nX-Trailer: 1\r\n\r\n", strlen("0\r\nX-Trailer: 1\r\n\r\n"));
		buf_free(&chunk);
		http_stream_end(x);
	} else if (strncmp(path, "/redirect/", PREFIX_LEN("/redirect/")) == 0) {
		char *end;
		long n = strtol(path + PREFIX_LEN("/redirect/"), &end, DEC_BASE);
		char *loc = n > 0 ? xstrfmt("/redirect/%ld%s", n - 1, end) : xstrfmt("/files%s", end);

		http_add_header(x, "Location", loc);
		http_reply(x, HTTP_FOUND, "text/plain", "", 0);
		free(loc);
	} else if (strncmp(path, "/status/", PREFIX_LEN("/status/")) == 0) {
		long code = strtol(path + PREFIX_LEN("/status/"), NULL, DEC_BASE);
		http_reply(x, code >= STATUS_MIN && code <= STATUS_MAX ? (int)code : HTTP_NOT_FOUND,
		    "text/plain", "", 0);
	} else if (strcmp(path, "/hang") == 0) {
		http_defer(x, on_abort, NULL);
	} else if (ends_with(path, "/v2/apps") && read_file("apps.json", &body) == 0) {
		http_reply(x, HTTP_OK, "application/json", body.data ? body.data : "", body.len);
	} else if (ends_with(path, "/v2/events")) {
		static const char attached[] = "event: event_stream_attached\n"
		    "data: {\"eventType\":\"event_stream_attached\"}\n\n";

		http_defer(x, on_abort, NULL);
		http_stream_begin(x, HTTP_OK, "text/event-stream");
		http_stream_write(x, attached, sizeof(attached) - 1);
	} else if (strcmp(path, "/whoami") == 0) {
		char me[ERR_MAX];

		snprintf(me, sizeof(me), "127.0.0.1:%d\n", port);
		http_reply(x, HTTP_OK, "text/plain", me, strlen(me));
	} else if (strncmp(path, "/header/", PREFIX_LEN("/header/")) == 0 &&
	           http_header(x, path + PREFIX_LEN("/header/")) != NULL) {
		const char *v = http_header(x, path + PREFIX_LEN("/header/"));

		http_reply(x, HTTP_OK, "text/plain", v, strlen(v));
	} else {
		http_reply_error(x, HTTP_NOT_FOUND, "not found");
	}
	buf_free(&body);
}

static void
on_drained(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

static void
on_term(struct loop *loop, int signo, void *arg)
{
	(void)signo;
	(void)arg;
	loop_timer_add(loop, drain_ms, on_drained, NULL);
}

int
main(int argc, char **argv)
{
	struct loop *loop;
	char err[ERR_MAX];
	int fd;

	if (argc > 1 && strncmp(argv[1], "--drain=", PREFIX_LEN("--drain=")) == 0) {
		drain_ms = strtol(argv[1] + PREFIX_LEN("--drain="), NULL, DEC_BASE);
		argv++;
		argc--;
	}
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: httpd [--drain=MS] DIR [PORT]\n");
		return 2;
	}
	dir = argv[1];
	log_init("httpd", LOG_LEVEL_WARN);
	loop = loop_new();
	fd = http_server_listen(loop, "127.0.0.1", argc == 3 ? atoi(argv[2]) : 0, handle, NULL, err,
	    sizeof(err));
	if (fd == -1) {
		fprintf(stderr, "httpd: %s\n", err);
		return 1;
	}
	if (drain_ms >= 0)
		loop_signal(loop, SIGTERM, on_term, NULL);
	port = net_local_port(fd);
	printf("listening on 127.0.0.1:%d\n", port);
	fflush(stdout);
	loop_run(loop);
	http_server_close(loop, fd);
	loop_free(loop);
	return 0;
}
