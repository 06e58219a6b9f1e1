/*
 * tests/test_alloc.c: unit tests of the allocator. Mesos's sorter test
 * vectors (src/tests/sorter_tests.cpp) replayed through the public API,
 * DRF's worked example from the NSDI 2011 paper, the allocator's own
 * semantics (weights, ties, reservations, filters, quota, candidates,
 * removal during delivery) and a randomised run checking that no resource
 * is ever lost or counted twice.
 */
#include "alloc.h"
#include "buf.h"
#include "json.h"
#include "res.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define POOL_SLOTS 512            /* parsed resources kept alive at once */
#define ORDER_BYTES 512
#define NAMES_MAX 32
#define CLIENTS_MAX 16
#define OFFERS_MAX 256
/* A share is a quotient: equal to its expected value within this. */
#define SHARE_TOLERANCE 1e-9
#define ERR_BYTES 256
#define SEED 42
#define LONG_REFUSE_MS 1000000000
#define FUZZ_FWS 6
#define FUZZ_AGENTS 6
#define FUZZ_STEPS 3000

/* ---- helpers ---- */

static struct res pool[POOL_SLOTS];
static size_t npool;

/* A parsed resource string, valid for the next POOL_SLOTS calls. */
static const struct res *
R(const char *s)
{
	struct res *r = &pool[npool++ % POOL_SLOTS];
	char err[ERR_BYTES];

	res_free(r);
	if (res_parse(r, s, err, sizeof(err)) < 0)
		fprintf(stderr, "bad test resources '%s': %s\n", s, err);
	return r;
}

static void
pool_free(void)
{
	for (size_t i = 0; i < POOL_SLOTS; i++)
		res_free(&pool[i]);
}

/* alloc_sorted as "a,b,c". */
static const char *
order(struct alloc *a)
{
	static char out[ORDER_BYTES];
	const char *names[NAMES_MAX];
	size_t n = alloc_sorted(a, names, NAMES_MAX);

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, names[i]);
	}
	return out;
}

/* Offers collected by a pass, copied: the allocator's own copy dies with it. */
struct offers {
	size_t n;
	struct alloc_fw *fw[OFFERS_MAX];
	struct alloc_agent *ag[OFFERS_MAX];
	struct res r[OFFERS_MAX];
};

static void
collect(struct alloc_fw *fw, struct alloc_agent *ag, const struct res *offer, void *arg)
{
	struct offers *o = arg;

	if (o->n == OFFERS_MAX)
		return;
	o->fw[o->n] = fw;
	o->ag[o->n] = ag;
	res_copy(&o->r[o->n], offer);
	o->n++;
}

static void
offers_reset(struct offers *o)
{
	for (size_t i = 0; i < o->n; i++)
		res_free(&o->r[i]);
	o->n = 0;
}

static size_t
run(struct alloc *a, int64_t now, struct offers *o)
{
	offers_reset(o);
	return alloc_run(a, now, 0, collect, o);
}

/* Decline every collected offer with the given filter. */
static void
decline_all(struct alloc *a, struct offers *o, int64_t refuse_ms, int64_t now)
{
	for (size_t i = 0; i < o->n; i++)
		alloc_recover(a, o->fw[i], o->ag[i], &o->r[i], refuse_ms, now);
	offers_reset(o);
}

static size_t
offers_to(const struct offers *o, const struct alloc_fw *fw)
{
	size_t n = 0;

	for (size_t i = 0; i < o->n; i++)
		n += o->fw[i] == fw;
	return n;
}

/* ---- a Mesos sorter, expressed as frameworks on one or two agents ---- */

struct sorter {
	struct alloc *a;
	struct alloc_agent *ag[2];
	const char *name[CLIENTS_MAX];
	struct alloc_fw *fw[CLIENTS_MAX];
	size_t n;
	int roles;        /* each client its own role (paths), else all in "*" */
};

static void
s_init(struct sorter *s, int roles, const char *total)
{
	memset(s, 0, sizeof(*s));
	s->a = alloc_new(SEED);
	s->roles = roles;
	s->ag[0] = alloc_agent_add(s->a, "agent0", R(total), NULL);
}

static struct alloc_fw *
s_fw(struct sorter *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->fw[i] && strcmp(s->name[i], name) == 0)
			return s->fw[i];
	fprintf(stderr, "no client %s\n", name);
	return NULL;
}

static void
s_add(struct sorter *s, const char *name)
{
	s->name[s->n] = name;
	s->fw[s->n++] = alloc_fw_add(s->a, name, s->roles ? name : "*", 1, NULL);
}

static void
s_alloc(struct sorter *s, const char *name, const char *res)
{
	alloc_allocate(s->a, s_fw(s, name), s->ag[0], R(res));
}

static void
s_unalloc(struct sorter *s, const char *name, const char *res)
{
	alloc_recover(s->a, s_fw(s, name), s->ag[0], R(res), 0, 0);
}

static void
s_remove(struct sorter *s, const char *name)
{
	struct alloc_fw *fw = s_fw(s, name);

	for (size_t i = 0; i < s->n; i++)
		if (s->fw[i] == fw)
			s->fw[i] = NULL;
	alloc_fw_remove(s->a, fw);
}

static void
s_active(struct sorter *s, const char *name, int on)
{
	alloc_fw_activate(s->a, s_fw(s, name), on);
}

static void
s_total(struct sorter *s, const char *total)
{
	alloc_agent_update_total(s->a, s->ag[0], R(total));
}

static void
s_done(struct sorter *s)
{
	alloc_free(s->a);
}

/* ---- Mesos sorter tests ---- */

