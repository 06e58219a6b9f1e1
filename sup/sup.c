/*
 * sup.c: mesos-executor, the supervisor of one task (the contract with
 * agentd is sup.h, its files are named in sup_int.h). It owns its side of
 * agentd's link: agentd's verbs (one table), the socket a restarted
 * agentd finds it by, and the wait for one; and the task's end: what it
 * was (state, reason, usage), the EXITED line and RUN.status, held until
 * agentd, restarted or not, acknowledges it. The task itself, from its
 * fetch to the sweep of its last process, is sup_task.c's.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "sup.h"
#include "sup_int.h"
#include "sup_relay.h"
#include "sup_health.h"
#include "isolate.h"
#include "launcher.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "proc.h"
#include "proto.h"
#include "spawner.h"
#include "xmem.h"

#define CAUSE_SHOWN 300                 /* bytes of a cause kept in front of the exit description */
#define OUT_MAX (1u << 20)              /* unsent bytes to the agent */
#define LISTEN_BACKLOG 4
#define KIB 1024u
#define US_PER_SECOND 1e6
#define SHELL_SIGNAL_BASE 128         /* sh: "killed by signal N" is exit status 128 + N */

static void listen_for_agent(struct sup *s);
static void persist_end(struct sup *s);

void
sup_send(struct sup *s, struct buf *b)
{
	if (proto_end(b) == 0 && s->agent != NULL)
		(void)conn_send(s->agent, b->data, b->len);
}

static void
quit(struct sup *s)
{
	if (s->phase == SUP_PHASE_DONE && !s->acked)
		persist_end(s);   /* leaving with an end nobody took: the next agentd reads it */
	if (s->listen_fd != -1)
		unlink(s->sock_name);
	loop_stop(s->loop);
}

/* --- the end ----------------------------------------------------------------- */

void
sup_set_cause(struct sup *s, const char *state, const char *reason, const char *msg)
{
	if (s->cause_state != NULL)
		return;
	s->cause_state = state;
	s->cause_reason = reason;
	xstrlcpy(s->cause_msg, msg ? msg : "", sizeof(s->cause_msg));
}

static double
tv_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / US_PER_SECOND;
}

/*
 * What the task's end was, from the cause or the wait status. Only where
 * the address space was capped (nothing better could hold its memory) may
 * a plain failure be a refused allocation.
 */
static void
judge(struct sup *s, const char **state, const char **reason, char *msg, size_t len, uint64_t rss,
      double cpu_seconds)
{
	char desc[SUP_DESC_MAX];
	int st = s->task_status;
	/* A shell reports a child killed by signal N as exit status 128 + N. */
	int sig = WIFSIGNALED(st) ? WTERMSIG(st)
	        : WIFEXITED(st) && WEXITSTATUS(st) > SHELL_SIGNAL_BASE ? WEXITSTATUS(st) - SHELL_SIGNAL_BASE
	                                                               : 0;

	proc_describe_exit(st, desc, sizeof(desc));
	*reason = NULL;
	if (s->cause_state != NULL && strcmp(s->cause_state, "TASK_KILLED") == 0 &&
	    s->cause_reason == NULL) {
		*state = "TASK_KILLED";
		snprintf(msg, len, "%s", desc);
	} else if (s->cause_state != NULL) {
		*state = s->cause_state;
		*reason = s->cause_reason;
		if (s->task_pid > 0 && !s->launch_failed)
			snprintf(msg, len, "%.*s; %s", CAUSE_SHOWN, s->cause_msg, desc);
		else
			snprintf(msg, len, "%s", s->cause_msg);
	} else if (sig == SIGXFSZ && s->lim.disk_bytes > 0) {
		*state = "TASK_FAILED";
		*reason = "REASON_CONTAINER_LIMITATION_DISK";
		snprintf(msg, len, "file size limit of %.1f MB exceeded; %s",
		    (double)s->lim.disk_bytes / SUP_BYTES_PER_MB, desc);
	} else if (s->lim.cpu_seconds > 0 && (sig == SIGXCPU ||
	           (sig == SIGKILL && cpu_seconds >= (double)s->lim.cpu_seconds))) {
		*state = "TASK_FAILED";
		*reason = "REASON_CONTAINER_LIMITATION";
		snprintf(msg, len, "CPU time limit of %llu s exceeded; %s",
		    (unsigned long long)s->lim.cpu_seconds, desc);
	} else if (proc_exit_ok(st)) {
		*state = "TASK_FINISHED";
		snprintf(msg, len, "%s", desc);
	} else if (s->lim.address_space_bytes > 0 &&
	           isolate_memory_hit(s->lim.address_space_bytes, rss, s->peak_vm)) {
		*state = "TASK_FAILED";
		*reason = "REASON_CONTAINER_LIMITATION_MEMORY";
		snprintf(msg, len, "memory limit of %.1f MB reached (peak %.1f MB resident); %s",
		    (double)s->lim.mem_bytes / SUP_BYTES_PER_MB, (double)rss / SUP_BYTES_PER_MB,
		    desc);
	} else {
		*state = "TASK_FAILED";
		*reason = "REASON_COMMAND_EXECUTOR_FAILED";
		snprintf(msg, len, "%s", desc);
	}
}

