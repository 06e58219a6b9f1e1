/*
 * master_web.c: owns what the master serves for its web page (web/): the
 * page's three files, embedded into mesosd at build time (web/embed.sh
 * writes them into web_assets.c, so the binary is all there is to
 * install), the sandbox of a task over HTTP (GET /files/browse and
 * /files/read, the same READ_FILE and LIST_FILES relays mesosctl's ls, cat
 * and tail use), the roles' allocation over time (GET /master/history,
 * master_history.c), and Mesos's lighter views of the state, so that a
 * page of a large cluster never needs all of /master/state:
 * /master/slaves, /master/frameworks (?tasks=false: counts only) and
 * /master/tasks (paginated and filtered). Everything else the page shows comes from the
 * master's and the plugins' own APIs, as mesosctl and curl use them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "master.h"
#include "proto.h"

#define WEB_PARAM_MAX 1024        /* bytes of a task ID, framework ID or path in a query */
#define WEB_NUMBER_MAX 32         /* bytes of an offset or length in a query */
#define WEB_ERR_MAX 512           /* bytes of why a request failed */
#define WEB_DEC_BASE 10
#define WEB_TASKS_LIMIT_DEFAULT 100 /* tasks /master/tasks returns unless asked (Mesos's default) */
#define WEB_TASKS_LIMIT_MAX 1000    /* the most it returns at once */

/* What the browser may do with the page: only its own scripts; fetches to the plugins' ports too. */
#define WEB_CSP "default-src 'self'; connect-src 'self' http: https:; img-src 'self' data:; " \
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

static int
serve_asset(struct http_exchange *x, const char *path)
{
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (const struct master_web_asset *a = master_web_assets; a->path; a++) {
		if (strcmp(a->path, path) != 0)
			continue;
		http_add_header(x, "Cache-Control", "no-cache");
		http_add_header(x, "Content-Security-Policy", WEB_CSP);
		http_add_header(x, "X-Content-Type-Options", "nosniff");
		http_reply(x, 200, a->type, (const char *)a->data, a->len);
		return 1;
	}
	return 0;
}

static void
serve_history(struct http_exchange *x, struct master *m)
{
	struct buf body;
	struct json_w w;

	buf_init(&body, 0);
	json_w_init(&w, &body);
	master_history_json(m, &w);
	http_reply_json(x, 200, &body);
	buf_free(&body);
}

/*
 * A text parameter: 1 present, 0 absent, -1 after a 400 when it does not
 * fit buf (http_query_param would cut it: a cut path or ID is another one).
 */
static int
query_text(struct http_exchange *x, const char *name, char *buf, size_t len)
{
	char msg[WEB_ERR_MAX];

	if (!http_query_param(x, name, buf, len))
		return 0;
	if (strlen(buf) + 1 < len)
		return 1;
	snprintf(msg, sizeof(msg), "'%s' is too long (at most %zu bytes)", name, len - 2);
	http_reply_error(x, 400, msg);
	return -1;
}

/* An optional non-negative number in the query; -1 and a 400 when it is not one. */
static int
query_number(struct http_exchange *x, const char *name, long long dflt, long long *out)
{
	char v[WEB_NUMBER_MAX], msg[WEB_ERR_MAX], *end;

	*out = dflt;
	if (!http_query_param(x, name, v, sizeof(v)))
		return 0;
	*out = strtoll(v, &end, WEB_DEC_BASE);
	if (end == v || *end != '\0' || *out < 0) {
		snprintf(msg, sizeof(msg), "'%s' must be a number >= 0", name);
		http_reply_error(x, 400, msg);
		return -1;
	}
	return 0;
}

/* GET /files/read?task_id=T[&framework_id=F][&path=stdout][&offset=0][&length=N], /files/browse. */
static void
serve_files(struct http_exchange *x, struct master *m, int list)
{
	char task_id[WEB_PARAM_MAX], fw_id[WEB_PARAM_MAX] = "", path[WEB_PARAM_MAX] = "";
	char err[WEB_ERR_MAX];
	long long offset, length;

	int has_task = query_text(x, "task_id", task_id, sizeof(task_id)), has_path;

	if (has_task < 0)
		return;
	if (!has_task || !*task_id) {
		http_reply_error(x, 400, "name a task: ?task_id=ID");
		return;
	}
	if (query_text(x, "framework_id", fw_id, sizeof(fw_id)) < 0 ||
	    (has_path = query_text(x, "path", path, sizeof(path))) < 0)
		return;
	if (!has_path && !list)
		snprintf(path, sizeof(path), "stdout");
	if (query_number(x, "offset", 0, &offset) < 0 || query_number(x, "length", -1, &length) < 0)
		return;
	int why = master_cli_file_http(m, x, list ? "LIST_FILES" : "READ_FILE", task_id, fw_id, path,
	                               offset, length, err, sizeof(err));
	if (why != 0)
		http_reply_error(x, why == MASTER_FILE_NO_TASK ? 404 : why == MASTER_FILE_FORBIDDEN ? 403 : 503,
		                 err);
}

