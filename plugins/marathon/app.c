/*
 * app.c: the app model. An app's JSON definition in, with Marathon's field
 * names, defaults and validation messages (the app definition in
 * Marathon's documentation, "REST API"; the README lists the defaults);
 * the same definition out, defaults filled in, as GET shows it; and the
 * merge of a PUT/PATCH body over a definition. The schema's fields it
 * does not act on are fields.c's: carried, accepted at their defaults, or
 * refused with a 422 naming them: an app never silently runs differently
 * from its definition.
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
#define URI_LEN_MAX 1024              /* Marathon's Uri type */
#define FETCH_MAX 1024                /* artifacts of one app */

static const char ID_SEGMENT_RE[] =
	"^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$";
/* The same, as POSIX ERE needs it (the alternation anchored as a whole). */
static const char ID_SEGMENT_ERE[] =
	"^((([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])|\\.|\\.\\.)$";

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
normalise_id(const char *in, char *out, size_t len, struct pc_json_errs *v)
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
		pc_json_err(v, "/id", msg);
		return -1;
	}
	snprintf(segs, sizeof(segs), "%s", in);
	if (regcomp(&re, ID_SEGMENT_ERE, REG_EXTENDED | REG_NOSUB) != 0) {
		pc_json_err(v, "/id", "cannot compile the id pattern");
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
		pc_json_err(v, "/id", msg);
		return -1;
	}
	if (np == 0) {
		pc_json_err(v, "/id", "Path must contain at least one path element");
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
			pc_json_err(v, "/id", "must not end with any of the following reserved keywords: "
			            "restart, tasks, versions, ., ..");
			return -1;
		}
	}
	for (size_t i = 0; i < np; i++)
		o += (size_t)snprintf(out + o, o < len ? len - o : 0, "/%s", parts[i]);
	return 0;
}

/* j[key] as a number (an integer), def when absent; the path is "/key". */
static int
get_number(const struct json *j, const char *key, double def, double *out,
           struct pc_json_errs *v)
{
	char path[MT_NAME_MAX];

	snprintf(path, sizeof(path), "/%s", key);
	return pc_json_number(v, json_get(j, key), path, def, out);
}

static int
get_int(const struct json *j, const char *key, long long def, long long *out,
        struct pc_json_errs *v)
{
	char path[MT_NAME_MAX];

	snprintf(path, sizeof(path), "/%s", key);
	return pc_json_int(v, json_get(j, key), path, def, out);
}

/* A string -> string object (env, labels) at "/key". */
static void
get_kv(const struct json *j, const char *key, struct pc_kv **out, size_t *n,
       struct pc_json_errs *v)
{
	char path[MT_NAME_MAX];

	snprintf(path, sizeof(path), "/%s", key);
	pc_json_kv(v, json_get(j, key), path, out, n);
}

static void
get_ports(const struct json *j, struct mt_app *a, struct pc_json_errs *v)
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
		pc_json_type(v, pd != NULL ? "/portDefinitions" : "/ports", "jsarray");
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
			pc_json_err(v, "/", "You cannot specify both ports and port definitions");
			return;
		}
		pp = NULL;
	}
	if ((pd != NULL ? pd->n : pp->n) > MT_PORTS_MAX) {
		pc_json_err(v, pd != NULL ? "/portDefinitions" : "/ports", "too many ports");
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
			pc_json_type(v, path, "jsobject");
			continue;
		}
		if (port != NULL && (port->type != JSON_NUMBER || json_as_int(port, &n) == -1)) {
			pc_json_type(v, path, "jsnumber");
			continue;
		}
		if (n < 0 || n > UINT16_MAX) {
			pc_json_err(v, path, "port must be between 0 and 65535");
			continue;
		}
		d->port = (int)n;
		if (name != NULL && name->type == JSON_STRING)
			snprintf(d->name, MT_NAME_MAX, "%s", name->string);
		else if (name != NULL && name->type != JSON_NULL)
			pc_json_type(v, path, "jsstring");
		snprintf(d->protocol, MT_NAME_MAX, "tcp");
		if (proto != NULL && proto->type == JSON_STRING) {
			if (strcmp(proto->string, "tcp") != 0 && strcmp(proto->string, "udp") != 0 &&
			    strcmp(proto->string, "udp,tcp") != 0)
				pc_json_err(v, path, "protocol must be one of tcp, udp, udp,tcp");
			snprintf(d->protocol, MT_NAME_MAX, "%s", proto->string);
		}
		a->nports++;
	}
	for (size_t i = 0; i < a->nports; i++)
		for (size_t k = i + 1; k < a->nports; k++) {
			if (a->ports[i].port != 0 && a->ports[i].port == a->ports[k].port)
				pc_json_err(v, "/portDefinitions", "ports must be unique");
			if (a->ports[i].name[0] && strcmp(a->ports[i].name, a->ports[k].name) == 0)
				pc_json_err(v, "/portDefinitions", "Port names must be unique.");
		}
}

