/*
 * alloc_account.c: the allocator's books. It owns the counts a share is
 * made of: what each framework and role holds (every scalar, and the
 * unreserved part), how many allocations each has had (the DRF
 * tie-break), the cluster's total and each role's reservations, and the
 * unreserved headroom free on active agents that quota is checked against.
 *
 * Every change to a framework's holdings re-keys it in the sorted order
 * (alloc_sort.c) here, so the books and the order cannot drift apart.
 */
#include <stdint.h>
#include <stddef.h>

#include "alloc.h"
#include "alloc_int.h"
#include "res.h"

void
alloc_account_count(struct alloc_fw *fw)
{
	fw->count++;
	fw->role->own_count++;
	for (struct role *x = fw->role; x; x = x->parent)
		x->count++;
}

void
alloc_account_move(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag,
                   const struct res *r, int sign)
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
	alloc_sort_fw_update(a, fw);
}

void
alloc_account_avail(struct alloc *a, const struct res *r, int sign)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].type == RES_SCALAR && unreserved(&r->items[i]))
			qadd(&a->avail, name_id(a, r->items[i].name), sign * r->items[i].scalar);
}

void
alloc_account_totals(struct alloc *a, const struct res *total, int sign)
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
		for (struct role *x = alloc_sort_role(a, it->role); x; x = x->parent)
			qadd(&x->resv, id, sign * it->scalar);
	}
	a->dirty = 1;
}
