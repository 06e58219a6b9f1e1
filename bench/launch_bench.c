/*
 * bench/launch_bench.c: launch throughput of one agent, as a framework
 * sees it. Runs TASKS tasks of `true`, keeping at most WINDOW of them in
 * flight, launched BATCH to an ACCEPT on the offers the master sends; for
 * each task the time from its ACCEPT to its TASK_RUNNING and to its end.
 * Prints `name value unit` lines:
 *
 *   launch_bench HOST:PORT [TASKS [WINDOW [BATCH [USER [ROUNDS]]]]]
 *                                     with ROUNDS > 0, the tasks go in ROUNDS
 *                                     rounds, each beside as many raw spawns
 *                                     (below) in the order raw, launch,
 *                                     launch, raw, ...: the two rates are
 *                                     measured at the same moments, so a
 *                                     machine whose speed drifts during the
 *                                     run moves both alike
 *   launch_bench --create-cost DIR    microseconds to create an empty file
 *                                     in DIR (made, and left for the caller)
 *   launch_bench --raw-spawn TASKS WINDOW
 *                                     the machine's own limit: `sh -c true`
 *                                     by posix_spawn, WINDOW in flight
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <pwd.h>
#include <spawn.h>
#include <time.h>
#include <fcntl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "net.h"
#include "proto.h"
#include "res.h"
#include "xmem.h"

#define DEFAULT_TASKS 2000
#define DEFAULT_WINDOW 64
#define DEFAULT_BATCH 8
#define OFFERS_MAX 64
#define HOST_MAX 256
#define ERR_MAX 256
#define ID_LEN 32
#define READ_POLL_MS 100
#define TIMEOUT_MS 300000
#define DEFAULT_PORT 5050
#define US_PER_MS 1000
#define NS_PER_MS 1e6
#define MS_PER_S 1000.0
#define PERCENT_50 50
#define PERCENT_99 99
#define PERCENT 100
/* Fewer samples than this and p99 is just one of the worst few: not printed. */
#define P99_MIN_SAMPLES 100
#define FAILURES_SHOWN 20           /* failed tasks named on stderr; the rest counted */
#define DEC_BASE 10
#define CHUNK 65536
#define TASK_CPUS 10                /* thousandths of a cpu: cpus:0.01 */
#define TASK_MEM 16000              /* thousandths of a MB: mem:16 */

struct bench {
	int fd;
	struct buf in;
	struct buf out;            /* what one read's lines answer, sent as one write */
	long tasks, window, batch;
	long launched, running, ended, failed;
	long round_end;            /* launches stop here until the round's tasks have ended */
	long dropped;              /* failed as TASK_DROPPED: never started */
	long failed_running;       /* failed after their TASK_RUNNING */
	long running_twice;        /* a second TASK_RUNNING: started twice */
	double *t_launch, *t_running, *t_end;
	char **running_uuid;       /* each task's first TASK_RUNNING: a resend repeats it */
	struct offer {
		char id[ID_LEN * 2];
		int64_t cpus, mem;        /* thousandths, as res.h keeps them */
	} offers[OFFERS_MAX];
	int noffers;
	const char *user;
};

/* Sub-millisecond: a launch takes a few ms, so whole ms would hide its spread. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * MS_PER_S + (double)ts.tv_nsec / NS_PER_MS;
}

/* Everything sent waits in b->out for flush: one write per read, as a framework that batches. */
static void
send_buf(struct bench *b, struct buf *m)
{
	if (proto_end(m) == -1) {
		fprintf(stderr, "launch_bench: message too long\n");
		exit(1);
	}
	buf_append(&b->out, m->data, m->len);
	buf_free(m);
}

static void
flush(struct bench *b)
{
	size_t off = 0;

	while (off < b->out.len) {
		ssize_t n = compat_send(b->fd, b->out.data + off, b->out.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "launch_bench: send: %s\n", strerror(errno));
			exit(1);
		}
		off += (size_t)n;
	}
	buf_reset(&b->out);
}

static long
fits(const struct offer *o)
{
	long by_cpus = (long)(o->cpus / TASK_CPUS), by_mem = (long)(o->mem / TASK_MEM);

	return by_cpus < by_mem ? by_cpus : by_mem;
}

static void
drop_offer(struct bench *b, int i)
{
	b->offers[i] = b->offers[--b->noffers];
}

