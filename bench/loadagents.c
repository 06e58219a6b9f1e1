/*
 * bench/loadagents.c: poses as N agents against a master, to measure how
 * fast it registers them and what holding them costs it. Each simulated
 * agent opens a protocol connection, says HELLO, registers with small
 * resources and then answers every PING, as a real agent does, for the
 * given number of seconds.
 *
 *   loadagents HOST:PORT AGENTS SECONDS [TASKS] [PRINCIPAL SECRET]
 *
 * With a credential each agent authenticates first (make bench's auth
 * section: the master's memory with authenticated agents).
 *
 * Prints `name value unit` lines: agents registered, registrations per
 * second, time to register them all, pings answered.
 *
 * With TASKS (bench/web.sh), each agent instead comes back as a known
 * agent would after a master restart (its own agent_id), reporting TASKS
 * running tasks of one of SIM_FRAMEWORKS frameworks (each in a role of
 * its own), so that the master holds AGENTS x TASKS tasks without
 * running any.
 *
 * With LOADAGENTS_FAILOVER=1 in the environment (make bench's failover
 * section, with TASKS), an agent whose connection ends reconnects at once
 * (not with agentd's backoff: the figure is the master's, not the
 * agents'), in the same batches as the first connects, every
 * RECONNECT_RETRY_MS while the master refuses; it re-registers with its
 * tasks. Once every agent lost has re-registered, a framework subscribes
 * and the first offer it gets ends the measurement: it prints the time
 * from the master's first answer after the loss to the last
 * re-registration, and to that offer, and its own cpu from that first
 * answer to the offer (it shares the cores with the master), and exits.
 *
 * With LOADAGENTS_RESOURCES=SPEC in the environment, each new agent
 * offers SPEC instead of its small default and answers every RUN_TASK
 * with TASK_RUNNING at once (tests/t_split.sh: thousands of tasks on a
 * few large agents, with no process started).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "proto.h"
#include "xmem.h"

#define CONNECT_TIMEOUT_MS 10000
#define AGENT_OUT_MAX (1u << 20)
/* Open connections in batches so the master's accept queue is not overrun. */
#define CONNECT_BATCH 100
#define SIM_FRAMEWORKS 10                 /* frameworks the reported tasks belong to */
#define SIM_TASK_RESOURCES "cpus:0.01;mem:16"
#define CONNECT_TICK_MS 1                 /* between batches */
#define RECONNECT_RETRY_MS 50             /* between batches while the master refuses */

struct bench {
	struct loop *loop;
	char host[256];
	int port;
	int want;
	int tasks;                        /* per agent, reported as running (0: a new agent) */
	int started;
	int registered;
	int closed;
	long long pongs;
	int64_t t_first, t_last;
	const char *principal, *secret;   /* NULL: plain handshakes */
	const char *resources;            /* LOADAGENTS_RESOURCES: large agents that run tasks */
	long long tasks_run;
	int *queue;                       /* agent indexes waiting to connect (a ring) */
	int qhead, qlen;
	int connect_armed;                /* the batch timer is set */
	int refused;                      /* a connect failed since the last batch */
	int failover;                     /* LOADAGENTS_FAILOVER: reconnect, measure */
	unsigned char *lost;              /* per index: registered, then its connection ended */
	int nlost, back;                  /* agents lost, and re-registered since */
	int64_t t_back;                   /* the master's first WELCOME after a loss */
	int64_t t_rereg;                  /* the last re-registration */
	struct conn *fw;                  /* the framework that waits for an offer */
	int64_t t_offer;                  /* its first offer */
	int64_t cpu_back, cpu_offer;      /* our own cpu (ms) at t_back and t_offer */
	struct conn **conns;              /* per index: its open connection, or NULL */
	int ending;                       /* closing everything: no reconnects */
};

struct sim_agent {
	struct bench *b;
	int index;
	int registered;
	int welcomed;
	struct proto_auth_client auth;
};

static void connect_batch(struct loop *loop, void *arg);

/* This process's cpu so far, user and system, in ms. */
static int64_t
cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}
static void framework_start(struct bench *b);

static void
queue_push(struct bench *b, int index)
{
	b->queue[(b->qhead + b->qlen++) % b->want] = index;
	if (!b->connect_armed) {
		b->connect_armed = 1;
		loop_timer_add(b->loop, CONNECT_TICK_MS, connect_batch, b);
	}
}

static void
send_line(struct conn *c, struct buf *b)
{
	if (proto_end(b) == 0)
		conn_send(c, b->data, b->len);
}

/* Answer a PING as agents and frameworks do: PONG with its seq. */
static void
send_pong(struct conn *c, const struct proto_msg *ping)
{
	struct buf out;

	buf_init(&out, PROTO_LINE_MAX + 2);
	proto_begin(&out, "PONG");
	if (proto_get(ping, "seq"))
		proto_add(&out, "seq", proto_get(ping, "seq"));
	send_line(c, &out);
	buf_free(&out);
}

