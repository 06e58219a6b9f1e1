/*
 * http_msg.h: HTTP/1.x message heads as bytes, for whoever reads them off
 * a connection of its own: the non-blocking client (http_async.h) and the
 * load balancer, which forwards heads it has read. A head is parsed whole
 * (request or status line, then the header lines up to the blank one)
 * into pointers into the caller's bytes, with what frames the body that
 * follows: Content-Length, chunked, or up to the close.
 */
#ifndef HTTP_MSG_H
#define HTTP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

enum http_msg_kind { HTTP_MSG_REQUEST, HTTP_MSG_RESPONSE };

/* How the body after a head ends. */
enum http_msg_body {
	HTTP_MSG_BODY_NONE,      /* no body (a request without one, HEAD, 1xx, 204, 304) */
	HTTP_MSG_BODY_LENGTH,    /* exactly length bytes */
	HTTP_MSG_BODY_CHUNKED,   /* chunked: http_client_chunked finds its end */
	HTTP_MSG_BODY_CLOSE      /* a response that ends when the connection does */
};

struct http_msg_header {
	const char *name;
	size_t name_len;
	const char *value;       /* without the whitespace around it */
	size_t value_len;
};

struct http_msg {
	enum http_msg_kind kind;
	const char *method;      /* requests */
	size_t method_len;
	const char *target;
	size_t target_len;
	int status;              /* responses */
	int minor;               /* HTTP/1.minor */
	size_t nheaders;
	struct http_msg_header headers[HTTP_HEADERS_MAX];
	enum http_msg_body body;
	uint64_t length;         /* HTTP_MSG_BODY_LENGTH */
	int keep_alive;          /* the sender's wish, from its version and Connection */
};

/*
 * Bytes of the head at the front of data, through its blank line ("\r\n"
 * or "\n" line ends), or 0 while it is not complete.
 */
size_t http_msg_head_end(const char *data, size_t len);

/*
 * Parse the head data[0, head_len) (as http_msg_head_end found it); m
 * points into data afterwards. A response's body framing assumes the
 * request was not HEAD (the caller knows). Returns 0, or the status to
 * answer the peer (400, 431, 501; 502 for a response) with err set.
 */
int http_msg_parse(struct http_msg *m, const char *data, size_t head_len, enum http_msg_kind kind,
                   char *err, size_t errlen);

/* The first header named name (case-insensitive), or NULL. */
const struct http_msg_header *http_msg_find(const struct http_msg *m, const char *name);
/* Is name (name_len bytes) equal to the NUL-terminated want, case-insensitively? */
int http_msg_name_is(const char *name, size_t name_len, const char *want);

/*
 * "HTTP/1.x SSS reason" without its line end: the status and minor
 * version; the reason phrase starts at *reason (may be empty). 0 or -1.
 */
int http_msg_parse_status_line(const char *line, size_t len, int *status, int *minor,
                               const char **reason);
#endif
