/*
 * hello.c: the reference framework plugin. It keeps `instances` copies of `command` running (its
 * two conf keys, in hello.conf): a new copy when one ends, and a kill for any copy beyond the
 * count (met after a failover). Read it with plugins/framework.h beside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "framework.h"

#define HELLO_CPUS 0.1             /* each copy's share of an offer */
#define HELLO_MEM_MB 32.0
#define HELLO_RESOURCES "cpus:0.1;mem:32"
#define HELLO_MAX_INSTANCES 100
#define HELLO_ID_MAX 64
#define HELLO_SETTLE_MS 2000       /* after a failover: launch nothing until tasks are known */
#define HELLO_REFUSE_S 10.0        /* decline offers we cannot use for this long */

struct hello {
	const char *command;
	int instances;
	char slot[HELLO_MAX_INSTANCES][HELLO_ID_MAX];   /* the task ID in each, "" when free */
	unsigned long launched;
	int settling;
};

static int
hello_init(struct framework_driver *d, char *err, size_t errlen)
{
	const char *command = d->conf(d, "command"), *n = d->conf(d, "instances");
	int instances = n != NULL ? atoi(n) : 1;
	struct hello *h;

	if (command == NULL || *command == '\0' || instances < 1 || instances > HELLO_MAX_INSTANCES) {
		snprintf(err, errlen, "hello.conf needs command=CMD, and instances=N from 1 to %d",
		         HELLO_MAX_INSTANCES);
		return -1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->command = command;
	h->instances = instances;
	d->data = h;
	return 0;
}

static void
hello_fini(struct framework_driver *d)
{
	free(d->data);
}

/* How much of a scalar an offer has ("cpus:2;mem:1024", "cpus" -> 2). */
static double
scalar(const char *resources, const char *name)
{
	size_t n = strlen(name);

	for (const char *s = resources; s != NULL; s = strchr(s, ';') ? strchr(s, ';') + 1 : NULL)
		if (strncmp(s, name, n) == 0 && s[n] == ':')
			return atof(s + n + 1);
	return 0;
}

/* A failover: the tasks of agents still re-registering are learnt late: ask again, then go. */
static void
settled(struct framework_driver *d, void *arg)
{
	((struct hello *)arg)->settling = 0;
	d->reconcile(d, NULL, 0);
	d->revive(d);
}

static void
hello_reregistered(struct framework_driver *d, const char *framework_id)
{
	d->log(d, FRAMEWORK_LOG_INFO, "back as %s; learning which copies still run", framework_id);
	((struct hello *)d->data)->settling = 1;
	d->timer_add(d, HELLO_SETTLE_MS, settled, d->data);
}

static void
hello_offers(struct framework_driver *d, const struct framework_offer *offers, size_t n)
{
	struct hello *h = d->data;

	for (size_t i = 0; i < n; i++) {
		double cpus = scalar(offers[i].resources, "cpus"), mem = scalar(offers[i].resources, "mem");
		struct framework_task tasks[HELLO_MAX_INSTANCES];
		size_t ntasks = 0;

		for (int s = 0; s < h->instances && !h->settling; s++) {
			if (h->slot[s][0] || cpus < HELLO_CPUS || mem < HELLO_MEM_MB)
				continue;
			cpus -= HELLO_CPUS;
			mem -= HELLO_MEM_MB;
			/* Unique across restarts of the plugin: the time and a counter. */
			snprintf(h->slot[s], HELLO_ID_MAX, "hello.%d.%lld.%lu", s,
			         (long long)time(NULL), ++h->launched);
			memset(&tasks[ntasks], 0, sizeof(tasks[ntasks]));
			tasks[ntasks].task_id = h->slot[s];
			tasks[ntasks].command = h->command;
			tasks[ntasks++].resources = HELLO_RESOURCES;
		}
		if (ntasks == 0)
			d->decline(d, offers[i].id, HELLO_REFUSE_S);
		else if (d->launch(d, offers[i].id, tasks, ntasks, -1) < 0)   /* -1: default refusal */
			d->log(d, FRAMEWORK_LOG_WARN, "launch failed: %s", d->last_error(d));
	}
}

static void
hello_status(struct framework_driver *d, const struct framework_status *st)
{
	static const char *const ended[] = { "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED",
		"TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE", NULL };
	struct hello *h = d->data;
	int s = -1, over = 0;

	for (int i = 0; ended[i] != NULL; i++)
		over |= strcmp(st->state, ended[i]) == 0;
	d->log(d, FRAMEWORK_LOG_INFO, "%s is %s%s%s", st->task_id, st->state,
	       *st->message ? ": " : "", st->message);
	if (sscanf(st->task_id, "hello.%d.", &s) != 1 || s < 0 || s >= h->instances) {
		if (!over)          /* a copy beyond a lowered `instances` */
			d->kill(d, st->task_id, 0);
	} else if (over && strcmp(h->slot[s], st->task_id) == 0) {
		h->slot[s][0] = '\0';      /* the next offer starts a new copy */
		d->revive(d);
	} else if (!over && h->slot[s][0] == '\0') {
		snprintf(h->slot[s], HELLO_ID_MAX, "%s", st->task_id);
	} else if (!over && strcmp(h->slot[s], st->task_id) != 0) {
		d->kill(d, st->task_id, 0);   /* two copies in one slot: keep one */
	}
}

const struct framework_plugin mesos_framework_plugin = {
	.abi_version = FRAMEWORK_ABI_VERSION,
	.name = "hello",
	.init = hello_init,
	.fini = hello_fini,
	.reregistered = hello_reregistered,
	.offers = hello_offers,
	.status_update = hello_status,
};
