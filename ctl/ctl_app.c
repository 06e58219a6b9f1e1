/*
 * ctl_app.c: mesosctl's Marathon commands, `app` (add, list, show, scale,
 * restart, update, rm, tasks) and `deployments`, over the Marathon
 * plugin's REST API (plugins/marathon/rest.c), not the master. `--wait`
 * polls GET /v2/deployments until the app's deployment is over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"
#include "flags.h"
#include "http.h"
#include "json.h"
#include "xmem.h"

#define APP_DEFAULT_ADDR    "127.0.0.1:8080"   /* the plugin's default http_port */
#define APP_DEFAULT_PORT    8080
#define APP_REPLY_MAX       (16u << 20)        /* bytes of a reply (lists of apps or tasks) */
#define APP_WAIT_DEFAULT_MS (120 * 1000)       /* --wait gives up after this by default */
#define APP_POLL_MS         250                /* between two looks at /v2/deployments */
#define APP_PATH_MAX        1024
#define APP_FIELD_MAX       256

static int
api_init(struct ctl_rest *api, const struct ctl *ctl, const char *flag)
{
	return ctl_rest_init(api, ctl, flag, "MARATHON", APP_DEFAULT_ADDR, APP_DEFAULT_PORT,
	                     "Marathon");
}

/* "/v2/apps/" + the id's segments, each encoded; suffix after. */
static void
app_path(struct buf *out, const char *id, const char *suffix)
{
	char seg[APP_PATH_MAX];

	buf_puts(out, "/v2/apps");
	for (const char *s = id; *s != '\0';) {
		size_t n = strcspn(s, "/");

		if (n > 0 && n < sizeof(seg)) {
			memcpy(seg, s, n);
			seg[n] = '\0';
			buf_putc(out, '/');
			http_url_encode(out, seg);
		}
		s += n;
		if (*s == '/')
			s++;
	}
	buf_puts(out, suffix);
}

/* The deployment of /v2/deployments that touches id, or NULL. */
static const struct json *
deployment_of(const struct json *deps, const char *id)
{
	for (size_t i = 0; deps != NULL && deps->type == JSON_ARRAY && i < deps->n; i++) {
		const struct json *apps = json_get(deps->items[i], "affectedApps");

		for (size_t k = 0; apps != NULL && apps->type == JSON_ARRAY && k < apps->n; k++)
			if (apps->items[k]->type == JSON_STRING && strcmp(apps->items[k]->string, id) == 0)
				return deps->items[i];
	}
	return NULL;
}

/* "running/instances" of an app, from GET /v2/apps/ID; "?" if unknown. */
static void
app_progress(const struct ctl_rest *api, const char *id, char *out, size_t len)
{
	struct buf path, body;
	char err[CTL_ERR_MAX];
	struct json *j;
	long long run, inst;
	int status;

	snprintf(out, len, "?");
	buf_init(&path, 0);
	buf_init(&body, APP_REPLY_MAX);
	app_path(&path, id, "");
	status = ctl_rest_request(api, "GET", path.data, NULL, &body);
	if (status == 404)
		snprintf(out, len, "the app is gone");
	if (status == 200 && (j = ctl_rest_parse(&body, err, sizeof(err))) != NULL) {
		if (json_as_int(json_path(j, "app.tasksRunning"), &run) == 0 &&
		    json_as_int(json_path(j, "app.instances"), &inst) == 0)
			snprintf(out, len, "%lld of %lld tasks running", run, inst);
		json_free(j);
	}
	buf_free(&path);
	buf_free(&body);
}

