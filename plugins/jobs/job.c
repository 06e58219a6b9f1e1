/*
 * job.c: the job model. A job's JSON in, with Metronome's field names,
 * defaults and error shapes (its JSON schemas jobspec.schema.json and
 * schedulespec.schema.json, and the validators of its model: run.cpus >=
 * 0.01, run.mem >= 32, startingDeadlineSeconds >= 60, at most one
 * schedule), and the same job out as GET shows it, defaults filled in.
 * Beyond Metronome: run.completions and run.parallelism (N tasks a run,
 * at most P at once), constraint operators of Marathon's beyond IS, LIKE
 * and UNLIKE, and concurrencyPolicy REPLACE. Fields whose behaviour is
 * not built here (docker, ucr, volumes, networks, secrets, gpus,
 * dependencies) are refused with a 422 naming them, not accepted and
 * ignored: a job never silently runs differently from its definition.
 * The time zones schedules name are loaded once and kept (jb->zones).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jb.h"
#include "buf.h"
#include "json.h"
#include "xmem.h"

#define DEFAULT_CPUS 1.0                  /* JobRunSpec.DefaultCpus */
#define DEFAULT_MEM_MB 128.0
#define DEFAULT_DISK_MB 0.0
#define DEFAULT_MAX_LAUNCH_DELAY_S 3600   /* one hour */
#define DEFAULT_DEADLINE_S 900            /* ScheduleSpec.DefaultStartingDeadline: 15 minutes */
#define DEFAULT_TIMEZONE "UTC"
#define MIN_CPUS 0.01
#define MIN_MEM_MB 32.0
#define MIN_DEADLINE_S 60                 /* "startingDeadline >= 1.minute" */
#define SCHEDULES_MAX 1                   /* "Only one schedule supported at the moment" */
#define CONSTRAINTS_MAX 64
#define ARTIFACTS_MAX 1024
#define URI_LEN_MAX 1024
#define DESCRIPTION_MAX 4096              /* bytes of a description */
#define SCHEDULE_ID_MAX 128

static const char JOB_ID_RE[] =
	"^([a-z0-9]+(\\-+[a-z0-9]+)*)(\\.([a-z0-9]+(\\-+[a-z0-9]+)*))*$";
/* The same, as POSIX ERE needs it. */
static const char JOB_ID_ERE[] = "^([a-z0-9]+(-+[a-z0-9]+)*)(\\.([a-z0-9]+(-+[a-z0-9]+)*))*$";
static const char SCHEDULE_ID_RE[] = "^([a-z0-9][a-z0-9\\-]*[a-z0-9]+)$";
static const char SCHEDULE_ID_ERE[] = "^([a-z0-9][a-z0-9-]*[a-z0-9]+)$";

static const char *const JOB_KEYS[] = { "id", "description", "labels", "run", "schedules",
	"dependencies", NULL };
static const char *const RUN_KEYS[] = { "cmd", "args", "cpus", "mem", "disk", "env", "artifacts",
	"user", "placement", "maxLaunchDelay", "restart", "taskKillGracePeriodSeconds",
	"completions", "parallelism", NULL };
/* Metronome's, with no behaviour here yet: refused unless empty. */
static const char *const RUN_UNSUPPORTED[] = { "docker", "ucr", "volumes", "networks", "secrets",
	"gpus", NULL };
static const char *const SCHEDULE_KEYS[] = { "id", "cron", "timezone", "startingDeadlineSeconds",
	"concurrencyPolicy", "enabled", "nextRunAt", NULL };
/* Metronome's operators (EQ is IS), then Marathon's further ones. */
static const char *const OPERATORS[] = { "IS", "EQ", "LIKE", "UNLIKE", "UNIQUE", "CLUSTER",
	"GROUP_BY", "MAX_PER", NULL };

static int
in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* An empty value, as clients send for fields they do not use. */
static int
empty(const struct json *x)
{
	return x->type == JSON_NULL || ((x->type == JSON_ARRAY || x->type == JSON_OBJECT) &&
	       x->n == 0) || (x->type == JSON_NUMBER && x->number == 0) ||
	       (x->type == JSON_STRING && x->string[0] == '\0');
}

