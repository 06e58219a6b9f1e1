/*
 * constraints.c: Marathon's placement constraints as its app JSON spells
 * them, [field, OP(, value)] (its documentation, "Constraints"); the
 * operators themselves are plugins/common/pc_place.c. An offer is judged
 * against the app's placed instances of its current config; each task
 * keeps the values its agent had for the app's constraint fields, so no
 * agent attributes are parsed again per offer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "json.h"
#include "xmem.h"

#define CONSTRAINTS_MAX 64

/* Validate one [field, OP(, value)]; -1 with Marathon's message. */
static int
parse_one(const struct json *c, struct pc_place *k, char *msg, size_t msglen)
{
	if (c->type != JSON_ARRAY || c->n < 2 || c->n > 3) {
		snprintf(msg, msglen, "Each constraint must have either 2 or 3 fields");
		return -1;
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->items[i]->type != JSON_STRING) {
			snprintf(msg, msglen, "illegal constraint specification");
			return -1;
		}
	return pc_place_parse(k, c->items[0]->string, c->items[1]->string,
	                      c->n == 3 ? c->items[2]->string : NULL, msg, msglen);
}

int
constraints_parse(const struct json *j, struct mt_app *a, char *path, size_t pathlen,
                  char *msg, size_t msglen)
{
	if (j == NULL || j->type == JSON_NULL)
		return 0;
	if (j->type != JSON_ARRAY || j->n > CONSTRAINTS_MAX) {
		snprintf(path, pathlen, "/constraints");
		snprintf(msg, msglen, j->type != JSON_ARRAY ? "error.expected.jsarray" :
		         "too many constraints");
		return -1;
	}
	a->constraints = xcalloc(j->n ? j->n : 1, sizeof(*a->constraints));
	for (size_t i = 0; i < j->n; i++) {
		if (parse_one(j->items[i], &a->constraints[a->nconstraints], msg, msglen) == -1) {
			pc_place_free(&a->constraints[a->nconstraints]);
			snprintf(path, pathlen, "/constraints(%zu)", i);
			return -1;
		}
		a->nconstraints++;
	}
	return 0;
}

void
constraints_free(struct mt_app *a)
{
	for (size_t i = 0; i < a->nconstraints; i++)
		pc_place_free(&a->constraints[i]);
	free(a->constraints);
	a->constraints = NULL;
	a->nconstraints = 0;
}

void
constraints_write(struct json_w *w, const struct mt_app *a)
{
	json_key(w, "constraints");
	json_arr_begin(w);
	for (size_t i = 0; i < a->nconstraints; i++) {
		json_arr_begin(w);
		json_str(w, a->constraints[i].field);
		json_str(w, pc_place_op_name(a->constraints[i].op));
		if (a->constraints[i].value != NULL)
			json_str(w, a->constraints[i].value);
		json_arr_end(w);
	}
	json_arr_end(w);
}

int
constraints_differ(const struct mt_app *a, const struct mt_app *b)
{
	if (a->nconstraints != b->nconstraints)
		return 1;
	for (size_t i = 0; i < a->nconstraints; i++)
		if (pc_place_differ(&a->constraints[i], &b->constraints[i]))
			return 1;
	return 0;
}

void
constraints_task_values(const struct mt_app *a, struct mt_task *t, const char *hostname,
                        const struct attrs *attrs)
{
	char buf[PC_PLACE_VALUE_MAX];

	if (a->nconstraints == 0)
		return;
	t->cvals = xcalloc(a->nconstraints, sizeof(*t->cvals));
	t->ncvals = a->nconstraints;
	for (size_t i = 0; i < a->nconstraints; i++) {
		const char *v = pc_place_value(a->constraints[i].field, hostname, attrs, buf,
		                               sizeof(buf));

		t->cvals[i] = v != NULL ? xstrdup(v) : NULL;
	}
}

int
constraints_match(const struct mt_app *a, const char *hostname, const struct attrs *attrs)
{
	char buf[PC_PLACE_VALUE_MAX];
	const char **placed;
	size_t ntasks = 0;
	int ok = 1;

	if (a->nconstraints == 0)
		return 1;
	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next)
		ntasks++;
	placed = xcalloc(ntasks + 1, sizeof(*placed));
	for (size_t i = 0; ok && i < a->nconstraints; i++) {
		size_t n = ntasks;

		/*
		 * The placed instances that count: the current config's, not being
		 * killed. The list is newest first; placed[] is oldest first.
		 */
		for (const struct mt_task *t = a->tasks; t != NULL; t = t->next)
			if (!t->killing && !t->outdated && i < t->ncvals)
				placed[--n] = t->cvals[i];
		ok = pc_place_match(&a->constraints[i], pc_place_value(a->constraints[i].field,
		                    hostname, attrs, buf, sizeof(buf)), placed + n, ntasks - n);
	}
	free(placed);
	return ok;
}
