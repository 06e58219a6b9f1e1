/*
 * lb_follow.c: owns following Marathon. It opens /v2/events first, so
 * nothing that happens after it reads /v2/apps?embed=apps.tasks is
 * missed; the apps rebuild the table, then each event changes it: status
 * and health events at once (a task being killed stops taking connections
 * the moment Marathon says so), anything else (a deployment, a changed
 * app) by reading the apps again, one read at a time. A lost Marathon
 * leaves the table as it was, serving; the follower tries the next URL of
 * --marathon after a backoff, as marathon-lb cycles its hosts. The apps
 * are read again every LB_RESYNC_MS too: an event lost or a Marathon gone
 * silent costs at most that.
 */
#include "lb/lb.h"
#include "buf.h"
#include "conn.h"
#include "http_async.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LB_USER_AGENT        "mesos-lb"
#define LB_APPS_BODY_MAX     (64u << 20)  /* /v2/apps with every task: 10,000 tasks are ~5 MB */
#define LB_EVENT_MAX         (4u << 20)   /* one event's data (api_post_event holds an app) */
#define LB_EVENT_TYPE_MAX    64
#define LB_BACKOFF_MS        500          /* first delay before reconnecting; doubles */
#define LB_BACKOFF_MAX_MS    30000
#define LB_RESYNC_MS         60000        /* read the apps again at least this often */
#define LB_APPS_TIMEOUT_MS   30000        /* /v2/apps must not go quiet longer */
#define LB_APPS_PATH         "/v2/apps?embed=apps.tasks"
#define LB_EVENTS_PATH       "/v2/events"

enum follow_state { F_CONNECTING, F_CONNECTED, F_BACKOFF };

struct lb_follow {
	struct lb *lb;
	char **urls;                  /* base URLs, no trailing '/' */
	size_t nurls, cur;
	enum follow_state st;
	struct http_async *events;
	struct http_async *apps;
	int events_ok;                /* the stream answered 200 */
	int apps_again;               /* something changed while the apps were read */
	struct buf apps_body;
	struct buf line;              /* the event stream's current line */
	char event_type[LB_EVENT_TYPE_MAX];
	struct buf data;              /* the current event's data */
	struct backoff bo;
	uint64_t retry_timer;
	uint64_t resync_timer;
};

static void connect_events(struct lb_follow *f);
static void read_apps(struct lb_follow *f);

const char *
lb_follow_state(const struct lb_follow *f)
{
	return f->st == F_CONNECTED ? "connected" : f->st == F_CONNECTING ? "connecting" :
	       "backing off";
}

const char *
lb_follow_url(const struct lb_follow *f)
{
	return f->urls[f->cur];
}

static void
on_retry(struct loop *loop, void *arg)
{
	struct lb_follow *f = arg;

	(void)loop;
	f->retry_timer = 0;
	connect_events(f);
}

/* Marathon is lost (why): stop both requests, keep the table, try the next URL later. */
static void
lost(struct lb_follow *f, const char *why)
{
	int64_t delay = backoff_next(&f->bo);

	log_warnx("marathon %s: %s; keeping the last known backends, next try in %lld ms",
	    f->urls[f->cur], why, (long long)delay);
	if (f->events != NULL)
		http_async_cancel(f->events);
	if (f->apps != NULL)
		http_async_cancel(f->apps);
	f->events = f->apps = NULL;
	f->st = F_BACKOFF;
	f->cur = (f->cur + 1) % f->nurls;
	loop_timer_cancel(f->lb->loop, f->retry_timer);
	f->retry_timer = loop_timer_add(f->lb->loop, delay, on_retry, f);
}

/* ---- /v2/apps ---------------------------------------------------------------------- */

/* A request of ours (*slot) answered status instead of 200: Marathon is as good as lost. */
static void
refused(struct lb_follow *f, struct http_async **slot, const char *path, int status)
{
	char why[LB_ERR_MAX];

	snprintf(why, sizeof(why), "GET %s answered %d", path, status);
	http_async_cancel(*slot);
	*slot = NULL;
	lost(f, why);
}

static void
apps_head(struct http_async *a, int status, void *arg)
{
	struct lb_follow *f = arg;

	(void)a;
	if (status != 200)
		refused(f, &f->apps, LB_APPS_PATH, status);
}

static void
apps_body(struct http_async *a, const char *data, size_t len, void *arg)
{
	struct lb_follow *f = arg;
	char why[LB_ERR_MAX];

	if (buf_append(&f->apps_body, data, len) == 0)
		return;
	http_async_cancel(a);
	f->apps = NULL;
	snprintf(why, sizeof(why), "GET %s: more than %u bytes", LB_APPS_PATH, LB_APPS_BODY_MAX);
	lost(f, why);
}

