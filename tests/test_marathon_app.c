/*
 * tests/test_marathon_app.c: the Marathon plugin's app model
 * (plugins/marathon/app.c): ids, each field's defaults and limits with
 * Marathon's messages and statuses, health checks, the PUT/PATCH merge,
 * what counts as a config change, and the bounded version history.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "buf.h"
#include "json.h"
#include "plugins/marathon/mt.h"

#define DETAILS_MAX 4096

static char details[DETAILS_MAX];
static int status;

/* The app of text, or NULL with its error body in details and its status in status. */
static struct mt_app *
parse(const char *text)
{
	char err[MT_ERR_MAX];
	struct json *j = json_parse(text, strlen(text), err, sizeof(err));
	struct json_w w;
	struct buf b;
	struct mt_app *a;

	details[0] = '\0';
	status = 0;
	if (j == NULL) {
		snprintf(details, sizeof(details), "%s", err);
		status = -1;
		return NULL;
	}
	buf_init(&b, 0);
	json_w_init(&w, &b);
	a = app_from_json(j, 0, &w, &status);
	if (a == NULL)
		snprintf(details, sizeof(details), "%.*s", (int)b.len, b.data);
	buf_free(&b);
	json_free(j);
	return a;
}

/* 1 if text is refused with want_status and details holding want. */
static int
refused(const char *text, int want_status, const char *want)
{
	struct mt_app *a = parse(text);

	if (a != NULL) {
		app_free(a);
		fprintf(stderr, "accepted: %s\n", text);
		return 0;
	}
	if (status != want_status || strstr(details, want) == NULL) {
		fprintf(stderr, "%s -> %d %s\n", text, status, details);
		return 0;
	}
	return 1;
}

static void
test_defaults(void)
{
	struct mt_app *a = parse("{\"id\":\"web\",\"cmd\":\"sleep 1\"}");

	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK_STR(a->id, "/web");
	CHECK(a->cpus == 1.0 && a->mem == 128.0 && a->disk == 0.0);
	CHECK(a->instances == 1);
	CHECK(a->backoff_seconds == 1.0 && a->backoff_factor == (double)1.15);
	CHECK(a->max_launch_delay_seconds == 300.0);
	CHECK(a->min_health_capacity == 1.0 && a->max_over_capacity == 1.0);
	CHECK(a->kill_oldest_first == 0);
	CHECK(a->kill_grace_seconds == -1);
	CHECK(a->require_ports == 0);
	CHECK(a->nports == 1 && a->ports[0].port == 0);
	CHECK_STR(a->ports[0].name, "default");
	CHECK_STR(a->ports[0].protocol, "tcp");
	CHECK(a->health == NULL && a->nconstraints == 0 && a->user == NULL);
	CHECK(a->unreachable_inactive_s == 0 && a->unreachable_expunge_s == 0);
	app_free(a);

	a = parse("{\"id\":\"w\",\"args\":[\"sleep\",\"1\"],\"portDefinitions\":[],"
	          "\"killSelection\":\"OLDEST_FIRST\",\"taskKillGracePeriodSeconds\":7,"
	          "\"env\":{\"A\":\"1\"},\"labels\":{\"team\":\"core\"},\"user\":\"nobody\"}");
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->cmd == NULL && a->nargs == 2);
	CHECK(a->nports == 0);
	CHECK(a->kill_oldest_first == 1 && a->kill_grace_seconds == 7);
	CHECK(a->nenv == 1 && a->nlabels == 1);
	CHECK_STR(a->user, "nobody");
	app_free(a);
}