/* End the line in `line` and queue it in out, which the caller sends in one write. */
static void
queue_line(struct buf *out, struct buf *line)
{
	if (proto_end(line) == 0)
		buf_append(out, line->data, line->len);
	buf_reset(line);
}

/*
 * The registration and its task reports, queued in out: the caller sends
 * them with one write, as agentd's coalesced turn does. A write per line
 * cost loadagents (which shares the cores with the master) a third of
 * its cpu during a failover, and the master a read per line.
 */
static void
compose_register(struct buf *out, struct sim_agent *a)
{
	struct buf b;
	char host[64];

	buf_init(&b, PROTO_LINE_MAX + 2);
	snprintf(host, sizeof(host), "sim-%05d", a->index);
	proto_begin(&b, "REGISTER_AGENT");
	if (a->b->tasks > 0)
		proto_add(&b, "agent_id", host);
	proto_add(&b, "hostname", host);
	proto_add(&b, "port", "0");
	proto_add(&b, "resources", a->b->resources != NULL ? a->b->resources :
	                           "cpus:4;mem:4096;disk:10000;ports:[31000-32000]");
	proto_add(&b, "attributes", "rack:sim");
	proto_add(&b, "version", "bench");
	queue_line(out, &b);
	for (int i = 0; i < a->b->tasks; i++) {
		char fw[32], role[32], task[64];
		int k = (a->index * a->b->tasks + i) % SIM_FRAMEWORKS;

		snprintf(fw, sizeof(fw), "sim-fw-%d", k);
		snprintf(role, sizeof(role), "sim%d", k);
		snprintf(task, sizeof(task), "sim-task-%05d-%05d", a->index, i);
		proto_begin(&b, "AGENT_TASK");
		proto_add(&b, "framework_id", fw);
		proto_add(&b, "framework_name", fw);
		proto_add(&b, "role", role);
		proto_add(&b, "user", "bench");
		proto_add(&b, "task_id", task);
		proto_add(&b, "name", task);
		proto_add(&b, "state", "TASK_RUNNING");
		proto_add(&b, "resources", SIM_TASK_RESOURCES);
		queue_line(out, &b);
	}
	if (a->b->tasks > 0) {
		proto_begin(&b, "AGENT_RESYNC_DONE");
		queue_line(out, &b);
	}
	buf_free(&b);
}

static void
send_register(struct conn *c, struct sim_agent *a)
{
	struct buf out;

	buf_init(&out, 0);
	compose_register(&out, a);
	if (out.len > 0)
		conn_send(c, out.data, out.len);
	buf_free(&out);
}

static void
on_connect(struct conn *c, void *arg)
{
	struct sim_agent *a = arg;
	struct buf line, out;

	buf_init(&line, PROTO_LINE_MAX + 2);
	buf_init(&out, 0);
	proto_auth_client_hello(&a->auth, &line);
	queue_line(&out, &line);
	/* Without a credential the registration follows at once, in the same write. */
	if (a->auth.principal == NULL)
		compose_register(&out, a);
	if (out.len > 0)
		conn_send(c, out.data, out.len);
	buf_free(&line);
	buf_free(&out);
}

static void
on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct sim_agent *a = arg;
	struct bench *b = a->b;
	struct proto_msg m;
	char err[256];

	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) < 0) {
		proto_msg_free(&m);
		return;
	}
	if (strcmp(m.verb, "WELCOME") == 0 && !a->welcomed) {
		a->welcomed = 1;
		if (b->nlost > 0 && b->t_back == 0) {
			b->t_back = compat_monotonic_ms();
			b->cpu_back = cpu_ms();
		}
	}
	if (strcmp(m.verb, "CHALLENGE") == 0) {
		struct buf out;
		buf_init(&out, PROTO_LINE_MAX + 2);
		if (proto_auth_client_challenge(&a->auth, &m, &out, err, sizeof(err)) == 0)
			send_line(c, &out);
		else
			conn_close(c, err);
		buf_free(&out);
	} else if (strcmp(m.verb, "WELCOME") == 0 && a->auth.principal != NULL) {
		if (proto_auth_client_welcome(&a->auth, &m, err, sizeof(err)) == 0)
			send_register(c, a);
		else
			conn_close(c, err);
	} else if (strcmp(m.verb, "AGENT_REGISTERED") == 0 && !a->registered) {
		a->registered = 1;
		if (!b->lost[a->index]) {
			b->registered++;
			b->t_last = compat_monotonic_ms();
		}
		if (b->registered == b->want && b->nlost == 0)
			fprintf(stderr, "loadagents: all %d agents registered\n", b->want);
		if (b->lost[a->index]) {
			b->lost[a->index] = 0;
			b->t_rereg = compat_monotonic_ms();
			if (++b->back == b->nlost)
				framework_start(b);
		}
	} else if (strcmp(m.verb, "RUN_TASK") == 0 && b->resources != NULL) {
		/* A task that runs at once, for nothing: no acknowledgement is asked. */
		struct proto_status st = {
			.framework_id = proto_get(&m, "framework_id"), .task_id = proto_get(&m, "task_id"),
			.state = "TASK_RUNNING", .source = "SOURCE_EXECUTOR",
			.healthy = PROTO_HEALTHY_NONE, .timestamp = compat_wall_time(),
		};
		if (st.task_id != NULL && st.framework_id != NULL) {
			struct buf out;
			buf_init(&out, PROTO_LINE_MAX + 2);
			proto_status_compose(&out, &st);
			send_line(c, &out);
			buf_free(&out);
			b->tasks_run++;
		}
	} else if (strcmp(m.verb, "PING") == 0) {
		send_pong(c, &m);
		b->pongs++;
	}
	proto_msg_free(&m);
}

