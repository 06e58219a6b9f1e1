/*
 * bench/plugin_bench.c: poses as AGENTS agents with room for many tiny
 * tasks and times the framework bench/plugin_bench_fw.so, whichever way
 * it is run. Each RUN_TASK carries bench_ts, when the framework got the
 * offer; its arrival here gives offer -> launch at the agent. Every task
 * is reported running and finished at once, so its resources come back
 * and the framework's next offer follows: the launches counted over
 * SECONDS are the offers the framework handled (flood). With "paced",
 * each agent has room for one task only and finishes it PACE_MS after
 * the launch, so offers come one at a time and the latency is that of an
 * unloaded round trip.
 *
 *   plugin_bench HOST:PORT AGENTS SECONDS LABEL [paced]
 *
 * Prints `name value unit` lines prefixed with LABEL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "id.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "proto.h"
#include "xmem.h"

#define CONNECT_TIMEOUT_MS 10000
#define AGENT_OUT_MAX (16u << 20)
#define AGENT_RESOURCES "cpus:64;mem:65536;disk:1000"
#define PACED_RESOURCES "cpus:0.01;mem:1"    /* one bench task exactly */
#define PACE_MS 5                            /* paced: a task runs this long */
#define WARMUP_MS 1000              /* launches before this are not counted */
#define SAMPLES_MAX 2000000         /* latencies kept */
#define UUID_HEX 16
#define MS_PER_S 1000.0
#define P50 0.50
#define P99 0.99

struct bench {
	struct loop *loop;
	char host[256];
	int port;
	int want, registered, closed;
	int paced;
	struct pending *pending;       /* paced: tasks still to finish */
	int64_t t_start;               /* all registered + warm-up: counting starts */
	int64_t t_end;
	long long launches;
	double *lat_ms;
	size_t nlat;
};

struct sim_agent {
	struct bench *b;
	int index;
	char *id;
	struct conn *conn;
};

/* A paced task to report finished later. */
struct pending {
	struct sim_agent *a;
	char *framework_id, *task_id;
	struct pending *prev, *next;
};

static void
send_line(struct conn *c, struct buf *b)
{
	if (proto_end(b) == 0)
		conn_send(c, b->data, b->len);
}

static void
on_connect(struct conn *c, void *arg)
{
	struct sim_agent *a = arg;
	struct buf b;
	char host[64];

	buf_init(&b, PROTO_LINE_MAX + 2);
	proto_hello_compose(&b, PROTO_KIND_AGENT);
	send_line(c, &b);
	buf_reset(&b);
	snprintf(host, sizeof(host), "bench-%03d", a->index);
	proto_begin(&b, "REGISTER_AGENT");
	proto_add(&b, "hostname", host);
	proto_add(&b, "port", "0");
	proto_add(&b, "resources", a->b->paced ? PACED_RESOURCES : AGENT_RESOURCES);
	proto_add(&b, "attributes", "");
	proto_add(&b, "version", "bench");
	send_line(c, &b);
	buf_free(&b);
}

static void
status(struct conn *c, const char *framework_id, const char *task_id, const char *state)
{
	char uuid[UUID_HEX + 1];
	struct proto_status s = {
		.framework_id = framework_id, .task_id = task_id, .state = state, .uuid = uuid,
		.source = "SOURCE_EXECUTOR", .healthy = PROTO_HEALTHY_NONE,
		.timestamp = compat_wall_time(),
	};
	struct buf b;

	id_random_hex(uuid, UUID_HEX);
	buf_init(&b, PROTO_LINE_MAX + 2);
	proto_status_compose(&b, &s);
	send_line(c, &b);
	buf_free(&b);
}

static void
pending_free(struct bench *b, struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		b->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	free(p->framework_id);
	free(p->task_id);
	free(p);
}

static void
finish_later(struct loop *loop, void *arg)
{
	struct pending *p = arg;

	(void)loop;
	if (p->a->conn != NULL)
		status(p->a->conn, p->framework_id, p->task_id, "TASK_FINISHED");
	pending_free(p->a->b, p);
}

