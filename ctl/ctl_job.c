/*
 * ctl_job.c: mesosctl's `job` commands (add, list, show, run, runs, stop,
 * rm, schedule) over the jobs plugin's REST API (Metronome's, served by
 * plugins/jobs/jrest.c), not the master. `run --wait` follows the run to
 * its end (exit 0 on SUCCESS). `show` says why a run waits: offers that
 * were too small or failed its constraints, the run at its parallelism,
 * or no offers at all, when it asks the master how its role's share
 * stands against the others' (an allocator gives freed resources to the
 * role furthest below its share first).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"
#include "flags.h"
#include "http.h"
#include "http_client.h"
#include "json.h"
#include "xmem.h"

#define JOB_DEFAULT_ADDR    "127.0.0.1:9000"   /* the plugin's default http_port, Metronome's */
#define JOB_DEFAULT_PORT    9000
#define JOB_REPLY_MAX       (16u << 20)        /* bytes of a reply (jobs with their runs) */
#define JOB_WAIT_DEFAULT_MS (3600 * 1000)      /* run --wait gives up after this by default */
#define JOB_POLL_MS         250                /* between two looks at a run */
#define JOB_PATH_MAX        1024
#define JOB_SCHEDULE_ID     "default"          /* the schedule `job schedule` makes */
#define JOB_SHARES          3                  /* cpus, mem, disk */
#define PERCENT             100.0

/* One `mesosctl job` call: what its subcommands share. */
struct job_call {
	const struct ctl *ctl;
	struct ctl_rest api;
	char **pos;                  /* the subcommand's name, then its arguments */
	int npos;
	int wait, force, remove;
	int64_t wait_ms;
	char *tz, *policy;
	int64_t deadline_ms;
	struct buf path, raw, json;
	struct json *j;              /* a GET's reply, parsed */
};

static double
number(const struct json *v)
{
	return v != NULL && v->type == JSON_NUMBER ? v->number : 0;
}

static long long
integer(const struct json *v)
{
	long long n = 0;

	json_as_int(v, &n);
	return n;
}

/* "/v1/jobs/" + the id, encoded, then suffix. */
static void
job_path(struct buf *out, const char *id, const char *suffix)
{
	buf_reset(out);
	buf_puts(out, "/v1/jobs/");
	http_url_encode(out, id);
	buf_puts(out, suffix);
}

/* A change: the request, its error said, or what done says; the exit code. */
static int
change(struct job_call *c, const char *method, const struct buf *json, const char *done)
{
	char what[JOB_PATH_MAX + 16];
	int status = ctl_rest_request(&c->api, method, c->path.data, json, &c->raw);

	snprintf(what, sizeof(what), "%s %s", method, c->path.data);
	if (status == -1)
		return EXIT_FAILURE;
	if (status / 100 != 2) {
		ctl_rest_say_error(what, status, &c->raw);
		return EXIT_FAILURE;
	}
	if (c->ctl->json)
		ctl_rest_print_raw(&c->raw);
	else
		printf("%s: %s\n", c->pos[1], done);
	return EXIT_SUCCESS;
}

/* --- add, list, rm ---------------------------------------------------------- */

static int
job_add(struct job_call *c)
{
	char err[CTL_ERR_MAX];
	struct json *j;
	int status;

	if (ctl_rest_read_file(&c->api, c->pos[1], &c->json) != 0)
		return EXIT_FAILURE;
	status = ctl_rest_request(&c->api, "POST", "/v1/jobs", &c->json, &c->raw);
	if (status == -1)
		return EXIT_FAILURE;
	if (status != 201) {
		ctl_rest_say_error("POST /v1/jobs", status, &c->raw);
		return EXIT_FAILURE;
	}
	if (c->ctl->json) {
		ctl_rest_print_raw(&c->raw);
		return EXIT_SUCCESS;
	}
	j = ctl_rest_parse(&c->raw, err, sizeof(err));
	ctl_rest_cell(j != NULL ? json_get_str(j, "id") : NULL, 0);
	printf(": created\n");
	json_free(j);
	return EXIT_SUCCESS;
}

