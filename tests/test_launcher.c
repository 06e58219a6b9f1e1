/* tests/test_launcher.c: unit tests of launcher.c: sandboxes, path checks, listings, environments, spawning, sockets. */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "compat.h"
#include "proc.h"
#include "sup/launcher.h"
#include "res.h"
#include "xmem.h"

#define ERR_MAX 256
#define WAIT_STEPS 1000              /* 10 s in all */
#define RACE_READS 2000              /* reads through a directory swapped for a link */

static char root[] = "/tmp/test_launcher.XXXXXX";

static void
test_mkdirs(void)
{
	char err[ERR_MAX];
	char *p = xstrfmt("%s/a/b//c/", root);
	char *file = xstrfmt("%s/file", root);
	char *under = xstrfmt("%s/file/x", root);
	struct stat st;
	FILE *f;

	CHECK(compat_mkdirs(p, LAUNCHER_DIR_MODE, err, sizeof(err)) == 0);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(compat_mkdirs(p, LAUNCHER_DIR_MODE, err, sizeof(err)) == 0);
	f = fopen(file, "w");
	if (f != NULL)
		fclose(f);
	CHECK(compat_mkdirs(under, LAUNCHER_DIR_MODE, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a directory") != NULL);
	CHECK(compat_mkdirs("", LAUNCHER_DIR_MODE, err, sizeof(err)) == -1);
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

/* Whether path opens inside sb, by both ways, to a file that starts with want. */
static int
opens_to(const char *sb, const char *path, const char *want)
{
	char err[ERR_MAX], got[ERR_MAX];
	int ok = 1, root_fd = open(sb, O_RDONLY | O_DIRECTORY);

	for (int way = 0; way < 2; way++) {
		int fd = way == 0 ? launcher_sandbox_open(sb, path, O_RDONLY, err, sizeof(err)) :
		    launcher_sandbox_walk(root_fd, path, O_RDONLY);
		ssize_t n = fd == -1 ? -1 : read(fd, got, sizeof(got) - 1);

		if (n < 0 || strncmp(got, want, strlen(want)) != 0)
			ok = 0;
		if (fd != -1)
			close(fd);
	}
	close(root_fd);
	return ok;
}

/* Ways out the walk (the fallback where openat2 is missing) must refuse with EXDEV. */
static void
test_walk(const char *sb)
{
	int root_fd = open(sb, O_RDONLY | O_DIRECTORY);
	const char *outside[] = { "out/passwd", "sub/esc/sb/stdout", "out", "sub/esc" };

	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		errno = 0;
		CHECK(launcher_sandbox_walk(root_fd, outside[i], O_RDONLY) == -1 && errno == EXDEV);
	}
	errno = 0;
	CHECK(launcher_sandbox_walk(root_fd, "nothing", O_RDONLY) == -1 && errno == ENOENT);
	int fd = launcher_sandbox_walk(root_fd, ".", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	close(fd);
	fd = launcher_sandbox_walk(root_fd, "sub/../sub", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	close(fd);
	close(root_fd);
}

/*
 * The walk under attack: a child swaps sb/d for a link out and back as fast
 * as it can while we read d/secret through the walk: never the outside one.
 */
static void
test_walk_race(void)
{
	char *sb = xstrfmt("%s/race", root), *d = xstrfmt("%s/d", sb);
	char *parked = xstrfmt("%s/d.parked", sb), *link = xstrfmt("%s/d_link", sb);
	char *outside = xstrfmt("%s/outside", root);
	char *file, err[ERR_MAX], got[ERR_MAX];
	int inside = 0, escaped = 0, root_fd, status;
	FILE *f;
	pid_t pid;

	compat_mkdirs(d, LAUNCHER_DIR_MODE, err, sizeof(err));
	compat_mkdirs(outside, LAUNCHER_DIR_MODE, err, sizeof(err));
	file = xstrfmt("%s/secret", d);
	if ((f = fopen(file, "w")) != NULL) {
		fputs("inside", f);
		fclose(f);
	}
	free(file);
	file = xstrfmt("%s/secret", outside);
	if ((f = fopen(file, "w")) != NULL) {
		fputs("OUTSIDE", f);
		fclose(f);
	}
	free(file);
	CHECK(symlink(outside, link) == 0);
	root_fd = open(sb, O_RDONLY | O_DIRECTORY);
	pid = fork();
	if (pid == 0) {
		for (;;)
			if (rename(d, parked) != 0 || rename(link, d) != 0 || rename(d, link) != 0 ||
			    rename(parked, d) != 0)
				_exit(1);
	}
	for (int i = 0; i < RACE_READS; i++) {
		int fd = launcher_sandbox_walk(root_fd, "d/secret", O_RDONLY);
		ssize_t n = fd == -1 ? -1 : read(fd, got, sizeof(got) - 1);

		if (n > 0 && strncmp(got, "inside", strlen("inside")) == 0)
			inside++;
		else if (n > 0)
			escaped++;
		if (fd != -1)
			close(fd);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* Whether any read found it inside depends on the scheduler: only escapes count. */
	CHECK(escaped == 0);
	CHECK(inside <= RACE_READS);
	close(root_fd);
	free(sb);
	free(d);
	free(parked);
	free(link);
	free(outside);
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
	char *link_up = xstrfmt("%s/sub/up", sb);
	char *link_esc = xstrfmt("%s/sub/esc", sb);
	struct launcher_chunk c;
	FILE *f;

	compat_mkdirs(inner, LAUNCHER_DIR_MODE, err, sizeof(err));
	f = fopen(out, "w");
	if (f != NULL) {
		fputs("hello world\n", f);
		fclose(f);
	}
	CHECK(symlink("stdout", link_in) == 0);
	CHECK(symlink("/etc", link_out) == 0);
	CHECK(symlink("../stdout", link_up) == 0);
	CHECK(symlink("../..", link_esc) == 0);
	CHECK(mkfifo(fifo, LAUNCHER_FILE_MODE) == 0);

	CHECK(opens_to(sb, "stdout", "hello"));
	CHECK(opens_to(sb, "in", "hello"));
	CHECK(opens_to(sb, "sub/up", "hello"));
	CHECK(launcher_sandbox_open(sb, "sub/./../stdout", O_RDONLY, err, sizeof(err)) == -1);
	CHECK_STR(err, "path outside the sandbox");
	CHECK(launcher_sandbox_open(sb, "/etc/passwd", O_RDONLY, err, sizeof(err)) == -1);
	CHECK_STR(err, "path outside the sandbox");
	CHECK(launcher_sandbox_open(sb, "../sb/stdout", O_RDONLY, err, sizeof(err)) == -1);
	CHECK_STR(err, "path outside the sandbox");
	CHECK(launcher_sandbox_open(sb, "out/passwd", O_RDONLY, err, sizeof(err)) == -1);
	CHECK_STR(err, "path outside the sandbox");
	CHECK(launcher_sandbox_open(sb, "sub/esc/sb/stdout", O_RDONLY, err, sizeof(err)) == -1);
	CHECK_STR(err, "path outside the sandbox");
	CHECK(launcher_sandbox_open(sb, "nothing", O_RDONLY, err, sizeof(err)) == -1);
	CHECK_STR(err, "no such file 'nothing'");
	CHECK(launcher_sandbox_open(sb, "", O_RDONLY, err, sizeof(err)) == -1);
	test_walk(sb);

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
	free(link_up);
	free(link_esc);
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

static void
test_spawn(void)
{
	char err[ERR_MAX], desc[ERR_MAX], buf[64];
	char *script = xstrfmt("%s/script", root);
	FILE *f = fopen(script, "w");
	int sv[2], status = 0;
	ssize_t n;
	pid_t pid;

	/* The child finds its link on descriptor 3, stdin on /dev/null, and its argument. */
	fprintf(f, "echo \"hello $0\" >&3; read x || echo stdin-empty >&3; exit 4\n");
	fclose(f);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	pid = launcher_spawn("/bin/sh", script, sv[1], err, sizeof(err));
	close(sv[1]);
	CHECK(pid > 0);
	n = 0;
	for (int i = 0; i < WAIT_STEPS && n < (ssize_t)sizeof(buf) - 1; i++) {
		ssize_t r = read(sv[0], buf + n, sizeof(buf) - 1 - (size_t)n);
		if (r <= 0)
			break;
		n += r;
	}
	buf[n > 0 ? n : 0] = '\0';
	CHECK(strstr(buf, "hello /bin/sh") != NULL || strstr(buf, "hello sh") != NULL ||
	      strstr(buf, "hello ") != NULL);
	CHECK(strstr(buf, "stdin-empty") != NULL);
	CHECK(waitpid(pid, &status, 0) == pid);
	proc_describe_exit(status, desc, sizeof(desc));
	CHECK_STR(desc, "exited with status 4");
	CHECK(!proc_exit_ok(status));
	close(sv[0]);
	CHECK(launcher_spawn("/no/such/program", "x", 0, err, sizeof(err)) == -1 ||
	      (waitpid(-1, &status, 0) > 0 && WEXITSTATUS(status) == 127));
	free(script);
}

static void
test_disk_and_list(void)
{
	char err[ERR_MAX];
	struct res r;
	struct buf out;
	size_t next;
	int eof;
	char *sb = xstrfmt("%s/listed", root), *p;
	FILE *f;

	res_init(&r);
	CHECK(res_parse(&r, "cpus:1;disk:10.5", err, sizeof(err)) == 0);
	CHECK(launcher_disk_bytes(&r) == 10ull * 1024 * 1024 + 512 * 1024);
	res_free(&r);
	res_init(&r);
	CHECK(launcher_disk_bytes(&r) == 0);
	res_free(&r);

	compat_mkdirs(sb, LAUNCHER_DIR_MODE, err, sizeof(err));
	p = xstrfmt("%s/sub", sb);
	compat_mkdirs(p, LAUNCHER_DIR_MODE, err, sizeof(err));
	free(p);
	p = xstrfmt("%s/b.txt", sb);
	f = fopen(p, "w");
	fputs("12345", f);
	fclose(f);
	free(p);
	p = xstrfmt("%s/a\nnewline", sb);
	f = fopen(p, "w");
	fclose(f);
	free(p);
	buf_init(&out, 0);
	CHECK(launcher_sandbox_list(sb, ".", 0, 4096, &out, &next, &eof, err, sizeof(err)) == 0);
	CHECK(eof && next == 3);
	CHECK(out.data != NULL && strncmp(out.data, "f 0 ", 4) == 0);
	CHECK(out.data != NULL && strstr(out.data, " a?newline\n") != NULL);
	CHECK(out.data != NULL && strstr(out.data, "f 5 ") != NULL && strstr(out.data, " b.txt\n"));
	CHECK(out.data != NULL && strstr(out.data, "\nd ") != NULL && strstr(out.data, " sub\n"));
	/* Paged: one entry at a time when the budget is tiny. */
	buf_reset(&out);
	CHECK(launcher_sandbox_list(sb, "", 1, 1, &out, &next, &eof, err, sizeof(err)) == 0);
	CHECK(!eof && next == 2 && strstr(out.data, "b.txt") != NULL);
	buf_reset(&out);
	CHECK(launcher_sandbox_list(sb, "sub", 0, 4096, &out, &next, &eof, err, sizeof(err)) == 0);
	CHECK(eof && next == 0 && out.len == 0);
	CHECK(launcher_sandbox_list(sb, "..", 0, 4096, &out, &next, &eof, err, sizeof(err)) == -1);
	CHECK(strstr(err, "outside the sandbox") != NULL);
	CHECK(launcher_sandbox_list(sb, "b.txt", 0, 4096, &out, &next, &eof, err, sizeof(err)) == -1);
	buf_free(&out);
	free(sb);
}

static void
test_unix_socket(void)
{
	char err[ERR_MAX], cwd[4096], after[4096];
	char *deep = xstrfmt("%s/%s/%s", root,
	    "a-directory-name-long-enough-to-matter-0123456789012345678901234567890123456789",
	    "and-another-one-to-pass-the-sun-path-limit-0123456789012345678901234567890123456789");
	struct sockaddr_un sa;
	int lfd, fd, cwd_fd, e;

	CHECK(strlen(deep) > sizeof(sa.sun_path));
	compat_mkdirs(deep, LAUNCHER_DIR_MODE, err, sizeof(err));
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	cwd_fd = open(".", O_RDONLY);
	/* Listen there the way the supervisor does: a relative name from inside. */
	CHECK(chdir(deep) == 0);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, "sock");
	CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 1) == 0);
	CHECK(fchdir(cwd_fd) == 0);
	fd = launcher_connect_unix(deep, "sock", cwd_fd, err, sizeof(err));
	CHECK(fd >= 0);
	CHECK(getcwd(after, sizeof(after)) != NULL && strcmp(cwd, after) == 0);
	if (fd >= 0) {
		int c = accept(lfd, NULL, NULL);
		CHECK(c >= 0);
		CHECK(write(fd, "x", 1) == 1);
		close(c);
		close(fd);
	}
	close(lfd);
	fd = launcher_connect_unix(deep, "nobody", cwd_fd, err, sizeof(err));
	e = errno;
	CHECK(fd == -1 && e == ENOENT);
	CHECK(getcwd(after, sizeof(after)) != NULL && strcmp(cwd, after) == 0);
	close(cwd_fd);
	free(deep);
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
	test_walk_race();
	test_env();
	test_spawn();
	test_disk_and_list();
	test_unix_socket();
	cmd = xstrfmt("rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	free(cmd);
	return CHECK_DONE();
}
