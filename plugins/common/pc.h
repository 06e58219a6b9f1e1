/*
 * pc.h: what the framework plugins (plugins/marathon/, plugins/jobs/)
 * share, so that each piece is written once. Each file is compiled into
 * every plugin that uses it, with the plugin's hidden visibility:
 *   loop_driver.c  loop.h backed by a plugin driver, so lib/http.c and
 *                  lib/conn.c serve a REST API inside a plugin
 *   pc_store.c     crash-safe state files (temp file, fsync, rename)
 *   pc_journal.c   state as keys and values: an append-only journal with
 *                  group commit, compacted into a snapshot by a thread
 *   pc_sse.c       an event stream (Server-Sent Events), as Marathon's
 *                  /v2/events
 *   pc_place.c     placement constraints (Marathon's operators) judged
 *                  against an offer and the tasks already placed
 *   pc_offer.c     taking tasks' resources and ports out of an offer, a
 *                  launch's resources and command, why offers went unused
 *   pc_reconcile.c reconciliation: explicit after each (re-)registration,
 *                  retried with backoff until answered, and explicit plus
 *                  implicit every reconciliation_interval (conf)
 *   pc_json.c      JSON models in and out: every validation error kept
 *                  with its path for one 422 body, maps, lists, numbers
 *   pc_commit.c    group commit: REST replies held until their changes' one fsync
 *   pc_rest.c      what the REST APIs share: the listener of the conf's
 *                  http_port and http_ip, JSON bodies, replies, timestamps
 * Public names carry their file's prefix (pc_store_write is in
 * pc_store.c); loop_driver.c implements loop.h's names.
 */
#ifndef PC_H
#define PC_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/framework.h"
#include "http.h"
#include "map.h"
#include "res.h"

struct attrs;
struct buf;
struct json;
struct json_w;
struct loop;
struct pc_sse;

/* ---- loop_driver.c ---- */
/* A struct loop whose timers and watches are d's (loop_new() makes an inert one). */
struct loop *loop_driver_new(struct framework_driver *d);
void loop_driver_free(struct loop *loop);

/* ---- pc_store.c ---- */
/*
 * Replace DIR/NAME with data: written to DIR/NAME.tmp, fsync'ed, renamed,
 * the directory fsync'ed. 0, or -1 with err (the old file stays whole).
 */
int pc_store_write(const char *dir, const char *name, const char *data, size_t len, char *err,
                   size_t errlen);
/* Remove DIR/NAME durably (a missing one is no error). 0, or -1 with err. */
int pc_store_remove(const char *dir, const char *name, char *err, size_t errlen);
/* Append the file at path to b (whose max caps it): 0, 1 if there is none, -1 with err. */
int pc_store_read(const char *path, struct buf *b, char *err, size_t errlen);
/* The conf's state_dir, created (mkdir -p) when missing; *out NULL when unset. -1 with err. */
int pc_store_dir(struct framework_driver *d, const char *conf_name, char **out, char *err,
                 size_t errlen);

/* ---- pc_journal.c ---- */
struct pc_journal;
/* Load DIR/NAME's snapshot and journals (none yet: empty). NULL with err. */
struct pc_journal *pc_journal_open(const char *dir, const char *name, char *err, size_t errlen);
void pc_journal_close(struct pc_journal *j);
size_t pc_journal_len(const struct pc_journal *j);
/* Each key and value (NUL-terminated, len bytes): 0 when there are no more. */
int pc_journal_next(const struct pc_journal *j, size_t *iter, const char **key, const char **val,
                    size_t *len);
const char *pc_journal_get(const struct pc_journal *j, const char *key);
/* Change a key in memory and queue its record (nothing when the value is the same). */
void pc_journal_put(struct pc_journal *j, const char *key, const char *val, size_t len);
void pc_journal_del(struct pc_journal *j, const char *key);
int pc_journal_pending(const struct pc_journal *j);
/*
 * Write every queued record: one write, one fsync. 0 once they are on
 * disk, -1 with err. Starts a compaction in the background when due.
 */
int pc_journal_commit(struct pc_journal *j, char *err, size_t errlen);
/* Commits made (each one fsync) and records queued since it was opened. */
void pc_journal_counts(const struct pc_journal *j, long long *commits, long long *records);

