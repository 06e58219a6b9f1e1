/*
 * tests/test_jobs_launch.c: how the jobs plugin (plugins/jobs/launch.c)
 * shares one offer among runs waiting, through a driver that records what
 * is launched and declined. The run with the fewest live tasks (the oldest
 * on a tie) takes first and keeps the offer for as many tasks as fit, so
 * the tasks that share an agent come from one run and end together; the
 * next offer goes first to the run that is now neediest; what the first
 * run cannot use (its last tasks, or a resource it lacks) goes on to the
 * next run in the same offer.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plugins/jobs/jb.h"
#include "buf.h"
#include "json.h"
#include "map.h"

#define ERR 512
#define LAUNCHED_MAX 64

/* What the driver was asked for by the latest offer. */
static struct {
	char job[LAUNCHED_MAX][JB_ID_MAX];  /* each launched task's job, in launch order */
	size_t n;
	int declined;
	uint64_t timers;
} seen;

static int
fake_launch(struct framework_driver *d, const char *offer_id, const struct framework_task *tasks,
            size_t ntasks, double refuse_seconds)
{
	(void)d;
	(void)offer_id;
	(void)refuse_seconds;
	for (size_t i = 0; i < ntasks && seen.n < LAUNCHED_MAX; i++) {
		/* A task id is JOB_RUN.INDEX-HEX. */
		size_t len = strcspn(tasks[i].task_id, "_");

		snprintf(seen.job[seen.n++], JB_ID_MAX, "%.*s", (int)len, tasks[i].task_id);
	}
	return 0;
}

static int
fake_decline(struct framework_driver *d, const char *offer_id, double refuse_seconds)
{
	(void)d;
	(void)offer_id;
	(void)refuse_seconds;
	seen.declined++;
	return 0;
}

static void
fake_log(struct framework_driver *d, enum framework_log_level level, const char *fmt, ...)
{
	(void)d;
	(void)level;
	(void)fmt;
}

static uint64_t
fake_timer_add(struct framework_driver *d, int64_t after_ms, framework_timer_fn fn, void *arg)
{
	(void)d;
	(void)after_ms;
	(void)fn;
	(void)arg;
	return ++seen.timers;
}

static void
fake_timer_cancel(struct framework_driver *d, uint64_t id)
{
	(void)d;
	(void)id;
}

static const char *
fake_last_error(struct framework_driver *d)
{
	(void)d;
	return "";
}

/* A job of completions tasks of cpus and mem each, and one run of it created at created_at. */
static struct jb_run *
add_run(struct jb *jb, const char *id, int completions, double cpus, double mem,
        double created_at)
{
	char text[ERR], err[ERR];
	struct json *j;
	struct buf out;
	struct json_w details;
	struct jb_job *job;
	struct jb_run *r;
	int status = 0;

	snprintf(text, sizeof(text), "{\"id\":\"%s\",\"run\":{\"cmd\":\"true\",\"cpus\":%g,"
	         "\"mem\":%g,\"disk\":0,\"completions\":%d}}", id, cpus, mem, completions);
	j = json_parse(text, strlen(text), err, sizeof(err));
	buf_init(&out, 0);
	json_w_init(&details, &out);
	job = j != NULL ? job_from_json(jb, j, NULL, &details, &status) : NULL;
	json_free(j);
	if (job == NULL) {
		fprintf(stderr, "job %s refused: %s\n", id, out.data != NULL ? out.data : err);
		buf_free(&out);
		exit(1);
	}
	buf_free(&out);
	map_put(&jb->jobs, job->id, job);
	r = run_start(jb, job, 0, -1);
	r->created_at = created_at;
	return r;
}

/* One offer of res on host h: what it launched is in seen. */
static void
offer(struct jb *jb, const char *res)
{
	struct framework_offer of = { "o1", "agent-1", "h1", res, "" };

	memset(seen.job, 0, sizeof(seen.job));
	seen.n = 0;
	seen.declined = 0;
	launch_offers(jb, &of, 1);
}

static size_t
launched_of(const char *job)
{
	size_t n = 0;

	for (size_t i = 0; i < seen.n; i++)
		n += strcmp(seen.job[i], job) == 0;
	return n;
}

static void
free_jobs(struct jb *jb)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &v);) {
		struct jb_job *job = v;

		while (job->runs != NULL) {
			struct jb_run *r = job->runs;

			job->runs = r->next;
			run_free(jb, r);
		}
		job_free(job);
	}
	map_free(&jb->jobs);
	map_init(&jb->jobs);
}

int
main(void)
{
	struct framework_driver d;
	struct jb jb;
	struct jb_run *a, *b;

	memset(&d, 0, sizeof(d));
	d.launch = fake_launch;
	d.decline = fake_decline;
	d.log = fake_log;
	d.timer_add = fake_timer_add;
	d.timer_cancel = fake_timer_cancel;
	d.last_error = fake_last_error;
	memset(&jb, 0, sizeof(jb));
	jb.d = &d;
	jb.suppressed = -1;
	map_init(&jb.jobs);
	map_init(&jb.tasks);
	map_init(&jb.zones);
	d.data = &jb;

	/* Two runs of 1-cpu tasks, none live: the older takes the whole offer. */
	a = add_run(&jb, "a", 4, 1, 32, 100);
	b = add_run(&jb, "b", 4, 1, 32, 200);
	offer(&jb, "cpus:2;mem:64;disk:0");
	CHECK(seen.n == 2);
	CHECK(launched_of("a") == 2);
	CHECK(a->nlive == 2 && b->nlive == 0);
	/* The next offer goes first to the run with fewer live tasks. */
	offer(&jb, "cpus:2;mem:64;disk:0");
	CHECK(launched_of("b") == 2);
	CHECK(a->nlive == 2 && b->nlive == 2);
	/* An offer larger than the neediest run's work: the rest goes to the next run. */
	offer(&jb, "cpus:3;mem:96;disk:0");
	CHECK(seen.n == 3);
	CHECK(strcmp(seen.job[0], "a") == 0 && strcmp(seen.job[1], "a") == 0);
	CHECK(launched_of("b") == 1);
	CHECK(run_launchable(a) == 0 && run_launchable(b) == 1);
	/* Nothing left that fits: declined. */
	offer(&jb, "cpus:0.5;mem:64;disk:0");
	CHECK(seen.n == 0 && seen.declined == 1);
	free_jobs(&jb);

	/* A run the offer cannot serve (too much memory) does not hold it from the next. */
	a = add_run(&jb, "big", 2, 1, 4096, 100);
	b = add_run(&jb, "small", 2, 1, 32, 200);
	offer(&jb, "cpus:2;mem:1024;disk:0");
	CHECK(launched_of("big") == 0 && launched_of("small") == 2);
	CHECK(run_launchable(a) == 2);
	free_jobs(&jb);

	map_free(&jb.tasks);
	map_free(&jb.zones);
	return CHECK_DONE();
}
