/* tests/test_json.c: unit tests for json.c (writer, parser, lookups, round trips). */
#include "check.h"
#include "buf.h"
#include "json.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BYTES 256
#define DEEP_LEVELS 64
#define HUGE_STRING_BYTES (1u << 20)
#define MANY_KEYS 20000

/* Write one double as a lone value and return the text (static buffer). */
static const char *
dbl(double v)
{
	static char out[64];
	struct buf b;
	struct json_w w;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_double(&w, v);
	xstrlcpy(out, b.data, sizeof(out));
	buf_free(&b);
	return out;
}

static const char *
str_out(const char *s, size_t len)
{
	static char out[256];
	struct buf b;
	struct json_w w;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_strn(&w, s, len);
	xstrlcpy(out, b.data, sizeof(out));
	buf_free(&b);
	return out;
}

static void
test_writer_shapes(void)
{
	struct buf b;
	struct json_w w;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "id", "a1");
	json_kint(&w, "n", -42);
	json_kdouble(&w, "cpus", 4.0);
	json_kbool(&w, "ok", 1);
	json_key(&w, "none");
	json_null(&w);
	json_key(&w, "list");
	json_arr_begin(&w);
	json_int(&w, 1);
	json_str(&w, "two");
	json_arr_begin(&w);
	json_arr_end(&w);
	json_obj_begin(&w);
	json_obj_end(&w);
	json_raw(&w, "{\"r\":true}");
	json_bool(&w, 0);
	json_arr_end(&w);
	json_key(&w, "empty");
	json_obj_begin(&w);
	json_obj_end(&w);
	json_obj_end(&w);
	CHECK_STR(b.data, "{\"id\":\"a1\",\"n\":-42,\"cpus\":4.0,\"ok\":true,\"none\":null,"
	    "\"list\":[1,\"two\",[],{},{\"r\":true},false],\"empty\":{}}");
	CHECK(w.depth == 0);
	buf_free(&b);

	/* A capped buffer refuses appends instead of growing. */
	buf_init(&b, 8);
	json_w_init(&w, &b);
	json_arr_begin(&w);
	json_str(&w, "this is longer than eight bytes");
	json_arr_end(&w);
	CHECK(b.len <= 8);
	buf_free(&b);
}

