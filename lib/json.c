/*
 * json.c: owns the project's JSON: a comma-tracking writer that always
 * emits valid UTF-8, and a strict RFC 8259 parser that builds a tree. Every
 * limit (nesting, number length) is checked before memory is used, so a
 * hostile document costs at most a small multiple of its own size.
 */
#include "json.h"
#include "buf.h"
#include "log.h"
#include "xmem.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest number literal we accept; far beyond the 17 digits a double holds. */
#define JSON_NUMBER_MAX_BYTES 512
/* Key excerpt quoted in a "duplicate key" message. */
#define JSON_ERR_KEY_MAX_BYTES 40
/* First capacity of an array/object member list. */
#define JSON_MEMBERS_INITIAL 4
/* Formatted double: sign, 17 digits, point, exponent, ".0" and NUL fit easily. */
#define JSON_DOUBLE_MAX_BYTES 40
/* printf precisions tried, shortest first, when printing a double. */
#define JSON_DOUBLE_PREC_MIN 15
#define JSON_DOUBLE_PREC_MAX 17
/* Integers within +-2^53 are exact in a double, so json_write prints them bare. */
#define JSON_EXACT_INT_LIMIT 9007199254740992.0
/* 2^63: the first double outside long long. */
#define JSON_LLONG_LIMIT 9223372036854775808.0
/* Hexadecimal digits in a \uXXXX escape, and the whole escape with its NUL. */
#define JSON_UESC_DIGITS 4
#define JSON_UESC_BYTES 7
/* Value of the hex digit 'a', and the radix of \u escapes. */
#define JSON_HEX_A_VALUE 10
#define JSON_HEX_BASE 16

/* Unicode code point boundaries used by the UTF-8 and \u code. */
#define UTF8_ONE_MAX       0x7F
#define UTF8_TWO_MAX       0x7FF
#define UTF8_THREE_MAX     0xFFFF
#define SURROGATE_HIGH_MIN 0xD800
#define SURROGATE_HIGH_MAX 0xDBFF
#define SURROGATE_LOW_MIN  0xDC00
#define SURROGATE_LOW_MAX  0xDFFF
#define SUPPLEMENTARY_BASE 0x10000
#define SURROGATE_SHIFT    10
#define ASCII_CONTROL_END  0x20
#define ASCII_DEL          0x7F

/* ------------------------------------------------------------------ */
/* UTF-8                                                                */
/* ------------------------------------------------------------------ */

/*
 * Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0.
 * The byte ranges are those of the Unicode Standard's table of well-formed
 * byte sequences (Table 3-7), so overlong forms, surrogates and code points
 * past U+10FFFF are all refused.
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (c <= UTF8_ONE_MAX)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/* Encode cp (already validated, not a surrogate) as UTF-8; returns bytes written. */
static size_t
utf8_encode(char *out, unsigned long cp)
{
	if (cp <= UTF8_ONE_MAX) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp <= UTF8_TWO_MAX) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp <= UTF8_THREE_MAX) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ------------------------------------------------------------------ */
/* writer                                                              */
/* ------------------------------------------------------------------ */

/*
 * The writer trusts its caller (our own code) for structure and writes into
 * a buf; a capped buf that fills up simply truncates, which the caller sees
 * as an append failure on its own next write or as a short document.
 */

void
json_w_init(struct json_w *w, struct buf *out)
{
	w->out = out;
	w->depth = 0;
	memset(w->need_comma, 0, sizeof(w->need_comma));
	w->after_key = 0;
}

/* Separator before a value: none after a key, a comma after a sibling. */
static void
before_value(struct json_w *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->need_comma[w->depth])
		buf_putc(w->out, ',');
	w->need_comma[w->depth] = 1;
}

static void
open_container(struct json_w *w, char c)
{
	/* Only our own code drives the writer, so this is a programming error. */
	if (w->depth >= JSON_MAX_WRITER_DEPTH)
		fatalx("json writer: nesting deeper than %d", JSON_MAX_WRITER_DEPTH);
	before_value(w);
	buf_putc(w->out, c);
	w->depth++;
	w->need_comma[w->depth] = 0;
}