static void
on_orphan_timer(struct loop *loop, void *arg)
{
	struct sup *s = arg;
	char msg[SUP_MSG_MAX];

	(void)loop;
	s->orphan_timer = 0;
	if (s->phase == SUP_PHASE_DONE) {
		log_warnx("task %s: agentd did not come back for its end within %lld ms: exiting",
		    s->tag, (long long)s->recovery_timeout_ms);
		quit(s);
		return;
	}
	snprintf(msg, sizeof(msg), "agentd did not come back within %lld ms",
	    (long long)s->recovery_timeout_ms);
	log_warnx("task %s: %s: killing it", s->tag, msg);
	sup_set_cause(s, "TASK_FAILED", "REASON_EXECUTOR_REREGISTRATION_TIMEOUT", msg);
	sup_task_kill(s, 0);
}

static void
arm_orphan_timer(struct sup *s)
{
	loop_timer_cancel(s->loop, s->orphan_timer);
	s->orphan_timer = 0;
	if (s->recovery_timeout_ms <= 0)
		return;   /* wait for agentd for ever */
	s->orphan_timer = loop_timer_add(s->loop, s->recovery_timeout_ms, on_orphan_timer, s);
}

/*
 * The end goes to RUN.status only when agentd cannot take it at once (away,
 * gone before its ACK, or leaving): a file per task costs inodes, which
 * launch throughput feels. Atomic, not fsync'ed: the file outlives this
 * process, which is what it is for; a crash of the machine is a reboot, and
 * then every task of the old boot is reported lost anyway.
 */
