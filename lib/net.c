/*
 * net.c: owns socket setup: resolving, listening, accepting, connecting,
 * and "host:port" parsing. Every descriptor it hands out is non-blocking
 * and close-on-exec; only net_connect_blocking returns a blocking one.
 */
#include "net.h"
#include "compat.h"
#include "loop.h"
#include "xmem.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Pending connections the kernel queues for us before accept(). */
#define NET_LISTEN_BACKLOG 4096
#define NET_PORT_MAX 65535
/* Long enough for any port number as text, with the NUL. */
#define NET_PORT_TEXT 8
#define NET_MS_PER_SECOND 1000
#define NET_US_PER_MS 1000
#define NET_DECIMAL_BASE 10
/* Room for a one-line reason (strerror text). */
#define NET_REASON_MAX 256
/* A host name (at most 255 bytes) in brackets, a colon and a port. */
#define NET_HOSTPORT_MAX 272

/* "host:port", bracketing IPv6 literals so the text parses back. */
static void
format_hostport(char *out, size_t outlen, const char *host, int port)
{
	if (strchr(host, ':') != NULL)
		snprintf(out, outlen, "[%s]:%d", host, port);
	else
		snprintf(out, outlen, "%s:%d", host, port);
}

/* what = "connect to": "connect to [::1]:5050: Connection refused" into err. */
static void
fail(char *err, size_t errlen, const char *what, const char *host, int port, const char *why)
{
	char hp[NET_HOSTPORT_MAX];

	if (err == NULL || errlen == 0)
		return;
	format_hostport(hp, sizeof(hp), host, port);
	snprintf(err, errlen, "%s %s: %s", what, hp, why);
}

/* Numeric addresses never touch DNS; only a name falls back to a lookup. */
static int
resolve(const char *host, int port, int passive, struct addrinfo **res)
{
	struct addrinfo hints;
	char portstr[NET_PORT_TEXT];
	int rc;

	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	rc = getaddrinfo(host, portstr, &hints, res);
	if (rc == EAI_NONAME) {
		hints.ai_flags &= ~AI_NUMERICHOST;
		rc = getaddrinfo(host, portstr, &hints, res);
	}
	return rc;
}

static int
port_ok(int port)
{
	return port >= 0 && port <= NET_PORT_MAX;
}

int
net_listen(const char *ip, int port, char *err, size_t errlen)
{
	struct addrinfo *res, *ai;
	const char *host = (ip == NULL || *ip == '\0') ? "0.0.0.0" : ip;
	int fd = -1, rc, saved = 0, on = 1;

	if (!port_ok(port)) {
		fail(err, errlen, "listen on", host, port, "port out of range");
		return -1;
	}
	rc = resolve(host, port, 1, &res);
	if (rc != 0) {
		fail(err, errlen, "listen on", host, port, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = compat_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		/* A restarted daemon must rebind while old connections sit in TIME_WAIT. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, NET_LISTEN_BACKLOG) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		fail(err, errlen, "listen on", host, port, strerror(saved));
	return fd;
}

static int
sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	return -1;
}

int
net_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	return sockaddr_port(&ss);
}

static void
format_peer(const struct sockaddr_storage *ss, socklen_t len, char *peer, size_t peerlen)
{
	char host[INET6_ADDRSTRLEN];

	if (peer == NULL || peerlen == 0)
		return;
	peer[0] = '\0';
	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		return;
	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), NULL, 0,
	                NI_NUMERICHOST) != 0)
		return;
	format_hostport(peer, peerlen, host, sockaddr_port(ss));
}

static void
set_nodelay(int fd)
{
	int on = 1;

	/* Fails harmlessly on non-TCP sockets. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

int
net_accept(int lfd, char *peer, size_t peerlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	for (;;) {
		len = sizeof(ss);
		fd = compat_accept(lfd, (struct sockaddr *)&ss, &len);
		if (fd >= 0)
			break;
		/* A client that gave up before we got to it is not our error. */
		if (errno != EINTR && errno != ECONNABORTED)
			return -1;
	}
	set_nodelay(fd);
	format_peer(&ss, len, peer, peerlen);
	return fd;
}

int
net_connect(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo *res, *ai;
	int fd = -1, rc, saved = 0;

	if (host == NULL || *host == '\0' || !port_ok(port)) {
		fail(err, errlen, "connect to", host ? host : "", port,
		        "bad address");
		return -1;
	}
	rc = resolve(host, port, 0, &res);
	if (rc != 0) {
		fail(err, errlen, "connect to", host, port, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = compat_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		set_nodelay(fd);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS ||
		    errno == EINTR)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		fail(err, errlen, "connect to", host, port, strerror(saved));
		errno = saved;    /* callers tell their own shortage (EMFILE) from the peer's */
	}
	return fd;
}

int
net_resolve_numeric(const char *host, char *out, size_t outlen)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, out, (socklen_t)outlen, NULL, 0,
	                 NI_NUMERICHOST);
	freeaddrinfo(res);
	return rc == 0 ? 0 : -1;
}

