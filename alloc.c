/*
 * alloc.c: the allocator. It owns every agent's free pool, what each
 * framework holds on each agent, refusal filters, role weights and quota,
 * and the hierarchical DRF order; the master feeds it events and asks it
 * for offers. Pure: no I/O, no clock, no randomness but its seed.
 *
 * The order is kept incrementally, never re-sorted per agent: every role
 * has an AVL tree of its frameworks and one of its child roles plus a
 * "self" leaf standing for its own frameworks (Mesos's virtual "role/."
 * node), keyed by (share, allocation count, name). A share change re-keys
 * one framework and the role chain above it, O(depth x log n); only a
 * change of the cluster total (which moves every share) rebuilds, lazily.
 * Tree nodes count the "open" frameworks beneath them (active, unsuppressed,
 * not refusing every agent), so a pass skips whole subtrees of frameworks
 * that have filtered everything, as in Mesos's DeclineOffers benchmark.
 *
 * Each agent keeps what a pass needs of it close together: a bitmap of the
 * frameworks refusing it and a small table of its (framework, agent) pairs,
 * so deciding who gets an agent costs a walk down the trees and bit tests.
 * Offers are handed out after the pass, sharing the pair's resources
 * instead of copying them.
 */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "map.h"
#include "res.h"
#include "xmem.h"

#define INTERVAL_DEFAULT_MS 1000
#define MIN_ALLOCATABLE_DEFAULT "cpus:0.01|mem:32"
#define WEIGHT_DEFAULT 1.0
#define SELF_SUFFIX "/."              /* Mesos's name for a role's own leaf */
#define PAIR_TABLE_MIN 8              /* first size of an agent's pair table */
#define ARRAY_MIN 16                  /* first allocation of a growing array */
#define PAIR_SPARES_MAX 65536         /* freed pair records kept for reuse (~8 MiB) */
#define PAIR_MASK_WORDS 4             /* per-agent "may have a pair" bitmap, 256 bits */
#define PAIR_MASK_SHIFT 56            /* top 8 bits of a multiplicative hash index it */
#define WORD_BITS 64
#define SPEC_QUOTE_MAX 60             /* bytes of bad input quoted in an error */
#define REASON_BYTES 128              /* one parse error's reason */
#define ASCII_DEL 0x7f
#define RNG_FALLBACK_SEED 0x9e3779b97f4a7c15ULL   /* xorshift must not start at 0 */
#define HASH_MUL 0xff51afd7ed558ccdULL            /* murmur3's mixing constant */
#define HASH_SHIFT 32
#define RNG_MUL 0x2545f4914f6cdd1dULL             /* xorshift64* (Vigna) multiplier */
#define RNG_SHIFT_A 12                            /* and its shift triple */
#define RNG_SHIFT_B 25
#define RNG_SHIFT_C 27
#define PREFETCH_AHEAD 8              /* agents: shuffled visits miss the cache */
#define CACHE_LINE_BYTES 64
#define PREFETCH_SPAN_MAX 1024        /* bytes of an agent's items or table asked for */

/* A hint, not a semantic: compilers without the builtin lose only speed. */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* ------------------------------------------------------- quantities */

/* Scalar amounts in thousandths, indexed by interned resource name. */
struct qty {
	int64_t *v;
	size_t n;
};

static int64_t
qget(const struct qty *q, size_t i)
{
	return i < q->n ? q->v[i] : 0;
}

static void
qgrow(struct qty *q, size_t n)
{
	q->v = xreallocarray(q->v, n, sizeof(*q->v));
	memset(q->v + q->n, 0, (n - q->n) * sizeof(*q->v));
	q->n = n;
}

/* Kept tiny so it inlines: a pass calls it a score of times per offer. */
static void
qadd(struct qty *q, size_t i, int64_t d)
{
	if (i >= q->n) {
		if (d == 0)
			return;
		qgrow(q, i + 1);
	}
	q->v[i] += d;
}

static void
qzero(struct qty *q)
{
	if (q->n > 0)
		memset(q->v, 0, q->n * sizeof(*q->v));
}

static int
qnonzero(const struct qty *q)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i] != 0)
			return 1;
	return 0;
}

static void
qfree(struct qty *q)
{
	free(q->v);
	q->v = NULL;
	q->n = 0;
}

/* --------------------------------------------------- the sorted trees */

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

static int
sn_less(const struct snode *x, const struct snode *y)
{
	int c;

	if (x->share != y->share)
		return x->share < y->share;
	if (x->count != y->count)
		return x->count < y->count;
	c = strcmp(x->name, y->name);
	if (c != 0)
		return c < 0;
	return x->id < y->id;
}

static int
sn_height(const struct snode *n)
{
	return n ? n->height : 0;
}

static size_t
sn_sum(const struct snode *n)
{
	return n ? n->sum : 0;
}

static void
sn_fix(struct snode *n)
{
	int hl = sn_height(n->left), hr = sn_height(n->right);

	n->height = 1 + (hl > hr ? hl : hr);
	n->sum = n->w + sn_sum(n->left) + sn_sum(n->right);
}

static struct snode *
sn_rot_right(struct snode *n)
{
	struct snode *l = n->left;

	n->left = l->right;
	l->right = n;
	sn_fix(n);
	sn_fix(l);
	return l;
}

static struct snode *
sn_rot_left(struct snode *n)
{
	struct snode *r = n->right;

	n->right = r->left;
	r->left = n;
	sn_fix(n);
	sn_fix(r);
	return r;
}

static struct snode *
sn_balance(struct snode *n)
{
	int b;

	sn_fix(n);
	b = sn_height(n->left) - sn_height(n->right);
	if (b > 1) {
		if (sn_height(n->left->left) < sn_height(n->left->right))
			n->left = sn_rot_left(n->left);
		return sn_rot_right(n);
	}
	if (b < -1) {
		if (sn_height(n->right->right) < sn_height(n->right->left))
			n->right = sn_rot_right(n->right);
		return sn_rot_left(n);
	}
	return n;
}

static struct snode *
sn_insert(struct snode *t, struct snode *n)
{
	if (t == NULL) {
		n->left = n->right = NULL;
		sn_fix(n);
		return n;
	}
	if (sn_less(n, t))
		t->left = sn_insert(t->left, n);
	else
		t->right = sn_insert(t->right, n);
	return sn_balance(t);
}

static struct snode *
sn_take_min(struct snode *t, struct snode **min)
{
	if (t->left == NULL) {
		*min = t;
		return t->right;
	}
	t->left = sn_take_min(t->left, min);
	return sn_balance(t);
}

/* n must be in t, with the key it was inserted under. */
static struct snode *
sn_remove(struct snode *t, struct snode *n)
{
	if (t == NULL)
		return NULL;
	if (t == n) {
		struct snode *m, *r;

		if (t->right == NULL)
			return t->left;
		r = sn_take_min(t->right, &m);
		m->left = t->left;
		m->right = r;
		return sn_balance(m);
	}
	if (sn_less(n, t))
		t->left = sn_remove(t->left, n);
	else
		t->right = sn_remove(t->right, n);
	return sn_balance(t);
}

/* ------------------------------------------------------------ records */

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
 * change the pair's allocation first gives the offer a copy (detach).
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

static int
unreserved(const struct res_item *it)
{
	return it->role[0] == '*' && it->role[1] == '\0';
}

static void
reset_res(struct res *r)
{
	res_free(r);
	res_init(r);
}

static void
set_err(char *err, size_t errlen, const char *fmt, const char *what, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, SPEC_QUOTE_MAX, what, why);
}

/* Arrays double, so n appends cost O(n). */
static size_t
grow(size_t cap)
{
	return cap ? cap * 2 : ARRAY_MIN;
}

static size_t
name_id(struct alloc *a, const char *name)
{
	for (size_t i = 0; i < a->nnames; i++)
		if (a->names[i][0] == name[0] && strcmp(a->names[i], name) == 0)
			return i;
	a->names = xreallocarray(a->names, a->nnames + 1, sizeof(*a->names));
	a->names[a->nnames] = xstrdup(name);
	return a->nnames++;
}

static uint64_t
rng_next(struct alloc *a)
{
	a->rng ^= a->rng >> RNG_SHIFT_A;
	a->rng ^= a->rng << RNG_SHIFT_B;
	a->rng ^= a->rng >> RNG_SHIFT_C;
	return a->rng * RNG_MUL;
}

/*
 * Dominant share: the largest allocated/total over the cluster's scalars,
 * then divided by the weight, in double precision and in that order, as
 * Mesos's DRFSorter does (its tests depend on the rounding).
 */