static void
test_drf(int roles)
{
	struct sorter s;

	s_init(&s, roles, "cpus:100;mem:100");
	CHECK_STR(order(s.a), "");
	s_add(&s, "a");
	s_alloc(&s, "a", "cpus:5;mem:5");
	s_add(&s, "b");
	s_alloc(&s, "b", "cpus:6;mem:6");
	CHECK_STR(order(s.a), "a,b");
	s_add(&s, "c");
	s_alloc(&s, "c", "cpus:1;mem:1");
	s_add(&s, "d");
	s_alloc(&s, "d", "cpus:3;mem:1");
	CHECK_STR(order(s.a), "c,d,a,b");
	s_remove(&s, "a");
	s_unalloc(&s, "b", "cpus:4;mem:4");
	CHECK_STR(order(s.a), "c,b,d");
	s_add(&s, "e");
	s_alloc(&s, "e", "cpus:1;mem:5");
	s_total(&s, "cpus:50;mem:100");
	CHECK_STR(order(s.a), "c,b,e,d");
	s_total(&s, "cpus:50;mem:200");
	s_add(&s, "f");
	s_alloc(&s, "f", "cpus:5;mem:1");
	s_alloc(&s, "c", "mem:15");
	CHECK_STR(order(s.a), "e,b,d,c,f");
	s_active(&s, "d", 0);
	CHECK_STR(order(s.a), "e,b,c,f");
	s_active(&s, "d", 1);
	CHECK_STR(order(s.a), "e,b,d,c,f");
	s_done(&s);
}

static void
test_wdrf(void)
{
	struct sorter s;

	s_init(&s, 1, "cpus:100;mem:100");
	s_add(&s, "a");
	s_alloc(&s, "a", "cpus:5;mem:5");
	alloc_set_weight(s.a, "b", 2);
	s_add(&s, "b");
	s_alloc(&s, "b", "cpus:6;mem:6");
	CHECK_STR(order(s.a), "b,a");
	s_add(&s, "c");
	s_alloc(&s, "c", "cpus:4;mem:4");
	CHECK_STR(order(s.a), "b,c,a");
	alloc_set_weight(s.a, "d", 10);
	s_add(&s, "d");
	s_alloc(&s, "d", "cpus:10;mem:20");
	CHECK_STR(order(s.a), "d,b,c,a");
	s_remove(&s, "b");
	CHECK_STR(order(s.a), "d,c,a");
	s_alloc(&s, "d", "cpus:10;mem:25");
	CHECK_STR(order(s.a), "c,d,a");
	alloc_set_weight(s.a, "e", 0.1);
	s_add(&s, "e");
	s_alloc(&s, "e", "cpus:1;mem:1");
	CHECK_STR(order(s.a), "c,d,a,e");
	s_remove(&s, "a");
	CHECK_STR(order(s.a), "c,d,e");
	s_done(&s);
}

static void
test_update_weight(void)
{
	struct sorter s;

	s_init(&s, 1, "cpus:100;mem:100");
	s_add(&s, "a");
	s_alloc(&s, "a", "cpus:5;mem:5");
	s_add(&s, "b");
	s_alloc(&s, "b", "cpus:6;mem:6");
	CHECK_STR(order(s.a), "a,b");
	alloc_set_weight(s.a, "b", 2);
	CHECK_STR(order(s.a), "b,a");
	s_done(&s);
}

static void
test_count_tiebreak(int roles)
{
	struct sorter s;

	s_init(&s, roles, "cpus:100;mem:100");
	s_add(&s, "a");
	s_add(&s, "b");
	s_add(&s, "c");
	s_add(&s, "d");
	s_add(&s, "e");
	s_alloc(&s, "a", "cpus:3;mem:3");
	s_alloc(&s, "b", "cpus:3;mem:3");
	for (int i = 0; i < 3; i++)
		s_alloc(&s, "c", "cpus:1;mem:1");
	s_alloc(&s, "d", "cpus:2;mem:2");
	s_alloc(&s, "d", "cpus:1;mem:1");
	s_alloc(&s, "e", "cpus:3;mem:3");
	CHECK_STR(order(s.a), "a,b,e,d,c");
	s_unalloc(&s, "c", "cpus:3;mem:3");
	CHECK_STR(order(s.a), "c,a,b,e,d");
	s_alloc(&s, "c", "cpus:3;mem:3");
	CHECK_STR(order(s.a), "a,b,e,d,c");
	s_active(&s, "c", 0);
	s_active(&s, "c", 1);
	CHECK_STR(order(s.a), "a,b,e,d,c");
	s_active(&s, "a", 0);
	s_unalloc(&s, "a", "cpus:1;mem:3");
	s_alloc(&s, "a", "cpus:1;mem:3");
	CHECK_STR(order(s.a), "b,e,d,c");
	s_active(&s, "a", 1);
	CHECK_STR(order(s.a), "b,e,a,d,c");
	s_done(&s);
}

static void
test_hierarchical(void)
{
	struct sorter s;
	const char *names[NAMES_MAX];

	s_init(&s, 1, "cpus:100;mem:100");
	s_add(&s, "a");
	s_add(&s, "b/c");
	s_add(&s, "b/d");
	CHECK_STR(order(s.a), "a,b/c,b/d");
	CHECK(alloc_sorted(s.a, names, NAMES_MAX) == 3);
	s_alloc(&s, "a", "cpus:6;mem:6");
	CHECK_STR(order(s.a), "b/c,b/d,a");
	s_alloc(&s, "b/c", "cpus:4;mem:4");
	s_alloc(&s, "b/d", "cpus:3;mem:3");
	CHECK_STR(order(s.a), "a,b/d,b/c");
	s_alloc(&s, "a", "cpus:2;mem:2");
	CHECK_STR(order(s.a), "b/d,b/c,a");
	s_add(&s, "b/e/f");
	CHECK_STR(order(s.a), "b/e/f,b/d,b/c,a");
	s_alloc(&s, "b/e/f", "cpus:3.5;mem:3.5");
	CHECK_STR(order(s.a), "a,b/d,b/e/f,b/c");
	s_remove(&s, "b/e/f");
	CHECK_STR(order(s.a), "b/d,b/c,a");
	s_unalloc(&s, "b/c", "cpus:3;mem:3");
	CHECK_STR(order(s.a), "b/c,b/d,a");
	s_add(&s, "b/e/f");
	s_alloc(&s, "b/e/f", "cpus:3.5;mem:3.5");
	CHECK_STR(order(s.a), "b/c,b/d,b/e/f,a");
	CHECK(alloc_sorted(s.a, names, NAMES_MAX) == 4);
	s_done(&s);
}

