/*
 * lb_table.c: owns the backend table. A service is one service port of
 * one app (marathon-lb's frontend), its backends the app's tasks on the
 * matching host port. The table is rebuilt from /v2/apps?embed=apps.tasks
 * (what stays keeps its counters and connections), changed at once by
 * status and health events, and drains what goes: a backend being killed
 * or gone takes no new connection, and its open ones end by themselves or
 * at --drain_timeout. Which tasks serve follows marathon-lb: running (or
 * lost and unreachable: maybe still running), and where the app has health
 * checks, one of them alive.
 */
#include "lb/lb.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "xmem.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LABEL_KEY_MAX 64          /* "HAPROXY_63_BIND_ADDR" */
#define KEY_MAX (LB_HOST_MAX + 16)
#define PORT_INDEX_MAX 64         /* port definitions of one app, as Marathon's plugin caps them */
#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

/* States marathon-lb sends traffic to: running, or maybe running while out of reach. */
static const char *const serving_states[] = { "TASK_RUNNING", "TASK_LOST", "TASK_UNREACHABLE" };

static int
serving(const char *state)
{
	for (size_t i = 0; i < sizeof(serving_states) / sizeof(serving_states[0]); i++)
		if (strcmp(state, serving_states[i]) == 0)
			return 1;
	return 0;
}

void
lb_table_init(struct lb *lb)
{
	map_init(&lb->services);
	map_init(&lb->resolved);
	lb_link_init(&lb->conns);
}

static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
backend_free(struct lb_backend *b)
{
	free(b->task_id);
	free(b->host);
	free(b);
}

static void
service_free(struct lb_service *s)
{
	for (size_t i = 0; i < s->nb; i++)
		backend_free(s->b[i]);
	free(s->b);
	free_list(s->vhosts, s->nvhosts);
	free_list(s->paths, s->npaths);
	free(s->key);
	free(s->app_id);
	free(s->bind_addr);
	free(s->listen_addr);
	free(s);
}

void
lb_table_free(struct lb *lb)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&lb->services, &i, &k, &v);)
		service_free(v);
	map_free(&lb->services);
	for (size_t i = 0; map_next(&lb->resolved, &i, &k, &v);)
		free(v);
	map_free(&lb->resolved);
	for (size_t i = 0; i < lb->ngone; i++)
		backend_free(lb->gone[i]);
	free(lb->gone);
	for (size_t i = 0; i < lb->ngone_svcs; i++)
		service_free(lb->gone_svcs[i]);
	free(lb->gone_svcs);
	loop_timer_cancel(lb->loop, lb->drain_timer);
}

int
lb_table_usable(const struct lb_backend *b)
{
	return b->running && b->healthy && !b->draining;
}

/* ---- draining ------------------------------------------------------------------ */

static void arm_drain_timer(struct lb *lb);

static void
on_drain_timer(struct loop *loop, void *arg)
{
	struct lb *lb = arg;
	int64_t now = loop_now(loop);

	lb->drain_timer = 0;
	for (size_t i = 0; i < lb->ngone; i++) {
		struct lb_backend *b = lb->gone[i];

		if (b->drain_deadline > now)
			continue;
		/* kill() detaches: the list shrinks under us, and b may go with its last one. */
		while (b->conns.next != &b->conns) {
			struct lb_link *l = b->conns.next;
			int last = b->n.open == 1;

			l->kill(l->owner, "drain timeout");
			if (last)
				break;
		}
	}
	arm_drain_timer(lb);
}

static void
arm_drain_timer(struct lb *lb)
{
	int64_t first = INT64_MAX;

	for (size_t i = 0; i < lb->ngone; i++)
		if (lb->gone[i]->drain_deadline < first)
			first = lb->gone[i]->drain_deadline;
	loop_timer_cancel(lb->loop, lb->drain_timer);
	lb->drain_timer = 0;
	if (first != INT64_MAX)
		lb->drain_timer = loop_timer_add(lb->loop, first - loop_now(lb->loop) + 1,
		    on_drain_timer, lb);
}

