/*
 * bench/sharing_replay.c: one replay of the trace on a running cluster.
 * Jobs are defined before the start; then, on time, apps are created and
 * scaled through Marathon's API (PUT ?force=true: a scale overrides the
 * deployment still running) and each job's run is started through its
 * role's jobs plugin. Under sharing the replay also sets the role weights
 * and keeps the services' quota at what their apps will want within
 * quota_lead seconds (as an operator's autoscaler provisions ahead of a
 * day's load): the allocator then holds that much back from batch while
 * the services are below it, and batch tasks (shorter than the lead) have
 * left it by the time the services scale up.
 *
 * Every SAMPLE_PERIOD_MS, half a period after the events' whole seconds,
 * it samples the master (/metrics/snapshot: the cluster's totals;
 * /master/state: each framework's used and offered resources, summed by
 * role) and Marathon (/v2/apps: each app's running tasks against what
 * the trace wants then). After the trace it waits for every run to end,
 * then reads each job's run from the plugins' history. Written to
 * OUTDIR/MODE.samples, one record a line:
 *   T AT CPUS MEM                           the cluster's totals
 *   R AT ROLE USED_CPUS USED_MEM OFFERED_CPUS OFFERED_MEM
 *   S AT WANTED RUNNING SHORT               services (SHORT: instances missing)
 *   A AT IDLE_CPUS IDLE_MEM STRANDED_CPUS STRANDED_MEM
 *                                           what no task uses, summed over the
 *                                           agents, and the part of it on agents
 *                                           where not even the trace's smallest
 *                                           batch task fits (fragments; by shape
 *                                           alone, whoever the agent is reserved to)
 *   Q SHORT_S SHORT_INSTANCE_S              the services' time below their wanted
 *                                           count during the trace, as polled every
 *                                           SERVICES_PERIOD_MS (kept for comparison:
 *                                           a poll mostly catches each scale-up
 *                                           before its tasks report running)
 *   U AT APP INSTANCES                      an app scaled: AT when the replay asked
 *                                           Marathon (wall clock, seconds from the start)
 *   I APP STAGED_AT RUNNING_AT END_AT       a service task that ran: when the master
 *                                           launched it, its TASK_RUNNING and terminal
 *                                           statuses' timestamps (the agent's clock;
 *                                           END_AT -1: still running), read
 *                                           once the trace is over, before the
 *                                           master's completed tasks could drop any
 *   X ROLE AGENT STAGED RUNNING END         a task that ended (every role), from the
 *                                           master's completed tasks at each sample,
 *                                           and after the runs those still running
 *                                           (END -1): when the master launched it,
 *                                           and its running and terminal statuses
 *                                           (the agent's clock; -1: none). A slot's
 *                                           turnover is the gap from one task's END
 *                                           to the next STAGED on its agent.
 *   J ROLE JOB TASKS CREATED FINISHED OK    each job's run, seconds from the start
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sharing.h"
#include "buf.h"
#include "compat.h"
#include "http_client.h"
#include "json.h"
#include "map.h"
#include "xmem.h"

#define SAMPLE_PERIOD_MS   1000
#define SAMPLE_PHASE_MS    500        /* after the events' whole seconds: a launch's latency */
#define QUOTA_PERIOD_MS    250        /* how often the forecast quota is looked at */
#define SERVICES_PERIOD_MS 100        /* how often Marathon's running tasks are counted */
#define HTTP_TIMEOUT_MS    10000
#define BODY_MAX_BYTES     (64 * 1024 * 1024)
#define SLEEP_MAX_MS       50
#define ERR_MAX            512
#define NS_PER_MS          1000000L
#define MS_PER_S           1000.0
#define APP_TASK_SECONDS   1000000    /* a service's task sleeps "for ever" */

struct endpoint {
	char host[HTTP_CLIENT_HOST_MAX];
	int port;
};