static double
share_of(const struct alloc *a, const struct qty *q, double weight)
{
	double s = 0.0;

	for (size_t i = 0; i < a->total.n && i < q->n; i++) {
		double x;

		if (a->total.v[i] <= 0)
			continue;
		x = (double)q->v[i] / (double)a->total.v[i];
		if (x > s)
			s = x;
	}
	return s / weight;
}

/* --------------------------------------------------------------- roles */

static double
weight_of(const struct alloc *a, const char *path)
{
	const double *w = map_get(&a->weights, path);

	return w ? *w : WEIGHT_DEFAULT;
}

static void
role_init_nodes(struct alloc *a, struct role *r)
{
	r->entry.kind = SN_ROLE;
	r->entry.owner = r;
	r->entry.name = r->path;
	r->entry.id = a->next_id++;
	r->self.kind = SN_SELF;
	r->self.owner = r;
	r->self.name = r->selfname;
	r->self.id = a->next_id++;
}

static struct role *
ensure_role(struct alloc *a, const char *path)
{
	struct role *r = map_get(&a->roles, path), *parent = &a->root;
	const char *slash;

	if (r != NULL)
		return r;
	slash = strrchr(path, '/');
	if (slash != NULL && slash != path) {
		char *up = xstrndup(path, (size_t)(slash - path));

		parent = ensure_role(a, up);
		free(up);
	}
	r = xcalloc(1, sizeof(*r));
	r->path = xstrdup(path);
	r->selfname = xstrfmt("%s%s", path, SELF_SUFFIX);
	r->parent = parent;
	r->weight = weight_of(a, path);
	role_init_nodes(a, r);
	r->next_sib = parent->first_child;
	if (parent->first_child)
		parent->first_child->prev_sib = r;
	parent->first_child = r;
	r->kids = sn_insert(NULL, &r->self);
	parent->kids = sn_insert(parent->kids, &r->entry);
	map_put(&a->roles, r->path, r);
	return r;
}

static void
role_destroy(struct role *r)
{
	qfree(&r->alloc);
	qfree(&r->own);
	qfree(&r->unres);
	qfree(&r->resv);
	qfree(&r->guarantee);
	qfree(&r->rem);
	free(r->path);
	free(r->selfname);
	free(r);
}

/* Drop roles nothing refers to any more, walking up. */
static void
prune(struct alloc *a, struct role *r)
{
	while (r != NULL && r != &a->root && r->first_fw == NULL && r->first_child == NULL &&
	       !r->has_quota && !qnonzero(&r->resv)) {
		struct role *p = r->parent;

		p->kids = sn_remove(p->kids, &r->entry);
		if (r->prev_sib)
			r->prev_sib->next_sib = r->next_sib;
		else
			p->first_child = r->next_sib;
		if (r->next_sib)
			r->next_sib->prev_sib = r->prev_sib;
		map_del(&a->roles, r->path);
		role_destroy(r);
		r = p;
	}
}

/* Re-key r's self leaf and every role entry above it after a change below. */
static void
role_chain(struct alloc *a, struct role *r)
{
	if (r == &a->root)
		return;
	r->kids = sn_remove(r->kids, &r->self);
	r->self.share = share_of(a, &r->own, WEIGHT_DEFAULT);
	r->self.count = r->own_count;
	r->self.w = sn_sum(r->fws);
	r->kids = sn_insert(r->kids, &r->self);
	for (; r != &a->root; r = r->parent) {
		struct role *p = r->parent;

		p->kids = sn_remove(p->kids, &r->entry);
		r->entry.share = share_of(a, &r->alloc, r->weight);
		r->entry.count = r->count;
		r->entry.w = sn_sum(r->kids);
		p->kids = sn_insert(p->kids, &r->entry);
	}
}

/* A framework is open while some agent is not filtered for it. */
static size_t
fw_open(const struct alloc *a, const struct alloc_fw *fw)
{
	return fw->nfilters < a->nagents;
}

/* Re-key fw in its role's tree (or take it out); the caller runs role_chain. */
static void
fw_place(struct alloc *a, struct alloc_fw *fw)
{
	struct role *r = fw->role;

	if (fw->in_tree)
		r->fws = sn_remove(r->fws, &fw->node);
	fw->in_tree = fw->active && !fw->suppressed && !fw->removed;
	fw->node.share = share_of(a, &fw->alloc, WEIGHT_DEFAULT);
	fw->node.count = fw->count;
	fw->node.w = fw_open(a, fw);
	if (fw->in_tree)
		r->fws = sn_insert(r->fws, &fw->node);
}

static void
fw_update(struct alloc *a, struct alloc_fw *fw)
{
	fw_place(a, fw);
	role_chain(a, fw->role);
}

/* After totals or weights changed every share: rebuild all trees. */
static void
rebuild_role(struct alloc *a, struct role *r)
{
	for (struct role *c = r->first_child; c; c = c->next_sib)
		rebuild_role(a, c);
	r->fws = NULL;
	for (struct alloc_fw *fw = r->first_fw; fw; fw = fw->rnext) {
		fw->in_tree = 0;
		fw_place(a, fw);
	}
	r->kids = NULL;
	if (r != &a->root) {
		r->self.share = share_of(a, &r->own, WEIGHT_DEFAULT);
		r->self.count = r->own_count;
		r->self.w = sn_sum(r->fws);
		r->kids = sn_insert(r->kids, &r->self);
	}
	for (struct role *c = r->first_child; c; c = c->next_sib) {
		c->entry.share = share_of(a, &c->alloc, c->weight);
		c->entry.count = c->count;
		c->entry.w = sn_sum(c->kids);
		r->kids = sn_insert(r->kids, &c->entry);
	}
}

static void
ensure_sorted(struct alloc *a)
{
	if (a->dirty) {
		rebuild_role(a, &a->root);
		a->dirty = 0;
	}
}

/* ------------------------------------------------ (framework, agent) */

static size_t
mask_bit(const struct alloc_fw *fw)
{
	return (size_t)(((uint64_t)fw->id * RNG_MUL) >> PAIR_MASK_SHIFT);
}

static int
mask_has(const struct alloc_agent *ag, const struct alloc_fw *fw)
{
	size_t b = mask_bit(fw);

	return (ag->mask[b / WORD_BITS] >> (b % WORD_BITS)) & 1;
}

static size_t
slot_home(uint32_t fw_id, size_t cap)
{
	return (size_t)(((uint64_t)fw_id * HASH_MUL) >> HASH_SHIFT) & (cap - 1);
}

static struct pair *
pair_find(const struct alloc_fw *fw, const struct alloc_agent *ag)
{
	size_t m = ag->tab_cap - 1;

	if (ag->tab_cap == 0 || !mask_has(ag, fw))
		return NULL;
	for (size_t i = slot_home(fw->id, ag->tab_cap); ag->tab[i].p; i = (i + 1) & m)
		if (ag->tab[i].fw_id == fw->id)
			return ag->tab[i].p;
	return NULL;
}

static void
tab_put(struct alloc_agent *ag, uint32_t fw_id, struct pair *p)
{
	size_t m = ag->tab_cap - 1, i;

	for (i = slot_home(fw_id, ag->tab_cap); ag->tab[i].p; i = (i + 1) & m)
		;
	ag->tab[i].fw_id = fw_id;
	ag->tab[i].p = p;
	ag->tab_n++;
}

/* Keep the table at most half full, so probes stay short. */
static void
tab_reserve(struct alloc_agent *ag)
{
	struct pair_slot *old = ag->tab;
	size_t oldcap = ag->tab_cap;

	if ((ag->tab_n + 1) * 2 <= ag->tab_cap)
		return;
	ag->tab_cap = oldcap ? oldcap * 2 : PAIR_TABLE_MIN;
	ag->tab = xcalloc(ag->tab_cap, sizeof(*ag->tab));
	ag->tab_n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].p)
			tab_put(ag, old[i].fw_id, old[i].p);
	free(old);
}

/* Linear probing's deletion: shift later entries back over the hole. */
static void
tab_del(struct alloc_agent *ag, uint32_t fw_id)
{
	size_t m = ag->tab_cap - 1, i, j;

	for (i = slot_home(fw_id, ag->tab_cap); ag->tab[i].fw_id != fw_id || !ag->tab[i].p;
	     i = (i + 1) & m)
		;
	for (j = i;;) {
		size_t k;

		j = (j + 1) & m;
		if (!ag->tab[j].p)
			break;
		k = slot_home(ag->tab[j].fw_id, ag->tab_cap);
		if (j > i ? (k <= i || k > j) : (k <= i && k > j)) {
			ag->tab[i] = ag->tab[j];
			i = j;
		}
	}
	ag->tab[i].p = NULL;
	if (--ag->tab_n == 0) {
		free(ag->tab);
		ag->tab = NULL;
		ag->tab_cap = 0;
	}
}

