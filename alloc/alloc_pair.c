/*
 * alloc_pair.c: what one framework holds on one agent, and its refusal
 * filter. It owns the (framework, agent) pair records, each agent's table
 * and bitmaps of them, the pool of spare records, and the heap that expires
 * filters in time order (alloc_pair_next_expiry reads its top).
 *
 * Each agent keeps what a pass needs of it close together: a bitmap of the
 * frameworks refusing it and a small table of its (framework, agent) pairs,
 * so deciding who gets an agent costs a walk down the trees and bit tests.
 * A pair lives only while it holds something, filters something or is
 * being offered.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc_int.h"
#include "res.h"
#include "xmem.h"

#define PAIR_TABLE_MIN 8              /* first size of an agent's pair table */
#define PAIR_SPARES_MAX 65536         /* freed pair records kept for reuse (~8 MiB) */
#define PAIR_MASK_SHIFT 56            /* top 8 bits of a multiplicative hash index it */
#define HASH_MUL 0xff51afd7ed558ccdULL            /* murmur3's mixing constant */
#define HASH_SHIFT 32

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

struct pair *
alloc_pair_find(const struct alloc_fw *fw, const struct alloc_agent *ag)
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

struct pair *
alloc_pair_get(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag)
{
	struct pair *p = alloc_pair_find(fw, ag);

	return p ? p : pair_new(a, fw, ag);
}

/* Free p once it holds nothing, filters nothing and is not being offered. */
void
alloc_pair_release(struct alloc *a, struct pair *p)
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

/* Every pair and spare record, as the allocator goes (alloc_free). */
void
alloc_pair_free_all(struct alloc *a)
{
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
		alloc_sort_fw_update(a, fw);
}

void
alloc_pair_filter_set(struct alloc *a, struct pair *p, int64_t until, const struct res *refused)
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

void
alloc_pair_filter_clear(struct alloc *a, struct pair *p)
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
void
alloc_pair_lift_outgrown(struct alloc *a, struct alloc_agent *ag)
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
			alloc_pair_filter_clear(a, p);
		res_free(&offerable);
	}
}

void
alloc_pair_expire(struct alloc *a, int64_t now)
{
	size_t nkeep = 0;

	while (a->nheap > 0 && a->heap[0]->until <= now) {
		struct pair *p = a->heap[0];

		if (p->filter_pass < a->passes) {
			struct alloc_agent *ag = p->ag;

			alloc_pair_filter_clear(a, p);
			alloc_cand_mark(a, ag);
			alloc_pair_release(a, p);
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

int64_t
alloc_pair_next_expiry(const struct alloc *a)
{
	return a->nheap > 0 ? a->heap[0]->until : INT64_MAX;
}
