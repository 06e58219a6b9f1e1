/*
 * ctl_roles.c: mesosctl's view of the allocator: `roles` (weights, quota,
 * allocation and frameworks of each role, from GET /master/roles), and the
 * two operator calls that change it, `quota` (POST /quota, DELETE
 * /quota/ROLE) and `weights` (PUT /weights).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"
#include "flags.h"
#include "http.h"
#include "http_client.h"
#include "json.h"
#include "res.h"
#include "xmem.h"

#define ROLES_BODY_MAX (16u << 20)   /* bytes of a /master/roles reply */
#define REPLY_BODY_MAX 65536         /* bytes of a reply to a change */

/* One request to the master; returns the HTTP status or -1 after saying why. */
static int
request(const struct ctl *ctl, const char *method, const char *path, const struct buf *json,
        struct buf *body)
{
	struct http_client_response resp;
	char err[CTL_ERR_MAX];

	memset(&resp, 0, sizeof(resp));
	resp.body = body;
	if (http_client_request(ctl->host, ctl->port, method, path,
	                        json ? "application/json" : NULL, json ? json->data : NULL,
	                        json ? json->len : 0, (int)ctl->timeout_ms, &resp, err, sizeof(err)) == -1) {
		if (ctl_is_connect_error(err) || strncmp(err, "timeout", strlen("timeout")) == 0)
			ctl_say_unreachable(ctl, err);
		else
			ctl_say("%s %s on the master at %s: %s", method, path, ctl->addr, err);
		return -1;
	}
	return resp.status;
}

/* Say what the master answered to a change; the exit code. */
static int
report(const char *what, int status, const struct buf *body)
{
	if (status == -1)
		return EXIT_FAILURE;
	if (status / 100 == 2) {
		printf("%s\n", what);
		return EXIT_SUCCESS;
	}
	char err[CTL_ERR_MAX];
	struct json *j = json_parse(body->data ? body->data : "", body->len, err, sizeof(err));
	const char *msg = j ? json_get_str(j, "message") : NULL;
	ctl_say("%d %s%s%s", status, http_status_text(status), msg ? ": " : "", msg ? msg : "");
	json_free(j);
	return EXIT_FAILURE;
}

/* "cpus:4;mem:2048" of a res_json object, scalars only. */
static void
scalars_text(const struct json *o, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; o && o->type == JSON_OBJECT && i < o->n; i++) {
		if (o->items[i]->type != JSON_NUMBER || o->items[i]->number == 0)
			continue;
		int n = snprintf(out + used, len - used, "%s%s:%g", used ? ";" : "", o->keys[i],
		                 o->items[i]->number);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (!out[0])
		snprintf(out, len, "-");
}

int
ctl_roles_list(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_args a;
	struct buf body;
	char err[CTL_ERR_MAX];
	int rc = ctl_parse_args(&a, ctl, NULL, 0, 0, argc, argv, 0, 0), status;

	ctl_args_free(&a);
	if (rc != -1)
		return rc;
	buf_init(&body, ROLES_BODY_MAX);
	status = request(ctl, "GET", "/master/roles", NULL, &body);
	if (status == -1 || status / 100 != 2) {
		if (status != -1)
			ctl_say("GET /master/roles: %d %s", status, http_status_text(status));
		buf_free(&body);
		return EXIT_FAILURE;
	}
	if (ctl->json) {
		fwrite(body.data, 1, body.len, stdout);
		putchar('\n');
		buf_free(&body);
		return EXIT_SUCCESS;
	}
	struct json *j = json_parse(body.data ? body.data : "", body.len, err, sizeof(err));
	buf_free(&body);
	const struct json *roles = j ? json_get(j, "roles") : NULL;
	if (!roles || roles->type != JSON_ARRAY) {
		ctl_say("the master's /master/roles is not what was expected%s%s", j ? "" : ": ",
		        j ? "" : err);
		json_free(j);
		return EXIT_FAILURE;
	}
	printf("%-20s %-7s %-11s %-28s %s\n", "ROLE", "WEIGHT", "FRAMEWORKS", "ALLOCATED", "QUOTA");
	for (size_t i = 0; i < roles->n; i++) {
		const struct json *r = roles->items[i];
		const struct json *fws = json_get(r, "frameworks");
		const struct json *weight = json_get(r, "weight");
		char alloc[256], quota[256];

		scalars_text(json_get(r, "allocated"), alloc, sizeof(alloc));
		scalars_text(json_path(r, "quota.guarantee"), quota, sizeof(quota));
		printf("%-20s %-7g %-11zu %-28s %s\n", json_get_str(r, "name") ? json_get_str(r, "name") : "?",
		       weight && weight->type == JSON_NUMBER ? weight->number : 1.0,
		       fws && fws->type == JSON_ARRAY ? fws->n : 0, alloc, quota);
	}
	json_free(j);
	return EXIT_SUCCESS;
}

