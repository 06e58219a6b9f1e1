/*
 * tests/test_flags.c: unit tests of command-line flags: every value type,
 * the --name value and --no-name forms, error messages, MESOS_ (and MESOS_LB_) environment
 * variables, durations and sizes, and the usage text.
 */
#include "flags.h"
#include "xmem.h"
#include "check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERR_BYTES 256
#define MAX_ARGS 16
#define USAGE_BYTES 4096
#define MS_PER_SEC INT64_C(1000)
#define MB (UINT64_C(1) << 20)

struct config {
	char *name;
	long long port;
	int quiet;
	int64_t timeout_ms;
	double ratio;
	uint64_t cache;
};

/* A fresh flag table over c, with its defaults (strings are malloc'ed, as flags.h wants). */
static void
setup(struct config *c, struct flag f[6])
{
	c->name = xstrdup("default");
	c->port = 5050;
	c->quiet = 0;
	c->timeout_ms = 15 * MS_PER_SEC;
	c->ratio = 0.1;
	c->cache = 2048 * MB;
	f[0] = (struct flag){ "name", FLAG_STRING, &c->name, "what to call it", 0 };
	f[1] = (struct flag){ "port", FLAG_INT, &c->port, "port to listen on", 0 };
	f[2] = (struct flag){ "quiet", FLAG_BOOL, &c->quiet, "log less", 0 };
	f[3] = (struct flag){ "agent_ping_timeout", FLAG_DURATION, &c->timeout_ms, "ping timeout", 0 };
	f[4] = (struct flag){ "ratio", FLAG_DOUBLE, &c->ratio, "a fraction", 0 };
	f[5] = (struct flag){ "cache_size", FLAG_BYTES, &c->cache, "cache size", 0 };
}

/* Split a space-separated command line (no quoting needed in these tests). */
static int
run(const char *cmdline, struct config *c, struct flag f[6], int *first, int *help, char *err)
{
	char *copy = xstrdup(cmdline), *argv[MAX_ARGS], *save = NULL;
	int argc = 0, rc;

	for (char *t = strtok_r(copy, " ", &save); t && argc < MAX_ARGS - 1; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	setup(c, f);
	err[0] = '\0';
	rc = flags_parse(f, 6, argc, argv, "MESOS_", first, help, err, ERR_BYTES);
	free(copy);
	return rc;
}

static void
test_values(void)
{
	struct config c;
	struct flag f[6];
	int first, help;
	char err[ERR_BYTES];

	CHECK(run("prog --name=x --port=80 --quiet --agent_ping_timeout=2mins --ratio=0.5 "
	          "--cache_size=1GB rest --port=1", &c, f, &first, &help, err) == 0);
	CHECK_STR(c.name, "x");
	CHECK(c.port == 80 && c.quiet == 1 && c.timeout_ms == 120 * MS_PER_SEC);
	CHECK(c.ratio == 0.5 && c.cache == 1024 * MB);
	CHECK(first == 7 && help == 0);
	CHECK(f[0].set && f[1].set && f[5].set);
	flags_free(f, 6);
	CHECK(c.name == NULL);

	/* Defaults stay; "--name value"; "--" ends the flags. */
	CHECK(run("prog --name y --port -3 -- --quiet", &c, f, &first, &help, err) == 0);
	CHECK_STR(c.name, "y");
	CHECK(c.port == -3 && c.quiet == 0 && c.timeout_ms == 15 * MS_PER_SEC && first == 6);
	CHECK(!f[2].set && !f[3].set);
	flags_free(f, 6);

	CHECK(run("prog", &c, f, &first, &help, err) == 0);
	CHECK(first == 1);
	CHECK_STR(c.name, "default");
	flags_free(f, 6);

	CHECK(run("prog --name= --name=again", &c, f, &first, &help, err) == 0);
	CHECK_STR(c.name, "again");
	flags_free(f, 6);
	CHECK(run("prog --name=", &c, f, &first, &help, err) == 0);
	CHECK_STR(c.name, "");
	flags_free(f, 6);

	static const struct { const char *cmd; int quiet; } bools[] = {
		{ "prog --quiet", 1 }, { "prog --quiet=true", 1 }, { "prog --quiet=1", 1 },
		{ "prog --quiet=yes", 1 }, { "prog --quiet=false", 0 }, { "prog --quiet=0", 0 },
		{ "prog --quiet=no", 0 }, { "prog --quiet --no-quiet", 0 },
	};
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		int rc = run(bools[i].cmd, &c, f, &first, &help, err);

		CHECK(rc == 0 && c.quiet == bools[i].quiet && f[2].set);
		flags_free(f, 6);
	}
	/* A boolean never takes the next argument as its value. */
	CHECK(run("prog --quiet false", &c, f, &first, &help, err) == 0);
	CHECK(c.quiet == 1 && first == 2);
	flags_free(f, 6);

	CHECK(run("prog --port=1 --help --bogus", &c, f, &first, &help, err) == 0);
	CHECK(help == 1);
	flags_free(f, 6);
}