static int
job_list(struct job_call *c)
{
	if (ctl_rest_get(&c->api, "/v1/jobs?embed=activeRuns&embed=historySummary", &c->j,
	                 &c->raw) != 0)
		return EXIT_FAILURE;
	if (c->ctl->json) {
		ctl_rest_print_raw(&c->raw);
		return EXIT_SUCCESS;
	}
	printf("%-32s %-20s %-6s %-8s %-8s %-8s %s\n", "ID", "SCHEDULE", "ACTIVE", "SUCCESS", "FAILED",
	       "SKIPPED", "CMD");
	for (size_t i = 0; c->j->type == JSON_ARRAY && i < c->j->n; i++) {
		const struct json *job = c->j->items[i], *s = json_get(job, "schedules");
		const struct json *h = json_get(job, "historySummary"), *runs = json_get(job, "activeRuns");
		char n[4][32];

		snprintf(n[0], sizeof(n[0]), "%zu", runs != NULL && runs->type == JSON_ARRAY ? runs->n :
		         (size_t)0);
		snprintf(n[1], sizeof(n[1]), "%lld", integer(json_get(h, "successCount")));
		snprintf(n[2], sizeof(n[2]), "%lld", integer(json_get(h, "failureCount")));
		snprintf(n[3], sizeof(n[3]), "%lld", integer(json_get(h, "skippedCount")));
		ctl_rest_cell(json_get_str(job, "id"), 32);
		ctl_rest_cell(s != NULL && s->type == JSON_ARRAY && s->n > 0 ?
		              json_get_str(s->items[0], "cron") : NULL, 20);
		for (int k = 0; k < 4; k++)
			ctl_rest_cell(n[k], k == 0 ? 6 : 8);
		ctl_rest_cell(json_get_str(json_get(job, "run"), "cmd"), 0);
		putchar('\n');
	}
	return EXIT_SUCCESS;
}

static int
job_rm(struct job_call *c)
{
	job_path(&c->path, c->pos[1], c->force ? "?stopCurrentJobRuns=true" : "");
	return change(c, "DELETE", NULL, "removed");
}

/* --- show: the job, and why its runs wait ------------------------------------ */

/* A role's weighted dominant share of the cluster (DRF), from /master/roles and the totals. */
static double
role_share(const struct json *role, const double *total)
{
	static const char *const names[JOB_SHARES] = { "cpus", "mem", "disk" };
	const struct json *a = json_get(role, "allocated");
	double w = number(json_get(role, "weight")), share = 0;

	for (int i = 0; i < JOB_SHARES; i++)
		if (total[i] > 0 && number(json_get(a, names[i])) / total[i] > share)
			share = number(json_get(a, names[i])) / total[i];
	return w > 0 ? share / w : share;
}

/* No offer reached the run: how the plugin's role stands, from the master. */
static void
print_role(const struct job_call *c, const char *role)
{
	static const char *const totals[JOB_SHARES] = { "master/cpus_total", "master/mem_total",
		"master/disk_total" };
	struct ctl_rest master;
	struct json *roles = NULL, *metrics = NULL;
	struct buf raw;
	double total[JOB_SHARES], mine = -1, least = -1;
	const struct json *list;
	const char *least_name = NULL;

	memset(&master, 0, sizeof(master));
	snprintf(master.host, sizeof(master.host), "%s", c->ctl->host);
	master.port = c->ctl->port;
	snprintf(master.addr, sizeof(master.addr), "%s", c->ctl->addr);
	master.timeout_ms = c->ctl->timeout_ms;
	master.what = "the master";
	buf_init(&raw, JOB_REPLY_MAX);
	if (ctl_rest_get(&master, "/metrics/snapshot", &metrics, &raw) != 0 ||
	    ctl_rest_get(&master, "/master/roles", &roles, &raw) != 0) {
		printf("            (role %s's share unknown: the master did not answer)\n", role);
		goto out;
	}
	for (int i = 0; i < JOB_SHARES; i++)
		total[i] = number(json_get(metrics, totals[i]));
	list = json_get(roles, "roles");
	for (size_t i = 0; list != NULL && list->type == JSON_ARRAY && i < list->n; i++) {
		const struct json *r = list->items[i], *fws = json_get(r, "frameworks");
		const char *name = json_get_str(r, "name");
		double share = role_share(r, total);

		if (name == NULL)
			continue;
		if (strcmp(name, role) == 0) {
			mine = share;
			printf("            role %s (weight %g): %.0f%% of the cluster (weighted)\n", name,
			       number(json_get(r, "weight")), share * PERCENT);
		} else if (fws != NULL && fws->type == JSON_ARRAY && fws->n > 0 &&
		           (least < 0 || share < least)) {
			least = share;
			least_name = name;
		}
	}
	if (mine >= 0 && least_name != NULL && mine > least)
		printf("            role %s is above role %s's share (%.0f%%): freed resources go to "
		       "%s first\n", role, least_name, least * PERCENT, least_name);
	else if (mine >= 0)
		printf("            role %s is not above the others' shares: the cluster is full or "
		       "offers are filtered\n", role);
out:
	json_free(roles);
	json_free(metrics);
	buf_free(&raw);
}

