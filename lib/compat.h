/*
 * compat.h: the calls where systems differ, for every program (process
 * inspection is proc.h's). configure probes each feature and writes
 * config.h (HAVE_ACCEPT4, HAVE_PIPE2, HAVE_SOCK_CLOEXEC, HAVE_MSG_NOSIGNAL,
 * HAVE_SO_NOSIGPIPE, HAVE_CLOCK_MONOTONIC, ...); these functions hide the
 * difference so no other file needs an #ifdef.
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
int compat_socketpair_nonblock(int fds[2]); /* the same, both ends non-blocking */
/* Set close-on-exec on fd; turn O_NONBLOCK on or off. 0, or -1 with errno. */
int compat_set_cloexec(int fd);
int compat_set_nonblock(int fd, int on);

/* send() that never raises SIGPIPE (MSG_NOSIGNAL or SO_NOSIGPIPE). */
ssize_t compat_send(int fd, const void *buf, size_t len);
/* sendmsg() the same way. */
ssize_t compat_sendmsg(int fd, const struct msghdr *msg);
/* write() all of len to a blocking fd (files), retrying EINTR. 0, or -1 with errno. */
int compat_write_all(int fd, const void *buf, size_t len);
/* pwrite() all of len at offset, the same way. */
int compat_pwrite_all(int fd, const void *buf, size_t len, off_t offset);
/* fdatasync where there is one, else fsync. */
int compat_fdatasync(int fd);
/*
 * mkdir -p: path and its missing parents with mode. 0, or -1 with errno
 * and err ("cannot create directory '/a/f': not a directory").
 */
int compat_mkdirs(const char *path, mode_t mode, char *err, size_t errlen);
/*
 * openat2(dirfd, path, flags) with RESOLVE_BENEATH: path is resolved
 * entirely below dirfd, symlinks included ("..", an absolute link or one
 * leading out: -1 with EXDEV). Where the kernel or the system has no
 * openat2, -1 with ENOSYS: the caller walks the path itself.
 */
int compat_openat_beneath(int dirfd, const char *path, int flags);

/* Monotonic milliseconds (CLOCK_MONOTONIC, else gettimeofday). */
int64_t compat_monotonic_ms(void);
/* The same clock in microseconds. */
int64_t compat_monotonic_us(void);
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
/*
 * Run child(arg) in a new process; its pid, or -1 with errno. With vfork
 * when vfork_ok and when this system's compat_closefrom allocates nothing
 * (nothing of the parent is copied: a tenth of a task launch's CPU), else
 * with fork. child must end in exec or _exit and, under vfork, make only
 * system calls. All signals are blocked in it until it unblocks them, so
 * none of the parent's handlers ever runs in it.
 */
pid_t compat_fork_child(void (*child)(void *), void *arg, int vfork_ok);

/*
 * Directory of the running executable into buf (/proc/self/exe,
 * KERN_PROC_PATHNAME or _NSGetExecutablePath), else where configure's
 * --prefix installs the daemons (PREFIX/sbin), so an installed daemon finds
 * its helpers and plugins without flags; 0, or -1 and "" if neither fits.
 */
int compat_self_dir(char *buf, size_t len);

#endif
