/*
 * checkpoint.c: owns the on-disk shapes the agent recovers from: files
 * replaced atomically (temp, fsync, rename) and journals of protocol lines,
 * written over zeros kept ahead of them and committed with one fdatasync
 * per group, replayed line by line up to the first zero byte.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "compat.h"
#include "proto.h"
#include "xmem.h"

#define READ_CHUNK 65536
/*
 * Zeros kept ahead of a journal's lines: a task's records are about 1 KiB,
 * so the file's size (and a journal commit of the file system) changes once
 * in a few hundred tasks.
 */
#define JOURNAL_AHEAD (256 * 1024)
#define ZERO_CHUNK 16384

static char zeros[ZERO_CHUNK];        /* never written: .bss, no space in the program */
static char *full_while;              /* checkpoint_test_full_while's path, or NULL */

void
checkpoint_test_full_while(const char *path)
{
	free(full_while);
	full_while = path != NULL && *path != '\0' ? xstrdup(path) : NULL;
}

/* A write that needs new room on the disk: -1 with ENOSPC while the test says the disk is full. */
static int
no_room(void)
{
	if (full_while == NULL || access(full_while, F_OK) != 0)
		return 0;
	errno = ENOSPC;
	return -1;
}
#define TEMP_SUFFIX_HEX 8            /* random hex digits in a temporary file's name */

