/*
 * res.c: owns resources: parsing and printing Mesos's text syntax, the
 * arithmetic the allocator and master do on them, and their JSON form.
 * Also the value syntax attributes share with them (text, tokens,
 * scalars, ranges), which attrs.c uses rather than repeats. Scalars are
 * integers in thousandths, so sums never drift.
 * A struct res is kept canonical at all times: items sorted by name, then
 * role ('*' first), no empty items, ranges sorted and merged, sets sorted
 * and unique. Equality and printing rely on that.
 */
#include "res.h"
#include "buf.h"
#include "json.h"
#include "log.h"
#include "xmem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scalars stay below 2^53 thousandths, so they print as exact doubles in JSON. */
#define RES_SCALAR_LIMIT ((int64_t)1 << 53)
/* Digits after the point that a scalar keeps. */
#define RES_SCALAR_DECIMALS 3
/* Elements in one set item. */
#define RES_SET_MAX 1024
/* Bytes of input quoted in an error message; the rest becomes "...". */
#define RES_QUOTE_MAX_BYTES 64
#define RES_QUOTE_BUF_BYTES BUF_QUOTE_BYTES(RES_QUOTE_MAX_BYTES)

/* Agent defaults (Mesos's containerizer): sizes in bytes, scalars in thousandths. */
#define MIB ((uint64_t)1 << 20)
#define GIB ((uint64_t)1 << 30)
#define DEFAULT_MEM_RESERVED_BYTES GIB            /* left to the system ... */
#define DEFAULT_MEM_THRESHOLD_BYTES (2 * GIB)     /* ... when memory is at least this */
#define DEFAULT_DISK_RESERVED_BYTES (5 * GIB)
#define DEFAULT_DISK_THRESHOLD_BYTES (10 * GIB)
#define DEFAULT_CPUS_FALLBACK 1
#define DEFAULT_MEM_FALLBACK_MB 1024
#define DEFAULT_DISK_FALLBACK_MB 10240
#define DEFAULT_PORTS_BEGIN 31000
#define DEFAULT_PORTS_END 32000

/* Input quoted in an error reaches logs and peers: escaped and cut short (buf_quote). */
static const char *
quote(char out[RES_QUOTE_BUF_BYTES], const char *s, size_t n)
{
	return buf_quote(out, RES_QUOTE_BUF_BYTES, s, n, RES_QUOTE_MAX_BYTES);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Mesos's "text": [a-zA-Z0-9_/.-] */
static int
is_text_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '/' || c == '.' || c == '-';
}

int
res_is_text(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_text_byte(s[i]))
			return 0;
	return 1;
}

void
res_trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((*s)[*n - 1]))
		(*n)--;
}

int
res_next_token(const char **p, const char *end, char sep, const char **tok, size_t *tlen)
{
	const char *q = memchr(*p, sep, (size_t)(end - *p));

	*tok = *p;
	*tlen = (size_t)((q ? q : end) - *p);
	*p = q ? q + 1 : end;
	res_trim(tok, tlen);
	return q != NULL;
}

/* Is [s, s + n) only blanks? */
static int
is_blank(const char *s, size_t n)
{
	res_trim(&s, &n);
	return n == 0;
}

/*
 * Every scalar stays below RES_SCALAR_LIMIT, also after arithmetic, so
 * whatever res_format prints res_parse accepts; both operands are in
 * [0, RES_SCALAR_LIMIT), so the sum itself cannot overflow.
 */
static int64_t
sat_add(int64_t a, int64_t b)
{
	return a + b >= RES_SCALAR_LIMIT ? RES_SCALAR_LIMIT - 1 : a + b;
}

/* ------------------------------------------------------------ scalars */

/* 0, or -1 (not a number) or -2 (too large). */
static int
scalar_parse(const char *s, size_t n, int64_t *out)
{
	int64_t whole = 0, frac = 0;
	size_t i = 0, digits = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9') {
		whole = whole * 10 + (s[i++] - '0');
		if (whole > RES_SCALAR_LIMIT / RES_SCALAR_ONE)
			return -2;
	}
	if (i == 0)
		return -1;
	if (i < n && s[i] == '.') {
		size_t start = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (digits < RES_SCALAR_DECIMALS)
				frac = frac * 10 + (s[i] - '0');
			else if (digits == RES_SCALAR_DECIMALS && s[i] >= '5')
				frac++;   /* round half up on the first dropped digit */
			digits++;
			i++;
		}
		if (i == start)
			return -1;
		for (; digits < RES_SCALAR_DECIMALS; digits++)
			frac *= 10;
	}
	if (i != n)
		return -1;
	*out = whole * RES_SCALAR_ONE + frac;
	return *out >= RES_SCALAR_LIMIT ? -2 : 0;
}

int
res_scalar_parse_n(const char *s, size_t n, int64_t *thousandths, char *why, size_t whylen)
{
	char lim[RES_SCALAR_BUF_BYTES];
	int rc = scalar_parse(s, n, thousandths);

	if (rc == -1) {
		snprintf(why, whylen, "not a number");
	} else if (rc == -2) {
		res_scalar_format(RES_SCALAR_LIMIT - 1, lim, sizeof(lim));
		snprintf(why, whylen, "too large (limit %s)", lim);
	}
	return rc;
}

