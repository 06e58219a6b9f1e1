/*
 * app.c: the app model. An app's JSON definition in, with Marathon's field
 * names, defaults and validation messages (the app definition in
 * Marathon's documentation, "REST API"; the README lists the defaults);
 * the same definition out, defaults filled in, as GET shows it; and the
 * merge of a PUT/PATCH body over a definition. Fields whose behaviour is
 * not built (container, dependencies, HTTPS checks, ...) are refused with
 * a 422 naming them rather than accepted and ignored: an app never
 * silently runs differently from its definition.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "buf.h"
#include "compat.h"
#include "json.h"
#include "xmem.h"

#define DEFAULT_CPUS 1.0
#define DEFAULT_MEM_MB 128.0
#define DEFAULT_DISK_MB 0.0
#define DEFAULT_INSTANCES 1
#define DEFAULT_BACKOFF_S 1.0
#define DEFAULT_BACKOFF_FACTOR 1.15
#define DEFAULT_MAX_LAUNCH_DELAY_S 300.0
#define MIN_CPUS 0.001
#define ERRORS_MAX 32                 /* validation errors reported per request */
#define URI_LEN_MAX 1024              /* Marathon's Uri type */
#define ENV_MAX 1024                  /* entries in env or labels */
#define ARGS_MAX 1024
#define WHOLE_MAX 1e15                /* beyond this a double is printed as one */

static const char ID_SEGMENT_RE[] =
	"^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$";
/* The same, as POSIX ERE needs it (the alternation anchored as a whole). */
static const char ID_SEGMENT_ERE[] =
	"^((([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])|\\.|\\.\\.)$";

/* Fields accepted and echoed but with no effect on a task yet are refused instead. */
static const char *const UNSUPPORTED[] = { "container",
	"dependencies", "readinessChecks", "secrets", "residency", "networks", "check",
	"gpus", "executor", "acceptedResourceRoles", "role", NULL };
/* Fields known and handled, or server-set and ignored on input. */
static const char *const KNOWN[] = { "id", "cmd", "args", "cpus", "mem", "disk", "instances",
	"portDefinitions", "ports", "requirePorts", "constraints", "healthChecks", "env", "labels", "fetch", "uris",
	"backoffSeconds", "backoffFactor", "maxLaunchDelaySeconds", "upgradeStrategy",
	"killSelection", "taskKillGracePeriodSeconds", "unreachableStrategy", "user", "version",
	"versionInfo", "tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy",
	"deployments", "tasks", "lastTaskFailure", NULL };

struct verr {
	char path[MT_ID_MAX];
	char msg[MT_ERR_MAX];
};

struct vctx {
	struct verr errs[ERRORS_MAX];
	size_t n;
	int shape;      /* a wrong JSON type: 400 rather than 422 */
};

static void
verr(struct vctx *v, const char *path, const char *msg)
{
	if (v->n == ERRORS_MAX)
		return;
	snprintf(v->errs[v->n].path, sizeof(v->errs[v->n].path), "%s", path);
	snprintf(v->errs[v->n].msg, sizeof(v->errs[v->n].msg), "%s", msg);
	v->n++;
}

/* A JSON value of the wrong type: Play's message, as Marathon shows it. */
static void
vtype(struct vctx *v, const char *path, const char *expected)
{
	char msg[MT_NAME_MAX];

	snprintf(msg, sizeof(msg), "error.expected.%s", expected);
	verr(v, path, msg);
	v->shape = 1;
}

static int
in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

void
app_version_now(char *out, size_t len)
{
	app_version_at(compat_wall_time(), out, len);
}

void
app_version_at(double now, char *out, size_t len)
{
	pc_rest_time(now, MT_TIME_ZONE, out, len);
}

void
app_task_prefix(const char *id, char *out, size_t len)
{
	size_t o = 0;

	for (const char *s = id[0] == '/' ? id + 1 : id; *s != '\0' && o + 1 < len; s++)
		out[o++] = *s == '/' ? '_' : *s;
	out[o] = '\0';
}

/* Normalise an id: absolute, no empty segments, "." and ".." resolved. */
static int
normalise_id(const char *in, char *out, size_t len, struct vctx *v)
{
	char segs[MT_ID_MAX + 1];
	const char *parts[MT_ID_MAX];
	size_t np = 0, o = 0;
	regex_t re;
	char *save = NULL, *p;
	int bad = 0;

	if (strlen(in) > MT_ID_MAX) {
		char msg[MT_NAME_MAX];

		snprintf(msg, sizeof(msg), "must not be longer than %d characters", MT_ID_MAX);
		verr(v, "/id", msg);
		return -1;
	}
	snprintf(segs, sizeof(segs), "%s", in);
	if (regcomp(&re, ID_SEGMENT_ERE, REG_EXTENDED | REG_NOSUB) != 0) {
		verr(v, "/id", "cannot compile the id pattern");
		return -1;
	}
	for (p = strtok_r(segs, "/", &save); p != NULL; p = strtok_r(NULL, "/", &save)) {
		if (regexec(&re, p, 0, NULL, 0) != 0)
			bad = 1;
		else if (strcmp(p, "..") == 0)
			np -= np > 0;
		else if (strcmp(p, ".") != 0)
			parts[np++] = p;
	}
	regfree(&re);
	if (bad) {
		char msg[MT_ERR_MAX];

		snprintf(msg, sizeof(msg), "must fully match regular expression '%s'", ID_SEGMENT_RE);
		verr(v, "/id", msg);
		return -1;
	}
	if (np == 0) {
		verr(v, "/id", "Path must contain at least one path element");
		return -1;
	}
	{
		const char *last = parts[np - 1];
		size_t lastlen = strlen(last);
		const char *tail = in + strlen(in);

		/* The reserved words are checked on the id as written, before . and .. go. */
		while (tail > in && tail[-1] == '/')
			tail--;
		while (tail > in && tail[-1] != '/')
			tail--;
		if (strcmp(tail, "restart") == 0 || strcmp(tail, "tasks") == 0 ||
		    strcmp(tail, "versions") == 0 || strcmp(tail, ".") == 0 || strcmp(tail, "..") == 0 ||
		    strcmp(last, "restart") == 0 || strcmp(last, "tasks") == 0 ||
		    strcmp(last, "versions") == 0 || lastlen == 0) {
			verr(v, "/id", "must not end with any of the following reserved keywords: "
			     "restart, tasks, versions, ., ..");
			return -1;
		}
	}
	for (size_t i = 0; i < np; i++)
		o += (size_t)snprintf(out + o, o < len ? len - o : 0, "/%s", parts[i]);
	return 0;
}