/*
 * Launch a batch on the roomiest held offer while the window has room.
 * Freed resources come back as small offers; when none fits a task, all
 * are declined at once so the master offers them again as one.
 */
static void
launch_some(struct bench *b)
{
	while (b->noffers > 0 && b->launched < b->round_end && b->launched - b->ended < b->window) {
		struct buf m;
		long room = b->window - (b->launched - b->ended), n;
		int best = 0;
		double t = now_ms();

		for (int i = 1; i < b->noffers; i++)
			if (fits(&b->offers[i]) > fits(&b->offers[best]))
				best = i;
		n = fits(&b->offers[best]);
		if (n == 0) {
			while (b->noffers > 0) {
				buf_init(&m, 0);
				proto_begin(&m, "DECLINE");
				proto_add(&m, "offer_id", b->offers[0].id);
				proto_add(&m, "refuse_seconds", "0");
				send_buf(b, &m);
				drop_offer(b, 0);
			}
			return;
		}
		if (n > b->batch)
			n = b->batch;
		if (n > room)
			n = room;
		if (n > b->round_end - b->launched)
			n = b->round_end - b->launched;
		buf_init(&m, 0);
		proto_begin(&m, "ACCEPT");
		proto_add(&m, "offer_id", b->offers[best].id);
		proto_add(&m, "refuse_seconds", "0");
		for (long i = 0; i < n; i++) {
			char id[ID_LEN];
			snprintf(id, sizeof(id), "t%ld", b->launched + i);
			proto_add(&m, "task_id", id);
			proto_add(&m, "command", "true");
			proto_add(&m, "resources", "cpus:0.01;mem:16");
			b->t_launch[b->launched + i] = t;
		}
		b->launched += n;
		drop_offer(b, best);
		send_buf(b, &m);
	}
}

static void
on_update(struct bench *b, const struct proto_msg *m)
{
	const char *id = proto_get(m, "task_id"), *state = proto_get(m, "state");
	const char *uuid = proto_get(m, "uuid"), *agent = proto_get(m, "agent_id");
	long i = id && id[0] == 't' ? strtol(id + 1, NULL, DEC_BASE) : -1;
	struct buf a;

	if (uuid != NULL) {
		struct proto_ack ack = { NULL, id ? id : "", agent ? agent : "", uuid };

		buf_init(&a, 0);
		proto_ack_compose(&a, &ack);
		send_buf(b, &a);
	}
	if (i < 0 || i >= b->tasks || state == NULL)
		return;
	if (strcmp(state, "TASK_RUNNING") == 0 && b->t_running[i] == 0) {
		b->t_running[i] = now_ms();
		b->running++;
		b->running_uuid[i] = xstrdup(uuid != NULL ? uuid : "");
	} else if (strcmp(state, "TASK_RUNNING") == 0) {
		/* A resent update (its ack lost to a crash) repeats its uuid; a new one is a second start. */
		if (strcmp(b->running_uuid[i], uuid != NULL ? uuid : "") != 0 && b->running_twice++ == 0)
			fprintf(stderr, "launch_bench: %s reported TASK_RUNNING twice\n", id);
	} else if (proto_state_terminal(state) && b->t_end[i] == 0) {
		b->t_end[i] = now_ms();
		b->ended++;
		if (strcmp(state, "TASK_DROPPED") == 0)
			b->dropped++;
		if (strcmp(state, "TASK_FINISHED") != 0) {
			/* One that ran and then failed is not one that never started: said apart. */
			if (b->t_running[i] != 0)
				b->failed_running++;
			if (b->failed++ < FAILURES_SHOWN)
				fprintf(stderr, "launch_bench: failed: %s %s%s %s\n", id, state,
				    b->t_running[i] != 0 ? " after TASK_RUNNING" : "",
				    proto_get(m, "message") ? proto_get(m, "message") : "");
		}
	}
}

