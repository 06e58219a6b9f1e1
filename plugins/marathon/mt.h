/*
 * mt.h: the contract between the files of the Marathon plugin (built into
 * plugins/marathon.so). One file per subsystem:
 *   marathon.c     the plugin: conf, driver callbacks, the HTTP listener
 *   app.c          the app model: JSON in (defaults, validation) and out
 *   fields.c       the app schema's fields carried, accepted at defaults or refused
 *   constraints.c  placement constraints
 *   deployments.c  changes as deployments, for listing, locking and rollback
 *   health.c       health check results, and the HTTP/TCP checks the plugin
 *                  runs itself (non-blocking, on the driver's timers)
 *   readiness.c    readinessChecks: the field, and the checks that hold a
 *                  deployment until its new tasks are ready
 *   versions.c     each app's stored versions (GET /v2/apps/{id}/versions)
 *   gversions.c    each group's stored versions (GET /v2/groups/{id}/versions)
 *   queue.c        keeping `instances` running: offer matching, launch,
 *                  status updates, backoff, scale-down victims, kills
 *   store.c        apps and the task-to-app mapping on disk
 *   rest.c         the /v2 REST API
 *   view.c         how it shows apps and tasks (embed, taskStats, text/plain)
 *   groups.c       /v2/groups, bulk PUT/PATCH /v2/apps, dependencies
 *   events.c       the /v2/events stream (Server-Sent Events)
 * What it shares with the other plugins (the loop driver, the store's
 * writes, the event stream, the constraint operators, offer matching)
 * is in
 * plugins/common/ (pc.h maps it).
 * Names follow Marathon's (its documentation, "REST API"; the README's
 * Marathon section says what is built): ids are paths, versions are
 * ISO-8601 timestamps, task ids are `app_path.instance-UUID._app`.
 */
#ifndef MT_H
#define MT_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/framework.h"
#include "plugins/common/pc.h"
#include "map.h"

struct json;
struct json_w;
struct http_exchange;
struct loop;
struct resolver;

#define MT_ID_MAX            200      /* bytes of an app id: its task ids stay within ID_MAX */
#define MT_VERSION_MAX       32       /* "2026-11-25T21:30:00.123Z" */
#define MT_TIME_ZONE         "Z"      /* how Marathon's timestamps end */
#define MT_TASK_ID_MAX       (MT_ID_MAX + 64)
#define MT_PORTS_MAX         64       /* port definitions of one app */
#define MT_NAME_MAX          64       /* a port name, a protocol */
#define MT_HOST_MAX          256
#define MT_SERVICE_PORT_MIN  10000    /* Marathon's --local_port_min */
#define MT_SERVICE_PORT_MAX  20000    /* Marathon's --local_port_max */
#define MT_ERR_MAX           512
#define MT_MS_PER_S          1000
#define MT_VERSIONS_MAX      50       /* versions kept per app: Marathon's --zk_max_versions */
#define MT_CAUSE_MAX         128      /* a health check's last failure cause */
#define MT_HEALTH_MAX        16       /* health checks of one app: each costs state per task */
#define MT_FETCH_SPEC_MAX    2200     /* a fetch URI and destPath (1024 bytes each) with options */


struct mt_portdef {
	int port;                       /* the service port (0 only before assignment) */
	char name[MT_NAME_MAX];         /* "" when none */
	char protocol[MT_NAME_MAX];
};


/* One fetch entry's options, passed to the agent's fetcher with its URI. */
struct mt_fetch {
	int extract, executable, cache;
	char *dest;                     /* destPath: the file's name in the sandbox, NULL = default */
};

#define MT_UUID_MAX 37                  /* 8-4-4-4-12 hex digits */

struct mt_deployment {
	char id[MT_UUID_MAX];
	char action[MT_NAME_MAX];       /* "ScaleApplication", "RestartApplication", ... */
	char version[MT_VERSION_MAX];
	char *previous;                 /* the app's JSON before the change, NULL for a new app */
};

/*
 * One health check: MESOS_HTTP, MESOS_TCP and COMMAND go to the agent with
 * the task (at most one such per app); HTTP and TCP the plugin runs itself
 * (health.c), any number of them.
 */