/* Poll until id has no deployment, a line per change; the exit code. */
static int
wait_deployment(const struct ctl_rest *api, const char *id, int64_t timeout_ms)
{
	int64_t deadline = ctl_rest_now_ms() + timeout_ms;
	char last[APP_PATH_MAX * 2] = "", line[APP_PATH_MAX * 2], prog[APP_FIELD_MAX];
	char err[CTL_ERR_MAX];
	struct buf body;
	int rc = EXIT_FAILURE;

	buf_init(&body, APP_REPLY_MAX);
	for (;;) {
		int status = ctl_rest_request(api, "GET", "/v2/deployments", NULL, &body);
		struct json *j;
		const struct json *d;

		if (status == -1)
			break;
		if (status != 200) {
			ctl_rest_say_error("GET /v2/deployments", status, &body);
			break;
		}
		if ((j = ctl_rest_parse(&body, err, sizeof(err))) == NULL) {
			ctl_say("GET /v2/deployments: not JSON: %s", err);
			break;
		}
		if ((d = deployment_of(j, id)) == NULL) {
			json_free(j);
			app_progress(api, id, prog, sizeof(prog));
			printf("%s: deployed (%s)\n", id, prog);
			rc = EXIT_SUCCESS;
			break;
		}
		const char *action = json_get_str(json_get(d, "currentActions") != NULL &&
		                                  json_get(d, "currentActions")->n > 0 ?
		                                  json_get(d, "currentActions")->items[0] : NULL, "action");
		long long step = 0, steps = 0;

		json_as_int(json_get(d, "currentStep"), &step);
		json_as_int(json_get(d, "totalSteps"), &steps);
		app_progress(api, id, prog, sizeof(prog));
		snprintf(line, sizeof(line), "%s: deployment %s step %lld/%lld %s: %s", id,
		         json_get_str(d, "id") ? json_get_str(d, "id") : "?", step, steps,
		         action ? action : "?", prog);
		json_free(j);
		if (strcmp(line, last) != 0) {
			ctl_print_clean(stdout, line);
			putchar('\n');
			fflush(stdout);
			snprintf(last, sizeof(last), "%s", line);
		}
		if (ctl_rest_now_ms() >= deadline) {
			char t[64];

			flags_format_duration(timeout_ms, t, sizeof(t));
			ctl_say("%s: deployment still running after %s (see 'mesosctl deployments')", id, t);
			break;
		}
		ctl_rest_sleep_ms(APP_POLL_MS);
	}
	buf_free(&body);
	return rc;
}

/* The app id as Marathon spells it: absolute. */
static void
norm_id(char *out, size_t len, const char *id)
{
	snprintf(out, len, "%s%s", id[0] == '/' ? "" : "/", id);
}

static void
print_list(const struct json *apps)
{
	printf("%-28s %-9s %-8s %-8s %-6s %-7s %s\n", "ID", "INSTANCES", "RUNNING", "HEALTHY", "CPUS",
	       "MEM", "CMD");
	for (size_t i = 0; apps != NULL && apps->type == JSON_ARRAY && i < apps->n; i++) {
		const struct json *a = apps->items[i];
		long long inst = 0, run = 0, healthy = 0;
		const struct json *cpus = json_get(a, "cpus"), *mem = json_get(a, "mem");
		char n[3][32];

		json_as_int(json_get(a, "instances"), &inst);
		json_as_int(json_get(a, "tasksRunning"), &run);
		json_as_int(json_get(a, "tasksHealthy"), &healthy);
		snprintf(n[0], sizeof(n[0]), "%lld", inst);
		snprintf(n[1], sizeof(n[1]), "%lld", run);
		snprintf(n[2], sizeof(n[2]), "%lld", healthy);
		ctl_rest_cell(json_get_str(a, "id"), 28);
		ctl_rest_cell(n[0], 9);
		ctl_rest_cell(n[1], 8);
		ctl_rest_cell(n[2], 8);
		printf("%-6g %-7g ", cpus && cpus->type == JSON_NUMBER ? cpus->number : 0,
		       mem && mem->type == JSON_NUMBER ? mem->number : 0);
		ctl_rest_cell(json_get_str(a, "cmd"), 0);
		putchar('\n');
	}
}

