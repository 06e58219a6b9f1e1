/*
 * tests/fuzz_json.c: libFuzzer target for json.c. Not part of the normal build.
 * Every accepted document must re-serialise to a document that parses and
 * re-serialises identically; any byte string written with json_strn must
 * parse back as a string.
 *
 * Build and run (from the source directory, after ./configure):
 *   clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -I. -o fuzz_json tests/fuzz_json.c json.c buf.c xmem.c log.c compat.c
 *   ./fuzz_json -max_total_time=60
 */
#include "buf.h"
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ERR_BYTES 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
write_all(const struct json *j, struct buf *out)
{
	struct json_w w;

	buf_init(out, 0);
	json_w_init(&w, out);
	json_write(&w, j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[FUZZ_ERR_BYTES];
	struct json *a, *b;
	struct buf o1, o2;
	struct json_w w;

	a = json_parse((const char *)data, size, err, sizeof(err));
	if (a != NULL) {
		write_all(a, &o1);
		b = json_parse(o1.data, o1.len, err, sizeof(err));
		if (b == NULL)
			abort();
		write_all(b, &o2);
		if (o1.len != o2.len || memcmp(o1.data, o2.data, o1.len) != 0)
			abort();
		buf_free(&o1);
		buf_free(&o2);
		json_free(a);
		json_free(b);
	} else if (strncmp(err, "at byte ", strlen("at byte ")) != 0) {
		abort();
	}

	/* The writer must turn any bytes into a valid JSON string. */
	buf_init(&o1, 0);
	json_w_init(&w, &o1);
	json_strn(&w, (const char *)data, size);
	a = json_parse(o1.data, o1.len, err, sizeof(err));
	if (a == NULL || a->type != JSON_STRING)
		abort();
	json_free(a);
	buf_free(&o1);
	return 0;
}