static int
get_number(const struct json *j, const char *key, double def, double *out, struct vctx *v)
{
	const struct json *x = json_get(j, key);
	char path[MT_NAME_MAX];

	*out = def;
	if (x == NULL || x->type == JSON_NULL)
		return 0;
	snprintf(path, sizeof(path), "/%s", key);
	if (x->type != JSON_NUMBER) {
		vtype(v, path, "jsnumber");
		return -1;
	}
	*out = x->number;
	return 0;
}

static int
get_int(const struct json *j, const char *key, long long def, long long *out, struct vctx *v)
{
	const struct json *x = json_get(j, key);
	char path[MT_NAME_MAX];

	*out = def;
	if (x == NULL || x->type == JSON_NULL)
		return 0;
	snprintf(path, sizeof(path), "/%s", key);
	if (x->type != JSON_NUMBER || json_as_int(x, out) == -1) {
		vtype(v, path, "jsnumber");
		*out = def;
		return -1;
	}
	return 0;
}

static void
min_check(struct vctx *v, const char *path, double val, double min)
{
	char msg[MT_ERR_MAX];

	if (val < min) {
		snprintf(msg, sizeof(msg), "got %g, expected %g or more", val, min);
		verr(v, path, msg);
	}
}

/* A string -> string object (env, labels). */
static void
get_kv(const struct json *j, const char *key, struct mt_kv **out, size_t *n, struct vctx *v)
{
	const struct json *x = json_get(j, key);
	char path[MT_ID_MAX];

	*out = NULL;
	*n = 0;
	if (x == NULL || x->type == JSON_NULL)
		return;
	if (x->type != JSON_OBJECT) {
		snprintf(path, sizeof(path), "/%s", key);
		vtype(v, path, "jsobject");
		return;
	}
	if (x->n > ENV_MAX) {
		snprintf(path, sizeof(path), "/%s", key);
		verr(v, path, "too many entries");
		return;
	}
	*out = xcalloc(x->n ? x->n : 1, sizeof(**out));
	for (size_t i = 0; i < x->n; i++) {
		if (x->items[i]->type != JSON_STRING) {
			snprintf(path, sizeof(path), "/%s/%s", key, x->keys[i]);
			vtype(v, path, "jsstring");
			continue;
		}
		(*out)[*n].key = xstrdup(x->keys[i]);
		(*out)[(*n)++].value = xstrdup(x->items[i]->string);
	}
}

static void
get_ports(const struct json *j, struct mt_app *a, struct vctx *v)
{
	const struct json *pd = json_get(j, "portDefinitions"), *pp = json_get(j, "ports");
	char path[MT_NAME_MAX];

	if (pd != NULL && pd->type == JSON_NULL)
		pd = NULL;
	if (pp != NULL && pp->type == JSON_NULL)
		pp = NULL;
	if (pd == NULL && pp == NULL) {
		a->nports = 1;
		a->ports[0].port = 0;
		snprintf(a->ports[0].name, MT_NAME_MAX, "default");
		snprintf(a->ports[0].protocol, MT_NAME_MAX, "tcp");
		return;
	}
	if ((pd != NULL && pd->type != JSON_ARRAY) || (pp != NULL && pp->type != JSON_ARRAY)) {
		vtype(v, pd != NULL ? "/portDefinitions" : "/ports", "jsarray");
		return;
	}
	if (pd != NULL && pp != NULL) {
		int same = pd->n == pp->n;

		for (size_t i = 0; same && i < pd->n; i++) {
			const struct json *p = json_get(pd->items[i], "port");

			same = p != NULL && pp->items[i]->type == JSON_NUMBER &&
			       p->type == JSON_NUMBER && p->number == pp->items[i]->number;
		}
		if (!same) {
			verr(v, "/", "You cannot specify both ports and port definitions");
			return;
		}
		pp = NULL;
	}
	if ((pd != NULL ? pd->n : pp->n) > MT_PORTS_MAX) {
		verr(v, pd != NULL ? "/portDefinitions" : "/ports", "too many ports");
		return;
	}
	for (size_t i = 0; i < (pd != NULL ? pd->n : pp->n); i++) {
		const struct json *e = pd != NULL ? pd->items[i] : NULL;
		const struct json *port = pd != NULL ? json_get(e, "port") : pp->items[i];
		const struct json *name = e != NULL ? json_get(e, "name") : NULL;
		const struct json *proto = e != NULL ? json_get(e, "protocol") : NULL;
		struct mt_portdef *d = &a->ports[a->nports];
		long long n = 0;

		snprintf(path, sizeof(path), pd != NULL ? "/portDefinitions(%zu)" : "/ports(%zu)", i);
		if (pd != NULL && e->type != JSON_OBJECT) {
			vtype(v, path, "jsobject");
			continue;
		}
		if (port != NULL && (port->type != JSON_NUMBER || json_as_int(port, &n) == -1)) {
			vtype(v, path, "jsnumber");
			continue;
		}
		if (n < 0 || n > UINT16_MAX) {
			verr(v, path, "port must be between 0 and 65535");
			continue;
		}
		d->port = (int)n;
		if (name != NULL && name->type == JSON_STRING)
			snprintf(d->name, MT_NAME_MAX, "%s", name->string);
		else if (name != NULL && name->type != JSON_NULL)
			vtype(v, path, "jsstring");
		snprintf(d->protocol, MT_NAME_MAX, "tcp");
		if (proto != NULL && proto->type == JSON_STRING) {
			if (strcmp(proto->string, "tcp") != 0 && strcmp(proto->string, "udp") != 0 &&
			    strcmp(proto->string, "udp,tcp") != 0)
				verr(v, path, "protocol must be one of tcp, udp, udp,tcp");
			snprintf(d->protocol, MT_NAME_MAX, "%s", proto->string);
		}
		a->nports++;
	}
	for (size_t i = 0; i < a->nports; i++)
		for (size_t k = i + 1; k < a->nports; k++) {
			if (a->ports[i].port != 0 && a->ports[i].port == a->ports[k].port)
				verr(v, "/portDefinitions", "ports must be unique");
			if (a->ports[i].name[0] && strcmp(a->ports[i].name, a->ports[k].name) == 0)
				verr(v, "/portDefinitions", "Port names must be unique.");
		}
}