static void
print_tasks(const struct json *tasks)
{
	printf("%-60s %-14s %-9s %-16s %-12s %s\n", "ID", "STATE", "HEALTH", "HOST", "PORTS",
	       "STARTED");
	for (size_t i = 0; tasks != NULL && tasks->type == JSON_ARRAY && i < tasks->n; i++) {
		const struct json *t = tasks->items[i], *ports = json_get(t, "ports");
		const struct json *hr = json_get(t, "healthCheckResults"), *alive = NULL;
		char p[APP_FIELD_MAX] = "";
		size_t used = 0;

		/* "-": no check, or no result yet. */
		if (hr != NULL && hr->type == JSON_ARRAY && hr->n > 0)
			alive = json_get(hr->items[0], "alive");

		for (size_t k = 0; ports != NULL && ports->type == JSON_ARRAY && k < ports->n; k++) {
			int n = snprintf(p + used, sizeof(p) - used, "%s%g", k ? "," : "",
			                 ports->items[k]->number);
			if (n < 0 || (size_t)n >= sizeof(p) - used)
				break;
			used += (size_t)n;
		}
		ctl_rest_cell(json_get_str(t, "id"), 60);
		ctl_rest_cell(json_get_str(t, "state"), 14);
		ctl_rest_cell(alive == NULL || alive->type != JSON_BOOL ? "-" :
		                 alive->boolean ? "healthy" : "unhealthy", 9);
		ctl_rest_cell(json_get_str(t, "host"), 16);
		ctl_rest_cell(p, 12);
		ctl_rest_cell(json_get_str(t, "startedAt"), 0);
		putchar('\n');
	}
}

/* Why the app waits: its /v2/queue entry, if any. */
static void
print_queue(const struct ctl_rest *api, const char *id)
{
	struct buf body;
	char err[CTL_ERR_MAX];
	struct json *j;
	const struct json *q;
	int status;

	buf_init(&body, APP_REPLY_MAX);
	status = ctl_rest_request(api, "GET", "/v2/queue", NULL, &body);
	if (status != 200 || (j = ctl_rest_parse(&body, err, sizeof(err))) == NULL) {
		if (status != -1)
			printf("waiting:    (GET /v2/queue answered %d)\n", status);
		buf_free(&body);
		return;
	}
	buf_free(&body);
	q = json_get(j, "queue");
	for (size_t i = 0; q != NULL && q->type == JSON_ARRAY && i < q->n; i++) {
		const struct json *e = q->items[i];
		const struct json *s = json_get(e, "processedOffersSummary");
		const struct json *r = json_get(s, "rejectSummaryLastOffers");
		long long count = 0, left = 0, processed = 0, unused = 0;
		const char *aid = json_get_str(json_get(e, "app"), "id");
		int any = 0;

		if (aid == NULL || strcmp(aid, id) != 0)
			continue;
		json_as_int(json_get(e, "count"), &count);
		json_as_int(json_path(e, "delay.timeLeftSeconds"), &left);
		json_as_int(json_get(s, "processedOffersCount"), &processed);
		json_as_int(json_get(s, "unusedOffersCount"), &unused);
		printf("waiting:    %lld instance(s) since %s", count,
		       json_get_str(e, "since") ? json_get_str(e, "since") : "?");
		if (left > 0)
			printf(", held back %llds by the launch backoff", left);
		printf("\noffers:     %lld processed, %lld not used\n", processed, unused);
		for (size_t k = 0; r != NULL && r->type == JSON_ARRAY && k < r->n; k++) {
			long long declined = 0, seen = 0;

			json_as_int(json_get(r->items[k], "declined"), &declined);
			json_as_int(json_get(r->items[k], "processed"), &seen);
			if (declined <= 0)
				continue;
			printf("%s%s: %lld of %lld offers\n", any ? "            " : "refused:    ",
			       json_get_str(r->items[k], "reason") ? json_get_str(r->items[k], "reason") :
			       "?", declined, seen);
			any = 1;
		}
		if (!any && unused == 0 && processed == 0)
			printf("refused:    no offer seen yet (are there agents with free resources?)\n");
	}
	json_free(j);
}

static double
number(const struct json *v)
{
	return v != NULL && v->type == JSON_NUMBER ? v->number : 0;
}

