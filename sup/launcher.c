/*
 * launcher.c: owns a task's place on disk and the start of its
 * supervisor: sandbox directories and their "latest" link, opening,
 * reading and listing sandbox files for peers without ever leaving the
 * sandbox (openat2 beneath it, or a walk of our own: no race gets out), the task's environment, its limits read from its resources,
 * posix_spawn of the supervisor and the connect that finds it again.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "id.h"
#include "launcher.h"
#include "res.h"
#include "xmem.h"

extern char **environ;

#define UUID_BYTES 16
#define UUID_VERSION_BYTE 6           /* RFC 4122: high nibble holds the version */
#define UUID_VERSION_KEEP 0x0f
#define UUID_VERSION_4 0x40           /* random */
#define UUID_VARIANT_BYTE 8           /* RFC 4122: top two bits hold the variant */
#define UUID_VARIANT_KEEP 0x3f
#define UUID_VARIANT_RFC4122 0x80
#define SPAWN_AGENT_FD 3              /* the supervisor's socket (sup.h: SUP_AGENT_FD) */
#define ENV_INITIAL_CAP 16
#define AGENT_ENV_PREFIX "MESOS_"     /* variables that configure agentd, not its tasks */
#define RESOLVE_LINK_MAX 4096         /* bytes in a symlink's text or a path component */
#define WALK_DEPTH_MAX 64             /* directories deep a sandbox path may go */
#define RESOLVE_SYMLINKS_MAX 40       /* links followed in one lookup, as Linux allows */
#define PATH_PREVIEW 64               /* bytes of a peer's path or env entry quoted in an error */
#define PORT_TEXT_MAX 32              /* "PORT" plus a decimal index, or a port number */
#define BYTES_PER_MB (1024ull * 1024ull)

static void
random_uuid(char out[LAUNCHER_RUN_ID_LEN + 1])
{
	unsigned char b[UUID_BYTES];

	/* Not a system call per sandbox: a keyed hash of a count (id.h). */
	id_unique_bytes(b, sizeof(b));
	/* RFC 4122 version 4 and variant bits, so the ID reads as the UUID Mesos would use. */
	b[UUID_VERSION_BYTE] = (unsigned char)((b[UUID_VERSION_BYTE] & UUID_VERSION_KEEP) | UUID_VERSION_4);
	b[UUID_VARIANT_BYTE] =
	    (unsigned char)((b[UUID_VARIANT_BYTE] & UUID_VARIANT_KEEP) | UUID_VARIANT_RFC4122);
	snprintf(out, LAUNCHER_RUN_ID_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	    b[14], b[15]);
}

/*
 * Most runs start a new executor, under an executors directory that is
 * there: its directory, then runs, each made with one mkdir. Only a
 * first framework's run walks the path from the leaf (compat_mkdirs, whose
 * first mkdir fails). A runs that exists but is no directory fails the
 * sandbox's own mkdir after this.
 */
static int
make_runs_dir(char *runs, char *err, size_t errlen)
{
	char *slash = strrchr(runs, '/');
	int parent_there;

	if (slash != NULL && slash != runs) {
		*slash = '\0';
		parent_there = mkdir(runs, LAUNCHER_DIR_MODE) == 0 || errno == EEXIST;
		*slash = '/';
		if (parent_there && (mkdir(runs, LAUNCHER_DIR_MODE) == 0 || errno == EEXIST))
			return 0;
	}
	return compat_mkdirs(runs, LAUNCHER_DIR_MODE, err, errlen);
}

char *
launcher_sandbox_create(const char *work_dir, const char *agent_id, const char *framework_id,
                        const char *executor_id, char *err, size_t errlen)
{
	char run_id[LAUNCHER_RUN_ID_LEN + 1];
	char *runs, *dir, *tmp_link, *latest;

	runs = xstrfmt("%s/slaves/%s/frameworks/%s/executors/%s/runs", work_dir, agent_id,
	    framework_id, executor_id);
	if (make_runs_dir(runs, err, errlen) == -1) {
		free(runs);
		return NULL;
	}
	random_uuid(run_id);
	dir = xstrfmt("%s/%s", runs, run_id);
	if (mkdir(dir, LAUNCHER_DIR_MODE) == -1) {
		snprintf(err, errlen, "cannot create sandbox '%s': %s", dir, strerror(errno));
		free(runs);
		free(dir);
		return NULL;
	}
	/* The first run links directly; later ones rename a new link over the old, never missing. */
	tmp_link = xstrfmt("%s/.%s.%s", runs, LAUNCHER_LATEST, run_id);
	latest = xstrfmt("%s/%s", runs, LAUNCHER_LATEST);
	if (symlink(run_id, latest) == -1 &&
	    (errno != EEXIST || symlink(run_id, tmp_link) == -1 || rename(tmp_link, latest) == -1)) {
		snprintf(err, errlen, "cannot link '%s': %s", latest, strerror(errno));
		unlink(tmp_link);
		free(tmp_link);
		free(latest);
		free(runs);
		free(dir);
		return NULL;
	}
	free(tmp_link);
	free(latest);
	free(runs);
	return dir;
}

