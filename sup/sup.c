/*
 * sup.c: mesos-executor, the supervisor of one task (the contract with
 * agentd is sup.h). It owns the task from LAUNCH to the agent's ACK:
 * fetching its URIs through mesos-fetcher, starting it in a session of its
 * own under its limits and user, sampling its memory and its sandbox's
 * disk and killing it over either, its health checks, kills with a grace
 * period, sweeping every process of it when it ends, and holding its end
 * (its status file and the EXITED line) until agentd, restarted or
 * not, acknowledges it. A custom executor is supervised the same way;
 * its channel is sup_relay.c's.
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
#include "sup_relay.h"
#include "sup_health.h"
#include "isolate.h"
#include "launcher.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "proto.h"
#include "spawner.h"
#include "xmem.h"

#define MSG_MAX 512
#define DESC_MAX 128                    /* "killed by signal 9 (SIGKILL)" and the like */
#define CAUSE_SHOWN 300                 /* bytes of a cause kept in front of the exit description */
#define OUT_MAX (1u << 20)              /* unsent bytes to the agent */
#define LISTEN_BACKLOG 4
#define DU_BUDGET 1024                  /* sandbox entries looked at per loop pass */
#define SWEEP_RETRY_MS 20               /* leftovers are killed again this often ... */
#define SWEEP_TRIES_MAX 250             /* ... this many times at most */
#define FETCH_OUT_MAX 1024              /* bytes of the fetcher's report kept */
#define READ_CHUNK 512
#define ERRPIPE_FD 3                    /* where the child keeps its exec-error pipe */
#define BYTES_PER_MB (1024.0 * 1024.0)
#define KIB 1024u
#define US_PER_SECOND 1e6
#define OWNER_MAX 64
#define SHELL_SIGNAL_BASE 128         /* sh: "killed by signal N" is exit status 128 + N */

enum phase { PHASE_WAITING, PHASE_FETCHING, PHASE_RUNNING, PHASE_ENDING, PHASE_DONE };

struct sup {
	struct loop *loop;
	struct conn *agent;          /* NULL while agentd is away */
	int listen_fd;
	pid_t self;
	int subreaper;
	enum phase phase;

	char *tag;                   /* the task's key, for log lines */
	char *sock_name;             /* RUN.sock, in our working directory */
	char *status_name;           /* RUN.status */
	char *command;
	char *sandbox;
	struct launcher_env env;
	struct isolate_limits lim;
	struct isolate_user user;
	int64_t grace_ms, mem_watch_ms, disk_watch_ms, recovery_timeout_ms, stall_timeout_ms;
	int port0;
	char **uris;
	size_t nuris;
	char *fetcher;
	char *cache_dir;
	uint64_t cache_bytes;
	struct proto_health hspec;   /* its strings are health_command and health_path */
	char *health_command;
	char *health_path;

	struct sup_health *health;
	int healthy;                 /* -1 until the first result */
	int failures;                /* consecutive failed checks */

	pid_t fetch_pid;
	int fetch_fd;
	struct buf fetch_out;
	pid_t task_pid;
	int task_status;
	int launch_failed;

	const char *cause_state;     /* why it ends: the first cause wins */
	const char *cause_reason;
	char cause_msg[MSG_MAX];
	int killing;
	int64_t kill_deadline;
	uint64_t kill_timer, mem_timer, disk_timer, sweep_timer, orphan_timer;
	struct isolate_du *du;
	uint64_t disk_used, peak_rss, peak_vm;
	int sweeps;
	char *exit_line;             /* the EXITED message, once the task is over */
	int no_ack;                  /* SHUTDOWN: nobody will acknowledge the end, exit after it */
	int acked;                   /* agentd has the end in its journal */
	int end_persisted;           /* the end is in RUN.status */

	/* A custom executor (LAUNCH named executor_id) and its channel. */
	int custom;
	char *executor_id, *framework_id, *agent_id;
	struct sup_relay *relay;
	int channel_fd;              /* the executor's end, until it is started */
};

static void finalize(struct sup *s);
static void listen_for_agent(struct sup *s);
static void start_task(struct sup *s);
static void send_attached(struct sup *s);
static void persist_end(struct sup *s);

static void
send_line(struct sup *s, struct buf *b)
{
	if (proto_end(b) == 0 && s->agent != NULL)
		(void)conn_send(s->agent, b->data, b->len);
}

static void
quit(struct sup *s)
{
	if (s->phase == PHASE_DONE && !s->acked)
		persist_end(s);   /* leaving with an end nobody took: the next agentd reads it */
	if (s->listen_fd != -1)
		unlink(s->sock_name);
	loop_stop(s->loop);
}