static void
print_waiting(const struct job_call *c, const struct json *run, const char *role)
{
	const struct json *w = json_get(run, "waiting"), *s = json_get(w, "processedOffersSummary");
	const struct json *r = json_get(s, "rejectSummaryLastOffers");
	long long tasks = integer(json_get(w, "tasks")), launchable = integer(json_get(w, "launchable"));
	int any = 0;

	if (w == NULL)
		return;
	printf("  waiting:  %lld task(s) since %s\n", tasks,
	       json_get_str(w, "since") != NULL ? json_get_str(w, "since") : "?");
	if (launchable == 0) {
		printf("            at its parallelism: the next starts when a running one ends\n");
		return;
	}
	for (size_t k = 0; r != NULL && r->type == JSON_ARRAY && k < r->n; k++) {
		long long declined = integer(json_get(r->items[k], "declined"));
		const char *reason = json_get_str(r->items[k], "reason");

		if (declined <= 0 || reason == NULL)
			continue;
		printf("  refused:  %s in %lld of %lld offers (%s)\n", reason, declined,
		       integer(json_get(r->items[k], "processed")),
		       strcmp(reason, "UnfulfilledConstraint") == 0 ? "its placement constraints" :
		       "no offer big enough");
		any = 1;
	}
	if (!any) {
		printf("  offers:   none %s\n", integer(json_get(s, "processedOffersCount")) == 0 ?
		       "seen since it waits" : "refused, none used lately");
		print_role(c, role);
	}
}

static void
print_job(const struct json *job)
{
	const struct json *run = json_get(job, "run"), *s = json_get(job, "schedules");
	const struct json *h = json_get(job, "historySummary");

	printf("id:         ");
	ctl_rest_cell(json_get_str(job, "id"), 0);
	if (json_get_str(job, "description") != NULL) {
		printf("\ndescribed:  ");
		ctl_print_clean(stdout, json_get_str(job, "description"));
	}
	printf("\ncmd:        ");
	ctl_print_clean(stdout, json_get_str(run, "cmd") != NULL ? json_get_str(run, "cmd") :
	                "(args)");
	printf("\nresources:  cpus %g, mem %g, disk %g; %lld task(s) a run, %lld at once\n",
	       number(json_get(run, "cpus")), number(json_get(run, "mem")),
	       number(json_get(run, "disk")), integer(json_get(run, "completions")),
	       integer(json_get(run, "parallelism")));
	printf("restart:    %s\n", json_get_str(json_get(run, "restart"), "policy") != NULL ?
	       json_get_str(json_get(run, "restart"), "policy") : "?");
	for (size_t i = 0; s != NULL && s->type == JSON_ARRAY && i < s->n; i++) {
		const struct json *e = s->items[i];

		printf("schedule:   ");
		ctl_rest_cell(json_get_str(e, "cron"), 0);
		printf(" (%s), %s, startingDeadlineSeconds %lld, %s, next ",
		       json_get_str(e, "timezone") ? json_get_str(e, "timezone") : "?",
		       json_get_str(e, "concurrencyPolicy") ? json_get_str(e, "concurrencyPolicy") : "?",
		       integer(json_get(e, "startingDeadlineSeconds")),
		       json_get(e, "enabled") != NULL && json_get(e, "enabled")->boolean ? "enabled" :
		       "disabled");
		ctl_rest_cell(json_get_str(e, "nextRunAt"), 0);
		putchar('\n');
	}
	printf("history:    %lld succeeded, %lld failed, %lld skipped\n",
	       integer(json_get(h, "successCount")), integer(json_get(h, "failureCount")),
	       integer(json_get(h, "skippedCount")));
}

