/*
 * tests/test_http_client.c: the HTTP client: URLs and redirects, chunked
 * bodies, then both ways in against a forked server that answers each
 * path with canned bytes (downloads, redirects, errors, a stall, an
 * interim 100, the request as sent).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "compat.h"
#include "http_client.h"
#include "net.h"
#include "xmem.h"

#define ERR_MAX 256
#define REQUEST_MAX 4096        /* bytes of a request head the canned server reads */
#define TIMEOUT_MS 3000
#define STALL_MS 200
#define STALL_HOLD_S 2          /* how long the canned server keeps a stalled reply open */
#define BODY_MAX 4096
#define HEAD_END "\r\n\r\n"      /* the blank line after a head */

static int
sink(const char *data, size_t len, void *arg, char *err, size_t errlen)
{
	if (buf_append(arg, data, len) == 0)
		return 0;
	snprintf(err, errlen, "too much");
	return -1;
}

static void
urls(void)
{
	struct http_client_url u;
	char err[ERR_MAX];
	char *r;

	CHECK(http_client_url_parse("http://example.com", &u, err, sizeof(err)) == 0);
	CHECK_STR(u.host, "example.com");
	CHECK(u.port == 80);
	CHECK_STR(u.target, "/");
	http_client_url_free(&u);
	CHECK(http_client_url_parse("http://127.0.0.1:8080/a/b?q=1#f", &u, err, sizeof(err)) == 0);
	CHECK_STR(u.host, "127.0.0.1");
	CHECK(u.port == 8080);
	CHECK_STR(u.target, "/a/b?q=1");
	r = http_client_url_resolve(&u, "/c");
	CHECK_STR(r, "http://127.0.0.1:8080/c");
	free(r);
	r = http_client_url_resolve(&u, "d");
	CHECK_STR(r, "http://127.0.0.1:8080/a/d");
	free(r);
	r = http_client_url_resolve(&u, "http://other/x");
	CHECK_STR(r, "http://other/x");
	free(r);
	http_client_url_free(&u);
	CHECK(http_client_url_parse("http://[::1]:99/x", &u, err, sizeof(err)) == 0);
	CHECK_STR(u.host, "::1");
	CHECK(u.port == 99);
	r = http_client_url_resolve(&u, "/y");
	CHECK_STR(r, "http://[::1]:99/y");
	free(r);
	http_client_url_free(&u);
	CHECK(http_client_url_parse("http://h:0/", &u, err, sizeof(err)) == -1);
	CHECK(http_client_url_parse("http://h:99999/", &u, err, sizeof(err)) == -1);
	CHECK(http_client_url_parse("http:///x", &u, err, sizeof(err)) == -1);
	CHECK(http_client_url_parse("ftp://h/x", &u, err, sizeof(err)) == -1);
	CHECK(http_client_url_parse("http://h/a b", &u, err, sizeof(err)) == -1);
}

static void
chunked(void)
{
	static const char body[] = "4\r\nWiki\r\n5;x=y\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: 1\r\n\r\n";
	struct http_client_chunked c;
	char err[ERR_MAX];
	struct buf out;
	int r = 0;

	/* Fed one byte at a time: every state must survive a split anywhere. */
	buf_init(&out, 0);
	http_client_chunked_init(&c);
	for (size_t i = 0; i < sizeof(body) - 1 && r == 0; i++)
		r = http_client_chunked_feed(&c, body + i, 1, sink, &out, err, sizeof(err));
	CHECK(r == 1);
	CHECK_STR(out.data, "Wikipedia in\r\n\r\nchunks.");
	buf_reset(&out);
	http_client_chunked_init(&c);
	CHECK(http_client_chunked_feed(&c, body, sizeof(body) - 1, sink, &out, err, sizeof(err)) == 1);
	CHECK(c.used == sizeof(body) - 1);
	/* A message after the body: used says where the body ended. */
	http_client_chunked_init(&c);
	CHECK(http_client_chunked_feed(&c, "1\r\na\r\n0\r\n\r\nGET / HTTP/1.1", 27, sink, &out,
	    err, sizeof(err)) == 1);
	CHECK(c.used == 11);
	/* Without a sink the body is only walked over: where it ends is all that is learned. */
	http_client_chunked_init(&c);
	CHECK(http_client_chunked_feed(&c, "2\r\nab\r\n0\r\n\r\nX", 13, NULL, NULL, err,
	    sizeof(err)) == 1);
	CHECK(c.used == 12);
	buf_reset(&out);
	http_client_chunked_init(&c);
	CHECK(http_client_chunked_feed(&c, "zz\r\n", 4, sink, &out, err, sizeof(err)) == -1);
	http_client_chunked_init(&c);
	CHECK(http_client_chunked_feed(&c, "2\r\nabX\r\n", 8, sink, &out, err, sizeof(err)) == -1);
	http_client_chunked_init(&c);
	CHECK(http_client_chunked_feed(&c, "3\r\nab", 5, sink, &out, err, sizeof(err)) == 0);
	/* Sizes are hex digits only, without overflow; a failing sink says why. */
	http_client_chunked_init(&c);
	CHECK(http_client_chunked_feed(&c, "11111111111111111\r\n", 19, sink, &out, err,
	    sizeof(err)) == -1);
	CHECK_STR(err, "bad chunked encoding: chunk size '1111111111111111'");
	http_client_chunked_init(&c);
	CHECK(http_client_chunked_feed(&c, "+5\r\n", 4, sink, &out, err, sizeof(err)) == -1);
	buf_free(&out);
	buf_init(&out, 2);
	http_client_chunked_init(&c);
	CHECK(http_client_chunked_feed(&c, "3\t;x\r\nabc\r\n", 11, sink, &out, err,
	    sizeof(err)) == -1);
	CHECK_STR(err, "too much");
	buf_free(&out);
}

