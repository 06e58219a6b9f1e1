/*
 * tests/test_res.c: unit tests of resources and attributes: parsing and
 * canonical printing, error messages, fixed-point arithmetic, range and set
 * algebra per role, res_take with reservations, JSON shapes and the agent
 * defaults.
 */
#include "buf.h"
#include "json.h"
#include "attrs.h"
#include "res.h"
#include "xmem.h"
#include "check.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BYTES 256
#define DRIFT_STEPS 1000
#define GB (UINT64_C(1) << 30)

/* Parse s and return its canonical form (malloc'ed), or the error text prefixed "ERR ". */
static char *
canon(const char *s)
{
	struct res r;
	char err[ERR_BYTES];
	char *out;

	res_init(&r);
	if (res_parse(&r, s, err, sizeof(err)) < 0)
		out = xstrfmt("ERR %s", err);
	else
		out = res_to_string(&r);
	res_free(&r);
	return out;
}

#define CANON(in, want) do { char *c_ = canon(in); CHECK_STR(c_, want); free(c_); } while (0)

static void
parse(struct res *r, const char *s)
{
	char err[ERR_BYTES];

	res_init(r);
	if (res_parse(r, s, err, sizeof(err)) < 0) {
		check_failed++;
		fprintf(stderr, "%s: cannot parse '%s': %s\n", __FILE__, s, err);
	}
}

static void
check_res(const struct res *r, const char *want, int line)
{
	char *s = res_to_string(r);

	if (strcmp(s, want) != 0) {
		check_failed++;
		fprintf(stderr, "%s:%d: resources are \"%s\", want \"%s\"\n", __FILE__, line, s, want);
	} else {
		check_passed++;
	}
	free(s);
}

#define CHECK_RES(r, want) check_res(r, want, __LINE__)
/* The largest whole number a scalar (thousandths in a double) keeps exact: 2^53 / 1000. */
#define EXACT_WHOLE_MAX 9007199254740LL

static void
test_parse_format(void)
{
	CANON("cpus:4;mem:1024;disk:10000;ports:[31000-32000,33000-33099]",
	      "cpus:4;disk:10000;mem:1024;ports:[31000-32000,33000-33099]");
	CANON("cpus(prod):2;bugs:{a,b}", "bugs:{a,b};cpus(prod):2");
	CANON(" cpus : 0.5 ; mem( prod ) : 128 ; ports : [ 3 - 4 , 1-2 ] ; s:{ b , a , b } ",
	      "cpus:0.5;mem(prod):128;ports:[1-4];s:{a,b}");
	CANON("", "");
	CANON(" ; ;", "");
	CANON("cpus:1;", "cpus:1");
	CANON("cpus(z):1;cpus:2;cpus(a):3;cpus(*):1", "cpus:3;cpus(a):3;cpus(z):1");
	CANON("cpus:1;cpus:2.5", "cpus:3.5");
	CANON("ports:[1-5];ports:[3-10];ports:[12-12]", "ports:[1-10,12-12]");
	CANON("ports:[5-5]", "ports:[5-5]");
	CANON("ports:[1-2,3-4,6-8,7-7]", "ports:[1-4,6-8]");
	CANON("ports:[]", "");
	CANON("s:{}", "");
	CANON("cpus:0", "");
	CANON("cpus:0.0005", "cpus:0.001");
	CANON("cpus:0.00049", "");
	CANON("cpus:1.2345", "cpus:1.235");
	CANON("cpus:1.9999", "cpus:2");
	CANON("cpus:007.100", "cpus:7.1");
	CANON("mem:9007199254739.999", "mem:9007199254739.999");
	CANON("mem:9007199254740.991", "mem:9007199254740.991");
	CANON("mem:9007199254740.9914", "mem:9007199254740.991");
	CANON("ports:[0-18446744073709551615]", "ports:[0-18446744073709551615]");
	CANON("gpus/a.b-c_d:1", "gpus/a.b-c_d:1");
	CANON("cpus(a/b.c):1", "cpus(a/b.c):1");
}

