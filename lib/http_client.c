/*
 * http_client.c: owns the project's one HTTP/1.1 client. mesosctl's
 * requests and mesos-fetcher's downloads differ only in where the body
 * goes (a capped buf, a descriptor) and in how long they may wait (an
 * overall deadline, a stall timeout); everything else is done once here:
 * URLs and redirects, the request, the status line and headers, and the
 * body as Content-Length, chunked or up to the close frames it.
 *
 * How it waits: the descriptor stays blocking and every send and recv is
 * bounded with SO_SNDTIMEO/SO_RCVTIMEO by whichever is nearer, what is
 * left of the deadline or the stall timeout, so the message can say which
 * one ran out. Only processes that may block use it; a daemon's loop never
 * does.
 */
#include "http_client.h"
#include "buf.h"
#include "compat.h"
#include "http.h"
#include "http_msg.h"
#include "net.h"
#include "xmem.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HTTP_CLIENT_DEFAULT_PORT 80
#define HTTP_CLIENT_PORT_MAX 65535
#define HTTP_CLIENT_SCHEME "http://"
#define HTTP_CLIENT_TLS_SCHEME "https://"
#define HTTP_CLIENT_CHUNK 16384             /* bytes per recv */
#define HTTP_CLIENT_REASON_MAX 64           /* bytes of a reason phrase kept, NUL included */
#define HTTP_CLIENT_PREVIEW 128             /* bytes of a URL quoted in a message */
#define HTTP_CLIENT_SIZE_QUOTE 16           /* bytes of a bad chunk-size line quoted */
#define HTTP_CLIENT_DECIMAL_BASE 10
#define HTTP_CLIENT_HEX_BASE 16
#define HTTP_CLIENT_MS_PER_SECOND 1000
#define HTTP_CLIENT_US_PER_MS 1000
#define HTTP_CLIENT_OK_MIN 200
#define HTTP_CLIENT_OK_MAX 299
#define HTTP_CLIENT_REDIRECT_MIN 300
#define HTTP_CLIENT_REDIRECT_MAX 399
#define HTTP_CLIENT_INTERIM_MAX 199         /* 1xx: an interim response before the real one */
/* Who asks: mesosctl (and the test tools) for replies, the fetcher for downloads. */
#define HTTP_CLIENT_TOOL_AGENT "mesosctl"
#define HTTP_CLIENT_FETCH_AGENT "mesos-fetcher/1"

/* ------------------------------------------------------------------ */
/* URLs                                                                */
/* ------------------------------------------------------------------ */

static int
has_scheme(const char *url, const char *scheme)
{
	return strncasecmp(url, scheme, strlen(scheme)) == 0;
}

int
http_client_url_parse(const char *url, struct http_client_url *u, char *err, size_t errlen)
{
	const char *p, *hostend, *portstr;
	size_t hostlen, n;

	memset(u, 0, sizeof(*u));
	if (!has_scheme(url, HTTP_CLIENT_SCHEME)) {
		snprintf(err, errlen, "not an http:// URL: '%.*s'", HTTP_CLIENT_PREVIEW, url);
		return -1;
	}
	p = url + strlen(HTTP_CLIENT_SCHEME);
	if (*p == '[') {
		hostend = strchr(p, ']');
		if (hostend == NULL) {
			snprintf(err, errlen, "bad IPv6 address in '%.*s'", HTTP_CLIENT_PREVIEW, url);
			return -1;
		}
		hostlen = (size_t)(hostend - p - 1);
		memcpy(u->host, p + 1, hostlen < sizeof(u->host) ? hostlen : 0);
		p = hostend + 1;
	} else {
		hostend = p + strcspn(p, ":/?#");
		hostlen = (size_t)(hostend - p);
		if (hostlen < sizeof(u->host))
			memcpy(u->host, p, hostlen);
		p = hostend;
	}
	if (hostlen == 0 || hostlen >= sizeof(u->host)) {
		snprintf(err, errlen, "bad host in '%.*s'", HTTP_CLIENT_PREVIEW, url);
		return -1;
	}
	u->host[hostlen] = '\0';
	u->port = HTTP_CLIENT_DEFAULT_PORT;
	if (*p == ':') {
		char *end;
		long port;

		portstr = p + 1;
		port = strtol(portstr, &end, HTTP_CLIENT_DECIMAL_BASE);
		if (end == portstr || port <= 0 || port > HTTP_CLIENT_PORT_MAX ||
		    (*end != '\0' && !strchr("/?#", *end))) {
			snprintf(err, errlen, "bad port in '%.*s'", HTTP_CLIENT_PREVIEW, url);
			return -1;
		}
		u->port = (int)port;
		p = end;
	}
	n = strcspn(p, "#");
	u->target = *p == '/' ? xstrndup(p, n) : xstrfmt("/%.*s", (int)n, p);
	if (strpbrk(u->target, " \r\n") != NULL) {
		snprintf(err, errlen, "URL '%.*s' holds spaces or line breaks", HTTP_CLIENT_PREVIEW, url);
		http_client_url_free(u);
		return -1;
	}
	return 0;
}