static void
close_container(struct json_w *w, char c)
{
	buf_putc(w->out, c);
	if (w->depth > 0)
		w->depth--;
}

void
json_obj_begin(struct json_w *w)
{
	open_container(w, '{');
}

void
json_obj_end(struct json_w *w)
{
	close_container(w, '}');
}

void
json_arr_begin(struct json_w *w)
{
	open_container(w, '[');
}

void
json_arr_end(struct json_w *w)
{
	close_container(w, ']');
}

/* The quoted, escaped form of s; bad UTF-8 becomes U+FFFD so output is always valid. */
static void
put_string(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	buf_putc(out, '"');
	while (i < len) {
		unsigned char c = p[i];
		const char *esc = NULL;
		char uesc[JSON_UESC_BYTES];
		size_t n;

		if (c >= ASCII_CONTROL_END && c != '"' && c != '\\' && c <= UTF8_ONE_MAX) {
			i++;
			run++;
			continue;
		}
		if (c > UTF8_ONE_MAX) {
			n = utf8_seq_len(p + i, len - i);
			if (n > 0) {
				i += n;
				run += n;
				continue;
			}
		}
		/* Flush the plain run before this byte needs special treatment. */
		buf_append(out, s + i - run, run);
		run = 0;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\t': esc = "\\t"; break;
		case '\r': esc = "\\r"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c < ASCII_CONTROL_END) {
				uesc[0] = '\\';
				uesc[1] = 'u';
				uesc[2] = '0';
				uesc[3] = '0';
				uesc[4] = hex[c >> 4];
				uesc[5] = hex[c & 0xF];
				uesc[6] = '\0';
				esc = uesc;
			} else {
				esc = "\xEF\xBF\xBD";
			}
			break;
		}
		buf_puts(out, esc);
		i++;
	}
	buf_append(out, s + i - run, run);
	buf_putc(out, '"');
}

void
json_key(struct json_w *w, const char *key)
{
	before_value(w);
	put_string(w->out, key, strlen(key));
	buf_putc(w->out, ':');
	w->after_key = 1;
}

void
json_str(struct json_w *w, const char *s)
{
	json_strn(w, s, strlen(s));
}

void
json_strn(struct json_w *w, const char *s, size_t len)
{
	before_value(w);
	put_string(w->out, s, len);
}

void
json_int(struct json_w *w, long long v)
{
	before_value(w);
	buf_printf(w->out, "%lld", v);
}

/*
 * Shortest of %.15g/%.16g/%.17g that reads back as v (17 always does), with
 * ".0" added to integral results so readers see a floating value, as Mesos
 * prints "cpus":4.0.
 */
