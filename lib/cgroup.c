/*
 * cgroup.c: owns Linux control groups as files (cgroup.h): finding the
 * cgroups this process runs in from /proc/self/cgroup and the mounts in
 * /proc/self/mountinfo, the base its tasks' cgroups go under, and each
 * task's cgroup: its limits in the files of its version, joining it, the
 * kernel's counters, killing what is in it. Everything is open, read,
 * write, mkdir and rmdir on the cgroup file systems; the one call Linux
 * alone has (eventfd, for v1's OOM event) is proc.c's.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "proc.h"
#include "xmem.h"

#define SELF_CGROUP "/proc/self/cgroup"
#define SELF_MOUNTINFO "/proc/self/mountinfo"
#define LINE_MAX_BYTES 4096          /* a line of mountinfo or of a cgroup file */
#define FILE_MAX_BYTES 65536         /* /proc/self/cgroup, cgroup.procs read whole (bounded) */
#define NUM_MAX 32                   /* a number as text */
#define CGROUP_PARENTS_KEPT 4        /* parents whose version is remembered: one per controller */
#define MOUNT_FIELDS_MIN 10          /* mountinfo: id parent dev root point opts ... - type source super */
#define DEC 10
#define PROBE_NAME_MAX 64

static const char *const ctrl_names[CGROUP_CTRLS] = { "memory", "cpu", "pids" };

const char *
cgroup_ctrl_name(enum cgroup_ctrl c)
{
	return (unsigned)c < CGROUP_CTRLS ? ctrl_names[c] : "?";
}

/* ---- small files --------------------------------------------------------- */

static char *
file_path(const char *dir, const char *file)
{
	return xstrfmt("%s/%s", dir, file);
}

/*
 * A whole file into buf (NUL-terminated); -1 with errno. small: a cgroup
 * file of one short line or a few (a number, a flat-keyed file), which the
 * kernel's seq_file hands over whole in one read when buf has room: a read
 * short of buf is all there is, and the read that would return 0 is
 * spared. A longer file (cgroup.procs) may come a page at a time: read to
 * its end.
 */
static int
read_whole(const char *path, char *buf, size_t len, int small)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd == -1)
		return -1;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		got += (size_t)n;
		if (small)
			break;
	}
	close(fd);
	buf[got] = '\0';
	return 0;
}

static int
read_file(const char *path, char *buf, size_t len)
{
	return read_whole(path, buf, len, 0);
}