/* Unknown keys of object j, and the ones not built, at prefix. */
static void
check_keys(struct pc_json_errs *v, const struct json *j, const char *prefix,
           const char *const *known, const char *const *unsupported)
{
	char path[PC_JSON_PATH_MAX];

	for (size_t i = 0; i < j->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", prefix, j->keys[i]);
		if (unsupported != NULL && in_list(unsupported, j->keys[i])) {
			if (!empty(j->items[i]))
				pc_json_err(v, path, "is not supported by this Metronome yet");
		} else if (!in_list(known, j->keys[i])) {
			pc_json_err(v, path, "is not a known field");
		}
	}
}

static int
matches(const char *ere, const char *s)
{
	regex_t re;
	int ok;

	if (regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/* A string member: NULL when absent or null; a type error noted otherwise. */
static const char *
get_str(struct pc_json_errs *v, const struct json *j, const char *key, const char *path)
{
	const struct json *x = json_get(j, key);

	if (x == NULL || x->type == JSON_NULL)
		return NULL;
	if (x->type != JSON_STRING) {
		pc_json_type(v, path, "jsstring");
		return NULL;
	}
	return x->string;
}

static int
get_bool(struct pc_json_errs *v, const struct json *j, const char *key, const char *path, int def)
{
	const struct json *x = json_get(j, key);

	if (x == NULL || x->type == JSON_NULL)
		return def;
	if (x->type != JSON_BOOL) {
		pc_json_type(v, path, "jsboolean");
		return def;
	}
	return x->boolean;
}

/* An object member (NULL when absent or null). */
static const struct json *
get_obj(struct pc_json_errs *v, const struct json *j, const char *key, const char *path)
{
	const struct json *x = json_get(j, key);

	if (x == NULL || x->type == JSON_NULL)
		return NULL;
	if (x->type != JSON_OBJECT) {
		pc_json_type(v, path, "jsobject");
		return NULL;
	}
	return x;
}

/* ---- zones ---- */

const struct tz *
job_zone(struct jb *jb, const char *name, char *err, size_t errlen)
{
	struct tz *z = map_get(&jb->zones, name);

	if (z == NULL && (z = tz_load(jb->zoneinfo_dir, name, err, errlen)) != NULL)
		map_put(&jb->zones, name, z);
	return z;
}

void
job_zones_free(struct jb *jb)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&jb->zones, &i, &k, &v);)
		tz_free(v);
	map_free(&jb->zones);
}

/* ---- schedules ---- */

void
job_schedule_free(struct jb_schedule *s)
{
	if (s == NULL)
		return;
	free(s->id);
	free(s->cron_text);
	free(s->tz_name);
	free(s);
}

/* A schedule at prefix ("" for the schedules endpoints, "/schedules(0)" in a job). */
static struct jb_schedule *
schedule_parse(struct jb *jb, const struct json *j, const char *prefix, const char *force_id,
               struct pc_json_errs *v)
{
	struct jb_schedule *s = xcalloc(1, sizeof(*s));
	char path[PC_JSON_PATH_MAX], err[JB_ERR_MAX];
	const char *id, *cron, *zone, *policy;