static char *
temp_name(const char *path)
{
	unsigned char r[TEMP_SUFFIX_HEX / 2];
	char hex[TEMP_SUFFIX_HEX + 1];

	compat_random_bytes(r, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	return xstrfmt("%s.tmp.%s", path, hex);
}

/* count zero bytes at offset. 0, or -1 with errno. */
static int
write_zeros(int fd, off_t offset, off_t count)
{
	while (count > 0) {
		size_t n = count < ZERO_CHUNK ? (size_t)count : ZERO_CHUNK;

		if (compat_pwrite_all(fd, zeros, n, offset) == -1)
			return -1;
		offset += (off_t)n;
		count -= (off_t)n;
	}
	return 0;
}

/* checkpoint_write, with pad zero bytes after the data. */
static int
write_padded(const char *path, const void *data, size_t len, off_t pad, char *err, size_t errlen)
{
	char *tmp = temp_name(path);
	int fd = no_room() ? -1 : open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	                                CHECKPOINT_FILE_MODE);

	if (fd == -1) {
		snprintf(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (compat_write_all(fd, data, len) == -1 || write_zeros(fd, (off_t)len, pad) == -1 ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int
checkpoint_write(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
	return write_padded(path, data, len, 0, err, errlen);
}

int
checkpoint_read(const char *path, size_t max, struct buf *out, int *missing, char *err,
                size_t errlen)
{
	char chunk[READ_CHUNK];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	size_t total = 0;

	*missing = 0;
	if (fd == -1) {
		*missing = errno == ENOENT;
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > max || buf_append(out, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "'%s' is larger than %zu bytes", path, max);
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/*
 * Where a journal's whole lines end (just after the last newline before the
 * first zero byte, or the end of the file) and how big the file is. What
 * lies between is a line torn by a crash: zeroed, so a shorter line written
 * over it cannot leave a piece of it behind.
 */
static int
find_end(int fd, off_t *end, off_t *size)
{
	char chunk[READ_CHUNK];
	off_t at = 0, lines_end = 0, content_end;
	struct stat st;

	if (fstat(fd, &st) == -1)
		return -1;
	content_end = st.st_size;
	while (at < st.st_size) {
		ssize_t n = pread(fd, chunk, sizeof(chunk), at);
		char *zero, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		zero = memchr(chunk, '\0', (size_t)n);
		if (zero != NULL)
			n = zero - chunk;
		for (nl = chunk + n; nl > chunk && nl[-1] != '\n'; nl--)
			continue;
		if (nl > chunk)
			lines_end = at + (nl - chunk);
		at += n;
		if (zero != NULL) {
			content_end = at;
			break;
		}
	}
	*end = lines_end;
	*size = st.st_size;
	return write_zeros(fd, lines_end, content_end - lines_end);
}

int
checkpoint_journal_open(struct checkpoint_journal *j, const char *path, char *err, size_t errlen)
{
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, CHECKPOINT_FILE_MODE);
	if (j->fd == -1) {
		snprintf(err, errlen, "cannot open journal '%s': %s", path, strerror(errno));
		j->path = NULL;
		return -1;
	}
	if (find_end(j->fd, &j->end, &j->size) == -1) {
		snprintf(err, errlen, "cannot read journal '%s': %s", path, strerror(errno));
		close(j->fd);
		j->fd = -1;
		j->path = NULL;
		return -1;
	}
	j->path = xstrdup(path);
	buf_init(&j->pending, 0);
	j->lines = 0;
	return 0;
}

/*
 * Write what is queued at the journal's end, first growing the zeros ahead
 * when they are used up. Growing is best effort: when the disk has no room
 * for them, the lines are written all the same.
 */
static int
put_pending(struct checkpoint_journal *j)
{
	off_t len = (off_t)j->pending.len;

	if (j->end + len > j->size) {
		off_t want = j->end + len + JOURNAL_AHEAD;

		if (!no_room() && write_zeros(j->fd, j->size, want - j->size) == 0)
			j->size = want;
	}
	/* Lines over the zeros ahead need no new room: those still go in on a full disk. */
	if (j->end + len > j->size && no_room())
		return -1;
	if (compat_pwrite_all(j->fd, j->pending.data, j->pending.len, j->end) == -1)
		return -1;
	j->end += len;
	if (j->end > j->size)
		j->size = j->end;
	return 0;
}

int
checkpoint_journal_add(struct checkpoint_journal *j, struct buf *msg)
{
	if (proto_end(msg) == -1)
		return -1;
	buf_append(&j->pending, msg->data, msg->len);
	j->lines++;
	return 0;
}

int
checkpoint_journal_dirty(const struct checkpoint_journal *j)
{
	return j->pending.len > 0;
}

int
checkpoint_journal_write(struct checkpoint_journal *j, char *err, size_t errlen)
{
	if (j->pending.len == 0)
		return 0;
	if (put_pending(j) == -1) {
		snprintf(err, errlen, "cannot write journal '%s': %s", j->path, strerror(errno));
		return -1;
	}
	buf_reset(&j->pending);
	return 0;
}

int
checkpoint_journal_sync(struct checkpoint_journal *j, char *err, size_t errlen)
{
	if (compat_fdatasync(j->fd) == -1) {
		snprintf(err, errlen, "cannot fsync journal '%s': %s", j->path, strerror(errno));
		return -1;
	}
	return 0;
}

int
checkpoint_journal_commit(struct checkpoint_journal *j, char *err, size_t errlen)
{
	if (j->pending.len == 0)
		return 0;
	if (checkpoint_journal_write(j, err, errlen) == -1)
		return -1;
	return checkpoint_journal_sync(j, err, errlen);
}

int
checkpoint_journal_rewrite(struct checkpoint_journal *j, const struct buf *content, size_t lines,
                           char *err, size_t errlen)
{
	int fd;

	if (write_padded(j->path, content->data ? content->data : "", content->len, JOURNAL_AHEAD, err,
	        errlen) == -1)
		return -1;
	fd = open(j->path, O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "cannot reopen journal '%s': %s", j->path, strerror(errno));
		return -1;
	}
	close(j->fd);
	j->fd = fd;
	buf_reset(&j->pending);
	j->lines = lines;
	j->end = (off_t)content->len;
	j->size = j->end + JOURNAL_AHEAD;
	return 0;
}

void
checkpoint_journal_close(struct checkpoint_journal *j)
{
	if (j->path == NULL)
		return;
	close(j->fd);
	j->fd = -1;
	free(j->path);
	j->path = NULL;
	buf_free(&j->pending);
}

int
checkpoint_replay(const char *path, void (*fn)(const struct proto_msg *m, void *arg), void *arg,
                  size_t *skipped, char *err, size_t errlen)
{
	struct buf all;
	int missing;
	char *p, *end;

	*skipped = 0;
	buf_init(&all, 0);
	if (checkpoint_read(path, CHECKPOINT_READ_MAX, &all, &missing, err, errlen) == -1) {
		buf_free(&all);
		return missing ? 0 : -1;
	}
	p = all.data;
	end = all.data ? all.data + all.len : NULL;
	if (p != NULL) {
		char *zero = memchr(p, '\0', all.len);   /* the zeros ahead: no lines after them */

		if (zero != NULL)
			end = zero;
	}
	while (p != NULL && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char perr[PROTO_KEY_MAX * 2];
		struct proto_msg m;

		if (nl == NULL) {
			(*skipped)++;    /* the torn tail of a write cut short by a crash */
			break;
		}
		*nl = '\0';
		proto_msg_init(&m);
		if (proto_parse(p, (size_t)(nl - p), &m, perr, sizeof(perr)) == -1)
			(*skipped)++;
		else
			fn(&m, arg);
		proto_msg_free(&m);
		p = nl + 1;
	}
	buf_free(&all);
	return 0;
}
