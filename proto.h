/*
 * proto.h: the wire protocol codec. One message per line:
 *
 *     VERB key=value key=value ...\n
 *
 * VERB is [A-Z][A-Z0-9_]* (at most PROTO_VERB_MAX bytes). Keys are
 * [a-z0-9_.]+ . Values are percent-escaped so that any byte string
 * survives: every byte that is a space, '%', '=', a control byte (< 0x20,
 * 0x7f) is written as %XX (upper-case hex); other bytes, UTF-8 included,
 * pass as they are (buf_escape in buf.h spells it, for tools too). A key
 * may repeat where a list is meant. Fields are separated by exactly one
 * space; an empty value is "key=".
 *
 * Errors to a peer are "ERROR reason=..." and the connection is closed.
 * The full message catalogue is docs/PROTOCOL.md. This file knows the
 * syntax, one spelling of each kind of value (booleans, timestamps), and
 * the messages several programs send: HELLO, STATUS_UPDATE, ACKNOWLEDGE,
 * LAUNCH and the health check fields, each composed by one function and
 * read by one. A message only one program sends is that program's to build.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define PROTO_VERSION      1
#define PROTO_LINE_MAX     65536   /* bytes in one line, '\n' excluded */
#define PROTO_FIELDS_MAX   1024    /* fields in one message */
#define PROTO_VERB_MAX     31
#define PROTO_KEY_MAX      63

struct proto_field {
	const char *key;
	const char *val;   /* decoded, NUL-terminated; may contain NUL bytes: use vlen */
	size_t vlen;
};

struct proto_msg {
	char verb[PROTO_VERB_MAX + 1];
	size_t nfields;
	struct proto_field *fields;   /* points into storage owned by the msg */
	size_t fields_cap;
};

void proto_msg_init(struct proto_msg *m);
void proto_msg_free(struct proto_msg *m);

/*
 * Parse a line in place (line is modified; the msg points into it, so it
 * must outlive the msg's use). Returns 0, or -1 with a one-line reason in
 * err: "empty line", "bad verb", "bad key", "field without '='",
 * "bad escape %..", "too many fields", "line too long".
 */
int proto_parse(char *line, size_t len, struct proto_msg *m, char *err, size_t errlen);

/* First value of key, or NULL. */
const char *proto_get(const struct proto_msg *m, const char *key);
/* The idx-th (0-based) value of a repeated key, or NULL. */
const char *proto_get_nth(const struct proto_msg *m, const char *key, size_t idx);
size_t proto_count(const struct proto_msg *m, const char *key);
/*
 * SUBSCRIBE's capabilities, Mesos's names (PARTITION_AWARE), comma-separated,
 * the field repeatable: whether m declares cap. Unknown names are ignored,
 * as Mesos ignores capabilities it does not know.
 */
#define PROTO_CAPABILITIES_KEY "capabilities"
int proto_has_capability(const struct proto_msg *m, const char *cap);
/*
 * Required field helpers: return the value, or NULL after writing
 * "missing field 'key'" / "field 'key' is not an integer" into err.
 */
const char *proto_need(const struct proto_msg *m, const char *key, char *err, size_t errlen);
int proto_get_int(const struct proto_msg *m, const char *key, long long dflt, long long *out,
                  char *err, size_t errlen);
/* A count or size: not negative. */
int proto_get_u64(const struct proto_msg *m, const char *key, uint64_t dflt, uint64_t *out,
                  char *err, size_t errlen);
int proto_get_double(const struct proto_msg *m, const char *key, double dflt, double *out,
                     char *err, size_t errlen);

