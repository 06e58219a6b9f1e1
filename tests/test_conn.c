/* tests/test_conn.c: buffered connections (conn.c) and socket setup (net.c). */
#include "check.h"
#include "compat.h"
#include "conn.h"
#include "loop.h"
#include "net.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 2048
#define RAW_MAX 65536
#define REASON_MAX 256
#define WAIT_LIMIT_MS 1000
#define SMALL_LINE 100
#define SMALL_OUT 4096
#define MANY 1000
#define CHUNK 4096

struct rec {
	char *lines[MAX_LINES];
	size_t lens[MAX_LINES];
	int nlines;
	int unterminated;      /* lines not NUL-terminated at len */
	char raw[RAW_MAX];
	size_t nraw;
	int closes;
	char reason[REASON_MAX];
	int connected;
	int drains;
	int errors;
	int close_on_line;     /* act when line number N (1-based) arrives; 0 = never */
	int raw_on_line;
	int pause_on_line;
	int switch_on_line;
	int send_after_close;  /* what conn_send returned after conn_close */
	int closing_after_close;
	const struct conn_ops *switch_ops;
	struct rec *switch_arg;
	const char *error_reply;
};

static void
rec_free(struct rec *r)
{
	int i;

	for (i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	memset(r, 0, sizeof(*r));
}

static void
on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct rec *r = arg;
	int n;

	if (r->nlines >= MAX_LINES)
		return;
	if (line[len] != '\0')
		r->unterminated++;
	r->lines[r->nlines] = malloc(len + 1);
	memcpy(r->lines[r->nlines], line, len + 1);
	r->lens[r->nlines] = len;
	n = ++r->nlines;
	if (n == r->close_on_line) {
		conn_close(c, "bye");
		conn_close(c, "twice");
		r->send_after_close = conn_send_str(c, "late\n");
		r->closing_after_close = conn_is_closing(c);
	}
	if (n == r->raw_on_line)
		conn_set_raw(c, 1);
	if (n == r->pause_on_line)
		conn_pause_reading(c, 1);
	if (n == r->switch_on_line)
		conn_set_ops(c, r->switch_ops, r->switch_arg);
}

static void
on_data(struct conn *c, const char *data, size_t len, void *arg)
{
	struct rec *r = arg;

	(void)c;
	if (len > RAW_MAX - r->nraw)
		len = RAW_MAX - r->nraw;
	memcpy(r->raw + r->nraw, data, len);
	r->nraw += len;
}

static void
on_close(struct conn *c, const char *reason, void *arg)
{
	struct rec *r = arg;

	(void)c;
	r->closes++;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

static void
on_connect(struct conn *c, void *arg)
{
	struct rec *r = arg;

	(void)c;
	r->connected++;
}

static void
on_drain(struct conn *c, void *arg)
{
	struct rec *r = arg;

	(void)c;
	r->drains++;
}

static void
on_error(struct conn *c, const char *reason, void *arg)
{
	struct rec *r = arg;

	(void)reason;
	r->errors++;
	if (r->error_reply != NULL)
		conn_send_str(c, r->error_reply);
}

static const struct conn_ops line_ops = { on_line, on_data, on_connect, on_close, on_drain, NULL };
static const struct conn_ops error_ops = { on_line, on_data, on_connect, on_close, on_drain,
                                           on_error };

static void
run_until(struct loop *loop, const int *count, int want)
{
	int64_t end = compat_monotonic_ms() + WAIT_LIMIT_MS;

	while (*count < want && compat_monotonic_ms() < end)
		loop_run_once(loop, WAIT_LIMIT_MS / 10);
}

/* Let deferred work (closes, kicks) run and wait a little for stray events. */
static void
settle(struct loop *loop, int64_t ms)
{
	int64_t end = compat_monotonic_ms() + ms;

	do
		loop_run_once(loop, ms > 0 ? 1 : 0);
	while (compat_monotonic_ms() < end);
}

static void
put(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		len -= (size_t)n;
	}
}

