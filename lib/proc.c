/*
 * proc.c: owns what inspects or shapes processes, as opposed to compat.c's
 * shims for calls every program makes. What lives here, and why:
 *   - the boot id: whether the kernel the tasks ran under is still up,
 *     which is what decides if their processes can still exist;
 *   - the subreaper, descendants, session members and a user's process
 *     count: walking and adopting process trees (procfs, process sysctl);
 *   - a process's resident memory and children re-read through files kept
 *     open, so a task can be watched often at little cost;
 *   - switching user, nice (and Linux's session autogroup nice), the OOM
 *     score, the memory and process rlimits: what a task's process is made
 *     into before it execs;
 *   - the kernel's event counter (eventfd), through which cgroup v1 reports
 *     an OOM kill;
 *   - how a process ended, in words: the supervisor's task updates and the
 *     master's plugin restarts say it the same way.
 * None of these has a POSIX spelling (prctl, procctl, sysctl, /proc,
 * initgroups), so, like compat.c, this file widens the feature-test
 * macros (native.h) and lets the system macros pick the native call; it is
 * the only other file that may.
 */
#include "native.h"   /* first: it widens what the system headers declare */

#include "config.h"
#include "proc.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#if defined(__linux__)
#include <sys/prctl.h>
#endif
#if defined(__FreeBSD__)
#include <sys/procctl.h>
#endif
#ifdef HAVE_EVENTFD
#include <sys/eventfd.h>
#endif
#if defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#include <sys/sysctl.h>
#include <sys/user.h>
#define PROC_BSD_SYSCTL 1
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROC_DECIMAL_BASE 10
#define PROC_US_PER_SECOND 1000000
#define PROC_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
#define PROC_FS_DIR "/proc"
#define PROC_LINE_MAX 1024          /* bytes read of /proc/PID/stat or statm */
#define PROC_PATH_MAX 64            /* "/proc/PID/task/TID/children" */
#define PROC_STAT_PPID_FIELD 4      /* fields of /proc/PID/stat, counted from 1 */
#define PROC_STAT_SESSION_FIELD 6
#define PROC_SCAN_MAX 65536         /* processes looked at in one /proc scan */
#define PROC_AUTOGROUP_PATH "/proc/self/autogroup"
#define PROC_OOM_SCORE_PATH "/proc/self/oom_score_adj"
#define PROC_INT_DIGITS 24          /* a decimal int, its sign and a newline */

int
proc_boot_id(char *buf, size_t len)
{
	int fd;
	ssize_t n;

	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	fd = open(PROC_BOOT_ID_PATH, O_RDONLY | O_CLOEXEC);
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
#if defined(PROC_BSD_SYSCTL) && defined(KERN_BOOTTIME)
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
proc_become_subreaper(void)
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
	v = strtol(s, &end, PROC_DECIMAL_BASE);
	if (errno != 0 || (*end != '\0' && *end != ' ' && *end != '\n') || v <= 0 || v > INT_MAX)
		return -1;
	*out = (pid_t)v;
	return 0;
}

/* Resident and virtual size of a process from /proc/PID/statm (pages). */
static void
read_sizes(struct proc_info *p)
{
	char path[PROC_PATH_MAX], line[PROC_LINE_MAX];
	unsigned long long size = 0, resident = 0;
	long page = sysconf(_SC_PAGESIZE);

	p->rss_bytes = p->vm_bytes = 0;
	snprintf(path, sizeof(path), PROC_FS_DIR "/%ld/statm", (long)p->pid);
	if (page <= 0 || read_small(path, line, sizeof(line)) == -1 ||
	    sscanf(line, "%llu %llu", &size, &resident) != 2)
		return;
	p->rss_bytes = (uint64_t)resident * (uint64_t)page;
	p->vm_bytes = (uint64_t)size * (uint64_t)page;
}

/* Field n (from 1) of /proc/PID/stat, counting after the parenthesised command name. */
static int
stat_field(pid_t pid, int n, pid_t *out)
{
	char path[PROC_PATH_MAX], line[PROC_LINE_MAX];
	const char *p;
	int field = 2;

	snprintf(path, sizeof(path), PROC_FS_DIR "/%ld/stat", (long)pid);
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
seen(const struct proc_info *out, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].pid == pid)
			return 1;
	return 0;
}

