/*
 * sup_health.h: a task's health check run by its supervisor, as Mesos's
 * executors run them: a COMMAND (exit 0 is healthy), a TCP connect to a
 * port, or an HTTP GET whose status is 200..399. Checks start delay_ms
 * after the task, repeat every interval_ms, each bounded by timeout_ms;
 * failures within grace_ms of the start are ignored until a first success.
 * Everything runs on the caller's event loop and never blocks it: sockets
 * are non-blocking and a command is a child process (the caller routes its
 * exit through sup_health_child_exited). What a check is, and how the agent and
 * the supervisor read it, is proto.h's (struct proto_health).
 */
#ifndef SUP_HEALTH_H
#define SUP_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct proto_health;

#define SUP_HEALTH_HOST "127.0.0.1"      /* TCP and HTTP checks reach the task here */
#define SUP_HEALTH_MESSAGE_MAX 256

/* What a COMMAND check needs to run like the task. */
struct sup_health_exec {
	const char *sandbox;
	char *const *env;
	/* Called in the check's child before exec (limits, user); returns 0 or -1. */
	int (*prepare)(void *arg);
	void *arg;
};

/* Told after every check: healthy or not, and why. */
typedef void (*sup_health_result_fn)(int healthy, const char *message, void *arg);

struct sup_health;

/* Start checking (the task has just started). NULL if s->type is PROTO_HEALTH_NONE. */
struct sup_health *sup_health_start(struct loop *loop, const struct proto_health *s,
                                    int default_port, const struct sup_health_exec *x,
                                    sup_health_result_fn fn, void *arg);
/* 1 if pid was a check's process (now reaped by the caller with status). */
int sup_health_child_exited(struct sup_health *h, pid_t pid, int status);
/* Stop checking: a running check is abandoned (its process killed). */
void sup_health_free(struct sup_health *h);

#endif
