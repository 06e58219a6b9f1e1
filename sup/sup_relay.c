/*
 * sup_relay.c: owns a custom executor's channel on the supervisor's
 * side: the bounded line reader (so that one oversize or broken line is
 * answered, not fatal), the check and rewrite of what the executor says,
 * and the queue of lines agentd has not acknowledged, which survives
 * agentd and is sent again when it attaches.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "sup.h"
#include "sup_relay.h"
#include "log.h"
#include "proto.h"
#include "xmem.h"

#define ERR_MAX 256
/* Room left in a line for the relay_seq field the supervisor adds. */
#define SEQ_ROOM 64
#define EXEC_LINE_MAX (PROTO_LINE_MAX - SEQ_ROOM)
#define CHANNEL_OUT_MAX (4u << 20)      /* unsent bytes to the executor */
#define DRAIN_CHUNK 4096

struct pending {
	struct pending *next;
	unsigned long long seq;
	char *line;
	size_t len;
};

struct sup_relay {
	struct loop *loop;
	struct conn *c;              /* NULL once closed */
	sup_relay_out_fn out;
	sup_relay_close_fn on_close;
	void *arg;
	struct buf in;               /* the line being read */
	int discarding;              /* the rest of an oversize line, up to its '\n' */
	struct pending *head, *tail;
	size_t queued;               /* bytes in the queue */
	unsigned long long next_seq;
	int paused;
};

void
sup_relay_send(struct sup_relay *r, const char *line, size_t len)
{
	if (r->c == NULL || conn_is_closing(r->c))
		return;
	if (conn_send(r->c, line, len) == 0)
		(void)conn_send(r->c, "\n", 1);
}

void
sup_relay_error(struct sup_relay *r, const char *reason)
{
	struct buf b;

	log_warnx("bad line from the executor: %s", reason);
	buf_init(&b, 0);
	proto_begin(&b, "ERROR");
	proto_add(&b, "reason", reason);
	if (proto_end(&b) == 0 && r->c != NULL && !conn_is_closing(r->c))
		(void)conn_send(r->c, b.data, b.len);
	buf_free(&b);
}

/* Only the fields the agent reads go on: an executor cannot smuggle a relay_seq or a uuid. */
static int
rewrite_status(const struct proto_msg *m, struct buf *b, char *err, size_t errlen)
{
	struct proto_status in, out;

	if (proto_status_parse(m, &in, err, errlen) == -1)
		return -1;
	memset(&out, 0, sizeof(out));
	out.task_id = in.task_id;
	out.state = in.state;
	out.reason = in.reason;
	out.message = in.message;
	out.healthy = in.healthy;
	proto_status_compose(b, &out);
	return 0;
}

static int
rewrite_message(const struct proto_msg *m, struct buf *b, char *err, size_t errlen)
{
	for (size_t i = 0; i < m->nfields; i++) {
		if (strcmp(m->fields[i].key, "data") != 0)
			continue;
		proto_begin(b, "FRAMEWORK_MESSAGE");
		proto_addn(b, "data", m->fields[i].val, m->fields[i].vlen);
		return 0;
	}
	snprintf(err, errlen, "missing field 'data'");
	return -1;
}

/* The executor's verbs, each rewritten into b for the agent. */
static const struct exec_verb {
	const char *verb;
	int (*fn)(const struct proto_msg *m, struct buf *b, char *err, size_t errlen);
} exec_verbs[] = {
	{ "STATUS_UPDATE", rewrite_status },
	{ "FRAMEWORK_MESSAGE", rewrite_message },
	{ NULL, NULL },
};

static int
rewrite(const struct proto_msg *m, struct buf *b, char *err, size_t errlen)
{
	for (const struct exec_verb *v = exec_verbs; v->verb != NULL; v++)
		if (strcmp(v->verb, m->verb) == 0)
			return v->fn(m, b, err, errlen);
	snprintf(err, errlen, "unknown verb '%.31s'", m->verb);
	return -1;
}

static void
queue(struct sup_relay *r, struct buf *b)
{
	struct pending *p = xcalloc(1, sizeof(*p));

	p->seq = r->next_seq++;
	p->len = b->len;
	p->line = buf_detach(b);
	if (r->tail != NULL)
		r->tail->next = p;
	else
		r->head = p;
	r->tail = p;
	r->queued += p->len;
	if (r->queued > SUP_RELAY_QUEUE_MAX && !r->paused && r->c != NULL) {
		log_warnx("agentd has not acknowledged %zu bytes of the executor's lines: not reading "
		    "the executor until it does", r->queued);
		r->paused = 1;
		conn_pause_reading(r->c, 1);
	}
	r->out(p->line, p->len, r->arg);
}

static void
handle_line(struct sup_relay *r)
{
	char err[ERR_MAX];
	struct proto_msg m;
	struct buf b;

	proto_msg_init(&m);
	buf_init(&b, 0);
	if (proto_parse(r->in.data, r->in.len, &m, err, sizeof(err)) == -1 ||
	    rewrite(&m, &b, err, sizeof(err)) == -1) {
		sup_relay_error(r, err);
	} else {
		proto_addf(&b, "relay_seq", "%llu", r->next_seq);
		if (proto_end(&b) == -1) {
			snprintf(err, sizeof(err), "line too long once escaped (limit %d bytes)", EXEC_LINE_MAX);
			sup_relay_error(r, err);
		} else {
			queue(r, &b);
		}
	}
	buf_free(&b);
	proto_msg_free(&m);
}

