/*
 * pc_rest.c: what the plugins' REST APIs share around lib/http.c: the
 * listener their conf asks for (http_port, http_ip), a request's JSON
 * body (400 when it does not parse, with the parser's reason), replies,
 * ?flag=true parameters, CORS for the master's web page, and timestamps (ISO-8601 with milliseconds;
 * Marathon ends them with "Z", Metronome with "+0000").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "pc.h"
#include "buf.h"
#include "cred.h"
#include "http.h"
#include "http_auth.h"
#include "json.h"
#include "net.h"
#include "xmem.h"

#define MS_PER_S 1000
#define DEFAULT_HTTP_IP "0.0.0.0"
#define PORT_MAX 65535
#define PARAM_MAX 256
#define ERR_MAX 512
/* What a page of another origin may send: the methods and headers the APIs use. */
#define CORS_METHODS "GET, HEAD, POST, PUT, PATCH, DELETE"
#define CORS_HEADERS "Content-Type, Authorization"
#define CORS_MAX_AGE_S "600"            /* seconds a browser may keep a preflight's answer */
#define DEFAULT_REALM "Mesosphere"      /* Marathon's --http_realm default */
#define REALM_MAX 128

/*
 * The API's handler behind the credentials check. A plugin host runs one
 * plugin, which has one REST API: one guard per process.
 */
static struct {
	http_handler_fn fn;
	void *arg;
	struct cred_set creds;          /* n == 0: open */
	char realm[REALM_MAX];
} guard;

static void
guarded(struct http_exchange *x, void *arg)
{
	char user[PC_HOST_MAX];

	(void)arg;
	/* Before the credentials: a browser's preflight carries none, and a
	 * refusal needs the CORS headers for the page to read it. */
	if (pc_rest_cors(x))
		return;
	if (guard.creds.n > 0 && http_auth_basic(x, &guard.creds, user, sizeof(user)) < 0) {
		http_auth_refuse(x, guard.realm, http_header(x, "Authorization") != NULL ?
		                 "wrong user or password" : "authentication required");
		return;
	}
	guard.fn(x, guard.arg);
}

/* http_credentials "user:password" into the guard. */
static int
guard_init(struct framework_driver *d, const char *conf_name, char *err, size_t errlen)
{
	const char *cred = d->conf(d, "http_credentials"), *realm = d->conf(d, "http_realm");
	char user[PC_HOST_MAX], why[ERR_MAX];
	const char *colon;
	struct cred c;

	guard.creds.v = NULL;
	guard.creds.n = 0;
	snprintf(guard.realm, sizeof(guard.realm), "%s",
	         realm != NULL && *realm != '\0' ? realm : DEFAULT_REALM);
	if (cred == NULL || *cred == '\0')
		return 0;
	colon = strchr(cred, ':');
	if (colon == NULL || (size_t)(colon - cred) >= sizeof(user)) {
		snprintf(err, errlen, "%s: http_credentials must be user:password", conf_name);
		return -1;
	}
	snprintf(user, sizeof(user), "%.*s", (int)(colon - cred), cred);
	if (cred_make(&c, user, colon + 1, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: http_credentials: %s", conf_name, why);
		return -1;
	}
	guard.creds.v = xmalloc(sizeof(c));
	guard.creds.v[0] = c;
	guard.creds.n = 1;
	return 0;
}

static int
is_loopback(const char *ip)
{
	return strncmp(ip, "127.", strlen("127.")) == 0 || strcmp(ip, "::1") == 0 ||
	       strcmp(ip, "localhost") == 0;
}

void
pc_rest_close(struct loop *loop, int fd)
{
	http_server_close(loop, fd);
	cred_set_free(&guard.creds);
}

void
pc_rest_time(double secs, const char *zone, char *out, size_t len)
{
	time_t whole = (time_t)secs;
	struct tm tm;
	char base[PC_TIME_MAX];

	gmtime_r(&whole, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03d%s", base, (int)((secs - (double)whole) * MS_PER_S) % MS_PER_S,
	         zone);
}

int
pc_rest_listen(struct framework_driver *d, struct loop *loop, const char *conf_name,
               int default_port, http_handler_fn fn, void *arg, struct pc_rest_addr *out,
               char *err, size_t errlen)
{
	const char *port = d->conf(d, "http_port"), *ip = d->conf(d, "http_ip");
	char host[PC_HOST_MAX], *end;
	long p = default_port;

	if (port != NULL) {
		errno = 0;
		p = strtol(port, &end, 10);
		if (errno != 0 || *end != '\0' || end == port || p < 0 || p > PORT_MAX) {
			snprintf(err, errlen, "%s: http_port must be 0..%d, not '%s'", conf_name, PORT_MAX,
			         port);
			return -1;
		}
	}
	if (ip == NULL)
		ip = DEFAULT_HTTP_IP;
	if (guard_init(d, conf_name, err, errlen) < 0)
		return -1;
	guard.fn = fn;
	guard.arg = arg;
	out->fd = http_server_listen(loop, ip, (int)p, guarded, NULL, err, errlen);
	if (out->fd == -1)
		return -1;
	out->port = net_local_port(out->fd);
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out->leader, sizeof(out->leader), "%s:%d", host, out->port);
	d->log(d, FRAMEWORK_LOG_INFO, "REST API listening on %s:%d", ip, out->port);
	if (guard.creds.n == 0 && !is_loopback(ip))
		d->log(d, FRAMEWORK_LOG_WARN, "REST API on %s without http_credentials: anyone who "
		       "can reach port %d may use it (set http_credentials=user:password or "
		       "http_ip=127.0.0.1)", ip, out->port);
	return 0;
}

void
pc_rest_reply(struct http_exchange *x, int status, struct buf *b)
{
	if (pc_commit_hold(x, status, b))
		return;
	http_reply_json(x, status, b);
	buf_free(b);
}

struct json *
pc_rest_body(struct http_exchange *x)
{
	char err[ERR_MAX];
	size_t len;
	const char *body = http_body(x, &len);
	struct json *j = json_parse(body != NULL ? body : "", body != NULL ? len : 0, err,
	                            sizeof(err));
	struct json_w w;
	struct buf b;

	if (j != NULL)
		return j;
	buf_init(&b, 0);
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_kstr(&w, "message", "Invalid JSON");
	json_kstr(&w, "details", err);
	json_obj_end(&w);
	pc_rest_reply(x, 400, &b);
	return NULL;
}

int
pc_rest_flag(struct http_exchange *x, const char *name)
{
	char v[PARAM_MAX];

	/* Jersey reads a Boolean query parameter with Java's Boolean.valueOf: "true" in any case. */
	return http_query_param(x, name, v, sizeof(v)) && strcasecmp(v, "true") == 0;
}

int
pc_rest_cors(struct http_exchange *x)
{
	const char *origin = http_header(x, "Origin");

	if (origin == NULL)
		return 0;
	http_add_header(x, "Access-Control-Allow-Origin", origin);
	http_add_header(x, "Vary", "Origin");
	if (strcmp(http_method(x), "OPTIONS") != 0 ||
	    http_header(x, "Access-Control-Request-Method") == NULL)
		return 0;
	http_add_header(x, "Access-Control-Allow-Methods", CORS_METHODS);
	http_add_header(x, "Access-Control-Allow-Headers", CORS_HEADERS);
	http_add_header(x, "Access-Control-Max-Age", CORS_MAX_AGE_S);
	http_reply(x, 204, NULL, "", 0);
	return 1;
}
