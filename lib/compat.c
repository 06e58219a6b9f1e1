/*
 * compat.c: owns every difference between the systems we run on. configure
 * probes each feature into config.h; this file picks the native call when the
 * probe found it and a portable fallback otherwise. It is the only file that
 * widens the feature-test macros, because the native calls (accept4, pipe2,
 * closefrom, arc4random_buf, ...) live outside strict POSIX on every libc.
 * configure compiles its probes with this same preamble.
 */
#undef _POSIX_C_SOURCE
#define _GNU_SOURCE 1
#define _DEFAULT_SOURCE 1
#define _BSD_SOURCE 1
#define _NETBSD_SOURCE 1
#define _DARWIN_C_SOURCE 1

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

int
compat_socketpair(int fds[2])
{
#ifdef HAVE_SOCK_CLOEXEC
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
		set_nosigpipe(fds[0]);
		set_nosigpipe(fds[1]);
		return 0;
	}
	if (!KERNEL_LACKS_FLAGS())
		return -1;
#endif
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == -1)
		return -1;
	return finish_pair(fds, 0);
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

int
compat_self_dir(char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
#ifdef HAVE_PROC_SELF_EXE
	{
		ssize_t n = readlink(PROC_SELF_EXE_PATH, buf, len - 1);
		char *slash;

		if (n <= 0 || (size_t)n >= len - 1) {
			/* Failed, or possibly truncated: a wrong directory is worse than none. */
			buf[0] = '\0';
			return -1;
		}
		buf[n] = '\0';
		slash = strrchr(buf, '/');
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
#else
	return -1;
#endif
}

/* ---- the agent's tasks: boot identity, process trees, users, limits ---- */

/*
 * Linux's procfs and process-control calls, and the BSDs' sysctl process
 * tables, have no POSIX spelling at all: the system macros pick them here.
 */
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#if defined(__FreeBSD__)
#include <sys/procctl.h>
#endif
#if defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#include <sys/sysctl.h>
#include <sys/user.h>
#define COMPAT_BSD_SYSCTL 1
#endif
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define COMPAT_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
#define COMPAT_PROC_DIR "/proc"
#define COMPAT_PROC_LINE_MAX 1024      /* bytes read of /proc/PID/stat or statm */
#define COMPAT_PROC_PATH_MAX 64        /* "/proc/PID/task/TID/children" */
#define COMPAT_STAT_PPID_FIELD 4       /* fields of /proc/PID/stat, counted from 1 */
#define COMPAT_STAT_SESSION_FIELD 6
#define COMPAT_PROC_SCAN_MAX 65536     /* processes looked at in one /proc scan */

int
compat_boot_id(char *buf, size_t len)
{
	int fd;
	ssize_t n;

	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	fd = open(COMPAT_BOOT_ID_PATH, O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		n = read(fd, buf, len - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			if (buf[0] != '\0')
				return 0;
		}
		buf[0] = '\0';
	}
#if defined(COMPAT_BSD_SYSCTL) && defined(KERN_BOOTTIME)
	{
		int mib[2] = { CTL_KERN, KERN_BOOTTIME };
		struct timeval tv;
		size_t sz = sizeof(tv);

		if (sysctl(mib, 2, &tv, &sz, NULL, 0) == 0 && sz == sizeof(tv)) {
			snprintf(buf, len, "boottime-%lld.%06ld", (long long)tv.tv_sec, (long)tv.tv_usec);
			return 0;
		}
	}
#endif
	return -1;
}

int
compat_become_subreaper(void)
{
#if defined(__linux__) && defined(PR_SET_CHILD_SUBREAPER)
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -1;
#elif defined(__FreeBSD__) && defined(PROC_REAP_ACQUIRE)
	return procctl(P_PID, getpid(), PROC_REAP_ACQUIRE, NULL) == 0 ? 0 : -1;
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* Read a small /proc file whole; -1 if it is not there. */
static int
read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int
parse_pid(const char *s, pid_t *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, COMPAT_DECIMAL_BASE);
	if (errno != 0 || (*end != '\0' && *end != ' ' && *end != '\n') || v <= 0 || v > INT_MAX)
		return -1;
	*out = (pid_t)v;
	return 0;
}

/* Resident and virtual size of a process from /proc/PID/statm (pages). */
static void
proc_sizes(struct compat_proc *p)
{
	char path[COMPAT_PROC_PATH_MAX], line[COMPAT_PROC_LINE_MAX];
	unsigned long long size = 0, resident = 0;
	long page = sysconf(_SC_PAGESIZE);

	p->rss_bytes = p->vm_bytes = 0;
	snprintf(path, sizeof(path), COMPAT_PROC_DIR "/%ld/statm", (long)p->pid);
	if (page <= 0 || read_small(path, line, sizeof(line)) == -1 ||
	    sscanf(line, "%llu %llu", &size, &resident) != 2)
		return;
	p->rss_bytes = (uint64_t)resident * (uint64_t)page;
	p->vm_bytes = (uint64_t)size * (uint64_t)page;
}

/* Field n (from 1) of /proc/PID/stat, counting after the parenthesised command name. */
static int
proc_stat_field(pid_t pid, int n, pid_t *out)
{
	char path[COMPAT_PROC_PATH_MAX], line[COMPAT_PROC_LINE_MAX];
	const char *p;
	int field = 2;

	snprintf(path, sizeof(path), COMPAT_PROC_DIR "/%ld/stat", (long)pid);
	if (read_small(path, line, sizeof(line)) == -1 || (p = strrchr(line, ')')) == NULL)
		return -1;
	p++;
	while (field < n) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return -1;
		field++;
		if (field == n)
			break;
		p += strcspn(p, " ");
	}
	while (*p == ' ')
		p++;
	return parse_pid(p, out);
}

