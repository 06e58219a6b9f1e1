/*
 * tests/fuzz_proto.c: libFuzzer target for the line protocol parser and
 * the shared messages' parsers (HELLO, STATUS_UPDATE, ACKNOWLEDGE, LAUNCH,
 * the health check fields). Any input must parse or fail cleanly; a line
 * that parses must survive being encoded again and re-parsed, field for
 * field, and a message its parser takes must be taken again once composed
 * from what was read. Built and run by `make fuzz`.
 */
#include "buf.h"
#include "proto.h"
#include "xmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ERR_BYTES 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* b, just composed, must parse, and as a message the parser takes. */
static void
reparses(struct buf *b, int (*take)(const struct proto_msg *m, void *out, char *err, size_t len),
         void *out)
{
	char err[FUZZ_ERR_BYTES];
	struct proto_msg m;

	if (proto_end(b) < 0)
		return;   /* grown past the line limit by its escapes: nothing to send */
	proto_msg_init(&m);
	if (proto_parse(b->data, b->len - 1, &m, err, sizeof(err)) < 0 || take(&m, out, err,
	        sizeof(err)) < 0)
		abort();
	proto_msg_free(&m);
}

static int
take_status(const struct proto_msg *m, void *out, char *err, size_t len)
{
	return proto_status_parse(m, out, err, len);
}

static int
take_ack(const struct proto_msg *m, void *out, char *err, size_t len)
{
	return proto_ack_parse(m, out, err, len);
}

static int
take_launch(const struct proto_msg *m, void *out, char *err, size_t len)
{
	int rc = proto_launch_parse(m, out, err, len);

	proto_launch_free(out);
	return rc;
}

/* Each shared message's parser on any line, and its composer on what it read. */
static void
messages(const struct proto_msg *m)
{
	char err[FUZZ_ERR_BYTES];
	struct proto_status s, s2;
	struct proto_ack a, a2;
	struct proto_launch l, l2;
	struct proto_health h;
	struct buf b;

	buf_init(&b, PROTO_LINE_MAX + 1);
	if (proto_status_parse(m, &s, err, sizeof(err)) == 0) {
		proto_status_compose(&b, &s);
		reparses(&b, take_status, &s2);
	}
	buf_reset(&b);
	if (proto_ack_parse(m, &a, err, sizeof(err)) == 0) {
		proto_ack_compose(&b, &a);
		reparses(&b, take_ack, &a2);
	}
	buf_reset(&b);
	if (proto_launch_parse(m, &l, err, sizeof(err)) == 0) {
		proto_launch_compose(&b, &l);
		reparses(&b, take_launch, &l2);
		proto_launch_free(&l);
	}
	(void)proto_health_parse(m, &h, err, sizeof(err));
	buf_free(&b);
}

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
	messages(&m);

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
