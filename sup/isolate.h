/*
 * isolate.h: what a task may use and how it is held to it. Mesos's
 * isolators name the two ways: posix/cpu and posix/mem, on any POSIX
 * system (a nice value standing in for cpu shares; resident memory
 * sampled, often enough for the machine's speed, and a kill), and
 * cgroups/cpu, cgroups/mem and cgroups/pids where Linux lets agentd make
 * cgroups below its own (lib/cgroup.c): the kernel holds the task to
 * them. Either way: rlimits (file size, CPU time, processes, descriptors,
 * no core files), the user it runs as, the disk its sandbox uses (measured
 * here), and the kill that reaches every process of it. The supervisor
 * (sup/) applies and watches them; agentd chooses the isolation.
 */
#ifndef ISOLATE_H
#define ISOLATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

#define ISOLATE_NICE_MAX 19             /* the weakest share POSIX nice has */
#define ISOLATE_NICE_STEP 1.25          /* CFS: each nice step is 1.25x less weight */
#define ISOLATE_OPEN_FILES_DEFAULT 65536
#define ISOLATE_PROCESSES_DEFAULT 1000  /* a task's processes above its user's count */
#define ISOLATE_PROCS_MAX 4096          /* processes of one task looked at per sample */
#define ISOLATE_WATCH_HANDLES_MAX 64    /* processes of one task whose /proc files stay open */
#define ISOLATE_DU_DEPTH_MAX 64         /* directory levels the disk walk descends */
#define ISOLATE_MEM_HIT_PERCENT 50      /* peak RSS, in % of the limit, that marks a failure as memory */
#define ISOLATE_VM_HIT_PERCENT 90       /* sampled address space, in % of the limit, likewise */
#define ISOLATE_USER_MAX 64             /* bytes of a user name */
#define ISOLATE_GROUPS_MAX 64           /* groups of a task's user read ahead (more: initgroups) */
/*
 * Tasks are what the kernel's OOM killer takes first when the machine runs
 * short (oom_score_adj), so agentd, the supervisors and everything else
 * are never its victims while a task holds memory.
 */
#define ISOLATE_OOM_SCORE_ADJ 1000
#define ISOLATE_TOUCH_PROBE_BYTES (16u << 20)   /* memory touched to time the machine */
#define ISOLATE_TOUCH_CHUNK_BYTES (1u << 20)
#define ISOLATE_TOUCH_ROUNDS 3                  /* the fastest of them is the machine's pace */

/* --isolation: which resources cgroups hold (CGROUP_BIT of each); POSIX holds the rest. */
#define ISOLATE_ISOLATION_MAX 96        /* bytes of an isolation's name */
/*
 * "posix/cpu,posix/mem,cgroups/pids" and the like: the cgroups asked for
 * in *cgroups. posix/disk and disk/du are taken (the disk is always
 * measured); an unknown name, or one resource named both ways, is an error.
 */
int isolate_isolation_parse(const char *spec, unsigned *cgroups, char *err, size_t errlen);
/* The isolation in force, by Mesos's names: "cgroups/cpu,cgroups/mem,cgroups/pids". */
void isolate_isolation_name(unsigned cgroups, char *buf, size_t len);

/*
 * How fast this machine hands a process fresh memory (bytes per ms): what
 * one core touching new pages manages. posix/mem samples a task often
 * enough that, at this pace, it cannot get far past its memory between
 * two looks. The fastest of ISOLATE_TOUCH_ROUNDS times
 * ISOLATE_TOUCH_PROBE_BYTES of touching; at least 1.
 */
uint64_t isolate_touch_rate(void);

struct isolate_limits {
	uint64_t mem_bytes;      /* resident memory, sampled or the cgroup's; 0 = none */
	uint64_t address_space_bytes; /* RLIMIT_AS, only where resident memory cannot be watched; 0 = none */
	uint64_t disk_bytes;     /* RLIMIT_FSIZE; 0 = none */
	uint64_t cpu_seconds;    /* RLIMIT_CPU, soft; the hard limit one second later; 0 = none */
	uint64_t processes;      /* the task's processes; 0 = none */
	uint64_t nproc_limit;    /* RLIMIT_NPROC: its user's processes before it plus processes; 0 = none */
	uint64_t open_files;     /* RLIMIT_NOFILE (never above the current hard limit); 0 = keep */
	int open_files_within;   /* open_files is isolate_open_files_within's already: the child need not look */
	int nice;                /* 0..ISOLATE_NICE_MAX */
	const char *cgroup_procs[CGROUP_CTRLS];   /* cgroup.procs of the task's cgroups to join; NULL none */
};

/* The user a task runs as. */
struct isolate_user {
	int do_switch;           /* 0: run as the supervisor's own user */
	char name[ISOLATE_USER_MAX];
	uid_t uid;
	gid_t gid;
	/* Its groups, read when it was resolved; ngroups -1: not known, looked up at the switch. */
	gid_t groups[ISOLATE_GROUPS_MAX];
	int ngroups;
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
 * RLIMIT_NPROC counts every process of a user, and binds no root: the
 * limit that gives a task of uid n processes more than its user has now;
 * 0 for root, or when the count is unknown.
 */
uint64_t isolate_nproc_limit(uid_t uid, uint64_t n);
/*
 * In the task's child, before exec: into its cgroups, every limit but the
 * address space, the nice value and OOM score, then the user. Only system
 * calls until the user switch (a child under vfork). On failure,
 * a short reason ("setrlimit RLIMIT_NOFILE") in what and errno set; the
 * child reports it and exits.
 */
int isolate_apply(const struct isolate_limits *l, const struct isolate_user *u, const char **what);
/*
 * n open files, lowered to this process's hard RLIMIT_NOFILE, which is
 * read once a process (nothing raises or lowers it after): what
 * isolate_apply would set, found in the parent rather than in every child.
 */
uint64_t isolate_open_files_within(uint64_t n);
/*
 * The address-space limit, when there is one, last thing before exec:
 * nothing may allocate after it (a sanitizer's runtime, say, would find no
 * address space left).
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
 * The same, made cheap enough to repeat every few milliseconds: the
 * task's processes are found by a walk of the tree, and between walks
 * each is re-read through its /proc files kept open (proc_handle); a
 * child that was not there, or one gone, brings the next walk at once.
 * vm_max_bytes is the last walk's.
 */
struct isolate_watch;
struct isolate_watch *isolate_watch_new(pid_t supervisor, int subreaper, pid_t sid);
/* full: walk the tree now. 0, or -1 when the system cannot tell. */
int isolate_watch_sample(struct isolate_watch *w, int full, struct isolate_mem *out);
void isolate_watch_free(struct isolate_watch *w);

/*
 * Send signo to every process of the task: its process group pgid, then
 * whatever the sample finds (escapees into new groups). Returns how many
 * processes other than the group were signalled.
 */
size_t isolate_signal_all(pid_t supervisor, int subreaper, pid_t pgid, int signo);

/*
 * Whether a failed task's ending points at its address-space limit (see
 * ISOLATE_*_HIT_PERCENT): a refused allocation ends a program as any error
 * does.
 */
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
