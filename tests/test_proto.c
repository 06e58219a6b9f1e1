/*
 * tests/test_proto.c: unit tests of the line protocol codec: escaping round
 * trips of random byte strings, every malformed form with its message, the
 * line and field limits, the encoder under a capped buf, HELLO checks,
 * task state names, and the messages several programs share (each
 * composed and parsed in one place): values, STATUS_UPDATE, ACKNOWLEDGE,
 * HELLO, LAUNCH.
 */
#include "buf.h"
#include "proto.h"
#include "xmem.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BYTES 256
#define ROUND_TRIPS 5000
#define VALUE_MAX_BYTES 80
#define TEST_SEED UINT64_C(0x9e3779b97f4a7c15)

static uint64_t rng_state = TEST_SEED;

/* xorshift64: a fixed sequence on every platform, unlike rand(). */
static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Bytes that exercise escaping, mixed with arbitrary ones. */
static char
random_byte(void)
{
	static const char special[] = { '\0', ' ', '%', '=', '\n', '\r', '\t', 0x7f, (char)0x80,
		                        (char)0xff, (char)0xc3, 'a', 'Z', '0', '_' };
	uint64_t r = rng();

	if (r % 2 == 0)
		return special[(r >> 8) % sizeof(special)];
	return (char)(r >> 8);
}

/* Parse a copy of exactly len bytes (no NUL after it), so ASan sees any overrun. */
static int
parse_exact(const char *line, size_t len, struct proto_msg *m, char **copy, char *err)
{
	*copy = xmalloc(len ? len : 1);
	memcpy(*copy, line, len);
	return proto_parse(*copy, len, m, err, ERR_BYTES);
}

static void
test_round_trip(void)
{
	struct proto_msg m;
	struct buf b;
	char err[ERR_BYTES];
	int ok = 1;

	proto_msg_init(&m);
	buf_init(&b, 0);
	for (int i = 0; i < ROUND_TRIPS && ok; i++) {
		char v1[VALUE_MAX_BYTES], v2[VALUE_MAX_BYTES];
		size_t n1 = rng() % VALUE_MAX_BYTES, n2 = rng() % VALUE_MAX_BYTES;
		char *copy;

		for (size_t k = 0; k < n1; k++)
			v1[k] = random_byte();
		for (size_t k = 0; k < n2; k++)
			v2[k] = random_byte();
		buf_reset(&b);
		proto_begin(&b, "TEST_1");
		proto_addn(&b, "a.b_c", v1, n1);
		proto_addn(&b, "x", v2, n2);
		proto_add_int(&b, "n", i);
		if (proto_end(&b) != 0 || b.data[b.len - 1] != '\n') {
			CHECK(!"proto_end failed");
			break;
		}
		for (size_t k = 0; k + 1 < b.len; k++) {
			unsigned char c = (unsigned char)b.data[k];

			if (c < 0x20 || c == 0x7f) {
				CHECK(!"raw control byte in an encoded line");
				ok = 0;
			}
		}
		if (parse_exact(b.data, b.len - 1, &m, &copy, err) != 0) {
			fprintf(stderr, "parse failed: %s\n", err);
			CHECK(!"round trip parse");
			free(copy);
			break;
		}
		ok = ok && strcmp(m.verb, "TEST_1") == 0 && m.nfields == 3 &&
		     m.fields[0].vlen == n1 && memcmp(m.fields[0].val, v1, n1) == 0 &&
		     m.fields[0].val[n1] == '\0' && m.fields[1].vlen == n2 &&
		     memcmp(m.fields[1].val, v2, n2) == 0 && strcmp(m.fields[0].key, "a.b_c") == 0;
		long long n = -1;

		ok = ok && proto_get_int(&m, "n", 0, &n, err, sizeof(err)) == 0 && n == i;
		free(copy);
	}
	CHECK(ok);
	buf_free(&b);
	proto_msg_free(&m);
}