int
res_scalar_parse(const char *s, int64_t *thousandths)
{
	return scalar_parse(s, strlen(s), thousandths) == 0 ? 0 : -1;
}

void
res_scalar_format(int64_t thousandths, char *buf, size_t len)
{
	uint64_t mag = thousandths < 0 ? -(uint64_t)thousandths : (uint64_t)thousandths;
	unsigned frac = (unsigned)(mag % RES_SCALAR_ONE);
	int decimals = RES_SCALAR_DECIMALS;

	if (frac == 0) {
		snprintf(buf, len, "%s%llu", thousandths < 0 ? "-" : "",
		         (unsigned long long)(mag / RES_SCALAR_ONE));
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		decimals--;
	}
	snprintf(buf, len, "%s%llu.%0*u", thousandths < 0 ? "-" : "",
	         (unsigned long long)(mag / RES_SCALAR_ONE), decimals, frac);
}

/* ------------------------------------------------------------- ranges */

static int
range_cmp(const void *a, const void *b)
{
	const struct res_range *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

/* Sort and merge overlapping or adjacent ranges in place. */
static void
ranges_normalize(struct res_range *rs, size_t *n)
{
	size_t o = 0;

	if (*n == 0)
		return;
	qsort(rs, *n, sizeof(*rs), range_cmp);
	for (size_t i = 1; i < *n; i++) {
		if (rs[o].end == UINT64_MAX || rs[i].begin <= rs[o].end + 1) {
			if (rs[i].end > rs[o].end)
				rs[o].end = rs[i].end;
		} else {
			rs[++o] = rs[i];
		}
	}
	*n = o + 1;
}

struct res_range *
res_ranges_dup(const struct res_range *rs, size_t n)
{
	struct res_range *p = xreallocarray(NULL, n, sizeof(*p));

	if (n > 0)
		memcpy(p, rs, n * sizeof(*p));
	return p;
}

static void
ranges_union(struct res_range **a, size_t *na, const struct res_range *b, size_t nb)
{
	*a = xreallocarray(*a, *na + nb, sizeof(**a));
	if (nb > 0)
		memcpy(*a + *na, b, nb * sizeof(*b));
	*na += nb;
	ranges_normalize(*a, na);
}

/* a minus b, both normalized; the result replaces a. */
static void
ranges_subtract(struct res_range **a, size_t *na, const struct res_range *b, size_t nb)
{
	struct res_range *out = xreallocarray(NULL, *na + nb, sizeof(*out));
	size_t o = 0, j = 0;

	for (size_t i = 0; i < *na; i++) {
		struct res_range cur = (*a)[i];
		int left = 1;

		while (j < nb && b[j].end < cur.begin)
			j++;
		for (size_t k = j; k < nb && b[k].begin <= cur.end; k++) {
			if (b[k].begin > cur.begin)
				out[o++] = (struct res_range){ cur.begin, b[k].begin - 1 };
			if (b[k].end >= cur.end) {
				left = 0;
				break;
			}
			cur.begin = b[k].end + 1;
		}
		if (left)
			out[o++] = cur;
	}
	free(*a);
	*a = out;
	*na = o;
}

/* a and b, both normalized; a new array. */
static struct res_range *
ranges_intersect(const struct res_range *a, size_t na, const struct res_range *b, size_t nb,
                 size_t *n)
{
	struct res_range *out = xreallocarray(NULL, na + nb, sizeof(*out));
	size_t i = 0, j = 0, o = 0;

	while (i < na && j < nb) {
		uint64_t lo = a[i].begin > b[j].begin ? a[i].begin : b[j].begin;
		uint64_t hi = a[i].end < b[j].end ? a[i].end : b[j].end;

		if (lo <= hi)
			out[o++] = (struct res_range){ lo, hi };
		if (a[i].end < b[j].end)
			i++;
		else
			j++;
	}
	*n = o;
	return out;
}

/* Every range of b lies inside one of a (a is merged, so that is containment). */
static int
ranges_contain(const struct res_range *a, size_t na, const struct res_range *b, size_t nb)
{
	size_t i = 0;

	for (size_t j = 0; j < nb; j++) {
		while (i < na && a[i].end < b[j].begin)
			i++;
		if (i == na || a[i].begin > b[j].begin || a[i].end < b[j].end)
			return 0;
	}
	return 1;
}

void
res_ranges_format(const struct res_range *rs, size_t n, struct buf *out)
{
	buf_putc(out, '[');
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%llu-%llu", i ? "," : "", (unsigned long long)rs[i].begin,
		           (unsigned long long)rs[i].end);
	buf_putc(out, ']');
}

