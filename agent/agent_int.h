/*
 * agent_int.h: the agent's insides, shared by its files and by nothing
 * else (agent.h is the public face). The folder, one line a file:
 *   agent.c          the master connection: registration, pings, dispatch; start, stop, free
 *   agent_task.c     tasks from RUN_TASK to forgotten: kills, supervisors, after-commit work
 *   agent_update.c   the status update manager: queued, sent in order, resent until acknowledged
 *   agent_journal.c  the checkpoint journal: records, group commits, compaction, registration
 *   agent_recover.c  start-up from the checkpoint: agent ID, boot check, replay, old supervisors
 *   agent_executor.c custom executors: one per framework and executor ID, their tasks and lines
 *   agent_files.c    sandbox files for the master: READ_FILE, LIST_FILES
 *   agent_gc.c       removing old sandboxes (--gc_delay, --gc_disk_headroom)
 *   agent_spawner.c  agentd's side of the supervisor spawner (sup/spawner.h)
 *   agent_isolation.c what LAUNCH carries for isolation; cgroups no supervisor looks after
 *   checkpoint.c     files and journals a crash cannot tear (checkpoint.h)
 *   syncer.c         fsync in a thread of its own (syncer.h)
 *
 * A custom executor is kept as a struct agent_task of its own
 * (is_executor), so that its supervisor, checkpoint and recovery are a
 * task's: its task_id is "/" EXECUTOR_ID, which no real task ID can be,
 * and it never reports a status update (AGENT_FATE_SILENT from the start).
 */
#ifndef AGENT_INT_H
#define AGENT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent.h"
#include "buf.h"
#include "cgroup.h"
#include "checkpoint.h"
#include "conn.h"
#include "cred.h"
#include "id.h"
#include "map.h"
#include "proto.h"
#include "res.h"
#include "sup/isolate.h"

struct agent_gc;
struct agent_isolation_gone;
struct launcher_env;

#define AGENT_UUID_HEX_LEN 32
#define AGENT_STATE_MAX 32
#define AGENT_ERR_MAX 512
#define AGENT_MSG_MAX 512

/* Under work_dir (agent_journal.c draws the whole layout). */
#define AGENT_META_DIR "meta"
#define AGENT_SLAVE_INFO_FILE "slave.info"
#define AGENT_JOURNAL_FILE "task.updates"

enum agent_link_state {
	AGENT_LINK_IDLE,
	AGENT_LINK_CONNECTING,
	AGENT_LINK_HELLO,
	AGENT_LINK_REGISTERING,
	AGENT_LINK_REGISTERED,
};

/* What the agent still owes the master about a task. */
enum agent_task_fate {
	AGENT_FATE_TRACKED,        /* every update, resent until acknowledged */
	AGENT_FATE_FRAMEWORK_GONE, /* its framework was shut down: one last update, no retries */
	AGENT_FATE_SILENT,         /* from a registration the master dropped: nothing */
};

struct agent_update {
	struct agent_update *next;
	char uuid[AGENT_UUID_HEX_LEN + 1];
	char state[AGENT_STATE_MAX];
	char *source;
	char *reason;
	char *message;
	double timestamp;
	int healthy;                          /* PROTO_HEALTHY_NONE: no health check result in it */
	struct proto_usage usage;             /* terminal updates: what the task used */
	int sent;                             /* went out at least once (the test hook counts sends) */
	int lost;                             /* its last send was lost on purpose (--test_drop_updates) */
	int held;                             /* TASK_STARTING waiting for what follows it (agent_update_hold) */
	uint64_t journal_gen;                 /* the commit its record belongs to (agent->journal_gen) */
};

/*
 * What a task has to do once its records are committed. Starting its
 * supervisor (or handing it to its executor), telling its supervisor its end
 * is kept and acknowledging an executor's lines need them written: a kill -9
 * of agentd loses nothing written. Sending its head update needs that
 * update's record fsync'ed, and forgetting it needs every record fsync'ed: a
 * crash of the machine must not undo what the framework was told.
 */
enum agent_task_after {
	AGENT_AFTER_LAUNCH = 1 << 0,
	AGENT_AFTER_SUPERVISOR_ACK = 1 << 1,
	AGENT_AFTER_RELAY_ACK = 1 << 2,
	AGENT_AFTER_SEND = 1 << 3,
	AGENT_AFTER_FORGET = 1 << 4,
};