/* --- causes and kills ----------------------------------------------------- */

static void
set_cause(struct sup *s, const char *state, const char *reason, const char *msg)
{
	if (s->cause_state != NULL)
		return;
	s->cause_state = state;
	s->cause_reason = reason;
	xstrlcpy(s->cause_msg, msg ? msg : "", sizeof(s->cause_msg));
}

static void
signal_task(struct sup *s, int signo)
{
	if (s->task_pid > 0)
		(void)isolate_signal_all(s->self, s->subreaper, s->task_pid, signo);
}

static void
on_kill_timer(struct loop *loop, void *arg)
{
	struct sup *s = arg;

	(void)loop;
	s->kill_timer = 0;
	log_info("task %s did not exit within its grace period: sending SIGKILL", s->tag);
	signal_task(s, SIGKILL);
}

/* SIGTERM now, SIGKILL after grace_ms; a later kill may only bring the SIGKILL closer. */
static void
kill_task(struct sup *s, int64_t grace_ms)
{
	int64_t deadline = loop_now(s->loop) + (grace_ms > 0 ? grace_ms : 0);

	if (s->phase == PHASE_WAITING) {
		finalize(s);
		return;
	}
	if (s->phase == PHASE_FETCHING) {
		(void)kill(-s->fetch_pid, SIGKILL);
		return;   /* fetch_done finalizes with the cause */
	}
	if (s->phase != PHASE_RUNNING)
		return;
	if (!s->killing) {
		s->killing = 1;
		/* An executor is asked to shut down (its tasks are its business), then killed. */
		if (s->custom && grace_ms > 0)
			sup_relay_send(s->relay, "SHUTDOWN", strlen("SHUTDOWN"));
		else
			signal_task(s, grace_ms > 0 ? SIGTERM : SIGKILL);
		if (grace_ms <= 0)
			return;
	} else if (s->kill_timer == 0 || deadline >= s->kill_deadline) {
		return;
	}
	loop_timer_cancel(s->loop, s->kill_timer);
	s->kill_deadline = deadline;
	s->kill_timer = loop_timer_add(s->loop, grace_ms, on_kill_timer, s);
}

/* A limit was broken: the task goes at once, as Mesos destroys a container. */
static void
limit_kill(struct sup *s, const char *reason, const char *msg)
{
	log_info("task %s: %s", s->tag, msg);
	set_cause(s, "TASK_FAILED", reason, msg);
	s->killing = 1;
	signal_task(s, SIGKILL);
}

/* --- measurements -------------------------------------------------------- */

static void
on_mem_timer(struct loop *loop, void *arg)
{
	struct sup *s = arg;
	struct isolate_mem m;
	char msg[MSG_MAX];

	(void)loop;
	s->mem_timer = 0;
	if (s->phase != PHASE_RUNNING || isolate_sample(s->self, s->subreaper, s->task_pid, &m) == -1)
		return;   /* no way to tell on this system: RLIMIT_AS alone holds the line */
	if (m.rss_bytes > s->peak_rss)
		s->peak_rss = m.rss_bytes;
	if (m.vm_max_bytes > s->peak_vm)
		s->peak_vm = m.vm_max_bytes;
	if (s->lim.mem_bytes > 0 && m.rss_bytes > s->lim.mem_bytes) {
		snprintf(msg, sizeof(msg), "memory limit exceeded: %.1f MB resident in %zu process(es), "
		    "limit %.1f MB", (double)m.rss_bytes / BYTES_PER_MB, m.nprocs,
		    (double)s->lim.mem_bytes / BYTES_PER_MB);
		limit_kill(s, "REASON_CONTAINER_LIMITATION_MEMORY", msg);
		return;
	}
	s->mem_timer = loop_timer_add(s->loop, s->mem_watch_ms, on_mem_timer, s);
}

static void
on_disk_timer(struct loop *loop, void *arg)
{
	struct sup *s = arg;
	char msg[MSG_MAX];
	uint64_t bytes;

	(void)loop;
	s->disk_timer = 0;
	if (s->phase != PHASE_RUNNING)
		return;
	if (s->du == NULL)
		s->du = isolate_du_new(s->sandbox);
	if (!isolate_du_step(s->du, DU_BUDGET, &bytes)) {
		s->disk_timer = loop_timer_add(s->loop, 0, on_disk_timer, s);   /* more next pass */
		return;
	}
	isolate_du_free(s->du);
	s->du = NULL;
	s->disk_used = bytes;
	if (s->lim.disk_bytes > 0 && bytes > s->lim.disk_bytes) {
		snprintf(msg, sizeof(msg), "disk limit exceeded: the sandbox uses %.1f MB, limit %.1f MB",
		    (double)bytes / BYTES_PER_MB, (double)s->lim.disk_bytes / BYTES_PER_MB);
		limit_kill(s, "REASON_CONTAINER_LIMITATION_DISK", msg);
		return;
	}
	s->disk_timer = loop_timer_add(s->loop, s->disk_watch_ms, on_disk_timer, s);
}