static void
on_line(struct bench *b, char *line, size_t len)
{
	struct proto_msg m;
	char err[ERR_MAX];
	struct buf out;

	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) == -1) {
		proto_msg_free(&m);
		return;
	}
	if (strcmp(m.verb, "WELCOME") == 0) {
		buf_init(&out, 0);
		proto_begin(&out, "SUBSCRIBE");
		proto_add(&out, "name", "launch_bench");
		proto_add(&out, "user", b->user);
		send_buf(b, &out);
	} else if (strcmp(m.verb, "OFFER") == 0 && b->noffers < OFFERS_MAX) {
		struct offer *o = &b->offers[b->noffers++];
		struct res r;

		res_init(&r);
		snprintf(o->id, sizeof(o->id), "%s", proto_get(&m, "offer_id"));
		o->cpus = o->mem = 0;
		if (res_parse(&r, proto_get(&m, "resources") ? proto_get(&m, "resources") : "", err,
		        sizeof(err)) == 0) {
			o->cpus = res_scalar(&r, "cpus");
			o->mem = res_scalar(&r, "mem");
		}
		res_free(&r);
	} else if (strcmp(m.verb, "STATUS_UPDATE") == 0) {
		on_update(b, &m);
	} else if (strcmp(m.verb, "PING") == 0) {
		buf_init(&out, 0);
		proto_begin(&out, "PONG");
		if (proto_get(&m, "seq"))
			proto_add(&out, "seq", proto_get(&m, "seq"));
		send_buf(b, &out);
	} else if (strcmp(m.verb, "ERROR") == 0) {
		fprintf(stderr, "launch_bench: master: %s\n", proto_get(&m, "reason"));
		exit(1);
	}
	proto_msg_free(&m);
}

#define CREATE_PROBE_FILES 500
#define US_PER_S 1e6

/* The mean cost of creating a file in dir: what a launch pays six times (three of them mkdir). */
static int
create_cost(const char *dir)
{
	char path[HOST_MAX * 4];
	struct timeval t0, t1;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "launch_bench: mkdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	gettimeofday(&t0, NULL);
	for (int i = 0; i < CREATE_PROBE_FILES; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1) {
			fprintf(stderr, "launch_bench: create %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
	}
	gettimeofday(&t1, NULL);
	printf("%.1f\n", ((t1.tv_sec - t0.tv_sec) * US_PER_S + (t1.tv_usec - t0.tv_usec)) /
	    CREATE_PROBE_FILES);
	return 0;
}

extern char **environ;

/*
 * The raw process-creation rate a launch is compared with, measured in the
 * same run: posix_spawn of `/bin/sh -c true` and wait, window in flight.
 */
static int
raw_spawn_timed(long tasks, long window, double *seconds)
{
	char *args[] = { "sh", "-c", "true", NULL };
	struct timeval t0, t1;
	long started = 0, ended = 0;

	gettimeofday(&t0, NULL);
	while (ended < tasks) {
		int status;

		while (started < tasks && started - ended < window) {
			pid_t pid;
			int rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, args, environ);

			if (rc != 0) {
				fprintf(stderr, "launch_bench: posix_spawn: %s: no figure\n", strerror(rc));
				return -1;
			}
			started++;
		}
		if (wait(&status) == -1) {
			fprintf(stderr, "launch_bench: wait: %s: no figure\n", strerror(errno));
			return -1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "launch_bench: sh -c true failed: no figure\n");
			return -1;
		}
		ended++;
	}
	gettimeofday(&t1, NULL);
	*seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_usec - t0.tv_usec) / US_PER_S;
	return 0;
}

