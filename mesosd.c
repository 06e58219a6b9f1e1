/*
 * mesosd.c: the master daemon's entry point: flags (Mesos names and
 * defaults, also as MESOS_* environment variables), start-up, signals.
 * Everything else is in master/ (master/master.h is its map).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "conn.h"
#include "flags.h"
#include "log.h"
#include "loop.h"
#include "master/master.h"
#include "master/master_plugins.h"
#include "xmem.h"

static void
on_stop_signal(struct loop *loop, int signo, void *arg)
{
	(void)arg;
	log_info("received signal %d, shutting down", signo);
	loop_stop(loop);
}

static void
on_hup(struct loop *loop, int signo, void *arg)
{
	(void)loop;
	(void)signo;
	(void)arg;
	log_reopen();
	log_info("SIGHUP: logs reopened (there is no configuration file to reload)");
}

/* The work dir and any missing parents: rwxr-xr-x. */
#define WORK_DIR_MODE (S_IRWXU | S_IRGRP | S_IXGRP | S_IROTH | S_IXOTH)
/*
 * With thousands of agents, a quiet turn's next poll() waits this long so
 * a ping round's replies are read in one poll() over every connection
 * (lib/loop.h): a message waits at most this, against a ping interval of
 * seconds.
 */
#define MASTER_GATHER_MS 50