static void
test_iteration_order(void)
{
	struct sorter s;

	s_init(&s, 1, "cpus:100;mem:100");
	s_add(&s, "a/b");
	s_add(&s, "c");
	s_add(&s, "d");
	s_add(&s, "d/e");
	CHECK_STR(order(s.a), "a/b,c,d,d/e");
	s_alloc(&s, "c", "cpus:8;mem:8");
	CHECK_STR(order(s.a), "a/b,d,d/e,c");
	s_alloc(&s, "d", "cpus:3;mem:3");
	s_alloc(&s, "d/e", "cpus:2;mem:2");
	CHECK_STR(order(s.a), "a/b,d/e,d,c");
	s_alloc(&s, "a/b", "cpus:6;mem:6");
	CHECK_STR(order(s.a), "d/e,d,a/b,c");
	s_done(&s);
}

static void
test_weight_on_subtree(void)
{
	struct sorter s;

	s_init(&s, 1, "cpus:100;mem:100");
	alloc_set_weight(s.a, "a", 2);
	alloc_set_weight(s.a, "b", 3);
	s_add(&s, "a/x");
	s_add(&s, "b/y");
	s_alloc(&s, "a/x", "cpus:10;mem:10");
	s_alloc(&s, "b/y", "cpus:10;mem:10");
	CHECK_STR(order(s.a), "b/y,a/x");
	/* The float trap: b = 0.15 / 3 = 0.049999999999999996 < a = 0.1 / 2. */
	s_add(&s, "b/z");
	s_alloc(&s, "b/z", "cpus:5;mem:5");
	CHECK_STR(order(s.a), "b/z,b/y,a/x");
	s_add(&s, "b");
	s_alloc(&s, "b", "cpus:4;mem:4");
	CHECK_STR(order(s.a), "a/x,b,b/z,b/y");
	s_add(&s, "a/zz");
	s_alloc(&s, "a/zz", "cpus:2;mem:2");
	CHECK_STR(order(s.a), "a/zz,a/x,b,b/z,b/y");
	s_done(&s);
}

static void
test_update_total(int roles)
{
	struct sorter s;

	s_init(&s, roles, "cpus:10;mem:100");
	s_add(&s, "a");
	s_add(&s, "b");
	s_alloc(&s, "a", "cpus:2;mem:1");
	s_alloc(&s, "b", "cpus:1;mem:2");
	CHECK_STR(order(s.a), "b,a");
	s_total(&s, "cpus:100;mem:10");
	CHECK_STR(order(s.a), "a,b");
	s_done(&s);
}

static void
test_multiple_agents_total(void)
{
	struct sorter s;

	s_init(&s, 0, "cpus:5;mem:50");
	s.ag[1] = alloc_agent_add(s.a, "agent1", R("cpus:5;mem:50"), NULL);
	s_add(&s, "a");
	s_add(&s, "b");
	alloc_allocate(s.a, s_fw(&s, "a"), s.ag[0], R("cpus:2;mem:1"));
	alloc_allocate(s.a, s_fw(&s, "b"), s.ag[1], R("cpus:1;mem:3"));
	CHECK_STR(order(s.a), "b,a");
	s_total(&s, "cpus:95;mem:50");
	CHECK_STR(order(s.a), "a,b");
	s_done(&s);
}

static void
test_remove_resources(void)
{
	struct sorter s;

	s_init(&s, 0, "cpus:10");
	s_add(&s, "a");
	s_add(&s, "b");
	s_alloc(&s, "a", "cpus:6");
	s_alloc(&s, "b", "cpus:4");
	CHECK_STR(order(s.a), "b,a");
	s_unalloc(&s, "a", "cpus:5");
	s_total(&s, "cpus:5");
	CHECK_STR(order(s.a), "a,b");
	CHECK_NEAR(alloc_fw_share(s.a, s_fw(&s, "a")), 0.2, SHARE_TOLERANCE);
	CHECK_NEAR(alloc_fw_share(s.a, s_fw(&s, "b")), 0.8, SHARE_TOLERANCE);
	s_done(&s);
}

/* ---- DRF's worked example (Ghodsi et al., NSDI 2011) ---- */

struct demand {
	struct alloc_fw *fw;
	const char *task;
	int tasks;
};

static void
test_drf_paper(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	struct demand d[2];
	int64_t now = 0;

	alloc_agent_add(a, "host", R("cpus:9;mem:18432"), NULL);
	d[0] = (struct demand){ alloc_fw_add(a, "A", "*", 1, NULL), "cpus:1;mem:4096", 0 };
	d[1] = (struct demand){ alloc_fw_add(a, "B", "*", 1, NULL), "cpus:3;mem:1024", 0 };
	/* Each framework launches one task per offer and declines the rest. */
	for (int pass = 0; pass < 30; pass++, now += 1000) {
		run(a, now, &o);
		for (size_t i = 0; i < o.n; i++) {
			struct demand *x = o.fw[i] == d[0].fw ? &d[0] : &d[1];
			const struct res *task = R(x->task);

			if (res_sub(&o.r[i], task) == 0) {
				x->tasks++;
				alloc_recover(a, o.fw[i], o.ag[i], &o.r[i], 0, now);
			} else {
				alloc_recover(a, o.fw[i], o.ag[i], &o.r[i], 5000, now);
			}
		}
		offers_reset(&o);
	}
	CHECK(d[0].tasks == 3);
	CHECK(d[1].tasks == 2);
	/* Both end with a dominant share of 2/3. */
	CHECK(alloc_fw_share(a, d[0].fw) == alloc_fw_share(a, d[1].fw));
	CHECK(alloc_fw_share(a, d[0].fw) > 0.66 && alloc_fw_share(a, d[0].fw) < 0.67);
	alloc_free(a);
}