/* ---- pc_commit.c ---- */
/* The plugin's save: its changes into the journal, then committed. 0, or -1 with err. */
typedef int (*pc_commit_fn)(void *arg, char *err, size_t errlen);
/*
 * Group commit on j with save (j NULL: none; what is held is saved and
 * answered first): from now on a reply pc_rest_reply makes while a change
 * waits (pc_commit_soon) or j has records queued is held until one save at
 * the end of the loop turn.
 */
void pc_commit_with(struct framework_driver *d, struct pc_journal *j, pc_commit_fn save,
                    void *arg);
/* A change was made: saved (once for all of them) at the end of this loop turn. */
void pc_commit_soon(void);
/* pc_rest_reply's: 1 when the reply (b taken) is held, 0 to send it now. */
int pc_commit_hold(struct http_exchange *x, int status, struct buf *b);

/* ---- pc_reconcile.c ---- */
struct pc_reconcile {
	struct framework_driver *d;
	const struct map *tasks;        /* the plugin's known tasks, by id */
	struct map pending;             /* asked about, not answered since */
	uint64_t retry_timer, period_timer;
	int64_t retry_ms;               /* the next re-ask's delay, doubling to a cap */
	int64_t interval_ms;            /* conf reconciliation_interval */
	long long rounds, retries, asked;   /* for the plugins' metrics */
};

/* Read the conf's reconciliation_interval (seconds): 0, or -1 with err. */
int pc_reconcile_init(struct pc_reconcile *r, struct framework_driver *d, const struct map *tasks,
                      char *err, size_t errlen);
/* (Re-)registered: reconcile every known task now, re-ask until answered, and on the interval. */
void pc_reconcile_start(struct pc_reconcile *r);
/* A status update (any) about task_id came: it is answered. */
void pc_reconcile_answered(struct pc_reconcile *r, const char *task_id);
/* Disconnected: no more asking until the next start. */
void pc_reconcile_stop(struct pc_reconcile *r);
void pc_reconcile_free(struct pc_reconcile *r);

/* ---- pc_sse.c ---- */
struct pc_sse *pc_sse_new(void);
/* End every stream and free the hub (NULL is fine). */
void pc_sse_free(struct pc_sse *hub);
/*
 * GET: x becomes a stream (?event_type=T: only events of type T), opened
 * with {"remoteAddress","eventType":"event_stream_attached","timestamp"};
 * 503 when too many streams are open.
 */
void pc_sse_subscribe(struct pc_sse *hub, struct http_exchange *x, const char *timestamp);
/* 1 if anyone listens (NULL: no one): an event need not be built otherwise. */
int pc_sse_listening(const struct pc_sse *hub);
/* Start an event in b (buf_init'ed here): {"eventType":type,"timestamp":...; add the rest. */
void pc_sse_begin(struct json_w *w, struct buf *b, const char *type, const char *timestamp);
/* End the event, send it to every subscriber that wants type, free b. */
void pc_sse_post(struct pc_sse *hub, struct json_w *w, struct buf *b, const char *type);

/* ---- pc_place.c ---- */
#define PC_PLACE_VALUE_MAX 256          /* bytes of an agent's value for a field */

enum pc_place_op {
	PC_PLACE_UNIQUE, PC_PLACE_CLUSTER, PC_PLACE_GROUP_BY, PC_PLACE_LIKE, PC_PLACE_UNLIKE,
	PC_PLACE_MAX_PER, PC_PLACE_IS
};

struct pc_place {
	char *field;                    /* "hostname" or an attribute name */
	int op;                         /* enum pc_place_op */
	char *value;                    /* NULL when none */
	long long num;                  /* GROUP_BY, MAX_PER */
	regex_t re;                     /* LIKE, UNLIKE (anchored) */
	int has_re;
};

/* Check field, op (Marathon's name) and value and fill k; -1 with Marathon's message. */
int pc_place_parse(struct pc_place *k, const char *field, const char *op, const char *value,
                   char *msg, size_t msglen);
void pc_place_free(struct pc_place *k);
/* "UNIQUE", ... */
const char *pc_place_op_name(int op);
int pc_place_differ(const struct pc_place *a, const struct pc_place *b);
/* An offer's value for field (buf holds attribute text), NULL when its agent has none. */
const char *pc_place_value(const char *field, const char *hostname, const struct attrs *attrs,
                           char *buf, size_t len);