static void
test_parse_errors(void)
{
	char many[1024] = "", *ranges;
	struct buf b;

	CANON("cpus:x", "ERR bad resource 'cpus:x': not a number");
	CANON("cpus:-1", "ERR bad resource 'cpus:-1': not a number");
	CANON("cpus:1e3", "ERR bad resource 'cpus:1e3': not a number");
	CANON("cpus:.5", "ERR bad resource 'cpus:.5': not a number");
	CANON("cpus:1.", "ERR bad resource 'cpus:1.': not a number");
	CANON("cpus:1:2", "ERR bad resource 'cpus:1:2': not a number");
	CANON("cpus:\x1b", "ERR bad resource 'cpus:%1B': not a number");
	CANON("cpus:", "ERR bad resource 'cpus:': no value");
	CANON("cpus", "ERR bad resource 'cpus': expected name:value");
	CANON(":5", "ERR empty resource name in ':5'");
	CANON(" (r):5", "ERR empty resource name in '(r):5'");
	CANON("c$pus:1", "ERR bad resource name 'c$pus'");
	CANON("mem:9007199254740.992", "ERR bad resource 'mem:9007199254740.992': too large "
	      "(limit 9007199254740.991)");
	CANON("mem:9007199254741", "ERR bad resource 'mem:9007199254741': too large "
	      "(limit 9007199254740.991)");
	CANON("mem:99999999999999999999999", "ERR bad resource 'mem:99999999999999999999999': too large "
	      "(limit 9007199254740.991)");
	CANON("ports:[5-3]", "ERR bad ranges '[5-3]' in 'ports'");
	CANON("ports:[1-2,]", "ERR bad ranges '[1-2,]' in 'ports'");
	CANON("ports:[,]", "ERR bad ranges '[,]' in 'ports'");
	CANON("ports:[1]", "ERR bad ranges '[1]' in 'ports'");
	CANON("ports:[a-b]", "ERR bad ranges '[a-b]' in 'ports'");
	CANON("ports:[1-2", "ERR bad ranges '[1-2' in 'ports'");
	CANON("ports:[-1-2]", "ERR bad ranges '[-1-2]' in 'ports'");
	CANON("ports:[0-18446744073709551616]", "ERR bad ranges '[0-18446744073709551616]' in 'ports'");
	CANON("s:{a,,b}", "ERR bad set '{a,,b}' in 's'");
	CANON("s:{a b}", "ERR bad set '{a%20b}' in 's'");
	CANON("s:{a,}", "ERR bad set '{a,}' in 's'");
	CANON("s:{a", "ERR bad set '{a' in 's'");
	CANON("cpus(prod:1", "ERR bad resource 'cpus(prod:1': expected name(role):value");
	CANON("cpus()):1", "ERR bad role ')' in 'cpus()):1'");
	CANON("cpus(/a):1", "ERR bad role '/a' in 'cpus(/a):1'");
	CANON("cpus(a//b):1", "ERR bad role 'a//b' in 'cpus(a//b):1'");
	CANON("cpus(..):1", "ERR bad role '..' in 'cpus(..):1'");
	CANON("cpus(-a):1", "ERR bad role '-a' in 'cpus(-a):1'");
	CANON("cpus(a/-b):1", "ERR bad role 'a/-b' in 'cpus(a/-b):1'");
	CANON("cpus(a b):1", "ERR bad role 'a%20b' in 'cpus(a%20b):1'");
	CANON("ports:1;ports(r):[1-2]", "ERR bad resource 'ports(r):[1-2]': 'ports' was given as a "
	      "scalar before");

	for (int i = 0; i <= RES_ITEMS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "r%d:1;", i);
	CANON(many, "ERR too many resources (limit 64)");

	buf_init(&b, 0);
	buf_puts(&b, "ports:[");
	for (int i = 0; i <= RES_RANGES_MAX; i++)
		buf_printf(&b, "%s%d-%d", i ? "," : "", 3 * i, 3 * i);
	buf_puts(&b, "]");
	ranges = buf_detach(&b);
	CANON(ranges, "ERR too many ranges in 'ports' (limit 1024)");
	free(ranges);

	/* A failed parse leaves the target as it was. */
	struct res r;
	char err[ERR_BYTES];

	parse(&r, "cpus:1");
	CHECK(res_parse(&r, "cpus:1;mem:x", err, sizeof(err)) == -1);
	CHECK_RES(&r, "cpus:1");
	CHECK(res_parse(&r, "mem:2", err, sizeof(err)) == 0);
	CHECK_RES(&r, "mem:2");
	res_free(&r);
}