/* --- health -------------------------------------------------------------- */

static void
send_health(struct sup *s, const char *message)
{
	struct buf b;

	buf_init(&b, 0);
	proto_begin(&b, "HEALTH");
	proto_add_bool(&b, "healthy", s->healthy);
	proto_add(&b, "message", message);
	send_line(s, &b);
	buf_free(&b);
}

static void
on_health(int healthy, const char *message, void *arg)
{
	struct sup *s = arg;
	char msg[MSG_MAX];

	s->failures = healthy ? 0 : s->failures + 1;
	if (healthy != s->healthy) {
		s->healthy = healthy;
		log_info("task %s is %s: %s", s->tag, healthy ? "healthy" : "unhealthy", message);
		send_health(s, message);
	}
	if (!healthy && s->failures >= s->hspec.consecutive_failures && !s->killing) {
		snprintf(msg, sizeof(msg), "health check failed %d time(s) in a row: %s", s->failures,
		    message);
		set_cause(s, "TASK_KILLED", "REASON_TASK_UNHEALTHY_CHECK_FAILED", msg);
		kill_task(s, s->grace_ms);
	}
}

/* A COMMAND check runs as the task does: same user, same limits. */
static int
prepare_check(void *arg)
{
	struct sup *s = arg;
	const char *what;

	return isolate_apply(&s->lim, &s->user, &what) == -1 ? -1 : isolate_apply_memory(&s->lim, &what);
}

/* --- the end ----------------------------------------------------------------- */

static double
tv_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / US_PER_SECOND;
}

/*
 * What the task's end was, from the cause or the wait status. A custom
 * executor runs without RLIMIT_AS, so its address space proves nothing.
 */