static int
job_show(struct job_call *c)
{
	struct json *info = NULL;
	struct buf raw;
	const struct json *runs;
	char role[CTL_HOST_MAX] = "*";

	job_path(&c->path, c->pos[1], "?embed=activeRuns&embed=historySummary");
	if (ctl_rest_get(&c->api, c->path.data, &c->j, &c->raw) != 0)
		return EXIT_FAILURE;
	if (c->ctl->json) {
		ctl_rest_print_raw(&c->raw);
		return EXIT_SUCCESS;
	}
	print_job(c->j);
	buf_init(&raw, JOB_REPLY_MAX);
	if (ctl_rest_get(&c->api, "/info", &info, &raw) == 0 &&
	    json_get_str(json_get(info, "config"), "role") != NULL)
		snprintf(role, sizeof(role), "%s", json_get_str(json_get(info, "config"), "role"));
	json_free(info);
	buf_free(&raw);
	runs = json_get(c->j, "activeRuns");
	for (size_t i = 0; runs != NULL && runs->type == JSON_ARRAY && i < runs->n; i++) {
		const struct json *r = runs->items[i];

		printf("run:        ");
		ctl_rest_cell(json_get_str(r, "id"), 0);
		printf(" %s, %lld of %lld succeeded, %lld active, since %s\n",
		       json_get_str(r, "status") ? json_get_str(r, "status") : "?",
		       integer(json_get(r, "succeeded")), integer(json_get(r, "completions")),
		       integer(json_get(r, "active")),
		       json_get_str(r, "createdAt") ? json_get_str(r, "createdAt") : "?");
		print_waiting(c, r, role);
	}
	return EXIT_SUCCESS;
}

/* --- run, runs, stop ---------------------------------------------------------- */

/* The finished run id in the job's history: 1 succeeded, 0 failed, -1 not there. */
static int
finished(const struct json *job, const char *run)
{
	static const char *const lists[] = { "failedFinishedRuns", "successfulFinishedRuns" };
	const struct json *h = json_get(job, "history");

	for (int k = 0; k < 2; k++) {
		const struct json *l = json_get(h, lists[k]);

		for (size_t i = 0; l != NULL && l->type == JSON_ARRAY && i < l->n; i++)
			if (json_get_str(l->items[i], "id") != NULL &&
			    strcmp(json_get_str(l->items[i], "id"), run) == 0)
				return k;
	}
	return -1;
}

/* Follow run to its end, a line per change; 0 on SUCCESS. */
static int
wait_run(struct job_call *c, const char *run)
{
	int64_t deadline = ctl_rest_now_ms() + c->wait_ms;
	char last[CTL_ERR_MAX] = "", line[CTL_ERR_MAX], err[CTL_ERR_MAX], t[CTL_HOST_MAX];
	struct buf path;
	int rc = EXIT_FAILURE;

	buf_init(&path, 0);
	for (;;) {
		struct json *j;
		int status;

		job_path(&path, c->pos[1], "/runs/");
		http_url_encode(&path, run);
		status = ctl_rest_request(&c->api, "GET", path.data, NULL, &c->raw);
		if (status == 404) {
			/* Over: the history says how. */
			job_path(&path, c->pos[1], "?embed=history");
			if (ctl_rest_get(&c->api, path.data, &j, &c->raw) != 0)
				break;
			status = finished(j, run);
			json_free(j);
			printf("%s: run %s %s\n", c->pos[1], run, status == 1 ? "SUCCESS" :
			       status == 0 ? "FAILED" : "is gone (not in the history)");
			rc = status == 1 ? EXIT_SUCCESS : EXIT_FAILURE;
			break;
		}
		if (status != 200 || (j = ctl_rest_parse(&c->raw, err, sizeof(err))) == NULL) {
			if (status != -1)
				ctl_rest_say_error(path.data, status, &c->raw);
			break;
		}
		snprintf(line, sizeof(line), "%s: run %s %s, %lld of %lld succeeded, %lld active",
		         c->pos[1], run, json_get_str(j, "status") ? json_get_str(j, "status") : "?",
		         integer(json_get(j, "succeeded")), integer(json_get(j, "completions")),
		         integer(json_get(j, "active")));
		json_free(j);
		if (strcmp(line, last) != 0) {
			ctl_print_clean(stdout, line);
			putchar('\n');
			fflush(stdout);
			snprintf(last, sizeof(last), "%s", line);
		}
		if (ctl_rest_now_ms() >= deadline) {
			flags_format_duration(c->wait_ms, t, sizeof(t));
			ctl_say("%s: run %s still going after %s (see 'mesosctl job show %s')", c->pos[1],
			        run, t, c->pos[1]);
			break;
		}
		ctl_rest_sleep_ms(JOB_POLL_MS);
	}
	buf_free(&path);
	return rc;
}