struct replay {
	const struct sh_trace *t;
	int sharing;
	struct endpoint master;
	struct endpoint api[SH_ROLES_MAX];
	int64_t t0_ms;                  /* monotonic start */
	double t0_wall;
	FILE *out;
	struct buf body;
	double quota_cpus, quota_mem;   /* the last one set */
	int wanted, running, short_by;  /* the services at the last count */
	double short_s, short_inst_s;
	int created[SH_APPS_MAX];
	int spans_read;                 /* the I records written */
	struct map ended;               /* task ids with an X record written */
};

static int
endpoint_parse(struct endpoint *e, const char *s)
{
	const char *colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(e->host))
		return -1;
	memcpy(e->host, s, (size_t)(colon - s));
	e->host[colon - s] = '\0';
	e->port = atoi(colon + 1);
	return e->port > 0 ? 0 : -1;
}

/* One request; the reply's body in r->body. Its status, or -1 (said on stderr). */
static int
call(struct replay *r, const struct endpoint *e, const char *method, const char *target,
     const char *json)
{
	struct http_client_response resp;
	char err[ERR_MAX];

	buf_reset(&r->body);
	memset(&resp, 0, sizeof(resp));
	resp.body = &r->body;
	if (http_client_request(e->host, e->port, method, target, json ? "application/json" : NULL,
	                        json, json ? strlen(json) : 0, HTTP_TIMEOUT_MS, &resp, err,
	                        sizeof(err)) == -1) {
		fprintf(stderr, "sharing: %s %s: %s\n", method, target, err);
		return -1;
	}
	buf_putc(&r->body, '\0');
	return resp.status;
}

static int
ok(int status)
{
	return status >= 200 && status < 300;
}

static struct json *
get_json(struct replay *r, const struct endpoint *e, const char *target)
{
	char err[ERR_MAX];
	struct json *j;

	if (!ok(call(r, e, "GET", target, NULL)))
		return NULL;
	if ((j = json_parse(r->body.data, r->body.len - 1, err, sizeof(err))) == NULL)
		fprintf(stderr, "sharing: GET %s: %s\n", target, err);
	return j;
}

static double
num(const struct json *j, const char *path)
{
	const struct json *v = json_path(j, path);

	return v != NULL && v->type == JSON_NUMBER ? v->number : 0;
}

static double
now_s(const struct replay *r)
{
	return (double)(compat_monotonic_ms() - r->t0_ms) / MS_PER_S;
}

/* ------------------------------------------------------------ events */

static int
app_event(struct replay *r, const struct sh_event *e)
{
	const struct sh_app *a = &r->t->apps[e->app];
	const struct endpoint *m = &r->api[r->t->services];
	char json[SH_LINE_MAX], target[SH_LINE_MAX];
	int st;

	/* Before the call: the time owed is counted from when it was asked for. */
	fprintf(r->out, "U %.3f %s %d\n", compat_wall_time() - r->t0_wall, a->id, e->instances);
	if (!r->created[e->app]) {
		snprintf(json, sizeof(json), "{\"id\":\"/%s\",\"cmd\":\"sleep %d\",\"cpus\":%g,"
		         "\"mem\":%g,\"disk\":0,\"instances\":%d,\"portDefinitions\":[]}", a->id,
		         APP_TASK_SECONDS, a->cpus, a->mem, e->instances);
		st = call(r, m, "POST", "/v2/apps", json);
		r->created[e->app] = ok(st);
	} else {
		snprintf(json, sizeof(json), "{\"instances\":%d}", e->instances);
		snprintf(target, sizeof(target), "/v2/apps/%s?force=true", a->id);
		st = call(r, m, "PUT", target, json);
	}
	if (!ok(st)) {
		fprintf(stderr, "sharing: app %s to %d instances: HTTP %d %s\n", a->id, e->instances,
		        st, r->body.data ? r->body.data : "");
		return -1;
	}
	return 0;
}

