/*
 * attrs.c: owns agent attributes: parsing and printing their Mesos
 * syntax, lookup by name, and their JSON form. The value syntax they share
 * with resources (text, tokens, scalars, ranges) is res.c's, so the two
 * accept and print values alike.
 */
#include "attrs.h"
#include "buf.h"
#include "json.h"
#include "log.h"
#include "xmem.h"

#include <stdlib.h>
#include <string.h>

/* Bytes in a text attribute value. */
#define ATTRS_TEXT_MAX 255
/* Bytes of input quoted in an error message; the rest becomes "...". */
#define ATTRS_QUOTE_MAX_BYTES 64
#define ATTRS_QUOTE_BUF_BYTES BUF_QUOTE_BYTES(ATTRS_QUOTE_MAX_BYTES)

/* Input quoted in an error reaches logs and peers: escaped and cut short (buf_quote). */
static const char *
quote(char out[ATTRS_QUOTE_BUF_BYTES], const char *s, size_t n)
{
	return buf_quote(out, ATTRS_QUOTE_BUF_BYTES, s, n, ATTRS_QUOTE_MAX_BYTES);
}

void
attrs_init(struct attrs *a)
{
	a->items = NULL;
	a->n = 0;
}

static void
attr_free(struct attrs_item *at)
{
	free(at->text);
	free(at->ranges);
}

void
attrs_free(struct attrs *a)
{
	for (size_t i = 0; i < a->n; i++)
		attr_free(&a->items[i]);
	free(a->items);
	attrs_init(a);
}

void
attrs_copy(struct attrs *dst, const struct attrs *src)
{
	attrs_init(dst);
	if (src->n == 0)
		return;
	dst->items = xreallocarray(NULL, src->n, sizeof(*dst->items));
	for (size_t i = 0; i < src->n; i++) {
		const struct attrs_item *s = &src->items[i];
		struct attrs_item *d = &dst->items[i];

		*d = *s;
		d->text = s->text ? xstrdup(s->text) : NULL;
		d->ranges = s->nranges ? res_ranges_dup(s->ranges, s->nranges) : NULL;
	}
	dst->n = src->n;
}

const struct attrs_item *
attrs_get(const struct attrs *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].name, name) == 0)
			return &a->items[i];
	return NULL;
}

static int
parse_attr(const char *s, size_t n, struct attrs_item *at, char *err, size_t errlen)
{
	char q[ATTRS_QUOTE_BUF_BYTES], why[ATTRS_QUOTE_BUF_BYTES];
	const char *colon = memchr(s, ':', n), *name = s, *val;
	size_t nlen, vlen;
	int rc;

	if (colon == NULL)
		return log_fail(err, errlen, "bad attribute '%s': expected name:value", quote(q, s, n));
	nlen = (size_t)(colon - s);
	val = colon + 1;
	vlen = n - nlen - 1;
	res_trim(&name, &nlen);
	res_trim(&val, &vlen);
	if (nlen == 0)
		return log_fail(err, errlen, "empty attribute name in '%s'", quote(q, s, n));
	if (!res_is_text(name, nlen, RES_NAME_MAX))
		return log_fail(err, errlen, "bad attribute name '%s'", quote(q, name, nlen));
	memset(at, 0, sizeof(*at));
	memcpy(at->name, name, nlen);
	if (vlen > 0 && val[0] == '[') {
		at->type = ATTRS_RANGES;
		return res_ranges_parse(val, vlen, at->name, &at->ranges, &at->nranges, err, errlen);
	}
	rc = res_scalar_parse_n(val, vlen, &at->scalar, why, sizeof(why));
	if (rc == 0) {
		at->type = ATTRS_SCALAR;
		return 0;
	}
	if (rc == -2)
		return log_fail(err, errlen, "bad attribute '%s': %s", quote(q, s, n), why);
	if (!res_is_text(val, vlen, ATTRS_TEXT_MAX))
		return log_fail(err, errlen, "bad attribute '%s': %s", quote(q, s, n),
		            vlen == 0 ? "no value" : "bad value");
	at->type = ATTRS_TEXT;
	at->text = xstrndup(val, vlen);
	return 0;
}

int
attrs_parse(struct attrs *a, const char *s, char *err, size_t errlen)
{
	const char *p = s, *end = s + strlen(s);
	struct attrs tmp;

	attrs_init(&tmp);
	for (int more = 1; more;) {
		struct attrs_item at;
		const char *tok;
		size_t tlen;

		more = res_next_token(&p, end, ';', &tok, &tlen);
		if (tlen == 0)
			continue;
		if (tmp.n == ATTRS_MAX) {
			log_fail(err, errlen, "too many attributes (limit %d)", ATTRS_MAX);
			goto bad;
		}
		if (parse_attr(tok, tlen, &at, err, errlen) < 0)
			goto bad;
		if (attrs_get(&tmp, at.name) != NULL) {
			log_fail(err, errlen, "duplicate attribute '%s'", at.name);
			attr_free(&at);
			goto bad;
		}
		tmp.items = xreallocarray(tmp.items, tmp.n + 1, sizeof(*tmp.items));
		tmp.items[tmp.n++] = at;
	}
	attrs_free(a);
	*a = tmp;
	return 0;
bad:
	attrs_free(&tmp);
	return -1;
}

static void
attr_format_value(const struct attrs_item *at, struct buf *out)
{
	char tmp[RES_SCALAR_BUF_BYTES];

	switch (at->type) {
	case ATTRS_TEXT:
		buf_puts(out, at->text);
		break;
	case ATTRS_SCALAR:
		res_scalar_format(at->scalar, tmp, sizeof(tmp));
		buf_puts(out, tmp);
		break;
	case ATTRS_RANGES:
		res_ranges_format(at->ranges, at->nranges, out);
		break;
	}
}

void
attrs_format(const struct attrs *a, struct buf *out)
{
	for (size_t i = 0; i < a->n; i++) {
		buf_printf(out, "%s%s:", i ? ";" : "", a->items[i].name);
		attr_format_value(&a->items[i], out);
	}
}

void
attrs_value_text(const struct attrs_item *at, char *buf, size_t len)
{
	struct buf b;

	buf_init(&b, 0);
	attr_format_value(at, &b);
	if (len > 0)
		xstrlcpy(buf, b.data ? b.data : "", len);
	buf_free(&b);
}

void
attrs_json(const struct attrs *a, struct json_w *w)
{
	json_obj_begin(w);
	for (size_t i = 0; i < a->n; i++) {
		const struct attrs_item *at = &a->items[i];

		if (at->type == ATTRS_SCALAR) {
			json_kdouble(w, at->name, (double)at->scalar / RES_SCALAR_ONE);
		} else {
			struct buf b;

			buf_init(&b, 0);
			attr_format_value(at, &b);
			json_kstr(w, at->name, b.data ? b.data : "");
			buf_free(&b);
		}
	}
	json_obj_end(w);
}
