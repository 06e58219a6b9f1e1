/*
 * jrest.c: Metronome's REST API (its routes file and jobs.raml): jobs
 * (/v1/jobs with ?embed=activeRuns|schedules|history|historySummary),
 * their runs (start now, list, one, actions/stop) and schedules, with
 * Metronome's JSON and error bodies (404 {"id", "message": "Job not
 * found"}, 409 "Job with this id already exists", 422 "Object is not
 * valid" with details); /v1/queue, /v1/metrics, /v1/events (beyond
 * Metronome), /info, /leader and /ping. Every change is on disk before it
 * is answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jb.h"
#include "buf.h"
#include "http.h"
#include "json.h"
#include "xmem.h"

#define METRONOME_VERSION "0.6.0-c"     /* the API level copied, and that this is a re-implementation */
#define SEGMENTS_MAX 6                  /* ID/runs/RUN/actions/stop */
#define PATH_MAX_BYTES 512
#define QUERY_VALUE_MAX 64
#define EMBED_ACTIVE_RUNS 0x1
#define EMBED_SCHEDULES 0x2
#define EMBED_HISTORY 0x4
#define EMBED_HISTORY_SUMMARY 0x8

static void
reply_message(struct http_exchange *x, int status, const char *key, const char *value,
              const char *msg)
{
	struct json_w w;
	struct buf b;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	if (key != NULL)
		json_kstr(&w, key, value);
	json_kstr(&w, "message", msg);
	json_obj_end(&w);
	pc_rest_reply(x, status, &b);
}

static void
job_not_found(struct http_exchange *x, const char *id)
{
	reply_message(x, 404, "id", id, "Job not found");
}

static void
not_allowed(struct http_exchange *x)
{
	http_reply_error(x, 405, "method not allowed");
}

/* ?embed=... (repeatable) as EMBED_* bits; -1 after a 400 for an unknown one. */
static int
embeds(struct http_exchange *x)
{
	static const char *const names[] = { "activeRuns", "schedules", "history", "historySummary",
		NULL };
	const char *q = http_query(x);
	char value[QUERY_VALUE_MAX], msg[JB_ERR_MAX];
	int bits = 0;

	while (*q != '\0') {
		size_t n = strcspn(q, "&");

		if (n > strlen("embed=") && strncmp(q, "embed=", strlen("embed=")) == 0) {
			size_t vlen = n - strlen("embed="), i;

			if (vlen >= sizeof(value) ||
			    http_url_decode(value, q + strlen("embed="), vlen, 1) == -1)
				snprintf(value, sizeof(value), "?");
			for (i = 0; names[i] != NULL && strcmp(names[i], value) != 0; i++)
				;
			if (names[i] == NULL) {
				snprintf(msg, sizeof(msg), "Unknown embed '%s': expected activeRuns, schedules, "
				         "history or historySummary", value);
				http_reply_error(x, 400, msg);
				return -1;
			}
			bits |= 1 << i;
		}
		q += n + (q[n] == '&');
	}
	return bits;
}

/* Metronome's JobInfo: the job, and what ?embed= asks for. */
static void
write_info(struct json_w *w, const struct jb_job *job, int embed)
{
	json_obj_begin(w);
	job_write_fields(w, job);
	if (embed & EMBED_ACTIVE_RUNS) {
		json_key(w, "activeRuns");
		json_arr_begin(w);
		for (const struct jb_run *r = job->runs; r != NULL; r = r->next)
			run_write(w, r, 1);
		json_arr_end(w);
	}
	if (embed & EMBED_HISTORY) {
		json_key(w, "history");
		run_write_history(w, &job->hist, 1);
	}
	if (embed & EMBED_HISTORY_SUMMARY) {
		json_key(w, "historySummary");
		run_write_history(w, &job->hist, 0);
	}
	json_obj_end(w);
}

static void
reply_spec(struct http_exchange *x, int status, const struct jb_job *job)
{
	struct json_w w;
	struct buf b;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	job_write_fields(&w, job);
	json_obj_end(&w);
	pc_rest_reply(x, status, &b);
}

