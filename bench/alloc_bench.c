/*
 * bench/alloc_bench.c: the allocator's figures. One full allocation pass,
 * memory, adding agents and recovering resources, at 1,000, 10,000 and 50,000
 * agents with 10, 100 and 1,000 frameworks in 10 roles; then the shape of
 * Mesos's DeclineOffers benchmark (10,000 agents, 1,000 frameworks in one
 * role, every framework declining everything for ever) so the two can be
 * compared. Prints one "name value unit" line per figure. A last case
 * runs that shape with 100 frameworks to saturation, where almost every
 * framework refuses almost every agent, and reports its worst round and
 * the round in which everything is refused.
 *
 * Memory is the growth of the peak resident set (getrusage ru_maxrss,
 * KiB on Linux and the BSDs) while the allocator is built and makes its
 * first pass. Each case runs in a child process of its own so one case's
 * freed heap cannot hide the next one's growth; the figure includes
 * malloc's overhead, which is what a daemon would actually pay.
 *
 * A pass that made the wrong number of offers measured something else: its
 * case prints no figure, says so on stderr, and alloc_bench exits 1.
 */
#include "alloc.h"
#include "res.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEED 1
#define ROLES 10
#define GRID_PASSES 5                 /* timed passes per grid case; the median is shown */
#define MESOS_AGENTS 10000
#define MESOS_FWS 1000
#define MESOS_ROUNDS 10
#define SATURATE_FWS 100
#define SATURATE_EXTRA_ROUNDS 2       /* rounds past the one that refuses all */
#define INTERVAL_MS 1000              /* simulated time between passes */
#define FOREVER_MS 1000000000000LL    /* "refuse for ever": Mesos uses INT_MAX seconds */
#define NAME_BYTES 32
#define ERR_BYTES 256
#define KIB_PER_MIB 1024.0
#define MS_PER_S 1e3
#define NS_PER_MS 1e6
#define US_PER_MS 1e3
#define FIGURES_BYTES 8192           /* one case's figure lines, printed at its end */

#define AGENT_RES "cpus:24;mem:4096;disk:4096;ports:[31000-32000]"
#define MESOS_USED "cpus:16"
#define MESOS_FREE "cpus:8;mem:4096;disk:4096;ports:[31000-32000]"

static const size_t grid_agents[] = { 1000, 10000, 50000 };
static const size_t grid_fws[] = { 10, 100, 1000 };

struct taken {
	size_t n, cap;
	struct alloc_fw **fw;
	struct alloc_agent **ag;
};

/* Record who got what; agents go whole, so the resources are known. */
static void
record(struct alloc_fw *fw, struct alloc_agent *ag, const struct res *offer, void *arg)
{
	struct taken *t = arg;

	(void)offer;
	if (t->n < t->cap) {
		t->fw[t->n] = fw;
		t->ag[t->n] = ag;
		t->n++;
	}
}

static void
taken_init(struct taken *t, size_t cap)
{
	t->n = 0;
	t->cap = cap;
	t->fw = calloc(cap, sizeof(*t->fw));
	t->ag = calloc(cap, sizeof(*t->ag));
	if (t->fw == NULL || t->ag == NULL) {
		fprintf(stderr, "alloc_bench: out of memory\n");
		exit(1);
	}
}

static void
taken_free(struct taken *t)
{
	free(t->fw);
	free(t->ag);
}

/* The running case's figures: held back until it is known to have measured what it says. */
static char figures[FIGURES_BYTES];
static size_t figures_len;

static void
figure(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(figures + figures_len, sizeof(figures) - figures_len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(figures) - figures_len) {
		fprintf(stderr, "alloc_bench: figures of one case exceed %d bytes\n", FIGURES_BYTES);
		exit(1);
	}
	figures_len += (size_t)n;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * MS_PER_S + (double)ts.tv_nsec / NS_PER_MS;
}

/* The process's cpu time: on a loaded machine a pass's wall time counts other work too. */
static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * MS_PER_S + (double)ts.tv_nsec / NS_PER_MS;
}

