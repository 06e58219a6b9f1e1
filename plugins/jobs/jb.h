/*
 * jb.h: the contract between the files of the jobs plugin (built into
 * plugins/jobs.so): batch and scheduled jobs with Metronome's REST API
 * and JSON, and parallel runs beyond it. One file per subsystem:
 *   jobs.c     the plugin: conf, driver callbacks, the REST listener,
 *              saving changed jobs and acknowledging updates after
 *   job.c      the job model: JSON in (defaults, validation) and out
 *   cron.c     cron expressions, and their next time in a zone
 *   tz.c       time zones from the system's zoneinfo files; the calendar
 *   sched.c    schedules: timers, concurrency policies, starting
 *              deadlines, runs missed while the plugin was down
 *   run.c      runs: their tasks, states, restart policy, deadlines,
 *              history
 *   launch.c   offers: a run's tasks placed, launched, the rest declined
 *   jstore.c   each job on disk, one file a job
 *   jrest.c    the /v1 REST API
 *   jevents.c  the /v1/events stream (Server-Sent Events)
 * What it shares with Marathon's plugin (the loop driver, store writes,
 * the event stream, constraints, offer matching, JSON models, the REST
 * listener) is plugins/common/ (pc.h). Names follow Metronome's
 * (dcos/metronome, its RAML and JSON schemas); docs/JOBS.md lists what
 * is built and how it differs.
 */
#ifndef JB_H
#define JB_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/framework.h"
#include "plugins/common/pc.h"
#include "map.h"

struct buf;
struct json;
struct json_w;
struct http_exchange;
struct loop;
struct tz;

#define JB_ID_MAX          160      /* bytes of a job id: its task ids stay within ID_MAX */
#define JB_RUN_ID_MAX      24       /* "20160715130259A34HX" */
#define JB_TASK_ID_MAX     (JB_ID_MAX + JB_RUN_ID_MAX + 48)
#define JB_AGENT_ID_MAX    256
#define JB_HOST_MAX        256
#define JB_NAME_MAX        64       /* a state's or a policy's name */
#define JB_ERR_MAX         512
#define JB_TIME_ZONE       "+0000"  /* Metronome's timestamps: 2016-07-15T13:02:59.735+0000 */
#define JB_COMPLETIONS_MAX 100000   /* tasks of one run */
#define JB_RUNS_MAX        100      /* active runs of one job: more are refused or skipped */
#define JB_JOBS_MAX        100000
#define JB_MS_PER_S        1000

/* Run states, Metronome's. */
enum jb_status { JB_INITIAL, JB_STARTING, JB_ACTIVE, JB_SUCCESS, JB_FAILED };
/* concurrencyPolicy: ALLOW and FORBID as Metronome, REPLACE as Kubernetes' CronJob. */
enum jb_policy { JB_ALLOW, JB_FORBID, JB_REPLACE };

/* A parsed cron expression: one bit per allowed value of each field. */
struct cron {
	uint64_t minutes;               /* bits 0..59 */
	uint32_t hours;                 /* bits 0..23 */
	uint32_t days;                  /* bits 1..31 */
	uint32_t months;                /* bits 1..12 */
	uint32_t weekdays;              /* bits 0..6, Sunday 0 (7 is Sunday too) */
	int days_star, weekdays_star;   /* the field began with '*' (Vixie cron's day rule) */
	int fixed;                      /* minute and hour both without '*': a "fixed-time" job */
};

struct jb_schedule {
	char *id;
	char *cron_text;
	struct cron cron;
	char *tz_name;
	const struct tz *tz;            /* jb's zone cache owns it */
	long long deadline_s;           /* startingDeadlineSeconds */
	int policy;                     /* enum jb_policy */
	int enabled;
	/* Run time. */
	double last_fired;              /* wall: the latest scheduled time handled, run or skipped */
	double next_at;                 /* wall: when it fires next, 0 = never */
	double pending_at;              /* wall: a FORBID fire waiting for active runs, 0 = none */
	uint64_t timer, pending_timer;
};

struct jb_artifact {
	char *uri;
	int extract, executable, cache;
};

/*
 * What a run runs: the job's "run". Shared: a run keeps the spec it
 * started with when its job is changed (as Metronome's runs copy it).
 */