/* A new pair; the caller knows there is none yet. */
static struct pair *
pair_new(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag)
{
	struct pair *p;
	size_t b;

	if (a->spares != NULL) {
		p = a->spares;
		a->spares = p->fw_next;
		a->nspares--;
		memset(p, 0, sizeof(*p));
	} else {
		p = xcalloc(1, sizeof(*p));
	}
	b = mask_bit(fw);
	ag->mask[b / WORD_BITS] |= (uint64_t)1 << (b % WORD_BITS);
	p->fw = fw;
	p->ag = ag;
	res_init(&p->alloc);
	tab_reserve(ag);
	tab_put(ag, fw->id, p);
	p->fw_next = fw->pairs;
	if (fw->pairs)
		fw->pairs->fw_prev = p;
	fw->pairs = p;
	p->ag_next = ag->pairs;
	if (ag->pairs)
		ag->pairs->ag_prev = p;
	ag->pairs = p;
	return p;
}

static struct pair *
pair_get(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag)
{
	struct pair *p = pair_find(fw, ag);

	return p ? p : pair_new(a, fw, ag);
}

/*
 * The offer being made or delivered for p, if any. The slot points back at
 * its pair, so nothing has to be reset per pair once a pass is delivered.
 */
static struct offer *
pending_offer(const struct alloc *a, const struct pair *p)
{
	return p->slot < a->noffers && a->offers[p->slot].pair == p ? &a->offers[p->slot] : NULL;
}

/* Free p once it holds nothing, filters nothing and is not being offered. */
static void
pair_release(struct alloc *a, struct pair *p)
{
	if (!res_empty(&p->alloc))
		return;
	reset_res(&p->alloc);
	if (p->filtered || pending_offer(a, p))
		return;
	tab_del(p->ag, p->fw->id);
	if (p->fw_prev)
		p->fw_prev->fw_next = p->fw_next;
	else
		p->fw->pairs = p->fw_next;
	if (p->fw_next)
		p->fw_next->fw_prev = p->fw_prev;
	if (p->ag_prev)
		p->ag_prev->ag_next = p->ag_next;
	else
		p->ag->pairs = p->ag_next;
	if (p->ag_next)
		p->ag_next->ag_prev = p->ag_prev;
	if (p->ag->pairs == NULL)
		memset(p->ag->mask, 0, sizeof(p->ag->mask));
	if (a->nspares < PAIR_SPARES_MAX) {
		p->fw_next = a->spares;
		a->spares = p;
		a->nspares++;
	} else {
		free(p);
	}
}

/* p's allocation is about to change: an offer sharing it gets its own copy. */
static void
detach(struct alloc *a, struct pair *p)
{
	struct offer *o = pending_offer(a, p);

	if (o == NULL)
		return;
	if (o->shared)
		res_copy(&o->r, &p->alloc);
	o->shared = 0;
	o->pair = NULL;
}

/* ------------------------------------------------------------- filters */

static void
heap_set(struct alloc *a, size_t i, struct pair *p)
{
	a->heap[i] = p;
	p->heap_idx = i;
}

static void
heap_up(struct alloc *a, size_t i)
{
	struct pair *p = a->heap[i];

	while (i > 0) {
		size_t up = (i - 1) / 2;

		if (a->heap[up]->until <= p->until)
			break;
		heap_set(a, i, a->heap[up]);
		i = up;
	}
	heap_set(a, i, p);
}

static void
heap_down(struct alloc *a, size_t i)
{
	struct pair *p = a->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= a->nheap)
			break;
		if (c + 1 < a->nheap && a->heap[c + 1]->until < a->heap[c]->until)
			c++;
		if (p->until <= a->heap[c]->until)
			break;
		heap_set(a, i, a->heap[c]);
		i = c;
	}
	heap_set(a, i, p);
}

static void
heap_push(struct alloc *a, struct pair *p)
{
	if (a->nheap == a->heap_cap) {
		a->heap_cap = grow(a->heap_cap);
		a->heap = xreallocarray(a->heap, a->heap_cap, sizeof(*a->heap));
		a->keep = xreallocarray(a->keep, a->heap_cap, sizeof(*a->keep));
	}
	a->heap[a->nheap] = p;
	heap_up(a, a->nheap++);
}

static void
heap_del(struct alloc *a, struct pair *p)
{
	size_t i = p->heap_idx;
	struct pair *last = a->heap[--a->nheap];

	if (last == p)
		return;
	heap_set(a, i, last);
	heap_up(a, i);
	heap_down(a, last->heap_idx);
}

/* Counts changed: if fw's "refuses every agent" state flipped, re-place it. */
static void
fw_recheck_open(struct alloc *a, struct alloc_fw *fw)
{
	if (fw->in_tree && fw->node.w != fw_open(a, fw))
		fw_update(a, fw);
}

static void
filter_set(struct alloc *a, struct pair *p, int64_t until, const struct res *refused)
{
	res_free(&p->refused);
	res_copy(&p->refused, refused);
	if (!p->filtered) {
		struct alloc_agent *ag = p->ag;
		size_t w = p->fw->dense / WORD_BITS;

		if (w >= ag->refused_words) {
			ag->refused = xreallocarray(ag->refused, w + 1, sizeof(*ag->refused));
			memset(ag->refused + ag->refused_words, 0,
			       (w + 1 - ag->refused_words) * sizeof(*ag->refused));
			ag->refused_words = w + 1;
		}
		ag->refused[w] |= (uint64_t)1 << (p->fw->dense % WORD_BITS);
		p->filtered = 1;
		p->until = until;
		heap_push(a, p);
		p->fw->nfilters++;
		p->ag->nfilters++;
		fw_recheck_open(a, p->fw);
	} else if (until > p->until) {
		p->until = until;
		heap_down(a, p->heap_idx);
	}
	p->filter_pass = a->passes;
}

static void
filter_clear(struct alloc *a, struct pair *p)
{
	if (!p->filtered)
		return;
	heap_del(a, p);
	p->ag->refused[p->fw->dense / WORD_BITS] &= ~((uint64_t)1 << (p->fw->dense % WORD_BITS));
	p->filtered = 0;
	res_free(&p->refused);
	res_init(&p->refused);
	p->fw->nfilters--;
	p->ag->nfilters--;
	fw_recheck_open(a, p->fw);
}

/*
 * A filter covers what was refused, as Mesos's does: once the agent has
 * more to offer than that (a task of the framework ended there, say), the
 * filter no longer applies. Without this, the leftovers of an accept,
 * declined as too small, would keep a whole agent from a framework that
 * still wants it.
 */
static void
lift_outgrown_filters(struct alloc *a, struct alloc_agent *ag)
{
	struct pair *p, *next;

	if (ag->nfilters == 0)
		return;
	for (p = ag->pairs; p; p = next) {
		next = p->ag_next;
		if (!p->filtered)
			continue;
		struct res offerable;
		res_allocatable_to(&offerable, &ag->free, p->fw->role->path);
		if (!res_contains(&p->refused, &offerable))
			filter_clear(a, p);
		res_free(&offerable);
	}
}

/*
 * Does fw refuse ag in this pass? A filter holds until its time has come
 * and a pass has run since it was installed (MESOS-4302: a backlogged
 * allocator must not hand declined resources straight back). The pass
 * starts by dropping every filter past both, so any filter left holds,
 * and a bit test answers without touching the pair.
 */
static int
refuses(const struct alloc_agent *ag, const struct alloc_fw *fw)
{
	size_t w = fw->dense / WORD_BITS;

	return w < ag->refused_words && ((ag->refused[w] >> (fw->dense % WORD_BITS)) & 1);
}

static void
cand_mark(struct alloc *a, struct alloc_agent *ag)
{
	if (ag->cand || ag->removed)
		return;
	if (a->ncands == a->cands_cap) {
		a->cands_cap = grow(a->cands_cap);
		a->cands = xreallocarray(a->cands, a->cands_cap, sizeof(*a->cands));
	}
	ag->cand = 1;
	ag->cand_idx = a->ncands;
	a->cands[a->ncands++] = ag;
}