struct mt_health {
	char protocol[MT_NAME_MAX];
	char *path;                     /* HTTP, MESOS_HTTP; NULL = "/" */
	char *command;                  /* COMMAND */
	int port_index;                 /* -1 when port is given */
	int port;                       /* a fixed port, 0 = the host port at port_index */
	double grace_s, interval_s, timeout_s, delay_s;
	long long max_failures;
	int ignore_1xx;                 /* ignoreHttp1xx */
	int by_plugin;                  /* HTTP or TCP: run here, not by the agent */
};

/* The app's readiness check (readinessChecks[0]; HTTP only). */
#define MT_READY_CODES_MAX 32
struct mt_readiness {
	char name[MT_NAME_MAX];
	char *path;
	char port_name[MT_NAME_MAX];
	double interval_s, timeout_s;
	int codes[MT_READY_CODES_MAX];  /* httpStatusCodesForReady */
	size_t ncodes;
	int preserve;                   /* preserveLastResponse */
};

/* A task's readiness (mt_task.ready). */
#define MT_READY_UNKNOWN 0              /* not running yet (or back from the store) */
#define MT_READY_NOT_YET 1              /* running in a deployment, its check not yet passed */
#define MT_READY_YES     2              /* ready, or never needed a check */

/* Marathon-ish counters for GET /metrics. */
struct mt_metrics {
	long long http_requests;
	long long tasks_launched, tasks_failed, tasks_killed_unhealthy;
	long long deployments_started, deployments_succeeded, deployments_failed;
	long long health_checks_run, health_checks_failed;
};

/* One stored version of an app: its definition as JSON text. */
struct mt_version {
	char version[MT_VERSION_MAX];
	char *json;
};

struct mt_task;
struct mt_ready;
struct mt_check;
struct mt_failure;

/* A task's latest result of one of its app's health checks. */
struct mt_hstate {
	int healthy;                    /* 1, 0, -1 = none yet */
	double first_success, last_success, last_failure;   /* wall clock, 0 = never */
	long long failures;             /* consecutive failures */
	char cause[MT_CAUSE_MAX];       /* why it last failed, "" = none */
	struct mt_check *check;         /* the plugin's own run of it, NULL when none */
};

struct mt_app {
	/* The definition (what the REST API shows and the store keeps). */
	char *id;                       /* absolute path, "/group/app" */
	char *cmd;                      /* NULL when args is used */
	char **args;
	size_t nargs;
	double cpus, mem, disk;
	long long instances;
	struct mt_portdef ports[MT_PORTS_MAX];
	size_t nports;
	int require_ports;
	struct pc_kv *env;
	size_t nenv;
	struct pc_kv *labels;
	size_t nlabels;
	char **uris;                    /* fetch[].uri */
	struct mt_fetch *fetch;         /* their options, parallel; NULL = the defaults (uris) */
	size_t nuris;
	struct pc_place *constraints;   /* pc.h */
	size_t nconstraints;
	struct mt_readiness *readiness; /* readinessChecks: at most one, NULL = none */
	size_t nreadiness;
	struct mt_health *health;       /* its health checks, in definition order */
	size_t nhealth;                 /* 0 = none */
	double backoff_seconds, backoff_factor, max_launch_delay_seconds;
	double min_health_capacity, max_over_capacity;
	int kill_oldest_first;          /* killSelection OLDEST_FIRST */
	long long kill_grace_seconds;   /* taskKillGracePeriodSeconds, -1 = unset */
	double unreachable_inactive_s, unreachable_expunge_s;   /* unreachableStrategy, seconds */
	int unreachable_disabled;       /* "disabled": an unreachable task is waited for forever */
	char *user;                     /* NULL = the framework's */
	struct pc_kv *carried;          /* fields.c: name -> its JSON text, shown as given */
	size_t ncarried;
	char **deps;                    /* dependencies: app or group paths, maybe relative */
	size_t ndeps;
	char version[MT_VERSION_MAX];
	char last_config_change[MT_VERSION_MAX];
	char last_scaling[MT_VERSION_MAX];

	/* Run time. */
	struct mt_task *tasks;          /* this app's tasks, newest first */
	double delay_s;                 /* current backoff delay, 0 = none */
	int64_t delay_ref_ms;           /* monotonic: when the delay last moved */
	int64_t next_launch_ms;         /* monotonic: no launch before this */
	uint64_t delay_timer;
	double since;                   /* wall clock: when it last started waiting for tasks */
	struct pc_offer_stats stats;    /* offers seen while waiting (reset by a launch) */
	struct mt_deployment *dep;      /* the running deployment, NULL when none */
	struct mt_version *versions;    /* oldest first, at most MT_VERSIONS_MAX */
	size_t nversions;
	struct mt_failure *last_failure;        /* view.c: lastTaskFailure, NULL = none */
};