struct agent_task {
	struct agent *agent;
	char *key;                   /* framework_id "/" task_id */
	char *task_id;
	char *framework_id;
	char *name;
	char *role;
	char *framework_name;
	char *user;
	char *failover_timeout;      /* seconds, echoed back as the master sent it */
	struct res resources;
	char *sandbox;               /* NULL when it never got one */
	char *meta;                  /* the supervisor's checkpoint name: RUNS_DIR/RUN (.sock, .status) */
	char state[AGENT_STATE_MAX]; /* the latest state reported */
	long long grace_ms;          /* from RUN_TASK; < 0 when not given */
	enum agent_task_fate fate;

	int live;                    /* a supervisor runs it and has not reported its end */
	int ended;                   /* its end is known and checkpointed */
	pid_t child_pid;             /* the supervisor, while it is our child (0 once reaped or adopted) */
	pid_t task_pid;              /* the task's first process (its session and group), once started */
	pid_t supervisor_pid;        /* as the supervisor reported it (STARTED, ATTACHED); 0 until then */
	struct conn *supervisor;     /* to the supervisor, NULL when not connected */
	char *launch;                /* the LAUNCH line, until the supervisor is started */
	int healthy;                 /* -1 until a health check said */
	int kill_requested;
	long long pending_kill_ms;   /* a kill to send once the supervisor is reached; -1 none */
	uint64_t probe_timer;        /* reaching the supervisor again */
	int probes;

	struct agent_update *head, *tail; /* unacknowledged updates, oldest first */
	uint64_t retry_timer;
	int64_t retry_ms;

	/* The journal's: the after-commit list and how far t's records go. */
	struct agent_task *commit_next; /* in agent->after_commit */
	int in_commit;
	uint64_t journal_gen;        /* the commit its last record belongs to (agent->journal_gen) */
	/* agent_task.c's: what it has to do then (others ask with agent_task_after_commit). */
	unsigned after;              /* enum agent_task_after */

	int is_executor;             /* a custom executor, not a task (see above) */
	char *executor_id;           /* on an executor and on each task it runs; else NULL */
	unsigned long long relay_seq;   /* executor: its last line handled (journaled) */
	unsigned long long relay_ack;   /* executor: the seq RELAY_ACK is to say after the commit */
	int handed;                  /* a task of an executor: its RUN_TASK went to the executor */
};

struct agent {
	struct loop *loop;
	struct proto_auth_client auth;   /* the handshake's credential (--credential) ... */
	struct cred credential;          /* ... which points here */
	struct agent_config cfg;     /* strings owned below */
	char *master;
	char master_host[AGENT_HOST_MAX];
	int master_port;
	char *hostname;
	char *work_dir;              /* absolute */
	char *launcher_dir;
	char *supervisor_path;       /* mesos-executor */
	char *fetcher_path;
	char *fetcher_cache_dir;
	struct res resources;
	int64_t total_cpus_milli;
	char *resources_str;
	char *attributes_str;
	char agent_id[ID_MAX + 1];   /* "" until the first registration */
	char previous_agent_id[ID_MAX + 1];   /* --recover=cleanup: the ID we give up */
	int cwd_fd;                  /* to come back after connecting to a supervisor's socket */
	char *self_user;             /* our own user's name, NULL if unknown */
	int euid_root;               /* runs as root: tasks can run as their own users */
	char *meta_runs_made;        /* WORK_DIR/meta/slaves/AGENT/runs, once made: not made again per task */

	struct conn *conn;
	enum agent_link_state link;
	int reregistering;
	int warned;
	struct backoff backoff;
	uint64_t reconnect_timer;
	uint64_t register_timer;
	uint64_t ping_timer;
	int64_t ping_timeout_ms;

	struct map tasks;            /* key -> struct agent_task * */
	struct map pids;             /* decimal pid -> struct agent_task *: supervisors, our children */
	struct map completed;        /* key -> sandbox path of a forgotten task */
	char **completed_ring;
	size_t completed_next;

