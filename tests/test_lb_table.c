/*
 * tests/test_lb_table.c: mesos-lb's backend table (lb/lb_table.c) without
 * sockets: Marathon's apps in (groups, labels, task states, health), a
 * resync that keeps what stays and drains what goes, status and health
 * events, the balance algorithms, ejection and its fallback, virtual
 * host routes, and answers that are not what Marathon sends.
 */
#include "check.h"
#include "json.h"
#include "lb/lb.h"
#include "log.h"
#include "loop.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BYTES 256

/* lb.c's: the table's changes reach listeners there; here nothing listens. */
void
lb_changed(struct lb *lb)
{
	(void)lb;
}

static struct lb L;

static void
setup(const char *group)
{
	memset(&L, 0, sizeof(L));
	L.loop = loop_new();
	L.cfg.group = xstrdup(group);
	L.cfg.ip = xstrdup("127.0.0.1");
	L.cfg.eject_ms = 1000;
	L.cfg.drain_timeout_ms = 1000;
	L.http_fd = L.stats_fd = -1;
	lb_table_init(&L);
}

static void
teardown(void)
{
	lb_table_free(&L);
	loop_free(L.loop);
	free(L.cfg.group);
	free(L.cfg.ip);
}

static int
sync_text(const char *text)
{
	char err[ERR_BYTES];
	struct json *j = json_parse(text, strlen(text), err, sizeof(err));
	int rc;

	if (j == NULL)
		return -2;
	rc = lb_table_sync(&L, j, err, sizeof(err));
	json_free(j);
	return rc;
}

static int
event(const char *type, const char *text)
{
	char err[ERR_BYTES];
	struct json *j = json_parse(text, strlen(text), err, sizeof(err));
	int rc = lb_table_event(&L, type, j);

	json_free(j);
	return rc;
}

static struct lb_service *
svc(const char *key)
{
	return map_get(&L.services, key);
}

#define TASK(id, port, state) \
	"{\"id\":\"" id "\",\"host\":\"127.0.0.1\",\"ports\":[" #port "],\"state\":\"" state "\"}"

static const char apps[] = "{\"apps\":["
	"{\"id\":\"/web\",\"labels\":{\"HAPROXY_GROUP\":\"external\","
	"\"HAPROXY_0_VHOST\":\"Web.Test, www.test\","
	"\"HAPROXY_0_BALANCE\":\"leastconn\"},\"healthChecks\":[],"
	"\"portDefinitions\":[{\"port\":10000},{\"port\":10001}],\"tasks\":["
	TASK("w1", 31000, "TASK_RUNNING") "," TASK("w2", 31001, "TASK_RUNNING") ","
	TASK("w3", 31002, "TASK_STAGING") "]},"
	"{\"id\":\"/api\",\"labels\":{\"HAPROXY_GROUP\":\"internal\",\"HAPROXY_0_VHOST\":\"web.test\","
	"\"HAPROXY_0_PATH\":\"/api /v2\"},\"healthChecks\":[{\"protocol\":\"HTTP\"}],"
	"\"portDefinitions\":[{\"port\":10002}],\"tasks\":["
	"{\"id\":\"a1\",\"host\":\"127.0.0.1\",\"ports\":[32000],\"state\":\"TASK_RUNNING\","
	"\"healthCheckResults\":[{\"alive\":true}]},"
	TASK("a2", 32001, "TASK_RUNNING") "]},"
	"{\"id\":\"/off\",\"labels\":{\"HAPROXY_0_ENABLED\":\"false\",\"HAPROXY_1_PORT\":\"12000\"},"
	"\"portDefinitions\":[{\"port\":10003},{\"port\":10004}],\"tasks\":[]}"
	"]}";

