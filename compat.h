/*
 * compat.h: the only place where systems differ. configure probes each
 * feature and writes config.h (HAVE_ACCEPT4, HAVE_PIPE2, HAVE_SOCK_CLOEXEC,
 * HAVE_MSG_NOSIGNAL, HAVE_SO_NOSIGPIPE, HAVE_CLOCK_MONOTONIC, ...); these
 * functions hide the difference so no other file needs an #ifdef.
 */
#ifndef COMPAT_H
#define COMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

/* socket()/accept()/pipe() that return close-on-exec, non-blocking fds. */
int compat_socket(int domain, int type, int protocol);
int compat_accept(int lfd, struct sockaddr *sa, socklen_t *salen);
int compat_pipe(int fds[2]);               /* both ends non-blocking + cloexec */
int compat_socketpair(int fds[2]);         /* AF_UNIX SOCK_STREAM, cloexec, blocking */

/* send() that never raises SIGPIPE (MSG_NOSIGNAL or SO_NOSIGPIPE). */
ssize_t compat_send(int fd, const void *buf, size_t len);

/* Monotonic milliseconds (CLOCK_MONOTONIC, else gettimeofday). */
int64_t compat_monotonic_ms(void);
/* Wall clock seconds since the epoch, with fraction. */
double compat_wall_time(void);

/* Fill buf with random bytes (/dev/urandom, else a seeded PRNG). */
void compat_random_bytes(void *buf, size_t len);

/* Physical memory in bytes, 0 if unknown. */
uint64_t compat_physical_memory(void);
/* Number of online CPUs, at least 1. */
long compat_ncpus(void);

/* Close every descriptor >= lowfd (closefrom, /proc/self/fd or a loop). */
void compat_closefrom(int lowfd);

/* Directory of the running executable into buf ("" if unknown); 0 on success. */
int compat_self_dir(char *buf, size_t len);

#endif
