/*
 * lb.c: mesos-lb's entry point: flags (as the daemons', --name=value or
 * MESOS_LB_NAME), start-up, signals, shutdown. Everything else is in the
 * files lb.h maps.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "compat.h"
#include "flags.h"
#include "http_auth.h"
#include "http_client.h"
#include "lb/lb.h"
#include "log.h"
#include "loop.h"
#include "xmem.h"

#define LB_ENV_PREFIX "MESOS_LB_"
#define LB_SYNOPSIS "--marathon=http://HOST:8080[,URL...] [--group=NAME] [--ip=ADDR] " \
	"[--http_port=80] [--flag=value ...]"

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
	log_info("SIGHUP: logs reopened (Marathon is the configuration: there is no file to reload)");
}

void
lb_changed(struct lb *lb)
{
	if (lb->haproxy != NULL)
		lb_haproxy_update(lb);
	else
		lb_tcp_reconcile(lb);
}

static int
bad(const char *msg)
{
	fprintf(stderr, "mesos-lb: %s (see mesos-lb --help)\n", msg);
	return 1;
}

static int
check_config(const struct lb_config *c)
{
	if (c->marathon == NULL || *c->marathon == '\0')
		return bad("--marathon is required: http://HOST:8080 (several: comma-separated)");
	if (c->http_port < -1 || c->http_port > LB_PORT_MAX || c->stats_port < -1 ||
	    c->stats_port > LB_PORT_MAX)
		return bad("--http_port and --stats_port must be 0-65535 (0: any free port; -1: none)");
	if (c->max_connections < 1)
		return bad("--max_connections must be at least 1");
	if (c->connect_timeout_ms <= 0 || c->idle_timeout_ms <= 0 || c->request_timeout_ms <= 0 ||
	    c->keepalive_timeout_ms <= 0 || c->drain_timeout_ms < 0 || c->eject_ms < 0)
		return bad("timeouts must be positive (--drain_timeout and --eject_time may be 0)");
	if (c->retries < 0)
		return bad("--retries must not be negative");
	if (c->workers < 1 || c->workers > LB_WORKERS_MAX)
		return bad("--workers must be 1-" LB_STR(LB_WORKERS_MAX));
	if (c->haproxy_reload != NULL && c->haproxy_config == NULL)
		return bad("--haproxy_reload needs --haproxy_config");
	return 0;
}

/* Every client connection holds two descriptors: take all the system allows. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
start(struct lb *lb)
{
	char err[LB_ERR_MAX];

	if (lb->cfg.haproxy_config != NULL) {
		lb->haproxy = lb_haproxy_new(lb);
		log_info("writing HAProxy's configuration to %s instead of proxying",
		    lb->cfg.haproxy_config);
	} else if (lb_http_listen(lb, err, sizeof(err)) < 0 ||
	           lb_workers_start(lb, err, sizeof(err)) < 0) {
		fprintf(stderr, "mesos-lb: %s\n", err);
		return -1;
	}
	if (lb_stats_listen(lb, err, sizeof(err)) < 0) {
		fprintf(stderr, "mesos-lb: stats port: %s\n", err);
		return -1;
	}
	lb->follow = lb_follow_start(lb, err, sizeof(err));
	if (lb->follow == NULL) {
		fprintf(stderr, "mesos-lb: %s\n", err);
		return -1;
	}
	return 0;
}

static void
stop(struct lb *lb)
{
	lb_follow_stop(lb->follow);
	while (lb->conns.next != &lb->conns)
		lb->conns.next->kill(lb->conns.next->owner, "shutting down");
	lb_workers_stop(lb);
	lb_tcp_close_all(lb);
	lb_http_close(lb);
	lb_stats_close(lb);
	lb_haproxy_free(lb->haproxy);
	lb_table_free(lb);
	/* Closed conns (the follower's requests) are freed on the loop's next turn. */
	loop_run_once(lb->loop, 0);
}

