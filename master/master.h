/*
 * master.h: the master's state and the contract between its three files.
 *   mesosd.c       flags, start-up, signals
 *   master.c       peers, agents, frameworks, tasks, offers: the protocol side
 *   master_http.c  the HTTP endpoints (state, metrics, health, version, roles)
 *
 *   master_agent.c     agents: registration, resync, pings, removal
 *   master_framework.c frameworks: subscription, offers accepted/declined, failover
 *   master_task.c      tasks: states, status updates, completed history
 *   master_cli.c       operator requests: kill, sandbox reads, teardown
 *   master_registry.c  the agent IDs kept on disk, to know whom to expect after a restart
 *
 * The master's state is soft, as in Mesos: nothing here is persisted.
 * Agents re-register with their tasks and frameworks re-subscribe with
 * their IDs after a master restart, and the state is rebuilt from them.
 */
#ifndef MASTER_H
#define MASTER_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "buf.h"
#include "map.h"
#include "proto.h"
#include "res.h"

struct loop;
struct conn;
struct alloc;
struct alloc_agent;
struct alloc_fw;
struct http_exchange;
struct buf;

#define MASTER_VERSION "0.1.0"
#define MASTER_CLI_IDLE_TIMEOUT_MS  60000    /* a cli peer silent this long is closed */
#define MASTER_FRAMEWORK_HEARTBEAT_MS 15000  /* Mesos's DEFAULT_HEARTBEAT_INTERVAL */
#define MASTER_TASK_STATUSES_MAX 16          /* status history kept per task */
#define MASTER_REMOVED_AGENTS_MAX 1024       /* IDs remembered to refuse their tasks back */
#define MASTER_FILE_REQUEST_TIMEOUT_MS 15000 /* a READ_FILE relay waits this long for the agent */

struct master_config {
	char *ip;
	long long port;
	char *hostname;
	char *work_dir;
	int64_t agent_ping_timeout_ms;
	long long max_agent_ping_timeouts;
	int64_t offer_timeout_ms;              /* 0 = offers never time out */
	int64_t allocation_interval_ms;
	int64_t agent_reregister_timeout_ms;
	char *min_allocatable_resources;
	char *weights;
	char *roles;
	char *quota;
	long long max_completed_frameworks;
	long long max_completed_tasks_per_framework;
	int64_t handshake_timeout_ms;          /* a peer must say HELLO this soon */
	uint64_t peer_output_limit;            /* unsent bytes to one peer before it is dropped */
};

struct task_status {
	char state[32];
	char *message;
	char *reason;
	char *source;
	char *uuid;
	double timestamp;
	int healthy;               /* the agent's health check result: 1, 0, -1 none */
};

/* What the agent measured of a task, sent with its terminal update. */
struct task_usage {
	int known;
	double cpus_user_time_secs;
	double cpus_system_time_secs;
	long long mem_rss_bytes;
	long long disk_used_bytes;
};

struct task {
	char *id;
	char *name;
	struct framework *fw;
	char *agent_id;
	char state[32];
	struct res resources;
	struct task_status statuses[MASTER_TASK_STATUSES_MAX];
	size_t nstatuses;          /* ring: the last MASTER_TASK_STATUSES_MAX */
	size_t statuses_total;
	double started;
	struct task_usage usage;
};

struct peer;

struct agent {
	struct master *m;
	char *id;
	char *hostname;
	struct res total;
	struct res used;           /* sum of its live tasks' resources */
	struct attrs attributes;
	struct peer *peer;         /* NULL while disconnected */
	struct alloc_agent *alloc;
	struct map tasks;          /* "fw_id/task_id" -> struct task * (live tasks) */
	int missed_pings;
	uint64_t ping_timer;
	long long ping_seq;
	int pong_pending;
	double registered_time;
	int resyncing;             /* between AGENT_REGISTERED and AGENT_RESYNC_DONE */
	struct map resync_seen;    /* keys reported during the resync */
};