static int
parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
res_ranges_parse(const char *s, size_t n, const char *name, struct res_range **out, size_t *nout,
                 char *err, size_t errlen)
{
	char q[RES_QUOTE_BUF_BYTES], qn[RES_QUOTE_BUF_BYTES];
	struct res_range *rs = NULL;
	const char *p, *end;
	size_t count = 0;

	if (n < 2 || s[0] != '[' || s[n - 1] != ']')
		goto bad;
	p = s + 1;
	end = s + n - 1;
	for (int more = !is_blank(p, (size_t)(end - p)); more;) {   /* "[]" holds no ranges */
		const char *tok, *dash;
		size_t tlen;
		struct res_range r;

		more = res_next_token(&p, end, ',', &tok, &tlen);
		dash = tlen ? memchr(tok, '-', tlen) : NULL;
		if (dash == NULL)
			goto bad;
		const char *a = tok, *b = dash + 1;
		size_t alen = (size_t)(dash - tok), blen = tlen - alen - 1;

		res_trim(&a, &alen);
		res_trim(&b, &blen);
		if (parse_u64(a, alen, &r.begin) < 0 || parse_u64(b, blen, &r.end) < 0 ||
		    r.begin > r.end)
			goto bad;
		if (count == RES_RANGES_MAX) {
			free(rs);
			return log_fail(err, errlen, "too many ranges in '%s' (limit %d)",
			            quote(qn, name, strlen(name)), RES_RANGES_MAX);
		}
		rs = xreallocarray(rs, count + 1, sizeof(*rs));
		rs[count++] = r;
	}
	ranges_normalize(rs, &count);
	*out = rs;
	*nout = count;
	return 0;
bad:
	free(rs);
	return log_fail(err, errlen, "bad ranges '%s' in '%s'", quote(q, s, n),
	            quote(qn, name, strlen(name)));
}

/* --------------------------------------------------------------- sets */

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
set_free(char **set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(set[i]);
	free(set);
}

static char **
set_dup(char *const *set, size_t n)
{
	char **p = xreallocarray(NULL, n, sizeof(*p));

	for (size_t i = 0; i < n; i++)
		p[i] = xstrdup(set[i]);
	return p;
}

static int
set_has(char *const *set, size_t n, const char *s)
{
	return n > 0 && bsearch(&s, set, n, sizeof(*set), str_cmp) != NULL;
}

/* Merge b into a (both sorted and unique). */
static void
set_union(char ***a, size_t *na, char *const *b, size_t nb)
{
	size_t n = *na;

	*a = xreallocarray(*a, n + nb, sizeof(**a));
	for (size_t i = 0; i < nb; i++)
		if (!set_has(*a, n, b[i]))
			(*a)[(*na)++] = xstrdup(b[i]);
	qsort(*a, *na, sizeof(**a), str_cmp);
}

/* Elements of a that are (keep = 1) or are not (keep = 0) in b, as a new set. */
static char **
set_filter(char *const *a, size_t na, char *const *b, size_t nb, int keep, size_t *n)
{
	char **out = xreallocarray(NULL, na, sizeof(*out));

	*n = 0;
	for (size_t i = 0; i < na; i++)
		if (set_has(b, nb, a[i]) == keep)
			out[(*n)++] = xstrdup(a[i]);
	return out;
}

static void
set_format(char *const *set, size_t n, struct buf *out)
{
	buf_putc(out, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? "," : "", set[i]);
	buf_putc(out, '}');
}

static int
set_parse(const char *s, size_t n, const char *name, char ***out, size_t *nout, char *err,
          size_t errlen)
{
	char q[RES_QUOTE_BUF_BYTES], qn[RES_QUOTE_BUF_BYTES];
	char **set = NULL;
	size_t count = 0;
	const char *p, *end;

	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		goto bad;
	p = s + 1;
	end = s + n - 1;
	for (int more = !is_blank(p, (size_t)(end - p)); more;) {   /* "{}" is the empty set */
		const char *tok;
		size_t tlen;

		more = res_next_token(&p, end, ',', &tok, &tlen);
		if (!res_is_text(tok, tlen, RES_NAME_MAX))
			goto bad;
		if (count == RES_SET_MAX) {
			set_free(set, count);
			return log_fail(err, errlen, "too many elements in '%s' (limit %d)",
			            quote(qn, name, strlen(name)), RES_SET_MAX);
		}
		set = xreallocarray(set, count + 1, sizeof(*set));
		set[count++] = xstrndup(tok, tlen);
	}
	if (count > 0) {
		size_t o = 0;

		qsort(set, count, sizeof(*set), str_cmp);
		for (size_t i = 1; i < count; i++) {
			if (strcmp(set[i], set[o]) == 0)
				free(set[i]);
			else
				set[++o] = set[i];
		}
		count = o + 1;
	}
	*out = set;
	*nout = count;
	return 0;
bad:
	set_free(set, count);
	return log_fail(err, errlen, "bad set '%s' in '%s'", quote(q, s, n), quote(qn, name, strlen(name)));
}

/* -------------------------------------------------------------- names */

