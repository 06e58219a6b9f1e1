/*
 * tests/test_fetch.c: the fetcher's own parts: URI options, names, schemes,
 * archives, cache keys, copies, cache trimming.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sup/fetch.h"
#include "xmem.h"

#define ERR_MAX 256

static void
uri_options(void)
{
	struct fetch_uri u;
	char err[ERR_MAX];
	char *name;

	CHECK(fetch_uri_parse("http://h/a.tgz", &u, err, sizeof(err)) == 0);
	CHECK_STR(u.value, "http://h/a.tgz");
	CHECK(u.extract == 1 && u.executable == 0 && u.cache == 0 && u.output_file == NULL);
	fetch_uri_free(&u);
	CHECK(fetch_uri_parse("/opt/run.sh;executable=1;extract=0;cache=true;output_file=bin/run", &u,
	    err, sizeof(err)) == 0);
	CHECK_STR(u.value, "/opt/run.sh");
	CHECK(u.executable == 1 && u.extract == 0 && u.cache == 1);
	CHECK_STR(u.output_file, "bin/run");
	name = fetch_target_name(&u, err, sizeof(err));
	CHECK_STR(name, "bin/run");
	free(name);
	fetch_uri_free(&u);
	/* A ';' that is not one of our options stays part of the URI. */
	CHECK(fetch_uri_parse("http://h/x;jsessionid=1;cache=1", &u, err, sizeof(err)) == 0);
	CHECK_STR(u.value, "http://h/x;jsessionid=1");
	CHECK(u.cache == 1);
	fetch_uri_free(&u);
	CHECK(fetch_uri_parse("http://h/x;extract=maybe", &u, err, sizeof(err)) == -1);
	CHECK(strstr(err, "extract") != NULL);
	CHECK(fetch_uri_parse(";cache=1", &u, err, sizeof(err)) == -1);
	CHECK(fetch_uri_parse("/a;output_file=../../etc/x", &u, err, sizeof(err)) == 0);
	CHECK(fetch_target_name(&u, err, sizeof(err)) == NULL);
	fetch_uri_free(&u);
	CHECK(fetch_uri_parse("http://h/dir/", &u, err, sizeof(err)) == 0);
	CHECK(fetch_target_name(&u, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "output_file") != NULL);
	fetch_uri_free(&u);
	CHECK(fetch_uri_parse("http://h/d/file.txt?x=1#frag", &u, err, sizeof(err)) == 0);
	name = fetch_target_name(&u, err, sizeof(err));
	CHECK_STR(name, "file.txt");
	free(name);
	fetch_uri_free(&u);
}

static void
schemes(void)
{
	CHECK(fetch_scheme_of("/a") == FETCH_LOCAL);
	CHECK(fetch_scheme_of("file:///a") == FETCH_FILE);
	CHECK(fetch_scheme_of("HTTP://h/") == FETCH_HTTP);
	CHECK(fetch_scheme_of("https://h/") == FETCH_UNSUPPORTED);
	CHECK(fetch_scheme_of("a/relative") == FETCH_UNSUPPORTED);
}

static void
archives_and_keys(void)
{
	char k1[FETCH_KEY_MAX], k2[FETCH_KEY_MAX];

	CHECK(fetch_archive_of("a.tar") == FETCH_TAR);
	CHECK(fetch_archive_of("a.TAR.GZ") == FETCH_TAR_GZ);
	CHECK(fetch_archive_of("a.tgz") == FETCH_TAR_GZ);
	CHECK(fetch_archive_of("a.tar.xz") == FETCH_TAR);
	CHECK(fetch_archive_of("a.zip") == FETCH_ZIP);
	CHECK(fetch_archive_of("a.gz") == FETCH_NOT_ARCHIVE);
	CHECK(fetch_archive_of("tar") == FETCH_NOT_ARCHIVE);

	fetch_cache_key("http://h/a/app.tgz", k1);
	fetch_cache_key("http://h/b/app.tgz", k2);
	CHECK(strcmp(k1, k2) != 0);
	CHECK(strstr(k1, "-app.tgz") != NULL);
	fetch_cache_key("http://h/a/app.tgz", k2);
	CHECK_STR(k1, k2);
	fetch_cache_key("http://h/../.hidden name?x", k1);
	CHECK(strchr(k1, '/') == NULL && strchr(k1, ' ') == NULL);
	CHECK(strstr(k1, "-_hidden_name") != NULL);
}

static void
files(void)
{
	char dir[] = "/tmp/test_fetch.XXXXXX";
	char err[ERR_MAX];
	char *src, *dst, *a, *b, *c;
	struct stat st;
	int fd;

	if (mkdtemp(dir) == NULL)
		return;
	src = xstrfmt("%s/src", dir);
	dst = xstrfmt("%s/dst", dir);
	fd = open(src, O_WRONLY | O_CREAT, 0644);
	CHECK(fd != -1 && write(fd, "payload", 7) == 7);
	close(fd);
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fetch_copy(src, fd, err, sizeof(err)) == 0);
	close(fd);
	CHECK(stat(dst, &st) == 0 && st.st_size == 7);
	fd = open(dst, O_WRONLY);
	CHECK(fetch_copy(dir, fd, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a regular file") != NULL);
	CHECK(fetch_copy("/no/such", fd, err, sizeof(err)) == -1);
	close(fd);

	/* The cache keeps the most recently used entries under its cap. */
	a = xstrfmt("%s/cache", dir);
	mkdir(a, 0755);
	free(a);
	a = xstrfmt("%s/cache/a", dir);
	b = xstrfmt("%s/cache/b", dir);
	c = xstrfmt("%s/cache/c.tmp.1", dir);
	fd = open(a, O_WRONLY | O_CREAT, 0644);
	CHECK(write(fd, "0123456789", 10) == 10);
	close(fd);
	fd = open(b, O_WRONLY | O_CREAT, 0644);
	CHECK(write(fd, "0123456789", 10) == 10);
	close(fd);
	fd = open(c, O_WRONLY | O_CREAT, 0644);
	CHECK(write(fd, "0123456789", 10) == 10);
	close(fd);
	{
		struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
		utimensat(AT_FDCWD, a, old, 0);
	}
	free(dst);
	dst = xstrfmt("%s/cache", dir);
	fetch_cache_trim(dst, 15);
	CHECK(access(a, F_OK) == -1);
	CHECK(access(b, F_OK) == 0);
	CHECK(access(c, F_OK) == 0);   /* a download in progress is not ours to remove */
	unlink(b);
	unlink(c);
	rmdir(dst);
	unlink(src);
	{
		char *d2 = xstrfmt("%s/dst", dir);
		unlink(d2);
		free(d2);
	}
	rmdir(dir);
	free(a);
	free(b);
	free(c);
	free(src);
	free(dst);
}

int
main(void)
{
	uri_options();
	schemes();
	archives_and_keys();
	files();
	return CHECK_DONE();
}
