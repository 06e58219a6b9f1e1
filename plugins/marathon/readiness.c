/*
 * readiness.c: Marathon's readinessChecks (its documentation's "Readiness
 * Checks"): the field (at most one check, HTTP only: HTTPS needs TLS),
 * and its runs. A task that starts running while its app is being
 * deployed is not ready until a GET of the check's path on the host port
 * named portName answers one of httpStatusCodesForReady; until then it
 * does not count for the deployment (app_task_healthy), so a rolling
 * restart kills no old task for it and the deployment does not end. Once
 * ready, a task is not checked again; outside deployments nothing is
 * checked, as in Marathon.
 *
 * The plugin runs the checks itself, as its HTTP health checks: the
 * deployment they gate is the plugin's, and the agent would only have to
 * send the answer back. Each is a non-blocking GET (lib/http_async.c) on
 * the host's loop, bounded by timeoutSeconds, the next one
 * intervalSeconds after the last began.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "http_async.h"
#include "json.h"
#include "xmem.h"

#define READY_NAME_DEFAULT   "readinessCheck"
#define READY_PORT_DEFAULT   "http-api"
#define READY_INTERVAL_S     30.0       /* Marathon's defaults */
#define READY_TIMEOUT_S      10.0
#define READY_STATUS_DEFAULT 200
#define READY_STATUS_MIN     100
#define READY_STATUS_MAX     599
#define READY_BODY_MAX       4096       /* bytes of a response kept for lastResponse */
#define READY_URL_MAX        (MT_HOST_MAX + 2 * MT_NAME_MAX + 1024)
#define READY_PATH_MAX       96         /* "/readinessChecks(0)/httpStatusCodesForReady" */

/* A task's run of its app's readiness check, and what the last one answered. */
struct mt_ready {
	struct mt *m;
	struct mt_task *t;
	struct http_async *req;         /* the GET in flight, NULL between checks */
	uint64_t timer;                 /* the next check, or the running one's timeout */
	int status;                     /* the last answer's status, 0 = none yet */
	char *body;                     /* its body, kept with preserveLastResponse */
	size_t bodylen;
	char cause[MT_CAUSE_MAX];       /* why the last check had no answer, "" = it had */
};

static const char *
rpath(char *out, const char *field)
{
	snprintf(out, READY_PATH_MAX, "/readinessChecks(0)%s", field);
	return out;
}

static void
get_str(const struct json *c, const char *key, const char *def, char *out, size_t len,
        struct pc_json_errs *v)
{
	const struct json *x = json_get(c, key);
	char p[READY_PATH_MAX], field[MT_NAME_MAX];

	snprintf(out, len, "%s", def);
	snprintf(field, sizeof(field), "/%s", key);
	if (x == NULL || x->type == JSON_NULL)
		return;
	if (x->type != JSON_STRING)
		pc_json_type(v, rpath(p, field), "jsstring");
	else if (strlen(x->string) >= len)
		pc_json_err(v, rpath(p, field), "is too long");
	else
		snprintf(out, len, "%s", x->string);
}

