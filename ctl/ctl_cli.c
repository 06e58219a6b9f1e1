/*
 * ctl_cli.c: kill, cat, ls and tail, the commands that speak the cli part
 * of the protocol: one request (KILL_TASK; READ_FILE or LIST_FILES repeated
 * until the end) on a conn of their own loop, each wait bounded by
 * --timeout. tail -f polls the file every TAIL_POLL_MS, as mesos-tail does,
 * until the task has ended and its file is read to the end.
 */
#include "ctl.h"
#include "buf.h"
#include "conn.h"
#include "flags.h"
#include "loop.h"
#include "proto.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAT_CHUNK_BYTES 32768   /* bytes asked for in one READ_FILE */
#define LIST_CHUNK_BYTES 16384  /* bytes of listing asked for in one LIST_FILES */
#define TAIL_LINES_DEFAULT 10
#define TAIL_WINDOW_BYTES 32768 /* the end of the file tail looks at for its last lines */
#define TAIL_POLL_MS 500        /* mesos-tail's pace */
#define LS_TIME_MAX 32          /* "2026-11-25 21:17" */
#define DEC_BASE 10

enum cli_mode { CLI_KILL, CLI_CAT, CLI_LS, CLI_TAIL };
enum tail_phase { TAIL_SIZE, TAIL_LAST, TAIL_FOLLOW };

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
	/* tail */
	long long lines;
	int follow;
	enum tail_phase phase;
	struct buf window;           /* the end of the file, for its last lines */
	uint64_t poll_timer;
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

static const char *
request_verb(const struct cli *s)
{
	switch (s->mode) {
	case CLI_KILL:
		return "KILL_TASK";
	case CLI_LS:
		return "LIST_FILES";
	case CLI_CAT:
	case CLI_TAIL:
		break;
	}
	return "READ_FILE";
}

static void
cli_request_len(struct cli *s, long long length)
{
	struct buf b;

	buf_init(&b, CTL_MSG_MAX);
	proto_begin(&b, request_verb(s));
	proto_add(&b, "task_id", s->task_id);
	if (s->framework_id != NULL)
		proto_add(&b, "framework_id", s->framework_id);
	if (s->mode != CLI_KILL) {
		proto_add(&b, "path", s->path);
		proto_addf(&b, "offset", "%llu", s->offset);
		proto_add_int(&b, "length", length);
	}
	ctl_send_msg(s->conn, &b);
	cli_arm(s);
}

static void
cli_request(struct cli *s)
{
	cli_request_len(s, s->mode == CLI_LS ? LIST_CHUNK_BYTES : CAT_CHUNK_BYTES);
}

/* The data field of a FILE_DATA, which may hold any byte. */
static const char *
data_field(const struct proto_msg *m, size_t *vlen)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].key, "data") == 0) {
			*vlen = m->fields[i].vlen;
			return m->fields[i].val;
		}
	*vlen = 0;
	return NULL;
}

static int
write_out(struct cli *s, const char *data, size_t len)
{
	if (len > 0 && fwrite(data, 1, len, stdout) != len) {
		cli_done(s, EXIT_FAILURE);   /* stdout is gone (a closed pipe): nothing to say it on */
		return -1;
	}
	return 0;
}

