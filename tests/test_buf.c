/*
 * tests/test_buf.c: unit tests of the bounded buffer, plus the small helpers
 * it sits beside (xmem's string helpers, log level names, compat basics).
 */
#include "buf.h"
#include "compat.h"
#include "log.h"
#include "xmem.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_CAP_BYTES 16
#define TEST_BIG_BYTES 100000
#define TEST_RANDOM_BYTES 32
#define TEST_DIR_BYTES 4096

static void
test_basic(void)
{
	struct buf b;
	char *s;

	buf_init(&b, 0);
	CHECK(b.data == NULL && b.len == 0);
	CHECK(buf_puts(&b, "hello") == 0);
	CHECK(buf_putc(&b, ' ') == 0);
	CHECK(buf_append(&b, "world!!", 5) == 0);
	CHECK(b.len == 11);
	CHECK_STR(b.data, "hello world");
	CHECK(b.cap > b.len);

	/* Binary data with an embedded NUL keeps its length. */
	CHECK(buf_append(&b, "\0x", 2) == 0);
	CHECK(b.len == 13);
	CHECK(b.data[11] == '\0' && b.data[12] == 'x' && b.data[13] == '\0');

	buf_reset(&b);
	CHECK(b.len == 0);
	CHECK(b.data != NULL && b.data[0] == '\0');
	CHECK(buf_append(&b, "", 0) == 0);
	CHECK_STR(b.data, "");

	CHECK(buf_puts(&b, "detached") == 0);
	s = buf_detach(&b);
	CHECK_STR(s, "detached");
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	free(s);

	/* Detaching an empty buffer still hands back a string. */
	s = buf_detach(&b);
	CHECK(s != NULL);
	CHECK_STR(s, "");
	free(s);
	buf_free(&b);
}

static void
test_cap(void)
{
	struct buf b;
	char big[TEST_BIG_BYTES];

	buf_init(&b, TEST_CAP_BYTES);
	CHECK(buf_puts(&b, "0123456789") == 0);
	/* 10 + 7 > 16: refused, and the buffer is exactly as before. */
	CHECK(buf_puts(&b, "abcdefg") == -1);
	CHECK(b.len == 10);
	CHECK_STR(b.data, "0123456789");
	CHECK(buf_puts(&b, "abcdef") == 0);
	CHECK(b.len == TEST_CAP_BYTES);
	CHECK_STR(b.data, "0123456789abcdef");
	CHECK(buf_putc(&b, 'x') == -1);
	CHECK(buf_append(&b, "", 0) == 0);
	CHECK(b.len == TEST_CAP_BYTES);
	CHECK(b.cap <= TEST_CAP_BYTES + 1);

	/* A printf that would pass the cap writes nothing at all. */
	buf_consume(&b, 4);
	CHECK_STR(b.data, "456789abcdef");
	CHECK(buf_printf(&b, "%d%s", 12345, "z") == -1);
	CHECK(b.len == 12);
	CHECK_STR(b.data, "456789abcdef");
	CHECK(buf_printf(&b, "%d", 1234) == 0);
	CHECK_STR(b.data, "456789abcdef1234");
	CHECK(buf_printf(&b, "%s", "") == 0);
	CHECK(buf_printf(&b, "x") == -1);

	/* Even a huge append cannot grow a capped buffer. */
	buf_reset(&b);
	memset(big, 'a', sizeof(big));
	CHECK(buf_append(&b, big, sizeof(big)) == -1);
	CHECK(b.len == 0);
	CHECK(b.cap <= TEST_CAP_BYTES + 1);

	/* buf_free keeps the cap for reuse. */
	buf_free(&b);
	CHECK(b.max == TEST_CAP_BYTES);
	CHECK(buf_append(&b, big, TEST_CAP_BYTES + 1) == -1);
	CHECK(buf_append(&b, big, TEST_CAP_BYTES) == 0);
	buf_free(&b);
}

static void
test_printf(void)
{
	struct buf b;
	char big[TEST_BIG_BYTES];
	size_t i;
	int failures;

	buf_init(&b, 0);
	CHECK(buf_printf(&b, "%s=%d", "cpus", 4) == 0);
	CHECK(buf_printf(&b, ";%s=%.1f", "mem", 0.5) == 0);
	CHECK_STR(b.data, "cpus=4;mem=0.5");
	CHECK(b.len == strlen("cpus=4;mem=0.5"));

	/* Growth across many reallocs keeps earlier content. */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(buf_printf(&b, "[%s]", big) == 0);
	CHECK(b.len == strlen("cpus=4;mem=0.5") + sizeof(big) + 1);
	CHECK(strncmp(b.data, "cpus=4;mem=0.5[qqq", 18) == 0);
	CHECK(b.data[b.len - 1] == ']' && b.data[b.len] == '\0');
	buf_free(&b);

	failures = 0;
	for (i = 0; i < 1000; i++)
		failures += buf_printf(&b, "%zu,", i % 10) != 0;
	CHECK(failures == 0);
	CHECK(b.len == 2000);
	CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
	buf_free(&b);
}

static void
test_consume(void)
{
	struct buf b;

	buf_init(&b, 0);
	buf_consume(&b, 5);   /* on an empty, unallocated buffer */
	CHECK(b.len == 0);
	CHECK(buf_puts(&b, "line one\nline two\n") == 0);
	buf_consume(&b, strlen("line one\n"));
	CHECK_STR(b.data, "line two\n");
	CHECK(b.len == strlen("line two\n"));
	buf_consume(&b, 0);
	CHECK_STR(b.data, "line two\n");
	buf_consume(&b, b.len);
	CHECK(b.len == 0);
	CHECK_STR(b.data, "");
	CHECK(buf_puts(&b, "abc") == 0);
	buf_consume(&b, 1000);
	CHECK(b.len == 0);
	CHECK_STR(b.data, "");
	CHECK(buf_puts(&b, "again") == 0);
	CHECK_STR(b.data, "again");
	buf_free(&b);
}