static void
test_ids(void)
{
	struct mt_app *a = parse("{\"id\":\"/prod/./web/../api\",\"cmd\":\"x\"}");

	CHECK(a != NULL && strcmp(a->id, "/prod/api") == 0);
	app_free(a);
	a = parse("{\"id\":\"/a.b/c-d/e1\",\"cmd\":\"x\"}");
	CHECK(a != NULL && strcmp(a->id, "/a.b/c-d/e1") == 0);
	app_free(a);
	CHECK(refused("{\"id\":\"/My_App\",\"cmd\":\"x\"}", 422,
	              "{\"path\":\"/id\",\"errors\":[\"must fully match regular expression"));
	CHECK(refused("{\"id\":\"/a-\",\"cmd\":\"x\"}", 422, "must fully match regular expression"));
	CHECK(refused("{\"id\":\"/-a\",\"cmd\":\"x\"}", 422, "must fully match regular expression"));
	CHECK(refused("{\"id\":\"/a/tasks\",\"cmd\":\"x\"}", 422,
	              "must not end with any of the following reserved keywords: restart, tasks, "
	              "versions, ., .."));
	CHECK(refused("{\"id\":\"/a/versions\",\"cmd\":\"x\"}", 422, "reserved keywords"));
	CHECK(refused("{\"id\":\"/a/restart\",\"cmd\":\"x\"}", 422, "reserved keywords"));
	CHECK(refused("{\"id\":\"/\",\"cmd\":\"x\"}", 422, "must not be root"));
	CHECK(refused("{\"cmd\":\"x\"}", 422, "{\"path\":\"/id\",\"errors\":[\"error.path.missing\"]}"));
	CHECK(refused("{\"id\":5,\"cmd\":\"x\"}", 400, "\"message\":\"Invalid JSON\""));
	CHECK(refused("{\"id\":5,\"cmd\":\"x\"}", 400, "error.expected.jsstring"));
	{
		char text[MT_ID_MAX * 2];
		char id[MT_ID_MAX + 2];

		memset(id, 'a', sizeof(id) - 1);
		id[sizeof(id) - 1] = '\0';
		snprintf(text, sizeof(text), "{\"id\":\"%s\",\"cmd\":\"x\"}", id);
		CHECK(refused(text, 422, "must not be longer than"));
	}
}

