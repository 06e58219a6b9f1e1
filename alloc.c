/*
 * alloc.c: the allocator, the face of it that alloc.h promises. It owns
 * every agent's free pool, what each framework holds on each agent,
 * refusal filters, role weights and quota, and the hierarchical DRF order;
 * the master feeds it events and asks it for offers. Pure: no I/O, no
 * clock, no randomness but its seed.
 *
 * This file is the allocator's lifecycle, its events (agents and
 * frameworks come and go, resources are allocated and recovered), and the
 * delivery of a pass's offers, with the graves that keep what a callback
 * removes alive until the callbacks are done. Every alloc.h function is
 * defined here; the work of the rest is in alloc/ (alloc/alloc_int.h is
 * its map), which this file calls down into and which never calls back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc/alloc_int.h"
#include "map.h"
#include "res.h"
#include "xmem.h"

#define INTERVAL_DEFAULT_MS 1000
#define MIN_ALLOCATABLE_DEFAULT "cpus:0.01|mem:32"
#define RNG_FALLBACK_SEED 0x9e3779b97f4a7c15ULL   /* xorshift must not start at 0 */

/* ------------------------------------------------------------ helpers */

static void
prune_reserved(struct alloc *a, const struct res *total)
{
	for (size_t i = 0; i < total->n; i++)
		if (!unreserved(&total->items[i]))
			alloc_sort_prune(a, map_get(&a->roles, total->items[i].role));
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
	alloc_sort_role_nodes(a, &a->root);
	alloc_conf_min_allocatable(a, MIN_ALLOCATABLE_DEFAULT, err, sizeof(err));
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

/* Free what was removed while the master's callbacks ran (see deliver). */
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

void
alloc_free(struct alloc *a)
{
	const char *key;
	void *val;

	if (a == NULL)
		return;
	bury(a);
	alloc_pair_free_all(a);
	for (size_t i = 0; i < a->nfws; i++)
		fw_destroy(a->fws[i]);
	for (size_t i = 0; i < a->nagents; i++)
		agent_destroy(a->agents[i]);
	for (size_t i = 0; map_next(&a->roles, &i, &key, &val);)
		alloc_sort_role_destroy(val);
	for (size_t i = 0; map_next(&a->weights, &i, &key, &val);)
		free(val);
	map_free(&a->roles);
	map_free(&a->weights);
	for (size_t i = 0; i < a->nnames; i++)
		free(a->names[i]);
	alloc_conf_minalts_free(a->minalts, a->nminalts);
	qfree(&a->root.alloc);
	qfree(&a->root.own);
	qfree(&a->root.unres);
	qfree(&a->root.resv);
	qfree(&a->total);
	qfree(&a->avail);
	qfree(&a->req);
	qfree(&a->spill);
	qfree(&a->scratch);
	free(a->root.path);
	free(a->root.selfname);
	free(a->names);
	free(a->qroles);
	free(a->qorder);
	free(a->agents);
	free(a->order);
	free(a->held);
	free(a->active);
	free(a->cands);
	free(a->fws);
	free(a->dense_free);
	free(a->heap);
	free(a->keep);
	free(a->offers);
	free(a);
}

/* ------------------------------------------------------------ settings */

void
alloc_set_interval(struct alloc *a, int64_t interval_ms)
{
	alloc_conf_interval(a, interval_ms);
}

int
alloc_set_min_allocatable(struct alloc *a, const char *spec, char *err, size_t errlen)
{
	return alloc_conf_min_allocatable(a, spec, err, errlen);
}

void
alloc_set_weight(struct alloc *a, const char *role, double weight)
{
	alloc_conf_weight(a, role, weight);
}

int
alloc_set_weights(struct alloc *a, const char *spec, char *err, size_t errlen)
{
	return alloc_conf_weights(a, spec, err, errlen);
}

void
alloc_set_quota(struct alloc *a, const char *role, const struct res *guarantee)
{
	alloc_conf_quota(a, role, guarantee);
}

int
alloc_set_quotas(struct alloc *a, const char *spec, char *err, size_t errlen)
{
	return alloc_conf_quotas(a, spec, err, errlen);
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
		a->held = xreallocarray(a->held, a->agents_cap, sizeof(*a->held));
		a->active = xreallocarray(a->active, a->agents_cap, sizeof(*a->active));
	}
	ag->idx = a->nagents;
	a->active[a->nagents] = 1;
	a->agents[a->nagents++] = ag;
	alloc_account_totals(a, &ag->total, 1);
	alloc_account_avail(a, &ag->free, 1);
	alloc_cand_mark(a, ag);
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

		alloc_pass_detach(a, p);
		alloc_pair_filter_clear(a, p);
		alloc_account_move(a, p->fw, ag, &p->alloc, -1);
		reset_res(&p->alloc);
		alloc_pair_release(a, p);
	}
	alloc_account_totals(a, &ag->total, -1);
	prune_reserved(a, &ag->total);
	alloc_cand_unmark(a, ag);
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
		alloc_account_avail(a, &ag->free, -1);
	alloc_account_totals(a, &old, -1);
	res_copy(&ag->total, total);
	reset_res(&ag->free);
	res_copy(&ag->free, total);
	for (struct pair *p = ag->pairs; p; p = p->ag_next) {
		struct res junk;

		res_init(&junk);
		take_clamped(&ag->free, &p->alloc, &junk);
		res_free(&junk);
	}
	alloc_account_totals(a, &ag->total, 1);
	prune_reserved(a, &old);
	res_free(&old);
	if (ag->active)
		alloc_account_avail(a, &ag->free, 1);
	alloc_cand_mark(a, ag);
	alloc_pair_lift_outgrown(a, ag);
}

