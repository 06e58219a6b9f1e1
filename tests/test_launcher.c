/* tests/test_launcher.c: unit tests of launcher.c: sandboxes, path checks, environments, processes. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "launcher.h"
#include "res.h"
#include "xmem.h"

#define ERR_MAX 256
#define WAIT_STEP_NS 10000000L       /* 10 ms between polls */
#define WAIT_STEPS 1000              /* 10 s in all */
#define SPARE_FD 9                   /* a descriptor number sh can name */

static char root[] = "/tmp/test_launcher.XXXXXX";

static void
nap(void)
{
	struct timespec ts = { 0, WAIT_STEP_NS };

	nanosleep(&ts, NULL);
}

/* Reap pid, polling; 0 with *status set, -1 on timeout. */
static int
wait_pid(pid_t pid, int *status)
{
	for (int i = 0; i < WAIT_STEPS; i++) {
		pid_t got;
		while (launcher_reap(&got, status))
			if (got == pid)
				return 0;
		nap();
	}
	return -1;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = xcalloc(1, 4096);

	if (f != NULL) {
		size_t n = fread(s, 1, 4095, f);
		s[n] = '\0';
		fclose(f);
	}
	return s;
}

static void
test_mkdirs(void)
{
	char err[ERR_MAX];
	char *p = xstrfmt("%s/a/b//c/", root);
	char *file = xstrfmt("%s/file", root);
	char *under = xstrfmt("%s/file/x", root);
	struct stat st;
	FILE *f;

	CHECK(launcher_mkdirs(p, err, sizeof(err)) == 0);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(launcher_mkdirs(p, err, sizeof(err)) == 0);
	f = fopen(file, "w");
	if (f != NULL)
		fclose(f);
	CHECK(launcher_mkdirs(under, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a directory") != NULL);
	CHECK(launcher_mkdirs("", err, sizeof(err)) == -1);
	free(p);
	free(file);
	free(under);
}

static void
test_sandbox(void)
{
	char err[ERR_MAX];
	char link[LAUNCHER_RUN_ID_LEN + 1];
	char *work = xstrfmt("%s/work", root);
	char *sb1 = launcher_sandbox_create(work, "A-S0", "F-0000", "t1", err, sizeof(err));
	char *sb2 = launcher_sandbox_create(work, "A-S0", "F-0000", "t1", err, sizeof(err));
	char *prefix = xstrfmt("%s/slaves/A-S0/frameworks/F-0000/executors/t1/runs/", work);
	char *latest = xstrfmt("%slatest", prefix);
	ssize_t n;

	CHECK(sb1 != NULL && sb2 != NULL);
	if (sb1 == NULL || sb2 == NULL)
		goto out;
	CHECK(strncmp(sb1, prefix, strlen(prefix)) == 0);
	CHECK(strlen(sb1) == strlen(prefix) + LAUNCHER_RUN_ID_LEN);
	CHECK(strcmp(sb1, sb2) != 0);
	n = readlink(latest, link, sizeof(link) - 1);
	CHECK(n == LAUNCHER_RUN_ID_LEN);
	if (n > 0) {
		link[n] = '\0';
		CHECK_STR(link, sb2 + strlen(prefix));
	}
out:
	free(sb1);
	free(sb2);
	free(prefix);
	free(latest);
	free(work);
}

static void
test_resolve_and_read(void)
{
	char err[ERR_MAX];
	char *sb = xstrfmt("%s/sb", root);
	char *out = xstrfmt("%s/stdout", sb);
	char *inner = xstrfmt("%s/sub", sb);
	char *link_in = xstrfmt("%s/in", sb);
	char *link_out = xstrfmt("%s/out", sb);
	char *fifo = xstrfmt("%s/fifo", sb);
	struct launcher_chunk c;
	char *r;
	FILE *f;

	launcher_mkdirs(inner, err, sizeof(err));
	f = fopen(out, "w");
	if (f != NULL) {
		fputs("hello world\n", f);
		fclose(f);
	}
	CHECK(symlink("stdout", link_in) == 0);
	CHECK(symlink("/etc", link_out) == 0);
	CHECK(mkfifo(fifo, LAUNCHER_FILE_MODE) == 0);

	r = launcher_sandbox_resolve(sb, "stdout", err, sizeof(err));
	CHECK(r != NULL && strcmp(r + strlen(r) - strlen("/sb/stdout"), "/sb/stdout") == 0);
	free(r);
	r = launcher_sandbox_resolve(sb, "in", err, sizeof(err));
	CHECK(r != NULL && strcmp(r + strlen(r) - strlen("/sb/stdout"), "/sb/stdout") == 0);
	free(r);
	r = launcher_sandbox_resolve(sb, "sub/./../stdout", err, sizeof(err));
	CHECK(r == NULL);
	CHECK_STR(err, "path outside the sandbox");
	CHECK(launcher_sandbox_resolve(sb, "/etc/passwd", err, sizeof(err)) == NULL);
	CHECK_STR(err, "path outside the sandbox");
	CHECK(launcher_sandbox_resolve(sb, "../sb/stdout", err, sizeof(err)) == NULL);
	CHECK_STR(err, "path outside the sandbox");
	CHECK(launcher_sandbox_resolve(sb, "out/passwd", err, sizeof(err)) == NULL);
	CHECK_STR(err, "path outside the sandbox");
	CHECK(launcher_sandbox_resolve(sb, "nothing", err, sizeof(err)) == NULL);
	CHECK_STR(err, "no such file 'nothing'");
	CHECK(launcher_sandbox_resolve(sb, "", err, sizeof(err)) == NULL);

	CHECK(launcher_sandbox_read(sb, "stdout", 0, 5, &c, err, sizeof(err)) == 0);
	CHECK(c.len == 5 && c.size == 12 && memcmp(c.data, "hello", 5) == 0);
	free(c.data);
	CHECK(launcher_sandbox_read(sb, "stdout", 6, 100, &c, err, sizeof(err)) == 0);
	CHECK(c.len == 6 && memcmp(c.data, "world\n", 6) == 0);
	free(c.data);
	CHECK(launcher_sandbox_read(sb, "stdout", 50, 100, &c, err, sizeof(err)) == 0);
	CHECK(c.len == 0 && c.data == NULL && c.size == 12);
	CHECK(launcher_sandbox_read(sb, "fifo", 0, 100, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a regular file") != NULL);
	CHECK(launcher_sandbox_read(sb, "sub", 0, 100, &c, err, sizeof(err)) == -1);
	CHECK(launcher_sandbox_read(sb, "out/passwd", 0, 100, &c, err, sizeof(err)) == -1);

	free(sb);
	free(out);
	free(inner);
	free(link_in);
	free(link_out);
	free(fifo);
}

static void
test_env(void)
{
	char err[ERR_MAX];
	struct launcher_env e;
	struct res r;
	int found_marker = 0;

	launcher_env_init(&e, 0);
	CHECK(e.n == 0);
	launcher_env_set(&e, "A", "1");
	launcher_env_set(&e, "AB", "2");
	launcher_env_set(&e, "A", "3");
	CHECK(e.n == 2);
	CHECK_STR(launcher_env_get(&e, "A"), "3");
	CHECK_STR(launcher_env_get(&e, "AB"), "2");
	CHECK(launcher_env_get(&e, "B") == NULL);
	CHECK(launcher_env_put(&e, "X=a=b", 5, err, sizeof(err)) == 0);
	CHECK_STR(launcher_env_get(&e, "X"), "a=b");
	CHECK(launcher_env_put(&e, "noequals", 8, err, sizeof(err)) == -1);
	CHECK(launcher_env_put(&e, "=x", 2, err, sizeof(err)) == -1);
	CHECK(launcher_env_put(&e, "Y=a\0b", 5, err, sizeof(err)) == -1);
	CHECK(e.vars[e.n] == NULL);

	res_init(&r);
	CHECK(res_parse(&r, "cpus:1;mem:32;ports:[31000-31002,31005-31005]", err, sizeof(err)) == 0);
	launcher_env_ports(&e, &r, 16);
	CHECK_STR(launcher_env_get(&e, "PORT0"), "31000");
	CHECK_STR(launcher_env_get(&e, "PORT3"), "31005");
	CHECK_STR(launcher_env_get(&e, "PORT"), "31000");
	CHECK_STR(launcher_env_get(&e, "PORTS"), "31000,31001,31002,31005");
	CHECK(launcher_mem_bytes(&r) == 32ull * 1024 * 1024);
	launcher_env_free(&e);

	launcher_env_init(&e, 0);
	launcher_env_ports(&e, &r, 2);
	CHECK_STR(launcher_env_get(&e, "PORTS"), "31000,31001");
	CHECK(launcher_env_get(&e, "PORT2") == NULL);
	launcher_env_free(&e);
	res_free(&r);

	res_init(&r);
	CHECK(launcher_mem_bytes(&r) == 0);
	CHECK(res_parse(&r, "mem:0.5", err, sizeof(err)) == 0);
	CHECK(launcher_mem_bytes(&r) == 512ull * 1024);
	res_free(&r);

	setenv("MESOS_TEST_LAUNCHER", "1", 1);
	setenv("TEST_LAUNCHER_KEEP", "1", 1);
	launcher_env_init(&e, 1);
	CHECK(launcher_env_get(&e, "MESOS_TEST_LAUNCHER") == NULL);
	CHECK_STR(launcher_env_get(&e, "TEST_LAUNCHER_KEEP"), "1");
	for (size_t i = 0; i < e.n; i++)
		found_marker |= strncmp(e.vars[i], "MESOS_", strlen("MESOS_")) == 0;
	CHECK(!found_marker);
	launcher_env_free(&e);
}

static pid_t
start(const char *sb, const char *command, struct launcher_env *e, uint64_t mem, char *err)
{
	struct launcher_spec spec;

	spec.command = command;
	spec.sandbox = sb;
	spec.env = e->vars;
	spec.mem_bytes = mem;
	return launcher_start(&spec, err, ERR_MAX);
}

static void
test_processes(void)
{
	char err[ERR_MAX], desc[ERR_MAX];
	char *sb = xstrfmt("%s/run", root);
	char *out = xstrfmt("%s/stdout", sb);
	char *errf = xstrfmt("%s/stderr", sb);
	char *childf = xstrfmt("%s/child", sb);
	struct launcher_env e;
	int status = 0, fd;
	pid_t pid, child = 0;
	char *text;

	launcher_mkdirs(sb, err, sizeof(err));
	launcher_env_init(&e, 0);
	launcher_env_set(&e, "GREETING", "hi there");
	launcher_env_set(&e, "PATH", "/bin:/usr/bin");

	/* A descriptor of ours without close-on-exec must not reach the task. */
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd >= 0 && dup2(fd, SPARE_FD) == SPARE_FD);

	pid = start(sb, "echo \"$GREETING\"; pwd; ulimit -c; ulimit -v; "
	    "if true >&9; then echo fd-open; else echo fd-closed; fi 2>/dev/null; "
	    "echo oops >&2; exit 3", &e, 64ull * 1024 * 1024, err);
	CHECK(pid > 0);
	CHECK(pid > 0 && wait_pid(pid, &status) == 0);
	launcher_describe_exit(status, desc, sizeof(desc));
	CHECK_STR(desc, "exited with status 3");
	CHECK(!launcher_exit_ok(status));
	text = slurp(out);
	CHECK(strstr(text, "hi there\n") != NULL);
	CHECK(strstr(text, "/run\n") != NULL);
	CHECK(strstr(text, "\n0\n65536\n") != NULL);
	CHECK(strstr(text, "fd-closed") != NULL);
	free(text);
	text = slurp(errf);
	CHECK_STR(text, "oops\n");
	free(text);
	close(fd);
	close(SPARE_FD);

	pid = start(sb, "true", &e, 0, err);
	CHECK(pid > 0 && wait_pid(pid, &status) == 0);
	CHECK(launcher_exit_ok(status));
	launcher_describe_exit(status, desc, sizeof(desc));
	CHECK_STR(desc, "exited with status 0");

	/* Kill reaches the whole group: the shell and its background child. */
	pid = start(sb, "sleep 30 & echo $! > child; wait", &e, 0, err);
	CHECK(pid > 0);
	for (int i = 0; i < WAIT_STEPS; i++) {
		text = slurp(childf);
		child = (pid_t)atol(text);
		free(text);
		if (child > 0)
			break;
		nap();
	}
	CHECK(child > 0);
	CHECK(launcher_kill(pid, SIGTERM) == 0);
	CHECK(wait_pid(pid, &status) == 0);
	launcher_describe_exit(status, desc, sizeof(desc));
	CHECK_STR(desc, "killed by signal 15 (SIGTERM)");
	launcher_sweep(pid);
	if (child > 0) {
		int gone = 0;
		for (int i = 0; i < WAIT_STEPS && !gone; i++) {
			gone = kill(child, 0) == -1 && errno == ESRCH;
			if (!gone)
				nap();
		}
		CHECK(gone);
	}
	CHECK(launcher_kill(pid, SIGTERM) == -1);

	/* Nothing can be started where the stdout file cannot be made. */
	free(sb);
	sb = xstrfmt("%s/no/such/dir", root);
	CHECK(start(sb, "true", &e, 0, err) == -1);
	CHECK(strstr(err, "cannot open") != NULL);

	launcher_env_free(&e);
	free(sb);
	free(out);
	free(errf);
	free(childf);
}

int
main(void)
{
	char *cmd;

	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_mkdirs();
	test_sandbox();
	test_resolve_and_read();
	test_env();
	test_processes();
	cmd = xstrfmt("rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	free(cmd);
	return CHECK_DONE();
}
