/* tests/test_checkpoint.c: atomic checkpoint files and journals: commit, replay, torn tails, rewrite. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "checkpoint.h"
#include "proto.h"
#include "xmem.h"

#define ERR_MAX 256

struct seen {
	int n;
	char last[64];
	char verbs[256];
};

static void
collect(const struct proto_msg *m, void *arg)
{
	struct seen *s = arg;
	const char *v = proto_get(m, "v");

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s", v ? v : "");
	strncat(s->verbs, m->verb, sizeof(s->verbs) - strlen(s->verbs) - 2);
	strcat(s->verbs, " ");
}

static void
add(struct checkpoint_journal *j, const char *verb, const char *v)
{
	struct buf b;

	buf_init(&b, 0);
	proto_begin(&b, verb);
	proto_add(&b, "v", v);
	CHECK(checkpoint_journal_add(j, &b) == 0);
	buf_free(&b);
}

int
main(void)
{
	char dir[] = "/tmp/test_checkpoint.XXXXXX";
	char err[ERR_MAX];
	struct checkpoint_journal j;
	struct seen s;
	struct buf b;
	size_t skipped;
	int missing, fd;
	char *file, *jpath;

	if (mkdtemp(dir) == NULL)
		return 1;
	file = xstrfmt("%s/info", dir);
	jpath = xstrfmt("%s/journal", dir);

	/* Whole files. */
	buf_init(&b, 0);
	CHECK(checkpoint_read(file, 100, &b, &missing, err, sizeof(err)) == -1 && missing);
	CHECK(checkpoint_write(file, "hello\n", 6, err, sizeof(err)) == 0);
	CHECK(checkpoint_write(file, "world\n", 6, err, sizeof(err)) == 0);
	CHECK(checkpoint_read(file, 100, &b, &missing, err, sizeof(err)) == 0);
	CHECK_STR(b.data, "world\n");
	buf_reset(&b);
	CHECK(checkpoint_read(file, 3, &b, &missing, err, sizeof(err)) == -1 && !missing);
	CHECK(strstr(err, "larger than") != NULL);
	buf_free(&b);
	CHECK(checkpoint_write("/nonexistent/dir/x", "a", 1, err, sizeof(err)) == -1);

	/* A journal: nothing lands before a commit; a commit keeps the order. */
	CHECK(checkpoint_journal_open(&j, jpath, err, sizeof(err)) == 0);
	CHECK(!checkpoint_journal_dirty(&j));
	add(&j, "TASK", "1");
	add(&j, "UPDATE", "value with spaces = and %");
	CHECK(checkpoint_journal_dirty(&j));
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay(jpath, collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 0);
	CHECK(checkpoint_journal_commit(&j, err, sizeof(err)) == 0);
	CHECK(!checkpoint_journal_dirty(&j));
	add(&j, "ACK", "3");
	CHECK(checkpoint_journal_commit(&j, err, sizeof(err)) == 0);
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay(jpath, collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 3 && skipped == 0);
	CHECK_STR(s.verbs, "TASK UPDATE ACK ");
	CHECK_STR(s.last, "3");
	CHECK(j.lines == 3);

	/* A crash mid-write leaves a torn last line: replay skips it and counts it. */
	fd = open(jpath, O_WRONLY | O_APPEND);
	CHECK(fd != -1 && write(fd, "UPDATE v=tor", 12) == 12);
	close(fd);
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay(jpath, collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 3 && skipped == 1);
	/* A garbled line in the middle is skipped too, the rest still read. */
	fd = open(jpath, O_WRONLY | O_APPEND);
	CHECK(fd != -1 && write(fd, "n\nbad line\nGONE v=9\n", 20) == 20);
	close(fd);
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay(jpath, collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 5 && skipped == 1);
	CHECK_STR(s.last, "9");

	/* Compaction: the journal becomes exactly the new content, and appends go on after it. */
	buf_init(&b, 0);
	buf_puts(&b, "TASK v=only\n");
	CHECK(checkpoint_journal_rewrite(&j, &b, 1, err, sizeof(err)) == 0);
	buf_free(&b);
	CHECK(j.lines == 1);
	add(&j, "UPDATE", "after");
	CHECK(checkpoint_journal_commit(&j, err, sizeof(err)) == 0);
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay(jpath, collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 2 && skipped == 0);
	CHECK_STR(s.verbs, "TASK UPDATE ");
	CHECK_STR(s.last, "after");
	checkpoint_journal_close(&j);
	checkpoint_journal_close(&j);

	/* A journal that does not exist replays as empty. */
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay("/nonexistent/journal", collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 0);

	unlink(file);
	unlink(jpath);
	rmdir(dir);
	free(file);
	free(jpath);
	return CHECK_DONE();
}