	s->deadline_s = DEFAULT_DEADLINE_S;
	s->enabled = 1;
	snprintf(path, sizeof(path), "%s/", prefix);
	if (j->type != JSON_OBJECT) {
		pc_json_type(v, *prefix ? prefix : "/", "jsobject");
		return s;
	}
	check_keys(v, j, prefix, SCHEDULE_KEYS, NULL);
	snprintf(path, sizeof(path), "%s/id", prefix);
	id = force_id != NULL ? force_id : get_str(v, j, "id", path);
	if (id == NULL && json_get(j, "id") == NULL) {
		pc_json_err(v, path, "error.path.missing");
	} else if (id != NULL && (strlen(id) > SCHEDULE_ID_MAX || !matches(SCHEDULE_ID_ERE, id))) {
		snprintf(err, sizeof(err), "must fully match regular expression '%s'", SCHEDULE_ID_RE);
		pc_json_err(v, path, err);
	} else if (id != NULL) {
		s->id = xstrdup(id);
	}
	snprintf(path, sizeof(path), "%s/cron", prefix);
	cron = get_str(v, j, "cron", path);
	if (cron == NULL && json_get(j, "cron") == NULL)
		pc_json_err(v, path, "error.path.missing");
	else if (cron != NULL && cron_parse(&s->cron, cron, err, sizeof(err)) == -1)
		pc_json_err(v, path, err);
	else if (cron != NULL)
		s->cron_text = xstrdup(cron);
	snprintf(path, sizeof(path), "%s/timezone", prefix);
	zone = get_str(v, j, "timezone", path);
	if (zone == NULL)
		zone = DEFAULT_TIMEZONE;
	if ((s->tz = job_zone(jb, zone, err, sizeof(err))) == NULL)
		pc_json_err(v, path, err);
	else
		s->tz_name = xstrdup(zone);
	snprintf(path, sizeof(path), "%s/startingDeadlineSeconds", prefix);
	if (pc_json_int(v, json_get(j, "startingDeadlineSeconds"), path, DEFAULT_DEADLINE_S,
	                &s->deadline_s) == 0)
		pc_json_min(v, path, (double)s->deadline_s, MIN_DEADLINE_S);
	snprintf(path, sizeof(path), "%s/concurrencyPolicy", prefix);
	policy = get_str(v, j, "concurrencyPolicy", path);
	if (policy != NULL && (s->policy = sched_policy_parse(policy)) == -1) {
		snprintf(err, sizeof(err), "'%.64s' is not a valid concurrency policy. Allowed values: "
		         "ALLOW, FORBID, REPLACE", policy);
		pc_json_err(v, path, err);
	}
	if (s->policy < 0)
		s->policy = JB_ALLOW;
	snprintf(path, sizeof(path), "%s/enabled", prefix);
	s->enabled = get_bool(v, j, "enabled", path, 1);
	return s;
}

struct jb_schedule *
job_schedule_from_json(struct jb *jb, const struct json *j, const char *id, struct json_w *details,
                       int *status)
{
	struct pc_json_errs v;
	struct jb_schedule *s;

	memset(&v, 0, sizeof(v));
	s = schedule_parse(jb, j, "", id, &v);
	if (v.n == 0)
		return s;
	*status = pc_json_errs_write(&v, details);
	job_schedule_free(s);
	return NULL;
}

const char *
sched_policy_name(int policy)
{
	return policy == JB_FORBID ? "FORBID" : policy == JB_REPLACE ? "REPLACE" : "ALLOW";
}

int
sched_policy_parse(const char *name)
{
	return strcmp(name, "ALLOW") == 0 ? JB_ALLOW : strcmp(name, "FORBID") == 0 ? JB_FORBID :
	       strcmp(name, "REPLACE") == 0 ? JB_REPLACE : -1;
}

/* ---- the run spec ---- */

static void
get_artifacts(struct pc_json_errs *v, const struct json *x, struct jb_spec *r)
{
	char path[PC_JSON_PATH_MAX];

	if (x == NULL || x->type == JSON_NULL)
		return;
	if (x->type != JSON_ARRAY) {
		pc_json_type(v, "/run/artifacts", "jsarray");
		return;
	}
	if (x->n > ARTIFACTS_MAX) {
		pc_json_err(v, "/run/artifacts", "too many entries");
		return;
	}
	r->artifacts = xcalloc(x->n ? x->n : 1, sizeof(*r->artifacts));
	for (size_t i = 0; i < x->n; i++) {
		const struct json *a = x->items[i];
		struct jb_artifact *f = &r->artifacts[r->nartifacts];
		const char *uri;

		snprintf(path, sizeof(path), "/run/artifacts(%zu)", i);
		if (a->type != JSON_OBJECT) {
			pc_json_type(v, path, "jsobject");
			continue;
		}
		snprintf(path, sizeof(path), "/run/artifacts(%zu)/uri", i);
		uri = get_str(v, a, "uri", path);
		if (uri == NULL || *uri == '\0' || strlen(uri) > URI_LEN_MAX ||
		    strpbrk(uri, ";\n\r") != NULL) {
			pc_json_err(v, path, "must be a URI of 1 to 1024 characters, without ';'");
			continue;
		}
		f->uri = xstrdup(uri);
		snprintf(path, sizeof(path), "/run/artifacts(%zu)", i);
		f->extract = get_bool(v, a, "extract", path, 1);
		f->executable = get_bool(v, a, "executable", path, 0);
		f->cache = get_bool(v, a, "cache", path, 0);
		r->nartifacts++;
	}
}