struct mt_task {
	char id[MT_TASK_ID_MAX];
	struct mt_app *app;             /* NULL once its app is deleted */
	char agent_id[MT_TASK_ID_MAX];
	char host[MT_HOST_MAX];
	int ports[MT_PORTS_MAX];        /* host ports, parallel to the app's port definitions */
	size_t nports;
	char state[MT_NAME_MAX];        /* "TASK_STAGING", ... */
	double staged_at, started_at;   /* wall clock seconds, 0 = not yet */
	char version[MT_VERSION_MAX];   /* the app version it runs */
	int killing;                    /* we asked for its end: it no longer counts */
	int outdated;                   /* runs an older config: replaced once new ones run */
	int healthy;                    /* the last verdict over all checks: 1, 0, -1 = none yet */
	double last_health;             /* wall clock of that verdict */
	char cause[MT_CAUSE_MAX];       /* why the last check failed, "" = none */
	struct mt_hstate *hs;           /* one per app health check (health.c sizes it) */
	int ready;                      /* MT_READY_*: only NOT_YET holds a deployment back */
	struct mt_ready *rs;            /* readiness.c's run of its check, NULL = none */
	size_t nhs;
	char **cvals;                   /* its agent's value per app constraint, NULL = none */
	double unreachable_since;       /* wall clock: its agent went away, 0 = reachable */
	int inactive;                   /* UnreachableInactive: replaced, no longer counts */
	size_t ncvals;
	struct mt_task *next;           /* in its app's list */
};

struct mt {
	struct framework_driver *d;
	struct loop *loop;
	int lfd;                        /* the REST API's listening socket */
	int http_port;
	char leader[PC_HOST_MAX + 16];  /* "host:port" for /v2/leader */
	char *state_dir;                /* NULL = nothing persisted */
	struct pc_journal *journal;     /* store.c: the state on disk, NULL = none */
	uint64_t save_timer;            /* store_save_soon's, 0 = none pending */
	struct map staged;              /* store.c: app id -> what its journal record was made of */
	struct map apps;                /* id -> struct mt_app */
	struct map groups;              /* groups.c: group posted -> its dependencies (JSON text) */
	int saves_deferred;             /* groups.c applying a change: rest_save waits for its end */
	struct map gversions;           /* gversions.c: group path -> its stored versions */
	struct map tasks;               /* task id -> struct mt_task */
	struct pc_reconcile reconcile;  /* pc_reconcile.c over tasks */
	int registered;
	int next_service_port;          /* where the search for a free one starts */
	struct pc_sse *events;          /* /v2/events subscribers, NULL = none yet */
	struct mt_metrics metrics;
	struct map hosts;               /* agent host name -> its address (health.c's cache) */
	struct resolver *resolver;      /* health.c's lookups off the loop; NULL until the first */
	uint64_t unreachable_timer;     /* queue.c's tick over unreachable tasks, 0 = none */
};

/* ---- app.c ---- */
/*
 * Build an app from its JSON definition, filling Marathon's defaults and
 * validating. On a validation error returns NULL and writes Marathon's 422
 * body ({"message":"Object is not valid","details":[...]}) into `details`;
 * on a wrong JSON shape the same, but *status is 400. stored != 0 takes the
 * version fields from the JSON (reloading the store) instead of leaving them.
 */
struct mt_app *app_from_json(const struct json *j, int stored, struct json_w *details,
                             int *status);