static void
test_scalars(void)
{
	static const struct { const char *in; int64_t t; } ok[] = {
		{ "12", 12000 }, { "0.5", 500 }, { "1.2345", 1235 }, { "1.2344", 1234 },
		{ "0", 0 }, { "0.001", 1 }, { "0.0004", 0 }, { "3.14159", 3142 },
	};
	static const char *const bad[] = { "", "abc", "-1", " 1", "1 ", "1.2.3", "1e3", "+1",
		                           "9007199254741" };
	static const struct { int64_t t; const char *out; } fmt[] = {
		{ 1000, "1" }, { 500, "0.5" }, { 1, "0.001" }, { 1234500, "1234.5" }, { 0, "0" },
		{ 10, "0.01" }, { 1024000, "1024" }, { 1001, "1.001" }, { -1500, "-1.5" },
	};
	char tmp[32];
	int64_t t;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK(res_scalar_parse(ok[i].in, &t) == 0 && t == ok[i].t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(res_scalar_parse(bad[i], &t) == -1);
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		res_scalar_format(fmt[i].t, tmp, sizeof(tmp));
		CHECK_STR(tmp, fmt[i].out);
	}

	/* Fixed point: a thousand additions of 0.001 are exactly 1; 0.1 + 0.2 is 0.3. */
	struct res sum, step, one, a, b, c;

	res_init(&sum);
	parse(&step, "cpus:0.001");
	for (int i = 0; i < DRIFT_STEPS; i++)
		res_add(&sum, &step);
	parse(&one, "cpus:1");
	CHECK(res_equal(&sum, &one));
	CHECK(res_scalar(&sum, "cpus") == RES_SCALAR_ONE);
	int subs_ok = 1;

	for (int i = 0; i < DRIFT_STEPS; i++)
		subs_ok &= res_sub(&sum, &step) == 0;
	CHECK(subs_ok);
	CHECK(res_empty(&sum) && sum.n == 0);
	parse(&a, "cpus:0.1");
	parse(&b, "cpus:0.2");
	parse(&c, "cpus:0.3");
	res_add(&a, &b);
	CHECK(res_equal(&a, &c));
	CHECK_RES(&a, "cpus:0.3");
	/* Sums stop just below the parse limit, so they always print as parseable text. */
	res_free(&a);
	parse(&a, "mem:9007199254739.999");
	res_add(&a, &a);
	CHECK_RES(&a, "mem:9007199254740.991");
	res_set_scalar(&a, "mem", NULL, INT64_MAX);
	CHECK(res_scalar(&a, "mem") == (INT64_C(1) << 53) - 1);
	res_free(&sum);
	res_free(&step);
	res_free(&one);
	res_free(&a);
	res_free(&b);
	res_free(&c);
}

/* a op b == want, for op in add/sub; sub that fails must leave a unchanged. */
static void
arith(const char *sa, char op, const char *sb, const char *want, int line)
{
	struct res a, b;

	parse(&a, sa);
	parse(&b, sb);
	if (op == '+') {
		res_add(&a, &b);
		check_res(&a, want, line);
	} else if (want == NULL) {
		int rc = res_sub(&a, &b);

		if (rc != -1 || res_contains(&a, &b)) {
			check_failed++;
			fprintf(stderr, "%s:%d: %s - %s should fail\n", __FILE__, line, sa, sb);
		} else {
			check_passed++;
		}
		check_res(&a, sa, line);
	} else {
		if (!res_contains(&a, &b) || res_sub(&a, &b) != 0) {
			check_failed++;
			fprintf(stderr, "%s:%d: %s - %s failed\n", __FILE__, line, sa, sb);
		}
		check_res(&a, want, line);
	}
	res_free(&a);
	res_free(&b);
}

#define ARITH(a, op, b, want) arith(a, op, b, want, __LINE__)

