/*
 * sup_int.h: what mesos-executor's two files share: the state of the one
 * task it supervises and the calls between them.
 *   sup.c       main, agentd's link and its verbs, the socket a restarted
 *               agentd finds, and the task's end: what it was, the EXITED
 *               line and RUN.status, held until agentd acknowledges it
 *   sup_task.c  the task itself: fetching, starting it under its limits
 *               (a custom executor with its channel), health checks, kills
 *               and the sweep of its processes
 *   sup_watch.c how it is held while it runs: its cgroups, or its memory
 *               and processes sampled; its disk; the kill over a limit
 * The contract with agentd is sup.h; the rest of sup/ is in sup/README.
 */
#ifndef SUP_INT_H
#define SUP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/resource.h>

#include "buf.h"
#include "cgroup.h"
#include "isolate.h"
#include "launcher.h"
#include "proto.h"

struct conn;
struct loop;
struct sup_health;
struct sup_relay;

#define SUP_MSG_MAX 512                 /* bytes of a log or wire message, and of a cause */
#define SUP_DESC_MAX 128                /* "killed by signal 9 (SIGKILL)" and the like */
#define SUP_BYTES_PER_MB (1024.0 * 1024.0)

enum sup_phase { SUP_PHASE_WAITING, SUP_PHASE_FETCHING, SUP_PHASE_RUNNING, SUP_PHASE_ENDING,
                 SUP_PHASE_DONE };

struct sup {
	struct loop *loop;
	struct conn *agent;          /* NULL while agentd is away */
	int listen_fd;
	pid_t self;
	int subreaper;
	enum sup_phase phase;

	char *tag;                   /* the task's key, for log lines */
	char *sock_name;             /* RUN.sock, in our working directory */
	char *status_name;           /* RUN.status */
	char *command;
	char *sandbox;
	struct launcher_env env;
	struct isolate_limits lim;
	struct isolate_user user;
	int64_t grace_ms, mem_watch_ms, disk_watch_ms, recovery_timeout_ms, stall_timeout_ms;
	int port0;
	char **uris;
	size_t nuris;
	char *fetcher;
	char *cache_dir;
	uint64_t cache_bytes;
	struct proto_health hspec;   /* its strings are health_command and health_path */
	char *health_command;
	char *health_path;

	struct sup_health *health;
	int healthy;                 /* -1 until the first result */
	int failures;                /* consecutive failed checks */

	pid_t fetch_pid;
	int fetch_fd;
	struct buf fetch_out;
	pid_t task_pid;
	int task_status;
	int launch_failed;

	const char *cause_state;     /* why it ends: the first cause wins */
	const char *cause_reason;
	char cause_msg[SUP_MSG_MAX];
	int killing;
	int64_t kill_deadline;
	uint64_t kill_timer, sweep_timer, orphan_timer;
	uint64_t disk_used, peak_rss, peak_vm;

	/* sup_watch.c's: the task's cgroups, or its sampling, and its disk. */
	char *cgroup[CGROUP_CTRLS];  /* its cgroup in each hierarchy (LAUNCH); NULL: not by cgroups */
	char *cgroup_procs[CGROUP_CTRLS];
	int made[CGROUP_CTRLS];      /* made, and not removed yet */
	int mem_limited;             /* its memory cgroup has a limit (an executor's comes later) */
	int64_t cpus_milli;
	int cpu_cap;
	uint64_t touch_rate;         /* bytes/ms the machine hands out: the sampling's pace */
	uint64_t ooms_before, refused_before;   /* the kernel's counters when it started */
	uint64_t oom_events;         /* v1's OOM events seen: each one an OOM, whatever the counters say */
	int oom_fd;                  /* v1's OOM event, -1 */
	struct isolate_watch *watch;
	int64_t last_look_ms, last_walk_ms;
	uint64_t last_rss;
	size_t last_nprocs;
	uint64_t watch_timer, cgroup_timer, disk_timer;
	int64_t disk_gap_ms;          /* between looks at the sandbox's disk: adapts (sup_watch.c) */
	int64_t disk_sampled_ms;      /* when the last look ended (disk_used is its figure) */
	struct isolate_du *du;
	int sweeps;
	int stragglers;              /* the sweep gave up with processes of the task left */
	struct rusage used;          /* by the children reaped for this task (proc_reap) */
	char *exit_line;             /* the EXITED message, once the task is over */
	int no_ack;                  /* SHUTDOWN: nobody will acknowledge the end, exit after it */
	int acked;                   /* agentd has the end in its journal */
	int lost_agent;              /* agentd's socket closed before the end was acknowledged */
	int end_persisted;           /* the end is in RUN.status */

	/* A custom executor (LAUNCH named executor_id) and its channel. */
	int custom;
	char *executor_id, *framework_id, *agent_id;
	struct sup_relay *relay;
	int channel_fd;              /* the executor's end, until it is started */
};

/* sup.c */
/* Finish b (proto_begin'd) as one line and send it to agentd, if it is there. */
void sup_send(struct sup *s, struct buf *b);
/* Why the task ends: the first cause given wins. */
void sup_set_cause(struct sup *s, const char *state, const char *reason, const char *msg);
/* The task is over (or never started) and no process of it is left: judge its end, send
 * it to agentd or keep it for the next one. */
void sup_finalize(struct sup *s);

/* sup_task.c */
/* LAUNCH was read into s: fetch if there are URIs, then start the task. */
void sup_task_launch(struct sup *s);
/* SIGTERM now, SIGKILL after grace_ms; a later kill may only bring the SIGKILL closer. */
void sup_task_kill(struct sup *s, int64_t grace_ms);
/* SIGCHLD: reap every child that ended (the fetcher, a health check, the task, its orphans). */
void sup_task_reap(struct sup *s);
/* signo to every process of the task (its group, its tree, its cgroups): sup_watch_signal's count. */
long sup_task_signal(struct sup *s, int signo);

/* sup_watch.c */
/* Before the task starts: its cgroups made and limited, and how its memory is held. -1 with err. */
int sup_watch_prepare(struct sup *s, char *err, size_t errlen);
/* It runs: its cgroups' events, its samples and its disk watched. */
void sup_watch_start(struct sup *s);
/* An executor's LIMITS: its cgroups follow (memory is only ever raised). */
void sup_watch_limits(struct sup *s);
/* Its leader is gone: no more looks; the kernel's counters may say a limit ended it. */
void sup_watch_stop(struct sup *s);
/* signo to every process in its cgroups: how many there were, -1 without cgroups; how many are left in them. */
long sup_watch_signal(struct sup *s, int signo);
long sup_watch_left(struct sup *s);
/* Nothing of it is left: its cgroups removed. -1 while the kernel still holds one (try again). */
int sup_watch_release(struct sup *s);
void sup_watch_free(struct sup *s);

#endif
