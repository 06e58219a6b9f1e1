/*
 * tests/test_jobs_cron.c: the jobs plugin's calendar (plugins/jobs/tz.c,
 * cron.c): cron expressions and their errors, the next time in UTC, the
 * POSIX rules of zoneinfo footers, daylight saving changes in a non-UTC
 * zone (US Eastern, both ways, and the southern hemisphere), and the
 * system's zoneinfo files themselves when the machine has them.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "plugins/jobs/jb.h"

#define ERR 512
#define MIN 60
#define HOUR 3600
#define DAY 86400

/* Seconds since the epoch of a UTC civil time. */
static int64_t
utc(int64_t y, int mo, int d, int h, int mi)
{
	return tz_days_from_civil(y, mo, d) * DAY + h * HOUR + mi * MIN;
}

static int
refused(const char *text, const char *want)
{
	struct cron c;
	char err[ERR] = "";

	if (cron_parse(&c, text, err, sizeof(err)) == 0) {
		fprintf(stderr, "accepted: %s\n", text);
		return 0;
	}
	if (strstr(err, want) == NULL) {
		fprintf(stderr, "%s: %s\n", text, err);
		return 0;
	}
	return 1;
}

/* The next time text fires after `after` in z; -1 when never or unparsable. */
static int64_t
next(const char *text, const struct tz *z, int64_t after)
{
	struct cron c;
	char err[ERR];
	int64_t out;

	if (cron_parse(&c, text, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", text, err);
		return -1;
	}
	return cron_next(&c, z, after, &out) == 0 ? out : -1;
}

static void
test_calendar(void)
{
	int64_t y;
	int m, d;

	CHECK(tz_days_from_civil(1970, 1, 1) == 0);
	CHECK(tz_days_from_civil(2000, 3, 1) == 11017);
	CHECK(tz_days_from_civil(1969, 12, 31) == -1);
	tz_civil_from_days(11017, &y, &m, &d);
	CHECK(y == 2000 && m == 3 && d == 1);
	tz_civil_from_days(-1, &y, &m, &d);
	CHECK(y == 1969 && m == 12 && d == 31);
	CHECK(tz_weekday(0) == 4);                  /* a Thursday */
	CHECK(tz_weekday(-1) == 3);
	CHECK(tz_weekday(tz_days_from_civil(2024, 6, 2)) == 0);
	CHECK(tz_days_in_month(2024, 2) == 29 && tz_days_in_month(2100, 2) == 28);
	CHECK(tz_days_in_month(2000, 2) == 29 && tz_days_in_month(2023, 4) == 30);
}

static void
test_parse(void)
{
	struct cron c;
	char err[ERR];

	CHECK(cron_parse(&c, "* * * * *", err, sizeof(err)) == 0);
	CHECK(c.minutes == (((uint64_t)1 << 60) - 1) && c.hours == (1u << 24) - 1);
	CHECK(c.days_star && c.weekdays_star && !c.fixed);
	CHECK(cron_parse(&c, "0,30 9-17/2 1,15 jan-MAR mon-fri", err, sizeof(err)) == 0);
	CHECK(c.minutes == ((uint64_t)1 | (uint64_t)1 << 30));
	CHECK(c.hours == (1u << 9 | 1u << 11 | 1u << 13 | 1u << 15 | 1u << 17));
	CHECK(c.days == (1u << 1 | 1u << 15) && c.months == (1u << 1 | 1u << 2 | 1u << 3));
	CHECK(c.weekdays == 0x3e && c.fixed && !c.days_star);
	CHECK(cron_parse(&c, "*/15 0 * * 7", err, sizeof(err)) == 0);
	CHECK(c.weekdays == 1 && c.minutes == ((uint64_t)1 | 1ull << 15 | 1ull << 30 | 1ull << 45));
	CHECK(cron_parse(&c, "5/20 * * * 0-7", err, sizeof(err)) == 0);
	CHECK(c.minutes == (1ull << 5 | 1ull << 25 | 1ull << 45) && c.weekdays == 0x7f);
	CHECK(cron_parse(&c, "0\t12  *  DEC sun", err, sizeof(err)) == 0);
	CHECK(c.months == 1u << 12 && c.weekdays == 1);

	CHECK(refused("* * * *", "needs 5 fields"));
	CHECK(refused("* * * * * *", "needs 5 fields"));
	CHECK(refused("", "needs 5 fields"));
	CHECK(refused("60 * * * *", "minute: '60' is not in 0-59"));
	CHECK(refused("* 24 * * *", "hour: '24' is not in 0-23"));
	CHECK(refused("* * 0 * *", "day of month: '0' is not in 1-31"));
	CHECK(refused("* * * 13 *", "month: '13' is not in 1-12"));
	CHECK(refused("* * * * 8", "day of week: '8' is not in 0-7"));
	CHECK(refused("5-1 * * * *", "runs backwards"));
	CHECK(refused("*/0 * * * *", "bad step"));
	CHECK(refused("*/x * * * *", "bad step"));
	CHECK(refused("1,,2 * * * *", "unexpected"));
	CHECK(refused("* * * FOO *", "month: unexpected 'FOO'"));
	CHECK(refused("* * * * MONDAY", "unexpected"));
	CHECK(refused("L * * * *", "unexpected"));
	CHECK(refused("99999999999999999999 * * * *", "is not in 0-59"));
	CHECK(refused("0 0 30 2 *", "Day of the month must exist"));
	CHECK(refused("0 0 31 4,6 *", "Day of the month must exist"));
	/* With the weekday restricted too, either day matches: it runs on Mondays. */
	CHECK(cron_parse(&c, "0 0 31 2 1", err, sizeof(err)) == 0);
	CHECK(cron_parse(&c, "0 0 29 2 *", err, sizeof(err)) == 0);
}

static void
test_next_utc(void)
{
	struct tz *z = tz_utc();
	int64_t t = utc(2024, 5, 17, 10, 20) + 13;  /* a Friday, 10:20:13 */

	CHECK(next("* * * * *", z, t) == utc(2024, 5, 17, 10, 21));
	CHECK(next("* * * * *", z, utc(2024, 5, 17, 10, 21)) == utc(2024, 5, 17, 10, 22));
	CHECK(next("*/15 * * * *", z, t) == utc(2024, 5, 17, 10, 30));
	CHECK(next("0 9 * * *", z, t) == utc(2024, 5, 18, 9, 0));
	CHECK(next("0 9 * * MON-FRI", z, t) == utc(2024, 5, 20, 9, 0));
	CHECK(next("0 0 1 1 *", z, t) == utc(2025, 1, 1, 0, 0));
	CHECK(next("0 0 29 2 *", z, t) == utc(2028, 2, 29, 0, 0));
	CHECK(next("59 23 31 12 *", z, t) == utc(2024, 12, 31, 23, 59));
	/* Both days restricted: the 1st or any Sunday, whichever comes first. */
	CHECK(next("0 0 1 * SUN", z, t) == utc(2024, 5, 19, 0, 0));
	/* One begins with '*': both must match, an odd day (1, 3, ...) that is a Saturday. */
	CHECK(next("0 0 */2 * SAT", z, t) == utc(2024, 5, 25, 0, 0));
	CHECK(next("0 12 * JUN 0", z, t) == utc(2024, 6, 2, 12, 0));
	/* Feb 31 never comes, but Mondays in February do. */
	CHECK(next("0 0 31 2 1", z, t) == utc(2025, 2, 3, 0, 0));
	tz_free(z);
}

static void
test_rules(void)
{
	char err[ERR];
	struct tz *ny = tz_from_rule("EST5EDT", "EST5EDT,M3.2.0,M11.1.0", err, sizeof(err));
	struct tz *syd = tz_from_rule("Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3", err, sizeof(err));
	struct tz *kol = tz_from_rule("Kolkata", "IST-5:30", err, sizeof(err));
	struct tz *q = tz_from_rule("q", "<+0330>-3:30", err, sizeof(err));

	CHECK(ny != NULL && syd != NULL && kol != NULL && q != NULL);
	if (ny == NULL || syd == NULL || kol == NULL || q == NULL)
		return;
	CHECK(tz_offset(ny, utc(2021, 1, 15, 12, 0)) == -5 * HOUR);
	CHECK(tz_offset(ny, utc(2021, 7, 15, 12, 0)) == -4 * HOUR);
	/* 2021: daylight from 03-14 07:00Z to 11-07 06:00Z. */
	CHECK(tz_offset(ny, utc(2021, 3, 14, 6, 59)) == -5 * HOUR);
	CHECK(tz_offset(ny, utc(2021, 3, 14, 7, 0)) == -4 * HOUR);
	CHECK(tz_offset(ny, utc(2021, 11, 7, 5, 59)) == -4 * HOUR);
	CHECK(tz_offset(ny, utc(2021, 11, 7, 6, 0)) == -5 * HOUR);
	CHECK(tz_next_transition(ny, utc(2021, 1, 1, 0, 0)) == utc(2021, 3, 14, 7, 0));
	CHECK(tz_next_transition(ny, utc(2021, 3, 14, 7, 0)) == utc(2021, 11, 7, 6, 0));
	CHECK(tz_prev_transition(ny, utc(2021, 12, 1, 0, 0)) == utc(2021, 11, 7, 6, 0));
	CHECK(tz_offset(syd, utc(2021, 1, 15, 0, 0)) == 11 * HOUR);
	CHECK(tz_offset(syd, utc(2021, 7, 15, 0, 0)) == 10 * HOUR);
	/* Sydney 2021: daylight ends 04-04 03:00 AEDT (16:00Z the day before). */
	CHECK(tz_offset(syd, utc(2021, 4, 3, 15, 59)) == 11 * HOUR);
	CHECK(tz_offset(syd, utc(2021, 4, 3, 16, 0)) == 10 * HOUR);
	CHECK(tz_offset(kol, utc(2021, 7, 1, 0, 0)) == 5 * HOUR + 30 * MIN);
	CHECK(tz_next_transition(kol, 0) == INT64_MAX);
	CHECK(tz_offset(q, 0) == 3 * HOUR + 30 * MIN);
	CHECK(tz_from_rule("x", "E5", err, sizeof(err)) == NULL);
	CHECK(tz_from_rule("x", "EST5EDT,M13.1.0,M11.1.0", err, sizeof(err)) == NULL);
	CHECK(tz_from_rule("x", "EST5EDT,M3.2.0", err, sizeof(err)) == NULL);
	CHECK(tz_from_rule("x", "EST99", err, sizeof(err)) == NULL);
	tz_free(ny);
	tz_free(syd);
	tz_free(kol);
	tz_free(q);
}

/* Daylight saving changes, as Vixie cron runs jobs across them. */
static void
test_dst(const struct tz *ny)
{
	/* Spring forward, 2021-03-14: 02:00 EST is 03:00 EDT (07:00Z); 02:xx never happens. */
	CHECK(next("30 2 * * *", ny, utc(2021, 3, 13, 8, 0)) == utc(2021, 3, 14, 7, 0));
	CHECK(next("30 2 * * *", ny, utc(2021, 3, 14, 7, 0)) == utc(2021, 3, 15, 6, 30));
	CHECK(next("0 2 * * *", ny, utc(2021, 3, 13, 8, 0)) == utc(2021, 3, 14, 7, 0));
	CHECK(next("30 3 * * *", ny, utc(2021, 3, 13, 9, 0)) == utc(2021, 3, 14, 7, 30));
	/* Wildcard jobs follow the real minutes and hours. */
	CHECK(next("* * * * *", ny, utc(2021, 3, 14, 6, 59)) == utc(2021, 3, 14, 7, 0));
	CHECK(next("30 * * * *", ny, utc(2021, 3, 14, 6, 30)) == utc(2021, 3, 14, 7, 30));
	CHECK(next("*/20 2 * * *", ny, utc(2021, 3, 14, 6, 0)) == utc(2021, 3, 15, 6, 0));
	/* Fall back, 2021-11-07: 02:00 EDT is 01:00 EST (06:00Z); 01:xx happens twice. */
	CHECK(next("30 1 * * *", ny, utc(2021, 11, 6, 12, 0)) == utc(2021, 11, 7, 5, 30));
	CHECK(next("30 1 * * *", ny, utc(2021, 11, 7, 5, 30)) == utc(2021, 11, 8, 6, 30));
	CHECK(next("0 1 * * *", ny, utc(2021, 11, 7, 5, 59)) == utc(2021, 11, 8, 6, 0));
	CHECK(next("30 * * * *", ny, utc(2021, 11, 7, 5, 30)) == utc(2021, 11, 7, 6, 30));
	CHECK(next("* * * * *", ny, utc(2021, 11, 7, 5, 59)) == utc(2021, 11, 7, 6, 0));
	CHECK(next("* * * * *", ny, utc(2021, 11, 7, 6, 0)) == utc(2021, 11, 7, 6, 1));
	/* An ordinary day either side. */
	CHECK(next("0 9 * * *", ny, utc(2021, 1, 10, 0, 0)) == utc(2021, 1, 10, 14, 0));
	CHECK(next("0 9 * * *", ny, utc(2021, 7, 10, 0, 0)) == utc(2021, 7, 10, 13, 0));
}

static void
test_zoneinfo(void)
{
	char err[ERR] = "";
	struct stat st;
	struct tz *z;

	CHECK(tz_load(NULL, "../../etc/passwd", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "no time zone found") != NULL);
	CHECK(tz_load(NULL, "/etc/localtime", err, sizeof(err)) == NULL);
	CHECK(tz_load("/nonexistent", "America/New_York", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "no time zone found with this id") != NULL);
	z = tz_load(NULL, "UTC", err, sizeof(err));
	CHECK(z != NULL && tz_offset(z, 0) == 0 && strcmp(tz_name(z), "UTC") == 0);
	tz_free(z);
	/* Not a TZif file: refused, not misread. */
	CHECK(tz_load("/etc", "hostname", err, sizeof(err)) == NULL);
	if (stat("/usr/share/zoneinfo/America/New_York", &st) != 0) {
		printf("skip - no /usr/share/zoneinfo/America/New_York (tzdata)\n");
		return;
	}
	z = tz_load(NULL, "America/New_York", err, sizeof(err));
	CHECK(z != NULL);
	if (z == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK(tz_offset(z, utc(2021, 7, 1, 0, 0)) == -4 * HOUR);
	CHECK(tz_offset(z, utc(1975, 1, 1, 0, 0)) == -5 * HOUR);
	/* Far beyond the file's table: the footer's rule. */
	CHECK(tz_offset(z, utc(2100, 7, 1, 0, 0)) == -4 * HOUR);
	CHECK(tz_offset(z, utc(2100, 12, 1, 0, 0)) == -5 * HOUR);
	test_dst(z);
	tz_free(z);
	z = tz_load(NULL, "Australia/Sydney", err, sizeof(err));
	CHECK(z != NULL && tz_offset(z, utc(2021, 1, 15, 0, 0)) == 11 * HOUR);
	/* 09:00 Sydney in summer is 22:00Z the day before. */
	CHECK(z != NULL && next("0 9 * * *", z, utc(2021, 1, 15, 0, 0)) == utc(2021, 1, 15, 22, 0));
	tz_free(z);
}

int
main(void)
{
	char err[ERR];
	struct tz *ny = tz_from_rule("EST5EDT", "EST5EDT,M3.2.0,M11.1.0", err, sizeof(err));

	test_calendar();
	test_parse();
	test_next_utc();
	test_rules();
	CHECK(ny != NULL);
	if (ny != NULL)
		test_dst(ny);
	tz_free(ny);
	test_zoneinfo();
	return CHECK_DONE();
}
