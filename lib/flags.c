/*
 * flags.c: owns command-line flags in Mesos's form: --name=value, --name
 * value, boolean --name / --no-name, MESOS_<NAME> in the environment, and
 * the duration and size syntaxes those values use. String targets always
 * hold malloc'ed text (or NULL): a new value frees the old one, and
 * flags_free releases whatever is left.
 */
#include "flags.h"
#include "log.h"
#include "xmem.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest flag name we build an environment variable for. */
#define FLAGS_NAME_MAX 127
/* Bytes of a bad value quoted back in an error. */
#define FLAGS_QUOTE_MAX 64
/* Room for a formatted default value. */
#define FLAGS_VALUE_BUF_BYTES 64
/* Spaces between the widest "--name=VALUE" and the help text. */
#define FLAGS_USAGE_GAP 3

/* Time and size units, in nanoseconds and bytes. */
#define NS_PER_US INT64_C(1000)
#define NS_PER_MS (NS_PER_US * 1000)
#define NS_PER_SEC (NS_PER_MS * 1000)
#define NS_PER_MIN (NS_PER_SEC * 60)
#define NS_PER_HR (NS_PER_MIN * 60)
#define NS_PER_DAY (NS_PER_HR * 24)
#define NS_PER_WEEK (NS_PER_DAY * 7)
#define BYTES_PER_KB INT64_C(1024)

struct unit {
	const char *suffix;
	int64_t scale;   /* nanoseconds (durations) or bytes (sizes) */
};

/* Largest first: formatting picks the first one that divides. */
static const struct unit duration_units[] = {
	{ "weeks", NS_PER_WEEK },
	{ "days", NS_PER_DAY },
	{ "hrs", NS_PER_HR },
	{ "mins", NS_PER_MIN },
	{ "secs", NS_PER_SEC },
	{ "ms", NS_PER_MS },
	{ "us", NS_PER_US },
	{ "ns", 1 },
};
/* A plain number is seconds: the row of "secs" above. */
#define DURATION_SECS_INDEX 4

static const struct unit byte_units[] = {
	{ "TB", BYTES_PER_KB * BYTES_PER_KB * BYTES_PER_KB * BYTES_PER_KB },
	{ "GB", BYTES_PER_KB * BYTES_PER_KB * BYTES_PER_KB },
	{ "MB", BYTES_PER_KB * BYTES_PER_KB },
	{ "KB", BYTES_PER_KB },
	{ "B", 1 },
};
/* A plain number is megabytes: the row of "MB" above. */
#define BYTES_MB_INDEX 2

#define NUNITS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * "N" or "N.F" followed by a unit from the table (or none: default_unit),
 * as a count of the table's base unit. The fraction is applied digit by
 * digit from the last one, so it cannot overflow whatever its length and
 * is exact to within one base unit.
 */
static int
parse_with_unit(const char *s, const struct unit *units, size_t nunits, size_t default_unit,
                uint64_t max, uint64_t *out)
{
	const char *p = s, *frac = NULL, *frac_end;
	uint64_t whole = 0, scale, part = 0;
	size_t i;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p++ - '0');

		if (whole > (UINT64_MAX - d) / 10)
			return -1;
		whole = whole * 10 + d;
	}
	if (*p == '.') {
		frac = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == frac)
			return -1;
	}
	frac_end = p;
	if (*p == '\0') {
		i = default_unit;
	} else {
		for (i = 0; i < nunits; i++)
			if (strcmp(p, units[i].suffix) == 0)
				break;
		if (i == nunits)
			return -1;
	}
	scale = (uint64_t)units[i].scale;
	if (whole > max / scale)
		return -1;
	whole *= scale;
	/* part stays below scale, so digit * scale + part fits for every table scale. */
	for (const char *d = frac_end; frac != NULL && d > frac; d--)
		part = ((uint64_t)(d[-1] - '0') * scale + part) / 10;
	if (part > max - whole)
		return -1;
	*out = whole + part;
	return 0;
}

int
flags_parse_duration(const char *s, int64_t *ms)
{
	uint64_t ns;

	if (parse_with_unit(s, duration_units, NUNITS(duration_units), DURATION_SECS_INDEX,
	                    (uint64_t)INT64_MAX, &ns) < 0)
		return -1;
	/* Rounded to the nearest millisecond, half up. */
	*ms = (int64_t)(ns / NS_PER_MS + (ns % NS_PER_MS >= NS_PER_MS / 2));
	return 0;
}

int
flags_parse_bytes(const char *s, uint64_t *bytes)
{
	return parse_with_unit(s, byte_units, NUNITS(byte_units), BYTES_MB_INDEX, UINT64_MAX, bytes);
}

