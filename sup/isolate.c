/*
 * isolate.c: owns a task's limits: the isolation's names, how fast the
 * machine hands out memory (what posix/mem's sampling is paced by), the
 * rlimits, nice, OOM score, cgroups and user a task starts with, and the
 * measurements that enforce what rlimits cannot: the resident memory of
 * its processes (cheaply repeated: isolate_watch) and the disk its
 * sandbox uses, and the kill that reaches all of its processes. Used by
 * the supervisor and agentd; nothing here logs or talks to the network.
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

#include "cgroup.h"
#include "compat.h"
#include "isolate.h"
#include "proc.h"
#include "xmem.h"

#define BLOCK_BYTES 512                 /* st_blocks units (POSIX leaves it open; every system uses 512) */
#define CPU_HARD_SLACK_S 1              /* SIGXCPU at the soft limit, SIGKILL this much later */
#define PERCENT 100
#define ISOLATE_NICE_HALF_STEP 1.118033988749895   /* sqrt(ISOLATE_NICE_STEP) */
#define US_PER_MS 1000
#define KIDS_MAX 256                    /* children of one process read per look */

/* --- the isolation ---------------------------------------------------------- */

/* Mesos's isolator names, and the resource each holds (its cgroup controller). */
static const struct {
	const char *name;
	int ctrl;                       /* enum cgroup_ctrl */
	int cgroups;                    /* held by the cgroup, else by POSIX means */
} isolators[] = {
	{ "posix/cpu", CGROUP_CPU, 0 },
	{ "posix/mem", CGROUP_MEMORY, 0 },
	{ "cgroups/cpu", CGROUP_CPU, 1 },
	{ "cgroups/mem", CGROUP_MEMORY, 1 },
	{ "cgroups/pids", CGROUP_PIDS, 1 },
	{ "posix/disk", -1, 0 },
	{ "disk/du", -1, 0 },
};
#define ISOLATORS (sizeof(isolators) / sizeof(isolators[0]))

int
isolate_isolation_parse(const char *spec, unsigned *cgroups, char *err, size_t errlen)
{
	unsigned named = 0;

	*cgroups = 0;
	for (const char *p = spec; *p != '\0';) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < ISOLATORS; i++)
			if (strlen(isolators[i].name) == n && strncmp(p, isolators[i].name, n) == 0)
				break;
		if (i == ISOLATORS) {
			snprintf(err, errlen, "unknown isolator '%.*s' (known: posix/cpu, posix/mem, "
			    "posix/disk, cgroups/cpu, cgroups/mem, cgroups/pids)", (int)(n < 64 ? n : 64), p);
			return -1;
		}
		if (isolators[i].ctrl >= 0) {
			if (named & CGROUP_BIT(isolators[i].ctrl)) {
				snprintf(err, errlen, "'%s' names %s a second time", isolators[i].name,
				    cgroup_ctrl_name((enum cgroup_ctrl)isolators[i].ctrl));
				return -1;
			}
			named |= CGROUP_BIT(isolators[i].ctrl);
			if (isolators[i].cgroups)
				*cgroups |= CGROUP_BIT(isolators[i].ctrl);
		}
		p += n;
		p += *p == ',';
	}
	return 0;
}

void
isolate_isolation_name(unsigned cgroups, char *buf, size_t len)
{
	snprintf(buf, len, "%s,%s%s", cgroups & CGROUP_BIT(CGROUP_CPU) ? "cgroups/cpu" : "posix/cpu",
	    cgroups & CGROUP_BIT(CGROUP_MEMORY) ? "cgroups/mem" : "posix/mem",
	    cgroups & CGROUP_BIT(CGROUP_PIDS) ? ",cgroups/pids" : "");
}

