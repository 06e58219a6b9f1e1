/*
 * agent.h: the agent's state and its conversation with the master.
 *   agentd.c    flags, start-up, signals
 *   agent.c     the master connection, tasks, status updates, file reads
 *   launcher.c  processes and sandboxes (launcher.h)
 *
 * Nothing is persisted yet: a restarted agentd registers afresh. While it
 * runs, it keeps its agent ID and its tasks across master restarts and
 * network failures, re-registering with both, and resends every status
 * update until the master acknowledges it.
 */
#ifndef AGENT_H
#define AGENT_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct res;

#define AGENT_VERSION "0.1.0"
#define AGENT_HOST_MAX 256                      /* bytes in a host name */
#define AGENT_DEFAULT_MASTER_PORT 5050
#define AGENT_DEFAULT_WORK_DIR "/tmp/mesos"
#define AGENT_DEFAULT_SHUTDOWN_GRACE_MS 5000    /* --executor_shutdown_grace_period */
#define AGENT_DEFAULT_KILL_GRACE_MS 3000        /* Mesos's command executor, without a kill policy */
#define AGENT_CONN_OUT_MAX (16u << 20)          /* unsent bytes to the master */
#define AGENT_CONNECT_TIMEOUT_MS 10000
#define AGENT_REGISTER_TIMEOUT_MS 30000         /* from HELLO to AGENT_REGISTERED */
#define AGENT_BACKOFF_INITIAL_MS 1000           /* Mesos --registration_backoff_factor */
#define AGENT_BACKOFF_MAX_MS 60000
#define AGENT_UPDATE_RETRY_MS 10000             /* status update manager: first resend */
#define AGENT_UPDATE_RETRY_MAX_MS 600000        /* ... doubling up to this */
#define AGENT_DEFAULT_PING_INTERVAL_MS 15000    /* when AGENT_REGISTERED does not say */
#define AGENT_DEFAULT_PING_TIMEOUTS 5
#define AGENT_COMPLETED_SANDBOXES_MAX 1000      /* finished tasks whose files stay readable */
#define AGENT_READ_MAX 32768                    /* bytes in one FILE_DATA */
#define AGENT_SHUTDOWN_SLACK_MS 500             /* after the grace period, to flush updates */
#define AGENT_PORT_ENV_MAX 256                  /* ports exported as PORT0..PORTn */

/* Settled by agentd.c from the flags before the agent starts. */
struct agent_config {
	const char *master;              /* as given ("host:port"), for messages */
	const char *master_host;
	int master_port;
	const char *hostname;            /* reported to the master */
	const char *work_dir;            /* absolute, exists */
	const struct res *resources;     /* complete: --resources plus detected defaults */
	const char *attributes;          /* canonical text, "" for none */
	int64_t executor_shutdown_grace_period_ms;
};

struct agent;

/* Copy the configuration and watch SIGCHLD. NULL with a one-line reason in err. */
struct agent *agent_new(struct loop *loop, const struct agent_config *cfg, char *err, size_t errlen);
/* Start connecting to the master. */
void agent_start(struct agent *a);
/*
 * Begin an orderly exit (SIGTERM/SIGINT): kill every task (TERM, then KILL
 * after the shutdown grace period), send the last updates, then
 * loop_stop(). Calling it again changes nothing.
 */
void agent_stop(struct agent *a);
/* Free everything; tasks still running are killed outright. */
void agent_free(struct agent *a);

#endif
