/*
 * ctl_run.c: `mesosctl run`, a one-shot framework in the manner of
 * mesos-execute. It subscribes, launches its instances on the offers that
 * fit them, prints every state change, and tears its framework down at
 * the end or when interrupted, so no task outlives it. A master restart
 * does not stop it: it re-subscribes with its framework ID and reconciles,
 * and the tasks run on.
 */
#include "ctl.h"
#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "flags.h"
#include "id.h"
#include "loop.h"
#include "proto.h"
#include "res.h"
#include "xmem.h"

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_FRAMEWORK_NAME    "mesosctl run"
/* Smaller than mesos-execute's cpus:1;mem:128: our users run on small boards. */
#define RUN_DEFAULT_RESOURCES "cpus:0.1;mem:32"
#define RUN_ID_RANDOM_BYTES   3               /* six hex digits after the name */
#define RUN_INSTANCES_MAX     10000
#define RUN_ID_SUFFIX_MAX     12              /* "-xxxxxx.9999" */
#define RUN_NAME_MAX          (ID_MAX - RUN_ID_SUFFIX_MAX)
#define RUN_STATE_MAX         32              /* bytes of a task state name */
#define RUN_REFUSE_SECONDS    5
#define RUN_TEARDOWN_WAIT_MS  2000            /* flush of the TEARDOWN before giving up */
#define RUN_TEARDOWN_REASON   "teardown"      /* close reason once the TEARDOWN is flushed */
#define RUN_BACKOFF_INITIAL_MS 250
#define RUN_BACKOFF_MAX_MS    10000
#define RUN_HEARTBEAT_DEFAULT_MS 15000
/*
 * The framework's failover timeout (--failover-timeout): the master keeps
 * its tasks this long after losing it, and run stops trying to reach a
 * master after as long without one.
 */
#define RUN_FAILOVER_TIMEOUT_MS 60000
#define RUN_MS_PER_S 1000.0
#define RUN_HEARTBEAT_MISSES  3               /* silent intervals before the master counts as gone */
/*
 * A restarted master learns of tasks only when their agents re-register,
 * which may be after we re-subscribe: for this long it may call them lost,
 * and we ask again instead of believing it.
 */
#define RUN_RECONCILE_PATIENCE_MS 30000
#define RUN_RECONCILE_INITIAL_MS  500
#define RUN_RECONCILE_MAX_MS      5000
/* Room for the ACCEPT verb, an escaped offer ID and refuse_seconds. */
#define RUN_ACCEPT_RESERVE_BYTES (3 * ID_MAX + 64)

enum run_phase { RUN_CONNECTING, RUN_HELLO, RUN_SUBSCRIBING, RUN_SUBSCRIBED, RUN_DISCONNECTED };

struct run_task {
	char id[ID_MAX + 1];
	char state[RUN_STATE_MAX];
	int terminal;
};

/* Task options passed to the agent as they are (docs/PROTOCOL.md, RUN_TASK). */
struct run_options {
	char *task_user;
	char *health_type;
	char *health_command;
	char *health_path;
	long long health_port;
	int64_t health_delay_ms, health_interval_ms, health_timeout_ms, health_grace_ms;
	long long health_failures;
	int64_t cpu_limit_ms;
	long long max_processes;
};

struct run {
	const struct ctl *ctl;
	struct loop *loop;
	struct conn *conn;
	enum run_phase phase;
	char framework_id[ID_MAX + 1];
	int subscribed_once;
	const char *name;
	const char *command;
	const char *role;
	const char *user;
	char *resources;             /* canonical form of want */
	struct res want;
	struct ctl_args *args;       /* --env and --uri values */
	int64_t grace_ms;
	int64_t failover_ms;
	int64_t master_lost_at;      /* loop time the master was lost; 0 while subscribed */
	const struct run_options *opt;
	struct run_task *tasks;
	size_t ntasks;
	size_t nlaunched;            /* tasks[0..nlaunched) have been sent in an ACCEPT */
	size_t nterminal;
	int suppressed;
	struct backoff backoff;
	uint64_t reconnect_timer;
	uint64_t ping_timer;
	uint64_t exit_timer;
	uint64_t reconcile_timer;
	struct backoff reconcile_backoff;
	int64_t reconcile_until;     /* loop time until which "unknown" answers are doubted */
	long long ping_seq;
	int64_t heartbeat_ms;
	int stopping;                /* exit decided; waiting for the last flush */
	int teardown_sent;
	int interrupted;
	int exit_code;
};

