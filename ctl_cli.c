/*
 * ctl_cli.c: kill and cat, the commands that speak the cli part of the
 * protocol: one request (KILL_TASK, or READ_FILE repeated until the end of
 * the file) on a conn of their own loop, each wait bounded by --timeout.
 */
#include "ctl.h"
#include "buf.h"
#include "conn.h"
#include "flags.h"
#include "loop.h"
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_CHUNK_BYTES 32768   /* bytes asked for in one READ_FILE */

enum cli_mode { CLI_KILL, CLI_CAT };

struct cli {
	const struct ctl *ctl;
	struct loop *loop;
	struct conn *conn;
	enum cli_mode mode;
	const char *task_id;
	const char *framework_id;
	const char *path;
	unsigned long long offset;
	int welcomed;
	int done;
	int exit_code;
	uint64_t timer;
};

static void
cli_done(struct cli *s, int code)
{
	s->exit_code = code;
	s->done = 1;
	if (s->conn != NULL)
		conn_close(s->conn, "done");
}

static void
cli_timeout(struct loop *loop, void *arg)
{
	struct cli *s = arg;

	(void)loop;
	s->timer = 0;
	ctl_say("no answer from the master at %s within %lld ms", s->ctl->addr,
	        (long long)s->ctl->timeout_ms);
	cli_done(s, EXIT_FAILURE);
}

static void
cli_arm(struct cli *s)
{
	loop_timer_cancel(s->loop, s->timer);
	s->timer = loop_timer_add(s->loop, s->ctl->timeout_ms, cli_timeout, s);
}

static void
cli_request(struct cli *s)
{
	struct buf b;

	buf_init(&b, CTL_MSG_MAX);
	proto_begin(&b, s->mode == CLI_KILL ? "KILL_TASK" : "READ_FILE");
	proto_add(&b, "task_id", s->task_id);
	if (s->framework_id != NULL)
		proto_add(&b, "framework_id", s->framework_id);
	if (s->mode == CLI_CAT) {
		proto_add(&b, "path", s->path);
		proto_addf(&b, "offset", "%llu", s->offset);
		proto_add_int(&b, "length", CAT_CHUNK_BYTES);
	}
	ctl_send_msg(s->conn, &b);
	cli_arm(s);
}

static void
cli_file_data(struct cli *s, const struct proto_msg *m)
{
	size_t i, vlen = 0;
	const char *data = NULL;
	long long eof;
	char err[CTL_ERR_MAX];

	for (i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].key, "data") == 0) {
			data = m->fields[i].val;
			vlen = m->fields[i].vlen;
			break;
		}
	if (proto_get_int(m, "eof", 0, &eof, err, sizeof(err)) == -1) {
		ctl_say("bad FILE_DATA from the master: %s", err);
		cli_done(s, EXIT_FAILURE);
		return;
	}
	if (vlen > 0 && fwrite(data, 1, vlen, stdout) != vlen) {
		cli_done(s, EXIT_FAILURE);   /* stdout is gone (a closed pipe): nothing to say it on */
		return;
	}
	s->offset += vlen;
	/* An empty chunk that is not the end would make us ask for ever. */
	if (eof || vlen == 0)
		cli_done(s, EXIT_SUCCESS);
	else
		cli_request(s);
}