void
readiness_parse(const struct json *j, struct mt_app *a, struct pc_json_errs *v)
{
	const struct json *rcs = json_get(j, "readinessChecks"), *c, *x;
	struct mt_readiness *r;
	char p[READY_PATH_MAX], path[MT_CAUSE_MAX];

	if (rcs == NULL || rcs->type == JSON_NULL)
		return;
	if (rcs->type != JSON_ARRAY) {
		pc_json_type(v, "/readinessChecks", "jsarray");
		return;
	}
	if (rcs->n == 0)
		return;
	if (rcs->n > 1) {
		pc_json_err(v, "/readinessChecks", "must have at most one readiness check");
		return;
	}
	c = rcs->items[0];
	if (c->type != JSON_OBJECT) {
		pc_json_type(v, "/readinessChecks(0)", "jsobject");
		return;
	}
	r = a->readiness = xcalloc(1, sizeof(*r));
	a->nreadiness = 1;
	get_str(c, "name", READY_NAME_DEFAULT, r->name, sizeof(r->name), v);
	get_str(c, "portName", READY_PORT_DEFAULT, r->port_name, sizeof(r->port_name), v);
	get_str(c, "path", "/", path, sizeof(path), v);
	r->path = xstrdup(path);
	if (r->path[0] != '/')
		pc_json_err(v, rpath(p, "/path"), "must start with /");
	x = json_get(c, "protocol");
	if (x != NULL && x->type == JSON_STRING && strcmp(x->string, "HTTPS") == 0)
		pc_json_err(v, rpath(p, "/protocol"), "HTTPS readiness checks need TLS: not supported "
		            "by this Marathon (use HTTP)");
	else if (x != NULL && x->type != JSON_NULL &&
	         (x->type != JSON_STRING || strcmp(x->string, "HTTP") != 0))
		pc_json_err(v, rpath(p, "/protocol"), "must be HTTP or HTTPS");
	pc_json_number(v, json_get(c, "intervalSeconds"), rpath(p, "/intervalSeconds"),
	               READY_INTERVAL_S, &r->interval_s);
	pc_json_number(v, json_get(c, "timeoutSeconds"), rpath(p, "/timeoutSeconds"),
	               READY_TIMEOUT_S, &r->timeout_s);
	if (r->interval_s <= 0)
		pc_json_err(v, rpath(p, "/intervalSeconds"), "must be positive");
	if (r->timeout_s <= 0 || r->timeout_s >= r->interval_s)
		pc_json_err(v, rpath(p, "/timeoutSeconds"), "must be positive and less than "
		            "intervalSeconds");
	x = json_get(c, "preserveLastResponse");
	if (x != NULL && x->type == JSON_BOOL)
		r->preserve = x->boolean;
	else if (x != NULL && x->type != JSON_NULL)
		pc_json_type(v, rpath(p, "/preserveLastResponse"), "jsboolean");
	x = json_get(c, "httpStatusCodesForReady");
	if (x == NULL || x->type == JSON_NULL) {
		r->codes[r->ncodes++] = READY_STATUS_DEFAULT;
	} else if (x->type != JSON_ARRAY || x->n == 0 || x->n > MT_READY_CODES_MAX) {
		pc_json_err(v, rpath(p, "/httpStatusCodesForReady"), "must be a non-empty array of "
		            "HTTP status codes");
	} else {
		for (size_t i = 0; i < x->n; i++) {
			long long code = 0;
			if (pc_json_int(v, x->items[i], rpath(p, "/httpStatusCodesForReady"), 0,
			                &code) == 0 && (code < READY_STATUS_MIN || code > READY_STATUS_MAX))
				pc_json_err(v, rpath(p, "/httpStatusCodesForReady"),
				            "must hold HTTP status codes (100 to 599)");
			r->codes[r->ncodes++] = (int)code;
		}
	}
	for (size_t i = 0; i < a->nports; i++)
		if (strcmp(a->ports[i].name, r->port_name) == 0)
			return;
	pc_json_err(v, rpath(p, "/portName"), "must name one of the app's portDefinitions");
}

void
readiness_write(struct json_w *w, const struct mt_app *a)
{
	json_key(w, "readinessChecks");
	json_arr_begin(w);
	for (size_t i = 0; i < a->nreadiness; i++) {
		const struct mt_readiness *r = &a->readiness[i];

		json_obj_begin(w);
		json_kstr(w, "name", r->name);
		json_kstr(w, "protocol", "HTTP");
		json_kstr(w, "path", r->path);
		json_kstr(w, "portName", r->port_name);
		pc_json_knum(w, "intervalSeconds", r->interval_s);
		pc_json_knum(w, "timeoutSeconds", r->timeout_s);
		json_key(w, "httpStatusCodesForReady");
		json_arr_begin(w);
		for (size_t k = 0; k < r->ncodes; k++)
			json_int(w, r->codes[k]);
		json_arr_end(w);
		json_kbool(w, "preserveLastResponse", r->preserve);
		json_obj_end(w);
	}
	json_arr_end(w);
}

