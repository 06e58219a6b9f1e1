/*
 * log.c: owns the process-wide log level and program name, and the format of
 * every diagnostic line: "<UTC ISO-8601 time> prog: level: text" on stderr,
 * or "level: text" to syslog(3) when a service manager starts the daemon;
 * and the folding of a line repeated at once into "last message repeated N
 * times", as syslogd does, so a fault that repeats cannot flood the log.
 */
#include "log.h"
#include "compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* One log line, truncated beyond this; keeps formatting allocation-free. */
#define LOG_LINE_MAX_BYTES 4096
/* "2026-11-25T20:01:02.123Z" plus NUL. */
#define LOG_STAMP_MAX_BYTES 32
#define LOG_ERRNO_TEXT_MAX_BYTES 256
#define LOG_MS_PER_SECOND 1000
/* Repeats of one line are folded for this long, then counted and shown again. */
#define LOG_REPEAT_WINDOW_MS 30000
/* A count not yet shown is shown this long after the last repeat, should no other line come. */
#define LOG_REPEAT_FLUSH_MS 1000

static const char *log_progname;
static enum log_level log_level_current = LOG_LEVEL_INFO;
static int log_to_syslog;

void
log_init(const char *progname, enum log_level level)
{
	const char *slash;

	/* Keep only the basename so logs read the same however we were started. */
	if (progname != NULL && (slash = strrchr(progname, '/')) != NULL && slash[1] != '\0')
		progname = slash + 1;
	log_progname = progname;
	log_level_current = level;
}

void
log_set_level(enum log_level level)
{
	log_level_current = level;
}

enum log_level
log_get_level(void)
{
	return log_level_current;
}

int
log_level_parse(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "error") == 0)
		return LOG_LEVEL_ERROR;
	if (strcmp(name, "warn") == 0 || strcmp(name, "warning") == 0)
		return LOG_LEVEL_WARN;
	if (strcmp(name, "info") == 0)
		return LOG_LEVEL_INFO;
	if (strcmp(name, "debug") == 0)
		return LOG_LEVEL_DEBUG;
	return -1;
}

/* LOG_NDELAY: connected now, before a chroot or a full descriptor table. */
static void
open_syslog(void)
{
	openlog(log_progname != NULL ? log_progname : "mesos", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_set_output(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "stderr") == 0) {
		if (log_to_syslog)
			closelog();
		log_to_syslog = 0;
		return 0;
	}
	if (strcmp(name, "syslog") != 0)
		return -1;
	open_syslog();
	log_to_syslog = 1;
	return 0;
}

void
log_reopen(void)
{
	if (!log_to_syslog)
		return;
	closelog();
	open_syslog();
}

/* A line whose text starts at skip (after the stamp and name, which syslog adds itself). */
static void
emit_line(const char *level, const char *line, size_t skip)
{
	int prio = LOG_INFO;

	if (!log_to_syslog) {
		fputs(line, stderr);
		fflush(stderr);
		return;
	}
	if (strcmp(level, "warning") == 0)
		prio = LOG_WARNING;
	else if (strcmp(level, "debug") == 0)
		prio = LOG_DEBUG;
	else if (strcmp(level, "fatal") == 0)
		prio = LOG_ERR;
	/* Without its newline: syslog ends the record. */
	syslog(prio, "%.*s", (int)(strlen(line + skip) - 1), line + skip);
}

