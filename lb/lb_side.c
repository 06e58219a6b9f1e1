/*
 * lb_side.c: owns one socket of a proxied connection. Bytes from the far
 * side are written at once; what the socket does not take is kept here
 * (allocated only then, freed when written), and its owner stops reading
 * the far side until it is gone: a slow reader holds at most
 * LB_PENDING_MAX bytes of our memory, an idle connection none.
 */
#include "lb/lb.h"
#include "compat.h"
#include "loop.h"
#include "xmem.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
lb_side_init(struct lb_side *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
}

size_t
lb_side_pending(const struct lb_side *s)
{
	return s->plen - s->poff;
}

static int
blocked(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static void
maybe_shut(struct lb_side *s)
{
	if (s->want_shut && !s->shut && lb_side_pending(s) == 0 && s->fd >= 0) {
		shutdown(s->fd, SHUT_WR);
		s->shut = 1;
	}
}

int
lb_side_flush(struct lb_side *s)
{
	while (s->poff < s->plen) {
		ssize_t n = compat_send(s->fd, s->pending + s->poff, s->plen - s->poff);

		if (n < 0) {
			if (blocked(errno))
				return 0;
			return -1;
		}
		s->poff += (size_t)n;
	}
	free(s->pending);
	s->pending = NULL;
	s->poff = s->plen = 0;
	maybe_shut(s);
	return 0;
}

int
lb_side_send(struct lb_side *s, const char *data, size_t len)
{
	size_t left;
	ssize_t n = 0;

	if (len == 0)
		return 0;
	if (lb_side_pending(s) == 0) {
		n = compat_send(s->fd, data, len);
		if (n < 0) {
			if (!blocked(errno))
				return -1;
			n = 0;
		}
		if ((size_t)n == len)
			return 0;
	}
	left = len - (size_t)n;
	if (left > LB_PENDING_MAX - lb_side_pending(s)) {
		errno = ENOBUFS;
		return -1;
	}
	/* Keep only what is unsent, at the front of a buffer just big enough. */
	if (s->poff > 0) {
		memmove(s->pending, s->pending + s->poff, s->plen - s->poff);
		s->plen -= s->poff;
		s->poff = 0;
	}
	s->pending = xrealloc(s->pending, s->plen + left);
	memcpy(s->pending + s->plen, data + n, left);
	s->plen += left;
	return 0;
}

ssize_t
lb_side_read(struct lb_side *s, char *buf, size_t cap)
{
	ssize_t n;

	do
		n = read(s->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		s->eof = 1;
	return n;
}

void
lb_side_shut_when_flushed(struct lb_side *s)
{
	s->want_shut = 1;
	maybe_shut(s);
}

void
lb_side_close(struct loop *loop, struct lb_side *s)
{
	if (s->fd >= 0) {
		loop_unwatch(loop, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	free(s->pending);
	s->pending = NULL;
	s->poff = s->plen = 0;
}