static void
cli_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct cli *s = arg;
	struct proto_msg m;
	char err[CTL_ERR_MAX];
	const char *reason;

	(void)c;
	if (s->done)
		return;
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) == -1) {
		ctl_say("bad line from the master: %s", err);
		cli_done(s, EXIT_FAILURE);
	} else if ((reason = proto_get(&m, "reason")) == NULL &&
	           (strcmp(m.verb, "ERROR") == 0 || strcmp(m.verb, "FAILED") == 0 ||
	            strcmp(m.verb, "FILE_ERROR") == 0)) {
		ctl_say("%s: the master gave no reason", m.verb);
		cli_done(s, EXIT_FAILURE);
	} else if (strcmp(m.verb, "ERROR") == 0) {
		ctl_say("master: %s", reason);
		cli_done(s, EXIT_FAILURE);
	} else if (strcmp(m.verb, "FAILED") == 0 || strcmp(m.verb, "FILE_ERROR") == 0) {
		ctl_say("%s", reason);
		cli_done(s, EXIT_FAILURE);
	} else if (strcmp(m.verb, "WELCOME") == 0 && !s->welcomed) {
		s->welcomed = 1;
		cli_request(s);
	} else if (strcmp(m.verb, "OK") == 0 && s->mode == CLI_KILL) {
		printf("kill of task %s requested\n", s->task_id);
		cli_done(s, EXIT_SUCCESS);
	} else if (strcmp(m.verb, "FILE_DATA") == 0 && s->mode == CLI_CAT) {
		cli_file_data(s, &m);
	} else if (strcmp(m.verb, "PING") == 0) {
		ctl_send_pong(s->conn, &m);
	}
	proto_msg_free(&m);
}

static void
cli_on_connect(struct conn *c, void *arg)
{
	struct cli *s = arg;

	ctl_send_hello(c, "cli");
	cli_arm(s);
}

static void
cli_on_close(struct conn *c, const char *reason, void *arg)
{
	struct cli *s = arg;

	(void)c;
	s->conn = NULL;
	loop_timer_cancel(s->loop, s->timer);
	s->timer = 0;
	if (!s->done) {
		if (!s->welcomed && ctl_is_connect_error(reason))
			ctl_say_unreachable(s->ctl, reason);
		else
			ctl_say("lost master at %s (%s)", s->ctl->addr, reason);
		s->exit_code = EXIT_FAILURE;
	}
	loop_stop(s->loop);
}

static const struct conn_ops cli_ops = {
	.on_line = cli_on_line,
	.on_connect = cli_on_connect,
	.on_close = cli_on_close,
};

static int
cli_run(struct cli *s)
{
	char err[CTL_ERR_MAX];

	s->loop = loop_new();
	s->exit_code = EXIT_FAILURE;
	s->conn = conn_connect(s->loop, s->ctl->host, s->ctl->port, s->ctl->timeout_ms, &cli_ops, s,
	                       PROTO_LINE_MAX, CTL_OUT_MAX, err, sizeof(err));
	if (s->conn == NULL)
		ctl_say_unreachable(s->ctl, err);
	else
		loop_run(s->loop);
	loop_free(s->loop);
	if (fflush(stdout) == EOF)
		s->exit_code = EXIT_FAILURE;
	return s->exit_code;
}

static int
cli_cmd(struct ctl *ctl, int argc, char **argv, enum cli_mode mode)
{
	char *framework = NULL;
	struct flag flags[] = {
		{ "framework", FLAG_STRING, &framework,
		  "framework ID, when the task ID is not unique", 0 },
	};
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);
	struct cli s;
	struct ctl_args a;
	int rc = ctl_parse_args(&a, ctl, flags, nflags, 0, argc, argv, 1, mode == CLI_CAT ? 2 : 1);

	if (rc == -1) {
		memset(&s, 0, sizeof(s));
		s.ctl = ctl;
		s.mode = mode;
		s.task_id = a.pos[0];
		s.framework_id = framework;
		s.path = a.npos > 1 ? a.pos[1] : "stdout";
		rc = cli_run(&s);
	}
	ctl_args_free(&a);
	flags_free(flags, nflags);
	return rc;
}

int
ctl_cli_kill(struct ctl *ctl, int argc, char **argv)
{
	return cli_cmd(ctl, argc, argv, CLI_KILL);
}

int
ctl_cli_cat(struct ctl *ctl, int argc, char **argv)
{
	return cli_cmd(ctl, argc, argv, CLI_CAT);
}