static void
get_strings(const struct json *x, const char *path, char ***out, size_t *n, struct vctx *v)
{
	*out = NULL;
	*n = 0;
	if (x == NULL || x->type == JSON_NULL)
		return;
	if (x->type != JSON_ARRAY) {
		vtype(v, path, "jsarray");
		return;
	}
	if (x->n > ARGS_MAX) {
		verr(v, path, "too many entries");
		return;
	}
	*out = xcalloc(x->n ? x->n : 1, sizeof(**out));
	for (size_t i = 0; i < x->n; i++) {
		if (x->items[i]->type != JSON_STRING) {
			vtype(v, path, "jsstring");
			continue;
		}
		(*out)[(*n)++] = xstrdup(x->items[i]->string);
	}
}

static void
get_fetch(const struct json *j, struct mt_app *a, struct vctx *v)
{
	const struct json *f = json_get(j, "fetch"), *u = json_get(j, "uris");

	if (f != NULL && f->type == JSON_NULL)
		f = NULL;
	if (u != NULL && u->type == JSON_NULL)
		u = NULL;
	if (f != NULL && u != NULL && u->n > 0 && f->type == JSON_ARRAY && f->n > 0) {
		verr(v, "/", "AppDefinition must not contain both 'fetch' and 'uris'");
		return;
	}
	if (u != NULL) {
		get_strings(u, "/uris", &a->uris, &a->nuris, v);
		return;
	}
	if (f == NULL)
		return;
	if (f->type != JSON_ARRAY) {
		vtype(v, "/fetch", "jsarray");
		return;
	}
	if (f->n > ARGS_MAX) {
		verr(v, "/fetch", "too many entries");
		return;
	}
	a->uris = xcalloc(f->n ? f->n : 1, sizeof(*a->uris));
	for (size_t i = 0; i < f->n; i++) {
		const char *uri = json_get_str(f->items[i], "uri");
		const struct json *ex = json_get(f->items[i], "executable");
		const struct json *ca = json_get(f->items[i], "cache");
		const struct json *xt = json_get(f->items[i], "extract");
		char path[MT_NAME_MAX];

		snprintf(path, sizeof(path), "/fetch(%zu)/uri", i);
		if (uri == NULL || *uri == '\0' || strlen(uri) > URI_LEN_MAX) {
			verr(v, path, "must be between 1 and 1024 characters");
			continue;
		}
		/* The agent fetches and extracts archives; nothing else can be asked of it yet. */
		if ((ex != NULL && ex->type == JSON_BOOL && ex->boolean) ||
		    (ca != NULL && ca->type == JSON_BOOL && ca->boolean) ||
		    (xt != NULL && xt->type == JSON_BOOL && !xt->boolean)) {
			snprintf(path, sizeof(path), "/fetch(%zu)", i);
			verr(v, path, "only extract=true, executable=false, cache=false are supported");
			continue;
		}
		a->uris[a->nuris++] = xstrdup(uri);
	}
}

static void
get_upgrade(const struct json *j, struct mt_app *a, struct vctx *v)
{
	const struct json *u = json_get(j, "upgradeStrategy");
	static const char *const keys[] = { "minimumHealthCapacity", "maximumOverCapacity" };
	double *vals[] = { &a->min_health_capacity, &a->max_over_capacity };

	a->min_health_capacity = 1;
	a->max_over_capacity = 1;
	if (u == NULL || u->type == JSON_NULL)
		return;
	if (u->type != JSON_OBJECT) {
		vtype(v, "/upgradeStrategy", "jsobject");
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		const struct json *x = json_get(u, keys[i]);
		char path[MT_NAME_MAX];

		snprintf(path, sizeof(path), "/upgradeStrategy/%s", keys[i]);
		if (x == NULL || x->type == JSON_NULL)
			continue;
		if (x->type != JSON_NUMBER) {
			vtype(v, path, "jsnumber");
			continue;
		}
		*vals[i] = x->number;
		if (x->number > 1)
			verr(v, path, "is greater than 1");
		else if (x->number < 0)
			verr(v, path, "is less than 0");
	}
}