/* Linux with /proc/PID/task/TID/children: walk down from root, breadth first. */
static long
children_walk(pid_t root, struct proc_info *out, size_t max)
{
	char path[PROC_PATH_MAX];
	size_t n = 0;
	pid_t cur = root;

	for (size_t next = 0;; next++) {
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), PROC_FS_DIR "/%ld/task", (long)cur);
		if ((d = opendir(path)) == NULL) {
			if (cur == root)
				return -1;
		} else {
			while ((de = readdir(d)) != NULL && n < max) {
				char line[PROC_LINE_MAX], cpath[PROC_PATH_MAX + NAME_MAX];
				const char *p;
				pid_t tid, child;

				if (parse_pid(de->d_name, &tid) == -1)
					continue;
				snprintf(cpath, sizeof(cpath), PROC_FS_DIR "/%ld/task/%ld/children", (long)cur,
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
						read_sizes(&out[n]);
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

int
proc_handle_open(struct proc_handle *h, pid_t pid)
{
	char path[PROC_PATH_MAX];

	h->pid = pid;
	h->children_fd = -1;
	snprintf(path, sizeof(path), PROC_FS_DIR "/%ld/statm", (long)pid);
	if ((h->statm_fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	/* Children of its first thread only: the caller walks the whole tree now and then. */
	snprintf(path, sizeof(path), PROC_FS_DIR "/%ld/task/%ld/children", (long)pid, (long)pid);
	if ((h->children_fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		close(h->statm_fd);
		h->statm_fd = -1;
		return -1;
	}
	return 0;
}

int
proc_handle_read(struct proc_handle *h, uint64_t *rss, pid_t *kids, size_t max, size_t *nkids)
{
	char line[PROC_LINE_MAX];
	unsigned long long size = 0, resident = 0;
	long page = sysconf(_SC_PAGESIZE);
	const char *p;
	ssize_t n;

	*nkids = 0;
	/* A file of /proc read again from its start says what is true now; gone, it fails. */
	if ((n = pread(h->statm_fd, line, sizeof(line) - 1, 0)) <= 0)
		return -1;
	line[n] = '\0';
	if (page <= 0 || sscanf(line, "%llu %llu", &size, &resident) != 2)
		return -1;
	*rss = (uint64_t)resident * (uint64_t)page;
	if ((n = pread(h->children_fd, line, sizeof(line) - 1, 0)) < 0)
		return -1;
	line[n] = '\0';
	for (p = line; *p != '\0' && *nkids < max; p += strcspn(p, " "), p += *p == ' ') {
		pid_t child;
		if (parse_pid(p, &child) == 0)
			kids[(*nkids)++] = child;
	}
	return 0;
}

void
proc_handle_close(struct proc_handle *h)
{
	if (h->statm_fd != -1)
		close(h->statm_fd);
	if (h->children_fd != -1)
		close(h->children_fd);
	h->statm_fd = h->children_fd = -1;
}

/* Every process on the system, parent and session, from /proc or the process sysctl. */
struct table_entry {
	pid_t pid, ppid, sid;
};

static long
process_table(struct table_entry **table)
{
	size_t n = 0, cap = 0;
	struct table_entry *t = NULL;
	DIR *d = opendir(PROC_FS_DIR);
	struct dirent *de;

	*table = NULL;
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && n < PROC_SCAN_MAX) {
		struct table_entry e;

		if (parse_pid(de->d_name, &e.pid) == -1 ||
		    stat_field(e.pid, PROC_STAT_PPID_FIELD, &e.ppid) == -1)
			continue;
		if (stat_field(e.pid, PROC_STAT_SESSION_FIELD, &e.sid) == -1)
			e.sid = 0;
		if (n == cap) {
			struct table_entry *nt;
			cap = cap ? cap * 2 : PROC_LINE_MAX;
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

#ifdef PROC_BSD_SYSCTL
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
bsd_select(pid_t root, pid_t sid, struct proc_info *out, size_t max)
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
proc_descendants(pid_t root, struct proc_info *out, size_t max)
{
	struct table_entry *t;
	long n, found = 0;
	int grew = 1;

	if ((n = children_walk(root, out, max)) >= 0)
		return n;
#ifdef PROC_BSD_SYSCTL
	if ((n = bsd_select(root, 0, out, max)) >= 0)
		return n;
#endif
	if ((n = process_table(&t)) < 0)
		return -1;
	while (grew) {
		grew = 0;
		for (long i = 0; i < n && (size_t)found < max; i++) {
			if ((t[i].ppid != root && !seen(out, (size_t)found, t[i].ppid)) ||
			    seen(out, (size_t)found, t[i].pid))
				continue;
			out[found].pid = t[i].pid;
			read_sizes(&out[found]);
			found++;
			grew = 1;
		}
	}
	free(t);
	return found;
}

long
proc_session_members(pid_t sid, struct proc_info *out, size_t max)
{
	struct table_entry *t;
	long n, found = 0;

#ifdef PROC_BSD_SYSCTL
	if ((n = bsd_select(0, sid, out, max)) >= 0)
		return n;
#endif
	if ((n = process_table(&t)) < 0)
		return -1;
	for (long i = 0; i < n && (size_t)found < max; i++) {
		if (t[i].sid != sid)
			continue;
		out[found].pid = t[i].pid;
		read_sizes(&out[found]);
		found++;
	}
	free(t);
	return found;
}

long
proc_user_count(uid_t uid)
{
	DIR *d;
	struct dirent *de;
	long n = 0;

#if defined(PROC_BSD_SYSCTL) && defined(__FreeBSD__)
	{
		int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_RUID, (int)uid };
		size_t sz = 0;

		if (sysctl(mib, 4, NULL, &sz, NULL, 0) == 0)
			return (long)(sz / sizeof(bsd_proc));
	}
#endif
	if ((d = opendir(PROC_FS_DIR)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char path[PROC_PATH_MAX];
		struct stat st;
		pid_t pid;

		if (parse_pid(de->d_name, &pid) == -1)
			continue;
		snprintf(path, sizeof(path), PROC_FS_DIR "/%ld", (long)pid);
		if (stat(path, &st) == 0 && st.st_uid == uid)
			n++;
	}
	closedir(d);
	return n;
}

int
proc_switch_user(const char *name, uid_t uid, gid_t gid)
{
	if (initgroups(name, gid) == -1 || setgid(gid) == -1 || setuid(uid) == -1)
		return -1;
	return 0;
}

int
proc_user_groups(const char *name, gid_t gid, gid_t *groups, int *n)
{
#if defined(HAVE_GETGROUPLIST) && defined(HAVE_SETGROUPS)
	int have = *n;

#ifdef __APPLE__
	/* macOS declares the list as int; gid_t is as wide. */
	if (getgrouplist(name, (int)gid, (int *)(void *)groups, &have) == -1 || have < 0)
		return -1;
#else
	if (getgrouplist(name, gid, groups, &have) == -1 || have < 0)
		return -1;
#endif
	*n = have;
	return 0;
#else
	(void)name;
	(void)gid;
	(void)groups;
	(void)n;
	errno = ENOSYS;
	return -1;
#endif
}

int
proc_switch_user_to(const gid_t *groups, int n, uid_t uid, gid_t gid)
{
#ifdef HAVE_SETGROUPS
	if (setgroups((size_t)n, groups) == -1 || setgid(gid) == -1 || setuid(uid) == -1)
		return -1;
	return 0;
#else
	(void)groups;
	(void)n;
	(void)uid;
	(void)gid;
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * Write a decimal number to a small kernel file. Only system calls, no
 * formatting by the C library: a child under vfork may call it.
 */
static int
write_int_file(const char *path, int value)
{
	char digits[PROC_INT_DIGITS];
	size_t i = sizeof(digits);
	unsigned v = value < 0 ? 0u - (unsigned)value : (unsigned)value;
	ssize_t n;
	int fd;

	digits[--i] = '\n';
	do {
		digits[--i] = (char)('0' + v % PROC_DECIMAL_BASE);
		v /= PROC_DECIMAL_BASE;
	} while (v > 0 && i > 1);
	if (value < 0)
		digits[--i] = '-';
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, digits + i, sizeof(digits) - i);
	close(fd);
	return n == (ssize_t)(sizeof(digits) - i) ? 0 : -1;
}

int
proc_set_nice(int value)
{
	if (setpriority(PRIO_PROCESS, 0, value) == -1)
		return -1;
	/*
	 * Linux with autogroups weighs sessions against each other first and
	 * nice only within a session: a task in a session of its own would get
	 * a whole share whatever its nice. Its session's group gets the value
	 * too (lowering a priority needs no privilege). Elsewhere there is no
	 * such file, and nothing to do.
	 */
	if (write_int_file(PROC_AUTOGROUP_PATH, value) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

int
proc_set_oom_score(int adj)
{
	if (write_int_file(PROC_OOM_SCORE_PATH, adj) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

int
proc_has_children(void)
{
#ifdef HAVE_WAITID_WNOWAIT
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	/* WNOWAIT: only a look; whoever reaps children still finds them. */
	if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1)
		return errno != ECHILD;
	return 1;
#else
	return 1;
#endif
}

#ifdef HAVE_WAIT4
static void
add_time(struct timeval *sum, const struct timeval *more)
{
	sum->tv_sec += more->tv_sec;
	sum->tv_usec += more->tv_usec;
	if (sum->tv_usec >= PROC_US_PER_SECOND) {
		sum->tv_sec++;
		sum->tv_usec -= PROC_US_PER_SECOND;
	}
}
#endif

pid_t
proc_reap(int *status, struct rusage *used)
{
#ifdef HAVE_WAIT4
	struct rusage ru;
	pid_t pid;

	memset(&ru, 0, sizeof(ru));
	pid = wait4(-1, status, WNOHANG, &ru);
	if (pid > 0) {
		add_time(&used->ru_utime, &ru.ru_utime);
		add_time(&used->ru_stime, &ru.ru_stime);
		if (ru.ru_maxrss > used->ru_maxrss)
			used->ru_maxrss = ru.ru_maxrss;
	}
	return pid;
#else
	(void)used;
	return waitpid(-1, status, WNOHANG);
#endif
}

int
proc_reap_counts_usage(void)
{
#ifdef HAVE_WAIT4
	return 1;
#else
	return 0;
#endif
}

int
proc_eventfd(void)
{
#ifdef HAVE_EVENTFD
	return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
#else
	errno = ENOSYS;
	return -1;
#endif
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
proc_limit_memory(uint64_t bytes)
{
#ifdef RLIMIT_AS
	return limit(RLIMIT_AS, bytes);
#else
	return limit(RLIMIT_DATA, bytes);
#endif
}

int
proc_limit_processes(uint64_t n)
{
#ifdef RLIMIT_NPROC
	return limit(RLIMIT_NPROC, n);
#else
	(void)n;
	errno = ENOSYS;
	return -1;
#endif
}

/* Signal names, as kill -l spells them; the optional ones where the system has them. */
static const struct {
	int signo;
	const char *name;
} signal_names[] = {
	{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
	{ SIGABRT, "SIGABRT" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" }, { SIGSEGV, "SIGSEGV" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" }, { SIGUSR1, "SIGUSR1" },
	{ SIGUSR2, "SIGUSR2" }, { SIGBUS, "SIGBUS" }, { SIGCHLD, "SIGCHLD" }, { SIGCONT, "SIGCONT" },
	{ SIGSTOP, "SIGSTOP" }, { SIGTSTP, "SIGTSTP" }, { SIGTTIN, "SIGTTIN" }, { SIGTTOU, "SIGTTOU" },
	{ SIGURG, "SIGURG" },
#ifdef SIGTRAP
	{ SIGTRAP, "SIGTRAP" },
#endif
#ifdef SIGSYS
	{ SIGSYS, "SIGSYS" },
#endif
#ifdef SIGXCPU
	{ SIGXCPU, "SIGXCPU" },
#endif
#ifdef SIGXFSZ
	{ SIGXFSZ, "SIGXFSZ" },
#endif
#ifdef SIGPROF
	{ SIGPROF, "SIGPROF" },
#endif
#ifdef SIGVTALRM
	{ SIGVTALRM, "SIGVTALRM" },
#endif
};

static const char *
signal_name(int signo)
{
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (signal_names[i].signo == signo)
			return signal_names[i].name;
	return NULL;
}

void
proc_describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status)) {
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		const char *name = signal_name(sig);

		if (name != NULL)
			snprintf(buf, len, "killed by signal %d (%s)", sig, name);
		else
			snprintf(buf, len, "killed by signal %d", sig);
	} else {
		snprintf(buf, len, "ended with wait status %d", status);
	}
}

int
proc_exit_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