/* One listing line from the agent, "TYPE SIZE MTIME NAME", printed like ls -l. */
static void
print_entry(const char *line, size_t len)
{
	char type = len > 0 ? line[0] : '?';
	const char *p = len > 2 ? line + 2 : line, *name;
	unsigned long long size = strtoull(p, (char **)&p, DEC_BASE);
	time_t mtime = (time_t)strtoll(p, (char **)&p, DEC_BASE);
	char when[LS_TIME_MAX] = "?";
	struct tm tm;

	name = *p == ' ' ? p + 1 : p;
	if (gmtime_r(&mtime, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	printf("%c %12llu %s ", type, size, when);
	fwrite(name, 1, len - (size_t)(name - line), stdout);
	if (type == 'd')
		putchar('/');
	putchar('\n');
}

static void
cli_list_data(struct cli *s, const struct proto_msg *m)
{
	size_t vlen;
	const char *data = data_field(m, &vlen), *end = data + vlen;
	long long next;
	int eof;
	char err[CTL_ERR_MAX];

	if (proto_get_bool(m, "eof", 1, &eof, err, sizeof(err)) == -1 ||
	    proto_get_int(m, "next", 0, &next, err, sizeof(err)) == -1) {
		ctl_say("bad FILE_DATA from the master: %s", err);
		cli_done(s, EXIT_FAILURE);
		return;
	}
	while (data != NULL && data < end) {
		const char *nl = memchr(data, '\n', (size_t)(end - data));
		size_t n = nl ? (size_t)(nl - data) : (size_t)(end - data);
		print_entry(data, n);
		data += n + (nl != NULL);
	}
	if (eof || (unsigned long long)next <= s->offset) {
		cli_done(s, EXIT_SUCCESS);
		return;
	}
	s->offset = (unsigned long long)next;
	cli_request(s);
}

static void
on_poll(struct loop *loop, void *arg)
{
	struct cli *s = arg;

	(void)loop;
	s->poll_timer = 0;
	cli_request(s);
}

/* The last s->lines lines of what was read from the end of the file. */
static void
print_last_lines(struct cli *s, int from_start)
{
	const char *data = s->window.data, *start;
	size_t len = s->window.len;
	long long seen = 0;

	if (data == NULL || len == 0 || s->lines == 0)
		return;
	start = data + len;
	if (start > data && start[-1] == '\n')
		start--;
	while (start > data && seen < s->lines) {
		start--;
		if (*start == '\n' && ++seen == s->lines) {
			start++;
			break;
		}
	}
	/* A window that starts mid-file starts mid-line: never print that partial line. */
	if (start == data && !from_start && seen < s->lines) {
		const char *nl = memchr(data, '\n', len);
		start = nl ? nl + 1 : data + len;
	}
	(void)write_out(s, start, len - (size_t)(start - data));
}

static void
cli_tail_data(struct cli *s, const struct proto_msg *m)
{
	size_t vlen;
	const char *data = data_field(m, &vlen);
	long long size;
	int eof, running;
	char err[CTL_ERR_MAX];

	if (proto_get_bool(m, "eof", 0, &eof, err, sizeof(err)) == -1 ||
	    proto_get_int(m, "size", 0, &size, err, sizeof(err)) == -1 ||
	    proto_get_bool(m, "running", 1, &running, err, sizeof(err)) == -1) {
		ctl_say("bad FILE_DATA from the master: %s", err);
		cli_done(s, EXIT_FAILURE);
		return;
	}
	switch (s->phase) {
	case TAIL_SIZE:
		s->phase = TAIL_LAST;
		s->offset = size > TAIL_WINDOW_BYTES ? (unsigned long long)size - TAIL_WINDOW_BYTES : 0;
		cli_request(s);
		return;
	case TAIL_LAST:
		buf_append(&s->window, data ? data : "", vlen);
		s->offset += vlen;
		if (!eof && vlen > 0) {
			cli_request(s);
			return;
		}
		print_last_lines(s, s->offset == s->window.len);
		fflush(stdout);
		s->phase = TAIL_FOLLOW;
		break;
	case TAIL_FOLLOW:
		if ((unsigned long long)size < s->offset) {
			ctl_say("%s: file truncated", s->path);
			s->offset = 0;
		}
		if (write_out(s, data, vlen) == -1)
			return;
		fflush(stdout);
		s->offset += vlen;
		if (!eof && vlen > 0) {
			cli_request(s);
			return;
		}
		break;
	}
	if (!s->follow || (!running && eof)) {
		cli_done(s, EXIT_SUCCESS);
		return;
	}
	loop_timer_cancel(s->loop, s->timer);
	s->timer = 0;
	s->poll_timer = loop_timer_add(s->loop, TAIL_POLL_MS, on_poll, s);
}

static void
cli_file_data(struct cli *s, const struct proto_msg *m)
{
	size_t vlen;
	const char *data = data_field(m, &vlen);
	int eof;
	char err[CTL_ERR_MAX];

	if (s->mode == CLI_LS) {
		cli_list_data(s, m);
		return;
	}
	if (s->mode == CLI_TAIL) {
		cli_tail_data(s, m);
		return;
	}
	if (proto_get_bool(m, "eof", 0, &eof, err, sizeof(err)) == -1) {
		ctl_say("bad FILE_DATA from the master: %s", err);
		cli_done(s, EXIT_FAILURE);
		return;
	}
	if (write_out(s, data, vlen) == -1)
		return;
	s->offset += vlen;
	/* An empty chunk that is not the end would make us ask for ever. */
	if (eof || vlen == 0)
		cli_done(s, EXIT_SUCCESS);
	else
		cli_request(s);
}

/* --- the master's verbs: each handler checks what it expects besides the verb --- */

/* ERROR (the master refused the line), FAILED or FILE_ERROR (the request failed). */
static void
cli_failed(struct cli *s, const struct proto_msg *m)
{
	const char *reason = proto_get(m, "reason");

	if (reason == NULL)
		ctl_say("%s: the master gave no reason", m->verb);
	else
		ctl_say("%s%s", strcmp(m->verb, "ERROR") == 0 ? "master: " : "", reason);
	cli_done(s, EXIT_FAILURE);
}

static void
cli_welcome(struct cli *s, const struct proto_msg *m)
{
	if (s->welcomed)
		return;
	if (ctl_check_welcome(s->ctl, m) == -1) {
		cli_done(s, EXIT_FAILURE);
		return;
	}
	s->welcomed = 1;
	if (s->mode == CLI_TAIL)
		cli_request_len(s, 0);   /* the size first */
	else
		cli_request(s);
}

static void
cli_challenge(struct cli *s, const struct proto_msg *m)
{
	if (ctl_answer_challenge(s->ctl, s->conn, m) == -1)
		cli_done(s, EXIT_FAILURE);
}

static void
cli_ok(struct cli *s, const struct proto_msg *m)
{
	(void)m;
	if (s->mode != CLI_KILL)
		return;
	printf("kill of task %s requested\n", s->task_id);
	cli_done(s, EXIT_SUCCESS);
}

static void
cli_data(struct cli *s, const struct proto_msg *m)
{
	if (s->mode != CLI_KILL)
		cli_file_data(s, m);
}

static void
cli_ping(struct cli *s, const struct proto_msg *m)
{
	ctl_send_pong(s->conn, m);
}

/* What the master may answer a cli peer; anything else is ignored. */
static const struct cli_verb {
	const char *verb;
	void (*fn)(struct cli *s, const struct proto_msg *m);
} master_verbs[] = {
	{ "ERROR", cli_failed },
	{ "FAILED", cli_failed },
	{ "FILE_ERROR", cli_failed },
	{ "WELCOME", cli_welcome },
	{ "CHALLENGE", cli_challenge },
	{ "OK", cli_ok },
	{ "FILE_DATA", cli_data },
	{ "PING", cli_ping },
	{ NULL, NULL },
};

static void
cli_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct cli *s = arg;
	struct proto_msg m;
	char err[CTL_ERR_MAX];

	(void)c;
	if (s->done)
		return;
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) == -1) {
		ctl_say("bad line from the master: %s", err);
		cli_done(s, EXIT_FAILURE);
	} else {
		for (const struct cli_verb *v = master_verbs; v->verb != NULL; v++)
			if (strcmp(v->verb, m.verb) == 0) {
				v->fn(s, &m);
				break;
			}
	}
	proto_msg_free(&m);
}

