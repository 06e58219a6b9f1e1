/*
 * bench/lbload.c: the load generator of mesos-lb's figures and tests.
 *
 *   lbload [--concurrency=N] [--requests=N | --duration=D] [--retries=N]
 *          [--keepalive] [--host=NAME] URL[,URL...]
 *       GETs from N connections at once (connection i uses URL i mod the
 *       count), each a new connection unless --keepalive; a request that
 *       fails (refused, reset, cut short, a status >= 500) is tried again
 *       up to --retries times, as a client that retries once does. Prints
 *       `requests`, `failed`, `retried`, `rps`, `p50_us`, `p99_us` lines
 *       and `body COUNT TEXT` for each distinct answer (up to 16).
 *   lbload --hold=N [--slow] [--duration=D] HOST:PORT
 *       opens N connections and holds them (with --slow, each sends one
 *       byte of a request head per second: a slowloris), prints `held N`
 *       once they are connected, and ends after --duration.
 */
#include "buf.h"
#include "compat.h"
#include "flags.h"
#include "http_client.h"
#include "http_msg.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "xmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESPONSE_MAX (1u << 20)
#define LATENCIES_MAX (8u << 20)
#define BODIES_MAX 16
#define BODY_TEXT_MAX 128
#define ERR_MAX 256
#define LB_CHUNK_BYTES 16384      /* bytes per read */
#define SLOW_INTERVAL_MS 1000
#define HOLD_CONNECT_MS 5000
#define CONNECT_TIMEOUT_MS 5000
#define PERCENT 100
#define P50 50
#define P99 99
#define US_PER_MS 1000

struct target {
	struct http_client_url url;
	char *request;
	size_t request_len;
};

struct client {
	struct target *t;
	int fd;
	int connecting;
	size_t sent;
	struct buf in;
	int64_t start_us;
	int tries;
	size_t slow_sent;
};

static struct {
	struct loop *loop;
	struct target *targets;
	size_t ntargets;
	long long concurrency, requests, retries, hold;
	int64_t duration_ms;
	int keepalive, slow;
	char *host;
	long long started, done, failed, retried, held;
	int64_t *lat;
	size_t nlat;
	int64_t end_ms;
	char bodies[BODIES_MAX][BODY_TEXT_MAX];
	long long body_count[BODIES_MAX];
	size_t nbodies;
} G;

static void start(struct client *c);
static void on_io(struct loop *loop, int fd, int events, void *arg);

static int
more_to_start(void)
{
	if (G.requests > 0)
		return G.started < G.requests;
	return loop_now(G.loop) < G.end_ms;
}

static void
close_fd(struct client *c)
{
	if (c->fd >= 0) {
		loop_unwatch(G.loop, c->fd);
		close(c->fd);
	}
	c->fd = -1;
}

static void
note_body(const char *data, size_t len)
{
	size_t i;

	if (len >= BODY_TEXT_MAX)
		len = BODY_TEXT_MAX - 1;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	for (i = 0; i < G.nbodies; i++)
		if (strlen(G.bodies[i]) == len && memcmp(G.bodies[i], data, len) == 0)
			break;
	if (i == G.nbodies) {
		if (G.nbodies == BODIES_MAX)
			return;
		memcpy(G.bodies[i], data, len);
		G.bodies[i][len] = '\0';
		G.nbodies++;
	}
	G.body_count[i]++;
}

static void
finished(struct client *c, int ok)
{
	if (!ok && c->tries < G.retries) {
		c->tries++;
		G.retried++;
		close_fd(c);
		start(c);
		return;
	}
	G.done++;
	if (!ok)
		G.failed++;
	else if (G.nlat < LATENCIES_MAX)
		G.lat[G.nlat++] = compat_monotonic_us() - c->start_us;
	if (!ok || !G.keepalive)
		close_fd(c);
	c->tries = 0;
	if (more_to_start()) {
		G.started++;
		start(c);
	} else {
		close_fd(c);
		if (G.done >= G.started)
			loop_stop(G.loop);
	}
}

static void
send_request(struct client *c)
{
	while (c->sent < c->t->request_len) {
		ssize_t n = compat_send(c->fd, c->t->request + c->sent, c->t->request_len - c->sent);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			finished(c, 0);
			return;
		}
		c->sent += (size_t)n;
	}
	loop_set_events(G.loop, c->fd, c->sent < c->t->request_len ? LOOP_WRITE : LOOP_READ);
}

static void
start(struct client *c)
{
	char err[ERR_MAX];

	c->sent = 0;
	buf_reset(&c->in);
	if (c->tries == 0)
		c->start_us = compat_monotonic_us();
	if (c->fd >= 0) {
		send_request(c);
		return;
	}
	c->fd = net_connect(c->t->url.host, c->t->url.port, err, sizeof(err));
	if (c->fd < 0) {
		finished(c, 0);
		return;
	}
	c->connecting = 1;
	loop_watch(G.loop, c->fd, LOOP_WRITE, on_io, c);
}

