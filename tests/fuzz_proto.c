/*
 * tests/fuzz_proto.c: libFuzzer target for the line protocol parser. Any
 * input must parse or fail cleanly; a line that parses must survive being
 * encoded again and re-parsed, field for field. Not part of the normal
 * build; from the top directory, after ./configure:
 *
 *   clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 \
 *       -fsanitize=fuzzer,address,undefined -o tests/fuzz_proto \
 *       tests/fuzz_proto.c proto.c buf.c xmem.c log.c compat.c
 *   ./tests/fuzz_proto -max_total_time=60
 */
#include "buf.h"
#include "proto.h"
#include "xmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ERR_BYTES 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_msg m, m2;
	char err[FUZZ_ERR_BYTES];
	enum proto_kind kind;
	long long ll;
	double d;
	struct buf b;
	/* Exactly size bytes and no NUL after them: the parser must not need one. */
	char *line = xmalloc(size ? size : 1);

	if (size > 0)
		memcpy(line, data, size);
	proto_msg_init(&m);
	proto_msg_init(&m2);
	if (proto_parse(line, size, &m, err, sizeof(err)) < 0) {
		/* Errors go to logs: they must be one printable line. */
		for (const char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
		goto out;
	}
	proto_hello_parse(&m, &kind, err, sizeof(err));
	proto_get_int(&m, "version", 0, &ll, err, sizeof(err));
	proto_get_double(&m, "timestamp", 0, &d, err, sizeof(err));

	buf_init(&b, PROTO_LINE_MAX + 1);
	proto_begin(&b, m.verb);
	for (size_t i = 0; i < m.nfields; i++)
		proto_addn(&b, m.fields[i].key, m.fields[i].val, m.fields[i].vlen);
	/* A raw '=' in a value grows to %3D, so a long line may not fit again. */
	if (proto_end(&b) < 0) {
		if (b.len <= PROTO_LINE_MAX)
			abort();
		buf_free(&b);
		goto out;
	}
	if (proto_parse(b.data, b.len - 1, &m2, err, sizeof(err)) < 0)
		abort();
	if (strcmp(m.verb, m2.verb) != 0 || m.nfields != m2.nfields)
		abort();
	for (size_t i = 0; i < m.nfields; i++) {
		if (strcmp(m.fields[i].key, m2.fields[i].key) != 0 ||
		    m.fields[i].vlen != m2.fields[i].vlen ||
		    memcmp(m.fields[i].val, m2.fields[i].val, m.fields[i].vlen) != 0)
			abort();
	}
	buf_free(&b);
out:
	proto_msg_free(&m);
	proto_msg_free(&m2);
	free(line);
	return 0;
}