static void
put_str(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

/* Read what the peer has without blocking; returns bytes, -2 at EOF. */
static ssize_t
peer_read(int fd, char *buf, size_t len)
{
	ssize_t n;

	compat_set_nonblock(fd, 1);
	n = read(fd, buf, len);
	compat_set_nonblock(fd, 0);
	if (n == 0)
		return -2;
	return n < 0 ? 0 : n;
}

/*
 * A connected pair: fds[0] for the conn, fds[1] a blocking peer socket.
 * tcp = 0: socketpair; 1: a real TCP connection on 127.0.0.1.
 */
static int
make_pair(int tcp, int fds[2])
{
	char err[REASON_MAX], peer[REASON_MAX];
	int lfd, i;

	if (!tcp) {
		if (compat_socketpair(fds) == -1)
			return -1;
		compat_set_nonblock(fds[0], 1);
		return 0;
	}
	lfd = net_listen("127.0.0.1", 0, err, sizeof(err));
	if (lfd == -1)
		return -1;
	fds[1] = net_connect_blocking("127.0.0.1", net_local_port(lfd), WAIT_LIMIT_MS, err,
	                              sizeof(err));
	fds[0] = -1;
	for (i = 0; fds[1] >= 0 && fds[0] < 0 && i < WAIT_LIMIT_MS; i++) {
		fds[0] = net_accept(lfd, peer, sizeof(peer));
		if (fds[0] < 0) {
			struct timespec ms = { 0, 1000000 };

			nanosleep(&ms, NULL);
		}
	}
	close(lfd);
	if (fds[0] < 0 || fds[1] < 0) {
		if (fds[1] >= 0)
			close(fds[1]);
		return -1;
	}
	return 0;
}

static struct conn *
start(struct loop *loop, int tcp, int fds[2], const struct conn_ops *ops, struct rec *r,
      size_t max_line, size_t max_out)
{
	struct conn *c;

	if (make_pair(tcp, fds) == -1) {
		CHECK(!"make_pair");
		return NULL;
	}
	c = conn_new(loop, fds[0], ops, r, max_line, max_out);
	CHECK(c != NULL);
	CHECK(conn_fd(c) == fds[0]);
	CHECK(conn_arg(c) == r);
	return c;
}

static void
test_split_and_many(struct loop *loop, int tcp)
{
	struct rec r;
	struct conn *c;
	int fds[2], i;
	char *big, *p;

	memset(&r, 0, sizeof(r));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	put_str(fds[1], "hel");
	settle(loop, 10);
	CHECK(r.nlines == 0);
	put_str(fds[1], "lo\nwor");
	run_until(loop, &r.nlines, 1);
	put_str(fds[1], "ld\n");
	run_until(loop, &r.nlines, 2);
	CHECK(r.nlines == 2);
	CHECK_STR(r.lines[0], "hello");
	CHECK_STR(r.lines[1], "world");

	/* Many lines in one write. */
	big = malloc(MANY * 16);
	p = big;
	for (i = 0; i < MANY; i++)
		p += sprintf(p, "line%d\n", i);
	put(fds[1], big, (size_t)(p - big));
	run_until(loop, &r.nlines, 2 + MANY);
	CHECK(r.nlines == 2 + MANY);
	for (i = 0; i < MANY && i + 2 < r.nlines; i++) {
		char want[32];

		snprintf(want, sizeof(want), "line%d", i);
		if (strcmp(r.lines[i + 2], want) != 0) {
			CHECK_STR(r.lines[i + 2], want);
			break;
		}
	}
	CHECK(r.unterminated == 0);
	free(big);

	/* A final partial line is dropped at EOF. */
	put_str(fds[1], "a\nb\npartial");
	close(fds[1]);
	run_until(loop, &r.closes, 1);
	settle(loop, 0);
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, "eof");
	CHECK(r.nlines == 4 + MANY);
	CHECK_STR(r.lines[2 + MANY], "a");
	CHECK_STR(r.lines[3 + MANY], "b");
	rec_free(&r);
}