/* ---- allocator semantics ---- */

static void
test_weights_share_agents(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	char err[ERR_BYTES];
	struct alloc_fw *dev, *prod;
	size_t ndev;

	CHECK(alloc_set_weights(a, "prod=3,dev=1", err, sizeof(err)) == 0);
	for (int i = 0; i < 100; i++) {
		char name[NAMES_MAX];

		snprintf(name, sizeof(name), "agent%d", i);
		alloc_agent_add(a, name, R("cpus:1;mem:1024"), NULL);
	}
	dev = alloc_fw_add(a, "dev1", "dev", 1, NULL);
	prod = alloc_fw_add(a, "prod1", "prod", 1, NULL);
	CHECK(run(a, 0, &o) == 100);
	ndev = offers_to(&o, dev);
	/* Weighted progressive filling: 3 agents to prod for each one to dev. */
	CHECK(ndev >= 24 && ndev <= 26);
	CHECK(offers_to(&o, prod) == 100 - ndev);
	offers_reset(&o);
	alloc_free(a);
}

static void
test_ties(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	struct alloc_agent *ag = alloc_agent_add(a, "x", R("cpus:1;mem:1024"), NULL);
	struct alloc_fw *b = alloc_fw_add(a, "b", "*", 1, NULL);
	struct alloc_fw *fa = alloc_fw_add(a, "a", "*", 1, NULL);

	/* Equal shares and counts: the smaller name goes first. */
	CHECK_STR(order(a), "a,b");
	CHECK(run(a, 0, &o) == 1 && o.fw[0] == fa);
	/* Given back, a is at share 0 again but has one allocation more than b. */
	decline_all(a, &o, 0, 0);
	CHECK_STR(order(a), "b,a");
	CHECK(run(a, 1000, &o) == 1 && o.fw[0] == b && o.ag[0] == ag);
	offers_reset(&o);
	alloc_free(a);
}

static void
test_reservations(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	struct alloc_agent *ag;
	struct alloc_fw *dev, *prod;

	ag = alloc_agent_add(a, "x", R("cpus(prod):2;mem(prod):512;cpus:2;mem:1024"), NULL);
	dev = alloc_fw_add(a, "dev1", "dev", 1, NULL);
	/* Only dev exists: it never sees prod's reservation. */
	CHECK(run(a, 0, &o) == 1 && o.fw[0] == dev);
	CHECK(res_equal(&o.r[0], R("cpus:2;mem:1024")));
	CHECK(res_equal(alloc_agent_free(ag), R("cpus(prod):2;mem(prod):512")));
	decline_all(a, &o, 0, 0);
	/* prod, with fewer allocations, goes first and may use everything. */
	prod = alloc_fw_add(a, "prod1", "prod", 1, NULL);
	CHECK(run(a, 1000, &o) == 1 && o.fw[0] == prod);
	CHECK(res_equal(&o.r[0], R("cpus(prod):2;mem(prod):512;cpus:2;mem:1024")));
	offers_reset(&o);
	alloc_free(a);

	/* dev first (by name): each role gets its part of the agent in one pass. */
	a = alloc_new(SEED);
	ag = alloc_agent_add(a, "x", R("cpus(prod):2;mem(prod):512;cpus:2;mem:1024"), NULL);
	dev = alloc_fw_add(a, "dev1", "dev", 1, NULL);
	prod = alloc_fw_add(a, "prod1", "prod", 1, NULL);
	CHECK(run(a, 0, &o) == 2);
	for (size_t i = 0; i < o.n; i++) {
		if (o.fw[i] == prod)
			CHECK(res_equal(&o.r[i], R("cpus(prod):2;mem(prod):512")));
		else
			CHECK(res_equal(&o.r[i], R("cpus:2;mem:1024")));
	}
	/* Reserved resources count toward the share: 2 of 4 cpus. */
	CHECK(alloc_fw_share(a, prod) == 0.5);
	CHECK(res_empty(alloc_agent_free(ag)));
	offers_reset(&o);
	alloc_free(a);
}

static void
test_filters(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	struct alloc_fw *fw;

	alloc_set_interval(a, 1000);
	alloc_agent_add(a, "x", R("cpus:1;mem:1024"), NULL);
	fw = alloc_fw_add(a, "f", "*", 1, NULL);
	CHECK(alloc_next_filter_expiry(a) == INT64_MAX);
	CHECK(run(a, 0, &o) == 1);
	decline_all(a, &o, 5000, 0);
	CHECK(alloc_next_filter_expiry(a) == 5000);
	CHECK(run(a, 1000, &o) == 0);
	CHECK(run(a, 4999, &o) == 0);
	CHECK(run(a, 5000, &o) == 1);
	CHECK(alloc_next_filter_expiry(a) == INT64_MAX);

	/* MESOS-4302: a late pass still honours a filter it has not yet seen. */
	decline_all(a, &o, 1000, 10000);
	CHECK(run(a, 50000, &o) == 0);
	CHECK(run(a, 50001, &o) == 1);

	/* A refusal shorter than the interval lasts the interval. */
	alloc_set_interval(a, 2000);
	decline_all(a, &o, 10, 60000);
	CHECK(alloc_next_filter_expiry(a) == 62000);
	CHECK(run(a, 60100, &o) == 0);
	CHECK(run(a, 61999, &o) == 0);
	CHECK(run(a, 62000, &o) == 1);

	/* Revive clears filters; suppress stops offers and hides the framework. */
	decline_all(a, &o, LONG_REFUSE_MS, 70000);
	CHECK(run(a, 71000, &o) == 0);
	alloc_fw_revive(a, fw);
	CHECK(alloc_has_candidates(a));
	CHECK(run(a, 72000, &o) == 1);
	decline_all(a, &o, 0, 72000);
	alloc_fw_suppress(a, fw);
	CHECK_STR(order(a), "");
	CHECK(run(a, 73000, &o) == 0);
	alloc_fw_revive(a, fw);
	CHECK_STR(order(a), "f");
	CHECK(run(a, 74000, &o) == 1);
	offers_reset(&o);
	alloc_free(a);
}

