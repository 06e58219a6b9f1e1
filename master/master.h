/*
 * master.h: the master's state, and the contract between the files of the
 * master (the prototypes below are grouped by the file that defines them):
 *   mesosd.c           flags and their defaults, start-up, signals
 *   master.c           the listening socket and every peer: handshake, each
 *                      line to the handler of its kind and verb; start, stop
 *   master_offer.c     offers: allocation passes turned into OFFER lines,
 *                      their timeouts and rescinds
 *   master_agent.c     agents: registration, resync, pings, removal, and the
 *                      lines agents send (status updates, files, messages)
 *   master_framework.c frameworks: subscription, accepts and declines,
 *                      failover, removal, the completed frameworks
 *   master_task.c      tasks: states, status updates to frameworks, kills,
 *                      each framework's completed tasks
 *   master_cli.c       operator requests: kills, sandbox reads, teardown
 *   master_registry.c  the agent IDs kept on disk, to know whom to expect
 *                      after a restart
 *   master_http.c      the HTTP endpoints (state, metrics, health, version,
 *                      roles, quota, weights)
 *   master_web.c       the web page (web/, embedded), its sandbox reads
 *   master_history.c   the roles' allocation sampled for the page's picture
 *   master_plugins.c   framework plugins, each run in a host process of its
 *                      own (master_plugins.h is its contract)
 *
 * The master's state is soft, as in Mesos: nothing here is persisted but
 * the registry's agent IDs and the plugins' framework IDs. Agents
 * re-register with their tasks and frameworks re-subscribe with their IDs
 * after a master restart, and the state is rebuilt from them.
 */
#ifndef MASTER_H
#define MASTER_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "buf.h"
#include "cred.h"
#include "id.h"
#include "map.h"
#include "proto.h"
#include "res.h"

struct loop;
struct conn;
struct alloc;
struct alloc_agent;
struct alloc_fw;
struct master_acls;
struct http_exchange;
struct buf;
struct json_w;
struct master_history;
struct conncap;

#define MASTER_VERSION "0.1.0"
#define MASTER_CLI_IDLE_TIMEOUT_MS  60000    /* a cli peer silent this long is closed */
#define MASTER_FRAMEWORK_HEARTBEAT_MS 15000  /* Mesos's DEFAULT_HEARTBEAT_INTERVAL */
#define MASTER_FRAMEWORK_MISSED_HEARTBEATS 3 /* a framework silent this many heartbeats is closed */
#define MASTER_ACCEPT_RETRY_MS 100           /* out of descriptors: accept again after this */
#define MASTER_TASK_STATUSES_MAX 16          /* status history kept per task */
#define MASTER_TASK_STATUSES_FIRST 4         /* room for a task's first statuses */
/* Removed agents' IDs, remembered to refuse their tasks back: Mesos's registry defaults. */
#define MASTER_DEFAULT_REGISTRY_MAX_AGENT_COUNT (100 * 1024)
#define MASTER_DEFAULT_REGISTRY_MAX_AGENT_AGE_MS (14LL * 24 * 3600 * 1000)   /* two weeks */
#define MASTER_UNREACHABLE_AGENTS_MAX 1024   /* unreachable agents remembered (Mesos: 2 weeks) */
#define MASTER_FILE_REQUEST_TIMEOUT_MS 15000 /* a READ_FILE relay waits this long for the agent */
#define MASTER_ID_HEX_LEN 12                 /* random hex digits of the master's own ID */
#define MASTER_NEW_ID_MAX 64                 /* bytes of an agent or framework ID made here */
#define MASTER_REQUEST_ID_HEX_LEN 32         /* a relayed file request's ID: 128 random bits */
#define MASTER_STATE_MAX 32                  /* bytes of a task state's name */
#define MASTER_ERR_MAX 512                   /* bytes of one error message */
#define MASTER_HOST_MAX 256                  /* bytes in a host name */
#define MASTER_PORT_MAX 65535
#define MASTER_PEER_OUTPUT_LIMIT_MIN 4096    /* --peer_output_limit below this is refused */
#define MASTER_MS_PER_SECOND 1000.0          /* the wire's seconds, the loop's milliseconds */