static void
serve_slaves(struct http_exchange *x, struct master *m)
{
	struct buf body;
	struct json_w w;
	struct master_agent *a;

	buf_init(&body, 0);
	json_w_init(&w, &body);
	json_obj_begin(&w);
	json_key(&w, "slaves");
	json_arr_begin(&w);
	for (size_t it = 0; map_next(&m->agents, &it, NULL, (void **)&a);)
		master_http_agent_json(&w, a);
	json_arr_end(&w);
	json_obj_end(&w);
	http_reply_json(x, 200, &body);
	buf_free(&body);
}

/* The completed frameworks, oldest first. */
static struct master_framework *
completed_framework(const struct master *m, size_t i)
{
	size_t max = (size_t)m->cfg.max_completed_frameworks;

	return m->completed_frameworks[(m->completed_frameworks_head + i) % max];
}

/* As /master/state's, with ?tasks=false: each framework's task_count instead of its tasks. */
static void
serve_frameworks(struct http_exchange *x, struct master *m)
{
	struct buf body;
	struct json_w w;
	struct master_framework *fw;
	char v[WEB_NUMBER_MAX];
	int tasks = !(http_query_param(x, "tasks", v, sizeof(v)) && strcmp(v, "false") == 0);

	buf_init(&body, 0);
	json_w_init(&w, &body);
	json_obj_begin(&w);
	json_key(&w, "frameworks");
	json_arr_begin(&w);
	for (size_t it = 0; map_next(&m->frameworks, &it, NULL, (void **)&fw);)
		master_http_framework_json(&w, m, fw, 1, tasks);
	json_arr_end(&w);
	json_key(&w, "completed_frameworks");
	json_arr_begin(&w);
	for (size_t i = 0; i < m->ncompleted_frameworks; i++)
		master_http_framework_json(&w, m, completed_framework(m, i), 0, tasks);
	json_arr_end(&w);
	json_obj_end(&w);
	http_reply_json(x, 200, &body);
	buf_free(&body);
}

/* What /master/tasks is asked for, and how far it got. */
struct task_query {
	char state[WEB_PARAM_MAX], fw_id[WEB_PARAM_MAX], agent_id[WEB_PARAM_MAX];
	char task_id[WEB_PARAM_MAX], name[WEB_PARAM_MAX];
	long long offset, limit, total;
	struct json_w *w;
	const struct master *m;   /* whose ACLs say which tasks the request may see */
};

static void
query_task(struct task_query *q, const struct master_task *t)
{
	if ((*q->state && strcmp(t->state, q->state) != 0) ||
	    (*q->fw_id && strcmp(t->fw->id, q->fw_id) != 0) ||
	    (*q->agent_id && strcmp(t->agent_id, q->agent_id) != 0) ||
	    (*q->task_id && strcmp(t->id, q->task_id) != 0) ||
	    (*q->name && !strstr(t->name ? t->name : "", q->name) && !strstr(t->id, q->name)) ||
	    !master_auth_http_may_view(q->m, MASTER_ACL_VIEW_TASKS, master_task_user(t)))
		return;
	if (q->total >= q->offset && q->total < q->offset + q->limit)
		master_http_task_json(q->w, t);
	q->total++;
}

static void
query_framework(struct task_query *q, const struct master_framework *fw, int live)
{
	const struct master_task *t;

	if ((*q->fw_id && strcmp(fw->id, q->fw_id) != 0) ||
	    !master_auth_http_may_view(q->m, MASTER_ACL_VIEW_FRAMEWORKS, fw->user))
		return;
	for (size_t it = 0; live && map_next(&fw->tasks, &it, NULL, (void **)&t);)
		query_task(q, t);
	for (size_t i = 0; i < master_task_completed_count(fw); i++)
		query_task(q, master_task_completed_at(fw, i));
}

/*
 * Mesos's /master/tasks (limit, offset) with filters for the page: state,
 * framework_id, agent_id, task_id (exact) and name (a part of the name or
 * ID); live tasks first, then completed ones. "total" counts every match.
 */
static void
serve_tasks(struct http_exchange *x, struct master *m)
{
	struct task_query q;
	struct buf body;
	struct json_w w;
	struct master_framework *fw;

	memset(&q, 0, sizeof(q));
	if (query_number(x, "offset", 0, &q.offset) < 0 ||
	    query_number(x, "limit", WEB_TASKS_LIMIT_DEFAULT, &q.limit) < 0)
		return;
	if (q.limit > WEB_TASKS_LIMIT_MAX)
		q.limit = WEB_TASKS_LIMIT_MAX;
	if (query_text(x, "state", q.state, sizeof(q.state)) < 0 ||
	    query_text(x, "framework_id", q.fw_id, sizeof(q.fw_id)) < 0 ||
	    query_text(x, "agent_id", q.agent_id, sizeof(q.agent_id)) < 0 ||
	    query_text(x, "task_id", q.task_id, sizeof(q.task_id)) < 0 ||
	    query_text(x, "name", q.name, sizeof(q.name)) < 0)
		return;
	buf_init(&body, 0);
	json_w_init(&w, &body);
	q.w = &w;
	q.m = m;
	json_obj_begin(&w);
	json_key(&w, "tasks");
	json_arr_begin(&w);
	for (size_t it = 0; map_next(&m->frameworks, &it, NULL, (void **)&fw);)
		query_framework(&q, fw, 1);
	for (size_t i = 0; i < m->ncompleted_frameworks; i++)
		query_framework(&q, completed_framework(m, i), 0);
	json_arr_end(&w);
	json_kint(&w, "total", q.total);
	json_kint(&w, "offset", q.offset);
	json_kint(&w, "limit", q.limit);
	json_obj_end(&w);
	http_reply_json(x, 200, &body);
	buf_free(&body);
}