struct framework {
	struct master *m;
	char *id;
	char *name;
	char *user;
	char *role;
	char *principal;
	double failover_timeout;   /* seconds */
	int checkpoint;
	int recovered;             /* learnt from an agent, scheduler not back yet */
	struct peer *peer;         /* NULL while disconnected */
	struct alloc_fw *alloc;
	struct map tasks;          /* task_id -> struct task * (live tasks) */
	struct task **completed;   /* ring of finished tasks */
	size_t ncompleted, completed_head, completed_cap;
	struct map offers;         /* offer_id -> struct offer * */
	uint64_t failover_timer;
	double registered_time;
	double unregistered_time;  /* when removed (completed frameworks) */
};

struct offer {
	struct master *m;
	char *id;
	struct framework *fw;
	struct agent *agent;
	struct res resources;
	uint64_t timeout_timer;
};

struct master_metrics {
	long long tasks_finished, tasks_failed, tasks_killed, tasks_lost, tasks_error, tasks_dropped;
	long long agent_registrations, agent_reregistrations, agent_removals;
	long long frameworks_removed;
	long long messages_received, invalid_messages;
	long long offers_sent, offers_declined, offers_accepted, offers_rescinded;
	long long allocation_runs;
	double allocation_last_ms;
};

struct master {
	struct loop *loop;
	struct master_config cfg;
	struct alloc *alloc;
	char id[32];
	int listen_fd;
	int port;                  /* bound port */
	double start_time;         /* wall clock */
	int64_t start_ms;          /* monotonic */
	struct map agents;         /* id -> struct agent * */
	struct map frameworks;     /* id -> struct framework * */
	struct map offers;         /* id -> struct offer * */
	struct map removed_agents; /* id -> (void *)1 */
	struct map file_requests;  /* master request id -> struct file_request * */
	struct map recovering_agents; /* IDs from the registry not re-registered yet */
	uint64_t registry_timer;
	uint64_t recovery_timer;
	struct framework **completed_frameworks;
	size_t ncompleted_frameworks, completed_frameworks_head;
	struct peer *peers;        /* every open protocol connection */
	unsigned long long next_agent, next_framework, next_offer, next_request;
	uint64_t allocation_timer;
	int allocation_soon;       /* an early pass is scheduled */
	struct master_metrics metrics;
	struct buf out;            /* the outgoing line being built (one at a time) */
	char err[512];             /* the error being reported (one at a time) */
};

/* One protocol connection. */
struct peer {
	struct master *m;
	struct conn *conn;
	enum proto_kind kind;
	int hello;
	struct agent *agent;       /* set once an agent registered on it */
	struct framework *fw;      /* set once a framework subscribed on it */
	struct peer *prev, *next;
};

/* A sandbox read relayed from a cli peer to an agent. */
struct file_request {
	char id[32];
	struct peer *cli;          /* NULL once the cli has gone */
	char *agent_id;
	uint64_t timer;
	struct master *m;
};

/* One verb a peer kind may send; tables end with a NULL verb. */
struct master_handler {
	const char *verb;
	void (*fn)(struct master *m, struct peer *p, const struct proto_msg *msg);
};

/* master.c */
int master_init(struct master *m, struct loop *loop, char *err, size_t errlen);
void master_shutdown(struct master *m);
/*
 * Serve a connected, non-blocking descriptor (a plugin host's end of a
 * socketpair) exactly like an accepted TCP connection: it must say HELLO.
 */
struct peer *master_adopt_fd(struct master *m, int fd, const char *origin);
/* Start an outgoing message in m->out; add fields with proto_add(&m->out, ...). */
struct buf *master_msg(struct master *m, const char *verb);
/* Finish m->out and queue it to p (nothing if p is NULL or closing). */
void master_send(struct master *m, struct peer *p);
/* Send "ERROR reason=..." and disconnect the peer. */
void master_peer_error(struct peer *p, const char *reason);
void master_offer_free(struct master *m, struct offer *o);
/* Withdraw an offer (tell = send RESCIND) and give its resources back unfiltered. */
void master_offer_rescind(struct master *m, struct offer *o, int tell);
void master_rescind_framework_offers(struct master *m, struct framework *fw, int tell);
void master_rescind_agent_offers(struct master *m, struct agent *a);
/* Resources were freed or added: run an allocation pass right after this event. */
void master_allocate_soon(struct master *m);
void master_offered_resources(const struct master *m, const struct framework *fw, struct res *out);

