/*
 * isolate.c: owns a task's limits (rlimits, nice, user) and the
 * measurements that enforce what rlimits cannot: the resident memory of
 * its processes and the disk its sandbox uses, and the kill that reaches
 * all of its processes. Used by the supervisor (sup.c); nothing here
 * logs or talks to the network.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isolate.h"
#include "proc.h"
#include "xmem.h"

#define BLOCK_BYTES 512                 /* st_blocks units (POSIX leaves it open; every system uses 512) */
#define CPU_HARD_SLACK_S 1              /* SIGXCPU at the soft limit, SIGKILL this much later */
#define PERCENT 100
#define ISOLATE_NICE_HALF_STEP 1.118033988749895   /* sqrt(ISOLATE_NICE_STEP) */

int
isolate_nice(int64_t task_cpus_milli, int64_t agent_cpus_milli)
{
	double ratio, threshold = ISOLATE_NICE_HALF_STEP;
	int n = 0;

	if (task_cpus_milli <= 0)
		return ISOLATE_NICE_MAX;
	ratio = (double)agent_cpus_milli / (double)task_cpus_milli;
	/* round(log(ratio) / log(step)) without libm: n steps while ratio >= step^(n + 1/2). */
	while (n < ISOLATE_NICE_MAX && ratio >= threshold) {
		n++;
		threshold *= ISOLATE_NICE_STEP;
	}
	return n;
}

int
isolate_user_resolve(const char *name, int switching, int allow_root, struct isolate_user *u,
                     char *err, size_t errlen)
{
	struct passwd *pw;

	memset(u, 0, sizeof(*u));
	if (!switching)
		return 0;
	if (name == NULL || name[0] == '\0') {
		snprintf(err, errlen, "the task has no user to run as");
		return -1;
	}
	if (strlen(name) >= sizeof(u->name)) {
		snprintf(err, errlen, "user name '%.32s...' is too long", name);
		return -1;
	}
	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			snprintf(err, errlen, "cannot look up user '%s': %s", name, strerror(errno));
		else
			snprintf(err, errlen, "user '%s' does not exist on this agent", name);
		return -1;
	}
	if (pw->pw_uid == 0 && !allow_root) {
		snprintf(err, errlen, "refusing to run a task as root (user '%s'); start agentd with "
		    "--allow_root_tasks to allow it", name);
		return -1;
	}
	u->do_switch = 1;
	xstrlcpy(u->name, name, sizeof(u->name));
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

static int
set_limit(int resource, uint64_t soft, uint64_t hard)
{
	struct rlimit rl;

	rl.rlim_cur = (rlim_t)soft;
	rl.rlim_max = (rlim_t)hard;
	if ((uint64_t)rl.rlim_cur != soft)
		rl.rlim_cur = RLIM_INFINITY;
	if ((uint64_t)rl.rlim_max != hard)
		rl.rlim_max = RLIM_INFINITY;
	return setrlimit(resource, &rl);
}

int
isolate_apply(const struct isolate_limits *l, const struct isolate_user *u, const char **what)
{
	uid_t uid = u->do_switch ? u->uid : geteuid();

	*what = "setrlimit RLIMIT_CORE";
	if (set_limit(RLIMIT_CORE, 0, 0) == -1)
		return -1;
	*what = "setrlimit RLIMIT_FSIZE";
	if (l->disk_bytes > 0 && set_limit(RLIMIT_FSIZE, l->disk_bytes, l->disk_bytes) == -1)
		return -1;
	*what = "setrlimit RLIMIT_CPU";
	if (l->cpu_seconds > 0 &&
	    set_limit(RLIMIT_CPU, l->cpu_seconds, l->cpu_seconds + CPU_HARD_SLACK_S) == -1)
		return -1;
	if (l->open_files > 0) {
		struct rlimit cur;
		uint64_t n = l->open_files;

		/* Raising a hard limit needs a privilege even root may lack (in a container): never do. */
		if (getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
		    (uint64_t)cur.rlim_max < n)
			n = (uint64_t)cur.rlim_max;
		*what = "setrlimit RLIMIT_NOFILE";
		if (set_limit(RLIMIT_NOFILE, n, n) == -1)
			return -1;
	}
	/* Root is exempt from RLIMIT_NPROC anyway; for others it counts every process of the user. */
	if (l->processes > 0 && uid != 0) {
		long now = proc_user_count(uid);

		*what = "setrlimit RLIMIT_NPROC";
		if (now >= 0 && proc_limit_processes((uint64_t)now + l->processes) == -1 &&
		    errno != ENOSYS)
			return -1;
	}
	/* Lowering priority never fails for lack of privilege; raising it is not what we do. */
	if (l->nice > 0)
		(void)proc_set_nice(l->nice);
	if (u->do_switch) {
		*what = "switch user";
		if (proc_switch_user(u->name, u->uid, u->gid) == -1)
			return -1;
	}
	*what = NULL;
	return 0;
}

