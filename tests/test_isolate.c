/* tests/test_isolate.c: --isolation's names, nice from cpus (1.5 against 0.5 cpus: 3x the weight), the memory verdict, users, the disk walk, sampling and killing a process tree. */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sup/isolate.h"
#include "proc.h"
#include "xmem.h"

#define ERR_MAX 256
#define MB (1024ull * 1024ull)
#define KB 1024u

static void
nice_values(void)
{
	CHECK(isolate_nice(2000, 2000) == 0);
	CHECK(isolate_nice(4000, 2000) == 0);
	/* Each step is 1.25x: a task with half the cpus is 3 steps down (1.25^3 = 1.95). */
	CHECK(isolate_nice(1000, 2000) == 3);
	CHECK(isolate_nice(100, 2000) == 13);
	/* cpus 1.5 and 0.5 of 2: five steps apart, 1.25^5 = 3.05 times the weight. */
	CHECK(isolate_nice(500, 2000) - isolate_nice(1500, 2000) == 5);
	CHECK(isolate_nice(1, 2000) == ISOLATE_NICE_MAX);
	CHECK(isolate_nice(0, 2000) == ISOLATE_NICE_MAX);
}

static void
isolation_names(void)
{
	char err[ERR_MAX], name[ISOLATE_ISOLATION_MAX];
	unsigned cg = 99;

	CHECK(isolate_isolation_parse("posix/cpu,posix/mem", &cg, err, sizeof(err)) == 0 && cg == 0);
	CHECK(isolate_isolation_parse("cgroups/cpu,cgroups/mem,cgroups/pids", &cg, err, sizeof(err)) == 0 &&
	      cg == CGROUP_ALL);
	/* Mixed, one per resource; the disk is always measured, its names taken. */
	CHECK(isolate_isolation_parse("posix/cpu,cgroups/mem,posix/disk,disk/du", &cg, err, sizeof(err)) == 0 &&
	      cg == CGROUP_BIT(CGROUP_MEMORY));
	CHECK(isolate_isolation_parse("", &cg, err, sizeof(err)) == 0 && cg == 0);
	CHECK(isolate_isolation_parse("posix/cpu,bogus/x", &cg, err, sizeof(err)) == -1);
	CHECK(strstr(err, "unknown isolator 'bogus/x'") != NULL);
	CHECK(isolate_isolation_parse("posix/mem,cgroups/mem", &cg, err, sizeof(err)) == -1);
	CHECK(strstr(err, "names memory a second time") != NULL);
	CHECK(isolate_isolation_parse("posix/cpu,", &cg, err, sizeof(err)) == 0);
	isolate_isolation_name(0, name, sizeof(name));
	CHECK_STR(name, "posix/cpu,posix/mem");
	isolate_isolation_name(CGROUP_ALL, name, sizeof(name));
	CHECK_STR(name, "cgroups/cpu,cgroups/mem,cgroups/pids");
	isolate_isolation_name(CGROUP_BIT(CGROUP_PIDS), name, sizeof(name));
	CHECK_STR(name, "posix/cpu,posix/mem,cgroups/pids");
	CHECK(isolate_touch_rate() >= 1);
}

static void
memory_verdict(void)
{
	CHECK(!isolate_memory_hit(0, 100 * MB, 100 * MB));
	CHECK(isolate_memory_hit(32 * MB, 20 * MB, 0));
	CHECK(!isolate_memory_hit(32 * MB, 2 * MB, 10 * MB));
	CHECK(isolate_memory_hit(32 * MB, 2 * MB, 31 * MB));
}

static void
users(void)
{
	struct isolate_user u;
	char err[ERR_MAX];

	CHECK(isolate_user_resolve("anyone", 0, 0, &u, err, sizeof(err)) == 0 && !u.do_switch);
	CHECK(isolate_user_resolve("no-such-user-x9", 1, 0, &u, err, sizeof(err)) == -1);
	CHECK(strstr(err, "does not exist") != NULL);
	CHECK(isolate_user_resolve("root", 1, 0, &u, err, sizeof(err)) == -1);
	CHECK(strstr(err, "--allow_root_tasks") != NULL);
	CHECK(isolate_user_resolve("root", 1, 1, &u, err, sizeof(err)) == 0);
	CHECK(u.do_switch && u.uid == 0);
	CHECK(isolate_user_resolve("", 1, 1, &u, err, sizeof(err)) == -1);
}