static void
apps_done(struct http_async *a, const char *err, void *arg)
{
	struct lb_follow *f = arg;
	char why[LB_ERR_MAX];
	struct json *j;

	(void)a;
	f->apps = NULL;
	if (err != NULL) {
		snprintf(why, sizeof(why), "GET %s: %s", LB_APPS_PATH, err);
		lost(f, why);
		return;
	}
	j = json_parse(f->apps_body.data != NULL ? f->apps_body.data : "", f->apps_body.len, why,
	    sizeof(why));
	if (j == NULL || lb_table_sync(f->lb, j, why, sizeof(why)) < 0) {
		json_free(j);
		lost(f, why);
		return;
	}
	json_free(j);
	buf_free(&f->apps_body);
	backoff_reset(&f->bo);
	lb_changed(f->lb);
	if (f->apps_again)
		read_apps(f);
}

static const struct http_async_ops apps_ops = { apps_head, apps_body, apps_done };

static void
on_resync(struct loop *loop, void *arg)
{
	struct lb_follow *f = arg;

	(void)loop;
	f->resync_timer = 0;
	if (f->st == F_CONNECTED)
		read_apps(f);
	f->resync_timer = loop_timer_add(f->lb->loop, LB_RESYNC_MS, on_resync, f);
}

/* Read the apps now, or once the read under way ends. */
static void
read_apps(struct lb_follow *f)
{
	char url[LB_ERR_MAX], err[LB_ERR_MAX];

	if (f->apps != NULL) {
		f->apps_again = 1;
		return;
	}
	f->apps_again = 0;
	buf_free(&f->apps_body);
	buf_init(&f->apps_body, LB_APPS_BODY_MAX);
	snprintf(url, sizeof(url), "%s%s", f->urls[f->cur], LB_APPS_PATH);
	f->apps = http_async_get(f->lb->loop, url, LB_USER_AGENT, f->lb->cfg.connect_timeout_ms,
	    LB_APPS_TIMEOUT_MS, &apps_ops, f, err, sizeof(err));
	if (f->apps == NULL)
		lost(f, err);
}

/* ---- /v2/events -------------------------------------------------------------------- */

/* One whole event: its type (from "event:") and its data, JSON. */
static void
dispatch(struct lb_follow *f)
{
	char err[LB_ERR_MAX];
	const char *type;
	struct json *ev;

	if (f->data.len == 0)
		return;
	ev = json_parse(f->data.data, f->data.len, err, sizeof(err));
	if (ev == NULL) {
		log_warnx("marathon %s: an event that is not JSON (%s): reading the apps again",
		    f->urls[f->cur], err);
		read_apps(f);
		return;
	}
	type = json_get_str(ev, "eventType");
	if (type == NULL)
		type = f->event_type;
	log_debug("marathon event %s", type);
	if (strcmp(type, "event_stream_attached") == 0) {
		/* Subscribed: what happens from now on reaches us, so the apps read now are whole. */
		read_apps(f);
	} else if (strcmp(type, "status_update_event") == 0 ||
	           strcmp(type, "health_status_changed_event") == 0) {
		if (lb_table_event(f->lb, type, ev))
			read_apps(f);
		else
			lb_changed(f->lb);
	} else if (strcmp(type, "deployment_info") == 0 || strcmp(type, "deployment_success") == 0 ||
	           strcmp(type, "deployment_failed") == 0 || strcmp(type, "api_post_event") == 0 ||
	           strcmp(type, "app_terminated_event") == 0 ||
	           strcmp(type, "deployment_step_success") == 0) {
		read_apps(f);
	}
	json_free(ev);
}

/* One line of the stream (Server-Sent Events): "event: T", "data: D", or the blank one. */
static void
sse_line(struct lb_follow *f, const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		dispatch(f);
		buf_reset(&f->data);
		f->event_type[0] = '\0';
	} else if (len >= strlen("event:") && strncmp(line, "event:", strlen("event:")) == 0) {
		size_t skip = strlen("event:") + (len > strlen("event:") && line[6] == ' ');

		snprintf(f->event_type, sizeof(f->event_type), "%.*s", (int)(len - skip), line + skip);
	} else if (len >= strlen("data:") && strncmp(line, "data:", strlen("data:")) == 0) {
		size_t skip = strlen("data:") + (len > strlen("data:") && line[5] == ' ');

		if (f->data.len > 0)
			buf_putc(&f->data, '\n');
		if (buf_append(&f->data, line + skip, len - skip) < 0) {
			buf_reset(&f->data);
			log_warnx("marathon %s: an event over %u bytes: reading the apps again",
			    f->urls[f->cur], LB_EVENT_MAX);
			read_apps(f);
		}
	}
}