/* Flag defaults (mesosd.c): Mesos's, where Mesos has the flag. */
#define MASTER_DEFAULT_IP "0.0.0.0"                         /* --ip: every address */
#define MASTER_DEFAULT_PORT 5050                            /* --port */
#define MASTER_DEFAULT_HOSTNAME "localhost"                 /* when the system has no name */
#define MASTER_DEFAULT_WORK_DIR "/var/lib/mesos/master"     /* --work_dir */
#define MASTER_DEFAULT_AGENT_PING_TIMEOUT_MS 15000          /* Mesos --agent_ping_timeout */
#define MASTER_DEFAULT_MAX_AGENT_PING_TIMEOUTS 5            /* Mesos --max_agent_ping_timeouts */
#define MASTER_DEFAULT_OFFER_TIMEOUT_MS 30000               /* --offer_timeout */
#define MASTER_DEFAULT_ALLOCATION_INTERVAL_MS 1000          /* Mesos --allocation_interval */
#define MASTER_DEFAULT_AGENT_REREGISTER_TIMEOUT_MS (10LL * 60 * 1000)   /* Mesos: 10 minutes */
#define MASTER_DEFAULT_MAX_COMPLETED_FRAMEWORKS 50          /* Mesos --max_completed_frameworks */
#define MASTER_DEFAULT_MAX_COMPLETED_TASKS 1000   /* Mesos --max_completed_tasks_per_framework */
#define MASTER_DEFAULT_HANDSHAKE_TIMEOUT_MS 10000           /* --handshake_timeout */
#define MASTER_DEFAULT_PEER_OUTPUT_LIMIT (64u << 20)        /* --peer_output_limit: bytes */
#define MASTER_DEFAULT_MIN_ALLOCATABLE "cpus:0.01|mem:32"   /* Mesos --min_allocatable_resources */
#define MASTER_DEFAULT_LOG_LEVEL "info"                     /* --log_level */
#define MASTER_DEFAULT_HISTORY_INTERVAL_MS 10000            /* --history_interval */
#define MASTER_DEFAULT_MAX_CONNECTIONS 16384                /* --max_connections */
#define MASTER_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS 2048     /* --max_connections_per_address */
#define MASTER_HISTORY_SAMPLES 360          /* allocation samples kept: an hour at the default */

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
	long long registry_max_agent_count;    /* removed agents remembered, oldest forgotten first */
	int64_t registry_max_agent_age_ms;     /* and for no longer than this */
	char *min_allocatable_resources;
	char *weights;
	char *roles;
	char *quota;
	long long max_completed_frameworks;
	long long max_completed_tasks_per_framework;
	int64_t handshake_timeout_ms;          /* a peer must say HELLO this soon */
	uint64_t peer_output_limit;            /* unsent bytes to one peer before it is dropped */
	int64_t history_interval_ms;           /* between samples of the roles' allocation */
	int64_t framework_heartbeat_interval_ms; /* PINGs to frameworks; silence closes them */
	long long max_connections;             /* accepted connections open at once (0 = any) */
	long long max_connections_per_address; /* of them from one address (0 = any) */
	char *credentials;                     /* --credentials: a file ("" = none) */
	char *acls;                            /* --acls: a file ("" = none) */
	int authenticate_agents;               /* --authenticate_agents */
	int authenticate_frameworks;           /* --authenticate_frameworks */
	int authenticate_http_readonly;        /* --authenticate_http_readonly: GETs, cli reads */
	int authenticate_http_readwrite;       /* --authenticate_http_readwrite: the rest */
};

struct master_task_status {
	char state[MASTER_STATE_MAX];
	char *message;
	char *reason;
	char *source;
	char *uuid;
	double timestamp;
	int healthy;               /* the agent's health check result: 1, 0, -1 none */
	int acked;                 /* its framework acknowledged it: a resend is acked for it */
};