static void
test_line_cap(struct loop *loop, int tcp)
{
	struct rec r;
	struct conn *c;
	int fds[2];
	char line[SMALL_LINE * 2 + 2];
	char want[REASON_MAX];

	snprintf(want, sizeof(want), "line too long (limit %d bytes)", SMALL_LINE);

	/* Exactly at the cap passes; one byte more closes. */
	memset(&r, 0, sizeof(r));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	memset(line, 'a', SMALL_LINE);
	line[SMALL_LINE] = '\n';
	put(fds[1], line, SMALL_LINE + 1);
	put_str(fds[1], "ok\n");
	run_until(loop, &r.nlines, 2);
	CHECK(r.nlines == 2);
	CHECK(r.lens[0] == SMALL_LINE);
	CHECK_STR(r.lines[1], "ok");
	memset(line, 'b', SMALL_LINE + 1);
	line[SMALL_LINE + 1] = '\n';
	put(fds[1], line, SMALL_LINE + 2);
	put_str(fds[1], "after\n");
	run_until(loop, &r.closes, 1);
	settle(loop, 0);
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, want);
	CHECK(r.nlines == 2);
	close(fds[1]);
	rec_free(&r);

	/* Over the cap without a newline, growing across reads. */
	memset(&r, 0, sizeof(r));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	memset(line, 'c', sizeof(line));
	put(fds[1], line, SMALL_LINE / 2 + 10);
	settle(loop, 10);
	CHECK(r.closes == 0);
	put(fds[1], line, SMALL_LINE / 2 + 10);
	run_until(loop, &r.closes, 1);
	settle(loop, 0);
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, want);
	CHECK(r.nlines == 0);
	close(fds[1]);
	rec_free(&r);

	/* With on_error the owner's reply is flushed before the close. */
	memset(&r, 0, sizeof(r));
	r.error_reply = "ERROR too long\n";
	c = start(loop, tcp, fds, &error_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	put(fds[1], line, sizeof(line));
	run_until(loop, &r.closes, 1);
	settle(loop, 0);
	CHECK(r.errors == 1);
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, want);
	{
		char got[REASON_MAX];
		ssize_t n = peer_read(fds[1], got, sizeof(got) - 1);

		CHECK(n == (ssize_t)strlen(r.error_reply));
		got[n > 0 ? n : 0] = '\0';
		CHECK_STR(got, r.error_reply);
		CHECK(peer_read(fds[1], got, sizeof(got)) == -2);
	}
	close(fds[1]);
	rec_free(&r);
}

static void
test_nul_cr(struct loop *loop, int tcp)
{
	struct rec r;
	struct conn *c;
	int fds[2];

	memset(&r, 0, sizeof(r));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	put(fds[1], "a\0b\r\n\r\n", 7);
	run_until(loop, &r.nlines, 2);
	CHECK(r.nlines == 2);
	CHECK(r.lens[0] == 4 && memcmp(r.lines[0], "a\0b\r", 5) == 0);
	CHECK(r.lens[1] == 1 && r.lines[1][0] == '\r');
	CHECK(r.unterminated == 0);
	conn_close(c, "done");
	run_until(loop, &r.closes, 1);
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, "done");
	close(fds[1]);
	rec_free(&r);
}

static void
test_close_in_callback(struct loop *loop, int tcp)
{
	struct rec r;
	struct conn *c;
	int fds[2];
	char buf[16];

	memset(&r, 0, sizeof(r));
	r.close_on_line = 1;
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	put_str(fds[1], "1\n2\n3\n");
	run_until(loop, &r.closes, 1);
	settle(loop, 20);
	CHECK(r.nlines == 1);
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, "bye");
	CHECK(r.send_after_close == -1);
	CHECK(r.closing_after_close == 1);
	/* The peer sees the close. */
	CHECK(peer_read(fds[1], buf, sizeof(buf)) == -2 || errno == ECONNRESET);
	close(fds[1]);
	rec_free(&r);
}

static void
test_output_cap(struct loop *loop, int tcp)
{
	struct rec r;
	struct conn *c;
	int fds[2], i, rc = 0, over = 0;
	char chunk[CHUNK];
	size_t max_out = 16 * CHUNK;

	memset(&r, 0, sizeof(r));
	memset(chunk, 'x', sizeof(chunk));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, max_out);
	if (c == NULL)
		return;
	/* The peer never reads: kernel buffers fill, then our cap trips. */
	for (i = 0; i < 100000; i++) {
		rc = conn_send(c, chunk, sizeof(chunk));
		if (rc == -1)
			break;
		if (conn_out_pending(c) > max_out)
			over++;
		if (i % 64 == 0)
			loop_run_once(loop, 0);
	}
	CHECK(rc == -1);
	CHECK(over == 0);
	CHECK(conn_is_closing(c));
	run_until(loop, &r.closes, 1);
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, "output buffer full (peer not reading)");
	close(fds[1]);
	rec_free(&r);
}