static void run_on_line(struct conn *c, char *line, size_t len, void *arg);
static void run_on_connect(struct conn *c, void *arg);
static void run_on_close(struct conn *c, const char *reason, void *arg);
static void run_reconnect(struct loop *loop, void *arg);

static const struct conn_ops run_ops = {
	.on_line = run_on_line,
	.on_connect = run_on_connect,
	.on_close = run_on_close,
};

static void
run_stop(struct run *r)
{
	loop_timer_cancel(r->loop, r->reconnect_timer);
	loop_timer_cancel(r->loop, r->ping_timer);
	loop_timer_cancel(r->loop, r->exit_timer);
	loop_timer_cancel(r->loop, r->reconcile_timer);
	r->reconnect_timer = r->ping_timer = r->exit_timer = r->reconcile_timer = 0;
	loop_stop(r->loop);
}

/* The flush did not finish in time: stop anyway; ctl_run closes the conn. */
static void
run_exit_timeout(struct loop *loop, void *arg)
{
	struct run *r = arg;

	(void)loop;
	r->exit_timer = 0;
	run_stop(r);
}

/* Tear the framework down (its tasks end with it) and exit once that is flushed. */
static void
run_finish(struct run *r, int code)
{
	struct buf b;

	r->exit_code = code;
	if (r->stopping)
		return;
	r->stopping = 1;
	if (r->conn == NULL || r->phase != RUN_SUBSCRIBED) {
		if (r->interrupted)
			printf("interrupted: not subscribed, nothing to tear down\n");
		if (r->conn != NULL)
			conn_close(r->conn, "exit");
		else
			run_stop(r);
		return;
	}
	buf_init(&b, CTL_MSG_MAX);
	proto_begin(&b, "TEARDOWN");
	r->teardown_sent = ctl_send_msg(r->conn, &b) == 0;
	if (r->conn != NULL) {
		conn_close_after_flush(r->conn, RUN_TEARDOWN_REASON);
		r->exit_timer = loop_timer_add(r->loop, RUN_TEARDOWN_WAIT_MS, run_exit_timeout, r);
	}
}

/* Try again after a backoff, unless no master has answered for the failover timeout. */
static void
run_retry(struct run *r)
{
	if (r->master_lost_at == 0)
		r->master_lost_at = loop_now(r->loop);
	if (loop_now(r->loop) - r->master_lost_at >= r->failover_ms) {
		ctl_say("no master answered for %.0f s, the framework's failover timeout: giving up",
		        (double)r->failover_ms / RUN_MS_PER_S);
		r->exit_code = EXIT_FAILURE;
		run_stop(r);
		return;
	}
	r->reconnect_timer = loop_timer_add(r->loop, backoff_next(&r->backoff), run_reconnect, r);
}

static void
run_connect(struct run *r)
{
	char err[CTL_ERR_MAX];

	r->phase = RUN_CONNECTING;
	r->conn = conn_connect(r->loop, r->ctl->host, r->ctl->port, r->ctl->timeout_ms, &run_ops, r,
	                       PROTO_LINE_MAX, CTL_OUT_MAX, err, sizeof(err));
	if (r->conn != NULL)
		return;
	if (r->subscribed_once) {
		run_retry(r);
		return;
	}
	ctl_say_unreachable(r->ctl, err);
	r->exit_code = EXIT_FAILURE;
	run_stop(r);
}

static void
run_reconnect(struct loop *loop, void *arg)
{
	struct run *r = arg;

	(void)loop;
	r->reconnect_timer = 0;
	run_connect(r);
}

static void
run_ping(struct loop *loop, void *arg)
{
	struct run *r = arg;
	struct buf b;

	r->ping_timer = 0;
	if (r->conn == NULL)
		return;
	buf_init(&b, CTL_MSG_MAX);
	proto_begin(&b, "PING");
	proto_add_int(&b, "seq", ++r->ping_seq);
	ctl_send_msg(r->conn, &b);
	r->ping_timer = loop_timer_add(loop, r->heartbeat_ms, run_ping, r);
}

static void
run_on_connect(struct conn *c, void *arg)
{
	struct run *r = arg;

	r->phase = RUN_HELLO;
	conn_set_idle_timeout(c, r->ctl->timeout_ms);
	ctl_send_hello(r->ctl, c, PROTO_KIND_FRAMEWORK);
}