struct master_task {
	char *id;
	char *name;
	struct master_framework *fw;
	char *agent_id;
	char *user;                /* the task's own user; NULL: its framework's */
	char state[MASTER_STATE_MAX];
	struct res resources;
	/*
	 * The first and the last MASTER_TASK_STATUSES_MAX - 1, in an array
	 * grown by doubling: most tasks have two or three, and 30,000 tasks
	 * re-registering after a failover should not each zero room for 16.
	 */
	struct master_task_status *statuses;
	size_t nstatuses, capstatuses;
	size_t statuses_total;
	double started;
	unsigned resync_seen;      /* its agent's resync_round when the agent last reported it */
	struct proto_usage usage;  /* what the agent measured, sent with its terminal update */
};

struct master_peer;

struct master_agent {
	struct master *m;
	char *id;
	char *hostname;
	struct res total;
	struct res used;           /* sum of its live tasks' resources */
	struct attrs attributes;
	char *isolation;           /* how it holds tasks to their resources (Mesos's isolator names) */
	int disk_full;             /* its checkpoints cannot be written (AGENT_CONDITION) */
	char *disk_reason;         /* why, as the agent said; NULL when none */
	struct master_peer *peer;  /* NULL while disconnected */
	struct alloc_agent *alloc;
	struct map tasks;          /* "fw_id/task_id" -> struct master_task * (live tasks) */
	struct map offers;         /* offer_id -> struct master_offer * (its outstanding ones) */
	int missed_pings;
	uint64_t ping_timer;
	long long ping_seq;
	int pong_pending;
	double registered_time;
	int resyncing;             /* between AGENT_REGISTERED and AGENT_RESYNC_DONE */
	unsigned resync_round;     /* counts its registrations: a task's resync_seen says which */
	char *principal;           /* the authenticated principal that registered it, or NULL */
	int refused_logged;        /* its first message about what is not its own was logged */
};

struct master_framework {
	struct master *m;
	char *id;
	char *name;
	char *user;
	char *role;
	char *principal;
	int principal_verified;    /* principal was authenticated: only it may fail over */
	double failover_timeout;   /* seconds */
	int checkpoint;
	int partition_aware;       /* capability PARTITION_AWARE: TASK_UNREACHABLE, not TASK_LOST */
	int recovered;             /* learnt from an agent, scheduler not back yet */
	struct master_peer *peer;  /* NULL while disconnected */
	struct alloc_fw *alloc;
	struct map tasks;          /* task_id -> struct master_task * (live tasks) */
	struct master_task **completed; /* ring of finished tasks */
	size_t ncompleted, completed_head, completed_cap;
	struct map offers;         /* offer_id -> struct master_offer * */
	uint64_t failover_timer;
	double registered_time;
	double unregistered_time;  /* when removed (completed frameworks) */
};

struct master_offer {
	struct master *m;
	char *id;
	struct master_framework *fw;
	struct master_agent *agent;
	struct res resources;
	uint64_t timeout_timer;
};

struct master_metrics {
	long long tasks_finished, tasks_failed, tasks_killed, tasks_lost, tasks_error, tasks_dropped;
	long long tasks_unreachable, agents_marked_unreachable;
	long long agent_registrations, agent_reregistrations, agent_removals;
	long long frameworks_removed;
	long long invalid_status_updates, invalid_file_replies, invalid_framework_messages;
	long long agent_takeovers_refused;
	long long messages_received, invalid_messages;
	long long offers_sent, offers_declined, offers_accepted, offers_rescinded;
	long long allocation_runs;
	double allocation_last_ms;
	long long auth_successes, auth_failures;   /* handshakes (master_auth.c) */
	long long http_auth_failures;              /* HTTP requests refused with 401 */
	long long authz_refusals;                  /* requests the ACLs or the binding refused */
};

