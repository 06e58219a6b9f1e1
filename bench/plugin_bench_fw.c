/*
 * bench/plugin_bench_fw.c: the framework `make bench` measures, as a
 * plugin in the master and as an external framework over TCP
 * (mesos-plughost --master): it launches one tiny task on every offer
 * and stamps the task with the wall-clock time it got the offer
 * (bench_ts, passed through to RUN_TASK), so bench/plugin_bench, posing
 * as the agents, can time offer -> launch at the agent. What a task
 * leaves is refused for 0 seconds: offered again at once.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "plugins/framework.h"

#define BENCH_TASK_RESOURCES "cpus:0.01;mem:1"
#define BENCH_ID_MAX 32
#define BENCH_TS_MAX 32
#define BENCH_NS_PER_S 1e9

static unsigned long long launched;

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / BENCH_NS_PER_S;
}

static void
bench_offers(struct framework_driver *d, const struct framework_offer *offers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char id[BENCH_ID_MAX], ts[BENCH_TS_MAX];
		struct framework_label stamp = { "bench_ts", ts };
		struct framework_task t;

		snprintf(ts, sizeof(ts), "%.6f", wall_now());
		snprintf(id, sizeof(id), "b%llu", ++launched);
		memset(&t, 0, sizeof(t));
		t.task_id = id;
		t.command = "true";
		t.resources = BENCH_TASK_RESOURCES;
		t.options = &stamp;
		t.noptions = 1;
		if (d->launch(d, offers[i].id, &t, 1, 0) < 0)
			d->log(d, FRAMEWORK_LOG_WARN, "launch: %s", d->last_error(d));
	}
}

const struct framework_plugin mesos_framework_plugin = {
	.abi_version = FRAMEWORK_ABI_VERSION,
	.name = "plugin-bench",
	.offers = bench_offers,
};
