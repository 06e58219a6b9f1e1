/*
 * framework.h: the framework plugin ABI. A framework is a small C file
 * built into a shared object:
 *
 *     cc -std=c11 -fPIC -shared -o myfw.so myfw.c
 *
 * dropped into the master's plugin directory (mesosd --plugins=DIR). The
 * master runs each plugin in a process of its own (mesos-plughost), so a
 * plugin that crashes or hangs never takes the master down: the master
 * restarts it with backoff and it fails over with the same framework ID,
 * its tasks still running. The same .so also runs outside the master as
 * an external framework over TCP:
 *
 *     mesos-plughost --master=HOST:PORT --plugin=./myfw.so [--conf=myfw.conf]
 *
 * A plugin exports one data symbol, FRAMEWORK_PLUGIN_SYMBOL, a struct
 * framework_plugin describing it: the ABI version it was built for, its
 * name, its default role and its callbacks. The host hands every callback
 * a struct framework_driver: the calls a plugin makes (launch, decline,
 * kill, ...), its configuration, a logger, timers and descriptor watchers.
 *
 * The rules every callback and call follows:
 *  - Everything runs on one thread, the host's event loop. A callback must
 *    return promptly: a plugin that does not return to the loop misses the
 *    master's heartbeats and is killed and restarted. Long work is split
 *    with timers; sockets (an HTTP server of the plugin's own) are served
 *    with watch().
 *  - Strings and arrays handed to a callback are valid until it returns;
 *    copy what you keep. Strings and arrays handed to a call are copied
 *    before the call returns.
 *  - Calls return 0, or -1 with a one-line reason in last_error(). A call
 *    that only queues a message (launch, decline, kill, ...) succeeding
 *    means the message is on its way, not that the master agreed: the
 *    outcome comes back as status updates.
 *  - Calls that talk to the master fail ("not subscribed") before
 *    registered()/reregistered() and after disconnected().
 *  - The configuration is the key=value lines of the plugin's NAME.conf.
 *    The host itself reads these keys: name (the framework name, default
 *    the plugin's), user (default the host's user), role (default the
 *    plugin's role, else "*"), principal, failover_timeout (seconds,
 *    default 604800: one week, as Marathon's), checkpoint (0/1, default 1),
 *    weight (the role's weight in the master's allocator, unless its
 *    --weights names the role: the operator weighs batch against services
 *    where the plugins are configured).
 *
 * Task states, reasons and resource strings are Mesos's; see the README
 * and docs/PROTOCOL.md, whose framework part is what the host speaks.
 */
#ifndef MESOS_FRAMEWORK_H
#define MESOS_FRAMEWORK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bumped on every incompatible change of this file. A plugin built for
 * another version is refused at load, with a message naming both.
 */
#define FRAMEWORK_ABI_VERSION 1

/* The name of the one symbol a plugin exports (a struct framework_plugin). */
#define FRAMEWORK_PLUGIN_SYMBOL "mesos_framework_plugin"

/* Descriptor events for watch(). */
#define FRAMEWORK_READ  0x1
#define FRAMEWORK_WRITE 0x2
#define FRAMEWORK_ERROR 0x4   /* only reported: the descriptor hung up or failed */

/* Log levels for log(). */
enum framework_log_level {
	FRAMEWORK_LOG_ERROR = 0,
	FRAMEWORK_LOG_WARN,
	FRAMEWORK_LOG_INFO,
	FRAMEWORK_LOG_DEBUG
};

/* Plugin flags. */
#define FRAMEWORK_EXPLICIT_ACKS 0x1   /* the plugin acknowledges status updates itself */
/*
 * Mesos's PARTITION_AWARE capability: when an agent misses its pings the
 * plugin's tasks there are reported TASK_UNREACHABLE (not TASK_LOST), and
 * if the agent comes back they are reported running again for the plugin
 * to decide (otherwise the master kills them).
 */
#define FRAMEWORK_PARTITION_AWARE 0x2

struct framework_driver;

/* Resources of one agent, offered to this framework alone until used or declined. */
struct framework_offer {
	const char *id;
	const char *agent_id;
	const char *hostname;
	const char *resources;      /* "cpus:2;mem:1024;disk:1000;ports:[31000-32000]" */
	const char *attributes;     /* "rack:r1;zone:a", "" when none */
};

/* A task changed state, or the master answered a reconciliation. */
struct framework_status {
	const char *task_id;
	const char *agent_id;       /* "" when the master does not know it */
	const char *state;          /* "TASK_RUNNING", "TASK_FINISHED", ... */
	const char *source;         /* "SOURCE_MASTER", "SOURCE_AGENT", "SOURCE_EXECUTOR" */
	const char *reason;         /* "REASON_RECONCILIATION", ...; "" when none */
	const char *message;        /* "" when none */
	const char *uuid;           /* "" when the update needs no acknowledgement */
	int healthy;                /* 1 healthy, 0 unhealthy, -1 no health check ran */
	double timestamp;           /* seconds since the epoch */
};

/* A key and a value: task labels and extra task fields. */
struct framework_label {
	const char *key;
	const char *value;
};