static void
test_limits(void)
{
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"args\":[\"y\"]}", 422,
	              "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."));
	CHECK(refused("{\"id\":\"a\"}", 422, "must either contain one of 'cmd' or 'args'"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"\"}", 422, "must not be an empty string"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"cpus\":0}", 422,
	              "{\"path\":\"/cpus\",\"errors\":[\"got 0, expected 0.001 or more\"]}"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"mem\":-1}", 422,
	              "{\"path\":\"/mem\",\"errors\":[\"got -1, expected 0 or more\"]}"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"disk\":-1}", 422, "\"path\":\"/disk\""));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"instances\":-1}", 422,
	              "{\"path\":\"/instances\",\"errors\":[\"got -1, expected 0 or more\"]}"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"instances\":1.5}", 400, "/instances"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"cpus\":\"1\"}", 400, "error.expected.jsnumber"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"backoffFactor\":0.5}", 422,
	              "{\"path\":\"/backoffFactor\",\"errors\":[\"got 0.5, expected 1 or more\"]}"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"backoffSeconds\":-1}", 422, "/backoffSeconds"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"maxLaunchDelaySeconds\":-1}", 422,
	              "/maxLaunchDelaySeconds"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"upgradeStrategy\":{\"minimumHealthCapacity\":1.5}}",
	              422, "{\"path\":\"/upgradeStrategy/minimumHealthCapacity\",\"errors\":"
	              "[\"is greater than 1\"]}"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"upgradeStrategy\":{\"maximumOverCapacity\":-0.5}}",
	              422, "{\"path\":\"/upgradeStrategy/maximumOverCapacity\",\"errors\":"
	              "[\"is less than 0\"]}"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"killSelection\":\"RANDOM\"}", 422,
	              "must be one of YOUNGEST_FIRST, OLDEST_FIRST"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"taskKillGracePeriodSeconds\":-2}", 422,
	              "/taskKillGracePeriodSeconds"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"unreachableStrategy\":{\"inactiveAfterSeconds\":10,"
	              "\"expungeAfterSeconds\":5}}", 422,
	              "inactiveAfterSeconds must be less or equal to expungeAfterSeconds"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"unreachableStrategy\":{\"inactiveAfterSeconds\":-1,"
	              "\"expungeAfterSeconds\":5}}", 422,
	              "{\"path\":\"/unreachableStrategy/inactiveAfterSeconds\",\"errors\":"
	              "[\"got -1, expected 0 or more\"]}"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"unreachableStrategy\":{\"expungeAfterSeconds\":-3}}",
	              422, "{\"path\":\"/unreachableStrategy/expungeAfterSeconds\",\"errors\":"
	              "[\"got -3, expected 0 or more\"]}"));
	/* Only expungeAfter given: inactiveAfter keeps its default 0, which is <= it. */
	{
		struct mt_app *a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"unreachableStrategy\":"
		                         "{\"expungeAfterSeconds\":9}}");

		CHECK(a != NULL && a->unreachable_inactive_s == 0 && a->unreachable_expunge_s == 9);
		app_free(a);
	}
	/* Only inactiveAfter given: above the default expungeAfter 0. */
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"unreachableStrategy\":{\"inactiveAfterSeconds\":1}}",
	              422, "inactiveAfterSeconds must be less or equal to expungeAfterSeconds"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"unreachableStrategy\":{\"inactiveAfterSeconds\":1.5,"
	              "\"expungeAfterSeconds\":5}}", 400, "/unreachableStrategy/inactiveAfterSeconds"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"unreachableStrategy\":\"off\"}", 422,
	              "{\"path\":\"/unreachableStrategy\",\"errors\":"
	              "[\"must be \\\"disabled\\\" or an object\"]}"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"unreachableStrategy\":3}", 400,
	              "error.expected.jsobject"));
	/* Accepted, and shown as Marathon shows them. */
	{
		struct mt_app *a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"unreachableStrategy\":"
		                         "{\"inactiveAfterSeconds\":3,\"expungeAfterSeconds\":3}}");
		char *text = a != NULL ? app_json_text(a) : NULL;

		CHECK(a != NULL && a->unreachable_inactive_s == 3 && a->unreachable_expunge_s == 3 &&
		      !a->unreachable_disabled);
		CHECK(text != NULL && strstr(text, "\"unreachableStrategy\":{\"inactiveAfterSeconds\":3,"
		                             "\"expungeAfterSeconds\":3}") != NULL);
		free(text);
		app_free(a);
		a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"unreachableStrategy\":\"disabled\"}");
		text = a != NULL ? app_json_text(a) : NULL;
		CHECK(a != NULL && a->unreachable_disabled);
		CHECK(text != NULL && strstr(text, "\"unreachableStrategy\":\"disabled\"") != NULL);
		app_free(a);
		/* What is written reads back the same (store and versions keep this text). */
		if (text != NULL) {
			a = parse(text);
			CHECK(a != NULL && a->unreachable_disabled);
			app_free(a);
		}
		free(text);
		a = parse("{\"id\":\"a\",\"cmd\":\"x\"}");
		text = a != NULL ? app_json_text(a) : NULL;
		CHECK(text != NULL && strstr(text, "\"unreachableStrategy\":{\"inactiveAfterSeconds\":0,"
		                             "\"expungeAfterSeconds\":0}") != NULL);
		free(text);
		app_free(a);
	}
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"ports\":[1],\"portDefinitions\":[{\"port\":2}]}",
	              422, "You cannot specify both ports and port definitions"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"portDefinitions\":[{\"port\":0,\"name\":\"h\"},"
	              "{\"port\":0,\"name\":\"h\"}]}", 422, "Port names must be unique."));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"portDefinitions\":[{\"port\":0,"
	              "\"protocol\":\"sctp\"}]}", 422, "protocol must be one of tcp, udp, udp,tcp"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"portDefinitions\":[{\"port\":70000}]}", 422,
	              "port must be between 0 and 65535"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"fetch\":[{\"uri\":\"http://x/a\"}],"
	              "\"uris\":[\"http://x/b\"]}", 422,
	              "AppDefinition must not contain both 'fetch' and 'uris'"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"fetch\":[{\"uri\":\"\"}]}", 422,
	              "must be between 1 and 1024 characters"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"container\":{\"type\":\"DOCKER\"}}", 422,
	              "{\"path\":\"/container/type\",\"errors\":[\"only a MESOS container"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"env\":{\"A\":1}}", 400, "/env/A"));
	CHECK(refused("[1]", 400, "error.expected.jsobject"));
	/* Several errors come back together, one entry per path. */
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"cpus\":0,\"mem\":-1}", 422,
	              "\"details\":[{\"path\":\"/cpus\",\"errors\":[\"got 0, expected 0.001 or more\"]},"
	              "{\"path\":\"/mem\""));
	/* Empty unsupported fields are what clients send by default: accepted. */
	{
		struct mt_app *a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"container\":null,"
		                         "\"dependencies\":[],\"gpus\":0}");

		CHECK(a != NULL);
		app_free(a);
	}
}