static int
write_str(const char *path, const char *value)
{
	size_t len = strlen(value);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd == -1)
		return -1;
	n = write(fd, value, len);
	if (n != (ssize_t)len) {
		int e = n < 0 ? errno : EIO;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

static int
write_file(const char *dir, const char *file, const char *value)
{
	char *path = file_path(dir, file);
	int rc = write_str(path, value);
	int e = errno;

	free(path);
	errno = e;
	return rc;
}

static int
has_file(const char *dir, const char *file)
{
	char *path = file_path(dir, file);
	int rc = access(path, F_OK) == 0;

	free(path);
	return rc;
}

/* dir's small file (a number, a few "key value" lines) read whole into buf, as read_whole. */
static int
read_in(const char *dir, const char *file, char *buf, size_t len)
{
	char *path = file_path(dir, file);
	int rc = read_whole(path, buf, len, 1);
	int e = errno;

	free(path);
	errno = e;
	return rc;
}

/* A file holding one number; "max" (no limit) reads as UINT64_MAX. */
static int
read_u64(const char *dir, const char *file, uint64_t *v)
{
	char buf[NUM_MAX], *end;

	if (read_in(dir, file, buf, sizeof(buf)) == -1)
		return -1;
	if (strncmp(buf, "max", strlen("max")) == 0) {
		*v = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*v = strtoull(buf, &end, DEC);
	if (errno != 0 || end == buf) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The value of the "key value" line of text (a flat-keyed file's lines). */
static int
find_key(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);

	for (const char *p = text; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			*v = strtoull(p + klen + 1, NULL, DEC);
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

/* A "key value" line of a flat-keyed file (memory.events, memory.oom_control, pids.events). */
static int
read_key(const char *dir, const char *file, const char *key, uint64_t *v)
{
	char buf[LINE_MAX_BYTES];

	if (read_in(dir, file, buf, sizeof(buf)) == -1)
		return -1;
	return find_key(buf, key, v);
}

static int
write_u64(const char *dir, const char *file, uint64_t v)
{
	char num[NUM_MAX];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	return write_file(dir, file, num);
}

/* ---- where this process is ------------------------------------------------ */

/* Whether word is one of the items of list, separated by any of seps. */
static int
has_item(const char *list, const char *word, const char *seps)
{
	size_t wlen = strlen(word);

	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, seps);
		if (n == wlen && strncmp(p, word, wlen) == 0)
			return 1;
		p += n;
		p += *p != '\0';
	}
	return 0;
}

/* The path of our cgroup for ctrl (v1: the line naming it; v2: "0::"). NULL if none. */
static char *
own_path(const char *self, const char *ctrl, int v2)
{
	for (const char *p = self; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n') {
		const char *eol = p + strcspn(p, "\n"), *c1 = strchr(p, ':'), *c2;
		char list[LINE_MAX_BYTES];

		if (c1 == NULL || c1 > eol || (c2 = strchr(c1 + 1, ':')) == NULL || c2 > eol)
			continue;
		/* Each line is ID:CONTROLLERS:PATH; v2's has ID 0 and no controllers. */
		if ((size_t)(c2 - c1 - 1) >= sizeof(list))
			continue;
		memcpy(list, c1 + 1, (size_t)(c2 - c1 - 1));
		list[c2 - c1 - 1] = '\0';
		if (v2 ? (list[0] == '\0' && strncmp(p, "0:", 2) == 0) : has_item(list, ctrl, ","))
			return xstrndup(c2 + 1, (size_t)(eol - c2 - 1));
	}
	return NULL;
}

struct mount {
	char point[LINE_MAX_BYTES];
	char root[LINE_MAX_BYTES];
};

/* The mount of ctrl's v1 hierarchy, or (v2) the cgroup2 mount. 0, or -1 when there is none. */
static int
find_mount(const char *ctrl, int v2, struct mount *m)
{
	FILE *f = fopen(SELF_MOUNTINFO, "re");
	char line[LINE_MAX_BYTES];
	int found = -1;

	if (f == NULL)
		return -1;
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		char *fields[MOUNT_FIELDS_MIN + 8], *save = NULL, *tok;
		size_t n = 0, dash = 0;

		for (tok = strtok_r(line, " \n", &save); tok != NULL && n < sizeof(fields) / sizeof(*fields);
		     tok = strtok_r(NULL, " \n", &save)) {
			if (dash == 0 && strcmp(tok, "-") == 0)
				dash = n;
			fields[n++] = tok;
		}
		/* Paths with escaped characters (\040 ...) are not ours to guess at. */
		if (dash == 0 || dash + 3 >= n || n < MOUNT_FIELDS_MIN || strchr(fields[3], '\\') != NULL ||
		    strchr(fields[4], '\\') != NULL)
			continue;
		if (v2 ? strcmp(fields[dash + 1], "cgroup2") == 0
		       : strcmp(fields[dash + 1], "cgroup") == 0 && has_item(fields[dash + 3], ctrl, ",")) {
			snprintf(m->point, sizeof(m->point), "%s", fields[4]);
			snprintf(m->root, sizeof(m->root), "%s", fields[3]);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* Our cgroup's directory: the mount point plus our path below the mount's root. */
static char *
own_dir(const struct mount *m, const char *path)
{
	size_t rlen = strlen(m->root);

	if (strcmp(m->root, "/") == 0)
		return xstrfmt("%s%s", m->point, strcmp(path, "/") == 0 ? "" : path);
	if (strncmp(path, m->root, rlen) == 0 && (path[rlen] == '\0' || path[rlen] == '/'))
		return xstrfmt("%s%s", m->point, path + rlen);
	return NULL;   /* our cgroup is not in what is mounted */
}

/* ---- a task's cgroup ------------------------------------------------------ */

/*
 * The version is the hierarchy's: a cgroup's parent tells it as well as the
 * cgroup, and its siblings share that parent, so the answers of the last few
 * parents are kept (one per controller a task has: a supervisor asks about
 * its cgroups a dozen times a task, each a path walk in the cgroup file
 * system). Only a parent that was seen (v2's cgroup.controllers, or v1's
 * cgroup.procs) is kept, never a guess. So is whether its children have
 * v1's memory.memsw.* files: the kernel's swap accounting, the same for
 * every cgroup of the hierarchy.
 */
struct parent_seen {
	char *parent;
	int version;
	int memsw;   /* -1: not asked yet */
};

/* The kept answers for dir's parent, found or seen now; NULL when the parent tells nothing. */
static struct parent_seen *
parent_of(const char *dir)
{
	static struct parent_seen seen[CGROUP_PARENTS_KEPT];
	static size_t next;
	const char *slash = strrchr(dir, '/');
	struct parent_seen *slot;
	char *parent;
	int version;

	if (slash == NULL || slash == dir)
		return NULL;
	for (size_t i = 0; i < CGROUP_PARENTS_KEPT; i++) {
		if (seen[i].parent != NULL && strlen(seen[i].parent) == (size_t)(slash - dir) &&
		    strncmp(dir, seen[i].parent, (size_t)(slash - dir)) == 0)
			return &seen[i];
	}
	parent = xstrndup(dir, (size_t)(slash - dir));
	if (has_file(parent, "cgroup.controllers"))
		version = 2;
	else if (has_file(parent, "cgroup.procs"))
		version = 1;
	else {
		free(parent);
		return NULL;
	}
	slot = &seen[next];
	free(slot->parent);
	slot->parent = parent;
	slot->version = version;
	slot->memsw = -1;
	next = (next + 1) % CGROUP_PARENTS_KEPT;
	return slot;
}

int
cgroup_version(const char *dir)
{
	struct parent_seen *p = parent_of(dir);

	if (p != NULL)
		return p->version;
	return has_file(dir, "cgroup.controllers") ? 2 : 1;
}

/* v1: whether dir has memory.memsw.limit_in_bytes (swap accounting is on). */
static int
has_memsw(const char *dir)
{
	struct parent_seen *p = parent_of(dir);
	int present;

	if (p != NULL && p->memsw != -1)
		return p->memsw;
	present = has_file(dir, "memory.memsw.limit_in_bytes");
	if (p != NULL)
		p->memsw = present;
	return present;
}

int
cgroup_make_fresh(const char *dir, int *fresh)
{
	*fresh = mkdir(dir, S_IRWXU | S_IRGRP | S_IXGRP | S_IROTH | S_IXOTH) == 0;
	if (!*fresh && errno != EEXIST)
		return -1;
	return 0;
}

int
cgroup_make(const char *dir)
{
	int fresh;

	return cgroup_make_fresh(dir, &fresh);
}

int
cgroup_remove(const char *dir)
{
	if (rmdir(dir) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

int
cgroup_set_memory(const char *dir, uint64_t bytes, int raise_only, const char **what)
{
	int v2 = cgroup_version(dir) == 2;
	const char *limit_file = v2 ? "memory.max" : "memory.limit_in_bytes";
	uint64_t now;

	*what = limit_file;
	if (raise_only && bytes > 0 && read_u64(dir, limit_file, &now) == 0 && now != UINT64_MAX &&
	    now >= bytes)
		return 0;
	if (v2) {
		if ((bytes > 0 ? write_u64(dir, limit_file, bytes) : write_file(dir, limit_file, "max")) == -1)
			return -1;
		*what = "memory.swap.max";
		if (has_file(dir, "memory.swap.max") && write_file(dir, "memory.swap.max", "0") == -1)
			return -1;
		*what = "memory.oom.group";
		if (has_file(dir, "memory.oom.group") && write_file(dir, "memory.oom.group", "1") == -1)
			return -1;
		*what = NULL;
		return 0;
	}
	/* v1 wants memory+swap never below memory: raise memsw first when growing, lower it last. */
	if (bytes == 0) {
		if (has_memsw(dir) &&
		    write_file(dir, "memory.memsw.limit_in_bytes", "-1") == -1) {
			*what = "memory.memsw.limit_in_bytes";
			return -1;
		}
		return write_file(dir, limit_file, "-1");
	}
	if (has_memsw(dir)) {
		/*
		 * Memory first: a new cgroup has no limits, so a task's first limit
		 * lowers both, and memory's goes in without a refusal; only a raise
		 * (memory's refused while memsw is below it) takes memsw first.
		 */
		if (write_u64(dir, limit_file, bytes) == 0) {
			if (write_u64(dir, "memory.memsw.limit_in_bytes", bytes) == -1)
				return -1;
		} else if (write_u64(dir, "memory.memsw.limit_in_bytes", bytes) == -1 ||
		           write_u64(dir, limit_file, bytes) == -1) {
			return -1;
		}
	} else if (write_u64(dir, limit_file, bytes) == -1) {
		return -1;
	}
	*what = NULL;
	return 0;
}

int
cgroup_set_cpu(const char *dir, int64_t cpus_milli, int cap, const char **what)
{
	int v2 = cgroup_version(dir) == 2;
	char num[2 * NUM_MAX];
	uint64_t quota = (uint64_t)(cpus_milli > 0 ? cpus_milli : 0) * CGROUP_CFS_PERIOD_US / 1000;

	if (quota < CGROUP_CFS_QUOTA_MIN_US)
		quota = CGROUP_CFS_QUOTA_MIN_US;
	if (v2) {
		uint64_t weight = (uint64_t)(cpus_milli > 0 ? cpus_milli : 0) * CGROUP_CPU_WEIGHT_PER_CPU / 1000;

		if (weight < CGROUP_CPU_WEIGHT_MIN)
			weight = CGROUP_CPU_WEIGHT_MIN;
		if (weight > CGROUP_CPU_WEIGHT_MAX)
			weight = CGROUP_CPU_WEIGHT_MAX;
		*what = "cpu.weight";
		if (write_u64(dir, "cpu.weight", weight) == -1)
			return -1;
		*what = "cpu.max";
		if (cap)
			snprintf(num, sizeof(num), "%llu %llu", (unsigned long long)quota,
			    (unsigned long long)CGROUP_CFS_PERIOD_US);
		else
			snprintf(num, sizeof(num), "max %llu", (unsigned long long)CGROUP_CFS_PERIOD_US);
		if (write_file(dir, "cpu.max", num) == -1)
			return -1;
	} else {
		uint64_t shares = (uint64_t)(cpus_milli > 0 ? cpus_milli : 0) * CGROUP_CPU_SHARES_PER_CPU / 1000;

		if (shares < CGROUP_CPU_SHARES_MIN)
			shares = CGROUP_CPU_SHARES_MIN;
		*what = "cpu.shares";
		if (write_u64(dir, "cpu.shares", shares) == -1)
			return -1;
		if (cap) {
			*what = "cpu.cfs_period_us";
			if (write_u64(dir, "cpu.cfs_period_us", CGROUP_CFS_PERIOD_US) == -1)
				return -1;
			*what = "cpu.cfs_quota_us";
			if (write_u64(dir, "cpu.cfs_quota_us", quota) == -1)
				return -1;
		}
	}
	*what = NULL;
	return 0;
}

int
cgroup_set_pids(const char *dir, uint64_t max, const char **what)
{
	*what = "pids.max";
	if ((max > 0 ? write_u64(dir, "pids.max", max) : write_file(dir, "pids.max", "max")) == -1)
		return -1;
	*what = NULL;
	return 0;
}

void
cgroup_procs_path(const char *dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/cgroup.procs", dir);
}

int
cgroup_join(const char *procs)
{
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd == -1)
		return -1;
	/* "0" is the writer itself, in both versions. */
	n = write(fd, "0", 1);
	close(fd);
	return n == 1 ? 0 : -1;
}

int
cgroup_memory(const char *dir, uint64_t *current, uint64_t *peak)
{
	int v2 = cgroup_version(dir) == 2;

	if (read_u64(dir, v2 ? "memory.current" : "memory.usage_in_bytes", current) == -1)
		return -1;
	/* memory.peak is v2's since Linux 5.19; before that the current use is all we know. */
	if (read_u64(dir, v2 ? "memory.peak" : "memory.max_usage_in_bytes", peak) == -1)
		*peak = *current;
	return 0;
}

int
cgroup_memory_limit(const char *dir, uint64_t *bytes)
{
	return read_u64(dir, cgroup_version(dir) == 2 ? "memory.max" : "memory.limit_in_bytes", bytes);
}

int
cgroup_ooms(const char *dir, uint64_t *n)
{
	uint64_t held = 0;
	char buf[LINE_MAX_BYTES];

	if (cgroup_version(dir) == 2)
		return read_key(dir, "memory.events", "oom", n);
	/* Both counts from one read of the file. */
	if (read_in(dir, "memory.oom_control", buf, sizeof(buf)) == -1 ||
	    find_key(buf, "oom_kill", n) == -1)
		return -1;
	(void)find_key(buf, "under_oom", &held);
	*n += held;
	return 0;
}

int
cgroup_oom_hold(const char *dir)
{
	if (cgroup_version(dir) == 2)
		return 0;
	return write_file(dir, "memory.oom_control", "1");
}

int
cgroup_pids_refused(const char *dir, uint64_t *n)
{
	return read_key(dir, "pids.events", "max", n);
}

long
cgroup_count(const char *dir)
{
	return cgroup_signal_all(dir, 0);
}

/*
 * The OOM event's eventfd; with hold, memory.oom_control is opened for
 * writing as well and the hold written through the same descriptor (one
 * open fewer), *held telling whether it took.
 */
static int
oom_watch(const char *dir, int hold, int *held)
{
	char *control, *oom, reg[2 * NUM_MAX];
	int efd, ofd, rc;

	*held = 0;
	if (cgroup_version(dir) == 2 || (efd = proc_eventfd()) == -1)
		return -1;
	oom = file_path(dir, "memory.oom_control");
	ofd = open(oom, (hold ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	/* Not ours to write: watched all the same, as before the hold shared its open. */
	if (ofd == -1 && hold && errno == EACCES) {
		hold = 0;
		ofd = open(oom, O_RDONLY | O_CLOEXEC);
	}
	free(oom);
	if (ofd == -1) {
		close(efd);
		return -1;
	}
	/* "<eventfd> <memory.oom_control fd>": the kernel signals the first on each OOM. */
	snprintf(reg, sizeof(reg), "%d %d", efd, ofd);
	control = file_path(dir, "cgroup.event_control");
	rc = write_str(control, reg);
	free(control);
	if (rc == 0 && hold)
		*held = write(ofd, "1", 1) == 1;
	close(ofd);
	if (rc == -1) {
		close(efd);
		return -1;
	}
	return efd;
}

int
cgroup_oom_watch(const char *dir)
{
	int held;

	return oom_watch(dir, 0, &held);
}

int
cgroup_oom_watch_hold(const char *dir, int *held)
{
	return oom_watch(dir, 1, held);
}

long
cgroup_signal_all(const char *dir, int signo)
{
	char *path = file_path(dir, "cgroup.procs"), *buf = xmalloc(FILE_MAX_BYTES);
	long n = 0;

	if (read_file(path, buf, FILE_MAX_BYTES) == -1) {
		free(path);
		free(buf);
		return -1;
	}
	for (const char *p = buf; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n') {
		long pid = strtol(p, NULL, DEC);
		if (pid <= 1)
			continue;
		n++;
		if (signo != 0)
			(void)kill((pid_t)pid, signo);
	}
	free(path);
	free(buf);
	return n;
}

/* ---- the base ------------------------------------------------------------- */

/* The file a usable controller has in a cgroup below the base, for the probe. */
static const char *
limit_file(enum cgroup_ctrl c, int v2)
{
	switch (c) {
	case CGROUP_MEMORY: return v2 ? "memory.max" : "memory.limit_in_bytes";
	case CGROUP_CPU: return v2 ? "cpu.weight" : "cpu.shares";
	default: return "pids.max";
	}
}

/* v2: a cgroup hands a controller to its children through its cgroup.subtree_control. */
static int
delegate(const char *dir, const char *ctrl)
{
	char *path = file_path(dir, "cgroup.subtree_control"), buf[LINE_MAX_BYTES], plus[NUM_MAX];
	int rc;

	if (read_file(path, buf, sizeof(buf)) == 0 && has_item(buf, ctrl, " \n")) {
		free(path);
		return 0;
	}
	snprintf(plus, sizeof(plus), "+%s", ctrl);
	rc = write_str(path, plus);
	free(path);
	return rc;
}

/* One controller: its base made and proven, or -1 with why. */
static int
find_one(enum cgroup_ctrl c, const char *self, const char *root_name, struct cgroup_base *b,
         char *why, size_t whylen)
{
	const char *ctrl = ctrl_names[c];
	struct mount m;
	char *path, *own = NULL, *probe = NULL, probe_name[PROBE_NAME_MAX], ctrls[LINE_MAX_BYTES];
	const char *what;
	int v2 = 0, rc = -1;

	if ((path = own_path(self, ctrl, 0)) != NULL && find_mount(ctrl, 0, &m) == 0) {
		v2 = 0;
	} else {
		free(path);
		v2 = 1;
		if ((path = own_path(self, ctrl, 1)) == NULL || find_mount(ctrl, 1, &m) == -1) {
			snprintf(why, whylen, "no cgroup hierarchy has the %s controller", ctrl);
			goto out;
		}
	}
	if ((own = own_dir(&m, path)) == NULL) {
		snprintf(why, whylen, "our %s cgroup %.512s is not below its mount %.512s", ctrl, path, m.point);
		goto out;
	}
	if (v2) {
		char *list = file_path(own, "cgroup.controllers");
		int r = read_file(list, ctrls, sizeof(ctrls));

		free(list);
		if (r == -1 || !has_item(ctrls, ctrl, " \n")) {
			snprintf(why, whylen, "cgroup v2: %s is not enabled in %s", ctrl, own);
			goto out;
		}
		if (delegate(own, ctrl) == -1) {
			snprintf(why, whylen, "cgroup v2: %s cannot hand %s to cgroups below it (%s)%s", own,
			    ctrl, strerror(errno), errno == EBUSY ? ": it holds processes, agentd among them, "
			    "and agentd never leaves the cgroup it was started in" : "");
			goto out;
		}
	}
	free(b->dir[c]);
	b->dir[c] = xstrfmt("%s/%s", own, root_name);
	b->version[c] = v2 ? 2 : 1;
	if (cgroup_make(b->dir[c]) == -1) {
		snprintf(why, whylen, "cannot make cgroup %s: %s", b->dir[c], strerror(errno));
		goto out;
	}
	if (v2 && delegate(b->dir[c], ctrl) == -1) {
		snprintf(why, whylen, "cgroup v2: cannot hand %s to %s: %s", ctrl, b->dir[c], strerror(errno));
		goto out;
	}
	snprintf(probe_name, sizeof(probe_name), "probe-%ld-%s", (long)getpid(), ctrl);
	probe = xstrfmt("%s/%s", b->dir[c], probe_name);
	if (cgroup_make(probe) == -1) {
		snprintf(why, whylen, "cannot make cgroup %s: %s", probe, strerror(errno));
		goto out;
	}
	what = limit_file(c, v2);
	if (!has_file(probe, what))
		snprintf(why, whylen, "cgroup %s has no %s", probe, what);
	else if ((c == CGROUP_MEMORY && cgroup_set_memory(probe, 0, 0, &what) == -1) ||
	         (c == CGROUP_CPU && cgroup_set_cpu(probe, 1000, 0, &what) == -1) ||
	         (c == CGROUP_PIDS && cgroup_set_pids(probe, 0, &what) == -1))
		snprintf(why, whylen, "cannot write %s/%s: %s", probe, what, strerror(errno));
	else
		rc = 0;
	if (cgroup_remove(probe) == -1 && rc == 0) {
		snprintf(why, whylen, "cannot remove cgroup %s: %s", probe, strerror(errno));
		rc = -1;
	}
out:
	if (rc == -1) {
		free(b->dir[c]);
		b->dir[c] = NULL;
	}
	free(probe);
	free(own);
	free(path);
	return rc;
}

unsigned
cgroup_base_find(const char *root_name, unsigned want, struct cgroup_base *b, char *why,
                 size_t whylen)
{
	char *self = xmalloc(FILE_MAX_BYTES), reason[LINE_MAX_BYTES];
	unsigned usable = 0;

	memset(b, 0, sizeof(*b));
	why[0] = '\0';
	if (root_name == NULL || root_name[0] == '\0' || strchr(root_name, '/') != NULL ||
	    strcmp(root_name, ".") == 0 || strcmp(root_name, "..") == 0) {
		snprintf(why, whylen, "bad cgroups root '%s': one name, no '/'", root_name ? root_name : "");
		free(self);
		return 0;
	}
	if (read_file(SELF_CGROUP, self, FILE_MAX_BYTES) == -1) {
		snprintf(why, whylen, "no %s: this system has no cgroups", SELF_CGROUP);
		free(self);
		return 0;
	}
	for (int c = 0; c < CGROUP_CTRLS; c++) {
		if (!(want & CGROUP_BIT(c)))
			continue;
		if (find_one((enum cgroup_ctrl)c, self, root_name, b, reason, sizeof(reason)) == 0)
			usable |= CGROUP_BIT(c);
		else if (why[0] == '\0')
			snprintf(why, whylen, "%s", reason);
	}
	free(self);
	return usable;
}

void
cgroup_base_free(struct cgroup_base *b)
{
	for (int c = 0; c < CGROUP_CTRLS; c++) {
		free(b->dir[c]);
		b->dir[c] = NULL;
	}
}