static void
test_drain_and_flush(struct loop *loop, int tcp)
{
	struct rec r;
	struct conn *c;
	int fds[2], i, queued = 0, eof = 0;
	char chunk[CHUNK];
	size_t total = 0, got = 0;
	int64_t end;

	memset(&r, 0, sizeof(r));
	memset(chunk, 'y', sizeof(chunk));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, 1024 * CHUNK);
	if (c == NULL)
		return;
	for (i = 0; i < 1024 && !queued; i++) {
		if (conn_send(c, chunk, sizeof(chunk)) == -1)
			break;
		total += sizeof(chunk);
		queued = conn_out_pending(c) > 0;
	}
	CHECK(queued);
	conn_close_after_flush(c, "flushed");
	CHECK(conn_is_closing(c));
	CHECK(conn_send(c, "z", 1) == 0);
	total++;
	end = compat_monotonic_ms() + WAIT_LIMIT_MS;
	while (!eof && compat_monotonic_ms() < end) {
		char buf[CHUNK * 4];
		ssize_t n;

		loop_run_once(loop, 1);
		while ((n = peer_read(fds[1], buf, sizeof(buf))) > 0)
			got += (size_t)n;
		eof = n == -2;
	}
	run_until(loop, &r.closes, 1);
	CHECK(eof);
	CHECK(got == total);
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, "flushed");
	close(fds[1]);
	rec_free(&r);

	/* on_drain after a backlog empties. */
	memset(&r, 0, sizeof(r));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, 1024 * CHUNK);
	if (c == NULL)
		return;
	queued = 0;
	for (i = 0; i < 1024 && !queued; i++) {
		conn_send(c, chunk, sizeof(chunk));
		queued = conn_out_pending(c) > 0;
	}
	end = compat_monotonic_ms() + WAIT_LIMIT_MS;
	while (r.drains == 0 && compat_monotonic_ms() < end) {
		char buf[CHUNK * 4];

		loop_run_once(loop, 1);
		while (peer_read(fds[1], buf, sizeof(buf)) > 0)
			;
	}
	CHECK(r.drains == 1);
	CHECK(conn_out_pending(c) == 0);
	conn_close(c, "x");
	run_until(loop, &r.closes, 1);
	close(fds[1]);
	rec_free(&r);
}

static void
test_raw_switch(struct loop *loop, int tcp)
{
	struct rec r;
	struct conn *c;
	int fds[2];
	int nraw;

	memset(&r, 0, sizeof(r));
	r.raw_on_line = 1;
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	put_str(fds[1], "HEAD\nrawbytes\nmore");
	nraw = 0;
	{
		int64_t end = compat_monotonic_ms() + WAIT_LIMIT_MS;

		while (r.nraw < 13 && compat_monotonic_ms() < end)
			loop_run_once(loop, 10);
	}
	CHECK(r.nlines == 1);
	CHECK_STR(r.lines[0], "HEAD");
	CHECK(r.nraw == 13 && memcmp(r.raw, "rawbytes\nmore", 13) == 0);
	nraw = (int)r.nraw;
	/* Back to lines from outside any callback. */
	conn_set_raw(c, 0);
	put_str(fds[1], "x\ny\n");
	run_until(loop, &r.nlines, 3);
	CHECK(r.nlines == 3);
	CHECK_STR(r.lines[1], "x");
	CHECK_STR(r.lines[2], "y");
	CHECK((int)r.nraw == nraw);
	/* A partial line becomes raw data when raw mode comes back. */
	put_str(fds[1], "tail");
	settle(loop, 10);
	conn_set_raw(c, 1);
	settle(loop, 10);
	CHECK(r.nraw == 17 && memcmp(r.raw + 13, "tail", 4) == 0);
	conn_close(c, "done");
	run_until(loop, &r.closes, 1);
	close(fds[1]);
	rec_free(&r);
}

static void
test_pause_and_ops(struct loop *loop, int tcp)
{
	struct rec r, r2;
	struct conn *c;
	int fds[2];

	memset(&r, 0, sizeof(r));
	r.pause_on_line = 1;
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	put_str(fds[1], "1\n2\n3\n");
	run_until(loop, &r.nlines, 1);
	settle(loop, 20);
	CHECK(r.nlines == 1);
	/* EOF while paused waits for the buffered lines. */
	shutdown(fds[1], SHUT_WR);
	settle(loop, 20);
	CHECK(r.closes == 0);
	conn_pause_reading(c, 0);
	run_until(loop, &r.closes, 1);
	CHECK(r.nlines == 3);
	CHECK_STR(r.lines[2], "3");
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, "eof");
	close(fds[1]);
	rec_free(&r);

	/* New ops take over between two lines of the same read. */
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	r.switch_on_line = 1;
	r.switch_ops = &line_ops;
	r.switch_arg = &r2;
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	put_str(fds[1], "GET / HTTP/1.1\nHost: x\n\n");
	run_until(loop, &r2.nlines, 2);
	CHECK(r.nlines == 1);
	CHECK(r2.nlines == 2);
	CHECK(conn_arg(c) == &r2);
	close(fds[1]);
	run_until(loop, &r2.closes, 1);
	CHECK(r.closes == 0);
	CHECK(r2.closes == 1);
	rec_free(&r);
	rec_free(&r2);
}

