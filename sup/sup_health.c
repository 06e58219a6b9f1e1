/*
 * health.c: owns health checks: their options (parsed the same way by the
 * agent and the supervisor), their schedule (delay, interval, grace
 * period) and the three kinds of probe, each bounded by its timeout and
 * none blocking the loop: a child process for COMMAND, a non-blocking
 * connect for TCP, and connect + GET + status line for HTTP.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "sup_health.h"
#include "loop.h"
#include "net.h"
#include "proto.h"
#include "xmem.h"

#define MS_PER_SECOND 1000.0
#define HTTP_STATUS_OK_MIN 200
#define HTTP_STATUS_OK_MAX 399
#define STATUS_LINE_MAX 1024          /* bytes of the HTTP reply looked at */
#define PORT_MAX 65535
#define FAILURES_MAX 1000000
#define SECONDS_MAX 31536000.0        /* a year: longer intervals are a mistake */
#define SHELL "/bin/sh"
#define EXEC_FAILED_STATUS 127

int
health_parse(const struct proto_msg *m, struct health_spec *s, char *err, size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
		int64_t dflt;
	} secs[] = {
		{ "health_delay_seconds", offsetof(struct health_spec, delay_ms), HEALTH_DEFAULT_DELAY_MS },
		{ "health_interval_seconds", offsetof(struct health_spec, interval_ms),
		  HEALTH_DEFAULT_INTERVAL_MS },
		{ "health_timeout_seconds", offsetof(struct health_spec, timeout_ms),
		  HEALTH_DEFAULT_TIMEOUT_MS },
		{ "health_grace_period_seconds", offsetof(struct health_spec, grace_ms),
		  HEALTH_DEFAULT_GRACE_MS },
	};
	const char *type = proto_get(m, "health_type");
	const char *path = proto_get(m, "health_path");
	const char *command = proto_get(m, "health_command");
	long long port, failures;

	memset(s, 0, sizeof(*s));
	if (type == NULL || type[0] == '\0')
		return 0;
	if (strcmp(type, "COMMAND") == 0)
		s->type = HEALTH_COMMAND;
	else if (strcmp(type, "TCP") == 0)
		s->type = HEALTH_TCP;
	else if (strcmp(type, "HTTP") == 0)
		s->type = HEALTH_HTTP;
	else {
		snprintf(err, errlen, "unknown health_type '%.32s' (expected COMMAND, TCP or HTTP)", type);
		return -1;
	}
	if (s->type == HEALTH_COMMAND && (command == NULL || command[0] == '\0')) {
		snprintf(err, errlen, "a COMMAND health check needs health_command");
		return -1;
	}
	if (proto_get_int(m, "health_port", 0, &port, err, errlen) == -1)
		return -1;
	if (port < 0 || port > PORT_MAX) {
		snprintf(err, errlen, "health_port must be 0..%d", PORT_MAX);
		return -1;
	}
	s->port = (int)port;
	if (proto_get_int(m, "health_consecutive_failures", HEALTH_DEFAULT_FAILURES, &failures, err,
	        errlen) == -1)
		return -1;
	if (failures < 1 || failures > FAILURES_MAX) {
		snprintf(err, errlen, "health_consecutive_failures must be 1..%d", FAILURES_MAX);
		return -1;
	}
	s->consecutive_failures = (int)failures;
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		double v;
		if (proto_get_double(m, secs[i].key, (double)secs[i].dflt / MS_PER_SECOND, &v, err,
		        errlen) == -1)
			return -1;
		if (!(v >= 0 && v <= SECONDS_MAX)) {
			snprintf(err, errlen, "%s must be 0..%.0f", secs[i].key, SECONDS_MAX);
			return -1;
		}
		*(int64_t *)(void *)((char *)s + secs[i].off) = (int64_t)(v * MS_PER_SECOND);
	}
	if (s->interval_ms == 0 || s->timeout_ms == 0) {
		snprintf(err, errlen, "health_interval_seconds and health_timeout_seconds must be above 0");
		return -1;
	}
	s->command = command != NULL ? xstrdup(command) : NULL;
	s->path = xstrdup(path != NULL && path[0] != '\0' ? path : HEALTH_DEFAULT_PATH);
	if (s->path[0] != '/' || strpbrk(s->path, " \r\n") != NULL) {
		snprintf(err, errlen, "health_path must start with '/' and hold no spaces or line breaks");
		health_spec_free(s);
		return -1;
	}
	return 0;
}