/* Take b out of its service: freed now if idle, else kept until its last connection ends. */
static void
drain(struct lb *lb, struct lb_service *s, size_t i, const char *why)
{
	struct lb_backend *b = s->b[i];

	memmove(&s->b[i], &s->b[i + 1], (s->nb - i - 1) * sizeof(*s->b));
	s->nb--;
	log_info("%s: backend %s:%d (%s) %s%s", s->key, b->addr, b->port, b->task_id, why,
	    b->n.open > 0 ? ", draining its connections" : "");
	if (b->n.open == 0) {
		backend_free(b);
		return;
	}
	b->draining = 1;
	b->drain_deadline = loop_now(lb->loop) + lb->cfg.drain_timeout_ms;
	lb->gone = xreallocarray(lb->gone, lb->ngone + 1, sizeof(*lb->gone));
	lb->gone[lb->ngone++] = b;
	arm_drain_timer(lb);
}

static void
remove_service(struct lb *lb, struct lb_service *s)
{
	while (s->nb > 0)
		drain(lb, s, 0, "removed with its service");
	lb_tcp_unlisten(lb, s);
	map_del(&lb->services, s->key);
	log_info("%s: service port %d removed", s->key, s->port);
	if (s->n.open == 0) {
		service_free(s);
		return;
	}
	s->removed = 1;
	lb->gone_svcs = xreallocarray(lb->gone_svcs, lb->ngone_svcs + 1, sizeof(*lb->gone_svcs));
	lb->gone_svcs[lb->ngone_svcs++] = s;
}

void
lb_table_hold(struct lb *lb, struct lb_service *s)
{
	(void)lb;
	s->n.open++;
	s->n.total++;
}

void
lb_table_release(struct lb *lb, struct lb_service *s)
{
	s->n.open--;
	if (!s->removed || s->n.open > 0)
		return;
	for (size_t i = 0; i < lb->ngone_svcs; i++)
		if (lb->gone_svcs[i] == s) {
			lb->gone_svcs[i] = lb->gone_svcs[--lb->ngone_svcs];
			break;
		}
	service_free(s);
}

void
lb_link_init(struct lb_link *head)
{
	head->next = head->prev = head;
}

void
lb_link_insert(struct lb_link *head, struct lb_link *l)
{
	l->next = head->next;
	l->prev = head;
	head->next->prev = l;
	head->next = l;
}

void
lb_link_remove(struct lb_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->next = l->prev = NULL;
}

void
lb_table_attach(struct lb *lb, struct lb_backend *b, struct lb_link *l)
{
	(void)lb;
	lb_link_insert(&b->conns, l);
	b->n.open++;
	b->n.total++;
}

void
lb_table_detach(struct lb *lb, struct lb_backend *b, struct lb_link *l)
{
	lb_link_remove(l);
	b->n.open--;
	if (!b->draining || b->n.open > 0)
		return;
	for (size_t i = 0; i < lb->ngone; i++)
		if (lb->gone[i] == b) {
			lb->gone[i] = lb->gone[--lb->ngone];
			break;
		}
	backend_free(b);
	arm_drain_timer(lb);
}

/* ---- reading Marathon's apps ------------------------------------------------------- */

/* host as a numeric address, looked up once (a name the resolver answers locally, or one). */
static const char *
resolve(struct lb *lb, const char *host)
{
	struct addrinfo hints, *res = NULL;
	char addr[LB_HOST_MAX];
	const char *known = map_get(&lb->resolved, host);

	if (known != NULL)
		return known;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL ||
	    getnameinfo(res->ai_addr, res->ai_addrlen, addr, sizeof(addr), NULL, 0,
	        NI_NUMERICHOST) != 0) {
		if (res != NULL)
			freeaddrinfo(res);
		return NULL;
	}
	freeaddrinfo(res);
	map_put(&lb->resolved, host, xstrdup(addr));
	return map_get(&lb->resolved, host);
}

static const char *
label(const struct json *labels, int index, const char *name)
{
	char key[LABEL_KEY_MAX];

	if (index >= 0)
		snprintf(key, sizeof(key), "HAPROXY_%d_%s", index, name);
	else
		snprintf(key, sizeof(key), "HAPROXY_%s", name);
	return json_get_str(labels, key);
}

