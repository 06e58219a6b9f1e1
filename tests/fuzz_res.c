/*
 * tests/fuzz_res.c: libFuzzer target for the resource and attribute
 * parsers and the arithmetic on what they produce. The input is split at
 * its first newline into two resource strings a and b (the second line also
 * serves as attributes and as a role). Checked: canonical text re-parses to
 * an equal value, a + b - b == a, and a successful res_take leaves
 * taken + rest == the pool. Not part of the normal build; from the top
 * directory, after ./configure:
 *
 *   clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 \
 *       -fsanitize=fuzzer,address,undefined -I. -Ilib -o tests/fuzz_res \
 *       tests/fuzz_res.c lib/res.c lib/attrs.c lib/json.c lib/log.c lib/compat.c \
 *       lib/buf.c lib/xmem.c -lm
 *   ./tests/fuzz_res -max_total_time=60
 */
#include "buf.h"
#include "json.h"
#include "attrs.h"
#include "res.h"
#include "xmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ERR_BYTES 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Printing and parsing again gives the same set. */
static void
check_canonical(const struct res *r)
{
	char err[FUZZ_ERR_BYTES];
	char *text = res_to_string(r);
	struct res again;

	res_init(&again);
	if (res_parse(&again, text, err, sizeof(err)) < 0 || !res_equal(r, &again))
		abort();
	free(text);
	res_free(&again);
}

static void
check_json(const struct res *r)
{
	struct buf b;
	struct json_w w;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	res_json(r, &w);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[FUZZ_ERR_BYTES];
	char *s1 = xstrndup((const char *)data, size), *s2 = strchr(s1, '\n');
	struct res a, b, sum, taken;
	struct attrs at;
	struct buf out;
	int ok_a, ok_b;

	if (s2 != NULL)
		*s2++ = '\0';
	else
		s2 = s1;
	res_init(&a);
	res_init(&b);
	attrs_init(&at);
	ok_a = res_parse(&a, s1, err, sizeof(err)) == 0;
	ok_b = res_parse(&b, s2, err, sizeof(err)) == 0;
	if (ok_a) {
		check_canonical(&a);
		check_json(&a);
	}
	if (ok_a && ok_b) {
		res_copy(&sum, &a);
		res_add(&sum, &b);
		check_canonical(&sum);
		/* Adding and taking away b again only fails on a type clash, which add ignores. */
		if (res_contains(&sum, &b)) {
			if (res_sub(&sum, &b) < 0 || !res_contains(&a, &sum))
				abort();
		}
		res_free(&sum);

		res_copy(&sum, &a);
		if (res_take(&sum, &b, s2[0] ? "r" : NULL, &taken, err, sizeof(err)) == 0) {
			res_add(&sum, &taken);
			if (!res_equal(&sum, &a))
				abort();
		} else if (taken.n != 0 || !res_equal(&sum, &a)) {
			abort();
		}
		res_free(&taken);
		res_free(&sum);
	}
	if (attrs_parse(&at, s2, err, sizeof(err)) == 0) {
		struct attrs copy;
		char text[FUZZ_ERR_BYTES];

		buf_init(&out, 0);
		attrs_format(&at, &out);
		attrs_copy(&copy, &at);
		attrs_free(&at);
		if (attrs_parse(&at, out.data ? out.data : "", err, sizeof(err)) < 0 || at.n != copy.n)
			abort();
		for (size_t i = 0; i < copy.n; i++)
			attrs_value_text(&copy.items[i], text, sizeof(text));
		attrs_free(&copy);
		buf_free(&out);
	}
	attrs_free(&at);
	res_free(&a);
	res_free(&b);
	free(s1);
	return 0;
}