static void
jobs_list(struct http_exchange *x, struct jb *jb)
{
	int embed = embeds(x);
	struct json_w w;
	struct buf b;
	const char *k;
	void *v;

	if (embed == -1)
		return;
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_arr_begin(&w);
	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &v);)
		write_info(&w, v, embed);
	json_arr_end(&w);
	pc_rest_reply(x, 200, &b);
}

/* The body as a job (id forced when not NULL); NULL after the error reply. */
static struct jb_job *
body_job(struct http_exchange *x, struct jb *jb, const char *id)
{
	struct json *j = pc_rest_body(x);
	struct jb_job *job;
	struct json_w w;
	struct buf b;
	int status = 422;

	if (j == NULL)
		return NULL;
	buf_init(&b, 0);
	json_w_init(&w, &b);
	job = job_from_json(jb, j, id, &w, &status);
	json_free(j);
	if (job == NULL)
		pc_rest_reply(x, status, &b);
	else
		buf_free(&b);
	return job;
}

static void
jobs_create(struct http_exchange *x, struct jb *jb)
{
	struct jb_job *job = body_job(x, jb, NULL);

	if (job == NULL)
		return;
	if (map_get(&jb->jobs, job->id) != NULL || map_len(&jb->jobs) >= JB_JOBS_MAX) {
		reply_message(x, 409, NULL, NULL, map_get(&jb->jobs, job->id) != NULL ?
		              "Job with this id already exists" : "too many jobs");
		job_free(job);
		return;
	}
	map_put(&jb->jobs, job->id, job);
	if (job->sched != NULL) {
		job->sched->last_fired = jobs_now(jb);
		sched_arm(jb, job);
	}
	jobs_save(jb, job);
	jb->d->log(jb->d, FRAMEWORK_LOG_INFO, "job %s created", job->id);
	jevents_job(jb, job, "job_created");
	reply_spec(x, 201, job);
}

/* PUT: the definition replaced in place (its schedule, runs and history stay, as Metronome's). */
static void
job_update(struct http_exchange *x, struct jb *jb, struct jb_job *job)
{
	struct jb_job *fresh = body_job(x, jb, job->id);
	struct jb_spec *spec;
	struct pc_kv *labels;
	size_t nlabels;
	char *desc;

	if (fresh == NULL)
		return;
	/* Swap: what ran keeps its spec (runs hold it); fresh takes the old fields to free. */
	spec = job->spec;
	job->spec = fresh->spec;
	fresh->spec = spec;
	desc = job->description;
	job->description = fresh->description;
	fresh->description = desc;
	labels = job->labels;
	nlabels = job->nlabels;
	job->labels = fresh->labels;
	job->nlabels = fresh->nlabels;
	fresh->labels = labels;
	fresh->nlabels = nlabels;
	job_free(fresh);
	jobs_save(jb, job);
	jb->d->log(jb->d, FRAMEWORK_LOG_INFO, "job %s updated", job->id);
	jevents_job(jb, job, "job_updated");
	launch_wanted(jb);
	reply_spec(x, 200, job);
}

static void
job_delete(struct http_exchange *x, struct jb *jb, struct jb_job *job)
{
	char err[JB_ERR_MAX];
	struct json_w w;
	struct buf b;

	if (job->runs != NULL && !pc_rest_flag(x, "stopCurrentJobRuns")) {
		reply_message(x, 409, NULL, NULL, "There are active job runs. Override with "
		              "stopCurrentJobRuns=true");
		return;
	}
	sched_disarm(jb, job);
	if (job->sched != NULL)
		job->sched->pending_at = 0;     /* no run may start from it any more */
	while (job->runs != NULL)
		run_fail(jb, job->runs, "its job was deleted", NULL);
	map_del(&jb->jobs, job->id);
	if (jstore_remove(jb, job->id, err, sizeof(err)) == -1)
		jb->d->log(jb->d, FRAMEWORK_LOG_ERROR, "cannot remove job %s: %s", job->id, err);
	jb->d->log(jb->d, FRAMEWORK_LOG_INFO, "job %s deleted", job->id);
	jevents_job(jb, job, "job_deleted");
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	job_write_fields(&w, job);
	json_obj_end(&w);
	job_free(job);
	pc_rest_reply(x, 200, &b);
}