/* Is tok one of the items of list (split by any of seps)? */
static int
list_has(const char *list, const char *seps, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, seps);

		if (len == n && strncmp(p, tok, n) == 0)
			return 1;
		p += len;
		p += strspn(p, seps);
	}
	return 0;
}

/* marathon-lb's --group: * takes every app, else the app's HAPROXY_GROUP must name one. */
static int
in_group(const struct lb *lb, const struct json *labels)
{
	const char *g = label(labels, -1, "GROUP");
	const char *want = lb->cfg.group;

	if (strcmp(want, "*") == 0 || list_has(want, ",", "*"))
		return 1;
	if (g == NULL)
		return 0;
	for (const char *p = want; *p != '\0';) {
		size_t len = strcspn(p, ",");
		char one[LB_HOST_MAX];

		if (len > 0 && len < sizeof(one)) {
			memcpy(one, p, len);
			one[len] = '\0';
			if (list_has(g, ",", one))
				return 1;
		}
		p += len;
		p += strspn(p, ",");
	}
	return 0;
}

/* Split s by seps into a new list, lower-cased when lower. */
static char **
split(const char *s, const char *seps, int lower, size_t *n)
{
	char **v = NULL;

	*n = 0;
	for (const char *p = s + strspn(s, seps); *p != '\0';) {
		size_t len = strcspn(p, seps);
		char *item = xstrndup(p, len);

		if (lower)
			for (char *c = item; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = item;
		p += len;
		p += strspn(p, seps);
	}
	return v;
}

static void
configure(struct lb *lb, struct lb_service *s, const struct json *labels, int port)
{
	const char *v;

	s->port = port;
	free(s->bind_addr);
	v = label(labels, s->index, "BIND_ADDR");
	s->bind_addr = xstrdup(v != NULL ? v : lb->cfg.ip);
	v = label(labels, s->index, "MODE");
	s->mode = v != NULL && strcasecmp(v, "http") == 0 ? LB_MODE_HTTP : LB_MODE_TCP;
	v = label(labels, s->index, "BALANCE");
	s->balance = v == NULL ? LB_BALANCE_ROUNDROBIN :
	             strcasecmp(v, "leastconn") == 0 ? LB_BALANCE_LEASTCONN :
	             strcasecmp(v, "source") == 0 ? LB_BALANCE_SOURCE : LB_BALANCE_ROUNDROBIN;
	if (v != NULL && s->balance == LB_BALANCE_ROUNDROBIN && strcasecmp(v, "roundrobin") != 0)
		log_warnx("%s: balance '%s' is not roundrobin, leastconn or source: roundrobin",
		    s->key, v);
	free_list(s->vhosts, s->nvhosts);
	free_list(s->paths, s->npaths);
	v = label(labels, s->index, "VHOST");
	s->vhosts = split(v != NULL ? v : "", ", ", 1, &s->nvhosts);
	/* HAProxy's path_beg list: space-separated; its flags ("-i") are not paths. */
	v = label(labels, s->index, "PATH");
	s->paths = split(v != NULL ? v : "", " ", 0, &s->npaths);
	for (size_t i = 0; i < s->npaths;) {
		if (s->paths[i][0] == '/') {
			i++;
			continue;
		}
		free(s->paths[i]);
		s->paths[i] = s->paths[--s->npaths];
	}
}

static struct lb_backend *
find_backend(const struct lb_service *s, const char *task_id, size_t *at)
{
	for (size_t i = 0; i < s->nb; i++)
		if (strcmp(s->b[i]->task_id, task_id) == 0) {
			if (at != NULL)
				*at = i;
			return s->b[i];
		}
	return NULL;
}

static struct lb_backend *
add_backend(struct lb *lb, struct lb_service *s, const char *task_id, const char *host, int port)
{
	const char *addr = resolve(lb, host);
	struct lb_backend *b;

	if (addr == NULL) {
		log_warnx("%s: task %s: cannot resolve host '%s'", s->key, task_id, host);
		return NULL;
	}
	b = xcalloc(1, sizeof(*b));
	b->svc = s;
	b->task_id = xstrdup(task_id);
	b->host = xstrdup(host);
	xstrlcpy(b->addr, addr, sizeof(b->addr));
	b->port = port;
	lb_link_init(&b->conns);
	s->b = xreallocarray(s->b, s->nb + 1, sizeof(*s->b));
	s->b[s->nb++] = b;
	log_info("%s: backend %s:%d (%s) added", s->key, b->addr, b->port, task_id);
	return b;
}

/* Any health check result alive, as marathon-lb reads healthCheckResults. */
static int
task_alive(const struct json *task)
{
	const struct json *r = json_get(task, "healthCheckResults");

	for (size_t i = 0; r != NULL && r->type == JSON_ARRAY && i < r->n; i++) {
		const struct json *alive = json_get(r->items[i], "alive");

		if (alive != NULL && alive->type == JSON_BOOL && alive->boolean)
			return 1;
	}
	return 0;
}

static int
port_at(const struct json *ports, size_t i)
{
	long long p;

	if (ports == NULL || ports->type != JSON_ARRAY || i >= ports->n ||
	    json_as_int(ports->items[i], &p) < 0 || p <= 0 || p > LB_PORT_MAX)
		return 0;
	return (int)p;
}

static void
sync_tasks(struct lb *lb, struct lb_service *s, const struct json *tasks)
{
	for (size_t i = 0; tasks != NULL && tasks->type == JSON_ARRAY && i < tasks->n; i++) {
		const struct json *t = tasks->items[i];
		const char *id = json_get_str(t, "id"), *host = json_get_str(t, "host");
		const char *state = json_get_str(t, "state");
		int port = port_at(json_get(t, "ports"), (size_t)s->index);
		struct lb_backend *b;
		size_t at;

		if (id == NULL || host == NULL || *host == '\0' || port == 0)
			continue;
		b = find_backend(s, id, &at);
		if (state != NULL && !serving(state)) {
			if (b != NULL)
				drain(lb, s, at, state);
			continue;
		}
		if (b == NULL && (b = add_backend(lb, s, id, host, port)) == NULL)
			continue;
		b->seen = 1;
		b->running = 1;
		b->healthy = !s->has_health || task_alive(t);
	}
}

static void
sync_app(struct lb *lb, const struct json *app)
{
	const char *id = json_get_str(app, "id");
	const struct json *labels = json_get(app, "labels");
	const struct json *pds = json_get(app, "portDefinitions");
	const struct json *hcs = json_get(app, "healthChecks");

	if (id == NULL || !in_group(lb, labels) || pds == NULL || pds->type != JSON_ARRAY)
		return;
	for (size_t n = 0; n < pds->n && n < PORT_INDEX_MAX; n++) {
		char key[KEY_MAX];
		const char *enabled, *over;
		struct lb_service *s;
		long long port = 0;

		json_as_int(json_get(pds->items[n], "port"), &port);
		over = label(labels, (int)n, "PORT");
		if (over != NULL)
			port = atoll(over);
		enabled = label(labels, (int)n, "ENABLED");
		if (port <= 0 || port > LB_PORT_MAX || (enabled != NULL && strcmp(enabled, "false") == 0))
			continue;
		snprintf(key, sizeof(key), "%s:%zu", id, n);
		s = map_get(&lb->services, key);
		if (s == NULL) {
			s = xcalloc(1, sizeof(*s));
			s->lb = lb;
			s->key = xstrdup(key);
			s->app_id = xstrdup(id);
			s->index = (int)n;
			s->listen_fd = -1;
			map_put(&lb->services, key, s);
			log_info("%s: service port %lld", key, port);
		}
		s->seen = 1;
		s->has_health = hcs != NULL && hcs->type == JSON_ARRAY && hcs->n > 0;
		configure(lb, s, labels, (int)port);
		sync_tasks(lb, s, json_get(app, "tasks"));
	}
}

int
lb_table_sync(struct lb *lb, const struct json *apps, char *err, size_t errlen)
{
	const struct json *list = json_get(apps, "apps");
	const char *k;
	void *v;

	if (list == NULL || list->type != JSON_ARRAY)
		return log_fail(err, errlen, "no \"apps\" array in Marathon's answer");
	for (size_t i = 0; map_next(&lb->services, &i, &k, &v);) {
		struct lb_service *s = v;

		s->seen = 0;
		for (size_t j = 0; j < s->nb; j++)
			s->b[j]->seen = 0;
	}
	for (size_t i = 0; i < list->n; i++)
		sync_app(lb, list->items[i]);
	for (size_t i = 0; map_next(&lb->services, &i, &k, &v);) {
		struct lb_service *s = v;

		if (!s->seen) {
			remove_service(lb, s);
			continue;
		}
		for (size_t j = 0; j < s->nb;) {
			if (s->b[j]->seen)
				j++;
			else
				drain(lb, s, j, "gone from Marathon");
		}
	}
	lb->synced = 1;
	return 0;
}

/* ---- events ------------------------------------------------------------------------ */

int
lb_table_event(struct lb *lb, const char *type, const struct json *ev)
{
	const char *app = json_get_str(ev, "appId"), *task = json_get_str(ev, "taskId");
	int health = strcmp(type, "health_status_changed_event") == 0;
	int known_app = 0, resync = 0;
	const char *k;
	void *v;

	if (app == NULL || task == NULL)
		return 1;
	for (size_t i = 0; map_next(&lb->services, &i, &k, &v);) {
		struct lb_service *s = v;
		struct lb_backend *b;
		size_t at;

		if (strcmp(s->app_id, app) != 0)
			continue;
		known_app = 1;
		b = find_backend(s, task, &at);
		if (health) {
			const struct json *alive = json_get(ev, "alive");

			if (b == NULL) {
				resync = 1;
				continue;
			}
			b->healthy = !s->has_health || (alive != NULL && alive->type == JSON_BOOL &&
			             alive->boolean);
			log_info("%s: backend %s:%d (%s) %s", s->key, b->addr, b->port, b->task_id,
			    b->healthy ? "healthy" : "unhealthy");
		} else {
			const char *state = json_get_str(ev, "taskStatus");
			const char *host = json_get_str(ev, "host");
			int port = port_at(json_get(ev, "ports"), (size_t)s->index);

			if (state == NULL)
				continue;
			if (!serving(state)) {
				if (b != NULL)
					drain(lb, s, at, state);
				continue;
			}
			if (b == NULL && host != NULL && *host != '\0' && port > 0)
				b = add_backend(lb, s, task, host, port);
			/* A new task of an app with health checks waits for its first alive result. */
			if (b != NULL) {
				b->running = 1;
				if (!s->has_health)
					b->healthy = 1;
			}
		}
	}
	return !known_app || resync;
}

/* ---- choosing ------------------------------------------------------------------------ */

static int
was_tried(struct lb_backend *b, struct lb_backend **tried, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tried[i] == b)
			return 1;
	return 0;
}