static void
cand_unmark(struct alloc *a, struct alloc_agent *ag)
{
	if (!ag->cand)
		return;
	a->cands[ag->cand_idx] = a->cands[--a->ncands];
	a->cands[ag->cand_idx]->cand_idx = ag->cand_idx;
	ag->cand = 0;
}

static void
expire_filters(struct alloc *a, int64_t now)
{
	size_t nkeep = 0;

	while (a->nheap > 0 && a->heap[0]->until <= now) {
		struct pair *p = a->heap[0];

		if (p->filter_pass < a->passes) {
			struct alloc_agent *ag = p->ag;

			filter_clear(a, p);
			cand_mark(a, ag);
			pair_release(a, p);
		} else {
			heap_del(a, p);
			a->keep[nkeep++] = p;
		}
	}
	for (size_t i = 0; i < nkeep; i++) {
		a->heap[a->nheap] = a->keep[i];
		heap_up(a, a->nheap++);
	}
}

/* ------------------------------------------------------- bookkeeping */

static void
count_allocation(struct alloc_fw *fw)
{
	fw->count++;
	fw->role->own_count++;
	for (struct role *x = fw->role; x; x = x->parent)
		x->count++;
}

/* r moved from ag's free pool to fw (sign 1) or back (-1); re-sort. */
static void
account(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag, const struct res *r,
        int sign)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct res_item *it = &r->items[i];
		int64_t d = sign * it->scalar;
		int unres = unreserved(it);
		size_t id;

		if (it->type != RES_SCALAR || d == 0)
			continue;
		id = name_id(a, it->name);
		qadd(&fw->alloc, id, d);
		qadd(&fw->role->own, id, d);
		for (struct role *x = fw->role; x; x = x->parent) {
			qadd(&x->alloc, id, d);
			if (unres)
				qadd(&x->unres, id, d);
		}
		if (unres && ag->active)
			qadd(&a->avail, id, -d);
	}
	fw_update(a, fw);
}

/* The unreserved scalars of r into the cluster's free headroom. */
static void
avail_adjust(struct alloc *a, const struct res *r, int sign)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].type == RES_SCALAR && unreserved(&r->items[i]))
			qadd(&a->avail, name_id(a, r->items[i].name), sign * r->items[i].scalar);
}

/* An agent's total in or out of the cluster total and its roles' reservations. */
static void
totals_adjust(struct alloc *a, const struct res *total, int sign)
{
	for (size_t i = 0; i < total->n; i++) {
		const struct res_item *it = &total->items[i];
		size_t id;

		if (it->type != RES_SCALAR)
			continue;
		id = name_id(a, it->name);
		qadd(&a->total, id, sign * it->scalar);
		if (unreserved(it))
			continue;
		for (struct role *x = ensure_role(a, it->role); x; x = x->parent)
			qadd(&x->resv, id, sign * it->scalar);
	}
	a->dirty = 1;
}

static void
prune_reserved(struct alloc *a, const struct res *total)
{
	for (size_t i = 0; i < total->n; i++)
		if (!unreserved(&total->items[i]))
			prune(a, map_get(&a->roles, total->items[i].role));
}

static int64_t
item_amount(const struct res *r, const struct res_item *like)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].type == RES_SCALAR && strcmp(r->items[i].name, like->name) == 0 &&
		    strcmp(r->items[i].role, like->role) == 0)
			return r->items[i].scalar;
	return 0;
}

/*
 * Move the part of want that is in from into got. The master's books
 * should make want fit exactly; whatever does not is ignored, so a
 * mistake there cannot drive our counts negative.
 */
static void
take_clamped(struct res *from, const struct res *want, struct res *got)
{
	if (res_sub(from, want) == 0) {
		res_add(got, want);
		return;
	}
	for (size_t i = 0; i < want->n; i++) {
		struct res one = { &want->items[i], 1 };
		struct res_item part;
		int64_t have;

		if (res_sub(from, &one) == 0) {
			res_add(got, &one);
			continue;
		}
		if (want->items[i].type != RES_SCALAR)
			continue;
		have = item_amount(from, &want->items[i]);
		if (have <= 0)
			continue;
		part = want->items[i];
		part.scalar = have;
		one.items = &part;
		res_sub(from, &one);
		res_add(got, &one);
	}
}

/* ---------------------------------------------------------- the pass */

/* Refresh every quota role's unmet guarantee and their sum, the headroom. */
static void
quota_refresh(struct alloc *a)
{
	a->quota_on = 0;
	if (a->nqroles == 0)
		return;
	qzero(&a->req);
	for (size_t k = 0; k < a->nqroles; k++) {
		struct role *r = a->qroles[k];

		qzero(&r->rem);
		for (size_t i = 0; i < r->guarantee.n; i++) {
			int64_t need = r->guarantee.v[i] - qget(&r->unres, i) - qget(&r->resv, i);

			if (need <= 0)
				continue;
			qadd(&r->rem, i, need);
			qadd(&a->req, i, need);
			a->quota_on = 1;
		}
	}
}

/*
 * How much of unreserved scalar id a framework in role may take: what is
 * free cluster-wide minus the guarantees other roles still miss. In the
 * quota stage, guaranteed names are also capped at qroot's shortfall.
 */
static int64_t
cap_for(const struct alloc *a, const struct role *role, const struct role *qroot, size_t id)
{
	int64_t held, c;

	if (!a->quota_on)
		return INT64_MAX;
	held = qget(&a->req, id);
	for (const struct role *x = role; x; x = x->parent)
		if (x->has_quota)
			held -= qget(&x->rem, id);
	c = qget(&a->avail, id) - held;
	if (c < 0)
		c = 0;
	if (qroot != NULL && qget(&qroot->guarantee, id) > 0 && qget(&qroot->rem, id) < c)
		c = qget(&qroot->rem, id);
	return c;
}

struct visit {
	struct alloc_agent *ag;
	struct role *qroot;           /* quota stage: the role being served */
	int resv;                     /* the free pool holds reserved items */
	int base_ok;                  /* unreserved part alone is allocatable */
	struct alloc_fw *fw;          /* picked */
};

static int
meets_min(const struct alloc *a, const struct qty *q, int other)
{
	if (a->nminalts == 0)
		return other || qnonzero(q);
	for (size_t k = 0; k < a->nminalts; k++) {
		const struct qty *alt = &a->minalts[k];
		size_t i;

		for (i = 0; i < alt->n; i++)
			if (alt->v[i] > 0 && qget(q, i) < alt->v[i])
				break;
		if (i == alt->n)
			return 1;
	}
	return 0;
}

/* Would an offer of ag's free pool to role (NULL: unreserved only) pass? */
static int
offerable(struct alloc *a, const struct role *role, const struct visit *v)
{
	const struct res *f = &v->ag->free;
	struct qty *q = &a->scratch;
	int other = 0;

	qzero(q);
	for (size_t i = 0; i < f->n; i++) {
		const struct res_item *it = &f->items[i];
		int unres = unreserved(it);
		size_t id;
		int64_t x;

		if (!unres && (role == NULL || strcmp(it->role, role->path) != 0))
			continue;
		if (it->type != RES_SCALAR) {
			other = 1;
			continue;
		}
		id = name_id(a, it->name);
		x = it->scalar;
		if (unres) {
			int64_t c = cap_for(a, role, v->qroot, id);

			if (x > c)
				x = c;
		}
		if (x > 0)
			qadd(q, id, x);
	}
	if (v->qroot != NULL) {
		size_t i;

		/* The quota stage serves guarantees, not whatever else is free. */
		for (i = 0; i < v->qroot->rem.n; i++)
			if (v->qroot->rem.v[i] > 0 && qget(q, i) > 0)
				break;
		if (i == v->qroot->rem.n)
			return 0;
	}
	return meets_min(a, q, other);
}

static int
under_quota(const struct role *r)
{
	for (; r; r = r->parent)
		if (r->has_quota)
			return 1;
	return 0;
}

static int
role_offerable(struct alloc *a, const struct role *r, const struct visit *v)
{
	if (v->resv || v->qroot || (a->quota_on && under_quota(r)))
		return offerable(a, r, v);
	return v->base_ok;
}

static void
visit_prepare(struct alloc *a, struct alloc_agent *ag, struct role *qroot, struct visit *v)
{
	v->ag = ag;
	v->qroot = qroot;
	v->fw = NULL;
	v->resv = 0;
	for (size_t i = 0; i < ag->free.n; i++)
		if (!unreserved(&ag->free.items[i]))
			v->resv = 1;
	v->base_ok = v->resv || qroot ? 0 : offerable(a, NULL, v);
}