/* mesosctl quota ROLE cpus:4;mem:2048   |   mesosctl quota --remove ROLE */
int
ctl_roles_quota(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_args a;
	int remove = 0;
	struct flag flags[] = {
		{ "remove", FLAG_BOOL, &remove, "remove the role's quota", 0 },
	};
	int rc = ctl_parse_args(&a, ctl, flags, sizeof(flags) / sizeof(flags[0]), 0, argc, argv, 1, 2);
	struct buf body, json;
	char err[CTL_ERR_MAX];

	if (rc != -1) {
		ctl_args_free(&a);
		return rc;
	}
	buf_init(&body, REPLY_BODY_MAX);
	if (remove) {
		if (a.npos != 1) {
			ctl_say("quota --remove takes just the role (try 'mesosctl help quota')");
			ctl_args_free(&a);
			buf_free(&body);
			return CTL_EXIT_USAGE;
		}
		struct buf path;
		buf_init(&path, 0);
		buf_puts(&path, "/quota/");
		http_url_encode(&path, a.pos[0]);
		rc = report("quota removed", request(ctl, "DELETE", path.data, NULL, &body), &body);
		buf_free(&path);
		buf_free(&body);
		ctl_args_free(&a);
		return rc;
	}
	if (a.npos != 2) {
		ctl_say("quota takes a role and its guarantee, e.g. 'quota prod cpus:4;mem:2048'");
		ctl_args_free(&a);
		buf_free(&body);
		return CTL_EXIT_USAGE;
	}
	struct res guarantee;
	res_init(&guarantee);
	if (res_parse(&guarantee, a.pos[1], err, sizeof(err)) < 0) {
		ctl_say("quota: %s", err);
		res_free(&guarantee);
		ctl_args_free(&a);
		buf_free(&body);
		return CTL_EXIT_USAGE;
	}
	struct json_w w;
	buf_init(&json, 0);
	json_w_init(&w, &json);
	json_obj_begin(&w);
	json_kstr(&w, "role", a.pos[0]);
	json_key(&w, "guarantee");
	json_obj_begin(&w);
	for (size_t i = 0; i < guarantee.n; i++)
		if (guarantee.items[i].type == RES_SCALAR)
			json_kdouble(&w, guarantee.items[i].name,
			             (double)guarantee.items[i].scalar / RES_SCALAR_ONE);
	json_obj_end(&w);
	json_obj_end(&w);
	rc = report("quota set", request(ctl, "POST", "/quota", &json, &body), &body);
	res_free(&guarantee);
	buf_free(&json);
	buf_free(&body);
	ctl_args_free(&a);
	return rc;
}

/* mesosctl weights prod=3,dev=1 */
int
ctl_roles_weights(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_args a;
	int rc = ctl_parse_args(&a, ctl, NULL, 0, 0, argc, argv, 1, 1);
	struct buf json, body;
	struct json_w w;

	if (rc != -1) {
		ctl_args_free(&a);
		return rc;
	}
	buf_init(&json, 0);
	json_w_init(&w, &json);
	json_arr_begin(&w);
	for (char *s = a.pos[0]; *s;) {
		size_t n = strcspn(s, ",");
		char *item = xstrndup(s, n), *eq = strchr(item, '='), *end = NULL;
		double weight = eq ? strtod(eq + 1, &end) : 0;
		if (!eq || eq == item || !end || *end || !(weight > 0)) {
			ctl_say("weights: '%s' is not ROLE=WEIGHT with a weight > 0", item);
			free(item);
			buf_free(&json);
			ctl_args_free(&a);
			return CTL_EXIT_USAGE;
		}
		*eq = '\0';
		json_obj_begin(&w);
		json_kstr(&w, "role", item);
		json_kdouble(&w, "weight", weight);
		json_obj_end(&w);
		free(item);
		s += n;
		if (*s == ',')
			s++;
	}
	json_arr_end(&w);
	buf_init(&body, REPLY_BODY_MAX);
	rc = report("weights set", request(ctl, "PUT", "/weights", &json, &body), &body);
	buf_free(&json);
	buf_free(&body);
	ctl_args_free(&a);
	return rc;
}
