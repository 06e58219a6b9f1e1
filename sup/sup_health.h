/*
 * health.h: a task's health check, as Mesos's executors run them: a
 * COMMAND (exit 0 is healthy), a TCP connect to a port, or an HTTP GET
 * whose status is 200..399. Checks start delay_seconds after the task,
 * repeat every interval_seconds, each bounded by timeout_seconds; failures
 * within grace_period_seconds of the start are ignored until a first
 * success. Everything runs on the caller's event loop and never blocks it:
 * sockets are non-blocking and a command is a child process (the caller
 * routes its exit through health_child_exited).
 *
 * The task options (RUN_TASK fields, docs/PROTOCOL.md) are parsed here so
 * the agent and the supervisor read them the same way.
 */
#ifndef HEALTH_H
#define HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct proto_msg;
struct buf;

/* Mesos's defaults (HealthCheck in mesos.proto). */
#define HEALTH_DEFAULT_DELAY_MS 15000
#define HEALTH_DEFAULT_INTERVAL_MS 10000
#define HEALTH_DEFAULT_TIMEOUT_MS 20000
#define HEALTH_DEFAULT_GRACE_MS 10000
#define HEALTH_DEFAULT_FAILURES 3
#define HEALTH_DEFAULT_HOST "127.0.0.1"
#define HEALTH_DEFAULT_PATH "/"
#define HEALTH_MESSAGE_MAX 256

enum health_type { HEALTH_NONE, HEALTH_COMMAND, HEALTH_TCP, HEALTH_HTTP };

struct health_spec {
	enum health_type type;
	char *command;            /* COMMAND: run as /bin/sh -c command in the sandbox */
	int port;                 /* TCP, HTTP: 0 = the task's first port (PORT0) */
	char *path;               /* HTTP */
	int64_t delay_ms;
	int64_t interval_ms;
	int64_t timeout_ms;
	int64_t grace_ms;
	int consecutive_failures;
};

/*
 * Read the health_* fields of a RUN_TASK or LAUNCH message into s (which
 * is reset first). No health_type means no check. 0, or -1 with err.
 */
int health_parse(const struct proto_msg *m, struct health_spec *s, char *err, size_t errlen);
/* Append the fields health_parse reads, as proto fields, to a message under construction. */
void health_format(const struct health_spec *s, struct buf *b);
void health_spec_free(struct health_spec *s);
const char *health_type_name(enum health_type t);

/* What a COMMAND check needs to run like the task. */
struct health_exec {
	const char *sandbox;
	char *const *env;
	/* Called in the check's child before exec (limits, user); returns 0 or -1. */
	int (*prepare)(void *arg);
	void *arg;
};

/* Told after every check: healthy or not, and why. */
typedef void (*health_result_fn)(int healthy, const char *message, void *arg);

struct health;

/* Start checking (the task has just started). NULL if s->type is HEALTH_NONE. */
struct health *health_start(struct loop *loop, const struct health_spec *s, int default_port,
                            const struct health_exec *x, health_result_fn fn, void *arg);
/* 1 if pid was a check's process (now reaped by the caller with status). */
int health_child_exited(struct health *h, pid_t pid, int status);
/* Stop checking: a running check is abandoned (its process killed). */
void health_free(struct health *h);

#endif
