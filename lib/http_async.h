/*
 * http_async.h: a GET on the event loop, for daemons (mesos-lb follows
 * Marathon with it); http_client.h is the blocking client for tools.
 * One request per connection (Connection: close). The response's status
 * comes first, then its body as it arrives (Content-Length, chunked or up
 * to the close), then the end: an event stream is simply a body that does
 * not end. The head is capped (HTTP_HEADER_BYTES_MAX); what the body may
 * grow to is the reader's to cap (it cancels).
 */
#ifndef HTTP_ASYNC_H
#define HTTP_ASYNC_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct http_async;

struct http_async_ops {
	/* The final head arrived (1xx heads are skipped). */
	void (*on_head)(struct http_async *a, int status, void *arg);
	/* Body bytes, chunked coding removed. */
	void (*on_body)(struct http_async *a, const char *data, size_t len, void *arg);
	/*
	 * The exchange is over: err NULL when the whole body arrived, else
	 * why not ("connect to H:P: Connection refused", "idle timeout",
	 * "connection closed before the response was complete"). Called
	 * once, never after http_async_cancel; a is freed after it returns.
	 */
	void (*on_done)(struct http_async *a, const char *err, void *arg);
};

/*
 * GET url (http://host[:port]/target) as user_agent. The connect must
 * succeed within connect_ms; then the response must go quiet for no
 * longer than idle_ms (0: it may, as an event stream does).
 * Returns NULL with err when the request cannot start (a bad URL).
 */
struct http_async *http_async_get(struct loop *loop, const char *url, const char *user_agent,
                                  int64_t connect_ms, int64_t idle_ms,
                                  const struct http_async_ops *ops, void *arg, char *err,
                                  size_t errlen);
/* Stop now; on_done is not called. Safe from any of a's callbacks. */
void http_async_cancel(struct http_async *a);

#endif
