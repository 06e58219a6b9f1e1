/*
 * ctl.h: the contract between mesosctl's files, one file per group of
 * subcommands and one table entry per command (name, usage, function):
 *   mesosctl.c   main, the command table, help and version
 *   ctl.c        what the commands share: argument splitting, messages,
 *                error lines
 *   ctl_state.c  state, agents, frameworks, tasks, get (HTTP)
 *   ctl_run.c    run, a one-shot framework
 *   ctl_cli.c    kill, cat, ls, tail (the cli part of the protocol)
 *   ctl_roles.c  roles, quota, weights (the allocator, over HTTP)
 *   ctl_teardown.c teardown of a framework; auth-proof, the handshake's
 *                proof for frameworks written in sh
 *   ctl_app.c    app, deployments (the Marathon plugin's REST API)
 *   ctl_job.c    job (the jobs plugin's REST API, Metronome's)
 *   ctl_rest.c   what app and job share: a plugin's REST API from here
 *   ctl_lb.c     lb (mesos-lb's /_lb/stats)
 */
#ifndef CTL_H
#define CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "proto.h"

struct buf;
struct conn;
struct flag;
struct json;

#define CTL_HOST_MAX     256                     /* bytes of a master host name */
#define CTL_ADDR_MAX     (CTL_HOST_MAX + 16)     /* "[host]:port" */
#define CTL_ERR_MAX      512
#define CTL_OUT_MAX      (4u * PROTO_LINE_MAX)   /* unsent bytes to the master */
/* A message under construction; proto_end enforces the real line limit. */
#define CTL_MSG_MAX      (2u * PROTO_LINE_MAX)

#define CTL_EXIT_USAGE       2
#define CTL_EXIT_INTERRUPTED 130                 /* 128 + SIGINT, as shells report it */

struct ctl_cmd;

/* The global flags, and the command being run. */
struct ctl {
	char host[CTL_HOST_MAX];
	int port;
	char addr[CTL_ADDR_MAX];     /* "host:port" for messages */
	int json;
	int64_t timeout_ms;
	const struct ctl_cmd *cmd;
	struct proto_auth_client *auth;   /* --principal/--secret (or MESOS_PRINCIPAL/_SECRET) */
};

struct ctl_cmd {
	const char *name;
	const char *args;            /* usage after the name */
	const char *summary;
	int (*fn)(struct ctl *ctl, int argc, char **argv);   /* argv[0] is the name; returns the exit code */
	int needs_master;
};

/* A subcommand's arguments, split into flags and positional arguments. */
struct ctl_args {
	int fargc;
	char **fargv;      /* argv[0] and the flags, for flags_parse */
	int npos;
	char **pos;
	char **env;        /* values of --env (run) */
	size_t nenv;
	char **uri;        /* values of --uri (run) */
	size_t nuri;
};

/* Commands. */
int ctl_state_summary(struct ctl *ctl, int argc, char **argv);
int ctl_state_agents(struct ctl *ctl, int argc, char **argv);
int ctl_state_frameworks(struct ctl *ctl, int argc, char **argv);
int ctl_state_tasks(struct ctl *ctl, int argc, char **argv);
int ctl_state_get(struct ctl *ctl, int argc, char **argv);
int ctl_run(struct ctl *ctl, int argc, char **argv);
int ctl_cli_kill(struct ctl *ctl, int argc, char **argv);
int ctl_cli_cat(struct ctl *ctl, int argc, char **argv);
int ctl_cli_ls(struct ctl *ctl, int argc, char **argv);
int ctl_cli_tail(struct ctl *ctl, int argc, char **argv);
int ctl_roles_list(struct ctl *ctl, int argc, char **argv);
/* mesosctl teardown FRAMEWORK_ID: kill the framework's tasks and remove it. */
int ctl_teardown(struct ctl *ctl, int argc, char **argv);
int ctl_auth_proof(struct ctl *ctl, int argc, char **argv);
int ctl_roles_quota(struct ctl *ctl, int argc, char **argv);
int ctl_roles_weights(struct ctl *ctl, int argc, char **argv);
/* mesosctl app SUBCOMMAND and mesosctl deployments, against Marathon's REST API. */
int ctl_app(struct ctl *ctl, int argc, char **argv);
int ctl_app_deployments(struct ctl *ctl, int argc, char **argv);
/* mesosctl job SUBCOMMAND, against the jobs plugin's REST API (Metronome's). */
int ctl_job(struct ctl *ctl, int argc, char **argv);