static void
print_show(const struct json *a)
{
	const struct json *v;
	long long n;

	printf("id:         %s\n", json_get_str(a, "id") ? json_get_str(a, "id") : "?");
	if (json_get_str(a, "cmd") != NULL) {
		printf("cmd:        ");
		ctl_print_clean(stdout, json_get_str(a, "cmd"));
		putchar('\n');
	}
	printf("resources:  cpus %g, mem %g, disk %g\n", number(json_get(a, "cpus")),
	       number(json_get(a, "mem")), number(json_get(a, "disk")));
	n = 0;
	json_as_int(json_get(a, "instances"), &n);
	printf("instances:  %lld", n);
	n = 0;
	json_as_int(json_get(a, "tasksRunning"), &n);
	printf(" (%lld running", n);
	n = 0;
	json_as_int(json_get(a, "tasksHealthy"), &n);
	printf(", %lld healthy", n);
	n = 0;
	json_as_int(json_get(a, "tasksUnhealthy"), &n);
	if (n > 0)
		printf(", %lld unhealthy", n);
	n = 0;
	json_as_int(json_get(a, "tasksStaged"), &n);
	printf(", %lld staged)\n", n);
	printf("version:    %s\n", json_get_str(a, "version") ? json_get_str(a, "version") : "?");
	if ((v = json_get(a, "healthChecks")) != NULL && v->type == JSON_ARRAY && v->n > 0) {
		const struct json *h = v->items[0];

		printf("health:     %s", json_get_str(h, "protocol") ? json_get_str(h, "protocol") : "?");
		if (json_get_str(h, "path") != NULL)
			printf(" %s", json_get_str(h, "path"));
		printf(" every %gs, killed after %g failures\n", number(json_get(h, "intervalSeconds")),
		       number(json_get(h, "maxConsecutiveFailures")));
	}
	if ((v = json_get(a, "constraints")) != NULL && v->type == JSON_ARRAY && v->n > 0) {
		struct buf b;
		struct json_w w;

		buf_init(&b, 0);
		json_w_init(&w, &b);
		json_write(&w, v);
		printf("constraints: ");
		ctl_print_clean(stdout, b.data);
		putchar('\n');
		buf_free(&b);
	}
}

/* A change that answers with a deployment: say it, and --wait for it. */
static int
change(const struct ctl_rest *api, const char *method, const char *path, const struct buf *json,
       const char *id, const char *done, int wait, int64_t wait_ms)
{
	struct buf body;
	char what[APP_PATH_MAX + 16], err[CTL_ERR_MAX], nid[APP_PATH_MAX];
	int status, rc = EXIT_SUCCESS;
	struct json *j;

	buf_init(&body, APP_REPLY_MAX);
	snprintf(what, sizeof(what), "%s %s", method, path);
	status = ctl_rest_request(api, method, path, json, &body);
	if (status == -1) {
		buf_free(&body);
		return EXIT_FAILURE;
	}
	if (status / 100 != 2) {
		ctl_rest_say_error(what, status, &body);
		buf_free(&body);
		return EXIT_FAILURE;
	}
	j = ctl_rest_parse(&body, err, sizeof(err));
	if (id == NULL)
		id = j != NULL ? json_get_str(j, "id") : NULL;
	norm_id(nid, sizeof(nid), id != NULL ? id : "?");
	printf("%s: %s", nid, done);
	if (j != NULL && json_get_str(j, "deploymentId") != NULL)
		printf(" (deployment %s)", json_get_str(j, "deploymentId"));
	putchar('\n');
	json_free(j);
	buf_free(&body);
	if (wait && id != NULL)
		rc = wait_deployment(api, nid, wait_ms);
	return rc;
}

/* One `mesosctl app` call: what its subcommands share. */
struct app_call {
	const struct ctl *ctl;
	struct ctl_rest api;
	char **pos;                  /* the subcommand's name, then its arguments */
	int wait, force;
	int64_t wait_ms;
	struct buf path, raw, json;
	struct json *j;              /* a GET's reply, parsed */
};

/* --- the subcommands: each returns mesosctl's exit code -------------------- */

static int
app_add(struct app_call *c)
{
	if (ctl_rest_read_file(&c->api, c->pos[1], &c->json) != 0)
		return EXIT_FAILURE;
	return change(&c->api, "POST", "/v2/apps", &c->json, NULL, "created", c->wait, c->wait_ms);
}