static void
test_arithmetic(void)
{
	ARITH("ports:[1-10]", '-', "ports:[4-6]", "ports:[1-3,7-10]");
	ARITH("ports:[1-3,7-10]", '+', "ports:[4-6]", "ports:[1-10]");
	ARITH("ports:[1-10]", '-', "ports:[5-15]", NULL);
	ARITH("ports:[1-10]", '+', "ports:[5-15]", "ports:[1-15]");
	ARITH("ports:[1-3,7-10]", '-', "ports:[2-8]", NULL);
	ARITH("ports:[1-100]", '-', "ports:[1-1,50-60,100-100]", "ports:[2-49,61-99]");
	ARITH("ports:[1-10,20-30]", '-', "ports:[1-10,25-30]", "ports:[20-24]");
	ARITH("ports:[1-10]", '-', "ports:[1-10]", "");
	ARITH("ports:[0-18446744073709551615]", '-', "ports:[18446744073709551615-18446744073709551615]",
	      "ports:[0-18446744073709551614]");
	ARITH("ports:[0-18446744073709551615]", '-', "ports:[0-0]", "ports:[1-18446744073709551615]");
	ARITH("bugs:{a,b,c}", '-', "bugs:{b}", "bugs:{a,c}");
	ARITH("bugs:{a,b,c}", '-', "bugs:{d}", NULL);
	ARITH("bugs:{a,c}", '+', "bugs:{d,a}", "bugs:{a,c,d}");
	ARITH("bugs:{a}", '-', "bugs:{a}", "");
	ARITH("cpus:4;cpus(prod):2", '-', "cpus(prod):2", "cpus:4");
	ARITH("cpus:4;cpus(prod):2", '-', "cpus(dev):1", NULL);
	ARITH("cpus:4;cpus(prod):2", '-', "cpus:5", NULL);
	ARITH("cpus:1", '-', "cpus:1", "");
	ARITH("cpus:1;mem:10", '-', "", "cpus:1;mem:10");
	ARITH("cpus:1", '+', "mem(r):2;cpus(r):1", "cpus:1;cpus(r):1;mem(r):2");
	ARITH("cpus:2;mem:100", '-', "cpus:0.5;mem:100", "cpus:1.5");
	ARITH("ports:5", '+', "ports(r):7", "ports:5;ports(r):7");
	ARITH("ports:5", '+', "ports(r):[7-7]", "ports:5");
	ARITH("ports:5", '-', "ports(r):[7-7]", NULL);
	ARITH("cpus:1;disk:5", '-', "cpus:1;disk:5;mem:1", NULL);

	struct res a, b, c;

	parse(&a, "cpus:1;ports:[1-2];s:{x}");
	res_add(&a, &a);
	CHECK_RES(&a, "cpus:2;ports:[1-2];s:{x}");
	CHECK(res_contains(&a, &a));
	CHECK(res_sub(&a, &a) == 0 && res_empty(&a));
	res_free(&a);

	parse(&a, "cpus:1;mem:2;ports:[1-5]");
	parse(&b, "mem:2;ports:[1-3,4-5];cpus:1.0");
	parse(&c, "mem:2;ports:[1-5];cpus(r):1");
	CHECK(res_equal(&a, &b));
	CHECK(!res_equal(&a, &c));
	CHECK(res_contains(&a, &b) && res_contains(&b, &a));
	CHECK(!res_contains(&a, &c));
	res_free(&c);
	res_copy(&c, &a);
	CHECK(res_equal(&a, &c));
	res_clear(&c);
	CHECK(res_empty(&c) && c.n == 0);
	res_free(&a);
	res_free(&b);
	res_free(&c);
}

/* res_take from pool for role; want_err NULL means success with taken/left as given. */
static void
take(const char *spool, const char *swant, const char *role, const char *want_taken,
     const char *want_left, const char *want_err, int line)
{
	struct res pool, want, taken, before;
	char err[ERR_BYTES] = "";
	int rc;

	parse(&pool, spool);
	parse(&want, swant);
	res_copy(&before, &pool);
	rc = res_take(&pool, &want, role, &taken, err, sizeof(err));
	if (want_err == NULL) {
		if (rc != 0) {
			check_failed++;
			fprintf(stderr, "%s:%d: take failed: %s\n", __FILE__, line, err);
		}
		check_res(&taken, want_taken, line);
		check_res(&pool, want_left, line);
		/* What was taken and what is left make the pool again. */
		res_add(&pool, &taken);
		if (!res_equal(&pool, &before)) {
			check_failed++;
			fprintf(stderr, "%s:%d: taken + left != pool\n", __FILE__, line);
		}
	} else {
		if (rc != -1 || strcmp(err, want_err) != 0 || !res_equal(&pool, &before) ||
		    taken.n != 0) {
			check_failed++;
			fprintf(stderr, "%s:%d: take gave rc %d err \"%s\", want \"%s\"\n", __FILE__, line,
			        rc, err, want_err);
		} else {
			check_passed++;
		}
	}
	res_free(&pool);
	res_free(&want);
	res_free(&taken);
	res_free(&before);
}

