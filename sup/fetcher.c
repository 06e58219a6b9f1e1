/*
 * fetcher.c: mesos-fetcher, run by a task's supervisor in the task's
 * sandbox before the command starts, like Mesos's fetcher: each URI in
 * order is copied or downloaded (through the per-agent cache when asked),
 * made executable, extracted. Progress goes to stderr (the sandbox's
 * stderr file); on failure one line, the reason, goes to stdout for the
 * supervisor to put in the task's update, and the exit status is 1.
 *
 * With --owner (a task of another user) it becomes that user before it
 * reads anything, so a URI names only what the task's user could read
 * itself (issue #17: a task of nobody asked for /etc/shadow); each user
 * then has a cache of their own, a directory under --cache_dir made
 * theirs first, so no user fills or poisons another's.
 *
 *   mesos-fetcher --sandbox=DIR [--cache_dir=DIR] [--cache_size=BYTES]
 *                 [--stall_timeout_ms=MS] [--owner=UID:GID --user=NAME] -- URI...
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "fetch.h"
#include "http_client.h"
#include "launcher.h"
#include "proc.h"
#include "xmem.h"

#define ERR_MAX 1024
#define DEC_BASE 10
#define EXECUTABLE_MODE 0755
#define USER_CACHE_MODE 0700    /* a user's own cache: theirs alone */

struct opts {
	const char *sandbox;
	const char *cache_dir;
	uint64_t cache_bytes;
	int64_t stall_ms;
	int switch_user;
	const char *user;
	uid_t uid;
	gid_t gid;
	char *user_cache;           /* cache_dir/UID when switching */
};

static void
fail(const char *uri, const char *reason)
{
	printf("fetching '%s' failed: %s\n", uri, reason);
	fprintf(stderr, "mesos-fetcher: fetching '%s' failed: %s\n", uri, reason);
	fflush(stdout);
	exit(EXIT_FAILURE);
}

static const char *
opt_value(const char *arg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) == 0 && arg[n] == '=')
		return arg + n + 1;
	return NULL;
}

static int
parse_args(int argc, char **argv, struct opts *o, int *first)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->cache_bytes = FETCH_DEFAULT_CACHE_BYTES;
	o->stall_ms = FETCH_DEFAULT_STALL_MS;
	for (i = 1; i < argc; i++) {
		const char *v;
		char *end;

		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if ((v = opt_value(argv[i], "--sandbox")) != NULL)
			o->sandbox = v;
		else if ((v = opt_value(argv[i], "--cache_dir")) != NULL)
			o->cache_dir = v[0] ? v : NULL;
		else if ((v = opt_value(argv[i], "--cache_size")) != NULL)
			o->cache_bytes = strtoull(v, &end, DEC_BASE);
		else if ((v = opt_value(argv[i], "--stall_timeout_ms")) != NULL)
			o->stall_ms = strtoll(v, &end, DEC_BASE);
		else if ((v = opt_value(argv[i], "--owner")) != NULL) {
			long uid = strtol(v, &end, DEC_BASE), gid;
			if (*end != ':')
				return -1;
			gid = strtol(end + 1, &end, DEC_BASE);
			o->switch_user = 1;
			o->uid = (uid_t)uid;
			o->gid = (gid_t)gid;
		} else if ((v = opt_value(argv[i], "--user")) != NULL) {
			o->user = v;
		} else {
			return -1;
		}
	}
	*first = i;
	return o->sandbox != NULL && (!o->switch_user || o->user != NULL) ? 0 : -1;
}

/* Make the directories above a relative name inside the sandbox. */
static int
make_parents(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;

	if (slash != NULL) {
		*slash = '\0';
		rc = compat_mkdirs(dir, LAUNCHER_DIR_MODE, err, errlen);
	}
	free(dir);
	return rc;
}

/* Download into the cache (temp name, then rename) unless it is there; 0 and the cached path. */
static char *
cached_copy(const struct opts *o, const char *uri, char *err, size_t errlen)
{
	char key[FETCH_KEY_MAX];
	char *path, *tmp;
	struct stat st;
	int fd;

	fetch_cache_key(uri, key);
	if (compat_mkdirs(o->cache_dir, LAUNCHER_DIR_MODE, err, errlen) == -1)
		return NULL;
	path = xstrfmt("%s/%s", o->cache_dir, key);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		fprintf(stderr, "mesos-fetcher: '%s' is in the cache\n", uri);
		(void)utimensat(AT_FDCWD, path, NULL, 0);   /* most recently used */
		return path;
	}
	tmp = xstrfmt("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, LAUNCHER_FILE_MODE);
	if (fd == -1) {
		snprintf(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		free(path);
		return NULL;
	}
	if (http_client_get_file(uri, fd, o->stall_ms, err, errlen) == -1 || fstat(fd, &st) == -1) {
		close(fd);
		unlink(tmp);
		free(tmp);
		free(path);
		return NULL;
	}
	close(fd);
	if ((uint64_t)st.st_size > o->cache_bytes) {
		/* Bigger than the whole cache: use it once, keep it out. */
		fprintf(stderr, "mesos-fetcher: '%s' (%lld bytes) is larger than the cache; not cached\n",
		    uri, (long long)st.st_size);
		free(path);
		return tmp;
	}
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot rename '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		free(path);
		return NULL;
	}
	free(tmp);
	fetch_cache_trim(o->cache_dir, o->cache_bytes);
	return path;
}