static void
run_task(struct sim_agent *a, struct conn *c, const struct proto_msg *m)
{
	struct bench *b = a->b;
	const char *ts = proto_get(m, "bench_ts");
	const char *fw = proto_get(m, "framework_id"), *task = proto_get(m, "task_id");

	if (b->t_start && loop_now(b->loop) >= b->t_start && !b->t_end) {
		b->launches++;
		if (ts != NULL && b->nlat < SAMPLES_MAX)
			b->lat_ms[b->nlat++] = (compat_wall_time() - atof(ts)) * MS_PER_S;
	}
	if (fw == NULL || task == NULL)
		return;
	status(c, fw, task, "TASK_RUNNING");
	if (!b->paced) {
		status(c, fw, task, "TASK_FINISHED");
		return;
	}
	struct pending *p = xcalloc(1, sizeof(*p));
	p->a = a;
	p->framework_id = xstrdup(fw);
	p->task_id = xstrdup(task);
	p->next = b->pending;
	if (b->pending)
		b->pending->prev = p;
	b->pending = p;
	loop_timer_add(b->loop, PACE_MS, finish_later, p);
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
	if (strcmp(m.verb, "AGENT_REGISTERED") == 0 && a->id == NULL) {
		a->id = xstrdup(proto_get(&m, "agent_id") ? proto_get(&m, "agent_id") : "");
		if (++b->registered == b->want) {
			b->t_start = loop_now(b->loop) + WARMUP_MS;
			fprintf(stderr, "plugin_bench: all %d agents registered\n", b->want);
		}
	} else if (strcmp(m.verb, "RUN_TASK") == 0) {
		run_task(a, c, &m);
	} else if (strcmp(m.verb, "PING") == 0) {
		struct buf out;
		buf_init(&out, 256);
		proto_begin(&out, "PONG");
		if (proto_get(&m, "seq"))
			proto_add(&out, "seq", proto_get(&m, "seq"));
		send_line(c, &out);
		buf_free(&out);
	}
	proto_msg_free(&m);
}

static void
on_close(struct conn *c, const char *reason, void *arg)
{
	struct sim_agent *a = arg;
	(void)c;
	if (a->b->closed++ == 0 && !a->b->t_end)
		fprintf(stderr, "plugin_bench: agent %d disconnected: %s\n", a->index, reason);
	a->conn = NULL;
}

static const struct conn_ops agent_ops = {
	.on_line = on_line,
	.on_connect = on_connect,
	.on_close = on_close,
};

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double
percentile(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return n ? v[i] : 0.0;
}

static void
stop(struct loop *loop, void *arg)
{
	struct bench *b = arg;

	b->t_end = loop_now(loop);
	loop_stop(loop);
}

int
main(int argc, char **argv)
{
	struct bench b;
	char err[256];

	if (argc != 5 && !(argc == 6 && strcmp(argv[5], "paced") == 0)) {
		fprintf(stderr, "usage: plugin_bench HOST:PORT AGENTS SECONDS LABEL [paced]\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	log_init("plugin_bench", LOG_LEVEL_WARN);
	if (net_parse_hostport(argv[1], 5050, b.host, sizeof(b.host), &b.port, err,
	                       sizeof(err)) < 0) {
		fprintf(stderr, "plugin_bench: %s\n", err);
		return 2;
	}
	b.want = atoi(argv[2]);
	b.paced = argc == 6;
	int seconds = atoi(argv[3]);
	const char *label = argv[4];
	if (b.want <= 0 || seconds <= 0) {
		fprintf(stderr, "plugin_bench: AGENTS and SECONDS must be positive\n");
		return 2;
	}
	b.lat_ms = xcalloc(SAMPLES_MAX, sizeof(*b.lat_ms));
	b.loop = loop_new();
	struct sim_agent *agents = xcalloc((size_t)b.want, sizeof(*agents));
	for (int i = 0; i < b.want; i++) {
		struct sim_agent *a = &agents[i];
		a->b = &b;
		a->index = i;
		a->conn = conn_connect(b.loop, b.host, b.port, CONNECT_TIMEOUT_MS, &agent_ops, a,
		                       PROTO_LINE_MAX, AGENT_OUT_MAX, err, sizeof(err));
		if (a->conn == NULL)
			fprintf(stderr, "plugin_bench: %s\n", err);
	}
	loop_timer_add(b.loop, WARMUP_MS + (int64_t)seconds * 1000 + CONNECT_TIMEOUT_MS / 10, stop,
	               &b);
	loop_run(b.loop);

	double window_s = b.t_start && b.t_end > b.t_start ?
	                  (double)(b.t_end - b.t_start) / MS_PER_S : 0.0;
	qsort(b.lat_ms, b.nlat, sizeof(*b.lat_ms), cmp_double);
	printf("%s_offer_to_agent_p50 %.3f ms\n", label, percentile(b.lat_ms, b.nlat, P50));
	printf("%s_offer_to_agent_p99 %.3f ms\n", label, percentile(b.lat_ms, b.nlat, P99));
	printf("%s_offers_per_sec %.0f offers/s\n", label,
	       window_s > 0 ? (double)b.launches / window_s : 0.0);
	for (int i = 0; i < b.want; i++)
		if (agents[i].conn != NULL)
			conn_close(agents[i].conn, "done");
	loop_run_once(b.loop, 0);
	while (b.pending)
		pending_free(&b, b.pending);
	for (int i = 0; i < b.want; i++)
		free(agents[i].id);
	free(agents);
	free(b.lat_ms);
	loop_free(b.loop);
	return b.registered == b.want && b.launches > 0 ? 0 : 1;
}
