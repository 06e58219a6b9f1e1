/*
 * tests/test_spawner.c: the supervisor spawner (spawner.c) run in a child
 * process and fed through a socketpair, as agentd feeds it: requests with
 * and without a descriptor, bad ones, its end; and compat_fork_child, by
 * vfork and by fork.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "compat.h"
#include "sup/spawner.h"

#define CHILD_FD 20               /* where a forked supervisor finds its descriptor here */
#define WAIT_MS 5000
#define LINE_MAX_HERE 512
#define STATUS_RETURNED 127       /* compat_fork_child: a child function that returned */
#define STATUS_CHOSEN 7

/* A stand-in supervisor: says its path on the descriptor it was handed. */
static int
fake_supervise(const char *path, int *again)
{
	char line[LINE_MAX_HERE];
	size_t len;

	*again = 0;
	snprintf(line, sizeof(line), "%s\n", path);
	len = strlen(line);
	return write(CHILD_FD, line, len) == (ssize_t)len ? 0 : 1;
}

/* A supervisor that may serve again: says its path, lets its descriptor go, asks for more. */
static int
fake_supervise_again(const char *path, int *again)
{
	int rc = fake_supervise(path, again);

	close(CHILD_FD);
	*again = 1;
	return rc;
}

/* A line from fd, waiting at most WAIT_MS: its length, 0 at EOF, -1 on timeout or error. */
static ssize_t
read_line(int fd, char *buf, size_t cap)
{
	size_t have = 0;

	while (have + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, WAIT_MS) != 1)
			return -1;
		n = read(fd, buf + have, 1);
		if (n <= 0)
			return n == 0 && have == 0 ? 0 : -1;
		if (buf[have] == '\n') {
			buf[have] = '\0';
			return (ssize_t)have;
		}
		have++;
	}
	return -1;
}

/* A spawner in a child process: our end of its socket in *ours, its pid returned. */
static pid_t
start_spawner_with(int *ours, int (*run)(const char *, int *))
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(spawner_serve(sv[1], CHILD_FD, run));
	}
	close(sv[1]);
	*ours = sv[0];
	return pid;
}

static pid_t
start_spawner(int *ours)
{
	return start_spawner_with(ours, fake_supervise);
}

/* One SPAWN of path through ctl: the pid that took it, once it said path and let go; -1 otherwise. */
static long
spawn_one(int ctl, const char *path)
{
	char req[LINE_MAX_HERE], answer[LINE_MAX_HERE], said[LINE_MAX_HERE];
	int task[2];
	long pid = -1;

	snprintf(req, sizeof(req), "SPAWN %s\n", path);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, task) == -1)
		return -1;
	if (spawner_send_fd(ctl, req, strlen(req), task[1]) == (ssize_t)strlen(req)) {
		close(task[1]);
		task[1] = -1;
		if (read_line(ctl, answer, sizeof(answer)) > 0 && strncmp(answer, "SPAWNED ", 8) == 0 &&
		    read_line(task[0], said, sizeof(said)) > 0 && strcmp(said, path) == 0 &&
		    read_line(task[0], said, sizeof(said)) == 0)
			pid = atol(answer + 8);
	}
	close(task[0]);
	if (task[1] != -1)
		close(task[1]);
	return pid;
}

static int
exit_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
test_spawn(void)
{
	char line[LINE_MAX_HERE];
	int ctl, task[2];
	pid_t spawner = start_spawner(&ctl);
	const char *req = "SPAWN /work/meta/slaves/S0/runs/run-1\n";

	CHECK(spawner > 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, task) == 0);
	CHECK(spawner_send_fd(ctl, req, strlen(req), task[1]) == (ssize_t)strlen(req));
	close(task[1]);
	CHECK(read_line(ctl, line, sizeof(line)) > 0);
	CHECK(strncmp(line, "SPAWNED ", 8) == 0 && atol(line + 8) > 0);
	/* The child got the descriptor: it speaks on it, then its end closes with it. */
	CHECK(read_line(task[0], line, sizeof(line)) > 0);
	CHECK_STR(line, "/work/meta/slaves/S0/runs/run-1");
	CHECK(read_line(task[0], line, sizeof(line)) == 0);
	close(task[0]);

	/* Without a descriptor: refused, and the spawner goes on. */
	CHECK(write(ctl, "SPAWN /x/run\n", 13) == 13);
	CHECK(read_line(ctl, line, sizeof(line)) > 0);
	CHECK_STR(line, "FAILED a request without its descriptor");

	/* Not SPAWN, or no path: refused, its descriptor closed. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, task) == 0);
	CHECK(spawner_send_fd(ctl, "HELLO there\n", 12, task[1]) == 12);
	CHECK(read_line(ctl, line, sizeof(line)) > 0);
	CHECK_STR(line, "FAILED a request other than SPAWN <path>");
	CHECK(spawner_send_fd(ctl, "SPAWN \n", 7, task[1]) == 7);
	CHECK(read_line(ctl, line, sizeof(line)) > 0);
	CHECK_STR(line, "FAILED a request other than SPAWN <path>");
	close(task[1]);
	CHECK(read_line(task[0], line, sizeof(line)) == 0);
	close(task[0]);

	/* Still serving after all that. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, task) == 0);
	CHECK(spawner_send_fd(ctl, "SPAWN /y/run-2\n", 15, task[1]) == 15);
	close(task[1]);
	CHECK(read_line(ctl, line, sizeof(line)) > 0 && strncmp(line, "SPAWNED ", 8) == 0);
	CHECK(read_line(task[0], line, sizeof(line)) > 0);
	CHECK_STR(line, "/y/run-2");
	close(task[0]);

	/* agentd closes its end: the spawner leaves, cleanly. */
	close(ctl);
	CHECK(exit_status(spawner) == 0);
}

