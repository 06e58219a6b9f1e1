/*
 * proc.h: processes as the agent and a task's supervisor see them: the
 * kernel boot they run under, the tree below a supervisor, a user's
 * process count, the identity, priority and limits a task starts with,
 * and how a process ended, in words.
 */
#ifndef PROC_H
#define PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/resource.h>

#define PROC_BOOT_ID_MAX 64      /* bytes of a boot identity, NUL included */

/*
 * What identifies this boot of the kernel: Linux's random boot_id, else
 * the BSDs' kern.boottime. 0, or -1 when the system cannot tell (reboots
 * then go unnoticed).
 */
int proc_boot_id(char *buf, size_t len);

/*
 * Adopt orphaned descendants (Linux PR_SET_CHILD_SUBREAPER, FreeBSD
 * PROC_REAP_ACQUIRE), so a task's daemonized processes stay below its
 * supervisor. -1 (errno ENOSYS) where the system has no such thing.
 */
int proc_become_subreaper(void);

/* One process as proc_descendants and proc_session_members see it. */
struct proc_info {
	pid_t pid;
	uint64_t rss_bytes;        /* resident memory */
	uint64_t vm_bytes;         /* address space */
};

/*
 * The processes below root (not root itself), at most max of them into
 * out. Returns how many were stored, or -1 when the system cannot tell
 * (no /proc, no process sysctl).
 */
long proc_descendants(pid_t root, struct proc_info *out, size_t max);
/* The same for the processes of session sid (for systems without a subreaper). */
long proc_session_members(pid_t sid, struct proc_info *out, size_t max);
/*
 * One process re-read often at little cost: its /proc files kept open
 * (Linux), so a look is two reads. Where there are no such files, open
 * fails and proc_descendants is the way to look.
 */
struct proc_handle {
	pid_t pid;
	int statm_fd;
	int children_fd;
};
/* 0, or -1 when the process is gone or the system has no such files. */
int proc_handle_open(struct proc_handle *h, pid_t pid);
/*
 * Its resident memory now, and the children of its first thread (at most
 * max into kids, *nkids of them). -1 once the process is gone.
 */
int proc_handle_read(struct proc_handle *h, uint64_t *rss, pid_t *kids, size_t max, size_t *nkids);
void proc_handle_close(struct proc_handle *h);

/* How many processes user uid has now; -1 when unknown. */
long proc_user_count(uid_t uid);

/* initgroups(name, gid), setgid, setuid: 0, or -1 with errno. For a child before exec. */
int proc_switch_user(const char *name, uid_t uid, gid_t gid);
/*
 * The groups user name is in (gid among them) into groups, at most *n:
 * 0 with *n set, or -1 when the system cannot say or there are more. Read
 * ahead of time, so that a child under vfork can switch with system calls
 * alone (proc_switch_user_to).
 */
int proc_user_groups(const char *name, gid_t gid, gid_t *groups, int *n);
/* setgroups, setgid, setuid: only system calls. 0, or -1 with errno. */
int proc_switch_user_to(const gid_t *groups, int n, uid_t uid, gid_t gid);
/*
 * Set the calling process's nice value (setpriority) and, where Linux
 * groups sessions (autogroup), its session's. 0 or -1. Only system calls:
 * a child under vfork may call it, and proc_set_oom_score.
 */
int proc_set_nice(int value);
/*
 * How readily the kernel's OOM killer picks the calling process, -1000 to
 * 1000 (Linux oom_score_adj); 0 where there is no such thing. 0 or -1.
 */
int proc_set_oom_score(int adj);
/*
 * For a subreaper: whether it has any child, living or not. Every process
 * left of a task hangs from one (orphans are adopted), so none means none
 * left, known without reading /proc. Where waitid cannot look without
 * reaping (WNOWAIT), 1: the caller looks in the process table.
 */
int proc_has_children(void);
/*
 * One ended child reaped without waiting, as waitpid(-1, status, WNOHANG):
 * its pid, 0 when none has ended, -1 with errno. What it used, with the
 * children it reaped itself, is added to *used (times summed, the largest
 * peak rss kept), so one process can account for one task after another.
 * Where the system cannot tell a child's own usage, *used stays as it was
 * and proc_reap_counts_usage() is 0.
 */
pid_t proc_reap(int *status, struct rusage *used);
int proc_reap_counts_usage(void);
/*
 * A counter descriptor the kernel can signal (Linux eventfd: how cgroup v1
 * reports an OOM kill), close-on-exec and non-blocking; -1 with ENOSYS
 * where there is none.
 */
int proc_eventfd(void);
/* Cap memory: RLIMIT_AS, or RLIMIT_DATA where there is no RLIMIT_AS. 0 or -1. */
int proc_limit_memory(uint64_t bytes);
/* Cap processes of the user (RLIMIT_NPROC). 0, or -1 (errno ENOSYS where it does not exist). */
int proc_limit_processes(uint64_t n);

/*
 * A waitpid status in words: "exited with status 3", "killed by signal 11
 * (SIGSEGV)" ("killed by signal N" for a signal without a name here).
 */
void proc_describe_exit(int status, char *buf, size_t len);
/* 1 if the status is a clean exit 0. */
int proc_exit_ok(int status);

#endif