static void
run_on_close(struct conn *c, const char *reason, void *arg)
{
	struct run *r = arg;
	enum run_phase was = r->phase;

	r->conn = NULL;
	loop_timer_cancel(r->loop, r->ping_timer);
	loop_timer_cancel(r->loop, r->reconcile_timer);
	r->ping_timer = r->reconcile_timer = 0;
	r->phase = RUN_DISCONNECTED;
	r->suppressed = 0;
	if (r->stopping) {
		/* The conn's own flush deadline also closes it: only a drained queue means delivered. */
		if (r->interrupted && r->teardown_sent)
			printf(strcmp(reason, RUN_TEARDOWN_REASON) == 0 && conn_out_pending(c) == 0
			       ? "interrupted: framework torn down\n"
			       : "interrupted: could not deliver the teardown to the master\n");
		run_stop(r);
		return;
	}
	if (!r->subscribed_once) {
		if (was == RUN_CONNECTING)
			ctl_say_unreachable(r->ctl, reason);
		else
			ctl_say("lost master at %s (%s) before subscribing", r->ctl->addr, reason);
		r->exit_code = EXIT_FAILURE;
		run_stop(r);
		return;
	}
	if (was != RUN_CONNECTING)
		ctl_say("lost master (%s), reconnecting", reason);
	run_retry(r);
}

static void
run_subscribe(struct run *r)
{
	struct buf b;

	r->phase = RUN_SUBSCRIBING;
	buf_init(&b, CTL_MSG_MAX);
	proto_begin(&b, "SUBSCRIBE");
	proto_add(&b, "name", RUN_FRAMEWORK_NAME);
	proto_add(&b, "user", r->user);
	proto_add(&b, "role", r->role);
	proto_addf(&b, "failover_timeout", "%g", (double)r->failover_ms / RUN_MS_PER_S);
	if (r->ctl->auth->principal != NULL)
		proto_add(&b, "principal", r->ctl->auth->principal);
	if (r->framework_id[0] != '\0')
		proto_add(&b, "framework_id", r->framework_id);
	ctl_send_msg(r->conn, &b);
}

static void
run_suppress(struct run *r)
{
	struct buf b;

	buf_init(&b, CTL_MSG_MAX);
	proto_begin(&b, "SUPPRESS");
	if (ctl_send_msg(r->conn, &b) == 0)
		r->suppressed = 1;
}

/* Ask for the latest state of every task still believed alive, in as many lines as needed. */
static void
run_reconcile(struct run *r)
{
	struct buf b;
	size_t i, n = 0;

	buf_init(&b, CTL_MSG_MAX);
	for (i = 0; i < r->nlaunched && r->conn != NULL; i++) {
		if (r->tasks[i].terminal)
			continue;
		if (n == 0)
			proto_begin(&b, "RECONCILE");
		proto_add(&b, "task_id", r->tasks[i].id);
		n++;
		if (b.len + RUN_ACCEPT_RESERVE_BYTES >= PROTO_LINE_MAX) {
			ctl_send_msg(r->conn, &b);
			buf_init(&b, CTL_MSG_MAX);
			n = 0;
		}
	}
	if (n > 0)
		ctl_send_msg(r->conn, &b);
	else
		buf_free(&b);
}

static void
run_reconcile_again(struct loop *loop, void *arg)
{
	struct run *r = arg;

	(void)loop;
	r->reconcile_timer = 0;
	if (r->conn != NULL && r->phase == RUN_SUBSCRIBED && !r->stopping)
		run_reconcile(r);
}

/* An answer that may only mean the restarted master has not heard from the task's agent yet. */
static int
run_doubted(const struct run *r, const char *state, const char *reason)
{
	return reason != NULL && strcmp(reason, "REASON_RECONCILIATION") == 0 &&
	       (strcmp(state, "TASK_LOST") == 0 || strcmp(state, "TASK_UNKNOWN") == 0) &&
	       loop_now(r->loop) < r->reconcile_until;
}