#define TAKE(pool, want, role, taken, left) take(pool, want, role, taken, left, NULL, __LINE__)
#define TAKE_ERR(pool, want, role, err) take(pool, want, role, NULL, NULL, err, __LINE__)

static void
test_take(void)
{
	const char *pool = "cpus:4;cpus(prod):2;mem:1024;ports:[31000-32000]";

	TAKE(pool, "cpus:3;mem:100;ports:[31000-31000]", "prod",
	     "cpus:1;cpus(prod):2;mem:100;ports:[31000-31000]", "cpus:3;mem:924;ports:[31001-32000]");
	TAKE(pool, "cpus:1", "prod", "cpus(prod):1", "cpus:4;cpus(prod):1;mem:1024;ports:[31000-32000]");
	TAKE(pool, "cpus:1", NULL, "cpus:1", "cpus:3;cpus(prod):2;mem:1024;ports:[31000-32000]");
	TAKE(pool, "cpus:1", "*", "cpus:1", "cpus:3;cpus(prod):2;mem:1024;ports:[31000-32000]");
	TAKE(pool, "cpus(*):1", "prod", "cpus(prod):1", "cpus:4;cpus(prod):1;mem:1024;ports:[31000-32000]");
	TAKE(pool, "cpus(prod):2", "dev", "cpus(prod):2", "cpus:4;mem:1024;ports:[31000-32000]");
	TAKE(pool, "cpus:6;mem:1024;ports:[31000-32000]", "prod",
	     "cpus:4;cpus(prod):2;mem:1024;ports:[31000-32000]", "");
	TAKE(pool, "", "prod", "", pool);
	TAKE("ports(prod):[31000-31005];ports:[31006-32000]", "ports:[31000-31010]", "prod",
	     "ports:[31006-31010];ports(prod):[31000-31005]", "ports:[31011-32000]");
	TAKE("ports:[1-10]", "ports:[2-3,5-5]", NULL, "ports:[2-3,5-5]", "ports:[1-1,4-4,6-10]");
	TAKE("bugs:{a,b};bugs(r):{c}", "bugs:{a,c}", "r", "bugs:{a};bugs(r):{c}", "bugs:{b}");
	/* Items that name a role go first, so a flexible one cannot starve them. */
	TAKE("cpus:1;cpus(prod):1", "cpus:1;cpus(prod):1", "prod", "cpus:1;cpus(prod):1", "");

	TAKE_ERR(pool, "cpus:5", NULL, "insufficient cpus: want 5, have 4");
	TAKE_ERR(pool, "cpus:7", "prod", "insufficient cpus: want 7, have 6");
	TAKE_ERR(pool, "cpus:1.5;gpus:1", "prod", "insufficient gpus: want 1, have 0");
	TAKE_ERR(pool, "cpus(prod):3", "prod", "insufficient cpus(prod): want 3, have 2");
	TAKE_ERR(pool, "cpus(dev):0.5", "dev", "insufficient cpus(dev): want 0.5, have 0");
	TAKE_ERR(pool, "mem:1024.001", NULL, "insufficient mem: want 1024.001, have 1024");
	TAKE_ERR(pool, "ports:[80-80]", NULL, "ports [80-80] not available");
	TAKE_ERR(pool, "cpus:1;ports:[31999-32001]", NULL, "ports [32001-32001] not available");
	TAKE_ERR(pool, "ports:[30000-30001,31000-31000]", NULL, "ports [30000-30001] not available");
	TAKE_ERR(pool, "ports(prod):[31000-31000]", "prod", "ports(prod) [31000-31000] not available");
	TAKE_ERR(pool, "ports:3", NULL, "insufficient ports: want 3, have 0");
	TAKE_ERR("bugs:{a,b}", "bugs:{b,c}", NULL, "bugs {c} not available");
	/* An item cannot reuse what an earlier one took. */
	TAKE_ERR("cpus:1;cpus(r):1", "cpus:1.5;cpus(r):1", "r", "insufficient cpus: want 1.5, have 1");
	TAKE_ERR("cpus:1;cpus(r):1", "cpus:1.5;cpus(r):0.6", "r", "insufficient cpus: want 1.5, have 1.4");
}