void app_free(struct mt_app *a);
/* The definition as Marathon shows it (an open object is left for the caller to end). */
void app_write_fields(struct json_w *w, const struct mt_app *a);
/* Running, and healthy if a has health checks: what rolling upgrades count. */
int app_task_healthy(const struct mt_app *a, const struct mt_task *t);
/* The index of a's one check the agent runs (MESOS_*, COMMAND), -1 when none. */
int app_agent_check(const struct mt_app *a);
/* Whether b differs from a in more than instances (a config change, not a scale). */
int app_config_differs(const struct mt_app *a, const struct mt_app *b);
/* Give each port definition with port 0 a service port no other app uses. */
void app_assign_service_ports(struct mt *m, struct mt_app *a, const struct mt_app *prev);
/* a's fetch entry i as the agent's fetcher takes it: "URI;executable=1;output_file=F". */
void app_fetch_spec(const struct mt_app *a, size_t i, char *out, size_t len);
/* Now as Marathon's version string. */
void app_version_now(char *out, size_t len);
/* Wall clock seconds as a version string. */
void app_version_at(double secs, char *out, size_t len);
/* "/a/b" -> "a_b", the task id prefix. */
void app_task_prefix(const char *id, char *out, size_t len);
/* a's definition as JSON text (caller frees). */
char *app_json_text(const struct mt_app *a);
/*
 * PUT/PATCH: body merged over old's definition (old NULL or !partial: body
 * alone), id forced to id. The merged JSON text (caller frees), or NULL
 * with a reason in err.
 */
char *app_merge(const struct mt_app *old, const char *id, const struct json *body, int partial,
                char *err, size_t errlen);

/* ---- fields.c ---- */
/* The fields app.c does not act on: carried into a, or refused (noted in v); unknown ones ignored. */
void fields_parse(const struct json *j, struct mt_app *a, struct pc_json_errs *v);
/* Marathon's defaults of those fields, then the carried ones. */
void fields_write(struct json_w *w, const struct mt_app *a);
int fields_differ(const struct mt_app *a, const struct mt_app *b);
void fields_free(struct mt_app *a);

/* ---- queue.c ---- */
void queue_offers(struct mt *m, const struct framework_offer *offers, size_t n);
void queue_status(struct mt *m, const struct framework_status *st);
/*
 * After any change to a or its tasks: kill the surplus (scale-down victims,
 * outdated tasks that running new ones replace), ask for offers for the
 * rest. A config change rolls: old tasks are replaced by new ones within
 * the app's upgradeStrategy (never fewer than minimumHealthCapacity
 * running, never more than 1 + maximumOverCapacity in all).
 */
void queue_converge(struct mt *m, struct mt_app *a);
/* Kill one task; it stops counting towards its app's instances at once. */
void queue_kill(struct mt *m, struct mt_task *t);
/* Tasks of a that count towards its instances (current config, not being killed). */
long long queue_active(const struct mt_app *a);
/* How many tasks a may launch now (its instances, bounded by a rolling replacement). */
long long queue_room(const struct mt_app *a);
/* Forget a's launch delay (DELETE /v2/queue/{id}/delay, a new config). */
void queue_reset_delay(struct mt *m, struct mt_app *a);
/* Detach and kill every task of a, then free a (it must be out of m->apps). */
void queue_delete_app(struct mt *m, struct mt_app *a);
/* Ask the master about every known task (after a failover); resumes the unreachable tick. */
void queue_reconcile(struct mt *m);
/* Cancel queue.c's own timers (plugin shutdown). */
void queue_stop(struct mt *m);
struct mt_task *queue_task_new(struct mt *m, struct mt_app *a, const char *id);
void queue_task_free(struct mt_task *t);

/* ---- constraints.c ---- */
struct attrs;
/* Parse and validate "constraints" into a; -1 with the error's path and Marathon's message. */
int constraints_parse(const struct json *j, struct mt_app *a, char *path, size_t pathlen,
                      char *msg, size_t msglen);
void constraints_free(struct mt_app *a);
void constraints_write(struct json_w *w, const struct mt_app *a);
int constraints_differ(const struct mt_app *a, const struct mt_app *b);
/* 1 if an offer from hostname with attrs satisfies every constraint of a. */
int constraints_match(const struct mt_app *a, const char *hostname, const struct attrs *attrs);
/* Remember, on t, its agent's values for a's constraint fields. */
void constraints_task_values(const struct mt_app *a, struct mt_task *t, const char *hostname,
                             const struct attrs *attrs);

/* ---- deployments.c ---- */
/* A new deployment of a (replacing a running one); previous is taken over. */
struct mt_deployment *deployments_start(struct mt *m, struct mt_app *a, const char *action,
                                        char *previous);