static void
run_subscribed(struct run *r, const struct proto_msg *m)
{
	const char *fid = proto_get(m, "framework_id");
	long long hb;
	char err[CTL_ERR_MAX];

	if (fid == NULL || strlen(fid) > ID_MAX) {
		ctl_say("bad SUBSCRIBED from the master: no usable framework_id");
		run_finish(r, EXIT_FAILURE);
		return;
	}
	if (proto_get_int(m, "heartbeat_interval_ms", RUN_HEARTBEAT_DEFAULT_MS, &hb, err,
	                  sizeof(err)) == -1 || hb <= 0)
		hb = RUN_HEARTBEAT_DEFAULT_MS;
	xstrlcpy(r->framework_id, fid, sizeof(r->framework_id));
	r->phase = RUN_SUBSCRIBED;
	r->master_lost_at = 0;
	r->heartbeat_ms = hb;
	backoff_reset(&r->backoff);
	conn_set_idle_timeout(r->conn, hb * RUN_HEARTBEAT_MISSES);
	r->ping_timer = loop_timer_add(r->loop, hb, run_ping, r);
	if (!r->subscribed_once) {
		r->subscribed_once = 1;
		printf("framework %s subscribed\n", r->framework_id);
		return;
	}
	printf("framework %s re-subscribed\n", r->framework_id);
	r->reconcile_until = loop_now(r->loop) + RUN_RECONCILE_PATIENCE_MS;
	backoff_reset(&r->reconcile_backoff);
	run_reconcile(r);
	if (r->conn != NULL && r->nlaunched == r->ntasks)
		run_suppress(r);
}

static void
run_decline(struct run *r, const char *offer_id)
{
	struct buf b;

	buf_init(&b, CTL_MSG_MAX);
	proto_begin(&b, "DECLINE");
	proto_add(&b, "offer_id", offer_id);
	proto_add_int(&b, "refuse_seconds", RUN_REFUSE_SECONDS);
	ctl_send_msg(r->conn, &b);
}

/* Append " key=value" with the value escaped: a task record is built apart from its ACCEPT. */
static void
add_field(struct buf *b, const char *key, const char *val)
{
	buf_printf(b, " %s=", key);
	buf_escape(b, val, strlen(val));
}

static void
add_seconds(struct buf *b, const char *key, int64_t ms)
{
	if (ms > 0)
		buf_printf(b, " %s=%.3f", key, (double)ms / 1000.0);
}

static void
options_record(const struct run_options *o, struct buf *out)
{
	if (o->task_user)
		add_field(out, "user", o->task_user);
	if (o->health_type) {
		struct proto_health h;

		/* The flags' 0 is "not given": the agent's default applies. */
		proto_health_init(&h);
		h.type = proto_health_type_parse(o->health_type);
		h.command = o->health_command;
		h.path = o->health_path;
		h.port = (int)o->health_port;
		h.delay_ms = o->health_delay_ms > 0 ? o->health_delay_ms : -1;
		h.interval_ms = o->health_interval_ms > 0 ? o->health_interval_ms : -1;
		h.timeout_ms = o->health_timeout_ms > 0 ? o->health_timeout_ms : -1;
		h.grace_ms = o->health_grace_ms > 0 ? o->health_grace_ms : -1;
		h.consecutive_failures = o->health_failures > 0 ? o->health_failures : -1;
		proto_health_compose(out, &h);
	}
	add_seconds(out, "cpu_limit_seconds", o->cpu_limit_ms);
	if (o->max_processes > 0)
		buf_printf(out, " max_processes=%lld", o->max_processes);
}

/* Catch what mesosctl can see before the agent would fail the task. */
static int
options_check(const struct run_options *o, char *err, size_t errlen)
{
	if (o->health_type == NULL) {
		if (o->health_command || o->health_path || o->health_port)
			return log_fail(err, errlen, "--health-command/-path/-port need --health-type");
		return 0;
	}
	if (proto_health_type_parse(o->health_type) == PROTO_HEALTH_NONE)
		return log_fail(err, errlen, "--health-type must be COMMAND, TCP or HTTP, not '%s'",
		                o->health_type);
	if (strcmp(o->health_type, "COMMAND") == 0 && o->health_command == NULL)
		return log_fail(err, errlen, "--health-type=COMMAND needs --health-command");
	if (o->health_port < 0 || o->health_port > 65535)
		return log_fail(err, errlen, "--health-port must be between 1 and 65535");
	if (o->health_failures < 0 || o->max_processes < 0)
		return log_fail(err, errlen, "--health-failures and --max-processes must not be negative");
	return 0;
}

