/*
 * proto.c: owns the line protocol's syntax: parsing a line into a verb and
 * fields in place, building lines with escaped values, the HELLO check every
 * peer kind shares, and the task state names. Nothing here does I/O.
 */
#include "proto.h"
#include "buf.h"
#include "log.h"
#include "xmem.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First capacity of a message's field array; it doubles up to PROTO_FIELDS_MAX. */
#define PROTO_FIELDS_INITIAL 16
/* Bytes of peer input quoted in an error message; the rest becomes "...". */
#define PROTO_QUOTE_MAX_BYTES 32
#define PROTO_QUOTE_BUF_BYTES BUF_QUOTE_BYTES(PROTO_QUOTE_MAX_BYTES)
/* Digits in a %XX escape. */
#define PROTO_ESCAPE_DIGITS 2
/* Highest control byte below the printable range, and DEL. */
#define PROTO_CTRL_MAX 0x1f
#define PROTO_DEL 0x7f
/* Longest "%lld" plus NUL. */
#define PROTO_INT_BUF_BYTES 24

static const char *const kind_names[] = {
	[PROTO_KIND_AGENT] = "agent",
	[PROTO_KIND_FRAMEWORK] = "framework",
	[PROTO_KIND_EXECUTOR] = "executor",
	[PROTO_KIND_CLI] = "cli",
	[PROTO_KIND_UNKNOWN] = "unknown",
};

static const char *const task_states[] = {
	"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_FINISHED",
	"TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED",
	"TASK_UNREACHABLE", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN",
};

static const char *const terminal_states[] = {
	"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST",
	"TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR",
};

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Peer bytes quoted in an error message: escaped and cut short (buf_quote). */
static const char *
quote(char out[PROTO_QUOTE_BUF_BYTES], const char *s, size_t n)
{
	return buf_quote(out, PROTO_QUOTE_BUF_BYTES, s, n, PROTO_QUOTE_MAX_BYTES);
}

void
proto_msg_init(struct proto_msg *m)
{
	memset(m, 0, sizeof(*m));
}

void
proto_msg_free(struct proto_msg *m)
{
	free(m->fields);
	proto_msg_init(m);
}

/* Raw bytes no sender may put on a line: they would have been escaped. */
static int
check_raw_bytes(const char *line, size_t len, char *err, size_t errlen)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0')
			return log_fail(err, errlen, "NUL byte in line");
		if (c == '\r')
			return log_fail(err, errlen, "carriage return in line");
		if (c <= PROTO_CTRL_MAX || c == PROTO_DEL)
			return log_fail(err, errlen, "control byte 0x%02X in line", c);
	}
	return 0;
}

static int
parse_verb(const char *line, size_t len, size_t *vend, struct proto_msg *m, char *err,
           size_t errlen)
{
	char q[PROTO_QUOTE_BUF_BYTES];
	size_t n = 0;

	while (n < len && line[n] != ' ')
		n++;
	*vend = n;
	for (size_t i = 0; i < n; i++) {
		char c = line[i];
		int ok = (c >= 'A' && c <= 'Z') || (i > 0 && ((c >= '0' && c <= '9') || c == '_'));

		if (!ok)
			return log_fail(err, errlen, "bad verb '%s'", quote(q, line, n));
	}
	if (n == 0)
		return log_fail(err, errlen, "bad verb ''");
	if (n > PROTO_VERB_MAX)
		return log_fail(err, errlen, "verb too long");
	memcpy(m->verb, line, n);
	m->verb[n] = '\0';
	return 0;
}

static int
is_key_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

static struct proto_field *
new_field(struct proto_msg *m)
{
	if (m->nfields == m->fields_cap) {
		size_t cap = m->fields_cap ? m->fields_cap * 2 : PROTO_FIELDS_INITIAL;

		if (cap > PROTO_FIELDS_MAX)
			cap = PROTO_FIELDS_MAX;
		m->fields = xreallocarray(m->fields, cap, sizeof(*m->fields));
		m->fields_cap = cap;
	}
	return &m->fields[m->nfields++];
}

/*
 * One field, starting at the separator line[*pos]. Its decoded text is
 * written starting one byte to the left of where it was read, into that
 * separator: the key then ends in a NUL where its '=' was and the value in
 * a NUL where the next separator (or the end of the line) was, so nothing
 * past line[len - 1] is touched. *pos ends on the next separator or len.
 */
