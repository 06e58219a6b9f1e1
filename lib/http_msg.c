/*
 * http_msg.c: owns HTTP/1.x heads read as bytes: finding a head's end,
 * taking its start line and header lines apart (http.c checks each line's
 * syntax, the server's way), and deciding from the headers how the body
 * that follows is framed and whether the sender keeps the connection.
 */
#include "http_msg.h"
#include "buf.h"
#include "http.h"

#include <stdio.h>
#include <string.h>

#define HTTP_MSG_STATUS_DIGITS 3
#define HTTP_MSG_DECIMAL_BASE 10
#define HTTP_MSG_INTERIM_MAX 199         /* 1xx: an interim response */
#define HTTP_MSG_VALUE_MAX 256           /* bytes of a header value compared as a list */
#define HTTP_MSG_QUOTE_MAX 64            /* bytes of a bad line quoted in err */

size_t
http_msg_head_end(const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	/* A blank line: "\n\n" or "\n\r\n" (a head may not start with one). */
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if (p < end && *p == '\n')
			return (size_t)(p + 1 - data);
		if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p + 2 - data);
	}
	return 0;
}

int
http_msg_name_is(const char *name, size_t name_len, const char *want)
{
	size_t i;

	if (strlen(want) != name_len)
		return 0;
	for (i = 0; i < name_len; i++) {
		int a = (unsigned char)name[i], b = (unsigned char)want[i];

		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (a != b)
			return 0;
	}
	return 1;
}

const struct http_msg_header *
http_msg_find(const struct http_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nheaders; i++)
		if (http_msg_name_is(m->headers[i].name, m->headers[i].name_len, name))
			return &m->headers[i];
	return NULL;
}

int
http_msg_parse_status_line(const char *line, size_t len, int *status, int *minor,
                           const char **reason)
{
	static const char prefix[] = "HTTP/1.";
	/* The prefix, the minor version digit and a space come before the code. */
	size_t code_at = sizeof(prefix) - 1 + 2, code_end = code_at + HTTP_MSG_STATUS_DIGITS, i;
	int code = 0;

	if (len < code_end || memcmp(line, prefix, sizeof(prefix) - 1) != 0 ||
	    line[code_at - 2] < '0' || line[code_at - 2] > '9' || line[code_at - 1] != ' ')
		return -1;
	for (i = code_at; i < code_end; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
		code = code * HTTP_MSG_DECIMAL_BASE + (line[i] - '0');
	}
	if (len > code_end && line[code_end] != ' ')
		return -1;
	*status = code;
	*minor = line[code_at - 2] - '0';
	*reason = len > code_end ? line + code_end + 1 : line + len;
	return 0;
}

/* A header's value as a NUL-terminated string in buf; 0, or -1 when it does not fit. */
static int
value_str(const struct http_msg_header *h, char *buf, size_t len)
{
	if (h->value_len >= len)
		return -1;
	memcpy(buf, h->value, h->value_len);
	buf[h->value_len] = '\0';
	return 0;
}

static int
fail(char *err, size_t errlen, int status, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return status;
}

