/*
 * marathon.c: the Marathon plugin itself: its configuration (http_port,
 * http_ip, state_dir), the REST listener, and the driver callbacks handed
 * on to the launch queue. See mt.h for the other files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt.h"
#include "http.h"
#include "net.h"
#include "xmem.h"

#define DEFAULT_HTTP_PORT 8080
#define DEFAULT_HTTP_IP "0.0.0.0"
#define PORT_MAX 65535

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

	events_free(m);
	queue_stop(m);
	if (m->lfd >= 0)
		http_server_close(m->loop, m->lfd);
	for (size_t i = 0; map_next(&m->apps, &i, &k, &v);) {
		struct mt_app *a = v;

		queue_reset_delay(m, a);
		app_free(a);
	}
	for (size_t i = 0; map_next(&m->tasks, &i, &k, &v);)
		queue_task_free(v);
	map_free(&m->apps);
	map_free(&m->tasks);
	health_free(m);
	loop_driver_free(m->loop);
	free(m->state_dir);
	free(m);
}

static int
marathon_init(struct framework_driver *d, char *err, size_t errlen)
{
	const char *port = d->conf(d, "http_port"), *ip = d->conf(d, "http_ip");
	const char *dir = d->conf(d, "state_dir");
	struct mt *m = xcalloc(1, sizeof(*m));
	char host[MT_HOST_MAX], *end;
	long p = DEFAULT_HTTP_PORT;

	m->d = d;
	m->lfd = -1;
	m->next_service_port = MT_SERVICE_PORT_MIN;
	map_init(&m->apps);
	map_init(&m->tasks);
	map_init(&m->hosts);
	m->loop = loop_driver_new(d);
	d->data = m;
	if (port != NULL) {
		errno = 0;
		p = strtol(port, &end, 10);
		if (errno != 0 || *end != '\0' || end == port || p < 0 || p > PORT_MAX) {
			snprintf(err, errlen, "marathon.conf: http_port must be 0..%d, not '%s'", PORT_MAX,
			         port);
			goto fail;
		}
	}
	if (dir != NULL && *dir != '\0') {
		if (mkdir(dir, S_IRWXU) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "marathon.conf: state_dir %s: %s", dir, strerror(errno));
			goto fail;
		}
		m->state_dir = xstrdup(dir);
	}
	if (store_load(m, err, errlen) == -1)
		goto fail;
	m->lfd = http_server_listen(m->loop, ip != NULL ? ip : DEFAULT_HTTP_IP, (int)p, rest_handle,
	                            m, err, errlen);
	if (m->lfd == -1)
		goto fail;
	m->http_port = net_local_port(m->lfd);
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(m->leader, sizeof(m->leader), "%s:%d", host, m->http_port);
	d->log(d, FRAMEWORK_LOG_INFO, "REST API listening on %s:%d", ip != NULL ? ip : DEFAULT_HTTP_IP,
	       m->http_port);
	return 0;
fail:
	free_all(m);
	d->data = NULL;
	return -1;
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
}

EXPORTED const struct framework_plugin mesos_framework_plugin = {
	.abi_version = FRAMEWORK_ABI_VERSION,
	.name = "marathon",
	.init = marathon_init,
	.fini = marathon_fini,
	.registered = marathon_registered,
	.reregistered = marathon_reregistered,
	.offers = marathon_offers,
	.status_update = marathon_status,
	.disconnected = marathon_disconnected,
};