/* A whole response in c->in: 1 done (ok set), 0 more to read. */
static int
response(struct client *c, int eof, int *ok)
{
	struct http_msg m;
	char err[ERR_MAX];
	size_t head = http_msg_head_end(c->in.data, c->in.len);

	if (head == 0)
		return eof ? (*ok = 0, 1) : 0;
	if (http_msg_parse(&m, c->in.data, head, HTTP_MSG_RESPONSE, err, sizeof(err)) != 0) {
		*ok = 0;
		return 1;
	}
	if (m.body == HTTP_MSG_BODY_LENGTH && c->in.len - head < m.length)
		return eof ? (*ok = 0, 1) : 0;
	if (m.body == HTTP_MSG_BODY_CLOSE && !eof)
		return 0;
	if (m.body == HTTP_MSG_BODY_CHUNKED) {
		*ok = 0;    /* the servers measured answer with a length */
		return 1;
	}
	*ok = m.status < 500;
	if (*ok)
		note_body(c->in.data + head, c->in.len - head);
	if (!m.keep_alive)
		close_fd(c);
	return 1;
}

static void
on_io(struct loop *loop, int fd, int events, void *arg)
{
	struct client *c = arg;
	char chunk[LB_CHUNK_BYTES];
	char err[ERR_MAX];
	ssize_t n;
	int ok;

	(void)loop;
	(void)events;
	if (c->connecting) {
		c->connecting = 0;
		if (net_connect_result(fd, err, sizeof(err)) < 0) {
			finished(c, 0);
			return;
		}
		send_request(c);
		return;
	}
	if (c->sent < c->t->request_len) {
		send_request(c);
		return;
	}
	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0 || buf_append(&c->in, chunk, n > 0 ? (size_t)n : 0) < 0) {
		finished(c, 0);
		return;
	}
	if (response(c, n == 0, &ok))
		finished(c, ok);
}