struct jb_spec {
	int refs;
	char *cmd;                      /* NULL when args is used */
	char **args;
	size_t nargs;
	double cpus, mem, disk;
	struct pc_kv *env;
	size_t nenv;
	struct jb_artifact *artifacts;
	size_t nartifacts;
	char *user;                     /* NULL = the framework's */
	struct pc_place *constraints;
	size_t nconstraints;
	long long max_launch_delay_s;
	int on_failure;                 /* restart.policy ON_FAILURE (else NEVER) */
	long long active_deadline_s;    /* restart.activeDeadlineSeconds, -1 = none */
	long long kill_grace_s;         /* taskKillGracePeriodSeconds, -1 = none */
	long long completions;          /* tasks per run (beyond Metronome) */
	long long parallelism;          /* at most this many at once */
};

/* A finished run as the history keeps it. */
struct jb_finished {
	char id[JB_RUN_ID_MAX];
	double created_at, finished_at;
	char **tasks;                   /* its first task ids (JB_HISTORY_TASKS_MAX) */
	size_t ntasks;
};

struct jb_history {
	long long successes, failures, skips;
	double last_success, last_failure, last_skip;       /* wall clock, 0 = never */
	struct jb_finished *ok, *failed;                    /* newest first */
	size_t nok, nfailed;
};

struct jb_run;

struct jb_job {
	struct jb *jb;
	char *id;
	char *description;              /* NULL = none */
	struct pc_kv *labels;
	size_t nlabels;
	struct jb_spec *spec;
	struct jb_schedule *sched;      /* at most one, as Metronome; NULL = none */
	/* Run time. */
	struct jb_run *runs;            /* active runs, newest first */
	size_t nruns;
	struct jb_history hist;
	int dirty;                      /* changed since it was last saved */
};

/* A run's task slots: one per completion index. */
enum jb_slot { JB_SLOT_PENDING = 'p', JB_SLOT_LAUNCHED = 'l', JB_SLOT_RUNNING = 'r',
	JB_SLOT_DONE = 'd' };

struct jb_task {
	char id[JB_TASK_ID_MAX];
	struct jb_run *run;             /* NULL: killed with its run, known until it ends */
	long long index;                /* its completion index */
	char agent_id[JB_AGENT_ID_MAX];
	char host[JB_HOST_MAX];
	char state[JB_NAME_MAX];        /* "TASK_STAGING", ... */
	double staged_at, started_at, completed_at;   /* wall clock, 0 = not yet */
	int killing;                    /* we asked for its end */
	char **cvals;                   /* its agent's value per constraint, NULL = none */
	size_t ncvals;
	struct jb_task *next;           /* in its run, newest first */
};

struct jb_run {
	char id[JB_RUN_ID_MAX];
	struct jb_job *job;
	struct jb_spec *spec;           /* what it runs: its job's when it started */
	int status;                     /* enum jb_status */
	double created_at, completed_at;
	double scheduled_at;            /* wall: the schedule's time, 0 = started by hand */
	long long deadline_s;           /* startingDeadlineSeconds of a scheduled run, -1 = none */
	char *slots;                    /* completions bytes, enum jb_slot */
	double *queued_at;              /* per slot: when it last became pending */
	long long ndone, nlive;         /* slots done; tasks not ended */
	long long next_slot;            /* no pending slot before this one */
	struct jb_task *tasks;          /* all its tasks, newest first */
	size_t ntasks;
	char why[JB_ERR_MAX];           /* why it failed, "" */
	struct pc_offer_stats stats;    /* offers seen while it waits */
	double waiting_since;           /* wall: since it has had a slot to launch, 0 = none */
	uint64_t timer;                 /* its next deadline */
	struct jb_run *next;
};

/* Counters for GET /v1/metrics. */
struct jb_metrics {
	long long http_requests;
	long long runs_started, runs_succeeded, runs_failed, runs_skipped;
	long long tasks_launched, tasks_failed;
};

/* A status update to acknowledge once what it changed is on disk. */
struct jb_ack {
	char *task_id, *agent_id, *uuid;
};

struct jb {
	struct framework_driver *d;
	struct loop *loop;
	struct pc_rest_addr addr;       /* the REST API's listener */
	char *state_dir;                /* NULL = nothing persisted */
	struct pc_journal *journal;     /* jstore.c: the jobs on disk, NULL = none */
	char *zoneinfo_dir;             /* NULL = the system's */
	char role[JB_NAME_MAX + JB_NAME_MAX];
	double clock_offset;            /* seconds added to the wall clock (tests) */
	long long history_max;          /* finished runs kept per job and outcome */
	struct map jobs;                /* id -> struct jb_job */
	struct map tasks;               /* task id -> struct jb_task, live ones */
	struct pc_reconcile reconcile;  /* pc_reconcile.c over tasks */
	struct map zones;               /* name -> struct tz */
	int registered;
	int suppressed;                 /* offers suppressed (nothing to launch); -1 = not known */
	struct pc_sse *events;          /* /v1/events subscribers, NULL = none yet */
	struct jb_metrics metrics;
	struct jb_ack *acks;            /* updates waiting for the next flush */
	size_t nacks, acks_cap;
	uint64_t flush_timer;
};