static void
judge(struct sup *s, const char **state, const char **reason, char *msg, size_t len, uint64_t rss,
      double cpu_seconds)
{
	char desc[DESC_MAX];
	int st = s->task_status;
	/* A shell reports a child killed by signal N as exit status 128 + N. */
	int sig = WIFSIGNALED(st) ? WTERMSIG(st)
	        : WIFEXITED(st) && WEXITSTATUS(st) > SHELL_SIGNAL_BASE ? WEXITSTATUS(st) - SHELL_SIGNAL_BASE
	                                                               : 0;

	launcher_describe_exit(st, desc, sizeof(desc));
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
		    (double)s->lim.disk_bytes / BYTES_PER_MB, desc);
	} else if (s->lim.cpu_seconds > 0 && (sig == SIGXCPU ||
	           (sig == SIGKILL && cpu_seconds >= (double)s->lim.cpu_seconds))) {
		*state = "TASK_FAILED";
		*reason = "REASON_CONTAINER_LIMITATION";
		snprintf(msg, len, "CPU time limit of %llu s exceeded; %s",
		    (unsigned long long)s->lim.cpu_seconds, desc);
	} else if (launcher_exit_ok(st)) {
		*state = "TASK_FINISHED";
		snprintf(msg, len, "%s", desc);
	} else if (!s->custom && isolate_memory_hit(s->lim.mem_bytes, rss, s->peak_vm)) {
		*state = "TASK_FAILED";
		*reason = "REASON_CONTAINER_LIMITATION_MEMORY";
		snprintf(msg, len, "memory limit of %.1f MB reached (peak %.1f MB resident); %s",
		    (double)s->lim.mem_bytes / BYTES_PER_MB, (double)rss / BYTES_PER_MB, desc);
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
	char msg[MSG_MAX];

	(void)loop;
	s->orphan_timer = 0;
	if (s->phase == PHASE_DONE) {
		log_warnx("task %s: agentd did not come back for its end within %lld ms: exiting",
		    s->tag, (long long)s->recovery_timeout_ms);
		quit(s);
		return;
	}
	snprintf(msg, sizeof(msg), "agentd did not come back within %lld ms",
	    (long long)s->recovery_timeout_ms);
	log_warnx("task %s: %s: killing it", s->tag, msg);
	set_cause(s, "TASK_FAILED", "REASON_EXECUTOR_REREGISTRATION_TIMEOUT", msg);
	kill_task(s, 0);
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

static void
finalize(struct sup *s)
{
	struct rusage ru;
	const char *state, *reason;
	char msg[MSG_MAX], desc[DESC_MAX];
	struct proto_usage usage;
	uint64_t rss;
	struct buf b;

	memset(&ru, 0, sizeof(ru));
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
		launcher_describe_exit(s->task_status, desc, sizeof(desc));
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
	s->phase = PHASE_DONE;
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

static long
leftovers(struct sup *s)
{
	struct compat_proc one;

	if (s->subreaper)
		return isolate_has_children() ? compat_descendants(s->self, &one, 1) : 0;
	return compat_session_procs(s->task_pid, &one, 1);
}

static void
on_sweep_timer(struct loop *loop, void *arg)
{
	struct sup *s = arg;
	long left;

	(void)loop;
	s->sweep_timer = 0;
	left = leftovers(s);
	if (left <= 0 || ++s->sweeps >= SWEEP_TRIES_MAX) {
		if (left > 0)
			log_warnx("task %s: %ld process(es) would not die", s->tag, left);
		finalize(s);
		return;
	}
	signal_task(s, SIGKILL);
	s->sweep_timer = loop_timer_add(s->loop, SWEEP_RETRY_MS, on_sweep_timer, s);
}

/* The task's leader is gone: nothing of the task may outlive it, as Mesos destroys a container. */
static void
task_done(struct sup *s, int status)
{
	s->task_status = status;
	s->phase = PHASE_ENDING;
	sup_health_free(s->health);
	s->health = NULL;
	loop_timer_cancel(s->loop, s->mem_timer);
	loop_timer_cancel(s->loop, s->disk_timer);
	s->mem_timer = s->disk_timer = 0;
	isolate_du_free(s->du);
	s->du = NULL;
	signal_task(s, SIGKILL);
	if (leftovers(s) <= 0) {
		finalize(s);
		return;
	}
	s->sweep_timer = loop_timer_add(s->loop, 0, on_sweep_timer, s);
}

/* --- fetching ------------------------------------------------------------- */

static void
drain_fetch(struct sup *s)
{
	char chunk[READ_CHUNK];
	ssize_t n;

	while (s->fetch_fd != -1 && (n = read(s->fetch_fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			break;
		}
		if (s->fetch_out.len + (size_t)n <= FETCH_OUT_MAX)
			buf_append(&s->fetch_out, chunk, (size_t)n);
	}
	if (s->fetch_fd != -1) {
		loop_unwatch(s->loop, s->fetch_fd);
		close(s->fetch_fd);
		s->fetch_fd = -1;
	}
}

static void
on_fetch_out(struct loop *loop, int fd, int events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	drain_fetch(arg);
}

static void
fetch_done(struct sup *s, int status)
{
	char msg[MSG_MAX], desc[DESC_MAX];
	char *line;

	(void)kill(-s->fetch_pid, SIGKILL);   /* whatever the fetcher left, tar or unzip */
	s->fetch_pid = 0;
	drain_fetch(s);
	if (s->cause_state == NULL && !launcher_exit_ok(status)) {
		line = s->fetch_out.data != NULL ? s->fetch_out.data : "";
		line[strcspn(line, "\n")] = '\0';
		launcher_describe_exit(status, desc, sizeof(desc));
		snprintf(msg, sizeof(msg), "%s", line[0] ? line : desc);
		set_cause(s, "TASK_FAILED", "REASON_FETCHER_FAILED", msg);
	}
	if (s->cause_state != NULL) {
		finalize(s);
		return;
	}
	start_task(s);
}

/* Restore what the supervisor changed that exec would keep: ignored signals, the mask. */
static void
child_reset_signals(void)
{
	static const int sigs[] = { SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1,
	                            SIGUSR2, SIGALRM };
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int
open_sandbox_file(struct sup *s, const char *name, char *err, size_t errlen)
{
	char *path = xstrfmt("%s/%s", s->sandbox, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, LAUNCHER_FILE_MODE);

	if (fd == -1)
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
	else if (s->user.do_switch && fchown(fd, s->user.uid, s->user.gid) == -1)
		log_warn("chown %s", path);
	free(path);
	return fd;
}

static void
start_fetch(struct sup *s)
{
	char owner[OWNER_MAX], cache_size[OWNER_MAX], stall[OWNER_MAX], err[MSG_MAX];
	char **argv = xcalloc(s->nuris + 8, sizeof(char *));
	size_t n = 0;
	int fds[2], errfd;
	pid_t pid;

	if ((errfd = open_sandbox_file(s, LAUNCHER_STDERR, err, sizeof(err))) == -1 ||
	    compat_pipe(fds) == -1) {
		if (errfd != -1) {
			snprintf(err, sizeof(err), "cannot make a pipe: %s", strerror(errno));
			close(errfd);
		}
		set_cause(s, "TASK_FAILED", "REASON_FETCHER_FAILED", err);
		free(argv);
		finalize(s);
		return;
	}
	argv[n++] = (char *)SUP_FETCHER_PROGRAM;
	argv[n++] = xstrfmt("--sandbox=%s", s->sandbox);
	snprintf(stall, sizeof(stall), "--stall_timeout_ms=%lld", (long long)s->stall_timeout_ms);
	argv[n++] = stall;
	snprintf(cache_size, sizeof(cache_size), "--cache_size=%llu",
	    (unsigned long long)s->cache_bytes);
	argv[n++] = cache_size;
	argv[n++] = xstrfmt("--cache_dir=%s", s->cache_dir ? s->cache_dir : "");
	if (s->user.do_switch) {
		snprintf(owner, sizeof(owner), "--owner=%ld:%ld", (long)s->user.uid, (long)s->user.gid);
		argv[n++] = owner;
	}
	argv[n++] = (char *)"--";
	for (size_t i = 0; i < s->nuris; i++)
		argv[n++] = s->uris[i];
	argv[n] = NULL;

	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		setsid();
		dup2(errfd, STDERR_FILENO);
		if (null != -1)
			dup2(null, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		child_reset_signals();
		if (chdir(s->sandbox) == 0) {
			compat_closefrom(STDERR_FILENO + 1);
			execv(s->fetcher, argv);
		}
		printf("cannot run the fetcher '%s': %s\n", s->fetcher, strerror(errno));
		fflush(stdout);
		_exit(LAUNCHER_EXEC_FAILED_STATUS);
	}
	close(fds[1]);
	close(errfd);
	free(argv[1]);
	free(argv[4]);
	free(argv);
	if (pid == -1) {
		snprintf(err, sizeof(err), "cannot start the fetcher: fork: %s", strerror(errno));
		close(fds[0]);
		set_cause(s, "TASK_FAILED", "REASON_FETCHER_FAILED", err);
		finalize(s);
		return;
	}
	s->phase = PHASE_FETCHING;
	s->fetch_pid = pid;
	s->fetch_fd = fds[0];
	loop_watch(s->loop, fds[0], LOOP_READ, on_fetch_out, s);
}

/* --- the task ------------------------------------------------------------ */

static void
child_report(int fd, const char *what, int errnum)
{
	char msg[MSG_MAX];
	size_t len;

	snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errnum));
	len = strlen(msg);
	if (write(fd, msg, len) < 0)
		_exit(LAUNCHER_EXEC_FAILED_STATUS);
	if (write(STDERR_FILENO, "mesos-executor: ", strlen("mesos-executor: ")) < 0 ||
	    write(STDERR_FILENO, msg, len) < 0 || write(STDERR_FILENO, "\n", 1) < 0)
		_exit(LAUNCHER_EXEC_FAILED_STATUS);
	_exit(LAUNCHER_EXEC_FAILED_STATUS);
}

struct task_child_args {
	struct sup *s;
	int in_fd, out_fd, err_fd, pipe_fd;
};

static void
task_child(struct sup *s, int in_fd, int out_fd, int err_fd, int pipe_fd)
{
	char *const argv[] = { (char *)"sh", (char *)"-c", s->command, NULL };
	const char *what;
	struct isolate_limits lim = s->lim;
	int keep = ERRPIPE_FD;

	if (dup2(err_fd, STDERR_FILENO) == -1 || dup2(in_fd, STDIN_FILENO) == -1 ||
	    dup2(out_fd, STDOUT_FILENO) == -1 || dup2(pipe_fd, ERRPIPE_FD) == -1 ||
	    fcntl(ERRPIPE_FD, F_SETFD, FD_CLOEXEC) == -1)
		child_report(pipe_fd, "cannot set up the task's descriptors", errno);
	if (s->custom) {
		/* The executor's channel is inherited, blocking, as any program expects. */
		if (dup2(s->channel_fd, SUP_CHANNEL_FD) == -1 ||
		    fcntl(SUP_CHANNEL_FD, F_SETFD, 0) == -1 ||
		    net_set_nonblock(SUP_CHANNEL_FD, 0) == -1)
			child_report(ERRPIPE_FD, "cannot set up the executor's channel", errno);
		keep = SUP_CHANNEL_FD;
		/* Its limits grow with its tasks: sampled and measured, never fixed at exec. */
		lim.mem_bytes = 0;
		lim.disk_bytes = 0;
	}
	if (setsid() == -1)
		child_report(ERRPIPE_FD, "setsid", errno);
	child_reset_signals();
	if (isolate_apply(&lim, &s->user, &what) == -1)
		child_report(ERRPIPE_FD, what, errno);
	if (chdir(s->sandbox) == -1)
		child_report(ERRPIPE_FD, "chdir to the sandbox", errno);
	compat_closefrom(keep + 1);
	if (isolate_apply_memory(&lim, &what) == -1)
		child_report(ERRPIPE_FD, what, errno);
	execve(LAUNCHER_SHELL, argv, s->env.vars);
	child_report(ERRPIPE_FD, "exec " LAUNCHER_SHELL, errno);
}

static void
task_child_main(void *arg)
{
	struct task_child_args *c = arg;

	task_child(c->s, c->in_fd, c->out_fd, c->err_fd, c->pipe_fd);
}

/* Under vfork the child makes only system calls: no user to look up, no processes to count. */
static int
vfork_ok(const struct sup *s)
{
	return !s->user.do_switch && (s->lim.processes == 0 || geteuid() == 0);
}

static void
start_task(struct sup *s)
{
	char err[MSG_MAX], report[MSG_MAX];
	int in_fd, out_fd = -1, err_fd = -1, fds[2] = { -1, -1 };
	struct task_child_args child;
	struct sup_health_exec hx;
	ssize_t n = 0;
	struct buf b;
	pid_t pid;

	in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in_fd == -1)
		snprintf(err, sizeof(err), "cannot open /dev/null: %s", strerror(errno));
	else if ((out_fd = open_sandbox_file(s, LAUNCHER_STDOUT, err, sizeof(err))) != -1 &&
	         (err_fd = open_sandbox_file(s, LAUNCHER_STDERR, err, sizeof(err))) != -1 &&
	         compat_pipe(fds) == -1)
		snprintf(err, sizeof(err), "cannot make a pipe: %s", strerror(errno));
	if (fds[0] == -1) {
		set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", err);
		s->launch_failed = 1;
		goto out;
	}
	net_set_nonblock(fds[0], 0);
	child.s = s;
	child.in_fd = in_fd;
	child.out_fd = out_fd;
	child.err_fd = err_fd;
	child.pipe_fd = fds[1];
	pid = compat_fork_child(task_child_main, &child, vfork_ok(s));
	close(fds[1]);
	fds[1] = -1;
	if (s->channel_fd != -1) {
		close(s->channel_fd);
		s->channel_fd = -1;
	}
	if (pid == -1) {
		snprintf(err, sizeof(err), "fork: %s", strerror(errno));
		set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", err);
		s->launch_failed = 1;
		goto out;
	}
	s->task_pid = pid;
	s->phase = PHASE_RUNNING;
	/* Closed by exec when all went well; a line of reason otherwise. */
	do
		n = read(fds[0], report, sizeof(report) - 1);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		report[n] = '\0';
		set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", report);
		s->launch_failed = 1;
		goto out;   /* the child exits; its reaping ends the task */
	}
	buf_init(&b, 0);
	proto_begin(&b, "STARTED");
	proto_add_int(&b, "pid", pid);
	proto_add_int(&b, "supervisor", s->self);
	send_line(s, &b);
	buf_free(&b);
	log_debug("task %s started as pid %ld", s->tag, (long)pid);
	/* An executor's limits may come later (LIMITS): watch it from the start. */
	if (s->mem_watch_ms > 0 && (s->lim.mem_bytes > 0 || s->custom))
		s->mem_timer = loop_timer_add(s->loop, s->mem_watch_ms, on_mem_timer, s);
	if (s->disk_watch_ms > 0 && (s->lim.disk_bytes > 0 || s->custom))
		s->disk_timer = loop_timer_add(s->loop, s->disk_watch_ms, on_disk_timer, s);
	hx.sandbox = s->sandbox;
	hx.env = s->env.vars;
	hx.prepare = prepare_check;
	hx.arg = s;
	s->health = sup_health_start(s->loop, &s->hspec, s->port0, &hx, on_health, s);
out:
	if (in_fd != -1)
		close(in_fd);
	if (out_fd != -1)
		close(out_fd);
	if (err_fd != -1)
		close(err_fd);
	if (fds[0] != -1)
		close(fds[0]);
	if (s->launch_failed && s->task_pid <= 0)
		finalize(s);
}

