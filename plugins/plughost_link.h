/*
 * plughost_link.h: what mesosd's plugin manager (master/master_plugins.c)
 * and the plugin host (plughost.c, the mesos-plughost program) agree on:
 * the descriptors a host inherits, the exit statuses the manager decodes,
 * the file names of a plugin and its conf. It belongs to the host, which
 * the master runs; the host knows nothing of the master but this.
 *
 * On PLUGIN_PROTO_FD the host speaks the framework side of the wire
 * protocol (docs/PROTOCOL.md); PLUGIN_CONTROL_FD carries only the
 * manager's heartbeats (PING/PONG), the framework ID the plugin
 * subscribed as (SUBSCRIBED framework_id=...) and why a plugin cannot run
 * (FAILED reason=...).
 */
#ifndef PLUGHOST_LINK_H
#define PLUGHOST_LINK_H

/* Descriptors a host inherits. */
#define PLUGIN_PROTO_FD   3
#define PLUGIN_CONTROL_FD 4

/* Host exit statuses the manager decodes. */
#define PLUGIN_EXIT_STOPPED  0     /* the plugin stopped for good (driver stop, teardown) */
#define PLUGIN_EXIT_LOST     75    /* the master connection closed */
#define PLUGIN_EXIT_RESTART  76    /* the plugin asked to be started again (stop with failover) */
#define PLUGIN_EXIT_REFUSED  78    /* cannot run: load, ABI or configuration error (no restart) */
#define PLUGIN_EXIT_EXEC     127   /* the host program could not be executed */

#define PLUGIN_CONF_SUFFIX ".conf"
#define PLUGIN_SO_SUFFIX   ".so"
#define PLUGIN_HOST_NAME   "mesos-plughost"
#define PLUGIN_DEFAULT_FAILOVER_S 604800.0   /* one week, as Marathon's */
#define PLUGIN_CONF_MAX    65536             /* bytes of one NAME.conf */

#endif