/* First open framework in t (in order) that does not filter the agent. */
static int
pick_fw(struct alloc *a, struct snode *t, struct visit *v)
{
	if (t == NULL || t->sum == 0)
		return 0;
	if (pick_fw(a, t->left, v))
		return 1;
	if (t->w > 0 && !refuses(v->ag, t->owner)) {
		v->fw = t->owner;
		return 1;
	}
	return pick_fw(a, t->right, v);
}

/* Pre-order over a role's kids tree: the DRF order of a whole pass. */
static int
pick_role(struct alloc *a, struct snode *t, struct visit *v)
{
	if (t == NULL || t->sum == 0)
		return 0;
	if (pick_role(a, t->left, v))
		return 1;
	if (t->w > 0) {
		struct role *r = t->owner;

		if (t->kind == SN_SELF) {
			if (role_offerable(a, r, v) && pick_fw(a, r->fws, v))
				return 1;
		} else if (pick_role(a, r->kids, v)) {
			return 1;
		}
	}
	return pick_role(a, t->right, v);
}

/* o (taken over) joins p's allocation and the pass's offer for p. */
static void
offer_push(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag, struct pair *p,
           struct res *o)
{
	struct offer *slot;

	slot = pending_offer(a, p);
	if (slot != NULL) {
		res_add(&p->alloc, o);
		if (slot->shared)
			slot->r = p->alloc;
		else
			res_add(&slot->r, o);
		res_free(o);
		return;
	}
	if (a->noffers == a->offers_cap) {
		a->offers_cap = grow(a->offers_cap);
		a->offers = xreallocarray(a->offers, a->offers_cap, sizeof(*a->offers));
	}
	slot = &a->offers[a->noffers];
	slot->fw = fw;
	slot->ag = ag;
	slot->pair = p;
	slot->r = *o;
	slot->shared = p->alloc.n == 0;
	if (slot->shared) {
		res_free(&p->alloc);
		p->alloc = *o;
	} else {
		res_add(&p->alloc, o);
	}
	p->slot = a->noffers++;
}

/* Offer fw everything on the agent its role may have, within the caps; 0 if none. */
static int
make_offer(struct alloc *a, struct alloc_fw *fw, const struct visit *v)
{
	struct alloc_agent *ag = v->ag;
	struct res *f = &ag->free;
	const char *role = fw->role->path;
	struct res o;
	struct pair *p;
	int whole = 1;

	for (size_t i = 0; i < f->n && whole; i++) {
		const struct res_item *it = &f->items[i];

		if (!unreserved(it))
			whole = strcmp(it->role, role) == 0;
		else if (it->type == RES_SCALAR && a->quota_on)
			whole = it->scalar <= cap_for(a, fw->role, v->qroot, name_id(a, it->name));
	}
	if (whole) {
		/* The common case: the agent goes whole; move it, no copy. */
		o = *f;
		res_init(f);
	} else {
		res_init(&o);
		for (size_t i = 0; i < f->n; i++) {
			struct res_item part = f->items[i];
			struct res one = { &part, 1 };

			if (!unreserved(&part) && strcmp(part.role, role) != 0)
				continue;
			if (unreserved(&part) && part.type == RES_SCALAR) {
				int64_t c = cap_for(a, fw->role, v->qroot, name_id(a, part.name));

				if (part.scalar > c)
					part.scalar = c;
			}
			res_add(&o, &one);
		}
		if (res_empty(&o)) {
			res_free(&o);
			return 0;
		}
		res_sub(f, &o);
	}
	p = pair_get(a, fw, ag);
	count_allocation(fw);
	account(a, fw, ag, &o, 1);
	offer_push(a, fw, ag, p, &o);
	return 1;
}

static int
agent_skippable(const struct alloc *a, const struct alloc_agent *ag)
{
	return !ag->active || ag->free.n == 0 || res_empty(&ag->free) || ag->nfilters >= a->nfws;
}

/*
 * Stage 2: the agent to the first framework in DRF order; what its role
 * could not take (another role's reservation) to the next. Every offer
 * empties the agent of what its role may have, so this ends.
 */
static void
stage_fair(struct alloc *a, struct alloc_agent *ag)
{
	while (!agent_skippable(a, ag)) {
		struct visit v;

		quota_refresh(a);
		visit_prepare(a, ag, NULL, &v);
		if (!pick_role(a, a->root.kids, &v) || !make_offer(a, v.fw, &v))
			return;
	}
}

/* Quota roles still short of their guarantee, in DRF order. */
static size_t
quota_order(struct alloc *a)
{
	size_t n = 0;

	for (size_t k = 0; k < a->nqroles; k++) {
		struct role *r = a->qroles[k];
		size_t j;

		if (!qnonzero(&r->rem))
			continue;
		for (j = n; j > 0 && sn_less(&r->entry, &a->qorder[j - 1]->entry); j--)
			a->qorder[j] = a->qorder[j - 1];
		a->qorder[j] = r;
		n++;
	}
	return n;
}

/* Stage 1: guarantees first, each quota role up to what it still misses. */
static void
stage_quota(struct alloc *a, struct alloc_agent *ag)
{
	while (!agent_skippable(a, ag)) {
		size_t n, k;

		quota_refresh(a);
		if (!a->quota_on)
			return;
		n = quota_order(a);
		for (k = 0; k < n; k++) {
			struct visit v;

			visit_prepare(a, ag, a->qorder[k], &v);
			if (pick_role(a, a->qorder[k]->kids, &v)) {
				if (!make_offer(a, v.fw, &v))
					return;
				break;
			}
		}
		if (k == n)
			return;
	}
}

static void
shuffle(struct alloc *a, struct alloc_agent **v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rng_next(a) % i);
		struct alloc_agent *t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/*
 * One stage over the shuffled agents. Shuffled means every agent is a
 * cache miss unless asked for early; the hints stay in this loop because
 * GCC deletes a helper holding nothing but prefetches as side-effect free.
 */
static void
visit_all(struct alloc *a, size_t n, int quota_stage)
{
	struct alloc_agent **order = a->order;

	shuffle(a, order, n);
	for (size_t i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			PREFETCH(order[i + PREFETCH_AHEAD]);
		if (i + PREFETCH_AHEAD / 2 < n) {
			const struct alloc_agent *next = order[i + PREFETCH_AHEAD / 2];
			const char *items = (const char *)next->free.items;
			const char *tab = (const char *)next->tab;
			size_t ni = next->free.n * sizeof(*next->free.items);
			size_t nt = next->tab_cap * sizeof(*next->tab);

			for (size_t k = 0; k < ni && k < PREFETCH_SPAN_MAX; k += CACHE_LINE_BYTES)
				PREFETCH(items + k);
			for (size_t k = 0; k < nt && k < PREFETCH_SPAN_MAX; k += CACHE_LINE_BYTES)
				PREFETCH(tab + k);
			for (size_t k = 0; k < next->refused_words * sizeof(*next->refused) &&
			     k < PREFETCH_SPAN_MAX; k += CACHE_LINE_BYTES)
				PREFETCH((const char *)next->refused + k);
		}
		if (quota_stage)
			stage_quota(a, order[i]);
		else
			stage_fair(a, order[i]);
	}
}

static size_t
gather(struct alloc *a, int candidates_only)
{
	size_t n = 0;

	if (!candidates_only || a->cand_all) {
		for (size_t i = 0; i < a->nagents; i++)
			if (a->active[i])
				a->order[n++] = a->agents[i];
	} else {
		for (size_t i = 0; i < a->ncands; i++)
			if (a->cands[i]->active)
				a->order[n++] = a->cands[i];
	}
	for (size_t i = 0; i < a->ncands; i++)
		a->cands[i]->cand = 0;
	a->ncands = 0;
	a->cand_all = 0;
	return n;
}

static void fw_destroy(struct alloc_fw *fw);
static void agent_destroy(struct alloc_agent *ag);

static void
bury(struct alloc *a)
{
	while (a->grave_fws) {
		struct alloc_fw *fw = a->grave_fws;

		a->grave_fws = fw->grave;
		fw_destroy(fw);
	}
	while (a->grave_agents) {
		struct alloc_agent *ag = a->grave_agents;

		a->grave_agents = ag->grave;
		agent_destroy(ag);
	}
}

/*
 * Offers go out after the pass, one per (framework, agent). fn may recover,
 * decline and remove frameworks or agents: removed ones are kept until the
 * last call and their offers skipped. It must not call alloc_run or
 * alloc_free.
 */
