/*
 * agentd.c: the agent daemon's entry point: flags, turning them into a
 * settled configuration (the master's address, an absolute work dir that
 * exists, the resources with detected defaults, canonical attributes, the
 * hostname), logging, the event loop, and the signals that stop it
 * (SIGTERM/SIGINT: kill the tasks and leave; SIGQUIT: leave them running
 * for the next agentd). Everything the agent does once running lives in
 * agent*.c.
 */
#include <sys/types.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/checkpoint.h"
#include "attrs.h"
#include "buf.h"
#include "conn.h"
#include "cgroup.h"
#include "compat.h"
#include "cred.h"
#include "flags.h"
#include "sup/isolate.h"
#include "sup/launcher.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "res.h"
#include "xmem.h"

#define ERR_MAX 512
#define REASON_MAX 256               /* a sub-reason, wrapped into an ERR_MAX message */
#define CWD_MAX 4096
#define AGENTD_ENV_PREFIX "MESOS_"

/* The flags as given; strings are malloc'ed by flags_parse. */
struct options {
	char *master;
	char *credential;                /* --credential: a file */
	char *ip;
	char *hostname;
	char *work_dir;
	char *resources;
	char *attributes;
	int64_t shutdown_grace_ms;
	char *launcher_dir;
	char *recover;
	int64_t recovery_timeout_ms;
	int switch_user;
	int allow_root_tasks;
	int64_t gc_delay_ms;
	double gc_disk_headroom;
	int64_t disk_watch_ms;
	int64_t container_disk_watch_ms;
	int64_t memory_watch_ms;
	char *fetcher_cache_dir;
	uint64_t fetcher_cache_bytes;
	int64_t fetcher_stall_ms;
	int64_t update_retry_ms;
	long long task_max_processes;
	long long task_max_open_files;
	long long test_drop_updates;
	char *test_disk_full_while;
	char *log_level;
	char *log_output;
	int quiet;
	char *isolation;
	char *cgroups_root;
	int cgroups_enable_cfs;
};

/* What the options become; agent_config points into it. */
struct settled {
	char master_host[AGENT_HOST_MAX];
	int master_port;
	char *hostname;
	char *work_dir;
	struct res resources;
	char *attributes;
	unsigned isolation_cgroups;      /* the resources cgroups hold */
	struct cgroup_base cgroups;
	uint64_t touch_rate;
	struct cred credential;          /* principal NULL: none */
};

static void
on_stop_signal(struct loop *loop, int signo, void *arg)
{
	(void)loop;
	log_info("got signal %d: shutting down", signo);
	agent_stop(arg);
}

static void
on_quit_signal(struct loop *loop, int signo, void *arg)
{
	(void)loop;
	log_info("got signal %d: leaving the tasks to their supervisors", signo);
	agent_detach(arg);
}

static void
on_hup(struct loop *loop, int signo, void *arg)
{
	(void)loop;
	(void)arg;
	log_reopen();
	log_info("got signal %d (SIGHUP): logs reopened (there is no configuration to reload)", signo);
}

/* cpus, memory, the work dir's file system and ports, for what --resources left out. */
static void
detect_resources(struct res *r, const char *work_dir)
{
	struct statvfs vfs;
	uint64_t disk = 0;

	if (statvfs(work_dir, &vfs) == 0)
		disk = (uint64_t)vfs.f_blocks * (uint64_t)vfs.f_frsize;
	res_add_defaults(r, compat_ncpus(), compat_physical_memory(), disk);
}

/* Tasks chdir into their sandbox, so MESOS_SANDBOX must not be relative. */
static char *
absolute_path(const char *path, char *err, size_t errlen)
{
	char cwd[CWD_MAX];

	if (path[0] == '/')
		return xstrdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(err, errlen, "cannot find the current directory: %s", strerror(errno));
		return NULL;
	}
	return xstrfmt("%s/%s", cwd, path);
}

static char *
pick_hostname(const struct options *o)
{
	char host[AGENT_HOST_MAX];

	if (o->hostname != NULL && o->hostname[0] != '\0')
		return xstrdup(o->hostname);
	/* Mesos would look the IP up; that can block, so the IP itself stands in. */
	if (o->ip != NULL && o->ip[0] != '\0')
		return xstrdup(o->ip);
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		return xstrdup("localhost");
	host[sizeof(host) - 1] = '\0';
	return xstrdup(host);
}