/* GET path and print the reply: as it came with --json, else print() of its member key. */
static int
get_and_print(struct app_call *c, const char *path, const char *key,
              void (*print)(const struct json *))
{
	if (ctl_rest_get(&c->api, path, &c->j, &c->raw) != 0)
		return EXIT_FAILURE;
	if (c->ctl->json)
		ctl_rest_print_raw(&c->raw);
	else
		print(json_get(c->j, key));
	return EXIT_SUCCESS;
}

static int
app_list(struct app_call *c)
{
	return get_and_print(c, "/v2/apps", "apps", print_list);
}

static int
app_show(struct app_call *c)
{
	char nid[APP_PATH_MAX];

	app_path(&c->path, c->pos[1], "");
	if (ctl_rest_get(&c->api, c->path.data, &c->j, &c->raw) != 0)
		return EXIT_FAILURE;
	if (c->ctl->json) {
		ctl_rest_print_raw(&c->raw);
	} else {
		norm_id(nid, sizeof(nid), c->pos[1]);
		print_show(json_get(c->j, "app"));
		print_queue(&c->api, nid);
	}
	return EXIT_SUCCESS;
}

static int
app_tasks(struct app_call *c)
{
	app_path(&c->path, c->pos[1], "/tasks");
	return get_and_print(c, c->path.data, "tasks", print_tasks);
}

static int
app_scale(struct app_call *c)
{
	char *end = NULL;
	long long n = strtoll(c->pos[2], &end, 10);
	struct json_w w;

	if (end == c->pos[2] || *end != '\0' || n < 0) {
		ctl_say("app scale: '%s' is not a number of instances", c->pos[2]);
		return CTL_EXIT_USAGE;
	}
	json_w_init(&w, &c->json);
	json_obj_begin(&w);
	json_kint(&w, "instances", n);
	json_obj_end(&w);
	app_path(&c->path, c->pos[1], c->force ? "?force=true" : "");
	return change(&c->api, "PUT", c->path.data, &c->json, c->pos[1], "scaling", c->wait,
	              c->wait_ms);
}

static int
app_update(struct app_call *c)
{
	if (ctl_rest_read_file(&c->api, c->pos[2], &c->json) != 0)
		return EXIT_FAILURE;
	app_path(&c->path, c->pos[1], c->force ? "?force=true" : "");
	return change(&c->api, "PUT", c->path.data, &c->json, c->pos[1], "updating", c->wait,
	              c->wait_ms);
}

static int
app_restart(struct app_call *c)
{
	app_path(&c->path, c->pos[1], c->force ? "/restart?force=true" : "/restart");
	return change(&c->api, "POST", c->path.data, NULL, c->pos[1], "restarting", c->wait,
	              c->wait_ms);
}

static int
app_rm(struct app_call *c)
{
	app_path(&c->path, c->pos[1], c->force ? "?force=true" : "");
	return change(&c->api, "DELETE", c->path.data, NULL, c->pos[1], "removed", c->wait,
	              c->wait_ms);
}

static const struct app_sub {
	const char *name;
	int npos;                    /* positional arguments, the name included */
	int (*fn)(struct app_call *c);
} app_subs[] = {
	{ "add", 2, app_add },
	{ "list", 1, app_list },
	{ "show", 2, app_show },
	{ "scale", 3, app_scale },
	{ "restart", 2, app_restart },
	{ "update", 3, app_update },
	{ "rm", 2, app_rm },
	{ "tasks", 2, app_tasks },
	{ NULL, 0, NULL },
};

static const char *const app_usage =
	"add FILE.json | list | show ID | scale ID N | restart ID | update ID FILE.json | rm ID | "
	"tasks ID";