/*
 * A filter covers what was refused (Mesos: it matches an offer only if the
 * refused resources contain it): the leftovers of an accept, filtered, do
 * not keep the agent from its framework once the framework's task there
 * ends and the agent has more to offer.
 */
static void
test_filter_covers_refused(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	struct alloc_fw *fw;
	struct alloc_agent *ag;

	alloc_set_interval(a, 1000);
	ag = alloc_agent_add(a, "x", R("cpus:2;mem:1024"), NULL);
	fw = alloc_fw_add(a, "f", "*", 1, NULL);
	CHECK(run(a, 0, &o) == 1);
	/* Accept a task of cpus:1;mem:32: the rest comes back filtered. */
	alloc_recover(a, fw, ag, R("cpus:1;mem:992"), 5000, 0);
	offers_reset(&o);
	CHECK(run(a, 1000, &o) == 0);
	/* The task ends: the agent now has more than was refused. */
	alloc_recover(a, fw, ag, R("cpus:1;mem:32"), 0, 1500);
	CHECK(run(a, 1500, &o) == 1 && o.fw[0] == fw);
	CHECK(o.n == 1 && res_scalar(&o.r[0], "cpus") == 2000);
	/* Declining the whole agent filters it again, whole. */
	decline_all(a, &o, 5000, 1500);
	CHECK(run(a, 2500, &o) == 0);
	CHECK(run(a, 6500, &o) == 1);
	offers_reset(&o);
	alloc_free(a);
}

static void
test_filter_skips_framework(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	struct alloc_fw *fa, *fb;

	for (int i = 0; i < 3; i++) {
		char name[NAMES_MAX];

		snprintf(name, sizeof(name), "agent%d", i);
		alloc_agent_add(a, name, R("cpus:1;mem:1024"), NULL);
	}
	fa = alloc_fw_add(a, "a", "*", 1, NULL);
	fb = alloc_fw_add(a, "b", "*", 0, NULL);
	CHECK(run(a, 0, &o) == 3 && offers_to(&o, fa) == 3);
	/* a refuses every agent; it stays in the order but gets nothing. */
	decline_all(a, &o, LONG_REFUSE_MS, 0);
	alloc_fw_activate(a, fb, 1);
	CHECK(run(a, 1000, &o) == 3 && offers_to(&o, fb) == 3);
	CHECK_STR(order(a), "a,b");
	/* A new agent is one a does not refuse. */
	alloc_agent_add(a, "agent3", R("cpus:1;mem:1024"), NULL);
	CHECK(alloc_run(a, 2000, 1, collect, &o) == 1 && o.fw[3] == fa);
	offers_reset(&o);
	alloc_free(a);
}

static void
test_quota(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	char err[ERR_BYTES];
	struct alloc_fw *dev, *prod;
	struct buf b;
	struct json_w w;
	struct json *j;

	CHECK(alloc_set_quotas(a, "prod:cpus=2,mem=2048", err, sizeof(err)) == 0);
	for (int i = 0; i < 4; i++) {
		char name[NAMES_MAX];

		snprintf(name, sizeof(name), "agent%d", i);
		alloc_agent_add(a, name, R("cpus:1;mem:1024"), NULL);
	}
	dev = alloc_fw_add(a, "dev1", "dev", 1, NULL);
	/* prod's guarantee is held back even with nobody in prod to use it. */
	CHECK(run(a, 0, &o) == 2 && offers_to(&o, dev) == 2);
	prod = alloc_fw_add(a, "prod1", "prod", 1, NULL);
	CHECK(run(a, 1000, &o) == 2 && offers_to(&o, prod) == 2);
	offers_reset(&o);

	buf_init(&b, 0);
	json_w_init(&w, &b);
	alloc_set_weight(a, "prod", 3);
	alloc_roles_json(a, &w);
	j = json_parse(b.data, b.len, err, sizeof(err));
	CHECK(j != NULL);
	json_free(j);
	CHECK(strstr(b.data, "\"name\":\"prod\",\"weight\":3.0,\"frameworks\":[\"prod1\"]") != NULL);
	CHECK(strstr(b.data, "\"allocated\":{\"cpus\":2.0,\"mem\":2048.0") != NULL);
	CHECK(strstr(b.data, "\"quota\":{\"guarantee\":{\"cpus\":2.0,\"mem\":2048.0") != NULL);
	CHECK(strstr(b.data, "\"name\":\"dev\",\"weight\":1.0") != NULL);
	buf_free(&b);

	/* Clearing the quota releases the hold. */
	alloc_set_quota(a, "prod", NULL);
	alloc_agent_add(a, "agent4", R("cpus:1;mem:1024"), NULL);
	CHECK(alloc_run(a, 2000, 1, collect, &o) == 1);
	offers_reset(&o);
	alloc_free(a);
}

static void
test_quota_first(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	char err[ERR_BYTES];
	struct alloc_fw *dev, *prod;

	CHECK(alloc_set_quotas(a, "prod:cpus=1,mem=1024", err, sizeof(err)) == 0);
	alloc_agent_add(a, "x", R("cpus:1;mem:1024"), NULL);
	alloc_agent_add(a, "y", R("cpus:1;mem:1024"), NULL);
	dev = alloc_fw_add(a, "dev1", "dev", 1, NULL);
	prod = alloc_fw_add(a, "prod1", "prod", 1, NULL);
	/* dev sorts first, but prod's guarantee is served in stage one. */
	CHECK(run(a, 0, &o) == 2 && offers_to(&o, prod) == 1 && offers_to(&o, dev) == 1);
	offers_reset(&o);
	alloc_free(a);

	/* The quota stage and the fair stage on one agent make one offer. */
	a = alloc_new(SEED);
	CHECK(alloc_set_quotas(a, "prod:cpus=1", err, sizeof(err)) == 0);
	alloc_agent_add(a, "x", R("cpus:2;mem:2048"), NULL);
	alloc_fw_add(a, "prod1", "prod", 1, NULL);
	CHECK(run(a, 0, &o) == 1 && res_equal(&o.r[0], R("cpus:2;mem:2048")));
	offers_reset(&o);
	alloc_free(a);
}

