/*
 * jevents.c: GET /v1/events, the jobs' event stream, as Marathon's
 * /v2/events serves its own (Server-Sent Events, plugins/common/pc_sse.c):
 * event_stream_attached, Metronome's job_created, job_updated,
 * job_deleted, job_run_started, job_run_updated, job_run_finished and
 * job_run_failed, and beyond it job_run_skipped (a scheduled time that
 * started no run) and status_update_event (a task of a run changed).
 */
#include <stdio.h>

#include "jb.h"
#include "buf.h"
#include "json.h"

static void
begin(const struct jb *jb, struct json_w *w, struct buf *b, const char *type)
{
	char now[PC_TIME_MAX];

	pc_rest_time(jobs_now(jb), JB_TIME_ZONE, now, sizeof(now));
	pc_sse_begin(w, b, type, now);
}

void
jevents_subscribe(struct jb *jb, struct http_exchange *x)
{
	char now[PC_TIME_MAX];

	if (jb->events == NULL)
		jb->events = pc_sse_new();
	pc_rest_time(jobs_now(jb), JB_TIME_ZONE, now, sizeof(now));
	pc_sse_subscribe(jb->events, x, now);
}

void
jevents_free(struct jb *jb)
{
	pc_sse_free(jb->events);
	jb->events = NULL;
}

void
jevents_job(struct jb *jb, const struct jb_job *job, const char *type)
{
	struct json_w w;
	struct buf b;

	if (!pc_sse_listening(jb->events))
		return;
	begin(jb, &w, &b, type);
	json_key(&w, "job");
	json_obj_begin(&w);
	job_write_fields(&w, job);
	json_obj_end(&w);
	pc_sse_post(jb->events, &w, &b, type);
}

void
jevents_run(struct jb *jb, const struct jb_run *r, const char *type)
{
	struct json_w w;
	struct buf b;

	if (!pc_sse_listening(jb->events))
		return;
	begin(jb, &w, &b, type);
	json_key(&w, "jobRun");
	run_write(&w, r, 0);
	pc_sse_post(jb->events, &w, &b, type);
}

void
jevents_skipped(struct jb *jb, const struct jb_job *job, double scheduled_at, const char *why)
{
	struct json_w w;
	struct buf b;

	if (!pc_sse_listening(jb->events))
		return;
	begin(jb, &w, &b, "job_run_skipped");
	json_kstr(&w, "jobId", job->id);
	job_write_time(&w, "scheduledAt", scheduled_at);
	json_kstr(&w, "message", why);
	pc_sse_post(jb->events, &w, &b, "job_run_skipped");
}

void
jevents_status(struct jb *jb, const struct framework_status *st, const struct jb_task *t)
{
	struct json_w w;
	struct buf b;

	if (!pc_sse_listening(jb->events))
		return;
	begin(jb, &w, &b, "status_update_event");
	json_kstr(&w, "slaveId", st->agent_id);
	json_kstr(&w, "taskId", st->task_id);
	json_kstr(&w, "taskStatus", st->state);
	json_kstr(&w, "message", st->message);
	json_kstr(&w, "jobId", t->run->job->id);
	json_kstr(&w, "runId", t->run->id);
	json_kint(&w, "index", t->index);
	json_kstr(&w, "host", t->host);
	pc_sse_post(jb->events, &w, &b, "status_update_event");
}