static void
events_head(struct http_async *a, int status, void *arg)
{
	struct lb_follow *f = arg;

	(void)a;
	if (status != 200) {
		refused(f, &f->events, LB_EVENTS_PATH, status);
		return;
	}
	f->events_ok = 1;
	f->st = F_CONNECTED;
	log_info("marathon %s: following its events", f->urls[f->cur]);
}

static void
events_body(struct http_async *a, const char *data, size_t len, void *arg)
{
	struct lb_follow *f = arg;

	(void)a;
	while (len > 0 && f->events != NULL) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - data) : len;

		if (buf_append(&f->line, data, n) < 0) {
			buf_reset(&f->line);
			log_warnx("marathon %s: an event line over %u bytes: reading the apps again",
			    f->urls[f->cur], LB_EVENT_MAX);
			read_apps(f);
		}
		if (nl == NULL)
			return;
		sse_line(f, f->line.data != NULL ? f->line.data : "", f->line.len);
		buf_reset(&f->line);
		data += n + 1;
		len -= n + 1;
	}
}

static void
events_done(struct http_async *a, const char *err, void *arg)
{
	struct lb_follow *f = arg;
	char why[LB_ERR_MAX];

	(void)a;
	f->events = NULL;
	snprintf(why, sizeof(why), "its event stream ended: %s", err != NULL ? err : "closed");
	lost(f, why);
}

static const struct http_async_ops events_ops = { events_head, events_body, events_done };

static void
connect_events(struct lb_follow *f)
{
	char url[LB_ERR_MAX], err[LB_ERR_MAX];

	f->st = F_CONNECTING;
	f->events_ok = 0;
	buf_reset(&f->line);
	buf_reset(&f->data);
	f->event_type[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", f->urls[f->cur], LB_EVENTS_PATH);
	f->events = http_async_get(f->lb->loop, url, LB_USER_AGENT, f->lb->cfg.connect_timeout_ms, 0,
	    &events_ops, f, err, sizeof(err));
	if (f->events == NULL)
		lost(f, err);
}

struct lb_follow *
lb_follow_start(struct lb *lb, char *err, size_t errlen)
{
	struct lb_follow *f = xcalloc(1, sizeof(*f));

	f->lb = lb;
	for (const char *p = lb->cfg.marathon; *p != '\0';) {
		size_t len = strcspn(p, ",");
		char *u = xstrndup(p, len);
		size_t n = strlen(u);

		while (n > 0 && u[n - 1] == '/')
			u[--n] = '\0';
		if (strncmp(u, "http://", strlen("http://")) != 0 || n <= strlen("http://")) {
			log_fail(err, errlen, "bad --marathon URL '%s': expected http://HOST:PORT", u);
			free(u);
			lb_follow_stop(f);
			return NULL;
		}
		f->urls = xreallocarray(f->urls, f->nurls + 1, sizeof(*f->urls));
		f->urls[f->nurls++] = u;
		p += len;
		p += strspn(p, ",");
	}
	if (f->nurls == 0) {
		log_fail(err, errlen, "--marathon names no URL");
		lb_follow_stop(f);
		return NULL;
	}
	buf_init(&f->line, LB_EVENT_MAX);
	buf_init(&f->data, LB_EVENT_MAX);
	buf_init(&f->apps_body, LB_APPS_BODY_MAX);
	backoff_init(&f->bo, LB_BACKOFF_MS, LB_BACKOFF_MAX_MS);
	f->resync_timer = loop_timer_add(lb->loop, LB_RESYNC_MS, on_resync, f);
	connect_events(f);
	return f;
}

void
lb_follow_stop(struct lb_follow *f)
{
	if (f == NULL)
		return;
	if (f->events != NULL)
		http_async_cancel(f->events);
	if (f->apps != NULL)
		http_async_cancel(f->apps);
	if (f->lb != NULL) {
		loop_timer_cancel(f->lb->loop, f->retry_timer);
		loop_timer_cancel(f->lb->loop, f->resync_timer);
	}
	for (size_t i = 0; i < f->nurls; i++)
		free(f->urls[i]);
	free(f->urls);
	buf_free(&f->line);
	buf_free(&f->data);
	buf_free(&f->apps_body);
	free(f);
}