static void
test_sync(void)
{
	struct lb_service *w, *a;

	setup("*");
	CHECK(sync_text(apps) == 0);
	w = svc("/web:0");
	a = svc("/api:0");
	CHECK(w != NULL && svc("/web:1") != NULL && a != NULL);
	/* Staging tasks do not serve; a port disabled by label is left out, another moved. */
	CHECK(w->nb == 2 && w->port == 10000 && w->balance == LB_BALANCE_LEASTCONN);
	/* Its tasks have one host port: none serves the second service port. */
	CHECK(svc("/web:1")->nb == 0);
	CHECK(svc("/off:0") == NULL && svc("/off:1") != NULL && svc("/off:1")->port == 12000);
	CHECK(w->nvhosts == 2 && strcmp(w->vhosts[0], "web.test") == 0);
	CHECK(a->npaths == 2 && strcmp(a->paths[1], "/v2") == 0);
	/* With health checks only tasks with an alive result serve. */
	CHECK(a->nb == 2 && lb_table_usable(a->b[0]) && !lb_table_usable(a->b[1]));
	teardown();

	setup("external");
	CHECK(sync_text(apps) == 0);
	CHECK(svc("/web:0") != NULL && svc("/api:0") == NULL && svc("/off:1") == NULL);
	teardown();

	setup("*");
	CHECK(sync_text("{\"apps\":3}") == -1);
	CHECK(sync_text("{}") == -1);
	CHECK(sync_text("[]") == -1);
	/* Fields of the wrong type are skipped, not trusted. */
	CHECK(sync_text("{\"apps\":[{\"id\":7},{\"id\":\"/x\",\"portDefinitions\":{}},"
	    "{\"id\":\"/y\",\"portDefinitions\":[{\"port\":\"80\"},{\"port\":99999}],"
	    "\"tasks\":[{\"id\":\"t\",\"host\":\"127.0.0.1\",\"ports\":\"x\"}]}]}") == 0);
	CHECK(map_len(&L.services) == 0);
	teardown();
}

static void
test_resync_and_events(void)
{
	struct lb_service *w;
	struct lb_backend *kept;

	setup("*");
	CHECK(sync_text(apps) == 0);
	w = svc("/web:0");
	kept = w->b[0];
	kept->n.total = 5;
	/* w3 runs now, w2 is gone: w1 keeps its counters. */
	CHECK(sync_text("{\"apps\":[{\"id\":\"/web\",\"portDefinitions\":[{\"port\":10000}],\"tasks\":["
	    TASK("w1", 31000, "TASK_RUNNING") "," TASK("w3", 31002, "TASK_RUNNING") "]}]}") == 0);
	CHECK(svc("/api:0") == NULL && svc("/web:1") == NULL);
	CHECK(w == svc("/web:0") && w->nb == 2 && w->b[0] == kept && kept->n.total == 5);
	CHECK(strcmp(w->b[1]->task_id, "w3") == 0);

	/* Being killed: out at once. A new running task: in at once. Unknown app: read again. */
	CHECK(event("status_update_event", "{\"appId\":\"/web\",\"taskId\":\"w1\","
	    "\"taskStatus\":\"TASK_KILLING\"}") == 0);
	CHECK(w->nb == 1 && strcmp(w->b[0]->task_id, "w3") == 0);
	CHECK(event("status_update_event", "{\"appId\":\"/web\",\"taskId\":\"w4\","
	    "\"taskStatus\":\"TASK_RUNNING\",\"host\":\"127.0.0.1\",\"ports\":[31004]}") == 0);
	CHECK(w->nb == 2 && w->b[1]->port == 31004 && lb_table_usable(w->b[1]));
	CHECK(event("status_update_event", "{\"appId\":\"/new\",\"taskId\":\"n1\","
	    "\"taskStatus\":\"TASK_RUNNING\"}") == 1);
	CHECK(event("status_update_event", "{\"nonsense\":1}") == 1);
	CHECK(event("health_status_changed_event", "{\"appId\":\"/web\",\"taskId\":\"zz\","
	    "\"alive\":true}") == 1);
	teardown();

	setup("*");
	CHECK(sync_text(apps) == 0);
	CHECK(event("health_status_changed_event", "{\"appId\":\"/api\",\"taskId\":\"a2\","
	    "\"alive\":true}") == 0);
	CHECK(lb_table_usable(svc("/api:0")->b[1]));
	CHECK(event("health_status_changed_event", "{\"appId\":\"/api\",\"taskId\":\"a1\","
	    "\"alive\":false}") == 0);
	CHECK(!lb_table_usable(svc("/api:0")->b[0]));
	teardown();
}