/* unreachableStrategy: "disabled" or both timeouts, whole seconds >= 0 (UnreachableStrategy.scala). */
static void
get_unreachable(const struct json *j, struct mt_app *a, struct vctx *v)
{
	static const char *const keys[] = { "inactiveAfterSeconds", "expungeAfterSeconds" };
	const struct json *u = json_get(j, "unreachableStrategy");
	double *vals[] = { &a->unreachable_inactive_s, &a->unreachable_expunge_s };
	int bad = 0;

	a->unreachable_inactive_s = 0;
	a->unreachable_expunge_s = 0;
	a->unreachable_disabled = 0;
	if (u == NULL || u->type == JSON_NULL)
		return;
	if (u->type == JSON_STRING) {
		if (strcmp(u->string, "disabled") == 0)
			a->unreachable_disabled = 1;
		else
			verr(v, "/unreachableStrategy", "must be \"disabled\" or an object");
		return;
	}
	if (u->type != JSON_OBJECT) {
		vtype(v, "/unreachableStrategy", "jsobject");
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		const struct json *x = json_get(u, keys[i]);
		char path[MT_NAME_MAX];
		long long n;

		snprintf(path, sizeof(path), "/unreachableStrategy/%s", keys[i]);
		if (x == NULL || x->type == JSON_NULL)
			continue;
		if (x->type != JSON_NUMBER || json_as_int(x, &n) == -1) {
			vtype(v, path, "jsnumber");
			bad = 1;
			continue;
		}
		*vals[i] = (double)n;
		if (n < 0) {
			min_check(v, path, (double)n, 0);
			bad = 1;
		}
	}
	if (!bad && a->unreachable_inactive_s > a->unreachable_expunge_s)
		verr(v, "/unreachableStrategy/inactiveAfterSeconds",
		     "inactiveAfterSeconds must be less or equal to expungeAfterSeconds");
}

#define HC_GRACE_S 300.0              /* Marathon's health check defaults */
#define HC_INTERVAL_S 60.0
#define HC_TIMEOUT_S 20.0
#define HC_DELAY_S 15.0
#define HC_MAX_FAILURES 3

#define HC_PATH_MAX 64                /* "/healthChecks(15)/maxConsecutiveFailures" */

/* The error path of field (or "") of check i. */
static const char *
hpath(char *out, size_t i, const char *field)
{
	snprintf(out, HC_PATH_MAX, "/healthChecks(%zu)%s", i, field);
	return out;
}

/* One entry of healthChecks into hc; 0 when it is one the agent runs. */
static int
get_one_health(const struct json *h, size_t i, struct mt_health *hc, const struct mt_app *a,
               struct vctx *v)
{
	char p[HC_PATH_MAX];
	const struct json *x;
	const char *proto;
	long long n;

	if (h->type != JSON_OBJECT) {
		vtype(v, hpath(p, i, ""), "jsobject");
		return 1;
	}
	x = json_get(h, "protocol");
	if (x != NULL && x->type != JSON_NULL && x->type != JSON_STRING) {
		vtype(v, hpath(p, i, "/protocol"), "jsstring");
		return 1;
	}
	proto = json_get_str(h, "protocol");
	if (proto == NULL)
		proto = "HTTP";
	if (strcmp(proto, "HTTP") != 0 && strcmp(proto, "TCP") != 0 &&
	    strcmp(proto, "MESOS_HTTP") != 0 && strcmp(proto, "MESOS_TCP") != 0 &&
	    strcmp(proto, "COMMAND") != 0) {
		/* TLS would need a TLS library: nothing beyond libc. */
		verr(v, hpath(p, i, "/protocol"), strcmp(proto, "HTTPS") == 0 ||
		     strcmp(proto, "MESOS_HTTPS") == 0 ?
		     "is not supported by this Marathon: use HTTP, TCP, MESOS_HTTP, MESOS_TCP or COMMAND" :
		     "must be one of HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP");
		return 1;
	}
	snprintf(hc->protocol, sizeof(hc->protocol), "%s", proto);
	hc->by_plugin = strcmp(proto, "HTTP") == 0 || strcmp(proto, "TCP") == 0;
	if ((x = json_get(h, "path")) != NULL && x->type == JSON_STRING) {
		if (x->string[0] != '/' || strcspn(x->string, " \r\n") != strlen(x->string))
			verr(v, hpath(p, i, "/path"), "must be an absolute path without spaces");
		hc->path = xstrdup(x->string);
	} else if (x != NULL && x->type != JSON_NULL) {
		vtype(v, hpath(p, i, "/path"), "jsstring");
	}
	if ((x = json_get(h, "ignoreHttp1xx")) != NULL && x->type == JSON_BOOL)
		hc->ignore_1xx = x->boolean;
	else if (x != NULL && x->type != JSON_NULL)
		vtype(v, hpath(p, i, "/ignoreHttp1xx"), "jsboolean");
	if (strcmp(proto, "COMMAND") == 0) {
		const char *cmd = json_get_str(json_get(h, "command"), "value");

		if (cmd == NULL || *cmd == '\0')
			verr(v, hpath(p, i, "/command"), "a COMMAND health check needs command.value");
		else
			hc->command = xstrdup(cmd);
	}
	hc->port_index = 0;
	if ((x = json_get(h, "port")) != NULL && x->type != JSON_NULL) {
		if (json_as_int(x, &n) == -1 || n < 1 || n > UINT16_MAX)
			verr(v, hpath(p, i, "/port"), "port must be between 1 and 65535");
		hc->port = (int)n;
		hc->port_index = -1;
	} else if ((x = json_get(h, "portIndex")) != NULL && x->type != JSON_NULL) {
		if (json_as_int(x, &n) == -1 || n < 0 || n > MT_PORTS_MAX)
			n = MT_PORTS_MAX;
		hc->port_index = (int)n;
	}
	if (strcmp(proto, "COMMAND") != 0 && hc->port_index >= 0 &&
	    (size_t)hc->port_index >= a->nports)
		verr(v, hpath(p, i, ""), "Health check port indices must address an element of the "
		     "ports array or container port mappings.");
	get_number(h, "gracePeriodSeconds", HC_GRACE_S, &hc->grace_s, v);
	get_number(h, "intervalSeconds", HC_INTERVAL_S, &hc->interval_s, v);
	get_number(h, "timeoutSeconds", HC_TIMEOUT_S, &hc->timeout_s, v);
	get_number(h, "delaySeconds", HC_DELAY_S, &hc->delay_s, v);
	get_int(h, "maxConsecutiveFailures", HC_MAX_FAILURES, &hc->max_failures, v);
	min_check(v, hpath(p, i, "/intervalSeconds"), hc->interval_s, 1);
	min_check(v, hpath(p, i, "/timeoutSeconds"), hc->timeout_s, 1);
	min_check(v, hpath(p, i, "/gracePeriodSeconds"), hc->grace_s, 0);
	min_check(v, hpath(p, i, "/maxConsecutiveFailures"), (double)hc->max_failures, 0);
	return hc->by_plugin;
}