/* The fields of one task in an ACCEPT, from task_id= on. */
static void
task_record(const struct run *r, const struct run_task *t, struct buf *out)
{
	size_t i;

	add_field(out, "task_id", t->id);
	add_field(out, "name", r->name);
	add_field(out, "command", r->command);
	add_field(out, "resources", r->resources);
	for (i = 0; i < r->args->nenv; i++)
		add_field(out, "env", r->args->env[i]);
	for (i = 0; i < r->args->nuri; i++)
		add_field(out, "uri", r->args->uri[i]);
	if (r->grace_ms > 0)
		buf_printf(out, " grace_ms=%lld", (long long)r->grace_ms);
	options_record(r->opt, out);
}

/* Launch as many pending instances as fit in the offer; decline what is of no use. */
static void
run_offer(struct run *r, const struct proto_msg *m)
{
	const char *offer_id = proto_get(m, "offer_id"), *host = proto_get(m, "hostname");
	const char *resources = proto_get(m, "resources");
	struct res pool;
	struct buf b;
	char err[CTL_ERR_MAX];
	size_t i, first = r->nlaunched;

	if (offer_id == NULL || r->stopping)
		return;
	res_init(&pool);
	if (r->nlaunched == r->ntasks || resources == NULL ||
	    res_parse(&pool, resources, err, sizeof(err)) == -1) {
		res_free(&pool);
		run_decline(r, offer_id);
		if (r->conn != NULL && r->nlaunched == r->ntasks && !r->suppressed)
			run_suppress(r);
		return;
	}
	/* The task records first: refuse_seconds depends on how many fit. */
	buf_init(&b, CTL_MSG_MAX);
	for (i = first; i < r->ntasks; i++) {
		struct res taken;
		struct buf rec;
		int fits;

		res_init(&taken);
		fits = res_take(&pool, &r->want, r->role, &taken, err, sizeof(err)) == 0;
		res_free(&taken);
		if (!fits)
			break;
		buf_init(&rec, CTL_MSG_MAX);
		task_record(r, &r->tasks[i], &rec);
		fits = b.len + rec.len + CTL_ERR_MAX < PROTO_LINE_MAX;
		if (fits)
			buf_append(&b, rec.data, rec.len);
		buf_free(&rec);
		if (!fits)
			break;
	}
	res_free(&pool);
	if (i == first) {
		buf_free(&b);
		run_decline(r, offer_id);
		return;
	}
	/*
	 * Filtering the leftover would keep this agent from us for a while even
	 * after our own tasks on it end; only a run with nothing left to launch
	 * can afford that.
	 */
	struct buf accept;
	buf_init(&accept, CTL_MSG_MAX);
	proto_begin(&accept, "ACCEPT");
	proto_add(&accept, "offer_id", offer_id);
	proto_add_int(&accept, "refuse_seconds", i < r->ntasks ? 0 : RUN_REFUSE_SECONDS);
	buf_append(&accept, b.data, b.len);
	buf_free(&b);
	b = accept;
	if (ctl_send_msg(r->conn, &b) == -1)
		return;
	for (; r->nlaunched < i; r->nlaunched++)
		printf("task %s submitted to %s\n", r->tasks[r->nlaunched].id,
		       host != NULL ? host : "an agent");
	if (r->conn != NULL && r->nlaunched == r->ntasks)
		run_suppress(r);
}

static struct run_task *
run_find(struct run *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->nlaunched; i++)
		if (strcmp(r->tasks[i].id, id) == 0)
			return &r->tasks[i];
	return NULL;
}