/* The canned reply for a request; the request's head is the reply to /echo. */
static void
answer(int fd, const char *req)
{
	static const struct {
		const char *path, *reply;
	} canned[] = {
		{ "/file", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" },
		{ "/chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		              "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n" },
		{ "/moved", "HTTP/1.1 302 Found\r\nLocation: /file\r\nContent-Length: 0\r\n\r\n" },
		{ "/loop", "HTTP/1.1 302 Found\r\nLocation: /loop\r\n\r\n" },
		{ "/tls", "HTTP/1.1 301 Moved\r\nLocation: https://h/x\r\n\r\n" },
		{ "/missing", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" },
		{ "/short", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello" },
		{ "/interim", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
		              "Content-Type: text/plain\r\n\r\nuntil close" },
		{ "/garbage", "SMTP ready\r\n\r\n" },
	};
	const char *sp = strchr(req, ' ');
	size_t n = sp != NULL ? strcspn(sp + 1, " ") : 0;

	if (sp != NULL && n == strlen("/echo") && strncmp(sp + 1, "/echo", n) == 0) {
		const char *end = strstr(req, HEAD_END);
		char *reply = xstrfmt("HTTP/1.1 200 OK\r\n\r\n%.*s",
		    end != NULL ? (int)(end - req + strlen(HEAD_END)) : 0, req);

		(void)compat_write_all(fd, reply, strlen(reply));
		free(reply);
		return;
	}
	if (sp != NULL && n == strlen("/stall") && strncmp(sp + 1, "/stall", n) == 0) {
		(void)compat_write_all(fd, "HTTP/1.1 200 OK\r\n", strlen("HTTP/1.1 200 OK\r\n"));
		sleep(STALL_HOLD_S);
		return;
	}
	for (size_t i = 0; sp != NULL && i < sizeof(canned) / sizeof(canned[0]); i++)
		if (strlen(canned[i].path) == n && strncmp(sp + 1, canned[i].path, n) == 0)
			(void)compat_write_all(fd, canned[i].reply, strlen(canned[i].reply));
}

/* A server in a child until killed; a process per connection, so a stall holds only its own. */
static pid_t
canned_server(int *port)
{
	char err[ERR_MAX];
	int lfd = net_listen("127.0.0.1", 0, err, sizeof(err));
	pid_t pid;

	*port = lfd < 0 ? -1 : net_local_port(lfd);
	if (lfd < 0)
		return -1;
	pid = fork();
	if (pid != 0) {
		close(lfd);
		return pid;
	}
	compat_set_nonblock(lfd, 0);
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		char req[REQUEST_MAX + 1];
		size_t len = 0;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (fork() != 0) {
			close(fd);
			continue;
		}
		close(lfd);
		while (len < REQUEST_MAX) {
			ssize_t got = read(fd, req + len, REQUEST_MAX - len);

			if (got <= 0)
				break;
			len += (size_t)got;
			req[len] = '\0';
			if (strstr(req, HEAD_END) != NULL)
				break;
		}
		req[len] = '\0';
		answer(fd, req);
		_exit(0);
	}
}

/* Download path into a fresh file: the client's rc, and what the file holds. */
static int
download(int port, const char *path, int64_t stall_ms, char *got, size_t gotlen, char *err,
         size_t errlen)
{
	char file[] = "/tmp/test_http_client.XXXXXX";
	char *url = xstrfmt("http://127.0.0.1:%d%s", port, path);
	int fd = mkstemp(file), rc;
	ssize_t n;

	got[0] = '\0';
	if (fd < 0) {
		free(url);
		return -2;
	}
	rc = http_client_get_file(url, fd, stall_ms, err, errlen);
	n = pread(fd, got, gotlen - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(file);
	free(url);
	return rc;
}

static void
against_a_server(void)
{
	struct http_client_response resp;
	char err[ERR_MAX], got[BODY_MAX], want[BODY_MAX];
	struct buf body;
	int port = -1;
	pid_t pid = canned_server(&port);

	CHECK(pid > 0 && port > 0);
	if (pid <= 0 || port <= 0)
		return;

	CHECK(download(port, "/file", STALL_MS, got, sizeof(got), err, sizeof(err)) == 0);
	CHECK_STR(got, "hello");
	CHECK(download(port, "/chunked", STALL_MS, got, sizeof(got), err, sizeof(err)) == 0);
	CHECK_STR(got, "hello");
	CHECK(download(port, "/moved", STALL_MS, got, sizeof(got), err, sizeof(err)) == 0);
	CHECK_STR(got, "hello");
	CHECK(download(port, "/missing", STALL_MS, got, sizeof(got), err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "HTTP 404 Not Found from http://127.0.0.1:%d/missing", port);
	CHECK_STR(err, want);
	CHECK(download(port, "/loop", STALL_MS, got, sizeof(got), err, sizeof(err)) == -1);
	CHECK(strstr(err, "more than 5 redirects") != NULL);
	CHECK(download(port, "/tls", STALL_MS, got, sizeof(got), err, sizeof(err)) == -1);
	CHECK_STR(err, "redirect to an unsupported URL 'https://h/x'");
	CHECK(download(port, "/short", STALL_MS, got, sizeof(got), err, sizeof(err)) == -1);
	CHECK_STR(err, "connection closed after 5 of 9 bytes");
	CHECK(download(port, "/garbage", STALL_MS, got, sizeof(got), err, sizeof(err)) == -1);
	CHECK(strstr(err, "bad status line") != NULL);
	CHECK(download(port, "/stall", STALL_MS, got, sizeof(got), err, sizeof(err)) == -1);
	CHECK_STR(err, "no data for 200 ms (stall timeout)");
	/* The request as sent: the default port left out of Host only when it is 80. */
	CHECK(download(port, "/echo", STALL_MS, got, sizeof(got), err, sizeof(err)) == 0);
	snprintf(want, sizeof(want), "GET /echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "User-Agent: mesos-fetcher/1\r\nAccept: */*\r\nConnection: close\r\n\r\n", port);
	CHECK_STR(got, want);

	buf_init(&body, BODY_MAX);
	resp.body = &body;
	CHECK(http_client_request("127.0.0.1", port, "GET", "/interim", NULL, NULL, 0, TIMEOUT_MS,
	    &resp, err, sizeof(err)) == 0);
	CHECK(resp.status == 200);
	CHECK_STR(resp.content_type, "text/plain");
	CHECK_STR(body.data, "until close");
	buf_reset(&body);
	CHECK(http_client_request("127.0.0.1", port, "PUT", "/echo", "application/json", "{}", 2,
	    TIMEOUT_MS, &resp, err, sizeof(err)) == 0);
	snprintf(want, sizeof(want), "PUT /echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "User-Agent: mesosctl\r\nAccept: */*\r\nConnection: close\r\n"
	    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n", port);
	CHECK_STR(body.data, want);
	buf_reset(&body);
	CHECK(http_client_request("127.0.0.1", port, "GET", "/stall", NULL, NULL, 0, STALL_MS,
	    &resp, err, sizeof(err)) == -1);
	CHECK_STR(err, "timeout after 200 ms");
	buf_free(&body);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int
main(void)
{
	urls();
	chunked();
	against_a_server();
	return CHECK_DONE();
}