static void
test_constraints(void)
{
	struct mt_app *a;

	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"constraints\":[[\"hostname\"]]}", 422,
	              "{\"path\":\"/constraints(0)\",\"errors\":[\"Each constraint must have either 2 "
	              "or 3 fields\"]}"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"constraints\":[[\"hostname\",\"FOO\"]]}", 422,
	              "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, "
	              "UNLIKE or IS"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"constraints\":[[\"hostname\",\"UNIQUE\",\"x\"]]}",
	              422, "UNIQUE does not accept a value"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"constraints\":[[\"rack\",\"GROUP_BY\",\"abc\"]]}",
	              422, "GROUP BY must define an integer value or else no value at all"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"constraints\":[[\"rack\",\"MAX_PER\"]]}", 422,
	              "MAX_PER requires an integer value"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"constraints\":[[\"rack\",\"LIKE\"]]}", 422,
	              "LIKE and UNLIKE require a non-empty, regular expression value"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"constraints\":[[\"rack\",\"LIKE\",\"[a\"]]}", 422,
	              "is not a valid regular expression"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"constraints\":[[\"rack\",\"IS\",\"a b\"]]}", 422,
	              "IS only supports Mesos text and float values"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"constraints\":[[\"\",\"UNIQUE\"]]}", 422,
	              "illegal constraint specification"));
	a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"constraints\":[[\"hostname\",\"UNIQUE\"],"
	          "[\"rack\",\"GROUP_BY\",\"3\"],[\"rack\",\"LIKE\",\"r[12]\"]]}");
	CHECK(a != NULL && a->nconstraints == 3);
	if (a != NULL)
		CHECK(a->constraints[1].num == 3 && a->constraints[2].has_re);
	app_free(a);
}

static void
test_health(void)
{
	struct mt_app *a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{}]}");

	CHECK(a != NULL && a->nhealth == 1);
	if (a != NULL && a->nhealth == 1) {
		CHECK_STR(a->health->protocol, "HTTP");
		CHECK(a->health->by_plugin == 1);
		CHECK(a->health->grace_s == 300 && a->health->interval_s == 60);
		CHECK(a->health->timeout_s == 20 && a->health->max_failures == 3);
		CHECK(a->health->port_index == 0 && a->health->ignore_1xx == 0);
	}
	app_free(a);
	a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"MESOS_TCP\","
	          "\"port\":8080}]}");
	CHECK(a != NULL && a->health != NULL && !a->health->by_plugin);
	if (a != NULL && a->health != NULL)
		CHECK(a->health->port_index == -1 && a->health->port == 8080);
	app_free(a);
	a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"TCP\"}]}");
	CHECK(a != NULL && a->health != NULL && a->health->by_plugin);
	app_free(a);
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"HTTPS\"}]}", 422,
	              "is not supported by this Marathon: use HTTP, TCP, MESOS_HTTP, MESOS_TCP or "
	              "COMMAND"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"COMMAND\"}]}", 422,
	              "a COMMAND health check needs command.value"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"portDefinitions\":[],"
	              "\"healthChecks\":[{\"protocol\":\"TCP\"}]}", 422,
	              "Health check port indices must address an element of the ports array"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"intervalSeconds\":0}]}", 422,
	              "/healthChecks(0)/intervalSeconds"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"maxConsecutiveFailures\":-1}]}",
	              422, "/healthChecks(0)/maxConsecutiveFailures"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"path\":\"no-slash\"}]}", 422,
	              "/healthChecks(0)/path"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"MESOS_HTTP\"},"
	              "{\"protocol\":\"COMMAND\",\"command\":{\"value\":\"true\"}}]}", 422,
	              "AppDefinition can contain at most one Mesos health check"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{},{\"intervalSeconds\":0}]}",
	              422, "/healthChecks(1)/intervalSeconds"));
}

