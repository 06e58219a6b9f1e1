/*
 * pc_store.c: the plugins' crash-safe files. A state file is replaced
 * whole: written to NAME.tmp, fsync'ed, renamed over NAME, and the
 * directory fsync'ed so the rename itself survives a crash; what is on
 * disk is always one complete version. Reads are capped, so a damaged
 * or foreign file cannot make a plugin allocate without bound. Where the
 * files live is the plugin conf's state_dir.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pc.h"
#include "buf.h"
#include "compat.h"
#include "xmem.h"

#define READ_CHUNK 65536
#define TMP_SUFFIX ".tmp"
#define MKDIR_ERR_MAX 512         /* bytes of a mkdir -p failure */

/* The directory's own entry on disk: a rename or unlink in it is durable after this. */
static void
sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY);

	if (dfd != -1) {
		fsync(dfd);
		close(dfd);
	}
}

int
pc_store_write(const char *dir, const char *name, const char *data, size_t len, char *err,
               size_t errlen)
{
	char *tmp = xstrfmt("%s/%s%s", dir, name, TMP_SUFFIX), *dst = xstrfmt("%s/%s", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, S_IRUSR | S_IWUSR), rc = -1;

	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	} else if (compat_write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
	} else if (close(fd) == -1 || rename(tmp, dst) == -1) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
	} else {
		sync_dir(dir);
		rc = 0;
	}
	free(tmp);
	free(dst);
	return rc;
}

int
pc_store_remove(const char *dir, const char *name, char *err, size_t errlen)
{
	char *path = xstrfmt("%s/%s", dir, name);
	int rc = 0;

	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	} else {
		sync_dir(dir);
	}
	free(path);
	return rc;
}

int
pc_store_read(const char *path, struct buf *b, char *err, size_t errlen)
{
	char chunk[READ_CHUNK];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || buf_append(b, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "%s: %s", path, n == -1 ? strerror(errno) : "too large");
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

int
pc_store_dir(struct framework_driver *d, const char *conf_name, char **out, char *err,
             size_t errlen)
{
	const char *dir = d->conf(d, "state_dir");
	char why[MKDIR_ERR_MAX];

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		return 0;
	if (compat_mkdirs(dir, S_IRWXU, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: state_dir %s: %s", conf_name, dir, why);
		return -1;
	}
	*out = xstrdup(dir);
	return 0;
}
