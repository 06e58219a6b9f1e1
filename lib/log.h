/*
 * log.h: the five logging verbs every program uses.
 * Messages go to stderr as "prog: level: text" (or to syslog, log_set_output);
 * log_warn appends strerror(errno).
 * fatal()/fatalx() are for start-up failures and programming errors only: a
 * daemon never exits because of something a peer sent.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

#if defined(__GNUC__) || defined(__clang__)
#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define LOG_NORETURN __attribute__((noreturn))
#else
#define LOG_PRINTF(a, b)
#define LOG_NORETURN
#endif

void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warn"/"warning", "info", "debug" -> level; -1 when unknown. */
int log_level_parse(const char *name);

/*
 * Where lines go: "stderr" (the default, for the foreground) or "syslog"
 * (facility daemon, the program's name and pid, as when a service manager
 * starts the daemon). 0, or -1 for another name. Call after log_init.
 */
int log_set_output(const char *name);
/* SIGHUP's: reconnect to syslog (a restarted syslogd); stderr stays as it is. */
void log_reopen(void);
/*
 * Repeats of a line are folded into "last message repeated N times", shown
 * with the next other line, or by log_flush_repeats once LOG_REPEAT_FLUSH_MS
 * have passed since the last repeat (the loop calls it: a daemon that goes
 * quiet still tells the count). log_repeats_due_ms: how long until then, 0
 * when due, -1 when nothing waits. Both concern the calling thread's lines.
 */
int64_t log_repeats_due_ms(void);
void log_flush_repeats(void);

void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);   /* adds ": strerror(errno)" */
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
/*
 * Write a one-line reason into a caller's error buffer (err may be NULL)
 * and return -1: the project's way of failing with an explanation.
 */
int log_fail(char *err, size_t errlen, const char *fmt, ...) LOG_PRINTF(3, 4);

void fatal(const char *fmt, ...) LOG_PRINTF(1, 2) LOG_NORETURN;  /* adds strerror, exit 1 */
void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) LOG_NORETURN; /* exit 1 */

#endif