/* readinessChecks: Marathon's defaults, at most one, HTTP only, a portName the app has. */
static void
test_readiness(void)
{
	const char *ports = "\"portDefinitions\":[{\"port\":0,\"name\":\"http-api\"}]";
	char text[DETAILS_MAX];
	struct mt_app *a;

	snprintf(text, sizeof(text), "{\"id\":\"a\",\"cmd\":\"x\",%s,\"readinessChecks\":[{}]}",
	         ports);
	a = parse(text);
	CHECK(a != NULL && a->nreadiness == 1);
	if (a != NULL && a->nreadiness == 1) {
		CHECK_STR(a->readiness->name, "readinessCheck");
		CHECK_STR(a->readiness->path, "/");
		CHECK_STR(a->readiness->port_name, "http-api");
		CHECK(a->readiness->interval_s == 30 && a->readiness->timeout_s == 10);
		CHECK(a->readiness->ncodes == 1 && a->readiness->codes[0] == 200);
		CHECK(a->readiness->preserve == 0);
	}
	app_free(a);
	a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"readinessChecks\":[]}");
	CHECK(a != NULL && a->nreadiness == 0);
	app_free(a);
	snprintf(text, sizeof(text), "{\"id\":\"a\",\"cmd\":\"x\",%s,\"readinessChecks\":"
	         "[{\"protocol\":\"HTTPS\"}]}", ports);
	CHECK(refused(text, 422, "/readinessChecks(0)/protocol"));
	snprintf(text, sizeof(text), "{\"id\":\"a\",\"cmd\":\"x\",%s,\"readinessChecks\":[{},{}]}",
	         ports);
	CHECK(refused(text, 422, "must have at most one readiness check"));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"readinessChecks\":[{}]}", 422,
	              "/readinessChecks(0)/portName"));
	snprintf(text, sizeof(text), "{\"id\":\"a\",\"cmd\":\"x\",%s,\"readinessChecks\":"
	         "[{\"intervalSeconds\":1,\"timeoutSeconds\":1}]}", ports);
	CHECK(refused(text, 422, "/readinessChecks(0)/timeoutSeconds"));
	snprintf(text, sizeof(text), "{\"id\":\"a\",\"cmd\":\"x\",%s,\"readinessChecks\":"
	         "[{\"httpStatusCodesForReady\":[]}]}", ports);
	CHECK(refused(text, 422, "/readinessChecks(0)/httpStatusCodesForReady"));
	snprintf(text, sizeof(text), "{\"id\":\"a\",\"cmd\":\"x\",%s,\"readinessChecks\":"
	         "[{\"httpStatusCodesForReady\":[700]}]}", ports);
	CHECK(refused(text, 422, "/readinessChecks(0)/httpStatusCodesForReady"));
}

/* Several checks: any number the plugin runs, one the agent runs, all kept in order. */
static void
test_health_several(void)
{
	struct mt_app *a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"path\":\"/a\"},"
	                         "{\"path\":\"/b\",\"maxConsecutiveFailures\":7}]}"), *b;
	char *text, *again;

	CHECK(a != NULL && a->nhealth == 2);
	if (a != NULL && a->nhealth == 2) {
		CHECK_STR(a->health[0].path, "/a");
		CHECK_STR(a->health[1].path, "/b");
		CHECK(a->health[1].max_failures == 7 && a->health[0].max_failures == 3);
		CHECK(app_agent_check(a) == -1);
		text = app_json_text(a);
		CHECK(strstr(text, "\"path\":\"/a\"") != NULL && strstr(text, "\"path\":\"/b\"") != NULL);
		b = parse(text);
		CHECK(b != NULL && b->nhealth == 2 && !app_config_differs(a, b));
		again = b != NULL ? app_json_text(b) : NULL;
		CHECK(again != NULL && strcmp(text, again) == 0);
		free(again);
		app_free(b);
		free(text);
	}
	app_free(a);
	a = parse("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"TCP\"},"
	          "{\"protocol\":\"MESOS_HTTP\",\"path\":\"/m\"}]}");
	CHECK(a != NULL && a->nhealth == 2 && app_agent_check(a) == 1);
	if (a != NULL) {
		b = parse("{\"id\":\"a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"TCP\"}]}");
		CHECK(b != NULL && app_config_differs(a, b));
		app_free(b);
	}
	app_free(a);
}