static void
test_queries(void)
{
	struct res r, out;

	parse(&r, "cpus:2;cpus(prod):1.5;mem(dev):64;ports:[1-10,20-20];ports(prod):[100-109]");
	CHECK(res_scalar(&r, "cpus") == 3500);
	CHECK(res_scalar(&r, "mem") == 64000);
	CHECK(res_scalar(&r, "disk") == 0);
	CHECK(res_scalar(&r, "ports") == 0);
	CHECK(res_range_count(&r, "ports") == 21);
	CHECK(res_range_count(&r, "cpus") == 0);

	res_allocatable_to(&out, &r, "prod");
	CHECK_RES(&out, "cpus:2;cpus(prod):1.5;ports:[1-10,20-20];ports(prod):[100-109]");
	res_free(&out);
	res_allocatable_to(&out, &r, NULL);
	CHECK_RES(&out, "cpus:2;ports:[1-10,20-20]");
	res_free(&out);
	res_reserved(&out, &r);
	CHECK_RES(&out, "cpus(prod):1.5;mem(dev):64;ports(prod):[100-109]");
	res_free(&out);
	res_unreserved(&out, &r);
	CHECK_RES(&out, "cpus:2;ports:[1-10,20-20]");
	res_free(&out);

	res_set_scalar(&r, "cpus", NULL, 500);
	res_set_scalar(&r, "disk", "prod", 1000);
	res_set_scalar(&r, "mem", "dev", 0);
	CHECK_RES(&r, "cpus:0.5;cpus(prod):1.5;disk(prod):1;ports:[1-10,20-20];ports(prod):[100-109]");
	/* A name keeps one type across roles: a scalar "ports" cannot join the ranges. */
	res_set_scalar(&r, "ports", "prod", 3000);
	CHECK_RES(&r, "cpus:0.5;cpus(prod):1.5;disk(prod):1;ports:[1-10,20-20]");
	res_set_scalar(&r, "cpus", "prod", 0);
	CHECK_RES(&r, "cpus:0.5;disk(prod):1;ports:[1-10,20-20]");
	res_free(&r);

	parse(&r, "ports:[0-18446744073709551615]");
	CHECK(res_range_count(&r, "ports") == UINT64_MAX);
	res_free(&r);
	CHECK(res_empty(&r));
}

/* JSON of resources (as_attrs = 0) or attributes (1) parsed from s. */
static char *
json_of(const char *s, int as_attrs)
{
	struct res r;
	struct attrs a;
	struct buf b;
	struct json_w w;
	char err[ERR_BYTES];

	buf_init(&b, 0);
	json_w_init(&w, &b);
	if (as_attrs) {
		attrs_init(&a);
		CHECK(attrs_parse(&a, s, err, sizeof(err)) == 0);
		attrs_json(&a, &w);
		attrs_free(&a);
	} else {
		parse(&r, s);
		res_json(&r, &w);
		res_free(&r);
	}
	return buf_detach(&b);
}

#define CHECK_JSON(s, as_attrs, want) do { char *j_ = json_of(s, as_attrs); \
	CHECK_STR(j_, want); free(j_); } while (0)