static void
expect_error(const char *cmdline, const char *want, int line)
{
	struct config c;
	struct flag f[6];
	int first, help;
	char err[ERR_BYTES];

	if (run(cmdline, &c, f, &first, &help, err) != -1 || strcmp(err, want) != 0) {
		check_failed++;
		fprintf(stderr, "%s:%d: '%s' gave \"%s\", want \"%s\"\n", __FILE__, line, cmdline, err,
		        want);
	} else {
		check_passed++;
	}
	flags_free(f, 6);
}

#define BAD(cmd, want) expect_error(cmd, want, __LINE__)

static void
test_errors(void)
{
	BAD("prog --foo", "unknown flag '--foo'");
	BAD("prog --foo=1", "unknown flag '--foo'");
	BAD("prog --no-port", "unknown flag '--no-port'");
	BAD("prog --no-quiet=1", "flag '--no-quiet' takes no value");
	BAD("prog --port", "flag '--port' needs a value");
	BAD("prog --port --quiet", "flag '--port' needs a value");
	BAD("prog --port=x", "bad value 'x' for --port: expected an integer");
	BAD("prog --port=", "bad value '' for --port: expected an integer");
	BAD("prog --port=1x", "bad value '1x' for --port: expected an integer");
	BAD("prog --port=+1", "bad value '+1' for --port: expected an integer");
	BAD("prog --port=99999999999999999999", "bad value '99999999999999999999' for --port: "
	    "expected an integer");
	BAD("prog --quiet=maybe", "bad value 'maybe' for --quiet: expected true or false");
	BAD("prog --agent_ping_timeout=x", "bad value 'x' for --agent_ping_timeout: expected a "
	    "duration like 15secs");
	BAD("prog --agent_ping_timeout=-5secs", "bad value '-5secs' for --agent_ping_timeout: "
	    "expected a duration like 15secs");
	BAD("prog --ratio=abc", "bad value 'abc' for --ratio: expected a number");
	BAD("prog --ratio=nan", "bad value 'nan' for --ratio: expected a number");
	BAD("prog --cache_size=2XB", "bad value '2XB' for --cache_size: expected a size like 512MB");
}

static void
test_env(void)
{
	struct config c;
	struct flag f[6];
	int first, help;
	char err[ERR_BYTES];

	setenv("MESOS_PORT", "6060", 1);
	setenv("MESOS_NAME", "fromenv", 1);
	setenv("MESOS_AGENT_PING_TIMEOUT", "1mins", 1);
	CHECK(run("prog --name=cmdline", &c, f, &first, &help, err) == 0);
	CHECK_STR(c.name, "cmdline");
	CHECK(c.port == 6060 && f[1].set);
	CHECK(c.timeout_ms == 60 * MS_PER_SEC);
	flags_free(f, 6);

	setenv("MESOS_QUIET", "true", 1);
	CHECK(run("prog --no-quiet", &c, f, &first, &help, err) == 0);
	CHECK(c.quiet == 0);
	CHECK_STR(c.name, "fromenv");
	flags_free(f, 6);

	setenv("MESOS_PORT", "http", 1);
	CHECK(run("prog", &c, f, &first, &help, err) == -1);
	CHECK_STR(err, "bad value 'http' for MESOS_PORT: expected an integer");
	flags_free(f, 6);
	/* The command line wins, so a bad variable it overrides does no harm. */
	CHECK(run("prog --port=1", &c, f, &first, &help, err) == 0 && c.port == 1);
	flags_free(f, 6);

	/* Without a prefix the environment is not read. */
	setup(&c, f);
	{
		char *argv[] = { "prog", NULL };

		CHECK(flags_parse(f, 6, 1, argv, NULL, &first, &help, err, sizeof(err)) == 0);
		CHECK(c.port == 5050 && c.quiet == 0);
	}
	flags_free(f, 6);

	/* A program's own prefix: MESOS_PORT is not mesos-lb's MESOS_LB_PORT. */
	setenv("MESOS_LB_PORT", "8080", 1);
	setup(&c, f);
	{
		char *argv[] = { "prog", NULL };

		CHECK(flags_parse(f, 6, 1, argv, "MESOS_LB_", &first, &help, err, sizeof(err)) == 0);
		CHECK(c.port == 8080 && f[1].set);
		CHECK_STR(c.name, "default");
	}
	flags_free(f, 6);
	unsetenv("MESOS_LB_PORT");

	/* Test-only flags ("test_" names) come from the command line only: a
	 * daemon's environment must never switch on behaviour meant for tests. */
	{
		long long drops = 0;
		struct flag tf[] = { { "test_drop_updates", FLAG_INT, &drops, "", 0 } };
		char *argv[] = { "prog", NULL };
		char *argv_cmd[] = { "prog", "--test_drop_updates=3", NULL };

		setenv("MESOS_TEST_DROP_UPDATES", "5", 1);
		CHECK(flags_parse(tf, 1, 1, argv, "MESOS_", &first, &help, err, sizeof(err)) == 0);
		CHECK(drops == 0 && !tf[0].set);
		CHECK(flags_parse(tf, 1, 2, argv_cmd, "MESOS_", &first, &help, err, sizeof(err)) == 0);
		CHECK(drops == 3 && tf[0].set);
		unsetenv("MESOS_TEST_DROP_UPDATES");
	}
	unsetenv("MESOS_PORT");
	unsetenv("MESOS_NAME");
	unsetenv("MESOS_AGENT_PING_TIMEOUT");
	unsetenv("MESOS_QUIET");
}