/*
 * 1 if an offer whose value for k's field is v (NULL: none) passes k,
 * given the values of the tasks already placed (oldest first; NULL for
 * one whose agent had none).
 */
int pc_place_match(const struct pc_place *k, const char *v, const char *const *placed, size_t n);

/* ---- pc_offer.c ---- */
#define PC_PORT_RANGES_MAX 1024         /* free port ranges of one offer kept */

/* Why an offer was not used for a task, in Marathon's funnel order (processedOffersSummary). */
enum pc_reason {
	PC_REASON_CONSTRAINT = 0,       /* UnfulfilledConstraint */
	PC_REASON_CPUS,                 /* InsufficientCpus */
	PC_REASON_MEM,                  /* InsufficientMemory */
	PC_REASON_DISK,                 /* InsufficientDisk */
	PC_REASON_PORTS,                /* InsufficientPorts */
	PC_REASONS
};

/* What is left of an offer while tasks are taken from it: scalars in thousandths. */
struct pc_offer {
	int64_t cpus, mem, disk;
	struct res_range ranges[PC_PORT_RANGES_MAX];
	size_t nranges;
};

/* Offers seen while something waits (reset by a launch). */
struct pc_offer_stats {
	long long processed, unused;
	long long declined[PC_REASONS];
	double last_used, last_unused;  /* wall clock seconds, 0 = never */
};

/* o = what the offer's resources hold; -1 with err when they do not parse. */
int pc_offer_init(struct pc_offer *o, const char *resources, char *err, size_t errlen);
/* A scalar as the resource math counts it (rounded to 0.001). */
int64_t pc_offer_thousandths(double v);
/*
 * Take one task's cpus, mem, disk and nports host ports (want[i] > 0:
 * that port, else a free one at random; want may be NULL) from o: -1 with
 * the ports in got, or the enum pc_reason it does not fit (o unchanged).
 */
int pc_offer_take(struct pc_offer *o, double cpus, double mem, double disk, const int *want,
                  size_t nports, int *got);
/* "cpus:0.1;mem:32;disk:10;ports:[31000-31000]" (caller frees). */
char *pc_offer_resources(double cpus, double mem, double disk, const int *ports, size_t nports);
/* args as one /bin/sh command line, each single-quoted (caller frees). */
char *pc_offer_shell_join(char *const *args, size_t n);
/* prefix + key upper-cased, other than [A-Z0-9] as '_': "PORT_" "http" -> "PORT_HTTP". */
void pc_offer_env_name(char *out, size_t len, const char *prefix, const char *key);
/* Marathon's name of a reason ("InsufficientCpus"). */
const char *pc_offer_reason_name(int r);
/* One offer looked at: used for `used` tasks, else refused for why (< 0: no reason). */
void pc_offer_stats_note(struct pc_offer_stats *s, long long used, int why);
/* Ask the master for the state of every task in tasks (a map keyed by task id); a failure is logged. */
struct map;
/* Marathon's processedOffersSummary object, times ending with zone. */
void pc_offer_stats_write(struct json_w *w, const struct pc_offer_stats *s, const char *zone);

/* ---- pc_json.c ---- */
#define PC_JSON_ERRORS_MAX 32           /* validation errors reported per request */
#define PC_JSON_PATH_MAX   256          /* bytes of an error's path ("/run/env/X") */
#define PC_JSON_MSG_MAX    512          /* bytes of an error's message */

/* One key and value of a string map (env, labels). */
struct pc_kv {
	char *key;
	char *value;
};

/* The errors found in one definition, each with its path. */
struct pc_json_errs {
	struct {
		char path[PC_JSON_PATH_MAX];
		char msg[PC_JSON_MSG_MAX];
	} errs[PC_JSON_ERRORS_MAX];
	size_t n;
	int shape;                      /* a wrong JSON type: 400 rather than 422 */
};

void pc_json_err(struct pc_json_errs *v, const char *path, const char *msg);
/* A value of the wrong type: Play's message ("error.expected.jsnumber"), and a 400. */
void pc_json_type(struct pc_json_errs *v, const char *path, const char *expected);
/* x as a number (an integer), def when absent or null; -1 after noting a wrong type. */
int pc_json_number(struct pc_json_errs *v, const struct json *x, const char *path, double def,
                   double *out);
