/*
 * conn.c: owns buffered connections on the loop: splitting input into
 * capped lines (or raw chunks), bounded output, deferred close so that no
 * callback up the stack sees freed memory, connect and idle timeouts, an
 * absolute deadline, a hook for whoever counts live connections, and the
 * reconnect backoff.
 */
#include "conn.h"
#include "buf.h"
#include "compat.h"
#include "loop.h"
#include "net.h"
#include "xmem.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes read per readable event; also the input slack beyond max_line. */
#define CONN_READ_CHUNK 16384
/* conn_close_after_flush gives a slow peer this long to take our output. */
#define CONN_FLUSH_TIMEOUT_MS 2000
/* Used when conn_new is given 0 for a limit: 0 must never mean "unbounded". */
#define CONN_DEFAULT_MAX_LINE 65536
#define CONN_DEFAULT_MAX_OUT (4 * 1024 * 1024)
/* Room for a one-line reason formatted here (strerror text, a limit). */
#define CONN_REASON_MAX 256

struct conn {
	struct loop *loop;
	const struct conn_ops *ops;
	void *arg;
	struct buf in;
	struct buf out;
	size_t in_off;        /* delivered bytes at the front of in, dropped after a pass */
	size_t in_scan;       /* bytes after in_off already known to hold no '\n' */
	size_t max_line;
	char *peer;
	char *target;         /* conn_connect's "host:port", for its error messages */
	char *reason;         /* why we closed; handed to on_close */
	char *flush_reason;
	char *deadline_reason;
	void (*release)(void *);  /* conn_set_release: told once, when the conn is freed */
	void *release_arg;
	int64_t idle_ms;
	int64_t last_input;
	uint64_t idle_timer;
	uint64_t deadline_timer;
	uint64_t connect_timer;
	uint64_t flush_timer;
	uint64_t kick_timer;
	uint64_t turn_timer;  /* coalescing: out goes at the end of this turn */
	uint64_t lazy_timer;  /* conn_send_lazy: out goes then, or with the next conn_send */
	int fd;
	int connecting;
	int closing;
	int flushing;
	int raw;
	int paused;
	int eof;
	int delivering;
};

static const struct conn_ops no_ops;
/* conn_coalesce_writes: a daemon's choice, for all its conns. */
static int coalescing;

void
conn_coalesce_writes(int on)
{
	coalescing = on != 0;
}

static void
cancel_timer(struct conn *c, uint64_t *id)
{
	loop_timer_cancel(c->loop, *id);
	*id = 0;
}

static int
reading_enabled(const struct conn *c)
{
	return !c->closing && !c->connecting && !c->paused && !c->eof && !c->flushing;
}

static void
update_events(struct conn *c)
{
	int ev = 0;

	if (c->closing)
		return;
	if (c->connecting) {
		ev = LOOP_WRITE;
	} else {
		if (reading_enabled(c))
			ev |= LOOP_READ;
		/* While the turn's (or a lazy) flush is due, poll() need not say the socket is writable. */
		if (c->out.len > 0 && c->turn_timer == 0 && c->lazy_timer == 0)
			ev |= LOOP_WRITE;
	}
	loop_set_events(c->loop, c->fd, ev);
}

static void
finish(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	if (c->ops->on_close != NULL)
		c->ops->on_close(c, c->reason, c->arg);
	if (c->release != NULL)
		c->release(c->release_arg);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->peer);
	free(c->target);
	free(c->reason);
	free(c->flush_reason);
	free(c->deadline_reason);
	free(c);
}

