/*
 * http_client.h: the project's one HTTP/1.1 client. Blocking, one request
 * per connection, for processes that may wait (mesosctl, mesos-fetcher,
 * the test tools), never a daemon's loop. Two ways in, one way of reading
 * a response (URL, status line, headers, Content-Length, chunked or until
 * close):
 *
 *   http_client_request    a reply into the caller's capped buf, within an
 *                          overall timeout (mesosctl's requests);
 *   http_client_get_file   a GET streamed to a descriptor, redirects
 *                          followed, any read or write that stalls failing
 *                          it (mesos-fetcher's downloads).
 */
#ifndef HTTP_CLIENT_H
#define HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define HTTP_CLIENT_HOST_MAX 256            /* bytes of a URL's host, NUL included */
#define HTTP_CLIENT_REDIRECTS_MAX 5         /* redirects http_client_get_file follows */
#define HTTP_CLIENT_LINE_MAX 8192           /* bytes of a status, header or chunk line */
#define HTTP_CLIENT_CONTENT_TYPE_MAX 128

/* An http:// URL taken apart. */
struct http_client_url {
	char host[HTTP_CLIENT_HOST_MAX];   /* an IPv6 address without its brackets */
	int port;                          /* 80 unless given */
	char *target;                      /* path and query, malloc'ed, "/" at least */
};
/* Parse http://host[:port][/path][?query][#fragment]. 0, or -1 with err. */
int http_client_url_parse(const char *url, struct http_client_url *u, char *err, size_t errlen);
void http_client_url_free(struct http_client_url *u);
/* A Location header against the URL it came from: absolute, or on the same host (malloc'ed). */
char *http_client_url_resolve(const struct http_client_url *base, const char *location);

/* Where a body's bytes go: 0, or -1 with the reason in err. */
typedef int (*http_client_sink_fn)(const char *data, size_t len, void *arg, char *err,
                                   size_t errlen);

/* Decoding a chunked body as it arrives, split anywhere. */
struct http_client_chunked {
	int state;
	uint64_t left;                     /* bytes of the current chunk still to come */
	char line[HTTP_CLIENT_LINE_MAX];   /* a size or trailer line being read */
	size_t line_len;
	size_t used;                       /* bytes of the last feed that were the body's */
};
void http_client_chunked_init(struct http_client_chunked *c);
/*
 * Feed bytes; the body's bytes go to sink (NULL: nowhere, for a reader
 * that only needs to know where the body ends). Returns 1 when the body is
 * complete (what follows it is ignored: c->used says where the body ended,
 * for a connection that carries another message after it), 0 when more is
 * needed, -1 with err on a malformed stream or when sink fails.
 */
int http_client_chunked_feed(struct http_client_chunked *c, const char *in, size_t len,
                             http_client_sink_fn sink, void *arg, char *err, size_t errlen);

/*
 * Append a request's line and headers to req: Host (its port left out when
 * it is 80, as browsers do), User-Agent, Accept, Connection: close, and
 * Content-Type and Content-Length when there is a body (body not NULL;
 * only its length is used). The loop's client (http_async.h) sends the same.
 */
void http_client_build_request(struct buf *req, const char *host, int port, const char *method,
                               const char *target, const char *user_agent,
                               const char *content_type, const char *body, size_t body_len);

/*
 * An Authorization header value every request of this process sends from
 * now on (NULL: none); copied. mesosctl's Basic credentials.
 */
void http_client_set_authorization(const char *value);

struct http_client_response {
	int status;
	struct buf *body;     /* caller-provided, capped by its max */
	char content_type[HTTP_CLIENT_CONTENT_TYPE_MAX];
};
/*
 * Send one request to host:port and read the whole response into
 * resp->body; the whole exchange, connect included, must end within
 * timeout_ms (0: no limit). Returns 0, or -1 with err ("connect to
 * 127.0.0.1:5050: Connection refused", "timeout after 5000 ms",
 * "response too large").
 */
int http_client_request(const char *host, int port, const char *method, const char *target,
                        const char *content_type, const char *body, size_t body_len,
                        int timeout_ms, struct http_client_response *resp, char *err,
                        size_t errlen);

/*
 * GET url into fd, following up to HTTP_CLIENT_REDIRECTS_MAX redirects
 * (to http:// URLs); any read or write that stalls for stall_ms (0: never)
 * fails it. 0, or -1 with err ("HTTP 404 Not Found from http://h/x",
 * "no data for 60000 ms (stall timeout)").
 */
int http_client_get_file(const char *url, int fd, int64_t stall_ms, char *err, size_t errlen);

#endif