static size_t
deliver(struct alloc *a, alloc_offer_fn fn, void *arg)
{
	size_t made = 0;

	a->in_callbacks = 1;
	for (size_t i = 0; i < a->noffers; i++) {
		struct offer *o = &a->offers[i];

		/* Only a callback can remove anything, and removals go to the graves. */
		if ((a->grave_fws || a->grave_agents) && (o->fw->removed || o->ag->removed))
			continue;
		made++;
		if (fn != NULL)
			fn(o->fw, o->ag, &o->r, arg);
	}
	for (size_t i = 0; i < a->noffers; i++) {
		struct offer *o = &a->offers[i];

		if (o->pair == NULL || !o->shared)
			res_free(&o->r);
	}
	a->noffers = 0;
	a->in_callbacks = 0;
	bury(a);
	return made;
}

size_t
alloc_run(struct alloc *a, int64_t now_ms, int candidates_only, alloc_offer_fn fn, void *arg)
{
	size_t n, made;

	if (a->in_run)
		return 0;
	a->in_run = 1;
	expire_filters(a, now_ms);
	ensure_sorted(a);
	n = gather(a, candidates_only);
	quota_refresh(a);
	if (a->quota_on)
		visit_all(a, n, 1);
	visit_all(a, n, 0);
	a->passes++;
	made = deliver(a, fn, arg);
	a->in_run = 0;
	return made;
}

int
alloc_has_candidates(const struct alloc *a)
{
	return a->cand_all || a->ncands > 0;
}

int64_t
alloc_next_filter_expiry(const struct alloc *a)
{
	return a->nheap > 0 ? a->heap[0]->until : INT64_MAX;
}

/* ---------------------------------------------------------- lifecycle */

struct alloc *
alloc_new(uint64_t seed)
{
	struct alloc *a = xcalloc(1, sizeof(*a));
	char err[REASON_BYTES];

	a->rng = seed ? seed : RNG_FALLBACK_SEED;
	a->interval_ms = INTERVAL_DEFAULT_MS;
	map_init(&a->roles);
	map_init(&a->weights);
	a->root.path = xstrdup("");
	a->root.selfname = xstrdup(SELF_SUFFIX);
	a->root.weight = WEIGHT_DEFAULT;
	role_init_nodes(a, &a->root);
	alloc_set_min_allocatable(a, MIN_ALLOCATABLE_DEFAULT, err, sizeof(err));
	return a;
}

static void
fw_destroy(struct alloc_fw *fw)
{
	qfree(&fw->alloc);
	free(fw->name);
	free(fw);
}

static void
agent_destroy(struct alloc_agent *ag)
{
	res_free(&ag->total);
	res_free(&ag->free);
	free(ag->tab);
	free(ag->refused);
	free(ag->name);
	free(ag);
}

static void
minalts_free(struct qty *alts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		qfree(&alts[i]);
	free(alts);
}

void
alloc_free(struct alloc *a)
{
	const char *key;
	void *val;

	if (a == NULL)
		return;
	bury(a);
	for (size_t i = 0; i < a->nfws; i++) {
		struct pair *p = a->fws[i]->pairs, *next;

		for (; p; p = next) {
			next = p->fw_next;
			res_free(&p->alloc);
			res_free(&p->refused);
			free(p);
		}
	}
	while (a->spares != NULL) {
		struct pair *p = a->spares;

		a->spares = p->fw_next;
		free(p);
	}
	for (size_t i = 0; i < a->nfws; i++)
		fw_destroy(a->fws[i]);
	for (size_t i = 0; i < a->nagents; i++)
		agent_destroy(a->agents[i]);
	for (size_t i = 0; map_next(&a->roles, &i, &key, &val);)
		role_destroy(val);
	for (size_t i = 0; map_next(&a->weights, &i, &key, &val);)
		free(val);
	map_free(&a->roles);
	map_free(&a->weights);
	for (size_t i = 0; i < a->nnames; i++)
		free(a->names[i]);
	minalts_free(a->minalts, a->nminalts);
	qfree(&a->root.alloc);
	qfree(&a->root.own);
	qfree(&a->root.unres);
	qfree(&a->root.resv);
	qfree(&a->total);
	qfree(&a->avail);
	qfree(&a->req);
	qfree(&a->scratch);
	free(a->root.path);
	free(a->root.selfname);
	free(a->names);
	free(a->qroles);
	free(a->qorder);
	free(a->agents);
	free(a->order);
	free(a->active);
	free(a->cands);
	free(a->fws);
	free(a->dense_free);
	free(a->heap);
	free(a->keep);
	free(a->offers);
	free(a);
}

/* ------------------------------------------------------- configuration */

void
alloc_set_interval(struct alloc *a, int64_t interval_ms)
{
	a->interval_ms = interval_ms > 0 ? interval_ms : 0;
}

int
alloc_set_min_allocatable(struct alloc *a, const char *spec, char *err, size_t errlen)
{
	struct qty *alts = NULL;
	size_t n = 0;
	const char *s = spec ? spec : "";

	while (*s != '\0') {
		const char *bar = strchr(s, '|');
		size_t len = bar ? (size_t)(bar - s) : strlen(s);
		char *one = xstrndup(s, len);
		char why[REASON_BYTES] = "empty alternative";
		struct res r;
		int bad;

		res_init(&r);
		bad = len == 0 || res_parse(&r, one, why, sizeof(why)) < 0 || res_empty(&r);
		for (size_t i = 0; !bad && i < r.n; i++)
			if (r.items[i].type != RES_SCALAR) {
				snprintf(why, sizeof(why), "'%s' is not a scalar", r.items[i].name);
				bad = 1;
			}
		if (bad) {
			set_err(err, errlen, "bad min_allocatable_resources '%.*s': %s", one, why);
			free(one);
			res_free(&r);
			minalts_free(alts, n);
			return -1;
		}
		alts = xreallocarray(alts, n + 1, sizeof(*alts));
		memset(&alts[n], 0, sizeof(alts[n]));
		for (size_t i = 0; i < r.n; i++)
			qadd(&alts[n], name_id(a, r.items[i].name), r.items[i].scalar);
		n++;
		free(one);
		res_free(&r);
		s = bar ? bar + 1 : s + len;
		if (bar && *s == '\0') {
			set_err(err, errlen, "bad min_allocatable_resources '%.*s': %s", spec,
			        "empty alternative");
			minalts_free(alts, n);
			return -1;
		}
	}
	minalts_free(a->minalts, a->nminalts);
	a->minalts = alts;
	a->nminalts = n;
	return 0;
}

/* Mesos's role names: "*", or '/'-separated parts, none empty, "." or "..", or starting with '-'. */
static int
role_name_ok(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > RES_NAME_MAX)
		return 0;
	if (n == 1 && s[0] == '*')
		return 1;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/') {
			unsigned char c = (unsigned char)s[i];

			if (c <= ' ' || c >= ASCII_DEL || c == '\\' || c == '*')
				return 0;
			continue;
		}
		if (i == start || s[start] == '-' || (i - start == 1 && s[start] == '.') ||
		    (i - start == 2 && s[start] == '.' && s[start + 1] == '.'))
			return 0;
		start = i + 1;
	}
	return 1;
}

void
alloc_set_weight(struct alloc *a, const char *role, double weight)
{
	double *w;
	struct role *r;

	/* Non-positive weights would divide by zero or invert the order. */
	if (role == NULL || !(weight > 0.0 && weight <= DBL_MAX))
		return;
	w = map_get(&a->weights, role);
	if (w == NULL) {
		w = xmalloc(sizeof(*w));
		map_put(&a->weights, role, w);
	}
	*w = weight;
	r = map_get(&a->roles, role);
	if (r != NULL) {
		r->weight = weight;
		role_chain(a, r);
	}
	a->cand_all = 1;
}