static void
get_fetch(const struct json *j, struct mt_app *a, struct pc_json_errs *v)
{
	const struct json *f = json_get(j, "fetch"), *u = json_get(j, "uris");

	if (f != NULL && f->type == JSON_NULL)
		f = NULL;
	if (u != NULL && u->type == JSON_NULL)
		u = NULL;
	if (f != NULL && u != NULL && u->n > 0 && f->type == JSON_ARRAY && f->n > 0) {
		pc_json_err(v, "/", "AppDefinition must not contain both 'fetch' and 'uris'");
		return;
	}
	if (u != NULL) {
		pc_json_strings(v, u, "/uris", &a->uris, &a->nuris);
		return;
	}
	if (f == NULL)
		return;
	if (f->type != JSON_ARRAY) {
		pc_json_type(v, "/fetch", "jsarray");
		return;
	}
	if (f->n > FETCH_MAX) {
		pc_json_err(v, "/fetch", "too many entries");
		return;
	}
	a->uris = xcalloc(f->n ? f->n : 1, sizeof(*a->uris));
	a->fetch = xcalloc(f->n ? f->n : 1, sizeof(*a->fetch));
	for (size_t i = 0; i < f->n; i++) {
		const char *uri = json_get_str(f->items[i], "uri");
		const char *dest = json_get_str(f->items[i], "destPath");
		static const char *const flags[] = { "extract", "executable", "cache" };
		struct mt_fetch *e = &a->fetch[a->nuris];
		int *vals[] = { &e->extract, &e->executable, &e->cache };
		char path[MT_NAME_MAX];

		snprintf(path, sizeof(path), "/fetch(%zu)/uri", i);
		if (uri == NULL || *uri == '\0' || strlen(uri) > URI_LEN_MAX) {
			pc_json_err(v, path, "must be between 1 and 1024 characters");
			continue;
		}
		e->extract = 1;         /* Marathon's defaults: extract, not executable, not cached */
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
			const struct json *x = json_get(f->items[i], flags[k]);

			snprintf(path, sizeof(path), "/fetch(%zu)/%s", i, flags[k]);
			if (x != NULL && x->type == JSON_BOOL)
				*vals[k] = x->boolean;
			else if (x != NULL && x->type != JSON_NULL)
				pc_json_type(v, path, "jsboolean");
		}
		/* The fetcher's output_file: a name inside the sandbox, never out of it. */
		if (dest != NULL && *dest != '\0') {
			snprintf(path, sizeof(path), "/fetch(%zu)/destPath", i);
			if (dest[0] == '/' || strstr(dest, "..") != NULL || strchr(dest, ';') != NULL ||
			    strlen(dest) > URI_LEN_MAX) {
				pc_json_err(v, path, "must be a relative path inside the sandbox");
				continue;
			}
			e->dest = xstrdup(dest);
		}
		a->uris[a->nuris++] = xstrdup(uri);
	}
}

static void
get_upgrade(const struct json *j, struct mt_app *a, struct pc_json_errs *v)
{
	const struct json *u = json_get(j, "upgradeStrategy");
	static const char *const keys[] = { "minimumHealthCapacity", "maximumOverCapacity" };
	double *vals[] = { &a->min_health_capacity, &a->max_over_capacity };

	a->min_health_capacity = 1;
	a->max_over_capacity = 1;
	if (u == NULL || u->type == JSON_NULL)
		return;
	if (u->type != JSON_OBJECT) {
		pc_json_type(v, "/upgradeStrategy", "jsobject");
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		const struct json *x = json_get(u, keys[i]);
		char path[MT_NAME_MAX];

		snprintf(path, sizeof(path), "/upgradeStrategy/%s", keys[i]);
		if (x == NULL || x->type == JSON_NULL)
			continue;
		if (x->type != JSON_NUMBER) {
			pc_json_type(v, path, "jsnumber");
			continue;
		}
		*vals[i] = x->number;
		if (x->number > 1)
			pc_json_err(v, path, "is greater than 1");
		else if (x->number < 0)
			pc_json_err(v, path, "is less than 0");
	}
}