static void
fetch_one(const struct opts *o, const char *spec)
{
	struct fetch_uri u;
	char err[ERR_MAX];
	char *name, *dest;
	enum fetch_archive kind;
	int fd, rc = 0;

	if (fetch_uri_parse(spec, &u, err, sizeof(err)) == -1)
		fail(spec, err);
	if ((name = fetch_target_name(&u, err, sizeof(err))) == NULL)
		fail(u.value, err);
	dest = xstrfmt("%s/%s", o->sandbox, name);
	if (make_parents(dest, err, sizeof(err)) == -1)
		fail(u.value, err);
	fprintf(stderr, "mesos-fetcher: fetching '%s' into '%s'\n", u.value, name);
	fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, LAUNCHER_FILE_MODE);
	if (fd == -1) {
		snprintf(err, sizeof(err), "cannot create '%s': %s", name, strerror(errno));
		fail(u.value, err);
	}
	switch (fetch_scheme_of(u.value)) {
	case FETCH_LOCAL:
		rc = fetch_copy(u.value, fd, err, sizeof(err));
		break;
	case FETCH_FILE:
		rc = fetch_copy(u.value + strlen("file://"), fd, err, sizeof(err));
		break;
	case FETCH_HTTP:
		if (u.cache && o->cache_dir != NULL) {
			char *cached = cached_copy(o, u.value, err, sizeof(err));
			rc = cached == NULL ? -1 : fetch_copy(cached, fd, err, sizeof(err));
			if (cached != NULL && strstr(cached, ".tmp.") != NULL)
				unlink(cached);
			free(cached);
		} else {
			rc = http_client_get_file(u.value, fd, o->stall_ms, err, sizeof(err));
		}
		break;
	case FETCH_UNSUPPORTED:
		snprintf(err, sizeof(err), "unsupported URI (this fetcher knows absolute paths, file:// "
		    "and http://)");
		rc = -1;
		break;
	}
	if (close(fd) == -1 && rc == 0) {
		snprintf(err, sizeof(err), "cannot write '%s': %s", name, strerror(errno));
		rc = -1;
	}
	if (rc == -1)
		fail(u.value, err);
	if (u.executable && chmod(dest, EXECUTABLE_MODE) == -1) {
		snprintf(err, sizeof(err), "cannot make '%s' executable: %s", name, strerror(errno));
		fail(u.value, err);
	}
	kind = fetch_archive_of(name);
	if (u.extract && kind != FETCH_NOT_ARCHIVE) {
		fprintf(stderr, "mesos-fetcher: extracting '%s'\n", name);
		if (fetch_extract(dest, kind, o->sandbox, err, sizeof(err)) == -1)
			fail(u.value, err);
	}
	free(name);
	free(dest);
	fetch_uri_free(&u);
}

/*
 * The user's own cache, cache_dir/UID, made (still as root) and given to
 * them if it is new; one that is not a directory of theirs is refused.
 */
static void
prepare_user_cache(struct opts *o)
{
	char err[ERR_MAX];
	struct stat st;
	int fd;

	o->user_cache = xstrfmt("%s/%ld", o->cache_dir, (long)o->uid);
	if (compat_mkdirs(o->cache_dir, LAUNCHER_DIR_MODE, err, sizeof(err)) == -1)
		fail(o->cache_dir, err);
	if (mkdir(o->user_cache, USER_CACHE_MODE) == -1 && errno != EEXIST) {
		snprintf(err, sizeof(err), "cannot make '%s': %s", o->user_cache, strerror(errno));
		fail(o->cache_dir, err);
	}
	fd = open(o->user_cache, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, sizeof(err), "cannot open '%s': %s", o->user_cache, strerror(errno));
		fail(o->cache_dir, err);
	}
	if (st.st_uid != o->uid && (st.st_uid != geteuid() || fchown(fd, o->uid, o->gid) == -1)) {
		snprintf(err, sizeof(err), "'%s' does not belong to uid %ld", o->user_cache,
		    (long)o->uid);
		fail(o->cache_dir, err);
	}
	close(fd);
	o->cache_dir = o->user_cache;
}

/* Become the task's user (its groups too) before any URI is read. */
static void
become_user(const struct opts *o)
{
	char err[ERR_MAX];

	if (proc_switch_user(o->user, o->uid, o->gid) == -1 || geteuid() != o->uid) {
		snprintf(err, sizeof(err), "cannot switch to user '%s' (uid %ld): %s", o->user,
		    (long)o->uid, strerror(errno));
		fail("", err);
	}
}

int
main(int argc, char **argv)
{
	struct opts o;
	int first;

	if (parse_args(argc, argv, &o, &first) == -1) {
		fprintf(stderr, "usage: mesos-fetcher --sandbox=DIR [--cache_dir=DIR] "
		    "[--cache_size=BYTES] [--stall_timeout_ms=MS] [--owner=UID:GID --user=NAME] "
		    "-- URI...\n");
		printf("bad arguments to the fetcher\n");
		return EXIT_FAILURE;
	}
	if (o.switch_user) {
		if (o.cache_dir != NULL)
			prepare_user_cache(&o);
		become_user(&o);
	}
	for (int i = first; i < argc; i++)
		fetch_one(&o, argv[i]);
	free(o.user_cache);
	return EXIT_SUCCESS;
}
