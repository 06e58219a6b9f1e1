/*
 * http.h: the project's HTTP/1.1 server, small and bounded, and what it
 * shares with the one client (http_client.h).
 *
 * The server runs on a struct conn. Either a listener of its own
 * (http_server_listen) or a conn adopted after its first line turned out to
 * be a request line (the master serves HTTP and the wire protocol on one
 * port). Request line, headers (count and size capped) and body
 * (Content-Length or chunked, capped; other transfer codings are refused
 * with 501)
 * are parsed, then the handler runs. Keep-alive is supported. A handler
 * replies at once or later (keeping the exchange), or starts a stream
 * (Server-Sent Events).
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct conn;
struct buf;

#define HTTP_HEADER_BYTES_MAX  16384        /* a request's or a response's head */
#define HTTP_HEADERS_MAX       64
#define HTTP_BODY_MAX          (4u << 20)   /* request bodies */
#define HTTP_REQUEST_TIMEOUT_MS 30000       /* a request must arrive whole within this */

struct http_exchange;
typedef void (*http_handler_fn)(struct http_exchange *x, void *arg);
/* Called if the connection goes away while a handler still holds x. */
typedef void (*http_abort_fn)(struct http_exchange *x, void *arg);

/* 1 if line looks like "METHOD /target HTTP/1.x". */
int http_is_request_line(const char *line);
/*
 * "METHOD /target HTTP/1.x" without its line end: the method's length,
 * where the target starts and ends, and the minor version. 0 or -1.
 */
int http_parse_request_line(const char *line, size_t len, size_t *mlen, size_t *tstart,
                            size_t *tend, int *minor);
/*
 * "Name: value" without its line end: a token name, then a value without
 * control bytes; its surrounding blanks are left out of [*vstart, *vend).
 * 0, or -1 with *why ("bad header line", ...).
 */
int http_split_header(const char *line, size_t len, size_t *name_len, size_t *vstart,
                      size_t *vend, const char **why);
/* Take over c, whose first line (already read) is `line`. */
void http_adopt(struct conn *c, const char *line, http_handler_fn fn, void *arg);
/* Listen on ip:port and serve every connection with fn; returns listening fd or -1. */
int http_server_listen(struct loop *loop, const char *ip, int port, http_handler_fn fn, void *arg,
                       char *err, size_t errlen);
/*
 * Caps on the connections the server on lfd holds at once, in all and from
 * one address (0 = none; defaults 4096 and 1024): one more is answered 503
 * with the reason and closed.
 */
void http_server_set_caps(struct loop *loop, int lfd, long max_total, long max_per_address);
void http_server_close(struct loop *loop, int lfd);

const char *http_method(const struct http_exchange *x);
const char *http_path(const struct http_exchange *x);     /* decoded path, no query */
const char *http_query(const struct http_exchange *x);    /* raw query string, "" if none */
/* Decoded query parameter into buf; returns 1 if present, 0 if not. */
int http_query_param(const struct http_exchange *x, const char *name, char *buf, size_t len);
/* 1 if one of the query's name parameters (a name may repeat: ?embed=a&embed=b) is value. */
int http_query_has(const struct http_exchange *x, const char *name, const char *value);
const char *http_header(const struct http_exchange *x, const char *name); /* case-insensitive */
const char *http_body(const struct http_exchange *x, size_t *len);
const char *http_peer(const struct http_exchange *x);

/* Complete reply. Adds Content-Length, Connection; the exchange is done after. */
void http_reply(struct http_exchange *x, int status, const char *content_type,
                const char *body, size_t len);
void http_reply_json(struct http_exchange *x, int status, const struct buf *json);
/* {"message": msg} with status. */
void http_reply_error(struct http_exchange *x, int status, const char *msg);
/* Add a response header for the next reply (e.g. "Location"). */
void http_add_header(struct http_exchange *x, const char *name, const char *value);

/* Keep x after the handler returns to reply later; abort runs if the peer leaves first. */
void http_defer(struct http_exchange *x, http_abort_fn abort_fn, void *arg);

/* Streaming (SSE): headers now, then chunks until http_stream_end or peer close (abort). */
void http_stream_begin(struct http_exchange *x, int status, const char *content_type);
int http_stream_write(struct http_exchange *x, const char *data, size_t len); /* -1 if gone/full */
void http_stream_end(struct http_exchange *x);

/* For tests: replace HTTP_REQUEST_TIMEOUT_MS (ms <= 0 restores it). */
void http_set_request_timeout_ms(int64_t ms);

/* ---- shared by the server and the client ---- */

/* "OK", "Not Found", ...; "Unknown" for a status without one here. */
const char *http_status_text(int status);
/* Percent-decode src into dst (dst may equal src); '+' -> ' ' when form != 0. -1 on bad escape. */
int http_url_decode(char *dst, const char *src, size_t srclen, int form);
/* Percent-encode a path segment or query value. */
void http_url_encode(struct buf *out, const char *s);

/* Header names and tokens compare case-insensitively. */
int http_name_eq(const char *a, const char *b);
/* Does the comma-separated header value list hold token tok (case-insensitive)? */
int http_list_has(const char *list, const char *tok);
/* A Content-Length value: decimal digits only, no overflow. 0, or -1. */
int http_parse_length(const char *s, size_t *out);
/* The value of hex digit c, or -1. */
int http_hex_value(int c);
/* 0 for the statuses that never carry a body (1xx, 204, 304). */
int http_status_has_body(int status);

#endif
