/*
 * constraints.c: Marathon's placement constraints on `hostname` and agent
 * attributes: UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS, with
 * its validation messages (Marathon's documentation, "Constraints"). An
 * offer is judged against the app's placed instances of its current
 * config; each task keeps the values its agent had for the app's
 * constraint fields, so no agent attributes are parsed again per offer.
 * GROUP_BY follows the released (1.9/1.10) algorithm, its group sizes
 * counted in one pass.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "attrs.h"
#include "buf.h"
#include "json.h"
#include "xmem.h"

#define CONSTRAINTS_MAX 64
#define VALUE_MAX 256

enum { OP_UNIQUE, OP_CLUSTER, OP_GROUP_BY, OP_LIKE, OP_UNLIKE, OP_MAX_PER, OP_IS };
static const char *const OPS[] = { "UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER",
	"IS", NULL };

static int
parse_count(const char *s, long long *out)
{
	char *end;

	if (*s == '\0')
		return -1;
	*out = strtoll(s, &end, 10);
	return *end == '\0' && *out >= 0 ? 0 : -1;
}

/* Validate one [field, OP(, value)]; -1 with Marathon's message. */
static int
parse_one(const struct json *c, struct mt_constraint *k, char *msg, size_t msglen)
{
	const char *field, *op, *value = NULL;
	size_t i;

	if (c->type != JSON_ARRAY || c->n < 2 || c->n > 3) {
		snprintf(msg, msglen, "Each constraint must have either 2 or 3 fields");
		return -1;
	}
	for (i = 0; i < c->n; i++)
		if (c->items[i]->type != JSON_STRING) {
			snprintf(msg, msglen, "illegal constraint specification");
			return -1;
		}
	field = c->items[0]->string;
	op = c->items[1]->string;
	if (c->n == 3)
		value = c->items[2]->string;
	if (*field == '\0') {
		snprintf(msg, msglen, "illegal constraint specification");
		return -1;
	}
	for (i = 0; OPS[i] != NULL && strcmp(OPS[i], op) != 0; i++)
		;
	if (OPS[i] == NULL) {
		snprintf(msg, msglen, "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, "
		         "LIKE, MAX_PER, UNLIKE or IS");
		return -1;
	}
	k->op = (int)i;
	switch (k->op) {
	case OP_UNIQUE:
		if (value != NULL) {
			snprintf(msg, msglen, "UNIQUE does not accept a value");
			return -1;
		}
		break;
	case OP_GROUP_BY:
		if (value != NULL && parse_count(value, &k->num) == -1) {
			snprintf(msg, msglen, "GROUP BY must define an integer value or else no value at all");
			return -1;
		}
		break;
	case OP_MAX_PER:
		if (value == NULL || parse_count(value, &k->num) == -1) {
			snprintf(msg, msglen, "MAX_PER requires an integer value");
			return -1;
		}
		break;
	case OP_LIKE:
	case OP_UNLIKE: {
		char *anchored;
		int rc;

		if (value == NULL || *value == '\0') {
			snprintf(msg, msglen, "LIKE and UNLIKE require a non-empty, regular expression value");
			return -1;
		}
		/* Java's String.matches: the whole value must match. */
		anchored = xstrfmt("^(%s)$", value);
		rc = regcomp(&k->re, anchored, REG_EXTENDED | REG_NOSUB);
		free(anchored);
		if (rc != 0) {
			snprintf(msg, msglen, "'%s' is not a valid regular expression", value);
			return -1;
		}
		k->has_re = 1;
		break;
	}
	case OP_IS:
		if (value == NULL || strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_/.-") != strlen(value)) {
			snprintf(msg, msglen, "IS only supports Mesos text and float values");
			return -1;
		}
		break;
	default:
		break;
	}
	k->field = xstrdup(field);
	k->value = value != NULL ? xstrdup(value) : NULL;
	return 0;
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
		struct mt_constraint *k = &a->constraints[a->nconstraints];

		if (parse_one(j->items[i], k, msg, msglen) == -1) {
			if (k->has_re)
				regfree(&k->re);
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
	for (size_t i = 0; i < a->nconstraints; i++) {
		free(a->constraints[i].field);
		free(a->constraints[i].value);
		if (a->constraints[i].has_re)
			regfree(&a->constraints[i].re);
	}
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
		json_str(w, OPS[a->constraints[i].op]);
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
	for (size_t i = 0; i < a->nconstraints; i++) {
		const struct mt_constraint *x = &a->constraints[i], *y = &b->constraints[i];

		if (x->op != y->op || strcmp(x->field, y->field) != 0 ||
		    (x->value == NULL) != (y->value == NULL) ||
		    (x->value != NULL && strcmp(x->value, y->value) != 0))
			return 1;
	}
	return 0;
}

/* The offer's value for a field, or NULL when its agent lacks the attribute. */
static const char *
offer_value(const char *field, const char *hostname, const struct attrs *attrs, char *buf,
            size_t len)
{
	const struct attrs_item *at;

	if (strcmp(field, "hostname") == 0 || strcmp(field, "@hostname") == 0)
		return hostname;
	if ((at = attrs_get(attrs, field)) == NULL)
		return NULL;
	attrs_value_text(at, buf, len);
	return buf;
}

void
constraints_task_values(const struct mt_app *a, struct mt_task *t, const char *hostname,
                        const struct attrs *attrs)
{
	char buf[VALUE_MAX];

	if (a->nconstraints == 0)
		return;
	t->cvals = xcalloc(a->nconstraints, sizeof(*t->cvals));
	t->ncvals = a->nconstraints;
	for (size_t i = 0; i < a->nconstraints; i++) {
		const char *v = offer_value(a->constraints[i].field, hostname, attrs, buf, sizeof(buf));

		t->cvals[i] = v != NULL ? xstrdup(v) : NULL;
	}
}

/* Placed instances that count: the current config's, not being killed. */
static int
placed(const struct mt_task *t, size_t i)
{
	return !t->killing && !t->outdated && i < t->ncvals;
}

/*
 * How many groups the placed instances form on constraint i, and the size
 * of the smallest: one pass, counting in a map by value (linear in the
 * app's tasks, where comparing every pair was quadratic).
 */
static long long
group_sizes(const struct mt_app *a, size_t i, long long *min)
{
	struct map groups;
	long long *counts, ngroups = 0, n = 0;
	const char *k;
	void *v;

	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next)
		n++;
	counts = xcalloc((size_t)n + 1, sizeof(*counts));
	map_init(&groups);
	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next) {
		long long *c;

		if (!placed(t, i) || t->cvals[i] == NULL)
			continue;
		if ((c = map_get(&groups, t->cvals[i])) == NULL) {
			c = &counts[ngroups++];
			map_put(&groups, t->cvals[i], c);
		}
		(*c)++;
	}
	*min = -1;
	for (size_t it = 0; map_next(&groups, &it, &k, &v);)
		if (*min == -1 || *(long long *)v < *min)
			*min = *(long long *)v;
	map_free(&groups);
	free(counts);
	return ngroups;
}