/*
 * Names and roles that nearly every item carries: an item points at these
 * rather than owning a copy (a 10,000-agent master held 40 MB of copies
 * of "cpus" and "*" when items had them inline).
 */
static const char *const shared_names[] = { "*", "cpus", "mem", "disk", "ports", "gpus" };
#define SHARED_NAMES (sizeof(shared_names) / sizeof(shared_names[0]))

static int
name_is_shared(const char *s)
{
	for (size_t i = 0; i < SHARED_NAMES; i++)
		if (s == shared_names[i])
			return 1;
	return 0;
}

/* [s, s + n) as an item's name or role: shared if common, else an owned copy. */
static const char *
name_dup(const char *s, size_t n)
{
	for (size_t i = 0; i < SHARED_NAMES; i++)
		if (strncmp(shared_names[i], s, n) == 0 && shared_names[i][n] == '\0')
			return shared_names[i];
	return xstrndup(s, n);
}

static const char *
name_copy(const char *s)
{
	return name_is_shared(s) ? s : name_dup(s, strlen(s));
}

static void
name_release(const char *s)
{
	if (s != NULL && !name_is_shared(s))
		free((char *)s);
}

/* -------------------------------------------------------------- items */

static void
item_free(struct res_item *it)
{
	name_release(it->name);
	name_release(it->role);
	it->name = it->role = NULL;
	free(it->ranges);
	set_free(it->set, it->nset);
	it->ranges = NULL;
	it->set = NULL;
	it->nranges = it->nset = 0;
	it->scalar = 0;
}

static void
item_copy(struct res_item *dst, const struct res_item *src)
{
	*dst = *src;
	dst->name = name_copy(src->name);
	dst->role = name_copy(src->role);
	dst->ranges = src->nranges ? res_ranges_dup(src->ranges, src->nranges) : NULL;
	dst->set = src->nset ? set_dup(src->set, src->nset) : NULL;
}

static int
item_is_empty(const struct res_item *it)
{
	switch (it->type) {
	case RES_SCALAR:
		return it->scalar <= 0;
	case RES_RANGES:
		return it->nranges == 0;
	case RES_SET:
		return it->nset == 0;
	}
	return 1;
}

/* An empty item of src's name and type, with the given role. */
static void
item_blank(struct res_item *it, const struct res_item *src, const char *role)
{
	memset(it, 0, sizeof(*it));
	it->name = name_copy(src->name);
	it->role = name_copy(role);
	it->type = src->type;
}

/* dst += src (same type). */
static void
item_add(struct res_item *dst, const struct res_item *src)
{
	switch (dst->type) {
	case RES_SCALAR:
		dst->scalar = sat_add(dst->scalar, src->scalar);
		break;
	case RES_RANGES:
		ranges_union(&dst->ranges, &dst->nranges, src->ranges, src->nranges);
		break;
	case RES_SET:
		set_union(&dst->set, &dst->nset, src->set, src->nset);
		break;
	}
}

/* dst -= src (same type, src contained in dst). */
static void
item_sub(struct res_item *dst, const struct res_item *src)
{
	char **set;
	size_t n;

	switch (dst->type) {
	case RES_SCALAR:
		dst->scalar -= src->scalar;
		break;
	case RES_RANGES:
		ranges_subtract(&dst->ranges, &dst->nranges, src->ranges, src->nranges);
		break;
	case RES_SET:
		set = set_filter(dst->set, dst->nset, src->set, src->nset, 0, &n);
		set_free(dst->set, dst->nset);
		dst->set = set;
		dst->nset = n;
		break;
	}
}

/* out = a and b (same type); out's name and role are a's. */
static void
item_intersect(struct res_item *out, const struct res_item *a, const struct res_item *b)
{
	item_blank(out, a, a->role);
	switch (a->type) {
	case RES_SCALAR:
		out->scalar = a->scalar < b->scalar ? a->scalar : b->scalar;
		break;
	case RES_RANGES:
		out->ranges = ranges_intersect(a->ranges, a->nranges, b->ranges, b->nranges,
		                               &out->nranges);
		break;
	case RES_SET:
		out->set = set_filter(a->set, a->nset, b->set, b->nset, 1, &out->nset);
		break;
	}
}

static int
item_contains(const struct res_item *a, const struct res_item *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case RES_SCALAR:
		return a->scalar >= b->scalar;
	case RES_RANGES:
		return ranges_contain(a->ranges, a->nranges, b->ranges, b->nranges);
	case RES_SET:
		for (size_t i = 0; i < b->nset; i++)
			if (!set_has(a->set, a->nset, b->set[i]))
				return 0;
		return 1;
	}
	return 0;
}

static int
item_equal(const struct res_item *a, const struct res_item *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->role, b->role) == 0 &&
	       item_contains(a, b) && item_contains(b, a);
}

static void
item_format_value(const struct res_item *it, struct buf *out)
{
	char tmp[RES_SCALAR_BUF_BYTES];

	switch (it->type) {
	case RES_SCALAR:
		res_scalar_format(it->scalar, tmp, sizeof(tmp));
		buf_puts(out, tmp);
		break;
	case RES_RANGES:
		res_ranges_format(it->ranges, it->nranges, out);
		break;
	case RES_SET:
		set_format(it->set, it->nset, out);
		break;
	}
}