void
http_client_url_free(struct http_client_url *u)
{
	free(u->target);
	u->target = NULL;
}

char *
http_client_url_resolve(const struct http_client_url *base, const char *location)
{
	const char *slash, *open = strchr(base->host, ':') ? "[" : "";
	const char *close = *open ? "]" : "";

	if (has_scheme(location, HTTP_CLIENT_SCHEME) || has_scheme(location, HTTP_CLIENT_TLS_SCHEME))
		return xstrdup(location);
	if (location[0] == '/' && location[1] == '/')
		return xstrfmt("http:%s", location);
	if (location[0] == '/')
		return xstrfmt("http://%s%s%s:%d%s", open, base->host, close, base->port, location);
	slash = strrchr(base->target, '/');
	return xstrfmt("http://%s%s%s:%d%.*s/%s", open, base->host, close, base->port,
	    slash ? (int)(slash - base->target) : 0, base->target, location);
}

/* ------------------------------------------------------------------ */
/* chunked bodies                                                      */
/* ------------------------------------------------------------------ */

enum chunk_state { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE };

void
http_client_chunked_init(struct http_client_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = CH_SIZE;
}

/* One line of the size or trailer part; 1 when a whole line is in c->line. */
static int
take_line(struct http_client_chunked *c, const char **in, const char *end, char *err,
          size_t errlen)
{
	while (*in < end) {
		char ch = *(*in)++;

		if (ch == '\n') {
			if (c->line_len > 0 && c->line[c->line_len - 1] == '\r')
				c->line_len--;
			c->line[c->line_len] = '\0';
			c->line_len = 0;
			return 1;
		}
		if (c->line_len + 1 >= sizeof(c->line)) {
			snprintf(err, errlen, "bad chunked encoding: a line too long");
			return -1;
		}
		c->line[c->line_len++] = ch;
	}
	return 0;
}

/* Hex digits, then nothing or a chunk extension (";name=value" carries nothing we use). */
static int
parse_chunk_size(const char *line, uint64_t *out)
{
	uint64_t size = 0;
	size_t i;
	int d;

	for (i = 0; (d = http_hex_value((unsigned char)line[i])) >= 0; i++) {
		if (size > UINT64_MAX / HTTP_CLIENT_HEX_BASE)
			return -1;
		size = size * HTTP_CLIENT_HEX_BASE + (uint64_t)d;
	}
	if (i == 0 || (line[i] != '\0' && line[i] != ';' && line[i] != ' ' && line[i] != '\t'))
		return -1;
	*out = size;
	return 0;
}