/* unreachableStrategy: "disabled" or both timeouts, whole seconds >= 0 (UnreachableStrategy.scala). */
static void
get_unreachable(const struct json *j, struct mt_app *a, struct pc_json_errs *v)
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
			pc_json_err(v, "/unreachableStrategy", "must be \"disabled\" or an object");
		return;
	}
	if (u->type != JSON_OBJECT) {
		pc_json_type(v, "/unreachableStrategy", "jsobject");
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
			pc_json_type(v, path, "jsnumber");
			bad = 1;
			continue;
		}
		*vals[i] = (double)n;
		if (n < 0) {
			pc_json_min(v, path, (double)n, 0);
			bad = 1;
		}
	}
	if (!bad && a->unreachable_inactive_s > a->unreachable_expunge_s)
		pc_json_err(v, "/unreachableStrategy/inactiveAfterSeconds",
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
               struct pc_json_errs *v)
{
	char p[HC_PATH_MAX];
	const struct json *x;
	const char *proto;
	long long n;

	if (h->type != JSON_OBJECT) {
		pc_json_type(v, hpath(p, i, ""), "jsobject");
		return 1;
	}
	x = json_get(h, "protocol");
	if (x != NULL && x->type != JSON_NULL && x->type != JSON_STRING) {
		pc_json_type(v, hpath(p, i, "/protocol"), "jsstring");
		return 1;
	}
	proto = json_get_str(h, "protocol");
	if (proto == NULL)
		proto = "HTTP";
	if (strcmp(proto, "HTTP") != 0 && strcmp(proto, "TCP") != 0 &&
	    strcmp(proto, "MESOS_HTTP") != 0 && strcmp(proto, "MESOS_TCP") != 0 &&
	    strcmp(proto, "COMMAND") != 0) {
		/* TLS would need a TLS library: nothing beyond libc. */
		pc_json_err(v, hpath(p, i, "/protocol"),
		            strcmp(proto, "HTTPS") == 0 || strcmp(proto, "MESOS_HTTPS") == 0 ?
		            "is not supported by this Marathon: use HTTP, TCP, MESOS_HTTP, MESOS_TCP or "
		            "COMMAND" :
		            "must be one of HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP");
		return 1;
	}
	snprintf(hc->protocol, sizeof(hc->protocol), "%s", proto);
	hc->by_plugin = strcmp(proto, "HTTP") == 0 || strcmp(proto, "TCP") == 0;
	if ((x = json_get(h, "path")) != NULL && x->type == JSON_STRING) {
		if (x->string[0] != '/' || strcspn(x->string, " \r\n") != strlen(x->string))
			pc_json_err(v, hpath(p, i, "/path"), "must be an absolute path without spaces");
		hc->path = xstrdup(x->string);
	} else if (x != NULL && x->type != JSON_NULL) {
		pc_json_type(v, hpath(p, i, "/path"), "jsstring");
	}
	if ((x = json_get(h, "ignoreHttp1xx")) != NULL && x->type == JSON_BOOL)
		hc->ignore_1xx = x->boolean;
	else if (x != NULL && x->type != JSON_NULL)
		pc_json_type(v, hpath(p, i, "/ignoreHttp1xx"), "jsboolean");
	if (strcmp(proto, "COMMAND") == 0) {
		const char *cmd = json_get_str(json_get(h, "command"), "value");

		if (cmd == NULL || *cmd == '\0')
			pc_json_err(v, hpath(p, i, "/command"), "a COMMAND health check needs command.value");
		else
			hc->command = xstrdup(cmd);
	}
	hc->port_index = 0;
	if ((x = json_get(h, "port")) != NULL && x->type != JSON_NULL) {
		if (json_as_int(x, &n) == -1 || n < 1 || n > UINT16_MAX)
			pc_json_err(v, hpath(p, i, "/port"), "port must be between 1 and 65535");
		hc->port = (int)n;
		hc->port_index = -1;
	} else if ((x = json_get(h, "portIndex")) != NULL && x->type != JSON_NULL) {
		if (json_as_int(x, &n) == -1 || n < 0 || n > MT_PORTS_MAX)
			n = MT_PORTS_MAX;
		hc->port_index = (int)n;
	}
	if (strcmp(proto, "COMMAND") != 0 && hc->port_index >= 0 &&
	    (size_t)hc->port_index >= a->nports)
		pc_json_err(v, hpath(p, i, ""), "Health check port indices must address an element of the "
		            "ports array or container port mappings.");
	get_number(h, "gracePeriodSeconds", HC_GRACE_S, &hc->grace_s, v);
	get_number(h, "intervalSeconds", HC_INTERVAL_S, &hc->interval_s, v);
	get_number(h, "timeoutSeconds", HC_TIMEOUT_S, &hc->timeout_s, v);
	get_number(h, "delaySeconds", HC_DELAY_S, &hc->delay_s, v);
	get_int(h, "maxConsecutiveFailures", HC_MAX_FAILURES, &hc->max_failures, v);
	pc_json_min(v, hpath(p, i, "/intervalSeconds"), hc->interval_s, 1);
	pc_json_min(v, hpath(p, i, "/timeoutSeconds"), hc->timeout_s, 1);
	pc_json_min(v, hpath(p, i, "/gracePeriodSeconds"), hc->grace_s, 0);
	pc_json_min(v, hpath(p, i, "/maxConsecutiveFailures"), (double)hc->max_failures, 0);
	return hc->by_plugin;
}