static void
format_double(char *out, size_t outlen, double v)
{
	int prec;

	for (prec = JSON_DOUBLE_PREC_MIN; prec <= JSON_DOUBLE_PREC_MAX; prec++) {
		snprintf(out, outlen, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	if (strpbrk(out, ".e") == NULL) {
		size_t n = strlen(out);

		if (n + 2 < outlen)
			memcpy(out + n, ".0", 3);
	}
}

void
json_double(struct json_w *w, double v)
{
	char tmp[JSON_DOUBLE_MAX_BYTES];

	before_value(w);
	if (isnan(v) || isinf(v)) {
		buf_puts(w->out, "null");
		return;
	}
	format_double(tmp, sizeof(tmp), v);
	buf_puts(w->out, tmp);
}

void
json_bool(struct json_w *w, int v)
{
	before_value(w);
	buf_puts(w->out, v ? "true" : "false");
}

void
json_null(struct json_w *w)
{
	before_value(w);
	buf_puts(w->out, "null");
}

void
json_raw(struct json_w *w, const char *json)
{
	before_value(w);
	buf_puts(w->out, json);
}

void
json_kstr(struct json_w *w, const char *key, const char *s)
{
	json_key(w, key);
	json_str(w, s);
}

void
json_kint(struct json_w *w, const char *key, long long v)
{
	json_key(w, key);
	json_int(w, v);
}

void
json_kdouble(struct json_w *w, const char *key, double v)
{
	json_key(w, key);
	json_double(w, v);
}

void
json_kbool(struct json_w *w, const char *key, int v)
{
	json_key(w, key);
	json_bool(w, v);
}

/* ------------------------------------------------------------------ */
/* parser                                                              */
/* ------------------------------------------------------------------ */

struct parser {
	const unsigned char *s;
	size_t len;
	size_t pos;
	int depth;
	char *err;
	size_t errlen;
	int failed;
};

/* Only the first error counts: it is the one nearest the real cause. */
static void
fail_at(struct parser *p, size_t at, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

static void
fail_at(struct parser *p, size_t at, const char *fmt, ...)
{
	char reason[JSON_ERR_KEY_MAX_BYTES * 4];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (p->err != NULL && p->errlen > 0)
		snprintf(p->err, p->errlen, "at byte %zu: %s", at, reason);
}

/* Name the offending byte: printable characters quoted, the rest in hex. */
static void
fail_unexpected(struct parser *p, const char *context)
{
	unsigned char c;

	if (p->pos >= p->len) {
		fail_at(p, p->pos, "unexpected end of input%s", context);
		return;
	}
	c = p->s[p->pos];
	if (c > ' ' && c < ASCII_DEL && c != '\'')
		fail_at(p, p->pos, "unexpected character '%c'%s", c, context);
	else
		fail_at(p, p->pos, "unexpected byte 0x%02x%s", c, context);
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static struct json *
new_node(enum json_type type)
{
	struct json *j = xcalloc(1, sizeof(*j));

	j->type = type;
	return j;
}

static struct json *parse_value(struct parser *p);

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + JSON_HEX_A_VALUE;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + JSON_HEX_A_VALUE;
	return -1;
}

/* Four hex digits at p->pos; -1 (and the error) if they are not there. */
static long
read_hex4(struct parser *p, size_t esc_at)
{
	long v = 0;
	int i;

	if (p->len - p->pos < JSON_UESC_DIGITS) {
		fail_at(p, esc_at, "invalid \\u escape");
		return -1;
	}
	for (i = 0; i < JSON_UESC_DIGITS; i++) {
		int d = hex_value(p->s[p->pos + (size_t)i]);

		if (d < 0) {
			fail_at(p, esc_at, "invalid \\u escape");
			return -1;
		}
		v = v * JSON_HEX_BASE + d;
	}
	p->pos += JSON_UESC_DIGITS;
	return v;
}

/* One \uXXXX escape (a surrogate pair counts as one) appended to out. */
static int
decode_uescape(struct parser *p, char *out, size_t *outlen, size_t esc_at)
{
	long cp = read_hex4(p, esc_at);
	long lo;

	if (cp < 0)
		return -1;
	if (cp >= SURROGATE_LOW_MIN && cp <= SURROGATE_LOW_MAX) {
		fail_at(p, esc_at, "lone surrogate in \\u escape");
		return -1;
	}
	if (cp >= SURROGATE_HIGH_MIN && cp <= SURROGATE_HIGH_MAX) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
			fail_at(p, esc_at, "lone surrogate in \\u escape");
			return -1;
		}
		p->pos += 2;
		lo = read_hex4(p, p->pos - 2);
		if (lo < 0)
			return -1;
		if (lo < SURROGATE_LOW_MIN || lo > SURROGATE_LOW_MAX) {
			fail_at(p, esc_at, "lone surrogate in \\u escape");
			return -1;
		}
		cp = SUPPLEMENTARY_BASE + ((cp - SURROGATE_HIGH_MIN) << SURROGATE_SHIFT) +
		    (lo - SURROGATE_LOW_MIN);
	}
	*outlen += utf8_encode(out + *outlen, (unsigned long)cp);
	return 0;
}

/*
 * A string starting at the opening quote. The decoded form is never longer
 * than the encoded one, so one allocation of the raw span suffices.
 */
static char *
parse_string(struct parser *p, size_t *lenp)
{
	size_t start = p->pos, end, n = 0;
	char *out;

	p->pos++;
	for (end = p->pos; end < p->len && p->s[end] != '"'; end++)
		if (p->s[end] == '\\')
			end++;
	if (end >= p->len) {
		fail_at(p, start, "unterminated string");
		return NULL;
	}
	out = xmalloc(end - p->pos + 1);
	while (p->pos < end) {
		unsigned char c = p->s[p->pos];
		size_t at = p->pos, seq;

		if (c < ASCII_CONTROL_END) {
			fail_at(p, at, "control character in string");
			goto bad;
		}
		if (c > UTF8_ONE_MAX) {
			seq = utf8_seq_len(p->s + at, end - at);
			if (seq == 0) {
				fail_at(p, at, "invalid UTF-8 in string");
				goto bad;
			}
			memcpy(out + n, p->s + at, seq);
			n += seq;
			p->pos += seq;
			continue;
		}
		p->pos++;
		if (c != '\\') {
			out[n++] = (char)c;
			continue;
		}
		c = p->s[p->pos++];
		switch (c) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case '/': out[n++] = '/'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u':
			/* Escapes must stay inside this string, so cap the reader at the quote. */
			{
				size_t saved_len = p->len;
				int rc;

				p->len = end;
				rc = decode_uescape(p, out, &n, at);
				p->len = saved_len;
				if (rc < 0)
					goto bad;
			}
			break;
		default:
			if (c > ' ' && c < ASCII_DEL && c != '\'')
				fail_at(p, at, "invalid escape '\\%c'", c);
			else
				fail_at(p, at, "invalid escape");
			goto bad;
		}
	}
	out[n] = '\0';
	p->pos = end + 1;
	*lenp = n;
	return out;
bad:
	free(out);
	return NULL;
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The RFC 8259 number grammar is checked here; strtod only converts. */
static struct json *
parse_number(struct parser *p)
{
	size_t start = p->pos, i = p->pos;
	char tmp[JSON_NUMBER_MAX_BYTES + 1];
	struct json *j;
	double v;

	if (i < p->len && p->s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(p->s[i])) {
		fail_at(p, start, "invalid number");
		return NULL;
	}
	if (p->s[i] == '0') {
		i++;
		if (i < p->len && is_digit(p->s[i])) {
			fail_at(p, start, "leading zero in number");
			return NULL;
		}
	} else {
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && p->s[i] == '.') {
		i++;
		if (i >= p->len || !is_digit(p->s[i])) {
			fail_at(p, start, "invalid number: digit expected after '.'");
			return NULL;
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(p->s[i])) {
			fail_at(p, start, "invalid number: digit expected in exponent");
			return NULL;
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i - start > JSON_NUMBER_MAX_BYTES) {
		fail_at(p, start, "number longer than %d bytes", JSON_NUMBER_MAX_BYTES);
		return NULL;
	}
	memcpy(tmp, p->s + start, i - start);
	tmp[i - start] = '\0';
	v = strtod(tmp, NULL);
	if (isinf(v)) {
		fail_at(p, start, "number out of range");
		return NULL;
	}
	p->pos = i;
	j = new_node(JSON_NUMBER);
	j->number = v;
	return j;
}

static struct json *
parse_literal(struct parser *p, const char *word, enum json_type type, int value)
{
	size_t n = strlen(word);
	struct json *j;

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
		fail_at(p, p->pos, "invalid literal");
		return NULL;
	}
	p->pos += n;
	j = new_node(type);
	j->boolean = value;
	return j;
}

static void
add_member(struct json *j, size_t *cap, char *key, struct json *value)
{
	if (j->n == *cap) {
		*cap = *cap ? *cap * 2 : JSON_MEMBERS_INITIAL;
		j->items = xreallocarray(j->items, *cap, sizeof(*j->items));
		if (j->type == JSON_OBJECT)
			j->keys = xreallocarray(j->keys, *cap, sizeof(*j->keys));
	}
	j->items[j->n] = value;
	if (j->type == JSON_OBJECT)
		j->keys[j->n] = key;
	j->n++;
}

static int
enter(struct parser *p)
{
	if (p->depth >= JSON_DEPTH_MAX) {
		fail_at(p, p->pos, "nesting deeper than %d", JSON_DEPTH_MAX);
		return -1;
	}
	p->depth++;
	return 0;
}

static struct json *
parse_array(struct parser *p)
{
	struct json *j;
	size_t cap = 0;

	if (enter(p) < 0)
		return NULL;
	j = new_node(JSON_ARRAY);
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		p->depth--;
		return j;
	}
	for (;;) {
		struct json *v;

		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ']' && j->n > 0) {
			fail_at(p, p->pos, "trailing comma in array");
			goto bad;
		}
		if ((v = parse_value(p)) == NULL)
			goto bad;
		add_member(j, &cap, NULL, v);
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			break;
		}
		fail_unexpected(p, ": expected ',' or ']' in array");
		goto bad;
	}
	p->depth--;
	return j;