static int
has_dotdot_component(const char *path)
{
	const char *p = path;

	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

/* The walk's state: the directories from the sandbox down, each held open. */
struct walk {
	int fds[WALK_DEPTH_MAX];
	size_t depth;              /* fds[0] is the sandbox, fds[depth] where we stand */
};

static void
walk_free(struct walk *w)
{
	for (size_t i = 0; i <= w->depth; i++)
		close(w->fds[i]);
}

/*
 * Where openat2 is missing: walk path from the sandbox's descriptor root one
 * component at a time, each opened with O_NOFOLLOW relative to the one
 * before, so the kernel never follows a link for us: a symlink met on the
 * way is read and its text walked under the same rules, ".." steps back
 * through the directories we hold, and anything that would climb above the
 * sandbox or start at "/" is EXDEV. A directory swapped for a link
 * meanwhile is met as that link and judged like any other. The file (or
 * directory) at the end is opened with flags; -1 with errno.
 */
int
launcher_sandbox_walk(int root, const char *path, int flags)
{
	char target[RESOLVE_LINK_MAX];
	struct walk w = { { -1 }, 0 };
	char *pending = xstrdup(path);
	const char *rest = pending;
	int links = 0, fd = -1, e = 0;

	if ((w.fds[0] = dup(root)) == -1) {
		free(pending);
		return -1;
	}
	for (;;) {
		const char *end;
		char name[RESOLVE_LINK_MAX];
		size_t n;
		int last, how;

		while (*rest == '/')
			rest++;
		if (*rest == '\0') {
			/* Nothing left ("." or a link to a directory above): where we stand is it. */
			if (!(flags & O_DIRECTORY))
				e = EISDIR;
			else if ((fd = dup(w.fds[w.depth])) == -1)
				e = errno;
			break;
		}
		end = strchr(rest, '/');
		n = end ? (size_t)(end - rest) : strlen(rest);
		if (n >= sizeof(name)) {
			e = ENAMETOOLONG;
			break;
		}
		memcpy(name, rest, n);
		name[n] = '\0';
		rest += n;
		while (*rest == '/')
			rest++;
		last = *rest == '\0';
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (w.depth == 0) {
				e = EXDEV;
				break;
			}
			close(w.fds[w.depth--]);
			continue;
		}
		how = last ? flags | O_NOFOLLOW : O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
		fd = openat(w.fds[w.depth], name, how | O_CLOEXEC);
		if (fd == -1) {
			struct stat st;
			ssize_t len;
			char *next;

			e = errno;
			/* Linux says ELOOP, some systems EMLINK or ENOTDIR (with O_DIRECTORY): look. */
			if (fstatat(w.fds[w.depth], name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
				e = errno;
				break;
			}
			len = -1;
			if (S_ISLNK(st.st_mode)) {
				len = readlinkat(w.fds[w.depth], name, target, sizeof(target) - 1);
				if (len < 0 && errno != EINVAL) {
					e = errno;
					break;
				}
			} else if (!S_ISDIR(st.st_mode) || (e != ELOOP && e != EMLINK)) {
				break;      /* a plain error: not a directory, no access, ... */
			}
			if (len < 0) {
				/* Swapped meanwhile (a link no more): that component again, counted as a link. */
				snprintf(target, sizeof(target), "%s", name);
				len = (ssize_t)strlen(target);
			}
			target[len] = '\0';
			if (++links > RESOLVE_SYMLINKS_MAX || (size_t)len >= sizeof(target) - 1) {
				e = links > RESOLVE_SYMLINKS_MAX ? ELOOP : ENAMETOOLONG;
				break;
			}
			if (target[0] == '/') {
				e = EXDEV;
				break;
			}
			next = xstrfmt("%s/%s", target, rest);
			free(pending);
			pending = next;
			rest = pending;
			continue;
		}
		if (last)
			break;
		if (w.depth + 1 >= WALK_DEPTH_MAX) {
			close(fd);
			fd = -1;
			e = ENAMETOOLONG;
			break;
		}
		w.fds[++w.depth] = fd;
		fd = -1;
	}
	walk_free(&w);
	free(pending);
	if (fd == -1)
		errno = e;
	return fd;
}

int
launcher_sandbox_open(const char *sandbox, const char *path, int flags, char *err, size_t errlen)
{
	int root, fd;

	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "empty path");
		return -1;
	}
	if (path[0] == '/' || has_dotdot_component(path)) {
		snprintf(err, errlen, "path outside the sandbox");
		return -1;
	}
	root = open(sandbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root == -1) {
		snprintf(err, errlen, "sandbox is gone: %s", strerror(errno));
		return -1;
	}
	fd = compat_openat_beneath(root, path, flags);
	/* No openat2 here, or a seccomp filter that refuses it: the walk does the same. */
	if (fd == -1 && (errno == ENOSYS || errno == EPERM))
		fd = launcher_sandbox_walk(root, path, flags);
	if (fd == -1) {
		int e = errno;

		if (e == EXDEV)
			snprintf(err, errlen, "path outside the sandbox");
		else if (e == ENOENT || e == ENOTDIR)
			snprintf(err, errlen, "no such file '%.*s'", PATH_PREVIEW, path);
		else
			snprintf(err, errlen, "cannot open '%.*s': %s", PATH_PREVIEW, path, strerror(e));
	}
	close(root);
	return fd;
}