/* SUBSCRIBE's capabilities: comma lists, repeated fields, whole names only. */
static void
test_capabilities(void)
{
	struct proto_msg m;
	char err[ERR_BYTES];
	char line[] = "SUBSCRIBE name=a capabilities=GPU_RESOURCES,PARTITION_AWARE "
	              "capabilities=MULTI_ROLE";
	char none[] = "SUBSCRIBE name=a capabilities=PARTITION_AWARENESS,,XPARTITION_AWARE";

	proto_msg_init(&m);
	CHECK(proto_parse(line, strlen(line), &m, err, sizeof(err)) == 0);
	CHECK(proto_has_capability(&m, "PARTITION_AWARE"));
	CHECK(proto_has_capability(&m, "GPU_RESOURCES"));
	CHECK(proto_has_capability(&m, "MULTI_ROLE"));
	CHECK(!proto_has_capability(&m, "REVOCABLE_RESOURCES"));
	proto_msg_free(&m);
	proto_msg_init(&m);
	CHECK(proto_parse(none, strlen(none), &m, err, sizeof(err)) == 0);
	CHECK(!proto_has_capability(&m, "PARTITION_AWARE"));
	proto_msg_free(&m);
}

static void
test_parse_basic(void)
{
	struct proto_msg m;
	char err[ERR_BYTES];
	char line[] = "ACCEPT offer_id=O1 uri=a uri=b%20c uri= cmd=x=y%3d%3D v=caf\xc3\xa9";
	long long i;
	double d;

	proto_msg_init(&m);
	CHECK(proto_parse(line, strlen(line), &m, err, sizeof(err)) == 0);
	CHECK_STR(m.verb, "ACCEPT");
	CHECK(m.nfields == 6);
	CHECK_STR(proto_get(&m, "offer_id"), "O1");
	CHECK(proto_count(&m, "uri") == 3);
	CHECK_STR(proto_get_nth(&m, "uri", 0), "a");
	CHECK_STR(proto_get_nth(&m, "uri", 1), "b c");
	CHECK_STR(proto_get_nth(&m, "uri", 2), "");
	CHECK(proto_get_nth(&m, "uri", 3) == NULL);
	CHECK_STR(proto_get(&m, "cmd"), "x=y==");
	CHECK_STR(proto_get(&m, "v"), "caf\xc3\xa9");
	CHECK(proto_get(&m, "nope") == NULL);
	CHECK(proto_need(&m, "nope", err, sizeof(err)) == NULL);
	CHECK_STR(err, "missing field 'nope'");
	CHECK(proto_get_int(&m, "nope", 42, &i, err, sizeof(err)) == 0 && i == 42);
	CHECK(proto_get_int(&m, "offer_id", 0, &i, err, sizeof(err)) == -1);
	CHECK_STR(err, "field 'offer_id' is not an integer");
	CHECK(proto_get_double(&m, "nope", 2.5, &d, err, sizeof(err)) == 0 && d == 2.5);
	CHECK(proto_get_double(&m, "v", 0, &d, err, sizeof(err)) == -1);
	CHECK_STR(err, "field 'v' is not a number");

	char line2[] = "PING";
	CHECK(proto_parse(line2, strlen(line2), &m, err, sizeof(err)) == 0);
	CHECK_STR(m.verb, "PING");
	CHECK(m.nfields == 0);
	proto_msg_free(&m);
}

static void
test_numbers(void)
{
	static const struct { const char *line; int ok; long long v; } ints[] = {
		{ "X n=0", 1, 0 }, { "X n=-17", 1, -17 }, { "X n=9223372036854775807", 1, INT64_MAX },
		{ "X n=9223372036854775808", 0, 0 }, { "X n=", 0, 0 }, { "X n=-", 0, 0 },
		{ "X n=+1", 0, 0 }, { "X n=1x", 0, 0 }, { "X n=%201", 0, 0 }, { "X n=1%00", 0, 0 },
	};
	static const struct { const char *line; int ok; double v; } dbls[] = {
		{ "X d=1.5", 1, 1.5 }, { "X d=-2", 1, -2 }, { "X d=1e3", 1, 1000 },
		{ "X d=inf", 0, 0 }, { "X d=nan", 0, 0 }, { "X d=0x10", 0, 0 }, { "X d=", 0, 0 },
		{ "X d=1e999", 0, 0 }, { "X d=%201", 0, 0 },
	};
	struct proto_msg m;
	char err[ERR_BYTES];

	proto_msg_init(&m);
	for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) {
		char *line = xstrdup(ints[k].line);
		long long v = 0;

		CHECK(proto_parse(line, strlen(line), &m, err, sizeof(err)) == 0);
		int rc = proto_get_int(&m, "n", 0, &v, err, sizeof(err));

		CHECK(ints[k].ok ? rc == 0 && v == ints[k].v : rc == -1);
		free(line);
	}
	for (size_t k = 0; k < sizeof(dbls) / sizeof(dbls[0]); k++) {
		char *line = xstrdup(dbls[k].line);
		double v = 0;

		CHECK(proto_parse(line, strlen(line), &m, err, sizeof(err)) == 0);
		int rc = proto_get_double(&m, "d", 0, &v, err, sizeof(err));

		CHECK(dbls[k].ok ? rc == 0 && v == dbls[k].v : rc == -1);
		free(line);
	}
	proto_msg_free(&m);
}