static int
parse_field(char *line, size_t len, size_t *pos, struct proto_msg *m, char *err, size_t errlen)
{
	char q[PROTO_QUOTE_BUF_BYTES];
	size_t w = *pos, kstart = *pos + 1, r = kstart, klen;
	struct proto_field *f;

	while (r < len && line[r] != '=' && line[r] != ' ')
		r++;
	klen = r - kstart;
	if (klen == 0 && r == len)
		return log_fail(err, errlen, "empty field at end of line");
	if (klen == 0 && line[r] == ' ')
		return log_fail(err, errlen, "double space");
	if (r == len || line[r] != '=')
		return log_fail(err, errlen, "field '%s' has no '='", quote(q, line + kstart, klen));
	if (klen == 0)
		return log_fail(err, errlen, "empty key");
	for (size_t i = kstart; i < r; i++)
		if (!is_key_byte(line[i]))
			return log_fail(err, errlen, "bad key '%s'", quote(q, line + kstart, klen));
	if (klen > PROTO_KEY_MAX)
		return log_fail(err, errlen, "key too long");
	if (m->nfields == PROTO_FIELDS_MAX)
		return log_fail(err, errlen, "too many fields (limit %d)", PROTO_FIELDS_MAX);

	f = new_field(m);
	memmove(line + w, line + kstart, klen);
	line[w + klen] = '\0';
	f->key = line + w;
	w += klen + 1;
	f->val = line + w;
	r++;   /* the '=' */
	while (r < len && line[r] != ' ') {
		int hi, lo;

		if (line[r] != '%') {
			line[w++] = line[r++];
			continue;
		}
		if (len - r <= PROTO_ESCAPE_DIGITS || line[r + 1] == ' ' || line[r + 2] == ' ')
			return log_fail(err, errlen, "truncated escape in field '%s'", f->key);
		hi = hexval((unsigned char)line[r + 1]);
		lo = hexval((unsigned char)line[r + 2]);
		if (hi < 0 || lo < 0)
			return log_fail(err, errlen, "bad escape '%%%s' in field '%s'",
			            quote(q, line + r + 1, PROTO_ESCAPE_DIGITS), f->key);
		line[w++] = (char)(hi << 4 | lo);
		r += 1 + PROTO_ESCAPE_DIGITS;
	}
	f->vlen = (size_t)(line + w - f->val);
	line[w] = '\0';
	*pos = r;
	return 0;
}

int
proto_parse(char *line, size_t len, struct proto_msg *m, char *err, size_t errlen)
{
	size_t pos;

	m->nfields = 0;
	m->verb[0] = '\0';
	if (len == 0)
		return log_fail(err, errlen, "empty line");
	if (len > PROTO_LINE_MAX)
		return log_fail(err, errlen, "line too long (limit %d bytes)", PROTO_LINE_MAX);
	if (check_raw_bytes(line, len, err, errlen) < 0 || parse_verb(line, len, &pos, m, err, errlen) < 0)
		goto bad;
	while (pos < len)
		if (parse_field(line, len, &pos, m, err, errlen) < 0)
			goto bad;
	return 0;
bad:
	m->nfields = 0;
	m->verb[0] = '\0';
	return -1;
}

const char *
proto_get(const struct proto_msg *m, const char *key)
{
	return proto_get_nth(m, key, 0);
}

static const struct proto_field *
get_field(const struct proto_msg *m, const char *key, size_t idx)
{
	for (size_t i = 0; i < m->nfields; i++) {
		if (strcmp(m->fields[i].key, key) == 0 && idx-- == 0)
			return &m->fields[i];
	}
	return NULL;
}

const char *
proto_get_nth(const struct proto_msg *m, const char *key, size_t idx)
{
	const struct proto_field *f = get_field(m, key, idx);

	return f ? f->val : NULL;
}

size_t
proto_count(const struct proto_msg *m, const char *key)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].key, key) == 0)
			n++;
	return n;
}

const char *
proto_need(const struct proto_msg *m, const char *key, char *err, size_t errlen)
{
	const char *v = proto_get(m, key);

	if (v == NULL)
		log_fail(err, errlen, "missing field '%s'", key);
	return v;
}

int
proto_get_int(const struct proto_msg *m, const char *key, long long dflt, long long *out,
              char *err, size_t errlen)
{
	const struct proto_field *f = get_field(m, key, 0);
	const char *p;
	char *end;
	long long v;

	if (f == NULL) {
		*out = dflt;
		return 0;
	}
	/* strtoll alone would take leading blanks, a '+' and an embedded NUL's prefix. */
	p = f->val[0] == '-' ? f->val + 1 : f->val;
	if (*p < '0' || *p > '9' || strlen(f->val) != f->vlen)
		return log_fail(err, errlen, "field '%s' is not an integer", key);
	errno = 0;
	v = strtoll(f->val, &end, 10);
	if (errno != 0 || *end != '\0')
		return log_fail(err, errlen, "field '%s' is not an integer", key);
	*out = v;
	return 0;
}