static void
format_stamp(char *out, size_t outlen)
{
	double now = compat_wall_time();
	time_t secs = (time_t)now;   /* truncation is floor: the epoch is behind us */
	long ms = (long)((now - (double)secs) * LOG_MS_PER_SECOND);
	struct tm tm;
	size_t n;

	if (ms < 0 || ms >= LOG_MS_PER_SECOND)
		ms = 0;
	if (gmtime_r(&secs, &tm) == NULL ||
	    (n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		snprintf(out, outlen, "?");
		return;
	}
	snprintf(out + n, outlen - n, ".%03ldZ", ms);
}

/*
 * Per thread (an agent's syncer thread logs too), so no lock is needed: a
 * repeat is the same text, time aside, as the thread's last line.
 */
#ifdef __TINYC__
/* tcc has no thread-local storage, and a shared buffer would race: no folding there. */
#define LOG_THREAD_LOCAL
#define LOG_FOLDS 0
#else
#define LOG_THREAD_LOCAL _Thread_local
#define LOG_FOLDS 1
#endif
static LOG_THREAD_LOCAL char log_last[LOG_LINE_MAX_BYTES];
static LOG_THREAD_LOCAL long log_repeats;
static LOG_THREAD_LOCAL int64_t log_last_ms;
static LOG_THREAD_LOCAL int64_t log_repeat_ms;   /* when the last repeat was counted */

static void
show_repeats(const char *stamp)
{
	char line[LOG_LINE_MAX_BYTES];

	if (log_repeats == 0)
		return;
	snprintf(line, sizeof(line), "%s %s%slast message repeated %ld times\n", stamp,
	         log_progname != NULL ? log_progname : "", log_progname != NULL ? ": " : "",
	         log_repeats);
	emit_line("info", line, strlen(stamp) + 1 + (log_progname != NULL ? strlen(log_progname) + 2 : 0));
	log_repeats = 0;
}

/* 1: body repeats the last line within the window and is only counted. */
static int
log_fold_repeat(const char *stamp, const char *body)
{
	int64_t now = compat_monotonic_ms();

	if (!LOG_FOLDS)
		return 0;
	if (strcmp(body, log_last) == 0 && now - log_last_ms < LOG_REPEAT_WINDOW_MS) {
		log_repeats++;
		log_repeat_ms = now;
		return 1;
	}
	show_repeats(stamp);
	snprintf(log_last, sizeof(log_last), "%s", body);
	log_last_ms = now;
	return 0;
}

int64_t
log_repeats_due_ms(void)
{
	int64_t left;

	if (log_repeats == 0)
		return -1;
	left = log_repeat_ms + LOG_REPEAT_FLUSH_MS - compat_monotonic_ms();
	return left > 0 ? left : 0;
}

void
log_flush_repeats(void)
{
	char stamp[LOG_STAMP_MAX_BYTES];

	if (log_repeats_due_ms() != 0)
		return;
	format_stamp(stamp, sizeof(stamp));
	show_repeats(stamp);
}

/*
 * The whole line is built first and written with one call so lines from
 * several threads or processes sharing stderr do not interleave.
 */
static void
log_emit(const char *level, int errnum, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX_BYTES];
	char stamp[LOG_STAMP_MAX_BYTES];
	char errtext[LOG_ERRNO_TEXT_MAX_BYTES];
	size_t used = 0, body;
	int n;

	format_stamp(stamp, sizeof(stamp));
	body = strlen(stamp) + 1;
	if (log_progname != NULL)
		n = snprintf(line, sizeof(line), "%s %s: %s: ", stamp, log_progname, level);
	else
		n = snprintf(line, sizeof(line), "%s %s: ", stamp, level);
	if (n > 0)
		used = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;

	n = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
	if (n > 0)
		used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;

	if (errnum != 0) {
		if (strerror_r(errnum, errtext, sizeof(errtext)) != 0)
			snprintf(errtext, sizeof(errtext), "error %d", errnum);
		n = snprintf(line + used, sizeof(line) - used, ": %s", errtext);
		if (n > 0)
			used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;
	}

	/* Reserve room for the newline even when the text was truncated. */
	if (used >= sizeof(line) - 1)
		used = sizeof(line) - 2;
	line[used++] = '\n';
	line[used] = '\0';
	if (log_fold_repeat(stamp, line + body))
		return;
	emit_line(level, line, strlen(stamp) + 1 + (log_progname != NULL ? strlen(log_progname) + 2 : 0));
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_level_current >= LOG_LEVEL_WARN) {
		va_start(ap, fmt);
		log_emit("warning", saved, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_level_current >= LOG_LEVEL_WARN) {
		va_start(ap, fmt);
		log_emit("warning", 0, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_level_current >= LOG_LEVEL_INFO) {
		va_start(ap, fmt);
		log_emit("info", 0, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_level_current >= LOG_LEVEL_DEBUG) {
		va_start(ap, fmt);
		log_emit("debug", 0, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit("fatal", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}

int
log_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