static void
test_idle(struct loop *loop, int tcp)
{
	struct rec r;
	struct conn *c;
	int fds[2], i;
	int64_t t0 = 0;

	memset(&r, 0, sizeof(r));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	conn_set_idle_timeout(c, 60);
	/* Input every 20 ms keeps it open past several periods. */
	for (i = 0; i < 8; i++) {
		t0 = compat_monotonic_ms();
		put_str(fds[1], "tick\n");
		settle(loop, 20);
	}
	CHECK(r.closes == 0);
	CHECK(r.nlines == 8);
	run_until(loop, &r.closes, 1);
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, "idle timeout");
	/* Counted from the last input; 1 ms of slack for clock rounding. */
	CHECK(compat_monotonic_ms() - t0 >= 59);
	close(fds[1]);
	rec_free(&r);

	/* 0 disables it. */
	memset(&r, 0, sizeof(r));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, SMALL_OUT);
	if (c == NULL)
		return;
	conn_set_idle_timeout(c, 20);
	conn_set_idle_timeout(c, 0);
	settle(loop, 50);
	CHECK(r.closes == 0);
	conn_close(c, "done");
	run_until(loop, &r.closes, 1);
	close(fds[1]);
	rec_free(&r);
}

/* TCP through conn_connect and a listener on the loop. */
struct server {
	struct rec rec;
	struct conn *c;
	char peer[REASON_MAX];
};

static void
echo_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct server *s = arg;

	on_line(c, line, len, &s->rec);
	conn_send(c, line, len);
	conn_send_str(c, "\n");
}

static void
server_close(struct conn *c, const char *reason, void *arg)
{
	struct server *s = arg;

	on_close(c, reason, &s->rec);
}

static const struct conn_ops echo_ops = { echo_line, NULL, NULL, server_close, NULL, NULL };

static void
on_accept(struct loop *loop, int lfd, int events, void *arg)
{
	struct server *s = arg;
	int fd;

	(void)events;
	fd = net_accept(lfd, s->peer, sizeof(s->peer));
	if (fd < 0)
		return;
	s->c = conn_new(loop, fd, &echo_ops, s, SMALL_LINE, SMALL_OUT);
	conn_set_peer(s->c, s->peer);
}

static void
test_connect(struct loop *loop)
{
	struct server s;
	struct rec r;
	struct conn *c;
	char err[REASON_MAX], want[REASON_MAX];
	int lfd, port;

	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	lfd = net_listen("127.0.0.1", 0, err, sizeof(err));
	CHECK(lfd >= 0);
	if (lfd < 0)
		return;
	port = net_local_port(lfd);
	CHECK(port > 0);
	loop_watch(loop, lfd, LOOP_READ, on_accept, &s);
	c = conn_connect(loop, "127.0.0.1", port, WAIT_LIMIT_MS, &line_ops, &r, SMALL_LINE,
	                 SMALL_OUT, err, sizeof(err));
	CHECK(c != NULL);
	if (c == NULL)
		return;
	snprintf(want, sizeof(want), "127.0.0.1:%d", port);
	CHECK_STR(conn_peer(c), want);
	/* Queued before the connect completes, sent after. */
	CHECK(conn_send_str(c, "ab") == 0);
	run_until(loop, &r.connected, 1);
	CHECK(r.connected == 1);
	CHECK(conn_send_str(c, "c\n") == 0);
	run_until(loop, &r.nlines, 1);
	CHECK(r.nlines == 1);
	CHECK_STR(r.lines[0], "abc");
	CHECK(s.rec.nlines == 1);
	CHECK(strncmp(s.peer, "127.0.0.1:", 10) == 0);
	CHECK(s.c != NULL && strcmp(conn_peer(s.c), s.peer) == 0);
	conn_close(c, "client done");
	run_until(loop, &s.rec.closes, 1);
	CHECK(r.closes == 1);
	CHECK_STR(r.reason, "client done");
	CHECK(s.rec.closes == 1);
	CHECK_STR(s.rec.reason, "eof");
	loop_unwatch(loop, lfd);
	close(lfd);
	rec_free(&r);
	rec_free(&s.rec);

	/* Refused: the listener is gone. */
	memset(&r, 0, sizeof(r));
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%d: %s", port, strerror(ECONNREFUSED));
	c = conn_connect(loop, "127.0.0.1", port, WAIT_LIMIT_MS, &line_ops, &r, SMALL_LINE,
	                 SMALL_OUT, err, sizeof(err));
	if (c == NULL) {
		CHECK_STR(err, want);
	} else {
		run_until(loop, &r.closes, 1);
		CHECK(r.connected == 0);
		CHECK(r.closes == 1);
		CHECK_STR(r.reason, want);
	}
	rec_free(&r);

	/* Cannot start at all. */
	c = conn_connect(loop, "not a host name", port, WAIT_LIMIT_MS, &line_ops, &r, SMALL_LINE,
	                 SMALL_OUT, err, sizeof(err));
	CHECK(c == NULL);
	CHECK(strncmp(err, "connect to not a host name:", 27) == 0);
}