static void
on_data(struct conn *c, const char *data, size_t len, void *arg)
{
	struct sup_relay *r = arg;
	char err[ERR_MAX];

	(void)c;
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - data) : len;

		if (!r->discarding && r->in.len + n > EXEC_LINE_MAX) {
			snprintf(err, sizeof(err), "line too long (limit %d bytes)", EXEC_LINE_MAX);
			sup_relay_error(r, err);
			buf_reset(&r->in);
			r->discarding = 1;
		}
		if (!r->discarding)
			buf_append(&r->in, data, n);
		if (nl != NULL) {
			if (!r->discarding)
				handle_line(r);
			r->discarding = 0;
			buf_reset(&r->in);
			n++;
		}
		data += n;
		len -= n;
	}
}

static void
on_close(struct conn *c, const char *reason, void *arg)
{
	struct sup_relay *r = arg;

	if (r->c != c)
		return;
	r->c = NULL;
	r->on_close(reason, r->arg);
}

static const struct conn_ops channel_ops = {
	.on_data = on_data,
	.on_close = on_close,
};

struct sup_relay *
sup_relay_open(struct loop *loop, const char *executor_id, const char *framework_id,
               const char *agent_id, sup_relay_out_fn out, sup_relay_close_fn on_close_fn,
               void *arg, int *child_fd, char *err, size_t errlen)
{
	struct sup_relay *r;
	struct buf b;
	int sv[2];

	if (compat_socketpair(sv) == -1) {
		snprintf(err, errlen, "cannot make the executor's channel: %s", strerror(errno));
		return NULL;
	}
	compat_set_nonblock(sv[0], 1);
	*child_fd = sv[1];
	r = xcalloc(1, sizeof(*r));
	r->loop = loop;
	r->out = out;
	r->on_close = on_close_fn;
	r->arg = arg;
	r->next_seq = 1;
	buf_init(&r->in, 0);
	r->c = conn_new(loop, sv[0], &channel_ops, r, PROTO_LINE_MAX, CHANNEL_OUT_MAX);
	conn_set_raw(r->c, 1);
	/* The channel exists before the executor does: what comes early waits in it, after this. */
	buf_init(&b, 0);
	proto_begin(&b, "REGISTERED");
	proto_add(&b, "executor_id", executor_id);
	proto_add(&b, "framework_id", framework_id);
	proto_add(&b, "agent_id", agent_id);
	if (proto_end(&b) == 0 && r->c != NULL)
		(void)conn_send(r->c, b.data, b.len);
	buf_free(&b);
	return r;
}

static void
agent_ack(struct sup_relay *r, const struct proto_msg *m, const char *raw, size_t len)
{
	char err[ERR_MAX];
	long long seq;

	(void)raw;
	(void)len;
	if (proto_get_int(m, "seq", 0, &seq, err, sizeof(err)) == -1 || seq < 0)
		log_warnx("bad RELAY_ACK from agentd: %s", err);
	else
		sup_relay_ack(r, (unsigned long long)seq);
}

/* A line for the executor goes as it came. */
static void
agent_pass(struct sup_relay *r, const struct proto_msg *m, const char *raw, size_t len)
{
	(void)m;
	sup_relay_send(r, raw, len);
}

/* agentd's verbs that are the relay's: its acknowledgements, and the lines for the executor. */
static const struct agent_verb {
	const char *verb;
	void (*fn)(struct sup_relay *r, const struct proto_msg *m, const char *raw, size_t len);
} agent_verbs[] = {
	{ "RELAY_ACK", agent_ack },
	{ "RUN_TASK", agent_pass },
	{ "KILL_TASK", agent_pass },
	{ "FRAMEWORK_MESSAGE", agent_pass },
	{ "ERROR", agent_pass },
	{ NULL, NULL },
};

int
sup_relay_from_agent(struct sup_relay *r, const struct proto_msg *m, const char *raw, size_t len)
{
	for (const struct agent_verb *v = agent_verbs; v->verb != NULL; v++) {
		if (strcmp(v->verb, m->verb) == 0) {
			v->fn(r, m, raw, len);
			return 1;
		}
	}
	return 0;
}

void
sup_relay_ack(struct sup_relay *r, unsigned long long seq)
{
	while (r->head != NULL && r->head->seq <= seq) {
		struct pending *p = r->head;

		r->head = p->next;
		r->queued -= p->len;
		free(p->line);
		free(p);
	}
	if (r->head == NULL)
		r->tail = NULL;
	if (r->paused && r->queued <= SUP_RELAY_QUEUE_MAX && r->c != NULL) {
		r->paused = 0;
		conn_pause_reading(r->c, 0);
	}
}

void
sup_relay_drain(struct sup_relay *r)
{
	char chunk[DRAIN_CHUNK];
	ssize_t n;

	while (r->c != NULL && !r->paused && !conn_is_closing(r->c)) {
		n = read(conn_fd(r->c), chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;   /* all of it (EAGAIN), or the end: conn sees that itself */
		on_data(r->c, chunk, (size_t)n, r);
	}
}

void
sup_relay_resend(struct sup_relay *r)
{
	for (struct pending *p = r->head; p != NULL; p = p->next)
		r->out(p->line, p->len, r->arg);
}

void
sup_relay_free(struct sup_relay *r)
{
	if (r == NULL)
		return;
	if (r->c != NULL) {
		struct conn *c = r->c;

		r->c = NULL;
		conn_set_ops(c, NULL, NULL);   /* no callbacks into the relay being freed */
		conn_close(c, "the supervisor is exiting");
	}
	sup_relay_ack(r, ULLONG_MAX);
	buf_free(&r->in);
	free(r);
}