static int
raw_spawn(long tasks, long window)
{
	double seconds;

	if (tasks <= 0 || window <= 0) {
		fprintf(stderr, "launch_bench: --raw-spawn TASKS WINDOW: both positive\n");
		return 1;
	}
	if (raw_spawn_timed(tasks, window, &seconds) == -1)
		return 1;
	printf("raw_spawn_w%ld_per_s %.0f spawns/s\n", window, (double)tasks / seconds);
	return 0;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
percentile(double *v, long n, int p)
{
	long i = (n * p + PERCENT - 1) / PERCENT - 1;

	return n > 0 ? v[i < 0 ? 0 : i] : 0;
}

/*
 * Print the figures, or none when what was measured did not happen: a failed
 * task ends fast, so a run of failures would print a better rate than an
 * honest one. Returns the exit status.
 */
/* What the rounds measured: each round's time, summed, leaves out the pauses between them. */
struct timing {
	double launch_ms;          /* each round's first ACCEPT to its last TASK_RUNNING */
	double complete_ms;        /* each round's first ACCEPT to its last end */
	double raw_s;              /* the raw spawns' time, all rounds */
	long raw_spawns;
};

static int
report(const struct bench *b, double *lat, long nlat, const struct timing *t)
{
	if (b->failed > 0) {
		fprintf(stderr, "launch_bench: %ld of %ld tasks failed, %ld of them TASK_DROPPED, %ld after "
		    "TASK_RUNNING (as user %s): no figure\n", b->failed, b->tasks, b->dropped,
		    b->failed_running, b->user);
		return 1;
	}
	if (b->running_twice > 0) {
		fprintf(stderr, "launch_bench: %ld task(s) reported TASK_RUNNING twice: no figure\n",
		    b->running_twice);
		return 1;
	}
	if (nlat < b->tasks) {
		fprintf(stderr, "launch_bench: only %ld of %ld tasks reported TASK_RUNNING: no figure\n",
		    nlat, b->tasks);
		return 1;
	}
	qsort(lat, (size_t)nlat, sizeof(double), by_value);
	printf("launch_w%ld_b%ld_tasks %ld tasks\n", b->window, b->batch, b->tasks);
	printf("launch_w%ld_b%ld_launches_per_s %.0f tasks/s\n", b->window, b->batch,
	    (double)nlat / (t->launch_ms / MS_PER_S));
	printf("launch_w%ld_b%ld_completions_per_s %.0f tasks/s\n", b->window, b->batch,
	    (double)b->ended / (t->complete_ms / MS_PER_S));
	printf("launch_w%ld_b%ld_to_running_p50_n%ld %.1f ms\n", b->window, b->batch, nlat,
	    percentile(lat, nlat, PERCENT_50));
	if (nlat >= P99_MIN_SAMPLES)
		printf("launch_w%ld_b%ld_to_running_p99_n%ld %.1f ms\n", b->window, b->batch, nlat,
		    percentile(lat, nlat, PERCENT_99));
	else
		fprintf(stderr, "launch_bench: %ld samples, fewer than %d: no p99\n", nlat,
		    P99_MIN_SAMPLES);
	if (t->raw_spawns > 0) {
		double raw = (double)t->raw_spawns / t->raw_s;

		printf("raw_spawn_w%ld_per_s %.0f spawns/s\n", b->window, raw);
		printf("launch_w%ld_b%ld_launches_vs_raw_spawn %.2f ratio\n", b->window, b->batch,
		    (double)nlat / (t->launch_ms / MS_PER_S) / raw);
	}
	return 0;
}

/*
 * Reads and answers the master until the current round's tasks have all
 * ended. Returns 0, or 1 (said on stderr) when the run cannot go on.
 */
static int
run_round(struct bench *b, double start)
{
	while (b->ended < b->round_end) {
		char chunk[CHUNK];
		ssize_t n;
		char *nl;

		if (now_ms() - start > TIMEOUT_MS) {
			fprintf(stderr, "launch_bench: timed out: %ld of %ld tasks ended\n", b->ended, b->tasks);
			return 1;
		}
		launch_some(b);
		flush(b);
		n = read(b->fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (n <= 0) {
			fprintf(stderr, "launch_bench: the master closed the connection\n");
			return 1;
		}
		buf_append(&b->in, chunk, (size_t)n);
		while ((nl = memchr(b->in.data, '\n', b->in.len)) != NULL) {
			size_t len = (size_t)(nl - b->in.data);
			*nl = '\0';
			on_line(b, b->in.data, len);
			buf_consume(&b->in, len + 1);
		}
	}
	return 0;
}

/* One round of raw spawns, its time added to t's. Returns 0, or 1 (said on stderr). */
static int
raw_round(long spawns, long window, struct timing *t)
{
	double seconds;

	if (raw_spawn_timed(spawns, window, &seconds) == -1)
		return 1;
	t->raw_s += seconds;
	t->raw_spawns += spawns;
	return 0;
}

/* One round's span, from its tasks' own times: tasks [from, to). */
static void
time_round(const struct bench *b, long from, long to, struct timing *t)
{
	double first = 0, last_running = 0, last_end = 0;

	for (long i = from; i < to; i++) {
		if (first == 0 || b->t_launch[i] < first)
			first = b->t_launch[i];
		if (b->t_running[i] > last_running)
			last_running = b->t_running[i];
		if (b->t_end[i] > last_end)
			last_end = b->t_end[i];
	}
	if (last_running > first)
		t->launch_ms += last_running - first;
	if (last_end > first)
		t->complete_ms += last_end - first;
}

int
main(int argc, char **argv)
{
	struct bench b;
	char host[HOST_MAX], err[ERR_MAX];
	int port;
	struct timeval tv;
	struct buf m;
	struct timing timing;
	double start, *lat;
	long nlat = 0, rounds = 0;
	int status = 0;

	memset(&b, 0, sizeof(b));
	if (argc == 3 && strcmp(argv[1], "--create-cost") == 0)
		return create_cost(argv[2]);
	if (argc == 4 && strcmp(argv[1], "--raw-spawn") == 0)
		return raw_spawn(strtol(argv[2], NULL, DEC_BASE), strtol(argv[3], NULL, DEC_BASE));
	if (argc < 2 || net_parse_hostport(argv[1], DEFAULT_PORT, host, sizeof(host), &port, err,
	        sizeof(err)) == -1) {
		fprintf(stderr, "usage: launch_bench HOST:PORT [TASKS [WINDOW [BATCH [USER [ROUNDS]]]]]\n");
		return 2;
	}
	b.tasks = argc > 2 ? strtol(argv[2], NULL, DEC_BASE) : DEFAULT_TASKS;
	b.window = argc > 3 ? strtol(argv[3], NULL, DEC_BASE) : DEFAULT_WINDOW;
	b.batch = argc > 4 ? strtol(argv[4], NULL, DEC_BASE) : DEFAULT_BATCH;
	if (argc > 6)
		rounds = strtol(argv[6], NULL, DEC_BASE);
	if (argc > 5) {
		b.user = argv[5];
	} else {
		const struct passwd *pw = getpwuid(geteuid());

		if (pw == NULL) {
			fprintf(stderr, "launch_bench: no name for uid %ld: give USER\n", (long)geteuid());
			return 2;
		}
		b.user = pw->pw_name;
	}
	if (b.tasks < 1 || b.window < 1 || b.batch < 1 || b.batch > b.window) {
		fprintf(stderr, "launch_bench: TASKS, WINDOW and BATCH must be positive, BATCH <= WINDOW\n");
		return 2;
	}
	if (rounds < 0 || rounds > b.tasks) {
		fprintf(stderr, "launch_bench: ROUNDS must be 0 (no raw spawns) to TASKS\n");
		return 2;
	}
	b.t_launch = xcalloc((size_t)b.tasks, sizeof(double));
	b.t_running = xcalloc((size_t)b.tasks, sizeof(double));
	b.running_uuid = xcalloc((size_t)b.tasks, sizeof(char *));
	b.t_end = xcalloc((size_t)b.tasks, sizeof(double));
	b.fd = net_connect_blocking(host, port, TIMEOUT_MS, err, sizeof(err));
	if (b.fd == -1) {
		fprintf(stderr, "launch_bench: %s\n", err);
		return 1;
	}
	tv.tv_sec = 0;
	tv.tv_usec = READ_POLL_MS * US_PER_MS;
	setsockopt(b.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	buf_init(&b.in, 0);
	buf_init(&b.out, 0);
	buf_init(&m, 0);
	proto_hello_compose(&m, PROTO_KIND_FRAMEWORK);
	send_buf(&b, &m);
	flush(&b);
	start = now_ms();
	memset(&timing, 0, sizeof(timing));
	for (long r = 0; r < (rounds > 0 ? rounds : 1) && status == 0; r++) {
		long from = b.launched;
		long size = rounds > 0 ? b.tasks / rounds + (r < b.tasks % rounds) : b.tasks;
		/* raw, launch, launch, raw, ...: a steady drift weighs on both alike. */
		int raw_first = r % 2 == 0;

		if (rounds > 0 && raw_first)
			status = raw_round(size, b.window, &timing);
		b.round_end = from + size;
		if (status == 0)
			status = run_round(&b, start);
		time_round(&b, from, b.round_end, &timing);
		if (status == 0 && rounds > 0 && !raw_first)
			status = raw_round(size, b.window, &timing);
	}
	lat = xcalloc((size_t)b.tasks, sizeof(double));
	if (status == 0) {
		buf_init(&m, 0);
		proto_begin(&m, "TEARDOWN");
		send_buf(&b, &m);
		flush(&b);
		for (long i = 0; i < b.tasks; i++)
			if (b.t_running[i] > 0)
				lat[nlat++] = b.t_running[i] - b.t_launch[i];
		status = report(&b, lat, nlat, &timing);
	}
	free(lat);
	free(b.t_launch);
	for (long i = 0; i < b.tasks; i++)
		free(b.running_uuid[i]);
	free(b.running_uuid);
	free(b.t_running);
	free(b.t_end);
	buf_free(&b.in);
	buf_free(&b.out);
	close(b.fd);
	return status;
}