	struct checkpoint_journal journal;
	int journal_open;
	size_t compact_at;           /* journal lines that trigger a compaction */
	int checkpoint_failing;      /* the last checkpoint write failed (a full disk): retried */
	char checkpoint_error[AGENT_ERR_MAX]; /* why, as the master is told (AGENT_CONDITION) */
	struct agent_task *after_commit; /* tasks with work waiting for their records' commit */
	struct agent_task *committing;   /* its work runs now: not to be queued again in this pass */
	uint64_t commit_timer;
	struct syncer *syncer;       /* fsyncs in the background; NULL: in the loop */
	int commit_inflight;         /* the syncer has an fsync under way */
	uint64_t journal_gen;        /* records added now belong to the commit of this number */
	uint64_t written_gen;        /* every commit up to this one is written (kill -9 safe) */
	uint64_t inflight_gen;       /* the one the fsync under way covers */
	uint64_t synced_gen;         /* every commit up to this one is fsync'ed (crash safe) */
	uint64_t lazy_sync_timer;    /* fsyncs what nothing waits for, a while after its write */
	int sync_due;                /* that while has passed: the next commit fsyncs */
	int64_t drops_left;          /* --test_drop_updates */

	struct agent_gc *gc;
	struct agent_spawner *spawner;

	/* agent_isolation.c's */
	struct cgroup_base cgroups;  /* where tasks' cgroups go (a copy of the config's) */
	unsigned isolation_cgroups;
	char isolation_str[ISOLATE_ISOLATION_MAX];   /* the isolation in force, Mesos's names */
	char *launch_cgroup[CGROUP_CTRLS];   /* the LAUNCH being composed points into these */
	struct agent_isolation_gone *cgroups_gone;
	uint64_t cgroups_timer;

	int stopping;
	int stopped;
	int flushed;
	int freeing;
	int detaching;
	uint64_t stop_timer;
};

/* agent.c */
int agent_link_up(const struct agent *a);
/* Finish a message built with proto_begin and queue it to the master, if it is there. */
void agent_send_msg(struct agent *a, struct buf *b);
/* A message of string fields: key, value, ..., NULL. */
void agent_send_fields(struct agent *a, const char *verb, ...);
void agent_maybe_finish_stop(struct agent *a);

/* agent_task.c */
/* What one verb from a supervisor does to its task (the tables of tasks and of executors). */
struct agent_task_verb {
	const char *verb;
	void (*fn)(struct agent *a, struct agent_task *t, const struct proto_msg *m);
};

struct agent_task *agent_task_find(struct agent *a, const char *fw, const char *tid);
struct agent_task *agent_task_new(struct agent *a, const char *fw, const char *tid);
void agent_task_free(struct agent *a, struct agent_task *t);
void agent_task_handle_run(struct agent *a, const struct proto_msg *m);
void agent_task_handle_kill(struct agent *a, const struct proto_msg *m);
void agent_task_handle_shutdown(struct agent *a, const struct proto_msg *m);
void agent_task_kill(struct agent *a, struct agent_task *t, int64_t grace_ms);
/* Stop caring about a task: drop its updates, kill it, forget it once it is gone. */
void agent_task_abandon(struct agent *a, struct agent_task *t, enum agent_task_fate fate,
                        int64_t grace_ms);
/* Start t's supervisor with exec on fd (its end of the socketpair, closed here). -1: failed, reported. */
int agent_task_exec_supervisor(struct agent *a, struct agent_task *t, int fd);
/* Have work (enum agent_task_after, 0 for none) done once t's records are committed. */
void agent_task_after_commit(struct agent *a, struct agent_task *t, unsigned work);
/*
 * The journal committed (written: t's records are written; synced: they
 * are fsync'ed): do what waited for that. 1 while t still waits for more;
 * 0 when it is done, and may be gone.
 */
int agent_task_committed(struct agent *a, struct agent_task *t, int written, int synced);
/* Recovery: reach the supervisor of a task that was running when we went down. */
void agent_task_reattach(struct agent *a, struct agent_task *t);
/* Connect to t's supervisor socket: the descriptor, or -1 with errno and err. */
int agent_task_connect(struct agent *a, struct agent_task *t, char *err, size_t errlen);
/* The supervisor's end as a line (EXITED): the terminal update it makes. */
void agent_task_ended(struct agent *a, struct agent_task *t, const struct proto_msg *exited);
/*
 * t is over: checkpointed as ended, and its last update queued, sent once
 * or dropped as its fate says. usage may be NULL.
 */
void agent_task_finish(struct agent *a, struct agent_task *t, const char *state, const char *source,
                       const char *reason, const char *message, const struct proto_usage *usage);
