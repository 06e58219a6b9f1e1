/*
 * http.c: owns the project's HTTP/1.1 server, which runs on a conn
 * (request parsing with every size capped, keep-alive, deferred replies,
 * Server-Sent Events), and what the server and the one client
 * (http_client.c) share: status texts, URL encoding, header helpers.
 *
 * How the server reads: the conn runs in raw mode from the first request on
 * and this file splits lines itself. Raw mode calls us on every read, which
 * is what the slow-client defence needs: each read re-arms the conn's idle
 * timer with the time left until the request's deadline, so a peer that
 * trickles one byte at a time still loses the connection when the deadline
 * passes. Input beyond the current request stays in http_conn.in.
 *
 * Who owns the exchange: http_conn owns it. The handler borrows it for the
 * duration of the call. It may reply at once (the exchange is freed when the
 * handler returns), or keep it by calling http_defer or http_stream_begin.
 * A kept exchange stays valid until the handler ends it (http_reply*,
 * http_stream_end) or until the connection goes away: then the abort
 * callback given to http_defer runs, the exchange is freed right after, and
 * the handler must drop its pointer inside that callback. A stream kept
 * without http_defer has no abort callback, so its owner cannot learn when
 * it dies: always pair http_stream_begin with http_defer.
 *
 * While an exchange is pending, reading is paused, so a client that leaves
 * is noticed when we write to it. A streaming exchange keeps reading (and
 * discards the input) so that a departing subscriber is noticed at once.
 */
#include "http.h"
#include "http_client.h"
#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "conncap.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "xmem.h"

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Output cap for connections we accept: the master's state reply can be large. */
#define HTTP_SERVER_MAX_OUT ((size_t)64 << 20)
/*
 * Unparsed input held by one connection: a whole pipelined request (head
 * and body) fits; more than that behind a pending request is abuse.
 */
#define HTTP_PENDING_MAX (HTTP_HEADER_BYTES_MAX + HTTP_BODY_MAX)
/* Longest request method we accept ("PROPFIND" is eight). */
#define HTTP_METHOD_MAX 32
/*
 * Connections one server holds at once, in all and from one address: more
 * are answered 503 and closed (http_server_set_caps changes them).
 */
#define HTTP_SERVER_MAX_CONNECTIONS 4096
#define HTTP_SERVER_MAX_CONNECTIONS_PER_ADDRESS 1024
/* Out of descriptors: wait this long before accepting again instead of spinning. */
#define HTTP_ACCEPT_RETRY_MS 100
/* Room for one formatted response header line or status line. */
#define HTTP_LINE_MAX 1024
/* Byte value limits used when validating header text. */
#define HTTP_CTL_END 0x20
#define HTTP_DEL 0x7F
/* "%XX" */
#define HTTP_PERCENT_ESCAPE_LEN 3
#define HTTP_DECIMAL_BASE 10
#define HTTP_HEX_BASE 16
/* Status codes named in the code below. */
#define HTTP_STATUS_CONTINUE_MAX 199
#define HTTP_STATUS_NO_CONTENT 204
#define HTTP_STATUS_NOT_MODIFIED 304

static int64_t request_timeout_ms = HTTP_REQUEST_TIMEOUT_MS;

void
http_set_request_timeout_ms(int64_t ms)
{
	request_timeout_ms = ms > 0 ? ms : HTTP_REQUEST_TIMEOUT_MS;
}

enum http_state {
	ST_REQLINE,     /* waiting for a request line */
	ST_HEADERS,     /* reading header lines */
	ST_BODY,        /* reading Content-Length bytes */
	ST_HANDLING,    /* the handler has the exchange; reading paused */
	ST_STREAM,      /* a stream is open; input is discarded */
	ST_DONE         /* closing; input is discarded */
};

struct http_conn {
	struct conn *c;
	http_handler_fn fn;
	void *arg;
	enum http_state st;
	struct buf in;          /* received, not yet parsed */
	size_t scan;            /* bytes at the front of in known to hold no '\n' */
	size_t head_bytes;      /* request line and headers so far */
	int64_t deadline;       /* monotonic ms by which the request must be whole */
	struct http_exchange *x;
};