static void
on_sigchld(struct loop *loop, int signo, void *arg)
{
	struct sup *s = arg;
	pid_t pid;
	int status;

	(void)loop;
	(void)signo;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == s->fetch_pid)
			fetch_done(s, status);
		else if (sup_health_child_exited(s->health, pid, status))
			continue;
		else if (pid == s->task_pid && s->phase == PHASE_RUNNING)
			task_done(s, status);
		/* else one of the task's orphans, adopted by us as their subreaper */
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
	s->lim.open_files = l.open_files;
	s->lim.nice = l.nice > ISOLATE_NICE_MAX ? ISOLATE_NICE_MAX : l.nice;
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

/* --- a custom executor's channel ---------------------------------------------- */

static void
relay_out(const char *line, size_t len, void *arg)
{
	struct sup *s = arg;

	if (s->agent != NULL && !conn_is_closing(s->agent))
		(void)conn_send(s->agent, line, len);
}

static void
relay_closed(const char *reason, void *arg)
{
	struct sup *s = arg;
	char msg[MSG_MAX];

	if (s->phase != PHASE_RUNNING || s->killing)
		return;
	/* An executor that cannot hear or be heard serves nobody: it gets its grace period to go. */
	snprintf(msg, sizeof(msg), "the executor closed its channel (%s)", reason);
	log_info("executor %s: %s", s->tag, msg);
	set_cause(s, "TASK_FAILED", "REASON_EXECUTOR_TERMINATED", msg);
	s->killing = 1;
	s->kill_deadline = loop_now(s->loop) + s->grace_ms;
	s->kill_timer = loop_timer_add(s->loop, s->grace_ms, on_kill_timer, s);
}