static void
expect_error(const char *line, size_t len, const char *want, int lineno)
{
	struct proto_msg m;
	char err[ERR_BYTES] = "";
	char *copy;
	int rc;

	proto_msg_init(&m);
	rc = parse_exact(line, len, &m, &copy, err);
	if (rc != -1 || strcmp(err, want) != 0) {
		check_failed++;
		fprintf(stderr, "%s:%d: parse of \"%.40s\" gave rc %d, err \"%s\", want \"%s\"\n",
		        __FILE__, lineno, line, rc, err, want);
	} else {
		check_passed++;
	}
	CHECK(m.nfields == 0);
	free(copy);
	proto_msg_free(&m);
}

#define BAD(line, want) expect_error(line, sizeof(line) - 1, want, __LINE__)

static void
test_malformed(void)
{
	BAD("", "empty line");
	BAD("hello version=1", "bad verb 'hello'");
	BAD("1ABC", "bad verb '1ABC'");
	BAD("AB-C x=1", "bad verb 'AB-C'");
	BAD(" PING", "bad verb ''");
	BAD("A\xc3\xa9 x=1", "bad verb 'A\xc3\xa9'");
	BAD("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ x=1", "verb too long");
	BAD("abcdefghijklmnopqrstuvwxyzabcdefghij",
	    "bad verb 'abcdefghijklmnopqrstuvwxyzabcdef...'");
	BAD("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF x=1", "verb too long");
	BAD("PING Key=1", "bad key 'Key'");
	BAD("PING a-b=1", "bad key 'a-b'");
	BAD("PING a\xff=1", "bad key 'a\xff'");
	BAD("PING k0123456789012345678901234567890123456789012345678901234567890123=1",
	    "key too long");
	BAD("PING novalue", "field 'novalue' has no '='");
	BAD("PING a=1 b", "field 'b' has no '='");
	BAD("PING =1", "empty key");
	BAD("PING a=1  b=2", "double space");
	BAD("PING  a=1", "double space");
	BAD("PING a=1 ", "empty field at end of line");
	BAD("PING ", "empty field at end of line");
	BAD("PING a=%zz", "bad escape '%zz' in field 'a'");
	BAD("PING a=%4g rest", "bad escape '%4g' in field 'a'");
	BAD("PING cmd=%%41", "bad escape '%%254' in field 'cmd'");
	BAD("PING a=%4", "truncated escape in field 'a'");
	BAD("PING a=%", "truncated escape in field 'a'");
	BAD("PING a=%4 b=1", "truncated escape in field 'a'");
	BAD("PING a=x\r", "carriage return in line");
	BAD("PING\r", "carriage return in line");
	BAD("PING a=x\ty", "control byte 0x09 in line");
	BAD("PING a=\x7f", "control byte 0x7F in line");
	BAD("PING a=\n", "control byte 0x0A in line");
	BAD("PING a=\0b", "NUL byte in line");
	BAD("PING a=b c", "field 'c' has no '='");
}

static void
test_limits(void)
{
	struct proto_msg m;
	char err[ERR_BYTES];
	size_t len = PROTO_LINE_MAX;
	char *line = xmalloc(PROTO_LINE_MAX + 2), *copy;

	/* A line of exactly the cap is fine; one byte more is not. */
	memcpy(line, "PING v=", 7);
	memset(line + 7, 'x', PROTO_LINE_MAX + 1 - 7);
	proto_msg_init(&m);
	CHECK(parse_exact(line, len, &m, &copy, err) == 0);
	CHECK(m.nfields == 1 && m.fields[0].vlen == PROTO_LINE_MAX - 7);
	free(copy);
	CHECK(parse_exact(line, len + 1, &m, &copy, err) == -1);
	CHECK_STR(err, "line too long (limit 65536 bytes)");
	free(copy);
	free(line);

	/* PROTO_FIELDS_MAX fields parse; one more does not. The array is reused. */
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "MANY");
	for (int i = 0; i < PROTO_FIELDS_MAX; i++)
		buf_puts(&b, " k=v");
	CHECK(parse_exact(b.data, b.len, &m, &copy, err) == 0);
	CHECK(m.nfields == PROTO_FIELDS_MAX && m.fields_cap == PROTO_FIELDS_MAX);
	CHECK(proto_count(&m, "k") == PROTO_FIELDS_MAX);
	free(copy);
	buf_puts(&b, " k=v");
	CHECK(parse_exact(b.data, b.len, &m, &copy, err) == -1);
	CHECK_STR(err, "too many fields (limit 1024)");
	free(copy);
	buf_free(&b);
	proto_msg_free(&m);
}

