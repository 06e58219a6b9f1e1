/*
 * agent.h: the agent's state and its conversation with the master.
 *   agentd.c       flags, start-up, signals
 *   agent/         the master connection, tasks and their supervisors,
 *                  status updates and the checkpoint, files, sandbox GC
 *                  (agent_int.h is its map)
 *   sup/           mesos-executor, the supervisor of each task (or of a
 *                  custom executor, whose lines it relays); sandboxes,
 *                  environments, starting supervisors; mesos-fetcher, a
 *                  task's URIs into its sandbox
 *
 * Tasks do not depend on the agentd process: each runs under a supervisor
 * that outlives it. Everything the agent owes the master (its ID, its
 * tasks, every unacknowledged status update) is checkpointed under
 * work_dir/meta before it is sent, so a restarted agentd takes its tasks
 * back, reports what ended while it was away, and resends what was not
 * acknowledged.
 */
#ifndef AGENT_H
#define AGENT_H

#include <stddef.h>
#include <stdint.h>

struct cgroup_base;
struct loop;
struct res;

#define AGENT_VERSION "0.1.0"
#define AGENT_HOST_MAX 256                      /* bytes in a host name */
#define AGENT_DEFAULT_MASTER_PORT 5050
#define AGENT_DEFAULT_WORK_DIR "/tmp/mesos"
#define AGENT_DEFAULT_SHUTDOWN_GRACE_MS 5000    /* --executor_shutdown_grace_period */
#define AGENT_DEFAULT_KILL_GRACE_MS 3000        /* Mesos's command executor, without a kill policy */
#define AGENT_CONN_OUT_MAX (16u << 20)          /* unsent bytes to the master */
#define AGENT_CONNECT_TIMEOUT_MS 10000
#define AGENT_REGISTER_TIMEOUT_MS 30000         /* from HELLO to AGENT_REGISTERED */
#define AGENT_BACKOFF_INITIAL_MS 1000           /* Mesos --registration_backoff_factor */
/*
 * Low, so a restarted master is seen within a few seconds: Mesos agents
 * learn of a new leader at once through ZooKeeper, and we have no such
 * channel. The jitter (conn.c's backoff_next: each delay uniform in its
 * upper half) spreads 10,000 agents over 2 s.
 */
#define AGENT_BACKOFF_MAX_MS 4000
#define AGENT_UPDATE_RETRY_MS 10000             /* status update manager: first resend */
#define AGENT_UPDATE_RETRY_MAX_MS 600000        /* ... doubling up to this */
#define AGENT_STARTING_HOLD_MS 100              /* TASK_STARTING waits this long for TASK_RUNNING to go with it */
#define AGENT_DEFAULT_PING_INTERVAL_MS 15000    /* when AGENT_REGISTERED does not say */
#define AGENT_DEFAULT_PING_TIMEOUTS 5
#define AGENT_COMPLETED_SANDBOXES_MAX 1000      /* finished tasks whose files stay readable */
#define AGENT_READ_MAX 32768                    /* bytes in one FILE_DATA */
#define AGENT_LAZY_SYNC_MS 1000                 /* journal records nothing waits for: fsync'ed within this */
#define AGENT_SHUTDOWN_SLACK_MS 500             /* after the grace period, to flush updates */
#define AGENT_PROBE_RETRY_MS 100                /* reaching a supervisor again after its socket closed */
#define AGENT_PROBE_TRIES 20
#define AGENT_PORT_ENV_MAX 256                  /* ports exported as PORT0..PORTn */

#define AGENT_DEFAULT_GC_DELAY_MS (7LL * 24 * 3600 * 1000)   /* --gc_delay: 1 week */
#define AGENT_DEFAULT_GC_HEADROOM 0.1
#define AGENT_DEFAULT_DISK_WATCH_MS 60000        /* --disk_watch_interval */
#define AGENT_DEFAULT_CONTAINER_DISK_WATCH_MS 15000   /* Mesos --container_disk_watch_interval */
#define AGENT_DEFAULT_MEMORY_WATCH_MS 1000       /* --container_memory_watch_interval */
#define AGENT_DEFAULT_RECOVERY_TIMEOUT_MS (15LL * 60 * 1000)   /* Mesos --recovery_timeout */
#define AGENT_DEFAULT_FETCHER_STALL_MS 60000     /* Mesos --fetcher_stall_timeout */
#define AGENT_DEFAULT_FETCHER_CACHE_BYTES (2ULL << 30)   /* Mesos --fetcher_cache_size */
#define AGENT_DEFAULT_CGROUPS_ROOT "mesos"       /* Mesos --cgroups_root, below agentd's own cgroup */

enum agent_recover { AGENT_RECOVER_RECONNECT, AGENT_RECOVER_CLEANUP };

/* Settled by agentd.c from the flags before the agent starts. */
struct agent_config {
	const char *master;              /* as given ("host:port"), for messages */
	const char *master_host;
	int master_port;
	const char *hostname;            /* reported to the master */
	const char *work_dir;            /* absolute, exists */
	const struct res *resources;     /* complete: --resources plus detected defaults */
	const char *attributes;          /* canonical text, "" for none */
	int64_t executor_shutdown_grace_period_ms;
	const char *launcher_dir;        /* where mesos-executor and mesos-fetcher are */
	enum agent_recover recover;
	int64_t recovery_timeout_ms;     /* a supervisor without agentd this long kills its task */
	int switch_user;                 /* run tasks as their user (when agentd is root) */
	int allow_root_tasks;
	int64_t gc_delay_ms;
	double gc_disk_headroom;
	int64_t disk_watch_ms;           /* GC's look at the disk */
	int64_t container_disk_watch_ms; /* each sandbox's usage; 0 = not measured */
	int64_t memory_watch_ms;         /* each task's resident memory; 0 = not sampled */
	const char *fetcher_cache_dir;
	uint64_t fetcher_cache_bytes;
	int64_t fetcher_stall_ms;
	int64_t update_retry_ms;         /* first resend of an unacknowledged update */
	long long task_max_processes;    /* RLIMIT_NPROC above the user's count; 0 = none */
	long long task_max_open_files;
	long long test_drop_updates;     /* for tests: this many first status updates are lost */
	const char *log_level;           /* handed to the supervisors */
	unsigned isolation_cgroups;      /* CGROUP_BIT of each resource cgroups hold; POSIX the rest */
	const struct cgroup_base *cgroups;   /* where tasks' cgroups go (copied) */
	int cgroups_enable_cfs;          /* a hard cpu cap as large as the task's cpus */
	uint64_t touch_rate;             /* bytes/ms the machine hands out: posix/mem's pace */
	const char *principal;           /* --credential, NULL: none (copied) */
	const char *secret;
};

struct agent;

/* Copy the configuration and watch SIGCHLD. NULL with a one-line reason in err. */
struct agent *agent_new(struct loop *loop, const struct agent_config *cfg, char *err, size_t errlen);
/* Start connecting to the master. */
void agent_start(struct agent *a);
/*
 * Begin an orderly exit (SIGTERM/SIGINT): kill every task (TERM, then KILL
 * after the shutdown grace period), send the last updates, then
 * loop_stop(). Calling it again changes nothing.
 */
void agent_stop(struct agent *a);
/*
 * Leave at once (SIGQUIT) without touching the tasks: their supervisors
 * wait for a restarted agentd, which takes them back.
 */
void agent_detach(struct agent *a);
/* Free everything; tasks keep running under their supervisors. */
void agent_free(struct agent *a);

#endif