static int
seen(const struct compat_proc *out, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].pid == pid)
			return 1;
	return 0;
}

/* Linux with /proc/PID/task/TID/children: walk down from root, breadth first. */
static long
children_walk(pid_t root, struct compat_proc *out, size_t max)
{
	char path[COMPAT_PROC_PATH_MAX];
	size_t n = 0;
	pid_t cur = root;

	for (size_t next = 0;; next++) {
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), COMPAT_PROC_DIR "/%ld/task", (long)cur);
		if ((d = opendir(path)) == NULL) {
			if (cur == root)
				return -1;
		} else {
			while ((de = readdir(d)) != NULL && n < max) {
				char line[COMPAT_PROC_LINE_MAX], cpath[COMPAT_PROC_PATH_MAX + NAME_MAX];
				const char *p;
				pid_t tid, child;

				if (parse_pid(de->d_name, &tid) == -1)
					continue;
				snprintf(cpath, sizeof(cpath), COMPAT_PROC_DIR "/%ld/task/%ld/children", (long)cur,
				    (long)tid);
				if (read_small(cpath, line, sizeof(line)) == -1) {
					if (cur == root && errno == ENOENT) {
						closedir(d);
						return -1;   /* a kernel without the children files */
					}
					continue;
				}
				for (p = line; *p != '\0' && n < max; p += strcspn(p, " "), p += *p == ' ') {
					if (parse_pid(p, &child) == 0 && !seen(out, n, child)) {
						out[n].pid = child;
						proc_sizes(&out[n]);
						n++;
					}
				}
			}
			closedir(d);
		}
		if (next >= n)
			break;
		cur = out[next].pid;
	}
	return (long)n;
}

/* Every process on the system, parent and session, from /proc or the process sysctl. */
struct proc_entry {
	pid_t pid, ppid, sid;
};