static void
runs_route(struct http_exchange *x, struct jb *jb, struct jb_job *job, char **seg, size_t n,
           const char *method)
{
	struct jb_run *r = NULL;
	struct json_w w;
	struct buf b;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	if (n == 2 && strcmp(method, "GET") == 0) {
		json_arr_begin(&w);
		for (r = job->runs; r != NULL; r = r->next)
			run_write(&w, r, 1);
		json_arr_end(&w);
		pc_rest_reply(x, 200, &b);
		return;
	}
	if (n == 2 && strcmp(method, "POST") == 0) {
		buf_free(&b);
		if (job->nruns >= JB_RUNS_MAX) {
			reply_message(x, 409, NULL, NULL, "the job has too many active runs");
			return;
		}
		r = run_start(jb, job, 0, -1);
		buf_init(&b, 0);
		json_w_init(&w, &b);
		run_write(&w, r, 1);
		pc_rest_reply(x, 201, &b);
		return;
	}
	if (n >= 3)
		for (r = job->runs; r != NULL && strcmp(r->id, seg[2]) != 0; r = r->next)
			;
	if (n >= 3 && r == NULL) {
		/* Metronome's UnknownJobRun. */
		json_obj_begin(&w);
		json_kstr(&w, "jobSpec", job->id);
		json_kstr(&w, "id", seg[2]);
		json_kstr(&w, "message", "Job Run not found");
		json_obj_end(&w);
		pc_rest_reply(x, 404, &b);
		return;
	}
	if (n == 3 && strcmp(method, "GET") == 0) {
		run_write(&w, r, 1);
		pc_rest_reply(x, 200, &b);
	} else if (n == 5 && strcmp(seg[3], "actions") == 0 && strcmp(seg[4], "stop") == 0 &&
	           strcmp(method, "POST") == 0) {
		run_fail(jb, r, "stopped by POST .../actions/stop", &b);
		pc_rest_reply(x, 200, &b);
	} else {
		buf_free(&b);
		if (n == 3 || (n == 5 && strcmp(seg[3], "actions") == 0 && strcmp(seg[4], "stop") == 0))
			not_allowed(x);
		else
			http_reply_error(x, 404, "Unknown route.");
	}
}

static void
reply_schedule(struct http_exchange *x, int status, const struct jb_schedule *s)
{
	struct json_w w;
	struct buf b;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	job_write_schedule(&w, s);
	pc_rest_reply(x, status, &b);
}

/* The body as a schedule (id forced when not NULL); NULL after the error reply. */
static struct jb_schedule *
body_schedule(struct http_exchange *x, struct jb *jb, const char *id)
{
	struct json *j = pc_rest_body(x);
	struct jb_schedule *s;
	struct json_w w;
	struct buf b;
	int status = 422;

	if (j == NULL)
		return NULL;
	buf_init(&b, 0);
	json_w_init(&w, &b);
	s = job_schedule_from_json(jb, j, id, &w, &status);
	json_free(j);
	if (s == NULL)
		pc_rest_reply(x, status, &b);
	else
		buf_free(&b);
	return s;
}

/* A new or changed schedule takes effect now: nothing before now was missed. */
static void
install_schedule(struct jb *jb, struct jb_job *job, struct jb_schedule *s)
{
	sched_disarm(jb, job);
	job_schedule_free(job->sched);
	job->sched = s;
	if (s != NULL) {
		s->last_fired = jobs_now(jb);
		sched_arm(jb, job);
	}
	jobs_save(jb, job);
	jevents_job(jb, job, "job_updated");
}

