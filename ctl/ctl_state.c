/*
 * ctl_state.c: the commands that read the master over HTTP: state, agents,
 * frameworks and tasks print /master/state as a summary or as aligned
 * tables (--json prints it raw), and get prints any path's body. The
 * frameworks table shows each plugin's host (pid, state, restarts), and
 * the plugins that have no live framework below it.
 */
#include "ctl.h"
#include "buf.h"
#include "compat.h"
#include "flags.h"
#include "http.h"
#include "http_client.h"
#include "json.h"
#include "res.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_HTTP_BODY_MAX (64u << 20)   /* bytes of one HTTP reply: a big cluster's state */
#define CTL_CELL_MAX      4096          /* bytes of one table cell */
#define SCALAR_TEXT_MAX   64            /* "123456.789" and the like */
#define USED_TOTAL_MAX    (2 * SCALAR_TEXT_MAX + 1)   /* "used/total" */
#define SHORT_TEXT_MAX    64            /* counts, durations, labels */

struct table {
	size_t ncols;
	size_t nrows;
	char **cells;      /* row-major, sanitised copies */
};

static void
table_init(struct table *t, size_t ncols)
{
	t->ncols = ncols;
	t->nrows = 0;
	t->cells = NULL;
}

static void
table_add(struct table *t, const char *const *row)
{
	size_t c;

	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols, sizeof(char *));
	for (c = 0; c < t->ncols; c++) {
		char *s = xstrndup(row[c] != NULL ? row[c] : "", CTL_CELL_MAX), *p;

		for (p = s; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		t->cells[t->nrows * t->ncols + c] = s;
	}
	t->nrows++;
}

/* Columns are measured in code points, so UTF-8 names line up. */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void
table_print(const struct table *t)
{
	size_t *width = xcalloc(t->ncols, sizeof(size_t)), r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t w = text_width(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			fputs(s, stdout);
			if (c + 1 < t->ncols)
				printf("%*s", (int)(width[c] - text_width(s) + 2), "");
		}
		fputc('\n', stdout);
	}
	free(width);
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* Lookups that tolerate a missing object: the master may omit what is empty. */
static const char *
jstr(const struct json *o, const char *key)
{
	const char *s = o != NULL ? json_get_str(o, key) : NULL;

	return s != NULL ? s : "";
}

static double
jnum(const struct json *o, const char *key)
{
	const struct json *v = o != NULL ? json_get(o, key) : NULL;

	return v != NULL && v->type == JSON_NUMBER ? v->number : 0;
}

static int
jbool(const struct json *o, const char *key)
{
	const struct json *v = o != NULL ? json_get(o, key) : NULL;

	return v != NULL && v->type == JSON_BOOL && v->boolean;
}

static size_t
jlen(const struct json *o, const char *key)
{
	const struct json *v = o != NULL ? json_get(o, key) : NULL;

	return v != NULL && v->type == JSON_ARRAY ? v->n : 0;
}

static const struct json *
jitem(const struct json *o, const char *key, size_t i)
{
	return json_get(o, key)->items[i];
}

/* Scalars the way Mesos writes them in flags: "2", "0.5", "0.001". */
static void
fmt_scalar(double v, char *out, size_t len)
{
	/* Beyond this a thousandths count would overflow; such numbers are not resources. */
	const double fixed_max = 1e15;

	if (v >= 0 && v < fixed_max)
		res_scalar_format((int64_t)(v * RES_SCALAR_ONE + 0.5), out, len);
	else
		snprintf(out, len, "%g", v);
}

static void
fmt_used_total(const struct json *used, const struct json *total, const char *key, char *out,
               size_t len)
{
	char u[SCALAR_TEXT_MAX], t[SCALAR_TEXT_MAX];

	fmt_scalar(jnum(used, key), u, sizeof(u));
	fmt_scalar(jnum(total, key), t, sizeof(t));
	snprintf(out, len, "%s/%s", u, t);
}

