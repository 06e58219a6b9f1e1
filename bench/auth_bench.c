/*
 * bench/auth_bench.c: what authentication costs a connection. Opens
 * CONNECTIONS protocol connections to a master, WINDOW at a time, each as
 * a cli peer that completes the handshake (to WELCOME, with the
 * challenge-response when a credential is given) and closes, and prints
 * how many handshakes a second the master completed.
 *
 *   auth_bench HOST:PORT CONNECTIONS NAME [PRINCIPAL SECRET]
 *
 * Prints "NAME N handshakes/s"; exits 1, printing nothing, when any
 * handshake was refused or cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "proto.h"
#include "xmem.h"

#define CONNECT_TIMEOUT_MS 10000
#define OUT_MAX (64u * 1024)
#define WINDOW 16                 /* handshakes in flight: enough to keep the master busy */
#define DEADLINE_MS 120000        /* the whole run */
#define ERR_BYTES 256
#define MS_PER_S 1000.0

struct bench {
	struct loop *loop;
	char host[256];
	int port;
	int want, started, done, failed, inflight;
	const char *principal, *secret;
};

struct peer {
	struct bench *b;
	struct proto_auth_client auth;
	int welcomed;
};

static void start_more(struct bench *b);

static void
send_line(struct conn *c, struct buf *b)
{
	if (proto_end(b) == 0)
		conn_send(c, b->data, b->len);
}

static void
on_connect(struct conn *c, void *arg)
{
	struct peer *p = arg;
	struct buf b;

	buf_init(&b, PROTO_LINE_MAX + 2);
	proto_auth_client_hello(&p->auth, &b);
	send_line(c, &b);
	buf_free(&b);
}

static void
on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct peer *p = arg;
	struct proto_msg m;
	char err[ERR_BYTES];
	struct buf out;

	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) < 0) {
		conn_close(c, err);
	} else if (strcmp(m.verb, "CHALLENGE") == 0) {
		buf_init(&out, PROTO_LINE_MAX + 2);
		if (proto_auth_client_challenge(&p->auth, &m, &out, err, sizeof(err)) == 0)
			send_line(c, &out);
		else
			conn_close(c, err);
		buf_free(&out);
	} else if (strcmp(m.verb, "WELCOME") == 0) {
		if (proto_auth_client_welcome(&p->auth, &m, err, sizeof(err)) == 0)
			p->welcomed = 1;
		conn_close(c, p->welcomed ? "done" : err);
	} else {
		conn_close(c, "unexpected line");
	}
	proto_msg_free(&m);
}

static void
on_close(struct conn *c, const char *reason, void *arg)
{
	struct peer *p = arg;
	struct bench *b = p->b;

	(void)c;
	if (p->welcomed) {
		b->done++;
	} else {
		if (b->failed++ == 0)
			fprintf(stderr, "auth_bench: a handshake failed: %s\n", reason);
	}
	b->inflight--;
	free(p);
	if (b->done + b->failed == b->want)
		loop_stop(b->loop);
	else
		start_more(b);
}

static const struct conn_ops peer_ops = {
	.on_line = on_line,
	.on_connect = on_connect,
	.on_close = on_close,
};

static void
start_more(struct bench *b)
{
	char err[ERR_BYTES];

	while (b->inflight < WINDOW && b->started < b->want) {
		struct peer *p = xcalloc(1, sizeof(*p));
		p->b = b;
		proto_auth_client_init(&p->auth, PROTO_KIND_CLI, b->principal, b->secret);
		b->started++;
		b->inflight++;
		if (!conn_connect(b->loop, b->host, b->port, CONNECT_TIMEOUT_MS, &peer_ops, p,
		                  PROTO_LINE_MAX, OUT_MAX, err, sizeof(err))) {
			fprintf(stderr, "auth_bench: %s\n", err);
			b->inflight--;
			b->failed++;
			free(p);
		}
	}
}

static void
deadline(struct loop *loop, void *arg)
{
	(void)arg;
	fprintf(stderr, "auth_bench: not done within %d ms\n", DEADLINE_MS);
	loop_stop(loop);
}

int
main(int argc, char **argv)
{
	struct bench b;
	char err[ERR_BYTES];
	int64_t t0, t1;

	if (argc != 4 && argc != 6) {
		fprintf(stderr, "usage: auth_bench HOST:PORT CONNECTIONS NAME [PRINCIPAL SECRET]\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	log_init("auth_bench", LOG_LEVEL_WARN);
	if (net_parse_hostport(argv[1], 5050, b.host, sizeof(b.host), &b.port, err,
	                       sizeof(err)) < 0) {
		fprintf(stderr, "auth_bench: %s\n", err);
		return 2;
	}
	b.want = atoi(argv[2]);
	if (b.want <= 0) {
		fprintf(stderr, "auth_bench: CONNECTIONS must be positive\n");
		return 2;
	}
	if (argc == 6) {
		b.principal = argv[4];
		b.secret = argv[5];
	}
	b.loop = loop_new();
	loop_timer_add(b.loop, DEADLINE_MS, deadline, &b);
	t0 = compat_monotonic_ms();
	start_more(&b);
	loop_run(b.loop);
	t1 = compat_monotonic_ms();
	loop_free(b.loop);
	if (b.failed > 0 || b.done != b.want || t1 <= t0) {
		fprintf(stderr, "auth_bench: %d of %d handshakes done, %d failed\n", b.done, b.want,
		        b.failed);
		return 1;
	}
	printf("%s %.0f handshakes/s\n", argv[3], b.done * MS_PER_S / (double)(t1 - t0));
	return 0;
}