static int
match_one(const struct mt_app *a, size_t i, const char *v)
{
	const struct mt_constraint *k = &a->constraints[i];
	long long same = 0, groups = 0, min = -1;
	const struct mt_task *first = NULL;

	if (v == NULL)
		return k->op == OP_UNLIKE;
	switch (k->op) {
	case OP_LIKE:
		return regexec(&k->re, v, 0, NULL, 0) == 0;
	case OP_UNLIKE:
		return regexec(&k->re, v, 0, NULL, 0) != 0;
	case OP_IS:
		return strcmp(v, k->value) == 0;
	default:
		break;
	}
	for (const struct mt_task *t = a->tasks; t != NULL; t = t->next) {
		if (!placed(t, i) || t->cvals[i] == NULL)
			continue;
		first = t;      /* the list is newest first: the last seen is the first placed */
		same += strcmp(t->cvals[i], v) == 0;
	}
	switch (k->op) {
	case OP_UNIQUE:
		return same == 0;
	case OP_CLUSTER:
		if (k->value != NULL)
			return strcmp(v, k->value) == 0;
		return first == NULL || strcmp(first->cvals[i], v) == 0;
	case OP_MAX_PER:
		return same < k->num;
	case OP_GROUP_BY:
		if (same == 0)
			return 1;
		groups = group_sizes(a, i, &min);
		return groups >= k->num && same == min;
	default:
		return 0;
	}
}

int
constraints_match(const struct mt_app *a, const char *hostname, const struct attrs *attrs)
{
	char buf[VALUE_MAX];

	for (size_t i = 0; i < a->nconstraints; i++)
		if (!match_one(a, i, offer_value(a->constraints[i].field, hostname, attrs, buf,
		                                 sizeof(buf))))
			return 0;
	return 1;
}