uint64_t
isolate_touch_rate(void)
{
	char *chunks[ISOLATE_TOUCH_PROBE_BYTES / ISOLATE_TOUCH_CHUNK_BYTES];
	size_t n = sizeof(chunks) / sizeof(chunks[0]);
	int64_t best = 0;

	/*
	 * Every chunk fresh from the kernel (none freed before the last is
	 * touched), as a growing task's. The fastest of a few rounds: whatever
	 * else runs meanwhile only slows one down, and a slow estimate would
	 * let a task run past its memory between two looks.
	 */
	for (int round = 0; round < ISOLATE_TOUCH_ROUNDS; round++) {
		int64_t start = compat_monotonic_us(), us;

		for (size_t i = 0; i < n; i++) {
			chunks[i] = xmalloc(ISOLATE_TOUCH_CHUNK_BYTES);
			memset(chunks[i], 1, ISOLATE_TOUCH_CHUNK_BYTES);
		}
		us = compat_monotonic_us() - start;
		for (size_t i = 0; i < n; i++)
			free(chunks[i]);
		if (us < 1)
			us = 1;
		if (best == 0 || us < best)
			best = us;
	}
	return (uint64_t)ISOLATE_TOUCH_PROBE_BYTES * US_PER_MS / (uint64_t)best + 1;
}

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
	u->ngroups = ISOLATE_GROUPS_MAX;
	if (proc_user_groups(u->name, u->gid, u->groups, &u->ngroups) == -1)
		u->ngroups = -1;
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

uint64_t
isolate_nproc_limit(uid_t uid, uint64_t n)
{
	long now;

	/* Root is exempt from RLIMIT_NPROC anyway. */
	if (n == 0 || uid == 0 || (now = proc_user_count(uid)) < 0)
		return 0;
	return (uint64_t)now + n;
}

int
isolate_apply(const struct isolate_limits *l, const struct isolate_user *u, const char **what)
{

	/* First, while still whoever we are: a cgroup is joined before anything is forked or held. */
	for (int c = 0; c < CGROUP_CTRLS; c++) {
		*what = "join the task's cgroup";
		if (l->cgroup_procs[c] != NULL && cgroup_join(l->cgroup_procs[c]) == -1)
			return -1;
	}
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
		if (!l->open_files_within && getrlimit(RLIMIT_NOFILE, &cur) == 0 &&
		    cur.rlim_max != RLIM_INFINITY && (uint64_t)cur.rlim_max < n)
			n = (uint64_t)cur.rlim_max;
		*what = "setrlimit RLIMIT_NOFILE";
		if (set_limit(RLIMIT_NOFILE, n, n) == -1)
			return -1;
	}
	*what = "setrlimit RLIMIT_NPROC";
	if (l->nproc_limit > 0 && (u->do_switch ? u->uid : geteuid()) != 0 &&
	    proc_limit_processes(l->nproc_limit) == -1 &&
	    errno != ENOSYS)
		return -1;
	/* Lowering priority never fails for lack of privilege; raising it is not what we do. */
	if (l->nice > 0)
		(void)proc_set_nice(l->nice);
	/* Raising it needs no privilege; where there is no OOM score there is nothing to do. */
	(void)proc_set_oom_score(ISOLATE_OOM_SCORE_ADJ);
	if (u->do_switch) {
		*what = "switch user";
		if ((u->ngroups >= 0 ? proc_switch_user_to(u->groups, u->ngroups, u->uid, u->gid)
		                     : proc_switch_user(u->name, u->uid, u->gid)) == -1)
			return -1;
	}
	*what = NULL;
	return 0;
}

uint64_t
isolate_open_files_within(uint64_t n)
{
	static struct rlimit hard;
	static int known;

	if (!known) {
		if (getrlimit(RLIMIT_NOFILE, &hard) == -1)
			hard.rlim_max = RLIM_INFINITY;
		known = 1;
	}
	return hard.rlim_max != RLIM_INFINITY && (uint64_t)hard.rlim_max < n ? (uint64_t)hard.rlim_max : n;
}

int
isolate_apply_memory(const struct isolate_limits *l, const char **what)
{
	*what = "setrlimit RLIMIT_AS";
	if (l->address_space_bytes > 0 && proc_limit_memory(l->address_space_bytes) == -1)
		return -1;
	*what = NULL;
	return 0;
}

/* The task's processes into procs (ISOLATE_PROCS_MAX of room): how many, or -1. */
static long
task_procs(pid_t supervisor, int subreaper, pid_t sid, struct proc_info *procs)
{
	return subreaper ? proc_descendants(supervisor, procs, ISOLATE_PROCS_MAX)
	                 : proc_session_members(sid, procs, ISOLATE_PROCS_MAX);
}

static void
sum(const struct proc_info *procs, long n, struct isolate_mem *out)
{
	memset(out, 0, sizeof(*out));
	for (long i = 0; i < n; i++) {
		out->rss_bytes += procs[i].rss_bytes;
		if (procs[i].vm_bytes > out->vm_max_bytes)
			out->vm_max_bytes = procs[i].vm_bytes;
	}
	out->nprocs = (size_t)n;
}

