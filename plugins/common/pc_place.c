/*
 * pc_place.c: placement constraints on `hostname` and agent attributes,
 * with Marathon's operators and validation messages (its documentation,
 * "Constraints"): UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS.
 * A plugin says what its constraints look like in JSON (Marathon's
 * arrays, Metronome's objects) and which tasks count as placed; this
 * file checks an operator and its value and judges an offer against the
 * values the placed tasks' agents had. GROUP_BY follows Marathon's
 * released (1.9/1.10) algorithm, its group sizes counted in one pass.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"
#include "attrs.h"
#include "map.h"
#include "xmem.h"

static const char *const OPS[] = { "UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER",
	"IS", NULL };

const char *
pc_place_op_name(int op)
{
	return op >= 0 && op <= PC_PLACE_IS ? OPS[op] : "";
}

static int
parse_count(const char *s, long long *out)
{
	char *end;

	if (*s == '\0')
		return -1;
	*out = strtoll(s, &end, 10);
	return *end == '\0' && *out >= 0 ? 0 : -1;
}

int
pc_place_parse(struct pc_place *k, const char *field, const char *op, const char *value,
               char *msg, size_t msglen)
{
	size_t i;

	memset(k, 0, sizeof(*k));
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
	case PC_PLACE_UNIQUE:
		if (value != NULL) {
			snprintf(msg, msglen, "UNIQUE does not accept a value");
			return -1;
		}
		break;
	case PC_PLACE_GROUP_BY:
		if (value != NULL && parse_count(value, &k->num) == -1) {
			snprintf(msg, msglen, "GROUP BY must define an integer value or else no value at all");
			return -1;
		}
		break;
	case PC_PLACE_MAX_PER:
		if (value == NULL || parse_count(value, &k->num) == -1) {
			snprintf(msg, msglen, "MAX_PER requires an integer value");
			return -1;
		}
		break;
	case PC_PLACE_LIKE:
	case PC_PLACE_UNLIKE: {
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
	case PC_PLACE_IS:
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

void
pc_place_free(struct pc_place *k)
{
	free(k->field);
	free(k->value);
	if (k->has_re)
		regfree(&k->re);
	memset(k, 0, sizeof(*k));
}

int
pc_place_differ(const struct pc_place *x, const struct pc_place *y)
{
	return x->op != y->op || strcmp(x->field, y->field) != 0 ||
	       (x->value == NULL) != (y->value == NULL) ||
	       (x->value != NULL && strcmp(x->value, y->value) != 0);
}

const char *
pc_place_value(const char *field, const char *hostname, const struct attrs *attrs, char *buf,
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

/*
 * How many groups the placed values form, and the size of the smallest:
 * one pass, counting in a map by value (linear in the tasks, where
 * comparing every pair was quadratic).
 */
static long long
group_sizes(const char *const *placed, size_t n, long long *min)
{
	long long *counts = xcalloc(n + 1, sizeof(*counts)), ngroups = 0;
	struct map groups;
	const char *k;
	void *v;

	map_init(&groups);
	for (size_t i = 0; i < n; i++) {
		long long *c;

		if (placed[i] == NULL)
			continue;
		if ((c = map_get(&groups, placed[i])) == NULL) {
			c = &counts[ngroups++];
			map_put(&groups, placed[i], c);
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

int
pc_place_match(const struct pc_place *k, const char *v, const char *const *placed, size_t n)
{
	long long same = 0, groups, min = -1;
	const char *first = NULL;

	if (v == NULL)
		return k->op == PC_PLACE_UNLIKE;
	switch (k->op) {
	case PC_PLACE_LIKE:
		return regexec(&k->re, v, 0, NULL, 0) == 0;
	case PC_PLACE_UNLIKE:
		return regexec(&k->re, v, 0, NULL, 0) != 0;
	case PC_PLACE_IS:
		return strcmp(v, k->value) == 0;
	default:
		break;
	}
	for (size_t i = 0; i < n; i++) {
		if (placed[i] == NULL)
			continue;
		if (first == NULL)
			first = placed[i];
		same += strcmp(placed[i], v) == 0;
	}
	switch (k->op) {
	case PC_PLACE_UNIQUE:
		return same == 0;
	case PC_PLACE_CLUSTER:
		if (k->value != NULL)
			return strcmp(v, k->value) == 0;
		return first == NULL || strcmp(first, v) == 0;
	case PC_PLACE_MAX_PER:
		return same < k->num;
	case PC_PLACE_GROUP_BY:
		if (same == 0)
			return 1;
		groups = group_sizes(placed, n, &min);
		return groups >= k->num && same == min;
	default:
		return 0;
	}
}