/* "cpus" or "cpus(prod)", as errors name an item. */
static void
item_label(const struct res_item *it, char *buf, size_t len)
{
	if (strcmp(it->role, "*") == 0)
		snprintf(buf, len, "%s", it->name);
	else
		snprintf(buf, len, "%s(%s)", it->name, it->role);
}

/* The canonical order: by name, then role with '*' first. */
static int
key_cmp(const char *name1, const char *role1, const char *name2, const char *role2)
{
	int c = strcmp(name1, name2);

	if (c != 0)
		return c;
	c = (strcmp(role2, "*") == 0) - (strcmp(role1, "*") == 0);
	return c != 0 ? c : strcmp(role1, role2);
}

/* Index of (name, role), or -1 with *pos where it would go. */
static long
find(const struct res *r, const char *name, const char *role, size_t *pos)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		int c = key_cmp(r->items[i].name, r->items[i].role, name, role);

		if (c == 0)
			return (long)i;
		if (c > 0)
			break;
	}
	if (pos != NULL)
		*pos = i;
	return -1;
}

static void
remove_at(struct res *r, size_t i)
{
	item_free(&r->items[i]);
	memmove(&r->items[i], &r->items[i + 1], (r->n - i - 1) * sizeof(*r->items));
	r->n--;
}

/*
 * Add one item to r, keeping r canonical. As in Mesos a name has one type
 * in every role, so an item whose name r holds with another type is
 * ignored; res_parse rejects such input, so only arithmetic on sets parsed
 * from different strings can meet it.
 */
static void
add_item(struct res *r, const struct res_item *it)
{
	size_t pos;
	long i;

	if (item_is_empty(it))
		return;
	for (size_t k = 0; k < r->n; k++)
		if (r->items[k].type != it->type && strcmp(r->items[k].name, it->name) == 0)
			return;
	i = find(r, it->name, it->role, &pos);
	if (i >= 0) {
		item_add(&r->items[i], it);
		return;
	}
	r->items = xreallocarray(r->items, r->n + 1, sizeof(*r->items));
	memmove(&r->items[pos + 1], &r->items[pos], (r->n - pos) * sizeof(*r->items));
	item_copy(&r->items[pos], it);
	r->n++;
}

/* Take it (contained in r) out of r, dropping the item if nothing is left. */
static void
sub_item(struct res *r, const struct res_item *it)
{
	long i = find(r, it->name, it->role, NULL);

	if (i < 0 || item_is_empty(it))
		return;
	item_sub(&r->items[i], it);
	if (item_is_empty(&r->items[i]))
		remove_at(r, (size_t)i);
}

/* ----------------------------------------------------------- res sets */

void
res_init(struct res *r)
{
	r->items = NULL;
	r->n = 0;
}

void
res_clear(struct res *r)
{
	for (size_t i = 0; i < r->n; i++)
		item_free(&r->items[i]);
	r->n = 0;
}

void
res_free(struct res *r)
{
	res_clear(r);
	free(r->items);
	res_init(r);
}

void
res_copy(struct res *dst, const struct res *src)
{
	res_init(dst);
	if (src->n == 0)
		return;
	dst->items = xreallocarray(NULL, src->n, sizeof(*dst->items));
	for (size_t i = 0; i < src->n; i++)
		item_copy(&dst->items[i], &src->items[i]);
	dst->n = src->n;
}