static void
test_json(void)
{
	CHECK_JSON("cpus:4;mem:1024;ports:[31000-32000]", 0,
	           "{\"cpus\":4.0,\"mem\":1024.0,\"disk\":0.0,\"ports\":\"[31000-32000]\"}");
	CHECK_JSON("", 0, "{\"cpus\":0.0,\"mem\":0.0,\"disk\":0.0}");
	CHECK_JSON("cpus:1;cpus(prod):0.5;disk(a):10;disk(b):0.25;ports:[1-2];ports(r):[3-5,9-9];"
	           "bugs:{b};bugs(r):{a};gpus:2", 0,
	           "{\"cpus\":1.5,\"mem\":0.0,\"disk\":10.25,\"bugs\":\"{a,b}\",\"gpus\":2.0,"
	           "\"ports\":\"[1-5,9-9]\"}");
	CHECK_JSON("rack:r1;zone:a;level:10;keys:[1000-1500];w:0.5", 1,
	           "{\"rack\":\"r1\",\"zone\":\"a\",\"level\":10.0,\"keys\":\"[1000-1500]\","
	           "\"w\":0.5}");
	CHECK_JSON("", 1, "{}");
}

/* Parse attributes and return their text form, or "ERR reason". */
static char *
attrs_canon(const char *s)
{
	struct attrs a;
	struct buf b;
	char err[ERR_BYTES];
	char *out;

	attrs_init(&a);
	buf_init(&b, 0);
	if (attrs_parse(&a, s, err, sizeof(err)) < 0) {
		out = xstrfmt("ERR %s", err);
	} else {
		attrs_format(&a, &b);
		out = xstrdup(b.data ? b.data : "");
	}
	buf_free(&b);
	attrs_free(&a);
	return out;
}

#define ATTRS(in, want) do { char *c_ = attrs_canon(in); CHECK_STR(c_, want); free(c_); } while (0)

static void
test_attrs(void)
{
	struct attrs a, c;
	const struct attrs_item *at;
	char err[ERR_BYTES], text[64];

	ATTRS("rack:r1;zone:a;level:10;keys:[1000-1500]", "rack:r1;zone:a;level:10;keys:[1000-1500]");
	ATTRS(" os : centos5 ; ip:10.0.0.1;v:1.50;k:[3-4,1-2];", "os:centos5;ip:10.0.0.1;v:1.5;k:[1-4]");
	ATTRS("", "");
	ATTRS("rack:a;rack:b", "ERR duplicate attribute 'rack'");
	ATTRS("rack", "ERR bad attribute 'rack': expected name:value");
	ATTRS("rack:a b", "ERR bad attribute 'rack:a%20b': bad value");
	ATTRS("rack:a:b", "ERR bad attribute 'rack:a:b': bad value");
	ATTRS("rack:", "ERR bad attribute 'rack:': no value");
	ATTRS(":a", "ERR empty attribute name in ':a'");
	ATTRS("r$:a", "ERR bad attribute name 'r$'");
	ATTRS("keys:[5-3]", "ERR bad ranges '[5-3]' in 'keys'");
	ATTRS("n:99999999999999999", "ERR bad attribute 'n:99999999999999999': too large "
	      "(limit 9007199254740.991)");

	attrs_init(&a);
	CHECK(attrs_parse(&a, "rack:r1;level:10;keys:[1000-1500];w:0.25", err, sizeof(err)) == 0);
	CHECK(a.n == 4);
	at = attrs_get(&a, "rack");
	CHECK(at != NULL && at->type == ATTRS_TEXT && strcmp(at->text, "r1") == 0);
	at = attrs_get(&a, "level");
	CHECK(at != NULL && at->type == ATTRS_SCALAR && at->scalar == 10000);
	attrs_value_text(at, text, sizeof(text));
	CHECK_STR(text, "10");
	at = attrs_get(&a, "keys");
	CHECK(at != NULL && at->type == ATTRS_RANGES && at->nranges == 1);
	attrs_value_text(at, text, sizeof(text));
	CHECK_STR(text, "[1000-1500]");
	attrs_value_text(at, text, 4);
	CHECK_STR(text, "[10");
	CHECK(attrs_get(&a, "zone") == NULL);

	/* A failed parse keeps the old value; a copy is deep. */
	CHECK(attrs_parse(&a, "x:1;x:2", err, sizeof(err)) == -1);
	CHECK(a.n == 4);
	attrs_copy(&c, &a);
	attrs_free(&a);
	CHECK(c.n == 4 && attrs_get(&c, "w") != NULL && attrs_get(&c, "w")->scalar == 250);
	CHECK(strcmp(attrs_get(&c, "rack")->text, "r1") == 0);
	attrs_free(&c);
}