/* One listing line, "TYPE SIZE MTIME NAME", as {"name","type","size","mtime"}. */
static void
write_entry(struct json_w *w, const char *line, size_t len)
{
	char num[WEB_NUMBER_MAX];
	const char *p = line + (len > 2 ? 2 : len), *end = line + len, *sp;
	long long size = 0, mtime = 0;

	for (int field = 0; field < 2 && p < end; field++) {
		sp = memchr(p, ' ', (size_t)(end - p));
		size_t n = (size_t)((sp ? sp : end) - p);
		snprintf(num, sizeof(num), "%.*s", (int)(n < sizeof(num) ? n : sizeof(num) - 1), p);
		*(field == 0 ? &size : &mtime) = strtoll(num, NULL, WEB_DEC_BASE);
		p = sp ? sp + 1 : end;
	}
	json_obj_begin(w);
	json_key(w, "name");
	json_strn(w, p, (size_t)(end - p));
	json_key(w, "type");
	json_strn(w, len > 0 ? line : "?", 1);
	json_kint(w, "size", size);
	json_kint(w, "mtime", mtime);
	json_obj_end(w);
}

void
master_web_file_reply(struct http_exchange *x, const char *verb, const struct proto_msg *msg,
                      const char *why)
{
	struct buf body;
	struct json_w w;
	const char *data = "";
	size_t dlen = 0;

	if (!msg || strcmp(verb, "FILE_DATA") != 0) {
		const char *reason = msg ? proto_get(msg, "reason") : why;
		http_reply_error(x, msg ? 404 : 503, reason ? reason : "the agent could not answer");
		return;
	}
	for (size_t i = 0; i < msg->nfields; i++)
		if (strcmp(msg->fields[i].key, "data") == 0) {
			data = msg->fields[i].val;
			dlen = msg->fields[i].vlen;
		}
	buf_init(&body, 0);
	json_w_init(&w, &body);
	json_obj_begin(&w);
	for (size_t i = 0; i < msg->nfields; i++) {
		const char *k = msg->fields[i].key, *v = msg->fields[i].val;
		if (strcmp(k, "offset") == 0 || strcmp(k, "size") == 0 || strcmp(k, "next") == 0)
			json_kint(&w, k, strtoll(v, NULL, WEB_DEC_BASE));
		else if (strcmp(k, "eof") == 0 || strcmp(k, "running") == 0)
			json_kbool(&w, k, strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
	}
	if (proto_get(msg, "next")) {
		const char *end = data + dlen;
		json_key(&w, "entries");
		json_arr_begin(&w);
		while (data < end) {
			const char *nl = memchr(data, '\n', (size_t)(end - data));
			size_t n = nl ? (size_t)(nl - data) : (size_t)(end - data);
			if (n > 0)
				write_entry(&w, data, n);
			data += n + (nl != NULL);
		}
		json_arr_end(&w);
	} else {
		json_key(&w, "data");
		json_strn(&w, data, dlen);
	}
	json_obj_end(&w);
	http_reply_json(x, 200, &body);
	buf_free(&body);
}

int
master_web_handle(struct http_exchange *x, struct master *m)
{
	const char *path = http_path(x), *method = http_method(x);
	int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int files = strcmp(path, "/files/read") == 0 || strcmp(path, "/files/browse") == 0;
	static const struct {
		const char *path;
		void (*fn)(struct http_exchange *x, struct master *m);
	} routes[] = {
		{ "/master/history", serve_history }, { "/master/slaves", serve_slaves },
		{ "/slaves", serve_slaves }, { "/master/frameworks", serve_frameworks },
		{ "/frameworks", serve_frameworks }, { "/master/tasks", serve_tasks },
		{ "/tasks", serve_tasks }, { NULL, NULL },
	};
	size_t route = 0;
	int asset = 0;

	while (routes[route].path && strcmp(routes[route].path, path) != 0)
		route++;
	for (const struct master_web_asset *a = master_web_assets; a->path && !asset; a++)
		asset = strcmp(path, a->path) == 0;
	asset = asset || strcmp(path, "/") == 0;
	if (!files && !routes[route].path && !asset)
		return 0;
	if (!is_get) {
		http_add_header(x, "Allow", "GET, HEAD");
		http_reply_error(x, 405, "only GET is supported here");
	} else if (asset) {
		serve_asset(x, path);
	} else if (routes[route].path) {
		routes[route].fn(x, m);
	} else {
		serve_files(x, m, strcmp(path, "/files/browse") == 0);
	}
	return 1;
}