struct http_exchange {
	struct http_conn *hc;
	char *method;
	char *path;             /* decoded */
	char *query;            /* raw, "" if none */
	int minor;              /* HTTP/1.minor */
	size_t nheaders;
	char *hname[HTTP_HEADERS_MAX];
	char *hval[HTTP_HEADERS_MAX];
	struct buf body;
	size_t body_need;
	struct http_client_chunked *chunked;    /* a chunked body being decoded, NULL = none */
	int too_large;          /* the chunked body passed HTTP_BODY_MAX */
	struct buf extra;       /* response headers from http_add_header */
	int keep_alive;
	int head;               /* HEAD request: headers only */
	int in_handler;
	int deferred;
	int streaming;
	int done;
	http_abort_fn abort_fn;
	void *abort_arg;
};

struct http_server {
	struct loop *loop;
	int lfd;
	uint64_t retry_timer;   /* accept paused after running out of descriptors */
	struct conncap *caps;   /* connections held, in all and per address */
	http_handler_fn fn;
	void *arg;
	struct http_server *next;
};

/* Listeners by fd, so http_server_close can find theirs; daemons have one or two. */
static struct http_server *servers;

static void http_on_data(struct conn *c, const char *data, size_t len, void *arg);
static void http_on_close(struct conn *c, const char *reason, void *arg);

static const struct conn_ops http_ops = {
	.on_data = http_on_data,
	.on_close = http_on_close,
};

/* ------------------------------------------------------------------ */
/* small text helpers                                                  */
/* ------------------------------------------------------------------ */

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 9110 token characters. */
static int
is_tchar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int
http_name_eq(const char *a, const char *b)
{
	while (*a != '\0' && lower((unsigned char)*a) == lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

int
http_list_has(const char *s, const char *tok)
{
	size_t n = strlen(tok);

	while (*s != '\0') {
		const char *end;
		size_t len;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		end = s;
		while (*end != '\0' && *end != ',')
			end++;
		len = (size_t)(end - s);
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == n) {
			size_t i;

			for (i = 0; i < n && lower((unsigned char)s[i]) == lower((unsigned char)tok[i]); i++)
				;
			if (i == n)
				return 1;
		}
		s = end;
	}
	return 0;
}

int
http_parse_length(const char *s, size_t *out)
{
	size_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		size_t d = (size_t)(*s - '0');

		if (!is_digit((unsigned char)*s) || v > (SIZE_MAX - d) / HTTP_DECIMAL_BASE)
			return -1;
		v = v * HTTP_DECIMAL_BASE + d;
	}
	*out = v;
	return 0;
}

int
http_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + HTTP_DECIMAL_BASE;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + HTTP_DECIMAL_BASE;
	return -1;
}

int
http_status_has_body(int status)
{
	return status > HTTP_STATUS_CONTINUE_MAX && status != HTTP_STATUS_NO_CONTENT &&
	       status != HTTP_STATUS_NOT_MODIFIED;
}

/* Copy a header name or value with any CR, LF or other control byte made a space. */
static void
put_clean(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		buf_putc(b, (c < HTTP_CTL_END || c == HTTP_DEL) ? ' ' : (char)c);
	}
}

/*
 * "METHOD /target HTTP/1.x" (no '\r'). On success gives the method length,
 * where the target starts and ends, and the minor version.
 */
int
http_parse_request_line(const char *line, size_t len, size_t *mlen, size_t *tstart, size_t *tend,
                        int *minor)
{
	static const char version[] = "HTTP/1.";
	size_t i = 0, vlen = sizeof(version) - 1;

	while (i < len && is_tchar((unsigned char)line[i]))
		i++;
	if (i == 0 || i > HTTP_METHOD_MAX || i >= len || line[i] != ' ')
		return -1;
	*mlen = i++;
	if (i >= len || line[i] != '/')
		return -1;
	*tstart = i;
	while (i < len && (unsigned char)line[i] > ' ' && (unsigned char)line[i] != HTTP_DEL)
		i++;
	if (i >= len || line[i] != ' ')
		return -1;
	*tend = i++;
	if (len - i != vlen + 1 || memcmp(line + i, version, vlen) != 0)
		return -1;
	if (line[i + vlen] != '0' && line[i + vlen] != '1')
		return -1;
	*minor = line[i + vlen] - '0';
	return 0;
}

int
http_is_request_line(const char *line)
{
	size_t len, mlen, ts, te;
	int minor;

	if (line == NULL)
		return 0;
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return http_parse_request_line(line, len, &mlen, &ts, &te, &minor) == 0;
}

