/*
 * ctl_teardown.c: mesosctl teardown FRAMEWORK_ID, an operator's removal
 * of a framework: one TEARDOWN_FRAMEWORK on a cli connection, answered OK
 * (its tasks are being killed and it is gone) or FAILED (unknown
 * framework), the wait bounded by --timeout.
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

struct teardown {
	const struct ctl *ctl;
	struct loop *loop;
	struct conn *conn;
	const char *framework_id;
	int welcomed;
	int done;
	int exit_code;
	uint64_t timer;
};

static void
td_done(struct teardown *t, int code)
{
	t->exit_code = code;
	t->done = 1;
	if (t->conn != NULL)
		conn_close(t->conn, "done");
}

static void
td_timeout(struct loop *loop, void *arg)
{
	struct teardown *t = arg;

	(void)loop;
	t->timer = 0;
	ctl_say("no answer from the master at %s within %lld ms", t->ctl->addr,
	        (long long)t->ctl->timeout_ms);
	td_done(t, EXIT_FAILURE);
}

/* --- the master's verbs --------------------------------------------------- */

static void
td_welcome(struct teardown *t, struct conn *c, const struct proto_msg *m)
{
	struct buf b;

	if (t->welcomed)
		return;
	if (ctl_check_welcome(t->ctl, m) == -1) {
		td_done(t, EXIT_FAILURE);
		return;
	}
	t->welcomed = 1;
	buf_init(&b, CTL_MSG_MAX);
	proto_begin(&b, "TEARDOWN_FRAMEWORK");
	proto_add(&b, "framework_id", t->framework_id);
	ctl_send_msg(c, &b);
}

static void
td_challenge(struct teardown *t, struct conn *c, const struct proto_msg *m)
{
	if (ctl_answer_challenge(t->ctl, c, m) == -1)
		td_done(t, EXIT_FAILURE);
}

static void
td_ok(struct teardown *t, struct conn *c, const struct proto_msg *m)
{
	(void)c;
	(void)m;
	printf("framework %s torn down\n", t->framework_id);
	td_done(t, EXIT_SUCCESS);
}

/* FAILED (no such framework) or ERROR (the master refused the line). */
static void
td_failed(struct teardown *t, struct conn *c, const struct proto_msg *m)
{
	const char *reason = proto_get(m, "reason");

	(void)c;
	ctl_say("%s%s", strcmp(m->verb, "ERROR") == 0 ? "master: " : "",
	        reason != NULL ? reason : "the master gave no reason");
	td_done(t, EXIT_FAILURE);
}

static void
td_ping(struct teardown *t, struct conn *c, const struct proto_msg *m)
{
	(void)t;
	ctl_send_pong(c, m);
}

/* What the master may answer a cli peer; anything else is ignored. */
static const struct td_verb {
	const char *verb;
	void (*fn)(struct teardown *t, struct conn *c, const struct proto_msg *m);
} master_verbs[] = {
	{ "WELCOME", td_welcome },
	{ "CHALLENGE", td_challenge },
	{ "OK", td_ok },
	{ "FAILED", td_failed },
	{ "ERROR", td_failed },
	{ "PING", td_ping },
	{ NULL, NULL },
};

static void
td_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct teardown *t = arg;
	struct proto_msg m;
	char err[CTL_ERR_MAX];

	if (t->done)
		return;
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) == -1) {
		ctl_say("bad line from the master: %s", err);
		td_done(t, EXIT_FAILURE);
	} else {
		for (const struct td_verb *v = master_verbs; v->verb != NULL; v++)
			if (strcmp(v->verb, m.verb) == 0) {
				v->fn(t, c, &m);
				break;
			}
	}
	proto_msg_free(&m);
}

static void
td_on_connect(struct conn *c, void *arg)
{
	ctl_send_hello(((struct teardown *)arg)->ctl, c, PROTO_KIND_CLI);
}

static void
td_on_close(struct conn *c, const char *reason, void *arg)
{
	struct teardown *t = arg;

	(void)c;
	t->conn = NULL;
	if (!t->done) {
		if (!t->welcomed && ctl_is_connect_error(reason))
			ctl_say_unreachable(t->ctl, reason);
		else
			ctl_say("lost master at %s (%s)", t->ctl->addr, reason);
		t->exit_code = EXIT_FAILURE;
	}
	loop_stop(t->loop);
}

static const struct conn_ops td_ops = {
	.on_line = td_on_line,
	.on_connect = td_on_connect,
	.on_close = td_on_close,
};

int
ctl_teardown(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_args a;
	struct teardown t;
	char err[CTL_ERR_MAX];
	int rc = ctl_parse_args(&a, ctl, NULL, 0, 0, argc, argv, 1, 1);

	if (rc == -1) {
		memset(&t, 0, sizeof(t));
		t.ctl = ctl;
		t.framework_id = a.pos[0];
		t.exit_code = EXIT_FAILURE;
		t.loop = loop_new();
		t.conn = conn_connect(t.loop, ctl->host, ctl->port, ctl->timeout_ms, &td_ops, &t,
		                      PROTO_LINE_MAX, CTL_OUT_MAX, err, sizeof(err));
		if (t.conn == NULL) {
			ctl_say_unreachable(ctl, err);
		} else {
			t.timer = loop_timer_add(t.loop, ctl->timeout_ms, td_timeout, &t);
			loop_run(t.loop);
			loop_timer_cancel(t.loop, t.timer);
		}
		loop_free(t.loop);
		rc = t.exit_code;
	}
	ctl_args_free(&a);
	return rc;
}

/*
 * mesosctl auth-proof SIDE KIND PRINCIPAL PEER_NONCE MASTER_NONCE: the
 * proof docs/PROTOCOL.md defines, keyed with $MESOS_SECRET (never an
 * argument: ps shows those), for a framework that cannot compute HMAC
 * itself (examples/sh-framework).
 */
int
ctl_auth_proof(struct ctl *ctl, int argc, char **argv)
{
	const char *secret = getenv("MESOS_SECRET");
	char proof[PROTO_AUTH_PROOF_HEX + 1];
	enum proto_kind kind;

	(void)ctl;
	if (argc != 6 || (strcmp(argv[1], "peer") != 0 && strcmp(argv[1], "master") != 0)) {
		ctl_say("usage: mesosctl auth-proof peer|master KIND PRINCIPAL PEER_NONCE MASTER_NONCE");
		return CTL_EXIT_USAGE;
	}
	kind = proto_kind_parse(argv[2]);
	if (kind == PROTO_KIND_UNKNOWN || secret == NULL || *secret == '\0') {
		ctl_say("auth-proof: KIND is agent, framework or cli, and $MESOS_SECRET holds the secret");
		return CTL_EXIT_USAGE;
	}
	proto_auth_proof(secret, strcmp(argv[1], "peer") == 0 ? PROTO_AUTH_PEER : PROTO_AUTH_MASTER,
	                 kind, argv[3], argv[4], argv[5], proof);
	printf("%s\n", proof);
	return EXIT_SUCCESS;
}