int
proto_get_double(const struct proto_msg *m, const char *key, double dflt, double *out,
                 char *err, size_t errlen)
{
	const struct proto_field *f = get_field(m, key, 0);
	char *end;
	double v;

	if (f == NULL) {
		*out = dflt;
		return 0;
	}
	/* Plain decimal only: no blanks, hex floats, "inf" or "nan". */
	if (f->vlen == 0 || strlen(f->val) != f->vlen ||
	    strspn(f->val, "0123456789+-.eE") != f->vlen)
		return log_fail(err, errlen, "field '%s' is not a number", key);
	errno = 0;
	v = strtod(f->val, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v))
		return log_fail(err, errlen, "field '%s' is not a number", key);
	*out = v;
	return 0;
}

void
proto_begin(struct buf *b, const char *verb)
{
	buf_fill(b, verb, strlen(verb));
}

void
proto_addn(struct buf *b, const char *key, const char *val, size_t vlen)
{
	if (val == NULL) {
		val = "";
		vlen = 0;
	}
	/* A capped buf may refuse part of a message: buf_fill leaves it full, so proto_end fails. */
	if (buf_fill(b, " ", 1) < 0 || buf_fill(b, key, strlen(key)) < 0 || buf_fill(b, "=", 1) < 0)
		return;
	buf_escape(b, val, vlen);
}

void
proto_add(struct buf *b, const char *key, const char *val)
{
	proto_addn(b, key, val, val ? strlen(val) : 0);
}

void
proto_addf(struct buf *b, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvstrfmt(fmt, ap);
	va_end(ap);
	proto_add(b, key, s);
	free(s);
}

void
proto_add_int(struct buf *b, const char *key, long long v)
{
	char tmp[PROTO_INT_BUF_BYTES];

	snprintf(tmp, sizeof(tmp), "%lld", v);
	proto_add(b, key, tmp);
}

int
proto_end(struct buf *b)
{
	size_t start = b->len;

	/* Earlier lines may share the buf; only the last one is measured. */
	while (start > 0 && b->data[start - 1] != '\n')
		start--;
	if (b->len - start > PROTO_LINE_MAX)
		return -1;
	return buf_putc(b, '\n');
}

const char *
proto_kind_name(enum proto_kind k)
{
	if ((unsigned)k > PROTO_KIND_UNKNOWN)
		k = PROTO_KIND_UNKNOWN;
	return kind_names[k];
}

enum proto_kind
proto_kind_parse(const char *s)
{
	for (int k = 0; k < PROTO_KIND_UNKNOWN; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return (enum proto_kind)k;
	return PROTO_KIND_UNKNOWN;
}

int
proto_check_hello(const struct proto_msg *m, enum proto_kind *kind, char *err, size_t errlen)
{
	char q[PROTO_QUOTE_BUF_BYTES];
	const struct proto_field *f;
	enum proto_kind k;
	long long version;

	if (strcmp(m->verb, "HELLO") != 0)
		return log_fail(err, errlen, "expected HELLO first");
	if (proto_need(m, "version", err, errlen) == NULL ||
	    proto_get_int(m, "version", 0, &version, err, errlen) < 0)
		return -1;
	if (version != PROTO_VERSION)
		return log_fail(err, errlen, "protocol version %lld not supported (this side speaks version %d)",
		            version, PROTO_VERSION);
	if ((f = get_field(m, "kind", 0)) == NULL)
		return log_fail(err, errlen, "missing field 'kind'");
	k = proto_kind_parse(f->val);
	if (k == PROTO_KIND_UNKNOWN || strlen(f->val) != f->vlen)
		return log_fail(err, errlen, "unknown peer kind '%s'", quote(q, f->val, f->vlen));
	*kind = k;
	return 0;
}

static int
in_list(const char *s, const char *const *list, size_t n)
{
	if (s == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

int
proto_state_valid(const char *state)
{
	return in_list(state, task_states, sizeof(task_states) / sizeof(task_states[0]));
}

int
proto_state_terminal(const char *state)
{
	return in_list(state, terminal_states, sizeof(terminal_states) / sizeof(terminal_states[0]));
}
