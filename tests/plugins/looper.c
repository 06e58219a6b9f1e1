/*
 * tests/plugins/looper.c: a plugin that never returns from its first
 * registered() callback, once (the conf key `marker` names a file that
 * records it): the master must see the missed heartbeats, kill it and
 * start it again. Started again, it only declines offers.
 */
#include <stdio.h>
#include <unistd.h>

#include "plugins/framework.h"

#define LOOPER_IDLE_REFUSE_S 3600.0

static void
looper_registered(struct framework_driver *d, const char *framework_id)
{
	const char *marker = d->conf(d, "marker");
	volatile unsigned long spins = 0;

	if (marker == NULL || access(marker, F_OK) == 0)
		return;
	FILE *f = fopen(marker, "w");
	if (f != NULL)
		fclose(f);
	d->log(d, FRAMEWORK_LOG_INFO, "registered as %s; now looping forever", framework_id);
	for (;;)
		spins++;
}

static void
looper_reregistered(struct framework_driver *d, const char *framework_id)
{
	d->log(d, FRAMEWORK_LOG_INFO, "failed over as %s", framework_id);
}

static void
looper_offers(struct framework_driver *d, const struct framework_offer *offers, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d->decline(d, offers[i].id, LOOPER_IDLE_REFUSE_S);
}

const struct framework_plugin mesos_framework_plugin = {
	.abi_version = FRAMEWORK_ABI_VERSION,
	.name = "looper",
	.registered = looper_registered,
	.reregistered = looper_reregistered,
	.offers = looper_offers,
};