/* Encoding: build a message into a buf (which carries its own cap). */
void proto_begin(struct buf *b, const char *verb);
void proto_add(struct buf *b, const char *key, const char *val);
void proto_addn(struct buf *b, const char *key, const char *val, size_t vlen);
void proto_addf(struct buf *b, const char *key, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
void proto_add_int(struct buf *b, const char *key, long long v);
/* Appends '\n'. Returns 0, or -1 if the line exceeds PROTO_LINE_MAX or PROTO_FIELDS_MAX. */
int proto_end(struct buf *b);

/*
 * ---- a message longer than a line ----
 *
 * A message that lists records (ACCEPT's tasks, RECONCILE's task ids) may
 * outgrow one line. Its sender composes it whole (a buf with a cap of
 * PROTO_MESSAGE_MAX or less) and ends it with proto_end_split, which cuts
 * it into parts that each fit PROTO_LINE_MAX bytes and PROTO_FIELDS_MAX
 * fields: every part repeats the verb and the head (the fields before the
 * first record), carries whole records (a record is record_key's field and
 * those up to the next one), and all but the last say PROTO_MORE_KEY=true.
 * A receiver handles the parts as it would the whole: a RECONCILE part is
 * answered on its own; an ACCEPT part with more=true launches its tasks
 * and keeps what is left of the offer for the next part.
 */
#define PROTO_MORE_KEY     "more"
#define PROTO_MESSAGE_MAX  (64u * 1024 * 1024)   /* bytes of one message before it is cut */
/*
 * Ends the last (unterminated) message in b as one or more lines, '\n'
 * each. Returns the number of lines, or -1 when a record with the head
 * cannot fit one line, or the buf's cap cut the message short.
 */
int proto_end_split(struct buf *b, const char *record_key);

/* Handshake: peer kinds. */
enum proto_kind { PROTO_KIND_AGENT, PROTO_KIND_FRAMEWORK, PROTO_KIND_EXECUTOR,
                  PROTO_KIND_CLI, PROTO_KIND_UNKNOWN };
const char *proto_kind_name(enum proto_kind k);
enum proto_kind proto_kind_parse(const char *s);

/* Task states and helpers (Mesos names). */
int proto_state_valid(const char *state);
int proto_state_terminal(const char *state);

/*
 * ---- values with one spelling on the wire ----
 *
 * Booleans are "true" and "false". Reading also takes the "1" and "0" of
 * version 1's first peers (SUBSCRIBE's checkpoint, supervisors started by
 * an older agentd that outlived its upgrade), so no peer breaks.
 * Timestamps are seconds since the epoch with PROTO_TIME_DECIMALS digits.
 */
#define PROTO_TIME_DECIMALS 6
void proto_add_bool(struct buf *b, const char *key, int v);
/* *out = 1 or 0, dflt when absent; -1 with "k must be true or false, not 'v'" in err. */
int proto_get_bool(const struct proto_msg *m, const char *key, int dflt, int *out, char *err,
                   size_t errlen);
void proto_add_time(struct buf *b, const char *key, double seconds);

/*
 * ---- messages several programs send ----
 *
 * Each is built by one compose function (it begins the line; the caller
 * ends and sends it) and read by one parse function. Strings in a parsed
 * struct point into the message and live as long as it does. A NULL
 * string, a PROTO_HEALTHY_NONE or a zero timestamp is left off the line.
 */

/* HELLO: the first line of every peer that connects to the master. */
void proto_hello_compose(struct buf *b, enum proto_kind kind);
/*
 * Check a HELLO from a peer. Returns 0 and sets *kind, or -1 with the
 * reason to send back in err (e.g. "protocol version 2 not supported, this
 * master speaks version 1").
 */
int proto_hello_parse(const struct proto_msg *m, enum proto_kind *kind, char *err, size_t errlen);

/* What a task used, sent with its terminal update (Mesos's ResourceStatistics names). */
struct proto_usage {
	int known;                   /* 0: none of these is sent */
	double cpus_user_time_secs;
	double cpus_system_time_secs;
	long long mem_rss_bytes;     /* the peak */
	long long disk_used_bytes;   /* the last measure */
};

/* The usage fields of a line (STATUS_UPDATE, the supervisor's EXITED), when known. */
void proto_usage_compose(struct buf *b, const struct proto_usage *u);
/* Absent: u->known is 0. Present: all four, numbers, or -1 with err. */
int proto_usage_parse(const struct proto_msg *m, struct proto_usage *u, char *err, size_t errlen);

#define PROTO_HEALTHY_NONE (-1)   /* no health check result in the update */

/*
 * STATUS_UPDATE, the same message on every hop: a custom executor to the
 * agent (task_id, state, reason, message, healthy), the agent to the master
 * (no agent_id: the connection says which agent), the master to a
 * framework (agent_id, no latest_state).
 */
struct proto_status {
	const char *framework_id;
	const char *task_id;
	const char *agent_id;
	const char *state;
	const char *latest_state;    /* the newest state queued behind this one, when it differs */
	const char *uuid;            /* NULL or "": no acknowledgement expected */
	const char *source;
	const char *reason;
	const char *message;
	int healthy;                 /* 1, 0 or PROTO_HEALTHY_NONE */
	double timestamp;
	struct proto_usage usage;
};
void proto_status_compose(struct buf *b, const struct proto_status *s);
/*
 * task_id and a known state are required (with a reason in err otherwise);
 * every other field may be missing and is NULL (healthy NONE, timestamp 0,
 * usage not known). Bad booleans and numbers are errors.
 */
int proto_status_parse(const struct proto_msg *m, struct proto_status *s, char *err, size_t errlen);

/*
 * ACKNOWLEDGE of one update: framework -> master (task_id, agent_id,
 * uuid), master -> agent (framework_id, task_id, uuid).
 */
struct proto_ack {
	const char *framework_id;
	const char *task_id;
	const char *agent_id;
	const char *uuid;
};
void proto_ack_compose(struct buf *b, const struct proto_ack *a);
/* task_id and uuid are required; the others may be NULL. */
int proto_ack_parse(const struct proto_msg *m, struct proto_ack *a, char *err, size_t errlen);

/*
 * A health check, as the health_* task fields carry it (RUN_TASK, ACCEPT,
 * LAUNCH), with Mesos's defaults. In a struct to compose, a negative
 * duration or count is left off (the receiver's default applies); parse
 * fills every default in.
 */
enum proto_health_type { PROTO_HEALTH_NONE, PROTO_HEALTH_COMMAND, PROTO_HEALTH_TCP,
                         PROTO_HEALTH_HTTP };
#define PROTO_HEALTH_DEFAULT_DELAY_MS    15000
#define PROTO_HEALTH_DEFAULT_INTERVAL_MS 10000
#define PROTO_HEALTH_DEFAULT_TIMEOUT_MS  20000
#define PROTO_HEALTH_DEFAULT_GRACE_MS    10000
#define PROTO_HEALTH_DEFAULT_FAILURES    3
#define PROTO_HEALTH_DEFAULT_PATH        "/"
#define PROTO_HEALTH_PORT_MAX            65535
#define PROTO_HEALTH_FAILURES_MAX        1000000
#define PROTO_HEALTH_SECONDS_MAX         31536000.0   /* a year: longer is a mistake */
struct proto_health {
	enum proto_health_type type;   /* NONE: no check, nothing sent */
	const char *command;           /* COMMAND: run with /bin/sh -c; exit 0 is healthy */
	int port;                      /* TCP, HTTP: 0 = the task's first port */
	const char *path;              /* HTTP: GET it; 200-399 is healthy */
	int64_t delay_ms;
	int64_t interval_ms;
	int64_t timeout_ms;
	int64_t grace_ms;
	long long consecutive_failures;
};
/* Type NONE, every duration and count unset (-1). */
void proto_health_init(struct proto_health *h);
const char *proto_health_type_name(enum proto_health_type t);
/* "COMMAND", "TCP" or "HTTP"; PROTO_HEALTH_NONE for anything else. */
enum proto_health_type proto_health_type_parse(const char *name);
/* The health_* fields of h (nothing for NONE). */
void proto_health_compose(struct buf *b, const struct proto_health *h);
/* From the health_* fields of m (NONE when there are none), checked, defaults filled in. */
int proto_health_parse(const struct proto_msg *m, struct proto_health *h, char *err, size_t errlen);

/*
 * LAUNCH, agentd -> a task's supervisor: everything it needs to run the
 * task (or a custom executor) on its own (sup/sup.h tells the rest of that
 * conversation). env and uri repeat; parse allocates their arrays
 * (proto_launch_free), the strings stay in the message.
 */
struct proto_launch {
	const char *task;              /* the task's key, for log lines */
	const char *command;
	const char *sandbox;
	const char **env;              /* NAME=value */
	size_t nenv;
	const char *user;              /* NULL: run as the agent's user */
	int allow_root;
	const char *executor_id;       /* a custom executor: its channel's names ... */
	const char *framework_id;
	const char *agent_id;
	uint64_t mem_bytes;            /* limits; 0 = none */
	uint64_t disk_bytes;
	uint64_t cpu_seconds;
	uint64_t processes;
	uint64_t open_files;
	int nice;
	const char *cgroup_memory;     /* the task's cgroup in each hierarchy: the kernel holds it */
	const char *cgroup_cpu;        /* to that resource (cgroups/mem, /cpu, /pids); NULL: POSIX */
	const char *cgroup_pids;       /* means do (sampling, nice, RLIMIT_NPROC) */
	uint64_t cpus_milli;           /* its cpus, for a cgroup's weight */
	int cpu_cap;                   /* a hard cpu cap of as much (--cgroups_enable_cfs) */
	uint64_t touch_bytes_per_ms;   /* how fast the machine hands out memory: sampling's pace */
	int64_t grace_ms;              /* between SIGTERM and SIGKILL */
	int64_t mem_watch_ms;          /* sampling; 0 = none */
	int64_t disk_watch_ms;
	int64_t recovery_timeout_ms;   /* how long the supervisor waits for a restarted agentd */
	int port0;                     /* the task's first port, for health checks; 0 = none */
	const char **uris;             /* to fetch first, with the fetcher's settings */
	size_t nuris;
	const char *fetcher;
	const char *cache_dir;
	uint64_t cache_bytes;
	int64_t stall_timeout_ms;
	struct proto_health health;
	const char *log_level;
};
void proto_launch_compose(struct buf *b, const struct proto_launch *l);
/* command and sandbox are required; numbers must not be negative. */
int proto_launch_parse(const struct proto_msg *m, struct proto_launch *l, char *err, size_t errlen);
void proto_launch_free(struct proto_launch *l);

/*
 * ---- authentication (docs/PROTOCOL.md, "Authentication") ----
 *
 * A mutual challenge-response in the handshake. A peer with a credential
 * sends HELLO with principal= and nonce=; the master answers CHALLENGE
 * nonce=; the peer proves it knows the secret with AUTHENTICATE proof=;
 * the master proves it knows it too in WELCOME's proof=. Each proof is the
 * HMAC-SHA-256, keyed with the secret, of the text
 *
 *     "mesos-auth-v1\n" SIDE "\n" KIND "\n" PRINCIPAL "\n" PEER_NONCE "\n" MASTER_NONCE "\n"
 *
 * (SIDE "peer" or "master", KIND the HELLO's kind), written in lowercase
 * hex. The secret never crosses the wire.
 */
#define PROTO_AUTH_NONCE_HEX 64      /* a nonce: 32 random bytes in lowercase hex */
#define PROTO_AUTH_PROOF_HEX 64      /* a proof: an HMAC-SHA-256 in lowercase hex */
enum proto_auth_side { PROTO_AUTH_PEER, PROTO_AUTH_MASTER };

/* A fresh nonce from the system's randomness. */
void proto_auth_nonce(char out[PROTO_AUTH_NONCE_HEX + 1]);
/* The proof one side sends (the text above). */
void proto_auth_proof(const char *secret, enum proto_auth_side side, enum proto_kind kind,
                      const char *principal, const char *peer_nonce, const char *master_nonce,
                      char out[PROTO_AUTH_PROOF_HEX + 1]);
/* 1 if got is the expected proof; in constant time. */
int proto_auth_proof_equal(const char *expected, const char *got);

/* HELLO with a principal and the peer's nonce (both NULL: proto_hello_compose's plain HELLO). */
void proto_hello_auth_compose(struct buf *b, enum proto_kind kind, const char *principal,
                              const char *nonce);
/*
 * A HELLO's principal and nonce: both NULL when it has neither; -1 with err
 * when only one is given or either is malformed.
 */
int proto_hello_auth_parse(const struct proto_msg *m, const char **principal, const char **nonce,
                           char *err, size_t errlen);
/* CHALLENGE nonce=: master -> peer. */
void proto_challenge_compose(struct buf *b, const char *nonce);
int proto_challenge_parse(const struct proto_msg *m, const char **nonce, char *err, size_t errlen);
/* AUTHENTICATE proof=: peer -> master. */
void proto_authenticate_compose(struct buf *b, const char *proof);
int proto_authenticate_parse(const struct proto_msg *m, const char **proof, char *err,
                             size_t errlen);

/*
 * The peer's side of the whole exchange, for every program that connects
 * to the master: hello() composes HELLO (with the auth fields when a
 * principal is set), challenge() answers a CHALLENGE with AUTHENTICATE,
 * welcome() checks the master's proof in WELCOME (required when a
 * principal is set, so a peer never talks to a master that does not know
 * its secret). principal and secret are borrowed: they must outlive a.
 */
struct proto_auth_client {
	const char *principal;       /* NULL: no credential */
	const char *secret;
	enum proto_kind kind;
	char nonce[PROTO_AUTH_NONCE_HEX + 1];
	char master_nonce[PROTO_AUTH_NONCE_HEX + 1];
	int challenged;
};
void proto_auth_client_init(struct proto_auth_client *a, enum proto_kind kind,
                            const char *principal, const char *secret);
void proto_auth_client_hello(struct proto_auth_client *a, struct buf *b);
int proto_auth_client_challenge(struct proto_auth_client *a, const struct proto_msg *m,
                                struct buf *b, char *err, size_t errlen);
int proto_auth_client_welcome(const struct proto_auth_client *a, const struct proto_msg *m,
                              char *err, size_t errlen);

#endif
