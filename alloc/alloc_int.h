/*
 * alloc_int.h: the allocator's insides, shared by alloc.c and the files of
 * alloc/ and by nothing else: only alloc*.c include it, and it is never
 * installed. alloc.h is the contract, kept by alloc.c; this is the map of
 * the records and of who does what, with the prototypes grouped under the
 * file that defines them:
 *   alloc_sort.c     roles and the incrementally sorted DRF order
 *   alloc_cand.c     the candidates: agents touched since the last pass
 *   alloc_account.c  the books: holdings, allocation counts, totals,
 *                    reservations, the free unreserved headroom
 *   alloc_pair.c     (framework, agent) pairs, refusal filters, their expiry
 *   alloc_pass.c     the allocation pass and the offers it makes
 *   alloc_conf.c     interval, min allocatable, weights, quota; roles report
 * Each file calls only those listed above it (alloc_conf.c needs only
 * alloc_sort.c); alloc.c calls into any of them, and none of them calls
 * alloc.c.
 *
 * The few helpers a pass calls per tree node or per resource item are
 * static inline here, so splitting the allocator into files costs no
 * function calls on its hot paths.
 */
#ifndef ALLOC_INT_H
#define ALLOC_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "map.h"
#include "res.h"
#include "xmem.h"

#define WEIGHT_DEFAULT 1.0
#define SELF_SUFFIX "/."              /* Mesos's name for a role's own leaf */
#define ARRAY_MIN 16                  /* first allocation of a growing array */
#define PAIR_MASK_WORDS 4             /* per-agent "may have a pair" bitmap, 256 bits */
#define WORD_BITS 64
#define REASON_BYTES 128              /* one parse error's reason */
#define RNG_MUL 0x2545f4914f6cdd1dULL /* xorshift64* (Vigna) multiplier; also hashes pairs */

/* ------------------------------------------------------- quantities */

/* Scalar amounts in thousandths, indexed by interned resource name. */
struct qty {
	int64_t *v;
	size_t n;
};

static inline int64_t
qget(const struct qty *q, size_t i)
{
	return i < q->n ? q->v[i] : 0;
}

static inline void
qgrow(struct qty *q, size_t n)
{
	q->v = xreallocarray(q->v, n, sizeof(*q->v));
	memset(q->v + q->n, 0, (n - q->n) * sizeof(*q->v));
	q->n = n;
}

/* Kept tiny so it inlines: a pass calls it a score of times per offer. */
static inline void
qadd(struct qty *q, size_t i, int64_t d)
{
	if (i >= q->n) {
		if (d == 0)
			return;
		qgrow(q, i + 1);
	}
	q->v[i] += d;
}

static inline void
qzero(struct qty *q)
{
	if (q->n > 0)
		memset(q->v, 0, q->n * sizeof(*q->v));
}

static inline int
qnonzero(const struct qty *q)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i] != 0)
			return 1;
	return 0;
}

static inline void
qfree(struct qty *q)
{
	free(q->v);
	q->v = NULL;
	q->n = 0;
}

/* ------------------------------------------------------------ records */

enum snode_kind { SN_FW, SN_ROLE, SN_SELF };

/* An AVL node ordered by the DRF key; w and sum count open frameworks. */
struct snode {
	struct snode *left, *right;
	int height;
	size_t w, sum;
	double share;
	uint64_t count;
	const char *name;
	uint32_t id;                  /* last tie-break: keys are unique */
	enum snode_kind kind;
	void *owner;
};

struct pair;

struct role {
	char *path;
	char *selfname;               /* path + "/.", the self leaf's tie-break name */
	struct role *parent;
	struct role *first_child, *next_sib, *prev_sib;
	struct alloc_fw *first_fw;
	struct snode *fws;            /* frameworks that are active and unsuppressed */
	struct snode *kids;           /* self leaf + child roles */
	struct snode entry;           /* this role in parent->kids */
	struct snode self;            /* own frameworks, in this->kids */
	double weight;
	struct qty alloc;             /* subtree, every scalar */
	struct qty own;               /* own frameworks only */
	struct qty unres;             /* subtree, unreserved scalars allocated */
	struct qty resv;              /* subtree, agents' totals reserved to it */
	uint64_t count, own_count;    /* allocations ever made */
	int has_quota;
	struct qty guarantee;
	struct qty rem;               /* unmet guarantee, refreshed by quota_refresh */
};

struct alloc_fw {
	char *name;
	struct role *role;
	void *user;
	uint32_t id;
	int active, suppressed, in_tree, removed;
	struct qty alloc;
	uint64_t count;
	size_t nfilters;              /* agents it refuses */
	size_t idx;                   /* in a->fws */
	uint32_t dense;               /* small, reused index: its bit in agents' refusals */
	struct pair *pairs;
	struct alloc_fw *rprev, *rnext;   /* in its role */
	struct alloc_fw *grave;
	struct snode node;
};

