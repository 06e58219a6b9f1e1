/*
 * tests/plugins/messenger.c: a plugin for tests/t_executor.sh. On its
 * first offer it launches one task (conf `command`) under a custom
 * executor (conf `executor`, ID "msg"), sends it a framework message
 * (with a NUL byte inside) once the task runs, logs what comes back
 * ("got N bytes from executor msg: ..."), then kills the task.
 */
#include <stdio.h>
#include <string.h>

#include "plugins/framework.h"

#define MESSENGER_REFUSE_S 3600.0
#define MESSENGER_SHOWN 64             /* bytes of a message shown in the log */

static int launched, sent;

static void
messenger_offers(struct framework_driver *d, const struct framework_offer *offers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *executor = d->conf(d, "executor");
		struct framework_label opts[] = { { "executor_id", "msg" },
		                                  { "executor_command", executor ? executor : "" } };
		struct framework_task t;

		if (launched) {
			d->decline(d, offers[i].id, MESSENGER_REFUSE_S);
			continue;
		}
		memset(&t, 0, sizeof(t));
		t.task_id = "messenger-0";
		t.command = d->conf(d, "command") ? d->conf(d, "command") : "sleep 300";
		t.resources = "cpus:0.1;mem:32";
		t.options = opts;
		t.noptions = sizeof(opts) / sizeof(opts[0]);
		if (d->launch(d, offers[i].id, &t, 1, MESSENGER_REFUSE_S) == 0)
			launched = 1;
		else
			d->log(d, FRAMEWORK_LOG_ERROR, "launch: %s", d->last_error(d));
	}
}

static void
messenger_status(struct framework_driver *d, const struct framework_status *s)
{
	static const char data[] = "ping\0pong";

	d->log(d, FRAMEWORK_LOG_INFO, "task %s is %s", s->task_id, s->state);
	if (strcmp(s->state, "TASK_RUNNING") != 0 || sent)
		return;
	sent = 1;
	if (d->send_message(d, s->agent_id, "msg", data, sizeof(data) - 1) != 0)
		d->log(d, FRAMEWORK_LOG_ERROR, "send_message: %s", d->last_error(d));
	if (d->send_message(d, s->agent_id, "", data, 1) == 0)
		d->log(d, FRAMEWORK_LOG_ERROR, "send_message took an empty executor ID");
}

static void
messenger_message(struct framework_driver *d, const char *agent_id, const char *executor_id,
                  const void *data, size_t len)
{
	char shown[MESSENGER_SHOWN];
	size_t n = len < sizeof(shown) - 1 ? len : sizeof(shown) - 1;

	/* The NUL comes back too: show it as '0' so the log line stays one string. */
	for (size_t i = 0; i < n; i++)
		shown[i] = ((const char *)data)[i] != '\0' ? ((const char *)data)[i] : '0';
	shown[n] = '\0';
	d->log(d, FRAMEWORK_LOG_INFO, "got %zu bytes from executor %s on %s: %s", len, executor_id,
	    agent_id, shown);
	d->kill(d, "messenger-0", 0);
}

const struct framework_plugin mesos_framework_plugin = {
	.abi_version = FRAMEWORK_ABI_VERSION,
	.name = "messenger",
	.offers = messenger_offers,
	.status_update = messenger_status,
	.framework_message = messenger_message,
};