static void
note_write(struct loop *loop, int fd, int events, void *arg)
{
	int *done = arg;

	(void)events;
	*done = 1;
	loop_unwatch(loop, fd);
}

/*
 * A connect timeout without leaving 127.0.0.1: a listener with a backlog
 * of one that never accepts stops answering SYNs once its queue is full.
 */
static void
test_connect_timeout(struct loop *loop)
{
	struct sockaddr_in sin;
	struct rec r;
	struct conn *c;
	char err[REASON_MAX], want[REASON_MAX];
	int lfd, port, fds[8], n = 0, pending = 0, i;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(lfd >= 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(lfd, 1) == -1) {
		CHECK(!"listener");
		return;
	}
	port = net_local_port(lfd);
	while (n < 8 && !pending) {
		int done = 0;
		int64_t end;

		fds[n] = net_connect("127.0.0.1", port, err, sizeof(err));
		if (fds[n] < 0)
			break;
		loop_watch(loop, fds[n], LOOP_WRITE, note_write, &done);
		end = compat_monotonic_ms() + 30;
		while (!done && compat_monotonic_ms() < end)
			loop_run_once(loop, 5);
		if (!done) {
			loop_unwatch(loop, fds[n]);
			pending = 1;
		}
		n++;
	}
	if (!pending) {
		fprintf(stderr, "note: listen queue never filled; connect timeout untested\n");
	} else {
		memset(&r, 0, sizeof(r));
		c = conn_connect(loop, "127.0.0.1", port, 50, &line_ops, &r, SMALL_LINE, SMALL_OUT,
		                 err, sizeof(err));
		CHECK(c != NULL);
		snprintf(want, sizeof(want), "connect to 127.0.0.1:%d: timed out", port);
		run_until(loop, &r.closes, 1);
		CHECK(r.connected == 0);
		CHECK(r.closes == 1);
		CHECK_STR(r.reason, want);
		rec_free(&r);

		CHECK(net_connect_blocking("127.0.0.1", port, 50, err, sizeof(err)) == -1);
		CHECK_STR(err, want);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(lfd);
}

static void
test_backoff(void)
{
	struct backoff b;
	int round, i, bad = 0;
	int64_t lo[] = { 50, 100, 200, 400, 500, 500, 500 };
	int64_t hi[] = { 100, 200, 400, 800, 1000, 1000, 1000 };

	for (round = 0; round < 200; round++) {
		backoff_init(&b, 100, 1000);
		for (i = 0; i < 7; i++) {
			int64_t d = backoff_next(&b);

			if (d < lo[i] || d > hi[i])
				bad++;
		}
		bad += b.current_ms != 1000;
		backoff_reset(&b);
		bad += b.current_ms != 100;
		i = (int)backoff_next(&b);
		if (i < 50 || i > 100)
			bad++;
	}
	CHECK(bad == 0);
	/* Not a constant: jitter is real. */
	{
		int64_t first, differs = 0;

		backoff_init(&b, 1000, 1000);
		first = backoff_next(&b);
		for (i = 0; i < 50; i++)
			differs += backoff_next(&b) != first;
		CHECK(differs > 0);
	}
}

static void
test_net(void)
{
	char host[64], err[REASON_MAX], peer[REASON_MAX];
	int port = 0, lfd, fd, fl;

	CHECK(net_parse_hostport("10.0.0.1:5050", 1, host, sizeof(host), &port, err,
	                         sizeof(err)) == 0);
	CHECK_STR(host, "10.0.0.1");
	CHECK(port == 5050);
	CHECK(net_parse_hostport("master", 5050, host, sizeof(host), &port, err, sizeof(err)) == 0);
	CHECK_STR(host, "master");
	CHECK(port == 5050);
	CHECK(net_parse_hostport("[::1]:80", 1, host, sizeof(host), &port, err, sizeof(err)) == 0);
	CHECK_STR(host, "::1");
	CHECK(port == 80);
	CHECK(net_parse_hostport("[::1]", 7, host, sizeof(host), &port, err, sizeof(err)) == 0);
	CHECK_STR(host, "::1");
	CHECK(port == 7);
	CHECK(net_parse_hostport("::1", 7, host, sizeof(host), &port, err, sizeof(err)) == 0);
	CHECK_STR(host, "::1");
	CHECK(net_parse_hostport("h:", 1, host, sizeof(host), &port, err, sizeof(err)) == -1);
	CHECK(net_parse_hostport("h:70000", 1, host, sizeof(host), &port, err, sizeof(err)) == -1);
	CHECK(net_parse_hostport("h:12x", 1, host, sizeof(host), &port, err, sizeof(err)) == -1);
	CHECK(net_parse_hostport("[::1", 1, host, sizeof(host), &port, err, sizeof(err)) == -1);
	CHECK(net_parse_hostport("", 1, host, sizeof(host), &port, err, sizeof(err)) == -1);
	CHECK(net_parse_hostport("h", -1, host, sizeof(host), &port, err, sizeof(err)) == -1);
	CHECK(net_parse_hostport("averyveryverylonghostname:1", 1, host, 8, &port, err,
	                         sizeof(err)) == -1);

	CHECK(net_listen("300.1.1.1", 0, err, sizeof(err)) == -1);
	CHECK(strncmp(err, "listen on 300.1.1.1:0: ", 23) == 0);
	lfd = net_listen("127.0.0.1", 0, err, sizeof(err));
	CHECK(lfd >= 0);
	if (lfd < 0)
		return;
	fl = fcntl(lfd, F_GETFL);
	CHECK(fl != -1 && (fl & O_NONBLOCK));
	fl = fcntl(lfd, F_GETFD);
	CHECK(fl != -1 && (fl & FD_CLOEXEC));
	errno = 0;
	CHECK(net_accept(lfd, peer, sizeof(peer)) == -1);
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
	fd = net_connect_blocking("127.0.0.1", net_local_port(lfd), WAIT_LIMIT_MS, err, sizeof(err));
	CHECK(fd >= 0);
	if (fd >= 0) {
		fl = fcntl(fd, F_GETFL);
		CHECK(fl != -1 && !(fl & O_NONBLOCK));
		close(fd);
	}
	port = net_local_port(lfd);
	close(lfd);
	fd = net_connect_blocking("127.0.0.1", port, WAIT_LIMIT_MS, err, sizeof(err));
	CHECK(fd == -1);
	CHECK(strstr(err, strerror(ECONNREFUSED)) != NULL);
	CHECK(compat_set_cloexec(-1) == -1);
	CHECK(compat_set_nonblock(-1, 1) == -1);
}

/* Sends two lines from inside a timer of the turn: they go at its end, together. */
static void
send_two(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	CHECK(conn_send_str(c, "one\n") == 0);
	CHECK(conn_send_str(c, "two\n") == 0);
	CHECK(conn_out_pending(c) == 8);   /* held, not written yet */
}

/*
 * conn_coalesce_writes: what a turn sends goes out at its end in one
 * write, in order; a big batch goes sooner; a close within the turn
 * still delivers what was held.
 */
static void
test_coalesce(struct loop *loop, int tcp)
{
	struct rec r;
	struct conn *c;
	int fds[2];
	char buf[CHUNK * 32];
	static char big[CONN_COALESCE_BYTES];
	ssize_t n;

	conn_coalesce_writes(1);
	memset(&r, 0, sizeof(r));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, 1024 * CHUNK);
	if (c == NULL) {
		conn_coalesce_writes(0);
		return;
	}
	loop_timer_add(loop, 0, send_two, c);
	loop_run_once(loop, WAIT_LIMIT_MS);
	CHECK(conn_out_pending(c) == 0);
	n = peer_read(fds[1], buf, sizeof(buf));
	CHECK(n == 8 && memcmp(buf, "one\ntwo\n", 8) == 0);

	/* CONN_COALESCE_BYTES held: written at once, not at the turn's end. */
	memset(big, 'b', sizeof(big));
	CHECK(conn_send(c, big, sizeof(big) - 1) == 0);
	CHECK(conn_out_pending(c) == sizeof(big) - 1);
	CHECK(conn_send(c, "\n", 1) == 0);
	CHECK(conn_out_pending(c) < sizeof(big));
	settle(loop, 0);
	while (peer_read(fds[1], buf, sizeof(buf)) > 0)
		settle(loop, 0);

	/* Closed in the same turn: the held line still reaches the peer, then EOF. */
	CHECK(conn_send_str(c, "last\n") == 0);
	conn_close(c, "done");
	run_until(loop, &r.closes, 1);
	n = peer_read(fds[1], buf, sizeof(buf));
	CHECK(n == 5 && memcmp(buf, "last\n", 5) == 0);
	CHECK(peer_read(fds[1], buf, sizeof(buf)) == -2);
	close(fds[1]);
	rec_free(&r);
	conn_coalesce_writes(0);
}

