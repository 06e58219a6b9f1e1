/*
 * tests/test_cgroup.c: cgroups as files: where this process is, a base
 * under it, a task's cgroup with its limits, a child that joins it and
 * allocates past its memory (killed by the kernel, counted, signalled on
 * the OOM event), a fork refused at pids.max and counted, the kill of
 * what is left and the removal. Where cgroups are not usable (no Linux,
 * no write access) only what needs none is checked.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "check.h"
#include "xmem.h"

#define WHY_MAX 512
#define MB (1024u * 1024u)
#define TASK_MEM_BYTES (32u * MB)
#define CHUNK_BYTES MB
#define EVENT_WAIT_MS 5000
#define HOLD_LOOK_MS 10
#define TASK_PIDS 4

static void
names(void)
{
	struct cgroup_base b;
	char why[WHY_MAX];

	CHECK_STR(cgroup_ctrl_name(CGROUP_MEMORY), "memory");
	CHECK_STR(cgroup_ctrl_name(CGROUP_PIDS), "pids");
	CHECK(cgroup_base_find("a/b", CGROUP_ALL, &b, why, sizeof(why)) == 0);
	CHECK(strstr(why, "one name") != NULL);
	CHECK(cgroup_base_find("..", CGROUP_ALL, &b, why, sizeof(why)) == 0);
}

static char *volatile hoard;

/* A child in the task's cgroups that touches memory until the kernel stops it. */
static pid_t
hog(const struct cgroup_base *b, const char *run)
{
	char procs[CGROUP_PATH_MAX];
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	for (int c = 0; c < CGROUP_CTRLS; c++) {
		char *dir;
		if (b->dir[c] == NULL)
			continue;
		dir = xstrfmt("%s/%s", b->dir[c], run);
		cgroup_procs_path(dir, procs, sizeof(procs));
		if (cgroup_join(procs) == -1)
			_exit(2);
		free(dir);
	}
	for (;;) {
		char *p = malloc(CHUNK_BYTES);
		if (p == NULL)
			_exit(3);
		memset(p, 1, CHUNK_BYTES);
		/* Kept where the compiler cannot see it unused: clang drops a dead malloc and memset. */
		*(char **)p = hoard;
		hoard = p;
	}
}

/* The kernel's own OOM kill: the hog dies, counted. */
static void
task_memory(const struct cgroup_base *b, const char *dir, const char *run)
{
	const char *what = NULL;
	uint64_t ooms = 0, current = 0, peak = 0, limit = 0;
	int status;
	pid_t pid;

	CHECK(cgroup_set_memory(dir, TASK_MEM_BYTES, 0, &what) == 0);
	/* Raising only: a lower limit leaves it as it is. */
	CHECK(cgroup_set_memory(dir, TASK_MEM_BYTES / 2, 1, &what) == 0);
	CHECK(cgroup_memory_limit(dir, &limit) == 0 && limit == TASK_MEM_BYTES);
	pid = hog(b, run);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(cgroup_ooms(dir, &ooms) == 0 && ooms >= 1);
	CHECK(cgroup_memory(dir, &current, &peak) == 0);
	CHECK(peak <= TASK_MEM_BYTES && peak > TASK_MEM_BYTES / 2);
}

/* Held: the event says so, the hog waits until it is killed. */
static void
task_memory_held(const struct cgroup_base *b, const char *dir, const char *run)
{
	uint64_t before = 0, after = 0;
	struct pollfd pfd;
	int status, held = 0, efd = cgroup_oom_watch(dir);
	pid_t pid;

	if (efd == -1) {
		fprintf(stderr, "no OOM event here (cgroup v2 or no eventfd): the hold is not checked\n");
		return;
	}
	CHECK(cgroup_oom_hold(dir) == 0);
	close(efd);
	/* The supervisor's way: watched and held through one open of memory.oom_control. */
	efd = cgroup_oom_watch_hold(dir, &held);
	CHECK(efd != -1 && held == 1);
	CHECK(cgroup_ooms(dir, &before) == 0);
	pid = hog(b, run);
	pfd.fd = efd;
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, EVENT_WAIT_MS) == 1);
	CHECK(waitpid(pid, &status, WNOHANG) == 0);   /* held, not killed */
	/* A held task retries its fault now and then, out of the OOM for a moment: look a few times. */
	for (int i = 0; i < EVENT_WAIT_MS / HOLD_LOOK_MS && after <= before; i++) {
		struct timespec nap = { 0, HOLD_LOOK_MS * 1000000L };
		CHECK(cgroup_ooms(dir, &after) == 0);
		if (after <= before)
			nanosleep(&nap, NULL);
	}
	CHECK(after > before);
	CHECK(cgroup_signal_all(dir, SIGKILL) == 1);
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
	close(efd);
}