int
launcher_sandbox_read(const char *sandbox, const char *path, uint64_t offset, size_t max,
                      struct launcher_chunk *out, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	out->data = NULL;
	out->len = 0;
	out->size = 0;
	/* O_NONBLOCK: a FIFO the task left there gets an error, not us stuck. */
	fd = launcher_sandbox_open(sandbox, path, O_RDONLY | O_NONBLOCK, err, errlen);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%.*s' is not a regular file", PATH_PREVIEW, path);
		close(fd);
		return -1;
	}
	out->size = (uint64_t)st.st_size;
	if (offset < out->size && max > 0) {
		size_t want = out->size - offset < max ? (size_t)(out->size - offset) : max;
		ssize_t got;

		out->data = xmalloc(want);
		got = pread(fd, out->data, want, (off_t)offset);
		if (got < 0) {
			snprintf(err, errlen, "cannot read '%.*s': %s", PATH_PREVIEW, path, strerror(errno));
			free(out->data);
			out->data = NULL;
			close(fd);
			return -1;
		}
		out->len = (size_t)got;
	}
	close(fd);
	return 0;
}

static void
env_append(struct launcher_env *e, char *entry)
{
	size_t namelen = strcspn(entry, "=");

	for (size_t i = 0; i < e->n; i++) {
		if (strncmp(e->vars[i], entry, namelen) == 0 && e->vars[i][namelen] == '=') {
			free(e->vars[i]);
			e->vars[i] = entry;
			return;
		}
	}
	if (e->n + 2 > e->cap) {
		e->cap = e->cap ? e->cap * 2 : ENV_INITIAL_CAP;
		e->vars = xreallocarray(e->vars, e->cap, sizeof(*e->vars));
	}
	e->vars[e->n++] = entry;
	e->vars[e->n] = NULL;
}

void
launcher_env_init(struct launcher_env *e, int inherit)
{
	e->vars = NULL;
	e->n = 0;
	e->cap = 0;
	if (!inherit || environ == NULL)
		return;
	for (char **v = environ; *v != NULL; v++) {
		if (strncmp(*v, AGENT_ENV_PREFIX, strlen(AGENT_ENV_PREFIX)) == 0 || strchr(*v, '=') == NULL)
			continue;
		env_append(e, xstrdup(*v));
	}
}

void
launcher_env_set(struct launcher_env *e, const char *name, const char *value)
{
	env_append(e, xstrfmt("%s=%s", name, value));
}

void
launcher_env_set_tmpdir(struct launcher_env *e, const char *sandbox)
{
	env_append(e, xstrfmt("TMPDIR=%s/%s", sandbox, LAUNCHER_TMP));
}