struct master {
	struct loop *loop;
	struct master_config cfg;
	struct alloc *alloc;
	char id[MASTER_ID_HEX_LEN + 1];
	int listen_fd;
	int port;                  /* bound port */
	struct conncap *conncap;   /* --max_connections, --max_connections_per_address */
	uint64_t accept_retry_timer; /* accepting paused: out of descriptors */
	uint64_t heartbeat_timer;  /* PINGs every framework peer */
	double start_time;         /* wall clock */
	int64_t start_ms;          /* monotonic */
	struct map agents;         /* id -> struct master_agent * */
	struct map frameworks;     /* id -> struct master_framework * */
	struct map offers;         /* id -> struct master_offer * */
	struct map removed_agents; /* id -> when it was removed (whole seconds, as a uintptr_t) */
	struct map unreachable_agents; /* id -> struct master_unreachable * (master_agent.c) */
	struct map file_requests;  /* master request id -> struct master_file_request * */
	struct map recovering_agents; /* IDs from the registry not re-registered yet */
	uint64_t registry_timer;
	uint64_t recovery_timer;
	struct master_framework **completed_frameworks;
	size_t ncompleted_frameworks, completed_frameworks_head;
	struct master_peer *peers; /* every open protocol connection */
	unsigned long long next_agent, next_framework, next_offer;
	uint64_t allocation_timer;
	int allocation_soon;       /* an early pass is scheduled */
	struct master_metrics metrics;
	struct buf out;            /* the outgoing line being built (one at a time) */
	char err[MASTER_ERR_MAX];  /* the error being reported (one at a time) */
	struct master_history *history; /* the roles' allocation over time (master_history.c) */
	struct cred_set creds;     /* --credentials */
	struct master_acls *acls;  /* --acls, NULL: none (master_acl.c) */
	char http_principal[ID_MAX + 1]; /* the HTTP request being served: its user, "" none */
};

/* An agent that missed its pings: its tasks were reported unreachable (or lost). */
struct master_unreachable {
	char *hostname;
	double since;              /* wall clock */
};

/* One protocol connection. */
struct master_peer {
	struct master *m;
	struct conn *conn;
	enum proto_kind kind;
	int hello;
	struct master_agent *agent; /* set once an agent registered on it */
	struct master_framework *fw; /* set once a framework subscribed on it */
	int plugin;                 /* a plugin host's link: its conf may weigh its role */
	char *principal;            /* authenticated in the handshake, or NULL */
	char *auth_peer_nonce;      /* between CHALLENGE and AUTHENTICATE (master_auth.c) */
	char master_nonce[PROTO_AUTH_NONCE_HEX + 1];
	int auth_failed;            /* refused: the ERROR waits for auth_timer */
	uint64_t auth_timer;
	struct master_peer *prev, *next;
};

/* A sandbox read relayed from a cli peer to an agent. */
struct master_file_request {
	char id[MASTER_REQUEST_ID_HEX_LEN + 1];
	struct master_peer *cli;   /* NULL once the cli has gone */
	struct http_exchange *x;   /* or the web page's request (master_web.c); NULL once gone */
	char *agent_id;
	uint64_t timer;
	struct master *m;
};

/* One verb a peer kind may send; tables end with a NULL verb. */
struct master_handler {
	const char *verb;
	void (*fn)(struct master *m, struct master_peer *p, const struct proto_msg *msg);
};

/* master.c */
int master_init(struct master *m, struct loop *loop, char *err, size_t errlen);
void master_shutdown(struct master *m);
/*
 * Serve a connected, non-blocking descriptor (a plugin host's end of a
 * socketpair) exactly like an accepted TCP connection: it must say HELLO.
 */
struct master_peer *master_adopt_fd(struct master *m, int fd, const char *origin);
/* Start an outgoing message in m->out; add fields with proto_add(&m->out, ...). */
struct buf *master_msg(struct master *m, const char *verb);
/* m->out emptied, for a message a proto_*_compose() builds whole. */
struct buf *master_out(struct master *m);
/* Finish m->out and queue it to p (nothing if p is NULL or closing). */
void master_send(struct master *m, struct master_peer *p);
/* Send "ERROR reason=..." and disconnect the peer. */
void master_peer_error(struct master_peer *p, const char *reason);