/* A line to t's supervisor, if it is connected. */
void agent_task_send_supervisor(struct agent_task *t, const char *line);
/* To a supervisor: kill the task now if it runs, and exit without waiting for an ACK. */
#define AGENT_SUPERVISOR_SHUTDOWN_NOW "SHUTDOWN grace_ms=0\n"
/* WORK_DIR/meta/slaves/AGENT/runs/RUN for a sandbox .../runs/RUN; NULL with err. */
char *agent_task_meta_name(struct agent *a, const char *sandbox, char *err, size_t errlen);
/*
 * What every LAUNCH of t carries: its key, command, sandbox, environment
 * (env must outlive l), the user it runs as, and the agent's sampling,
 * recovery and log settings. -1 with err when t may not run at all.
 */
int agent_task_launch_base(struct agent *a, const struct agent_task *t, const char *command,
                           const struct launcher_env *env, struct proto_launch *l, char *err,
                           size_t errlen);
int agent_task_watch_children(struct agent *a, char *err, size_t errlen);
void agent_task_remember_sandbox(struct agent *a, const char *key, const char *sandbox);

/* agent_update.c */
/*
 * Queue an update for t: checkpointed at the next commit, then sent (in
 * order: one in flight, or those whose records were on disk together when
 * the first of them went out) and resent until acknowledged. usage may be NULL.
 */
void agent_update_queue(struct agent *a, struct agent_task *t, const char *state,
                        const char *source, const char *reason, const char *message, int healthy,
                        const struct proto_usage *usage);
/*
 * t's last queued update (its TASK_STARTING) is not sent before the next
 * one is queued, or AGENT_STARTING_HOLD_MS have passed: then both go out
 * together, their records fsync'ed by one fdatasync.
 */
void agent_update_hold(struct agent *a, struct agent_task *t);
/* An update about a task the agent does not track: sent once, never resent. */
void agent_update_oneshot(struct agent *a, const char *fw, const char *tid, const char *state,
                          const char *source, const char *reason, const char *message);
void agent_update_drop(struct agent *a, struct agent_task *t);
void agent_update_free(struct agent_update *u);
/* An update as a STATUS_UPDATE line: the same for the wire and for the journal. */
void agent_update_compose(struct buf *b, const char *fw, const char *tid,
                          const struct agent_update *u, const char *latest);
/* After a commit: t's head goes out if its record is fsync'ed; 0 while it still waits for that. */
int agent_update_committed(struct agent *a, struct agent_task *t);
void agent_update_handle_ack(struct agent *a, const struct proto_msg *m);
/* Every queued update of every task, in order (leaving). */
void agent_update_send_all(struct agent *a);
void agent_update_reset_retries(struct agent *a);
/* Recovery: an update read back from the journal, queued again as it was (UUID, time). */
void agent_update_replay(struct agent_task *t, const struct proto_status *s);
/* Recovery: an ACK read back from the journal; its update leaves the queue. */
void agent_update_replay_ack(struct agent_task *t, const char *uuid);

/* agent_journal.c */
/* Records that must be durable before what follows them. */
void agent_journal_task(struct agent *a, struct agent_task *t);
void agent_journal_update(struct agent *a, struct agent_task *t, struct agent_update *u);
void agent_journal_ack(struct agent *a, struct agent_task *t, const char *uuid);
void agent_journal_fate(struct agent *a, struct agent_task *t);
void agent_journal_ended(struct agent *a, struct agent_task *t);
void agent_journal_started(struct agent *a, struct agent_task *t);
void agent_journal_gone(struct agent *a, struct agent_task *t);
void agent_journal_relayed(struct agent *a, struct agent_task *e);
void agent_journal_handed(struct agent *a, struct agent_task *t);
/* The fate a FATE record names (tracked for a name it does not know). */
enum agent_task_fate agent_journal_fate_named(const char *name);
/*
 * Make sure a commit comes; with t, put t on the after-commit list: after
 * each commit, agent_task_committed(t) until it is done.
 */
void agent_journal_commit_soon(struct agent *a, struct agent_task *t);
/* Commit now (also done from a zero-delay timer after any change). */
void agent_journal_commit(struct agent *a);
/* Whether every record of commit gen is fsync'ed (crash safe), or there is no journal. */
int agent_journal_synced(const struct agent *a, uint64_t gen);
/* Rewrite the journal with only what is still true (temp, fsync, rename). */
int agent_journal_compact(struct agent *a, char *err, size_t errlen);
/* The background commits' thread: started with the agent (on failure, commits run in the loop), */
int agent_journal_syncer_start(struct agent *a, char *err, size_t errlen);
/* and stopped after waiting for the one under way. */
void agent_journal_syncer_stop(struct agent *a);
/* work_dir/meta/rest, allocated. */
char *agent_journal_meta_path(const struct agent *a, const char *rest);
/* The master gave us an ID (new or the same): persist it, open its journal. */
int agent_journal_open(struct agent *a, const char *id, char *err, size_t errlen);
/*
 * A checkpoint write failed (err) or, err NULL, succeeded: on a change the
 * log and the master hear of it (AGENT_CONDITION); agent_journal_report
 * tells a master the condition again (after registering).
 */