static void
handle_limits(struct sup *s, const struct proto_msg *m)
{
	char err[MSG_MAX];
	uint64_t mem, disk;

	if (proto_get_u64(m, "mem_bytes", 0, &mem, err, sizeof(err)) == -1 ||
	    proto_get_u64(m, "disk_bytes", 0, &disk, err, sizeof(err)) == -1) {
		log_warnx("executor %s: bad LIMITS: %s", s->tag, err);
		return;
	}
	s->lim.mem_bytes = mem;
	s->lim.disk_bytes = disk;
	log_debug("executor %s: limits now %llu bytes of memory, %llu of disk", s->tag,
	    (unsigned long long)mem, (unsigned long long)disk);
}

static void
handle_launch(struct sup *s, const struct proto_msg *m)
{
	char err[MSG_MAX];

	if (s->phase != PHASE_WAITING) {
		log_warnx("LAUNCH for a task already launched: ignored");
		return;
	}
	if (parse_launch(s, m, err, sizeof(err)) == -1) {
		log_warnx("cannot launch task %s: %s", s->tag, err);
		set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", err);
		s->launch_failed = 1;
		finalize(s);
		return;
	}
	if (s->user.do_switch && chown(s->sandbox, s->user.uid, s->user.gid) == -1)
		log_warn("chown %s", s->sandbox);
	if (s->custom && (s->relay = sup_relay_open(s->loop, s->executor_id, s->framework_id,
	    s->agent_id, relay_out, relay_closed, s, &s->channel_fd, err, sizeof(err))) == NULL) {
		log_warnx("cannot launch executor %s: %s", s->tag, err);
		set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", err);
		s->launch_failed = 1;
		finalize(s);
		return;
	}
	if (s->nuris > 0)
		start_fetch(s);
	else
		start_task(s);
}