/* healthChecks: any number the plugin runs (HTTP, TCP), at most one the agent runs. */
static void
get_health(const struct json *j, struct mt_app *a, struct vctx *v)
{
	const struct json *hcs = json_get(j, "healthChecks");
	char msg[MT_ERR_MAX];
	size_t by_agent = 0;

	if (hcs == NULL || hcs->type == JSON_NULL)
		return;
	if (hcs->type != JSON_ARRAY) {
		vtype(v, "/healthChecks", "jsarray");
		return;
	}
	if (hcs->n == 0)
		return;
	if (hcs->n > MT_HEALTH_MAX) {
		snprintf(msg, sizeof(msg), "at most %d health checks per app", MT_HEALTH_MAX);
		verr(v, "/healthChecks", msg);
		return;
	}
	a->health = xcalloc(hcs->n, sizeof(*a->health));
	a->nhealth = hcs->n;
	for (size_t i = 0; i < hcs->n; i++)
		by_agent += get_one_health(hcs->items[i], i, &a->health[i], a, v) == 0;
	if (by_agent > 1)
		verr(v, "/healthChecks", "AppDefinition can contain at most one Mesos health check");
}

static void
get_version(const struct json *j, const char *key, char *out)
{
	const char *s = json_get_str(j, key);

	if (s != NULL)
		snprintf(out, MT_VERSION_MAX, "%s", s);
}