int
main(int argc, char **argv)
{
	struct lb lb;
	char *log_level = xstrdup(LB_DEFAULT_LOG_LEVEL);
	char *log_output = NULL;
	int quiet = 0, help = 0, first_arg = 0, rc = 0;
	char err[LB_ERR_MAX];

	memset(&lb, 0, sizeof(lb));
	lb.cfg.group = xstrdup(LB_DEFAULT_GROUP);
	lb.cfg.ip = xstrdup(LB_DEFAULT_IP);
	lb.cfg.http_port = LB_DEFAULT_HTTP_PORT;
	lb.cfg.stats_port = LB_DEFAULT_STATS_PORT;
	lb.cfg.max_connections = LB_DEFAULT_MAX_CONNECTIONS;
	lb.cfg.connect_timeout_ms = LB_DEFAULT_CONNECT_TIMEOUT_MS;
	lb.cfg.idle_timeout_ms = LB_DEFAULT_IDLE_TIMEOUT_MS;
	lb.cfg.request_timeout_ms = LB_DEFAULT_REQUEST_TIMEOUT_MS;
	lb.cfg.keepalive_timeout_ms = LB_DEFAULT_KEEPALIVE_TIMEOUT_MS;
	lb.cfg.drain_timeout_ms = LB_DEFAULT_DRAIN_TIMEOUT_MS;
	lb.cfg.eject_ms = LB_DEFAULT_EJECT_MS;
	lb.cfg.retries = LB_DEFAULT_RETRIES;
	lb.cfg.workers = compat_ncpus() > 0 ? compat_ncpus() : 1;
	lb.http_fd = lb.stats_fd = -1;

	struct flag flags[] = {
		{ "marathon", FLAG_STRING, &lb.cfg.marathon,
		  "Marathon's URL, http://HOST:PORT; several (comma-separated) are tried in turn", 0 },
		{ "marathon_credentials", FLAG_STRING, &lb.cfg.marathon_credentials,
		  "user:password when Marathon asks for HTTP Basic (its http_credentials)", 0 },
		{ "group", FLAG_STRING, &lb.cfg.group,
		  "serve apps whose HAPROXY_GROUP label names one of these (comma-separated; * all)",
		  0 },
		{ "ip", FLAG_STRING, &lb.cfg.ip, "address the service and HTTP ports listen on", 0 },
		{ "http_port", FLAG_INT, &lb.cfg.http_port,
		  "the shared HTTP port of virtual hosts (0 = any free port, -1 = none)", 0 },
		{ "stats_port", FLAG_INT, &lb.cfg.stats_port,
		  "the port of /_lb/stats and /_lb/health (0 = any free port, -1 = none)", 0 },
		{ "max_connections", FLAG_INT, &lb.cfg.max_connections,
		  "client connections at once; more wait in the kernel's backlog", 0 },
		{ "connect_timeout", FLAG_DURATION, &lb.cfg.connect_timeout_ms,
		  "a backend slower to accept is skipped and ejected", 0 },
		{ "idle_timeout", FLAG_DURATION, &lb.cfg.idle_timeout_ms,
		  "a connection quiet this long in both directions is closed", 0 },
		{ "http_request_timeout", FLAG_DURATION, &lb.cfg.request_timeout_ms,
		  "an HTTP request's head must arrive whole within this", 0 },
		{ "http_keepalive_timeout", FLAG_DURATION, &lb.cfg.keepalive_timeout_ms,
		  "how long a kept-alive HTTP client may wait before its next request", 0 },
		{ "drain_timeout", FLAG_DURATION, &lb.cfg.drain_timeout_ms,
		  "connections to a task being killed or gone end by then", 0 },
		{ "eject_time", FLAG_DURATION, &lb.cfg.eject_ms,
		  "a backend that refused or timed out a connect gets none for this long", 0 },
		{ "retries", FLAG_INT, &lb.cfg.retries,
		  "other backends a connection tries after a failed connect", 0 },
		{ "haproxy_config", FLAG_STRING, &lb.cfg.haproxy_config,
		  "write an equivalent HAProxy configuration to FILE instead of proxying", 0 },
		{ "haproxy_reload", FLAG_STRING, &lb.cfg.haproxy_reload,
		  "a command (sh -c) run after each change of --haproxy_config", 0 },
		{ "workers", FLAG_INT, &lb.cfg.workers,
		  "threads moving the service ports' bytes (default: one per cpu; 1: the main loop)", 0 },
		{ "log_level", FLAG_STRING, &log_level, "error, warning, info or debug", 0 },
		{ "log", FLAG_STRING, &log_output, "stderr (default) or syslog (facility daemon)", 0 },
		{ "quiet", FLAG_BOOL, &quiet, "log warnings and errors only", 0 },
	};
	size_t nflags = sizeof(flags) / sizeof(flags[0]);

	log_init("mesos-lb", LOG_LEVEL_INFO);
	if (flags_parse(flags, nflags, argc, argv, LB_ENV_PREFIX, &first_arg, &help, err,
	                sizeof(err)) < 0) {
		rc = bad(err);
		goto out;
	}
	if (help) {
		flags_usage(flags, nflags, "mesos-lb", LB_SYNOPSIS);
		goto out;
	}
	if (first_arg < argc) {
		fprintf(stderr, "mesos-lb: unexpected argument '%s' (see mesos-lb --help)\n",
		    argv[first_arg]);
		rc = 1;
		goto out;
	}
	int level = log_level_parse(log_level);
	if (level < 0) {
		rc = bad("bad value for --log_level: expected error, warning, info or debug");
		goto out;
	}
	log_set_level(quiet ? LOG_LEVEL_WARN : (enum log_level)level);
	if (log_output != NULL && log_set_output(log_output) == -1) {
		rc = bad("bad value for --log: expected stderr or syslog");
		goto out;
	}
	if ((rc = check_config(&lb.cfg)) != 0)
		goto out;
	if (lb.cfg.marathon_credentials != NULL && strchr(lb.cfg.marathon_credentials, ':') != NULL) {
		/* Every request to Marathon (its event stream, its apps) carries them. */
		char *colon = strchr(lb.cfg.marathon_credentials, ':');
		*colon = '\0';
		char *basic = http_auth_basic_value(lb.cfg.marathon_credentials, colon + 1);
		*colon = ':';
		http_client_set_authorization(basic);
		free(basic);
	} else if (lb.cfg.marathon_credentials != NULL && *lb.cfg.marathon_credentials != '\0') {
		fprintf(stderr, "mesos-lb: --marathon_credentials must be user:password\n");
		rc = 1;
		goto out;
	}
	raise_fd_limit();

	lb.loop = loop_new();
	lb.started_ms = loop_now(lb.loop);
	lb.accepting = 1;
	loop_signal(lb.loop, SIGTERM, on_stop_signal, NULL);
	loop_signal(lb.loop, SIGINT, on_stop_signal, NULL);
	loop_signal(lb.loop, SIGHUP, on_hup, NULL);
	lb_table_init(&lb);
	if (start(&lb) < 0) {
		rc = 1;
	} else {
		loop_run(lb.loop);
		log_info("stopped");
	}
	stop(&lb);
	loop_free(lb.loop);
out:
	flags_free(flags, nflags);
	free(log_level);
	return rc;
}