int
isolate_apply_memory(const struct isolate_limits *l, const char **what)
{
	*what = "setrlimit RLIMIT_AS";
	if (l->mem_bytes > 0 && proc_limit_memory(l->mem_bytes) == -1)
		return -1;
	*what = NULL;
	return 0;
}

int
isolate_sample(pid_t supervisor, int subreaper, pid_t sid, struct isolate_mem *out)
{
	struct proc_info *procs = xcalloc(ISOLATE_PROCS_MAX, sizeof(*procs));
	long n = subreaper ? proc_descendants(supervisor, procs, ISOLATE_PROCS_MAX)
	                   : proc_session_members(sid, procs, ISOLATE_PROCS_MAX);

	memset(out, 0, sizeof(*out));
	if (n < 0) {
		free(procs);
		return -1;
	}
	for (long i = 0; i < n; i++) {
		out->rss_bytes += procs[i].rss_bytes;
		if (procs[i].vm_bytes > out->vm_max_bytes)
			out->vm_max_bytes = procs[i].vm_bytes;
	}
	out->nprocs = (size_t)n;
	free(procs);
	return 0;
}

int
isolate_has_children(void)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	/* WNOWAIT: only a look; whoever reaps children still finds them. */
	if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1)
		return errno != ECHILD;
	return 1;
}

size_t
isolate_signal_all(pid_t supervisor, int subreaper, pid_t pgid, int signo)
{
	struct proc_info *procs, one;
	size_t sent = 0;
	long n;

	if (pgid > 0)
		(void)kill(-pgid, signo);
	if (subreaper && !isolate_has_children())
		return 0;
	/* Usually the group was all there was: look before making room for a crowd. */
	n = subreaper ? proc_descendants(supervisor, &one, 1) : proc_session_members(pgid, &one, 1);
	if (n <= 0)
		return 0;
	procs = xcalloc(ISOLATE_PROCS_MAX, sizeof(*procs));
	n = subreaper ? proc_descendants(supervisor, procs, ISOLATE_PROCS_MAX)
	              : proc_session_members(pgid, procs, ISOLATE_PROCS_MAX);
	for (long i = 0; i < n; i++) {
		if (procs[i].pid == supervisor || procs[i].pid <= 1)
			continue;
		if (kill(procs[i].pid, signo) == 0)
			sent++;
	}
	free(procs);
	return sent;
}

int
isolate_memory_hit(uint64_t limit, uint64_t peak_rss, uint64_t peak_vm)
{
	if (limit == 0)
		return 0;
	return peak_rss / ISOLATE_MEM_HIT_PERCENT >= limit / PERCENT ||
	       peak_vm / ISOLATE_VM_HIT_PERCENT >= limit / PERCENT;
}

/* ---- disk usage ------------------------------------------------------- */

struct isolate_du {
	DIR *stack[ISOLATE_DU_DEPTH_MAX];
	size_t depth;
	uint64_t bytes;
	int done;
};

static uint64_t
st_bytes(const struct stat *st)
{
	return (uint64_t)st->st_blocks * BLOCK_BYTES;
}

struct isolate_du *
isolate_du_new(const char *dir)
{
	struct isolate_du *d = xcalloc(1, sizeof(*d));
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1 || fstat(fd, &st) == -1 || (d->stack[0] = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		d->done = 1;   /* a sandbox that is gone uses nothing */
		return d;
	}
	d->bytes = st_bytes(&st);
	d->depth = 1;
	return d;
}

int
isolate_du_step(struct isolate_du *d, size_t budget, uint64_t *bytes)
{
	while (!d->done && budget > 0) {
		DIR *top = d->stack[d->depth - 1];
		struct dirent *de;
		struct stat st;
		int fd;

		errno = 0;
		de = readdir(top);
		if (de == NULL) {
			closedir(top);
			d->stack[--d->depth] = NULL;
			if (d->depth == 0)
				d->done = 1;
			continue;
		}
		budget--;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(top), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;   /* removed while we looked: it uses nothing now */
		d->bytes += st_bytes(&st);
		if (!S_ISDIR(st.st_mode) || d->depth == ISOLATE_DU_DEPTH_MAX)
			continue;
		fd = openat(dirfd(top), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			continue;
		if ((d->stack[d->depth] = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		d->depth++;
	}
	if (!d->done)
		return 0;
	*bytes = d->bytes;
	return 1;
}

void
isolate_du_free(struct isolate_du *d)
{
	if (d == NULL)
		return;
	while (d->depth > 0)
		closedir(d->stack[--d->depth]);
	free(d);
}