struct mt_app *
app_from_json(const struct json *j, int stored, struct json_w *details, int *status)
{
	struct mt_app *a = xcalloc(1, sizeof(*a));
	struct vctx v;
	const struct json *x;
	char id[MT_ID_MAX + 1];
	const char *ks;

	memset(&v, 0, sizeof(v));
	a->kill_grace_seconds = -1;
	if (j->type != JSON_OBJECT) {
		vtype(&v, "/", "jsobject");
		goto out;
	}
	for (size_t i = 0; i < j->n; i++) {
		char path[MT_ID_MAX];

		snprintf(path, sizeof(path), "/%s", j->keys[i]);
		if (in_list(UNSUPPORTED, j->keys[i])) {
			const struct json *e = j->items[i];

			/* Empty ones are what clients send by default: harmless. */
			if (e->type == JSON_NULL || ((e->type == JSON_ARRAY || e->type == JSON_OBJECT) &&
			    e->n == 0) || (e->type == JSON_NUMBER && e->number == 0) ||
			    (e->type == JSON_STRING && e->string[0] == '\0'))
				continue;
			verr(&v, path, "is not supported by this Marathon yet");
		} else if (!in_list(KNOWN, j->keys[i])) {
			verr(&v, path, "is not a known field");
		}
	}
	x = json_get(j, "id");
	if (x == NULL || x->type == JSON_NULL)
		verr(&v, "/id", "error.path.missing");
	else if (x->type != JSON_STRING)
		vtype(&v, "/id", "jsstring");
	else if (normalise_id(x->string, id, sizeof(id), &v) == 0)
		a->id = xstrdup(id);
	if (x != NULL && x->type == JSON_STRING && strspn(x->string, "/") == strlen(x->string) &&
	    x->string[0] != '\0')
		verr(&v, "/id", "must not be root");

	x = json_get(j, "cmd");
	if (x != NULL && x->type == JSON_STRING) {
		if (x->string[0] == '\0')
			verr(&v, "/cmd", "must not be an empty string");
		a->cmd = xstrdup(x->string);
	} else if (x != NULL && x->type != JSON_NULL) {
		vtype(&v, "/cmd", "jsstring");
	}
	get_strings(json_get(j, "args"), "/args", &a->args, &a->nargs, &v);
	if ((a->cmd != NULL) == (a->args != NULL && a->nargs > 0))
		verr(&v, "/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a "
		     "'container'.");

	get_number(j, "cpus", DEFAULT_CPUS, &a->cpus, &v);
	min_check(&v, "/cpus", a->cpus, MIN_CPUS);
	get_number(j, "mem", DEFAULT_MEM_MB, &a->mem, &v);
	min_check(&v, "/mem", a->mem, 0);
	get_number(j, "disk", DEFAULT_DISK_MB, &a->disk, &v);
	min_check(&v, "/disk", a->disk, 0);
	get_int(j, "instances", DEFAULT_INSTANCES, &a->instances, &v);
	min_check(&v, "/instances", (double)a->instances, 0);
	get_ports(j, a, &v);
	x = json_get(j, "requirePorts");
	if (x != NULL && x->type == JSON_BOOL)
		a->require_ports = x->boolean;
	else if (x != NULL && x->type != JSON_NULL)
		vtype(&v, "/requirePorts", "jsboolean");
	get_kv(j, "env", &a->env, &a->nenv, &v);
	get_kv(j, "labels", &a->labels, &a->nlabels, &v);
	get_fetch(j, a, &v);
	get_health(j, a, &v);
	{
		char path[MT_NAME_MAX], msg[MT_ERR_MAX];

		if (constraints_parse(json_get(j, "constraints"), a, path, sizeof(path), msg,
		                      sizeof(msg)) == -1)
			verr(&v, path, msg);
	}
	get_number(j, "backoffSeconds", DEFAULT_BACKOFF_S, &a->backoff_seconds, &v);
	min_check(&v, "/backoffSeconds", a->backoff_seconds, 0);
	get_number(j, "backoffFactor", DEFAULT_BACKOFF_FACTOR, &a->backoff_factor, &v);
	min_check(&v, "/backoffFactor", a->backoff_factor, 1);
	get_number(j, "maxLaunchDelaySeconds", DEFAULT_MAX_LAUNCH_DELAY_S,
	           &a->max_launch_delay_seconds, &v);
	min_check(&v, "/maxLaunchDelaySeconds", a->max_launch_delay_seconds, 0);
	get_upgrade(j, a, &v);
	ks = json_get_str(j, "killSelection");
	if (ks != NULL && strcmp(ks, "OLDEST_FIRST") == 0)
		a->kill_oldest_first = 1;
	else if (ks != NULL && strcmp(ks, "YOUNGEST_FIRST") != 0)
		verr(&v, "/killSelection", "must be one of YOUNGEST_FIRST, OLDEST_FIRST");
	else if (ks == NULL && json_get(j, "killSelection") != NULL &&
	         json_get(j, "killSelection")->type != JSON_NULL)
		vtype(&v, "/killSelection", "jsstring");
	get_int(j, "taskKillGracePeriodSeconds", -1, &a->kill_grace_seconds, &v);
	if (json_get(j, "taskKillGracePeriodSeconds") != NULL && a->kill_grace_seconds != -1)
		min_check(&v, "/taskKillGracePeriodSeconds", (double)a->kill_grace_seconds, 0);
	get_unreachable(j, a, &v);
	x = json_get(j, "user");
	if (x != NULL && x->type == JSON_STRING && x->string[0] != '\0')
		a->user = xstrdup(x->string);
	else if (x != NULL && x->type != JSON_NULL && x->type != JSON_STRING)
		vtype(&v, "/user", "jsstring");
	if (stored) {
		get_version(j, "version", a->version);
		x = json_get(j, "versionInfo");
		if (x != NULL) {
			get_version(x, "lastConfigChangeAt", a->last_config_change);
			get_version(x, "lastScalingAt", a->last_scaling);
		}
	}
out:
	if (v.n == 0)
		return a;
	*status = v.shape ? 400 : 422;
	json_obj_begin(details);
	json_kstr(details, "message", v.shape ? "Invalid JSON" : "Object is not valid");
	json_key(details, "details");
	json_arr_begin(details);
	for (size_t i = 0; i < v.n; i++) {
		size_t k;

		for (k = 0; k < i && strcmp(v.errs[k].path, v.errs[i].path) != 0; k++)
			;
		if (k < i)      /* already written with its path */
			continue;
		json_obj_begin(details);
		json_kstr(details, "path", v.errs[i].path);
		json_key(details, "errors");
		json_arr_begin(details);
		for (k = i; k < v.n; k++)
			if (strcmp(v.errs[k].path, v.errs[i].path) == 0)
				json_str(details, v.errs[k].msg);
		json_arr_end(details);
		json_obj_end(details);
	}
	json_arr_end(details);
	json_obj_end(details);
	app_free(a);
	return NULL;
}