/* placement.constraints: [{"attribute", "operator", "value"}] */
static void
get_constraints(struct pc_json_errs *v, const struct json *placement, struct jb_spec *r)
{
	const struct json *x;
	char path[PC_JSON_PATH_MAX], msg[JB_ERR_MAX];

	if (placement != NULL)
		check_keys(v, placement, "/run/placement", (const char *const[]){ "constraints", NULL },
		           NULL);
	x = placement != NULL ? json_get(placement, "constraints") : NULL;
	if (x == NULL || x->type == JSON_NULL)
		return;
	if (x->type != JSON_ARRAY || x->n > CONSTRAINTS_MAX) {
		pc_json_err(v, "/run/placement/constraints", x->type != JSON_ARRAY ?
		            "error.expected.jsarray" : "too many constraints");
		return;
	}
	r->constraints = xcalloc(x->n ? x->n : 1, sizeof(*r->constraints));
	for (size_t i = 0; i < x->n; i++) {
		const struct json *c = x->items[i];
		const char *attr, *op, *value;

		snprintf(path, sizeof(path), "/run/placement/constraints(%zu)", i);
		if (c->type != JSON_OBJECT) {
			pc_json_type(v, path, "jsobject");
			continue;
		}
		attr = json_get_str(c, "attribute");
		op = json_get_str(c, "operator");
		value = json_get_str(c, "value");
		if (attr == NULL || op == NULL) {
			pc_json_err(v, path, "needs an attribute and an operator");
			continue;
		}
		if (!in_list(OPERATORS, op)) {
			snprintf(msg, sizeof(msg), "'%.64s' is not a valid operator. Allowed values: IS, EQ, "
			         "LIKE, UNLIKE, UNIQUE, CLUSTER, GROUP_BY, MAX_PER", op);
			pc_json_err(v, path, msg);
			continue;
		}
		if (pc_place_parse(&r->constraints[r->nconstraints], attr,
		                   strcmp(op, "EQ") == 0 ? "IS" : op, value, msg, sizeof(msg)) == -1) {
			pc_place_free(&r->constraints[r->nconstraints]);
			pc_json_err(v, path, msg);
			continue;
		}
		r->nconstraints++;
	}
}

static void
get_restart(struct pc_json_errs *v, const struct json *run, struct jb_spec *r)
{
	const struct json *x = get_obj(v, run, "restart", "/run/restart");
	const char *policy;
	char msg[JB_ERR_MAX];

	r->active_deadline_s = -1;
	if (x == NULL)
		return;
	check_keys(v, x, "/run/restart", (const char *const[]){ "policy", "activeDeadlineSeconds",
	           NULL }, NULL);
	policy = get_str(v, x, "policy", "/run/restart/policy");
	if (policy != NULL && strcmp(policy, "ON_FAILURE") == 0) {
		r->on_failure = 1;
	} else if (policy != NULL && strcmp(policy, "NEVER") != 0) {
		snprintf(msg, sizeof(msg), "'%.64s' is not a valid restart policy. Allowed values: "
		         "NEVER, ON_FAILURE", policy);
		pc_json_err(v, "/run/restart/policy", msg);
	}
	if (pc_json_int(v, json_get(x, "activeDeadlineSeconds"), "/run/restart/activeDeadlineSeconds",
	                -1, &r->active_deadline_s) == 0 && json_get(x, "activeDeadlineSeconds") != NULL &&
	    json_get(x, "activeDeadlineSeconds")->type != JSON_NULL)
		pc_json_min(v, "/run/restart/activeDeadlineSeconds", (double)r->active_deadline_s, 0);
}

