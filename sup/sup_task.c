/*
 * sup_task.c: the supervised task itself, from LAUNCH's go-ahead to the
 * last of its processes: fetching its URIs through mesos-fetcher,
 * starting it in a session of its own under its limits and user (a
 * custom executor with its channel, sup_relay.c's), sampling its memory
 * and its sandbox's disk and killing it over either, its health checks,
 * kills with a grace period, and the sweep of every process of it once
 * its leader is gone. What its end was is sup.c's to say.
 */
#include <sys/types.h>
#include <sys/stat.h>
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
#include "xmem.h"

#define SWEEP_RETRY_MS 20               /* leftovers are killed again this often ... */
#define SWEEP_TRIES_MAX 250             /* ... this many times at most */
#define FETCH_OUT_MAX 1024              /* bytes of the fetcher's report kept */
#define FETCH_ARGV_FIXED 9              /* its name, 6 options, "--" and the final NULL */
#define READ_CHUNK 512
#define ERRPIPE_FD 3                    /* where the child keeps its exec-error pipe */
#define OWNER_MAX 64

static void start_task(struct sup *s);
static void on_sweep_timer(struct loop *loop, void *arg);

/* --- kills --------------------------------------------------------------- */

long
sup_task_signal(struct sup *s, int signo)
{
	if (s->task_pid > 0)
		(void)isolate_signal_all(s->self, s->subreaper, s->task_pid, signo);
	return sup_watch_signal(s, signo);
}

static void
on_kill_timer(struct loop *loop, void *arg)
{
	struct sup *s = arg;

	(void)loop;
	s->kill_timer = 0;
	log_info("task %s did not exit within its grace period: sending SIGKILL", s->tag);
	sup_task_signal(s, SIGKILL);
}

void
sup_task_kill(struct sup *s, int64_t grace_ms)
{
	int64_t deadline = loop_now(s->loop) + (grace_ms > 0 ? grace_ms : 0);

	if (s->phase == SUP_PHASE_WAITING) {
		sup_finalize(s);
		return;
	}
	if (s->phase == SUP_PHASE_FETCHING) {
		(void)kill(-s->fetch_pid, SIGKILL);
		return;   /* fetch_done finalizes with the cause */
	}
	if (s->phase != SUP_PHASE_RUNNING)
		return;
	if (!s->killing) {
		s->killing = 1;
		/* An executor is asked to shut down (its tasks are its business), then killed. */
		if (s->custom && grace_ms > 0)
			sup_relay_send(s->relay, "SHUTDOWN", strlen("SHUTDOWN"));
		else
			sup_task_signal(s, grace_ms > 0 ? SIGTERM : SIGKILL);
		if (grace_ms <= 0)
			return;
	} else if (s->kill_timer == 0 || deadline >= s->kill_deadline) {
		return;
	}
	loop_timer_cancel(s->loop, s->kill_timer);
	s->kill_deadline = deadline;
	s->kill_timer = loop_timer_add(s->loop, grace_ms, on_kill_timer, s);
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
	sup_send(s, &b);
	buf_free(&b);
}