#define LAZY_MS 50

/*
 * conn_send_lazy: held until the next conn_send (then both go at that
 * turn's end, in order) or until its time is up; as conn_send without
 * coalescing; a close still delivers it.
 */
static void
test_lazy(struct loop *loop, int tcp)
{
	struct rec r;
	struct conn *c;
	int fds[2];
	char buf[CHUNK];
	ssize_t n;
	int64_t start_ms, end;

	memset(&r, 0, sizeof(r));
	c = start(loop, tcp, fds, &line_ops, &r, SMALL_LINE, 1024 * CHUNK);
	if (c == NULL)
		return;
	/* Not coalescing: at once. */
	CHECK(conn_send_lazy(c, "now\n", 4, LAZY_MS) == 0);
	CHECK(conn_out_pending(c) == 0);
	n = peer_read(fds[1], buf, sizeof(buf));
	CHECK(n == 4 && memcmp(buf, "now\n", 4) == 0);

	conn_coalesce_writes(1);
	/* Taken along by the next send, ahead of it. */
	CHECK(conn_send_lazy(c, "ack\n", 4, WAIT_LIMIT_MS * 10) == 0);
	CHECK(conn_out_pending(c) == 4);
	settle(loop, 0);
	CHECK(conn_out_pending(c) == 4);   /* a turn without another send: still held */
	CHECK(conn_send_str(c, "run\n") == 0);
	loop_run_once(loop, WAIT_LIMIT_MS);
	CHECK(conn_out_pending(c) == 0);
	n = peer_read(fds[1], buf, sizeof(buf));
	CHECK(n == 8 && memcmp(buf, "ack\nrun\n", 8) == 0);

	/* Alone: out when its time is up, not before. */
	start_ms = compat_monotonic_ms();
	CHECK(conn_send_lazy(c, "late\n", 5, LAZY_MS) == 0);
	end = start_ms + WAIT_LIMIT_MS;
	n = 0;
	while (n == 0 && compat_monotonic_ms() < end) {
		loop_run_once(loop, LAZY_MS);
		n = peer_read(fds[1], buf, sizeof(buf));
	}
	CHECK(n == 5 && memcmp(buf, "late\n", 5) == 0);
	CHECK(compat_monotonic_ms() - start_ms >= LAZY_MS - 1);

	/* Closed while held: delivered, then EOF. */
	CHECK(conn_send_lazy(c, "bye\n", 4, WAIT_LIMIT_MS * 10) == 0);
	conn_close(c, "done");
	run_until(loop, &r.closes, 1);
	n = peer_read(fds[1], buf, sizeof(buf));
	CHECK(n == 4 && memcmp(buf, "bye\n", 4) == 0);
	CHECK(peer_read(fds[1], buf, sizeof(buf)) == -2);
	close(fds[1]);
	rec_free(&r);
	conn_coalesce_writes(0);
}

/* What a conn does over a socketpair and over TCP, whether writes are coalesced or not. */
static void
test_behaviours(struct loop *loop)
{
	for (int tcp = 0; tcp <= 1; tcp++) {
		test_split_and_many(loop, tcp);
		test_line_cap(loop, tcp);
		test_nul_cr(loop, tcp);
		test_close_in_callback(loop, tcp);
		test_output_cap(loop, tcp);
		test_drain_and_flush(loop, tcp);
		test_raw_switch(loop, tcp);
		test_pause_and_ops(loop, tcp);
		test_idle(loop, tcp);
	}
}

int
main(void)
{
	struct loop *loop = loop_new();

	test_behaviours(loop);
	for (int tcp = 0; tcp <= 1; tcp++) {
		test_coalesce(loop, tcp);
		test_lazy(loop, tcp);
	}
	/* Every behaviour above holds as well when a daemon coalesces its writes. */
	conn_coalesce_writes(1);
	test_behaviours(loop);
	conn_coalesce_writes(0);
	test_connect(loop);
	test_connect_timeout(loop);
	test_backoff();
	test_net();
	settle(loop, 0);
	loop_free(loop);
	return CHECK_DONE();
}