/* One pass over s's backends in round-robin order from the cursor; rested: take ejected ones. */
static struct lb_backend *
pick_pass(struct lb *lb, struct lb_service *s, struct lb_backend **tried, size_t ntried,
          uint32_t client_hash, int rested)
{
	int64_t now = loop_now(lb->loop);
	struct lb_backend *best = NULL;
	size_t best_at = 0, count = 0, want = 0;

	if (s->balance == LB_BALANCE_SOURCE) {
		for (size_t i = 0; i < s->nb; i++) {
			struct lb_backend *b = s->b[i];

			count += lb_table_usable(b) && !was_tried(b, tried, ntried) &&
			         (rested || b->ejected_until <= now);
		}
		if (count == 0)
			return NULL;
		want = client_hash % count;
	}
	for (size_t k = 0; k < s->nb; k++) {
		size_t i = (s->rr + k) % s->nb;
		struct lb_backend *b = s->b[i];

		if (!lb_table_usable(b) || was_tried(b, tried, ntried) ||
		    (!rested && b->ejected_until > now))
			continue;
		if (s->balance == LB_BALANCE_SOURCE) {
			/* The want-th usable backend in table order: the same client, the same one. */
			size_t nth = 0;

			for (size_t j = 0; j < i; j++)
				nth += lb_table_usable(s->b[j]) && !was_tried(s->b[j], tried, ntried) &&
				       (rested || s->b[j]->ejected_until <= now);
			if (nth != want)
				continue;
			return b;
		}
		if (best == NULL || (s->balance == LB_BALANCE_LEASTCONN && b->n.open < best->n.open)) {
			best = b;
			best_at = i;
		}
		if (s->balance == LB_BALANCE_ROUNDROBIN)
			break;
	}
	if (best != NULL)
		s->rr = best_at + 1;
	return best;
}