int
isolate_sample(pid_t supervisor, int subreaper, pid_t sid, struct isolate_mem *out)
{
	struct proc_info *procs = xcalloc(ISOLATE_PROCS_MAX, sizeof(*procs));
	long n = task_procs(supervisor, subreaper, sid, procs);

	memset(out, 0, sizeof(*out));
	if (n >= 0)
		sum(procs, n, out);
	free(procs);
	return n < 0 ? -1 : 0;
}

/* --- watching ----------------------------------------------------------------- */

struct isolate_watch {
	pid_t supervisor, sid;
	int subreaper;
	int cheap;                      /* this system keeps /proc files open: looks between walks */
	struct proc_handle handles[ISOLATE_WATCH_HANDLES_MAX];
	size_t n;                       /* handles in use */
	int crowd;                      /* more processes than handles: every look walks */
	uint64_t vm_max_bytes;          /* the last walk's */
};

struct isolate_watch *
isolate_watch_new(pid_t supervisor, int subreaper, pid_t sid)
{
	struct isolate_watch *w = xcalloc(1, sizeof(*w));

	w->supervisor = supervisor;
	w->subreaper = subreaper;
	w->sid = sid;
	w->cheap = subreaper;   /* children files say nothing of a process that left for a new session */
	return w;
}

static int
watched(const struct isolate_watch *w, pid_t pid)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->handles[i].pid == pid)
			return 1;
	return 0;
}

/* The whole tree: the sums, and handles for what it found (kept for those still there). */
static int
walk(struct isolate_watch *w, struct isolate_mem *out)
{
	struct proc_handle kept[ISOLATE_WATCH_HANDLES_MAX];
	struct proc_info *procs = xcalloc(ISOLATE_PROCS_MAX, sizeof(*procs));
	long n = task_procs(w->supervisor, w->subreaper, w->sid, procs);
	size_t nkept = 0;

	if (n < 0) {
		free(procs);
		return -1;
	}
	sum(procs, n, out);
	w->vm_max_bytes = out->vm_max_bytes;
	w->crowd = n > (long)ISOLATE_WATCH_HANDLES_MAX;
	for (long i = 0; i < n && w->cheap && !w->crowd; i++) {
		size_t j;
		for (j = 0; j < w->n && w->handles[j].pid != procs[i].pid; j++)
			continue;
		if (j < w->n) {
			kept[nkept++] = w->handles[j];
			w->handles[j] = w->handles[--w->n];
		} else if (proc_handle_open(&kept[nkept], procs[i].pid) == 0) {
			nkept++;
		} else if (errno != ENOENT && errno != ESRCH) {
			w->cheap = 0;   /* no such files here: walks it is */
		}
	}
	free(procs);
	for (size_t j = 0; j < w->n; j++)
		proc_handle_close(&w->handles[j]);
	memcpy(w->handles, kept, nkept * sizeof(kept[0]));
	w->n = nkept;
	if (!w->cheap || w->crowd) {
		for (size_t j = 0; j < w->n; j++)
			proc_handle_close(&w->handles[j]);
		w->n = 0;
	}
	return 0;
}

int
isolate_watch_sample(struct isolate_watch *w, int full, struct isolate_mem *out)
{
	pid_t kids[KIDS_MAX];

	if (full || !w->cheap || w->crowd || w->n == 0)
		return walk(w, out);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < w->n; i++) {
		uint64_t rss;
		size_t nkids;

		if (proc_handle_read(&w->handles[i], &rss, kids, KIDS_MAX, &nkids) == -1)
			return walk(w, out);   /* one of them is gone */
		for (size_t k = 0; k < nkids; k++)
			if (!watched(w, kids[k]))
				return walk(w, out);   /* a new one */
		out->rss_bytes += rss;
	}
	out->nprocs = w->n;
	out->vm_max_bytes = w->vm_max_bytes;
	return 0;
}

void
isolate_watch_free(struct isolate_watch *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++)
		proc_handle_close(&w->handles[i]);
	free(w);
}

size_t
isolate_signal_all(pid_t supervisor, int subreaper, pid_t pgid, int signo)
{
	struct proc_info *procs, one;
	size_t sent = 0;
	long n;

	if (pgid > 0)
		(void)kill(-pgid, signo);
	if (subreaper && !proc_has_children())
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