/*
 * Quota headroom kept in instance-sized pieces: with the free cpus spread
 * as one-cpu fragments on seven agents and whole on an eighth, a guarantee
 * of a whole agent is held on the whole agent (the batch role gets the
 * fragments), and the quota stage serves it from there in one offer
 * rather than from fragments no instance fits in. Any shuffle seed.
 */
static void
test_quota_headroom_fit(void)
{
	enum { AGENTS = 8, WHOLE = AGENTS - 1, SEEDS = 16 };

	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		struct alloc *a = alloc_new(seed);
		struct offers o = { 0 };
		char err[ERR_BYTES];
		struct alloc_agent *ag[AGENTS];
		struct alloc_fw *dev, *old, *prod;
		int whole_held, prod_whole;

		CHECK(alloc_set_quotas(a, "prod:cpus=4,mem=4096", err, sizeof(err)) == 0);
		old = alloc_fw_add(a, "old1", "old", 1, NULL);
		for (int i = 0; i < AGENTS; i++) {
			char name[NAMES_MAX];

			snprintf(name, sizeof(name), "agent%d", i);
			ag[i] = alloc_agent_add(a, name, R("cpus:4;mem:4096"), NULL);
			if (i != WHOLE)
				alloc_allocate(a, old, ag[i], R("cpus:3;mem:3072"));
		}
		alloc_fw_activate(a, old, 0);
		dev = alloc_fw_add(a, "dev1", "dev", 1, NULL);
		run(a, 0, &o);
		whole_held = res_equal(alloc_agent_free(ag[WHOLE]), R("cpus:4;mem:4096")) &&
		             offers_to(&o, dev) == WHOLE;
		CHECK(whole_held);
		decline_all(a, &o, 0, 0);
		alloc_fw_activate(a, dev, 0);
		prod = alloc_fw_add(a, "prod1", "prod", 1, NULL);
		run(a, 1000, &o);
		prod_whole = o.n >= 1 && o.fw[0] == prod && o.ag[0] == ag[WHOLE] &&
		             res_equal(&o.r[0], R("cpus:4;mem:4096"));
		CHECK(prod_whole);
		offers_reset(&o);
		alloc_free(a);
	}
}