static int
cmp_lat(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
run_load(void)
{
	struct client *cs = xcalloc((size_t)G.concurrency, sizeof(*cs));
	int64_t t0 = compat_monotonic_us(), elapsed;

	G.lat = xcalloc(LATENCIES_MAX, sizeof(*G.lat));
	G.end_ms = loop_now(G.loop) + G.duration_ms;
	for (long long i = 0; i < G.concurrency && more_to_start(); i++) {
		cs[i].t = &G.targets[(size_t)i % G.ntargets];
		cs[i].fd = -1;
		buf_init(&cs[i].in, RESPONSE_MAX);
		G.started++;
		start(&cs[i]);
	}
	if (G.started > 0)
		loop_run(G.loop);
	elapsed = compat_monotonic_us() - t0;
	qsort(G.lat, G.nlat, sizeof(*G.lat), cmp_lat);
	printf("requests %lld\nfailed %lld\nretried %lld\n", G.done, G.failed, G.retried);
	printf("rps %.0f\n", elapsed > 0 ? (double)G.done * 1e6 / (double)elapsed : 0.0);
	printf("p50_us %lld\np99_us %lld\n",
	    (long long)(G.nlat ? G.lat[G.nlat * P50 / PERCENT] : 0),
	    (long long)(G.nlat ? G.lat[G.nlat * P99 / PERCENT] : 0));
	for (size_t i = 0; i < G.nbodies; i++)
		printf("body %lld %s\n", G.body_count[i], G.bodies[i]);
	for (long long i = 0; i < G.concurrency; i++) {
		close_fd(&cs[i]);
		buf_free(&cs[i].in);
	}
	free(cs);
	free(G.lat);
	return G.failed > 0;
}

/* ---- --hold ---------------------------------------------------------------------- */

static void
on_slow(struct loop *loop, void *arg)
{
	static const char head[] = "GET / HTTP/1.1\r\nX-Slow: ";
	struct client *cs = arg;

	for (long long i = 0; i < G.hold; i++) {
		struct client *c = &cs[i];
		char byte = c->slow_sent < sizeof(head) - 1 ? head[c->slow_sent] : 'a';

		if (c->fd >= 0 && !c->connecting && compat_send(c->fd, &byte, 1) == 1)
			c->slow_sent++;
	}
	loop_timer_add(loop, SLOW_INTERVAL_MS, on_slow, cs);
}

static void
on_hold_io(struct loop *loop, int fd, int events, void *arg)
{
	struct client *c = arg;
	char chunk[LB_CHUNK_BYTES], err[ERR_MAX];

	(void)events;
	if (c->connecting) {
		c->connecting = 0;
		if (net_connect_result(fd, err, sizeof(err)) == 0)
			G.held++;
		loop_set_events(loop, fd, LOOP_READ);
		return;
	}
	if (read(fd, chunk, sizeof(chunk)) <= 0) {
		if (G.held > 0)
			G.held--;
		close_fd(c);
	}
}

static void
on_hold_report(struct loop *loop, void *arg)
{
	(void)loop;
	(void)arg;
	printf("held %lld\n", G.held);
	fflush(stdout);
}

static void
on_end(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

static int
run_hold(const char *target)
{
	struct client *cs = xcalloc((size_t)G.hold, sizeof(*cs));
	char host[ERR_MAX], err[ERR_MAX];
	int port;

	if (net_parse_hostport(target, 0, host, sizeof(host), &port, err, sizeof(err)) < 0) {
		fprintf(stderr, "lbload: %s\n", err);
		return 2;
	}
	for (long long i = 0; i < G.hold; i++) {
		cs[i].fd = net_connect(host, port, err, sizeof(err));
		if (cs[i].fd < 0)
			continue;
		cs[i].connecting = 1;
		loop_watch(G.loop, cs[i].fd, LOOP_WRITE, on_hold_io, &cs[i]);
	}
	if (G.slow)
		loop_timer_add(G.loop, SLOW_INTERVAL_MS, on_slow, cs);
	loop_timer_add(G.loop, HOLD_CONNECT_MS < G.duration_ms ? HOLD_CONNECT_MS : G.duration_ms / 2,
	    on_hold_report, NULL);
	loop_timer_add(G.loop, G.duration_ms, on_end, NULL);
	loop_run(G.loop);
	for (long long i = 0; i < G.hold; i++)
		close_fd(&cs[i]);
	free(cs);
	return 0;
}

static int
add_targets(const char *list)
{
	char err[ERR_MAX];

	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, ",");
		char *u = xstrndup(p, len);
		struct target *t;
		struct buf req;

		G.targets = xreallocarray(G.targets, G.ntargets + 1, sizeof(*G.targets));
		t = &G.targets[G.ntargets];
		if (http_client_url_parse(u, &t->url, err, sizeof(err)) < 0) {
			fprintf(stderr, "lbload: %s\n", err);
			free(u);
			return -1;
		}
		G.ntargets++;
		buf_init(&req, 0);
		http_client_build_request(&req, G.host != NULL ? G.host : t->url.host,
		    G.host != NULL ? 80 : t->url.port, "GET", t->url.target, "lbload", NULL, NULL, 0);
		if (G.keepalive) {
			/* The built request asks to close; a kept-alive client asks for nothing. */
			char *close_hdr = strstr(req.data, "Connection: close\r\n");

			memmove(close_hdr, close_hdr + strlen("Connection: close\r\n"),
			    strlen(close_hdr + strlen("Connection: close\r\n")) + 1);
			req.len = strlen(req.data);
		}
		t->request_len = req.len;
		t->request = buf_detach(&req);
		free(u);
		p += len;
		p += strspn(p, ",");
	}
	return G.ntargets > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	int first = 0, help = 0, rc;
	char err[ERR_MAX];
	struct flag flags[] = {
		{ "concurrency", FLAG_INT, &G.concurrency, "connections at once", 0 },
		{ "requests", FLAG_INT, &G.requests, "requests in all (0: for --duration)", 0 },
		{ "duration", FLAG_DURATION, &G.duration_ms, "how long to run", 0 },
		{ "retries", FLAG_INT, &G.retries, "tries again of a failed request", 0 },
		{ "keepalive", FLAG_BOOL, &G.keepalive, "keep connections between requests", 0 },
		{ "host", FLAG_STRING, &G.host, "the Host header (default the URL's)", 0 },
		{ "hold", FLAG_INT, &G.hold, "open and hold this many connections", 0 },
		{ "slow", FLAG_BOOL, &G.slow, "held connections send a head one byte a second", 0 },
	};
	size_t nflags = sizeof(flags) / sizeof(flags[0]);

	G.concurrency = 1;
	G.duration_ms = 1000;
	log_init("lbload", LOG_LEVEL_WARN);
	if (flags_parse(flags, nflags, argc, argv, NULL, &first, &help, err, sizeof(err)) < 0 ||
	    help || first != argc - 1 || G.concurrency < 1) {
		if (!help)
			fprintf(stderr, "lbload: %s\n", first != argc - 1 ? "one URL list, please" : err);
		flags_usage(flags, nflags, "lbload", "[flags] URL[,URL...] | --hold=N HOST:PORT");
		return 2;
	}
	G.loop = loop_new();
	if (G.hold > 0) {
		rc = run_hold(argv[first]);
	} else if (add_targets(argv[first]) < 0) {
		rc = 2;
	} else {
		rc = run_load();
	}
	for (size_t i = 0; i < G.ntargets; i++) {
		http_client_url_free(&G.targets[i].url);
		free(G.targets[i].request);
	}
	free(G.targets);
	loop_free(G.loop);
	flags_free(flags, nflags);
	return rc;
}
