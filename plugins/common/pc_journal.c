/*
 * pc_journal.c: a plugin's state as keys and values on disk, kept with an
 * append-only journal. A change is a record appended to DIR/NAME.journal.G;
 * the changes of one commit (a loop turn's, or a REST request's) go out as
 * one write and one fsync (group commit). When the journal has grown past
 * its snapshot, a thread writes a new snapshot (DIR/NAME.snap: temporary
 * file, fsync, rename, the directory fsync'ed) while the loop appends to a
 * fresh journal G+1; the old journals are removed once the snapshot is
 * whole, so the loop never waits for it.
 *
 * Files (one record a line; keys and values percent-escaped as buf_escape
 * spells them, so a line holds no space but its separators):
 *
 *     NAME.snap          "pc-journal 1 G\n", then "P KEY VALUE SUM\n" for
 *                        every key: everything before NAME.journal.G
 *     NAME.journal.G     "P KEY VALUE SUM\n" (put) or "D KEY - SUM\n" (delete)
 *
 * SUM is the FNV-1a 64 of the line before " SUM", in 16 hex digits. Loading
 * reads the snapshot (generation 1 without one), then each journal from G
 * on; a record that is torn or does not match its sum ends its file (a
 * kill -9 in the middle of a write), and the newest journal is cut back to
 * its last whole record before anything is appended.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pc.h"
#include "buf.h"
#include "http.h"
#include "map.h"
#include "xmem.h"

#define JOURNAL_MAGIC "pc-journal 1"
#define JOURNAL_FILE_MAX (1024u << 20)          /* bytes of one file read back */
#define JOURNAL_COMPACT_MIN (4u << 20)          /* journal bytes before a compaction is worth it */
#define JOURNAL_COMPACT_RATIO 2                 /* ... and it is this many times the snapshot */
#define JOURNAL_SUM_HEX 16                     /* digits of a record's sum */
#define JOURNAL_HEX_BASE 16
#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

struct entry {
	char *val;
	size_t len;
};

struct compaction {
	pthread_t thread;
	char *dir, *snap, *tmp;
	struct buf data;                 /* the snapshot's bytes, made by the loop */
	unsigned long long old_gen;      /* journals up to it are removed when done */
	char *name;
	pthread_mutex_t lock;
	int done, failed;
};

struct pc_journal {
	char *dir, *name;
	struct map map;                  /* key -> struct entry */
	struct buf pending;              /* records not yet written */
	unsigned long long gen;
	int fd;
	size_t journal_bytes, snap_bytes;
	struct compaction *job;          /* NULL: none running */
	long long commits, records;
};

static uint64_t
fnv(const char *s, size_t n)
{
	uint64_t h = FNV_OFFSET;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	return h;
}

static void
add_record(struct buf *b, char op, const char *key, const char *val, size_t vlen)
{
	size_t start = b->len;
	char sum[JOURNAL_SUM_HEX + 3];

	buf_putc(b, op);
	buf_putc(b, ' ');
	buf_escape(b, key, strlen(key));
	buf_putc(b, ' ');
	if (val != NULL)
		buf_escape(b, val, vlen);
	else
		buf_putc(b, '-');
	snprintf(sum, sizeof(sum), " %016llx", (unsigned long long)fnv(b->data + start,
	                                                               b->len - start));
	buf_fill(b, sum, strlen(sum));
	buf_putc(b, '\n');
}

static void
entry_free(struct entry *e)
{
	if (e != NULL) {
		free(e->val);
		free(e);
	}
}

static void
set(struct pc_journal *j, const char *key, const char *val, size_t len)
{
	struct entry *e = xcalloc(1, sizeof(*e));

	e->val = xmalloc(len + 1);
	memcpy(e->val, val, len);
	e->val[len] = '\0';
	e->len = len;
	entry_free(map_put(&j->map, key, e));
}

/*
 * Apply one line "OP KEY VALUE SUM" (no '\n'): 0, or -1 when it is torn
 * or damaged (the caller stops reading its file there).
 */
static int
apply_line(struct pc_journal *j, char *line, size_t len)
{
	char *sp1, *sp2, *sp3, *end = line + len;
	uint64_t want;

	if (len < JOURNAL_SUM_HEX + 6 || (line[0] != 'P' && line[0] != 'D') || line[1] != ' ')
		return -1;
	sp3 = end - JOURNAL_SUM_HEX - 1;
	if (*sp3 != ' ')
		return -1;
	want = 0;
	for (const char *p = sp3 + 1; p < end; p++) {
		int v = http_hex_value((unsigned char)*p);
		if (v < 0)
			return -1;
		want = want * JOURNAL_HEX_BASE + (uint64_t)v;
	}
	if (fnv(line, (size_t)(sp3 - line)) != want)
		return -1;
	sp1 = line + 1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(sp3 - sp1 - 1));
	if (sp2 == NULL)
		return -1;
	*sp2 = '\0';
	*sp3 = '\0';
	/* buf_escape's %XX is the URL's percent-escape: decoded in place. */
	int klen = http_url_decode(sp1 + 1, sp1 + 1, (size_t)(sp2 - sp1 - 1), 0);
	int vlen = http_url_decode(sp2 + 1, sp2 + 1, (size_t)(sp3 - sp2 - 1), 0);
	if (klen <= 0 || vlen < 0)
		return -1;
	if (line[0] == 'D')
		entry_free(map_del(&j->map, sp1 + 1));
	else
		set(j, sp1 + 1, sp2 + 1, (size_t)vlen);
	return 0;
}