static void
test_encoder(void)
{
	struct buf b;
	char *big = xmalloc(PROTO_LINE_MAX + 1);

	buf_init(&b, 0);
	proto_begin(&b, "STATUS_UPDATE");
	proto_add(&b, "task_id", "t 1");
	proto_add(&b, "msg", "50%=half\n");
	proto_add(&b, "empty", "");
	proto_add(&b, "null", NULL);
	proto_addf(&b, "ts", "%.3f", 1.5);
	proto_add_int(&b, "n", -3);
	CHECK(proto_end(&b) == 0);
	CHECK_STR(b.data, "STATUS_UPDATE task_id=t%201 msg=50%25%3Dhalf%0A empty= null= ts=1.500 "
	          "n=-3\n");

	/* A second line in the same buf is measured on its own. */
	proto_begin(&b, "PING");
	CHECK(proto_end(&b) == 0);
	CHECK(b.len > 5 && strcmp(b.data + b.len - 5, "PING\n") == 0);

	/* Uncapped buf: an overlong line is refused by proto_end. */
	buf_reset(&b);
	memset(big, 'x', PROTO_LINE_MAX);
	proto_begin(&b, "PING");
	proto_addn(&b, "v", big, PROTO_LINE_MAX - 7);
	CHECK(b.len == PROTO_LINE_MAX);
	CHECK(proto_end(&b) == 0);
	buf_reset(&b);
	proto_begin(&b, "PING");
	proto_addn(&b, "v", big, PROTO_LINE_MAX - 6);
	CHECK(proto_end(&b) == -1);
	buf_free(&b);

	/* Capped buf: a field that does not fit makes proto_end fail, never overflows. */
	buf_init(&b, PROTO_LINE_MAX + 1);
	proto_begin(&b, "PING");
	proto_addn(&b, "v", big, PROTO_LINE_MAX - 7);
	CHECK(proto_end(&b) == 0);
	buf_reset(&b);
	proto_begin(&b, "PING");
	proto_addn(&b, "v", big, PROTO_LINE_MAX);
	CHECK(b.len <= b.max && b.data[b.len] == '\0');
	proto_add(&b, "after", "x");
	CHECK(b.len <= b.max);
	CHECK(proto_end(&b) == -1);
	buf_free(&b);

	buf_init(&b, 20);
	proto_begin(&b, "PING");
	proto_add(&b, "a", "1");
	proto_add(&b, "long", "%%%%%%%%");
	CHECK(b.len <= 20 && strncmp(b.data, "PING a=1", 8) == 0);
	CHECK(proto_end(&b) == -1);
	buf_free(&b);

	buf_init(&b, 0);
	buf_escape(&b, "a b%c=\x01\xc3\xa9", 9);
	CHECK_STR(b.data, "a%20b%25c%3D%01\xc3\xa9");
	buf_free(&b);
	free(big);
}

static void
hello(const char *text, int want_rc, enum proto_kind want_kind, const char *want_err, int lineno)
{
	struct proto_msg m;
	char err[ERR_BYTES] = "";
	char *line = xstrdup(text);
	enum proto_kind kind = PROTO_KIND_UNKNOWN;
	int rc;

	proto_msg_init(&m);
	if (proto_parse(line, strlen(line), &m, err, sizeof(err)) < 0) {
		check_failed++;
		fprintf(stderr, "%s:%d: cannot parse '%s': %s\n", __FILE__, lineno, text, err);
	} else {
		rc = proto_hello_parse(&m, &kind, err, sizeof(err));
		if (rc != want_rc || (rc == 0 && kind != want_kind) ||
		    (rc < 0 && strcmp(err, want_err) != 0)) {
			check_failed++;
			fprintf(stderr, "%s:%d: hello '%s': rc %d kind %d err '%s'\n", __FILE__, lineno,
			        text, rc, (int)kind, err);
		} else {
			check_passed++;
		}
	}
	free(line);
	proto_msg_free(&m);
}