/* Role names as Mesos allows them: "*", or text without empty, "." or ".." parts. */
static int
role_valid(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 1 && s[0] == '*')
		return 1;
	if (!res_is_text(s, n, RES_NAME_MAX))
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		size_t len = i - start;

		if (len == 0 || (len == 1 && s[start] == '.') ||
		    (len == 2 && s[start] == '.' && s[start + 1] == '.') || s[start] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

static const char *
type_name(enum res_type t)
{
	return t == RES_SCALAR ? "a scalar" : t == RES_RANGES ? "ranges" : "a set";
}

/* One "name(role):value" item, trimmed, into it. */
static int
parse_item(const char *s, size_t n, struct res_item *it, char *err, size_t errlen)
{
	char q[RES_QUOTE_BUF_BYTES], q2[RES_QUOTE_BUF_BYTES], why[RES_QUOTE_BUF_BYTES];
	char label[RES_NAME_MAX + 1];
	const char *colon = memchr(s, ':', n), *name = s, *role = "*", *val, *paren;
	size_t nlen, rlen = 1, vlen;

	if (colon == NULL)
		return log_fail(err, errlen, "bad resource '%s': expected name:value", quote(q, s, n));
	nlen = (size_t)(colon - s);
	val = colon + 1;
	vlen = n - nlen - 1;
	res_trim(&val, &vlen);
	paren = memchr(s, '(', nlen);
	if (paren != NULL) {
		role = paren + 1;
		rlen = nlen - (size_t)(role - s);
		res_trim(&role, &rlen);
		if (rlen == 0 || role[rlen - 1] != ')')
			return log_fail(err, errlen, "bad resource '%s': expected name(role):value",
			            quote(q, s, n));
		rlen--;
		res_trim(&role, &rlen);
		nlen = (size_t)(paren - s);
	}
	res_trim(&name, &nlen);
	if (nlen == 0)
		return log_fail(err, errlen, "empty resource name in '%s'", quote(q, s, n));
	if (!res_is_text(name, nlen, RES_NAME_MAX))
		return log_fail(err, errlen, "bad resource name '%s'", quote(q, name, nlen));
	if (!role_valid(role, rlen))
		return log_fail(err, errlen, "bad role '%s' in '%s'", quote(q, role, rlen), quote(q2, s, n));

	/* The value first: the item owns its name and role only once it is whole. */
	memset(it, 0, sizeof(*it));
	memcpy(label, name, nlen);
	label[nlen] = '\0';
	if (vlen == 0)
		return log_fail(err, errlen, "bad resource '%s': no value", quote(q, s, n));
	if (val[0] == '[') {
		it->type = RES_RANGES;
		if (res_ranges_parse(val, vlen, label, &it->ranges, &it->nranges, err, errlen) < 0)
			return -1;
	} else if (val[0] == '{') {
		it->type = RES_SET;
		if (set_parse(val, vlen, label, &it->set, &it->nset, err, errlen) < 0)
			return -1;
	} else {
		it->type = RES_SCALAR;
		if (res_scalar_parse_n(val, vlen, &it->scalar, why, sizeof(why)) < 0)
			return log_fail(err, errlen, "bad resource '%s': %s", quote(q, s, n), why);
	}
	it->name = name_dup(name, nlen);
	it->role = name_dup(role, rlen);
	return 0;
}

/*
 * The items are gathered in canonical order on the stack and the set gets one
 * allocation of the right size: a registering agent's resources used to cost
 * a reallocation and a copy of every item.
 */
int
res_parse(struct res *r, const char *s, char *err, size_t errlen)
{
	const char *p = s, *end = s + strlen(s);
	struct res_item items[RES_ITEMS_MAX];
	size_t n = 0, count = 0;

	for (int more = 1; more;) {
		char q[RES_QUOTE_BUF_BYTES];
		struct res_item it;
		const char *tok;
		size_t tlen, pos;
		long i;

		more = res_next_token(&p, end, ';', &tok, &tlen);
		if (tlen == 0)
			continue;
		if (++count > RES_ITEMS_MAX) {
			log_fail(err, errlen, "too many resources (limit %d)", RES_ITEMS_MAX);
			goto bad;
		}
		if (parse_item(tok, tlen, &it, err, errlen) < 0)
			goto bad;
		for (size_t k = 0; k < n; k++) {
			if (strcmp(items[k].name, it.name) == 0 && items[k].type != it.type) {
				log_fail(err, errlen, "bad resource '%s': '%s' was given as %s before",
				     quote(q, tok, tlen), it.name, type_name(items[k].type));
				item_free(&it);
				goto bad;
			}
		}
		if (item_is_empty(&it)) {
			item_free(&it);
			continue;
		}
		struct res view = { items, n };
		i = find(&view, it.name, it.role, &pos);
		if (i >= 0) {
			item_add(&items[i], &it);
			item_free(&it);
			continue;
		}
		memmove(&items[pos + 1], &items[pos], (n - pos) * sizeof(items[0]));
		items[pos] = it;   /* moved: it owns nothing now */
		n++;
	}
	res_free(r);
	r->items = n > 0 ? xreallocarray(NULL, n, sizeof(*r->items)) : NULL;
	if (n > 0)
		memcpy(r->items, items, n * sizeof(*r->items));
	r->n = n;
	return 0;
bad:
	for (size_t k = 0; k < n; k++)
		item_free(&items[k]);
	return -1;
}

void
res_format(const struct res *r, struct buf *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct res_item *it = &r->items[i];

		if (i > 0)
			buf_putc(out, ';');
		buf_puts(out, it->name);
		if (strcmp(it->role, "*") != 0)
			buf_printf(out, "(%s)", it->role);
		buf_putc(out, ':');
		item_format_value(it, out);
	}
}

char *
res_to_string(const struct res *r)
{
	struct buf b;

	buf_init(&b, 0);
	res_format(r, &b);
	return buf_detach(&b);
}

int
res_empty(const struct res *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (!item_is_empty(&r->items[i]))
			return 0;
	return 1;
}

void
res_add(struct res *a, const struct res *b)
{
	struct res copy;

	if (a == b) {
		res_copy(&copy, b);
		res_add(a, &copy);
		res_free(&copy);
		return;
	}
	for (size_t i = 0; i < b->n; i++)
		add_item(a, &b->items[i]);
}

int
res_contains(const struct res *a, const struct res *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct res_item *it = &b->items[i];
		long j;

		if (item_is_empty(it))
			continue;
		j = find(a, it->name, it->role, NULL);
		if (j < 0 || !item_contains(&a->items[j], it))
			return 0;
	}
	return 1;
}

