/*
 * alloc_conf.c: the allocator's settings. It owns the filter interval, the
 * min allocatable alternatives, role weights and quota guarantees, the
 * parsing of their flag specs (all or nothing: a bad entry changes
 * nothing), and the GET /master/roles report that shows them with what
 * each role holds.
 */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc_int.h"
#include "json.h"
#include "map.h"
#include "res.h"
#include "xmem.h"

#define SPEC_QUOTE_MAX 60             /* bytes of bad input quoted in an error */
#define ASCII_DEL 0x7f

static void
set_err(char *err, size_t errlen, const char *fmt, const char *what, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, SPEC_QUOTE_MAX, what, why);
}

void
alloc_conf_minalts_free(struct qty *alts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		qfree(&alts[i]);
	free(alts);
}

/* ------------------------------------------------------- configuration */

void
alloc_conf_interval(struct alloc *a, int64_t interval_ms)
{
	a->interval_ms = interval_ms > 0 ? interval_ms : 0;
}

int
alloc_conf_min_allocatable(struct alloc *a, const char *spec, char *err, size_t errlen)
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
			alloc_conf_minalts_free(alts, n);
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
			alloc_conf_minalts_free(alts, n);
			return -1;
		}
	}
	alloc_conf_minalts_free(a->minalts, a->nminalts);
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
alloc_conf_weight(struct alloc *a, const char *role, double weight)
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
		alloc_sort_role_chain(a, r);
	}
	a->cand_all = 1;
}

int
alloc_conf_weights(struct alloc *a, const char *spec, char *err, size_t errlen)
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
			alloc_conf_weight(a, roles[i], ws[i]);
		free(roles[i]);
	}
	free(roles);
	free(ws);
	return rc;
}

void
alloc_conf_quota(struct alloc *a, const char *role, const struct res *guarantee)
{
	struct role *r;
	struct qty g = { NULL, 0 };

	if (role == NULL || *role == '\0')
		return;
	for (size_t i = 0; guarantee && i < guarantee->n; i++)
		if (guarantee->items[i].type == RES_SCALAR)
			qadd(&g, name_id(a, guarantee->items[i].name), guarantee->items[i].scalar);
	r = qnonzero(&g) ? alloc_sort_role(a, role) : map_get(&a->roles, role);
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
		alloc_sort_prune(a, r);
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
alloc_conf_quotas(struct alloc *a, const char *spec, char *err, size_t errlen)
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
			alloc_conf_quota(a, roles[i], &gs[i]);
		free(roles[i]);
		res_free(&gs[i]);
	}
	free(roles);
	free(gs);
	return rc;
}

/* ------------------------------------------------------------- reading */

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
alloc_conf_roles_json(const struct alloc *a, struct json_w *w)
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
		json_kdouble(w, "weight", alloc_sort_weight(a, names[k]));
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