/* ---- jobs.c ---- */
/* The plugin's wall clock (seconds, with the conf's clock_offset). */
double jobs_now(const struct jb *jb);
/* job changed: saved by the next flush (a timer of a few ms), before queued acks go. */
void jobs_dirty(struct jb *jb, struct jb_job *job);
/* Save job now (a change about to be answered, or tasks about to be launched); -1 logged. */
int jobs_save(struct jb *jb, struct jb_job *job);
/* Acknowledge st after the next flush. */
void jobs_ack_later(struct jb *jb, const struct framework_status *st);

/* ---- tz.c ---- */
/* A zone by IANA name from dir (NULL: /usr/share/zoneinfo); UTC needs no file. NULL with err. */
struct tz *tz_load(const char *dir, const char *name, char *err, size_t errlen);
/* A zone from a POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0"), as a TZif footer holds it. */
struct tz *tz_from_rule(const char *name, const char *rule, char *err, size_t errlen);
struct tz *tz_utc(void);
void tz_free(struct tz *z);
const char *tz_name(const struct tz *z);
/* Seconds east of UTC at instant t (seconds since the epoch). */
int32_t tz_offset(const struct tz *z, int64_t t);
/* The first offset change after t (INT64_MAX: none), the last one at or before t (INT64_MIN). */
int64_t tz_next_transition(const struct tz *z, int64_t t);
int64_t tz_prev_transition(const struct tz *z, int64_t t);
/* The proleptic Gregorian calendar: days since 1970-01-01, and back; weekday 0 = Sunday. */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int tz_weekday(int64_t days);
int tz_days_in_month(int64_t y, int m);

/* ---- cron.c ---- */
/* Five fields: minute hour day-of-month month day-of-week; -1 with err. */
int cron_parse(struct cron *c, const char *text, char *err, size_t errlen);
/*
 * The first time after `after` (seconds since the epoch) at which c fires
 * in zone z, as Vixie cron treats daylight saving changes: a fixed-time
 * job whose time is skipped runs when the gap ends, and runs once when
 * its time repeats; other jobs follow the clock's real minutes. 0 and
 * *out, or -1 when it never fires (within decades).
 */
int cron_next(const struct cron *c, const struct tz *z, int64_t after, int64_t *out);

/* ---- job.c ---- */
/*
 * A job from its JSON (POST/PUT /v1/jobs), Metronome's defaults filled
 * in. On an error NULL, Metronome's 422 body (400 for a wrong JSON type)
 * in details and its status in *status. id, when not NULL, is the job's
 * id whatever the body says (PUT).
 */
struct jb_job *job_from_json(struct jb *jb, const struct json *j, const char *id,
                             struct json_w *details, int *status);
/* A schedule from its JSON, the same way (id: the path's id for PUT, else NULL). */
struct jb_schedule *job_schedule_from_json(struct jb *jb, const struct json *j, const char *id,
                                           struct json_w *details, int *status);
void job_free(struct jb_job *job);
void job_schedule_free(struct jb_schedule *s);
/* A run spec alone (a run's own, from the store); NULL with the error body as above. */
struct jb_spec *job_spec_from_json(struct jb *jb, const struct json *run, struct json_w *details,
                                   int *status);
struct jb_spec *job_spec_ref(struct jb_spec *s);
void job_spec_unref(struct jb_spec *s);
/* The "run" object. */
void job_write_spec(struct json_w *w, const struct jb_spec *s);
/* The job as Metronome's JobSpec (an open object: the caller ends it). */
void job_write_fields(struct json_w *w, const struct jb_job *job);
void job_write_schedule(struct json_w *w, const struct jb_schedule *s);
/* The zone of that name, loaded once; NULL with err. */
const struct tz *job_zone(struct jb *jb, const char *name, char *err, size_t errlen);
/* Free the zone cache. */
void job_zones_free(struct jb *jb);
/* Seconds as Metronome's timestamp, or JSON null for 0. */
void job_write_time(struct json_w *w, const char *key, double t);

/* ---- sched.c ---- */
/* Arm (or disarm) job's schedule timer for its next time. */
void sched_arm(struct jb *jb, struct jb_job *job);
void sched_disarm(struct jb *jb, struct jb_job *job);
/* After a restart: the run missed while down, once, if its deadline allows; skips counted. */
void sched_recover(struct jb *jb, struct jb_job *job);
/* A run of job ended: a FORBID fire that waited for it may start now. */
void sched_run_ended(struct jb *jb, struct jb_job *job);
/* The policy's name, and back (-1 when unknown). */
const char *sched_policy_name(int policy);
int sched_policy_parse(const char *name);

