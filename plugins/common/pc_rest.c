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
#include "http.h"
#include "json.h"
#include "net.h"

#define MS_PER_S 1000
#define DEFAULT_HTTP_IP "0.0.0.0"
#define PORT_MAX 65535
#define PARAM_MAX 256
#define ERR_MAX 512
/* What a page of another origin may send: the methods and headers the APIs use. */
#define CORS_METHODS "GET, HEAD, POST, PUT, PATCH, DELETE"
#define CORS_HEADERS "Content-Type, Authorization"
#define CORS_MAX_AGE_S "600"            /* seconds a browser may keep a preflight's answer */

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
	out->fd = http_server_listen(loop, ip, (int)p, fn, arg, err, errlen);
	if (out->fd == -1)
		return -1;
	out->port = net_local_port(out->fd);
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out->leader, sizeof(out->leader), "%s:%d", host, out->port);
	d->log(d, FRAMEWORK_LOG_INFO, "REST API listening on %s:%d", ip, out->port);
	return 0;
}

void
pc_rest_reply(struct http_exchange *x, int status, struct buf *b)
{
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