static int
job_run(struct job_call *c)
{
	char err[CTL_ERR_MAX], run[CTL_HOST_MAX];
	struct json *j;
	int status;

	job_path(&c->path, c->pos[1], "/runs");
	status = ctl_rest_request(&c->api, "POST", c->path.data, NULL, &c->raw);
	if (status == -1)
		return EXIT_FAILURE;
	if (status != 201) {
		ctl_rest_say_error(c->path.data, status, &c->raw);
		return EXIT_FAILURE;
	}
	if ((j = ctl_rest_parse(&c->raw, err, sizeof(err))) == NULL ||
	    json_get_str(j, "id") == NULL) {
		ctl_say("POST %s: not a run: %s", c->path.data, err);
		json_free(j);
		return EXIT_FAILURE;
	}
	snprintf(run, sizeof(run), "%s", json_get_str(j, "id"));
	json_free(j);
	if (c->ctl->json && !c->wait)
		ctl_rest_print_raw(&c->raw);
	else
		printf("%s: run %s started\n", c->pos[1], run);
	return c->wait ? wait_run(c, run) : EXIT_SUCCESS;
}

static int
job_runs(struct job_call *c)
{
	job_path(&c->path, c->pos[1], "/runs");
	if (ctl_rest_get(&c->api, c->path.data, &c->j, &c->raw) != 0)
		return EXIT_FAILURE;
	if (c->ctl->json) {
		ctl_rest_print_raw(&c->raw);
		return EXIT_SUCCESS;
	}
	printf("%-22s %-9s %-30s %-9s %s\n", "RUN", "STATUS", "CREATED", "DONE", "ACTIVE");
	for (size_t i = 0; c->j->type == JSON_ARRAY && i < c->j->n; i++) {
		const struct json *r = c->j->items[i];
		char done[64], active[32];

		snprintf(done, sizeof(done), "%lld/%lld", integer(json_get(r, "succeeded")),
		         integer(json_get(r, "completions")));
		snprintf(active, sizeof(active), "%lld", integer(json_get(r, "active")));
		ctl_rest_cell(json_get_str(r, "id"), 22);
		ctl_rest_cell(json_get_str(r, "status"), 9);
		ctl_rest_cell(json_get_str(r, "createdAt"), 30);
		ctl_rest_cell(done, 9);
		ctl_rest_cell(active, 0);
		putchar('\n');
	}
	return EXIT_SUCCESS;
}

static int
job_stop(struct job_call *c)
{
	job_path(&c->path, c->pos[1], "/runs/");
	http_url_encode(&c->path, c->pos[2]);
	buf_puts(&c->path, "/actions/stop");
	return change(c, "POST", NULL, "run stopped");
}

/* --- schedule ------------------------------------------------------------------ */

static int
job_schedule(struct job_call *c)
{
	const struct json *s;
	char sid[CTL_HOST_MAX] = JOB_SCHEDULE_ID;
	struct json_w w;
	int exists;

	if (c->npos != (c->remove ? 2 : 3)) {
		ctl_say("job schedule: %s (usage: mesosctl job schedule ID CRON | --remove ID)",
		        c->remove ? "--remove takes no CRON" : "missing CRON");
		return CTL_EXIT_USAGE;
	}
	job_path(&c->path, c->pos[1], "/schedules");
	if (ctl_rest_get(&c->api, c->path.data, &c->j, &c->raw) != 0)
		return EXIT_FAILURE;
	s = c->j->type == JSON_ARRAY && c->j->n > 0 ? c->j->items[0] : NULL;
	exists = s != NULL && json_get_str(s, "id") != NULL;
	if (exists)
		snprintf(sid, sizeof(sid), "%s", json_get_str(s, "id"));
	buf_puts(&c->path, "/");
	if (c->remove) {
		if (!exists) {
			printf("%s: no schedule\n", c->pos[1]);
			return EXIT_SUCCESS;
		}
		http_url_encode(&c->path, sid);
		return change(c, "DELETE", NULL, "schedule removed");
	}
	json_w_init(&w, &c->json);
	json_obj_begin(&w);
	json_kstr(&w, "id", sid);
	json_kstr(&w, "cron", c->pos[2]);
	if (c->tz != NULL)
		json_kstr(&w, "timezone", c->tz);
	if (c->policy != NULL)
		json_kstr(&w, "concurrencyPolicy", c->policy);
	if (c->deadline_ms > 0)
		json_kint(&w, "startingDeadlineSeconds", c->deadline_ms / 1000);
	json_obj_end(&w);
	if (exists) {
		http_url_encode(&c->path, sid);
		return change(c, "PUT", &c->json, "schedule changed");
	}
	buf_reset(&c->path);
	job_path(&c->path, c->pos[1], "/schedules");
	return change(c, "POST", &c->json, "schedule added");
}