int
alloc_set_weights(struct alloc *a, const char *spec, char *err, size_t errlen)
{
	const char *s = spec ? spec : "";
	char **roles = NULL;
	double *ws = NULL;
	size_t n = 0;
	int rc = 0;

	while (*s != '\0' && rc == 0) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char *one = xstrndup(s, len), *whole = xstrndup(s, len);
		char *eq = strchr(one, '='), *end = NULL;
		double w = 0.0;

		if (eq != NULL) {
			*eq = '\0';
			w = strtod(eq + 1, &end);
		}
		if (eq == NULL || !role_name_ok(one, strlen(one))) {
			set_err(err, errlen, "bad weight '%.*s': %s", whole,
			        eq ? "bad role name" : "expected role=weight");
			rc = -1;
		} else if (end == eq + 1 || *end != '\0' || !(w > 0.0 && w <= DBL_MAX)) {
			set_err(err, errlen, "bad weight '%.*s': %s", whole, "not a positive number");
			rc = -1;
		} else {
			roles = xreallocarray(roles, n + 1, sizeof(*roles));
			ws = xreallocarray(ws, n + 1, sizeof(*ws));
			roles[n] = one;
			ws[n++] = w;
			one = NULL;
		}
		free(one);
		free(whole);
		s = comma ? comma + 1 : s + len;
	}
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			alloc_set_weight(a, roles[i], ws[i]);
		free(roles[i]);
	}
	free(roles);
	free(ws);
	return rc;
}

void
alloc_set_quota(struct alloc *a, const char *role, const struct res *guarantee)
{
	struct role *r;
	struct qty g = { NULL, 0 };

	if (role == NULL || *role == '\0')
		return;
	for (size_t i = 0; guarantee && i < guarantee->n; i++)
		if (guarantee->items[i].type == RES_SCALAR)
			qadd(&g, name_id(a, guarantee->items[i].name), guarantee->items[i].scalar);
	r = qnonzero(&g) ? ensure_role(a, role) : map_get(&a->roles, role);
	if (r == NULL) {
		qfree(&g);
		return;
	}
	qfree(&r->guarantee);
	r->guarantee = g;
	if (qnonzero(&g) && !r->has_quota) {
		r->has_quota = 1;
		a->qroles = xreallocarray(a->qroles, a->nqroles + 1, sizeof(*a->qroles));
		a->qorder = xreallocarray(a->qorder, a->nqroles + 1, sizeof(*a->qorder));
		a->qroles[a->nqroles++] = r;
	} else if (!qnonzero(&g) && r->has_quota) {
		for (size_t k = 0; k < a->nqroles; k++)
			if (a->qroles[k] == r)
				a->qroles[k] = a->qroles[--a->nqroles];
		r->has_quota = 0;
		qfree(&r->rem);
		prune(a, r);
	}
	a->cand_all = 1;
}

/* One "role:cpus=4,mem=2048" entry into role and guarantee; -1 with why. */
static int
parse_quota(const char *s, size_t len, char **role, struct res *g, char *why, size_t whylen)
{
	const char *colon = memchr(s, ':', len);
	const char *p, *end = s + len;

	if (colon == NULL || !role_name_ok(s, (size_t)(colon - s))) {
		snprintf(why, whylen, "%s", colon ? "bad role name" : "expected role:name=value,...");
		return -1;
	}
	for (p = colon + 1; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		char name[RES_NAME_MAX + 1];
		char *num;
		int64_t v;
		int bad;

		if (eq == NULL || eq == p || (size_t)(eq - p) > RES_NAME_MAX) {
			snprintf(why, whylen, "expected name=value");
			return -1;
		}
		memcpy(name, p, (size_t)(eq - p));
		name[eq - p] = '\0';
		num = xstrndup(eq + 1, (size_t)(stop - eq - 1));
		bad = res_scalar_parse(num, &v) < 0;
		free(num);
		if (bad) {
			snprintf(why, whylen, "'%s' is not a number", name);
			return -1;
		}
		if (res_scalar(g, name) != 0) {
			snprintf(why, whylen, "'%s' given twice", name);
			return -1;
		}
		res_set_scalar(g, name, NULL, v);
		p = comma ? comma + 1 : end;
	}
	*role = xstrndup(s, (size_t)(colon - s));
	return 0;
}

int
alloc_set_quotas(struct alloc *a, const char *spec, char *err, size_t errlen)
{
	const char *s = spec ? spec : "";
	char **roles = NULL;
	struct res *gs = NULL;
	size_t n = 0;
	int rc = 0;

	while (*s != '\0' && rc == 0) {
		const char *semi = strchr(s, ';');
		size_t len = semi ? (size_t)(semi - s) : strlen(s);
		char why[REASON_BYTES];
		struct res g;
		char *role = NULL;

		res_init(&g);
		if (parse_quota(s, len, &role, &g, why, sizeof(why)) < 0) {
			char *one = xstrndup(s, len);

			set_err(err, errlen, "bad quota '%.*s': %s", one, why);
			free(one);
			res_free(&g);
			rc = -1;
		} else {
			roles = xreallocarray(roles, n + 1, sizeof(*roles));
			gs = xreallocarray(gs, n + 1, sizeof(*gs));
			roles[n] = role;
			gs[n++] = g;
		}
		s = semi ? semi + 1 : s + len;
	}
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			alloc_set_quota(a, roles[i], &gs[i]);
		free(roles[i]);
		res_free(&gs[i]);
	}
	free(roles);
	free(gs);
	return rc;
}

/* -------------------------------------------------------------- agents */

struct alloc_agent *
alloc_agent_add(struct alloc *a, const char *name, const struct res *total, void *user)
{
	struct alloc_agent *ag = xcalloc(1, sizeof(*ag));

	ag->name = xstrdup(name ? name : "");
	ag->user = user;
	ag->id = a->next_id++;
	ag->active = 1;
	res_init(&ag->total);
	if (total != NULL)
		res_copy(&ag->total, total);
	res_copy(&ag->free, &ag->total);
	if (a->nagents == a->agents_cap) {
		a->agents_cap = grow(a->agents_cap);
		a->agents = xreallocarray(a->agents, a->agents_cap, sizeof(*a->agents));
		a->order = xreallocarray(a->order, a->agents_cap, sizeof(*a->order));
		a->active = xreallocarray(a->active, a->agents_cap, sizeof(*a->active));
	}
	ag->idx = a->nagents;
	a->active[a->nagents] = 1;
	a->agents[a->nagents++] = ag;
	totals_adjust(a, &ag->total, 1);
	avail_adjust(a, &ag->free, 1);
	cand_mark(a, ag);
	return ag;
}

void
alloc_agent_remove(struct alloc *a, struct alloc_agent *ag)
{
	if (ag == NULL || ag->removed)
		return;
	alloc_agent_activate(a, ag, 0);
	while (ag->pairs != NULL) {
		struct pair *p = ag->pairs;

		detach(a, p);
		filter_clear(a, p);
		account(a, p->fw, ag, &p->alloc, -1);
		reset_res(&p->alloc);
		pair_release(a, p);
	}
	totals_adjust(a, &ag->total, -1);
	prune_reserved(a, &ag->total);
	cand_unmark(a, ag);
	a->agents[ag->idx] = a->agents[--a->nagents];
	a->active[ag->idx] = a->active[a->nagents];
	a->agents[ag->idx]->idx = ag->idx;
	ag->removed = 1;
	if (a->in_callbacks) {
		ag->grave = a->grave_agents;
		a->grave_agents = ag;
	} else {
		agent_destroy(ag);
	}
}

void
alloc_agent_update_total(struct alloc *a, struct alloc_agent *ag, const struct res *total)
{
	struct res old = ag->total;

	if (ag->active)
		avail_adjust(a, &ag->free, -1);
	totals_adjust(a, &old, -1);
	res_copy(&ag->total, total);
	reset_res(&ag->free);
	res_copy(&ag->free, total);
	for (struct pair *p = ag->pairs; p; p = p->ag_next) {
		struct res junk;

		res_init(&junk);
		take_clamped(&ag->free, &p->alloc, &junk);
		res_free(&junk);
	}
	totals_adjust(a, &ag->total, 1);
	prune_reserved(a, &old);
	res_free(&old);
	if (ag->active)
		avail_adjust(a, &ag->free, 1);
	cand_mark(a, ag);
	lift_outgrown_filters(a, ag);
}

void
alloc_agent_activate(struct alloc *a, struct alloc_agent *ag, int active)
{
	active = active != 0;
	if (ag->active == active)
		return;
	ag->active = active;
	a->active[ag->idx] = (unsigned char)active;
	avail_adjust(a, &ag->free, active ? 1 : -1);
	if (active)
		cand_mark(a, ag);
}

void *
alloc_agent_user(const struct alloc_agent *ag)
{
	return ag->user;
}

const struct res *
alloc_agent_free(const struct alloc_agent *ag)
{
	return &ag->free;
}

/* ---------------------------------------------------------- frameworks */