/* End a's deployment if a now runs exactly what it defines. */
void deployments_check(struct mt *m, struct mt_app *a);
/* a's deployment ends unfinished (cancelled, overridden, its app deleted): deployment_failed. */
void deployments_fail(struct mt *m, struct mt_app *a, const char *why);
void deployments_free(struct mt_app *a);
/* The deployment as the store keeps it / back from the store (-1: skipped). */
void deployments_write(struct json_w *w, const struct mt_app *a);
int deployments_load(struct mt *m, const struct json *j);
struct mt_app *deployments_find(struct mt *m, const char *id);
/* The GET /v2/deployments array. */
void deployments_write_all(struct json_w *w, struct mt *m);

/* ---- store.c ---- */
/* Journal what changed in apps, tasks and groups, on disk when it returns. -1 with err. */
int store_save(struct mt *m, char *err, size_t errlen);
/* The same at the end of this loop turn: one commit for all the turn's changes. */
void store_save_soon(struct mt *m);
/*
 * A REST change: saved at the end of this loop turn with the turn's other
 * changes (one stage, one fsync); the reply waits for it (pc_commit.c).
 */
void store_stage(struct mt *m);
/* A pending save done, the journal closed. */
void store_close(struct mt *m);
/* Load what store_save wrote; 0 when there is nothing yet. -1 with err. */
int store_load(struct mt *m, char *err, size_t errlen);

/* ---- rest.c ---- */
void rest_handle(struct http_exchange *x, void *arg);
/*
 * Install a (new, or replacing old) as the app's definition, as a
 * deployment; the old one's tasks move over, outdated by a config change
 * (or a restart) so they roll. The deployment's id goes to dep_id.
 */
void rest_install(struct mt *m, struct mt_app *a, struct mt_app *old, int restart,
                  const char *why, char *dep_id);
/* Delete a (its tasks killed) as a StopApplication deployment: its id and version out. */
void rest_remove(struct mt *m, struct mt_app *a, char *dep_id, char *version);
/* {"deploymentId","version"} with the Marathon-Deployment-Id header. */
void rest_deployment_reply(struct http_exchange *x, int status, const char *dep_id,
                           const char *version);
/* 1 (and a 409 sent) when a deployment holds a and the request does not force it. */
int rest_locked(struct http_exchange *x, const struct mt_app *a);
/* Validate j as an app; on error reply 400/422 and return NULL. */
struct mt_app *rest_app_or_reply(struct http_exchange *x, const struct json *j);
/* A REST change made: journaled at the end of the loop turn, the reply held until then. */
void rest_save(struct mt *m);

/* ---- groups.c ---- */
/* /v2/groups[/ID[/versions]] (rest is what follows "/v2/groups"). */
void groups_route(struct http_exchange *x, struct mt *m, const char *rest, const char *method);
/* PUT or PATCH /v2/apps: an array of apps, each merged over its app or created. */
void groups_apps_bulk(struct http_exchange *x, struct mt *m, int patch);
/* Whether every app a depends on (apps, or all apps of a group) runs all its instances. */
int groups_deps_ready(struct mt *m, const struct mt_app *a);
/* A task started or became healthy: ask for offers if an app waiting on it may go now. */
void groups_wake(struct mt *m);

/* ---- gversions.c ---- */
/* Record json (taken) as group gid's definition at version: a journal record to commit. */
void gversions_add(struct mt *m, const char *gid, const char *version, char *json);
/* gid's definition at version (JSON text), NULL when not kept. */
const char *gversions_get(struct mt *m, const char *gid, const char *version);
/* GET /v2/groups/ID/versions (version NULL: the list, newest first) or .../versions/VERSION. */
void gversions_reply(struct http_exchange *x, struct mt *m, const char *gid, const char *version);
/* Drop the versions of gid and every group under it (not the root's): the group is deleted. */
void gversions_forget(struct mt *m, const char *gid);
/* The versions the journal holds, read back at start. */
void gversions_load(struct mt *m);
/* How many versions are kept, all groups together (each is one journal record). */
size_t gversions_count(struct mt *m);
void gversions_free(struct mt *m);

/* ---- view.c ---- */
#define VIEW_TASKS   1                  /* embed the app's tasks */
#define VIEW_FAILURE 2                  /* its lastTaskFailure */
#define VIEW_STATS   4                  /* its taskStats */
#define VIEW_READINESS 8                /* its readinessCheckResults */
/* The VIEW_* flags the request's embed parameters ask for (single: GET of one app). */
int view_embed(struct http_exchange *x, int single);
void view_app(struct json_w *w, const struct mt_app *a, int flags);
void view_task(struct json_w *w, const struct mt_task *t);
/* t of a ended as st says (a failed state): a's lastTaskFailure. */
void view_failure_record(struct mt_app *a, const struct mt_task *t,
                         const struct framework_status *st);
