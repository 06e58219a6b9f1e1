/*
 * master_plugins.h: the master's plugin manager. What it agrees on with
 * the plugin host (the mesos-plughost program) is plugins/plughost_link.h.
 *
 * The master forks and execs one host per plugin (*.so in --plugins).
 * The host dlopen()s the plugin and speaks the framework side of the wire
 * protocol to the master on PLUGIN_PROTO_FD, the child end of a
 * socketpair whose other end the master serves like any TCP framework
 * (master_adopt_fd). A second socketpair, PLUGIN_CONTROL_FD, belongs to
 * the manager alone: heartbeats (PING/PONG), the framework ID the plugin
 * subscribed as (SUBSCRIBED) and why a plugin cannot run (FAILED). A host
 * that misses heartbeats is killed; one that exits is restarted with
 * backoff and fails over with the same framework ID, which is kept in
 * work_dir/plugins/NAME.framework_id across master restarts.
 */
#ifndef MASTER_PLUGINS_H
#define MASTER_PLUGINS_H

#include <stddef.h>
#include <stdint.h>

struct master;
struct json_w;

struct master_plugins_config {
	char *dir;                  /* --plugins ("" = next to mesosd, else installed) */
	char *conf_dir;             /* --plugin_conf ("" = the plugins dir) */
	char *enabled;              /* --plugins_enabled: comma list ("" = every plugin) */
	char *host;                 /* --plugin_host ("" = mesos-plughost next to mesosd) */
	int64_t ping_interval_ms;   /* --plugin_ping_interval */
	long long max_missed_pings; /* --plugin_max_missed_pings */
	int64_t backoff_ms;         /* --plugin_backoff: first restart delay */
	int64_t backoff_max_ms;     /* --plugin_backoff_max */
};

/* Defaults for the flags above. */
#define MASTER_PLUGINS_DEFAULT_PING_INTERVAL_MS 5000    /* --plugin_ping_interval */
#define MASTER_PLUGINS_DEFAULT_MAX_MISSED_PINGS 3       /* --plugin_max_missed_pings */
#define MASTER_PLUGINS_DEFAULT_BACKOFF_MS       1000    /* --plugin_backoff */
#define MASTER_PLUGINS_DEFAULT_BACKOFF_MAX_MS   60000   /* --plugin_backoff_max */
#define MASTER_PLUGINS_STABLE_MS 60000   /* a plugin up this long restarts from the first delay */

struct master_plugins;

/*
 * Find the plugins, start the enabled ones and take SIGCHLD. An explicit
 * --plugins that cannot be read is an error (NULL, err); a missing
 * default directory just means no plugins.
 */
struct master_plugins *master_plugins_start(struct master *m,
                                            const struct master_plugins_config *cfg, char *err,
                                            size_t errlen);
/* Stop every host (TERM, then KILL after a short wait) and free. */
void master_plugins_stop(struct master_plugins *ps);

/*
 * For /master/state (master_http.c): the "plugins" array of every plugin
 * known to the master's manager, and a framework's "plugin" object when
 * the framework is a plugin's (nothing otherwise).
 */
void master_plugins_state_json(const struct master *m, struct json_w *w);
void master_plugins_framework_json(const struct master *m, const char *framework_id,
                                   struct json_w *w);

#endif