static void
get_run(struct pc_json_errs *v, const struct json *run, struct jb_spec *r)
{
	const struct json *x;
	const char *s;

	r->kill_grace_s = -1;
	r->active_deadline_s = -1;
	r->max_launch_delay_s = DEFAULT_MAX_LAUNCH_DELAY_S;
	r->completions = 1;
	if (run == NULL)
		return;
	check_keys(v, run, "/run", RUN_KEYS, RUN_UNSUPPORTED);
	if ((s = get_str(v, run, "cmd", "/run/cmd")) != NULL) {
		if (*s == '\0')
			pc_json_err(v, "/run/cmd", "must not be an empty string");
		r->cmd = xstrdup(s);
	}
	pc_json_strings(v, json_get(run, "args"), "/run/args", &r->args, &r->nargs);
	if (r->cmd == NULL && r->nargs == 0)
		pc_json_err(v, "/run", "Cmd, Docker or UCR image must be specified");
	else if (r->cmd != NULL && r->nargs > 0)
		pc_json_err(v, "/run", "It is invalid to supply both cmd and args in the same job");
	if (pc_json_number(v, json_get(run, "cpus"), "/run/cpus", DEFAULT_CPUS, &r->cpus) == 0)
		pc_json_min(v, "/run/cpus", r->cpus, MIN_CPUS);
	if (pc_json_number(v, json_get(run, "mem"), "/run/mem", DEFAULT_MEM_MB, &r->mem) == 0)
		pc_json_min(v, "/run/mem", r->mem, MIN_MEM_MB);
	if (pc_json_number(v, json_get(run, "disk"), "/run/disk", DEFAULT_DISK_MB, &r->disk) == 0)
		pc_json_min(v, "/run/disk", r->disk, 0);
	x = json_get(run, "env");
	if (x != NULL && x->type == JSON_OBJECT)
		for (size_t i = 0; i < x->n; i++)
			if (x->items[i]->type == JSON_OBJECT) {
				char path[PC_JSON_PATH_MAX];

				snprintf(path, sizeof(path), "/run/env/%s", x->keys[i]);
				pc_json_err(v, path, "secrets are not supported by this Metronome yet");
			}
	pc_json_kv(v, x, "/run/env", &r->env, &r->nenv);
	get_artifacts(v, json_get(run, "artifacts"), r);
	if ((s = get_str(v, run, "user", "/run/user")) != NULL && *s != '\0')
		r->user = xstrdup(s);
	get_constraints(v, get_obj(v, run, "placement", "/run/placement"), r);
	if (pc_json_int(v, json_get(run, "maxLaunchDelay"), "/run/maxLaunchDelay",
	                DEFAULT_MAX_LAUNCH_DELAY_S, &r->max_launch_delay_s) == 0)
		pc_json_min(v, "/run/maxLaunchDelay", (double)r->max_launch_delay_s, 1);
	get_restart(v, run, r);
	if (pc_json_int(v, json_get(run, "taskKillGracePeriodSeconds"),
	                "/run/taskKillGracePeriodSeconds", -1, &r->kill_grace_s) == 0 &&
	    r->kill_grace_s != -1)
		pc_json_min(v, "/run/taskKillGracePeriodSeconds", (double)r->kill_grace_s, 0);
	if (pc_json_int(v, json_get(run, "completions"), "/run/completions", 1, &r->completions) == 0) {
		pc_json_min(v, "/run/completions", (double)r->completions, 1);
		if (r->completions > JB_COMPLETIONS_MAX) {
			char msg[JB_ERR_MAX];

			snprintf(msg, sizeof(msg), "got %lld, expected %d or less", r->completions,
			         JB_COMPLETIONS_MAX);
			pc_json_err(v, "/run/completions", msg);
		}
	}
	if (pc_json_int(v, json_get(run, "parallelism"), "/run/parallelism", r->completions,
	                &r->parallelism) == 0) {
		pc_json_min(v, "/run/parallelism", (double)r->parallelism, 1);
		if (r->parallelism > r->completions)
			r->parallelism = r->completions;    /* more at once than there are: all at once */
	}
}

struct jb_spec *
job_spec_ref(struct jb_spec *r)
{
	r->refs++;
	return r;
}