/* ------------------------------------------------------------------ */
/* url encoding                                                        */
/* ------------------------------------------------------------------ */

int
http_url_decode(char *dst, const char *src, size_t srclen, int form)
{
	size_t i, n = 0;

	if (srclen > INT_MAX)
		return -1;
	for (i = 0; i < srclen; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '%') {
			int hi, lo;

			if (srclen - i < HTTP_PERCENT_ESCAPE_LEN ||
			    (hi = http_hex_value((unsigned char)src[i + 1])) < 0 ||
			    (lo = http_hex_value((unsigned char)src[i + 2])) < 0)
				return -1;
			dst[n++] = (char)(hi * HTTP_HEX_BASE + lo);
			i += HTTP_PERCENT_ESCAPE_LEN - 1;
		} else if (c == '+' && form) {
			dst[n++] = ' ';
		} else {
			dst[n++] = (char)c;
		}
	}
	dst[n] = '\0';
	return (int)n;
}

void
http_url_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			buf_putc(out, (char)c);
		} else {
			char esc[HTTP_PERCENT_ESCAPE_LEN];

			esc[0] = '%';
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 0xF];
			buf_append(out, esc, sizeof(esc));
		}
	}
}

/* ------------------------------------------------------------------ */
/* status texts                                                        */
/* ------------------------------------------------------------------ */

static const struct {
	int status;
	const char *text;
} status_texts[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_status_text(int status)
{
	size_t i;

	for (i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
		if (status_texts[i].status == status)
			return status_texts[i].text;
	return "Unknown";
}

/* ------------------------------------------------------------------ */
/* server: exchanges                                                   */
/* ------------------------------------------------------------------ */

static void
exchange_free(struct http_exchange *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->nheaders; i++) {
		free(x->hname[i]);
		free(x->hval[i]);
	}
	free(x->method);
	free(x->path);
	free(x->query);
	buf_free(&x->body);
	buf_free(&x->extra);
	free(x->chunked);
	free(x);
}

const char *
http_method(const struct http_exchange *x)
{
	return x->method;
}

const char *
http_path(const struct http_exchange *x)
{
	return x->path;
}

const char *
http_query(const struct http_exchange *x)
{
	return x->query;
}

/* The first name parameter (whose value is want, unless want is NULL): its value into buf. */
static int
query_find(const struct http_exchange *x, const char *name, const char *want, char *buf,
           size_t len)
{
	const char *q = x->query;
	char *tmp = xmalloc(strlen(q) + 1);
	int found = 0;

	while (*q != '\0' && !found) {
		const char *amp = strchr(q, '&');
		size_t plen = amp != NULL ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', plen);
		size_t klen = eq != NULL ? (size_t)(eq - q) : plen;

		/* A pair with a bad escape is treated as absent, never half-decoded. */
		if (http_url_decode(tmp, q, klen, 1) >= 0 && strcmp(tmp, name) == 0) {
			const char *v = eq != NULL ? eq + 1 : q + plen;

			if (http_url_decode(tmp, v, (size_t)(q + plen - v), 1) >= 0 &&
			    (want == NULL || strcmp(tmp, want) == 0)) {
				if (buf != NULL && len > 0)
					xstrlcpy(buf, tmp, len);
				found = 1;
			}
		}
		q += plen;
		if (*q == '&')
			q++;
	}
	free(tmp);
	return found;
}

int
http_query_param(const struct http_exchange *x, const char *name, char *buf, size_t len)
{
	return query_find(x, name, NULL, buf, len);
}

int
http_query_has(const struct http_exchange *x, const char *name, const char *value)
{
	return query_find(x, name, value, NULL, 0);
}

const char *
http_header(const struct http_exchange *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->nheaders; i++)
		if (http_name_eq(x->hname[i], name))
			return x->hval[i];
	return NULL;
}

const char *
http_body(const struct http_exchange *x, size_t *len)
{
	if (len != NULL)
		*len = x->body.len;
	return x->body.data != NULL ? x->body.data : "";
}

const char *
http_peer(const struct http_exchange *x)
{
	return conn_peer(x->hc->c);
}

void
http_add_header(struct http_exchange *x, const char *name, const char *value)
{
	put_clean(&x->extra, name);
	buf_puts(&x->extra, ": ");
	put_clean(&x->extra, value);
	buf_puts(&x->extra, "\r\n");
}