static void
test_defaults(void)
{
	struct res r;
	char want[160];

	res_init(&r);
	res_add_defaults(&r, 4, 8 * GB, 100 * GB);
	CHECK_RES(&r, "cpus:4;disk:97280;mem:7168;ports:[31000-32000]");
	res_free(&r);

	res_add_defaults(&r, 2, GB, 8 * GB);
	CHECK_RES(&r, "cpus:2;disk:4096;mem:512;ports:[31000-32000]");
	res_free(&r);

	res_add_defaults(&r, 0, 0, 0);
	CHECK_RES(&r, "cpus:1;disk:10240;mem:1024;ports:[31000-32000]");
	res_free(&r);

	/* Exactly at the thresholds, and a size that is not a whole number of MB. */
	res_add_defaults(&r, 1, 2 * GB, 10 * GB + (UINT64_C(1) << 19));
	CHECK_RES(&r, "cpus:1;disk:5120.5;mem:1024;ports:[31000-32000]");
	res_free(&r);

	/*
	 * The most cpus a long holds: where long has 64 bits, more than a
	 * scalar keeps exact (2^53 thousandths), clamped there; a 32-bit
	 * long's LONG_MAX fits as it is.
	 */
	res_add_defaults(&r, LONG_MAX, UINT64_MAX, UINT64_MAX);
	snprintf(want, sizeof(want), "cpus:%lld;disk:9007199254740.991;mem:9007199254740.991;"
	         "ports:[31000-32000]", (long long)LONG_MAX > EXACT_WHOLE_MAX ? EXACT_WHOLE_MAX :
	         (long long)LONG_MAX);
	CHECK_RES(&r, want);
	res_free(&r);

	parse(&r, "cpus:2;mem(prod):100;ports:[1-2]");
	res_add_defaults(&r, 8, 16 * GB, 100 * GB);
	CHECK_RES(&r, "cpus:2;disk:97280;mem(prod):100;ports:[1-2]");
	res_free(&r);
}

/*
 * Items share the common names and roles ("cpus", "*") and own the others:
 * whichever an item holds must survive every copy, sum, difference and
 * take, and be freed once (the sanitizer builds see a double free or leak).
 */
static void
test_names_owned_and_shared(void)
{
	struct res a, b, c, taken;
	char err[ERR_BYTES];

	parse(&a, "cpus:2;cpus(prod):3;bugs(prod/eu):{x,y};ports(ops):[10-20];mem:64");
	parse(&c, "cpus(prod):1;ports(ops):[15-15];mem:64");
	res_copy(&b, &a);
	res_add(&b, &c);
	CHECK_RES(&b, "bugs(prod/eu):{x,y};cpus:2;cpus(prod):4;mem:128;ports(ops):[10-20]");
	CHECK(res_sub(&b, &c) == 0);
	CHECK_RES(&b, "bugs(prod/eu):{x,y};cpus:2;cpus(prod):3;mem:64;ports(ops):[10-14,16-20]");
	CHECK(res_sub(&b, &c) == -1);
	res_free(&b);
	res_free(&c);
	CHECK(strcmp(a.items[0].name, "bugs") == 0 && strcmp(a.items[0].role, "prod/eu") == 0);
	parse(&c, "cpus:2;bugs:{x}");
	CHECK(res_take(&a, &c, "prod/eu", &taken, err, sizeof(err)) == 0);
	CHECK_RES(&taken, "bugs(prod/eu):{x};cpus:2");
	CHECK_RES(&a, "bugs(prod/eu):{y};cpus(prod):3;mem:64;ports(ops):[10-20]");
	res_set_scalar(&a, "widgets", "team-a", 5000);
	res_set_scalar(&a, "cpus", NULL, 1000);
	CHECK_RES(&a, "bugs(prod/eu):{y};cpus:1;cpus(prod):3;mem:64;ports(ops):[10-20];widgets(team-a):5");
	res_free(&a);
	res_free(&c);
	res_free(&taken);
}

int
main(void)
{
	test_parse_format();
	test_parse_errors();
	test_scalars();
	test_arithmetic();
	test_take();
	test_queries();
	test_json();
	test_attrs();
	test_defaults();
	test_names_owned_and_shared();
	return CHECK_DONE();
}