static int
job_define(struct replay *r, const struct sh_event *e)
{
	char json[SH_LINE_MAX];
	int st;

	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"run\":{\"cmd\":\"sleep %g\",\"cpus\":%g,"
	         "\"mem\":%g,\"disk\":0,\"completions\":%d,\"parallelism\":%d}}", e->job,
	         e->seconds, e->cpus, e->mem, e->tasks, e->tasks);
	if (!ok(st = call(r, &r->api[e->role], "POST", "/v1/jobs", json))) {
		fprintf(stderr, "sharing: job %s: HTTP %d %s\n", e->job, st, r->body.data);
		return -1;
	}
	return 0;
}

static int
job_start(struct replay *r, const struct sh_event *e)
{
	char target[SH_LINE_MAX];
	int st;

	snprintf(target, sizeof(target), "/v1/jobs/%s/runs", e->job);
	if (!ok(st = call(r, &r->api[e->role], "POST", target, NULL))) {
		fprintf(stderr, "sharing: run of %s: HTTP %d %s\n", e->job, st, r->body.data);
		return -1;
	}
	return 0;
}

/* What the services will want within the lead: each app's most, summed. */
static void
forecast(const struct replay *r, double at, double *cpus, double *mem)
{
	const struct sh_trace *t = r->t;

	*cpus = *mem = 0;
	for (int a = 0; a < t->napps; a++) {
		int most = sh_trace_wanted(t, a, at);

		for (size_t i = 0; i < t->nevents; i++) {
			const struct sh_event *e = &t->events[i];

			if (!e->is_job && e->app == a && e->at > at && e->at <= at + t->quota_lead &&
			    e->instances > most)
				most = e->instances;
		}
		*cpus += most * t->apps[a].cpus;
		*mem += most * t->apps[a].mem;
	}
}

static int
quota_follow(struct replay *r, double at)
{
	char json[SH_LINE_MAX];
	double cpus, mem;
	int st;

	forecast(r, at, &cpus, &mem);
	if (cpus == r->quota_cpus && mem == r->quota_mem)
		return 0;
	snprintf(json, sizeof(json), "{\"role\":\"%s\",\"guarantee\":{\"cpus\":%g,\"mem\":%g}}",
	         r->t->roles[r->t->services].name, cpus, mem);
	if (!ok(st = call(r, &r->master, "POST", "/quota", json))) {
		fprintf(stderr, "sharing: quota: HTTP %d %s\n", st, r->body.data);
		return -1;
	}
	r->quota_cpus = cpus;
	r->quota_mem = mem;
	return 0;
}