/* healthChecks: any number the plugin runs (HTTP, TCP), at most one the agent runs. */
static void
get_health(const struct json *j, struct mt_app *a, struct pc_json_errs *v)
{
	const struct json *hcs = json_get(j, "healthChecks");
	char msg[MT_ERR_MAX];
	size_t by_agent = 0;

	if (hcs == NULL || hcs->type == JSON_NULL)
		return;
	if (hcs->type != JSON_ARRAY) {
		pc_json_type(v, "/healthChecks", "jsarray");
		return;
	}
	if (hcs->n == 0)
		return;
	if (hcs->n > MT_HEALTH_MAX) {
		snprintf(msg, sizeof(msg), "at most %d health checks per app", MT_HEALTH_MAX);
		pc_json_err(v, "/healthChecks", msg);
		return;
	}
	a->health = xcalloc(hcs->n, sizeof(*a->health));
	a->nhealth = hcs->n;
	for (size_t i = 0; i < hcs->n; i++)
		by_agent += get_one_health(hcs->items[i], i, &a->health[i], a, v) == 0;
	if (by_agent > 1)
		pc_json_err(v, "/healthChecks", "AppDefinition can contain at most one Mesos health check");
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
	struct pc_json_errs v;
	const struct json *x;
	char id[MT_ID_MAX + 1];
	const char *ks;

	memset(&v, 0, sizeof(v));
	a->kill_grace_seconds = -1;
	if (j->type != JSON_OBJECT) {
		pc_json_type(&v, "/", "jsobject");
		goto out;
	}
	fields_parse(j, a, &v);
	x = json_get(j, "id");
	if (x == NULL || x->type == JSON_NULL)
		pc_json_err(&v, "/id", "error.path.missing");
	else if (x->type != JSON_STRING)
		pc_json_type(&v, "/id", "jsstring");
	else if (normalise_id(x->string, id, sizeof(id), &v) == 0)
		a->id = xstrdup(id);
	if (x != NULL && x->type == JSON_STRING && strspn(x->string, "/") == strlen(x->string) &&
	    x->string[0] != '\0')
		pc_json_err(&v, "/id", "must not be root");

	x = json_get(j, "cmd");
	if (x != NULL && x->type == JSON_STRING) {
		if (x->string[0] == '\0')
			pc_json_err(&v, "/cmd", "must not be an empty string");
		a->cmd = xstrdup(x->string);
	} else if (x != NULL && x->type != JSON_NULL) {
		pc_json_type(&v, "/cmd", "jsstring");
	}
	pc_json_strings(&v, json_get(j, "args"), "/args", &a->args, &a->nargs);
	if ((a->cmd != NULL) == (a->args != NULL && a->nargs > 0))
		pc_json_err(&v, "/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a "
		            "'container'.");

	get_number(j, "cpus", DEFAULT_CPUS, &a->cpus, &v);
	pc_json_min(&v, "/cpus", a->cpus, MIN_CPUS);
	get_number(j, "mem", DEFAULT_MEM_MB, &a->mem, &v);
	pc_json_min(&v, "/mem", a->mem, 0);
	get_number(j, "disk", DEFAULT_DISK_MB, &a->disk, &v);
	pc_json_min(&v, "/disk", a->disk, 0);
	get_int(j, "instances", DEFAULT_INSTANCES, &a->instances, &v);
	pc_json_min(&v, "/instances", (double)a->instances, 0);
	get_ports(j, a, &v);
	x = json_get(j, "requirePorts");
	if (x != NULL && x->type == JSON_BOOL)
		a->require_ports = x->boolean;
	else if (x != NULL && x->type != JSON_NULL)
		pc_json_type(&v, "/requirePorts", "jsboolean");
	get_kv(j, "env", &a->env, &a->nenv, &v);
	get_kv(j, "labels", &a->labels, &a->nlabels, &v);
	get_fetch(j, a, &v);
	get_health(j, a, &v);
	readiness_parse(j, a, &v);    /* after the ports: it names one */
	{
		char path[MT_NAME_MAX], msg[MT_ERR_MAX];

		if (constraints_parse(json_get(j, "constraints"), a, path, sizeof(path), msg,
		                      sizeof(msg)) == -1)
			pc_json_err(&v, path, msg);
	}
	get_number(j, "backoffSeconds", DEFAULT_BACKOFF_S, &a->backoff_seconds, &v);
	pc_json_min(&v, "/backoffSeconds", a->backoff_seconds, 0);
	get_number(j, "backoffFactor", DEFAULT_BACKOFF_FACTOR, &a->backoff_factor, &v);
	pc_json_min(&v, "/backoffFactor", a->backoff_factor, 1);
	get_number(j, "maxLaunchDelaySeconds", DEFAULT_MAX_LAUNCH_DELAY_S,
	           &a->max_launch_delay_seconds, &v);
	pc_json_min(&v, "/maxLaunchDelaySeconds", a->max_launch_delay_seconds, 0);
	get_upgrade(j, a, &v);
	ks = json_get_str(j, "killSelection");
	if (ks != NULL && strcmp(ks, "OLDEST_FIRST") == 0)
		a->kill_oldest_first = 1;
	else if (ks != NULL && strcmp(ks, "YOUNGEST_FIRST") != 0)
		pc_json_err(&v, "/killSelection", "must be one of YOUNGEST_FIRST, OLDEST_FIRST");
	else if (ks == NULL && json_get(j, "killSelection") != NULL &&
	         json_get(j, "killSelection")->type != JSON_NULL)
		pc_json_type(&v, "/killSelection", "jsstring");
	get_int(j, "taskKillGracePeriodSeconds", -1, &a->kill_grace_seconds, &v);
	if (json_get(j, "taskKillGracePeriodSeconds") != NULL && a->kill_grace_seconds != -1)
		pc_json_min(&v, "/taskKillGracePeriodSeconds", (double)a->kill_grace_seconds, 0);
	get_unreachable(j, a, &v);
	x = json_get(j, "user");
	if (x != NULL && x->type == JSON_STRING && x->string[0] != '\0')
		a->user = xstrdup(x->string);
	else if (x != NULL && x->type != JSON_NULL && x->type != JSON_STRING)
		pc_json_type(&v, "/user", "jsstring");
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
	*status = pc_json_errs_write(&v, details);
	app_free(a);
	return NULL;
}