static void
schedules_route(struct http_exchange *x, struct jb *jb, struct jb_job *job, char **seg, size_t n,
                const char *method)
{
	struct jb_schedule *s;
	char msg[JB_ERR_MAX];

	if (n == 2 && strcmp(method, "GET") == 0) {
		struct json_w w;
		struct buf b;

		buf_init(&b, 0);
		json_w_init(&w, &b);
		json_arr_begin(&w);
		if (job->sched != NULL)
			job_write_schedule(&w, job->sched);
		json_arr_end(&w);
		pc_rest_reply(x, 200, &b);
	} else if (n == 2 && strcmp(method, "POST") == 0) {
		if ((s = body_schedule(x, jb, NULL)) == NULL)
			return;
		if (job->sched != NULL) {
			if (strcmp(job->sched->id, s->id) == 0)
				snprintf(msg, sizeof(msg), "A schedule with id %s already exists", s->id);
			else
				snprintf(msg, sizeof(msg), "Only one schedule supported at the moment");
			job_schedule_free(s);
			reply_message(x, 409, NULL, NULL, msg);
			return;
		}
		install_schedule(jb, job, s);
		reply_schedule(x, 201, s);
	} else if (n == 3 && (job->sched == NULL || strcmp(job->sched->id, seg[2]) != 0)) {
		if (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0 &&
		    strcmp(method, "DELETE") != 0)
			not_allowed(x);
		else
			reply_message(x, 404, "id", seg[2], "Schedule not found");
	} else if (n == 3 && strcmp(method, "GET") == 0) {
		reply_schedule(x, 200, job->sched);
	} else if (n == 3 && strcmp(method, "PUT") == 0) {
		if ((s = body_schedule(x, jb, seg[2])) == NULL)
			return;
		install_schedule(jb, job, s);
		reply_schedule(x, 200, s);
	} else if (n == 3 && strcmp(method, "DELETE") == 0) {
		install_schedule(jb, job, NULL);
		http_reply(x, 200, "application/json", "", 0);
	} else if (n <= 3) {
		not_allowed(x);
	} else {
		http_reply_error(x, 404, "Unknown route.");
	}
}

/* /v1/jobs/ID[/runs[/RUN[/actions/stop]]|/schedules[/SCHEDULE]] */
static void
job_route(struct http_exchange *x, struct jb *jb, const char *rest, const char *method)
{
	char path[PATH_MAX_BYTES], *seg[SEGMENTS_MAX], *save = NULL, *p;
	size_t n = 0;
	struct jb_job *job;

	if (strlen(rest) >= sizeof(path)) {
		http_reply_error(x, 404, "Unknown route.");
		return;
	}
	snprintf(path, sizeof(path), "%s", rest);
	for (p = strtok_r(path, "/", &save); p != NULL; p = strtok_r(NULL, "/", &save)) {
		if (n == SEGMENTS_MAX) {
			http_reply_error(x, 404, "Unknown route.");
			return;
		}
		seg[n++] = p;
	}
	if (n == 0) {
		http_reply_error(x, 404, "Unknown route.");
		return;
	}
	if ((job = map_get(&jb->jobs, seg[0])) == NULL) {
		job_not_found(x, seg[0]);
		return;
	}
	if (n == 1) {
		int embed;

		if (strcmp(method, "GET") == 0) {
			struct json_w w;
			struct buf b;

			if ((embed = embeds(x)) == -1)
				return;
			buf_init(&b, 0);
			json_w_init(&w, &b);
			write_info(&w, job, embed);
			pc_rest_reply(x, 200, &b);
		} else if (strcmp(method, "PUT") == 0) {
			job_update(x, jb, job);
		} else if (strcmp(method, "DELETE") == 0) {
			job_delete(x, jb, job);
		} else {
			not_allowed(x);
		}
	} else if (strcmp(seg[1], "runs") == 0) {
		runs_route(x, jb, job, seg, n, method);
	} else if (strcmp(seg[1], "schedules") == 0) {
		schedules_route(x, jb, job, seg, n, method);
	} else {
		http_reply_error(x, 404, "Unknown route.");
	}
}

/* GET /v1/queue: Metronome's [{"jobId", "runs": [{"runId"}]}] for runs with tasks to place. */
static void
queue_list(struct http_exchange *x, struct jb *jb)
{
	struct json_w w;
	struct buf b;
	const char *k;
	void *v;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_arr_begin(&w);
	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &v);) {
		const struct jb_job *job = v;
		int any = 0;

		for (const struct jb_run *r = job->runs; r != NULL; r = r->next) {
			if (r->spec->completions - r->ndone - r->nlive <= 0)
				continue;
			if (!any) {
				json_obj_begin(&w);
				json_kstr(&w, "jobId", job->id);
				json_key(&w, "runs");
				json_arr_begin(&w);
				any = 1;
			}
			json_obj_begin(&w);
			json_kstr(&w, "runId", r->id);
			json_obj_end(&w);
		}
		if (any) {
			json_arr_end(&w);
			json_obj_end(&w);
		}
	}
	json_arr_end(&w);
	pc_rest_reply(x, 200, &b);
}

