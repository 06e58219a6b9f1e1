/*
 * conn.h: a buffered, non-blocking connection on the event loop.
 *
 * Input is delivered as lines (without the trailing '\n'; a '\r' before it
 * is kept) or, in raw mode, as byte chunks. Both directions are bounded:
 * a line longer than max_line, or more than max_out bytes of unsent output
 * (a peer that does not read), closes the connection with a reason instead
 * of growing our memory.
 *
 * Lifetime: conn_close() may be called from any callback, including the
 * conn's own; the struct is freed later, after the callback returns, and
 * on_close is called exactly once. Never touch a conn after its on_close.
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct conn;

struct conn_ops {
	/* One complete line (NUL-terminated, len excludes the NUL). May be NULL in raw mode. */
	void (*on_line)(struct conn *c, char *line, size_t len, void *arg);
	/* Raw mode: bytes as they arrive. */
	void (*on_data)(struct conn *c, const char *data, size_t len, void *arg);
	/* Outgoing connection established (conn_connect only). */
	void (*on_connect)(struct conn *c, void *arg);
	/* The connection is gone: reason is "eof", "line too long", "output buffer full", ... */
	void (*on_close)(struct conn *c, const char *reason, void *arg);
	/* Output queue drained (optional). */
	void (*on_drain)(struct conn *c, void *arg);
	/*
	 * Optional: the peer broke an input limit (a line too long). Called
	 * before the conn closes; anything the owner sends from here (an ERROR
	 * line) is flushed first, then the conn closes with the same reason.
	 */
	void (*on_error)(struct conn *c, const char *reason, void *arg);
};

/* Adopt a connected fd, made non-blocking here. The conn owns fd from now on. */
struct conn *conn_new(struct loop *loop, int fd, const struct conn_ops *ops, void *arg,
                      size_t max_line, size_t max_out);
/* The same for an fd known to be non-blocking already: no fcntl to find out. */
struct conn *conn_new_nonblocking(struct loop *loop, int fd, const struct conn_ops *ops, void *arg,
                                  size_t max_line, size_t max_out);
/*
 * Connect to host:port; on_connect or on_close("connect to H:P: reason")
 * follows. Returns NULL (err filled) only when the attempt cannot start.
 */
struct conn *conn_connect(struct loop *loop, const char *host, int port, int64_t timeout_ms,
                          const struct conn_ops *ops, void *arg, size_t max_line,
                          size_t max_out, char *err, size_t errlen);

/*
 * Process-wide, off by default: what conn_send queues goes out once a
 * loop turn, at its end (LOOP_TURN_END), in one write per connection
 * instead of one per message; sooner when CONN_COALESCE_BYTES are queued.
 * A conn closed before the turn ends still gets one try at its queue.
 * For daemons whose turns send many short messages to the same peers.
 */
#define CONN_COALESCE_BYTES 65536
void conn_coalesce_writes(int on);

/* Queue bytes. -1 (and the conn is closed, reason "output buffer full") over max_out. */
int conn_send(struct conn *c, const void *data, size_t len);
int conn_send_str(struct conn *c, const char *s);
/*
 * Queue bytes the peer needs within within_ms but not at once: they go
 * with the next conn_send (at its turn's end), or when within_ms have
 * passed, saving the peer a wakeup of their own. As conn_send when the
 * daemon does not coalesce writes.
 */
int conn_send_lazy(struct conn *c, const void *data, size_t len, int64_t within_ms);

/* Close now; on_close(reason) runs once, after the current callback. */
void conn_close(struct conn *c, const char *reason);
/* Stop reading, flush what is queued, then close (used after an ERROR reply). */
void conn_close_after_flush(struct conn *c, const char *reason);

/* Replace callbacks (e.g. when the first line shows an HTTP request). */
void conn_set_ops(struct conn *c, const struct conn_ops *ops, void *arg);
/* Switch between line mode (raw = 0) and raw mode; buffered input is redelivered. */
void conn_set_raw(struct conn *c, int raw);
/* Stop/resume reading (back-pressure). */
void conn_pause_reading(struct conn *c, int paused);

/*
 * Close with reason "idle timeout" if no input arrives for ms milliseconds
 * (0 disables). Used for handshakes and slow peers.
 */
void conn_set_idle_timeout(struct conn *c, int64_t ms);
/*
 * Close with reason in ms milliseconds whatever arrives meanwhile (0
 * cancels): a handshake's absolute deadline, which a peer trickling one
 * byte at a time cannot push back as it pushes back an idle timeout.
 */
void conn_set_deadline(struct conn *c, int64_t ms, const char *reason);
/*
 * fn(arg) runs once when the conn is freed, after on_close, whatever ops
 * it has by then (conn_set_ops does not drop it): for counting live
 * connections (conncap.h) across a hand-over to another owner.
 */
void conn_set_release(struct conn *c, void (*fn)(void *arg), void *arg);

void *conn_arg(struct conn *c);
int conn_fd(struct conn *c);
const char *conn_peer(struct conn *c);      /* "ip:port" or "" */
void conn_set_peer(struct conn *c, const char *peer);
size_t conn_out_pending(struct conn *c);
int conn_is_closing(struct conn *c);

/* Exponential backoff with jitter for reconnects. */
struct backoff {
	int64_t initial_ms;
	int64_t max_ms;
	int64_t current_ms;
};
void backoff_init(struct backoff *b, int64_t initial_ms, int64_t max_ms);
/* Next delay: a random value in [current/2, current], then current doubles up to max. */
int64_t backoff_next(struct backoff *b);
void backoff_reset(struct backoff *b);

#endif
