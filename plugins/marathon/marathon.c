/*
 * marathon.c: the Marathon plugin itself: its configuration (http_port,
 * http_ip, state_dir), the REST listener, and the driver callbacks handed
 * on to the launch queue. See mt.h for the other files.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mt.h"
#include "http.h"
#include "xmem.h"

#define DEFAULT_HTTP_PORT 8080
#define CONF_NAME "marathon.conf"

#if defined(__GNUC__) || defined(__clang__)
#define EXPORTED __attribute__((visibility("default")))
#else
#define EXPORTED
#endif

static void
free_all(struct mt *m)
{
	const char *k;
	void *v;

	store_close(m);
	events_free(m);
	queue_stop(m);
	pc_reconcile_free(&m->reconcile);
	if (m->lfd >= 0)
		pc_rest_close(m->loop, m->lfd);
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		struct mt_app *a = v;

		queue_reset_delay(m, a);
		app_free(a);
	}
	for (size_t i = 0; map_next(&m->tasks, &i, &k, &v);)
		queue_task_free(v);
	for (size_t i = 0; map_next(&m->groups, &i, &k, &v);)
		free(v);
	map_free(&m->apps);
	map_free(&m->groups);
	gversions_free(m);
	map_free(&m->tasks);
	health_free(m);
	loop_driver_free(m->loop);
	free(m->state_dir);
	free(m);
}

static int
marathon_init(struct framework_driver *d, char *err, size_t errlen)
{
	struct mt *m = xcalloc(1, sizeof(*m));
	struct pc_rest_addr addr;

	m->d = d;
	m->lfd = -1;
	m->next_service_port = MT_SERVICE_PORT_MIN;
	map_init(&m->apps);
	map_init(&m->groups);
	map_init(&m->gversions);
	map_init(&m->tasks);
	map_init(&m->staged);
	map_init(&m->hosts);
	m->loop = loop_driver_new(d);
	d->data = m;
	if (pc_reconcile_init(&m->reconcile, d, &m->tasks, err, errlen) == -1 ||
	    pc_store_dir(d, CONF_NAME, &m->state_dir, err, errlen) == -1 ||
	    store_load(m, err, errlen) == -1 ||
	    pc_rest_listen(d, m->loop, CONF_NAME, DEFAULT_HTTP_PORT, rest_handle, m, &addr, err,
	                   errlen) == -1) {
		free_all(m);
		d->data = NULL;
		return -1;
	}
	m->lfd = addr.fd;
	m->http_port = addr.port;
	snprintf(m->leader, sizeof(m->leader), "%s", addr.leader);
	return 0;
}

static void
marathon_fini(struct framework_driver *d)
{
	if (d->data != NULL)
		free_all(d->data);
	d->data = NULL;
}

static void
marathon_registered(struct framework_driver *d, const char *framework_id)
{
	struct mt *m = d->data;

	m->registered = 1;
	d->log(d, FRAMEWORK_LOG_INFO, "registered as framework %s", framework_id);
	/* Tasks in the store but unknown to a new framework ID are gone: ask, so they are replaced. */
	queue_reconcile(m);
	d->revive(d);
}

static void
marathon_reregistered(struct framework_driver *d, const char *framework_id)
{
	struct mt *m = d->data;

	m->registered = 1;
	d->log(d, FRAMEWORK_LOG_INFO, "registered again as framework %s with %zu known task(s)",
	       framework_id, map_len(&m->tasks));
	queue_reconcile(m);
	d->revive(d);
}

static void
marathon_offers(struct framework_driver *d, const struct framework_offer *offers, size_t n)
{
	queue_offers(d->data, offers, n);
}

static void
marathon_status(struct framework_driver *d, const struct framework_status *st)
{
	events_status(d->data, st);
	queue_status(d->data, st);
}

static void
marathon_disconnected(struct framework_driver *d)
{
	((struct mt *)d->data)->registered = 0;
	pc_reconcile_stop(&((struct mt *)d->data)->reconcile);
}

EXPORTED const struct framework_plugin mesos_framework_plugin = {
	.abi_version = FRAMEWORK_ABI_VERSION,
	.name = "marathon",
	.flags = FRAMEWORK_PARTITION_AWARE,
	.init = marathon_init,
	.fini = marathon_fini,
	.registered = marathon_registered,
	.reregistered = marathon_reregistered,
	.offers = marathon_offers,
	.status_update = marathon_status,
	.disconnected = marathon_disconnected,
};