int
net_resolve(const char *host, char *out, size_t outlen, char *err, size_t errlen)
{
	struct addrinfo *res;
	int rc = resolve(host, 0, 0, &res);

	if (rc == 0) {
		rc = getnameinfo(res->ai_addr, res->ai_addrlen, out, (socklen_t)outlen, NULL, 0,
		                 NI_NUMERICHOST);
		freeaddrinfo(res);
	}
	if (rc != 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	return 0;
}

int
net_connect_result(int fd, char *err, size_t errlen)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr == 0)
		return 0;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", strerror(soerr));
	return -1;
}

/* State of a blocking connect driven by a private loop. */
struct wait_connect {
	int done;
	int timed_out;
};

static void
on_connect_ready(struct loop *loop, int fd, int events, void *arg)
{
	struct wait_connect *wc = arg;

	(void)loop;
	(void)fd;
	(void)events;
	wc->done = 1;
}

static void
on_connect_timeout(struct loop *loop, void *arg)
{
	struct wait_connect *wc = arg;

	(void)loop;
	wc->done = 1;
	wc->timed_out = 1;
}

static void
set_io_timeout(int fd, int timeout_ms)
{
	struct timeval tv;

	tv.tv_sec = timeout_ms / NET_MS_PER_SECOND;
	tv.tv_usec = (timeout_ms % NET_MS_PER_SECOND) * NET_US_PER_MS;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int
net_connect_blocking(const char *host, int port, int timeout_ms, char *err, size_t errlen)
{
	struct wait_connect wc = { 0, 0 };
	struct loop *loop;
	char why[NET_REASON_MAX];
	int fd;

	fd = net_connect(host, port, err, errlen);
	if (fd == -1)
		return -1;
	/* The wait goes through a private loop: poll() lives in loop.c alone. */
	loop = loop_new();
	loop_watch(loop, fd, LOOP_WRITE, on_connect_ready, &wc);
	if (timeout_ms > 0)
		loop_timer_add(loop, timeout_ms, on_connect_timeout, &wc);
	while (!wc.done)
		if (loop_run_once(loop, -1) == -1) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			loop_free(loop);
			close(fd);
			fail(err, errlen, "connect to", host, port, why);
			return -1;
		}
	loop_free(loop);
	if (wc.timed_out || net_connect_result(fd, why, sizeof(why)) == -1) {
		close(fd);
		fail(err, errlen, "connect to", host, port,
		        wc.timed_out ? "timed out" : why);
		return -1;
	}
	if (compat_set_nonblock(fd, 0) == -1) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		close(fd);
		fail(err, errlen, "connect to", host, port, why);
		return -1;
	}
	/* A blocking descriptor must still not hang a tool on a silent peer. */
	if (timeout_ms > 0)
		set_io_timeout(fd, timeout_ms);
	return fd;
}

static int
parse_port(const char *s, int *port)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * NET_DECIMAL_BASE + (*s - '0');
		if (v > NET_PORT_MAX)
			return -1;
	}
	*port = (int)v;
	return 0;
}

/*
 * A default_port below zero makes the port mandatory. A bare IPv6
 * literal ("::1") is taken as a host without a port.
 */
int
net_parse_hostport(const char *s, int default_port, char *host, size_t hostlen,
                   int *port, char *err, size_t errlen)
{
	const char *h, *p = NULL, *colon;
	size_t hlen;

	if (s == NULL || *s == '\0') {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "empty address");
		return -1;
	}
	if (*s == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "bad address \"%s\"", s);
			return -1;
		}
		h = s + 1;
		hlen = (size_t)(end - h);
		if (end[1] == ':')
			p = end + 2;
	} else {
		colon = strchr(s, ':');
		h = s;
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hlen = (size_t)(colon - s);
			p = colon + 1;
		} else {
			hlen = strlen(s);
		}
	}
	if (hlen >= hostlen) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "host name too long in \"%s\"", s);
		return -1;
	}
	if (p != NULL) {
		if (parse_port(p, port) == -1) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "bad port in \"%s\"", s);
			return -1;
		}
	} else if (default_port < 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "missing port in \"%s\"", s);
		return -1;
	} else {
		*port = default_port;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	return 0;
}
