/*
 * alloc_sort.c: the roles and the DRF order. It owns the role tree (made
 * on first use, pruned when nothing refers to a role), every share, and the
 * trees that keep frameworks and roles sorted by them; alloc_sort_list reads
 * the order out.
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
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc_int.h"
#include "map.h"
#include "xmem.h"

/* --------------------------------------------------- the sorted trees */

int
alloc_sort_less(const struct snode *x, const struct snode *y)
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
	if (alloc_sort_less(n, t))
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
	if (alloc_sort_less(n, t))
		t->left = sn_remove(t->left, n);
	else
		t->right = sn_remove(t->right, n);
	return sn_balance(t);
}

/*
 * Dominant share: the largest allocated/total over the cluster's scalars,
 * then divided by the weight, in double precision and in that order, as
 * Mesos's DRFSorter does (its tests depend on the rounding).
 */
double
alloc_sort_share(const struct alloc *a, const struct qty *q, double weight)
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

double
alloc_sort_weight(const struct alloc *a, const char *path)
{
	const double *w = map_get(&a->weights, path);

	return w ? *w : WEIGHT_DEFAULT;
}

void
alloc_sort_role_nodes(struct alloc *a, struct role *r)
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

struct role *
alloc_sort_role(struct alloc *a, const char *path)
{
	struct role *r = map_get(&a->roles, path), *parent = &a->root;
	const char *slash;

	if (r != NULL)
		return r;
	slash = strrchr(path, '/');
	if (slash != NULL && slash != path) {
		char *up = xstrndup(path, (size_t)(slash - path));

		parent = alloc_sort_role(a, up);
		free(up);
	}
	r = xcalloc(1, sizeof(*r));
	r->path = xstrdup(path);
	r->selfname = xstrfmt("%s%s", path, SELF_SUFFIX);
	r->parent = parent;
	r->weight = alloc_sort_weight(a, path);
	alloc_sort_role_nodes(a, r);
	r->next_sib = parent->first_child;
	if (parent->first_child)
		parent->first_child->prev_sib = r;
	parent->first_child = r;
	r->kids = sn_insert(NULL, &r->self);
	parent->kids = sn_insert(parent->kids, &r->entry);
	map_put(&a->roles, r->path, r);
	return r;
}

void
alloc_sort_role_destroy(struct role *r)
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
void
alloc_sort_prune(struct alloc *a, struct role *r)
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
		alloc_sort_role_destroy(r);
		r = p;
	}
}

/* Re-key r's self leaf and every role entry above it after a change below. */
void
alloc_sort_role_chain(struct alloc *a, struct role *r)
{
	if (r == &a->root)
		return;
	r->kids = sn_remove(r->kids, &r->self);
	r->self.share = alloc_sort_share(a, &r->own, WEIGHT_DEFAULT);
	r->self.count = r->own_count;
	r->self.w = sn_sum(r->fws);
	r->kids = sn_insert(r->kids, &r->self);
	for (; r != &a->root; r = r->parent) {
		struct role *p = r->parent;

		p->kids = sn_remove(p->kids, &r->entry);
		r->entry.share = alloc_sort_share(a, &r->alloc, r->weight);
		r->entry.count = r->count;
		r->entry.w = sn_sum(r->kids);
		p->kids = sn_insert(p->kids, &r->entry);
	}
}

/* Re-key fw in its role's tree (or take it out); the caller runs alloc_sort_role_chain. */
static void
fw_place(struct alloc *a, struct alloc_fw *fw)
{
	struct role *r = fw->role;

	if (fw->in_tree)
		r->fws = sn_remove(r->fws, &fw->node);
	fw->in_tree = fw->active && !fw->suppressed && !fw->removed;
	fw->node.share = alloc_sort_share(a, &fw->alloc, WEIGHT_DEFAULT);
	fw->node.count = fw->count;
	fw->node.w = fw_open(a, fw);
	if (fw->in_tree)
		r->fws = sn_insert(r->fws, &fw->node);
}

void
alloc_sort_fw_update(struct alloc *a, struct alloc_fw *fw)
{
	fw_place(a, fw);
	alloc_sort_role_chain(a, fw->role);
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
		r->self.share = alloc_sort_share(a, &r->own, WEIGHT_DEFAULT);
		r->self.count = r->own_count;
		r->self.w = sn_sum(r->fws);
		r->kids = sn_insert(r->kids, &r->self);
	}
	for (struct role *c = r->first_child; c; c = c->next_sib) {
		c->entry.share = alloc_sort_share(a, &c->alloc, c->weight);
		c->entry.count = c->count;
		c->entry.w = sn_sum(c->kids);
		r->kids = sn_insert(r->kids, &c->entry);
	}
}

void
alloc_sort_ensure(struct alloc *a)
{
	if (a->dirty) {
		rebuild_role(a, &a->root);
		a->dirty = 0;
	}
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
alloc_sort_list(const struct alloc *a, const char **names, size_t max)
{
	struct names_out out = { names, max, 0 };

	/* Re-sorting after a total changed is a cache refresh, not a change
	 * anyone can observe; the object was never defined const. */
	alloc_sort_ensure((struct alloc *)a);
	list_roles(a->root.kids, &out);
	return out.n < max ? out.n : max;
}