static void
test_durations(void)
{
	static const struct { const char *in; int64_t ms; } ok[] = {
		{ "15secs", 15000 }, { "15", 15000 }, { "0.5secs", 500 }, { "500ms", 500 },
		{ "2mins", 120000 }, { "1hrs", 3600000 }, { "1days", 86400000 },
		{ "1weeks", 604800000 }, { "1500us", 2 }, { "1499us", 1 }, { "999999ns", 1 },
		{ "499999ns", 0 }, { "0", 0 }, { "0.25mins", 15000 }, { "1.5", 1500 },
		{ "0.001secs", 1 }, { "0.333333333333333333333333secs", 333 },
		{ "106751days", INT64_C(9223286400000) },
	};
	static const char *const bad[] = { "", "secs", "-1secs", "1sec", "1 secs", "1.secs",
		".5secs", "1e3", "10years", "1SECS", "+1", "99999999999999999999",
		"106752days", "0x10" };
	static const struct { int64_t ms; const char *out; } fmt[] = {
		{ 15000, "15secs" }, { 500, "500ms" }, { 120000, "2mins" }, { 604800000, "1weeks" },
		{ 86400000, "1days" }, { 7200000, "2hrs" }, { 1500, "1500ms" }, { 90000, "90secs" },
		{ 0, "0ms" }, { -3000, "-3secs" }, { INT64_MIN, "-9223372036854775808ms" },
	};
	char tmp[64];
	int64_t ms;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = -1;
		if (flags_parse_duration(ok[i].in, &ms) != 0 || ms != ok[i].ms) {
			check_failed++;
			fprintf(stderr, "%s: duration '%s' gave %lld\n", __FILE__, ok[i].in, (long long)ms);
		} else {
			check_passed++;
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (flags_parse_duration(bad[i], &ms) != -1) {
			check_failed++;
			fprintf(stderr, "%s: duration '%s' accepted\n", __FILE__, bad[i]);
		} else {
			check_passed++;
		}
	}
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		flags_format_duration(fmt[i].ms, tmp, sizeof(tmp));
		CHECK_STR(tmp, fmt[i].out);
		if (fmt[i].ms >= 0) {
			CHECK(flags_parse_duration(tmp, &ms) == 0 && ms == fmt[i].ms);
		}
	}
}

static void
test_bytes(void)
{
	static const struct { const char *in; uint64_t bytes; } ok[] = {
		{ "2GB", 2048 * MB }, { "512MB", 512 * MB }, { "512", 512 * MB }, { "1KB", 1024 },
		{ "10B", 10 }, { "1TB", 1024 * 1024 * MB }, { "1.5GB", 1536 * MB }, { "0.5KB", 512 },
		{ "0", 0 }, { "16777215TB", UINT64_C(16777215) << 40 },
	};
	static const char *const bad[] = { "", "GB", "-1GB", "1gb", "1 GB", "1.GB", "2XB",
		"16777216TB", "99999999999999999999B" };
	uint64_t b;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK(flags_parse_bytes(ok[i].in, &b) == 0 && b == ok[i].bytes);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(flags_parse_bytes(bad[i], &b) == -1);
}

static void
test_usage(void)
{
	struct config c;
	struct flag f[6];
	char out[USAGE_BYTES], path[] = "/tmp/test_flags_usage_XXXXXX";
	int fd = mkstemp(path), saved;
	size_t n;
	FILE *fp;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	setup(&c, f);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	flags_usage(f, 6, "prog", "[--flag=value ...]");
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	fp = fopen(path, "r");
	n = fp ? fread(out, 1, sizeof(out) - 1, fp) : 0;
	out[n] = '\0';
	if (fp)
		fclose(fp);
	unlink(path);
	CHECK_STR(out,
	          "usage: prog [--flag=value ...]\n"
	          "  --name=VALUE                 what to call it (default: default)\n"
	          "  --port=VALUE                 port to listen on (default: 5050)\n"
	          "  --quiet=VALUE                log less (default: false)\n"
	          "  --agent_ping_timeout=VALUE   ping timeout (default: 15secs)\n"
	          "  --ratio=VALUE                a fraction (default: 0.1)\n"
	          "  --cache_size=VALUE           cache size (default: 2GB)\n");
	flags_free(f, 6);
}

int
main(void)
{
	test_values();
	test_errors();
	test_env();
	test_durations();
	test_bytes();
	test_usage();
	return CHECK_DONE();
}