static void
test_hello(void)
{
	hello("HELLO version=1 kind=agent", 0, PROTO_KIND_AGENT, NULL, __LINE__);
	hello("HELLO kind=framework version=1", 0, PROTO_KIND_FRAMEWORK, NULL, __LINE__);
	hello("HELLO version=1 kind=executor extra=ignored", 0, PROTO_KIND_EXECUTOR, NULL, __LINE__);
	hello("HELLO version=1 kind=cli", 0, PROTO_KIND_CLI, NULL, __LINE__);
	hello("HELLO version=2 kind=cli", -1, 0,
	      "protocol version 2 not supported (this side speaks version 1)", __LINE__);
	hello("HELLO version=0 kind=cli", -1, 0,
	      "protocol version 0 not supported (this side speaks version 1)", __LINE__);
	hello("HELLO version=one kind=cli", -1, 0, "field 'version' is not an integer", __LINE__);
	hello("HELLO kind=cli", -1, 0, "missing field 'version'", __LINE__);
	hello("HELLO version=1", -1, 0, "missing field 'kind'", __LINE__);
	hello("HELLO version=1 kind=robot", -1, 0, "unknown peer kind 'robot'", __LINE__);
	hello("HELLO version=1 kind=%0A%1B", -1, 0, "unknown peer kind '%0A%1B'", __LINE__);
	hello("HELLO version=1 kind=cli%00x", -1, 0, "unknown peer kind 'cli%00x'", __LINE__);
	hello("HELLO version=1 kind=unknown", -1, 0, "unknown peer kind 'unknown'", __LINE__);
	hello("REGISTER_AGENT version=1 kind=agent", -1, 0, "expected HELLO first", __LINE__);

	CHECK_STR(proto_kind_name(PROTO_KIND_AGENT), "agent");
	CHECK_STR(proto_kind_name(PROTO_KIND_CLI), "cli");
	CHECK_STR(proto_kind_name(PROTO_KIND_UNKNOWN), "unknown");
	CHECK(proto_kind_parse("framework") == PROTO_KIND_FRAMEWORK);
	CHECK(proto_kind_parse("Agent") == PROTO_KIND_UNKNOWN);
}

static void
test_states(void)
{
	static const char *const all[] = { "TASK_STAGING", "TASK_STARTING", "TASK_RUNNING",
		"TASK_KILLING", "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR",
		"TASK_LOST", "TASK_DROPPED", "TASK_UNREACHABLE", "TASK_GONE",
		"TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN" };
	static const char *const terminal[] = { "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED",
		"TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR" };
	size_t nterm = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		CHECK(proto_state_valid(all[i]));
		nterm += (size_t)proto_state_terminal(all[i]);
	}
	CHECK(nterm == sizeof(terminal) / sizeof(terminal[0]));
	for (size_t i = 0; i < sizeof(terminal) / sizeof(terminal[0]); i++)
		CHECK(proto_state_terminal(terminal[i]));
	CHECK(!proto_state_terminal("TASK_RUNNING"));
	CHECK(!proto_state_terminal("TASK_UNREACHABLE"));
	CHECK(!proto_state_valid("TASK_running"));
	CHECK(!proto_state_valid("RUNNING"));
	CHECK(!proto_state_valid(""));
	CHECK(!proto_state_valid(NULL));
	CHECK(!proto_state_terminal(NULL));
}

/* A composed line (ended, without its '\n') parsed back into m; line must outlive m. */
static int
reparse(struct buf *b, char *line, size_t cap, struct proto_msg *m, char *err)
{
	CHECK(proto_end(b) == 0);
	if (b->len == 0 || b->len > cap)
		return -1;
	memcpy(line, b->data, b->len - 1);
	line[b->len - 1] = '\0';
	proto_msg_init(m);
	return proto_parse(line, b->len - 1, m, err, ERR_BYTES);
}

