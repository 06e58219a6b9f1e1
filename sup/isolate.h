/*
 * isolate.h: what a task may use and how it is held to it, on any POSIX
 * system: rlimits (memory, file size, CPU time, processes, descriptors,
 * no core files), a nice value standing in for cpu shares, the user it
 * runs as; and the measurements that back the limits up (resident memory
 * of the task's processes, disk used by its sandbox), made by the task's
 * supervisor (sup.c), and the kill that reaches every process of it.
 */
#ifndef ISOLATE_H
#define ISOLATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ISOLATE_NICE_MAX 19             /* the weakest share POSIX nice has */
#define ISOLATE_NICE_STEP 1.25          /* CFS: each nice step is 1.25x less weight */
#define ISOLATE_OPEN_FILES_DEFAULT 65536
#define ISOLATE_PROCESSES_DEFAULT 1000  /* a task's processes above its user's count */
#define ISOLATE_PROCS_MAX 4096          /* processes of one task looked at per sample */
#define ISOLATE_DU_DEPTH_MAX 64         /* directory levels the disk walk descends */
#define ISOLATE_MEM_HIT_PERCENT 50      /* peak RSS, in % of the limit, that marks a failure as memory */
#define ISOLATE_VM_HIT_PERCENT 90       /* sampled address space, in % of the limit, likewise */
#define ISOLATE_USER_MAX 64             /* bytes of a user name */

struct isolate_limits {
	uint64_t mem_bytes;      /* RLIMIT_AS (RLIMIT_DATA where there is none); 0 = none */
	uint64_t disk_bytes;     /* RLIMIT_FSIZE; 0 = none */
	uint64_t cpu_seconds;    /* RLIMIT_CPU, soft; the hard limit one second later; 0 = none */
	uint64_t processes;      /* RLIMIT_NPROC: the user's processes now plus this; 0 = none */
	uint64_t open_files;     /* RLIMIT_NOFILE (never above the current hard limit); 0 = keep */
	int nice;                /* 0..ISOLATE_NICE_MAX */
};

/* The user a task runs as. */
struct isolate_user {
	int do_switch;           /* 0: run as the supervisor's own user */
	char name[ISOLATE_USER_MAX];
	uid_t uid;
	gid_t gid;
};

/*
 * The nice value that gives a task of task_cpus the share of CPU a task
 * with all agent_cpus would get at nice 0 (both in thousandths, as res.h
 * keeps scalars): round(log(agent/task) / log(1.25)), 0..19. A task
 * without cpus gets the weakest share.
 */
int isolate_nice(int64_t task_cpus_milli, int64_t agent_cpus_milli);

/*
 * Resolve the user a task should run as. With switching (the agent is root
 * and --switch_user is on), name must exist and root needs allow_root.
 * Without it, u says "no switch". -1 with a message for the task's update.
 */
int isolate_user_resolve(const char *name, int switching, int allow_root, struct isolate_user *u,
                         char *err, size_t errlen);

/*
 * In the task's child, before exec: every limit but memory, the nice
 * value, then the user. On failure, a short reason ("setrlimit
 * RLIMIT_NOFILE") in what and errno set; the child reports it and exits.
 */
int isolate_apply(const struct isolate_limits *l, const struct isolate_user *u, const char **what);
/*
 * The memory limit, last thing before exec: nothing may allocate after it
 * (a sanitizer's runtime, say, would find no address space left).
 */
int isolate_apply_memory(const struct isolate_limits *l, const char **what);

/* Resident memory of a task: the sum over its processes, and the largest address space among them. */
struct isolate_mem {
	uint64_t rss_bytes;
	uint64_t vm_max_bytes;
	size_t nprocs;
};

/*
 * Sample the task's processes: below supervisor when it is a subreaper
 * (every process of the task stays below it), else the session sid. 0, or
 * -1 when the system cannot tell.
 */
int isolate_sample(pid_t supervisor, int subreaper, pid_t sid, struct isolate_mem *out);

/*
 * Send signo to every process of the task: its process group pgid, then
 * whatever the sample finds (escapees into new groups). Returns how many
 * processes other than the group were signalled.
 */
size_t isolate_signal_all(pid_t supervisor, int subreaper, pid_t pgid, int signo);
/*
 * For a subreaper: whether it has any child, living or not. Every process
 * left of a task hangs from one (orphans are adopted), so none means none
 * left, known without reading /proc.
 */
int isolate_has_children(void);

/* Whether a failed task's ending points at its memory limit (see ISOLATE_*_HIT_PERCENT). */
int isolate_memory_hit(uint64_t limit, uint64_t peak_rss, uint64_t peak_vm);

/*
 * Disk usage of a directory tree, measured a bounded number of entries at
 * a time so the caller's loop never stalls on a big sandbox. Blocks, as
 * du counts them, of everything under the directory, not following links.
 */
struct isolate_du;
struct isolate_du *isolate_du_new(const char *dir);
/* Look at up to budget entries: 1 when the walk is complete (*bytes set), 0 when more remain. */
int isolate_du_step(struct isolate_du *d, size_t budget, uint64_t *bytes);
void isolate_du_free(struct isolate_du *d);

#endif