/* The merge of body over old, parsed back into an app (NULL if refused). */
static struct mt_app *
merged(const struct mt_app *old, const char *body, int partial)
{
	char err[MT_ERR_MAX];
	struct json *j = json_parse(body, strlen(body), err, sizeof(err));
	char *text;
	struct mt_app *a;

	if (j == NULL)
		return NULL;
	text = app_merge(old, "/web", j, partial, err, sizeof(err));
	json_free(j);
	if (text == NULL)
		return NULL;
	a = parse(text);
	free(text);
	return a;
}

static void
test_merge(void)
{
	struct mt_app *old = parse("{\"id\":\"web\",\"cmd\":\"sleep 1\",\"cpus\":0.5,\"instances\":2,"
	                           "\"portDefinitions\":[{\"port\":10001,\"name\":\"http\"}],"
	                           "\"env\":{\"A\":\"1\"}}");
	struct mt_app *a;

	CHECK(old != NULL);
	if (old == NULL)
		return;
	a = merged(old, "{\"instances\":3,\"id\":\"/other\",\"version\":\"x\"}", 1);
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK_STR(a->id, "/web");
		CHECK(a->instances == 3 && a->cpus == 0.5);
		CHECK_STR(a->cmd, "sleep 1");
		CHECK(a->nports == 1 && a->ports[0].port == 10001);
		CHECK(a->nenv == 1);
		CHECK(!app_config_differs(old, a));
	}
	app_free(a);
	a = merged(old, "{\"args\":[\"sleep\",\"2\"]}", 1);
	CHECK(a != NULL && a->cmd == NULL && a->nargs == 2);
	if (a != NULL)
		CHECK(app_config_differs(old, a));
	app_free(a);
	a = merged(old, "{\"ports\":[0,0]}", 1);
	CHECK(a != NULL && a->nports == 2);
	app_free(a);
	a = merged(old, "{\"cmd\":\"sleep 3\"}", 0);
	CHECK(a != NULL && a->instances == 1 && a->cpus == 1.0 && a->nenv == 0);
	app_free(a);
	a = merged(NULL, "{\"cmd\":\"sleep 3\",\"instances\":4}", 1);
	CHECK(a != NULL && a->instances == 4);
	app_free(a);
	a = merged(old, "{\"cpus\":0}", 1);
	CHECK(a == NULL && status == 422);
	{
		char err[MT_ERR_MAX];
		struct json *j = json_parse("[1]", strlen("[1]"), err, sizeof(err));

		CHECK(app_merge(old, "/web", j, 1, err, sizeof(err)) == NULL);
		json_free(j);
	}
	app_free(old);
}

static void
test_versions(void)
{
	struct mt_app *a = parse("{\"id\":\"v\",\"cmd\":\"x\"}");
	char prefix[MT_ID_MAX];

	CHECK(a != NULL);
	if (a == NULL)
		return;
	for (int i = 0; i < MT_VERSIONS_MAX + 5; i++) {
		snprintf(a->version, sizeof(a->version), "2020-01-01T00:00:%02d.000Z", i);
		a->instances = i;
		versions_add(a);
	}
	CHECK(a->nversions == MT_VERSIONS_MAX);
	CHECK(versions_get(a, "2020-01-01T00:00:00.000Z") == NULL);
	CHECK(versions_get(a, "2020-01-01T00:00:54.000Z") != NULL &&
	      strstr(versions_get(a, "2020-01-01T00:00:54.000Z"), "\"instances\":54,") != NULL);
	/* The same version twice (two changes in one millisecond) is kept once, the later. */
	a->instances = 99;
	versions_add(a);
	CHECK(a->nversions == MT_VERSIONS_MAX);
	CHECK(strstr(versions_get(a, "2020-01-01T00:00:54.000Z"), "\"instances\":99,") != NULL);
	app_free(a);
	app_task_prefix("/prod/web", prefix, sizeof(prefix));
	CHECK_STR(prefix, "prod_web");
}

