/*
 * flags.h: command-line flags in Mesos form.
 *
 *   --name=value   --name value (not for booleans)   --name (boolean true)
 *   --no-name (boolean false)   PREFIX_NAME=value in the environment
 *
 * The prefix is each program's own: MESOS_ for the daemons, MESOS_LB_ for
 * mesos-lb (whose --ip must not be read from the master's MESOS_IP).
 *
 * Flags named "test_..." (behaviour for tests only) are read from the
 * command line only, never from the environment.
 *
 * A command line value wins over the environment. Durations are
 * "Nns|Nus|Nms|Nsecs|Nmins|Nhrs|Ndays|Nweeks" or plain seconds; sizes are
 * "NB|NKB|NMB|NGB|NTB" or plain megabytes. Unknown flags and bad values
 * are errors with a one-line message naming the flag.
 */
#ifndef FLAGS_H
#define FLAGS_H

#include <stddef.h>
#include <stdint.h>

/* Names of flags the environment may not set. */
#define FLAGS_TEST_PREFIX "test_"

enum flag_type { FLAG_STRING, FLAG_INT, FLAG_BOOL, FLAG_DURATION, FLAG_DOUBLE, FLAG_BYTES };

struct flag {
	const char *name;          /* without "--" */
	enum flag_type type;
	void *target;              /* char ** (malloc'ed copy), long long *, int *, int64_t * (ms
	                              for FLAG_DURATION), double *, uint64_t * (bytes) */
	const char *help;          /* one line; the default is printed from the target's value */
	int set;                   /* out: 1 if given on the command line or in the environment */
};

/*
 * Parse argv (argv[0] skipped) and then <env_prefix><NAME> variables (the
 * name upper-cased) for flags not on the command line (env_prefix
 * "MESOS_", "MESOS_LB_", or NULL to skip). Stops at
 * "--" or the first non-flag argument; *first_arg gets its index (argc if
 * none). "--help" sets *help and returns 0. Returns 0, or -1 with err.
 */
int flags_parse(struct flag *flags, size_t nflags, int argc, char **argv, const char *env_prefix,
                int *first_arg, int *help, char *err, size_t errlen);

/* Print "usage" and one line per flag with its default/current value. */
void flags_usage(const struct flag *flags, size_t nflags, const char *prog, const char *synopsis);

/* Free FLAG_STRING values allocated by flags_parse. */
void flags_free(struct flag *flags, size_t nflags);

/* "15secs" -> 15000 ms. Returns 0 or -1. Plain numbers are seconds; fractions allowed ("0.5secs"). */
int flags_parse_duration(const char *s, int64_t *ms);
/* Format ms as Mesos would print it ("15secs", "500ms", "2mins"). */
void flags_format_duration(int64_t ms, char *buf, size_t len);
/* "2GB" -> bytes; plain numbers are MB. */
int flags_parse_bytes(const char *s, uint64_t *bytes);

#endif