static long
maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void
parse(struct res *r, const char *s)
{
	char err[ERR_BYTES];

	res_init(r);
	if (res_parse(r, s, err, sizeof(err)) < 0) {
		fprintf(stderr, "alloc_bench: %s\n", err);
		exit(1);
	}
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static struct alloc_agent **
add_agents(struct alloc *a, size_t n, const struct res *total)
{
	struct alloc_agent **ag = calloc(n, sizeof(*ag));

	if (ag == NULL) {
		fprintf(stderr, "alloc_bench: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		char name[NAME_BYTES];

		snprintf(name, sizeof(name), "agent%zu", i);
		ag[i] = alloc_agent_add(a, name, total, NULL);
	}
	return ag;
}

static struct alloc_fw **
add_fws(struct alloc *a, size_t n, size_t roles)
{
	struct alloc_fw **fw = calloc(n, sizeof(*fw));

	if (fw == NULL) {
		fprintf(stderr, "alloc_bench: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		char name[NAME_BYTES], role[NAME_BYTES];

		snprintf(name, sizeof(name), "fw%04zu", i);
		if (roles > 1)
			snprintf(role, sizeof(role), "role%zu", i % roles);
		else
			snprintf(role, sizeof(role), "*");
		fw[i] = alloc_fw_add(a, name, role, 1, NULL);
	}
	return fw;
}

/* Frameworks decline what they got, with a filter of refuse_ms (0: none). */
static void
decline(struct alloc *a, struct taken *t, const struct res *r, int64_t refuse_ms, int64_t now)
{
	for (size_t i = 0; i < t->n; i++)
		alloc_recover(a, t->fw[i], t->ag[i], r, refuse_ms, now);
	t->n = 0;
}

/* Grid case: frameworks decline without a filter, so every pass is full. Returns -1 on a wrong offer count. */
static int
bench_grid(size_t nagents, size_t nfws)
{
	long rss0 = maxrss_kib();
	struct alloc *a = alloc_new(SEED);
	struct res total;
	struct taken t;
	struct alloc_agent **ag;
	struct alloc_fw **fw;
	double start, start_cpu, add_ms, recover_ms, pass[GRID_PASSES], pass_cpu[GRID_PASSES];
	int64_t now = 0;
	size_t offered;
	int ok = 1;

	parse(&total, AGENT_RES);
	taken_init(&t, nagents);
	fw = add_fws(a, nfws, ROLES);
	start = now_ms();
	ag = add_agents(a, nagents, &total);
	add_ms = now_ms() - start;

	offered = alloc_run(a, now, 0, record, &t);
	figure("alloc_mem_%zuagents_%zufw %.1f MiB\n", nagents, nfws,
	       (double)(maxrss_kib() - rss0) / KIB_PER_MIB);
	start = now_ms();
	decline(a, &t, &total, 0, now);
	recover_ms = now_ms() - start;

	for (size_t k = 0; k < GRID_PASSES; k++) {
		now += INTERVAL_MS;
		start = now_ms();
		start_cpu = cpu_ms();
		alloc_run(a, now, 0, record, &t);
		pass_cpu[k] = cpu_ms() - start_cpu;
		pass[k] = now_ms() - start;
		if (t.n != nagents) {
			fprintf(stderr, "alloc_bench: %zu agents x %zu frameworks: pass %zu made %zu offers, "
			    "expected %zu\n", nagents, nfws, k, t.n, nagents);
			ok = 0;
		}
		decline(a, &t, &total, 0, now);
	}
	figure("alloc_pass_%zuagents_%zufw_%droles %.2f ms\n", nagents, nfws, ROLES,
	       median(pass, GRID_PASSES));
	figure("alloc_pass_cpu_%zuagents_%zufw_%droles %.2f ms\n", nagents, nfws, ROLES,
	       median(pass_cpu, GRID_PASSES));
	if (nfws == grid_fws[sizeof(grid_fws) / sizeof(grid_fws[0]) - 1])
		figure("alloc_add_%zuagents %.1f ms\n", nagents, add_ms);
	if (nfws == grid_fws[sizeof(grid_fws) / sizeof(grid_fws[0]) - 1] &&
	    nagents == grid_agents[sizeof(grid_agents) / sizeof(grid_agents[0]) - 1])
		figure("alloc_recover %.2f us\n", recover_ms * US_PER_MS / (double)(offered ? offered : 1));
	if (offered != nagents) {
		fprintf(stderr, "alloc_bench: %zu agents x %zu frameworks: first pass made %zu offers, "
		    "expected %zu\n", nagents, nfws, offered, nagents);
		ok = 0;
	}
	alloc_free(a);
	res_free(&total);
	taken_free(&t);
	free(ag);
	free(fw);
	return ok ? 0 : -1;
}

/*
 * Mesos's DeclineOffers (hierarchical_allocator_tests.cpp): frameworks
 * first, then agents with 16 of their 24 cpus already used by one
 * framework each, round robin; every offer is declined for ever.
 * rounds == 0: run until every framework refuses every agent.
 * Returns -1 when a counted round made the wrong number of offers.
 */
static int
bench_declineoffers(size_t nfws, size_t rounds)
{
	struct alloc *a = alloc_new(SEED);
	struct res total, used, rest;
	struct taken t;
	struct alloc_agent **ag;
	struct alloc_fw **fw;
	size_t nrounds = rounds ? rounds : nfws + SATURATE_EXTRA_ROUNDS;
	double start, add_ms, worst = 0.0, last = 0.0;
	double *round = calloc(nrounds, sizeof(*round));
	int64_t now = 0;
	int ok = 1;

	if (round == NULL) {
		fprintf(stderr, "alloc_bench: out of memory\n");
		exit(1);
	}
	parse(&total, AGENT_RES);
	parse(&used, MESOS_USED);
	parse(&rest, MESOS_FREE);
	taken_init(&t, MESOS_AGENTS);
	fw = add_fws(a, nfws, 1);
	start = now_ms();
	ag = add_agents(a, MESOS_AGENTS, &total);
	for (size_t i = 0; i < MESOS_AGENTS; i++)
		alloc_allocate(a, fw[i % nfws], ag[i], &used);
	add_ms = now_ms() - start;

	for (size_t k = 0; k < nrounds; k++) {
		now += INTERVAL_MS;
		start = now_ms();
		alloc_run(a, now, 0, record, &t);
		round[k] = last = now_ms() - start;
		if (t.n > 0 && round[k] > worst)
			worst = round[k];
		if (rounds && t.n != MESOS_AGENTS) {
			fprintf(stderr, "alloc_bench: declineoffers %zu frameworks: round %zu made %zu "
			    "offers, expected %d\n", nfws, k, t.n, MESOS_AGENTS);
			ok = 0;
		}
		if (rounds)
			figure("alloc_pass_mesos_declineoffers_%dagents_%zufw_round%zu %.2f ms\n",
			       MESOS_AGENTS, nfws, k, round[k]);
		decline(a, &t, &rest, FOREVER_MS, now);
	}
	if (rounds) {
		figure("alloc_add_mesos_declineoffers_%dagents %.1f ms\n", MESOS_AGENTS, add_ms);
		figure("alloc_pass_mesos_declineoffers_%dagents_%zufw %.2f ms\n", MESOS_AGENTS, nfws,
		       median(round, nrounds));
	} else {
		figure("alloc_pass_declineoffers_worst_round_%dagents_%zufw %.2f ms\n", MESOS_AGENTS,
		       nfws, worst);
		figure("alloc_pass_declineoffers_all_refused_%dagents_%zufw %.2f ms\n", MESOS_AGENTS,
		       nfws, last);
	}
	alloc_free(a);
	res_free(&total);
	res_free(&used);
	res_free(&rest);
	taken_free(&t);
	free(round);
	free(ag);
	free(fw);
	return ok ? 0 : -1;
}

/* Print the case's figures if it measured what they say; -1 (and none) if not. */
static int
finish_case(int status)
{
	if (status == 0)
		fputs(figures, stdout);
	figures_len = 0;
	figures[0] = '\0';
	fflush(stdout);
	return status;
}

/* Run one case in a child, so its memory figure starts from a clean heap. Returns -1 if it failed. */
static int
isolated(int (*fn)(size_t, size_t), size_t x, size_t y)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return finish_case(fn(x, y));
	if (pid == 0)
		_exit(finish_case(fn(x, y)) == 0 ? 0 : 1);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "alloc_bench: case %zu x %zu failed: no figure\n", x, y);
		return -1;
	}
	return 0;
}