int pc_json_int(struct pc_json_errs *v, const struct json *x, const char *path, long long def,
                long long *out);
/* Note "got V, expected MIN or more" when val < min. */
void pc_json_min(struct pc_json_errs *v, const char *path, double val, double min);
/* A string -> string object (NULL/null: none). */
void pc_json_kv(struct pc_json_errs *v, const struct json *x, const char *path, struct pc_kv **out,
                size_t *n);
/* An array of strings (NULL/null: none). */
void pc_json_strings(struct pc_json_errs *v, const struct json *x, const char *path, char ***out,
                     size_t *n);
/* The errors as Marathon's error body; returns its status (422, or 400 for a wrong type). */
int pc_json_errs_write(const struct pc_json_errs *v, struct json_w *w);
void pc_json_kv_free(struct pc_kv *kv, size_t n);
void pc_json_strings_free(char **s, size_t n);
/* "key": {"k": "v", ...} */
void pc_json_kv_write(struct json_w *w, const char *key, const struct pc_kv *kv, size_t n);
/* "key": v, whole numbers as integers (Marathon prints 128, not 128.0). */
void pc_json_knum(struct json_w *w, const char *key, double v);
/* A /metrics body in Dropwizard's JSON shape, as Marathon's and Metronome's:
 * {"version", "gauges": {name: {"value"}}, "counters": {name: {"count"}},
 * and histograms, meters and timers (none kept here: empty)}. */
struct pc_metric {
	const char *name;
	long long value;
};
void pc_json_metrics(struct json_w *w, const struct pc_metric *gauges, size_t ngauges,
                     const struct pc_metric *counters, size_t ncounters);
int pc_json_strings_differ(char *const *a, size_t na, char *const *b, size_t nb);
int pc_json_kv_differ(const struct pc_kv *a, size_t na, const struct pc_kv *b, size_t nb);

/* ---- pc_rest.c ---- */
#define PC_TIME_MAX 40                  /* "2026-11-25T21:30:00.123+0000" */
#define PC_HOST_MAX 256                 /* bytes of this host's name */

/* Where a REST API listens. */
struct pc_rest_addr {
	int fd;                         /* the listening socket */
	int port;
	char leader[PC_HOST_MAX + 16];  /* "host:port", as /v2/leader and /leader answer */
};

/*
 * Listen as the conf says: http_port (default_port when unset; 0 = any
 * free one) on http_ip (default 0.0.0.0), serving fn(x, arg), and log
 * "REST API listening on IP:PORT". With http_credentials (Marathon's
 * "user:password") every request needs them as HTTP Basic (401 with
 * http_realm, default "Mesosphere", otherwise); without, a listener beyond
 * loopback says in the log that anyone who reaches it may use it.
 * -1 with err (naming conf_name). One listener per plugin host.
 */
int pc_rest_listen(struct framework_driver *d, struct loop *loop, const char *conf_name,
                   int default_port, http_handler_fn fn, void *arg, struct pc_rest_addr *out,
                   char *err, size_t errlen);
/* Close the listener and forget its credentials. */
void pc_rest_close(struct loop *loop, int fd);
/* Reply b (JSON) with status and free b. */
void pc_rest_reply(struct http_exchange *x, int status, struct buf *b);
/* The request's body as JSON; else NULL after a 400 {"message":"Invalid JSON","details":why}. */
struct json *pc_rest_body(struct http_exchange *x);
/* 1 if the query says name=true (any case, as Marathon's Jersey reads a Boolean). */
int pc_rest_flag(struct http_exchange *x, const char *name);
/*
 * CORS, for the master's web page (another origin: the master's port): a
 * request with an Origin gets it back in Access-Control-Allow-Origin
 * (never with credentials); a preflight (OPTIONS with
 * Access-Control-Request-Method) is answered here, 204: then 1, the
 * exchange is done. Call first in a REST handler.
 */
int pc_rest_cors(struct http_exchange *x);

/* secs (wall clock) as ISO-8601 UTC with milliseconds, then zone ("Z", "+0000"). */
void pc_rest_time(double secs, const char *zone, char *out, size_t len);

#endif
