/*
 * hello.c: the reference framework plugin. It keeps `instances` copies of
 * `command` running (its two conf keys, in hello.conf), starting a new
 * copy whenever one ends. Read it with plugins/framework.h beside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framework.h"

#define HELLO_CPUS 0.1             /* each copy's share of an offer */
#define HELLO_MEM_MB 32.0
#define HELLO_RESOURCES "cpus:0.1;mem:32"
#define HELLO_MAX_INSTANCES 100
#define HELLO_ID_MAX 64
#define HELLO_SETTLE_MS 1000       /* after a failover, wait for the reconciliation answers */
#define HELLO_REFUSE_S 10.0        /* decline offers we cannot use for this long */

struct hello {
	const char *command;
	int instances;
	char (*slot)[HELLO_ID_MAX];    /* the task ID running in each slot, "" when free */
	unsigned long launched;
	int settling;
};

static int
hello_init(struct framework_driver *d, char *err, size_t errlen)
{
	const char *command = d->conf(d, "command"), *n = d->conf(d, "instances");
	struct hello *h;
	int instances = n != NULL ? atoi(n) : 1;

	if (command == NULL || *command == '\0') {
		snprintf(err, errlen, "conf key 'command' is required (in hello.conf)");
		return -1;
	}
	if (instances < 1 || instances > HELLO_MAX_INSTANCES) {
		snprintf(err, errlen, "conf key 'instances' must be 1 to %d", HELLO_MAX_INSTANCES);
		return -1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->slot = calloc((size_t)instances,
	                                                              sizeof(*h->slot))) == NULL) {
		free(h);
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
	struct hello *h = d->data;

	if (h != NULL)
		free(h->slot);
	free(h);
}

/* How much of a resource an offer has ("cpus:2;mem:1024" -> 2 for "cpus"). */
static double
scalar(const char *resources, const char *name)
{
	size_t n = strlen(name);

	for (const char *s = resources; s != NULL && *s; s = strchr(s, ';') ? strchr(s, ';') + 1 : NULL)
		if (strncmp(s, name, n) == 0 && s[n] == ':')
			return atof(s + n + 1);
	return 0;
}

static void
settled(struct framework_driver *d, void *arg)
{
	struct hello *h = arg;

	h->settling = 0;
	d->revive(d);
}

static void
hello_reregistered(struct framework_driver *d, const char *framework_id)
{
	struct hello *h = d->data;

	d->log(d, FRAMEWORK_LOG_INFO, "back as %s; learning which copies still run", framework_id);
	h->settling = 1;
	d->timer_add(d, HELLO_SETTLE_MS, settled, h);
}

static void
hello_offers(struct framework_driver *d, const struct framework_offer *offers, size_t n)
{
	struct hello *h = d->data;

	for (size_t i = 0; i < n; i++) {
		const struct framework_offer *o = &offers[i];
		double cpus = scalar(o->resources, "cpus"), mem = scalar(o->resources, "mem");
		struct framework_task tasks[HELLO_MAX_INSTANCES];
		char ids[HELLO_MAX_INSTANCES][HELLO_ID_MAX];
		size_t ntasks = 0;

		for (int s = 0; s < h->instances && !h->settling; s++) {
			if (h->slot[s][0] || cpus < HELLO_CPUS || mem < HELLO_MEM_MB)
				continue;
			cpus -= HELLO_CPUS;
			mem -= HELLO_MEM_MB;
			snprintf(ids[ntasks], HELLO_ID_MAX, "hello.%d.%lu", s, ++h->launched);
			snprintf(h->slot[s], HELLO_ID_MAX, "%s", ids[ntasks]);
			memset(&tasks[ntasks], 0, sizeof(tasks[ntasks]));
			tasks[ntasks].task_id = ids[ntasks];
			tasks[ntasks].command = h->command;
			tasks[ntasks].resources = HELLO_RESOURCES;
			ntasks++;
		}
		if (ntasks == 0) {
			d->decline(d, o->id, HELLO_REFUSE_S);
			continue;
		}
		if (d->launch(d, o->id, tasks, ntasks, -1) < 0)
			d->log(d, FRAMEWORK_LOG_WARN, "launch failed: %s", d->last_error(d));
		else
			d->log(d, FRAMEWORK_LOG_INFO, "launched %zu copies on %s", ntasks, o->hostname);
	}
}

static int
terminal(const char *state)
{
	return strcmp(state, "TASK_FINISHED") == 0 || strcmp(state, "TASK_FAILED") == 0 ||
	       strcmp(state, "TASK_KILLED") == 0 || strcmp(state, "TASK_LOST") == 0 ||
	       strcmp(state, "TASK_ERROR") == 0 || strcmp(state, "TASK_DROPPED") == 0 ||
	       strcmp(state, "TASK_GONE") == 0;
}

static void
hello_status(struct framework_driver *d, const struct framework_status *st)
{
	struct hello *h = d->data;
	int s = -1;

	if (sscanf(st->task_id, "hello.%d.", &s) != 1 || s < 0 || s >= h->instances)
		return;     /* not one of ours (a copy beyond a lowered `instances`) */
	d->log(d, FRAMEWORK_LOG_INFO, "%s is %s%s%s", st->task_id, st->state,
	       *st->message ? ": " : "", st->message);
	if (!terminal(st->state))
		snprintf(h->slot[s], HELLO_ID_MAX, "%s", st->task_id);
	else if (strcmp(h->slot[s], st->task_id) == 0) {
		h->slot[s][0] = '\0';      /* the next offer starts a new copy */
		d->revive(d);
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
