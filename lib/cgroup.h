/*
 * cgroup.h: Linux control groups as the files they are, v1 hierarchies and
 * the v2 unified one alike: the cgroups this process was started in, a
 * base nested under them (never above), each task's cgroup below it, its
 * limits (memory, cpu weight and cap, pids), joining it, what the kernel
 * counted there (memory used and its peak, OOM kills, refused forks), and
 * killing what is left in it before it is removed. Only open, read,
 * write, mkdir and rmdir: where there are no cgroups (the BSDs, a
 * container without write access) cgroup_base_find finds none usable, and
 * nothing else is called.
 */
#ifndef CGROUP_H
#define CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The controllers a task is held by. */
enum cgroup_ctrl { CGROUP_MEMORY, CGROUP_CPU, CGROUP_PIDS, CGROUP_CTRLS };
#define CGROUP_BIT(c) (1u << (c))
#define CGROUP_ALL (CGROUP_BIT(CGROUP_MEMORY) | CGROUP_BIT(CGROUP_CPU) | CGROUP_BIT(CGROUP_PIDS))

#define CGROUP_PATH_MAX 4096             /* bytes of a cgroup's directory */
#define CGROUP_CPU_SHARES_PER_CPU 1024   /* v1 cpu.shares, as Mesos */
#define CGROUP_CPU_SHARES_MIN 2
#define CGROUP_CPU_WEIGHT_PER_CPU 100    /* v2 cpu.weight, as Mesos */
#define CGROUP_CPU_WEIGHT_MIN 1
#define CGROUP_CPU_WEIGHT_MAX 10000
#define CGROUP_CFS_PERIOD_US 100000      /* the cap's period (the kernel's default) */
#define CGROUP_CFS_QUOTA_MIN_US 1000

/* "memory", "cpu", "pids": the kernel's names. */
const char *cgroup_ctrl_name(enum cgroup_ctrl c);

/* Where this process's tasks' cgroups go: one base directory per controller. */
struct cgroup_base {
	char *dir[CGROUP_CTRLS];     /* OWN/root_name in the controller's hierarchy; NULL: not usable */
	int version[CGROUP_CTRLS];   /* 1 or 2 */
};

/*
 * For each controller in want (CGROUP_BIT mask): find the cgroup this
 * process is in, make OWN/root_name below it (and, on v2, hand it the
 * controller), and prove a cgroup can be made there with the controller's
 * files and removed again. Returns the mask of usable controllers, with
 * the first reason one is not in why. root_name is one path segment. The
 * base stays (as Mesos's cgroups root does): it is shared by every agent
 * started in the same cgroup, each task's cgroup being named by its run.
 */
unsigned cgroup_base_find(const char *root_name, unsigned want, struct cgroup_base *b, char *why,
                          size_t whylen);
void cgroup_base_free(struct cgroup_base *b);

/* 2 when dir is a cgroup of the v2 hierarchy, else 1. */
int cgroup_version(const char *dir);
/* mkdir (one that exists is fine) and rmdir (one that is gone is fine). 0 or -1 with errno. */
int cgroup_make(const char *dir);
/*
 * cgroup_make, telling in *fresh whether this call made it (1) or found it
 * (0): a cgroup just made has every counter at 0, so its baselines need no
 * read.
 */
int cgroup_make_fresh(const char *dir, int *fresh);
int cgroup_remove(const char *dir);

/*
 * Limits, 0 or -1 with errno and the file in *what. Memory: bytes 0 is
 * none; the swap limit, where the kernel has one, keeps the task from
 * swapping; v2 kills the whole cgroup on an OOM (memory.oom.group). A
 * limit is only ever raised, as Mesos does: lowering it below what the
 * task holds would kill it (raise_only). Cpu: the weight of cpus_milli
 * thousandths of a cpu, and with cap a hard quota of as much. Pids: max 0
 * is none.
 */
int cgroup_set_memory(const char *dir, uint64_t bytes, int raise_only, const char **what);
int cgroup_set_cpu(const char *dir, int64_t cpus_milli, int cap, const char **what);
int cgroup_set_pids(const char *dir, uint64_t max, const char **what);

/* DIR/cgroup.procs: what cgroup_join writes to. */
void cgroup_procs_path(const char *dir, char *buf, size_t len);
/* Move the calling process into the cgroup whose cgroup.procs is procs. System calls only (vfork). */
int cgroup_join(const char *procs);

/*
 * What the kernel counted: memory now and at its peak, and its limit;
 * the times it found the cgroup out of memory (v2's OOM events, v1's
 * kills plus one while its processes are held); forks refused at pids.max.
 */
int cgroup_memory(const char *dir, uint64_t *current, uint64_t *peak);
int cgroup_memory_limit(const char *dir, uint64_t *bytes);
int cgroup_ooms(const char *dir, uint64_t *n);
int cgroup_pids_refused(const char *dir, uint64_t *n);
/* Processes in it now, -1 when it cannot be read. */
long cgroup_count(const char *dir);
/*
 * A descriptor that turns readable when the kernel's OOM killer acts in
 * the memory cgroup dir (v1: an eventfd through cgroup.event_control); -1
 * where there is no such event (v2 kills the whole cgroup, which its
 * leader's end tells).
 */
int cgroup_oom_watch(const char *dir);
/*
 * Out of memory, the task stops as a whole, never one process of it: v2
 * kills the whole cgroup (memory.oom.group, set with its limit); v1 holds
 * its processes (oom_kill_disable) for whoever watches cgroup_oom_watch's
 * descriptor to kill them all. Only with that descriptor watched, or they
 * wait for ever. 0 or -1.
 */
int cgroup_oom_hold(const char *dir);
/*
 * cgroup_oom_watch and, where it gives a descriptor, cgroup_oom_hold, with
 * one open of memory.oom_control: *held is 1 when the hold took.
 */
int cgroup_oom_watch_hold(const char *dir, int *held);
/* Send signo to every process in it. How many there were, -1 when it cannot be read. */
long cgroup_signal_all(const char *dir, int signo);

#endif
