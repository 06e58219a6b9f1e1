/*
 * alloc_cand.c: the candidates, the agents touched since the last pass
 * (added, re-activated, resources given back, a filter expired). A pass
 * run on an event visits only them; a framework becoming active, or
 * clearing its filters, makes every agent a candidate again.
 */
#include <stddef.h>

#include "alloc.h"
#include "alloc_int.h"
#include "xmem.h"

void
alloc_cand_mark(struct alloc *a, struct alloc_agent *ag)
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

void
alloc_cand_unmark(struct alloc *a, struct alloc_agent *ag)
{
	if (!ag->cand)
		return;
	a->cands[ag->cand_idx] = a->cands[--a->ncands];
	a->cands[ag->cand_idx]->cand_idx = ag->cand_idx;
	ag->cand = 0;
}

int
alloc_cand_any(const struct alloc *a)
{
	return a->cand_all || a->ncands > 0;
}

size_t
alloc_cand_gather(struct alloc *a, int candidates_only)
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