struct lb_backend *
lb_table_pick(struct lb *lb, struct lb_service *s, struct lb_backend **tried, size_t ntried,
              uint32_t client_hash)
{
	struct lb_backend *b;

	if (s->nb == 0)
		return NULL;
	b = pick_pass(lb, s, tried, ntried, client_hash, 0);
	/* Every usable one resting: better one of them than a refused client. */
	return b != NULL ? b : pick_pass(lb, s, tried, ntried, client_hash, 1);
}

void
lb_table_eject(struct lb *lb, struct lb_backend *b, const char *why)
{
	int64_t now = loop_now(lb->loop);

	b->n.errors++;
	if (b->svc != NULL)
		b->svc->n.errors++;
	if (b->ejected_until > now)
		return;
	b->ejected_until = now + lb->cfg.eject_ms;
	b->n.ejections++;
	if (b->svc != NULL)
		b->svc->n.ejections++;
	log_warnx("%s: backend %s:%d (%s) ejected for %lld ms: %s",
	    b->svc != NULL ? b->svc->key : "?", b->addr, b->port, b->task_id,
	    (long long)lb->cfg.eject_ms, why);
}

/* ---- lookups ------------------------------------------------------------------------ */

struct lb_service *
lb_table_by_fd(struct lb *lb, int fd)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&lb->services, &i, &k, &v);)
		if (((struct lb_service *)v)->listen_fd == fd)
			return v;
	return NULL;
}