/* Answer a HELLO (or an AUTHENTICATE) with WELCOME; proof: the master's, or NULL. */
void master_peer_welcome(struct master *m, struct master_peer *p, const char *proof);

/* What Mesos's ACLs (master_acl.c) decide on. */
enum master_acl_action { MASTER_ACL_REGISTER_FRAMEWORKS, MASTER_ACL_RUN_TASKS,
                         MASTER_ACL_TEARDOWN_FRAMEWORKS, MASTER_ACL_UPDATE_QUOTAS,
                         MASTER_ACL_UPDATE_WEIGHTS, MASTER_ACL_ACCESS_SANDBOXES,
                         MASTER_ACL_VIEW_FRAMEWORKS, MASTER_ACL_VIEW_TASKS, MASTER_ACL_NACTIONS };

/* master_auth.c: authentication of peers, their principals bound to what they registered */
#define MASTER_AUTH_FAIL_DELAY_MS 1000   /* a failed handshake waits this long for its ERROR */
/* Load --credentials and --acls, check the --authenticate_* flags against them. */
int master_auth_init(struct master *m, char *err, size_t errlen);
void master_auth_fini(struct master *m);
/* A HELLO of kind: 1 when handled here (CHALLENGE sent, or refused), 0 to welcome it now. */
int master_auth_hello(struct master *m, struct master_peer *p, const struct proto_msg *msg,
                      enum proto_kind kind);
/* Every line of a peer between HELLO and WELCOME. */
void master_auth_line(struct master *m, struct master_peer *p, const struct proto_msg *msg);
/*
 * 1 if p may send msg; else 0, refused with its reason. A cli peer's reads
 * and writes need a principal under the --authenticate_http_* flags, and
 * the ACLs' access_sandboxes and teardown_frameworks.
 */
int master_auth_verb_allowed(struct master *m, struct master_peer *p,
                             const struct proto_msg *msg);
void master_auth_peer_gone(struct master *m, struct master_peer *p);
/* REGISTER_AGENT: -1 with err when its agent_id or previous_agent_id is another principal's. */
int master_auth_agent_check(struct master *m, struct master_peer *p, const struct proto_msg *msg,
                            char *err, size_t errlen);
void master_auth_agent_bind(struct master_agent *a, struct master_peer *p);
/*
 * SUBSCRIBE: -1 with err when its principal is not the authenticated one,
 * its framework ID is another principal's, or the ACLs refuse its role.
 */
int master_auth_subscribe_check(struct master *m, struct master_peer *p,
                                const struct proto_msg *msg, const char *role, char *err,
                                size_t errlen);
/* The principal a subscribing framework gets: the authenticated one, else the one it claims. */
void master_auth_framework_bind(struct master_framework *fw, struct master_peer *p,
                                const struct proto_msg *msg);

/*
 * Every HTTP request first: 1 to serve it (its Basic user, if any, in
 * m->http_principal), 0 when refused with 401 (--authenticate_http_*).
 */
int master_auth_http(struct master *m, struct http_exchange *x);
/* 1 if the request's user may do action on object (a role); else 0 after a 403. */
int master_auth_http_allows(struct master *m, struct http_exchange *x,
                            enum master_acl_action action, const char *object);
/*
 * 1 if the HTTP request's principal may see what runs as user (action:
 * MASTER_ACL_VIEW_FRAMEWORKS or _VIEW_TASKS); 0 to leave it out.
 */
int master_auth_http_may_view(const struct master *m, enum master_acl_action action,
                              const char *user);
/*
 * 1 if a cli peer may read t's sandbox (access_sandboxes, on the task's
 * user: a live or a completed task alike); else 0, refused with FAILED.
 */