static void
test_spawner_overlong(void)
{
	char junk[SPAWNER_REQUEST_MAX + 100];
	int ctl;
	pid_t spawner = start_spawner(&ctl);

	memset(junk, 'x', sizeof(junk));
	CHECK(spawner > 0);
	CHECK(write(ctl, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	/* No newline within the limit: a broken peer, and the spawner says so by leaving. */
	CHECK(exit_status(spawner) == 1);
	close(ctl);
}

static int child_pipe = -1;

/* Under vfork: only system calls. Says whether SIGTERM is blocked in it, then exits 7. */
static void
child_exits(void *arg)
{
	sigset_t cur;
	char c;

	(void)arg;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	c = sigismember(&cur, SIGTERM) ? 'b' : 'u';
	if (write(child_pipe, &c, 1) != 1)
		_exit(1);
	_exit(STATUS_CHOSEN);
}

static void
child_returns(void *arg)
{
	(void)arg;
}

static void
test_fork_child(void)
{
	for (int use_vfork = 0; use_vfork <= 1; use_vfork++) {
		int p[2];
		char c = 0;
		sigset_t cur;
		pid_t pid;

		CHECK(pipe(p) == 0);
		child_pipe = p[1];
		pid = compat_fork_child(child_exits, NULL, use_vfork);
		CHECK(pid > 0);
		close(p[1]);
		CHECK(read(p[0], &c, 1) == 1 && c == 'b');   /* signals blocked in the child */
		close(p[0]);
		CHECK(exit_status(pid) == STATUS_CHOSEN);
		sigprocmask(SIG_BLOCK, NULL, &cur);
		CHECK(!sigismember(&cur, SIGTERM));          /* and not left blocked in the parent */
		pid = compat_fork_child(child_returns, NULL, use_vfork);
		CHECK(pid > 0 && exit_status(pid) == STATUS_RETURNED);
	}
}

/*
 * A supervisor that may serve again is handed the next path (spawner.h). It
 * offers itself a moment after it let go of its descriptor, so a SPAWN may
 * still find none idle and fork: within the deadline, one must be reused.
 */
static void
test_reuse(void)
{
	char path[LINE_MAX_HERE];
	int ctl, reused = 0, served = 1, n = 0;
	long first, pid, last;
	pid_t spawner = start_spawner_with(&ctl, fake_supervise_again);
	int64_t deadline = compat_monotonic_ms() + WAIT_MS;

	CHECK(spawner > 0);
	first = last = spawn_one(ctl, "/runs/run-0");
	CHECK(first > 0);
	while (!reused && served && compat_monotonic_ms() < deadline) {
		snprintf(path, sizeof(path), "/runs/run-%d", ++n);
		pid = spawn_one(ctl, path);
		served = pid > 0;
		reused = served && pid == last;
		last = pid;
	}
	CHECK(served);
	CHECK(reused);

	/* One killed while idle is passed over: the next SPAWN still gets a process. */
	CHECK(kill((pid_t)last, SIGKILL) == 0);
	deadline = compat_monotonic_ms() + WAIT_MS;
	while (kill((pid_t)last, 0) == 0 && compat_monotonic_ms() < deadline)
		(void)poll(NULL, 0, 1);
	CHECK(kill((pid_t)last, 0) == -1);
	CHECK(spawn_one(ctl, "/runs/after-kill") > 0);

	close(ctl);
	CHECK(exit_status(spawner) == 0);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_spawn();
	test_spawner_overlong();
	test_reuse();
	test_fork_child();
	return CHECK_DONE();
}