void
alloc_agent_activate(struct alloc *a, struct alloc_agent *ag, int active)
{
	active = active != 0;
	if (ag->active == active)
		return;
	ag->active = active;
	a->active[ag->idx] = (unsigned char)active;
	alloc_account_avail(a, &ag->free, active ? 1 : -1);
	if (active)
		alloc_cand_mark(a, ag);
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
	struct role *r = alloc_sort_role(a, role && *role ? role : "*");

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
	alloc_sort_fw_update(a, fw);
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

		alloc_pass_detach(a, p);
		alloc_pair_filter_clear(a, p);
		if (!res_empty(&p->alloc)) {
			res_add(&p->ag->free, &p->alloc);
			alloc_account_move(a, fw, p->ag, &p->alloc, -1);
			alloc_cand_mark(a, p->ag);
			alloc_pair_lift_outgrown(a, p->ag);
		}
		reset_res(&p->alloc);
		alloc_pair_release(a, p);
	}
	fw->removed = 1;
	alloc_sort_fw_update(a, fw);
	if (fw->rprev)
		fw->rprev->rnext = fw->rnext;
	else
		r->first_fw = fw->rnext;
	if (fw->rnext)
		fw->rnext->rprev = fw->rprev;
	alloc_sort_prune(a, r);
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
	alloc_sort_fw_update(a, fw);
	if (fw->active)
		a->cand_all = 1;
}

void
alloc_fw_suppress(struct alloc *a, struct alloc_fw *fw)
{
	fw->suppressed = 1;
	alloc_sort_fw_update(a, fw);
}

void
alloc_fw_revive(struct alloc *a, struct alloc_fw *fw)
{
	struct pair *p = fw->pairs, *next;

	for (; p; p = next) {
		next = p->fw_next;
		alloc_pair_filter_clear(a, p);
		alloc_pair_release(a, p);
	}
	fw->suppressed = 0;
	alloc_sort_fw_update(a, fw);
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
	return alloc_sort_share(a, &fw->alloc, WEIGHT_DEFAULT);
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
	p = alloc_pair_get(a, fw, ag);
	alloc_pass_detach(a, p);
	res_add(&p->alloc, &got);
	alloc_account_count(fw);
	alloc_account_move(a, fw, ag, &got, 1);
	res_free(&got);
}

void
alloc_recover(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag, const struct res *r,
              int64_t refuse_ms, int64_t now_ms)
{
	struct pair *p = alloc_pair_find(fw, ag);

	if (p != NULL && r != NULL) {
		struct res got;

		alloc_pass_detach(a, p);
		if (res_equal(&p->alloc, r)) {
			/* All of it, as when a whole offer is declined: move, no copy. */
			got = p->alloc;
			res_init(&p->alloc);
		} else {
			res_init(&got);
			take_clamped(&p->alloc, r, &got);
		}
		if (!res_empty(&got)) {
			alloc_account_move(a, fw, ag, &got, -1);
			if (ag->free.n == 0) {
				res_free(&ag->free);
				ag->free = got;
				res_init(&got);
			} else {
				res_add(&ag->free, &got);
			}
			alloc_cand_mark(a, ag);
			alloc_pair_lift_outgrown(a, ag);
		}
		res_free(&got);
	}
	if (refuse_ms > 0) {
		int64_t d = refuse_ms > a->interval_ms ? refuse_ms : a->interval_ms;
		int64_t until = now_ms > 0 && d > INT64_MAX - now_ms ? INT64_MAX : now_ms + d;

		if (p == NULL)
			p = alloc_pair_get(a, fw, ag);
		alloc_pair_filter_set(a, p, until, r);
	}
	if (p != NULL)
		alloc_pair_release(a, p);
}

/* ------------------------------------------------------------ the pass */

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
	size_t made;

	if (a->in_run)
		return 0;
	a->in_run = 1;
	alloc_pass_run(a, now_ms, candidates_only);
	made = deliver(a, fn, arg);
	a->in_run = 0;
	return made;
}

int
alloc_has_candidates(const struct alloc *a)
{
	return alloc_cand_any(a);
}

int64_t
alloc_next_filter_expiry(const struct alloc *a)
{
	return alloc_pair_next_expiry(a);
}

size_t
alloc_sorted(const struct alloc *a, const char **names, size_t max)
{
	return alloc_sort_list(a, names, max);
}

void
alloc_roles_json(const struct alloc *a, struct json_w *w)
{
	alloc_conf_roles_json(a, w);
}