static void
free_kv(struct mt_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void
free_strings(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

void
app_free(struct mt_app *a)
{
	if (a == NULL)
		return;
	free(a->id);
	free(a->cmd);
	free_strings(a->args, a->nargs);
	free_kv(a->env, a->nenv);
	free_kv(a->labels, a->nlabels);
	free_strings(a->uris, a->nuris);
	constraints_free(a);
	deployments_free(a);
	versions_free(a);
	for (size_t i = 0; i < a->nhealth; i++) {
		free(a->health[i].path);
		free(a->health[i].command);
	}
	free(a->health);
	free(a->user);
	free(a);
}

static void
write_kv(struct json_w *w, const char *key, const struct mt_kv *kv, size_t n)
{
	json_key(w, key);
	json_obj_begin(w);
	for (size_t i = 0; i < n; i++)
		json_kstr(w, kv[i].key, kv[i].value);
	json_obj_end(w);
}

/* Whole numbers as integers, as Marathon prints instances-like fields. */
static void
knum(struct json_w *w, const char *key, double v)
{
	if (v > -WHOLE_MAX && v < WHOLE_MAX && v == (double)(long long)v)
		json_kint(w, key, (long long)v);
	else
		json_kdouble(w, key, v);
}

void
app_write_fields(struct json_w *w, const struct mt_app *a)
{
	json_kstr(w, "id", a->id);
	json_key(w, "cmd");
	if (a->cmd != NULL)
		json_str(w, a->cmd);
	else
		json_null(w);
	if (a->nargs > 0) {
		json_key(w, "args");
		json_arr_begin(w);
		for (size_t i = 0; i < a->nargs; i++)
			json_str(w, a->args[i]);
		json_arr_end(w);
	}
	knum(w, "cpus", a->cpus);
	knum(w, "mem", a->mem);
	knum(w, "disk", a->disk);
	json_kint(w, "gpus", 0);
	json_kint(w, "instances", a->instances);
	json_key(w, "portDefinitions");
	json_arr_begin(w);
	for (size_t i = 0; i < a->nports; i++) {
		json_obj_begin(w);
		json_kint(w, "port", a->ports[i].port);
		if (a->ports[i].name[0])
			json_kstr(w, "name", a->ports[i].name);
		json_kstr(w, "protocol", a->ports[i].protocol);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_kbool(w, "requirePorts", a->require_ports);
	write_kv(w, "env", a->env, a->nenv);
	write_kv(w, "labels", a->labels, a->nlabels);
	json_key(w, "fetch");
	json_arr_begin(w);
	for (size_t i = 0; i < a->nuris; i++) {
		json_obj_begin(w);
		json_kstr(w, "uri", a->uris[i]);
		json_kbool(w, "extract", 1);
		json_kbool(w, "executable", 0);
		json_kbool(w, "cache", 0);
		json_obj_end(w);
	}
	json_arr_end(w);
	constraints_write(w, a);
	json_key(w, "healthChecks");
	json_arr_begin(w);
	for (size_t i = 0; i < a->nhealth; i++) {
		const struct mt_health *hc = &a->health[i];

		json_obj_begin(w);
		int http = strcmp(hc->protocol, "HTTP") == 0 || strcmp(hc->protocol, "MESOS_HTTP") == 0;

		json_kstr(w, "protocol", hc->protocol);
		if (hc->path != NULL || http)
			json_kstr(w, "path", hc->path != NULL ? hc->path : "/");
		if (hc->command != NULL) {
			json_key(w, "command");
			json_obj_begin(w);
			json_kstr(w, "value", hc->command);
			json_obj_end(w);
		}
		if (hc->port_index >= 0)
			json_kint(w, "portIndex", hc->port_index);
		else
			json_kint(w, "port", hc->port);
		knum(w, "gracePeriodSeconds", hc->grace_s);
		knum(w, "intervalSeconds", hc->interval_s);
		knum(w, "timeoutSeconds", hc->timeout_s);
		knum(w, "delaySeconds", hc->delay_s);
		json_kint(w, "maxConsecutiveFailures", hc->max_failures);
		if (http)
			json_kbool(w, "ignoreHttp1xx", hc->ignore_1xx);
		json_obj_end(w);
	}
	json_arr_end(w);
	knum(w, "backoffSeconds", a->backoff_seconds);
	knum(w, "backoffFactor", a->backoff_factor);
	knum(w, "maxLaunchDelaySeconds", a->max_launch_delay_seconds);
	json_key(w, "upgradeStrategy");
	json_obj_begin(w);
	knum(w, "minimumHealthCapacity", a->min_health_capacity);
	knum(w, "maximumOverCapacity", a->max_over_capacity);
	json_obj_end(w);
	json_kstr(w, "killSelection", a->kill_oldest_first ? "OLDEST_FIRST" : "YOUNGEST_FIRST");
	if (a->kill_grace_seconds >= 0)
		json_kint(w, "taskKillGracePeriodSeconds", a->kill_grace_seconds);
	json_key(w, "unreachableStrategy");
	if (a->unreachable_disabled) {
		json_str(w, "disabled");
	} else {
		json_obj_begin(w);
		knum(w, "inactiveAfterSeconds", a->unreachable_inactive_s);
		knum(w, "expungeAfterSeconds", a->unreachable_expunge_s);
		json_obj_end(w);
	}
	if (a->user != NULL)
		json_kstr(w, "user", a->user);
	json_kstr(w, "version", a->version);
	json_key(w, "versionInfo");
	json_obj_begin(w);
	json_kstr(w, "lastScalingAt", a->last_scaling);
	json_kstr(w, "lastConfigChangeAt", a->last_config_change);
	json_obj_end(w);
}

static int
strs_differ(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return 1;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 1;
	return 0;
}

static int
kv_differ(const struct mt_kv *a, size_t na, const struct mt_kv *b, size_t nb)
{
	if (na != nb)
		return 1;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].key, b[i].key) != 0 || strcmp(a[i].value, b[i].value) != 0)
			return 1;
	return 0;
}

int
app_task_healthy(const struct mt_app *a, const struct mt_task *t)
{
	return strcmp(t->state, "TASK_RUNNING") == 0 && (a->nhealth == 0 || t->healthy == 1);
}

int
app_agent_check(const struct mt_app *a)
{
	for (size_t i = 0; i < a->nhealth; i++)
		if (!a->health[i].by_plugin)
			return (int)i;
	return -1;
}