void
job_spec_unref(struct jb_spec *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	free(r->cmd);
	pc_json_strings_free(r->args, r->nargs);
	pc_json_kv_free(r->env, r->nenv);
	for (size_t i = 0; i < r->nartifacts; i++)
		free(r->artifacts[i].uri);
	free(r->artifacts);
	free(r->user);
	for (size_t i = 0; i < r->nconstraints; i++)
		pc_place_free(&r->constraints[i]);
	free(r->constraints);
	free(r);
}

static struct jb_spec *
spec_new(void)
{
	struct jb_spec *r = xcalloc(1, sizeof(*r));

	r->refs = 1;
	return r;
}

struct jb_spec *
job_spec_from_json(struct jb *jb, const struct json *run, struct json_w *details, int *status)
{
	struct jb_spec *r = spec_new();
	struct pc_json_errs v;

	(void)jb;
	memset(&v, 0, sizeof(v));
	if (run->type != JSON_OBJECT)
		pc_json_type(&v, "/run", "jsobject");
	else
		get_run(&v, run, r);
	if (v.n == 0)
		return r;
	*status = pc_json_errs_write(&v, details);
	job_spec_unref(r);
	return NULL;
}

void
job_free(struct jb_job *job)
{
	if (job == NULL)
		return;
	free(job->id);
	free(job->description);
	pc_json_kv_free(job->labels, job->nlabels);
	job_spec_unref(job->spec);
	job_schedule_free(job->sched);
	run_history_free(&job->hist);
	free(job);
}

struct jb_job *
job_from_json(struct jb *jb, const struct json *j, const char *id, struct json_w *details,
              int *status)
{
	struct jb_job *job = xcalloc(1, sizeof(*job));
	struct pc_json_errs v;
	const struct json *x;
	const char *s;

	memset(&v, 0, sizeof(v));
	job->jb = jb;
	job->spec = spec_new();
	job->spec->kill_grace_s = -1;
	job->spec->active_deadline_s = -1;
	if (j->type != JSON_OBJECT) {
		pc_json_type(&v, "/", "jsobject");
		goto out;
	}
	check_keys(&v, j, "", JOB_KEYS, NULL);
	s = id != NULL ? id : get_str(&v, j, "id", "/id");
	if (s == NULL && json_get(j, "id") == NULL) {
		pc_json_err(&v, "/id", "error.path.missing");
	} else if (s != NULL && (strlen(s) > JB_ID_MAX || !matches(JOB_ID_ERE, s))) {
		char msg[JB_ERR_MAX];

		snprintf(msg, sizeof(msg), "must fully match regular expression '%s' (at most %d "
		         "characters)", JOB_ID_RE, JB_ID_MAX);
		pc_json_err(&v, "/id", msg);
	} else if (s != NULL) {
		job->id = xstrdup(s);
	}
	if ((s = get_str(&v, j, "description", "/description")) != NULL) {
		if (strlen(s) > DESCRIPTION_MAX)
			pc_json_err(&v, "/description", "too long");
		job->description = xstrdup(s);
	}
	pc_json_kv(&v, json_get(j, "labels"), "/labels", &job->labels, &job->nlabels);
	if ((x = json_get(j, "dependencies")) != NULL && !empty(x))
		pc_json_err(&v, "/dependencies", "is not supported by this Metronome yet");
	x = get_obj(&v, j, "run", "/run");
	if (x == NULL && json_get(j, "run") == NULL)
		pc_json_err(&v, "/run", "error.path.missing");
	get_run(&v, x, job->spec);
	x = json_get(j, "schedules");
	if (x != NULL && x->type != JSON_NULL && x->type != JSON_ARRAY) {
		pc_json_type(&v, "/schedules", "jsarray");
	} else if (x != NULL && x->type == JSON_ARRAY && x->n > SCHEDULES_MAX) {
		pc_json_err(&v, "/schedules", "Only one schedule supported at the moment");
	} else if (x != NULL && x->type == JSON_ARRAY && x->n == 1) {
		job->sched = schedule_parse(jb, x->items[0], "/schedules(0)", NULL, &v);
	}
out:
	if (v.n == 0)
		return job;
	*status = pc_json_errs_write(&v, details);
	job_free(job);
	return NULL;
}