static void
run_update(struct run *r, const struct proto_msg *m)
{
	struct proto_status s;
	const char *id, *state, *uuid, *agent, *reason, *message;
	struct run_task *t;
	size_t i;
	int all_finished = 1;
	char err[CTL_ERR_MAX];

	if (proto_status_parse(m, &s, err, sizeof(err)) < 0) {
		ctl_say("ignoring a bad STATUS_UPDATE from the master: %s", err);
		return;
	}
	id = s.task_id;
	state = s.state;
	uuid = s.uuid;
	agent = s.agent_id;
	reason = s.reason;
	message = s.message;
	t = run_find(r, id);
	if (t != NULL && !t->terminal && run_doubted(r, state, reason)) {
		if (r->reconcile_timer == 0)
			r->reconcile_timer = loop_timer_add(r->loop, backoff_next(&r->reconcile_backoff),
			                                    run_reconcile_again, r);
		t = NULL;
	}
	/* Updates are resent until acknowledged, so a repeat prints nothing. */
	if (t != NULL && strcmp(t->state, state) != 0) {
		int terminal = proto_state_terminal(state);

		ctl_print_clean(stdout, id);
		putchar(' ');
		ctl_print_clean(stdout, state);
		if (reason != NULL && *reason != '\0') {
			putchar(' ');
			ctl_print_clean(stdout, reason);
		}
		if (message != NULL && *message != '\0') {
			putchar(' ');
			ctl_print_clean(stdout, message);
		}
		putchar('\n');
		xstrlcpy(t->state, state, sizeof(t->state));
		if (terminal && !t->terminal)
			r->nterminal++;
		else if (!terminal && t->terminal)
			r->nterminal--;
		t->terminal = terminal;
	}
	if (uuid != NULL && *uuid != '\0') {
		struct buf b;

		struct proto_ack ack = { NULL, id, agent != NULL ? agent : "", uuid };

		buf_init(&b, CTL_MSG_MAX);
		proto_ack_compose(&b, &ack);
		ctl_send_msg(r->conn, &b);
	}
	if (r->nlaunched < r->ntasks || r->nterminal < r->ntasks)
		return;
	for (i = 0; i < r->ntasks; i++)
		if (strcmp(r->tasks[i].state, "TASK_FINISHED") != 0)
			all_finished = 0;
	run_finish(r, all_finished ? EXIT_SUCCESS : EXIT_FAILURE);
}

/* --- the master's verbs -------------------------------------------------- */

/* Once the exit is decided, nothing the master says changes it (but ERROR and PING). */
static int
expecting(const struct run *r, enum run_phase phase)
{
	return !r->stopping && r->phase == phase;
}

static void
on_error(struct run *r, struct conn *c, const struct proto_msg *m)
{
	const char *reason = proto_get(m, "reason");

	ctl_say("master: %s", reason != NULL ? reason : "unknown error");
	/* Refused while (re)subscribing: retrying would be refused again. */
	if (r->phase != RUN_SUBSCRIBED) {
		r->exit_code = EXIT_FAILURE;
		r->stopping = 1;
		conn_close(c, "error from master");
	}
}

static void
on_ping(struct run *r, struct conn *c, const struct proto_msg *m)
{
	(void)r;
	ctl_send_pong(c, m);
}

static void
on_welcome(struct run *r, struct conn *c, const struct proto_msg *m)
{
	(void)c;
	if (!expecting(r, RUN_HELLO))
		return;
	if (ctl_check_welcome(r->ctl, m) == -1)
		run_finish(r, EXIT_FAILURE);
	else
		run_subscribe(r);
}

static void
on_challenge(struct run *r, struct conn *c, const struct proto_msg *m)
{
	if (expecting(r, RUN_HELLO) && ctl_answer_challenge(r->ctl, c, m) == -1)
		run_finish(r, EXIT_FAILURE);
}

static void
on_subscribed(struct run *r, struct conn *c, const struct proto_msg *m)
{
	(void)c;
	if (expecting(r, RUN_SUBSCRIBING))
		run_subscribed(r, m);
}

static void
on_offer(struct run *r, struct conn *c, const struct proto_msg *m)
{
	(void)c;
	if (expecting(r, RUN_SUBSCRIBED))
		run_offer(r, m);
}

static void
on_status_update(struct run *r, struct conn *c, const struct proto_msg *m)
{
	(void)c;
	if (expecting(r, RUN_SUBSCRIBED))
		run_update(r, m);
}

/* What the master may say to a framework; anything else is ignored. */
static const struct run_verb {
	const char *verb;
	void (*fn)(struct run *r, struct conn *c, const struct proto_msg *m);
} master_verbs[] = {
	{ "ERROR", on_error },
	{ "PING", on_ping },
	{ "WELCOME", on_welcome },
	{ "CHALLENGE", on_challenge },
	{ "SUBSCRIBED", on_subscribed },
	{ "OFFER", on_offer },
	{ "STATUS_UPDATE", on_status_update },
	{ NULL, NULL },
};

static void
run_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct run *r = arg;
	struct proto_msg m;
	char err[CTL_ERR_MAX];

	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) == -1) {
		ctl_say("bad line from the master: %s", err);
	} else {
		for (const struct run_verb *v = master_verbs; v->verb != NULL; v++)
			if (strcmp(v->verb, m.verb) == 0) {
				v->fn(r, c, &m);
				break;
			}
	}
	proto_msg_free(&m);
}