int
launcher_make_tmpdir(const char *sandbox, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	int dir = open(sandbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1, rc = -1;

	if (dir == -1 || (mkdirat(dir, LAUNCHER_TMP, LAUNCHER_TMP_MODE) == -1 && errno != EEXIST) ||
	    (fd = openat(dir, LAUNCHER_TMP, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fchmod(fd, LAUNCHER_TMP_MODE) == -1 ||
	    (uid != (uid_t)-1 && fchown(fd, uid, gid) == -1))
		snprintf(err, errlen, "cannot make the task's TMPDIR '%s/%s': %s", sandbox, LAUNCHER_TMP,
		    strerror(errno));
	else
		rc = 0;
	if (fd != -1)
		close(fd);
	if (dir != -1)
		close(dir);
	return rc;
}

int
launcher_env_put(struct launcher_env *e, const char *entry, size_t len, char *err, size_t errlen)
{
	const char *eq = memchr(entry, '=', len);

	if (eq == NULL || eq == entry) {
		snprintf(err, errlen, "bad env entry '%.*s': expected NAME=value",
		    (int)(len > PATH_PREVIEW ? PATH_PREVIEW : len), entry);
		return -1;
	}
	if (memchr(entry, '\0', len) != NULL) {
		snprintf(err, errlen, "bad env entry: it contains a NUL byte");
		return -1;
	}
	env_append(e, xstrndup(entry, len));
	return 0;
}

const char *
launcher_env_get(const struct launcher_env *e, const char *name)
{
	size_t namelen = strlen(name);

	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->vars[i], name, namelen) == 0 && e->vars[i][namelen] == '=')
			return e->vars[i] + namelen + 1;
	return NULL;
}

void
launcher_env_ports(struct launcher_env *e, const struct res *r, size_t max)
{
	char name[PORT_TEXT_MAX], val[PORT_TEXT_MAX];
	struct buf ports;
	size_t n = 0;

	buf_init(&ports, 0);
	for (size_t i = 0; i < r->n && n < max; i++) {
		const struct res_item *it = &r->items[i];
		if (it->type != RES_RANGES || strcmp(it->name, "ports") != 0)
			continue;
		for (size_t j = 0; j < it->nranges && n < max; j++) {
			for (uint64_t p = it->ranges[j].begin; n < max; p++) {
				snprintf(name, sizeof(name), "PORT%zu", n);
				snprintf(val, sizeof(val), "%llu", (unsigned long long)p);
				launcher_env_set(e, name, val);
				if (n == 0)
					launcher_env_set(e, "PORT", val);
				buf_printf(&ports, "%s%s", n ? "," : "", val);
				n++;
				if (p == it->ranges[j].end)
					break;   /* before p++ can wrap at UINT64_MAX */
			}
		}
	}
	if (n > 0)
		launcher_env_set(e, "PORTS", ports.data);
	buf_free(&ports);
}

uint64_t
launcher_mem_bytes(const struct res *r)
{
	int64_t mem = res_scalar(r, "mem");
	uint64_t whole, frac;

	if (mem <= 0)
		return 0;
	whole = (uint64_t)mem / RES_SCALAR_ONE;
	frac = (uint64_t)mem % RES_SCALAR_ONE;
	if (whole >= UINT64_MAX / BYTES_PER_MB)
		return 0;
	return whole * BYTES_PER_MB + frac * BYTES_PER_MB / RES_SCALAR_ONE;
}

void
launcher_env_free(struct launcher_env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->vars[i]);
	free(e->vars);
	e->vars = NULL;
	e->n = e->cap = 0;
}