static void
on_close(struct conn *c, const char *reason, void *arg)
{
	struct sim_agent *a = arg;
	struct bench *b = a->b;
	(void)c;
	b->conns[a->index] = NULL;
	if (b->ending) {
		/* closed by main at the end: nothing to count */
	} else if (b->failover) {
		if (a->registered && !b->lost[a->index]) {
			b->lost[a->index] = 1;
			if (b->nlost++ == 0)
				fprintf(stderr, "loadagents: lost the master (%s): reconnecting\n", reason);
		}
		if (!a->welcomed)
			b->refused = 1;
		queue_push(b, a->index);
	} else if (b->closed++ == 0) {
		fprintf(stderr, "loadagents: agent %d disconnected: %s\n", a->index, reason);
	}
	free(a);
}

/* --- the framework that says offers flow again (LOADAGENTS_FAILOVER) --- */

static void
fw_on_connect(struct conn *c, void *arg)
{
	struct buf out;
	(void)arg;

	buf_init(&out, PROTO_LINE_MAX + 2);
	proto_hello_compose(&out, PROTO_KIND_FRAMEWORK);
	send_line(c, &out);
	buf_reset(&out);
	proto_begin(&out, "SUBSCRIBE");
	proto_add(&out, "name", "loadagents-failover");
	proto_add(&out, "user", "bench");
	send_line(c, &out);
	buf_free(&out);
}

static void
fw_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct bench *b = arg;
	struct proto_msg m;
	char err[256];

	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) < 0) {
		proto_msg_free(&m);
		return;
	}
	if (strcmp(m.verb, "OFFER") == 0 && b->t_offer == 0) {
		b->t_offer = compat_monotonic_ms();
		b->cpu_offer = cpu_ms();
		loop_stop(b->loop);
	} else if (strcmp(m.verb, "PING") == 0) {
		send_pong(c, &m);
	} else if (strcmp(m.verb, "ERROR") == 0) {
		fprintf(stderr, "loadagents: framework: %s\n", proto_get(&m, "reason"));
		loop_stop(b->loop);
	}
	proto_msg_free(&m);
}

static void
fw_on_close(struct conn *c, const char *reason, void *arg)
{
	struct bench *b = arg;
	(void)c;
	b->fw = NULL;
	if (!b->ending) {
		fprintf(stderr, "loadagents: framework disconnected: %s\n", reason);
		loop_stop(b->loop);
	}
}

static const struct conn_ops fw_ops = {
	.on_line = fw_on_line,
	.on_connect = fw_on_connect,
	.on_close = fw_on_close,
};

static void
framework_start(struct bench *b)
{
	char err[256];

	fprintf(stderr, "loadagents: all %d lost agents re-registered\n", b->nlost);
	b->fw = conn_connect(b->loop, b->host, b->port, CONNECT_TIMEOUT_MS, &fw_ops, b,
	                     PROTO_LINE_MAX, AGENT_OUT_MAX, err, sizeof(err));
	if (b->fw == NULL) {
		fprintf(stderr, "loadagents: %s\n", err);
		loop_stop(b->loop);
	}
}

static const struct conn_ops agent_ops = {
	.on_line = on_line,
	.on_connect = on_connect,
	.on_close = on_close,
};

