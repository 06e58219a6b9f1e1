/*
 * sup_health.c: owns running a task's health checks in its supervisor:
 * their schedule (delay, interval, grace period) and the three kinds of
 * probe, each bounded by its timeout and none blocking the loop: a child
 * process for COMMAND, a non-blocking connect for TCP, and connect + GET +
 * status line for HTTP. What a check is (the health_* fields) is proto.h's.
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

#define HTTP_STATUS_OK_MIN 200
#define HTTP_STATUS_OK_MAX 399
#define STATUS_LINE_MAX 1024          /* bytes of the HTTP reply looked at */
#define SHELL "/bin/sh"
#define EXEC_FAILED_STATUS 127

/* ---- running checks --------------------------------------------------- */

struct sup_health {
	struct loop *loop;
	struct proto_health spec;    /* its command and path are the two below */
	char *command;
	char *path;
	int port;
	struct sup_health_exec exec;
	sup_health_result_fn fn;
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

static void schedule(struct sup_health *h, int64_t after_ms);

static void
end_probe(struct sup_health *h)
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
		h->pid = 0;   /* the caller still reaps it; sup_health_child_exited ignores it then */
	}
}

static void
result(struct sup_health *h, int healthy, const char *message)
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
	struct sup_health *h = arg;
	char msg[SUP_HEALTH_MESSAGE_MAX];

	(void)loop;
	h->timeout_timer = 0;
	snprintf(msg, sizeof(msg), "%s health check timed out after %lld ms",
	    proto_health_type_name(h->spec.type), (long long)h->spec.timeout_ms);
	result(h, 0, msg);
}

static void
start_command(struct sup_health *h)
{
	char *const argv[] = { (char *)"sh", (char *)"-c", h->command, NULL };
	char msg[SUP_HEALTH_MESSAGE_MAX];
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
http_step(struct sup_health *h)
{
	char msg[SUP_HEALTH_MESSAGE_MAX];

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
	struct sup_health *h = arg;
	char err[SUP_HEALTH_MESSAGE_MAX / 2], msg[SUP_HEALTH_MESSAGE_MAX];
	struct buf req;

	(void)loop;
	(void)events;
	if (h->spec.type == PROTO_HEALTH_HTTP && h->sent) {
		http_step(h);
		return;
	}
	if (net_connect_result(fd, err, sizeof(err)) == -1) {
		snprintf(msg, sizeof(msg), "%s health check: %s", proto_health_type_name(h->spec.type), err);
		result(h, 0, msg);
		return;
	}
	if (h->spec.type == PROTO_HEALTH_TCP) {
		snprintf(msg, sizeof(msg), "TCP connect to port %d succeeded", h->port);
		result(h, 1, msg);
		return;
	}
	/* A request this small always fits a fresh socket's buffer: one write. */
	buf_init(&req, 0);
	buf_printf(&req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: mesos-health/1\r\n"
	    "Connection: close\r\n\r\n", h->spec.path, SUP_HEALTH_HOST, h->port);
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
start_socket(struct sup_health *h)
{
	char err[SUP_HEALTH_MESSAGE_MAX / 2], msg[SUP_HEALTH_MESSAGE_MAX];

	if (h->port <= 0) {
		snprintf(msg, sizeof(msg), "%s health check: no port (give health_port or the task a port)",
		    proto_health_type_name(h->spec.type));
		result(h, 0, msg);
		return;
	}
	h->fd = net_connect(SUP_HEALTH_HOST, h->port, err, sizeof(err));
	if (h->fd == -1) {
		snprintf(msg, sizeof(msg), "%s health check: %s", proto_health_type_name(h->spec.type), err);
		result(h, 0, msg);
		return;
	}
	h->sent = 0;
	loop_watch(h->loop, h->fd, LOOP_WRITE, on_socket, h);
}

static void
on_check(struct loop *loop, void *arg)
{
	struct sup_health *h = arg;

	(void)loop;
	h->next_timer = 0;
	h->timeout_timer = loop_timer_add(h->loop, h->spec.timeout_ms, on_timeout, h);
	if (h->spec.type == PROTO_HEALTH_COMMAND)
		start_command(h);
	else
		start_socket(h);
}

static void
schedule(struct sup_health *h, int64_t after_ms)
{
	loop_timer_cancel(h->loop, h->next_timer);
	h->next_timer = loop_timer_add(h->loop, after_ms, on_check, h);
}

struct sup_health *
sup_health_start(struct loop *loop, const struct proto_health *s, int default_port,
                 const struct sup_health_exec *x, sup_health_result_fn fn, void *arg)
{
	struct sup_health *h;

	if (s->type == PROTO_HEALTH_NONE)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->loop = loop;
	h->spec = *s;
	h->spec.command = h->command = s->command ? xstrdup(s->command) : NULL;
	h->spec.path = h->path = s->path ? xstrdup(s->path) : NULL;
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
sup_health_child_exited(struct sup_health *h, pid_t pid, int status)
{
	char msg[SUP_HEALTH_MESSAGE_MAX];

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
sup_health_free(struct sup_health *h)
{
	if (h == NULL)
		return;
	end_probe(h);
	loop_timer_cancel(h->loop, h->next_timer);
	free(h->command);
	free(h->path);
	free(h);
}