uint64_t
launcher_disk_bytes(const struct res *r)
{
	int64_t disk = res_scalar(r, "disk");
	uint64_t whole;

	if (disk <= 0)
		return 0;
	whole = (uint64_t)disk / RES_SCALAR_ONE;
	if (whole >= UINT64_MAX / BYTES_PER_MB)
		return 0;
	return whole * BYTES_PER_MB + (uint64_t)disk % RES_SCALAR_ONE * BYTES_PER_MB / RES_SCALAR_ONE;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char
type_letter(mode_t m)
{
	if (S_ISDIR(m))
		return 'd';
	if (S_ISREG(m))
		return 'f';
	if (S_ISLNK(m))
		return 'l';
	return 'o';
}

int
launcher_sandbox_list(const char *sandbox, const char *path, size_t offset, size_t max,
                      struct buf *out, size_t *next, int *eof, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	DIR *d;
	struct dirent *de;
	int fd;

	*next = offset;
	*eof = 1;
	if (path == NULL || path[0] == '\0' || strcmp(path, ".") == 0)
		path = ".";
	fd = launcher_sandbox_open(sandbox, path, O_RDONLY | O_DIRECTORY, err, errlen);
	if (fd == -1)
		return -1;
	d = fdopendir(fd);
	if (d == NULL) {
		snprintf(err, errlen, "cannot list '%.*s': %s", PATH_PREVIEW, path, strerror(errno));
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL && n < LAUNCHER_LIST_ENTRIES_MAX) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : ENV_INITIAL_CAP;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (i = offset; i < n; i++) {
		struct stat st;
		size_t before = out->len;

		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			memset(&st, 0, sizeof(st));
		buf_printf(out, "%c %llu %lld ", type_letter(st.st_mode), (unsigned long long)st.st_size,
		    (long long)st.st_mtime);
		for (const char *p = names[i]; *p != '\0'; p++)
			buf_putc(out, *p == '\n' ? '?' : *p);
		buf_putc(out, '\n');
		if (out->len > max && i > offset) {
			out->len = before;
			out->data[before] = '\0';
			break;
		}
	}
	*next = i < n ? i : n;
	*eof = i >= n;
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

/* The agent catches or ignores these; the supervisor starts with them as the system has them. */
static const int spawn_default_signals[] = {
	SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM,
};

pid_t
launcher_spawn(const char *program, const char *arg, int sock, char *err, size_t errlen)
{
	const char *argv[] = { program, arg, NULL };

	return launcher_spawn_argv(program, argv, sock, err, errlen);
}

pid_t
launcher_spawn_argv(const char *program, const char *const *args, int sock, char *err, size_t errlen)
{
	char *argv[LAUNCHER_SPAWN_ARGS_MAX + 1];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t defaults, none;
	pid_t pid;
	int rc, fd = sock;

	for (size_t i = 0; i <= LAUNCHER_SPAWN_ARGS_MAX; i++) {
		argv[i] = (char *)args[i];   /* posix_spawn's argv is not const, as execve's */
		if (args[i] == NULL)
			break;
	}
	argv[LAUNCHER_SPAWN_ARGS_MAX] = NULL;
	/* dup2 onto itself would keep close-on-exec: move it out of the way first. */
	if (fd == SPAWN_AGENT_FD && (fd = fcntl(sock, F_DUPFD_CLOEXEC, SPAWN_AGENT_FD + 1)) == -1) {
		snprintf(err, errlen, "cannot move the supervisor's socket: %s", strerror(errno));
		return -1;
	}
	sigemptyset(&defaults);
	for (size_t i = 0; i < sizeof(spawn_default_signals) / sizeof(spawn_default_signals[0]); i++)
		sigaddset(&defaults, spawn_default_signals[i]);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd, SPAWN_AGENT_FD);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(&pid, program, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (fd != sock)
		close(fd);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start '%s': %s", program, strerror(rc));
		return -1;
	}
	return pid;
}

int
launcher_connect_unix(const char *dir, const char *name, int cwd_fd, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd, rc, e;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(name) >= sizeof(sa.sun_path)) {
		/* Its length, not the name: a name of unbounded length overflows int on 32-bit. */
		snprintf(err, errlen, "socket name of %zu bytes too long (at most %zu)", strlen(name),
		         sizeof(sa.sun_path) - 1);
		errno = ENAMETOOLONG;
		return -1;
	}
	xstrlcpy(sa.sun_path, name, sizeof(sa.sun_path));
	fd = compat_socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd == -1) {
		e = errno;
		snprintf(err, errlen, "socket: %s", strerror(e));
		errno = e;
		return -1;
	}
	/* A relative name from inside dir: sun_path is too small for the paths we have. */
	if (chdir(dir) == -1) {
		e = errno;
		snprintf(err, errlen, "cannot enter '%s': %s", dir, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	if (fchdir(cwd_fd) == -1)
		snprintf(err, errlen, "cannot return to the working directory: %s", strerror(errno));
	if (rc == -1 && e != EINPROGRESS && e != EAGAIN) {
		snprintf(err, errlen, "connect to '%s/%s': %s", dir, name, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
