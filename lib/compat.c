/*
 * compat.c: owns the shims: every difference between the systems we run on
 * in the calls any program makes (descriptors with their flags, sends
 * without SIGPIPE, whole writes and syncs, mkdir -p, clocks, random bytes,
 * memory and CPU counts, closefrom, forking a child, our own directory).
 * configure probes each feature into config.h; this file picks the native
 * call when the probe found it and a portable fallback otherwise. What
 * inspects or shapes processes is proc.c's. The two are the only files that
 * widen the feature-test macros (native.h), because the native calls
 * (accept4, pipe2, closefrom, arc4random_buf, ...) live outside strict
 * POSIX on every libc.
 */
#include "native.h"   /* first: it widens what the system headers declare */

#include "config.h"
#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_KERN_PROC_PATHNAME
#include <sys/sysctl.h>
#endif
#ifdef HAVE_NSGETEXECUTABLEPATH
#include <mach-o/dyld.h>
#endif
#ifdef HAVE_OPENAT2
#include <sys/syscall.h>
#include <linux/openat2.h>
#endif

#define COMPAT_US_PER_MS 1000
#define COMPAT_NS_PER_US 1000
#define COMPAT_US_PER_SECOND_INT INT64_C(1000000)
#define COMPAT_US_PER_SECOND 1e6
#define COMPAT_NS_PER_SECOND 1e9
#define COMPAT_DECIMAL_BASE 10
/* Used only when sysconf cannot tell us the descriptor limit. */
#define COMPAT_FALLBACK_OPEN_MAX 1024
#define COMPAT_CHILD_FAILED_STATUS 127   /* a child function that returned: as the shell's "cannot run" */

/*
 * The fcntl fallbacks for systems without the atomic flag variants; also
 * every other file's way to change the two flags on a descriptor it has.
 */
int
compat_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl == -1 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

int
compat_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	/* Sockets from accept4() come non-blocking already: one system call, not two. */
	if (!(fl & O_NONBLOCK) == !on)
		return 0;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl) == -1 ? -1 : 0;
}

static void
close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

/* Without MSG_NOSIGNAL the socket itself must be told not to raise SIGPIPE. */
static void
set_nosigpipe(int fd)
{
#if !defined(HAVE_MSG_NOSIGNAL) && defined(HAVE_SO_NOSIGPIPE)
	int on = 1;

	setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on));
#else
	(void)fd;
#endif
}

/*
 * The atomic variants are tried first; EINVAL/ENOSYS means a kernel older than
 * the headers we were built with, so the fcntl path still runs there.
 */
#define KERNEL_LACKS_FLAGS() (errno == EINVAL || errno == ENOSYS)

static int
finish_fd(int fd, int nonblock)
{
	if (compat_set_cloexec(fd) == -1 || (nonblock && compat_set_nonblock(fd, 1) == -1)) {
		close_keep_errno(fd);
		return -1;
	}
	set_nosigpipe(fd);
	return fd;
}

int
compat_socket(int domain, int type, int protocol)
{
	int fd;

#ifdef HAVE_SOCK_CLOEXEC
	fd = socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
	if (fd != -1) {
		set_nosigpipe(fd);
		return fd;
	}
	if (!KERNEL_LACKS_FLAGS())
		return -1;
#endif
	fd = socket(domain, type, protocol);
	if (fd == -1)
		return -1;
	return finish_fd(fd, 1);
}

int
compat_accept(int lfd, struct sockaddr *sa, socklen_t *salen)
{
	int fd;

#ifdef HAVE_ACCEPT4
	fd = accept4(lfd, sa, salen, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd != -1) {
		set_nosigpipe(fd);
		return fd;
	}
	if (!KERNEL_LACKS_FLAGS())
		return -1;
#endif
	/* A fork/exec between accept and fcntl could leak fd; daemons do not exec then. */
	fd = accept(lfd, sa, salen);
	if (fd == -1)
		return -1;
	return finish_fd(fd, 1);
}

static int
finish_pair(int fds[2], int nonblock)
{
	if (finish_fd(fds[0], nonblock) == -1) {
		close_keep_errno(fds[1]);
		return -1;
	}
	if (finish_fd(fds[1], nonblock) == -1) {
		close_keep_errno(fds[0]);
		return -1;
	}
	return 0;
}

int
compat_pipe(int fds[2])
{
#ifdef HAVE_PIPE2
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0)
		return 0;
	if (!KERNEL_LACKS_FLAGS())
		return -1;
#endif
	if (pipe(fds) == -1)
		return -1;
	return finish_pair(fds, 1);
}

/*
 * A stream socketpair, close-on-exec, and non-blocking too when nonblock:
 * one system call where the flags exist, not five (then two fcntl per end).
 */
static int
socketpair_with(int fds[2], int nonblock)
{
#ifdef HAVE_SOCK_CLOEXEC
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0, fds) == 0) {
		set_nosigpipe(fds[0]);
		set_nosigpipe(fds[1]);
		return 0;
	}
	if (!KERNEL_LACKS_FLAGS())
		return -1;
