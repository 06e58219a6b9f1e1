/*
 * cron.c: cron expressions as Metronome's schedules take them, five
 * fields (minute hour day-of-month month day-of-week) of lists, ranges
 * and steps, month and day names (JAN-DEC, SUN-SAT; 7 is Sunday too),
 * and the next time one fires in a time zone. Days follow Vixie cron
 * (crontab(5)): when both day fields are restricted a day matching either
 * runs; when one begins with '*' both must match. Daylight saving changes
 * follow Vixie cron too (cron(8)): a job whose minute and hour are both
 * fixed runs once when its local time is skipped (at the end of the gap)
 * and once when it repeats (the first time); any other job runs on the
 * real minutes the clock shows. The search walks local days, not minutes,
 * so a yearly schedule costs a few hundred steps.
 */
#include <ctype.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jb.h"

#define CRON_FIELDS        5
#define CRON_TEXT_MAX      256          /* bytes of an expression */
#define CRON_HORIZON_DAYS  (366 * 30)   /* Feb 29 on a given weekday recurs within 28 years */
#define CRON_TRANSITIONS_MAX 64         /* offset changes crossed in one search */
#define S_PER_MIN          60
#define S_PER_HOUR         3600
#define S_PER_DAY          86400
#define MINUTES_PER_HOUR   60
#define HOURS_PER_DAY      24
#define DAYS_PER_WEEK      7

struct field {
	const char *name;
	int min, max;
	const char *const *names;       /* names of min.., NULL = none */
};

static const char *const MONTHS[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
	"SEP", "OCT", "NOV", "DEC", NULL };
static const char *const DAYS[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL };

static const struct field FIELDS[CRON_FIELDS] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, MONTHS },
	{ "day of week", 0, 7, DAYS },
};

/* A number or a name at *s; -1 after writing err. */
static int
value(const struct field *f, const char **s, int *out, char *err, size_t errlen)
{
	const char *p = *s;

	if (isdigit((unsigned char)*p)) {
		long v = 0;

		while (isdigit((unsigned char)*p) && v <= f->max)
			v = v * 10 + (*p++ - '0');
		if (isdigit((unsigned char)*p) || v < f->min || v > f->max) {
			snprintf(err, errlen, "%s: '%.*s' is not in %d-%d", f->name,
			         (int)strspn(*s, "0123456789"), *s, f->min, f->max);
			return -1;
		}
		*out = (int)v;
		*s = p;
		return 0;
	}
	for (size_t i = 0; f->names != NULL && f->names[i] != NULL; i++)
		if (strncasecmp(p, f->names[i], strlen(f->names[i])) == 0 &&
		    !isalpha((unsigned char)p[strlen(f->names[i])])) {
			*out = f->min + (int)i;
			*s = p + strlen(f->names[i]);
			return 0;
		}
	snprintf(err, errlen, "%s: unexpected '%.16s'", f->name, p);
	return -1;
}

/* One field: item[,item...], item = (* | a[-b]) [/step]. */
static int
parse_field(const struct field *f, const char *s, uint64_t *bits, int *star, char *err,
            size_t errlen)
{
	*bits = 0;
	*star = *s == '*';
	for (;;) {
		int lo, hi, step = 1;

		if (*s == '*') {
			lo = f->min;
			hi = f->max;
			s++;
		} else {
			if (value(f, &s, &lo, err, errlen) == -1)
				return -1;
			hi = lo;
			if (*s == '-') {
				s++;
				if (value(f, &s, &hi, err, errlen) == -1)
					return -1;
				if (hi < lo) {
					snprintf(err, errlen, "%s: range %d-%d runs backwards", f->name, lo, hi);
					return -1;
				}
			} else if (*s == '/') {
				hi = f->max;    /* a/n: from a on, every n */
			}
		}
		if (*s == '/') {
			char *end;
			long n;

			s++;
			n = isdigit((unsigned char)*s) ? strtol(s, &end, 10) : 0;
			if (n < 1 || n > f->max) {
				snprintf(err, errlen, "%s: bad step '%.16s'", f->name, s);
				return -1;
			}
			step = (int)n;
			s = end;
		}
		for (int v = lo; v <= hi; v += step)
			*bits |= (uint64_t)1 << v;
		if (*s == '\0')
			return 0;
		if (*s != ',') {
			snprintf(err, errlen, "%s: unexpected '%.16s'", f->name, s);
			return -1;
		}
		s++;
	}
}