/* A framework plugin's REST API (ctl_rest.c). */
struct ctl_rest {
	char host[CTL_HOST_MAX];
	int port;
	char addr[CTL_ADDR_MAX];
	int64_t timeout_ms;          /* of one request */
	const char *what;            /* "Marathon", "the jobs plugin": for messages */
};

/* Where the API is: flag, else $env, else dflt (port dflt_port when none given); -1 said. */
int ctl_rest_init(struct ctl_rest *api, const struct ctl *ctl, const char *flag, const char *env,
                  const char *dflt, int dflt_port, const char *what);
/* One request (json may be NULL); the HTTP status, or -1 after saying why. */
int ctl_rest_request(const struct ctl_rest *api, const char *method, const char *path,
                     const struct buf *json, struct buf *body);
struct json *ctl_rest_parse(const struct buf *body, char *err, size_t errlen);
/* The status and the body's message, then each detail (422 {"path", "errors"}), a line each. */
void ctl_rest_say_error(const char *what, int status, const struct buf *body);
/* GET path into raw and *out (parsed); -1 after saying why. */
int ctl_rest_get(const struct ctl_rest *api, const char *path, struct json **out,
                 struct buf *raw);
/* FILE ("-": stdin) into b, capped at what the API takes; -1 after saying why. */
int ctl_rest_read_file(const struct ctl_rest *api, const char *file, struct buf *b);
void ctl_rest_print_raw(const struct buf *raw);
/* A table cell: "-" when empty, control bytes as '?', padded to width (0: none). */
void ctl_rest_cell(const char *s, int width);
void ctl_rest_sleep_ms(long ms);
int64_t ctl_rest_now_ms(void);
/* mesosctl lb: mesos-lb's services and backends with their counters. */
int ctl_lb(struct ctl *ctl, int argc, char **argv);

/* "mesosctl: text" on stderr (stdout flushed first so the two interleave right). */
void ctl_say(const char *fmt, ...) LOG_PRINTF(1, 2);
/* "cannot reach master at H:P: reason", from a "connect to H:P: reason" error. */
void ctl_say_unreachable(const struct ctl *ctl, const char *err);
/* 1 if a conn's close reason says the connection was never made. */
int ctl_is_connect_error(const char *reason);
/* Print peer text with control bytes replaced, so it cannot drive the terminal. */
void ctl_print_clean(FILE *f, const char *s);

/*
 * Split and parse a subcommand's arguments: flags may come before or
 * after the positional ones; with repeat, --env and --uri may repeat.
 * Returns -1 to go on, or the exit code when there is nothing more to
 * do (help printed, or a usage error said). a is always to be freed.
 */
int ctl_parse_args(struct ctl_args *a, const struct ctl *ctl, struct flag *flags, size_t nflags,
                   int repeat, int argc, char **argv, int min_pos, int max_pos);
void ctl_args_free(struct ctl_args *a);

/* Finish b (proto_begin'd) as one line, queue it on c and free b; -1 on failure. */
int ctl_send_msg(struct conn *c, struct buf *b);
int ctl_send_hello(const struct ctl *ctl, struct conn *c, enum proto_kind kind);
/* Answer the master's CHALLENGE; -1 after saying why (no credential set, a bad nonce). */
int ctl_answer_challenge(const struct ctl *ctl, struct conn *c, const struct proto_msg *m);
/* A WELCOME: -1 after saying why when the master did not prove it knows our secret. */
int ctl_check_welcome(const struct ctl *ctl, const struct proto_msg *m);
void ctl_send_pong(struct conn *c, const struct proto_msg *m);

#endif
