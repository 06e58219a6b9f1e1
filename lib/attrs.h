/*
 * attrs.h: an agent's attributes in Mesos syntax, for placement:
 *
 *   rack:r1;zone:a;level:10;keys:[1000-1500]
 *
 * A value is text, a scalar (thousandths, as resources) or ranges, told
 * apart by its form. Names are unique; order is kept as given. Pure
 * functions, no I/O.
 */
#ifndef ATTRS_H
#define ATTRS_H

#include <stddef.h>
#include <stdint.h>

#include "res.h"

struct buf;
struct json_w;

#define ATTRS_MAX RES_ITEMS_MAX      /* attributes in one string */

enum attrs_type { ATTRS_TEXT, ATTRS_SCALAR, ATTRS_RANGES };

struct attrs_item {
	char name[RES_NAME_MAX + 1];
	enum attrs_type type;
	char *text;                 /* ATTRS_TEXT */
	int64_t scalar;             /* ATTRS_SCALAR, thousandths */
	struct res_range *ranges;   /* ATTRS_RANGES, sorted, merged */
	size_t nranges;
};

struct attrs {
	struct attrs_item *items;
	size_t n;
};

void attrs_init(struct attrs *a);
void attrs_free(struct attrs *a);
void attrs_copy(struct attrs *dst, const struct attrs *src);   /* dst is (re)initialised */
/* Parse; returns 0 or -1 with e.g. "bad attribute 'rack': expected name:value". */
int attrs_parse(struct attrs *a, const char *s, char *err, size_t errlen);
/* Canonical text form, as accepted by attrs_parse ("" for none). */
void attrs_format(const struct attrs *a, struct buf *out);
const struct attrs_item *attrs_get(const struct attrs *a, const char *name);
/* The value as text (scalar as "10", ranges as "[1-2]"), into buf. */
void attrs_value_text(const struct attrs_item *at, char *buf, size_t len);
/* JSON object {"rack":"r1","level":10.0,"keys":"[1000-1500]"} as Mesos shows it. */
void attrs_json(const struct attrs *a, struct json_w *w);

#endif