/*
 * The isolation: what --isolation asks (cgroups that cannot be had are an
 * error), or without it cgroups for each resource whose controller agentd
 * may use, POSIX means for the rest. posix/mem's sampling is paced by how
 * fast this machine hands out memory, timed once here. why: the reason
 * cgroups could not be had, "" when they all could.
 */
static int
settle_isolation(const struct options *o, struct settled *s, char *why, size_t whylen, char *err,
                 size_t errlen)
{
	const char *root = o->cgroups_root != NULL ? o->cgroups_root : AGENT_DEFAULT_CGROUPS_ROOT;
	unsigned asked = CGROUP_ALL, usable;
	char reason[REASON_MAX];

	why[0] = '\0';
	if (o->isolation != NULL &&
	    isolate_isolation_parse(o->isolation, &asked, reason, sizeof(reason)) == -1) {
		snprintf(err, errlen, "bad --isolation: %s", reason);
		return -1;
	}
	usable = asked != 0 ? cgroup_base_find(root, asked, &s->cgroups, why, whylen) : 0;
	if (o->isolation != NULL && usable != asked) {
		snprintf(err, errlen, "--isolation=%s: cgroups are not usable here: %s", o->isolation, why);
		return -1;
	}
	s->isolation_cgroups = usable;
	if (!(usable & CGROUP_BIT(CGROUP_MEMORY)))
		s->touch_rate = isolate_touch_rate();
	return 0;
}

static int
settle(const struct options *o, struct settled *s, char *err, size_t errlen)
{
	char reason[REASON_MAX];
	struct attrs attrs;
	struct buf b;

	if (o->master == NULL || o->master[0] == '\0') {
		snprintf(err, errlen, "--master is required (host:port of the master)");
		return -1;
	}
	if (net_parse_hostport(o->master, AGENT_DEFAULT_MASTER_PORT, s->master_host,
	        sizeof(s->master_host), &s->master_port, reason, sizeof(reason)) == -1) {
		snprintf(err, errlen, "bad --master '%s': %s", o->master, reason);
		return -1;
	}
	/*
	 * Resolved here, once, as Mesos's standalone detector does: the loop
	 * never waits on DNS for a reconnect. A master moved to another address
	 * under the same name needs the agent restarted.
	 */
	{
		char name[AGENT_HOST_MAX];
		xstrlcpy(name, s->master_host, sizeof(name));
		if (net_resolve(name, s->master_host, sizeof(s->master_host), reason,
		                sizeof(reason)) == -1) {
			snprintf(err, errlen, "bad --master '%s': %s", o->master, reason);
			return -1;
		}
	}
	if (o->shutdown_grace_ms < 0) {
		snprintf(err, errlen, "--executor_shutdown_grace_period must not be negative");
		return -1;
	}
	if (o->recover != NULL && strcmp(o->recover, "reconnect") != 0 &&
	    strcmp(o->recover, "cleanup") != 0) {
		snprintf(err, errlen, "bad value '%s' for --recover: expected reconnect or cleanup",
		    o->recover);
		return -1;
	}
	if (!(o->gc_disk_headroom >= 0 && o->gc_disk_headroom <= 1)) {
		snprintf(err, errlen, "--gc_disk_headroom must be between 0 and 1");
		return -1;
	}
	if (o->gc_delay_ms < 0 || o->disk_watch_ms <= 0 || o->container_disk_watch_ms < 0 ||
	    o->memory_watch_ms < 0 || o->recovery_timeout_ms < 0 || o->fetcher_stall_ms < 0 ||
	    o->update_retry_ms <= 0) {
		snprintf(err, errlen, "durations must not be negative (--disk_watch_interval and "
		    "--status_update_retry_interval above 0)");
		return -1;
	}
	if (o->task_max_processes < 0 || o->task_max_open_files < 0 || o->test_drop_updates < 0) {
		snprintf(err, errlen, "--task_max_processes, --task_max_open_files and "
		    "--test_drop_updates must not be negative");
		return -1;
	}
	s->work_dir = absolute_path(o->work_dir ? o->work_dir : AGENT_DEFAULT_WORK_DIR, err, errlen);
	if (s->work_dir == NULL)
		return -1;
	if (compat_mkdirs(s->work_dir, LAUNCHER_DIR_MODE, reason, sizeof(reason)) == -1) {
		snprintf(err, errlen, "bad --work_dir: %s", reason);
		return -1;
	}
	if (o->resources != NULL &&
	    res_parse(&s->resources, o->resources, reason, sizeof(reason)) == -1) {
		snprintf(err, errlen, "bad --resources: %s", reason);
		return -1;
	}
	detect_resources(&s->resources, s->work_dir);
	attrs_init(&attrs);
	if (o->attributes != NULL && attrs_parse(&attrs, o->attributes, reason, sizeof(reason)) == -1) {
		snprintf(err, errlen, "bad --attributes: %s", reason);
		attrs_free(&attrs);
		return -1;
	}
	buf_init(&b, 0);
	attrs_format(&attrs, &b);
	s->attributes = buf_detach(&b);
	attrs_free(&attrs);
	s->hostname = pick_hostname(o);
	if (o->credential != NULL && o->credential[0] != '\0' &&
	    cred_load_one(o->credential, &s->credential, err, errlen) == -1)
		return -1;
	return 0;
}