void
http_defer(struct http_exchange *x, http_abort_fn abort_fn, void *arg)
{
	x->deferred = 1;
	x->abort_fn = abort_fn;
	x->abort_arg = arg;
}

/* ------------------------------------------------------------------ */
/* server: connection state machine                                    */
/* ------------------------------------------------------------------ */

/* A new request may start: its deadline runs from now. */
static void
start_request(struct http_conn *hc)
{
	hc->st = ST_REQLINE;
	hc->scan = 0;
	hc->head_bytes = 0;
	hc->deadline = compat_monotonic_ms() + request_timeout_ms;
	conn_set_idle_timeout(hc->c, request_timeout_ms);
	conn_pause_reading(hc->c, 0);
}

/*
 * A reply of our own making for a request we refuse: plain text, then the
 * connection closes, since whatever follows in the input cannot be trusted
 * to start at a request boundary.
 */
static void
error_close(struct http_conn *hc, int status, const char *msg)
{
	struct buf head;

	buf_init(&head, 0);
	buf_printf(&head, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s\n", status, http_status_text(status), strlen(msg) + 1,
	    msg);
	conn_send(hc->c, head.data, head.len);
	buf_free(&head);
	exchange_free(hc->x);
	hc->x = NULL;
	hc->st = ST_DONE;
	buf_reset(&hc->in);
	conn_set_idle_timeout(hc->c, 0);
	conn_close_after_flush(hc->c, msg);
}

/* The exchange is over (replied or stream ended): free it and go on or stop. */
static void
finish_exchange(struct http_conn *hc)
{
	int keep = hc->x->keep_alive;

	exchange_free(hc->x);
	hc->x = NULL;
	if (!keep || conn_is_closing(hc->c)) {
		hc->st = ST_DONE;
		return;
	}
	start_request(hc);
}

static void
dispatch(struct http_conn *hc)
{
	struct http_exchange *x = hc->x;

	hc->st = ST_HANDLING;
	conn_set_idle_timeout(hc->c, 0);
	conn_pause_reading(hc->c, 1);
	x->in_handler = 1;
	hc->fn(x, hc->arg);
	x->in_handler = 0;
	if (x->done)
		finish_exchange(hc);
	else if (!x->deferred && !x->streaming)
		http_reply_error(x, 500, "handler did not reply");
}

static int
handle_request_line(struct http_conn *hc, const char *line, size_t len)
{
	struct http_exchange *x;
	size_t mlen, ts, te, plen;
	const char *q;
	int minor, n;

	if (http_parse_request_line(line, len, &mlen, &ts, &te, &minor) < 0) {
		error_close(hc, 400, "bad request line");
		return -1;
	}
	x = xcalloc(1, sizeof(*x));
	x->hc = hc;
	x->method = xstrndup(line, mlen);
	x->minor = minor;
	buf_init(&x->body, 0);
	buf_init(&x->extra, 0);
	hc->x = x;
	q = memchr(line + ts, '?', te - ts);
	plen = q != NULL ? (size_t)(q - (line + ts)) : te - ts;
	x->query = q != NULL ? xstrndup(q + 1, (size_t)(line + te - (q + 1))) : xstrdup("");
	x->path = xmalloc(plen + 1);
	n = http_url_decode(x->path, line + ts, plen, 0);
	if (n < 0) {
		error_close(hc, 400, "bad escape in request path");
		return -1;
	}
	if (strlen(x->path) != (size_t)n) {
		error_close(hc, 400, "NUL byte in request path");
		return -1;
	}
	x->head = strcmp(x->method, "HEAD") == 0;
	hc->st = ST_HEADERS;
	return 0;
}

int
http_split_header(const char *line, size_t len, size_t *name_len, size_t *vstart, size_t *vend,
                  const char **why)
{
	size_t i = 0, vs, ve, k;

	if (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
		*why = "obsolete header line folding is not supported";
		return -1;
	}
	while (i < len && is_tchar((unsigned char)line[i]))
		i++;
	if (i == 0 || i >= len || line[i] != ':') {
		*why = "bad header line";
		return -1;
	}
	for (k = i + 1; k < len; k++) {
		unsigned char c = (unsigned char)line[k];

		if ((c < HTTP_CTL_END && c != '\t') || c == HTTP_DEL) {
			*why = "control character in header value";
			return -1;
		}
	}
	vs = i + 1;
	while (vs < len && (line[vs] == ' ' || line[vs] == '\t'))
		vs++;
	ve = len;
	while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
		ve--;
	*name_len = i;
	*vstart = vs;
	*vend = ve;
	return 0;
}

