/*
 * fetch.c: owns what is the fetcher's own in getting a task's URIs onto
 * disk: the URI options and the file name a URI lands as, local copies,
 * archive extraction through the system's tar and unzip, and the cache's
 * keys and trimming. Downloads are the one HTTP client's
 * (http_client_get_file).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "fetch.h"
#include "xmem.h"

#define IO_CHUNK 65536
#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull
#define KEY_NAME_MAX 64                 /* bytes of the readable part of a cache key */
#define HEX_BASE 16
#define PREVIEW 128                     /* bytes of a URI quoted in a message */
#define EXEC_FAILED_STATUS 127
#define DEFAULT_PATH "/usr/bin:/bin:/usr/local/bin"

static const char *const option_keys[] = { "executable", "extract", "cache", "output_file" };

static int
parse_bool(const char *v, int *out)
{
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* 1 if opt ("key=value") is one of our options, and then it is applied to u. */
static int
take_option(struct fetch_uri *u, const char *opt, char *err, size_t errlen)
{
	const char *eq = strchr(opt, '=');
	size_t klen;

	if (eq == NULL)
		return 0;
	klen = (size_t)(eq - opt);
	for (size_t i = 0; i < sizeof(option_keys) / sizeof(option_keys[0]); i++) {
		if (strlen(option_keys[i]) != klen || strncmp(opt, option_keys[i], klen) != 0)
			continue;
		if (i == 3) {
			if (u->output_file == NULL)
				u->output_file = xstrdup(eq + 1);
			return 1;
		}
		if (parse_bool(eq + 1, i == 0 ? &u->executable : i == 1 ? &u->extract : &u->cache) == -1) {
			snprintf(err, errlen, "URI option '%.*s' wants 0 or 1, not '%.16s'", (int)klen, opt,
			    eq + 1);
			return -1;
		}
		return 1;
	}
	return 0;
}

int
fetch_uri_parse(const char *spec, struct fetch_uri *u, char *err, size_t errlen)
{
	char *s = xstrdup(spec);
	char *semi;

	memset(u, 0, sizeof(*u));
	u->extract = 1;
	/* Options come last: peel ";key=value" off the end while the key is ours. */
	while ((semi = strrchr(s, ';')) != NULL) {
		int r = take_option(u, semi + 1, err, errlen);
		if (r == -1) {
			free(s);
			fetch_uri_free(u);
			return -1;
		}
		if (r == 0)
			break;
		*semi = '\0';
	}
	if (s[0] == '\0') {
		snprintf(err, errlen, "empty URI");
		free(s);
		fetch_uri_free(u);
		return -1;
	}
	u->value = s;
	return 0;
}

void
fetch_uri_free(struct fetch_uri *u)
{
	free(u->value);
	free(u->output_file);
	u->value = u->output_file = NULL;
}

static int
has_dotdot(const char *p)
{
	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n;
		p += *p == '/';
	}
	return 0;
}

char *
fetch_target_name(const struct fetch_uri *u, char *err, size_t errlen)
{
	const char *v = u->value, *end, *slash;

	if (u->output_file != NULL) {
		if (u->output_file[0] == '\0' || u->output_file[0] == '/' || has_dotdot(u->output_file)) {
			snprintf(err, errlen, "output_file '%.64s' must be a relative path inside the sandbox",
			    u->output_file);
			return NULL;
		}
		return xstrdup(u->output_file);
	}
	end = v + strcspn(v, "?#");
	slash = end;
	while (slash > v && slash[-1] != '/')
		slash--;
	if (slash == end || (end - slash == 2 && slash[0] == '.' && slash[1] == '.') ||
	    (end - slash == 1 && slash[0] == '.')) {
		snprintf(err, errlen, "cannot tell a file name from '%.*s': give it output_file", PREVIEW, v);
		return NULL;
	}
	return xstrndup(slash, (size_t)(end - slash));
}

static int
prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++)
		if (tolower((unsigned char)*s) != *prefix)
			return 0;
	return 1;
}

enum fetch_scheme
fetch_scheme_of(const char *uri)
{
	if (uri[0] == '/')
		return FETCH_LOCAL;
	if (prefix_ci(uri, "file://"))
		return FETCH_FILE;
	if (prefix_ci(uri, "http://"))
		return FETCH_HTTP;
	return FETCH_UNSUPPORTED;
}

static int
suffix_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && prefix_ci(s + n - m, suffix);
}