static void
task_pids(const char *dir)
{
	char procs[CGROUP_PATH_MAX];
	const char *what = NULL;
	uint64_t refused = 0;
	int fds[2], status;
	long held;
	pid_t pid;
	char c;

	CHECK(cgroup_set_pids(dir, TASK_PIDS, &what) == 0);
	CHECK(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		int failed = 0;
		cgroup_procs_path(dir, procs, sizeof(procs));
		if (cgroup_join(procs) == -1)
			_exit(2);
		/* More children than the limit allows: the last forks are refused. */
		for (int i = 0; i < 2 * TASK_PIDS; i++) {
			pid_t k = fork();
			if (k == 0) {
				pause();
				_exit(0);
			}
			failed += k == -1 && errno == EAGAIN;
		}
		if (write(fds[1], failed ? "y" : "n", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	CHECK(read(fds[0], &c, 1) == 1 && c == 'y');
	close(fds[0]);
	CHECK(cgroup_pids_refused(dir, &refused) == 0 && refused >= 1);
	/*
	 * pids.max counts threads: a process with more than one (qemu-user's
	 * emulated processes have several) leaves room for fewer processes.
	 */
	held = cgroup_count(dir);
	CHECK(held >= 1 && held <= TASK_PIDS);
	CHECK(cgroup_signal_all(dir, SIGKILL) == held);
	CHECK(waitpid(pid, &status, 0) == pid);
	/* The grandchildren were init's to reap: they leave the cgroup as they die. */
	for (int i = 0; i < 100 && cgroup_count(dir) > 0; i++) {
		struct timespec nap = { 0, 10 * 1000 * 1000 };
		nanosleep(&nap, NULL);
	}
	CHECK(cgroup_count(dir) == 0);
}

static void
tasks(void)
{
	struct cgroup_base b;
	char why[WHY_MAX], run[64];
	unsigned usable = cgroup_base_find("mesos-test", CGROUP_ALL, &b, why, sizeof(why));
	const char *what = NULL;
	char *dir;

	if (!(usable & CGROUP_BIT(CGROUP_MEMORY)) || !(usable & CGROUP_BIT(CGROUP_PIDS))) {
		fprintf(stderr, "cgroups not usable here, their checks skipped: %s\n", why);
		cgroup_base_free(&b);
		return;
	}
	snprintf(run, sizeof(run), "test-%ld", (long)getpid());
	for (int c = 0; c < CGROUP_CTRLS; c++) {
		if (b.dir[c] == NULL)
			continue;
		dir = xstrfmt("%s/%s", b.dir[c], run);
		CHECK(cgroup_make(dir) == 0);
		CHECK(cgroup_make(dir) == 0);   /* one that exists is fine */
		CHECK(cgroup_version(dir) == b.version[c]);
		free(dir);
	}
	if (b.dir[CGROUP_CPU] != NULL) {
		dir = xstrfmt("%s/%s", b.dir[CGROUP_CPU], run);
		CHECK(cgroup_set_cpu(dir, 1500, 1, &what) == 0);
		free(dir);
	}
	dir = xstrfmt("%s/%s", b.dir[CGROUP_MEMORY], run);
	task_memory(&b, dir, run);
	task_memory_held(&b, dir, run);
	free(dir);
	dir = xstrfmt("%s/%s", b.dir[CGROUP_PIDS], run);
	task_pids(dir);
	free(dir);
	for (int c = 0; c < CGROUP_CTRLS; c++) {
		if (b.dir[c] == NULL)
			continue;
		dir = xstrfmt("%s/%s", b.dir[c], run);
		CHECK(cgroup_remove(dir) == 0);
		CHECK(cgroup_remove(dir) == 0);   /* one that is gone is fine */
		free(dir);
		/* The test's own base goes too, unless another run uses it. */
		(void)cgroup_remove(b.dir[c]);
	}
	cgroup_base_free(&b);
}

int
main(void)
{
	names();
	tasks();
	return CHECK_DONE();
}