static void
connect_batch(struct loop *loop, void *arg)
{
	struct bench *b = arg;
	char err[256];

	b->connect_armed = 0;
	if (b->refused) {
		/* The master is away: wait a little rather than spin on refusals. */
		b->refused = 0;
		b->connect_armed = 1;
		loop_timer_add(loop, RECONNECT_RETRY_MS, connect_batch, b);
		return;
	}
	for (int i = 0; i < CONNECT_BATCH && b->qlen > 0; i++) {
		struct sim_agent *a = xcalloc(1, sizeof(*a));
		a->b = b;
		a->index = b->queue[b->qhead];
		b->qhead = (b->qhead + 1) % b->want;
		b->qlen--;
		if (a->index == b->started)
			b->started++;
		proto_auth_client_init(&a->auth, PROTO_KIND_AGENT, b->principal, b->secret);
		b->conns[a->index] = conn_connect(loop, b->host, b->port, CONNECT_TIMEOUT_MS,
		                                  &agent_ops, a, PROTO_LINE_MAX, AGENT_OUT_MAX,
		                                  err, sizeof(err));
		if (b->conns[a->index] == NULL) {
			fprintf(stderr, "loadagents: %s\n", err);
			free(a);
		}
	}
	if (b->qlen > 0 && !b->connect_armed) {
		b->connect_armed = 1;
		loop_timer_add(loop, CONNECT_TICK_MS, connect_batch, b);
	}
}

static void
stop(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

int
main(int argc, char **argv)
{
	struct bench b;
	char err[256];
	struct rlimit rl;

	if (argc < 4 || argc > 7) {
		fprintf(stderr, "usage: loadagents HOST:PORT AGENTS SECONDS [TASKS] [PRINCIPAL SECRET]\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	/* An even count past SECONDS is a credential; an odd one starts with TASKS. */
	if (argc == 6 || argc == 7) {
		b.principal = argv[argc - 2];
		b.secret = argv[argc - 1];
	}
	log_init("loadagents", LOG_LEVEL_WARN);
	if (net_parse_hostport(argv[1], 5050, b.host, sizeof(b.host), &b.port, err,
	                       sizeof(err)) < 0) {
		fprintf(stderr, "loadagents: %s\n", err);
		return 2;
	}
	b.want = atoi(argv[2]);
	int seconds = atoi(argv[3]);
	b.tasks = argc == 5 || argc == 7 ? atoi(argv[4]) : 0;
	b.resources = getenv("LOADAGENTS_RESOURCES");
	if (b.want <= 0 || seconds <= 0 || b.tasks < 0) {
		fprintf(stderr, "loadagents: AGENTS and SECONDS must be positive\n");
		return 2;
	}
	/* One descriptor per simulated agent. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	b.failover = getenv("LOADAGENTS_FAILOVER") != NULL && b.tasks > 0;
	b.queue = xcalloc((size_t)b.want, sizeof(*b.queue));
	b.lost = xcalloc((size_t)b.want, 1);
	b.conns = xcalloc((size_t)b.want, sizeof(*b.conns));
	b.loop = loop_new();
	b.t_first = compat_monotonic_ms();
	for (int i = 0; i < b.want; i++)
		queue_push(&b, i);
	loop_timer_add(b.loop, (int64_t)seconds * 1000, stop, &b);
	loop_run(b.loop);

	double secs = (double)(b.t_last - b.t_first) / 1000.0;
	printf("agents_registered %d agents\n", b.registered);
	printf("agent_register_time %.1f ms\n", secs * 1000.0);
	printf("agent_registrations_per_sec %.0f agents/s\n", secs > 0 ? b.registered / secs : 0.0);
	printf("agent_pings_answered %lld pings\n", b.pongs);
	printf("agent_disconnects %d agents\n", b.closed);
	if (b.resources != NULL)
		printf("agent_tasks_run %lld tasks\n", b.tasks_run);
	int ok = b.registered == b.want;
	if (b.failover) {
		/* The figures only when every agent came back and an offer followed. */
		ok = ok && b.nlost > 0 && b.back == b.nlost && b.t_offer > 0;
		if (ok) {
			printf("failover_lost %d agents\n", b.nlost);
			printf("failover_reregister_all %lld ms\n", (long long)(b.t_rereg - b.t_back));
			printf("failover_first_offer %lld ms\n", (long long)(b.t_offer - b.t_back));
			/* Ours shares the cores with the master's: the wall clock waits on both. */
			printf("failover_loadagents_cpu %lld ms\n", (long long)(b.cpu_offer - b.cpu_back));
		} else {
			fprintf(stderr, "loadagents: failover not measured: %d of %d agents lost, %d back, "
			        "%s offer\n", b.nlost, b.want, b.back, b.t_offer > 0 ? "an" : "no");
		}
	}
	/* Close what is open and let the loop free it (a clean exit under LeakSanitizer). */
	b.ending = 1;
	for (int i = 0; i < b.want; i++)
		if (b.conns[i] != NULL)
			conn_close(b.conns[i], "done");
	if (b.fw != NULL)
		conn_close(b.fw, "done");
	loop_run_once(b.loop, 0);
	loop_free(b.loop);
	free(b.queue);
	free(b.lost);
	free(b.conns);
	return ok ? 0 : 1;
}
