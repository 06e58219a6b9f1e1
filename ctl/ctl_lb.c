/*
 * ctl_lb.c: `mesosctl lb`, mesos-lb's /_lb/stats as a table: one line per
 * service (its app, service port, mode, balance, virtual hosts) and under
 * it one per backend (task, address, state, connections open and total,
 * bytes each way, errors, ejections). --json prints the JSON as it came.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"
#include "flags.h"
#include "http_client.h"
#include "json.h"
#include "net.h"

#define LB_CTL_DEFAULT_ADDR "127.0.0.1:9090"   /* mesos-lb's --stats_port */
#define LB_CTL_DEFAULT_PORT 9090
#define LB_CTL_REPLY_MAX    (16u << 20)
#define LB_CTL_PATH         "/_lb/stats"

static long long
num(const struct json *j, const char *key)
{
	long long v = 0;

	json_as_int(json_get(j, key), &v);
	return v;
}

static void
print_service(const struct json *s)
{
	const struct json *vh = json_get(s, "vhosts"), *bs = json_get(s, "backends");
	const char *app = json_get_str(s, "app");
	char where[CTL_HOST_MAX];

	snprintf(where, sizeof(where), "%lld", num(s, "service_port"));
	if (vh != NULL && vh->type == JSON_ARRAY && vh->n > 0 && vh->items[0]->type == JSON_STRING)
		snprintf(where, sizeof(where), "%lld,%s", num(s, "service_port"), vh->items[0]->string);
	printf("%-24s %-22s %-5s %-10s %6lld %8lld %10lld %10lld %6lld %5lld\n",
	    app != NULL ? app : "?", where, json_get_str(s, "mode") ? json_get_str(s, "mode") : "",
	    json_get_str(s, "balance") ? json_get_str(s, "balance") : "", num(s, "open"),
	    num(s, "total"), num(s, "bytes_in"), num(s, "bytes_out"), num(s, "errors"),
	    num(s, "ejections"));
	for (size_t i = 0; bs != NULL && bs->type == JSON_ARRAY && i < bs->n; i++) {
		const struct json *b = bs->items[i];
		char addr[CTL_ADDR_MAX];
		const char *state = json_get_str(b, "state");

		snprintf(addr, sizeof(addr), "%s:%lld", json_get_str(b, "address") ?
		    json_get_str(b, "address") : "?", num(b, "port"));
		printf("  %-22s %-22s %-5s %-10s %6lld %8lld %10lld %10lld %6lld %5lld\n", addr, "",
		    "", state != NULL ? state : "", num(b, "open"), num(b, "total"), num(b, "bytes_in"),
		    num(b, "bytes_out"), num(b, "errors"), num(b, "ejections"));
	}
}

int
ctl_lb(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_args a;
	char *addr = NULL;
	struct flag flags[] = {
		{ "lb", FLAG_STRING, &addr,
		  "HOST:PORT of mesos-lb's stats port (default $MESOS_LB, else " LB_CTL_DEFAULT_ADDR ")",
		  0 },
	};
	char host[CTL_HOST_MAX], err[CTL_ERR_MAX];
	struct http_client_response resp;
	struct json *j = NULL;
	struct buf body;
	const char *s;
	int port, rc = ctl_parse_args(&a, ctl, flags, 1, 0, argc, argv, 0, 0);

	if (rc != -1)
		goto out;
	rc = EXIT_FAILURE;
	s = addr != NULL && *addr != '\0' ? addr : getenv("MESOS_LB");
	if (s == NULL || *s == '\0')
		s = LB_CTL_DEFAULT_ADDR;
	if (net_parse_hostport(s, LB_CTL_DEFAULT_PORT, host, sizeof(host), &port, err,
	    sizeof(err)) == -1) {
		ctl_say("bad --lb '%s': %s", s, err);
		goto out;
	}
	buf_init(&body, LB_CTL_REPLY_MAX);
	memset(&resp, 0, sizeof(resp));
	resp.body = &body;
	if (http_client_request(host, port, "GET", LB_CTL_PATH, NULL, NULL, 0, (int)ctl->timeout_ms,
	    &resp, err, sizeof(err)) == -1) {
		ctl_say("cannot reach mesos-lb at %s: %s", s, err);
	} else if (resp.status != 200) {
		ctl_say("GET %s on mesos-lb at %s: %d", LB_CTL_PATH, s, resp.status);
	} else if (ctl->json) {
		ctl_print_clean(stdout, body.data != NULL ? body.data : "");
		putchar('\n');
		rc = EXIT_SUCCESS;
	} else if ((j = json_parse(body.data != NULL ? body.data : "", body.len, err,
	    sizeof(err))) == NULL) {
		ctl_say("bad JSON from mesos-lb at %s: %s", s, err);
	} else {
		const struct json *svcs = json_get(j, "services"), *m = json_get(j, "marathon");
		const struct json *conns = json_get(j, "connections");

		printf("marathon %s (%s); connections %lld open of %lld, %lld refused\n",
		    json_get_str(m, "url") ? json_get_str(m, "url") : "?",
		    json_get_str(m, "state") ? json_get_str(m, "state") : "?", num(conns, "open"),
		    num(conns, "max"), num(conns, "refused"));
		printf("%-24s %-22s %-5s %-10s %6s %8s %10s %10s %6s %5s\n", "APP / BACKEND",
		    "PORT,VHOST", "MODE", "BALANCE", "OPEN", "TOTAL", "BYTES_IN", "BYTES_OUT", "ERRORS",
		    "EJECT");
		for (size_t i = 0; svcs != NULL && svcs->type == JSON_ARRAY && i < svcs->n; i++)
			print_service(svcs->items[i]);
		rc = EXIT_SUCCESS;
	}
	json_free(j);
	buf_free(&body);
out:
	ctl_args_free(&a);
	flags_free(flags, 1);
	return rc;
}