bad:
	json_free(j);
	return NULL;
}

/* Position of each key, so a duplicate found after sorting can be reported where it is. */
struct key_ref {
	const char *key;
	size_t at;
};

static int
key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->at < y->at ? -1 : x->at > y->at;
}

/*
 * Duplicates are found by sorting rather than by scanning on each insert, so
 * an object with a hundred thousand keys costs n log n, not n squared.
 */
static int
check_duplicates(struct parser *p, const struct json *j, const size_t *key_at)
{
	struct key_ref *refs;
	size_t i;
	int rc = 0;

	if (j->n < 2)
		return 0;
	refs = xreallocarray(NULL, j->n, sizeof(*refs));
	for (i = 0; i < j->n; i++) {
		refs[i].key = j->keys[i];
		refs[i].at = key_at[i];
	}
	qsort(refs, j->n, sizeof(*refs), key_ref_cmp);
	for (i = 1; i < j->n; i++) {
		if (strcmp(refs[i - 1].key, refs[i].key) == 0) {
			char shown[JSON_ERR_KEY_MAX_BYTES + 1];
			size_t k;

			xstrlcpy(shown, refs[i].key, sizeof(shown));
			for (k = 0; shown[k] != '\0'; k++)
				if ((unsigned char)shown[k] < ' ' || shown[k] == '\'' ||
				    (unsigned char)shown[k] >= ASCII_DEL)
					shown[k] = '?';
			fail_at(p, refs[i].at, "duplicate key '%s'", shown);
			rc = -1;
			break;
		}
	}
	free(refs);
	return rc;
}