static int
handle_header_line(struct http_conn *hc, const char *line, size_t len)
{
	struct http_exchange *x = hc->x;
	size_t nlen, vs, ve;
	const char *why;

	if (http_split_header(line, len, &nlen, &vs, &ve, &why) < 0) {
		error_close(hc, 400, why);
		return -1;
	}
	if (x->nheaders >= HTTP_HEADERS_MAX) {
		error_close(hc, 431, "too many header fields");
		return -1;
	}
	x->hname[x->nheaders] = xstrndup(line, nlen);
	x->hval[x->nheaders] = xstrndup(line + vs, ve - vs);
	x->nheaders++;
	return 0;
}

/* Headers are complete: decide on the body. 1 = run the handler now, 0 = body follows. */
static int
end_of_headers(struct http_conn *hc)
{
	struct http_exchange *x = hc->x;
	const char *te = http_header(x, "Transfer-Encoding");
	const char *conn_hdr = http_header(x, "Connection");
	const char *expect = http_header(x, "Expect");
	size_t length = 0, i;
	int seen_length = 0;
	char msg[HTTP_LINE_MAX];

	if (te != NULL && !http_name_eq(te, "chunked")) {
		error_close(hc, 501, "transfer codings other than chunked are not supported");
		return -1;
	}
	/* Both would let a proxy and this server disagree on where the body ends (smuggling). */
	if (te != NULL && http_header(x, "Content-Length") != NULL) {
		error_close(hc, 400, "both Transfer-Encoding and Content-Length");
		return -1;
	}
	/* Repeated Content-Length headers must agree, or the body's end is ambiguous. */
	for (i = 0; i < x->nheaders; i++) {
		size_t v;

		if (!http_name_eq(x->hname[i], "Content-Length"))
			continue;
		if (http_parse_length(x->hval[i], &v) < 0 || (seen_length && v != length)) {
			error_close(hc, 400, "bad Content-Length");
			return -1;
		}
		length = v;
		seen_length = 1;
	}
	if (length > HTTP_BODY_MAX) {
		snprintf(msg, sizeof(msg), "request body larger than %u bytes", HTTP_BODY_MAX);
		error_close(hc, 413, msg);
		return -1;
	}
	if (x->minor >= 1)
		x->keep_alive = conn_hdr == NULL || !http_list_has(conn_hdr, "close");
	else
		x->keep_alive = conn_hdr != NULL && http_list_has(conn_hdr, "keep-alive");
	if (length == 0 && te == NULL)
		return 1;
	if (expect != NULL && http_name_eq(expect, "100-continue") && x->minor >= 1)
		conn_send_str(hc->c, "HTTP/1.1 100 Continue\r\n\r\n");
	x->body_need = length;
	buf_init(&x->body, te != NULL ? HTTP_BODY_MAX : length);
	if (te != NULL) {
		x->chunked = xmalloc(sizeof(*x->chunked));
		http_client_chunked_init(x->chunked);
	}
	hc->st = ST_BODY;
	return 0;
}

/* The chunked decoder's sink: the body grows up to HTTP_BODY_MAX. */
static int
chunk_sink(const char *data, size_t len, void *arg, char *err, size_t errlen)
{
	struct http_exchange *x = arg;

	if (len > HTTP_BODY_MAX - x->body.len) {
		x->too_large = 1;
		snprintf(err, errlen, "request body larger than %u bytes", HTTP_BODY_MAX);
		return -1;
	}
	buf_append(&x->body, data, len);
	return 0;
}

/* Feed what arrived to a chunked body; dispatch once it is whole. */
static void
chunked_body(struct http_conn *hc)
{
	struct http_exchange *x = hc->x;
	char err[HTTP_LINE_MAX];
	int r = http_client_chunked_feed(x->chunked, hc->in.data, hc->in.len, chunk_sink, x, err,
	                                 sizeof(err));

	if (r < 0) {
		error_close(hc, x->too_large ? 413 : 400, err);
		return;
	}
	/* A chunk declared larger than the room left is refused before its bytes arrive. */
	if (r == 0 && x->chunked->left > HTTP_BODY_MAX - x->body.len) {
		snprintf(err, sizeof(err), "request body larger than %u bytes", HTTP_BODY_MAX);
		error_close(hc, 413, err);
		return;
	}
	/* What follows the body's last line is the next request. */
	buf_consume(&hc->in, x->chunked->used);
	if (r == 1)
		dispatch(hc);
}