static int
declineoffers_case(size_t nfws, size_t rounds)
{
	return bench_declineoffers(nfws, rounds);
}

/* --smoke: one small case of each kind, to show in CI that each still measures. */
#define SMOKE_AGENTS 1000
#define SMOKE_FWS 10
#define SMOKE_DECLINE_FWS 10

int
main(int argc, char **argv)
{
	int failed = 0;

	if (argc == 2 && strcmp(argv[1], "--smoke") == 0) {
		failed |= isolated(bench_grid, SMOKE_AGENTS, SMOKE_FWS) != 0;
		failed |= isolated(declineoffers_case, SMOKE_DECLINE_FWS, MESOS_ROUNDS) != 0;
		return failed;
	}
	if (argc == 4 && strcmp(argv[1], "--case") == 0) {
		size_t nagents = strtoul(argv[2], NULL, 10), nfws = strtoul(argv[3], NULL, 10);

		if (nagents == 0 || nfws == 0) {
			fprintf(stderr, "alloc_bench: --case wants two counts above 0\n");
			return 2;
		}
		return isolated(bench_grid, nagents, nfws) != 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: alloc_bench [--smoke | --case AGENTS FRAMEWORKS]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(grid_agents) / sizeof(grid_agents[0]); i++)
		for (size_t j = 0; j < sizeof(grid_fws) / sizeof(grid_fws[0]); j++)
			failed |= isolated(bench_grid, grid_agents[i], grid_fws[j]) != 0;
	failed |= isolated(declineoffers_case, MESOS_FWS, MESOS_ROUNDS) != 0;
	failed |= isolated(declineoffers_case, SATURATE_FWS, 0) != 0;
	return failed;
}