/*
 * A health check the agent runs on the task (Mesos's defaults apply to
 * fields left 0). Sent as the health_* task fields of docs/PROTOCOL.md.
 */
struct framework_health_check {
	const char *type;           /* "COMMAND", "TCP" or "HTTP" */
	const char *command;        /* COMMAND: run with /bin/sh -c; exit 0 is healthy */
	int port;                   /* TCP, HTTP: the port to check */
	const char *path;           /* HTTP: GET this path; 200-399 is healthy (NULL = "/") */
	double delay_seconds;       /* before the first check (15) */
	double interval_seconds;    /* between checks (10) */
	double timeout_seconds;     /* for one check (20) */
	double grace_period_seconds;/* failures ignored this long after start (10) */
	int consecutive_failures;   /* failures before the task is killed (3) */
};

/* One task to launch. Only task_id, command and resources are required. */
struct framework_task {
	const char *task_id;        /* unique within the framework; becomes a directory name */
	const char *name;           /* NULL = task_id */
	const char *command;        /* run as /bin/sh -c COMMAND in the task's sandbox */
	const char *resources;      /* taken from the offer: "cpus:0.1;mem:32" */
	const char *const *env;     /* "NAME=value" strings added to the task's environment */
	size_t nenv;
	const char *const *uris;    /* fetched into the sandbox before the command runs */
	size_t nuris;
	const struct framework_health_check *health_check;   /* NULL = none */
	int64_t kill_grace_ms;      /* SIGTERM to SIGKILL on a kill; 0 = the agent's default */
	const struct framework_label *labels;   /* free-form key=value metadata */
	size_t nlabels;
	const char *user;           /* NULL = the framework's user */
	/*
	 * Further task fields, sent as they are (e.g. a limit the agent knows
	 * and this struct does not yet): "key" must be [a-z0-9_.]+.
	 */
	const struct framework_label *options;
	size_t noptions;
};

/* What accept() does with an offer's resources. */
enum framework_operation_type {
	FRAMEWORK_OP_LAUNCH = 1     /* launch tasks */
};

struct framework_operation {
	enum framework_operation_type type;
	const struct framework_task *tasks;   /* FRAMEWORK_OP_LAUNCH */
	size_t ntasks;
};

typedef void (*framework_timer_fn)(struct framework_driver *d, void *arg);
typedef void (*framework_watch_fn)(struct framework_driver *d, int fd, int events, void *arg);

/*
 * The driver: what a plugin calls. The host owns it; it stays valid from
 * init() until fini() returns. Every call takes the driver it belongs to.
 */
struct framework_driver {
	/* The plugin's own pointer, untouched by the host (set it in init()). */
	void *data;

	/*
	 * Accept an offer, launching the tasks on its agent. What the tasks do
	 * not use goes back to the pool, not offered to this framework again
	 * on that agent for refuse_seconds (< 0: the default, 5). Each task's
	 * fate comes back as status updates: TASK_STAGING at once, or
	 * TASK_ERROR (invalid task) / TASK_DROPPED (the offer was gone).
	 * -1 when a task lacks task_id, command or resources.
	 */
	int (*launch)(struct framework_driver *d, const char *offer_id,
	              const struct framework_task *tasks, size_t ntasks, double refuse_seconds);
	/*
	 * Accept an offer with operations, applied in order. This master knows
	 * FRAMEWORK_OP_LAUNCH; any other type is refused (-1) before anything
	 * is sent. launch() is accept() with one FRAMEWORK_OP_LAUNCH.
	 */
	int (*accept)(struct framework_driver *d, const char *offer_id,
	              const struct framework_operation *ops, size_t nops, double refuse_seconds);
	/* Give an offer back; its agent is not offered to us again for refuse_seconds (< 0: 5). */
	int (*decline)(struct framework_driver *d, const char *offer_id, double refuse_seconds);
	/* Kill a task: SIGTERM, SIGKILL after grace_ms (0 = the task's or the agent's default). */
	int (*kill)(struct framework_driver *d, const char *task_id, int64_t grace_ms);
	/*
	 * Ask for the latest state of the given tasks (explicit), or of every
	 * task of the framework when ntasks is 0 (implicit). Answers come as
	 * status updates with reason REASON_RECONCILIATION; a task the master
	 * does not know is reported TASK_LOST.
	 */
	int (*reconcile)(struct framework_driver *d, const char *const *task_ids, size_t ntasks);
	/* Stop receiving offers, until revive(). */
	int (*suppress)(struct framework_driver *d);
	/* Receive offers again, and drop every refusal filter of this framework. */
	int (*revive)(struct framework_driver *d);
	/*
	 * Acknowledge a status update, so its agent stops resending it. Only
	 * with FRAMEWORK_EXPLICIT_ACKS: otherwise the host acknowledges each
	 * update when status_update() returns. An update with uuid "" needs none.
	 */
	int (*acknowledge)(struct framework_driver *d, const struct framework_status *status);
	/*
	 * Send data (any bytes, at most about 21 KiB when every byte needs
	 * escaping, 64 KiB when none does) to a custom executor of this
	 * framework on an agent. Best effort, as in Mesos: a message to an
	 * agent or executor that is not there is dropped (the master and the
	 * agent log it), and nothing is resent. A task names its custom
	 * executor with the options executor_id and executor_command (and
	 * optionally executor_name); see docs/PROTOCOL.md, "Executors".
	 */
	int (*send_message)(struct framework_driver *d, const char *agent_id,
	                    const char *executor_id, const void *data, size_t len);
	/*
	 * Stop the plugin. failover = 0: tear the framework down (its tasks are
	 * killed) and end for good. failover = 1: disconnect without tearing
	 * down; the master starts the plugin again and it fails over with its
	 * tasks. fini() follows once the host has flushed what it queued.
	 */
	int (*stop)(struct framework_driver *d, int failover);