void
health_format(const struct health_spec *s, struct buf *b)
{
	if (s->type == HEALTH_NONE)
		return;
	proto_add(b, "health_type", health_type_name(s->type));
	if (s->command != NULL)
		proto_add(b, "health_command", s->command);
	if (s->port > 0)
		proto_add_int(b, "health_port", s->port);
	if (s->path != NULL)
		proto_add(b, "health_path", s->path);
	proto_addf(b, "health_delay_seconds", "%.3f", (double)s->delay_ms / MS_PER_SECOND);
	proto_addf(b, "health_interval_seconds", "%.3f", (double)s->interval_ms / MS_PER_SECOND);
	proto_addf(b, "health_timeout_seconds", "%.3f", (double)s->timeout_ms / MS_PER_SECOND);
	proto_addf(b, "health_grace_period_seconds", "%.3f", (double)s->grace_ms / MS_PER_SECOND);
	proto_add_int(b, "health_consecutive_failures", s->consecutive_failures);
}

void
health_spec_free(struct health_spec *s)
{
	free(s->command);
	free(s->path);
	s->command = s->path = NULL;
}

const char *
health_type_name(enum health_type t)
{
	switch (t) {
	case HEALTH_COMMAND:
		return "COMMAND";
	case HEALTH_TCP:
		return "TCP";
	case HEALTH_HTTP:
		return "HTTP";
	case HEALTH_NONE:
		break;
	}
	return "NONE";
}

/* ---- running checks --------------------------------------------------- */

struct health {
	struct loop *loop;
	struct health_spec spec;
	int port;
	struct health_exec exec;
	health_result_fn fn;
	void *arg;
	int64_t started;          /* loop time the task started */
	int ever_healthy;
	uint64_t next_timer;      /* the next check */
	uint64_t timeout_timer;   /* the check in flight */
	pid_t pid;                /* COMMAND in flight */
	int fd;                   /* TCP/HTTP in flight, -1 when none */
	int sent;                 /* HTTP: the request is out */
	char reply[STATUS_LINE_MAX];
	size_t reply_len;
};

static void schedule(struct health *h, int64_t after_ms);

static void
end_probe(struct health *h)
{
	loop_timer_cancel(h->loop, h->timeout_timer);
	h->timeout_timer = 0;
	if (h->fd != -1) {
		loop_unwatch(h->loop, h->fd);
		close(h->fd);
		h->fd = -1;
	}
	if (h->pid > 0) {
		(void)kill(-h->pid, SIGKILL);
		h->pid = 0;   /* the caller still reaps it; health_child_exited ignores it then */
	}
}

static void
result(struct health *h, int healthy, const char *message)
{
	int in_grace = !h->ever_healthy && loop_now(h->loop) - h->started < h->spec.grace_ms;

	end_probe(h);
	schedule(h, h->spec.interval_ms);
	if (healthy)
		h->ever_healthy = 1;
	else if (in_grace)
		return;   /* Mesos: failures in the grace period do not count until a first success */
	h->fn(healthy, message, h->arg);
}

static void
on_timeout(struct loop *loop, void *arg)
{
	struct health *h = arg;
	char msg[HEALTH_MESSAGE_MAX];

	(void)loop;
	h->timeout_timer = 0;
	snprintf(msg, sizeof(msg), "%s health check timed out after %lld ms",
	    health_type_name(h->spec.type), (long long)h->spec.timeout_ms);
	result(h, 0, msg);
}

static void
start_command(struct health *h)
{
	char *const argv[] = { (char *)"sh", (char *)"-c", h->spec.command, NULL };
	char msg[HEALTH_MESSAGE_MAX];
	pid_t pid = fork();

	if (pid == -1) {
		snprintf(msg, sizeof(msg), "cannot start the health check: fork: %s", strerror(errno));
		result(h, 0, msg);
		return;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		struct sigaction sa;
		sigset_t none;

		setsid();
		if (null != -1) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGPIPE, &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (chdir(h->exec.sandbox) == -1 ||
		    (h->exec.prepare != NULL && h->exec.prepare(h->exec.arg) == -1))
			_exit(EXEC_FAILED_STATUS);
		compat_closefrom(STDERR_FILENO + 1);
		execve(SHELL, argv, h->exec.env);
		_exit(EXEC_FAILED_STATUS);
	}
	h->pid = pid;
}

static void
http_step(struct health *h)
{
	char msg[HEALTH_MESSAGE_MAX];

	for (;;) {
		ssize_t n = read(h->fd, h->reply + h->reply_len, sizeof(h->reply) - 1 - h->reply_len);
		char *eol;
		int status;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n > 0)
			h->reply_len += (size_t)n;
		h->reply[h->reply_len] = '\0';
		eol = strchr(h->reply, '\n');
		if (eol == NULL && n > 0 && h->reply_len < sizeof(h->reply) - 1)
			continue;
		if (eol == NULL || sscanf(h->reply, "HTTP/%*d.%*d %d", &status) != 1) {
			snprintf(msg, sizeof(msg), "HTTP health check on port %d: %s", h->port,
			    n < 0 ? strerror(errno) : "no status line in the reply");
			result(h, 0, msg);
			return;
		}
		snprintf(msg, sizeof(msg), "HTTP GET %s on port %d: status %d", h->spec.path, h->port,
		    status);
		result(h, status >= HTTP_STATUS_OK_MIN && status <= HTTP_STATUS_OK_MAX, msg);
		return;
	}
}