static void
persist_end(struct sup *s)
{
	char *tmp;
	size_t len;
	ssize_t n;
	int fd;

	if (s->end_persisted || s->exit_line == NULL)
		return;
	s->end_persisted = 1;
	tmp = xstrfmt("%s.tmp", s->status_name);
	len = strlen(s->exit_line);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, LAUNCHER_FILE_MODE);
	n = fd == -1 ? -1 : write(fd, s->exit_line, len);
	if (fd == -1 || n != (ssize_t)len || close(fd) == -1 || rename(tmp, s->status_name) == -1) {
		log_warnx("cannot write %s: %s", s->status_name, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
}

void
sup_finalize(struct sup *s)
{
	struct rusage ru;
	const char *state, *reason;
	char msg[SUP_MSG_MAX], desc[SUP_DESC_MAX];
	struct proto_usage usage;
	uint64_t rss;
	struct buf b;

	memset(&ru, 0, sizeof(ru));
	/* This task's children alone: the process may have served others before (spawner.h). */
	if (proc_reap_counts_usage())
		ru = s->used;
	else
		(void)getrusage(RUSAGE_CHILDREN, &ru);
	/* ru_maxrss is in KiB on Linux and the BSDs: the largest single process. */
	rss = (uint64_t)ru.ru_maxrss * KIB;
	if (s->peak_rss > rss)
		rss = s->peak_rss;
	if (s->task_pid > 0)
		judge(s, &state, &reason, msg, sizeof(msg), rss,
		    tv_seconds(&ru.ru_utime) + tv_seconds(&ru.ru_stime));
	else {
		state = s->cause_state ? s->cause_state : "TASK_FAILED";
		reason = s->cause_reason;
		snprintf(msg, sizeof(msg), "%s", s->cause_state ? s->cause_msg : "the task never started");
	}
	if (s->task_pid > 0 && !s->launch_failed)
		proc_describe_exit(s->task_status, desc, sizeof(desc));
	else
		snprintf(desc, sizeof(desc), "not started");
	buf_init(&b, 0);
	proto_begin(&b, "EXITED");
	proto_add(&b, "state", state);
	if (reason != NULL)
		proto_add(&b, "reason", reason);
	proto_add(&b, "message", msg);
	proto_add(&b, "status", desc);
	usage.known = 1;
	usage.cpus_user_time_secs = tv_seconds(&ru.ru_utime);
	usage.cpus_system_time_secs = tv_seconds(&ru.ru_stime);
	usage.mem_rss_bytes = (long long)rss;
	usage.disk_used_bytes = (long long)s->disk_used;
	proto_usage_compose(&b, &usage);
	if (s->relay != NULL)
		sup_relay_drain(s->relay);
	if (proto_end(&b) == -1) {
		buf_reset(&b);
		proto_begin(&b, "EXITED");
		proto_add(&b, "state", state);
		proto_end(&b);
	}
	log_debug("task %s over: %s %s", s->tag, state, msg);
	s->exit_line = buf_detach(&b);
	s->phase = SUP_PHASE_DONE;
	loop_timer_cancel(s->loop, s->kill_timer);
	s->kill_timer = 0;
	if (s->no_ack) {
		quit(s);
		return;
	}
	if (s->agent != NULL)
		(void)conn_send_str(s->agent, s->exit_line);
	else {
		persist_end(s);
		arm_orphan_timer(s);
	}
}

/* --- LAUNCH ------------------------------------------------------------------- */

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* What LAUNCH says is kept in s: the line itself goes when it has been handled. */
static int
parse_launch(struct sup *s, const struct proto_msg *m, char *err, size_t errlen)
{
	struct proto_launch l;
	int rc = -1;

	if (proto_launch_parse(m, &l, err, errlen) == -1)
		return -1;
	if (l.log_level != NULL && log_level_parse(l.log_level) != -1)
		log_set_level((enum log_level)log_level_parse(l.log_level));
	free(s->tag);
	s->tag = xstrdup(l.task != NULL ? l.task : l.sandbox);
	s->command = xstrdup(l.command);
	s->sandbox = xstrdup(l.sandbox);
	s->fetcher = dup_or_null(l.fetcher);
	if (l.executor_id != NULL) {
		s->custom = 1;
		s->executor_id = xstrdup(l.executor_id);
		s->framework_id = xstrdup(l.framework_id != NULL ? l.framework_id : "");
		s->agent_id = xstrdup(l.agent_id != NULL ? l.agent_id : "");
	}
	s->cache_dir = dup_or_null(l.cache_dir);
	s->lim.mem_bytes = l.mem_bytes;
	s->lim.disk_bytes = l.disk_bytes;
	s->lim.cpu_seconds = l.cpu_seconds;
	s->lim.processes = l.processes;
	s->lim.open_files = isolate_open_files_within(l.open_files);
	s->lim.open_files_within = 1;
	s->lim.nice = l.nice > ISOLATE_NICE_MAX ? ISOLATE_NICE_MAX : l.nice;
	s->cgroup[CGROUP_MEMORY] = dup_or_null(l.cgroup_memory);
	s->cgroup[CGROUP_CPU] = dup_or_null(l.cgroup_cpu);
	s->cgroup[CGROUP_PIDS] = dup_or_null(l.cgroup_pids);
	s->cpus_milli = (int64_t)l.cpus_milli;
	s->cpu_cap = l.cpu_cap;
	s->touch_rate = l.touch_bytes_per_ms;
	s->cache_bytes = l.cache_bytes;
	s->grace_ms = l.grace_ms;
	s->mem_watch_ms = l.mem_watch_ms;
	s->disk_watch_ms = l.disk_watch_ms;
	s->recovery_timeout_ms = l.recovery_timeout_ms;
	s->stall_timeout_ms = l.stall_timeout_ms;
	s->port0 = l.port0;
	s->hspec = l.health;
	s->hspec.command = s->health_command = dup_or_null(l.health.command);
	s->hspec.path = s->health_path = dup_or_null(l.health.path);
	/* A TMPDIR of its own in its sandbox (sup_task_launch makes it), unless the framework names one. */
	launcher_env_set_tmpdir(&s->env, s->sandbox);
	for (size_t i = 0; i < l.nenv; i++)
		if (launcher_env_put(&s->env, l.env[i], strlen(l.env[i]), err, errlen) == -1)
			goto out;
	for (size_t i = 0; i < l.nuris; i++) {
		s->uris = xreallocarray(s->uris, s->nuris + 1, sizeof(*s->uris));
		s->uris[s->nuris++] = xstrdup(l.uris[i]);
	}
	if (s->env.vars == NULL)
		launcher_env_set(&s->env, "PATH", "/usr/bin:/bin");
	if (s->nuris > 0 && s->fetcher == NULL) {
		snprintf(err, errlen, "URIs to fetch but no fetcher");
		goto out;
	}
	if (isolate_user_resolve(l.user, l.user != NULL && l.user[0] != '\0', l.allow_root, &s->user,
	        err, errlen) == -1)
		goto out;
	rc = 0;
out:
	proto_launch_free(&l);
	return rc;
}

/* --- agentd's verbs: a handler returns -1 when its verb is not expected now --- */

static int
handle_limits(struct sup *s, const struct proto_msg *m)
{
	char err[SUP_MSG_MAX];
	uint64_t mem, disk, cpus;

	if (!s->custom)
		return -1;
	if (proto_get_u64(m, "mem_bytes", 0, &mem, err, sizeof(err)) == -1 ||
	    proto_get_u64(m, "disk_bytes", 0, &disk, err, sizeof(err)) == -1 ||
	    proto_get_u64(m, "cpus_milli", 0, &cpus, err, sizeof(err)) == -1) {
		log_warnx("executor %s: bad LIMITS: %s", s->tag, err);
		return 0;
	}
	s->lim.mem_bytes = mem;
	s->lim.disk_bytes = disk;
	if (cpus > 0)
		s->cpus_milli = (int64_t)cpus;
	sup_watch_limits(s);
	log_debug("executor %s: limits now %llu bytes of memory, %llu of disk", s->tag,
	    (unsigned long long)mem, (unsigned long long)disk);
	return 0;
}

static int
handle_launch(struct sup *s, const struct proto_msg *m)
{
	char err[SUP_MSG_MAX];

	if (s->phase != SUP_PHASE_WAITING) {
		log_warnx("LAUNCH for a task already launched: ignored");
		return 0;
	}
	if (parse_launch(s, m, err, sizeof(err)) == -1) {
		log_warnx("cannot launch task %s: %s", s->tag, err);
		sup_set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", err);
		s->launch_failed = 1;
		sup_finalize(s);
		return 0;
	}
	sup_task_launch(s);
	return 0;
}

static int
handle_kill(struct sup *s, const struct proto_msg *m)
{
	char err[SUP_MSG_MAX];
	long long grace;

	if (proto_get_int(m, "grace_ms", s->grace_ms, &grace, err, sizeof(err)) == -1 || grace < 0)
		grace = s->grace_ms;
	sup_set_cause(s, "TASK_KILLED", NULL,
	    s->phase < SUP_PHASE_RUNNING ? "killed before it started" : "");
	sup_task_kill(s, grace);
	return 0;
}

static int
handle_ack(struct sup *s, const struct proto_msg *m)
{
	(void)m;
	if (s->phase != SUP_PHASE_DONE)
		return -1;
	s->acked = 1;
	quit(s);
	return 0;
}

static int
handle_attach(struct sup *s, const struct proto_msg *m)
{
	struct buf b;

	(void)m;
	if (s->phase == SUP_PHASE_DONE) {
		/* What the executor said comes before its end, as it did the first time. */
		if (s->relay != NULL)
			sup_relay_resend(s->relay);
		(void)conn_send_str(s->agent, s->exit_line);
		return 0;
	}
	buf_init(&b, 0);
	proto_begin(&b, "ATTACHED");
	proto_add_int(&b, "pid", s->task_pid);
	proto_add_int(&b, "supervisor", s->self);
	proto_add(&b, "phase", s->phase == SUP_PHASE_FETCHING ? "fetching" : "running");
	if (s->healthy >= 0)
		proto_add_bool(&b, "healthy", s->healthy);
	sup_send(s, &b);
	buf_free(&b);
	if (s->relay != NULL)
		sup_relay_resend(s->relay);
	return 0;
}

static int
handle_shutdown(struct sup *s, const struct proto_msg *m)
{
	s->no_ack = 1;
	if (s->phase == SUP_PHASE_DONE)
		quit(s);
	else
		(void)handle_kill(s, m);
	return 0;
}

/* agentd's verbs (sup.h); a custom executor's own go to its channel (sup_relay.c). */
static const struct verb {
	const char *verb;
	int (*fn)(struct sup *s, const struct proto_msg *m);
} agent_verbs[] = {
	{ "LIMITS", handle_limits },
	{ "LAUNCH", handle_launch },
	{ "KILL", handle_kill },
	{ "ACK", handle_ack },
	{ "ATTACH", handle_attach },
	{ "SHUTDOWN", handle_shutdown },
	{ NULL, NULL },
};

/* A line from agentd to its handler, else to the executor's channel; -1 if nothing expects it. */
static int
dispatch(struct sup *s, const struct proto_msg *m, const char *raw, size_t len)
{
	for (const struct verb *v = agent_verbs; v->verb != NULL; v++)
		if (strcmp(v->verb, m->verb) == 0)
			return v->fn(s, m);
	return s->relay != NULL && sup_relay_from_agent(s->relay, m, raw, len) ? 0 : -1;
}

/* --- the agent connection --------------------------------------------------- */

static void
on_agent_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct sup *s = arg;
	struct proto_msg m;
	char err[SUP_MSG_MAX];
	char *raw = s->custom ? xstrndup(line, len) : NULL;   /* a line for the executor goes as it came */

	(void)c;
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) == -1)
		log_warnx("bad line from agentd: %s", err);
	else if (dispatch(s, &m, raw, len) == -1)
		log_warnx("unexpected '%s' from agentd: ignored", m.verb);
	proto_msg_free(&m);
	free(raw);
}