/* -1: refused (the conn is closing); 1: a request is ready to run; 0: go on. */
static int
handle_line(struct http_conn *hc, char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if (hc->st == ST_REQLINE) {
		/* RFC 9112 asks servers to skip blank lines before a request (after a POST body). */
		if (len == 0)
			return 0;
		return handle_request_line(hc, line, len);
	}
	if (len == 0)
		return end_of_headers(hc);
	return handle_header_line(hc, line, len);
}

/* Parse as much of hc->in as the state allows. */
static void
process(struct http_conn *hc)
{
	while (!conn_is_closing(hc->c) && hc->in.len > 0) {
		if (hc->st == ST_REQLINE || hc->st == ST_HEADERS) {
			char *start = hc->in.data;
			char *nl = memchr(start + hc->scan, '\n', hc->in.len - hc->scan);
			size_t len;
			int rc;

			if (nl == NULL) {
				hc->scan = hc->in.len;
				if (hc->head_bytes + hc->in.len > HTTP_HEADER_BYTES_MAX)
					error_close(hc, hc->st == ST_REQLINE ? 414 : 431,
					    hc->st == ST_REQLINE ? "request line too long" :
					    "request header fields too large");
				return;
			}
			len = (size_t)(nl - start);
			hc->head_bytes += len + 1;
			if (hc->head_bytes > HTTP_HEADER_BYTES_MAX) {
				error_close(hc, hc->st == ST_REQLINE ? 414 : 431,
				    hc->st == ST_REQLINE ? "request line too long" :
				    "request header fields too large");
				return;
			}
			rc = handle_line(hc, start, len);
			if (rc < 0)
				return;
			/* Consumed before the handler runs: what is left is the next request. */
			buf_consume(&hc->in, len + 1);
			hc->scan = 0;
			if (rc == 1)
				dispatch(hc);
		} else if (hc->st == ST_BODY && hc->x->chunked != NULL) {
			chunked_body(hc);
		} else if (hc->st == ST_BODY) {
			struct http_exchange *x = hc->x;
			size_t n = x->body_need - x->body.len;

			if (n > hc->in.len)
				n = hc->in.len;
			buf_append(&x->body, hc->in.data, n);
			buf_consume(&hc->in, n);
			if (x->body.len == x->body_need)
				dispatch(hc);
		} else {
			return;
		}
	}
}

static void
http_on_data(struct conn *c, const char *data, size_t len, void *arg)
{
	struct http_conn *hc = arg;
	int64_t now;

	if (hc->st == ST_STREAM || hc->st == ST_DONE)
		return;
	if (buf_append(&hc->in, data, len) < 0) {
		conn_close(c, "too much pipelined input");
		return;
	}
	if (hc->st == ST_HANDLING)
		return;
	now = compat_monotonic_ms();
	if (now >= hc->deadline) {
		error_close(hc, 408, "request not complete in time");
		return;
	}
	/* The idle timer doubles as the request deadline: it always ends there. */
	conn_set_idle_timeout(c, hc->deadline - now);
	process(hc);
}

static void
http_on_close(struct conn *c, const char *reason, void *arg)
{
	struct http_conn *hc = arg;
	struct http_exchange *x = hc->x;

	(void)c;
	(void)reason;
	if (x != NULL && !x->done && (x->deferred || x->streaming) && x->abort_fn != NULL)
		x->abort_fn(x, x->abort_arg);
	exchange_free(x);
	buf_free(&hc->in);
	free(hc);
}

static struct http_conn *
http_conn_new(http_handler_fn fn, void *arg)
{
	struct http_conn *hc = xcalloc(1, sizeof(*hc));

	hc->fn = fn;
	hc->arg = arg;
	buf_init(&hc->in, HTTP_PENDING_MAX);
	return hc;
}