struct alloc_fw *
alloc_fw_add(struct alloc *a, const char *name, const char *role, int active, void *user)
{
	struct alloc_fw *fw = xcalloc(1, sizeof(*fw));
	struct role *r = ensure_role(a, role && *role ? role : "*");

	fw->name = xstrdup(name ? name : "");
	fw->role = r;
	fw->user = user;
	fw->id = a->next_id++;
	fw->active = active != 0;
	fw->node.kind = SN_FW;
	fw->node.owner = fw;
	fw->node.name = fw->name;
	fw->node.id = fw->id;
	fw->dense = a->ndense_free ? a->dense_free[--a->ndense_free] : a->dense_next++;
	fw->rnext = r->first_fw;
	if (r->first_fw)
		r->first_fw->rprev = fw;
	r->first_fw = fw;
	if (a->nfws == a->fws_cap) {
		a->fws_cap = grow(a->fws_cap);
		a->fws = xreallocarray(a->fws, a->fws_cap, sizeof(*a->fws));
	}
	fw->idx = a->nfws;
	a->fws[a->nfws++] = fw;
	fw_update(a, fw);
	if (fw->active)
		a->cand_all = 1;
	return fw;
}

void
alloc_fw_remove(struct alloc *a, struct alloc_fw *fw)
{
	struct role *r;

	if (fw == NULL || fw->removed)
		return;
	r = fw->role;
	while (fw->pairs != NULL) {
		struct pair *p = fw->pairs;

		detach(a, p);
		filter_clear(a, p);
		if (!res_empty(&p->alloc)) {
			res_add(&p->ag->free, &p->alloc);
			account(a, fw, p->ag, &p->alloc, -1);
			cand_mark(a, p->ag);
			lift_outgrown_filters(a, p->ag);
		}
		reset_res(&p->alloc);
		pair_release(a, p);
	}
	fw->removed = 1;
	fw_update(a, fw);
	if (fw->rprev)
		fw->rprev->rnext = fw->rnext;
	else
		r->first_fw = fw->rnext;
	if (fw->rnext)
		fw->rnext->rprev = fw->rprev;
	prune(a, r);
	a->fws[fw->idx] = a->fws[--a->nfws];
	a->fws[fw->idx]->idx = fw->idx;
	if (a->ndense_free == a->dense_free_cap) {
		a->dense_free_cap = grow(a->dense_free_cap);
		a->dense_free = xreallocarray(a->dense_free, a->dense_free_cap,
		                              sizeof(*a->dense_free));
	}
	a->dense_free[a->ndense_free++] = fw->dense;
	if (a->in_callbacks) {
		fw->grave = a->grave_fws;
		a->grave_fws = fw;
	} else {
		fw_destroy(fw);
	}
}

void
alloc_fw_activate(struct alloc *a, struct alloc_fw *fw, int active)
{
	fw->active = active != 0;
	fw_update(a, fw);
	if (fw->active)
		a->cand_all = 1;
}

void
alloc_fw_suppress(struct alloc *a, struct alloc_fw *fw)
{
	fw->suppressed = 1;
	fw_update(a, fw);
}

void
alloc_fw_revive(struct alloc *a, struct alloc_fw *fw)
{
	struct pair *p = fw->pairs, *next;

	for (; p; p = next) {
		next = p->fw_next;
		filter_clear(a, p);
		pair_release(a, p);
	}
	fw->suppressed = 0;
	fw_update(a, fw);
	a->cand_all = 1;
}

void *
alloc_fw_user(const struct alloc_fw *fw)
{
	return fw->user;
}

const char *
alloc_fw_role(const struct alloc_fw *fw)
{
	return fw->role->path;
}

double
alloc_fw_share(const struct alloc *a, const struct alloc_fw *fw)
{
	return share_of(a, &fw->alloc, WEIGHT_DEFAULT);
}

void
alloc_allocate(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag, const struct res *r)
{
	struct res got;
	struct pair *p;

	res_init(&got);
	take_clamped(&ag->free, r, &got);
	if (res_empty(&got)) {
		res_free(&got);
		return;
	}
	p = pair_get(a, fw, ag);
	detach(a, p);
	res_add(&p->alloc, &got);
	count_allocation(fw);
	account(a, fw, ag, &got, 1);
	res_free(&got);
}

void
alloc_recover(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag, const struct res *r,
              int64_t refuse_ms, int64_t now_ms)
{
	struct pair *p = pair_find(fw, ag);

	if (p != NULL && r != NULL) {
		struct res got;

		detach(a, p);
		if (res_equal(&p->alloc, r)) {
			/* All of it, as when a whole offer is declined: move, no copy. */
			got = p->alloc;
			res_init(&p->alloc);
		} else {
			res_init(&got);
			take_clamped(&p->alloc, r, &got);
		}
		if (!res_empty(&got)) {
			account(a, fw, ag, &got, -1);
			if (ag->free.n == 0) {
				res_free(&ag->free);
				ag->free = got;
				res_init(&got);
			} else {
				res_add(&ag->free, &got);
			}
			cand_mark(a, ag);
			lift_outgrown_filters(a, ag);
		}
		res_free(&got);
	}
	if (refuse_ms > 0) {
		int64_t d = refuse_ms > a->interval_ms ? refuse_ms : a->interval_ms;
		int64_t until = now_ms > 0 && d > INT64_MAX - now_ms ? INT64_MAX : now_ms + d;

		if (p == NULL)
			p = pair_get(a, fw, ag);
		filter_set(a, p, until, r);
	}
	if (p != NULL)
		pair_release(a, p);
}

/* ------------------------------------------------------------- reading */

struct names_out {
	const char **names;
	size_t max, n;
};

static void
list_fws(const struct snode *t, struct names_out *out)
{
	if (t == NULL)
		return;
	list_fws(t->left, out);
	if (out->n < out->max)
		out->names[out->n] = ((const struct alloc_fw *)t->owner)->name;
	out->n++;
	list_fws(t->right, out);
}

static void
list_roles(const struct snode *t, struct names_out *out)
{
	const struct role *r;

	if (t == NULL)
		return;
	list_roles(t->left, out);
	r = t->owner;
	if (t->kind == SN_SELF)
		list_fws(r->fws, out);
	else
		list_roles(r->kids, out);
	list_roles(t->right, out);
}

size_t
alloc_sorted(const struct alloc *a, const char **names, size_t max)
{
	struct names_out out = { names, max, 0 };

	/* Re-sorting after a total changed is a cache refresh, not a change
	 * anyone can observe; the object was never defined const. */
	ensure_sorted((struct alloc *)a);
	list_roles(a->root.kids, &out);
	return out.n < max ? out.n : max;
}

static int
str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void
qty_json(const struct alloc *a, const struct qty *q, struct json_w *w)
{
	struct res r;

	res_init(&r);
	for (size_t i = 0; i < q->n && i < a->nnames; i++)
		if (q->v[i] != 0)
			res_set_scalar(&r, a->names[i], NULL, q->v[i]);
	res_json(&r, w);
	res_free(&r);
}

void
alloc_roles_json(const struct alloc *a, struct json_w *w)
{
	size_t cap = map_len(&a->roles) + map_len(&a->weights), n = 0;
	const char **names = xcalloc(cap ? cap : 1, sizeof(*names));
	struct qty none = { NULL, 0 };
	const char *key;
	void *val;

	for (size_t i = 0; map_next(&a->roles, &i, &key, &val);)
		names[n++] = key;
	for (size_t i = 0; map_next(&a->weights, &i, &key, &val);)
		names[n++] = key;
	qsort(names, n, sizeof(*names), str_cmp);
	json_obj_begin(w);
	json_key(w, "roles");
	json_arr_begin(w);
	for (size_t k = 0; k < n; k++) {
		const struct role *r;

		if (k > 0 && strcmp(names[k], names[k - 1]) == 0)
			continue;
		r = map_get(&a->roles, names[k]);
		json_obj_begin(w);
		json_kstr(w, "name", names[k]);
		json_kdouble(w, "weight", weight_of(a, names[k]));
		json_key(w, "frameworks");
		json_arr_begin(w);
		for (const struct alloc_fw *fw = r ? r->first_fw : NULL; fw; fw = fw->rnext)
			json_str(w, fw->name);
		json_arr_end(w);
		json_key(w, "resources");
		qty_json(a, r ? &r->alloc : &none, w);
		json_key(w, "allocated");
		qty_json(a, r ? &r->alloc : &none, w);
		json_key(w, "quota");
		json_obj_begin(w);
		json_key(w, "guarantee");
		qty_json(a, r ? &r->guarantee : &none, w);
		json_obj_end(w);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_obj_end(w);
	free(names);
}