static void
on_health(int healthy, const char *message, void *arg)
{
	struct sup *s = arg;
	char msg[SUP_MSG_MAX];

	s->failures = healthy ? 0 : s->failures + 1;
	if (healthy != s->healthy) {
		s->healthy = healthy;
		log_info("task %s is %s: %s", s->tag, healthy ? "healthy" : "unhealthy", message);
		send_health(s, message);
	}
	if (!healthy && s->failures >= s->hspec.consecutive_failures && !s->killing) {
		snprintf(msg, sizeof(msg), "health check failed %d time(s) in a row: %s", s->failures,
		    message);
		sup_set_cause(s, "TASK_KILLED", "REASON_TASK_UNHEALTHY_CHECK_FAILED", msg);
		sup_task_kill(s, s->grace_ms);
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

/* cgroups_empty: a signal found its cgroups empty just now, and nothing joins an empty one. */
static long
leftovers(struct sup *s, int cgroups_empty)
{
	struct proc_info one;
	long n, in_cgroups = cgroups_empty ? 0 : sup_watch_left(s);

	if (s->subreaper)
		n = proc_has_children() ? proc_descendants(s->self, &one, 1) : 0;
	else
		n = proc_session_members(s->task_pid, &one, 1);
	return n > in_cgroups ? n : in_cgroups;
}

/* Nothing of the task is left: its cgroups go, then its end is judged. */
static void
over(struct sup *s)
{
	if (sup_watch_release(s) == -1 && s->sweeps < SWEEP_TRIES_MAX) {
		s->sweeps++;
		s->sweep_timer = loop_timer_add(s->loop, SWEEP_RETRY_MS, on_sweep_timer, s);
		return;
	}
	sup_finalize(s);
}

static void
on_sweep_timer(struct loop *loop, void *arg)
{
	struct sup *s = arg;
	long left;

	(void)loop;
	s->sweep_timer = 0;
	left = leftovers(s, 0);
	if (left <= 0 || ++s->sweeps >= SWEEP_TRIES_MAX) {
		if (left > 0) {
			log_warnx("task %s: %ld process(es) would not die", s->tag, left);
			s->stragglers = 1;
		}
		over(s);
		return;
	}
	sup_task_signal(s, SIGKILL);
	s->sweep_timer = loop_timer_add(s->loop, SWEEP_RETRY_MS, on_sweep_timer, s);
}

/* The task's leader is gone: nothing of the task may outlive it, as Mesos destroys a container. */
static void
task_done(struct sup *s, int status)
{
	s->task_status = status;
	s->phase = SUP_PHASE_ENDING;
	sup_health_free(s->health);
	s->health = NULL;
	sup_watch_stop(s);
	if (leftovers(s, sup_task_signal(s, SIGKILL) == 0) <= 0) {
		over(s);
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
	char msg[SUP_MSG_MAX], desc[SUP_DESC_MAX];
	char *line;

	(void)kill(-s->fetch_pid, SIGKILL);   /* whatever the fetcher left, tar or unzip */
	s->fetch_pid = 0;
	drain_fetch(s);
	if (s->cause_state == NULL && !proc_exit_ok(status)) {
		line = s->fetch_out.data != NULL ? s->fetch_out.data : "";
		line[strcspn(line, "\n")] = '\0';
		proc_describe_exit(status, desc, sizeof(desc));
		snprintf(msg, sizeof(msg), "%s", line[0] ? line : desc);
		sup_set_cause(s, "TASK_FAILED", "REASON_FETCHER_FAILED", msg);
	}
	if (s->cause_state != NULL) {
		sup_finalize(s);
		return;
	}
	start_task(s);
}

static const int child_sigs[] = { SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1,
                                   SIGUSR2, SIGALRM };

/*
 * Which of child_sigs (bit i for child_sigs[i]) a child must put back to
 * SIG_DFL: those the supervisor's loop takes (SIGPIPE ignored, SIGTERM and
 * SIGCHLD caught: a handler must not run in a vfork child), and those this
 * process was started with other than SIG_DFL (an agentd under nohup
 * ignores SIGHUP), which nothing here changes after: looked at once a
 * process, not in every child. Called in the parent.
 */
static unsigned
signals_to_reset(void)
{
	static unsigned mask;
	static int known;

	if (known)
		return mask;
	for (size_t i = 0; i < sizeof(child_sigs) / sizeof(child_sigs[0]); i++) {
		struct sigaction old;
		int sig = child_sigs[i];

		if (sig == SIGPIPE || sig == SIGTERM || sig == SIGCHLD || sigaction(sig, NULL, &old) == -1 ||
		    old.sa_handler != SIG_DFL)
			mask |= 1u << i;
	}
	known = 1;
	return mask;
}

/* Restore what the supervisor changed that exec would keep: ignored signals, the mask. */
static void
child_reset_signals(unsigned which)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(child_sigs) / sizeof(child_sigs[0]); i++)
		if (which & (1u << i))
			sigaction(child_sigs[i], &sa, NULL);
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
	char owner[OWNER_MAX], cache_size[OWNER_MAX], stall[OWNER_MAX], err[SUP_MSG_MAX];
	char **argv = xcalloc(s->nuris + FETCH_ARGV_FIXED, sizeof(char *));
	char *user_arg = NULL;
	size_t n = 0;
	int fds[2], errfd;
	pid_t pid;

	if ((errfd = open_sandbox_file(s, LAUNCHER_STDERR, err, sizeof(err))) == -1 ||
	    compat_pipe(fds) == -1) {
		if (errfd != -1) {
			snprintf(err, sizeof(err), "cannot make a pipe: %s", strerror(errno));
			close(errfd);
		}
		sup_set_cause(s, "TASK_FAILED", "REASON_FETCHER_FAILED", err);
		free(argv);
		sup_finalize(s);
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
		argv[n++] = user_arg = xstrfmt("--user=%s", s->user.name);
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
		child_reset_signals(signals_to_reset());
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
	free(user_arg);
	free(argv);
	if (pid == -1) {
		snprintf(err, sizeof(err), "cannot start the fetcher: fork: %s", strerror(errno));
		close(fds[0]);
		sup_set_cause(s, "TASK_FAILED", "REASON_FETCHER_FAILED", err);
		sup_finalize(s);
		return;
	}
	s->phase = SUP_PHASE_FETCHING;
	s->fetch_pid = pid;
	s->fetch_fd = fds[0];
	loop_watch(s->loop, fds[0], LOOP_READ, on_fetch_out, s);
}

/* --- the task ------------------------------------------------------------ */

static void
child_report(int fd, const char *what, int errnum)
{
	char msg[SUP_MSG_MAX];
	size_t len;

	snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errnum));
	len = strlen(msg);
	if (write(fd, msg, len) < 0)
		_exit(LAUNCHER_EXEC_FAILED_STATUS);
	if (write(STDERR_FILENO, SUP_PROGRAM ": ", strlen(SUP_PROGRAM ": ")) < 0 ||
	    write(STDERR_FILENO, msg, len) < 0 || write(STDERR_FILENO, "\n", 1) < 0)
		_exit(LAUNCHER_EXEC_FAILED_STATUS);
	_exit(LAUNCHER_EXEC_FAILED_STATUS);
}