int
http_client_chunked_feed(struct http_client_chunked *c, const char *in, size_t len,
                         http_client_sink_fn sink, void *arg, char *err, size_t errlen)
{
	const char *start = in, *end = in + len;

	c->used = 0;
	while (c->state != CH_DONE && in < end) {
		int r;

		if (c->state == CH_DATA) {
			size_t n = (size_t)(end - in) < c->left ? (size_t)(end - in) : (size_t)c->left;

			if (sink != NULL && sink(in, n, arg, err, errlen) == -1)
				return -1;
			in += n;
			c->used = (size_t)(in - start);
			c->left -= n;
			if (c->left == 0)
				c->state = CH_DATA_END;
			continue;
		}
		r = take_line(c, &in, end, err, errlen);
		c->used = (size_t)(in - start);
		if (r <= 0)
			return r;
		if (c->state == CH_SIZE) {
			if (parse_chunk_size(c->line, &c->left) == -1) {
				snprintf(err, errlen, "bad chunked encoding: chunk size '%.*s'",
				    HTTP_CLIENT_SIZE_QUOTE, c->line);
				return -1;
			}
			c->state = c->left == 0 ? CH_TRAILER : CH_DATA;
		} else if (c->state == CH_DATA_END) {
			if (c->line[0] != '\0') {
				snprintf(err, errlen, "bad chunked encoding: no line end after a chunk");
				return -1;
			}
			c->state = CH_SIZE;
		} else if (c->line[0] == '\0') {
			c->state = CH_DONE;   /* the empty line that ends the trailer */
		}
	}
	return c->state == CH_DONE;
}

/* ------------------------------------------------------------------ */
/* one connection                                                      */
/* ------------------------------------------------------------------ */

struct reader {
	int fd;
	const char *host;
	int port;
	int timeout_ms;         /* the overall limit, for its message */
	int64_t deadline;       /* monotonic ms; 0 = none */
	int64_t stall_ms;       /* per send or recv; 0 = none */
	int by_deadline;        /* the bound armed last was the deadline */
	char buf[HTTP_CLIENT_CHUNK];
	size_t off, len;
	int eof;
	char *err;
	size_t errlen;
};

/* The head of a response: what the client acts on. */
struct head {
	int status;
	char reason[HTTP_CLIENT_REASON_MAX];
	char content_type[HTTP_CLIENT_CONTENT_TYPE_MAX];
	int chunked;
	int has_length;
	size_t length;
	char *location;         /* malloc'ed, NULL if none */
};

static int
timed_out(struct reader *r, const char *what)
{
	if (r->by_deadline)
		snprintf(r->err, r->errlen, "timeout after %d ms", r->timeout_ms);
	else
		snprintf(r->err, r->errlen, "no %s for %lld ms (stall timeout)", what,
		    (long long)r->stall_ms);
	return -1;
}

/*
 * Bound the next blocking send or recv by the nearer of what is left of
 * the deadline and the stall timeout; -1 once the deadline has passed.
 */
static int
arm_timeout(struct reader *r, int opt)
{
	int64_t wait = r->stall_ms;
	struct timeval tv;

	r->by_deadline = 0;
	if (r->deadline != 0) {
		int64_t left = r->deadline - compat_monotonic_ms();

		if (left <= 0 || wait <= 0 || left < wait) {
			r->by_deadline = 1;
			wait = left;
		}
		if (left <= 0)
			return -1;
	}
	if (wait <= 0)
		return 0;
	tv.tv_sec = (time_t)(wait / HTTP_CLIENT_MS_PER_SECOND);
	tv.tv_usec = (suseconds_t)((wait % HTTP_CLIENT_MS_PER_SECOND) * HTTP_CLIENT_US_PER_MS);
	setsockopt(r->fd, SOL_SOCKET, opt, &tv, sizeof(tv));
	return 0;
}

/* Connect to host:port; the connect counts against whichever limit there is. */
static struct reader *
reader_open(const char *host, int port, int timeout_ms, int64_t stall_ms, char *err,
            size_t errlen)
{
	int64_t start = compat_monotonic_ms();
	int connect_ms = timeout_ms > 0 ? timeout_ms : stall_ms > INT_MAX ? INT_MAX
	               : stall_ms > 0 ? (int)stall_ms : 0;
	struct reader *r;
	int fd = net_connect_blocking(host, port, connect_ms, err, errlen);

	if (fd < 0)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->host = host;
	r->port = port;
	r->timeout_ms = timeout_ms;
	r->deadline = timeout_ms > 0 ? start + timeout_ms : 0;
	r->stall_ms = stall_ms > 0 ? stall_ms : 0;
	r->err = err;
	r->errlen = errlen;
	return r;
}

