/*
 * res.h: resources in Mesos syntax (attributes are attrs.h's).
 *
 *   cpus:4;mem:1024;disk:10000;ports:[31000-32000,33000-33099]
 *   cpus(prod):2;bugs:{a,b}          role in parentheses, * if none
 *
 * Scalars are fixed point in thousandths (Mesos rounds to 0.001), so adding
 * and subtracting never accumulates float error. A resource set holds at
 * most one item per (name, role); ranges are kept sorted and merged.
 * Pure functions, no I/O.
 */
#ifndef RES_H
#define RES_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct json_w;

#define RES_NAME_MAX 63
#define RES_ITEMS_MAX 64          /* items in one resource string */
#define RES_RANGES_MAX 1024       /* ranges in one item */
#define RES_SCALAR_ONE 1000       /* fixed-point scale */

enum res_type { RES_SCALAR, RES_RANGES, RES_SET };

struct res_range { uint64_t begin, end; };   /* inclusive */

/*
 * An item's name and role are read-only strings (at most RES_NAME_MAX bytes)
 * that res.c owns: the common ones ("*", "cpus", "mem", ...) are shared, not
 * copied, so that the items of 10,000 agents' resource sets stay small.
 */
struct res_item {
	const char *name;
	const char *role;                /* "*" when unreserved */
	enum res_type type;
	int64_t scalar;                  /* thousandths, RES_SCALAR */
	struct res_range *ranges;        /* RES_RANGES, sorted, merged */
	size_t nranges;
	char **set;                      /* RES_SET, sorted, unique */
	size_t nset;
};

struct res {
	struct res_item *items;
	size_t n;
};

void res_init(struct res *r);
void res_free(struct res *r);
void res_copy(struct res *dst, const struct res *src);   /* dst is (re)initialised */
void res_clear(struct res *r);

/* Parse; returns 0 or -1 with e.g. "bad resource 'cpus:x': not a number". */
int res_parse(struct res *r, const char *s, char *err, size_t errlen);
/* Canonical text form, as accepted by res_parse ("" for empty). */
void res_format(const struct res *r, struct buf *out);
char *res_to_string(const struct res *r);                 /* malloc'ed */

int res_empty(const struct res *r);                        /* nothing > 0 */
/* a += b */
void res_add(struct res *a, const struct res *b);
/* a -= b; returns -1 and leaves a unchanged if b is not contained in a. */
int res_sub(struct res *a, const struct res *b);
/* 1 if every item of b is within a (same name and role). */
int res_contains(const struct res *a, const struct res *b);
/*
 * Take `want` out of `pool` for a framework in `role`: each item of want
 * written without a role (or with '*') is taken first from pool's items
 * reserved to role, then from unreserved ones; an item with an explicit
 * role is taken only from that role. On success pool shrinks, `taken`
 * (initialised here) holds what was taken with its real roles, and 0 is
 * returned; otherwise -1, pool unchanged, and err says what did not fit
 * ("insufficient cpus: want 2, have 1.5").
 */
int res_take(struct res *pool, const struct res *want, const char *role, struct res *taken,
             char *err, size_t errlen);
int res_equal(const struct res *a, const struct res *b);

/* Sum of a scalar over all roles, in thousandths (0 if absent). */
int64_t res_scalar(const struct res *r, const char *name);
/* Set a scalar for role ("*" if NULL); 0 removes the item. */
void res_set_scalar(struct res *r, const char *name, const char *role, int64_t thousandths);
/* Number of values in a ranges item (summed over roles), e.g. port count. */
uint64_t res_range_count(const struct res *r, const char *name);
/* Items usable by role: unreserved plus those reserved to role. */
void res_allocatable_to(struct res *out, const struct res *r, const char *role);
/* Items reserved to some role (not '*'). */
void res_reserved(struct res *out, const struct res *r);
void res_unreserved(struct res *out, const struct res *r);

/* Format a thousandths scalar as Mesos prints it ("1", "0.5", "0.001"). */
void res_scalar_format(int64_t thousandths, char *buf, size_t len);
/* Room for any formatted scalar: 20 digits, point, 3 decimals, sign, NUL. */
#define RES_SCALAR_BUF_BYTES 32
/* Parse "12", "0.5", "1.2345" (rounded to 0.001); -1 if not a number >= 0. */
int res_scalar_parse(const char *s, int64_t *thousandths);

/*
 * JSON the way Mesos shows resources: {"cpus":4.0,"mem":1024.0,"disk":0.0,
 * "ports":"[31000-32000]"}, summing roles. Writes one object value.
 */
void res_json(const struct res *r, struct json_w *w);

/*
 * Defaults for an agent with no --resources, as Mesos computes them:
 * cpus = ncpus; mem = total - 1 GB if total >= 2 GB else half; disk =
 * fs size - 5 GB if >= 10 GB else half; ports [31000-32000]. Items already
 * in r are kept. Sizes in bytes; 0 means unknown (fallbacks 1 cpu, 1 GB, 10 GB).
 */
void res_add_defaults(struct res *r, long ncpus, uint64_t mem_bytes, uint64_t disk_bytes);

/*
 * The value syntax attributes share with resources (attrs.c), on slices
 * [s, s + n) of the input.
 */
/* Mesos's "text": 1 to max bytes of [a-zA-Z0-9_/.-]. */
int res_is_text(const char *s, size_t n, size_t max);
/* Trim blanks from both ends of [*s, *s + *n). */
void res_trim(const char **s, size_t *n);
/*
 * Next token of [*p, end) up to sep (excluded), trimmed; *p moves past the
 * separator. Returns 1 if a separator was found, so another (maybe empty)
 * token follows: "a," is two tokens.
 */
int res_next_token(const char **p, const char *end, char sep, const char **tok, size_t *tlen);
/*
 * A scalar as res_scalar_parse reads it: 0, or -1 (not a number) or -2
 * (too large), with why saying so ("too large (limit 9007199254740.991)").
 */
int res_scalar_parse_n(const char *s, size_t n, int64_t *thousandths, char *why, size_t whylen);
/* "[a-b, c-d]" (trimmed, brackets included) into a sorted, merged array; err names name. */
int res_ranges_parse(const char *s, size_t n, const char *name, struct res_range **out,
                     size_t *nout, char *err, size_t errlen);
void res_ranges_format(const struct res_range *rs, size_t n, struct buf *out);   /* "[1-2,5-9]" */
struct res_range *res_ranges_dup(const struct res_range *rs, size_t n);          /* malloc'ed */

#endif