/* Replay the records of b from off; the offset just past the last whole record. */
static size_t
replay(struct pc_journal *j, struct buf *b, size_t off)
{
	while (off < b->len) {
		char *nl = memchr(b->data + off, '\n', b->len - off);
		if (nl == NULL || apply_line(j, b->data + off, (size_t)(nl - (b->data + off))) < 0)
			break;
		off = (size_t)(nl - b->data) + 1;
	}
	return off;
}

static char *
journal_path(const struct pc_journal *j, unsigned long long gen)
{
	return xstrfmt("%s/%s.journal.%llu", j->dir, j->name, gen);
}

static int
load(struct pc_journal *j, char *err, size_t errlen)
{
	struct buf b;
	char *path = xstrfmt("%s/%s.snap", j->dir, j->name);
	int rc;

	buf_init(&b, JOURNAL_FILE_MAX);
	j->gen = 1;
	rc = pc_store_read(path, &b, err, errlen);
	if (rc == -1) {
		free(path);
		buf_free(&b);
		return -1;
	}
	if (rc == 0) {
		size_t magic = strlen(JOURNAL_MAGIC);
		char *nl = memchr(b.data, '\n', b.len);
		if (b.len < magic || memcmp(b.data, JOURNAL_MAGIC, magic) != 0 || nl == NULL ||
		    sscanf(b.data + magic, " %llu", &j->gen) != 1) {
			snprintf(err, errlen, "%s: not a snapshot of this version", path);
			free(path);
			buf_free(&b);
			return -1;
		}
		replay(j, &b, (size_t)(nl - b.data) + 1);
		j->snap_bytes = b.len;
	}
	free(path);
	/* The journals from the snapshot's generation on, the newest kept open. */
	for (unsigned long long g = j->gen;; g++) {
		char *jp = journal_path(j, g);
		buf_reset(&b);
		rc = pc_store_read(jp, &b, err, errlen);
		if (rc != 0) {
			free(jp);
			if (rc == -1) {
				buf_free(&b);
				return -1;
			}
			break;
		}
		size_t good = replay(j, &b, 0);
		j->gen = g;
		j->journal_bytes = good;
		if (good < b.len && truncate(jp, (off_t)good) == -1) {
			snprintf(err, errlen, "%s: cannot cut its torn end: %s", jp, strerror(errno));
			free(jp);
			buf_free(&b);
			return -1;
		}
		free(jp);
	}
	buf_free(&b);
	return 0;
}

static int
open_journal(struct pc_journal *j, char *err, size_t errlen)
{
	char *path = journal_path(j, j->gen);

	j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, S_IRUSR | S_IWUSR);
	if (j->fd == -1)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	free(path);
	return j->fd == -1 ? -1 : 0;
}

struct pc_journal *
pc_journal_open(const char *dir, const char *name, char *err, size_t errlen)
{
	struct pc_journal *j = xcalloc(1, sizeof(*j));

	j->dir = xstrdup(dir);
	j->name = xstrdup(name);
	j->fd = -1;
	map_init(&j->map);
	buf_init(&j->pending, 0);
	if (load(j, err, errlen) == -1 || open_journal(j, err, errlen) == -1) {
		pc_journal_close(j);
		return NULL;
	}
	return j;
}

size_t
pc_journal_len(const struct pc_journal *j)
{
	return map_len(&j->map);
}

int
pc_journal_next(const struct pc_journal *j, size_t *iter, const char **key, const char **val,
                size_t *len)
{
	void *v;

	if (!map_next(&j->map, iter, key, &v))
		return 0;
	*val = ((struct entry *)v)->val;
	*len = ((struct entry *)v)->len;
	return 1;
}

const char *
pc_journal_get(const struct pc_journal *j, const char *key)
{
	struct entry *e = map_get(&j->map, key);

	return e != NULL ? e->val : NULL;
}

void
pc_journal_put(struct pc_journal *j, const char *key, const char *val, size_t len)
{
	struct entry *e = map_get(&j->map, key);

	if (e != NULL && e->len == len && memcmp(e->val, val, len) == 0)
		return;               /* unchanged: nothing to write */
	set(j, key, val, len);
	add_record(&j->pending, 'P', key, val, len);
	j->records++;
}