/* Attributes back in the agent flag's syntax: rack:r1;level:10. */
static void
fmt_attributes(const struct json *attrs, struct buf *out)
{
	size_t i;

	for (i = 0; attrs != NULL && attrs->type == JSON_OBJECT && i < attrs->n; i++) {
		const struct json *v = attrs->items[i];
		char num[SCALAR_TEXT_MAX];

		if (v->type == JSON_STRING)
			buf_printf(out, "%s%s:%s", out->len > 0 ? ";" : "", attrs->keys[i], v->string);
		else if (v->type == JSON_NUMBER) {
			fmt_scalar(v->number, num, sizeof(num));
			buf_printf(out, "%s%s:%s", out->len > 0 ? ";" : "", attrs->keys[i], num);
		}
	}
}

/* GET path on the master into body. Returns the HTTP status, or -1 after saying why. */
static int
fetch(const struct ctl *ctl, const char *path, struct buf *body)
{
	struct http_client_response resp;
	char err[CTL_ERR_MAX];

	memset(&resp, 0, sizeof(resp));
	resp.body = body;
	if (http_client_request(ctl->host, ctl->port, "GET", path, NULL, NULL, 0,
	                        (int)ctl->timeout_ms, &resp, err, sizeof(err)) == -1) {
		/* Only a refused or silent master is unreachable; the rest is a bad answer. */
		if (ctl_is_connect_error(err) || strncmp(err, "timeout", strlen("timeout")) == 0)
			ctl_say_unreachable(ctl, err);
		else
			ctl_say("GET %s on the master at %s: %s", path, ctl->addr, err);
		return -1;
	}
	return resp.status;
}

/* Fetch and parse /master/state; NULL after saying why. With --json, print it raw instead. */
static struct json *
get_state(const struct ctl *ctl, int *printed)
{
	struct buf body;
	struct json *state = NULL;
	char err[CTL_ERR_MAX];
	int status;

	*printed = 0;
	buf_init(&body, CTL_HTTP_BODY_MAX);
	status = fetch(ctl, "/master/state", &body);
	if (status == -1)
		goto out;
	if (status / 100 != 2) {
		ctl_say("GET /master/state: %d %s", status, http_status_text(status));
		goto out;
	}
	if (ctl->json) {
		fwrite(body.data != NULL ? body.data : "", 1, body.len, stdout);
		if (body.len == 0 || body.data[body.len - 1] != '\n')
			fputc('\n', stdout);
		*printed = 1;
		goto out;
	}
	state = json_parse(body.data != NULL ? body.data : "", body.len, err, sizeof(err));
	if (state == NULL)
		ctl_say("bad JSON in /master/state: %s", err);
	else if (state->type != JSON_OBJECT) {
		ctl_say("bad JSON in /master/state: not an object");
		json_free(state);
		state = NULL;
	}
out:
	buf_free(&body);
	return state;
}

/* The tasks of every framework: running ones first, completed last. */
struct task_list {
	const struct json **items;
	size_t n;
};

static void
collect(struct task_list *l, const struct json *fw, const char *key)
{
	size_t i, n = jlen(fw, key);

	for (i = 0; i < n; i++) {
		if (jitem(fw, key, i)->type != JSON_OBJECT)
			continue;
		l->items = xreallocarray(l->items, l->n + 1, sizeof(*l->items));
		l->items[l->n++] = jitem(fw, key, i);
	}
}

static void
collect_tasks(const struct json *state, struct task_list *l)
{
	static const char *const fw_lists[] = { "frameworks", "completed_frameworks" };
	static const char *const task_lists[] = { "tasks", "completed_tasks" };
	size_t pass, f, i;

	l->items = NULL;
	l->n = 0;
	/* Pass 0: live tasks of live frameworks; pass 1: everything that has ended. */
	for (pass = 0; pass < 2; pass++)
		for (f = 0; f < 2; f++)
			for (i = 0; i < jlen(state, fw_lists[f]); i++) {
				const struct json *fw = jitem(state, fw_lists[f], i);
				size_t t;

				for (t = 0; t < 2; t++)
					if ((pass == 0) == (f == 0 && t == 0))
						collect(l, fw, task_lists[t]);
			}
}