/* One spelling for booleans and timestamps; the old 1/0 still read. */
static void
test_values(void)
{
	char line[] = "X a=true b=false c=1 d=0 e=yes";
	char err[ERR_BYTES];
	struct proto_msg m;
	struct buf b;
	int v;

	proto_msg_init(&m);
	CHECK(proto_parse(line, strlen(line), &m, err, sizeof(err)) == 0);
	CHECK(proto_get_bool(&m, "a", 0, &v, err, sizeof(err)) == 0 && v == 1);
	CHECK(proto_get_bool(&m, "b", 1, &v, err, sizeof(err)) == 0 && v == 0);
	CHECK(proto_get_bool(&m, "c", 0, &v, err, sizeof(err)) == 0 && v == 1);
	CHECK(proto_get_bool(&m, "d", 1, &v, err, sizeof(err)) == 0 && v == 0);
	CHECK(proto_get_bool(&m, "z", -1, &v, err, sizeof(err)) == 0 && v == -1);
	CHECK(proto_get_bool(&m, "e", 0, &v, err, sizeof(err)) == -1);
	CHECK_STR(err, "e must be true or false, not 'yes'");
	proto_msg_free(&m);
	buf_init(&b, 0);
	proto_begin(&b, "X");
	proto_add_bool(&b, "t", 1);
	proto_add_bool(&b, "f", 0);
	proto_add_time(&b, "ts", 1764100000.125);
	CHECK_STR(b.data, "X t=true f=false ts=1764100000.125000");
	buf_free(&b);
}