	/* A line in the master's log, prefixed with the plugin's name. */
	void (*log)(struct framework_driver *d, enum framework_log_level level, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
		__attribute__((format(printf, 3, 4)))
#endif
		;
	/* A configuration value (NAME.conf), or NULL when the key is not set. */
	const char *(*conf)(struct framework_driver *d, const char *key);
	/* The framework ID once registered, else NULL. */
	const char *(*framework_id)(struct framework_driver *d);
	/* The reason the last call returned -1. */
	const char *(*last_error)(struct framework_driver *d);
	/* Monotonic milliseconds, for timing; the clock of the timers. */
	int64_t (*now_ms)(struct framework_driver *d);

	/* Call fn(d, arg) once, after_ms from now. Returns an ID > 0 for timer_cancel. */
	uint64_t (*timer_add)(struct framework_driver *d, int64_t after_ms, framework_timer_fn fn,
	                      void *arg);
	/* Cancel a timer; unknown, fired and 0 IDs are ignored. */
	void (*timer_cancel)(struct framework_driver *d, uint64_t id);
	/*
	 * Call fn(d, fd, events, arg) whenever fd is ready for events
	 * (FRAMEWORK_READ | FRAMEWORK_WRITE). fd must be non-blocking; it stays
	 * the plugin's (the host never closes it). A second watch of the same
	 * fd replaces the first. -1 on a bad fd.
	 */
	int (*watch)(struct framework_driver *d, int fd, int events, framework_watch_fn fn,
	             void *arg);
	/* Stop watching fd (before closing it). */
	void (*unwatch)(struct framework_driver *d, int fd);
};

/*
 * What a plugin exports as FRAMEWORK_PLUGIN_SYMBOL:
 *
 *     const struct framework_plugin mesos_framework_plugin = {
 *         .abi_version = FRAMEWORK_ABI_VERSION,
 *         .name = "hello",
 *         .offers = hello_offers,
 *         ...
 *     };
 *
 * abi_version must stay the first member in every version of this file:
 * the host reads it before anything else. Every callback may be NULL.
 */
struct framework_plugin {
	int abi_version;            /* FRAMEWORK_ABI_VERSION, as the plugin was built */
	const char *name;           /* the framework's name unless the conf says otherwise */
	const char *role;           /* default role; NULL = "*" */
	unsigned flags;             /* FRAMEWORK_EXPLICIT_ACKS, FRAMEWORK_PARTITION_AWARE */

	/*
	 * Called once, before the host registers with the master: read the
	 * configuration, set d->data. Returning -1 with a reason in err refuses
	 * to start; the master logs the reason and does not restart the plugin
	 * (a configuration does not fix itself).
	 */
	int (*init)(struct framework_driver *d, char *err, size_t errlen);
	/* Called once, last: free what init() and the callbacks allocated. */
	void (*fini)(struct framework_driver *d);

	/* Registered as a new framework. */
	void (*registered)(struct framework_driver *d, const char *framework_id);
	/*
	 * Registered again with the framework ID it had (after a crash, a hang
	 * or a master restart). Its tasks kept running; the host has already
	 * asked for an implicit reconciliation, so a status update per task
	 * follows.
	 */
	void (*reregistered)(struct framework_driver *d, const char *framework_id);
	/* New offers. Each must be launched on, declined, or left to be rescinded. */
	void (*offers)(struct framework_driver *d, const struct framework_offer *offers, size_t n);
	/* An offer is void (its agent went away, or it was held too long). */
	void (*offer_rescinded)(struct framework_driver *d, const char *offer_id);
	/* A task changed state (or a reconciliation answer). */
	void (*status_update)(struct framework_driver *d, const struct framework_status *status);
	/* An agent was removed; its tasks are reported TASK_LOST separately. */
	void (*agent_lost)(struct framework_driver *d, const char *agent_id);
	/* Data from a custom executor of this framework (best effort, as send_message()). */
	void (*framework_message)(struct framework_driver *d, const char *agent_id,
	                          const char *executor_id, const void *data, size_t len);
	/* The master refused or removed the framework; disconnected() follows. */
	void (*error)(struct framework_driver *d, const char *message);
	/* The connection to the master is gone; fini() follows and the host ends. */
	void (*disconnected)(struct framework_driver *d);
};

#endif