int
res_sub(struct res *a, const struct res *b)
{
	if (!res_contains(a, b))
		return -1;
	if (a == b) {
		res_clear(a);
		return 0;
	}
	for (size_t i = 0; i < b->n; i++)
		sub_item(a, &b->items[i]);
	return 0;
}

int
res_equal(const struct res *a, const struct res *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!item_equal(&a->items[i], &b->items[i]))
			return 0;
	return 1;
}

/*
 * Take one wanted item from pool's items of the same name with the given
 * roles, in order, moving what is taken into taken. -1 (err set) if the
 * roles together do not hold all of it; pool is then partly changed, which
 * is why res_take works on a copy.
 */
static int
take_item(struct res *pool, const struct res_item *want, const char *const *roles, size_t nroles,
          struct res *taken, char *err, size_t errlen)
{
	struct res_item left;
	int64_t have = 0;
	int rc = 0;

	item_copy(&left, want);
	for (size_t k = 0; k < nroles && !item_is_empty(&left); k++) {
		long i = find(pool, want->name, roles[k], NULL);
		struct res_item part;

		if (i < 0 || pool->items[i].type != want->type)
			continue;
		if (want->type == RES_SCALAR)
			have = sat_add(have, pool->items[i].scalar);
		item_intersect(&part, &pool->items[i], &left);
		item_sub(&left, &part);
		add_item(taken, &part);
		sub_item(pool, &part);
		item_free(&part);
	}
	if (!item_is_empty(&left)) {
		char label[2 * RES_NAME_MAX + 3];

		item_label(want, label, sizeof(label));
		if (want->type == RES_SCALAR) {
			char w[RES_SCALAR_BUF_BYTES], h[RES_SCALAR_BUF_BYTES];

			res_scalar_format(want->scalar, w, sizeof(w));
			res_scalar_format(have, h, sizeof(h));
			log_fail(err, errlen, "insufficient %s: want %s, have %s", label, w, h);
		} else {
			struct buf b;

			buf_init(&b, 0);
			item_format_value(&left, &b);
			log_fail(err, errlen, "%s %s not available", label, b.data);
			buf_free(&b);
		}
		rc = -1;
	}
	item_free(&left);
	return rc;
}

int
res_take(struct res *pool, const struct res *want, const char *role, struct res *taken,
         char *err, size_t errlen)
{
	struct res work;

	res_init(taken);
	res_copy(&work, pool);
	/* Items that name a role first: they have no choice, the others may fall back to '*'. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < want->n; i++) {
			const struct res_item *w = &want->items[i];
			int flexible = strcmp(w->role, "*") == 0;
			const char *roles[2];
			size_t nroles = 0;

			if (flexible != pass)
				continue;
			if (!flexible)
				roles[nroles++] = w->role;
			else if (role != NULL && strcmp(role, "*") != 0)
				roles[nroles++] = role;
			if (flexible)
				roles[nroles++] = "*";
			if (take_item(&work, w, roles, nroles, taken, err, errlen) < 0) {
				res_free(&work);
				res_free(taken);
				return -1;
			}
		}
	}
	res_free(pool);
	*pool = work;
	return 0;
}

int64_t
res_scalar(const struct res *r, const char *name)
{
	int64_t sum = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].type == RES_SCALAR && strcmp(r->items[i].name, name) == 0)
			sum = sat_add(sum, r->items[i].scalar);
	return sum;
}

void
res_set_scalar(struct res *r, const char *name, const char *role, int64_t thousandths)
{
	struct res_item it;
	long i;

	if (role == NULL)
		role = "*";
	i = find(r, name, role, NULL);
	if (i >= 0)
		remove_at(r, (size_t)i);
	memset(&it, 0, sizeof(it));
	it.name = name;   /* borrowed: add_item copies */
	it.role = role;
	it.type = RES_SCALAR;
	it.scalar = thousandths < RES_SCALAR_LIMIT ? thousandths : RES_SCALAR_LIMIT - 1;
	add_item(r, &it);
}

uint64_t
res_range_count(const struct res *r, const char *name)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct res_item *it = &r->items[i];

		if (it->type != RES_RANGES || strcmp(it->name, name) != 0)
			continue;
		for (size_t j = 0; j < it->nranges; j++) {
			uint64_t span = it->ranges[j].end - it->ranges[j].begin;

			/* [0-UINT64_MAX] holds one value more than a uint64_t counts. */
			if (span == UINT64_MAX || sum > UINT64_MAX - span - 1)
				return UINT64_MAX;
			sum += span + 1;
		}
	}
	return sum;
}

/* out = the items of r whose role is "*" (unreserved), or role, or any but "*". */
enum role_filter { ROLE_UNRESERVED, ROLE_USABLE_BY, ROLE_RESERVED };

