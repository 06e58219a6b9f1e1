/* tests/test_sup_health.c: health check options (defaults, checks, round trip) and the three probes on a real loop. */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "sup/sup_health.h"
#include "http.h"
#include "loop.h"
#include "net.h"
#include "proto.h"

#define ERR_MAX 256
#define LINE_MAX_BYTES 1024
#define WAIT_MS 3000

static int http_status = 200;

struct result {
	int n;
	int healthy;
	char message[SUP_HEALTH_MESSAGE_MAX];
	struct loop *loop;
};

/* A line parsed into m (which points into line) and its health_* fields into h. */
static int
parse_line(const char *text, char line[LINE_MAX_BYTES], struct proto_msg *m, struct proto_health *h,
           char *err)
{
	snprintf(line, LINE_MAX_BYTES, "%s", text);
	proto_msg_init(m);
	if (proto_parse(line, strlen(line), m, err, ERR_MAX) == -1)
		return -2;
	return proto_health_parse(m, h, err, ERR_MAX);
}

static int
parses(const char *text, struct proto_health *h, char *err)
{
	char line[LINE_MAX_BYTES];
	struct proto_msg m;
	int rc = parse_line(text, line, &m, h, err);

	proto_msg_free(&m);
	return rc;
}

static void
options(void)
{
	struct proto_health s, t;
	struct proto_msg ms, mt;
	char err[ERR_MAX], line[LINE_MAX_BYTES], again[LINE_MAX_BYTES];
	struct buf b;

	CHECK(parses("RUN_TASK command=x", &s, err) == 0 && s.type == PROTO_HEALTH_NONE);
	CHECK(parse_line("RUN_TASK health_type=TCP", line, &ms, &s, err) == 0);
	CHECK(s.type == PROTO_HEALTH_TCP && s.delay_ms == 15000 && s.interval_ms == 10000);
	CHECK(s.timeout_ms == 20000 && s.grace_ms == 10000 && s.consecutive_failures == 3);
	CHECK_STR(s.path, "/");
	proto_msg_free(&ms);
	CHECK(parses("RUN_TASK health_type=COMMAND", &s, err) == -1);
	CHECK(strstr(err, "health_command") != NULL);
	CHECK(parses("RUN_TASK health_type=PING", &s, err) == -1);
	CHECK(parses("RUN_TASK health_type=TCP health_port=70000", &s, err) == -1);
	CHECK(parses("RUN_TASK health_type=TCP health_consecutive_failures=0", &s, err) == -1);
	CHECK(parses("RUN_TASK health_type=TCP health_interval_seconds=0", &s, err) == -1);
	CHECK(parses("RUN_TASK health_type=TCP health_delay_seconds=-1", &s, err) == -1);
	CHECK(parses("RUN_TASK health_type=HTTP health_path=nope", &s, err) == -1);
	CHECK(parse_line("RUN_TASK health_type=HTTP health_port=8080 health_path=/ok "
	    "health_delay_seconds=0.5 health_interval_seconds=2 health_timeout_seconds=1 "
	    "health_grace_period_seconds=0 health_consecutive_failures=5", line, &ms, &s, err) == 0);
	CHECK(s.port == 8080 && s.delay_ms == 500 && s.interval_ms == 2000 && s.timeout_ms == 1000);
	CHECK(s.grace_ms == 0 && s.consecutive_failures == 5);
	buf_init(&b, 0);
	proto_begin(&b, "LAUNCH");
	proto_health_compose(&b, &s);
	CHECK(parse_line(b.data, again, &mt, &t, err) == 0);
	CHECK(t.type == PROTO_HEALTH_HTTP && t.port == 8080 && t.delay_ms == 500 && t.timeout_ms == 1000);
	CHECK(t.grace_ms == 0 && t.consecutive_failures == 5 && strcmp(t.path, "/ok") == 0);
	/* Left unset, a duration is not sent: the receiver's default applies. */
	proto_health_init(&s);
	s.type = PROTO_HEALTH_TCP;
	s.port = 9;
	buf_reset(&b);
	proto_begin(&b, "LAUNCH");
	proto_health_compose(&b, &s);
	CHECK_STR(b.data, "LAUNCH health_type=TCP health_port=9");
	proto_msg_free(&mt);
	proto_msg_free(&ms);
	buf_free(&b);
}