static int
check_differs(const struct mt_health *a, const struct mt_health *b)
{
	return strcmp(a->protocol, b->protocol) != 0 || a->port_index != b->port_index ||
	       a->port != b->port || (a->path == NULL) != (b->path == NULL) ||
	       (a->path != NULL && strcmp(a->path, b->path) != 0) ||
	       (a->command == NULL) != (b->command == NULL) ||
	       (a->command != NULL && strcmp(a->command, b->command) != 0) ||
	       a->grace_s != b->grace_s || a->interval_s != b->interval_s ||
	       a->timeout_s != b->timeout_s || a->delay_s != b->delay_s ||
	       a->max_failures != b->max_failures || a->ignore_1xx != b->ignore_1xx;
}

int
app_config_differs(const struct mt_app *a, const struct mt_app *b)
{
	if (a->nhealth != b->nhealth)
		return 1;
	for (size_t i = 0; i < a->nhealth; i++)
		if (check_differs(&a->health[i], &b->health[i]))
			return 1;
	if ((a->cmd == NULL) != (b->cmd == NULL) || (a->cmd && strcmp(a->cmd, b->cmd) != 0))
		return 1;
	if ((a->user == NULL) != (b->user == NULL) || (a->user && strcmp(a->user, b->user) != 0))
		return 1;
	if (strs_differ(a->args, a->nargs, b->args, b->nargs) ||
	    strs_differ(a->uris, a->nuris, b->uris, b->nuris) ||
	    kv_differ(a->env, a->nenv, b->env, b->nenv) ||
	    kv_differ(a->labels, a->nlabels, b->labels, b->nlabels) || constraints_differ(a, b))
		return 1;
	if (a->cpus != b->cpus || a->mem != b->mem || a->disk != b->disk ||
	    a->require_ports != b->require_ports || a->nports != b->nports ||
	    a->kill_grace_seconds != b->kill_grace_seconds)
		return 1;
	for (size_t i = 0; i < a->nports; i++)
		if ((b->ports[i].port != 0 && a->ports[i].port != b->ports[i].port) ||
		    strcmp(a->ports[i].name, b->ports[i].name) != 0 ||
		    strcmp(a->ports[i].protocol, b->ports[i].protocol) != 0)
			return 1;
	/* Backoff, upgrade and kill policies change how, not what, runs. */
	return 0;
}

static int
service_port_used(struct mt *m, const struct mt_app *self, int port)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		const struct mt_app *o = v;

		if (o == self || (self->id != NULL && strcmp(o->id, self->id) == 0))
			continue;
		for (size_t p = 0; p < o->nports; p++)
			if (o->ports[p].port == port)
				return 1;
	}
	for (size_t p = 0; p < self->nports; p++)
		if (self->ports[p].port == port)
			return 1;
	return 0;
}

void
app_assign_service_ports(struct mt *m, struct mt_app *a, const struct mt_app *prev)
{
	const int span = MT_SERVICE_PORT_MAX - MT_SERVICE_PORT_MIN + 1;

	for (size_t i = 0; i < a->nports; i++) {
		if (a->ports[i].port != 0)
			continue;
		/* An update keeps the service ports the app had. */
		if (prev != NULL && i < prev->nports && prev->ports[i].port != 0 &&
		    !service_port_used(m, a, prev->ports[i].port)) {
			a->ports[i].port = prev->ports[i].port;
			continue;
		}
		/* Round robin from where the last search ended: O(1) tries while the range has room. */
		for (int tries = 0; tries < span; tries++) {
			int p = MT_SERVICE_PORT_MIN +
			        (m->next_service_port - MT_SERVICE_PORT_MIN + tries + span) % span;

			if (!service_port_used(m, a, p)) {
				a->ports[i].port = p;
				m->next_service_port = p + 1;
				break;
			}
		}
		/* A full range leaves the port 0: no service port, the app still runs. */
	}
}

char *
app_json_text(const struct mt_app *a)
{
	struct json_w w;
	struct buf b;

	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	app_write_fields(&w, a);
	json_obj_end(&w);
	return buf_detach(&b);
}

/* Whether old's field key gives way to the body: named anew, or in its other spelling. */
static int
superseded(const struct json *body, const char *key)
{
	static const char *const pairs[][2] = { { "portDefinitions", "ports" }, { "fetch", "uris" },
		{ "cmd", "args" }, { "args", "cmd" } };

	if (strcmp(key, "id") == 0 || strcmp(key, "version") == 0 || strcmp(key, "versionInfo") == 0 ||
	    json_get(body, key) != NULL)
		return 1;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (strcmp(key, pairs[i][0]) == 0 && json_get(body, pairs[i][1]) != NULL)
			return 1;
	return 0;
}

char *
app_merge(const struct mt_app *old, const char *id, const struct json *body, int partial,
          char *err, size_t errlen)
{
	struct json *oldj = NULL;
	struct json_w w;
	struct buf b;

	if (body->type != JSON_OBJECT) {
		snprintf(err, errlen, "the body must be a JSON object");
		return NULL;
	}
	if (old != NULL && partial) {
		char *text = app_json_text(old);

		oldj = json_parse(text, strlen(text), err, errlen);
		free(text);
		if (oldj == NULL)
			return NULL;
	}
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "id", id);
	for (size_t i = 0; oldj != NULL && i < oldj->n; i++)
		if (!superseded(body, oldj->keys[i])) {
			json_key(&w, oldj->keys[i]);
			json_write(&w, oldj->items[i]);
		}
	for (size_t i = 0; i < body->n; i++)
		if (strcmp(body->keys[i], "id") != 0 && strcmp(body->keys[i], "version") != 0) {
			json_key(&w, body->keys[i]);
			json_write(&w, body->items[i]);
		}
	json_obj_end(&w);
	json_free(oldj);
	return buf_detach(&b);
}