static long
proc_table(struct proc_entry **table)
{
	size_t n = 0, cap = 0;
	struct proc_entry *t = NULL;
	DIR *d = opendir(COMPAT_PROC_DIR);
	struct dirent *de;

	*table = NULL;
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && n < COMPAT_PROC_SCAN_MAX) {
		struct proc_entry e;

		if (parse_pid(de->d_name, &e.pid) == -1 ||
		    proc_stat_field(e.pid, COMPAT_STAT_PPID_FIELD, &e.ppid) == -1)
			continue;
		if (proc_stat_field(e.pid, COMPAT_STAT_SESSION_FIELD, &e.sid) == -1)
			e.sid = 0;
		if (n == cap) {
			struct proc_entry *nt;
			cap = cap ? cap * 2 : COMPAT_PROC_LINE_MAX;
			nt = realloc(t, cap * sizeof(*t));
			if (nt == NULL) {
				free(t);
				closedir(d);
				return -1;
			}
			t = nt;
		}
		t[n++] = e;
	}
	closedir(d);
	if (n == 0) {
		free(t);
		return -1;   /* no procfs mounted */
	}
	*table = t;
	return (long)n;
}

#ifdef COMPAT_BSD_SYSCTL
#if defined(__FreeBSD__)
typedef struct kinfo_proc bsd_proc;
#define BSD_PID(k) ((k)->ki_pid)
#define BSD_PPID(k) ((k)->ki_ppid)
#define BSD_SID(k) ((k)->ki_sid)
#define BSD_RSS_PAGES(k) ((uint64_t)(k)->ki_rssize)
#define BSD_VM_BYTES(k) ((uint64_t)(k)->ki_size)
#elif defined(__NetBSD__)
typedef struct kinfo_proc2 bsd_proc;
#define BSD_PID(k) ((k)->p_pid)
#define BSD_PPID(k) ((k)->p_ppid)
#define BSD_SID(k) ((k)->p_sid)
#define BSD_RSS_PAGES(k) ((uint64_t)(k)->p_vm_rssize)
#define BSD_VM_BYTES(k) ((uint64_t)(k)->p_vm_vsize * (uint64_t)sysconf(_SC_PAGESIZE))
#else
typedef struct kinfo_proc bsd_proc;
#define BSD_PID(k) ((k)->p_pid)
#define BSD_PPID(k) ((k)->p_ppid)
#define BSD_SID(k) ((k)->p_sid)
#define BSD_RSS_PAGES(k) ((uint64_t)(k)->p_vm_rssize)
#define BSD_VM_BYTES(k) (((uint64_t)(k)->p_vm_tsize + (uint64_t)(k)->p_vm_dsize + \
                         (uint64_t)(k)->p_vm_ssize) * (uint64_t)sysconf(_SC_PAGESIZE))
#endif
#define BSD_TABLE_SLACK 16   /* processes born between sizing the table and reading it */

/* The whole process table in one sysctl; *n entries, malloc'ed. */
static bsd_proc *
bsd_table(size_t *n)
{
	size_t sz = 0;
	bsd_proc *t;
#if defined(__FreeBSD__)
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PROC, 0 };
	unsigned nmib = 4;
#elif defined(__NetBSD__)
	int mib[6] = { CTL_KERN, KERN_PROC2, KERN_PROC_ALL, 0, (int)sizeof(bsd_proc), 0 };
	unsigned nmib = 6;
#else
	int mib[6] = { CTL_KERN, KERN_PROC, KERN_PROC_ALL, 0, (int)sizeof(bsd_proc), 0 };
	unsigned nmib = 6;
#endif

	if (sysctl(mib, nmib, NULL, &sz, NULL, 0) == -1)
		return NULL;
	sz += BSD_TABLE_SLACK * sizeof(bsd_proc);
#if !defined(__FreeBSD__)
	mib[5] = (int)(sz / sizeof(bsd_proc));
#endif
	if ((t = malloc(sz)) == NULL)
		return NULL;
	if (sysctl(mib, nmib, t, &sz, NULL, 0) == -1) {
		free(t);
		return NULL;
	}
	*n = sz / sizeof(bsd_proc);
	return t;
}