struct alloc_agent {
	char *name;
	void *user;
	uint32_t id;
	int active, removed, cand;
	size_t idx, cand_idx;
	struct res total, free;
	size_t nfilters;              /* frameworks refusing it */
	uint64_t *refused;            /* bit fw->dense: fw has a filter here */
	size_t refused_words;
	struct pair *pairs;
	/* Bit h(fw) set: (fw, this agent) may have a pair. Clear bits spare
	 * most table probes in a pass; stale set bits only cost a probe. */
	uint64_t mask[PAIR_MASK_WORDS];
	/* Its pairs by framework id, open addressing: a pass's lookups for
	 * one agent stay on that agent's few cache lines. */
	struct pair_slot *tab;
	size_t tab_cap, tab_n;
	struct alloc_agent *grave;
	/* During a pass (alloc_pass.c): how much of the unmet guarantees its
	 * free pool alone covers, and whether it holds that headroom. */
	double fit;
	int held;
};

struct pair_slot {
	uint32_t fw_id;
	struct pair *p;               /* NULL: empty */
};

/* What one framework holds on one agent, and its refusal filter. */
struct pair {
	struct alloc_fw *fw;
	struct alloc_agent *ag;
	struct res alloc;
	int filtered;
	struct res refused;           /* what was refused: a larger offer passes the filter */
	int64_t until;
	uint64_t filter_pass;         /* passes completed when installed */
	size_t heap_idx;
	size_t slot;                  /* its offer in a->offers, if that points back */
	struct pair *fw_prev, *fw_next, *ag_prev, *ag_next;
};

/*
 * An offer on its way out. When the pair held nothing before the pass,
 * r shares the pair's items instead of copying them; anything about to
 * change the pair's allocation first gives the offer a copy (alloc_pass_detach).
 */
struct offer {
	struct alloc_fw *fw;
	struct alloc_agent *ag;
	struct pair *pair;            /* NULL once detached */
	int shared;
	struct res r;
};

struct alloc {
	uint64_t rng;
	int64_t interval_ms;
	struct qty *minalts;          /* --min_allocatable_resources alternatives */
	size_t nminalts;
	char **names;                 /* interned scalar names */
	size_t nnames;
	struct map roles;             /* path -> struct role */
	struct map weights;           /* path -> double */
	struct role root;
	struct role **qroles, **qorder;
	size_t nqroles;
	int quota_on;                 /* some guarantee is unmet */
	struct alloc_agent **agents, **order, **cands;
	unsigned char *active;        /* agents[i]->active, scanned without touching agents */
	size_t nagents, agents_cap, ncands, cands_cap;
	int cand_all;
	struct alloc_fw **fws;
	size_t nfws, fws_cap;
	uint32_t *dense_free;         /* dense indices of removed frameworks */
	size_t ndense_free, dense_free_cap;
	uint32_t dense_next;
	struct qty total;             /* every agent */
	struct qty avail;             /* unreserved free on active agents */
	struct qty req;               /* held back for unmet guarantees */
	struct alloc_agent **held;    /* agents holding req this pass, freest first */
	size_t nheld;
	struct qty spill;             /* what the last of them may give beyond req */
	struct qty scratch;
	struct pair *spares;          /* freed pairs kept for reuse, via fw_next */
	size_t nspares;
	struct pair **heap, **keep;   /* filters by expiry; keep is scratch */
	size_t nheap, heap_cap;
	struct offer *offers;
	size_t noffers, offers_cap;
	uint64_t passes;
	uint32_t next_id;
	int dirty, in_run, in_callbacks;
	struct alloc_fw *grave_fws;
	struct alloc_agent *grave_agents;
};

/* ----------------------------------------------------- small helpers */

static inline int
unreserved(const struct res_item *it)
{
	return it->role[0] == '*' && it->role[1] == '\0';
}

static inline void
reset_res(struct res *r)
{
	res_free(r);
	res_init(r);
}

/* Arrays double, so n appends cost O(n). */
static inline size_t
grow(size_t cap)
{
	return cap ? cap * 2 : ARRAY_MIN;
}

static inline size_t
name_id(struct alloc *a, const char *name)
{
	for (size_t i = 0; i < a->nnames; i++)
		if (a->names[i][0] == name[0] && strcmp(a->names[i], name) == 0)
			return i;
	a->names = xreallocarray(a->names, a->nnames + 1, sizeof(*a->names));
	a->names[a->nnames] = xstrdup(name);
	return a->nnames++;
}

/* A framework is open while some agent is not filtered for it. */
static inline size_t
fw_open(const struct alloc *a, const struct alloc_fw *fw)
{
	return fw->nfilters < a->nagents;
}