static int
weights_set(struct replay *r)
{
	struct buf b;
	int st;

	buf_init(&b, SH_LINE_MAX * SH_ROLES_MAX);
	buf_putc(&b, '[');
	for (int i = 0; i < r->t->nroles; i++)
		buf_printf(&b, "%s{\"role\":\"%s\",\"weight\":%g}", i ? "," : "", r->t->roles[i].name,
		           r->t->roles[i].weight);
	buf_puts(&b, "]");
	buf_putc(&b, '\0');
	st = call(r, &r->master, "PUT", "/weights", b.data);
	buf_free(&b);
	if (!ok(st)) {
		fprintf(stderr, "sharing: weights: HTTP %d %s\n", st, r->body.data);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ samples */

static int
state_is_live(const char *state)
{
	return strcmp(state, "TASK_STAGING") == 0 || strcmp(state, "TASK_STARTING") == 0 ||
	       strcmp(state, "TASK_RUNNING") == 0 || strcmp(state, "TASK_KILLING") == 0;
}

/* The timestamp of the task's first status in state, or -1. */
static double
status_at(const struct json *task, const char *state)
{
	const struct json *sts = json_get(task, "statuses");

	for (size_t i = 0; sts != NULL && i < sts->n; i++) {
		const char *st = json_get_str(sts->items[i], "state");

		if (st != NULL && strcmp(st, state) == 0)
			return num(sts->items[i], "timestamp");
	}
	return -1;
}

static double
since_start(const struct replay *r, double ts)
{
	return ts < 0 ? -1 : ts - r->t0_wall;
}

/* An X record for each task in the framework's list (completed_tasks, tasks) not yet written. */
static void
tasks_record(struct replay *r, const char *role, const struct json *fw, const char *list)
{
	const struct json *done = json_get(fw, list);

	for (size_t i = 0; done != NULL && i < done->n; i++) {
		const struct json *task = done->items[i];
		const char *id = json_get_str(task, "id"), *agent = json_get_str(task, "slave_id");
		const char *state = json_get_str(task, "state");

		if (id == NULL || agent == NULL || state == NULL || map_get(&r->ended, id) != NULL)
			continue;
		map_put(&r->ended, id, r);
		fprintf(r->out, "X %s %s %.3f %.3f %.3f\n", role, agent,
		        since_start(r, status_at(task, "TASK_STAGING")),
		        since_start(r, status_at(task, "TASK_RUNNING")),
		        state_is_live(state) ? -1 : since_start(r, status_at(task, state)));
	}
}

/* Each app's running tasks against what the trace wants at time at. */
static int
services_count(struct replay *r, double at)
{
	const struct sh_trace *t = r->t;
	const struct json *apps;
	struct json *j;

	if ((j = get_json(r, &r->api[t->services], "/v2/apps")) == NULL)
		return -1;
	apps = json_get(j, "apps");
	r->wanted = r->running = r->short_by = 0;
	for (int a = 0; a < t->napps; a++) {
		int want = sh_trace_wanted(t, a, at), run = 0;

		for (size_t i = 0; apps != NULL && i < apps->n; i++) {
			const char *id = json_get_str(apps->items[i], "id");

			if (id != NULL && id[0] == '/' && strcmp(id + 1, t->apps[a].id) == 0)
				run = (int)num(apps->items[i], "tasksRunning");
		}
		r->wanted += want;
		r->running += run;
		if (run < want)
			r->short_by += want - run;
	}
	json_free(j);
	return 0;
}

/*
 * The A record: each agent's total less what its tasks use, the part of it
 * where not even the smallest batch task fits, the part where the largest
 * does not, and of that the cpus on agents short of its memory only (cpus
 * enough, memory not: held idle by memory, not by a lone cpu).
 */
static void
agents_idle(struct replay *r, double at, const struct json *agents)
{
	double min_cpus = 0, min_mem = 0, idle_c = 0, idle_m = 0, frag_c = 0, frag_m = 0;
	double max_cpus = 0, max_mem = 0, small_c = 0, small_m = 0, mem_short_c = 0;

	for (size_t e = 0; e < r->t->nevents; e++) {
		const struct sh_event *ev = &r->t->events[e];

		if (ev->is_job && (min_cpus == 0 || ev->cpus < min_cpus))
			min_cpus = ev->cpus;
		if (ev->is_job && (min_mem == 0 || ev->mem < min_mem))
			min_mem = ev->mem;
		if (ev->is_job && ev->cpus > max_cpus)
			max_cpus = ev->cpus;
		if (ev->is_job && ev->mem > max_mem)
			max_mem = ev->mem;
	}
	for (size_t i = 0; agents != NULL && i < agents->n; i++) {
		const struct json *ag = agents->items[i];
		double c = num(ag, "resources.cpus") - num(ag, "used_resources.cpus");
		double m = num(ag, "resources.mem") - num(ag, "used_resources.mem");

		idle_c += c;
		idle_m += m;
		if (c < min_cpus || m < min_mem) {
			frag_c += c;
			frag_m += m;
		}
		if (c < max_cpus || m < max_mem) {
			small_c += c;
			small_m += m;
			if (c >= max_cpus)
				mem_short_c += c;
		}
	}
	fprintf(r->out, "A %.2f %g %g %g %g %g %g %g\n", at, idle_c, idle_m, frag_c, frag_m, small_c,
	        small_m, mem_short_c);
}

static int
sample(struct replay *r, double at)
{
	const struct sh_trace *t = r->t;
	double used_c[SH_ROLES_MAX] = { 0 }, used_m[SH_ROLES_MAX] = { 0 };
	double off_c[SH_ROLES_MAX] = { 0 }, off_m[SH_ROLES_MAX] = { 0 };
	const struct json *fws;
	struct json *j;

	if ((j = get_json(r, &r->master, "/metrics/snapshot")) == NULL)
		return -1;
	fprintf(r->out, "T %.2f %g %g\n", at, num(j, "master/cpus_total"), num(j, "master/mem_total"));
	json_free(j);
	if ((j = get_json(r, &r->master, "/master/state")) == NULL)
		return -1;
	fws = json_get(j, "frameworks");
	for (size_t i = 0; fws != NULL && i < fws->n; i++) {
		const struct json *fw = fws->items[i];
		const char *role = json_get_str(fw, "role");

		for (int k = 0; role != NULL && k < t->nroles; k++)
			if (strcmp(role, t->roles[k].name) == 0) {
				used_c[k] += num(fw, "used_resources.cpus");
				used_m[k] += num(fw, "used_resources.mem");
				off_c[k] += num(fw, "offered_resources.cpus");
				off_m[k] += num(fw, "offered_resources.mem");
				tasks_record(r, role, fw, "completed_tasks");
			}
	}
	agents_idle(r, at, json_get(j, "slaves"));
	json_free(j);
	for (int k = 0; k < t->nroles; k++)
		fprintf(r->out, "R %.2f %s %g %g %g %g\n", at, t->roles[k].name, used_c[k], used_m[k],
		        off_c[k], off_m[k]);
	if (services_count(r, at) == -1)
		return -1;
	fprintf(r->out, "S %.2f %d %d %d\n", at, r->wanted, r->running, r->short_by);
	fflush(r->out);
	return 0;
}

/* The app whose task id this is (Marathon's "APP.instance-UUID._app"), or -1. */
static int
task_app(const struct sh_trace *t, const char *task_id)
{
	const char *dot = strstr(task_id, ".instance-");

	for (int a = 0; dot != NULL && a < t->napps; a++)
		if (strlen(t->apps[a].id) == (size_t)(dot - task_id) &&
		    strncmp(task_id, t->apps[a].id, (size_t)(dot - task_id)) == 0)
			return a;
	return -1;
}

/* One I record for a service task that reached TASK_RUNNING; 1 if written. */
static int
task_span(struct replay *r, const struct json *task)
{
	const struct json *sts = json_get(task, "statuses");
	const char *id = json_get_str(task, "id");
	double running = -1, end = -1;
	int a;

	if (id == NULL || sts == NULL || (a = task_app(r->t, id)) < 0)
		return 0;
	for (size_t i = 0; i < sts->n; i++) {
		const char *state = json_get_str(sts->items[i], "state");
		double ts = num(sts->items[i], "timestamp");

		if (state == NULL)
			continue;
		if (strcmp(state, "TASK_RUNNING") == 0 && running < 0)
			running = ts;
		else if (!state_is_live(state) && end < 0)
			end = ts;
	}
	if (running < 0)
		return 0;
	fprintf(r->out, "I %s %.3f %.3f %.3f\n", r->t->apps[a].id,
	        since_start(r, status_at(task, "TASK_STAGING")), running - r->t0_wall,
	        end < 0 ? -1 : end - r->t0_wall);
	return 1;
}

/*
 * The services' tasks from the master's state, live and completed: when
 * each ran and ended, by the agent's own status timestamps.
 */
static int
services_spans(struct replay *r)
{
	static const char *const lists[] = { "tasks", "completed_tasks" };
	const char *role = r->t->roles[r->t->services].name;
	const struct json *fws;
	struct json *j;
	int n = 0;

	if ((j = get_json(r, &r->master, "/master/state")) == NULL)
		return -1;
	fws = json_get(j, "frameworks");
	for (size_t i = 0; fws != NULL && i < fws->n; i++) {
		const char *fw_role = json_get_str(fws->items[i], "role");

		if (fw_role == NULL || strcmp(fw_role, role) != 0)
			continue;
		for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
			const struct json *ts = json_get(fws->items[i], lists[l]);

			for (size_t k = 0; ts != NULL && k < ts->n; k++)
				n += task_span(r, ts->items[k]);
		}
	}
	json_free(j);
	fflush(r->out);
	return n > 0 ? 0 : -1;
}

/* X records for the tasks still running at the end (the services'), with END -1. */
static int
tasks_live(struct replay *r)
{
	const struct json *fws;
	struct json *j;

	if ((j = get_json(r, &r->master, "/master/state")) == NULL)
		return -1;
	fws = json_get(j, "frameworks");
	for (size_t i = 0; fws != NULL && i < fws->n; i++) {
		const char *role = json_get_str(fws->items[i], "role");

		if (role != NULL && sh_trace_role(r->t, role) >= 0) {
			tasks_record(r, role, fws->items[i], "completed_tasks");
			tasks_record(r, role, fws->items[i], "tasks");
		}
	}
	json_free(j);
	return 0;
}

/* Runs ended (succeeded or failed) so far, all jobs roles. */
static long long
runs_ended(struct replay *r)
{
	static const char *const keys[] = { "metronome.runs.succeeded.counter",
		"metronome.runs.failed.counter" };
	long long n = 0;

	for (int k = 0; k < r->t->nroles; k++) {
		struct json *j;

		if (k == r->t->services)
			continue;
		if ((j = get_json(r, &r->api[k], "/v1/metrics")) == NULL)
			return -1;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			const struct json *c = json_get(json_get(j, "counters"), keys[i]);

			n += (long long)num(c, "count");
		}
		json_free(j);
	}
	return n;
}