int master_auth_cli_sandbox(struct master *m, struct master_peer *p, const struct master_task *t);
/* 1 if the HTTP request's principal may read sandboxes of user; else 0 with err (counted). */
int master_auth_http_sandbox(struct master *m, const char *user, char *err, size_t errlen);
/* ACCEPT: -1 with err when the ACLs refuse fw's principal running a task as user. */
int master_auth_run_task_check(struct master *m, const struct master_framework *fw,
                               const char *user, char *err, size_t errlen);

/* master_acl.c: Mesos's ACLs (--acls) */
struct master_acls *master_acl_load(const char *path, char *err, size_t errlen);
void master_acl_free(struct master_acls *a);
/*
 * 1 if principal (NULL: not authenticated) may do action on object (a
 * role, a user, a framework's principal); 0 if not. No ACLs: 1.
 */
int master_acl_allows(const struct master_acls *a, enum master_acl_action action,
                      const char *principal, const char *object);
/* The action's name in the ACL file ("register_frameworks"). */
const char *master_acl_name(enum master_acl_action action);

/* master_offer.c */
/* Start the periodic allocation pass; stop it and drop every offer. */
void master_offer_start(struct master *m);
void master_offer_stop(struct master *m);
/* Resources were freed or added: run an allocation pass right after this event. */
void master_offer_allocate_soon(struct master *m);
void master_offer_free(struct master *m, struct master_offer *o);
/* Withdraw an offer (tell = send RESCIND) and give its resources back unfiltered. */
void master_offer_rescind(struct master *m, struct master_offer *o, int tell);
void master_offer_rescind_framework(struct master *m, struct master_framework *fw, int tell);
void master_offer_rescind_agent(struct master *m, struct master_agent *a);
/* The sum of fw's outstanding offers (res_init'ed here). */
void master_offer_resources(const struct master *m, const struct master_framework *fw,
                            struct res *out);

/* master_agent.c */
extern const struct master_handler master_agent_handlers[];
void master_agent_disconnected(struct master *m, struct master_agent *a, const char *why);
void master_agent_free(struct master *m, struct master_agent *a);
/* Forget every unreachable agent (at shutdown). */
void master_agent_unreachable_free(struct master *m);
int master_agent_was_removed(struct master *m, const char *id, double now);
size_t master_agent_removed_count(struct master *m, double now);

/* master_framework.c */
extern const struct master_handler master_framework_handlers[];
struct master_framework *master_framework_new(struct master *m, const char *id, const char *name,
                                              const char *user, const char *role);
void master_framework_free(struct master_framework *fw);
int master_framework_was_removed(const struct master *m, const char *id);
/* Kill its tasks, return its resources, move it to the completed frameworks. */
void master_framework_remove(struct master *m, struct master_framework *fw, const char *why);
void master_framework_disconnected(struct master *m, struct master_framework *fw,
                                   const char *why);
/* A framework known only from an agent's report after a master restart. */
struct master_framework *master_framework_recover(struct master *m, const struct proto_msg *msg,
                                                  const char *fw_id);

/* master_task.c */
char *master_task_key(const char *fw_id, const char *task_id);        /* malloc'ed "fw/task" */
struct master_task *master_task_new(struct master_framework *fw, struct master_agent *a,
                                    const char *id, const char *name, const struct res *r);
void master_task_free(struct master_task *t);
/* The user t runs as: its own, else its framework's (what the ACLs decide on). */
const char *master_task_user(const struct master_task *t);
int master_task_has_uuid(const struct master_task *t, const char *uuid);
/* Whether t's status uuid was acknowledged by its framework (master_task_mark_acked). */
int master_task_acked(const struct master_task *t, const char *uuid);
/* fw acknowledged uuid of its task task_id (live or completed). */
void master_task_mark_acked(struct master_framework *fw, const char *task_id, const char *uuid);
void master_task_record(struct master_task *t, const char *state, const char *source,
                        const char *reason, const char *message, const char *uuid, double ts);