/*
 * Does fw refuse ag in this pass? A filter holds until its time has come
 * and a pass has run since it was installed (MESOS-4302: a backlogged
 * allocator must not hand declined resources straight back). The pass
 * starts by dropping every filter past both, so any filter left holds,
 * and a bit test answers without touching the pair.
 */
static inline int
refuses(const struct alloc_agent *ag, const struct alloc_fw *fw)
{
	size_t w = fw->dense / WORD_BITS;

	return w < ag->refused_words && ((ag->refused[w] >> (fw->dense % WORD_BITS)) & 1);
}

/*
 * The offer being made or delivered for p, if any. The slot points back at
 * its pair, so nothing has to be reset per pair once a pass is delivered.
 */
static inline struct offer *
pending_offer(const struct alloc *a, const struct pair *p)
{
	return p->slot < a->noffers && a->offers[p->slot].pair == p ? &a->offers[p->slot] : NULL;
}

/* --------------------------------------------------- who offers what */

/* alloc_sort.c: roles and the DRF order */
int alloc_sort_less(const struct snode *x, const struct snode *y);
double alloc_sort_share(const struct alloc *a, const struct qty *q, double weight);
double alloc_sort_weight(const struct alloc *a, const char *path);
void alloc_sort_role_nodes(struct alloc *a, struct role *r);
struct role *alloc_sort_role(struct alloc *a, const char *path);
void alloc_sort_role_destroy(struct role *r);
void alloc_sort_prune(struct alloc *a, struct role *r);
void alloc_sort_role_chain(struct alloc *a, struct role *r);
void alloc_sort_fw_update(struct alloc *a, struct alloc_fw *fw);
void alloc_sort_ensure(struct alloc *a);
/* alloc_sorted's answer: the first max framework names in order, and how many. */
size_t alloc_sort_list(const struct alloc *a, const char **names, size_t max);

/* alloc_cand.c: the agents a candidates-only pass visits */
void alloc_cand_mark(struct alloc *a, struct alloc_agent *ag);
void alloc_cand_unmark(struct alloc *a, struct alloc_agent *ag);
int alloc_cand_any(const struct alloc *a);
/* The agents this pass visits into a->order; clears the candidates. */
size_t alloc_cand_gather(struct alloc *a, int candidates_only);

/* alloc_account.c: the books */
/* One more allocation for fw and its roles (the DRF tie-break). */
void alloc_account_count(struct alloc_fw *fw);
/* r moved from ag's free pool to fw (sign 1) or back (-1); re-sorts fw. */
void alloc_account_move(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag,
                        const struct res *r, int sign);
/* The unreserved scalars of r into (1) or out of (-1) the free headroom. */
void alloc_account_avail(struct alloc *a, const struct res *r, int sign);
/* An agent's total into or out of the cluster's total and its roles' reservations. */
void alloc_account_totals(struct alloc *a, const struct res *total, int sign);

/* alloc_pair.c: (framework, agent) pairs and refusal filters */
struct pair *alloc_pair_find(const struct alloc_fw *fw, const struct alloc_agent *ag);
struct pair *alloc_pair_get(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag);
void alloc_pair_release(struct alloc *a, struct pair *p);
void alloc_pair_filter_set(struct alloc *a, struct pair *p, int64_t until,
                           const struct res *refused);
void alloc_pair_filter_clear(struct alloc *a, struct pair *p);
void alloc_pair_lift_outgrown(struct alloc *a, struct alloc_agent *ag);
void alloc_pair_expire(struct alloc *a, int64_t now);
int64_t alloc_pair_next_expiry(const struct alloc *a);
void alloc_pair_free_all(struct alloc *a);

/* alloc_pass.c: the allocation pass and its offers */
/* One pass at now_ms; its offers are left in a->offers for alloc.c to deliver. */
void alloc_pass_run(struct alloc *a, int64_t now_ms, int candidates_only);
void alloc_pass_detach(struct alloc *a, struct pair *p);

/* alloc_conf.c: settings and their parsing (alloc.h's alloc_set_* and alloc_roles_json) */
void alloc_conf_interval(struct alloc *a, int64_t interval_ms);
int alloc_conf_min_allocatable(struct alloc *a, const char *spec, char *err, size_t errlen);
void alloc_conf_weight(struct alloc *a, const char *role, double weight);
int alloc_conf_weights(struct alloc *a, const char *spec, char *err, size_t errlen);
void alloc_conf_quota(struct alloc *a, const char *role, const struct res *guarantee);
int alloc_conf_quotas(struct alloc *a, const char *spec, char *err, size_t errlen);
void alloc_conf_roles_json(const struct alloc *a, struct json_w *w);
void alloc_conf_minalts_free(struct qty *alts, size_t n);

#endif