int
readiness_differ(const struct mt_app *a, const struct mt_app *b)
{
	if (a->nreadiness != b->nreadiness)
		return 1;
	for (size_t i = 0; i < a->nreadiness; i++) {
		const struct mt_readiness *x = &a->readiness[i], *y = &b->readiness[i];

		if (strcmp(x->name, y->name) != 0 || strcmp(x->path, y->path) != 0 ||
		    strcmp(x->port_name, y->port_name) != 0 || x->interval_s != y->interval_s ||
		    x->timeout_s != y->timeout_s || x->preserve != y->preserve ||
		    x->ncodes != y->ncodes || memcmp(x->codes, y->codes, x->ncodes * sizeof(int)) != 0)
			return 1;
	}
	return 0;
}

void
readiness_free(struct mt_app *a)
{
	for (size_t i = 0; i < a->nreadiness; i++)
		free(a->readiness[i].path);
	free(a->readiness);
	a->readiness = NULL;
	a->nreadiness = 0;
}

/* ---- runs ---------------------------------------------------------------------- */

static void check_start(struct framework_driver *d, void *arg);

static int64_t
ms_of(double seconds)
{
	return (int64_t)(seconds * MT_MS_PER_S);
}

/* The check t's app has now, NULL once it has none (or t's app is gone). */
static const struct mt_readiness *
check_of(const struct mt_task *t)
{
	return t->app != NULL && t->app->nreadiness > 0 ? &t->app->readiness[0] : NULL;
}

static void
cancel_request(struct mt_ready *r)
{
	if (r->req != NULL)
		http_async_cancel(r->req);
	r->req = NULL;
	if (r->timer != 0)
		r->m->d->timer_cancel(r->m->d, r->timer);
	r->timer = 0;
}

void
readiness_task_free(struct mt_task *t)
{
	if (t->rs == NULL)
		return;
	cancel_request(t->rs);
	free(t->rs->body);
	free(t->rs);
	t->rs = NULL;
}

void
readiness_stop(struct mt_task *t)
{
	if (t->rs != NULL)
		cancel_request(t->rs);
}

void
readiness_task_running(struct mt *m, struct mt_task *t)
{
	struct mt_app *a = t->app;

	if (t->ready == MT_READY_NOT_YET && t->rs != NULL && (t->rs->req != NULL || t->rs->timer != 0))
		return;    /* already being checked */
	if (a == NULL || a->nreadiness == 0 || a->dep == NULL || t->killing ||
	    strcmp(t->state, "TASK_RUNNING") != 0) {
		if (t->ready == MT_READY_UNKNOWN)
			t->ready = MT_READY_YES;
		return;
	}
	if (t->ready == MT_READY_YES)
		return;
	t->ready = MT_READY_NOT_YET;
	if (t->rs == NULL) {
		t->rs = xcalloc(1, sizeof(*t->rs));
		t->rs->m = m;
		t->rs->t = t;
	}
	/* The first check at once: a task ready from the start holds nothing up. */
	t->rs->timer = m->d->timer_add(m->d, 0, check_start, t->rs);
}

/* t is ready (or its deployment is over): stop checking, and let the deployment move on. */
static void
became_ready(struct mt_ready *r, int ready)
{
	struct mt *m = r->m;
	struct mt_task *t = r->t;

	cancel_request(r);
	t->ready = MT_READY_YES;
	if (ready)
		m->d->log(m->d, FRAMEWORK_LOG_INFO, "%s is ready", t->id);
	if (t->app != NULL) {
		queue_converge(m, t->app);
		groups_wake(m);
	}
}

/* One check is over: ready, or the next one in intervalSeconds. */
static void
check_done(struct mt_ready *r, const char *cause)
{
	const struct mt_readiness *c = check_of(r->t);
	struct mt *m = r->m;

	r->req = NULL;
	if (r->timer != 0)
		m->d->timer_cancel(m->d, r->timer);
	r->timer = 0;
	snprintf(r->cause, sizeof(r->cause), "%s", cause != NULL ? cause : "");
	if (c == NULL || r->t->app->dep == NULL) {
		became_ready(r, 0);
		return;
	}
	for (size_t i = 0; cause == NULL && i < c->ncodes; i++)
		if (r->status == c->codes[i]) {
			became_ready(r, 1);
			return;
		}
	r->timer = m->d->timer_add(m->d, ms_of(c->interval_s), check_start, r);
}

