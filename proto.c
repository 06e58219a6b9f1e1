/*
 * proto.c: owns the line protocol: parsing a line into a verb and fields
 * in place, building lines with escaped values, the task state names, the
 * one spelling of booleans and timestamps, and the messages several
 * programs send, each composed and read here (HELLO, STATUS_UPDATE,
 * ACKNOWLEDGE, LAUNCH, the health check fields). Nothing here does I/O.
 * At ~1,200 lines it holds one subsystem: the wire, the card's proto.c.
 */
#include "proto.h"
#include "buf.h"
#include "id.h"
#include "log.h"
#include "sha256.h"
#include "xmem.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
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

int
proto_has_capability(const struct proto_msg *m, const char *cap)
{
	size_t len = strlen(cap);

	for (size_t i = 0; i < m->nfields; i++) {
		const char *v = m->fields[i].val;

		if (strcmp(m->fields[i].key, PROTO_CAPABILITIES_KEY) != 0)
			continue;
		while (*v) {
			size_t n = strcspn(v, ",");

			if (n == len && strncmp(v, cap, len) == 0)
				return 1;
			v += n + (v[n] == ',');
		}
	}
	return 0;
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
proto_get_u64(const struct proto_msg *m, const char *key, uint64_t dflt, uint64_t *out, char *err,
              size_t errlen)
{
	long long v = 0;

	if (proto_get(m, key) == NULL) {
		*out = dflt;
		return 0;
	}
	if (proto_get_int(m, key, 0, &v, err, errlen) == -1)
		return -1;
	if (v < 0)
		return log_fail(err, errlen, "field '%s' must not be negative", key);
	*out = (uint64_t)v;
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

/* Fields of one composed line: one per space (values are escaped, so none holds a space). */
static size_t
proto_line_fields(const char *line, size_t len)
{
	size_t n = 0;

	for (const char *p = line; (p = memchr(p, ' ', len - (size_t)(p - line))) != NULL; p++)
		n++;
	return n;
}

int
proto_end(struct buf *b)
{
	size_t start = b->len;

	/* Earlier lines may share the buf; only the last one is measured. */
	while (start > 0 && b->data[start - 1] != '\n')
		start--;
	if (b->len - start > PROTO_LINE_MAX || proto_line_fields(b->data + start, b->len - start) >
	    PROTO_FIELDS_MAX)
		return -1;
	return buf_putc(b, '\n');
}

/* Start of the last line in b: after the last '\n', or 0. */
static size_t
last_line_start(const struct buf *b)
{
	size_t start = b->len;

	while (start > 0 && b->data[start - 1] != '\n')
		start--;
	return start;
}

/* One part's head or records, as spans of the composed line. */
struct split_span {
	const char *p;
	size_t len;      /* bytes, each field with its leading space */
	size_t fields;
};

/* The field at *s (its leading space included) and where the next one starts. */
static struct split_span
split_field(const char *s, const char *end)
{
	struct split_span f = { s, 0, 1 };
	const char *e = s + 1;

	while (e < end && *e != ' ')
		e++;
	f.len = (size_t)(e - s);
	return f;
}

static int
field_is(const struct split_span *f, const char *key)
{
	size_t n = strlen(key);

	return f->len > n + 1 && memcmp(f->p + 1, key, n) == 0 && f->p[n + 1] == '=';
}

/* Add to sp the fields from s up to the next record_key field (or end); the bytes added. */
static size_t
extend_span(struct split_span *sp, const char *s, const char *end, const char *record_key)
{
	const char *q = s;

	while (q < end) {
		struct split_span f = split_field(q, end);
		if (field_is(&f, record_key))
			break;
		sp->len += f.len;
		sp->fields++;
		q += f.len;
	}
	return (size_t)(q - s);
}

int
proto_end_split(struct buf *b, const char *record_key)
{
	static const char more[] = " " PROTO_MORE_KEY "=true";
	const size_t more_len = sizeof(more) - 1;
	size_t start = last_line_start(b);

	if (b->max > 0 && b->len >= b->max)
		return -1;                 /* the cap cut it: what is here is not the message */
	if (proto_end(b) == 0)
		return 1;                  /* it fits as it is */

	size_t len = b->len - start;
	char *msg = xmalloc(len ? len : 1);
	memcpy(msg, b->data + start, len);
	const char *end = msg + len;
	const char *s = memchr(msg, ' ', len);
	struct split_span head = { msg, (size_t)((s ? s : end) - msg), 0 };

	/* The head: the verb and every field before the first record. */
	if (s != NULL)
		s += extend_span(&head, s, end, record_key);
	b->len = start;
	int lines = 0;
	while (s != NULL && s < end) {
		/* As many whole records as fit beside the head and the more field. */
		size_t bytes = head.len + more_len, fields = head.fields + 1;
		const char *from = s;
		int records = 0;
		while (s < end) {
			struct split_span r = split_field(s, end);
			extend_span(&r, s + r.len, end, record_key);
			if (bytes + r.len > PROTO_LINE_MAX || fields + r.fields > PROTO_FIELDS_MAX)
				break;
			bytes += r.len;
			fields += r.fields;
			s += r.len;
			records++;
		}
		if (records == 0) {
			lines = -1;        /* one record alone is over the limits */
			break;
		}
		if (buf_fill(b, head.p, head.len) < 0 || buf_fill(b, from, (size_t)(s - from)) < 0 ||
		    (s < end && buf_fill(b, more, more_len) < 0) || buf_putc(b, '\n') < 0) {
			lines = -1;
			break;
		}
		lines++;
	}
	if (lines <= 0) {
		b->len = start;            /* nothing half-sent */
		lines = -1;
	}
	free(msg);
	return lines;
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
proto_hello_parse(const struct proto_msg *m, enum proto_kind *kind, char *err, size_t errlen)
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

/* ---- values with one spelling --------------------------------------------- */

void
proto_add_bool(struct buf *b, const char *key, int v)
{
	proto_add(b, key, v ? "true" : "false");
}

int
proto_get_bool(const struct proto_msg *m, const char *key, int dflt, int *out, char *err,
               size_t errlen)
{
	char q[PROTO_QUOTE_BUF_BYTES];
	const char *v = proto_get(m, key);

	if (v == NULL)
		*out = dflt;
	else if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return log_fail(err, errlen, "%s must be true or false, not '%s'", key,
		            quote(q, v, strlen(v)));
	return 0;
}

/* Below this (and not negative) a value scaled to its decimals is a whole number a double holds exactly. */
#define FIXED_SCALED_MAX 9e15
#define FIXED_DECIMALS_MAX 9
#define DECIMAL 10

/*
 * v with the given decimals, as "%.*f" spells it (rounded half up, where
 * printf may differ by one in the last digit of a value that is a half
 * only after scaling), in integer arithmetic: every status update carries
 * a timestamp, and glibc's printf of a double costs more than the rest of
 * composing the update. What a double cannot scale to a whole number
 * exactly (negative, huge, not finite) goes to printf.
 */
static void
add_fixed(struct buf *b, const char *key, double v, int decimals)
{
	char digits[32], *p = digits + sizeof(digits);
	double scale = 1;
	unsigned long long n;

	for (int i = 0; i < decimals; i++)
		scale *= DECIMAL;
	if (!(v >= 0 && v * scale < FIXED_SCALED_MAX) || decimals > FIXED_DECIMALS_MAX) {
		proto_addf(b, key, "%.*f", decimals, v);
		return;
	}
	n = (unsigned long long)(v * scale + 0.5);
	for (int i = 0; i < decimals; i++, n /= DECIMAL)
		*--p = (char)('0' + n % DECIMAL);
	if (decimals > 0)
		*--p = '.';
	do {
		*--p = (char)('0' + n % DECIMAL);
		n /= DECIMAL;
	} while (n > 0);
	proto_addn(b, key, p, (size_t)(digits + sizeof(digits) - p));
}

void
proto_add_time(struct buf *b, const char *key, double seconds)
{
	add_fixed(b, key, seconds, PROTO_TIME_DECIMALS);
}

/* ---- HELLO ------------------------------------------------------------------- */

void
proto_hello_compose(struct buf *b, enum proto_kind kind)
{
	proto_begin(b, "HELLO");
	proto_add_int(b, "version", PROTO_VERSION);
	proto_add(b, "kind", proto_kind_name(kind));
}

/* ---- STATUS_UPDATE ----------------------------------------------------------- */

/* Digits of a usage's cpu times: milliseconds, as getrusage() is good for. */
#define PROTO_CPU_TIME_DECIMALS 3

static void
add_opt(struct buf *b, const char *key, const char *val)
{
	if (val != NULL)
		proto_add(b, key, val);
}

void
proto_status_compose(struct buf *b, const struct proto_status *s)
{
	proto_begin(b, "STATUS_UPDATE");
	add_opt(b, "framework_id", s->framework_id);
	add_opt(b, "task_id", s->task_id);
	add_opt(b, "agent_id", s->agent_id);
	add_opt(b, "state", s->state);
	if (s->latest_state != NULL && s->state != NULL && strcmp(s->latest_state, s->state) != 0)
		proto_add(b, "latest_state", s->latest_state);
	if (s->uuid != NULL && *s->uuid != '\0')
		proto_add(b, "uuid", s->uuid);
	add_opt(b, "source", s->source);
	add_opt(b, "reason", s->reason);
	add_opt(b, "message", s->message);
	if (s->healthy != PROTO_HEALTHY_NONE)
		proto_add_bool(b, "healthy", s->healthy);
	proto_usage_compose(b, &s->usage);
	if (s->timestamp > 0)
		proto_add_time(b, "timestamp", s->timestamp);
}

void
proto_usage_compose(struct buf *b, const struct proto_usage *u)
{
	if (!u->known)
		return;
	add_fixed(b, "cpus_user_time_secs", u->cpus_user_time_secs, PROTO_CPU_TIME_DECIMALS);
	add_fixed(b, "cpus_system_time_secs", u->cpus_system_time_secs, PROTO_CPU_TIME_DECIMALS);
	proto_add_int(b, "mem_rss_bytes", u->mem_rss_bytes);
	proto_add_int(b, "disk_used_bytes", u->disk_used_bytes);
}

/* The usage fields come together: the first one says whether they are there. */
int
proto_usage_parse(const struct proto_msg *m, struct proto_usage *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	if (proto_get(m, "cpus_user_time_secs") == NULL)
		return 0;
	if (proto_get_double(m, "cpus_user_time_secs", 0, &u->cpus_user_time_secs, err, errlen) < 0 ||
	    proto_get_double(m, "cpus_system_time_secs", 0, &u->cpus_system_time_secs, err,
	                     errlen) < 0 ||
	    proto_get_int(m, "mem_rss_bytes", 0, &u->mem_rss_bytes, err, errlen) < 0 ||
	    proto_get_int(m, "disk_used_bytes", 0, &u->disk_used_bytes, err, errlen) < 0)
		return -1;
	u->known = 1;
	return 0;
}

int
proto_status_parse(const struct proto_msg *m, struct proto_status *s, char *err, size_t errlen)
{
	char q[PROTO_QUOTE_BUF_BYTES];
	const char *latest;

	memset(s, 0, sizeof(*s));
	s->healthy = PROTO_HEALTHY_NONE;
	s->framework_id = proto_get(m, "framework_id");
	s->agent_id = proto_get(m, "agent_id");
	s->uuid = proto_get(m, "uuid");
	s->source = proto_get(m, "source");
	s->reason = proto_get(m, "reason");
	s->message = proto_get(m, "message");
	if ((s->task_id = proto_need(m, "task_id", err, errlen)) == NULL ||
	    (s->state = proto_need(m, "state", err, errlen)) == NULL)
		return -1;
	if (!proto_state_valid(s->state))
		return log_fail(err, errlen, "unknown task state '%s'",
		            quote(q, s->state, strlen(s->state)));
	latest = proto_get(m, "latest_state");
	if (latest != NULL && !proto_state_valid(latest))
		return log_fail(err, errlen, "unknown task state '%s'", quote(q, latest, strlen(latest)));
	s->latest_state = latest;
	if (proto_get(m, "healthy") != NULL &&
	    proto_get_bool(m, "healthy", 0, &s->healthy, err, errlen) < 0)
		return -1;
	if (proto_get_double(m, "timestamp", 0, &s->timestamp, err, errlen) < 0)
		return -1;
	return proto_usage_parse(m, &s->usage, err, errlen);
}

/* ---- ACKNOWLEDGE ------------------------------------------------------------- */

void
proto_ack_compose(struct buf *b, const struct proto_ack *a)
{
	proto_begin(b, "ACKNOWLEDGE");
	add_opt(b, "framework_id", a->framework_id);
	add_opt(b, "task_id", a->task_id);
	add_opt(b, "agent_id", a->agent_id);
	add_opt(b, "uuid", a->uuid);
}

int
proto_ack_parse(const struct proto_msg *m, struct proto_ack *a, char *err, size_t errlen)
{
	a->framework_id = proto_get(m, "framework_id");
	a->agent_id = proto_get(m, "agent_id");
	if ((a->task_id = proto_need(m, "task_id", err, errlen)) == NULL ||
	    (a->uuid = proto_need(m, "uuid", err, errlen)) == NULL)
		return -1;
	return 0;
}

/* ---- health checks ------------------------------------------------------------ */

#define MS_PER_SECOND 1000.0
/* Digits of a health check's durations on the wire: milliseconds. */
#define PROTO_HEALTH_DECIMALS 3

static const char *const health_type_names[] = {
	[PROTO_HEALTH_NONE] = "NONE",
	[PROTO_HEALTH_COMMAND] = "COMMAND",
	[PROTO_HEALTH_TCP] = "TCP",
	[PROTO_HEALTH_HTTP] = "HTTP",
};

/* The durations, by key, where they live in the struct and their defaults. */
static const struct {
	const char *key;
	size_t off;
	int64_t dflt_ms;
} health_durations[] = {
	{ "health_delay_seconds", offsetof(struct proto_health, delay_ms),
	  PROTO_HEALTH_DEFAULT_DELAY_MS },
	{ "health_interval_seconds", offsetof(struct proto_health, interval_ms),
	  PROTO_HEALTH_DEFAULT_INTERVAL_MS },
	{ "health_timeout_seconds", offsetof(struct proto_health, timeout_ms),
	  PROTO_HEALTH_DEFAULT_TIMEOUT_MS },
	{ "health_grace_period_seconds", offsetof(struct proto_health, grace_ms),
	  PROTO_HEALTH_DEFAULT_GRACE_MS },
};
#define HEALTH_DURATIONS (sizeof(health_durations) / sizeof(health_durations[0]))

static int64_t *
health_duration(struct proto_health *h, size_t i)
{
	return (int64_t *)(void *)((char *)h + health_durations[i].off);
}

void
proto_health_init(struct proto_health *h)
{
	memset(h, 0, sizeof(*h));
	h->type = PROTO_HEALTH_NONE;
	for (size_t i = 0; i < HEALTH_DURATIONS; i++)
		*health_duration(h, i) = -1;
	h->consecutive_failures = -1;
}

const char *
proto_health_type_name(enum proto_health_type t)
{
	if ((unsigned)t > PROTO_HEALTH_HTTP)
		t = PROTO_HEALTH_NONE;
	return health_type_names[t];
}

enum proto_health_type
proto_health_type_parse(const char *name)
{
	for (int t = PROTO_HEALTH_COMMAND; name != NULL && t <= PROTO_HEALTH_HTTP; t++)
		if (strcmp(name, health_type_names[t]) == 0)
			return (enum proto_health_type)t;
	return PROTO_HEALTH_NONE;
}

void
proto_health_compose(struct buf *b, const struct proto_health *h)
{
	if (h->type == PROTO_HEALTH_NONE)
		return;
	proto_add(b, "health_type", proto_health_type_name(h->type));
	if (h->command != NULL && *h->command != '\0')
		proto_add(b, "health_command", h->command);
	if (h->port > 0)
		proto_add_int(b, "health_port", h->port);
	if (h->path != NULL && *h->path != '\0')
		proto_add(b, "health_path", h->path);
	for (size_t i = 0; i < HEALTH_DURATIONS; i++) {
		int64_t ms = *health_duration((struct proto_health *)h, i);
		if (ms >= 0)
			proto_addf(b, health_durations[i].key, "%.*f", PROTO_HEALTH_DECIMALS,
			    (double)ms / MS_PER_SECOND);
	}
	if (h->consecutive_failures >= 0)
		proto_add_int(b, "health_consecutive_failures", h->consecutive_failures);
}

int
proto_health_parse(const struct proto_msg *m, struct proto_health *h, char *err, size_t errlen)
{
	const char *type = proto_get(m, "health_type");
	const char *path = proto_get(m, "health_path");
	long long port;

	proto_health_init(h);
	if (type == NULL || type[0] == '\0')
		return 0;
	if ((h->type = proto_health_type_parse(type)) == PROTO_HEALTH_NONE)
		return log_fail(err, errlen, "unknown health_type '%.32s' (expected COMMAND, TCP or HTTP)",
		            type);
	h->command = proto_get(m, "health_command");
	if (h->type == PROTO_HEALTH_COMMAND && (h->command == NULL || h->command[0] == '\0'))
		return log_fail(err, errlen, "a COMMAND health check needs health_command");
	if (proto_get_int(m, "health_port", 0, &port, err, errlen) == -1)
		return -1;
	if (port < 0 || port > PROTO_HEALTH_PORT_MAX)
		return log_fail(err, errlen, "health_port must be 0..%d", PROTO_HEALTH_PORT_MAX);
	h->port = (int)port;
	if (proto_get_int(m, "health_consecutive_failures", PROTO_HEALTH_DEFAULT_FAILURES,
	        &h->consecutive_failures, err, errlen) == -1)
		return -1;
	if (h->consecutive_failures < 1 || h->consecutive_failures > PROTO_HEALTH_FAILURES_MAX)
		return log_fail(err, errlen, "health_consecutive_failures must be 1..%d",
		            PROTO_HEALTH_FAILURES_MAX);
	for (size_t i = 0; i < HEALTH_DURATIONS; i++) {
		double v;
		if (proto_get_double(m, health_durations[i].key,
		        (double)health_durations[i].dflt_ms / MS_PER_SECOND, &v, err, errlen) == -1)
			return -1;
		if (!(v >= 0 && v <= PROTO_HEALTH_SECONDS_MAX))
			return log_fail(err, errlen, "%s must be 0..%.0f", health_durations[i].key,
			            PROTO_HEALTH_SECONDS_MAX);
		*health_duration(h, i) = (int64_t)(v * MS_PER_SECOND);
	}
	if (h->interval_ms == 0 || h->timeout_ms == 0)
		return log_fail(err, errlen,
		            "health_interval_seconds and health_timeout_seconds must be above 0");
	h->path = path != NULL && path[0] != '\0' ? path : PROTO_HEALTH_DEFAULT_PATH;
	if (h->path[0] != '/' || strpbrk(h->path, " \r\n") != NULL)
		return log_fail(err, errlen,
		            "health_path must start with '/' and hold no spaces or line breaks");
	return 0;
}

/* ---- LAUNCH ------------------------------------------------------------------ */

static void
add_u64(struct buf *b, const char *key, uint64_t v)
{
	proto_addf(b, key, "%llu", (unsigned long long)v);
}

void
proto_launch_compose(struct buf *b, const struct proto_launch *l)
{
	proto_begin(b, "LAUNCH");
	add_opt(b, "task", l->task);
	add_opt(b, "command", l->command);
	add_opt(b, "sandbox", l->sandbox);
	for (size_t i = 0; i < l->nenv; i++)
		proto_add(b, "env", l->env[i]);
	if (l->user != NULL) {
		proto_add(b, "user", l->user);
		proto_add_bool(b, "allow_root", l->allow_root);
	}
	if (l->executor_id != NULL) {
		proto_add(b, "executor_id", l->executor_id);
		add_opt(b, "framework_id", l->framework_id);
		add_opt(b, "agent_id", l->agent_id);
	}
	add_u64(b, "mem_bytes", l->mem_bytes);
	add_u64(b, "disk_bytes", l->disk_bytes);
	add_u64(b, "cpu_seconds", l->cpu_seconds);
	add_u64(b, "processes", l->processes);
	add_u64(b, "open_files", l->open_files);
	proto_add_int(b, "nice", l->nice);
	add_opt(b, "cgroup_memory", l->cgroup_memory);
	add_opt(b, "cgroup_cpu", l->cgroup_cpu);
	add_opt(b, "cgroup_pids", l->cgroup_pids);
	add_u64(b, "cpus_milli", l->cpus_milli);
	if (l->cpu_cap)
		proto_add_bool(b, "cpu_cap", l->cpu_cap);
	if (l->touch_bytes_per_ms > 0)
		add_u64(b, "touch_bytes_per_ms", l->touch_bytes_per_ms);
	proto_add_int(b, "grace_ms", l->grace_ms);
	proto_add_int(b, "mem_watch_ms", l->mem_watch_ms);
	proto_add_int(b, "disk_watch_ms", l->disk_watch_ms);
	proto_add_int(b, "recovery_timeout_ms", l->recovery_timeout_ms);
	proto_add_int(b, "port0", l->port0);
	for (size_t i = 0; i < l->nuris; i++)
		proto_add(b, "uri", l->uris[i]);
	if (l->nuris > 0) {
		add_opt(b, "fetcher", l->fetcher);
		add_opt(b, "cache_dir", l->cache_dir);
		add_u64(b, "cache_bytes", l->cache_bytes);
		proto_add_int(b, "stall_timeout_ms", l->stall_timeout_ms);
	}
	proto_health_compose(b, &l->health);
	add_opt(b, "log_level", l->log_level);
}

static int
get_ms(const struct proto_msg *m, const char *key, int64_t *out, char *err, size_t errlen)
{
	uint64_t v = 0;

	if (proto_get_u64(m, key, 0, &v, err, errlen) == -1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Every value of a repeated key, in order; NUL bytes have no place in them. */
static int
get_list(const struct proto_msg *m, const char *key, const char ***out, size_t *n, char *err,
         size_t errlen)
{
	for (size_t i = 0; i < m->nfields; i++) {
		const struct proto_field *f = &m->fields[i];
		if (strcmp(f->key, key) != 0)
			continue;
		if (strlen(f->val) != f->vlen)
			return log_fail(err, errlen, "field '%s' holds a NUL byte", key);
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = f->val;
	}
	return 0;
}

int
proto_launch_parse(const struct proto_msg *m, struct proto_launch *l, char *err, size_t errlen)
{
	uint64_t nice = 0, port0 = 0;

	memset(l, 0, sizeof(*l));
	proto_health_init(&l->health);
	if ((l->command = proto_need(m, "command", err, errlen)) == NULL ||
	    (l->sandbox = proto_need(m, "sandbox", err, errlen)) == NULL)
		return -1;
	l->task = proto_get(m, "task");
	l->user = proto_get(m, "user");
	l->executor_id = proto_get(m, "executor_id");
	l->framework_id = proto_get(m, "framework_id");
	l->agent_id = proto_get(m, "agent_id");
	l->fetcher = proto_get(m, "fetcher");
	l->cache_dir = proto_get(m, "cache_dir");
	l->log_level = proto_get(m, "log_level");
	l->cgroup_memory = proto_get(m, "cgroup_memory");
	l->cgroup_cpu = proto_get(m, "cgroup_cpu");
	l->cgroup_pids = proto_get(m, "cgroup_pids");
	if (proto_get_bool(m, "allow_root", 0, &l->allow_root, err, errlen) == -1 ||
	    proto_get_bool(m, "cpu_cap", 0, &l->cpu_cap, err, errlen) == -1 ||
	    proto_get_u64(m, "cpus_milli", 0, &l->cpus_milli, err, errlen) == -1 ||
	    proto_get_u64(m, "touch_bytes_per_ms", 0, &l->touch_bytes_per_ms, err, errlen) == -1 ||
	    proto_get_u64(m, "mem_bytes", 0, &l->mem_bytes, err, errlen) == -1 ||
	    proto_get_u64(m, "disk_bytes", 0, &l->disk_bytes, err, errlen) == -1 ||
	    proto_get_u64(m, "cpu_seconds", 0, &l->cpu_seconds, err, errlen) == -1 ||
	    proto_get_u64(m, "processes", 0, &l->processes, err, errlen) == -1 ||
	    proto_get_u64(m, "open_files", 0, &l->open_files, err, errlen) == -1 ||
	    proto_get_u64(m, "nice", 0, &nice, err, errlen) == -1 ||
	    proto_get_u64(m, "port0", 0, &port0, err, errlen) == -1 ||
	    proto_get_u64(m, "cache_bytes", 0, &l->cache_bytes, err, errlen) == -1 ||
	    get_ms(m, "grace_ms", &l->grace_ms, err, errlen) == -1 ||
	    get_ms(m, "mem_watch_ms", &l->mem_watch_ms, err, errlen) == -1 ||
	    get_ms(m, "disk_watch_ms", &l->disk_watch_ms, err, errlen) == -1 ||
	    get_ms(m, "recovery_timeout_ms", &l->recovery_timeout_ms, err, errlen) == -1 ||
	    get_ms(m, "stall_timeout_ms", &l->stall_timeout_ms, err, errlen) == -1 ||
	    proto_health_parse(m, &l->health, err, errlen) == -1 ||
	    get_list(m, "env", &l->env, &l->nenv, err, errlen) == -1 ||
	    get_list(m, "uri", &l->uris, &l->nuris, err, errlen) == -1) {
		proto_launch_free(l);
		return -1;
	}
	if (port0 > PROTO_HEALTH_PORT_MAX) {
		proto_launch_free(l);
		return log_fail(err, errlen, "port0 must be 0..%d", PROTO_HEALTH_PORT_MAX);
	}
	l->nice = nice > INT_MAX ? INT_MAX : (int)nice;
	l->port0 = (int)port0;
	return 0;
}

void
proto_launch_free(struct proto_launch *l)
{
	free(l->env);
	free(l->uris);
	l->env = l->uris = NULL;
	l->nenv = l->nuris = 0;
}

/* ---- authentication ------------------------------------------------------------ */

#define PROTO_AUTH_TAG "mesos-auth-v1"   /* names this exchange in every proof */

static const char *const auth_side_names[] = { "peer", "master" };

void
proto_auth_nonce(char out[PROTO_AUTH_NONCE_HEX + 1])
{
	id_random_hex(out, PROTO_AUTH_NONCE_HEX);
}

static void
hmac_line(struct hmac_sha256 *h, const char *s)
{
	hmac_sha256_update(h, s, strlen(s));
	hmac_sha256_update(h, "\n", 1);
}

void
proto_auth_proof(const char *secret, enum proto_auth_side side, enum proto_kind kind,
                 const char *principal, const char *peer_nonce, const char *master_nonce,
                 char out[PROTO_AUTH_PROOF_HEX + 1])
{
	struct hmac_sha256 h;
	unsigned char mac[SHA256_BYTES];

	hmac_sha256_init(&h, secret, strlen(secret));
	hmac_line(&h, PROTO_AUTH_TAG);
	hmac_line(&h, auth_side_names[side]);
	hmac_line(&h, proto_kind_name(kind));
	hmac_line(&h, principal);
	hmac_line(&h, peer_nonce);
	hmac_line(&h, master_nonce);
	hmac_sha256_final(&h, mac);
	sha256_hex(mac, sizeof(mac), out);
	sha256_wipe(&h, sizeof(h));
}

int
proto_auth_proof_equal(const char *expected, const char *got)
{
	/* Both are fixed-length hex once checked; a wrong length is no secret. */
	if (strlen(got) != PROTO_AUTH_PROOF_HEX || strlen(expected) != PROTO_AUTH_PROOF_HEX)
		return 0;
	return sha256_equal(expected, got, PROTO_AUTH_PROOF_HEX);
}

/* A nonce or proof: exactly n lowercase hex digits. */
static int
check_hex(const struct proto_msg *m, const char *key, size_t n, const char **out, char *err,
          size_t errlen)
{
	const struct proto_field *f = get_field(m, key, 0);

	if (f == NULL)
		return log_fail(err, errlen, "missing field '%s'", key);
	if (f->vlen != n || strspn(f->val, "0123456789abcdef") != n)
		return log_fail(err, errlen, "field '%s' must be %zu lowercase hex digits", key, n);
	*out = f->val;
	return 0;
}

void
proto_hello_auth_compose(struct buf *b, enum proto_kind kind, const char *principal,
                         const char *nonce)
{
	proto_hello_compose(b, kind);
	if (principal != NULL) {
		proto_add(b, "principal", principal);
		proto_add(b, "nonce", nonce);
	}
}

int
proto_hello_auth_parse(const struct proto_msg *m, const char **principal, const char **nonce,
                       char *err, size_t errlen)
{
	const struct proto_field *p = get_field(m, "principal", 0);

	*principal = *nonce = NULL;
	if (p == NULL) {
		if (get_field(m, "nonce", 0) != NULL)
			return log_fail(err, errlen, "a nonce without a principal");
		return 0;
	}
	if (strlen(p->val) != p->vlen || id_check("principal", p->val, err, errlen) < 0) {
		if (strlen(p->val) != p->vlen)
			log_fail(err, errlen, "principal must not contain NUL bytes");
		return -1;
	}
	if (check_hex(m, "nonce", PROTO_AUTH_NONCE_HEX, nonce, err, errlen) < 0)
		return -1;
	*principal = p->val;
	return 0;
}

void
proto_challenge_compose(struct buf *b, const char *nonce)
{
	proto_begin(b, "CHALLENGE");
	proto_add(b, "nonce", nonce);
}

int
proto_challenge_parse(const struct proto_msg *m, const char **nonce, char *err, size_t errlen)
{
	return check_hex(m, "nonce", PROTO_AUTH_NONCE_HEX, nonce, err, errlen);
}

void
proto_authenticate_compose(struct buf *b, const char *proof)
{
	proto_begin(b, "AUTHENTICATE");
	proto_add(b, "proof", proof);
}

int
proto_authenticate_parse(const struct proto_msg *m, const char **proof, char *err, size_t errlen)
{
	return check_hex(m, "proof", PROTO_AUTH_PROOF_HEX, proof, err, errlen);
}

void
proto_auth_client_init(struct proto_auth_client *a, enum proto_kind kind, const char *principal,
                       const char *secret)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	if (principal != NULL && *principal != '\0' && secret != NULL) {
		a->principal = principal;
		a->secret = secret;
	}
}

void
proto_auth_client_hello(struct proto_auth_client *a, struct buf *b)
{
	a->challenged = 0;
	a->master_nonce[0] = '\0';
	if (a->principal != NULL)
		proto_auth_nonce(a->nonce);
	proto_hello_auth_compose(b, a->kind, a->principal, a->nonce);
}

int
proto_auth_client_challenge(struct proto_auth_client *a, const struct proto_msg *m, struct buf *b,
                            char *err, size_t errlen)
{
	char proof[PROTO_AUTH_PROOF_HEX + 1];
	const char *nonce;

	if (a->principal == NULL)
		return log_fail(err, errlen, "the master asks for credentials and none are set "
		                "(a principal and a secret)");
	if (a->challenged)
		return log_fail(err, errlen, "a second CHALLENGE from the master");
	if (proto_challenge_parse(m, &nonce, err, errlen) < 0)
		return -1;
	snprintf(a->master_nonce, sizeof(a->master_nonce), "%s", nonce);
	a->challenged = 1;
	proto_auth_proof(a->secret, PROTO_AUTH_PEER, a->kind, a->principal, a->nonce, nonce, proof);
	proto_authenticate_compose(b, proof);
	return 0;
}

int
proto_auth_client_welcome(const struct proto_auth_client *a, const struct proto_msg *m,
                          char *err, size_t errlen)
{
	char expected[PROTO_AUTH_PROOF_HEX + 1];
	const char *proof;

	if (a->principal == NULL)
		return 0;
	if (!a->challenged)
		return log_fail(err, errlen, "the master welcomed us without checking our credential: "
		                "it does not authenticate (no --credentials?)");
	if (check_hex(m, "proof", PROTO_AUTH_PROOF_HEX, &proof, err, errlen) < 0)
		return -1;
	proto_auth_proof(a->secret, PROTO_AUTH_MASTER, a->kind, a->principal, a->nonce,
	                 a->master_nonce, expected);
	if (!proto_auth_proof_equal(expected, proof))
		return log_fail(err, errlen, "the master's proof is wrong: it does not know our secret");
	return 0;
}