struct task_child_args {
	struct sup *s;
	int in_fd, out_fd, err_fd, pipe_fd;
	unsigned reset_sigs;   /* signals_to_reset's, found before the vfork */
};

static void
task_child(struct sup *s, int in_fd, int out_fd, int err_fd, int pipe_fd, unsigned reset_sigs)
{
	char *const argv[] = { (char *)"sh", (char *)"-c", s->command, NULL };
	const char *what;
	struct isolate_limits lim = s->lim;
	int keep = ERRPIPE_FD;

	if (dup2(err_fd, STDERR_FILENO) == -1 || dup2(in_fd, STDIN_FILENO) == -1 ||
	    dup2(out_fd, STDOUT_FILENO) == -1 || dup2(pipe_fd, ERRPIPE_FD) == -1 ||
	    fcntl(ERRPIPE_FD, F_SETFD, FD_CLOEXEC) == -1)   /* dup2 left it no other flag */
		child_report(pipe_fd, "cannot set up the task's descriptors", errno);
	if (s->custom) {
		/* The executor's channel is inherited, blocking, as any program expects. */
		if (dup2(s->channel_fd, SUP_CHANNEL_FD) == -1 ||
		    fcntl(SUP_CHANNEL_FD, F_SETFD, 0) == -1 ||
		    compat_set_nonblock(SUP_CHANNEL_FD, 0) == -1)
			child_report(ERRPIPE_FD, "cannot set up the executor's channel", errno);
		keep = SUP_CHANNEL_FD;
		/* Its limits grow with its tasks: sampled and measured, never fixed at exec. */
		lim.disk_bytes = 0;
	}
	if (setsid() == -1)
		child_report(ERRPIPE_FD, "setsid", errno);
	child_reset_signals(reset_sigs);
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

	task_child(c->s, c->in_fd, c->out_fd, c->err_fd, c->pipe_fd, c->reset_sigs);
}

/* Under vfork the child makes only system calls: a user's groups must be known already. */
static int
vfork_ok(const struct sup *s)
{
	return !s->user.do_switch || s->user.ngroups >= 0;
}

/*
 * The task's stdin, opened once per process and kept (close-on-exec): a
 * pooled supervisor serves many tasks, and each open is a system call.
 */
static int
dev_null(void)
{
	static int fd = -1;

	if (fd == -1)
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd;
}