void
http_adopt(struct conn *c, const char *line, http_handler_fn fn, void *arg)
{
	struct http_conn *hc = http_conn_new(fn, arg);
	size_t len = strlen(line);
	char *copy;

	hc->c = c;
	conn_set_ops(c, &http_ops, hc);
	/* Buffered input behind the first line comes back to us raw. */
	conn_set_raw(c, 1);
	start_request(hc);
	hc->head_bytes = len + 1;
	if (hc->head_bytes > HTTP_HEADER_BYTES_MAX) {
		error_close(hc, 414, "request line too long");
		return;
	}
	copy = xstrndup(line, len);
	handle_line(hc, copy, len);
	free(copy);
}

/* ------------------------------------------------------------------ */
/* server: replies and streams                                         */
/* ------------------------------------------------------------------ */

static void
put_status_line(struct buf *h, int status)
{
	buf_printf(h, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
}

void
http_reply(struct http_exchange *x, int status, const char *content_type,
           const char *body, size_t len)
{
	struct http_conn *hc = x->hc;
	int no_body = !http_status_has_body(status);
	struct buf head;

	if (x->done || x->streaming)
		return;
	/*
	 * Input that arrived behind a deferred request would have to be parsed
	 * inside our caller's stack; closing instead is allowed (clients retry
	 * unanswered pipelined requests) and keeps handlers from reentering.
	 */
	if (!x->in_handler && hc->in.len > 0)
		x->keep_alive = 0;
	if (conn_is_closing(hc->c))
		x->keep_alive = 0;
	buf_init(&head, 0);
	put_status_line(&head, status);
	if (content_type != NULL && *content_type != '\0') {
		buf_puts(&head, "Content-Type: ");
		put_clean(&head, content_type);
		buf_puts(&head, "\r\n");
	}
	if (!no_body)
		buf_printf(&head, "Content-Length: %zu\r\n", len);
	buf_printf(&head, "Connection: %s\r\n", x->keep_alive ? "keep-alive" : "close");
	buf_append(&head, x->extra.data, x->extra.len);
	buf_puts(&head, "\r\n");
	conn_send(hc->c, head.data, head.len);
	buf_free(&head);
	if (!x->head && !no_body && len > 0)
		conn_send(hc->c, body, len);
	x->done = 1;
	if (!x->keep_alive)
		conn_close_after_flush(hc->c, "http: connection close");
	if (!x->in_handler)
		finish_exchange(hc);
}

void
http_reply_json(struct http_exchange *x, int status, const struct buf *json)
{
	http_reply(x, status, "application/json", json->data != NULL ? json->data : "", json->len);
}

void
http_reply_error(struct http_exchange *x, int status, const char *msg)
{
	struct buf b;
	struct json_w w;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "message", msg);
	json_obj_end(&w);
	http_reply_json(x, status, &b);
	buf_free(&b);
}

void
http_stream_begin(struct http_exchange *x, int status, const char *content_type)
{
	struct http_conn *hc = x->hc;
	struct buf head;

	if (x->done || x->streaming)
		return;
	buf_init(&head, 0);
	put_status_line(&head, status);
	if (content_type != NULL && *content_type != '\0') {
		buf_puts(&head, "Content-Type: ");
		put_clean(&head, content_type);
		buf_puts(&head, "\r\n");
		/* Proxies and browsers must not hold back or cache an event stream. */
		if (strncmp(content_type, "text/event-stream", strlen("text/event-stream")) == 0)
			buf_puts(&head, "Cache-Control: no-cache\r\n");
	}
	/* Without a length the stream ends when the connection does. */
	buf_puts(&head, "Connection: close\r\n");
	buf_append(&head, x->extra.data, x->extra.len);
	buf_puts(&head, "\r\n");
	conn_send(hc->c, head.data, head.len);
	buf_free(&head);
	x->streaming = 1;
	x->keep_alive = 0;
	hc->st = ST_STREAM;
	buf_reset(&hc->in);
	conn_set_idle_timeout(hc->c, 0);
	conn_pause_reading(hc->c, 0);
}

int
http_stream_write(struct http_exchange *x, const char *data, size_t len)
{
	if (!x->streaming || x->done || conn_is_closing(x->hc->c))
		return -1;
	if (x->head)
		return 0;
	return conn_send(x->hc->c, data, len);
}

void
http_stream_end(struct http_exchange *x)
{
	struct http_conn *hc = x->hc;

	if (!x->streaming || x->done)
		return;
	x->done = 1;
	conn_close_after_flush(hc->c, "http: stream ended");
	if (!x->in_handler)
		finish_exchange(hc);
}