static long
bsd_select(pid_t root, pid_t sid, struct compat_proc *out, size_t max)
{
	size_t n = 0, count;
	bsd_proc *t = bsd_table(&count);
	long page = sysconf(_SC_PAGESIZE);
	int grew = 1;

	if (t == NULL)
		return -1;
	/* Descendants: keep adding children of what is already in, until nothing changes. */
	while (grew) {
		grew = 0;
		for (size_t i = 0; i < count && n < max; i++) {
			bsd_proc *k = &t[i];
			int in = root > 0 ? (BSD_PPID(k) == root || seen(out, n, BSD_PPID(k)))
			                  : BSD_SID(k) == sid;
			if (!in || BSD_PID(k) == root || seen(out, n, BSD_PID(k)))
				continue;
			out[n].pid = BSD_PID(k);
			out[n].rss_bytes = BSD_RSS_PAGES(k) * (uint64_t)(page > 0 ? page : 0);
			out[n].vm_bytes = BSD_VM_BYTES(k);
			n++;
			grew = root > 0;
		}
	}
	free(t);
	return (long)n;
}
#endif

long
compat_descendants(pid_t root, struct compat_proc *out, size_t max)
{
	struct proc_entry *t;
	long n, found = 0;
	int grew = 1;

	if ((n = children_walk(root, out, max)) >= 0)
		return n;
#ifdef COMPAT_BSD_SYSCTL
	if ((n = bsd_select(root, 0, out, max)) >= 0)
		return n;
#endif
	if ((n = proc_table(&t)) < 0)
		return -1;
	while (grew) {
		grew = 0;
		for (long i = 0; i < n && (size_t)found < max; i++) {
			if ((t[i].ppid != root && !seen(out, (size_t)found, t[i].ppid)) ||
			    seen(out, (size_t)found, t[i].pid))
				continue;
			out[found].pid = t[i].pid;
			proc_sizes(&out[found]);
			found++;
			grew = 1;
		}
	}
	free(t);
	return found;
}

long
compat_session_procs(pid_t sid, struct compat_proc *out, size_t max)
{
	struct proc_entry *t;
	long n, found = 0;

#ifdef COMPAT_BSD_SYSCTL
	if ((n = bsd_select(0, sid, out, max)) >= 0)
		return n;
#endif
	if ((n = proc_table(&t)) < 0)
		return -1;
	for (long i = 0; i < n && (size_t)found < max; i++) {
		if (t[i].sid != sid)
			continue;
		out[found].pid = t[i].pid;
		proc_sizes(&out[found]);
		found++;
	}
	free(t);
	return found;
}

long
compat_user_processes(uid_t uid)
{
	DIR *d;
	struct dirent *de;
	long n = 0;

#if defined(COMPAT_BSD_SYSCTL) && defined(__FreeBSD__)
	{
		int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_RUID, (int)uid };
		size_t sz = 0;

		if (sysctl(mib, 4, NULL, &sz, NULL, 0) == 0)
			return (long)(sz / sizeof(bsd_proc));
	}
#endif
	if ((d = opendir(COMPAT_PROC_DIR)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char path[COMPAT_PROC_PATH_MAX];
		struct stat st;
		pid_t pid;

		if (parse_pid(de->d_name, &pid) == -1)
			continue;
		snprintf(path, sizeof(path), COMPAT_PROC_DIR "/%ld", (long)pid);
		if (stat(path, &st) == 0 && st.st_uid == uid)
			n++;
	}
	closedir(d);
	return n;
}

int
compat_switch_user(const char *name, uid_t uid, gid_t gid)
{
	if (initgroups(name, gid) == -1 || setgid(gid) == -1 || setuid(uid) == -1)
		return -1;
	return 0;
}

int
compat_set_nice(int value)
{
	return setpriority(PRIO_PROCESS, 0, value);
}

static int
limit(int resource, uint64_t value)
{
	struct rlimit rl;
	rlim_t v = (rlim_t)value;

	if ((uint64_t)v != value)
		v = RLIM_INFINITY;
	rl.rlim_cur = rl.rlim_max = v;
	return setrlimit(resource, &rl);
}

int
compat_limit_memory(uint64_t bytes)
{
#ifdef RLIMIT_AS
	return limit(RLIMIT_AS, bytes);
#else
	return limit(RLIMIT_DATA, bytes);
#endif
}

int
compat_limit_processes(uint64_t n)
{
#ifdef RLIMIT_NPROC
	return limit(RLIMIT_NPROC, n);
#else
	(void)n;
	errno = ENOSYS;
	return -1;
#endif
}