static void
settled_free(struct settled *s)
{
	free(s->hostname);
	free(s->work_dir);
	free(s->attributes);
	res_free(&s->resources);
	cgroup_base_free(&s->cgroups);
	cred_free(&s->credential);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct settled s;
	struct agent_config cfg;
	int help = 0, first_arg = 0, level;
	char err[ERR_MAX], why[ERR_MAX];
	struct loop *loop;
	struct agent *a;

	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	res_init(&s.resources);
	o.shutdown_grace_ms = AGENT_DEFAULT_SHUTDOWN_GRACE_MS;
	o.recovery_timeout_ms = AGENT_DEFAULT_RECOVERY_TIMEOUT_MS;
	o.switch_user = 1;
	o.gc_delay_ms = AGENT_DEFAULT_GC_DELAY_MS;
	o.gc_disk_headroom = AGENT_DEFAULT_GC_HEADROOM;
	o.disk_watch_ms = AGENT_DEFAULT_DISK_WATCH_MS;
	o.container_disk_watch_ms = AGENT_DEFAULT_CONTAINER_DISK_WATCH_MS;
	o.memory_watch_ms = AGENT_DEFAULT_MEMORY_WATCH_MS;
	o.fetcher_cache_bytes = AGENT_DEFAULT_FETCHER_CACHE_BYTES;
	o.fetcher_stall_ms = AGENT_DEFAULT_FETCHER_STALL_MS;
	o.update_retry_ms = AGENT_UPDATE_RETRY_MS;
	o.task_max_processes = ISOLATE_PROCESSES_DEFAULT;
	o.task_max_open_files = ISOLATE_OPEN_FILES_DEFAULT;
	struct flag flags[] = {
		{ "master", FLAG_STRING, &o.master, "host:port of the master (required)", 0 },
		{ "credential", FLAG_STRING, &o.credential,
		  "file with this agent's principal and secret (Mesos's JSON or 'principal secret')", 0 },
		{ "ip", FLAG_STRING, &o.ip, "IP address of this node, reported when --hostname is unset", 0 },
		{ "hostname", FLAG_STRING, &o.hostname,
		  "hostname to report to the master (default: the system's)", 0 },
		{ "work_dir", FLAG_STRING, &o.work_dir,
		  "directory for task sandboxes (default " AGENT_DEFAULT_WORK_DIR ")", 0 },
		{ "resources", FLAG_STRING, &o.resources,
		  "resources to offer, e.g. cpus:2;mem:1024;ports:[31000-32000] (missing ones detected)", 0 },
		{ "attributes", FLAG_STRING, &o.attributes, "attributes, e.g. rack:r1;zone:a", 0 },
		{ "executor_shutdown_grace_period", FLAG_DURATION, &o.shutdown_grace_ms,
		  "time tasks get between SIGTERM and SIGKILL when the agent or a framework shuts down", 0 },
		{ "launcher_dir", FLAG_STRING, &o.launcher_dir,
		  "directory of mesos-executor and mesos-fetcher (default: next to agentd)", 0 },
		{ "recover", FLAG_STRING, &o.recover,
		  "reconnect (take running tasks back after a restart) or cleanup (kill them, start "
		  "afresh); default reconnect", 0 },
		{ "recovery_timeout", FLAG_DURATION, &o.recovery_timeout_ms,
		  "how long a task's supervisor waits for agentd to come back before killing it", 0 },
		{ "switch_user", FLAG_BOOL, &o.switch_user,
		  "run tasks as their framework's user when agentd runs as root", 0 },
		{ "allow_root_tasks", FLAG_BOOL, &o.allow_root_tasks,
		  "with --switch_user, also run tasks whose user is root", 0 },
		{ "gc_delay", FLAG_DURATION, &o.gc_delay_ms,
		  "how long a finished task's sandbox is kept (shorter when the disk fills)", 0 },
		{ "gc_disk_headroom", FLAG_DOUBLE, &o.gc_disk_headroom,
		  "free disk fraction to keep: sandboxes go sooner as usage nears 1 - this", 0 },
		{ "disk_watch_interval", FLAG_DURATION, &o.disk_watch_ms,
		  "how often the disk is checked for sandbox garbage collection", 0 },
		{ "container_disk_watch_interval", FLAG_DURATION, &o.container_disk_watch_ms,
		  "how often each task's sandbox is measured against its disk (0 = never)", 0 },
		{ "container_memory_watch_interval", FLAG_DURATION, &o.memory_watch_ms,
		  "how often each task's resident memory is sampled against its mem (0 = never)", 0 },
		{ "fetcher_cache_dir", FLAG_STRING, &o.fetcher_cache_dir,
		  "where fetched URIs with cache=1 are kept (default WORK_DIR/fetch)", 0 },
		{ "fetcher_cache_size", FLAG_BYTES, &o.fetcher_cache_bytes,
		  "the fetcher cache's size cap", 0 },
		{ "fetcher_stall_timeout", FLAG_DURATION, &o.fetcher_stall_ms,
		  "a download that gets no data for this long fails", 0 },
		{ "status_update_retry_interval", FLAG_DURATION, &o.update_retry_ms,
		  "first resend of an unacknowledged status update (doubling up to 10mins)", 0 },
		{ "task_max_processes", FLAG_INT, &o.task_max_processes,
		  "RLIMIT_NPROC of a task, above its user's process count (0 = none)", 0 },
		{ "task_max_open_files", FLAG_INT, &o.task_max_open_files,
		  "RLIMIT_NOFILE of a task (0 = inherit)", 0 },
		{ "test_drop_updates", FLAG_INT, &o.test_drop_updates,
		  "for tests only: lose this many first status updates on the wire", 0 },
		{ "test_disk_full_while", FLAG_STRING, &o.test_disk_full_while,
		  "for tests only: checkpoint writes needing new room fail (ENOSPC) while this "
		  "file exists", 0 },
		{ "isolation", FLAG_STRING, &o.isolation,
		  "how tasks are held to their resources: posix/cpu,posix/mem or "
		  "cgroups/cpu,cgroups/mem,cgroups/pids (default: cgroups where agentd may make them, "
		  "POSIX for the rest)", 0 },
		{ "cgroups_root", FLAG_STRING, &o.cgroups_root,
		  "the cgroup tasks' cgroups go in, below agentd's own (default "
		  AGENT_DEFAULT_CGROUPS_ROOT ")", 0 },
		{ "cgroups_enable_cfs", FLAG_BOOL, &o.cgroups_enable_cfs,
		  "with cgroups/cpu, also cap each task at its cpus (CFS quota)", 0 },
		{ "log_level", FLAG_STRING, &o.log_level, "error, warning, info or debug (default info)", 0 },
		{ "log", FLAG_STRING, &o.log_output, "stderr (default) or syslog (facility daemon)", 0 },
		{ "quiet", FLAG_BOOL, &o.quiet, "log warnings and errors only", 0 },
	};
	size_t nflags = sizeof(flags) / sizeof(flags[0]);

	log_init(argv[0], LOG_LEVEL_INFO);
	if (flags_parse(flags, nflags, argc, argv, AGENTD_ENV_PREFIX, &first_arg, &help, err,
	        sizeof(err)) == -1) {
		flags_free(flags, nflags);
		fatalx("%s (try --help)", err);
	}
	if (help) {
		char why[ERR_MAX], name[ISOLATE_ISOLATION_MAX];

		flags_usage(flags, nflags, "agentd", "--master=HOST:PORT [--flag=value ...]");
		/* What --isolation would be with these flags, here: the same look agentd takes at start. */
		if (settle_isolation(&o, &s, why, sizeof(why), err, sizeof(err)) == -1) {
			printf("\nisolation: %s\n", err);
		} else {
			isolate_isolation_name(s.isolation_cgroups, name, sizeof(name));
			printf("\nisolation on this machine: %s%s%s%s\n", name, why[0] ? " (cgroups: " : "",
			    why, why[0] ? ")" : "");
		}
		settled_free(&s);
		flags_free(flags, nflags);
		return 0;
	}
	if (first_arg < argc)
		snprintf(err, sizeof(err), "unexpected argument '%s' (try --help)", argv[first_arg]);
	else if (o.log_level != NULL && log_level_parse(o.log_level) == -1)
		snprintf(err, sizeof(err), "bad value '%s' for --log_level: expected error, warning, "
		    "info or debug", o.log_level);
	else if (o.log_output != NULL && log_set_output(o.log_output) == -1)
		snprintf(err, sizeof(err), "bad value '%s' for --log: expected stderr or syslog",
		    o.log_output);
	else
		err[0] = '\0';
	if (err[0] != '\0' || settle(&o, &s, err, sizeof(err)) == -1 ||
	    settle_isolation(&o, &s, why, sizeof(why), err, sizeof(err)) == -1) {
		settled_free(&s);
		flags_free(flags, nflags);
		fatalx("%s", err);
	}
	level = o.log_level != NULL ? log_level_parse(o.log_level) : LOG_LEVEL_INFO;
	if (o.quiet && level > LOG_LEVEL_WARN)
		level = LOG_LEVEL_WARN;
	log_set_level((enum log_level)level);
	if (why[0] != '\0')
		log_info("cgroups do not hold every resource: %s", why);

	cfg.master = o.master;
	cfg.master_host = s.master_host;
	cfg.master_port = s.master_port;
	cfg.hostname = s.hostname;
	cfg.work_dir = s.work_dir;
	cfg.resources = &s.resources;
	cfg.attributes = s.attributes;
	cfg.executor_shutdown_grace_period_ms = o.shutdown_grace_ms;
	cfg.launcher_dir = o.launcher_dir;
	cfg.recover = o.recover != NULL && strcmp(o.recover, "cleanup") == 0 ? AGENT_RECOVER_CLEANUP
	                                                                     : AGENT_RECOVER_RECONNECT;
	cfg.recovery_timeout_ms = o.recovery_timeout_ms;
	cfg.switch_user = o.switch_user;
	cfg.allow_root_tasks = o.allow_root_tasks;
	cfg.gc_delay_ms = o.gc_delay_ms;
	cfg.gc_disk_headroom = o.gc_disk_headroom;
	cfg.disk_watch_ms = o.disk_watch_ms;
	cfg.container_disk_watch_ms = o.container_disk_watch_ms;
	cfg.memory_watch_ms = o.memory_watch_ms;
	cfg.fetcher_cache_dir = o.fetcher_cache_dir;
	cfg.fetcher_cache_bytes = o.fetcher_cache_bytes;
	cfg.fetcher_stall_ms = o.fetcher_stall_ms;
	cfg.update_retry_ms = o.update_retry_ms;
	cfg.task_max_processes = o.task_max_processes;
	cfg.task_max_open_files = o.task_max_open_files;
	cfg.test_drop_updates = o.test_drop_updates;
	checkpoint_test_full_while(o.test_disk_full_while);
	cfg.log_level = o.log_level != NULL ? o.log_level : (o.quiet ? "warning" : "info");
	cfg.isolation_cgroups = s.isolation_cgroups;
	cfg.cgroups = &s.cgroups;
	cfg.cgroups_enable_cfs = o.cgroups_enable_cfs;
	cfg.touch_rate = s.touch_rate;
	cfg.principal = s.credential.principal;
	cfg.secret = s.credential.secret;

	loop = loop_new();
	/* A turn's updates to the master (and lines to a supervisor) go in one write. */
	conn_coalesce_writes(1);
	a = agent_new(loop, &cfg, err, sizeof(err));
	if (a == NULL || loop_signal(loop, SIGTERM, on_stop_signal, a) == -1 ||
	    loop_signal(loop, SIGINT, on_stop_signal, a) == -1 ||
	    loop_signal(loop, SIGQUIT, on_quit_signal, a) == -1 ||
	    loop_signal(loop, SIGHUP, on_hup, a) == -1) {
		if (a != NULL)
			snprintf(err, sizeof(err), "cannot install signal handlers: %s", strerror(errno));
		agent_free(a);
		loop_free(loop);
		settled_free(&s);
		flags_free(flags, nflags);
		fatalx("%s", err);
	}
	settled_free(&s);
	agent_start(a);
	loop_run(loop);
	log_info("agent stopped");
	agent_free(a);
	loop_free(loop);
	flags_free(flags, nflags);
	return 0;
}
