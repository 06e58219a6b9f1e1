/*
 * ctl_rest.c: mesosctl's side of the framework plugins' REST APIs
 * (Marathon's for `app`, the jobs plugin's for `job`): where the API is
 * (a flag, else an environment variable, else the plugin's default port),
 * one request with the global timeout, the error body said one line per
 * detail, a JSON file read for a POST or PUT, and table cells with peer
 * text made harmless for the terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ctl.h"
#include "http.h"
#include "http_client.h"
#include "json.h"
#include "net.h"

#define REST_CELL_MAX 256               /* bytes of a table cell */
#define REST_CHUNK 8192                 /* bytes read from a file at a time */
#define MS_PER_S 1000
#define NS_PER_MS 1000000L

int
ctl_rest_init(struct ctl_rest *api, const struct ctl *ctl, const char *flag, const char *env,
              const char *dflt, int dflt_port, const char *what)
{
	char err[CTL_ERR_MAX];
	const char *s = flag != NULL && *flag != '\0' ? flag : getenv(env);

	if (s == NULL || *s == '\0')
		s = dflt;
	api->what = what;
	if (net_parse_hostport(s, dflt_port, api->host, sizeof(api->host), &api->port, err,
	                       sizeof(err)) == -1) {
		ctl_say("bad address of %s '%s': %s", what, s, err);
		return -1;
	}
	snprintf(api->addr, sizeof(api->addr), strchr(api->host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	         api->host, api->port);
	api->timeout_ms = ctl->timeout_ms;
	return 0;
}

int
ctl_rest_request(const struct ctl_rest *api, const char *method, const char *path,
                 const struct buf *json, struct buf *body)
{
	struct http_client_response resp;
	char err[CTL_ERR_MAX];
	const char *p;

	buf_reset(body);
	memset(&resp, 0, sizeof(resp));
	resp.body = body;
	if (http_client_request(api->host, api->port, method, path,
	                        json ? "application/json" : NULL, json ? json->data : NULL,
	                        json ? json->len : 0, (int)api->timeout_ms, &resp, err, sizeof(err)) == -1) {
		if (ctl_is_connect_error(err) && (p = strstr(err, ": ")) != NULL)
			ctl_say("cannot reach %s at %s: %s", api->what, api->addr, p + 2);
		else
			ctl_say("%s %s on %s at %s: %s", method, path, api->what, api->addr, err);
		return -1;
	}
	return resp.status;
}

struct json *
ctl_rest_parse(const struct buf *body, char *err, size_t errlen)
{
	return json_parse(body->data != NULL ? body->data : "", body->len, err, errlen);
}

void
ctl_rest_say_error(const char *what, int status, const struct buf *body)
{
	char err[CTL_ERR_MAX];
	struct json *j = ctl_rest_parse(body, err, sizeof(err));
	const char *msg = j != NULL ? json_get_str(j, "message") : NULL;
	const struct json *d = j != NULL ? json_get(j, "details") : NULL;

	ctl_say("%s: %d %s%s%s", what, status, http_status_text(status), msg ? ": " : "",
	        msg ? msg : "");
	if (d != NULL && d->type == JSON_STRING)
		ctl_say("  %s", d->string);
	for (size_t i = 0; d != NULL && d->type == JSON_ARRAY && i < d->n; i++) {
		const char *path = json_get_str(d->items[i], "path");
		const struct json *errs = json_get(d->items[i], "errors");

		for (size_t e = 0; errs != NULL && errs->type == JSON_ARRAY && e < errs->n; e++)
			if (errs->items[e]->type == JSON_STRING)
				ctl_say("  %s: %s", path != NULL && *path ? path : "/",
				        errs->items[e]->string);
	}
	json_free(j);
}

int
ctl_rest_get(const struct ctl_rest *api, const char *path, struct json **out, struct buf *raw)
{
	char err[CTL_ERR_MAX];
	int status = ctl_rest_request(api, "GET", path, NULL, raw);

	*out = NULL;
	if (status == -1)
		return -1;
	if (status != 200) {
		char what[CTL_ERR_MAX];

		snprintf(what, sizeof(what), "GET %s", path);
		ctl_rest_say_error(what, status, raw);
		return -1;
	}
	if ((*out = ctl_rest_parse(raw, err, sizeof(err))) == NULL) {
		ctl_say("GET %s: not JSON: %s", path, err);
		return -1;
	}
	return 0;
}

int
ctl_rest_read_file(const struct ctl_rest *api, const char *file, struct buf *b)
{
	char chunk[REST_CHUNK];
	size_t n;
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");

	if (f == NULL) {
		ctl_say("cannot open %s: %s", file, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) == -1) {
			ctl_say("%s is larger than the %u bytes %s takes", file, HTTP_BODY_MAX, api->what);
			if (f != stdin)
				fclose(f);
			return -1;
		}
	if (ferror(f)) {
		ctl_say("cannot read %s: %s", file, strerror(errno));
		if (f != stdin)
			fclose(f);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

void
ctl_rest_print_raw(const struct buf *raw)
{
	fwrite(raw->data, 1, raw->len, stdout);
	putchar('\n');
}

void
ctl_rest_cell(const char *s, int width)
{
	char cell[REST_CELL_MAX];

	snprintf(cell, sizeof(cell), "%s", s != NULL && *s ? s : "-");
	for (char *p = cell; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (width > 0)
		printf("%-*s ", width, cell);
	else
		fputs(cell, stdout);
}

void
ctl_rest_sleep_ms(long ms)
{
	struct timespec ts = { ms / MS_PER_S, (ms % MS_PER_S) * NS_PER_MS };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int64_t
ctl_rest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}