int
main(int argc, char **argv)
{
	struct master m;
	char *log_level = NULL;
	char *log_output = NULL;
	int quiet = 0, help = 0, first_arg = 0;
	char err[MASTER_ERR_MAX];

	memset(&m, 0, sizeof(m));
	m.cfg.port = MASTER_DEFAULT_PORT;
	m.cfg.agent_ping_timeout_ms = MASTER_DEFAULT_AGENT_PING_TIMEOUT_MS;
	m.cfg.max_agent_ping_timeouts = MASTER_DEFAULT_MAX_AGENT_PING_TIMEOUTS;
	m.cfg.offer_timeout_ms = MASTER_DEFAULT_OFFER_TIMEOUT_MS;
	m.cfg.allocation_interval_ms = MASTER_DEFAULT_ALLOCATION_INTERVAL_MS;
	m.cfg.agent_reregister_timeout_ms = MASTER_DEFAULT_AGENT_REREGISTER_TIMEOUT_MS;
	m.cfg.registry_max_agent_count = MASTER_DEFAULT_REGISTRY_MAX_AGENT_COUNT;
	m.cfg.registry_max_agent_age_ms = MASTER_DEFAULT_REGISTRY_MAX_AGENT_AGE_MS;
	m.cfg.max_completed_frameworks = MASTER_DEFAULT_MAX_COMPLETED_FRAMEWORKS;
	m.cfg.max_completed_tasks_per_framework = MASTER_DEFAULT_MAX_COMPLETED_TASKS;
	m.cfg.handshake_timeout_ms = MASTER_DEFAULT_HANDSHAKE_TIMEOUT_MS;
	m.cfg.peer_output_limit = MASTER_DEFAULT_PEER_OUTPUT_LIMIT;
	m.cfg.history_interval_ms = MASTER_DEFAULT_HISTORY_INTERVAL_MS;
	m.cfg.framework_heartbeat_interval_ms = MASTER_FRAMEWORK_HEARTBEAT_MS;
	m.cfg.max_connections = MASTER_DEFAULT_MAX_CONNECTIONS;
	m.cfg.max_connections_per_address = MASTER_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
	m.cfg.ip = xstrdup(MASTER_DEFAULT_IP);
	m.cfg.work_dir = xstrdup(MASTER_DEFAULT_WORK_DIR);
	m.cfg.min_allocatable_resources = xstrdup(MASTER_DEFAULT_MIN_ALLOCATABLE);
	m.cfg.weights = xstrdup("");
	m.cfg.roles = xstrdup("");
	m.cfg.quota = xstrdup("");
	m.cfg.credentials = xstrdup("");
	m.cfg.acls = xstrdup("");
	log_level = xstrdup(MASTER_DEFAULT_LOG_LEVEL);
	struct master_plugins_config pcfg = {
		xstrdup(""), xstrdup(""), xstrdup(""), xstrdup(""),
		MASTER_PLUGINS_DEFAULT_PING_INTERVAL_MS, MASTER_PLUGINS_DEFAULT_MAX_MISSED_PINGS,
		MASTER_PLUGINS_DEFAULT_BACKOFF_MS, MASTER_PLUGINS_DEFAULT_BACKOFF_MAX_MS,
	};
	{
		char host[MASTER_HOST_MAX] = MASTER_DEFAULT_HOSTNAME;
		if (gethostname(host, sizeof(host) - 1) < 0)
			strcpy(host, MASTER_DEFAULT_HOSTNAME);
		host[sizeof(host) - 1] = '\0';
		m.cfg.hostname = xstrdup(host);
	}

	struct flag flags[] = {
		{ "ip", FLAG_STRING, &m.cfg.ip, "address to listen on", 0 },
		{ "port", FLAG_INT, &m.cfg.port, "port to listen on (0 = any free port)", 0 },
		{ "hostname", FLAG_STRING, &m.cfg.hostname, "name the master advertises", 0 },
		{ "work_dir", FLAG_STRING, &m.cfg.work_dir, "directory for the master's files", 0 },
		{ "agent_ping_timeout", FLAG_DURATION, &m.cfg.agent_ping_timeout_ms,
		  "how long to wait for an agent to answer a ping", 0 },
		{ "max_agent_ping_timeouts", FLAG_INT, &m.cfg.max_agent_ping_timeouts,
		  "unanswered pings before an agent is unreachable", 0 },
		{ "offer_timeout", FLAG_DURATION, &m.cfg.offer_timeout_ms,
		  "rescind offers held longer than this (0 = never)", 0 },
		{ "allocation_interval", FLAG_DURATION, &m.cfg.allocation_interval_ms,
		  "period of full allocation passes (events allocate sooner)", 0 },
		{ "agent_reregister_timeout", FLAG_DURATION, &m.cfg.agent_reregister_timeout_ms,
		  "how long frameworks recovered from agents wait for their scheduler", 0 },
		{ "registry_max_agent_count", FLAG_INT, &m.cfg.registry_max_agent_count,
		  "removed agents remembered (their tasks refused back), the oldest forgotten first", 0 },
		{ "registry_max_agent_age", FLAG_DURATION, &m.cfg.registry_max_agent_age_ms,
		  "how long a removed agent is remembered", 0 },
		{ "min_allocatable_resources", FLAG_STRING, &m.cfg.min_allocatable_resources,
		  "smallest offer worth making ('|' or, ';' and)", 0 },
		{ "roles", FLAG_STRING, &m.cfg.roles, "comma-separated roles allowed (empty = any)", 0 },
		{ "weights", FLAG_STRING, &m.cfg.weights, "role weights, e.g. prod=3,dev=1", 0 },
		{ "quota", FLAG_STRING, &m.cfg.quota, "role guarantees, e.g. prod:cpus=4,mem=2048", 0 },
		{ "max_completed_frameworks", FLAG_INT, &m.cfg.max_completed_frameworks,
		  "completed frameworks kept in memory", 0 },
		{ "max_completed_tasks_per_framework", FLAG_INT,
		  &m.cfg.max_completed_tasks_per_framework, "completed tasks kept per framework", 0 },
		{ "handshake_timeout", FLAG_DURATION, &m.cfg.handshake_timeout_ms,
		  "close connections that have not said HELLO by then", 0 },
		{ "framework_heartbeat_interval", FLAG_DURATION,
		  &m.cfg.framework_heartbeat_interval_ms,
		  "PING frameworks this often; one silent for 3 of them is disconnected", 0 },
		{ "max_connections", FLAG_INT, &m.cfg.max_connections,
		  "connections open at once; more are refused with an ERROR (0 = no cap)", 0 },
		{ "max_connections_per_address", FLAG_INT, &m.cfg.max_connections_per_address,
		  "connections open at once from one address (0 = no cap)", 0 },
		{ "peer_output_limit", FLAG_BYTES, &m.cfg.peer_output_limit,
		  "unsent bytes kept for one peer before it is dropped as not reading", 0 },
		{ "history_interval", FLAG_DURATION, &m.cfg.history_interval_ms,
		  "between samples of each role's allocation for the web page (360 kept)", 0 },
		{ "credentials", FLAG_STRING, &m.cfg.credentials,
		  "file of principals and secrets (Mesos's JSON or 'principal secret' lines)", 0 },
		{ "acls", FLAG_STRING, &m.cfg.acls, "file of Mesos's authorization ACLs (JSON)", 0 },
		{ "authenticate_agents", FLAG_BOOL, &m.cfg.authenticate_agents,
		  "only agents with a credential may register", 0 },
		{ "authenticate_frameworks", FLAG_BOOL, &m.cfg.authenticate_frameworks,
		  "only frameworks with a credential may subscribe", 0 },
		{ "authenticate_http_readonly", FLAG_BOOL, &m.cfg.authenticate_http_readonly,
		  "HTTP GETs and operators' sandbox reads need credentials", 0 },
		{ "authenticate_http_readwrite", FLAG_BOOL, &m.cfg.authenticate_http_readwrite,
		  "HTTP writes and operators' kills and teardowns need credentials", 0 },
		{ "plugins", FLAG_STRING, &pcfg.dir,
		  "directory of framework plugins (*.so; default plugins/ next to mesosd, else "
		  "the installed one)", 0 },
		{ "plugin_conf", FLAG_STRING, &pcfg.conf_dir,
		  "directory of the plugins' NAME.conf files (default the plugins directory)", 0 },
		{ "plugins_enabled", FLAG_STRING, &pcfg.enabled,
		  "comma-separated plugins to run (empty = all)", 0 },
		{ "plugin_host", FLAG_STRING, &pcfg.host,
		  "the plugin host program (default mesos-plughost next to mesosd)", 0 },
		{ "plugin_ping_interval", FLAG_DURATION, &pcfg.ping_interval_ms,
		  "how often each plugin host is pinged", 0 },
		{ "plugin_max_missed_pings", FLAG_INT, &pcfg.max_missed_pings,
		  "unanswered pings before a plugin host is killed as hung", 0 },
		{ "plugin_backoff", FLAG_DURATION, &pcfg.backoff_ms,
		  "first delay before restarting a plugin (doubles each time)", 0 },
		{ "plugin_backoff_max", FLAG_DURATION, &pcfg.backoff_max_ms,
		  "longest delay before restarting a plugin", 0 },
		{ "log_level", FLAG_STRING, &log_level, "error, warning, info or debug", 0 },
		{ "log", FLAG_STRING, &log_output, "stderr (default) or syslog (facility daemon)", 0 },
		{ "quiet", FLAG_BOOL, &quiet, "log warnings and errors only", 0 },
	};
	size_t nflags = sizeof(flags) / sizeof(flags[0]);

	log_init("mesosd", LOG_LEVEL_INFO);
	if (flags_parse(flags, nflags, argc, argv, "MESOS_", &first_arg, &help, err,
	                sizeof(err)) < 0) {
		fprintf(stderr, "mesosd: %s (see mesosd --help)\n", err);
		return 1;
	}
	if (help) {
		flags_usage(flags, nflags, "mesosd", "[--flag=value ...]");
		flags_free(flags, nflags);
		return 0;
	}
	if (first_arg < argc) {
		fprintf(stderr, "mesosd: unexpected argument '%s' (see mesosd --help)\n", argv[first_arg]);
		return 1;
	}
	int level = log_level_parse(log_level);
	if (level < 0) {
		fprintf(stderr, "mesosd: bad value '%s' for --log_level: expected error, warning, info "
		        "or debug\n", log_level);
		return 1;
	}
	log_set_level(quiet ? LOG_LEVEL_WARN : (enum log_level)level);
	if (log_output != NULL && log_set_output(log_output) == -1) {
		fprintf(stderr, "mesosd: bad value '%s' for --log: expected stderr or syslog\n", log_output);
		return 1;
	}
	if (m.cfg.port < 0 || m.cfg.port > MASTER_PORT_MAX) {
		fprintf(stderr, "mesosd: bad value '%lld' for --port: expected 0-65535\n", m.cfg.port);
		return 1;
	}
	if (m.cfg.agent_ping_timeout_ms <= 0 || m.cfg.max_agent_ping_timeouts < 1) {
		fprintf(stderr, "mesosd: --agent_ping_timeout must be positive and "
		        "--max_agent_ping_timeouts at least 1\n");
		return 1;
	}
	if (m.cfg.handshake_timeout_ms <= 0 ||
	    m.cfg.peer_output_limit < MASTER_PEER_OUTPUT_LIMIT_MIN) {
		fprintf(stderr, "mesosd: --handshake_timeout must be positive and "
		        "--peer_output_limit at least 4KB\n");
		return 1;
	}
	if (m.cfg.framework_heartbeat_interval_ms <= 0 || m.cfg.max_connections < 0 ||
	    m.cfg.max_connections_per_address < 0) {
		fprintf(stderr, "mesosd: --framework_heartbeat_interval must be positive, "
		        "--max_connections* not negative\n");
		return 1;
	}
	if (m.cfg.allocation_interval_ms <= 0) {
		fprintf(stderr, "mesosd: --allocation_interval must be positive\n");
		return 1;
	}
	if (m.cfg.max_completed_frameworks < 0 || m.cfg.max_completed_tasks_per_framework < 0) {
		fprintf(stderr, "mesosd: --max_completed_* must not be negative\n");
		return 1;
	}
	if (m.cfg.registry_max_agent_count < 0 || m.cfg.registry_max_agent_age_ms < 0) {
		fprintf(stderr, "mesosd: --registry_max_agent_* must not be negative\n");
		return 1;
	}
	if (pcfg.ping_interval_ms <= 0 || pcfg.max_missed_pings < 1 || pcfg.backoff_ms <= 0 ||
	    pcfg.backoff_max_ms < pcfg.backoff_ms) {
		fprintf(stderr, "mesosd: --plugin_ping_interval and --plugin_backoff must be positive, "
		        "--plugin_max_missed_pings at least 1, --plugin_backoff_max at least "
		        "--plugin_backoff\n");
		return 1;
	}
	if (compat_mkdirs(m.cfg.work_dir, WORK_DIR_MODE, err, sizeof(err)) < 0) {
		fprintf(stderr, "mesosd: cannot create --work_dir '%s': %s\n", m.cfg.work_dir,
		        strerror(errno));
		return 1;
	}

	/* Every agent and framework holds a descriptor: take all the system allows. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	struct loop *loop = loop_new();
	loop_gather(loop, MASTER_GATHER_MS);
	/* A turn sends an agent or a framework several lines (updates, launches, offers): one write. */
	conn_coalesce_writes(1);
	loop_signal(loop, SIGTERM, on_stop_signal, NULL);
	loop_signal(loop, SIGINT, on_stop_signal, NULL);
	loop_signal(loop, SIGHUP, on_hup, NULL);
	if (master_init(&m, loop, err, sizeof(err)) < 0) {
		fprintf(stderr, "mesosd: %s\n", err);
		return 1;
	}
	struct master_plugins *plugins = master_plugins_start(&m, &pcfg, err, sizeof(err));
	if (plugins == NULL) {
		fprintf(stderr, "mesosd: %s\n", err);
		return 1;
	}
	loop_run(loop);
	master_plugins_stop(plugins);
	master_shutdown(&m);
	loop_free(loop);
	flags_free(flags, nflags);
	log_info("stopped");
	return 0;
}