static void
test_specs(void)
{
	struct alloc *a = alloc_new(SEED);
	char err[ERR_BYTES];

	CHECK(alloc_set_weights(a, "a=1.5,b/c=2", err, sizeof(err)) == 0);
	CHECK(alloc_set_weights(a, "", err, sizeof(err)) == 0);
	CHECK(alloc_set_weights(a, "prod=0", err, sizeof(err)) == -1);
	CHECK(strstr(err, "prod=0") != NULL);
	CHECK(alloc_set_weights(a, "prod", err, sizeof(err)) == -1);
	CHECK(alloc_set_weights(a, "=3", err, sizeof(err)) == -1);
	CHECK(alloc_set_weights(a, "a=2,b=x", err, sizeof(err)) == -1);
	CHECK(alloc_set_weights(a, "a/../b=2", err, sizeof(err)) == -1);
	CHECK(alloc_set_quotas(a, "prod:cpus=4,mem=2048;dev:cpus=1", err, sizeof(err)) == 0);
	CHECK(alloc_set_quotas(a, "prod:cpus=x", err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a number") != NULL);
	CHECK(alloc_set_quotas(a, "prod", err, sizeof(err)) == -1);
	CHECK(alloc_set_quotas(a, "prod:cpus", err, sizeof(err)) == -1);
	CHECK(alloc_set_quotas(a, "prod:cpus=1,cpus=2", err, sizeof(err)) == -1);
	CHECK(alloc_set_min_allocatable(a, "cpus:x", err, sizeof(err)) == -1);
	CHECK(alloc_set_min_allocatable(a, "ports:[1-2]", err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a scalar") != NULL);
	CHECK(alloc_set_min_allocatable(a, "cpus:1|", err, sizeof(err)) == -1);
	CHECK(alloc_set_min_allocatable(a, "|cpus:1", err, sizeof(err)) == -1);
	CHECK(alloc_set_min_allocatable(a, "cpus:1;mem:64|disk:10", err, sizeof(err)) == 0);
	CHECK(alloc_set_min_allocatable(a, "", err, sizeof(err)) == 0);
	alloc_free(a);
}

static void
test_min_allocatable(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	char err[ERR_BYTES];

	alloc_agent_add(a, "crumbs", R("cpus:0.005;mem:16;ports:[1-2]"), NULL);
	alloc_fw_add(a, "f", "*", 1, NULL);
	CHECK(run(a, 0, &o) == 0);
	CHECK(alloc_set_min_allocatable(a, "cpus:0.001", err, sizeof(err)) == 0);
	CHECK(run(a, 1000, &o) == 1);
	decline_all(a, &o, 0, 1000);
	CHECK(alloc_set_min_allocatable(a, "cpus:1;mem:64", err, sizeof(err)) == 0);
	CHECK(run(a, 2000, &o) == 0);
	alloc_agent_add(a, "mid", R("cpus:2;mem:32"), NULL);
	CHECK(run(a, 3000, &o) == 0);
	alloc_agent_add(a, "big", R("cpus:2;mem:64"), NULL);
	CHECK(run(a, 4000, &o) == 1);
	offers_reset(&o);
	alloc_free(a);
}

static void
test_candidates(void)
{
	struct alloc *a = alloc_new(SEED);
	struct offers o = { 0 };
	struct alloc_agent *ag[3];
	struct alloc_fw *fw;

	for (int i = 0; i < 3; i++) {
		char name[NAMES_MAX];

		snprintf(name, sizeof(name), "agent%d", i);
		ag[i] = alloc_agent_add(a, name, R("cpus:1;mem:1024"), NULL);
	}
	fw = alloc_fw_add(a, "f", "*", 1, NULL);
	CHECK(alloc_has_candidates(a));
	CHECK(run(a, 0, &o) == 3);
	CHECK(!alloc_has_candidates(a));
	for (size_t i = 0; i < o.n; i++)
		if (o.ag[i] == ag[1])
			alloc_recover(a, fw, ag[1], &o.r[i], 0, 0);
	offers_reset(&o);
	CHECK(alloc_has_candidates(a));
	CHECK(alloc_run(a, 1000, 1, collect, &o) == 1 && o.ag[0] == ag[1]);
	CHECK(!alloc_has_candidates(a));
	offers_reset(&o);

	/* Removing the framework frees everything it held. */
	alloc_fw_remove(a, fw);
	for (int i = 0; i < 3; i++)
		CHECK(res_equal(alloc_agent_free(ag[i]), R("cpus:1;mem:1024")));
	/* Removing an agent takes its allocations with it; inactive agents wait. */
	fw = alloc_fw_add(a, "g", "*", 1, NULL);
	alloc_agent_activate(a, ag[2], 0);
	CHECK(run(a, 2000, &o) == 2);
	CHECK(alloc_fw_share(a, fw) > 0.66 && alloc_fw_share(a, fw) < 0.67);
	alloc_agent_remove(a, ag[0]);
	CHECK(alloc_fw_share(a, fw) == 0.5);
	alloc_agent_activate(a, ag[2], 1);
	CHECK(alloc_run(a, 3000, 1, collect, &o) == 1);
	CHECK(alloc_agent_user(ag[1]) == NULL && strcmp(alloc_fw_role(fw), "*") == 0);
	offers_reset(&o);
	alloc_free(a);
}

/* A callback that removes another framework and the agent of a third offer. */
struct remover {
	struct alloc *a;
	struct alloc_fw *victim;
	size_t calls;
};

static void
remove_others(struct alloc_fw *fw, struct alloc_agent *ag, const struct res *offer, void *arg)
{
	struct remover *rm = arg;

	(void)offer;
	rm->calls++;
	if (fw != rm->victim && rm->victim != NULL) {
		alloc_fw_remove(rm->a, rm->victim);
		rm->victim = NULL;
		alloc_agent_remove(rm->a, ag);
	}
}

static void
test_remove_during_delivery(void)
{
	struct alloc *a = alloc_new(SEED);
	struct remover rm = { a, NULL, 0 };
	struct alloc_fw *f1;

	alloc_agent_add(a, "x", R("cpus:1;mem:1024"), NULL);
	alloc_agent_add(a, "y", R("cpus:1;mem:1024"), NULL);
	f1 = alloc_fw_add(a, "f1", "r1", 1, NULL);
	rm.victim = alloc_fw_add(a, "f2", "r2", 1, NULL);
	(void)f1;
	CHECK(alloc_run(a, 0, 0, remove_others, &rm) >= 1);
	CHECK(rm.calls == 1 || rm.victim == NULL);
	alloc_free(a);
}

/* ---- randomised bookkeeping: free + held == total, always ---- */

static uint64_t fuzz_rng = SEED;
static size_t fuzz_offers;

static unsigned
fuzz_next(unsigned n)
{
	fuzz_rng ^= fuzz_rng << 13;
	fuzz_rng ^= fuzz_rng >> 7;
	fuzz_rng ^= fuzz_rng << 17;
	return (unsigned)(fuzz_rng % n);
}

/* Agent totals the run switches between: plain, reserved to a or b, bigger. */
static const char *const fuzz_totals[] = {
	"cpus:4;mem:4096;ports:[1-100]",
	"cpus:2;mem:2048;cpus(a):2;mem(a):2048;ports:[1-100]",
	"cpus:3;cpus(b):1;mem:4096;disk(b):100;ports:[1-50]",
	"cpus:8;mem:8192;ports:[1-200]",
};
#define FUZZ_TOTALS (sizeof(fuzz_totals) / sizeof(fuzz_totals[0]))

struct world {
	struct alloc *a;
	struct alloc_fw *fw[FUZZ_FWS];
	struct alloc_agent *ag[FUZZ_AGENTS];
	unsigned total[FUZZ_AGENTS];
	int active[FUZZ_FWS], suppressed[FUZZ_FWS];
	size_t bad_offers;
	struct res held[FUZZ_FWS][FUZZ_AGENTS];
	int64_t now;
};

static int
fw_index(struct world *wd, const struct alloc_fw *fw)
{
	for (int i = 0; i < FUZZ_FWS; i++)
		if (wd->fw[i] == fw)
			return i;
	return -1;
}

static int
ag_index(struct world *wd, const struct alloc_agent *ag)
{
	for (int i = 0; i < FUZZ_AGENTS; i++)
		if (wd->ag[i] == ag)
			return i;
	return -1;
}

static void
fuzz_offer(struct alloc_fw *fw, struct alloc_agent *ag, const struct res *offer, void *arg)
{
	struct world *wd = arg;
	int f = fw_index(wd, fw), g = ag_index(wd, ag);

	if (f < 0 || g < 0) {
		CHECK(!"offer to an unknown framework or agent");
		return;
	}
	fuzz_offers++;
	if (!wd->active[f] || wd->suppressed[f])
		wd->bad_offers++;
	for (size_t i = 0; i < offer->n; i++)
		if (strcmp(offer->items[i].role, "*") != 0 &&
		    strcmp(offer->items[i].role, alloc_fw_role(fw)) != 0)
			wd->bad_offers++;
	switch (fuzz_next(3)) {
	case 0:
		res_add(&wd->held[f][g], offer);
		break;
	case 1:
		alloc_recover(wd->a, fw, ag, offer, 0, wd->now);
		break;
	default:
		alloc_recover(wd->a, fw, ag, offer, 1 + fuzz_next(5000), wd->now);
		break;
	}
}

static int
world_consistent(struct world *wd)
{
	for (int g = 0; g < FUZZ_AGENTS; g++) {
		struct res sum;
		int ok;

		if (wd->ag[g] == NULL)
			continue;
		res_copy(&sum, alloc_agent_free(wd->ag[g]));
		for (int f = 0; f < FUZZ_FWS; f++)
			res_add(&sum, &wd->held[f][g]);
		ok = res_equal(&sum, R(fuzz_totals[wd->total[g]]));
		res_free(&sum);
		if (!ok)
			return 0;
	}
	return 1;
}

/*
 * The order kept incrementally must equal a full re-sort. An agent with
 * nothing in it changes no share but makes the allocator rebuild its trees.
 */
static int
order_matches_rebuild(struct world *wd)
{
	char before[ORDER_BYTES];
	struct alloc_agent *probe;
	int same;

	snprintf(before, sizeof(before), "%s", order(wd->a));
	probe = alloc_agent_add(wd->a, "probe", R(""), NULL);
	same = strcmp(before, order(wd->a)) == 0;
	alloc_agent_remove(wd->a, probe);
	return same;
}

static void
test_fuzz(void)
{
	struct world wd;
	static const char *const roles[] = { "a", "b", "a/x", "*" };
	char err[ERR_BYTES];
	int consistent = 1;

	memset(&wd, 0, sizeof(wd));
	wd.a = alloc_new(SEED);
	CHECK(alloc_set_quotas(wd.a, "b:cpus=3", err, sizeof(err)) == 0);
	for (int step = 0; step < FUZZ_STEPS && consistent; step++) {
		int f = (int)fuzz_next(FUZZ_FWS), g = (int)fuzz_next(FUZZ_AGENTS);
		char name[NAMES_MAX];

		wd.now += fuzz_next(1000);
		switch (fuzz_next(11)) {
		case 0:
			if (wd.ag[g] == NULL) {
				snprintf(name, sizeof(name), "agent%d", g);
				wd.total[g] = fuzz_next(FUZZ_TOTALS);
				wd.ag[g] = alloc_agent_add(wd.a, name, R(fuzz_totals[wd.total[g]]),
				                           NULL);
			} else {
				alloc_agent_remove(wd.a, wd.ag[g]);
				wd.ag[g] = NULL;
				for (int k = 0; k < FUZZ_FWS; k++)
					res_free(&wd.held[k][g]);
			}
			break;
		case 1:
			if (wd.fw[f] == NULL) {
				snprintf(name, sizeof(name), "fw%d", f);
				wd.fw[f] = alloc_fw_add(wd.a, name, roles[fuzz_next(4)], 1, NULL);
				wd.active[f] = 1;
				wd.suppressed[f] = 0;
			} else {
				alloc_fw_remove(wd.a, wd.fw[f]);
				wd.fw[f] = NULL;
				for (int k = 0; k < FUZZ_AGENTS; k++)
					res_free(&wd.held[f][k]);
			}
			break;
		case 2:
			if (wd.fw[f] && wd.ag[g] && !res_empty(&wd.held[f][g])) {
				alloc_recover(wd.a, wd.fw[f], wd.ag[g], &wd.held[f][g],
				              fuzz_next(2) ? 0 : 3000, wd.now);
				res_free(&wd.held[f][g]);
			}
			break;
		case 3:
			if (wd.fw[f]) {
				wd.suppressed[f] = (int)fuzz_next(2);
				if (wd.suppressed[f])
					alloc_fw_suppress(wd.a, wd.fw[f]);
				else
					alloc_fw_revive(wd.a, wd.fw[f]);
			}
			break;
		case 4:
			if (wd.fw[f]) {
				wd.active[f] = (int)fuzz_next(2);
				alloc_fw_activate(wd.a, wd.fw[f], wd.active[f]);
			}
			break;
		case 5:
			alloc_set_weight(wd.a, roles[fuzz_next(3)], 1 + fuzz_next(4));
			if (wd.ag[g])
				alloc_agent_activate(wd.a, wd.ag[g], fuzz_next(4) != 0);
			break;
		case 6:
			if (wd.ag[g]) {
				unsigned t = fuzz_next(FUZZ_TOTALS);
				struct res sum;

				/* A new total, when what is held still fits in it. */
				res_init(&sum);
				for (int k = 0; k < FUZZ_FWS; k++)
					res_add(&sum, &wd.held[k][g]);
				if (res_contains(R(fuzz_totals[t]), &sum)) {
					wd.total[g] = t;
					alloc_agent_update_total(wd.a, wd.ag[g], R(fuzz_totals[t]));
				}
				res_free(&sum);
			}
			break;
		default:
			alloc_run(wd.a, wd.now, (int)fuzz_next(2), fuzz_offer, &wd);
			break;
		}
		consistent = world_consistent(&wd) && order_matches_rebuild(&wd);
	}
	CHECK(consistent);
	CHECK(wd.bad_offers == 0);
	CHECK(fuzz_offers > FUZZ_STEPS / 10);
	for (int f = 0; f < FUZZ_FWS; f++)
		for (int g = 0; g < FUZZ_AGENTS; g++)
			res_free(&wd.held[f][g]);
	alloc_free(wd.a);
}

int
main(void)
{
	test_drf(0);
	test_drf(1);
	test_wdrf();
	test_update_weight();
	test_count_tiebreak(0);
	test_count_tiebreak(1);
	test_hierarchical();
	test_iteration_order();
	test_weight_on_subtree();
	test_update_total(0);
	test_update_total(1);
	test_multiple_agents_total();
	test_remove_resources();
	test_drf_paper();
	test_weights_share_agents();
	test_ties();
	test_reservations();
	test_filters();
	test_filter_covers_refused();
	test_filter_skips_framework();
	test_quota();
	test_quota_first();
	test_quota_headroom_fit();
	test_specs();
	test_min_allocatable();
	test_candidates();
	test_remove_during_delivery();
	test_fuzz();
	pool_free();
	return CHECK_DONE();
}