static void
reader_close(struct reader *r)
{
	close(r->fd);
	free(r);
}

/* A send or recv failed (errno): the limit that ran out, or the system's reason. */
static int
io_failed(struct reader *r, const char *waited_for, const char *verb)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return timed_out(r, waited_for);
	snprintf(r->err, r->errlen, "%s %s:%d: %s", verb, r->host, r->port, strerror(errno));
	return -1;
}

static int
send_all(struct reader *r, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n;

		if (arm_timeout(r, SO_SNDTIMEO) < 0)
			return timed_out(r, "progress");
		n = compat_send(r->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_failed(r, "progress", "write to");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Make sure bytes are buffered: 1, 0 at end of input, -1 on error or timeout. */
static int
rd_fill(struct reader *r)
{
	for (;;) {
		ssize_t n;

		if (r->off < r->len)
			return 1;
		if (r->eof)
			return 0;
		if (arm_timeout(r, SO_RCVTIMEO) < 0)
			return timed_out(r, "data");
		n = recv(r->fd, r->buf, sizeof(r->buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_failed(r, "data", "read from");
		if (n == 0) {
			r->eof = 1;
			return 0;
		}
		r->off = 0;
		r->len = (size_t)n;
	}
}

static int
truncated(struct reader *r)
{
	snprintf(r->err, r->errlen, "connection closed before the response was complete");
	return -1;
}

/* One line without its CR LF into line[cap]; -1 on error, end of input or overlength. */
static int
rd_line(struct reader *r, char *line, size_t cap, size_t *lenp)
{
	size_t n = 0;

	for (;;) {
		int rc = rd_fill(r);
		char c;

		if (rc < 0)
			return -1;
		if (rc == 0)
			return truncated(r);
		c = r->buf[r->off++];
		if (c == '\n')
			break;
		if (n + 1 >= cap) {
			snprintf(r->err, r->errlen, "response header too large");
			return -1;
		}
		line[n++] = c;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	*lenp = n;
	return 0;
}

/* The process's credentials for every request (mesosctl's --principal/--secret). */
static char *authorization;

void
http_client_set_authorization(const char *value)
{
	free(authorization);
	authorization = value != NULL ? xstrdup(value) : NULL;
}

void
http_client_build_request(struct buf *req, const char *host, int port, const char *method,
                          const char *target, const char *user_agent, const char *content_type,
                          const char *body, size_t body_len)
{
	buf_printf(req, "%s %s HTTP/1.1\r\nHost: ", method, target);
	buf_printf(req, strchr(host, ':') != NULL ? "[%s]" : "%s", host);
	if (port != HTTP_CLIENT_DEFAULT_PORT)
		buf_printf(req, ":%d", port);
	buf_printf(req, "\r\nUser-Agent: %s\r\nAccept: */*\r\nConnection: close\r\n", user_agent);
	if (content_type != NULL)
		buf_printf(req, "Content-Type: %s\r\n", content_type);
	if (authorization != NULL)
		buf_printf(req, "Authorization: %s\r\n", authorization);
	if (body != NULL)
		buf_printf(req, "Content-Length: %zu\r\n", body_len);
	buf_puts(req, "\r\n");
}

/* Send the request line, headers and body. */
static int
send_request(struct reader *r, const char *method, const char *target,
                 const char *user_agent, const char *content_type, const char *body,
                 size_t body_len)
{
	struct buf req;
	int rc;

	buf_init(&req, 0);
	http_client_build_request(&req, r->host, r->port, method, target, user_agent, content_type,
	    body, body_len);
	rc = send_all(r, req.data, req.len);
	buf_free(&req);
	if (rc < 0 || (body != NULL && send_all(r, body, body_len) < 0))
		return -1;
	return 0;
}

/* "HTTP/1.x SSS reason": the status, and the reason into h; -1 if it is not one. */
static int
parse_status_line(const char *line, size_t len, struct head *h)
{
	const char *reason;
	int minor;

	if (http_msg_parse_status_line(line, len, &h->status, &minor, &reason) < 0)
		return -1;
	xstrlcpy(h->reason, reason, sizeof(h->reason));
	return 0;
}

static void
head_free(struct head *h)
{
	free(h->location);
	h->location = NULL;
}

/* One status line and its headers into h (emptied first). */
static int
read_one_head(struct reader *r, struct head *h)
{
	char line[HTTP_CLIENT_LINE_MAX];
	size_t len, total = 0;

	head_free(h);
	memset(h, 0, sizeof(*h));
	if (rd_line(r, line, sizeof(line), &len) < 0)
		return -1;
	if (parse_status_line(line, len, h) < 0) {
		snprintf(r->err, r->errlen, "bad status line in response from %s:%d", r->host,
		    r->port);
		return -1;
	}
	for (;;) {
		char *colon, *v;

		if (rd_line(r, line, sizeof(line), &len) < 0)
			return -1;
		total += len;
		if (total > HTTP_HEADER_BYTES_MAX) {
			snprintf(r->err, r->errlen, "response header too large");
			return -1;
		}
		if (len == 0)
			return 0;
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		len = strlen(v);
		while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			v[--len] = '\0';
		if (http_name_eq(line, "Content-Type")) {
			xstrlcpy(h->content_type, v, sizeof(h->content_type));
		} else if (http_name_eq(line, "Content-Length")) {
			if (http_parse_length(v, &h->length) < 0) {
				snprintf(r->err, r->errlen, "bad Content-Length in response");
				return -1;
			}
			h->has_length = 1;
		} else if (http_name_eq(line, "Transfer-Encoding")) {
			h->chunked = http_list_has(v, "chunked");
		} else if (http_name_eq(line, "Location")) {
			free(h->location);
			h->location = xstrdup(v);
		}
	}
}

/* The final head: interim 1xx responses precede it. */
static int
read_head(struct reader *r, struct head *h)
{
	do {
		if (read_one_head(r, h) < 0)
			return -1;
	} while (h->status <= HTTP_CLIENT_INTERIM_MAX);
	return 0;
}

/* The body, framed as the head says, to sink. */
static int
read_body(struct reader *r, const struct head *h, http_client_sink_fn sink, void *arg)
{
	if (h->chunked) {
		struct http_client_chunked *c = xmalloc(sizeof(*c));
		int done = 0;

		http_client_chunked_init(c);
		while (done == 0) {
			int rc = rd_fill(r);

			if (rc <= 0) {
				done = rc < 0 ? -1 : truncated(r);
				break;
			}
			done = http_client_chunked_feed(c, r->buf + r->off, r->len - r->off, sink, arg,
			    r->err, r->errlen);
			r->off = r->len;
		}
		free(c);
		return done < 0 ? -1 : 0;
	}
	for (size_t got = 0; !h->has_length || got < h->length;) {
		int rc = rd_fill(r);
		size_t k = r->len - r->off;

		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (!h->has_length)
				return 0;
			snprintf(r->err, r->errlen, "connection closed after %zu of %zu bytes", got,
			    h->length);
			return -1;
		}
		if (h->has_length && k > h->length - got)
			k = h->length - got;
		if (sink(r->buf + r->off, k, arg, r->err, r->errlen) < 0)
			return -1;
		r->off += k;
		got += k;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* a reply into a buf                                                  */
/* ------------------------------------------------------------------ */

static int
sink_buf(const char *data, size_t len, void *arg, char *err, size_t errlen)
{
	if (buf_append(arg, data, len) == 0)
		return 0;
	snprintf(err, errlen, "response too large");
	return -1;
}

int
http_client_request(const char *host, int port, const char *method, const char *target,
                    const char *content_type, const char *body, size_t body_len,
                    int timeout_ms, struct http_client_response *resp, char *err,
                    size_t errlen)
{
	struct reader *r;
	struct head h;
	int rc;

	resp->status = 0;
	resp->content_type[0] = '\0';
	memset(&h, 0, sizeof(h));
	r = reader_open(host, port, timeout_ms, 0, err, errlen);
	if (r == NULL)
		return -1;
	rc = send_request(r, method, target, HTTP_CLIENT_TOOL_AGENT, content_type, body,
	    body_len);
	if (rc == 0)
		rc = read_head(r, &h);
	if (rc == 0) {
		resp->status = h.status;
		xstrlcpy(resp->content_type, h.content_type, sizeof(resp->content_type));
		if (strcmp(method, "HEAD") != 0 && http_status_has_body(h.status))
			rc = read_body(r, &h, sink_buf, resp->body);
	}
	head_free(&h);
	reader_close(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* a download into a descriptor                                        */
/* ------------------------------------------------------------------ */

static int
sink_fd(const char *data, size_t len, void *arg, char *err, size_t errlen)
{
	if (compat_write_all(*(int *)arg, data, len) == 0)
		return 0;
	snprintf(err, errlen, "cannot write the body: %s", strerror(errno));
	return -1;
}

/* One GET; *location is set (malloc'ed) for a redirect. */
static int
get_once(const char *url, int fd, int64_t stall_ms, char **location, char *err, size_t errlen)
{
	struct http_client_url u;
	struct reader *r;
	struct head h;
	int rc;

	*location = NULL;
	if (http_client_url_parse(url, &u, err, errlen) == -1)
		return -1;
	memset(&h, 0, sizeof(h));
	r = reader_open(u.host, u.port, 0, stall_ms, err, errlen);
	if (r == NULL) {
		http_client_url_free(&u);
		return -1;
	}
	rc = send_request(r, "GET", u.target, HTTP_CLIENT_FETCH_AGENT, NULL, NULL, 0);
	if (rc == 0)
		rc = read_head(r, &h);
	if (rc == 0 && h.status >= HTTP_CLIENT_REDIRECT_MIN && h.status <= HTTP_CLIENT_REDIRECT_MAX &&
	    h.location != NULL) {
		*location = http_client_url_resolve(&u, h.location);
	} else if (rc == 0 && (h.status < HTTP_CLIENT_OK_MIN || h.status > HTTP_CLIENT_OK_MAX)) {
		snprintf(err, errlen, "HTTP %d %s from %.*s", h.status, h.reason, HTTP_CLIENT_PREVIEW,
		    url);
		rc = -1;
	} else if (rc == 0 && http_status_has_body(h.status)) {
		rc = read_body(r, &h, sink_fd, &fd);
	}
	head_free(&h);
	reader_close(r);
	http_client_url_free(&u);
	return rc;
}

int
http_client_get_file(const char *url, int fd, int64_t stall_ms, char *err, size_t errlen)
{
	char *cur = xstrdup(url);

	for (int hops = 0;; hops++) {
		char *location;

		if (get_once(cur, fd, stall_ms, &location, err, errlen) == -1)
			break;
		if (location == NULL) {
			free(cur);
			return 0;
		}
		if (hops >= HTTP_CLIENT_REDIRECTS_MAX) {
			snprintf(err, errlen, "more than %d redirects from %.*s",
			    HTTP_CLIENT_REDIRECTS_MAX, HTTP_CLIENT_PREVIEW, url);
			free(location);
			break;
		}
		if (!has_scheme(location, HTTP_CLIENT_SCHEME)) {
			snprintf(err, errlen, "redirect to an unsupported URL '%.*s'",
			    HTTP_CLIENT_PREVIEW, location);
			free(location);
			break;
		}
		free(cur);
		cur = location;
	}
	free(cur);
	return -1;
}