#endif
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == -1)
		return -1;
	return finish_pair(fds, nonblock);
}

int
compat_socketpair(int fds[2])
{
	return socketpair_with(fds, 0);
}

int
compat_socketpair_nonblock(int fds[2])
{
	return socketpair_with(fds, 1);
}

ssize_t
compat_send(int fd, const void *buf, size_t len)
{
#ifdef HAVE_MSG_NOSIGNAL
	return send(fd, buf, len, MSG_NOSIGNAL);
#else
	/* SO_NOSIGPIPE was set when the socket was made (compat_socket/accept). */
	return send(fd, buf, len, 0);
#endif
}

ssize_t
compat_sendmsg(int fd, const struct msghdr *msg)
{
#ifdef HAVE_MSG_NOSIGNAL
	return sendmsg(fd, msg, MSG_NOSIGNAL);
#else
	/* As compat_send: SO_NOSIGPIPE on the socket, or SIGPIPE ignored. */
	return sendmsg(fd, msg, 0);
#endif
}

int
compat_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
compat_pwrite_all(int fd, const void *buf, size_t len, off_t offset)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		offset += n;
	}
	return 0;
}

int
compat_fdatasync(int fd)
{
#ifdef HAVE_FDATASYNC
	return fdatasync(fd);
#else
	return fsync(fd);
#endif
}

/*
 * From the leaf up: a sandbox's parents mostly exist, so a new one costs a
 * mkdir per new directory, not one per component of its path.
 */
static int
mkdirs_from_leaf(char *path, mode_t mode, char *err, size_t errlen)
{
	struct stat st;
	char *slash;
	int e;

	if (mkdir(path, mode) == 0)
		return 0;
	e = errno;
	if (e == ENOENT && (slash = strrchr(path, '/')) != NULL && slash != path) {
		int rc;

		*slash = '\0';
		rc = mkdirs_from_leaf(path, mode, err, errlen);
		*slash = '/';
		if (rc == -1)
			return -1;
		if (mkdir(path, mode) == 0)
			return 0;
		e = errno;
	}
	if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (e == EEXIST)
		e = ENOTDIR;
	snprintf(err, errlen, "cannot create directory '%s': %s", path,
	    e == ENOTDIR ? "not a directory" : strerror(e));
	errno = e;
	return -1;
}

int
compat_openat_beneath(int dirfd, const char *path, int flags)
{
#ifdef HAVE_OPENAT2
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
#else
	(void)dirfd;
	(void)path;
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

int
compat_mkdirs(const char *path, mode_t mode, char *err, size_t errlen)
{
	size_t n = path != NULL ? strlen(path) : 0;
	char *copy;
	int rc;

	if (n == 0) {
		snprintf(err, errlen, "empty directory path");
		errno = ENOENT;
		return -1;
	}
	if ((copy = malloc(n + 1)) == NULL) {
		snprintf(err, errlen, "cannot create directory '%s': %s", path, strerror(ENOMEM));
		errno = ENOMEM;
		return -1;
	}
	memcpy(copy, path, n + 1);
	rc = mkdirs_from_leaf(copy, mode, err, errlen);
	free(copy);
	return rc;
}

int64_t
compat_monotonic_us(void)
{
#ifdef HAVE_CLOCK_MONOTONIC
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		return (int64_t)ts.tv_sec * COMPAT_US_PER_SECOND_INT + ts.tv_nsec / COMPAT_NS_PER_US;
#endif
	{
		struct timeval tv;

		gettimeofday(&tv, NULL);
		return (int64_t)tv.tv_sec * COMPAT_US_PER_SECOND_INT + tv.tv_usec;
	}
}

int64_t
compat_monotonic_ms(void)
{
	return compat_monotonic_us() / COMPAT_US_PER_MS;
}

double
compat_wall_time(void)
{
#ifdef HAVE_CLOCK_MONOTONIC
	/* The probe that found CLOCK_MONOTONIC also proved clock_gettime links. */
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		return (double)ts.tv_sec + (double)ts.tv_nsec / COMPAT_NS_PER_SECOND;
#endif
	{
		struct timeval tv;

		gettimeofday(&tv, NULL);
		return (double)tv.tv_sec + (double)tv.tv_usec / COMPAT_US_PER_SECOND;
	}
}

#ifndef HAVE_ARC4RANDOM_BUF
/* splitmix64 (Steele et al.): a tiny generator for the last-resort path only. */
static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int
read_urandom(unsigned char *p, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return 0;
}
#endif

void
compat_random_bytes(void *buf, size_t len)
{
#ifdef HAVE_ARC4RANDOM_BUF
	arc4random_buf(buf, len);
#else
	unsigned char *p = buf;
	uint64_t state;
	size_t i;

	if (read_urandom(p, len) == 0)
		return;
	/*
	 * No kernel randomness (a chroot without /dev): ids must still differ
	 * between processes and calls, which time, pid and a stack address give.
	 */
	state = (uint64_t)compat_monotonic_ms() ^ (uint64_t)getpid() ^
	    (uint64_t)(compat_wall_time() * COMPAT_US_PER_SECOND) ^ (uint64_t)(uintptr_t)&state;
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(splitmix64(&state) & UCHAR_MAX);
#endif
}

uint64_t
compat_physical_memory(void)
{
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
	long pages = sysconf(_SC_PHYS_PAGES);
	long pagesize = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || pagesize <= 0)
		return 0;
	return (uint64_t)pages * (uint64_t)pagesize;
#else
	return 0;
#endif
}