static struct json *
parse_object(struct parser *p)
{
	struct json *j;
	size_t cap = 0, *key_at = NULL, key_at_cap = 0;

	if (enter(p) < 0)
		return NULL;
	j = new_node(JSON_OBJECT);
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		p->depth--;
		return j;
	}
	for (;;) {
		struct json *v;
		size_t at, klen;
		char *key;

		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == '}' && j->n > 0) {
			fail_at(p, p->pos, "trailing comma in object");
			goto bad;
		}
		if (p->pos >= p->len || p->s[p->pos] != '"') {
			fail_unexpected(p, ": expected string key");
			goto bad;
		}
		at = p->pos;
		if ((key = parse_string(p, &klen)) == NULL)
			goto bad;
		/* Keys are C strings to every lookup; an embedded NUL would make two keys look alike. */
		if (klen != strlen(key)) {
			free(key);
			fail_at(p, at, "object key contains NUL");
			goto bad;
		}
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':') {
			free(key);
			fail_unexpected(p, ": expected ':' after object key");
			goto bad;
		}
		p->pos++;
		skip_ws(p);
		if ((v = parse_value(p)) == NULL) {
			free(key);
			goto bad;
		}
		if (j->n == key_at_cap) {
			key_at_cap = key_at_cap ? key_at_cap * 2 : JSON_MEMBERS_INITIAL;
			key_at = xreallocarray(key_at, key_at_cap, sizeof(*key_at));
		}
		key_at[j->n] = at;
		add_member(j, &cap, key, v);
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			break;
		}
		fail_unexpected(p, ": expected ',' or '}' in object");
		goto bad;
	}
	if (check_duplicates(p, j, key_at) < 0)
		goto bad;
	free(key_at);
	p->depth--;
	return j;
bad:
	free(key_at);
	json_free(j);
	return NULL;
}