static const struct job_sub {
	const char *name;
	int npos;                    /* positional arguments, the name included */
	int (*fn)(struct job_call *c);
} job_subs[] = {
	{ "add", 2, job_add },
	{ "list", 1, job_list },
	{ "show", 2, job_show },
	{ "run", 2, job_run },
	{ "runs", 2, job_runs },
	{ "stop", 3, job_stop },
	{ "rm", 2, job_rm },
	{ "schedule", -1, job_schedule },
	{ NULL, 0, NULL },
};

static const char *const job_usage =
	"add FILE.json | list | show ID | run ID | runs ID | stop ID RUN | rm ID | schedule ID CRON";

int
ctl_job(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_args a;
	struct job_call c;
	const struct job_sub *sub;
	char *jobs = NULL, *tz = NULL, *policy = NULL;
	int wait = 0, force = 0, remove = 0, rc;
	int64_t wait_ms = JOB_WAIT_DEFAULT_MS, deadline_ms = 0;
	struct flag flags[] = {
		{ "jobs", FLAG_STRING, &jobs,
		  "HOST:PORT of the jobs plugin's REST API (default $METRONOME, else " JOB_DEFAULT_ADDR ")",
		  0 },
		{ "wait", FLAG_BOOL, &wait, "run: follow the run to its end (exit 0 on SUCCESS)", 0 },
		{ "timeout", FLAG_DURATION, &wait_ms, "how long --wait waits", 0 },
		{ "force", FLAG_BOOL, &force, "rm: stop the job's active runs too", 0 },
		{ "tz", FLAG_STRING, &tz, "schedule: its IANA time zone (default UTC)", 0 },
		{ "policy", FLAG_STRING, &policy, "schedule: ALLOW, FORBID or REPLACE", 0 },
		{ "deadline", FLAG_DURATION, &deadline_ms, "schedule: its startingDeadlineSeconds", 0 },
		{ "remove", FLAG_BOOL, &remove, "schedule: remove the job's schedule", 0 },
	};
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);

	memset(&c, 0, sizeof(c));
	rc = ctl_parse_args(&a, ctl, flags, nflags, 0, argc, argv, 1, 3);
	if (rc != -1)
		goto out;
	rc = CTL_EXIT_USAGE;
	if (ctl_rest_init(&c.api, ctl, jobs, "METRONOME", JOB_DEFAULT_ADDR, JOB_DEFAULT_PORT,
	                  "the jobs plugin") == -1)
		goto out;
	if (wait_ms <= 0) {
		ctl_say("job: --timeout must be positive");
		goto out;
	}
	for (sub = job_subs; sub->name != NULL && strcmp(sub->name, a.pos[0]) != 0; sub++)
		continue;
	if (sub->name == NULL) {
		ctl_say("job: unknown subcommand '%s' (usage: mesosctl job %s)", a.pos[0], job_usage);
		goto out;
	}
	if (sub->npos > 0 && a.npos != sub->npos) {
		ctl_say("job %s: %s (usage: mesosctl job %s)", sub->name,
		        a.npos < sub->npos ? "missing argument" : "too many arguments", job_usage);
		goto out;
	}
	c.ctl = ctl;
	c.pos = a.pos;
	c.npos = a.npos;
	c.wait = wait;
	c.force = force;
	c.remove = remove;
	c.wait_ms = wait_ms;
	c.tz = tz;
	c.policy = policy;
	c.deadline_ms = deadline_ms;
	buf_init(&c.path, 0);
	buf_init(&c.raw, JOB_REPLY_MAX);
	buf_init(&c.json, HTTP_BODY_MAX);
	rc = sub->fn(&c);
	json_free(c.j);
	buf_free(&c.path);
	buf_free(&c.raw);
	buf_free(&c.json);
out:
	free(jobs);
	free(tz);
	free(policy);
	ctl_args_free(&a);
	return rc;
}