/* The body's framing and keep-alive from the headers (RFC 9112, section 6). */
static int
framing(struct http_msg *m, char *err, size_t errlen)
{
	int bad = m->kind == HTTP_MSG_REQUEST ? 400 : 502;
	char v[HTTP_MSG_VALUE_MAX];
	int seen_length = 0, has_te = 0, chunked = 0, close = 0, keep = 0;

	for (size_t i = 0; i < m->nheaders; i++) {
		const struct http_msg_header *h = &m->headers[i];

		if (http_msg_name_is(h->name, h->name_len, "Content-Length")) {
			size_t n;

			if (value_str(h, v, sizeof(v)) < 0 || http_parse_length(v, &n) < 0 ||
			    (seen_length && (uint64_t)n != m->length))
				return fail(err, errlen, bad, "bad Content-Length");
			m->length = n;
			seen_length = 1;
		} else if (http_msg_name_is(h->name, h->name_len, "Transfer-Encoding")) {
			if (value_str(h, v, sizeof(v)) < 0)
				return fail(err, errlen, 501, "transfer codings are not supported");
			has_te = 1;
			/* Only the last coding frames the body: chunked must come last. */
			chunked = http_list_has(v, "chunked");
		} else if (http_msg_name_is(h->name, h->name_len, "Connection") &&
		           value_str(h, v, sizeof(v)) == 0) {
			close |= http_list_has(v, "close");
			keep |= http_list_has(v, "keep-alive");
		}
	}
	m->keep_alive = m->minor >= 1 ? !close : keep && !close;
	if (m->kind == HTTP_MSG_RESPONSE && (m->status <= HTTP_MSG_INTERIM_MAX ||
	    !http_status_has_body(m->status))) {
		m->body = HTTP_MSG_BODY_NONE;
		return 0;
	}
	if (has_te && chunked) {
		m->body = HTTP_MSG_BODY_CHUNKED;
		/* Both: the length is a smuggling attempt or a stale header; it must not be kept. */
		m->length = 0;
		return 0;
	}
	if (has_te) {
		if (m->kind == HTTP_MSG_REQUEST)
			return fail(err, errlen, 501, "transfer codings are not supported");
		m->body = HTTP_MSG_BODY_CLOSE;
		m->keep_alive = 0;
		return 0;
	}
	if (seen_length) {
		m->body = m->length > 0 || m->kind == HTTP_MSG_RESPONSE ? HTTP_MSG_BODY_LENGTH
		                                                         : HTTP_MSG_BODY_NONE;
		return 0;
	}
	if (m->kind == HTTP_MSG_REQUEST) {
		m->body = HTTP_MSG_BODY_NONE;
	} else {
		m->body = HTTP_MSG_BODY_CLOSE;
		m->keep_alive = 0;
	}
	return 0;
}

/* Next line of [*p, end): its start and length without "\r\n"; *p moves past it. */
static const char *
next_line(const char **p, const char *end, size_t *len)
{
	const char *start = *p, *nl = memchr(start, '\n', (size_t)(end - start));

	if (nl == NULL)
		nl = end;
	*p = nl < end ? nl + 1 : end;
	*len = (size_t)(nl - start);
	if (*len > 0 && start[*len - 1] == '\r')
		(*len)--;
	return start;
}

int
http_msg_parse(struct http_msg *m, const char *data, size_t head_len, enum http_msg_kind kind,
               char *err, size_t errlen)
{
	const char *p = data, *end = data + head_len, *line, *why;
	size_t len;

	memset(m, 0, sizeof(*m));
	m->kind = kind;
	line = next_line(&p, end, &len);
	if (kind == HTTP_MSG_REQUEST) {
		size_t mlen, ts, te;

		if (http_parse_request_line(line, len, &mlen, &ts, &te, &m->minor) < 0)
			return fail(err, errlen, 400, "bad request line");
		m->method = line;
		m->method_len = mlen;
		m->target = line + ts;
		m->target_len = te - ts;
	} else {
		const char *reason;

		if (http_msg_parse_status_line(line, len, &m->status, &m->minor, &reason) < 0)
			return fail(err, errlen, 502, "bad status line");
	}
	while (p < end) {
		struct http_msg_header *h;
		size_t nlen, vs, ve;

		line = next_line(&p, end, &len);
		if (len == 0)
			break;
		if (http_split_header(line, len, &nlen, &vs, &ve, &why) < 0) {
			char q[BUF_QUOTE_BYTES(HTTP_MSG_QUOTE_MAX)];

			snprintf(err, errlen, "%s: '%s'", why,
			    buf_quote(q, sizeof(q), line, len, HTTP_MSG_QUOTE_MAX));
			return kind == HTTP_MSG_REQUEST ? 400 : 502;
		}
		if (m->nheaders >= HTTP_HEADERS_MAX)
			return fail(err, errlen, kind == HTTP_MSG_REQUEST ? 431 : 502,
			    "too many header fields");
		h = &m->headers[m->nheaders++];
		h->name = line;
		h->name_len = nlen;
		h->value = line + vs;
		h->value_len = ve - vs;
	}
	return framing(m, err, errlen);
}