/* ---- out ---- */

void
job_write_time(struct json_w *w, const char *key, double t)
{
	char ts[PC_TIME_MAX];

	json_key(w, key);
	if (t > 0) {
		pc_rest_time(t, JB_TIME_ZONE, ts, sizeof(ts));
		json_str(w, ts);
	} else {
		json_null(w);
	}
}

void
job_write_schedule(struct json_w *w, const struct jb_schedule *s)
{
	json_obj_begin(w);
	json_kstr(w, "id", s->id);
	json_kstr(w, "cron", s->cron_text);
	json_kstr(w, "timezone", s->tz_name);
	json_kint(w, "startingDeadlineSeconds", s->deadline_s);
	json_kstr(w, "concurrencyPolicy", sched_policy_name(s->policy));
	json_kbool(w, "enabled", s->enabled);
	job_write_time(w, "nextRunAt", s->next_at);
	json_obj_end(w);
}

void
job_write_spec(struct json_w *w, const struct jb_spec *r)
{
	json_obj_begin(w);
	pc_json_knum(w, "cpus", r->cpus);
	pc_json_knum(w, "mem", r->mem);
	pc_json_knum(w, "disk", r->disk);
	json_kint(w, "gpus", 0);
	if (r->cmd != NULL)
		json_kstr(w, "cmd", r->cmd);
	if (r->nargs > 0) {
		json_key(w, "args");
		json_arr_begin(w);
		for (size_t i = 0; i < r->nargs; i++)
			json_str(w, r->args[i]);
		json_arr_end(w);
	}
	if (r->user != NULL)
		json_kstr(w, "user", r->user);
	pc_json_kv_write(w, "env", r->env, r->nenv);
	json_key(w, "placement");
	json_obj_begin(w);
	json_key(w, "constraints");
	json_arr_begin(w);
	for (size_t i = 0; i < r->nconstraints; i++) {
		json_obj_begin(w);
		json_kstr(w, "attribute", r->constraints[i].field);
		json_kstr(w, "operator", pc_place_op_name(r->constraints[i].op));
		if (r->constraints[i].value != NULL)
			json_kstr(w, "value", r->constraints[i].value);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_obj_end(w);
	json_key(w, "artifacts");
	json_arr_begin(w);
	for (size_t i = 0; i < r->nartifacts; i++) {
		json_obj_begin(w);
		json_kstr(w, "uri", r->artifacts[i].uri);
		json_kbool(w, "extract", r->artifacts[i].extract);
		json_kbool(w, "executable", r->artifacts[i].executable);
		json_kbool(w, "cache", r->artifacts[i].cache);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_kint(w, "maxLaunchDelay", r->max_launch_delay_s);
	json_key(w, "volumes");
	json_arr_begin(w);
	json_arr_end(w);
	json_key(w, "restart");
	json_obj_begin(w);
	json_kstr(w, "policy", r->on_failure ? "ON_FAILURE" : "NEVER");
	if (r->active_deadline_s >= 0)
		json_kint(w, "activeDeadlineSeconds", r->active_deadline_s);
	json_obj_end(w);
	if (r->kill_grace_s >= 0)
		json_kint(w, "taskKillGracePeriodSeconds", r->kill_grace_s);
	json_key(w, "secrets");
	json_obj_begin(w);
	json_obj_end(w);
	json_key(w, "networks");
	json_arr_begin(w);
	json_arr_end(w);
	json_kint(w, "completions", r->completions);
	json_kint(w, "parallelism", r->parallelism);
	json_obj_end(w);
}

void
job_write_fields(struct json_w *w, const struct jb_job *job)
{
	json_kstr(w, "id", job->id);
	if (job->description != NULL)
		json_kstr(w, "description", job->description);
	json_key(w, "dependencies");
	json_arr_begin(w);
	json_arr_end(w);
	pc_json_kv_write(w, "labels", job->labels, job->nlabels);
	json_key(w, "run");
	job_write_spec(w, job->spec);
	json_key(w, "schedules");
	json_arr_begin(w);
	if (job->sched != NULL)
		job_write_schedule(w, job->sched);
	json_arr_end(w);
}