enum fetch_archive
fetch_archive_of(const char *name)
{
	static const char *const gz[] = { ".tar.gz", ".tgz" };
	static const char *const tar[] = { ".tar", ".tar.bz2", ".tbz2", ".tar.xz", ".txz" };

	for (size_t i = 0; i < sizeof(gz) / sizeof(gz[0]); i++)
		if (suffix_ci(name, gz[i]))
			return FETCH_TAR_GZ;
	for (size_t i = 0; i < sizeof(tar) / sizeof(tar[0]); i++)
		if (suffix_ci(name, tar[i]))
			return FETCH_TAR;
	if (suffix_ci(name, ".zip"))
		return FETCH_ZIP;
	return FETCH_NOT_ARCHIVE;
}

void
fetch_cache_key(const char *uri, char out[FETCH_KEY_MAX])
{
	uint64_t h = FNV_OFFSET;
	const char *end = uri + strcspn(uri, "?#"), *base = end;
	size_t n = 0;
	int len;

	for (const char *p = uri; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= FNV_PRIME;
	}
	while (base > uri && base[-1] != '/')
		base--;
	len = snprintf(out, FETCH_KEY_MAX, "%016llx-", (unsigned long long)h);
	for (const char *p = base; p < end && n < KEY_NAME_MAX; p++, n++)
		out[len + (int)n] = (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-') &&
		                    !(n == 0 && *p == '.') ? *p : '_';
	out[len + (int)n] = '\0';
}

/* --- local copies ------------------------------------------------------------------ */

int
fetch_copy(const char *path, int fd, char *err, size_t errlen)
{
	int in = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *chunk;

	if (in == -1) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(in, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s' is not a regular file", path);
		close(in);
		return -1;
	}
	chunk = xmalloc(IO_CHUNK);
	for (;;) {
		ssize_t n = read(in, chunk, IO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && compat_write_all(fd, chunk, (size_t)n) == -1)) {
			snprintf(err, errlen, "cannot copy '%s': %s", path, strerror(errno));
			free(chunk);
			close(in);
			return -1;
		}
		if (n == 0)
			break;
	}
	free(chunk);
	close(in);
	return 0;
}

/* --- extraction -------------------------------------------------------------------- */

static char *
find_program(const char *name)
{
	const char *path = getenv("PATH");
	const char *p;

	for (p = path && *path ? path : DEFAULT_PATH; *p != '\0';) {
		size_t n = strcspn(p, ":");
		char *cand = xstrfmt("%.*s/%s", (int)(n ? n : 1), n ? p : ".", name);

		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += n;
		p += *p == ':';
	}
	return NULL;
}

int
fetch_extract(const char *archive, enum fetch_archive kind, const char *dir, char *err,
              size_t errlen)
{
	const char *tool = kind == FETCH_ZIP ? "unzip" : "tar";
	char *prog = find_program(tool);
	const char *argv[8];
	int status;
	pid_t pid;

	if (prog == NULL) {
		snprintf(err, errlen, "cannot extract '%s': %s is not installed", archive, tool);
		return -1;
	}
	if (kind == FETCH_ZIP) {
		const char *a[] = { "unzip", "-o", "-q", archive, "-d", dir, NULL };
		memcpy(argv, a, sizeof(a));
	} else {
		const char *a[] = { "tar", kind == FETCH_TAR_GZ ? "-xzf" : "-xf", archive, "-C", dir, NULL };
		memcpy(argv, a, sizeof(a));
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null != -1)
			dup2(null, STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(prog, (char *const *)argv);
		_exit(EXEC_FAILED_STATUS);
	}
	free(prog);
	if (pid == -1) {
		snprintf(err, errlen, "cannot extract '%s': fork: %s", archive, strerror(errno));
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			snprintf(err, errlen, "cannot extract '%s': waitpid: %s", archive, strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "cannot extract '%s': %s failed (%s %d)", archive, tool,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	return 0;
}

/* --- the cache ------------------------------------------------------------------------ */

struct entry {
	char *path;
	uint64_t size;
	time_t mtime;
};

static int
by_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

void
fetch_cache_trim(const char *dir, uint64_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct entry *list = NULL;
	size_t n = 0, alloc = 0;
	uint64_t total = 0;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *path;

		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp.") != NULL)
			continue;
		path = xstrfmt("%s/%s", dir, de->d_name);
		if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : HEX_BASE;
			list = xreallocarray(list, alloc, sizeof(*list));
		}
		list[n].path = path;
		list[n].size = (uint64_t)st.st_size;
		list[n].mtime = st.st_mtime;
		total += list[n].size;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(list, n, sizeof(*list), by_age);
	for (size_t i = 0; i < n; i++) {
		if (total > cap && unlink(list[i].path) == 0)
			total -= list[i].size;
		free(list[i].path);
	}
	free(list);
}