static void
info(struct http_exchange *x, struct jb *jb)
{
	const char *fw = jb->d->framework_id(jb->d);
	struct json_w w;
	struct buf b;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "version", METRONOME_VERSION);
	json_kstr(&w, "libVersion", "mesos-lite");
	json_key(&w, "config");
	json_obj_begin(&w);
	json_kint(&w, "http_port", jb->addr.port);
	json_kstr(&w, "role", jb->role);
	json_key(&w, "state_dir");
	if (jb->state_dir != NULL)
		json_str(&w, jb->state_dir);
	else
		json_null(&w);
	json_kint(&w, "history_count", jb->history_max);
	json_key(&w, "framework_id");
	if (fw != NULL)
		json_str(&w, fw);
	else
		json_null(&w);
	json_obj_end(&w);
	json_obj_end(&w);
	pc_rest_reply(x, 200, &b);
}

/* GET /v1/metrics: Dropwizard's JSON shape, as Metronome's. */
static void
metrics(struct http_exchange *x, struct jb *jb)
{
	const struct jb_metrics *c = &jb->metrics;
	const struct pc_metric counters[] = {
		{ "metronome.http.requests.counter", c->http_requests },
		{ "metronome.runs.started.counter", c->runs_started },
		{ "metronome.runs.succeeded.counter", c->runs_succeeded },
		{ "metronome.runs.failed.counter", c->runs_failed },
		{ "metronome.runs.skipped.counter", c->runs_skipped },
		{ "metronome.tasks.launched.counter", c->tasks_launched },
		{ "metronome.tasks.failed.counter", c->tasks_failed },
	};
	long long runs = 0;
	struct json_w w;
	struct buf b;
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &v);)
		runs += (long long)((struct jb_job *)v)->nruns;
	const struct pc_metric gauges[] = {
		{ "metronome.jobs.gauge", (long long)map_len(&jb->jobs) },
		{ "metronome.runs.active.gauge", runs },
		{ "metronome.tasks.live.gauge", (long long)map_len(&jb->tasks) },
	};
	buf_init(&b, 0);
	json_w_init(&w, &b);
	pc_json_metrics(&w, gauges, sizeof(gauges) / sizeof(gauges[0]), counters,
	                sizeof(counters) / sizeof(counters[0]));
	pc_rest_reply(x, 200, &b);
}

void
jrest_handle(struct http_exchange *x, void *arg)
{
	struct jb *jb = arg;
	const char *p = http_path(x), *method = http_method(x);
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	jb->metrics.http_requests++;
	if (get)
		method = "GET";
	if (strcmp(p, "/ping") == 0 && get) {
		http_reply(x, 200, "text/plain", "pong\n", strlen("pong\n"));
	} else if (strcmp(p, "/info") == 0 && get) {
		info(x, jb);
	} else if (strcmp(p, "/leader") == 0 && get) {
		struct json_w w;
		struct buf b;

		buf_init(&b, 0);
		json_w_init(&w, &b);
		json_obj_begin(&w);
		json_kstr(&w, "leader", jb->addr.leader);
		json_obj_end(&w);
		pc_rest_reply(x, 200, &b);
	} else if (strcmp(p, "/v1/metrics") == 0 && get) {
		metrics(x, jb);
	} else if (strcmp(p, "/v1/queue") == 0 && get) {
		queue_list(x, jb);
	} else if (strcmp(p, "/v1/events") == 0 && get) {
		jevents_subscribe(jb, x);
	} else if (strcmp(p, "/v1/jobs") == 0 || strcmp(p, "/v1/jobs/") == 0) {
		if (get)
			jobs_list(x, jb);
		else if (strcmp(method, "POST") == 0)
			jobs_create(x, jb);
		else
			not_allowed(x);
	} else if (strncmp(p, "/v1/jobs/", strlen("/v1/jobs/")) == 0) {
		job_route(x, jb, p + strlen("/v1/jobs/"), method);
	} else {
		struct json_w w;
		struct buf b;

		buf_init(&b, 0);
		json_w_init(&w, &b);
		json_obj_begin(&w);
		json_kstr(&w, "message", "Unknown route.");
		json_kstr(&w, "requestPath", p);
		json_obj_end(&w);
		pc_rest_reply(x, 404, &b);
	}
}