static void
on_agent_close(struct conn *c, const char *reason, void *arg)
{
	struct sup *s = arg;

	if (c != s->agent)
		return;   /* an old connection replaced by a newer one */
	s->agent = NULL;
	s->lost_agent = 1;
	if (s->phase == SUP_PHASE_WAITING) {
		log_warnx("agentd went away before sending the task (%s): exiting", reason);
		quit(s);
		return;
	}
	log_debug("task %s: agentd went away (%s); waiting up to %lld ms for it", s->tag, reason,
	    (long long)s->recovery_timeout_ms);
	listen_for_agent(s);
	persist_end(s);   /* if the task is over: agentd left before its ACK */
	arm_orphan_timer(s);
}

static const struct conn_ops agent_ops = {
	.on_line = on_agent_line,
	.on_close = on_agent_close,
};

static void
on_accept(struct loop *loop, int fd, int events, void *arg)
{
	struct sup *s = arg;
	int cfd;

	(void)loop;
	(void)fd;
	(void)events;
	while ((cfd = compat_accept(s->listen_fd, NULL, NULL)) != -1) {
		struct conn *old = s->agent;

		s->agent = conn_new(s->loop, cfd, &agent_ops, s, PROTO_LINE_MAX, OUT_MAX);
		if (old != NULL)
			conn_close(old, "replaced by a new agentd connection");
		loop_timer_cancel(s->loop, s->orphan_timer);
		s->orphan_timer = 0;
		log_debug("task %s: agentd is back", s->tag);
		/* It speaks first (ATTACH or SHUTDOWN): a reply to a peer gone already would lose its line. */
	}
}