static void
on_result(int healthy, const char *message, void *arg)
{
	struct result *r = arg;

	r->n++;
	r->healthy = healthy;
	snprintf(r->message, sizeof(r->message), "%s", message);
	loop_stop(r->loop);
}

static struct sup_health *current;

static void
on_sigchld(struct loop *loop, int signo, void *arg)
{
	pid_t pid;
	int status;

	(void)loop;
	(void)signo;
	(void)arg;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		(void)sup_health_child_exited(current, pid, status);
}

static void
on_deadline(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

static struct result
run(struct loop *loop, enum proto_health_type type, const char *command, int port, const char *path)
{
	struct proto_health s;
	struct sup_health_exec x;
	struct result r;
	char *env[] = { (char *)"PATH=/usr/bin:/bin", NULL };
	uint64_t t;

	proto_health_init(&s);
	memset(&r, 0, sizeof(r));
	s.type = type;
	s.command = command;
	s.path = path;
	s.port = 0;
	s.delay_ms = 0;
	s.grace_ms = 0;
	s.interval_ms = 10000;
	s.timeout_ms = 500;
	s.consecutive_failures = 1;
	x.sandbox = "/";
	x.env = env;
	x.prepare = NULL;
	x.arg = NULL;
	r.loop = loop;
	r.healthy = -1;
	current = sup_health_start(loop, &s, port, &x, on_result, &r);
	t = loop_timer_add(loop, WAIT_MS, on_deadline, NULL);
	loop_run(loop);
	loop_timer_cancel(loop, t);
	sup_health_free(current);
	current = NULL;
	return r;
}

static void
on_http(struct http_exchange *x, void *arg)
{
	(void)arg;
	http_reply(x, http_status, "text/plain", "", 0);
}

static void
probes(void)
{
	struct loop *loop = loop_new();
	char err[ERR_MAX];
	struct result r;
	int lfd, hfd, port, hport, closed;

	CHECK(loop_signal(loop, SIGCHLD, on_sigchld, NULL) == 0);
	r = run(loop, PROTO_HEALTH_COMMAND, "true", 0, NULL);
	CHECK(r.n == 1 && r.healthy == 1);
	r = run(loop, PROTO_HEALTH_COMMAND, "exit 3", 0, NULL);
	CHECK(r.n == 1 && r.healthy == 0);
	CHECK(strstr(r.message, "status 3") != NULL);
	r = run(loop, PROTO_HEALTH_COMMAND, "sleep 5", 0, NULL);
	CHECK(r.n == 1 && r.healthy == 0);
	CHECK(strstr(r.message, "timed out") != NULL);

	lfd = net_listen("127.0.0.1", 0, err, sizeof(err));
	port = net_local_port(lfd);
	r = run(loop, PROTO_HEALTH_TCP, NULL, port, NULL);
	CHECK(r.n == 1 && r.healthy == 1);
	close(lfd);
	closed = port;
	r = run(loop, PROTO_HEALTH_TCP, NULL, closed, NULL);
	CHECK(r.n == 1 && r.healthy == 0);
	r = run(loop, PROTO_HEALTH_TCP, NULL, 0, NULL);
	CHECK(r.n == 1 && r.healthy == 0 && strstr(r.message, "no port") != NULL);

	hfd = http_server_listen(loop, "127.0.0.1", 0, on_http, NULL, err, sizeof(err));
	hport = net_local_port(hfd);
	r = run(loop, PROTO_HEALTH_HTTP, NULL, hport, "/x");
	CHECK(r.n == 1 && r.healthy == 1 && strstr(r.message, "status 200") != NULL);
	http_status = 302;
	r = run(loop, PROTO_HEALTH_HTTP, NULL, hport, "/x");
	CHECK(r.n == 1 && r.healthy == 1);
	http_status = 503;
	r = run(loop, PROTO_HEALTH_HTTP, NULL, hport, "/x");
	CHECK(r.n == 1 && r.healthy == 0 && strstr(r.message, "503") != NULL);
	http_server_close(loop, hfd);
	r = run(loop, PROTO_HEALTH_HTTP, NULL, closed, "/x");
	CHECK(r.n == 1 && r.healthy == 0);
	loop_free(loop);
}

int
main(void)
{
	options();
	probes();
	return CHECK_DONE();
}