static void
write_file(const char *path, size_t bytes)
{
	char block[KB];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	int ok = fd != -1;

	memset(block, 'x', sizeof(block));
	for (size_t i = 0; ok && i < bytes / sizeof(block); i++)
		ok = write(fd, block, sizeof(block)) == (ssize_t)sizeof(block);
	CHECK(ok);
	close(fd);
}

static void
disk_walk(void)
{
	char dir[] = "/tmp/test_isolate.XXXXXX";
	struct isolate_du *d;
	uint64_t bytes = 0;
	char *p;
	int steps = 0, done = 0;

	if (mkdtemp(dir) == NULL)
		return;
	p = xstrfmt("%s/a", dir);
	write_file(p, 256 * KB);
	free(p);
	p = xstrfmt("%s/sub", dir);
	mkdir(p, 0755);
	free(p);
	p = xstrfmt("%s/sub/b", dir);
	write_file(p, 512 * KB);
	free(p);
	p = xstrfmt("%s/link", dir);
	CHECK(symlink("/usr", p) == 0);   /* not followed */
	free(p);
	d = isolate_du_new(dir);
	while (!done && steps < 100) {
		done = isolate_du_step(d, 1, &bytes);   /* one entry at a time */
		steps++;
	}
	isolate_du_free(d);
	CHECK(done);
	CHECK(steps > 3);
	CHECK(bytes >= 768 * KB && bytes < 2 * MB);
	d = isolate_du_new("/no/such/dir");
	CHECK(isolate_du_step(d, 10, &bytes) == 1 && bytes == 0);
	isolate_du_free(d);
	p = xstrfmt("rm -rf %s", dir);
	CHECK(system(p) == 0);
	free(p);
}

static void
tree(void)
{
	struct isolate_mem m;
	int fds[2];
	char c;
	pid_t child;
	int status;
	size_t sent;
	int sub = proc_become_subreaper() == 0;
	struct timespec nap = { 0, 20 * 1000 * 1000 };

	/* A child in its own session with a grandchild that leaves the group. */
	CHECK(pipe(fds) == 0);
	child = fork();
	if (child == 0) {
		setsid();
		if (fork() == 0) {
			setpgid(0, 0);
			close(fds[0]);
			if (write(fds[1], "x", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	close(fds[1]);
	CHECK(read(fds[0], &c, 1) == 1);
	close(fds[0]);
	CHECK(isolate_sample(getpid(), sub, child, &m) == 0);
	CHECK(m.nprocs == 2);
	CHECK(m.rss_bytes > 0);
	sent = isolate_signal_all(getpid(), sub, child, SIGKILL);
	CHECK(sent >= 1);   /* the grandchild in its own group was reached too */
	CHECK(waitpid(child, &status, 0) == child);
	/*
	 * The grandchild was ours to reap (subreaper) or init's: either way it
	 * goes. One scan can miss a process whose parent is exiting (the kernel
	 * hands it to us between two reads of /proc), so, as the supervisor's
	 * sweep does, kill again until nothing is left.
	 */
	for (int i = 0; i < 100; i++) {
		while (waitpid(-1, &status, WNOHANG) > 0)
			continue;
		if (isolate_sample(getpid(), sub, child, &m) == 0 && m.nprocs == 0)
			break;
		(void)isolate_signal_all(getpid(), sub, child, SIGKILL);
		nanosleep(&nap, NULL);
	}
	CHECK(m.nprocs == 0);
}

int
main(void)
{
	isolation_names();
	nice_values();
	memory_verdict();
	if (geteuid() == 0)
		users();
	disk_walk();
	tree();
	return CHECK_DONE();
}