static void
cli_on_connect(struct conn *c, void *arg)
{
	struct cli *s = arg;

	ctl_send_hello(s->ctl, c, PROTO_KIND_CLI);
	cli_arm(s);
}

static void
cli_on_close(struct conn *c, const char *reason, void *arg)
{
	struct cli *s = arg;

	(void)c;
	s->conn = NULL;
	loop_timer_cancel(s->loop, s->timer);
	loop_timer_cancel(s->loop, s->poll_timer);
	s->timer = s->poll_timer = 0;
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

static const char *
default_path(enum cli_mode mode)
{
	return mode == CLI_LS ? "." : "stdout";
}

static int
cli_cmd(struct ctl *ctl, int argc, char **argv, enum cli_mode mode)
{
	char *framework = NULL;
	long long lines = TAIL_LINES_DEFAULT;
	int follow = 0;
	struct flag flags[] = {
		{ "framework", FLAG_STRING, &framework,
		  "framework ID, when the task ID is not unique", 0 },
		{ "follow", FLAG_BOOL, &follow,
		  "(-f) keep printing what is appended, until the task has ended", 0 },
		{ "lines", FLAG_INT, &lines, "(-n) how many last lines to print", 0 },
	};
	const size_t nflags = mode == CLI_TAIL ? sizeof(flags) / sizeof(flags[0]) : 1;
	struct cli s;
	struct ctl_args a;
	int rc = ctl_parse_args(&a, ctl, flags, nflags, 0, argc, argv, 1, mode == CLI_KILL ? 1 : 2);

	if (rc == -1 && lines < 0) {
		ctl_say("%s: --lines must not be negative", argv[0]);
		rc = CTL_EXIT_USAGE;
	}
	if (rc == -1) {
		memset(&s, 0, sizeof(s));
		s.ctl = ctl;
		s.mode = mode;
		s.task_id = a.pos[0];
		s.framework_id = framework;
		s.path = a.npos > 1 ? a.pos[1] : default_path(mode);
		s.lines = lines;
		s.follow = follow;
		buf_init(&s.window, 0);
		rc = cli_run(&s);
		buf_free(&s.window);
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

int
ctl_cli_ls(struct ctl *ctl, int argc, char **argv)
{
	return cli_cmd(ctl, argc, argv, CLI_LS);
}

int
ctl_cli_tail(struct ctl *ctl, int argc, char **argv)
{
	char **args = xcalloc((size_t)argc + 1, sizeof(char *));
	char *lines_flag = NULL;
	int nargs = 0, rc;

	/* tail's own short options, as people type them: -f, -n N, -nN. */
	for (int i = 0; i < argc; i++) {
		const char *count = NULL;

		if (strcmp(argv[i], "-f") == 0) {
			args[nargs++] = (char *)"--follow";
			continue;
		}
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			count = argv[++i];
		else if (strncmp(argv[i], "-n", 2) == 0 && argv[i][2] != '\0')
			count = argv[i] + 2;
		if (count != NULL && lines_flag == NULL) {
			size_t len = strlen("--lines=") + strlen(count) + 1;

			lines_flag = xmalloc(len);
			snprintf(lines_flag, len, "--lines=%s", count);
			args[nargs++] = lines_flag;
			continue;
		}
		args[nargs++] = argv[i];
	}
	rc = cli_cmd(ctl, nargs, args, CLI_TAIL);
	free(lines_flag);
	free(args);
	return rc;
}