static void
test_status(void)
{
	struct proto_status s, p;
	struct proto_msg m;
	char line[1024], err[ERR_BYTES];
	struct buf b;

	memset(&s, 0, sizeof(s));
	s.framework_id = "fw";
	s.task_id = "t 1";
	s.agent_id = "ag";
	s.state = "TASK_FINISHED";
	s.latest_state = "TASK_FINISHED";   /* the same: not sent */
	s.uuid = "u1";
	s.source = "SOURCE_EXECUTOR";
	s.message = "exited with status 0";
	s.healthy = 0;
	s.timestamp = 1764100000.5;
	s.usage.known = 1;
	s.usage.cpus_user_time_secs = 0.25;
	s.usage.mem_rss_bytes = 4096;
	buf_init(&b, 0);
	proto_status_compose(&b, &s);
	CHECK_STR(b.data, "STATUS_UPDATE framework_id=fw task_id=t%201 agent_id=ag "
	    "state=TASK_FINISHED uuid=u1 source=SOURCE_EXECUTOR message=exited%20with%20status%200 "
	    "healthy=false cpus_user_time_secs=0.250 cpus_system_time_secs=0.000 mem_rss_bytes=4096 "
	    "disk_used_bytes=0 timestamp=1764100000.500000");
	CHECK(reparse(&b, line, sizeof(line), &m, err) == 0);
	CHECK(proto_status_parse(&m, &p, err, sizeof(err)) == 0);
	CHECK_STR(p.task_id, "t 1");
	CHECK_STR(p.state, "TASK_FINISHED");
	CHECK(p.latest_state == NULL && p.reason == NULL && p.healthy == 0);
	CHECK(p.usage.known && p.usage.mem_rss_bytes == 4096 && p.timestamp == 1764100000.5);
	proto_msg_free(&m);

	/* What an executor may send: the least there is. */
	memset(&s, 0, sizeof(s));
	s.task_id = "t";
	s.state = "TASK_RUNNING";
	s.latest_state = "TASK_FINISHED";
	s.healthy = PROTO_HEALTHY_NONE;
	buf_reset(&b);
	proto_status_compose(&b, &s);
	CHECK_STR(b.data, "STATUS_UPDATE task_id=t state=TASK_RUNNING latest_state=TASK_FINISHED");
	CHECK(reparse(&b, line, sizeof(line), &m, err) == 0);
	CHECK(proto_status_parse(&m, &p, err, sizeof(err)) == 0);
	CHECK(p.healthy == PROTO_HEALTHY_NONE && !p.usage.known && p.timestamp == 0);
	CHECK_STR(p.latest_state, "TASK_FINISHED");
	proto_msg_free(&m);
	buf_free(&b);

	static const struct {
		const char *line;
		const char *err;
	} bad[] = {
		{ "STATUS_UPDATE state=TASK_RUNNING", "missing field 'task_id'" },
		{ "STATUS_UPDATE task_id=t", "missing field 'state'" },
		{ "STATUS_UPDATE task_id=t state=TASK_BOGUS", "unknown task state 'TASK_BOGUS'" },
		{ "STATUS_UPDATE task_id=t state=TASK_RUNNING latest_state=X", "unknown task state 'X'" },
		{ "STATUS_UPDATE task_id=t state=TASK_RUNNING healthy=maybe",
		  "healthy must be true or false, not 'maybe'" },
		{ "STATUS_UPDATE task_id=t state=TASK_RUNNING timestamp=soon",
		  "field 'timestamp' is not a number" },
		{ "STATUS_UPDATE task_id=t state=TASK_FAILED cpus_user_time_secs=1 mem_rss_bytes=x",
		  "field 'mem_rss_bytes' is not an integer" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s", bad[i].line);
		proto_msg_init(&m);
		CHECK(proto_parse(line, strlen(line), &m, err, sizeof(err)) == 0);
		CHECK(proto_status_parse(&m, &p, err, sizeof(err)) == -1);
		CHECK_STR(err, bad[i].err);
		proto_msg_free(&m);
	}
}

static void
test_ack_and_hello(void)
{
	struct proto_ack a = { "fw", "t", NULL, "u" }, p;
	enum proto_kind kind;
	struct proto_msg m;
	char line[256], err[ERR_BYTES];
	struct buf b;

	buf_init(&b, 0);
	proto_ack_compose(&b, &a);
	CHECK_STR(b.data, "ACKNOWLEDGE framework_id=fw task_id=t uuid=u");
	CHECK(reparse(&b, line, sizeof(line), &m, err) == 0);
	CHECK(proto_ack_parse(&m, &p, err, sizeof(err)) == 0);
	CHECK(p.agent_id == NULL);
	CHECK_STR(p.uuid, "u");
	proto_msg_free(&m);
	snprintf(line, sizeof(line), "ACKNOWLEDGE task_id=t");
	proto_msg_init(&m);
	CHECK(proto_parse(line, strlen(line), &m, err, sizeof(err)) == 0);
	CHECK(proto_ack_parse(&m, &p, err, sizeof(err)) == -1);
	CHECK_STR(err, "missing field 'uuid'");
	proto_msg_free(&m);
	buf_reset(&b);
	proto_hello_compose(&b, PROTO_KIND_AGENT);
	CHECK_STR(b.data, "HELLO version=1 kind=agent");
	CHECK(reparse(&b, line, sizeof(line), &m, err) == 0);
	CHECK(proto_hello_parse(&m, &kind, err, sizeof(err)) == 0 && kind == PROTO_KIND_AGENT);
	proto_msg_free(&m);
	buf_free(&b);
}

static void
test_launch(void)
{
	const char *env[] = { "A=1", "B=two words" }, *uris[] = { "http://h/x.tgz;cache=1" };
	struct proto_launch l, p;
	struct proto_msg m;
	char line[2048], err[ERR_BYTES];
	struct buf b;

	memset(&l, 0, sizeof(l));
	proto_health_init(&l.health);
	l.task = "fw/t";
	l.command = "echo hi";
	l.sandbox = "/sb";
	l.env = env;
	l.nenv = 2;
	l.user = "alice";
	l.mem_bytes = 1 << 20;
	l.nice = 13;
	l.grace_ms = 3000;
	l.port0 = 31000;
	l.uris = uris;
	l.nuris = 1;
	l.fetcher = "/x/mesos-fetcher";
	l.health.type = PROTO_HEALTH_TCP;
	l.health.delay_ms = 0;
	buf_init(&b, 0);
	proto_launch_compose(&b, &l);
	CHECK(strstr(b.data, " user=alice allow_root=false ") != NULL);
	CHECK(strstr(b.data, " health_type=TCP health_delay_seconds=0.000") != NULL);
	CHECK(reparse(&b, line, sizeof(line), &m, err) == 0);
	CHECK(proto_launch_parse(&m, &p, err, sizeof(err)) == 0);
	CHECK_STR(p.command, "echo hi");
	CHECK(p.nenv == 2 && strcmp(p.env[1], "B=two words") == 0);
	CHECK(p.nuris == 1 && strcmp(p.uris[0], uris[0]) == 0);
	CHECK(p.mem_bytes == 1 << 20 && p.nice == 13 && p.grace_ms == 3000 && p.port0 == 31000);
	CHECK(p.allow_root == 0 && p.executor_id == NULL);
	/* Parsed, the health check has every default but the delay it was given. */
	CHECK(p.health.type == PROTO_HEALTH_TCP && p.health.delay_ms == 0);
	CHECK(p.health.interval_ms == PROTO_HEALTH_DEFAULT_INTERVAL_MS);
	proto_launch_free(&p);
	proto_msg_free(&m);
	buf_free(&b);

	snprintf(line, sizeof(line), "LAUNCH command=x sandbox=/s mem_bytes=-1");
	proto_msg_init(&m);
	CHECK(proto_parse(line, strlen(line), &m, err, sizeof(err)) == 0);
	CHECK(proto_launch_parse(&m, &p, err, sizeof(err)) == -1);
	CHECK_STR(err, "field 'mem_bytes' must not be negative");
	proto_msg_free(&m);
	snprintf(line, sizeof(line), "LAUNCH command=x sandbox=/s env=A%%00B");
	proto_msg_init(&m);
	CHECK(proto_parse(line, strlen(line), &m, err, sizeof(err)) == 0);
	CHECK(proto_launch_parse(&m, &p, err, sizeof(err)) == -1);
	CHECK_STR(err, "field 'env' holds a NUL byte");
	proto_msg_free(&m);
}

/* A message of many records comes out as lines that each parse, with every record once. */
static void
test_split(void)
{
	enum { TASKS = 5000, PER_TASK = 4 };
	struct buf b;
	struct proto_msg m;
	char err[128];

	buf_init(&b, PROTO_MESSAGE_MAX);
	proto_begin(&b, "ACCEPT");
	proto_add(&b, "offer_id", "O1");
	for (int i = 0; i < TASKS; i++) {
		proto_addf(&b, "task_id", "app.instance-%05d", i);
		proto_add(&b, "command", "sleep 1000");
		proto_add(&b, "resources", "cpus:0.01;mem:1");
		proto_add(&b, "env", "A=b c");
	}
	CHECK(proto_end(&b) == -1);                       /* too many fields for one line */
	int lines = proto_end_split(&b, "task_id");
	CHECK(lines >= TASKS * PER_TASK / PROTO_FIELDS_MAX + 1);
	int seen = 0, parts = 0, more = 0, whole = 1;
	for (char *p = b.data, *nl; p < b.data + b.len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(b.data + b.len - p));
		if (nl == NULL)
			break;
		proto_msg_init(&m);
		if (proto_parse(p, (size_t)(nl - p), &m, err, sizeof(err)) == 0) {
			parts++;
			whole = whole && strcmp(m.verb, "ACCEPT") == 0 && proto_get(&m, "offer_id") &&
			        strcmp(proto_get(&m, "offer_id"), "O1") == 0 &&
			        proto_count(&m, "command") == proto_count(&m, "task_id");
			for (size_t i = 0; i < proto_count(&m, "task_id"); i++) {
				char want[32];
				snprintf(want, sizeof(want), "app.instance-%05d", seen);
				whole = whole && strcmp(proto_get_nth(&m, "task_id", i), want) == 0;
				seen++;
			}
			more += proto_get(&m, PROTO_MORE_KEY) != NULL;
		}
		proto_msg_free(&m);
	}
	CHECK(parts == lines && seen == TASKS && whole);
	CHECK(more == lines - 1);                           /* every part but the last */

	/* A short message is left as it was; one record too big for a line is refused. */
	buf_reset(&b);
	proto_begin(&b, "RECONCILE");
	proto_add(&b, "task_id", "a");
	CHECK(proto_end_split(&b, "task_id") == 1);
	CHECK_STR(b.data, "RECONCILE task_id=a\n");
	buf_reset(&b);
	proto_begin(&b, "ACCEPT");
	proto_add(&b, "task_id", "a");
	for (int i = 0; i < PROTO_FIELDS_MAX; i++)
		proto_add(&b, "env", "A=1");
	CHECK(proto_end_split(&b, "task_id") == -1 && b.len == 0);
	buf_free(&b);
}

int
main(void)
{
	test_round_trip();
	test_parse_basic();
	test_capabilities();
	test_numbers();
	test_malformed();
	test_limits();
	test_encoder();
	test_hello();
	test_states();
	test_values();
	test_status();
	test_ack_and_hello();
	test_launch();
	test_split();
	return CHECK_DONE();
}
