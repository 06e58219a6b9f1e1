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
/* How many processes user uid has now; -1 when unknown. */
long proc_user_count(uid_t uid);

/* initgroups(name, gid), setgid, setuid: 0, or -1 with errno. For a child before exec. */
int proc_switch_user(const char *name, uid_t uid, gid_t gid);
/* Set the calling process's nice value (setpriority). 0 or -1. */
int proc_set_nice(int value);
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