void agent_journal_condition(struct agent *a, const char *err);
void agent_journal_report(struct agent *a);
/* Write and fsync what is pending, and close. */
void agent_journal_close(struct agent *a);

/* agent_recover.c */
/* Start-up: the agent ID, the journal's tasks and their updates, the boot check. */
int agent_recover(struct agent *a, char *err, size_t errlen);

/* agent_executor.c */
struct agent_task *agent_executor_find(struct agent *a, const char *fw, const char *executor_id);
/* RUN_TASK of t naming an executor: start it if need be, and hand it t after the commit. */
void agent_executor_run(struct agent *a, struct agent_task *t, const struct proto_msg *m);
/* After the commit: a task's RUN_TASK to its executor, once the executor is reached. */
void agent_executor_send_task(struct agent *a, struct agent_task *t);
/* The executor's supervisor runs or is back: what waited for it goes out. */
void agent_executor_flush(struct agent *a, struct agent_task *e);
void agent_executor_kill_task(struct agent *a, struct agent_task *t, int64_t grace_ms);
/* An executor's supervisor's lines (its own verbs, and the executor's it relays); NULL ends it. */
extern const struct agent_task_verb agent_executor_verbs[];
/* The executor is over: every task of it still running fails (or is killed). */
void agent_executor_ended(struct agent *a, struct agent_task *e, const char *state,
                          const char *reason, const char *message);
/* After the commit: tell the supervisor which of the executor's lines are safe. */
void agent_executor_relay_ack(struct agent *a, struct agent_task *e);
/* FRAMEWORK_MESSAGE from the master, for one executor. */
void agent_executor_handle_message(struct agent *a, const struct proto_msg *m);
/* Recovery, after the journal: tasks whose executor is gone fail. */
void agent_executor_recover(struct agent *a);

/* agent_files.c */
void agent_files_handle_read(struct agent *a, const struct proto_msg *m);
void agent_files_handle_list(struct agent *a, const struct proto_msg *m);

/* agent_gc.c */
struct agent_gc *agent_gc_new(struct agent *a);
/*
 * A sandbox (and the directories above it that empty out) or a run's
 * checkpoint directory to remove gc_delay after done_at.
 */
void agent_gc_schedule(struct agent_gc *g, const char *sandbox, double done_at);
/* Recovery: every sandbox and run directory no task owns goes on the schedule, aged by its mtime. */
void agent_gc_scan(struct agent_gc *g);
/*
 * meta (a forgotten task's run checkpoint name) may have left a RUN.status:
 * within a second, every RUN.status in its directory that no task owns goes.
 */
void agent_gc_drop_status_soon(struct agent_gc *g, const char *meta);
void agent_gc_free(struct agent_gc *g);

/* agent_isolation.c */
/* l's isolation fields for t (cpus_milli: its cpus); they stay valid until the next call. */
void agent_isolation_launch(struct agent *a, const struct agent_task *t, int64_t cpus_milli,
                            struct proto_launch *l);
/* The strings agent_isolation_launch made, freed once the LAUNCH line is composed. */
void agent_isolation_launch_done(struct agent *a);
/* t's supervisor is gone: what is left in its cgroups is killed, they are removed. */
void agent_isolation_cleanup(struct agent *a, const struct agent_task *t);
/* Start-up, after the checkpoint: a running task's cgroups found, ours that nothing holds removed. */
void agent_isolation_recover(struct agent *a);
void agent_isolation_free(struct agent *a);

/* agent_spawner.c */
/* Start the supervisor spawner; without it, supervisors start with exec. */
void agent_spawner_start(struct agent *a);
/* Have the spawner fork the supervisor of path, handing it fd: 0, fd taken; -1, use exec. */
int agent_spawner_launch(struct agent *a, const char *key, const char *path, int fd);
void agent_spawner_free(struct agent *a);

#endif