void
app_free(struct mt_app *a)
{
	if (a == NULL)
		return;
	free(a->id);
	free(a->cmd);
	pc_json_strings_free(a->args, a->nargs);
	pc_json_kv_free(a->env, a->nenv);
	pc_json_kv_free(a->labels, a->nlabels);
	for (size_t i = 0; a->fetch != NULL && i < a->nuris; i++)
		free(a->fetch[i].dest);
	free(a->fetch);
	pc_json_strings_free(a->uris, a->nuris);
	constraints_free(a);
	deployments_free(a);
	versions_free(a);
	for (size_t i = 0; i < a->nhealth; i++) {
		free(a->health[i].path);
		free(a->health[i].command);
	}
	free(a->health);
	readiness_free(a);
	free(a->user);
	fields_free(a);
	view_failure_free(a);
	free(a);
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
	pc_json_knum(w, "cpus", a->cpus);
	pc_json_knum(w, "mem", a->mem);
	pc_json_knum(w, "disk", a->disk);
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
	pc_json_kv_write(w, "env", a->env, a->nenv);
	pc_json_kv_write(w, "labels", a->labels, a->nlabels);
	json_key(w, "fetch");
	json_arr_begin(w);
	for (size_t i = 0; i < a->nuris; i++) {
		json_obj_begin(w);
		json_kstr(w, "uri", a->uris[i]);
		json_kbool(w, "extract", a->fetch != NULL ? a->fetch[i].extract : 1);
		json_kbool(w, "executable", a->fetch != NULL && a->fetch[i].executable);
		json_kbool(w, "cache", a->fetch != NULL && a->fetch[i].cache);
		if (a->fetch != NULL && a->fetch[i].dest != NULL)
			json_kstr(w, "destPath", a->fetch[i].dest);
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
		pc_json_knum(w, "gracePeriodSeconds", hc->grace_s);
		pc_json_knum(w, "intervalSeconds", hc->interval_s);
		pc_json_knum(w, "timeoutSeconds", hc->timeout_s);
		pc_json_knum(w, "delaySeconds", hc->delay_s);
		json_kint(w, "maxConsecutiveFailures", hc->max_failures);
		if (http)
			json_kbool(w, "ignoreHttp1xx", hc->ignore_1xx);
		json_obj_end(w);
	}
	json_arr_end(w);
	pc_json_knum(w, "backoffSeconds", a->backoff_seconds);
	pc_json_knum(w, "backoffFactor", a->backoff_factor);
	pc_json_knum(w, "maxLaunchDelaySeconds", a->max_launch_delay_seconds);
	json_key(w, "upgradeStrategy");
	json_obj_begin(w);
	pc_json_knum(w, "minimumHealthCapacity", a->min_health_capacity);
	pc_json_knum(w, "maximumOverCapacity", a->max_over_capacity);
	json_obj_end(w);
	json_kstr(w, "killSelection", a->kill_oldest_first ? "OLDEST_FIRST" : "YOUNGEST_FIRST");
	if (a->kill_grace_seconds >= 0)
		json_kint(w, "taskKillGracePeriodSeconds", a->kill_grace_seconds);
	json_key(w, "unreachableStrategy");
	if (a->unreachable_disabled) {
		json_str(w, "disabled");
	} else {
		json_obj_begin(w);
		pc_json_knum(w, "inactiveAfterSeconds", a->unreachable_inactive_s);
		pc_json_knum(w, "expungeAfterSeconds", a->unreachable_expunge_s);
		json_obj_end(w);
	}
	if (a->user != NULL)
		json_kstr(w, "user", a->user);
	readiness_write(w, a);
	fields_write(w, a);
	json_kstr(w, "version", a->version);
	json_key(w, "versionInfo");
	json_obj_begin(w);
	json_kstr(w, "lastScalingAt", a->last_scaling);
	json_kstr(w, "lastConfigChangeAt", a->last_config_change);
	json_obj_end(w);
}