/* ------------------------------------------------------------------ */
/* server: listeners                                                   */
/* ------------------------------------------------------------------ */

static void on_accept(struct loop *loop, int lfd, int events, void *arg);

static void
resume_accept(struct loop *loop, void *arg)
{
	struct http_server *s = arg;

	s->retry_timer = 0;
	loop_set_events(loop, s->lfd, LOOP_READ);
}

/* Over a cap: 503 with the reason, and the conn closes once that is out. */
static const struct conn_ops refused_ops = { .on_line = NULL };

static int
refused_over_cap(struct http_server *s, struct http_conn *hc)
{
	char why[HTTP_LINE_MAX], head[HTTP_LINE_MAX];

	if (conncap_admit(s->caps, hc->c, why, sizeof(why)) == 0)
		return 0;
	/* No port in the line: a crowd from one address repeats it, and the log folds repeats. */
	log_warnx("http: refusing a connection: %s", why);
	conn_set_ops(hc->c, &refused_ops, NULL);
	snprintf(head, sizeof(head), "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain"
	         "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", strlen(why) + 1);
	conn_send_str(hc->c, head);
	conn_send_str(hc->c, why);
	conn_send_str(hc->c, "\n");
	conn_close_after_flush(hc->c, why);
	buf_free(&hc->in);
	free(hc);
	return 1;
}

static void
on_accept(struct loop *loop, int lfd, int events, void *arg)
{
	struct http_server *s = arg;
	char peer[HTTP_LINE_MAX];

	(void)events;
	/* Take every pending connection: one per wakeup would starve a burst. */
	for (;;) {
		struct http_conn *hc;
		int fd = net_accept(lfd, peer, sizeof(peer));

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				/* The backlog stays readable: without a pause we would spin on it. */
				log_warn("http: accept");
				loop_set_events(loop, lfd, 0);
				s->retry_timer = loop_timer_add(loop, HTTP_ACCEPT_RETRY_MS,
				    resume_accept, s);
			}
			return;
		}
		hc = http_conn_new(s->fn, s->arg);
		hc->c = conn_new(loop, fd, &http_ops, hc, HTTP_HEADER_BYTES_MAX, HTTP_SERVER_MAX_OUT);
		if (hc->c == NULL) {
			log_warnx("http: cannot watch connection from %s", peer);
			close(fd);
			buf_free(&hc->in);
			free(hc);
			continue;
		}
		conn_set_peer(hc->c, peer);
		if (refused_over_cap(s, hc))
			continue;
		conn_set_raw(hc->c, 1);
		start_request(hc);
	}
}

int
http_server_listen(struct loop *loop, const char *ip, int port, http_handler_fn fn, void *arg,
                   char *err, size_t errlen)
{
	struct http_server *s;
	int lfd = net_listen(ip, port, err, errlen);

	if (lfd < 0)
		return -1;
	s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->lfd = lfd;
	s->fn = fn;
	s->arg = arg;
	s->caps = conncap_new(HTTP_SERVER_MAX_CONNECTIONS, HTTP_SERVER_MAX_CONNECTIONS_PER_ADDRESS);
	if (loop_watch(loop, lfd, LOOP_READ, on_accept, s) < 0) {
		snprintf(err, errlen, "http: cannot watch listening socket");
		close(lfd);
		conncap_free(s->caps);
		free(s);
		return -1;
	}
	s->next = servers;
	servers = s;
	return lfd;
}

void
http_server_set_caps(struct loop *loop, int lfd, long max_total, long max_per_address)
{
	for (struct http_server *s = servers; s != NULL; s = s->next) {
		if (s->lfd == lfd && s->loop == loop) {
			/* Connections open now keep their places in the old caps until they close. */
			conncap_free(s->caps);
			s->caps = conncap_new(max_total, max_per_address);
			return;
		}
	}
}

void
http_server_close(struct loop *loop, int lfd)
{
	struct http_server **pp;

	for (pp = &servers; *pp != NULL; pp = &(*pp)->next) {
		struct http_server *s = *pp;

		if (s->lfd == lfd && s->loop == loop) {
			*pp = s->next;
			loop_timer_cancel(loop, s->retry_timer);
			loop_unwatch(loop, lfd);
			close(lfd);
			conncap_free(s->caps);
			free(s);
			return;
		}
	}
}
