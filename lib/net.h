/*
 * net.h: socket setup, like Redis's anet. Every descriptor returned is
 * non-blocking and close-on-exec. Errors are written into the caller's
 * buffer as one line; functions return -1.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>

/* Listen on ip:port (port 0 = ephemeral). ip NULL or "" = 0.0.0.0. */
int net_listen(const char *ip, int port, char *err, size_t errlen);
/* The port a socket is bound to, -1 on error. */
int net_local_port(int fd);
/* Accept one connection; peer gets "ip:port". -1 with errno EAGAIN when none. */
int net_accept(int lfd, char *peer, size_t peerlen);
/*
 * Start a non-blocking connect to host:port (host resolved with
 * getaddrinfo, numeric hosts without a lookup). Returns fd; completion is
 * signalled by writability, then call net_connect_result(). On -1, errno
 * is the last socket() or connect() error (EMFILE: out of descriptors).
 */
int net_connect(const char *host, int port, char *err, size_t errlen);
/*
 * host (a name or an address) as a numeric address in out: blocks on DNS
 * for a name, so daemons call it at start only. 0, or -1 with err.
 */
int net_resolve(const char *host, char *out, size_t outlen, char *err, size_t errlen);
/* host, when it is a numeric address, in out: never asks DNS. 0, or -1 for a name. */
int net_resolve_numeric(const char *host, char *out, size_t outlen);
/* 0 if the connect on fd succeeded, else -1 with the reason in err. */
int net_connect_result(int fd, char *err, size_t errlen);
/* Blocking connect with a timeout, for command-line tools; fd is left blocking. */
int net_connect_blocking(const char *host, int port, int timeout_ms, char *err, size_t errlen);

/*
 * Split "host:port" (or "[v6]:port", or "host" alone with default_port).
 * Returns 0, or -1 with a message in err.
 */
int net_parse_hostport(const char *s, int default_port, char *host, size_t hostlen,
                       int *port, char *err, size_t errlen);

#endif