static const char *
agent_hostname(const struct json *state, const char *agent_id)
{
	size_t i;

	for (i = 0; i < jlen(state, "slaves"); i++) {
		const struct json *s = jitem(state, "slaves", i);

		if (strcmp(jstr(s, "id"), agent_id) == 0 && *jstr(s, "hostname") != '\0')
			return jstr(s, "hostname");
	}
	return agent_id;
}

/* Flags of the four state commands: only --json (also accepted before the command). */
static int
state_cmd(struct ctl *ctl, int argc, char **argv, struct json **state)
{
	int json = ctl->json, rc, printed;
	struct flag flags[] = {
		{ "json", FLAG_BOOL, &json, "print the raw /master/state JSON", 0 },
	};
	struct ctl_args a;

	*state = NULL;
	rc = ctl_parse_args(&a, ctl, flags, sizeof(flags) / sizeof(flags[0]), 0, argc, argv, 0, 0);
	ctl_args_free(&a);
	if (rc != -1)
		return rc;
	ctl->json = json;
	*state = get_state(ctl, &printed);
	return *state != NULL || printed ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
ctl_state_agents(struct ctl *ctl, int argc, char **argv)
{
	static const char *const head[] = { "ID", "HOSTNAME", "ACTIVE", "CPUS", "MEM", "DISK",
	                                    "ATTRIBUTES" };
	struct json *state;
	struct table t;
	size_t i;
	int rc = state_cmd(ctl, argc, argv, &state);

	if (state == NULL)
		return rc;
	table_init(&t, sizeof(head) / sizeof(head[0]));
	table_add(&t, head);
	for (i = 0; i < jlen(state, "slaves"); i++) {
		const struct json *s = jitem(state, "slaves", i);
		const struct json *total = json_get(s, "resources"), *used = json_get(s, "used_resources");
		char cpus[USED_TOTAL_MAX], mem[USED_TOTAL_MAX], disk[USED_TOTAL_MAX];
		struct buf attrs;
		const char *row[sizeof(head) / sizeof(head[0])];

		buf_init(&attrs, CTL_CELL_MAX);
		fmt_used_total(used, total, "cpus", cpus, sizeof(cpus));
		fmt_used_total(used, total, "mem", mem, sizeof(mem));
		fmt_used_total(used, total, "disk", disk, sizeof(disk));
		fmt_attributes(json_get(s, "attributes"), &attrs);
		row[0] = jstr(s, "id");
		row[1] = jstr(s, "hostname");
		row[2] = jbool(s, "active") ? "yes" : "no";
		row[3] = cpus;
		row[4] = mem;
		row[5] = disk;
		row[6] = attrs.data != NULL ? attrs.data : "";
		table_add(&t, row);
		buf_free(&attrs);
	}
	table_print(&t);
	table_free(&t);
	json_free(state);
	return EXIT_SUCCESS;
}

/* A framework's plugin columns: name, pid, state, restarts ("-" when it is not a plugin's). */
static void
plugin_cells(const struct json *plugin, char *pid, char *restarts, size_t len, const char **row)
{
	snprintf(pid, len, "%.0f", jnum(plugin, "pid"));
	snprintf(restarts, len, "%.0f", jnum(plugin, "restarts"));
	row[0] = plugin != NULL ? jstr(plugin, "name") : "-";
	row[1] = plugin != NULL && jnum(plugin, "pid") > 0 ? pid : "-";
	row[2] = plugin != NULL ? jstr(plugin, "state") : "-";
	row[3] = plugin != NULL ? restarts : "-";
}

/* Plugins without a live framework (failed, disabled, stopped, starting): a second table. */
static void
print_idle_plugins(const struct json *state)
{
	static const char *const head[] = { "PLUGIN", "PID", "STATE", "RESTARTS", "REASON" };
	struct table t;
	size_t i, j;

	table_init(&t, sizeof(head) / sizeof(head[0]));
	table_add(&t, head);
	for (i = 0; i < jlen(state, "plugins"); i++) {
		const struct json *p = jitem(state, "plugins", i);
		const char *fw = jstr(p, "framework_id");
		char pid[SHORT_TEXT_MAX], restarts[SHORT_TEXT_MAX];
		const char *row[sizeof(head) / sizeof(head[0])];
		int live = 0;

		for (j = 0; *fw && j < jlen(state, "frameworks"); j++)
			live |= strcmp(jstr(jitem(state, "frameworks", j), "id"), fw) == 0;
		if (live)
			continue;
		plugin_cells(p, pid, restarts, sizeof(pid), row);
		row[4] = jstr(p, "reason");
		table_add(&t, row);
	}
	if (t.nrows > 1) {
		printf("\n");
		table_print(&t);
	}
	table_free(&t);
}

int
ctl_state_frameworks(struct ctl *ctl, int argc, char **argv)
{
	static const char *const head[] = { "ID", "NAME", "ROLE", "ACTIVE", "TASKS", "PLUGIN", "PID",
	                                    "STATE", "RESTARTS" };
	struct json *state;
	struct table t;
	size_t i;
	int rc = state_cmd(ctl, argc, argv, &state);

	if (state == NULL)
		return rc;
	table_init(&t, sizeof(head) / sizeof(head[0]));
	table_add(&t, head);
	for (i = 0; i < jlen(state, "frameworks"); i++) {
		const struct json *f = jitem(state, "frameworks", i);
		char ntasks[SHORT_TEXT_MAX], pid[SHORT_TEXT_MAX], restarts[SHORT_TEXT_MAX];
		const char *row[sizeof(head) / sizeof(head[0])];

		snprintf(ntasks, sizeof(ntasks), "%zu", jlen(f, "tasks"));
		row[0] = jstr(f, "id");
		row[1] = jstr(f, "name");
		row[2] = jstr(f, "role");
		row[3] = jbool(f, "active") ? "yes" : "no";
		row[4] = ntasks;
		plugin_cells(json_get(f, "plugin"), pid, restarts, sizeof(pid), row + 5);
		table_add(&t, row);
	}
	table_print(&t);
	table_free(&t);
	print_idle_plugins(state);
	json_free(state);
	return EXIT_SUCCESS;
}

int
ctl_state_tasks(struct ctl *ctl, int argc, char **argv)
{
	static const char *const head[] = { "ID", "NAME", "STATE", "FRAMEWORK", "AGENT", "CPUS",
	                                    "MEM" };
	struct json *state;
	struct task_list l;
	struct table t;
	size_t i;
	int rc = state_cmd(ctl, argc, argv, &state);

	if (state == NULL)
		return rc;
	collect_tasks(state, &l);
	table_init(&t, sizeof(head) / sizeof(head[0]));
	table_add(&t, head);
	for (i = 0; i < l.n; i++) {
		const struct json *task = l.items[i], *res = json_get(task, "resources");
		char cpus[SCALAR_TEXT_MAX], mem[SCALAR_TEXT_MAX];
		const char *row[sizeof(head) / sizeof(head[0])];

		fmt_scalar(jnum(res, "cpus"), cpus, sizeof(cpus));
		fmt_scalar(jnum(res, "mem"), mem, sizeof(mem));
		row[0] = jstr(task, "id");
		row[1] = jstr(task, "name");
		row[2] = jstr(task, "state");
		row[3] = jstr(task, "framework_id");
		row[4] = agent_hostname(state, jstr(task, "slave_id"));
		row[5] = cpus;
		row[6] = mem;
		table_add(&t, row);
	}
	table_print(&t);
	table_free(&t);
	free(l.items);
	json_free(state);
	return EXIT_SUCCESS;
}

static void
fmt_uptime(double secs, char *out, size_t len)
{
	const long long minute = 60, hour = 60 * minute, day = 24 * hour;
	long long s = secs > 0 ? (long long)secs : 0;

	if (s >= day)
		snprintf(out, len, "%lldd%lldh%lldm", s / day, s % day / hour, s % hour / minute);
	else if (s >= hour)
		snprintf(out, len, "%lldh%lldm%llds", s / hour, s % hour / minute, s % minute);
	else if (s >= minute)
		snprintf(out, len, "%lldm%llds", s / minute, s % minute);
	else
		snprintf(out, len, "%llds", s);
}

int
ctl_state_summary(struct ctl *ctl, int argc, char **argv)
{
	/* Summary order: the life of a task, then the ends. */
	static const char *const states[] = {
		"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_UNREACHABLE",
		"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_DROPPED",
		"TASK_LOST", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN",
	};
	enum { NSTATES = sizeof(states) / sizeof(states[0]) };
	static const char *const scalars[] = { "cpus", "mem", "disk" };
	size_t count[NSTATES + 1] = { 0 }, i, s, nactive = 0;
	struct json *state;
	struct task_list l;
	char uptime[SHORT_TEXT_MAX];
	const char *sep = " ";
	int rc = state_cmd(ctl, argc, argv, &state);

	if (state == NULL)
		return rc;
	fmt_uptime(compat_wall_time() - jnum(state, "start_time"), uptime, sizeof(uptime));
	for (i = 0; i < jlen(state, "slaves"); i++)
		nactive += jbool(jitem(state, "slaves", i), "active") != 0;
	printf("master:      ");
	ctl_print_clean(stdout, jstr(state, "id"));
	printf(" (");
	ctl_print_clean(stdout, jstr(state, "hostname"));
	printf(")\nversion:     ");
	ctl_print_clean(stdout, jstr(state, "version"));
	printf("\nuptime:      %s\n", uptime);
	printf("agents:      %zu active, %zu total\n", nactive, jlen(state, "slaves"));
	printf("frameworks:  %zu active, %zu completed\n", jlen(state, "frameworks"),
	       jlen(state, "completed_frameworks"));
	collect_tasks(state, &l);
	for (i = 0; i < l.n; i++) {
		const char *st = jstr(l.items[i], "state");

		for (s = 0; s < NSTATES && strcmp(states[s], st) != 0; s++)
			continue;
		count[s]++;
	}
	printf("tasks:      ");
	for (s = 0; s < NSTATES; s++)
		if (count[s] > 0) {
			printf("%s%zu %s", sep, count[s], states[s]);
			sep = ", ";
		}
	if (count[NSTATES] > 0)
		printf("%s%zu other", sep, count[NSTATES]);
	printf("%s\n", l.n == 0 ? " none" : "");
	free(l.items);
	for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		double used = 0, total = 0;
		char u[SCALAR_TEXT_MAX], t[SCALAR_TEXT_MAX], label[SHORT_TEXT_MAX];

		for (s = 0; s < jlen(state, "slaves"); s++) {
			const struct json *a = jitem(state, "slaves", s);

			used += jnum(json_get(a, "used_resources"), scalars[i]);
			total += jnum(json_get(a, "resources"), scalars[i]);
		}
		fmt_scalar(used, u, sizeof(u));
		fmt_scalar(total, t, sizeof(t));
		snprintf(label, sizeof(label), "%s:", scalars[i]);
		printf("%-13s%s used of %s%s\n", label, u, t, i == 0 ? "" : " MB");
	}
	json_free(state);
	return EXIT_SUCCESS;
}

int
ctl_state_get(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_args a;
	struct buf body;
	char *path;
	int rc = ctl_parse_args(&a, ctl, NULL, 0, 0, argc, argv, 1, 1), status;

	if (rc != -1) {
		ctl_args_free(&a);
		return rc;
	}
	path = xstrfmt("%s%s", a.pos[0][0] == '/' ? "" : "/", a.pos[0]);
	ctl_args_free(&a);
	buf_init(&body, CTL_HTTP_BODY_MAX);
	status = fetch(ctl, path, &body);
	if (status != -1) {
		fwrite(body.data != NULL ? body.data : "", 1, body.len, stdout);
		if (status / 100 != 2)
			ctl_say("GET %s: %d %s", path, status, http_status_text(status));
	}
	buf_free(&body);
	free(path);
	return status / 100 == 2 ? EXIT_SUCCESS : EXIT_FAILURE;
}