/* An app as Marathon 1.10's GET shows it (defaults of what is not built, carried fields) posts back. */
static const char EXPORTED[] =
	"{\"id\":\"/prod/web\",\"backoffFactor\":1.15,\"backoffSeconds\":1,\"cmd\":\"sleep 100\","
	"\"container\":{\"type\":\"MESOS\",\"volumes\":[]},\"cpus\":0.1,\"disk\":0,\"executor\":\"\","
	"\"instances\":1,\"labels\":{\"a\":\"b\"},\"maxLaunchDelaySeconds\":300,\"mem\":32,\"gpus\":0,"
	"\"networks\":[{\"mode\":\"host\"}],\"portDefinitions\":[{\"port\":10000,\"name\":\"default\","
	"\"protocol\":\"tcp\"}],\"requirePorts\":false,\"upgradeStrategy\":{\"maximumOverCapacity\":1,"
	"\"minimumHealthCapacity\":1},\"version\":\"2020-01-01T00:00:00.000Z\",\"versionInfo\":"
	"{\"lastScalingAt\":\"2020-01-01T00:00:00.000Z\",\"lastConfigChangeAt\":"
	"\"2020-01-01T00:00:00.000Z\"},\"killSelection\":\"YOUNGEST_FIRST\",\"unreachableStrategy\":"
	"{\"inactiveAfterSeconds\":0,\"expungeAfterSeconds\":0},\"role\":\"*\","
	"\"acceptedResourceRoles\":[\"*\"],\"ipAddress\":null,\"tty\":false,\"residency\":null,"
	"\"executorResources\":{\"cpus\":0.1,\"mem\":32,\"disk\":10},\"resourceLimits\":{\"cpus\":1},"
	"\"secrets\":{},\"readinessChecks\":[],\"dependencies\":[],\"check\":null,\"storeUrls\":[],"
	"\"tasksStaged\":0,\"tasksRunning\":1,\"tasksHealthy\":0,\"tasksUnhealthy\":0,"
	"\"deployments\":[],\"tasks\":[],\"lastTaskFailure\":null,\"someFutureField\":{\"x\":1}}";

static void
test_fields(void)
{
	struct mt_app *a = parse(EXPORTED), *b;
	char *text;

	CHECK(a != NULL);
	if (a == NULL) {
		fprintf(stderr, "%s\n", details);
		return;
	}
	text = app_json_text(a);
	CHECK(strstr(text, "\"executorResources\":{\"cpus\":0.1,\"mem\":32,\"disk\":10}") != NULL);
	CHECK(strstr(text, "\"resourceLimits\":{\"cpus\":1}") != NULL);
	CHECK(strstr(text, "\"tty\":false") != NULL && strstr(text, "\"role\":\"*\"") != NULL);
	CHECK(strstr(text, "\"networks\":[{\"mode\":\"host\"}]") != NULL);
	CHECK(strstr(text, "\"executor\":\"\"") != NULL);
	CHECK(strstr(text, "someFutureField") == NULL && strstr(text, "tasksRunning") == NULL);
	b = parse(text);
	CHECK(b != NULL && !app_config_differs(a, b));
	app_free(b);
	free(text);
	app_free(a);
	/* What would run differently is refused, naming the field. */
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"container\":{\"type\":\"MESOS\",\"docker\":"
	              "{\"image\":\"nginx\"}}}", 422, "\"path\":\"/container/docker\""));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"networks\":[{\"mode\":\"container/bridge\"}]}",
	              422, "\"path\":\"/networks(0)/mode\""));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"secrets\":{\"s\":{\"source\":\"x\"}}}", 422,
	              "\"path\":\"/secrets\""));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"gpus\":1}", 422, "\"path\":\"/gpus\""));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"role\":\"prod\"}", 422, "\"path\":\"/role\""));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"acceptedResourceRoles\":[\"public\"]}", 422,
	              "\"path\":\"/acceptedResourceRoles\""));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"executor\":\"/opt/exec\"}", 422,
	              "\"path\":\"/executor\""));
	CHECK(refused("{\"id\":\"a\",\"cmd\":\"x\",\"ipAddress\":{\"networkName\":\"n\"}}", 422,
	              "\"path\":\"/ipAddress\""));
}

int
main(void)
{
	test_defaults();
	test_ids();
	test_limits();
	test_constraints();
	test_health();
	test_health_several();
	test_readiness();
	test_merge();
	test_versions();
	test_fields();
	return CHECK_DONE();
}