void
pc_journal_del(struct pc_journal *j, const char *key)
{
	struct entry *e = map_del(&j->map, key);

	if (e == NULL)
		return;
	entry_free(e);
	add_record(&j->pending, 'D', key, NULL, 0);
	j->records++;
}

void
pc_journal_counts(const struct pc_journal *j, long long *commits, long long *records)
{
	*commits = j->commits;
	*records = j->records;
}

int
pc_journal_pending(const struct pc_journal *j)
{
	return j->pending.len > 0;
}

static void *
compact_thread(void *arg)
{
	struct compaction *c = arg;
	char err[256];
	int failed = pc_store_write(c->dir, c->snap, c->data.data, c->data.len, err,
	                            sizeof(err)) == -1;

	/* The snapshot holds the old journals' records now: they may go. */
	for (unsigned long long g = c->old_gen; !failed && g > 0; g--) {
		char *name = xstrfmt("%s.journal.%llu", c->name, g);
		char *path = xstrfmt("%s/%s", c->dir, name);
		int gone = unlink(path) == -1 && errno == ENOENT;
		free(path);
		free(name);
		if (gone)
			break;
	}
	pthread_mutex_lock(&c->lock);
	c->done = 1;
	c->failed = failed;
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static void
compaction_free(struct compaction *c)
{
	pthread_mutex_destroy(&c->lock);
	buf_free(&c->data);
	free(c->dir);
	free(c->snap);
	free(c->name);
	free(c);
}

/* A finished compaction is reaped; -1 when one still runs. */
static int
reap(struct pc_journal *j, int wait)
{
	struct compaction *c = j->job;
	int done;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	done = c->done;
	pthread_mutex_unlock(&c->lock);
	if (!done && !wait)
		return -1;
	pthread_join(c->thread, NULL);
	if (!c->failed)
		j->snap_bytes = c->data.len;
	compaction_free(c);
	j->job = NULL;
	return 0;
}

/* Start a snapshot of everything so far in a thread; appends go to a new journal meanwhile. */
static void
compact(struct pc_journal *j)
{
	struct compaction *c = xcalloc(1, sizeof(*c));
	const char *k;
	void *v;
	char head[64];
	char err[256];

	snprintf(head, sizeof(head), "%s %llu\n", JOURNAL_MAGIC, j->gen + 1);
	buf_init(&c->data, 0);
	buf_fill(&c->data, head, strlen(head));
	for (size_t i = 0; map_next(&j->map, &i, &k, &v);)
		add_record(&c->data, 'P', k, ((struct entry *)v)->val, ((struct entry *)v)->len);
	c->dir = xstrdup(j->dir);
	c->name = xstrdup(j->name);
	c->snap = xstrfmt("%s.snap", j->name);
	c->old_gen = j->gen;
	pthread_mutex_init(&c->lock, NULL);
	int old_fd = j->fd;
	j->gen++;
	if (open_journal(j, err, sizeof(err)) == -1) {
		j->gen--;
		j->fd = old_fd;
		compaction_free(c);
		return;
	}
	close(old_fd);
	j->journal_bytes = 0;
	if (pthread_create(&c->thread, NULL, compact_thread, c) != 0) {
		/* No thread: the old journal stays and is replayed with the new one. */
		compaction_free(c);
		return;
	}
	j->job = c;
}

int
pc_journal_commit(struct pc_journal *j, char *err, size_t errlen)
{
	size_t off = 0;

	if (j->pending.len == 0)
		return 0;
	while (off < j->pending.len) {
		ssize_t n = write(j->fd, j->pending.data + off, j->pending.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s/%s.journal.%llu: %s", j->dir, j->name, j->gen,
			         strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	if (fsync(j->fd) == -1) {
		snprintf(err, errlen, "%s/%s.journal.%llu: fsync: %s", j->dir, j->name, j->gen,
		         strerror(errno));
		return -1;
	}
	j->journal_bytes += j->pending.len;
	buf_reset(&j->pending);
	j->commits++;
	if (reap(j, 0) == 0 && j->journal_bytes > JOURNAL_COMPACT_MIN &&
	    j->journal_bytes > JOURNAL_COMPACT_RATIO * j->snap_bytes)
		compact(j);
	return 0;
}

void
pc_journal_close(struct pc_journal *j)
{
	const char *k;
	void *v;

	if (j == NULL)
		return;
	reap(j, 1);
	if (j->fd != -1)
		close(j->fd);
	for (size_t i = 0; map_next(&j->map, &i, &k, &v);)
		entry_free(v);
	map_free(&j->map);
	buf_free(&j->pending);
	free(j->dir);
	free(j->name);
	free(j);
}
