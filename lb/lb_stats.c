/*
 * lb_stats.c: owns what mesos-lb says about itself: /_lb/stats (JSON: the
 * Marathon it follows, the connection count, and per service and backend
 * connections open and total, bytes, errors, ejections) and /_lb/health
 * (200 once the table has been read from Marathon, 503 before), on the
 * stats port (marathon-lb's 9090) and on the shared HTTP port.
 */
#include "lb/lb.h"
#include "buf.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "xmem.h"

#include <stdlib.h>
#include <string.h>

#define HTTP_OK 200
#define HTTP_NOT_FOUND 404
#define HTTP_UNAVAILABLE 503

static const char *const balance_names[] = { "roundrobin", "leastconn", "source" };

static void
counters(struct json_w *w, const struct lb_counters *n)
{
	json_kint(w, "open", n->open);
	json_kint(w, "total", n->total);
	json_kint(w, "errors", n->errors);
	json_kint(w, "ejections", n->ejections);
	json_kint(w, "bytes_in", (long long)n->bytes_in);
	json_kint(w, "bytes_out", (long long)n->bytes_out);
}

static const char *
backend_state(const struct lb *lb, const struct lb_backend *b)
{
	if (b->draining)
		return "draining";
	if (!b->running)
		return "down";
	if (!b->healthy)
		return "unhealthy";
	if (b->ejected_until > loop_now(lb->loop))
		return "ejected";
	return "up";
}

static void
backend(struct json_w *w, const struct lb *lb, const struct lb_backend *b)
{
	json_obj_begin(w);
	json_kstr(w, "task", b->task_id);
	json_kstr(w, "host", b->host);
	json_kstr(w, "address", b->addr);
	json_kint(w, "port", b->port);
	json_kstr(w, "state", backend_state(lb, b));
	counters(w, &b->n);
	json_obj_end(w);
}

static void
strings(struct json_w *w, const char *key, char **v, size_t n)
{
	json_key(w, key);
	json_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		json_str(w, v[i]);
	json_arr_end(w);
}

static void
service(struct json_w *w, const struct lb *lb, const struct lb_service *s)
{
	json_obj_begin(w);
	json_kstr(w, "app", s->app_id);
	json_kint(w, "port_index", s->index);
	json_kint(w, "service_port", s->port);
	json_kstr(w, "mode", s->mode == LB_MODE_HTTP ? "http" : "tcp");
	json_kstr(w, "balance", balance_names[s->balance]);
	strings(w, "vhosts", s->vhosts, s->nvhosts);
	strings(w, "paths", s->paths, s->npaths);
	json_kbool(w, "listening", s->listen_fd >= 0);
	json_kint(w, "no_backend", s->no_backend);
	counters(w, &s->n);
	json_key(w, "backends");
	json_arr_begin(w);
	for (size_t i = 0; i < s->nb; i++)
		backend(w, lb, s->b[i]);
	for (size_t i = 0; i < lb->ngone; i++)
		if (lb->gone[i]->svc == s)
			backend(w, lb, lb->gone[i]);
	json_arr_end(w);
	json_obj_end(w);
}

int
lb_stats_render(struct lb *lb, const char *path, struct buf *out)
{
	struct json_w w;

	json_w_init(&w, out);
	if (strcmp(path, "/_lb/health") == 0) {
		json_obj_begin(&w);
		json_kstr(&w, "status", lb->synced ? "ok" : "waiting for Marathon");
		json_kstr(&w, "marathon", lb->follow != NULL ? lb_follow_state(lb->follow) : "none");
		json_obj_end(&w);
		return lb->synced ? HTTP_OK : HTTP_UNAVAILABLE;
	}
	if (strcmp(path, "/_lb/stats") != 0) {
		json_obj_begin(&w);
		json_kstr(&w, "message", "not found: try /_lb/stats or /_lb/health");
		json_obj_end(&w);
		return HTTP_NOT_FOUND;
	}
	size_t n;
	struct lb_service **v = lb_table_sorted(lb, &n);

	json_obj_begin(&w);
	json_key(&w, "marathon");
	json_obj_begin(&w);
	json_kstr(&w, "url", lb->follow != NULL ? lb_follow_url(lb->follow) : "");
	json_kstr(&w, "state", lb->follow != NULL ? lb_follow_state(lb->follow) : "none");
	json_kbool(&w, "synced", lb->synced);
	json_obj_end(&w);
	json_kstr(&w, "mode", lb->cfg.haproxy_config != NULL ? "haproxy" : "proxy");
	json_kint(&w, "uptime_ms", loop_now(lb->loop) - lb->started_ms);
	json_key(&w, "connections");
	json_obj_begin(&w);
	json_kint(&w, "open", lb->open);
	json_kint(&w, "max", lb->cfg.max_connections);
	json_kint(&w, "refused", lb->refused);
	json_obj_end(&w);
	json_key(&w, "services");
	json_arr_begin(&w);
	for (size_t i = 0; i < n; i++)
		service(&w, lb, v[i]);
	json_arr_end(&w);
	json_obj_end(&w);
	free(v);
	return HTTP_OK;
}

static void
handle(struct http_exchange *x, void *arg)
{
	struct lb *lb = arg;
	struct buf b;
	int status;

	buf_init(&b, 0);
	status = lb_stats_render(lb, http_path(x), &b);
	http_reply_json(x, status, &b);
	buf_free(&b);
}

int
lb_stats_listen(struct lb *lb, char *err, size_t errlen)
{
	lb->stats_fd = -1;
	if (lb->cfg.stats_port < 0)
		return 0;
	lb->stats_fd = http_server_listen(lb->loop, lb->cfg.ip, (int)lb->cfg.stats_port, handle, lb,
	    err, errlen);
	if (lb->stats_fd < 0)
		return -1;
	log_info("stats port listening on %s:%d", lb->cfg.ip, net_local_port(lb->stats_fd));
	return 0;
}

void
lb_stats_close(struct lb *lb)
{
	if (lb->stats_fd >= 0)
		http_server_close(lb->loop, lb->stats_fd);
	lb->stats_fd = -1;
}
