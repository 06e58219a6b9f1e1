/*
 * plughost.h: what mesos-plughost's two files share: the host of one
 * framework plugin, and the calls between them.
 *   plughost.c         the process: its flags, loading the plugin and its
 *                      NAME.conf, the master's link (HELLO, SUBSCRIBE, the
 *                      master's verbs through one table to the plugin's
 *                      callbacks), the manager's control link, exit codes
 *   plughost_driver.c  the driver the plugin calls (framework.h): its calls
 *                      composed into the framework side of the protocol,
 *                      its timers and descriptor watches on the host's loop
 * The host uses its own driver as a plugin would, through struct
 * framework_driver's functions.
 */
#ifndef PLUGHOST_H
#define PLUGHOST_H

#include <stddef.h>

#include "buf.h"
#include "proto.h"
#include "framework.h"
#include "log.h"

struct conn;
struct loop;
struct plughost_timer;
struct plughost_watch;

#define PLUGHOST_ERR_MAX 512

struct plughost {
	struct framework_driver d;   /* first, so a driver pointer is the host's */
	const struct framework_plugin *plugin;
	void *dl;
	const char *name;            /* the plugin's, for log lines */
	struct loop *loop;
	struct conn *conn;           /* the master */
	struct conn *ctl;            /* the manager; NULL when run with --master */
	char **conf_keys, **conf_vals;
	size_t nconf;
	const char *failover_id;     /* --framework_id */
	const char *default_state_dir; /* --state_dir: the conf's state_dir when it has none */
	char *framework_id;          /* once subscribed */
	int subscribed;
	int stopping;                /* stop() was called or the loop is ending */
	int said_disconnected;
	int exit_code;
	struct buf out;
	char err[PLUGHOST_ERR_MAX];
	struct plughost_timer *timers;
	struct plughost_watch *watches;
	struct proto_auth_client auth;   /* the conf's principal and secret: the handshake's */
};

/* plughost.c */
/* Say why the last call failed (the driver's last_error) and return -1. */
int plughost_fail(struct plughost *h, const char *fmt, ...) LOG_PRINTF(2, 3);
/* Start a message to the master in h->out. */
void plughost_msg_begin(struct plughost *h, const char *verb);
/* Finish h->out and queue it on c; -1 with h->err when it cannot go. */
int plughost_msg_send(struct plughost *h, struct conn *c);
/* The same for a message that lists records (ACCEPT's tasks, RECONCILE's ids): cut to
   fit the protocol's limits (proto_end_split), so a plugin never has to know them. */
int plughost_msg_send_split(struct plughost *h, struct conn *c, const char *record_key);

/* plughost_driver.c */
/* Fill h->d with the driver's functions. */
void plughost_driver_init(struct plughost *h);
/* Drop every timer and watch the plugin left. */
void plughost_driver_free(struct plughost *h);

#endif