static void
handle_kill(struct sup *s, const struct proto_msg *m)
{
	char err[MSG_MAX];
	long long grace;

	if (proto_get_int(m, "grace_ms", s->grace_ms, &grace, err, sizeof(err)) == -1 || grace < 0)
		grace = s->grace_ms;
	set_cause(s, "TASK_KILLED", NULL, s->phase < PHASE_RUNNING ? "killed before it started" : "");
	kill_task(s, grace);
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
	if (s->phase == PHASE_DONE) {
		quit(s);
		return;
	}
	set_cause(s, "TASK_KILLED", NULL, "its supervisor was stopped (SIGTERM)");
	kill_task(s, s->grace_ms);
}

/* --- the agent connection --------------------------------------------------- */

static void
on_agent_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct sup *s = arg;
	struct proto_msg m;
	char err[MSG_MAX];
	char *raw = s->custom ? xstrndup(line, len) : NULL;   /* a line for the executor goes as it came */

	(void)c;
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) == -1)
		log_warnx("bad line from agentd: %s", err);
	else if (s->custom && s->relay != NULL && sup_relay_from_agent(s->relay, &m, raw, len))
		;   /* for the executor, or its acknowledgement */
	else if (s->custom && strcmp(m.verb, "LIMITS") == 0)
		handle_limits(s, &m);
	else if (strcmp(m.verb, "LAUNCH") == 0)
		handle_launch(s, &m);
	else if (strcmp(m.verb, "KILL") == 0)
		handle_kill(s, &m);
	else if (strcmp(m.verb, "ACK") == 0 && s->phase == PHASE_DONE) {
		s->acked = 1;
		quit(s);
	}
	else if (strcmp(m.verb, "ATTACH") == 0)
		send_attached(s);
	else if (strcmp(m.verb, "SHUTDOWN") == 0) {
		s->no_ack = 1;
		if (s->phase == PHASE_DONE)
			quit(s);
		else
			handle_kill(s, &m);
	}
	else
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
	if (s->phase == PHASE_WAITING) {
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
send_attached(struct sup *s)
{
	struct buf b;

	if (s->phase == PHASE_DONE) {
		/* What the executor said comes before its end, as it did the first time. */
		if (s->relay != NULL)
			sup_relay_resend(s->relay);
		(void)conn_send_str(s->agent, s->exit_line);
		return;
	}
	buf_init(&b, 0);
	proto_begin(&b, "ATTACHED");
	proto_add_int(&b, "pid", s->task_pid);
	proto_add_int(&b, "supervisor", s->self);
	proto_add(&b, "phase", s->phase == PHASE_FETCHING ? "fetching" : "running");
	if (s->healthy >= 0)
		proto_add_bool(&b, "healthy", s->healthy);
	send_line(s, &b);
	buf_free(&b);
	if (s->relay != NULL)
		sup_relay_resend(s->relay);
}

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
		snprintf(err, errlen, "socket name '%s' too long", name);
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
	char err[MSG_MAX / 2], msg[MSG_MAX];

	if (s->listen_fd != -1)
		return;
	if ((s->listen_fd = listen_here(s->sock_name, err, sizeof(err))) == -1) {
		snprintf(msg, sizeof(msg), "the task's supervisor cannot wait for agentd: %s", err);
		log_warnx("task %s: %s", s->tag, msg);
		if (s->phase == PHASE_DONE)
			return;   /* its end is kept in RUN.status all the same */
		set_cause(s, "TASK_FAILED", "REASON_EXECUTOR_TERMINATED", msg);
		kill_task(s, 0);
		return;
	}
	loop_watch(s->loop, s->listen_fd, LOOP_READ, on_accept, s);
}