static void
on_socket(struct loop *loop, int fd, int events, void *arg)
{
	struct health *h = arg;
	char err[HEALTH_MESSAGE_MAX / 2], msg[HEALTH_MESSAGE_MAX];
	struct buf req;

	(void)loop;
	(void)events;
	if (h->spec.type == HEALTH_HTTP && h->sent) {
		http_step(h);
		return;
	}
	if (net_connect_result(fd, err, sizeof(err)) == -1) {
		snprintf(msg, sizeof(msg), "%s health check: %s", health_type_name(h->spec.type), err);
		result(h, 0, msg);
		return;
	}
	if (h->spec.type == HEALTH_TCP) {
		snprintf(msg, sizeof(msg), "TCP connect to port %d succeeded", h->port);
		result(h, 1, msg);
		return;
	}
	/* A request this small always fits a fresh socket's buffer: one write. */
	buf_init(&req, 0);
	buf_printf(&req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: mesos-health/1\r\n"
	    "Connection: close\r\n\r\n", h->spec.path, HEALTH_DEFAULT_HOST, h->port);
	if (compat_send(fd, req.data, req.len) != (ssize_t)req.len) {
		snprintf(msg, sizeof(msg), "HTTP health check on port %d: cannot send the request",
		    h->port);
		buf_free(&req);
		result(h, 0, msg);
		return;
	}
	buf_free(&req);
	h->sent = 1;
	h->reply_len = 0;
	loop_set_events(h->loop, fd, LOOP_READ);
}

static void
start_socket(struct health *h)
{
	char err[HEALTH_MESSAGE_MAX / 2], msg[HEALTH_MESSAGE_MAX];

	if (h->port <= 0) {
		snprintf(msg, sizeof(msg), "%s health check: no port (give health_port or the task a port)",
		    health_type_name(h->spec.type));
		result(h, 0, msg);
		return;
	}
	h->fd = net_connect(HEALTH_DEFAULT_HOST, h->port, err, sizeof(err));
	if (h->fd == -1) {
		snprintf(msg, sizeof(msg), "%s health check: %s", health_type_name(h->spec.type), err);
		result(h, 0, msg);
		return;
	}
	h->sent = 0;
	loop_watch(h->loop, h->fd, LOOP_WRITE, on_socket, h);
}

static void
on_check(struct loop *loop, void *arg)
{
	struct health *h = arg;

	(void)loop;
	h->next_timer = 0;
	h->timeout_timer = loop_timer_add(h->loop, h->spec.timeout_ms, on_timeout, h);
	if (h->spec.type == HEALTH_COMMAND)
		start_command(h);
	else
		start_socket(h);
}

static void
schedule(struct health *h, int64_t after_ms)
{
	loop_timer_cancel(h->loop, h->next_timer);
	h->next_timer = loop_timer_add(h->loop, after_ms, on_check, h);
}

struct health *
health_start(struct loop *loop, const struct health_spec *s, int default_port,
             const struct health_exec *x, health_result_fn fn, void *arg)
{
	struct health *h;

	if (s->type == HEALTH_NONE)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->loop = loop;
	h->spec = *s;
	h->spec.command = s->command ? xstrdup(s->command) : NULL;
	h->spec.path = s->path ? xstrdup(s->path) : NULL;
	h->port = s->port > 0 ? s->port : default_port;
	h->exec = *x;
	h->fn = fn;
	h->arg = arg;
	h->fd = -1;
	h->started = loop_now(loop);
	schedule(h, s->delay_ms);
	return h;
}

int
health_child_exited(struct health *h, pid_t pid, int status)
{
	char msg[HEALTH_MESSAGE_MAX];

	if (h == NULL || h->pid <= 0 || pid != h->pid)
		return 0;
	h->pid = 0;
	(void)kill(-pid, SIGKILL);   /* anything the check left behind */
	if (WIFEXITED(status))
		snprintf(msg, sizeof(msg), "health command exited with status %d", WEXITSTATUS(status));
	else
		snprintf(msg, sizeof(msg), "health command killed by signal %d",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	result(h, WIFEXITED(status) && WEXITSTATUS(status) == 0, msg);
	return 1;
}

void
health_free(struct health *h)
{
	if (h == NULL)
		return;
	end_probe(h);
	loop_timer_cancel(h->loop, h->next_timer);
	health_spec_free(&h->spec);
	free(h);
}