static void
filter_roles(struct res *out, const struct res *r, enum role_filter f, const char *role)
{
	res_init(out);
	for (size_t i = 0; i < r->n; i++) {
		int unreserved = strcmp(r->items[i].role, "*") == 0;
		int keep = f == ROLE_UNRESERVED ? unreserved
		         : f == ROLE_RESERVED ? !unreserved
		         : unreserved || (role != NULL && strcmp(r->items[i].role, role) == 0);

		if (keep)
			add_item(out, &r->items[i]);
	}
}

void
res_allocatable_to(struct res *out, const struct res *r, const char *role)
{
	filter_roles(out, r, ROLE_USABLE_BY, role);
}

void
res_reserved(struct res *out, const struct res *r)
{
	filter_roles(out, r, ROLE_RESERVED, NULL);
}

void
res_unreserved(struct res *out, const struct res *r)
{
	filter_roles(out, r, ROLE_UNRESERVED, NULL);
}

/* One JSON member for name: its items over all roles, summed (same type as the first). */
static void
json_member(const struct res *r, const char *name, struct json_w *w)
{
	struct res_item sum;
	int found = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct res_item *it = &r->items[i];

		if (strcmp(it->name, name) != 0)
			continue;
		if (!found) {
			item_copy(&sum, it);
			found = 1;
		} else if (it->type == sum.type) {
			item_add(&sum, it);
		}
	}
	json_key(w, name);
	if (!found) {
		json_double(w, 0.0);
		return;
	}
	if (sum.type == RES_SCALAR) {
		json_double(w, (double)sum.scalar / RES_SCALAR_ONE);
	} else {
		struct buf b;

		buf_init(&b, 0);
		item_format_value(&sum, &b);
		json_str(w, b.data);
		buf_free(&b);
	}
	item_free(&sum);
}

void
res_json(const struct res *r, struct json_w *w)
{
	static const char *const always[] = { "cpus", "mem", "disk" };
	const size_t nalways = sizeof(always) / sizeof(always[0]);

	json_obj_begin(w);
	for (size_t k = 0; k < nalways; k++)
		json_member(r, always[k], w);
	for (size_t i = 0; i < r->n; i++) {
		const char *name = r->items[i].name;
		int skip = i > 0 && strcmp(r->items[i - 1].name, name) == 0;

		for (size_t k = 0; k < nalways; k++)
			skip |= strcmp(name, always[k]) == 0;
		if (!skip)
			json_member(r, name, w);
	}
	json_obj_end(w);
}

/* ------------------------------------------------------------ defaults */

static int
has_name(const struct res *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->items[i].name, name) == 0)
			return 1;
	return 0;
}

/* Bytes to thousandths of a MB, rounded to the nearest (2^64 bytes fit: 2^44 MB). */
static int64_t
bytes_to_mb_thousandths(uint64_t bytes)
{
	uint64_t whole = bytes / MIB, rest = bytes % MIB;

	return (int64_t)(whole * RES_SCALAR_ONE + (rest * RES_SCALAR_ONE + MIB / 2) / MIB);
}

/* What Mesos leaves for the agent: total - reserve when total >= threshold, else half. */
static int64_t
default_size(uint64_t total, uint64_t reserve, uint64_t threshold, int64_t fallback_mb)
{
	if (total == 0)
		return fallback_mb * RES_SCALAR_ONE;
	return bytes_to_mb_thousandths(total >= threshold ? total - reserve : total / 2);
}

void
res_add_defaults(struct res *r, long ncpus, uint64_t mem_bytes, uint64_t disk_bytes)
{
	if (!has_name(r, "cpus")) {
		int64_t cpus = ncpus > 0 ? (int64_t)ncpus : DEFAULT_CPUS_FALLBACK;

		/* res_set_scalar caps the value; only the multiplication needs a guard. */
		if (cpus > RES_SCALAR_LIMIT / RES_SCALAR_ONE)
			cpus = RES_SCALAR_LIMIT / RES_SCALAR_ONE;
		res_set_scalar(r, "cpus", "*", cpus * RES_SCALAR_ONE);
	}
	if (!has_name(r, "mem"))
		res_set_scalar(r, "mem", "*",
		               default_size(mem_bytes, DEFAULT_MEM_RESERVED_BYTES,
		                            DEFAULT_MEM_THRESHOLD_BYTES, DEFAULT_MEM_FALLBACK_MB));
	if (!has_name(r, "disk"))
		res_set_scalar(r, "disk", "*",
		               default_size(disk_bytes, DEFAULT_DISK_RESERVED_BYTES,
		                            DEFAULT_DISK_THRESHOLD_BYTES, DEFAULT_DISK_FALLBACK_MB));
	if (!has_name(r, "ports")) {
		struct res_range ports = { DEFAULT_PORTS_BEGIN, DEFAULT_PORTS_END };
		struct res_item it;

		memset(&it, 0, sizeof(it));
		it.name = "ports";   /* borrowed, as the ranges are: add_item copies */
		it.role = "*";
		it.type = RES_RANGES;
		it.ranges = &ports;
		it.nranges = 1;
		add_item(r, &it);
	}
}