/*
 * v (a count of base) with the largest unit of the table that divides it
 * exactly; units finer than base are not considered, and 0 takes the
 * finest one ("0ms", "0B").
 */
static void
format_with_unit(uint64_t v, int negative, const struct unit *units, size_t nunits, uint64_t base,
                 char *buf, size_t len)
{
	uint64_t mult = 1;
	const char *suffix = "";

	for (size_t i = 0; i < nunits && (uint64_t)units[i].scale >= base; i++) {
		mult = (uint64_t)units[i].scale / base;
		suffix = units[i].suffix;
		if (v != 0 && v % mult == 0)
			break;
	}
	snprintf(buf, len, "%s%llu%s", negative ? "-" : "", (unsigned long long)(v / mult), suffix);
}

void
flags_format_duration(int64_t ms, char *buf, size_t len)
{
	uint64_t mag = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;

	format_with_unit(mag, ms < 0, duration_units, NUNITS(duration_units), (uint64_t)NS_PER_MS,
	                 buf, len);
}

static void
format_bytes(uint64_t bytes, char *buf, size_t len)
{
	format_with_unit(bytes, 0, byte_units, NUNITS(byte_units), 1, buf, len);
}

/* ------------------------------------------------------------ parsing */

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "1", "yes" };
	static const char *const no[] = { "false", "0", "no" };

	for (size_t i = 0; i < NUNITS(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
parse_int(const char *s, long long *out)
{
	const char *digits = *s == '-' ? s + 1 : s;
	char *end;

	/* strtoll alone would accept leading blanks and a '+'. */
	if (*digits < '0' || *digits > '9')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

static int
parse_double(const char *s, double *out)
{
	char *end;

	/* Plain decimal only: no blanks, hex floats, "inf" or "nan". */
	if (*s == '\0' || strspn(s, "0123456789+-.eE") != strlen(s))
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return *end != '\0' || errno == ERANGE || !isfinite(*out) ? -1 : 0;
}

/* What a bad value of each type should have looked like. */
static const char *
expected(enum flag_type t)
{
	switch (t) {
	case FLAG_STRING:
		return "a string";
	case FLAG_INT:
		return "an integer";
	case FLAG_BOOL:
		return "true or false";
	case FLAG_DURATION:
		return "a duration like 15secs";
	case FLAG_DOUBLE:
		return "a number";
	case FLAG_BYTES:
		return "a size like 512MB";
	}
	return "a value";
}

/* Store value into f's target; source names where it came from ("--port", "MESOS_PORT"). */
static int
set_value(struct flag *f, const char *value, const char *source, char *err, size_t errlen)
{
	long long i;
	double d;
	int64_t ms;
	uint64_t bytes;
	int b;

	switch (f->type) {
	case FLAG_STRING:
		free(*(char **)f->target);
		*(char **)f->target = xstrdup(value);
		break;
	case FLAG_INT:
		if (parse_int(value, &i) < 0)
			goto bad;
		*(long long *)f->target = i;
		break;
	case FLAG_BOOL:
		if (parse_bool(value, &b) < 0)
			goto bad;
		*(int *)f->target = b;
		break;
	case FLAG_DURATION:
		if (flags_parse_duration(value, &ms) < 0)
			goto bad;
		*(int64_t *)f->target = ms;
		break;
	case FLAG_DOUBLE:
		if (parse_double(value, &d) < 0)
			goto bad;
		*(double *)f->target = d;
		break;
	case FLAG_BYTES:
		if (flags_parse_bytes(value, &bytes) < 0)
			goto bad;
		*(uint64_t *)f->target = bytes;
		break;
	}
	f->set = 1;
	return 0;
bad:
	return log_fail(err, errlen, "bad value '%.*s' for %s: expected %s", FLAGS_QUOTE_MAX, value, source,
	            expected(f->type));
}

static struct flag *
lookup(struct flag *flags, size_t nflags, const char *name, size_t len)
{
	for (size_t i = 0; i < nflags; i++)
		if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	return NULL;
}

/* One "--..." argument at argv[*i]; may consume the next one as its value. */
static int
parse_arg(struct flag *flags, size_t nflags, int argc, char **argv, int *i, char *err,
          size_t errlen)
{
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
	struct flag *f = lookup(flags, nflags, arg, nlen);
	char source[FLAGS_NAME_MAX + 3];
	const char *value;

	snprintf(source, sizeof(source), "--%.*s", (int)(nlen < FLAGS_NAME_MAX ? nlen : FLAGS_NAME_MAX),
	         arg);
	if (f == NULL && nlen > 3 && strncmp(arg, "no-", 3) == 0) {
		f = lookup(flags, nflags, arg + 3, nlen - 3);
		if (f != NULL && f->type == FLAG_BOOL) {
			if (eq != NULL)
				return log_fail(err, errlen, "flag '%s' takes no value", source);
			*(int *)f->target = 0;
			f->set = 1;
			return 0;
		}
		f = NULL;
	}
	if (f == NULL)
		return log_fail(err, errlen, "unknown flag '%s'", source);
	if (eq != NULL) {
		value = eq + 1;
	} else if (f->type == FLAG_BOOL) {
		value = "true";
	} else if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
		value = argv[++*i];
	} else {
		return log_fail(err, errlen, "flag '%s' needs a value", source);
	}
	return set_value(f, value, source, err, errlen);
}

/* <prefix><NAME> for every flag the command line did not set. */
static int
parse_env(struct flag *flags, size_t nflags, const char *prefix, int *from_cmdline, char *err,
          size_t errlen)
{
	for (size_t i = 0; i < nflags; i++) {
		char var[FLAGS_NAME_MAX + 1];
		const char *value;
		size_t n;

		/* What is meant for tests only must not be switched on by a
		 * variable left in a production daemon's environment. */
		if (from_cmdline[i] || strncmp(flags[i].name, FLAGS_TEST_PREFIX,
		                               strlen(FLAGS_TEST_PREFIX)) == 0)
			continue;
		n = (size_t)snprintf(var, sizeof(var), "%s%s", prefix, flags[i].name);
		if (n >= sizeof(var))
			continue;
		for (char *c = var + strlen(prefix); *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		value = getenv(var);
		if (value != NULL && set_value(&flags[i], value, var, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int
flags_parse(struct flag *flags, size_t nflags, int argc, char **argv, const char *env_prefix,
            int *first_arg, int *help, char *err, size_t errlen)
{
	int *from_cmdline = xcalloc(nflags ? nflags : 1, sizeof(*from_cmdline));
	int i, rc = 0;

	*help = 0;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(arg, "--", 2) != 0)
			break;
		if (strcmp(arg, "--help") == 0) {
			*help = 1;
			*first_arg = argc;
			free(from_cmdline);
			return 0;
		}
		if (parse_arg(flags, nflags, argc, argv, &i, err, errlen) < 0) {
			rc = -1;
			break;
		}
	}
	*first_arg = i < argc ? i : argc;
	if (rc == 0) {
		for (size_t k = 0; k < nflags; k++)
			from_cmdline[k] = flags[k].set;
		if (env_prefix != NULL)
			rc = parse_env(flags, nflags, env_prefix, from_cmdline, err, errlen);
	}
	free(from_cmdline);
	return rc;
}

static void
format_value(const struct flag *f, char *buf, size_t len)
{
	switch (f->type) {
	case FLAG_STRING:
		snprintf(buf, len, "%s", *(char *const *)f->target ? *(char *const *)f->target : "");
		break;
	case FLAG_INT:
		snprintf(buf, len, "%lld", *(const long long *)f->target);
		break;
	case FLAG_BOOL:
		snprintf(buf, len, "%s", *(const int *)f->target ? "true" : "false");
		break;
	case FLAG_DURATION:
		flags_format_duration(*(const int64_t *)f->target, buf, len);
		break;
	case FLAG_DOUBLE:
		snprintf(buf, len, "%g", *(const double *)f->target);
		break;
	case FLAG_BYTES:
		format_bytes(*(const uint64_t *)f->target, buf, len);
		break;
	}
}

void
flags_usage(const struct flag *flags, size_t nflags, const char *prog, const char *synopsis)
{
	size_t width = 0;

	printf("usage: %s %s\n", prog, synopsis);
	for (size_t i = 0; i < nflags; i++)
		if (strlen(flags[i].name) > width)
			width = strlen(flags[i].name);
	for (size_t i = 0; i < nflags; i++) {
		char value[FLAGS_VALUE_BUF_BYTES];

		format_value(&flags[i], value, sizeof(value));
		printf("  --%s=VALUE%*s%s", flags[i].name,
		       (int)(width - strlen(flags[i].name) + FLAGS_USAGE_GAP), "", flags[i].help);
		if (value[0] != '\0')
			printf(" (default: %s)", value);
		printf("\n");
	}
}

void
flags_free(struct flag *flags, size_t nflags)
{
	for (size_t i = 0; i < nflags; i++) {
		if (flags[i].type == FLAG_STRING) {
			free(*(char **)flags[i].target);
			*(char **)flags[i].target = NULL;
		}
	}
}