static struct json *
parse_value(struct parser *p)
{
	struct json *j;
	size_t len;
	char *s;

	skip_ws(p);
	if (p->pos >= p->len) {
		fail_unexpected(p, "");
		return NULL;
	}
	switch (p->s[p->pos]) {
	case '{':
		return parse_object(p);
	case '[':
		return parse_array(p);
	case '"':
		if ((s = parse_string(p, &len)) == NULL)
			return NULL;
		j = new_node(JSON_STRING);
		j->string = s;
		j->string_len = len;
		return j;
	case 't':
		return parse_literal(p, "true", JSON_BOOL, 1);
	case 'f':
		return parse_literal(p, "false", JSON_BOOL, 0);
	case 'n':
		return parse_literal(p, "null", JSON_NULL, 0);
	default:
		if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
			return parse_number(p);
		fail_unexpected(p, "");
		return NULL;
	}
}

struct json *
json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser p;
	struct json *j;

	memset(&p, 0, sizeof(p));
	p.s = (const unsigned char *)text;
	p.len = text != NULL ? len : 0;
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((j = parse_value(&p)) == NULL)
		return NULL;
	skip_ws(&p);
	if (p.pos != p.len) {
		fail_unexpected(&p, " after the value");
		json_free(j);
		return NULL;
	}
	return j;
}

void
json_free(struct json *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		json_free(j->items[i]);
		if (j->keys != NULL)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->string);
	free(j);
}

const struct json *
json_get(const struct json *j, const char *key)
{
	size_t i;

	if (j == NULL || j->type != JSON_OBJECT || key == NULL)
		return NULL;
	for (i = 0; i < j->n; i++)
		if (strcmp(j->keys[i], key) == 0)
			return j->items[i];
	return NULL;
}

const struct json *
json_path(const struct json *j, const char *path)
{
	const char *seg = path;

	if (path == NULL)
		return NULL;
	while (j != NULL) {
		const char *dot = strchr(seg, '.');
		size_t n = dot != NULL ? (size_t)(dot - seg) : strlen(seg);
		const struct json *next = NULL;
		size_t i;

		if (j->type != JSON_OBJECT)
			return NULL;
		for (i = 0; i < j->n; i++) {
			if (strncmp(j->keys[i], seg, n) == 0 && j->keys[i][n] == '\0') {
				next = j->items[i];
				break;
			}
		}
		j = next;
		if (dot == NULL)
			return j;
		seg = dot + 1;
	}
	return NULL;
}

const char *
json_get_str(const struct json *j, const char *key)
{
	const struct json *v = json_get(j, key);

	if (v == NULL || v->type != JSON_STRING)
		return NULL;
	return v->string;
}

int
json_as_int(const struct json *j, long long *out)
{
	double v;
	long long i;

	if (j == NULL || j->type != JSON_NUMBER)
		return -1;
	v = j->number;
	/* The range test comes first: converting an out-of-range double is undefined. */
	if (!(v >= -JSON_LLONG_LIMIT && v < JSON_LLONG_LIMIT))
		return -1;
	i = (long long)v;
	if ((double)i != v)
		return -1;
	*out = i;
	return 0;
}

void
json_write(struct json_w *w, const struct json *j)
{
	size_t i;

	if (j == NULL) {
		json_null(w);
		return;
	}
	switch (j->type) {
	case JSON_NULL:
		json_null(w);
		break;
	case JSON_BOOL:
		json_bool(w, j->boolean);
		break;
	case JSON_NUMBER:
		/* Integral input such as "instances": 3 keeps its integer form; -0 keeps its sign. */
		if (j->number > -JSON_EXACT_INT_LIMIT && j->number < JSON_EXACT_INT_LIMIT &&
		    (double)(long long)j->number == j->number && !signbit(j->number))
			json_int(w, (long long)j->number);
		else
			json_double(w, j->number);
		break;
	case JSON_STRING:
		json_strn(w, j->string, j->string_len);
		break;
	case JSON_ARRAY:
		json_arr_begin(w);
		for (i = 0; i < j->n; i++)
			json_write(w, j->items[i]);
		json_arr_end(w);
		break;
	case JSON_OBJECT:
		json_obj_begin(w);
		for (i = 0; i < j->n; i++) {
			json_key(w, j->keys[i]);
			json_write(w, j->items[i]);
		}
		json_obj_end(w);
		break;
	}
}