static void
sup_free(struct sup *s)
{
	sup_health_free(s->health);
	free(s->health_command);
	free(s->health_path);
	isolate_du_free(s->du);
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

/* The supervisor of the run at path (DIR/RUN), on SUP_AGENT_FD: from exec or the spawner. */
static int
supervise(const char *path)
{
	struct sup s;
	const char *base = strrchr(path, '/');
	char *dir;
	int fd;

	if (path[0] == '-' || base == NULL || base[1] == '\0')
		fatalx("usage: %s DIR/RUN | %s WORK_DIR (started by agentd, descriptor %d its socket)",
		    SUP_PROGRAM, SPAWNER_FLAG, SUP_AGENT_FD);
	/* Our home is the runs directory; our names there are relative, sun_path being short. */
	dir = xstrndup(path, (size_t)(base - path));
	if (chdir(dir[0] != '\0' ? dir : "/") == -1)
		fatal("chdir %s", dir);
	free(dir);
	base++;
	/* Whatever agentd inherited without close-on-exec (a pipe of its shell) is not ours to hold. */
	compat_closefrom(SUP_AGENT_FD + 1);
	/* Descriptors 0-2 must be taken, or the task's own files could land on them. */
	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= STDERR_FILENO)
		continue;
	if (fd > STDERR_FILENO && fd != SUP_AGENT_FD)
		close(fd);
	/* Our own session: agentd's process group may be signalled as a whole, we must not be. */
	(void)setsid();
	memset(&s, 0, sizeof(s));
	s.self = getpid();
	s.subreaper = compat_become_subreaper() == 0;
	s.healthy = -1;
	s.fetch_fd = -1;
	s.listen_fd = -1;
	s.channel_fd = -1;
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
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		fatal("descriptor %d (the agent's socket)", fd);
	s.agent = conn_new(s.loop, fd, &agent_ops, &s, PROTO_LINE_MAX, OUT_MAX);
	loop_run(s.loop);
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
		(void)setsid();
		return spawner_serve(SUP_AGENT_FD, SUP_AGENT_FD, supervise);
	}
	if (argc != 2)
		fatalx("usage: %s DIR/RUN | %s WORK_DIR (started by agentd, descriptor %d its socket)",
		    SUP_PROGRAM, SPAWNER_FLAG, SUP_AGENT_FD);
	return supervise(argv[1]);
}