/* master_agent.c */
extern const struct master_handler master_agent_handlers[];
void master_agent_disconnected(struct master *m, struct agent *a, const char *why);
void master_agent_free(struct master *m, struct agent *a);

/* master_framework.c */
extern const struct master_handler master_framework_handlers[];
struct framework *master_framework_new(struct master *m, const char *id, const char *name,
                                       const char *user, const char *role);
void master_framework_free(struct framework *fw);
int master_framework_was_removed(const struct master *m, const char *id);
/* Kill its tasks, return its resources, move it to the completed frameworks. */
void master_framework_remove(struct master *m, struct framework *fw, const char *why);
void master_framework_disconnected(struct master *m, struct framework *fw, const char *why);
/* A framework known only from an agent's report after a master restart. */
struct framework *master_framework_recover(struct master *m, const struct proto_msg *msg,
                                           const char *fw_id);
size_t master_framework_completed_count(const struct framework *fw);
struct task *master_framework_completed_at(const struct framework *fw, size_t i);
struct task *master_framework_find_completed(const struct framework *fw, const char *task_id);

/* master_task.c */
char *master_task_key(const char *fw_id, const char *task_id);        /* malloc'ed "fw/task" */
struct task *master_task_new(struct framework *fw, struct agent *a, const char *id,
                             const char *name, const struct res *r);
void master_task_free(struct task *t);
int master_task_has_uuid(const struct task *t, const char *uuid);
void master_task_record(struct task *t, const char *state, const char *source, const char *reason,
                        const char *message, const char *uuid, double ts);
/*
 * Record a new state and (forward) tell the framework. A terminal state
 * frees the task's resources and moves it to the completed tasks: the
 * caller must not use t afterwards.
 */
void master_task_update(struct master *m, struct task *t, const char *state, const char *source,
                        const char *reason, const char *message, const char *uuid, double ts,
                        int forward);
void master_task_send_status(struct master *m, struct framework *fw, const struct task *t,
                             const char *uuid);
/*
 * master_task_update for an agent's STATUS_UPDATE, which also carries the
 * health check result (healthy: 1, 0, -1 none) and, when usage is non-NULL,
 * what the task used; both are forwarded to the framework.
 */
/* Append a task's usage fields to a message under construction. */
void master_task_add_usage(struct buf *out, const struct task_usage *u);
void master_task_agent_update(struct master *m, struct task *t, const char *state,
                              const char *source, const char *reason, const char *message,
                              const char *uuid, double ts, int healthy,
                              const struct task_usage *usage);
/* A status update about a task the master does not track. */
void master_task_send_unknown(struct framework *fw, const char *task_id, const char *agent_id,
                              const char *state, const char *reason, const char *message);
/* Ask the task's agent to kill it; -1 with err if the agent is not connected. */
int master_task_kill(struct master *m, struct task *t, const char *grace_ms, char *err,
                     size_t errlen);

/* master_cli.c */
extern const struct master_handler master_cli_handlers[];
void master_cli_fail_requests(struct master *m, const char *agent_id, const char *why);
void master_cli_file_reply(struct master *m, const struct proto_msg *msg);
void master_cli_peer_gone(struct master *m, struct peer *p);
void master_cli_free_requests(struct master *m);

/* master_registry.c */
void master_registry_load(struct master *m);
/* The set of registered agents changed: write it soon. */
void master_registry_changed(struct master *m);
void master_registry_agent_back(struct master *m, const char *agent_id);
/* 1 while agents known before a restart may still come back with tasks. */
int master_registry_recovering(const struct master *m);
/* Write what is pending and free. */
void master_registry_close(struct master *m);

/* master_http.c */
void master_http_handle(struct http_exchange *x, void *arg);

#endif