/*
 * Record a new state and (forward) tell the framework. A terminal state
 * frees the task's resources and moves it to the completed tasks: the
 * caller must not use t afterwards.
 */
void master_task_update(struct master *m, struct master_task *t, const char *state,
                        const char *source, const char *reason, const char *message,
                        const char *uuid, double ts, int forward);
void master_task_send_status(struct master *m, struct master_framework *fw,
                             const struct master_task *t, const char *uuid);
/* A framework's ACKNOWLEDGE to its agent: lazily, with what goes there next. */
void master_task_forward_ack(struct master *m, struct master_peer *agent, const struct proto_ack *ack);
/*
 * master_task_update for an agent's STATUS_UPDATE, which also carries the
 * health check result (healthy: 1, 0, -1 none) and, when usage is non-NULL,
 * what the task used; both are forwarded to the framework.
 */
void master_task_agent_update(struct master *m, struct master_task *t, const char *state,
                              const char *source, const char *reason, const char *message,
                              const char *uuid, double ts, int healthy,
                              const struct proto_usage *usage);
/* A status update about a task the master does not track. */
void master_task_send_unknown(struct master_framework *fw, const char *task_id,
                              const char *agent_id, const char *state, const char *reason,
                              const char *message);
/* Ask the task's agent to kill it; -1 with err if the agent is not connected. */
int master_task_kill(struct master *m, struct master_task *t, const char *grace_ms, char *err,
                     size_t errlen);
/* A framework's completed tasks, oldest first. */
size_t master_task_completed_count(const struct master_framework *fw);
struct master_task *master_task_completed_at(const struct master_framework *fw, size_t i);
struct master_task *master_task_find_completed(const struct master_framework *fw,
                                               const char *task_id);

/* master_cli.c */
extern const struct master_handler master_cli_handlers[];
void master_cli_fail_requests(struct master *m, const char *agent_id, const char *why);
void master_cli_file_reply(struct master *m, const struct proto_msg *msg);
void master_cli_peer_gone(struct master *m, struct master_peer *p);
void master_cli_free_requests(struct master *m);
/*
 * READ_FILE or LIST_FILES (verb) for the web page: relayed to the task's
 * agent as a cli's is, its answer given to master_web_file_reply. 0, or
 * why not with err: MASTER_FILE_NO_TASK (unknown, or an ID several
 * frameworks use), MASTER_FILE_NO_AGENT (its agent is not connected).
 */
#define MASTER_FILE_NO_TASK (-1)
#define MASTER_FILE_NO_AGENT (-2)
#define MASTER_FILE_FORBIDDEN (-3)   /* the ACLs' access_sandboxes refuse it */
int master_cli_file_http(struct master *m, struct http_exchange *x, const char *verb,
                         const char *task_id, const char *fw_id, const char *path,
                         long long offset, long long length, char *err, size_t errlen);

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
/* One task, agent or framework as /master/state writes it (with_tasks 0: counts only). */
void master_http_task_json(struct json_w *w, const struct master_task *t);
void master_http_agent_json(struct json_w *w, const struct master_agent *a);
void master_http_framework_json(struct json_w *w, const struct master *m,
                                const struct master_framework *fw, int live, int with_tasks);

/* master_web.c */
/* One file of the page: web/embed.sh writes master_web_assets[], ending with a NULL path. */
struct master_web_asset {
	const char *path;
	const char *type;
	const unsigned char *data;
	size_t len;
};
extern const struct master_web_asset master_web_assets[];
/* The web page, its sandbox reads and the history: 1 if path was one of them (x is answered). */
int master_web_handle(struct http_exchange *x, struct master *m);
/* The agent's FILE_DATA or FILE_ERROR for x, as JSON; NULL msg: why it will not come. */
void master_web_file_reply(struct http_exchange *x, const char *verb, const struct proto_msg *msg,
                           const char *why);

/* master_history.c */
void master_history_start(struct master *m);
void master_history_stop(struct master *m);
void master_history_json(const struct master *m, struct json_w *w);

#endif