/* ---- run.c ---- */
/* Start a run of job (scheduled_at 0: by hand): saved before it is returned. */
struct jb_run *run_start(struct jb *jb, struct jb_job *job, double scheduled_at,
                         long long deadline_s);
/*
 * End r as FAILED with why, killing its tasks (stop, deadlines, REPLACE,
 * job deletion), and free it; its final JSON goes to reply when not NULL.
 */
void run_fail(struct jb *jb, struct jb_run *r, const char *why, struct buf *reply);
/* A task's status update (or a reconciliation's answer). */
void run_status(struct jb *jb, const struct framework_status *st);
/* Slots r may launch now: pending ones within its parallelism. */
long long run_launchable(const struct jb_run *r);
/* A task for slot index of r on an agent, its slot LAUNCHED (caller saves, then launches). */
struct jb_task *run_task_new(struct jb *jb, struct jb_run *r, long long index,
                             const char *agent_id, const char *host);
void run_task_free(struct jb_task *t);
/* Take a task back that could not be launched: its slot is pending again. */
void run_task_drop(struct jb *jb, struct jb_task *t);
/* Ask the master about every known task (after a failover). */
void run_reconcile(struct jb *jb);
/* Re-arm r's deadline timer (starting deadline, maxLaunchDelay). */
void run_arm(struct jb *jb, struct jb_run *r);
/* Metronome's run JSON; tasks listed when with_tasks. */
void run_write(struct json_w *w, const struct jb_run *r, int with_tasks);
/* The history as Metronome shows it (full: with the finished runs). */
void run_write_history(struct json_w *w, const struct jb_history *h, int full);
/* Finished runs as a JSON array under key: times as Metronome's text, or as numbers (the store). */
void run_write_finished(struct json_w *w, const char *key, const struct jb_finished *f, size_t n,
                        int as_text);
/* Count n scheduled times skipped, the last at scheduled_at (FORBID, the plugin down, ...). */
void run_skipped(struct jb *jb, struct jb_job *job, double scheduled_at, long long n,
                 const char *why);
/* Free a run and its tasks (plugin shutdown, job deletion after run_fail). */
void run_free(struct jb *jb, struct jb_run *r);
void run_history_free(struct jb_history *h);
const char *run_status_name(int status);
int run_status_parse(const char *name);
/* A run id: the time (yyyyMMddHHmmss) and 5 random letters and digits, as Metronome's. */
void run_new_id(double now, char *out, size_t len);

/* ---- launch.c ---- */
void launch_offers(struct jb *jb, const struct framework_offer *offers, size_t n);
/* Revive offers when some run has slots to launch, suppress them when none has. */
void launch_wanted(struct jb *jb);

/* ---- jstore.c ---- */
/* Queue job's record (its definition, schedule state, active runs, history). */
void jstore_stage(struct jb *jb, const struct jb_job *job);
/* Everything queued on disk: one write, one fsync. -1 with err. */
int jstore_commit(struct jb *jb, char *err, size_t errlen);
/* Stage and commit: job on disk when it returns. -1 with err. */
int jstore_save(struct jb *jb, const struct jb_job *job, char *err, size_t errlen);
int jstore_remove(struct jb *jb, const char *id, char *err, size_t errlen);
/* The journal closed (what is queued is lost: callers commit first). */
void jstore_close(struct jb *jb);
/* Load every job; 0 when there is nothing yet. -1 with err. */
int jstore_load(struct jb *jb, char *err, size_t errlen);

/* ---- jrest.c ---- */
void jrest_handle(struct http_exchange *x, void *arg);

/* ---- jevents.c ---- */
/* GET /v1/events: x becomes a stream (?event_type=T: only T). */
void jevents_subscribe(struct jb *jb, struct http_exchange *x);
void jevents_free(struct jb *jb);
/* job_created, job_updated, job_deleted. */
void jevents_job(struct jb *jb, const struct jb_job *job, const char *type);
/* job_run_started, job_run_updated, job_run_finished, job_run_failed, job_run_skipped. */
void jevents_run(struct jb *jb, const struct jb_run *r, const char *type);
void jevents_skipped(struct jb *jb, const struct jb_job *job, double scheduled_at,
                     const char *why);
/* status_update_event for a task of a run. */
void jevents_status(struct jb *jb, const struct framework_status *st, const struct jb_task *t);

#endif