static void
run_on_signal(struct loop *loop, int signo, void *arg)
{
	struct run *r = arg;

	(void)loop;
	(void)signo;
	if (r->stopping && r->interrupted) {
		run_stop(r);   /* a second ^C: do not wait for the flush */
		return;
	}
	r->interrupted = 1;
	loop_timer_cancel(r->loop, r->reconnect_timer);
	r->reconnect_timer = 0;
	run_finish(r, CTL_EXIT_INTERRUPTED);
}

static const char *
current_user(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u != NULL && *u != '\0')
		return u;
	pw = getpwuid(getuid());
	return pw != NULL && pw->pw_name != NULL ? pw->pw_name : "nobody";
}

/* Task IDs become directory names on the agent: keep the name tame. */
static int
check_name(const char *name, char *err, size_t errlen)
{
	const char *p;

	if (*name == '\0' || strlen(name) > RUN_NAME_MAX) {
		snprintf(err, errlen, "--name must have 1 to %d bytes", RUN_NAME_MAX);
		return -1;
	}
	for (p = name; *p != '\0'; p++)
		if (*p == '/' || (unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(err, errlen, "--name must not contain '/', spaces or control bytes");
			return -1;
		}
	return 0;
}

/* Check what run was given; fills r. -1 with err on a usage error. */
static int
run_prepare(struct run *r, const char *resources, long long instances, char *err, size_t errlen)
{
	unsigned char rnd[RUN_ID_RANDOM_BYTES];
	static const char digits[] = "0123456789abcdef";
	char hex[2 * RUN_ID_RANDOM_BYTES + 1];
	struct buf rec;
	size_t i;
	int rc = 0;

	if (r->name == NULL || r->command == NULL) {
		snprintf(err, errlen, "--name and --command are required");
		return -1;
	}
	if (check_name(r->name, err, errlen) == -1)
		return -1;
	if (instances < 1 || instances > RUN_INSTANCES_MAX) {
		snprintf(err, errlen, "--instances must be between 1 and %d", RUN_INSTANCES_MAX);
		return -1;
	}
	if (r->grace_ms < 0 || r->failover_ms < 0) {
		snprintf(err, errlen, "--grace and --failover-timeout must not be negative");
		return -1;
	}
	if (options_check(r->opt, err, errlen) == -1)
		return -1;
	for (i = 0; i < r->args->nenv; i++)
		if (strchr(r->args->env[i], '=') == NULL || r->args->env[i][0] == '=') {
			snprintf(err, errlen, "--env wants NAME=VALUE, not '%s'", r->args->env[i]);
			return -1;
		}
	if (res_parse(&r->want, resources, err, errlen) == -1)
		return -1;
	r->resources = res_to_string(&r->want);
	compat_random_bytes(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		hex[2 * i] = digits[rnd[i] >> 4];
		hex[2 * i + 1] = digits[rnd[i] & 0xf];
	}
	hex[2 * sizeof(rnd)] = '\0';
	r->ntasks = (size_t)instances;
	r->tasks = xcalloc(r->ntasks, sizeof(*r->tasks));
	for (i = 0; i < r->ntasks; i++) {
		char *id = r->tasks[i].id;
		int n = r->ntasks > 1 ? snprintf(id, ID_MAX + 1, "%s-%s.%zu", r->name, hex, i)
		                      : snprintf(id, ID_MAX + 1, "%s-%s", r->name, hex);

		if (n < 0 || n > ID_MAX) {
			snprintf(err, errlen, "task ID '%s...' too long (limit %d bytes)", id, ID_MAX);
			return -1;
		}
	}
	buf_init(&rec, CTL_MSG_MAX);
	task_record(r, &r->tasks[r->ntasks - 1], &rec);
	if (rec.len + RUN_ACCEPT_RESERVE_BYTES > PROTO_LINE_MAX) {
		snprintf(err, errlen, "the task does not fit in one protocol line (limit %d bytes)",
		         PROTO_LINE_MAX);
		rc = -1;
	}
	buf_free(&rec);
	return rc;
}

int
ctl_run(struct ctl *ctl, int argc, char **argv)
{
	char *name = NULL, *command = NULL, *resources = NULL, *role = NULL, *unused = NULL;
	long long instances = 1;
	int64_t grace_ms = 0, failover_ms = RUN_FAILOVER_TIMEOUT_MS;
	struct run_options opt;
	memset(&opt, 0, sizeof(opt));
	struct flag flags[] = {
		{ "name", FLAG_STRING, &name, "task name; task IDs are NAME-XXXXXX[.I] (required)", 0 },
		{ "command", FLAG_STRING, &command, "shell command to run (required)", 0 },
		{ "resources", FLAG_STRING, &resources,
		  "resources of each instance (default " RUN_DEFAULT_RESOURCES
		  ", smaller than mesos-execute's cpus:1;mem:128)", 0 },
		{ "instances", FLAG_INT, &instances, "how many copies of the task to run", 0 },
		{ "role", FLAG_STRING, &role, "role to subscribe with (default *)", 0 },
		{ "env", FLAG_STRING, &unused, "NAME=VALUE for the task's environment (repeatable)", 0 },
		{ "uri", FLAG_STRING, &unused, "URI to fetch into the sandbox (repeatable)", 0 },
		{ "grace", FLAG_DURATION, &grace_ms, "kill grace period, SIGTERM to SIGKILL (0: the agent's)", 0 },
		{ "failover-timeout", FLAG_DURATION, &failover_ms,
		  "the master keeps the tasks this long without us; run gives up after as long "
		  "without a master (default 1mins)", 0 },
		{ "user", FLAG_STRING, &opt.task_user, "run the task as this user (default yours)", 0 },
		{ "health-type", FLAG_STRING, &opt.health_type, "health check: COMMAND, TCP or HTTP", 0 },
		{ "health-command", FLAG_STRING, &opt.health_command, "COMMAND check: exit 0 is healthy", 0 },
		{ "health-port", FLAG_INT, &opt.health_port, "TCP/HTTP check port (default PORT0)", 0 },
		{ "health-path", FLAG_STRING, &opt.health_path, "HTTP check path (default /)", 0 },
		{ "health-delay", FLAG_DURATION, &opt.health_delay_ms, "before the first check (15secs)", 0 },
		{ "health-interval", FLAG_DURATION, &opt.health_interval_ms, "between checks (10secs)", 0 },
		{ "health-timeout", FLAG_DURATION, &opt.health_timeout_ms, "of one check (20secs)", 0 },
		{ "health-grace", FLAG_DURATION, &opt.health_grace_ms,
		  "failures before a first success do not count (10secs)", 0 },
		{ "health-failures", FLAG_INT, &opt.health_failures,
		  "consecutive failures that kill the task (3)", 0 },
		{ "cpu-limit", FLAG_DURATION, &opt.cpu_limit_ms, "hard limit of CPU time (RLIMIT_CPU)", 0 },
		{ "max-processes", FLAG_INT, &opt.max_processes,
		  "processes the task may start (default the agent's)", 0 },
	};
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);
	struct run r;
	struct ctl_args a;
	char err[CTL_ERR_MAX];
	int rc = ctl_parse_args(&a, ctl, flags, nflags, 1, argc, argv, 0, 0);

	memset(&r, 0, sizeof(r));
	res_init(&r.want);
	r.ctl = ctl;
	r.name = name;
	r.command = command;
	r.role = role != NULL ? role : "*";
	r.user = current_user();
	r.args = &a;
	r.grace_ms = grace_ms;
	r.failover_ms = failover_ms;
	r.opt = &opt;
	if (rc != -1)
		goto out;
	if (run_prepare(&r, resources != NULL ? resources : RUN_DEFAULT_RESOURCES, instances, err,
	                sizeof(err)) == -1) {
		ctl_say("run: %s (try 'mesosctl help run')", err);
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	/* Each line must reach a test's pipe or a terminal as it happens. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	r.loop = loop_new();
	backoff_init(&r.backoff, RUN_BACKOFF_INITIAL_MS, RUN_BACKOFF_MAX_MS);
	backoff_init(&r.reconcile_backoff, RUN_RECONCILE_INITIAL_MS, RUN_RECONCILE_MAX_MS);
	loop_signal(r.loop, SIGINT, run_on_signal, &r);
	loop_signal(r.loop, SIGTERM, run_on_signal, &r);
	run_connect(&r);
	if (r.conn != NULL)
		loop_run(r.loop);
	if (r.conn != NULL) {
		/* The flush timed out: close now and let the loop free the conn. */
		r.stopping = 1;
		conn_close(r.conn, "exit");
		loop_run_once(r.loop, 0);
	}
	loop_free(r.loop);
	rc = r.exit_code;
out:
	free(r.tasks);
	free(r.resources);
	res_free(&r.want);
	ctl_args_free(&a);
	flags_free(flags, nflags);
	return rc;
}

