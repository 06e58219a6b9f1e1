/*
 * tests/plugins/crasher.c: a plugin that launches a task on each of its
 * first two offers and dies of SIGSEGV on the third, once (the conf key
 * `marker` names a file that records the crash). It waits for its tasks
 * to run first (declining offers meanwhile), so that every update is
 * acknowledged and the test does not wait for the agent's resends. Started
 * again, it launches nothing and logs every status update, so
 * tests/t_plugin_crash.sh can see its tasks survive and come back by
 * reconciliation.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plugins/framework.h"

#define CRASHER_TASKS 2             /* offers that each get a task before the crash */
#define CRASHER_ID_MAX 32
#define CRASHER_IDLE_REFUSE_S 3600.0
#define CRASHER_REFUSE_S 1.0        /* the next offer after the next allocation pass */

static int offers_seen, running;

static int
crashed_before(struct framework_driver *d)
{
	const char *marker = d->conf(d, "marker");
	return marker == NULL || access(marker, F_OK) == 0;
}

static void
crasher_offers(struct framework_driver *d, const struct framework_offer *offers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (crashed_before(d)) {
			d->decline(d, offers[i].id, CRASHER_IDLE_REFUSE_S);
			d->suppress(d);
			continue;
		}
		if (offers_seen >= CRASHER_TASKS && running < CRASHER_TASKS) {
			d->decline(d, offers[i].id, CRASHER_REFUSE_S);
			continue;
		}
		if (++offers_seen > CRASHER_TASKS) {
			FILE *f = fopen(d->conf(d, "marker"), "w");
			if (f != NULL)
				fclose(f);
			d->log(d, FRAMEWORK_LOG_INFO, "crashing on offer %d", offers_seen);
			raise(SIGSEGV);
		}
		char id[CRASHER_ID_MAX];
		struct framework_task t;
		memset(&t, 0, sizeof(t));
		snprintf(id, sizeof(id), "crash.%d", offers_seen);
		t.task_id = id;
		t.command = d->conf(d, "command") ? d->conf(d, "command") : "sleep 300";
		t.resources = "cpus:0.1;mem:16";
		if (d->launch(d, offers[i].id, &t, 1, CRASHER_REFUSE_S) < 0)
			d->log(d, FRAMEWORK_LOG_WARN, "launch: %s", d->last_error(d));
	}
}

static void
crasher_status(struct framework_driver *d, const struct framework_status *s)
{
	running += strcmp(s->state, "TASK_RUNNING") == 0 && strcmp(s->reason, "") == 0;
	d->log(d, FRAMEWORK_LOG_INFO, "task %s %s%s%s%s", s->task_id, s->state,
	       *s->reason ? " (" : "", s->reason, *s->reason ? ")" : "");
}

static void
crasher_reregistered(struct framework_driver *d, const char *framework_id)
{
	d->log(d, FRAMEWORK_LOG_INFO, "failed over as %s", framework_id);
}

const struct framework_plugin mesos_framework_plugin = {
	.abi_version = FRAMEWORK_ABI_VERSION,
	.name = "crasher",
	.offers = crasher_offers,
	.status_update = crasher_status,
	.reregistered = crasher_reregistered,
};