void view_failure_free(struct mt_app *a);
/* 1 when the client asks for text/plain rather than JSON. */
int view_wants_text(struct http_exchange *x);
/* The text/plain task list of every app (only NULL) or of only. */
void view_tasks_text(struct http_exchange *x, struct mt *m, const struct mt_app *only);

/* ---- events.c ---- */
/* GET /v2/events: x becomes a stream (?event_type=T: only T). */
void events_subscribe(struct mt *m, struct http_exchange *x);
/* End every stream (plugin shutdown). */
void events_free(struct mt *m);
/* status_update_event; call before the update changes or frees the task. */
void events_status(struct mt *m, const struct framework_status *st);
/* type: "deployment_info", "deployment_success" or "deployment_failed", for a's deployment. */
void events_deployment(struct mt *m, const struct mt_app *a, const char *type);
/* A deployment of app_id that runs and ends at once (StopApplication of a deleted app). */
void events_deployment_at_once(struct mt *m, const char *app_id, const char *dep_id,
                               const char *version, const char *action);
/* health_status_changed_event for t (its alive just changed). */
void events_health(struct mt *m, const struct mt_task *t);
/* unhealthy_instance_kill_event: t failed too many health checks. */
void events_unhealthy_kill(struct mt *m, const struct mt_task *t);
/* api_post_event: a as posted through x. */
void events_api_post(struct mt *m, struct http_exchange *x, const struct mt_app *a);

/* ---- health.c ---- */
/* t runs (or ran on): start the plugin's own check of it if its app has one. */
void health_task_running(struct mt *m, struct mt_task *t);
/* Stop t's checks (t is ending or freed); its results stay. */
void health_stop(struct mt_task *t);
/* Stop t's checks and forget its results (t is freed). */
void health_task_free(struct mt_task *t);
/*
 * A result of t's app's check idx, from the agent (by_agent) or the plugin:
 * counts, events when the verdict over all checks changes, and for the
 * plugin's checks the kill after that check's maxConsecutiveFailures.
 */
void health_result(struct mt *m, struct mt_task *t, size_t idx, int healthy, const char *cause,
                   int by_agent);
/* The task's healthCheckResults array: one entry per check with a result. */
void health_write(struct json_w *w, const struct mt_task *t);
/* Forget the cached host addresses (plugin shutdown). */
void health_free(struct mt *m);
/* host as a numeric address (cached, looked up at most once a period); NULL with err. */
const char *health_address(struct mt *m, const char *host, char *err, size_t errlen);

/* ---- readiness.c ---- */
/* readinessChecks into a (at most one; HTTPS refused; portName one of a's ports). */
void readiness_parse(const struct json *j, struct mt_app *a, struct pc_json_errs *v);
void readiness_write(struct json_w *w, const struct mt_app *a);
int readiness_differ(const struct mt_app *a, const struct mt_app *b);
void readiness_free(struct mt_app *a);
/* t runs: in a deployment of an app with a check, check t until ready; else t is ready. */
void readiness_task_running(struct mt *m, struct mt_task *t);
/* Stop checking t (it is ending); free its state (t is freed). */
void readiness_stop(struct mt_task *t);
void readiness_task_free(struct mt_task *t);
/* "readinessCheckResults": one entry per task of a checked in its deployment. */
void readiness_write_results(struct json_w *w, const struct mt_app *a);

/* ---- versions.c ---- */
/* Record a's current definition as its newest version (dropping the oldest beyond the cap). */
void versions_add(struct mt_app *a);
/* Move the versions of from to to (an app replaced by its new definition). */
void versions_take(struct mt_app *to, struct mt_app *from);
void versions_free(struct mt_app *a);
/* The stored definition of a at version, NULL when none. */
const char *versions_get(const struct mt_app *a, const char *version);
/* {"versions":[newest first]} */
void versions_write_list(struct json_w *w, const struct mt_app *a);
/* The store's form: [{"version":..,"app":{...}}, ...] and back. */
void versions_write_store(struct json_w *w, const struct mt_app *a);
void versions_load_store(struct mt_app *a, const struct json *j);

#endif