static void
test_writer_escaping(void)
{
	CHECK_STR(str_out("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	CHECK_STR(str_out("\n\t\r\b\f", 5), "\"\\n\\t\\r\\b\\f\"");
	CHECK_STR(str_out("\x01\x1f", 2), "\"\\u0001\\u001f\"");
	CHECK_STR(str_out("a\0b", 3), "\"a\\u0000b\"");
	CHECK_STR(str_out("/", 1), "\"/\"");
	CHECK_STR(str_out("\x7f", 1), "\"\x7f\"");
	/* Valid UTF-8 passes through: 2, 3 and 4 byte forms. */
	CHECK_STR(str_out("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* Invalid: lone continuation, overlong, surrogate, truncated, past U+10FFFF. */
	CHECK_STR(str_out("\x80", 1), "\"\xef\xbf\xbd\"");
	CHECK_STR(str_out("\xc0\xaf", 2), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_STR(str_out("\xed\xa0\x80", 3), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_STR(str_out("a\xe2\x82", 3), "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_STR(str_out("\xf4\x90\x80\x80", 4),
	    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_STR(str_out("\xff", 1), "\"\xef\xbf\xbd\"");
}

static void
test_doubles(void)
{
	char err[ERR_BYTES];
	double third = 1.0 / 3.0;
	const char *s;
	struct json *j;

	CHECK_STR(dbl(0.1), "0.1");
	CHECK_STR(dbl(1e300), "1e+300");
	CHECK_STR(dbl(4.0), "4.0");
	CHECK_STR(dbl(-0.0), "-0.0");
	CHECK_STR(dbl(0.0), "0.0");
	CHECK_STR(dbl(0.5), "0.5");
	CHECK_STR(dbl(1e15), "1e+15");
	CHECK_STR(dbl(123456.0), "123456.0");
	/* The double nearest 0.1 + 0.2 (x87 would add them in long double, nearer 0.3). */
	CHECK_STR(dbl(0.30000000000000004), "0.30000000000000004");
	CHECK_STR(dbl(strtod("nan", NULL)), "null");
	CHECK_STR(dbl(strtod("inf", NULL)), "null");
	CHECK_STR(dbl(-strtod("inf", NULL)), "null");
	s = dbl(third);
	CHECK(strtod(s, NULL) == third);
	j = json_parse(s, strlen(s), err, sizeof(err));
	CHECK(j != NULL && j->type == JSON_NUMBER && j->number == third);
	json_free(j);
	s = dbl(5e-324);
	CHECK_EXACT(strtod(s, NULL), 5e-324);
	s = dbl(1.7976931348623157e308);
	CHECK_EXACT(strtod(s, NULL), 1.7976931348623157e308);
}

/* Parse must fail, with exactly this message. */
static void
reject(const char *text, const char *want, int line)
{
	char err[ERR_BYTES];
	struct json *j = json_parse(text, strlen(text), err, sizeof(err));

	if (j != NULL) {
		check_failed++;
		fprintf(stderr, "%s:%d: accepted %s\n", __FILE__, line, text);
		json_free(j);
		return;
	}
	if (want != NULL && strcmp(err, want) != 0) {
		check_failed++;
		fprintf(stderr, "%s:%d: %s: want \"%s\", got \"%s\"\n", __FILE__, line, text, want,
		    err);
		return;
	}
	check_passed++;
}

#define REJECT(text, want) reject((text), (want), __LINE__)

static struct json *
parse_str(const char *s)
{
	char err[ERR_BYTES];
	struct json *j = json_parse(s, strlen(s), err, sizeof(err));

	if (j == NULL)
		fprintf(stderr, "parse of %s failed: %s\n", s, err);
	return j;
}

static const char rfc_example1[] =
    "{\n"
    "  \"Image\": {\n"
    "    \"Width\":  800,\n"
    "    \"Height\": 600,\n"
    "    \"Title\":  \"View from 15th Floor\",\n"
    "    \"Thumbnail\": {\n"
    "      \"Url\":    \"http://www.example.com/image/481989943\",\n"
    "      \"Height\": 125,\n"
    "      \"Width\":  100\n"
    "    },\n"
    "    \"Animated\" : false,\n"
    "    \"IDs\": [116, 943, 234, 38793]\n"
    "  }\n"
    "}\n";

static const char rfc_example2[] =
    "[\n"
    "  {\n"
    "    \"precision\": \"zip\",\n"
    "    \"Latitude\":  37.7668,\n"
    "    \"Longitude\": -122.3959,\n"
    "    \"Address\":   \"\",\n"
    "    \"City\":      \"SAN FRANCISCO\",\n"
    "    \"State\":     \"CA\",\n"
    "    \"Zip\":       \"94107\",\n"
    "    \"Country\":   \"US\"\n"
    "  },\n"
    "  {\n"
    "    \"precision\": \"zip\",\n"
    "    \"Latitude\":  37.371991,\n"
    "    \"Longitude\": -122.026020,\n"
    "    \"Address\":   \"\",\n"
    "    \"City\":      \"SUNNYVALE\",\n"
    "    \"State\":     \"CA\",\n"
    "    \"Zip\":       \"94085\",\n"
    "    \"Country\":   \"US\"\n"
    "  }\n"
    "]\n";

static void
test_parse_accepts(void)
{
	struct json *j;
	const struct json *v;
	long long n;

	j = parse_str(rfc_example1);
	CHECK(j != NULL && j->type == JSON_OBJECT);
	v = json_path(j, "Image.Thumbnail.Width");
	CHECK(v != NULL && json_as_int(v, &n) == 0 && n == 100);
	CHECK_STR(json_get_str(json_get(j, "Image"), "Title"), "View from 15th Floor");
	v = json_path(j, "Image.IDs");
	CHECK(v != NULL && v->type == JSON_ARRAY && v->n == 4);
	CHECK(v != NULL && v->n == 4 && json_as_int(v->items[3], &n) == 0 && n == 38793);
	CHECK(json_path(j, "Image.Animated") != NULL &&
	    json_path(j, "Image.Animated")->type == JSON_BOOL);
	CHECK(json_path(j, "Image.Nope") == NULL);
	CHECK(json_path(j, "Image.Title.x") == NULL);
	CHECK(json_get_str(json_get(j, "Image"), "Width") == NULL);
	json_free(j);

	j = parse_str(rfc_example2);
	CHECK(j != NULL && j->type == JSON_ARRAY && j->n == 2);
	if (j != NULL && j->n == 2) {
		v = json_get(j->items[1], "Longitude");
		CHECK(v != NULL && v->number == (double)-122.026020);
		CHECK(json_as_int(v, &n) == -1);
		CHECK_STR(json_get_str(j->items[0], "Address"), "");
	}
	CHECK(json_get(j, "x") == NULL);
	json_free(j);

	/* RFC 8259 section 13: scalars are texts too. */
	j = parse_str("\"Hello world!\"");
	CHECK(j != NULL && j->type == JSON_STRING && strcmp(j->string, "Hello world!") == 0);
	json_free(j);
	j = parse_str(" 42 ");
	CHECK(j != NULL && json_as_int(j, &n) == 0 && n == 42);
	json_free(j);
	j = parse_str("true");
	CHECK(j != NULL && j->type == JSON_BOOL && j->boolean == 1);
	json_free(j);
	j = parse_str("\t\r\nnull\n");
	CHECK(j != NULL && j->type == JSON_NULL);
	json_free(j);

	/* Numbers of every grammar form. */
	j = parse_str("[0, -0, 1.5, -1.5e3, 2E+2, 3e-2, 1e-400, 123456789012345678]");
	CHECK(j != NULL && j->n == 8);
	if (j != NULL && j->n == 8) {
		CHECK(j->items[2]->number == 1.5);
		CHECK(j->items[3]->number == -1500.0);
		CHECK(j->items[4]->number == 200.0);
		CHECK_EXACT(j->items[5]->number, 0.03);
		CHECK(j->items[6]->number == 0.0);
		CHECK(json_as_int(j->items[1], &n) == 0 && n == 0);
		CHECK(json_as_int(j->items[7], &n) == 0);
	}
	json_free(j);
	j = parse_str("[9223372036854775807, -9223372036854775808, 1e19]");
	CHECK(j != NULL && j->n == 3);
	if (j != NULL && j->n == 3) {
		CHECK(json_as_int(j->items[0], &n) == -1); /* rounds to 2^63 */
		CHECK(json_as_int(j->items[1], &n) == 0 && n == (-9223372036854775807LL - 1));
		CHECK(json_as_int(j->items[2], &n) == -1);
	}
	json_free(j);
	CHECK(json_as_int(NULL, &n) == -1);

	/* Escapes, including a surrogate pair, decode to UTF-8. */
	j = parse_str("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"");
	CHECK(j != NULL && j->type == JSON_STRING);
	if (j != NULL)
		CHECK_STR(j->string, "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	json_free(j);
	j = parse_str("\"a\\u0000b\"");
	CHECK(j != NULL && j->string_len == 3 && memcmp(j->string, "a\0b", 4) == 0);
	json_free(j);
	j = parse_str("\"\xc3\xa9\xf0\x9f\x98\x80\x7f\"");
	CHECK(j != NULL && j->string_len == 7);
	json_free(j);
}

static void
test_parse_rejects(void)
{
	REJECT("", "at byte 0: unexpected end of input");
	REJECT("   ", "at byte 3: unexpected end of input");
	REJECT("{\"a\":1,}", "at byte 7: trailing comma in object");
	REJECT("[1,2,]", "at byte 5: trailing comma in array");
	REJECT("[1 2]", "at byte 3: unexpected character '2': expected ',' or ']' in array");
	REJECT("{\"a\" 1}", "at byte 5: unexpected character '1': expected ':' after object key");
	REJECT("{\"a\":1 \"b\":2}",
	    "at byte 7: unexpected character '\"': expected ',' or '}' in object");
	REJECT("{a:1}", "at byte 1: unexpected character 'a': expected string key");
	REJECT("{'a':1}", "at byte 1: unexpected byte 0x27: expected string key");
	REJECT("['a']", "at byte 1: unexpected byte 0x27");
	REJECT("[01]", "at byte 1: leading zero in number");
	REJECT("-01", "at byte 0: leading zero in number");
	REJECT("[-]", "at byte 1: invalid number");
	REJECT("1.", "at byte 0: invalid number: digit expected after '.'");
	REJECT(".5", "at byte 0: unexpected character '.'");
	REJECT("1e", "at byte 0: invalid number: digit expected in exponent");
	REJECT("1e+", "at byte 0: invalid number: digit expected in exponent");
	REJECT("+1", "at byte 0: unexpected character '+'");
	REJECT("1e400", "at byte 0: number out of range");
	REJECT("NaN", "at byte 0: unexpected character 'N'");
	REJECT("Infinity", "at byte 0: unexpected character 'I'");
	REJECT("nul", "at byte 0: invalid literal");
	REJECT("tru", "at byte 0: invalid literal");
	REJECT("True", "at byte 0: unexpected character 'T'");
	REJECT("[1] x", "at byte 4: unexpected character 'x' after the value");
	REJECT("1 2", "at byte 2: unexpected character '2' after the value");
	REJECT("/* c */ 1", "at byte 0: unexpected character '/'");
	REJECT("[1] // c", "at byte 4: unexpected character '/' after the value");
	REJECT("\"abc", "at byte 0: unterminated string");
	REJECT("\"abc\\", "at byte 0: unterminated string");
	REJECT("\"a\tb\"", "at byte 2: control character in string");
	REJECT("\"a\nb\"", "at byte 2: control character in string");
	REJECT("\"\\x\"", "at byte 1: invalid escape '\\x'");
	REJECT("\"\\u12\"", "at byte 1: invalid \\u escape");
	REJECT("\"\\u12g4\"", "at byte 1: invalid \\u escape");
	REJECT("\"\\ud800\"", "at byte 1: lone surrogate in \\u escape");
	REJECT("\"\\udc00\"", "at byte 1: lone surrogate in \\u escape");
	REJECT("\"\\ud800\\u0041\"", "at byte 1: lone surrogate in \\u escape");
	REJECT("\"\\ud800x\"", "at byte 1: lone surrogate in \\u escape");
	REJECT("\"\\ud800\\u00\"", "at byte 7: invalid \\u escape");
	REJECT("\"\xff\"", "at byte 1: invalid UTF-8 in string");
	REJECT("\"\xc0\xaf\"", "at byte 1: invalid UTF-8 in string");
	REJECT("\"\xed\xa0\x80\"", "at byte 1: invalid UTF-8 in string");
	REJECT("\"\xe2\x82\"", "at byte 1: invalid UTF-8 in string");
	REJECT("\xef\xbb\xbf" "1", "at byte 0: unexpected byte 0xef");
	REJECT("{\"x\":1,\"x\":2}", "at byte 7: duplicate key 'x'");
	REJECT("{\"a\":{\"k\":1,\"b\":2,\"k\":3}}", "at byte 18: duplicate key 'k'");
	REJECT("{\"a\\u0000\":1}", "at byte 1: object key contains NUL");
	REJECT("[1,,2]", "at byte 3: unexpected character ','");
	REJECT("{,}", "at byte 1: unexpected character ',': expected string key");
	REJECT("[", "at byte 1: unexpected end of input");
	REJECT("{", "at byte 1: unexpected end of input: expected string key");
	REJECT("]", "at byte 0: unexpected character ']'");

	/* NUL bytes inside the given length are not terminators. */
	{
		char err[ERR_BYTES];
		struct json *j = json_parse("1\0", 2, err, sizeof(err));

		CHECK(j == NULL);
		CHECK_STR(err, "at byte 1: unexpected byte 0x00 after the value");
		j = json_parse("\"\0\"", 3, err, sizeof(err));
		CHECK(j == NULL);
		CHECK_STR(err, "at byte 1: control character in string");
		/* NULL text with zero length is just empty input. */
		j = json_parse(NULL, 0, err, sizeof(err));
		CHECK(j == NULL);
		/* No error buffer is fine too. */
		j = json_parse("x", 1, NULL, 0);
		CHECK(j == NULL);
	}
}

static void
test_deep_nesting(void)
{
	char text[2 * (DEEP_LEVELS + 1) + 1];
	char err[ERR_BYTES];
	struct buf b;
	struct json_w w;
	struct json *j;
	int i;

	for (i = 0; i < DEEP_LEVELS; i++) {
		text[i] = '[';
		text[DEEP_LEVELS + i] = ']';
	}
	text[2 * DEEP_LEVELS] = '\0';
	j = json_parse(text, strlen(text), err, sizeof(err));
	CHECK(j != NULL);
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_write(&w, j);
	CHECK_STR(b.data, text);
	buf_free(&b);
	json_free(j);

	for (i = 0; i <= DEEP_LEVELS; i++) {
		text[i] = '[';
		text[DEEP_LEVELS + 1 + i] = ']';
	}
	text[2 * (DEEP_LEVELS + 1)] = '\0';
	j = json_parse(text, strlen(text), err, sizeof(err));
	CHECK(j == NULL);
	CHECK_STR(err, "at byte 64: nesting deeper than 64");

	/* Objects count the same; an unclosed mountain is refused at the cap, not at the end. */
	{
		size_t n = 100000, k;
		char *deep = xmalloc(n * 5 + 1);

		for (k = 0; k < n; k++)
			memcpy(deep + k * 5, "{\"a\":", 5);
		deep[n * 5] = '\0';
		j = json_parse(deep, n * 5, err, sizeof(err));
		CHECK(j == NULL);
		CHECK_STR(err, "at byte 320: nesting deeper than 64");
		free(deep);
	}
}

static void
test_huge_strings(void)
{
	size_t n = HUGE_STRING_BYTES, k;
	char *text = xmalloc(n + 3);
	char err[ERR_BYTES];
	struct buf b;
	struct json_w w;
	struct json *j;

	text[0] = '"';
	for (k = 0; k < n; k++)
		text[k + 1] = (char)('a' + k % 26);
	text[n + 1] = '"';
	text[n + 2] = '\0';
	j = json_parse(text, n + 2, err, sizeof(err));
	CHECK(j != NULL && j->type == JSON_STRING && j->string_len == n);
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_write(&w, j);
	CHECK(b.len == n + 2 && memcmp(b.data, text, n + 2) == 0);
	buf_free(&b);
	json_free(j);

	/* Many escapes: the decoded string is shorter than its encoding. */
	for (k = 0; k + 6 <= n; k += 6)
		memcpy(text + 1 + k, "\\u00e9", 6);
	text[1 + k] = '"';
	j = json_parse(text, k + 2, err, sizeof(err));
	CHECK(j != NULL && j->string_len == k / 3);
	json_free(j);
	free(text);

	/* A wide object with many keys, and a late duplicate among them. */
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	for (k = 0; k < MANY_KEYS; k++) {
		char key[32];

		snprintf(key, sizeof(key), "k%zu", k);
		json_kint(&w, key, (long long)k);
	}
	json_obj_end(&w);
	j = json_parse(b.data, b.len, err, sizeof(err));
	CHECK(j != NULL && j->n == MANY_KEYS);
	CHECK(json_get(j, "k19999") != NULL);
	json_free(j);
	b.len--;
	buf_puts(&b, ",\"k123\":0}");
	j = json_parse(b.data, b.len, err, sizeof(err));
	CHECK(j == NULL && strstr(err, "duplicate key 'k123'") != NULL);
	buf_free(&b);

	/* A very long number is refused, not copied. */
	{
		char num[1024];

		memset(num, '1', sizeof(num) - 1);
		num[sizeof(num) - 1] = '\0';
		REJECT(num, "at byte 0: number longer than 512 bytes");
	}
}

static void
test_truncated_prefixes(void)
{
	static const char doc[] =
	    "{\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\ud83d\\ude00\\n\"],"
	    "\"b\":{\"c\":{}},\"d\":[],\"\xc3\xa9\":\"\xe2\x82\xac\"}";
	char err[ERR_BYTES];
	size_t len = strlen(doc), k;
	int all_rejected = 1;
	struct json *j;

	for (k = 0; k < len; k++) {
		/* Each prefix in its own allocation so ASan catches any over-read. */
		char *p = xmalloc(k ? k : 1);

		memcpy(p, doc, k);
		err[0] = '\0';
		j = json_parse(p, k, err, sizeof(err));
		if (j != NULL || strncmp(err, "at byte ", 8) != 0) {
			all_rejected = 0;
			fprintf(stderr, "prefix %zu: %s\n", k, j ? "accepted" : err);
		}
		json_free(j);
		free(p);
	}
	CHECK(all_rejected);
	j = json_parse(doc, len, err, sizeof(err));
	CHECK(j != NULL);
	json_free(j);
}

static void
test_round_trip(void)
{
	static const char *docs[] = {
		rfc_example1,
		rfc_example2,
		"{\"cpus\":4.0,\"mem\":128,\"neg\":-0.0,\"big\":1e300,\"f\":0.1,\"i\":-7}",
		"[\"\\u0000\\u001f\\\"\\\\\",\"\xf0\x9f\x98\x80\",[],{},[[[]]],{\"\":\"\"}]",
		"9007199254740993",
		"[1e-7, 123.456, 2.5e-310]",
	};
	char err[ERR_BYTES];
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct json *a = json_parse(docs[i], strlen(docs[i]), err, sizeof(err));
		struct json *c;
		struct buf b1, b2;
		struct json_w w;

		CHECK(a != NULL);
		if (a == NULL)
			continue;
		buf_init(&b1, 0);
		json_w_init(&w, &b1);
		json_write(&w, a);
		c = json_parse(b1.data, b1.len, err, sizeof(err));
		CHECK(c != NULL);
		buf_init(&b2, 0);
		json_w_init(&w, &b2);
		json_write(&w, c);
		/* Writing is a fixed point after one pass. */
		CHECK_STR(b2.data, b1.data);
		buf_free(&b1);
		buf_free(&b2);
		json_free(a);
		json_free(c);
	}

	/* Integral numbers keep their integer form, others their shortest form. */
	{
		struct json *j = parse_str("{\"cpus\":4.0,\"mem\":128,\"neg\":-0.0,\"x\":0.25}");
		struct buf b;
		struct json_w w;

		buf_init(&b, 0);
		json_w_init(&w, &b);
		json_write(&w, j);
		CHECK_STR(b.data, "{\"cpus\":4,\"mem\":128,\"neg\":-0.0,\"x\":0.25}");
		buf_free(&b);
		json_free(j);
	}
}

int
main(void)
{
	test_writer_shapes();
	test_writer_escaping();
	test_doubles();
	test_parse_accepts();
	test_parse_rejects();
	test_deep_nesting();
	test_huge_strings();
	test_truncated_prefixes();
	test_round_trip();
	return CHECK_DONE();
}