void
conn_close(struct conn *c, const char *reason)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->reason = xstrdup(reason != NULL ? reason : "closed");
	cancel_timer(c, &c->idle_timer);
	cancel_timer(c, &c->deadline_timer);
	cancel_timer(c, &c->connect_timer);
	cancel_timer(c, &c->flush_timer);
	cancel_timer(c, &c->kick_timer);
	if ((c->turn_timer != 0 || c->lazy_timer != 0) && c->fd >= 0) {
		/* Held for the end of the turn: without coalescing it would have been tried at once. */
		while (c->out.len > 0) {
			ssize_t n = compat_send(c->fd, c->out.data, c->out.len);
			if (n <= 0)
				break;
			buf_consume(&c->out, (size_t)n);
		}
	}
	cancel_timer(c, &c->turn_timer);
	cancel_timer(c, &c->lazy_timer);
	if (c->fd >= 0) {
		loop_unwatch(c->loop, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	/* Freed from the loop, after every callback that may hold c has returned. */
	loop_timer_add(c->loop, 0, finish, c);
}

static void
on_flush_timeout(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	c->flush_timer = 0;
	conn_close(c, c->flush_reason);
}

void
conn_close_after_flush(struct conn *c, const char *reason)
{
	if (c->closing || c->flushing)
		return;
	if (c->out.len == 0) {
		conn_close(c, reason);
		return;
	}
	c->flushing = 1;
	c->flush_reason = xstrdup(reason != NULL ? reason : "closed");
	cancel_timer(c, &c->lazy_timer);   /* closing: nothing else will come to take it along */
	/* The flush deadline replaces the idle one: we no longer read anyway. */
	cancel_timer(c, &c->idle_timer);
	cancel_timer(c, &c->kick_timer);
	c->flush_timer = loop_timer_add(c->loop, CONN_FLUSH_TIMEOUT_MS, on_flush_timeout, c);
	update_events(c);
}

static void
write_failed(struct conn *c, int err)
{
	if (c->flushing)
		conn_close(c, c->flush_reason);
	else
		conn_close(c, strerror(err));
}

/*
 * An emptied buffer of at most CONN_KEEP_BYTES goes back to malloc: 10,000
 * idle agents held 12 MB of them after a failover, each on pages of its
 * own, while freed ones serve the next connection. A busy peer's larger
 * buffer is kept for its next turn.
 */
#define CONN_KEEP_BYTES 4096

static void
release_if_small(struct buf *b)
{
	if (b->cap <= CONN_KEEP_BYTES)
		buf_free(b);
}

static int
would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static void
do_write(struct conn *c)
{
	ssize_t n;

	while (c->out.len > 0) {
		n = compat_send(c->fd, c->out.data, c->out.len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (would_block(errno))
				break;
			write_failed(c, errno);
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
	update_events(c);
	if (c->out.len > 0)
		return;
	release_if_small(&c->out);
	if (c->flushing) {
		conn_close(c, c->flush_reason);
		return;
	}
	if (c->ops->on_drain != NULL)
		c->ops->on_drain(c, c->arg);
}

static void
on_turn_end(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	c->turn_timer = 0;
	if (!c->closing)
		do_write(c);
}

static void
on_lazy_end(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	c->lazy_timer = 0;
	if (!c->closing && c->turn_timer == 0)
		do_write(c);
}

int
conn_send_lazy(struct conn *c, const void *data, size_t len, int64_t within_ms)
{
	/* Going out this turn anyway, or already behind a backlog: as conn_send. */
	if (!coalescing || c->closing || c->connecting || c->turn_timer != 0 ||
	    (c->out.len > 0 && c->lazy_timer == 0))
		return conn_send(c, data, len);
	if (buf_append(&c->out, data, len) == -1) {
		conn_close(c, "output buffer full (peer not reading)");
		return -1;
	}
	if (c->lazy_timer == 0 && (c->lazy_timer = loop_timer_add(c->loop, within_ms, on_lazy_end, c)) == 0)
		update_events(c);   /* no timer to be had: poll() says when to write */
	return 0;
}

int
conn_send(struct conn *c, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	if (c->closing)
		return -1;
	if (len == 0)
		return 0;
	/* What waited lazily goes with this, at the turn's end. */
	if (c->lazy_timer != 0 && c->turn_timer == 0) {
		cancel_timer(c, &c->lazy_timer);
		c->turn_timer = loop_timer_add(c->loop, LOOP_TURN_END, on_turn_end, c);
		if (c->turn_timer == 0)
			update_events(c);
	}
	/* Coalescing: held for the turn's end (a backlog already queued waits for poll()). */
	if (coalescing && !c->connecting && (c->out.len == 0 || c->turn_timer != 0)) {
		if (buf_append(&c->out, p, len) == -1) {
			conn_close(c, "output buffer full (peer not reading)");
			return -1;
		}
		if (c->turn_timer == 0) {
			c->turn_timer = loop_timer_add(c->loop, LOOP_TURN_END, on_turn_end, c);
			if (c->turn_timer == 0)
				update_events(c);   /* no timer to be had: poll() says when to write */
		} else if (c->out.len >= CONN_COALESCE_BYTES) {
			cancel_timer(c, &c->turn_timer);
			do_write(c);
		}
		return 0;
	}
	/* Nothing queued: try the socket first, most replies never touch the buffer. */
	if (!c->connecting && c->out.len == 0) {
		n = compat_send(c->fd, p, len);
		if (n < 0) {
			if (!would_block(errno)) {
				write_failed(c, errno);
				return -1;
			}
			n = 0;
		}
		p += n;
		len -= (size_t)n;
		if (len == 0)
			return 0;
	}
	if (buf_append(&c->out, p, len) == -1) {
		conn_close(c, "output buffer full (peer not reading)");
		return -1;
	}
	update_events(c);
	return 0;
}

int
conn_send_str(struct conn *c, const char *s)
{
	return conn_send(c, s, strlen(s));
}

static void
close_line_too_long(struct conn *c)
{
	char why[CONN_REASON_MAX];

	snprintf(why, sizeof(why), "line too long (limit %zu bytes)", c->max_line);
	if (c->ops->on_error == NULL) {
		conn_close(c, why);
		return;
	}
	/* The owner may answer (an ERROR line); that answer goes out before we close. */
	c->ops->on_error(c, why, c->arg);
	conn_close_after_flush(c, why);
}

/* Input has ended: what we owe the peer still goes out (a half-closed client waits for it). */
static void
end_of_input(struct conn *c)
{
	if (c->out.len > 0)
		conn_close_after_flush(c, "eof");
	else
		conn_close(c, "eof");
}

/*
 * Hand buffered input to the callbacks. Each callback may close, pause,
 * switch mode or replace the ops, so every condition is re-read before the
 * next line; the buffer itself cannot move meanwhile because only the
 * read path appends to it.
 */
static void
deliver(struct conn *c)
{
	if (c->delivering)
		return;
	c->delivering = 1;
	while (!c->closing && !c->flushing && !c->paused && c->in_off < c->in.len) {
		char *start = c->in.data + c->in_off;
		size_t avail = c->in.len - c->in_off;
		char *nl;
		size_t len;

		if (c->raw) {
			c->in_off += avail;
			c->in_scan = 0;
			if (c->ops->on_data != NULL)
				c->ops->on_data(c, start, avail, c->arg);
			continue;
		}
		nl = memchr(start + c->in_scan, '\n', avail - c->in_scan);
		if (nl == NULL) {
			c->in_scan = avail;
			if (avail > c->max_line)
				close_line_too_long(c);
			break;
		}
		len = (size_t)(nl - start);
		if (len > c->max_line) {
			close_line_too_long(c);
			break;
		}
		*nl = '\0';
		c->in_off += len + 1;
		c->in_scan = 0;
		if (c->ops->on_line != NULL)
			c->ops->on_line(c, start, len, c->arg);
	}
	c->delivering = 0;
	if (c->closing || c->flushing)
		return;
	if (c->in_off > 0) {
		buf_consume(&c->in, c->in_off);
		c->in_off = 0;
		if (c->in.len == 0)
			release_if_small(&c->in);
	}
	/* A final line without '\n' is dropped: the peer never finished it. */
	if (c->eof && !c->paused)
		end_of_input(c);
}

static void
on_kick(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	c->kick_timer = 0;
	deliver(c);
}

/*
 * Buffered input waits for a fresh loop iteration rather than being
 * delivered inside the caller's stack (which may be another conn's
 * callback). During a delivery pass the pass itself picks the change up.
 */
static void
schedule_kick(struct conn *c)
{
	if (c->closing || c->flushing || c->paused || c->delivering || c->kick_timer != 0)
		return;
	if (c->in_off < c->in.len || c->eof)
		c->kick_timer = loop_timer_add(c->loop, 0, on_kick, c);
}

static void
do_read(struct conn *c)
{
	char chunk[CONN_READ_CHUNK];
	size_t room = c->in.max - c->in.len;
	ssize_t n;

	if (room == 0) {
		/* Unreachable while delivery keeps up; closing beats a busy loop. */
		close_line_too_long(c);
		return;
	}
	if (room > sizeof(chunk))
		room = sizeof(chunk);
	n = read(c->fd, chunk, room);
	if (n < 0) {
		if (!would_block(errno))
			conn_close(c, strerror(errno));
		return;
	}
	if (n == 0) {
		c->eof = 1;
		update_events(c);
	} else {
		c->last_input = loop_now(c->loop);
		if (buf_append(&c->in, chunk, (size_t)n) == -1) {
			close_line_too_long(c);
			return;
		}
	}
	deliver(c);
}

static void
connect_failed(struct conn *c, const char *why)
{
	char *reason = xstrfmt("connect to %s: %s", c->target, why);

	conn_close(c, reason);
	free(reason);
}

static void
finish_connect(struct conn *c)
{
	char why[CONN_REASON_MAX];

	if (net_connect_result(c->fd, why, sizeof(why)) == -1) {
		connect_failed(c, why);
		return;
	}
	c->connecting = 0;
	cancel_timer(c, &c->connect_timer);
	update_events(c);
	if (c->ops->on_connect != NULL)
		c->ops->on_connect(c, c->arg);
}

static void
on_io(struct loop *loop, int fd, int events, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	(void)fd;
	if (c->connecting) {
		finish_connect(c);
		return;
	}
	/* LOOP_ERROR goes to read or write, whose own error then names the cause. */
	if ((events & (LOOP_READ | LOOP_ERROR)) && reading_enabled(c))
		do_read(c);
	if (!c->closing && (events & (LOOP_WRITE | LOOP_ERROR)) && c->out.len > 0)
		do_write(c);
}

struct conn *
conn_new(struct loop *loop, int fd, const struct conn_ops *ops, void *arg,
         size_t max_line, size_t max_out)
{
	/* The daemon must never block on a peer, whatever the caller handed us. */
	if (fd >= 0)
		compat_set_nonblock(fd, 1);
	return conn_new_nonblocking(loop, fd, ops, arg, max_line, max_out);
}

struct conn *
conn_new_nonblocking(struct loop *loop, int fd, const struct conn_ops *ops, void *arg,
                     size_t max_line, size_t max_out)
{
	struct conn *c;

	if (fd < 0)
		return NULL;
	if (max_line == 0)
		max_line = CONN_DEFAULT_MAX_LINE;
	if (max_line > SIZE_MAX / 2)
		max_line = SIZE_MAX / 2;
	if (max_out == 0)
		max_out = CONN_DEFAULT_MAX_OUT;
	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->ops = ops != NULL ? ops : &no_ops;
	c->arg = arg;
	c->fd = fd;
	c->max_line = max_line;
	buf_init(&c->in, max_line + CONN_READ_CHUNK);
	buf_init(&c->out, max_out);
	c->peer = xstrdup("");
	c->last_input = loop_now(loop);
	if (loop_watch(loop, fd, LOOP_READ, on_io, c) == -1) {
		buf_free(&c->in);
		buf_free(&c->out);
		free(c->peer);
		free(c);
		return NULL;
	}
	return c;
}

static void
on_connect_timeout(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	c->connect_timer = 0;
	connect_failed(c, "timed out");
}

struct conn *
conn_connect(struct loop *loop, const char *host, int port, int64_t timeout_ms,
             const struct conn_ops *ops, void *arg, size_t max_line,
             size_t max_out, char *err, size_t errlen)
{
	struct conn *c;
	int fd;

	fd = net_connect(host, port, err, errlen);
	if (fd == -1)
		return NULL;
	c = conn_new(loop, fd, ops, arg, max_line, max_out);
	if (c == NULL) {
		close(fd);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "connect to %s:%d: cannot watch socket", host, port);
		return NULL;
	}
	c->connecting = 1;
	c->target = strchr(host, ':') != NULL ? xstrfmt("[%s]:%d", host, port)
	                                      : xstrfmt("%s:%d", host, port);
	conn_set_peer(c, c->target);
	update_events(c);
	if (timeout_ms > 0)
		c->connect_timer = loop_timer_add(loop, timeout_ms, on_connect_timeout, c);
	return c;
}

void
conn_set_ops(struct conn *c, const struct conn_ops *ops, void *arg)
{
	c->ops = ops != NULL ? ops : &no_ops;
	c->arg = arg;
	schedule_kick(c);
}

void
conn_set_raw(struct conn *c, int raw)
{
	c->raw = raw != 0;
	c->in_scan = 0;
	schedule_kick(c);
}

void
conn_pause_reading(struct conn *c, int paused)
{
	if (c->closing)
		return;
	c->paused = paused != 0;
	update_events(c);
	if (!c->paused)
		schedule_kick(c);
}

static void
on_idle(struct loop *loop, void *arg)
{
	struct conn *c = arg;
	int64_t elapsed = loop_now(loop) - c->last_input;

	c->idle_timer = 0;
	/* While we hold reading back the silence is ours, not the peer's. */
	if (c->paused) {
		c->last_input = loop_now(loop);
		elapsed = 0;
	}
	if (elapsed >= c->idle_ms) {
		conn_close(c, "idle timeout");
		return;
	}
	/* Input arrived meanwhile: one timer per idle period, not one per read. */
	c->idle_timer = loop_timer_add(loop, c->idle_ms - elapsed, on_idle, c);
}

void
conn_set_idle_timeout(struct conn *c, int64_t ms)
{
	if (c->closing)
		return;
	cancel_timer(c, &c->idle_timer);
	c->idle_ms = ms > 0 ? ms : 0;
	if (c->idle_ms == 0 || c->flushing)
		return;
	c->last_input = loop_now(c->loop);
	c->idle_timer = loop_timer_add(c->loop, c->idle_ms, on_idle, c);
}

static void
on_deadline(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	c->deadline_timer = 0;
	conn_close(c, c->deadline_reason);
}

void
conn_set_deadline(struct conn *c, int64_t ms, const char *reason)
{
	if (c->closing)
		return;
	cancel_timer(c, &c->deadline_timer);
	free(c->deadline_reason);
	c->deadline_reason = NULL;
	if (ms <= 0)
		return;
	c->deadline_reason = xstrdup(reason != NULL ? reason : "deadline passed");
	c->deadline_timer = loop_timer_add(c->loop, ms, on_deadline, c);
}

void
conn_set_release(struct conn *c, void (*fn)(void *arg), void *arg)
{
	c->release = fn;
	c->release_arg = arg;
}

void *
conn_arg(struct conn *c)
{
	return c->arg;
}

int
conn_fd(struct conn *c)
{
	return c->fd;
}

const char *
conn_peer(struct conn *c)
{
	return c->peer;
}

void
conn_set_peer(struct conn *c, const char *peer)
{
	free(c->peer);
	c->peer = xstrdup(peer != NULL ? peer : "");
}

size_t
conn_out_pending(struct conn *c)
{
	return c->out.len;
}

int
conn_is_closing(struct conn *c)
{
	return c->closing || c->flushing;
}

void
backoff_init(struct backoff *b, int64_t initial_ms, int64_t max_ms)
{
	if (initial_ms < 1)
		initial_ms = 1;
	if (max_ms < initial_ms)
		max_ms = initial_ms;
	b->initial_ms = initial_ms;
	b->max_ms = max_ms;
	b->current_ms = initial_ms;
}

int64_t
backoff_next(struct backoff *b)
{
	int64_t cur = b->current_ms;
	int64_t lo = cur / 2;
	uint64_t r;

	if (cur <= 0)
		return 0;
	compat_random_bytes(&r, sizeof(r));
	/* Jitter keeps a crowd of agents from reconnecting in lockstep. */
	cur = lo + (int64_t)(r % (uint64_t)(cur - lo + 1));
	b->current_ms = b->current_ms > b->max_ms / 2 ? b->max_ms : b->current_ms * 2;
	return cur;
}

void
backoff_reset(struct backoff *b)
{
	b->current_ms = b->initial_ms;
}