int
ctl_app(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_args a;
	struct app_call c;
	const struct app_sub *sub;
	char *marathon = NULL;
	int wait = 0, force = 0, rc;
	int64_t wait_ms = APP_WAIT_DEFAULT_MS;
	struct flag flags[] = {
		{ "marathon", FLAG_STRING, &marathon,
		  "HOST:PORT of Marathon's REST API (default $MARATHON, else " APP_DEFAULT_ADDR ")", 0 },
		{ "wait", FLAG_BOOL, &wait, "add/scale/restart/update/rm: wait for the deployment", 0 },
		{ "timeout", FLAG_DURATION, &wait_ms, "how long --wait waits", 0 },
		{ "force", FLAG_BOOL, &force, "override a running deployment (?force=true)", 0 },
	};
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);

	memset(&c, 0, sizeof(c));
	rc = ctl_parse_args(&a, ctl, flags, nflags, 0, argc, argv, 1, 3);
	if (rc != -1)
		goto out;
	rc = CTL_EXIT_USAGE;
	if (api_init(&c.api, ctl, marathon) == -1)
		goto out;
	if (wait_ms <= 0) {
		ctl_say("app: --timeout must be positive");
		goto out;
	}
	for (sub = app_subs; sub->name != NULL && strcmp(sub->name, a.pos[0]) != 0; sub++)
		continue;
	if (sub->name == NULL) {
		ctl_say("app: unknown subcommand '%s' (usage: mesosctl app %s)", a.pos[0], app_usage);
		goto out;
	}
	if (a.npos != sub->npos) {
		ctl_say("app %s: %s (usage: mesosctl app %s)", sub->name,
		        a.npos < sub->npos ? "missing argument" : "too many arguments", app_usage);
		goto out;
	}
	c.ctl = ctl;
	c.pos = a.pos;
	c.wait = wait;
	c.force = force;
	c.wait_ms = wait_ms;
	buf_init(&c.path, 0);
	buf_init(&c.raw, APP_REPLY_MAX);
	buf_init(&c.json, HTTP_BODY_MAX);
	rc = sub->fn(&c);
	json_free(c.j);
	buf_free(&c.path);
	buf_free(&c.raw);
	buf_free(&c.json);
out:
	free(marathon);
	ctl_args_free(&a);
	return rc;
}

int
ctl_app_deployments(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_args a;
	char *marathon = NULL;
	struct flag flags[] = {
		{ "marathon", FLAG_STRING, &marathon,
		  "HOST:PORT of Marathon's REST API (default $MARATHON, else " APP_DEFAULT_ADDR ")", 0 },
	};
	struct ctl_rest api;
	struct buf raw;
	struct json *j = NULL;
	int rc = ctl_parse_args(&a, ctl, flags, 1, 0, argc, argv, 0, 0);

	if (rc != -1)
		goto out;
	rc = EXIT_FAILURE;
	if (api_init(&api, ctl, marathon) == -1)
		goto out;
	buf_init(&raw, APP_REPLY_MAX);
	if (ctl_rest_get(&api, "/v2/deployments", &j, &raw) == 0) {
		rc = EXIT_SUCCESS;
		if (ctl->json)
			ctl_rest_print_raw(&raw);
		else
			printf("%-36s %-28s %-22s %-5s %s\n", "ID", "APPS", "ACTION", "STEP", "VERSION");
		for (size_t i = 0; !ctl->json && j->type == JSON_ARRAY && i < j->n; i++) {
			const struct json *d = j->items[i], *apps = json_get(d, "affectedApps");
			const struct json *cur = json_get(d, "currentActions");
			long long step = 0, steps = 0;
			char s[48];

			json_as_int(json_get(d, "currentStep"), &step);
			json_as_int(json_get(d, "totalSteps"), &steps);
			snprintf(s, sizeof(s), "%lld/%lld", step, steps);
			ctl_rest_cell(json_get_str(d, "id"), 36);
			ctl_rest_cell(apps && apps->type == JSON_ARRAY && apps->n > 0 &&
			                 apps->items[0]->type == JSON_STRING ? apps->items[0]->string : NULL,
			                 28);
			ctl_rest_cell(cur && cur->type == JSON_ARRAY && cur->n > 0 ?
			                 json_get_str(cur->items[0], "action") : NULL, 22);
			ctl_rest_cell(s, 5);
			ctl_rest_cell(json_get_str(d, "version"), 0);
			putchar('\n');
		}
	}
	json_free(j);
	buf_free(&raw);
out:
	free(marathon);
	ctl_args_free(&a);
	return rc;
}