long
compat_ncpus(void)
{
#ifdef _SC_NPROCESSORS_ONLN
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n >= 1)
		return n;
#endif
	return 1;
}

#ifndef HAVE_CLOSEFROM
static void
close_range_loop(int lowfd)
{
	long max = sysconf(_SC_OPEN_MAX);
	long fd;

	if (max <= 0)
		max = COMPAT_FALLBACK_OPEN_MAX;
	if (max > INT_MAX)
		max = INT_MAX;
	for (fd = lowfd; fd < max; fd++)
		close((int)fd);
}

#ifdef HAVE_PROC_SELF_FD
/*
 * Closing only the descriptors that exist beats a loop to a limit that may
 * be a million. The directory's own fd is skipped and closed last.
 */
static int
close_listed(int lowfd)
{
	DIR *d = opendir(PROC_SELF_FD_DIR);
	struct dirent *de;
	int dfd;

	if (d == NULL)
		return -1;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		errno = 0;
		fd = strtol(de->d_name, &end, COMPAT_DECIMAL_BASE);
		if (errno != 0 || *end != '\0' || fd < lowfd || fd > INT_MAX || fd == dfd)
			continue;
		close((int)fd);
	}
	closedir(d);
	return 0;
}
#endif
#endif

void
compat_closefrom(int lowfd)
{
	if (lowfd < 0)
		lowfd = 0;
#ifdef HAVE_CLOSEFROM
	closefrom(lowfd);
#else
#ifdef HAVE_PROC_SELF_FD
	if (close_listed(lowfd) == 0)
		return;
#endif
	close_range_loop(lowfd);
#endif
}

pid_t
compat_fork_child(void (*child)(void *), void *arg, int vfork_ok)
{
	sigset_t all, saved;
	pid_t pid;
	int e;

#ifndef HAVE_CLOSEFROM
	vfork_ok = 0;   /* compat_closefrom would opendir, and malloc, in the parent's memory */
#endif
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &saved) == -1)
		return -1;
	pid = vfork_ok ? vfork() : fork();
	if (pid == 0) {
		child(arg);
		_exit(COMPAT_CHILD_FAILED_STATUS);
	}
	e = errno;
	(void)sigprocmask(SIG_SETMASK, &saved, NULL);
	errno = e;
	return pid;
}

/* Cut path in buf to its directory; 0, or -1 (and "") without a slash. */
static int
dir_of(char *buf)
{
	char *slash = strrchr(buf, '/');

	if (slash == NULL) {
		buf[0] = '\0';
		return -1;
	}
	if (slash == buf)
		slash[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

/* The running executable's path into buf, as the system tells it; 0 or -1. */
static int
self_exe(char *buf, size_t len)
{
#if defined(HAVE_PROC_SELF_EXE)
	ssize_t n = readlink(PROC_SELF_EXE_PATH, buf, len - 1);

	/* Failed, or possibly truncated: a wrong directory is worse than none. */
	if (n <= 0 || (size_t)n >= len - 1)
		return -1;
	buf[n] = '\0';
	return 0;
#elif defined(HAVE_KERN_PROC_PATHNAME)
	/* FreeBSD names the process after KERN_PROC, NetBSD after KERN_PROC_ARGS. */
#if defined(__NetBSD__)
	int mib[4] = { CTL_KERN, KERN_PROC_ARGS, -1, KERN_PROC_PATHNAME };
#else
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PATHNAME, -1 };
#endif
	size_t n = len;

	if (sysctl(mib, 4, buf, &n, NULL, 0) == -1 || n == 0 || n >= len)
		return -1;
	buf[n] = '\0';
	return 0;
#elif defined(HAVE_NSGETEXECUTABLEPATH)
	uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;

	return _NSGetExecutablePath(buf, &n) == 0 && buf[0] == '/' ? 0 : -1;
#else
	(void)len;
	return -1;
#endif
}

int
compat_self_dir(char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	if (self_exe(buf, len) == 0 && dir_of(buf) == 0)
		return 0;
	/* Where the system will not say, the daemons' installed directory. */
	if (strlen(INSTALL_SBINDIR) >= len) {
		buf[0] = '\0';
		return -1;
	}
	memcpy(buf, INSTALL_SBINDIR, strlen(INSTALL_SBINDIR) + 1);
	return 0;
}