static int
listen_here(const char *name, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(name) >= sizeof(sa.sun_path)) {
		/* Its length, not the name: a name of unbounded length overflows int on 32-bit. */
		snprintf(err, errlen, "socket name of %zu bytes too long (at most %zu)", strlen(name),
		         sizeof(sa.sun_path) - 1);
		return -1;
	}
	if ((fd = compat_socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	xstrlcpy(sa.sun_path, name, sizeof(sa.sun_path));
	unlink(name);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(fd, LISTEN_BACKLOG) == -1) {
		snprintf(err, errlen, "cannot listen on '%s': %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A restarted agentd finds us by our socket, RUN.sock. It is made only once
 * agentd has gone, not for every task: creating and deleting a file per
 * task costs, and on ext4 without a journal every deleted inode slows the
 * next creations for minutes. Nothing could reach a task we cannot listen
 * for, so it is killed.
 */
static void
listen_for_agent(struct sup *s)
{
	char err[SUP_MSG_MAX / 2], msg[SUP_MSG_MAX];

	if (s->listen_fd != -1)
		return;
	if ((s->listen_fd = listen_here(s->sock_name, err, sizeof(err))) == -1) {
		snprintf(msg, sizeof(msg), "the task's supervisor cannot wait for agentd: %s", err);
		log_warnx("task %s: %s", s->tag, msg);
		if (s->phase == SUP_PHASE_DONE)
			return;   /* its end is kept in RUN.status all the same */
		sup_set_cause(s, "TASK_FAILED", "REASON_EXECUTOR_TERMINATED", msg);
		sup_task_kill(s, 0);
		return;
	}
	loop_watch(s->loop, s->listen_fd, LOOP_READ, on_accept, s);
}

/* --- signals ------------------------------------------------------------------ */

static void
on_sigchld(struct loop *loop, int signo, void *arg)
{
	(void)loop;
	(void)signo;
	sup_task_reap(arg);
}

/*
 * SIGTERM to the supervisor itself (a shutdown of the machine, an operator,
 * a test's cleanup): nothing of the task may outlive its supervisor, so the
 * task is killed as a SHUTDOWN from agentd would have it, its end kept in
 * RUN.status for whichever agentd comes next.
 */
static void
on_sigterm(struct loop *loop, int signo, void *arg)
{
	struct sup *s = arg;

	(void)loop;
	(void)signo;
	log_warnx("task %s: the supervisor got SIGTERM: killing the task", s->tag);
	s->no_ack = 1;
	if (s->phase == SUP_PHASE_DONE) {
		quit(s);
		return;
	}
	sup_set_cause(s, "TASK_KILLED", NULL, "its supervisor was stopped (SIGTERM)");
	sup_task_kill(s, s->grace_ms);
}

static void
sup_free(struct sup *s)
{
	sup_health_free(s->health);
	free(s->health_command);
	free(s->health_path);
	sup_watch_free(s);
	sup_relay_free(s->relay);
	if (s->channel_fd != -1)
		close(s->channel_fd);
	if (s->agent != NULL) {
		struct conn *c = s->agent;
		s->agent = NULL;
		conn_close(c, "exiting");
		(void)loop_run_once(s->loop, 0);
	}
	if (s->listen_fd != -1) {
		loop_unwatch(s->loop, s->listen_fd);
		close(s->listen_fd);
	}
	if (s->fetch_fd != -1)
		close(s->fetch_fd);
	for (size_t i = 0; i < s->nuris; i++)
		free(s->uris[i]);
	free(s->uris);
	launcher_env_free(&s->env);
	buf_free(&s->fetch_out);
	free(s->tag);
	free(s->sock_name);
	free(s->status_name);
	free(s->command);
	free(s->sandbox);
	free(s->fetcher);
	free(s->cache_dir);
	free(s->exit_line);
	free(s->executor_id);
	free(s->framework_id);
	free(s->agent_id);
}

/*
 * What a program started by agentd holds that is not its own: whatever
 * agentd inherited without close-on-exec (a pipe of its shell) goes, and
 * descriptors 0-2 are taken, or a task's own files could land on them.
 */
static void
settle_descriptors(void)
{
	int fd;

	compat_closefrom(SUP_AGENT_FD + 1);
	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= STDERR_FILENO)
		continue;
	if (fd > STDERR_FILENO && fd != SUP_AGENT_FD)
		close(fd);
}

/*
 * The supervisor of the run at path (DIR/RUN), on SUP_AGENT_FD: from exec
 * (again NULL) or the spawner, which settled the descriptors already and
 * hears in *again whether this process may serve another task: only after
 * a clean end that agentd took, with nothing of the task left behind.
 */
static int
supervise(const char *path, int *again)
{
	/*
	 * What this process did for its first task holds for the next ones a
	 * pooled one serves (spawner.h): its home (the same runs directory),
	 * its session, its pid, its place as subreaper. Each again would be a
	 * system call per task.
	 */
	static char *home;
	static int own_session, subreaper = -1;
	static pid_t self;
	struct sup s;
	const char *base = strrchr(path, '/');
	char *dir;
	int fd;

	if (again != NULL)
		*again = 0;
	if (path[0] == '-' || base == NULL || base[1] == '\0')
		fatalx("usage: %s DIR/RUN | %s WORK_DIR (started by agentd, descriptor %d its socket)",
		    SUP_PROGRAM, SPAWNER_FLAG, SUP_AGENT_FD);
	/* Our home is the runs directory; our names there are relative, sun_path being short. */
	dir = xstrndup(path, (size_t)(base - path));
	if (home != NULL && strcmp(home, dir) == 0) {
		free(dir);
	} else {
		if (chdir(dir[0] != '\0' ? dir : "/") == -1)
			fatal("chdir %s", dir);
		free(home);
		home = dir;
	}
	base++;
	if (again == NULL)
		settle_descriptors();
	/* Our own session: agentd's process group may be signalled as a whole, we must not be. */
	if (!own_session) {
		(void)setsid();
		own_session = 1;
	}
	if (self == 0)
		self = getpid();
	if (subreaper == -1)
		subreaper = proc_become_subreaper() == 0;
	memset(&s, 0, sizeof(s));
	s.self = self;
	s.subreaper = subreaper;
	s.healthy = -1;
	s.fetch_fd = -1;
	s.listen_fd = -1;
	s.channel_fd = -1;
	s.oom_fd = -1;
	s.grace_ms = 0;
	s.tag = xstrdup(path);
	s.sock_name = xstrfmt("%s" SUP_SOCKET_SUFFIX, base);
	s.status_name = xstrfmt("%s" SUP_STATUS_SUFFIX, base);
	buf_init(&s.fetch_out, 0);
	launcher_env_init(&s.env, 1);   /* agentd's own environment, less its MESOS_ variables */
	s.loop = loop_new();
	if (loop_signal(s.loop, SIGCHLD, on_sigchld, &s) == -1 ||
	    loop_signal(s.loop, SIGTERM, on_sigterm, &s) == -1)
		fatal("cannot watch SIGCHLD and SIGTERM");
	fd = SUP_AGENT_FD;
	/* The spawner hands it over close-on-exec already (spawner.h). */
	if (again == NULL && compat_set_cloexec(fd) == -1)
		fatal("descriptor %d (the agent's socket)", fd);
	s.agent = conn_new(s.loop, fd, &agent_ops, &s, PROTO_LINE_MAX, OUT_MAX);
	loop_run(s.loop);
	if (again != NULL)
		*again = s.phase == SUP_PHASE_DONE && s.acked && !s.no_ack && !s.lost_agent &&
		    !s.stragglers && proc_reap_counts_usage();
	sup_free(&s);
	loop_free(s.loop);
	return 0;
}

int
main(int argc, char **argv)
{
	log_init(SUP_PROGRAM, LOG_LEVEL_WARN);
	/* The spawner: WORK_DIR only names whose it is in ps. Its own session, as a supervisor's. */
	if (argc == 3 && strcmp(argv[1], SPAWNER_FLAG) == 0) {
		settle_descriptors();
		(void)setsid();
		return spawner_serve(SUP_AGENT_FD, SUP_AGENT_FD, supervise);
	}
	if (argc != 2)
		fatalx("usage: %s DIR/RUN | %s WORK_DIR (started by agentd, descriptor %d its socket)",
		    SUP_PROGRAM, SPAWNER_FLAG, SUP_AGENT_FD);
	return supervise(argv[1], NULL);
}
