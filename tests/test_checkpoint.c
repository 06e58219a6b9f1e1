/*
 * tests/test_checkpoint.c: atomic checkpoint files and journals: commit,
 * replay, torn tails, the zeros ahead of the lines, reopening, rewrite.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "agent/checkpoint.h"
#include "proto.h"
#include "xmem.h"

#define ERR_MAX 256
#define LONG_VALUE_LEN 1000
#define MANY_LINES 400              /* of LONG_VALUE_LEN bytes: past the 256 KiB of zeros ahead */

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
	if (strlen(s->verbs) + strlen(m->verb) + 2 <= sizeof(s->verbs)) {
		strcat(s->verbs, m->verb);
		strcat(s->verbs, " ");
	}
}

/* Returns checkpoint_journal_add's result, so a caller adding many lines
 * checks them once rather than counting one assertion per line. */
static int
add_line(struct checkpoint_journal *j, const char *verb, const char *v)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	proto_begin(&b, verb);
	proto_add(&b, "v", v);
	rc = checkpoint_journal_add(j, &b);
	buf_free(&b);
	return rc;
}

static void
add(struct checkpoint_journal *j, const char *verb, const char *v)
{
	CHECK(add_line(j, verb, v) == 0);
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
	struct stat st;
	off_t size_before;
	char *file, *jpath;
	static char long_value[LONG_VALUE_LEN + 1];

	if (mkdtemp(dir) == NULL)
		return 1;
	memset(long_value, 'x', LONG_VALUE_LEN);
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

	/* The lines are followed by zeros: commits seldom change the file's size. */
	CHECK(stat(jpath, &st) == 0 && st.st_size > j.end && j.end > 0);
	size_before = st.st_size;
	add(&j, "ACK", "4");
	CHECK(checkpoint_journal_commit(&j, err, sizeof(err)) == 0);
	CHECK(stat(jpath, &st) == 0 && st.st_size == size_before);

	/* A crash mid-write leaves a torn last line: replay skips it and counts it. */
	fd = open(jpath, O_WRONLY);
	CHECK(fd != -1 && pwrite(fd, "UPDATE v=tor", 12, j.end) == 12);
	close(fd);
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay(jpath, collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 4 && skipped == 1);
	/* Opened again, the journal goes on after its last whole line: the torn one is gone. */
	checkpoint_journal_close(&j);
	CHECK(checkpoint_journal_open(&j, jpath, err, sizeof(err)) == 0);
	add(&j, "ACK", "5");
	CHECK(checkpoint_journal_commit(&j, err, sizeof(err)) == 0);
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay(jpath, collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 5 && skipped == 0);
	CHECK_STR(s.verbs, "TASK UPDATE ACK ACK ACK ");
	/* A garbled line in the middle is skipped too, the rest still read. */
	fd = open(jpath, O_WRONLY);
	CHECK(fd != -1 && pwrite(fd, "bad line\nGONE v=9\n", 18, j.end) == 18);
	close(fd);
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay(jpath, collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 6 && skipped == 1);
	CHECK_STR(s.last, "9");
	checkpoint_journal_close(&j);

	/* A journal written before the zeros ahead (lines to the end of the file) goes on as well. */
	fd = open(jpath, O_WRONLY | O_TRUNC);
	CHECK(fd != -1 && write(fd, "TASK v=1\nUPDATE v=tor", 21) == 21);
	close(fd);
	CHECK(checkpoint_journal_open(&j, jpath, err, sizeof(err)) == 0);
	CHECK(j.end == 9);
	add(&j, "ACK", "2");
	CHECK(checkpoint_journal_commit(&j, err, sizeof(err)) == 0);
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay(jpath, collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 2 && skipped == 0);
	CHECK_STR(s.verbs, "TASK ACK ");

	/* Past the zeros ahead, the file grows by another stretch of them: nothing is lost. */
	{
		int add_failures = 0;

		for (int i = 0; i < MANY_LINES; i++)
			add_failures += add_line(&j, "UPDATE", long_value) != 0;
		CHECK(add_failures == 0);
	}
	CHECK(checkpoint_journal_commit(&j, err, sizeof(err)) == 0);
	CHECK(stat(jpath, &st) == 0 && st.st_size > j.end);
	memset(&s, 0, sizeof(s));
	CHECK(checkpoint_replay(jpath, collect, &s, &skipped, err, sizeof(err)) == 0);
	CHECK(s.n == 2 + MANY_LINES && skipped == 0);

	/* Compaction: the journal becomes exactly the new content, and appends go on after it. */
	buf_init(&b, 0);
	buf_puts(&b, "TASK v=only\n");
	CHECK(checkpoint_journal_rewrite(&j, &b, 1, err, sizeof(err)) == 0);
	buf_free(&b);
	CHECK(j.lines == 1);
	CHECK(stat(jpath, &st) == 0 && st.st_size > j.end && j.end == 12);
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