int
cron_parse(struct cron *c, const char *text, char *err, size_t errlen)
{
	char copy[CRON_TEXT_MAX + 1], *fields[CRON_FIELDS + 1], *save = NULL, *p;
	uint64_t bits[CRON_FIELDS];
	int star[CRON_FIELDS];
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	if (strlen(text) > CRON_TEXT_MAX) {
		snprintf(err, errlen, "a cron expression has at most %d bytes", CRON_TEXT_MAX);
		return -1;
	}
	snprintf(copy, sizeof(copy), "%s", text);
	for (p = strtok_r(copy, " \t", &save); p != NULL && n <= CRON_FIELDS;
	     p = strtok_r(NULL, " \t", &save))
		fields[n++] = p;
	if (n != CRON_FIELDS) {
		snprintf(err, errlen, "'%.64s' is not a cron expression: it needs 5 fields (minute hour "
		         "day-of-month month day-of-week)", text);
		return -1;
	}
	for (size_t i = 0; i < CRON_FIELDS; i++)
		if (parse_field(&FIELDS[i], fields[i], &bits[i], &star[i], err, errlen) == -1)
			return -1;
	c->minutes = bits[0];
	c->hours = (uint32_t)bits[1];
	c->days = (uint32_t)bits[2];
	c->months = (uint32_t)bits[3];
	c->weekdays = (uint32_t)(bits[4] & 0x7f) | (uint32_t)((bits[4] >> DAYS_PER_WEEK) & 1);
	c->days_star = star[2];
	c->weekdays_star = star[4];
	c->fixed = !star[0] && !star[1];
	/* Metronome refuses a day no listed month has ("0 0 31 2 *"): it would never run. */
	if (!c->days_star && c->weekdays_star) {
		int any = 0;

		for (int m = 1; m <= 12 && !any; m++)
			for (int d = 1; d <= 31 && !any; d++)
				any = (c->months >> m & 1) && (c->days >> d & 1) &&
				      d <= (m == 2 ? 29 : tz_days_in_month(2001, m));
		if (!any) {
			snprintf(err, errlen, "Day of the month must exist in the provided month (e.g. "
			         "February has only <= 29 days so running cron on Feb 30 is invalid)");
			return -1;
		}
	}
	return 0;
}

static int
day_matches(const struct cron *c, int month, int day, int weekday)
{
	int d = c->days >> day & 1, w = c->weekdays >> weekday & 1;

	if (!(c->months >> month & 1))
		return 0;
	return c->days_star || c->weekdays_star ? d && w : d || w;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The first local minute at or after local (seconds) that c matches; -1 when none. */
static int
civil_next(const struct cron *c, int64_t local, int64_t *out)
{
	int64_t days = floor_div(local, S_PER_DAY), secs = local - days * S_PER_DAY;
	int hour = (int)(secs / S_PER_HOUR), minute = (int)(secs % S_PER_HOUR / S_PER_MIN);

	for (int64_t i = 0; i < CRON_HORIZON_DAYS; i++) {
		int64_t d = days + i, y;
		int m, day;

		tz_civil_from_days(d, &y, &m, &day);
		if (!(c->months >> m & 1)) {
			i += tz_days_in_month(y, m) - day;      /* the rest of the month */
			continue;
		}
		if (!day_matches(c, m, day, tz_weekday(d)))
			continue;
		for (int h = i == 0 ? hour : 0; h < HOURS_PER_DAY; h++) {
			if (!(c->hours >> h & 1))
				continue;
			for (int mi = i == 0 && h == hour ? minute : 0; mi < MINUTES_PER_HOUR; mi++)
				if (c->minutes >> mi & 1) {
					*out = d * S_PER_DAY + h * S_PER_HOUR + mi * S_PER_MIN;
					return 0;
				}
		}
	}
	return -1;
}

/* t's local time already happened once, before the clock was set back over it. */
static int
repeated(const struct tz *z, int64_t t)
{
	int64_t p = tz_prev_transition(z, t);
	int32_t before, after;

	if (p == INT64_MIN)
		return 0;
	before = tz_offset(z, p - 1);
	after = tz_offset(z, p);
	return before > after && t < p + (before - after);
}

int
cron_next(const struct cron *c, const struct tz *z, int64_t after, int64_t *out)
{
	int64_t t = after + 1;

	for (int crossed = 0; crossed < CRON_TRANSITIONS_MAX;) {
		int32_t off = tz_offset(z, t);
		int64_t local = t + off, match, next = tz_next_transition(z, t), at;

		local = floor_div(local + S_PER_MIN - 1, S_PER_MIN) * S_PER_MIN;
		if (civil_next(c, local, &match) == -1)
			return -1;
		at = match - off;
		if (at < next) {
			if (c->fixed && repeated(z, at)) {
				t = at + 1;     /* its first occurrence was the run */
				continue;
			}
			*out = at;
			return 0;
		}
		/* The match lies past an offset change: look again from there. */
		if (c->fixed && tz_offset(z, next) > off && match < next + tz_offset(z, next)) {
			*out = next;    /* its local time was skipped: it runs as the gap ends */
			return 0;
		}
		t = next;
		crossed++;
	}
	return -1;
}