static void
on_head(struct http_async *req, int status, void *arg)
{
	struct mt_ready *r = arg;

	(void)req;
	r->status = status;
	r->bodylen = 0;
}

static void
on_body(struct http_async *req, const char *data, size_t len, void *arg)
{
	struct mt_ready *r = arg;
	size_t room;

	(void)req;
	if (r->body == NULL)
		r->body = xmalloc(READY_BODY_MAX + 1);
	room = READY_BODY_MAX - r->bodylen;
	if (len > room)
		len = room;
	memcpy(r->body + r->bodylen, data, len);
	r->bodylen += len;
	r->body[r->bodylen] = '\0';
}

static void
on_done(struct http_async *req, const char *err, void *arg)
{
	struct mt_ready *r = arg;

	(void)req;
	/* A status already read decides, even if the body broke off after it. */
	check_done(r, r->status != 0 ? NULL : err != NULL ? err : "no answer");
}

static void
timed_out(struct framework_driver *d, void *arg)
{
	struct mt_ready *r = arg;
	char cause[MT_CAUSE_MAX];

	(void)d;
	r->timer = 0;
	if (r->req != NULL)
		http_async_cancel(r->req);
	r->req = NULL;
	r->status = 0;
	snprintf(cause, sizeof(cause), "no answer within %gs",
	         check_of(r->t) != NULL ? check_of(r->t)->timeout_s : 0.0);
	check_done(r, cause);
}

static const struct http_async_ops ready_ops = { on_head, on_body, on_done };

static void
check_start(struct framework_driver *d, void *arg)
{
	struct mt_ready *r = arg;
	struct mt_task *t = r->t;
	const struct mt_readiness *c = check_of(t);
	char url[READY_URL_MAX], err[MT_CAUSE_MAX];
	const char *addr;
	int port = 0;

	r->timer = 0;
	if (c == NULL || t->app->dep == NULL || t->killing) {
		became_ready(r, 0);
		return;
	}
	for (size_t i = 0; i < t->app->nports && i < t->nports; i++)
		if (strcmp(t->app->ports[i].name, c->port_name) == 0)
			port = t->ports[i];
	r->status = 0;
	if (port <= 0) {
		check_done(r, "the task has no port named portName");
		return;
	}
	if ((addr = health_address(r->m, t->host, err, sizeof(err))) == NULL) {
		check_done(r, err);
		return;
	}
	snprintf(url, sizeof(url), strchr(addr, ':') != NULL ? "http://[%s]:%d%s" : "http://%s:%d%s",
	         addr, port, c->path);
	r->req = http_async_get(r->m->loop, url, "marathon", ms_of(c->timeout_s), ms_of(c->timeout_s),
	                        &ready_ops, r, err, sizeof(err));
	if (r->req == NULL) {
		check_done(r, err);
		return;
	}
	r->timer = d->timer_add(d, ms_of(c->timeout_s), timed_out, r);
}

void
readiness_write_results(struct json_w *w, const struct mt_app *a)
{
	const struct mt_readiness *c = a->nreadiness > 0 ? &a->readiness[0] : NULL;

	json_key(w, "readinessCheckResults");
	json_arr_begin(w);
	for (const struct mt_task *t = a->tasks; c != NULL && t != NULL; t = t->next) {
		const struct mt_ready *r = t->rs;

		if (r == NULL || t->killing)
			continue;
		json_obj_begin(w);
		json_kstr(w, "name", c->name);
		json_kstr(w, "taskId", t->id);
		json_kbool(w, "ready", t->ready == MT_READY_YES);
		json_key(w, "lastResponse");
		if (r->status == 0) {
			json_null(w);
		} else {
			json_obj_begin(w);
			json_kint(w, "status", r->status);
			json_kstr(w, "contentType", "");
			json_key(w, "body");
			if (c->preserve && r->body != NULL)
				json_strn(w, r->body, r->bodylen);
			else
				json_str(w, "");
			json_obj_end(w);
		}
		json_obj_end(w);
	}
	json_arr_end(w);
}