static int
host_is(const char *vhost, const char *host, size_t len)
{
	return strlen(vhost) == len && strncasecmp(vhost, host, len) == 0;
}

struct lb_service *
lb_table_route(struct lb *lb, const char *host, size_t host_len, const char *path,
               size_t path_len)
{
	struct lb_service *best = NULL;
	size_t best_len = 0;
	int best_has_path = 0;
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&lb->services, &i, &k, &v);) {
		struct lb_service *s = v;
		size_t j;

		for (j = 0; j < s->nvhosts && !host_is(s->vhosts[j], host, host_len); j++)
			;
		if (j == s->nvhosts)
			continue;
		if (s->npaths == 0) {
			/* A vhost without paths takes what no path of another one claims. */
			if (best == NULL || (!best_has_path && strcmp(s->key, best->key) < 0))
				best = s;
			continue;
		}
		for (j = 0; j < s->npaths; j++) {
			size_t n = strlen(s->paths[j]);

			if (n > path_len || strncmp(s->paths[j], path, n) != 0)
				continue;
			/* The longest prefix wins; equal ones go to the first key, for a stable answer. */
			if (!best_has_path || n > best_len ||
			    (n == best_len && strcmp(s->key, best->key) < 0)) {
				best = s;
				best_len = n;
				best_has_path = 1;
			}
		}
	}
	return best;
}

static int
by_key(const void *a, const void *b)
{
	return strcmp((*(struct lb_service *const *)a)->key, (*(struct lb_service *const *)b)->key);
}

struct lb_service **
lb_table_sorted(struct lb *lb, size_t *n)
{
	struct lb_service **v = xcalloc(map_len(&lb->services) + 1, sizeof(*v));
	const char *k;
	void *val;

	*n = 0;
	for (size_t i = 0; map_next(&lb->services, &i, &k, &val);)
		v[(*n)++] = val;
	qsort(v, *n, sizeof(*v), by_key);
	return v;
}

uint32_t
lb_table_hash_peer(const char *peer)
{
	const char *end = strrchr(peer, ':');
	uint32_t h = FNV_OFFSET;

	if (end == NULL)
		end = peer + strlen(peer);
	for (const char *p = peer; p < end; p++) {
		h ^= (unsigned char)*p;
		h *= FNV_PRIME;
	}
	return h;
}
