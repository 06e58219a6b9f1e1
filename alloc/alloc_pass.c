/*
 * alloc_pass.c: one allocation pass (alloc_run's work). It owns the quota
 * headroom, the choice of a framework for each agent, and the offers on
 * their way out.
 *
 * A pass drops expired filters, visits the agents (all, or the candidates
 * of alloc_cand.c) in a shuffled order, first serving unmet quota
 * guarantees and then plain DRF order, and walks the sorted trees
 * (alloc_sort.c) to the first open framework that does not refuse the agent
 * (alloc_pair.c). The offers it makes share the pair's resources instead of
 * copying them; alloc.c hands them out after the pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc_int.h"
#include "res.h"
#include "xmem.h"

#define RNG_SHIFT_A 12                /* xorshift64*'s shift triple (multiplier: RNG_MUL) */
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

static uint64_t
rng_next(struct alloc *a)
{
	a->rng ^= a->rng >> RNG_SHIFT_A;
	a->rng ^= a->rng << RNG_SHIFT_B;
	a->rng ^= a->rng >> RNG_SHIFT_C;
	return a->rng * RNG_MUL;
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

static int
under_quota(const struct role *r)
{
	for (; r; r = r->parent)
		if (r->has_quota)
			return 1;
	return 0;
}

/*
 * How much of unreserved scalar id on ag a framework in role may take.
 * A role with no quota above it gets nothing of a guaranteed name on an
 * agent holding the headroom (but the last one's spill) and all of it
 * elsewhere. A quota role may take what is free cluster-wide minus the
 * guarantees other roles still miss; in the quota stage, guaranteed names
 * are also capped at qroot's shortfall.
 */
static int64_t
cap_for(const struct alloc *a, const struct alloc_agent *ag, const struct role *role,
        const struct role *qroot, size_t id)
{
	int64_t held, c;

	if (!a->quota_on)
		return INT64_MAX;
	if (qroot == NULL && (role == NULL || !under_quota(role))) {
		if (!ag->held || qget(&a->req, id) <= 0)
			return INT64_MAX;
		return ag == a->held[a->nheld - 1] ? qget(&a->spill, id) : 0;
	}
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

/*
 * Headroom in pieces an instance fits in. Mesos holds back the unmet
 * guarantees as an aggregate, so fragments left on busy agents count
 * towards it and a guarantee of whole instances can wait for one agent to
 * drain. Here the headroom is held on whole agents, those whose free pool
 * alone covers most of the shortfall first, and the quota stage serves
 * from the same agents first.
 */

/* The fraction of each unmet guaranteed name ag's free pool covers, summed. */
static double
headroom_fit(struct alloc *a, const struct alloc_agent *ag)
{
	double fit = 0;

	for (size_t i = 0; i < ag->free.n; i++) {
		const struct res_item *it = &ag->free.items[i];
		int64_t need;

		if (it->type != RES_SCALAR || !unreserved(it))
			continue;
		need = qget(&a->req, name_id(a, it->name));
		if (need > 0)
			fit += (double)(it->scalar < need ? it->scalar : need) / (double)need;
	}
	return fit;
}

static int
fit_cmp(const void *x, const void *y)
{
	const struct alloc_agent *p = *(struct alloc_agent *const *)x;
	const struct alloc_agent *q = *(struct alloc_agent *const *)y;

	if (p->fit != q->fit)
		return p->fit > q->fit ? -1 : 1;
	return p->id < q->id ? -1 : p->id > q->id;
}

/* v[0..n) by fit, freest first (ties: oldest agent). */
static void
fit_sort(struct alloc *a, struct alloc_agent **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i]->fit = headroom_fit(a, v[i]);
	qsort(v, n, sizeof(*v), fit_cmp);
}

/* Mark the agents holding the headroom, freest first, until they cover req. */
static void
headroom_place(struct alloc *a)
{
	struct qty *need = &a->scratch;
	size_t n = 0;
	int short_of = 1;

	a->nheld = 0;
	if (!a->quota_on)
		return;
	for (size_t i = 0; i < a->nagents; i++)
		if (a->active[i] && a->agents[i]->free.n > 0)
			a->held[n++] = a->agents[i];
	fit_sort(a, a->held, n);
	qzero(need);
	for (size_t i = 0; i < a->req.n; i++)
		qadd(need, i, a->req.v[i]);
	for (size_t k = 0; k < n && short_of && a->held[k]->fit > 0; k++) {
		const struct res *f = &a->held[k]->free;

		for (size_t i = 0; i < f->n; i++)
			if (f->items[i].type == RES_SCALAR && unreserved(&f->items[i]))
				qadd(need, name_id(a, f->items[i].name), -f->items[i].scalar);
		a->held[k]->held = 1;
		a->nheld = k + 1;
		short_of = 0;
		for (size_t i = 0; i < need->n; i++)
			if (qget(&a->req, i) > 0 && need->v[i] > 0)
				short_of = 1;
	}
	qzero(&a->spill);
	for (size_t i = 0; i < need->n; i++)
		if (need->v[i] < 0)
			qadd(&a->spill, i, -need->v[i]);
}

static void
headroom_release(struct alloc *a)
{
	for (size_t k = 0; k < a->nheld; k++)
		a->held[k]->held = 0;
	a->nheld = 0;
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
			int64_t c = cap_for(a, v->ag, role, v->qroot, id);

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

/* p's allocation is about to change: an offer sharing it gets its own copy. */
void
alloc_pass_detach(struct alloc *a, struct pair *p)
{
	struct offer *o = pending_offer(a, p);

	if (o == NULL)
		return;
	if (o->shared)
		res_copy(&o->r, &p->alloc);
	o->shared = 0;
	o->pair = NULL;
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
			whole = it->scalar <= cap_for(a, ag, fw->role, v->qroot,
			                                 name_id(a, it->name));
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
				int64_t c = cap_for(a, ag, fw->role, v->qroot, name_id(a, part.name));

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
	p = alloc_pair_get(a, fw, ag);
	alloc_account_count(fw);
	alloc_account_move(a, fw, ag, &o, 1);
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
		for (j = n; j > 0 && alloc_sort_less(&r->entry, &a->qorder[j - 1]->entry); j--)
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
	if (quota_stage)
		fit_sort(a, order, n);
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

/*
 * Expire filters, re-sort if the totals moved, and visit the agents: the
 * offers made are left in a->offers for alloc.c to deliver.
 */
void
alloc_pass_run(struct alloc *a, int64_t now_ms, int candidates_only)
{
	size_t n;

	alloc_pair_expire(a, now_ms);
	alloc_sort_ensure(a);
	n = alloc_cand_gather(a, candidates_only);
	quota_refresh(a);
	if (a->quota_on)
		visit_all(a, n, 1);
	quota_refresh(a);
	headroom_place(a);
	visit_all(a, n, 0);
	headroom_release(a);
	a->passes++;
}