/* Metronome's "2016-07-15T13:02:59.735+0000" as seconds since the epoch (UTC), or -1. */
static double
epoch(const char *s)
{
	int y, mo, d, h, mi;
	double sec;
	long long era, yoe, doy, days;

	if (s == NULL || sscanf(s, "%d-%d-%dT%d:%d:%lf", &y, &mo, &d, &h, &mi, &sec) != 6)
		return -1;
	/* Days from the civil date (proleptic Gregorian, eras of 400 years). */
	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
	return (double)days * 86400 + h * 3600 + mi * 60 + sec;
}

static int
collect(struct replay *r)
{
	const struct sh_trace *t = r->t;
	int found = 0;

	for (int k = 0; k < t->nroles; k++) {
		struct json *j;

		if (k == t->services)
			continue;
		if ((j = get_json(r, &r->api[k], "/v1/jobs?embed=history")) == NULL)
			return -1;
		for (size_t i = 0; i < j->n; i++) {
			const struct json *job = j->items[i], *h = json_get(job, "history");
			const struct json *okr = json_get(h, "successfulFinishedRuns");
			const struct json *bad = json_get(h, "failedFinishedRuns");
			int good = okr != NULL && okr->n > 0;
			const struct json *run = good ? okr->items[0] :
			                         bad != NULL && bad->n ? bad->items[0] : NULL;
			const char *id = json_get_str(job, "id");
			int tasks = 0;

			if (run == NULL || id == NULL)
				continue;
			for (size_t e = 0; e < t->nevents; e++)
				if (t->events[e].is_job && strcmp(t->events[e].job, id) == 0)
					tasks = t->events[e].tasks;
			fprintf(r->out, "J %s %s %d %.3f %.3f %d\n", t->roles[k].name, id, tasks,
			        epoch(json_get_str(run, "createdAt")) - r->t0_wall,
			        epoch(json_get_str(run, "finishedAt")) - r->t0_wall, good);
			found++;
		}
		json_free(j);
	}
	if (found != t->njobs) {
		fprintf(stderr, "sharing: %d of %d jobs have a finished run\n", found, t->njobs);
		return -1;
	}
	return 0;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * NS_PER_MS;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
replay_run(struct replay *r, double drain_max_s)
{
	const struct sh_trace *t = r->t;
	double next_sample = SAMPLE_PHASE_MS / MS_PER_S, next_quota = 0, next_count = 0, at;
	size_t i = 0;

	for (size_t e = 0; e < t->nevents; e++)
		if (t->events[e].is_job && job_define(r, &t->events[e]) == -1)
			return -1;
	if (r->sharing && weights_set(r) == -1)
		return -1;
	r->t0_ms = compat_monotonic_ms();
	r->t0_wall = compat_wall_time();
	fprintf(stderr, "sharing: replaying %zu events over %g s\n", t->nevents, t->duration);
	for (;;) {
		at = now_s(r);
		if (r->sharing && at >= next_quota) {
			if (quota_follow(r, at) == -1)
				return -1;
			next_quota += QUOTA_PERIOD_MS / MS_PER_S;
		}
		for (; i < t->nevents && t->events[i].at <= at; i++)
			if ((t->events[i].is_job ? job_start(r, &t->events[i]) :
			     app_event(r, &t->events[i])) == -1)
				return -1;
		if (at >= next_count && at < t->duration) {
			if (services_count(r, at) == -1)
				return -1;
			if (r->short_by > 0) {
				r->short_s += SERVICES_PERIOD_MS / MS_PER_S;
				r->short_inst_s += r->short_by * SERVICES_PERIOD_MS / MS_PER_S;
			}
			next_count += SERVICES_PERIOD_MS / MS_PER_S;
		}
		if (!r->spans_read && at >= t->duration) {
			if (services_spans(r) == -1) {
				fprintf(stderr, "sharing: no service task ran\n");
				return -1;
			}
			r->spans_read = 1;
		}
		if (at >= next_sample) {
			if (sample(r, next_sample) == -1)
				return -1;
			next_sample += SAMPLE_PERIOD_MS / MS_PER_S;
			if (i == t->nevents && at >= t->duration) {
				long long ended = runs_ended(r);

				if (ended >= t->njobs)
					break;
				if (at > t->duration + drain_max_s) {
					fprintf(stderr, "sharing: %lld of %d runs ended %g s after the "
					        "trace\n", ended, t->njobs, drain_max_s);
					return -1;
				}
			}
		}
		at = now_s(r);
		sleep_ms((int64_t)((next_sample - at) * MS_PER_S) < SLEEP_MAX_MS ?
		         (int64_t)((next_sample - at) * MS_PER_S) : SLEEP_MAX_MS);
	}
	fprintf(stderr, "sharing: every run ended at %.1f s\n", now_s(r));
	if (tasks_live(r) == -1)
		return -1;
	fprintf(r->out, "Q %.2f %.2f\n", r->short_s, r->short_inst_s);
	return collect(r);
}

int
sh_replay(const struct sh_trace *t, const char *mode, const char *master, char *const *apis,
          const char *outdir, double drain_max_s)
{
	struct replay r;
	char path[SH_LINE_MAX];
	int rc;

	memset(&r, 0, sizeof(r));
	r.t = t;
	r.sharing = strcmp(mode, "sharing") == 0;
	if (endpoint_parse(&r.master, master) == -1) {
		fprintf(stderr, "sharing: bad master address '%s'\n", master);
		return -1;
	}
	for (int k = 0; k < t->nroles; k++)
		if (endpoint_parse(&r.api[k], apis[k]) == -1) {
			fprintf(stderr, "sharing: bad address '%s' for role %s\n", apis[k],
			        t->roles[k].name);
			return -1;
		}
	snprintf(path, sizeof(path), "%s/%s.samples", outdir, mode);
	if ((r.out = fopen(path, "w")) == NULL) {
		fprintf(stderr, "sharing: cannot write %s\n", path);
		return -1;
	}
	buf_init(&r.body, BODY_MAX_BYTES);
	map_init(&r.ended);
	rc = replay_run(&r, drain_max_s);
	map_free(&r.ended);
	buf_free(&r.body);
	if (fclose(r.out) != 0)
		rc = -1;
	return rc;
}