static void
test_pick_and_route(void)
{
	struct lb_backend *tried[4], *b;
	struct lb_service *w, *a;
	int seen[3] = { 0, 0, 0 };

	setup("*");
	CHECK(sync_text("{\"apps\":[{\"id\":\"/rr\",\"portDefinitions\":[{\"port\":10000}],\"tasks\":["
	    TASK("r0", 31000, "TASK_RUNNING") "," TASK("r1", 31001, "TASK_RUNNING") ","
	    TASK("r2", 31002, "TASK_UNREACHABLE") "]}]}") == 0);
	w = svc("/rr:0");
	for (int i = 0; i < 6; i++)
		seen[lb_table_pick(&L, w, NULL, 0, 0)->port - 31000]++;
	CHECK(seen[0] == 2 && seen[1] == 2 && seen[2] == 2);
	/* Ejected ones are skipped while others serve, and taken when none does. */
	lb_table_eject(&L, w->b[0], "refused");
	lb_table_eject(&L, w->b[1], "refused");
	CHECK(w->b[0]->n.ejections == 1 && w->n.errors == 2);
	for (int i = 0; i < 3; i++)
		CHECK(lb_table_pick(&L, w, NULL, 0, 0) == w->b[2]);
	tried[0] = w->b[2];
	b = lb_table_pick(&L, w, tried, 1, 0);
	CHECK(b == w->b[0] || b == w->b[1]);
	tried[1] = w->b[0];
	tried[2] = w->b[1];
	CHECK(lb_table_pick(&L, w, tried, 3, 0) == NULL);
	/* Least connections, then the source's hash: the same client, the same backend. */
	w->balance = LB_BALANCE_LEASTCONN;
	w->b[0]->ejected_until = w->b[1]->ejected_until = 0;
	w->b[0]->n.open = 3;
	w->b[1]->n.open = 1;
	w->b[2]->n.open = 2;
	CHECK(lb_table_pick(&L, w, NULL, 0, 0) == w->b[1]);
	w->balance = LB_BALANCE_SOURCE;
	b = lb_table_pick(&L, w, NULL, 0, lb_table_hash_peer("10.0.0.1:5555"));
	CHECK(b == lb_table_pick(&L, w, NULL, 0, lb_table_hash_peer("10.0.0.1:6666")));
	w->b[0]->n.open = w->b[1]->n.open = w->b[2]->n.open = 0;
	teardown();

	setup("*");
	CHECK(sync_text(apps) == 0);
	w = svc("/web:0");
	a = svc("/api:0");
	CHECK(lb_table_route(&L, "WEB.test", 8, "/", 1) == w);
	CHECK(lb_table_route(&L, "www.test", 8, "/x", 2) == w);
	CHECK(lb_table_route(&L, "web.test", 8, "/api/x", 6) == a);
	CHECK(lb_table_route(&L, "web.test", 8, "/v2", 3) == a);
	CHECK(lb_table_route(&L, "web.test", 8, "/ap", 3) == w);
	CHECK(lb_table_route(&L, "nope.test", 9, "/", 1) == NULL);
	teardown();
}

int
main(void)
{
	log_init("test_lb_table", LOG_LEVEL_ERROR);
	test_sync();
	test_resync_and_events();
	test_pick_and_route();
	return CHECK_DONE();
}