static void
test_escape_and_quote(void)
{
	struct buf b;
	char q[BUF_QUOTE_BYTES(4)];
	char big[600];

	buf_init(&b, 0);
	CHECK(buf_escape(&b, "a b%c=\x01\x7f\xc3\xa9", 10) == 0);
	CHECK_STR(b.data, "a%20b%25c%3D%01%7F\xc3\xa9");
	/* Longer than one stack chunk of escapes. */
	memset(big, ' ', sizeof(big));
	buf_reset(&b);
	CHECK(buf_escape(&b, big, sizeof(big)) == 0);
	CHECK(b.len == 3 * sizeof(big));
	buf_free(&b);

	/* Cut short by the cap: filled to it, so later appends fail too. */
	buf_init(&b, 5);
	CHECK(buf_fill(&b, "abc", 3) == 0);
	CHECK(buf_escape(&b, "  ", 2) == -1);
	CHECK(b.len == 5 && memcmp(b.data, "abc%2", 5) == 0);
	CHECK(buf_fill(&b, "x", 1) == -1);
	buf_free(&b);

	CHECK_STR(buf_quote(q, sizeof(q), "ab", 2, 4), "ab");
	CHECK_STR(buf_quote(q, sizeof(q), "a\nbcdef", 7, 4), "a%0Abc...");
	CHECK_STR(buf_quote(q, sizeof(q), "    ", 4, 4), "%20%20%20%20");
	/* Too small an out cuts sooner and still ends the string. */
	CHECK_STR(buf_quote(q, 8, "abcdef", 6, 4), "ab...");
}

static void
test_xmem(void)
{
	char small[4];
	char *s;
	int *v;

	CHECK(xstrlcpy(small, "abcdef", sizeof(small)) == 6);
	CHECK_STR(small, "abc");
	CHECK(xstrlcpy(small, "ab", sizeof(small)) == 2);
	CHECK_STR(small, "ab");
	CHECK(xstrlcpy(small, "zz", 0) == 2);
	CHECK_STR(small, "ab");

	s = xstrfmt("%s-%03d", "task", 7);
	CHECK_STR(s, "task-007");
	free(s);
	s = xstrndup("abcdef", 3);
	CHECK_STR(s, "abc");
	free(s);
	s = xstrndup("ab", 10);
	CHECK_STR(s, "ab");
	free(s);
	s = xstrdup("");
	CHECK_STR(s, "");
	free(s);

	v = xcalloc(4, sizeof(*v));
	CHECK(v[0] == 0 && v[3] == 0);
	v = xreallocarray(v, 8, sizeof(*v));
	v[7] = 1;
	CHECK(v[7] == 1 && v[3] == 0);
	free(v);
	free(xmalloc(0));
}

static void
test_log_and_compat(void)
{
	unsigned char r1[TEST_RANDOM_BYTES], r2[TEST_RANDOM_BYTES];
	char dir[TEST_DIR_BYTES];
	int64_t t0, t1;
	int fds[2];

	CHECK(log_level_parse("error") == LOG_LEVEL_ERROR);
	CHECK(log_level_parse("warn") == LOG_LEVEL_WARN);
	CHECK(log_level_parse("warning") == LOG_LEVEL_WARN);
	CHECK(log_level_parse("info") == LOG_LEVEL_INFO);
	CHECK(log_level_parse("debug") == LOG_LEVEL_DEBUG);
	CHECK(log_level_parse("loud") == -1);
	CHECK(log_level_parse(NULL) == -1);
	log_init("tests/test_buf", LOG_LEVEL_ERROR);
	CHECK(log_get_level() == LOG_LEVEL_ERROR);
	log_warnx("this line must not appear");
	log_set_level(LOG_LEVEL_INFO);
	CHECK(log_get_level() == LOG_LEVEL_INFO);

	t0 = compat_monotonic_ms();
	t1 = compat_monotonic_ms();
	CHECK(t1 >= t0);
	CHECK(compat_wall_time() > 1.0e9);

	compat_random_bytes(r1, sizeof(r1));
	compat_random_bytes(r2, sizeof(r2));
	CHECK(memcmp(r1, r2, sizeof(r1)) != 0);

	CHECK(compat_ncpus() >= 1);
	(void)compat_physical_memory();

	CHECK(compat_pipe(fds) == 0);
	CHECK(compat_send(fds[1], "x", 1) == -1);   /* a pipe is not a socket */
	close(fds[0]);
	close(fds[1]);
	CHECK(compat_socketpair(fds) == 0);
	CHECK(compat_send(fds[0], "ping", 4) == 4);
	CHECK(read(fds[1], r1, sizeof(r1)) == 4);
	CHECK(memcmp(r1, "ping", 4) == 0);
	close(fds[1]);
	/* The peer is gone: send must fail with EPIPE, not kill us with SIGPIPE. */
	CHECK(compat_send(fds[0], "ping", 4) == -1);
	close(fds[0]);

	if (compat_self_dir(dir, sizeof(dir)) == 0)
		CHECK(dir[0] == '/');
	else
		CHECK(dir[0] == '\0');
}

int
main(void)
{
	test_basic();
	test_cap();
	test_printf();
	test_consume();
	test_escape_and_quote();
	test_xmem();
	test_log_and_compat();
	return CHECK_DONE();
}