static void
start_task(struct sup *s)
{
	char err[SUP_MSG_MAX], report[SUP_MSG_MAX];
	int in_fd, out_fd = -1, err_fd = -1, fds[2] = { -1, -1 };
	struct task_child_args child;
	struct sup_health_exec hx;
	ssize_t n = 0;
	struct buf b;
	pid_t pid;

	in_fd = dev_null();
	if (in_fd == -1)
		snprintf(err, sizeof(err), "cannot open /dev/null: %s", strerror(errno));
	else if ((out_fd = open_sandbox_file(s, LAUNCHER_STDOUT, err, sizeof(err))) != -1 &&
	         (err_fd = open_sandbox_file(s, LAUNCHER_STDERR, err, sizeof(err))) != -1 &&
	         compat_pipe(fds) == -1)
		snprintf(err, sizeof(err), "cannot make a pipe: %s", strerror(errno));
	if (fds[0] != -1 && sup_watch_prepare(s, err, sizeof(err)) == -1) {
		close(fds[0]);
		close(fds[1]);
		fds[0] = fds[1] = -1;
	}
	if (fds[0] == -1) {
		sup_set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", err);
		s->launch_failed = 1;
		goto out;
	}
	child.s = s;
	child.in_fd = in_fd;
	child.out_fd = out_fd;
	child.err_fd = err_fd;
	child.pipe_fd = fds[1];
	child.reset_sigs = signals_to_reset();
	pid = compat_fork_child(task_child_main, &child, vfork_ok(s));
	close(fds[1]);
	fds[1] = -1;
	if (s->channel_fd != -1) {
		close(s->channel_fd);
		s->channel_fd = -1;
	}
	if (pid == -1) {
		snprintf(err, sizeof(err), "fork: %s", strerror(errno));
		sup_set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", err);
		s->launch_failed = 1;
		goto out;
	}
	s->task_pid = pid;
	s->phase = SUP_PHASE_RUNNING;
	/*
	 * Closed by exec when all went well; a line of reason otherwise. After
	 * vfork the child has exec'd or exited by now and the non-blocking read
	 * has its answer at once; a forked child may still be on its way: then
	 * the read waits for it.
	 */
	for (int waited = 0;;) {
		n = read(fds[0], report, sizeof(report) - 1);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || waited || compat_set_nonblock(fds[0], 0) == -1)
			break;
		waited = 1;
	}
	if (n > 0) {
		report[n] = '\0';
		sup_set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", report);
		s->launch_failed = 1;
		goto out;   /* the child exits; its reaping ends the task */
	}
	buf_init(&b, 0);
	proto_begin(&b, "STARTED");
	proto_add_int(&b, "pid", pid);
	proto_add_int(&b, "supervisor", s->self);
	sup_send(s, &b);
	buf_free(&b);
	log_debug("task %s started as pid %ld", s->tag, (long)pid);
	/* An executor's limits may come later (LIMITS): watched from the start. */
	sup_watch_start(s);
	hx.sandbox = s->sandbox;
	hx.env = s->env.vars;
	hx.prepare = prepare_check;
	hx.arg = s;
	s->health = sup_health_start(s->loop, &s->hspec, s->port0, &hx, on_health, s);
out:
	if (out_fd != -1)
		close(out_fd);
	if (err_fd != -1)
		close(err_fd);
	if (fds[0] != -1)
		close(fds[0]);
	if (s->launch_failed && s->task_pid <= 0) {
		(void)sup_watch_release(s);
		sup_finalize(s);
	}
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
	char msg[SUP_MSG_MAX];

	if (s->phase != SUP_PHASE_RUNNING || s->killing)
		return;
	/* An executor that cannot hear or be heard serves nobody: it gets its grace period to go. */
	snprintf(msg, sizeof(msg), "the executor closed its channel (%s)", reason);
	log_info("executor %s: %s", s->tag, msg);
	sup_set_cause(s, "TASK_FAILED", "REASON_EXECUTOR_TERMINATED", msg);
	s->killing = 1;
	s->kill_deadline = loop_now(s->loop) + s->grace_ms;
	s->kill_timer = loop_timer_add(s->loop, s->grace_ms, on_kill_timer, s);
}


void
sup_task_launch(struct sup *s)
{
	char err[SUP_MSG_MAX];

	if (s->user.do_switch && chown(s->sandbox, s->user.uid, s->user.gid) == -1)
		log_warn("chown %s", s->sandbox);
	if (launcher_make_tmpdir(s->sandbox, s->user.do_switch ? s->user.uid : (uid_t)-1,
	        s->user.gid, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	if (s->custom && (s->relay = sup_relay_open(s->loop, s->executor_id, s->framework_id,
	    s->agent_id, relay_out, relay_closed, s, &s->channel_fd, err, sizeof(err))) == NULL) {
		log_warnx("cannot launch executor %s: %s", s->tag, err);
		sup_set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", err);
		s->launch_failed = 1;
		sup_finalize(s);
		return;
	}
	if (s->nuris > 0)
		start_fetch(s);
	else
		start_task(s);
}

void
sup_task_reap(struct sup *s)
{
	pid_t pid;
	int status;

	while ((pid = proc_reap(&status, &s->used)) > 0) {
		if (pid == s->fetch_pid)
			fetch_done(s, status);
		else if (sup_health_child_exited(s->health, pid, status))
			continue;
		else if (pid == s->task_pid && s->phase == SUP_PHASE_RUNNING)
			task_done(s, status);
		/* else one of the task's orphans, adopted by us as their subreaper */
	}
}