int
app_task_healthy(const struct mt_app *a, const struct mt_task *t)
{
	return strcmp(t->state, "TASK_RUNNING") == 0 && (a->nhealth == 0 || t->healthy == 1) &&
	       t->ready != MT_READY_NOT_YET;
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

/* The same URIs with other fetch options (both from fetch, or from uris). */
static int
app_fetch_differs(const struct mt_app *a, const struct mt_app *b)
{
	char sa[MT_FETCH_SPEC_MAX], sb[MT_FETCH_SPEC_MAX];

	for (size_t i = 0; i < a->nuris && i < b->nuris; i++) {
		app_fetch_spec(a, i, sa, sizeof(sa));
		app_fetch_spec(b, i, sb, sizeof(sb));
		if (strcmp(sa, sb) != 0)
			return 1;
	}
	return 0;
}

void
app_fetch_spec(const struct mt_app *a, size_t i, char *out, size_t len)
{
	const struct mt_fetch *e = a->fetch != NULL ? &a->fetch[i] : NULL;

	/* Only what differs from the fetcher's defaults (extract=1, the rest 0). */
	snprintf(out, len, "%s%s%s%s%s%s", a->uris[i], e != NULL && !e->extract ? ";extract=0" : "",
	         e != NULL && e->executable ? ";executable=1" : "",
	         e != NULL && e->cache ? ";cache=1" : "",
	         e != NULL && e->dest != NULL ? ";output_file=" : "",
	         e != NULL && e->dest != NULL ? e->dest : "");
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
	if (pc_json_strings_differ(a->args, a->nargs, b->args, b->nargs) ||
	    pc_json_strings_differ(a->uris, a->nuris, b->uris, b->nuris) || app_fetch_differs(a, b) ||
	    pc_json_kv_differ(a->env, a->nenv, b->env, b->nenv) ||
	    pc_json_kv_differ(a->labels, a->nlabels, b->labels, b->nlabels) || constraints_differ(a, b) ||
	    fields_differ(a, b) || readiness_differ(a, b))
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
