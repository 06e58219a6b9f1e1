/*
 * tz.c: time zones, read from the system's zoneinfo files (TZif, RFC
 * 8536) by this plugin itself: no tzset(), no TZ in the environment, so
 * nothing is shared with the host process or other threads and every
 * schedule may have a zone of its own. A zone is its table of transitions
 * (64-bit times from the version 2+ block) and, for times past the
 * table, the POSIX TZ rule of the file's footer ("CST6CDT,M3.2.0,
 * M11.1.0"). Files and counts are bounded; "UTC" needs no file. Also the
 * civil calendar (days from 1970-01-01 and back, proleptic Gregorian),
 * which cron.c searches in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jb.h"
#include "buf.h"
#include "xmem.h"

#define TZ_FILE_MAX      (256u << 10)   /* bytes of a zoneinfo file (the largest are ~4 KiB) */
#define TZ_TRANSITIONS_MAX 4096         /* transitions of one zone */
#define TZ_TYPES_MAX     256            /* RFC 8536: typecnt <= 256 */
#define TZ_NAME_MAX      128            /* bytes of an IANA name */
#define TZ_HEADER        44             /* "TZif", version, 15 unused, six counts */
#define TZ_TYPE_BYTES    6              /* utoff (4), isdst (1), desigidx (1) */
#define TZ_RULE_MAX      128            /* bytes of a footer's POSIX TZ string */
#define TZ_RULE_HOURS_MAX 167           /* RFC 8536 extends a rule's time to +-167 h */
#define TZ_DEFAULT_RULE_TIME (2 * TZ_S_PER_HOUR)   /* POSIX: transitions at 02:00 */
#define TZ_DAYS_PER_WEEK 7
#define TZ_DAYS_MAX      366
#define TZ_MONTHS        12
#define TZ_DEFAULT_DIR   "/usr/share/zoneinfo"
#define TZ_S_PER_MIN     60
#define TZ_S_PER_HOUR    3600
#define TZ_S_PER_DAY     86400
#define TZ_EPOCH_YEAR    1970

/* One end of daylight time in a POSIX rule: Jn, n or Mm.w.d, and a time of day. */
struct tz_date {
	char kind;                      /* 'J' (1-365, no Feb 29), 'D' (0-365), 'M' */
	int day, week, month;
	int32_t time;                   /* seconds after local midnight, may be < 0 or > 24 h */
};

struct tz {
	char *name;
	int64_t *at;                    /* transition times, ascending */
	unsigned char *type;            /* the type each transition starts */
	size_t n;
	int32_t offs[TZ_TYPES_MAX];     /* each type's offset, seconds east of UTC */
	size_t ntypes;
	/* The footer's rule, for times after the last transition. */
	int has_rule, rule_dst;
	int32_t std_off, dst_off;
	struct tz_date start, end;
};

/* ---- the civil calendar (Howard Hinnant's days_from_civil algorithm) ---- */

int64_t
tz_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int
tz_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t w = (days + 4) % TZ_DAYS_PER_WEEK;

	return (int)(w < 0 ? w + TZ_DAYS_PER_WEEK : w);
}

int
tz_days_in_month(int64_t y, int m)
{
	static const int days[TZ_MONTHS] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? days[1] + leap : days[m - 1];
}

/* The civil year of a UTC second. */
static int64_t
year_of(int64_t t)
{
	int64_t days = t >= 0 ? t / TZ_S_PER_DAY : (t - (TZ_S_PER_DAY - 1)) / TZ_S_PER_DAY, y;
	int m, d;

	tz_civil_from_days(days, &y, &m, &d);
	return y;
}

/* ---- POSIX TZ rules ---- */

/* "<+03>" or "EST": skip a zone designation; NULL when there is none. */
static const char *
skip_name(const char *s)
{
	const char *p = s;

	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		return *p == '>' && p - s > 1 ? p + 1 : NULL;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] with hh at most max_hours; NULL on a bad one. */
static const char *
parse_hms(const char *s, int max_hours, int32_t *out)
{
	int sign = 1;
	long part[3] = { 0, 0, 0 };
	int n = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	while (n < 3) {
		char *end;

		if (*s < '0' || *s > '9')
			return NULL;
		part[n++] = strtol(s, &end, 10);
		s = end;
		if (*s != ':' || n == 3)
			break;
		s++;
	}
	if (part[0] > max_hours || part[1] > 59 || part[2] > 59)
		return NULL;
	*out = (int32_t)(sign * (part[0] * TZ_S_PER_HOUR + part[1] * TZ_S_PER_MIN + part[2]));
	return s;
}

/* ",Mm.w.d[/time]", ",Jn[/time]" or ",n[/time]". */
static const char *
parse_date(const char *s, struct tz_date *d)
{
	char *end;

	if (*s++ != ',')
		return NULL;
	memset(d, 0, sizeof(*d));
	if (*s == 'M') {
		d->kind = 'M';
		d->month = (int)strtol(s + 1, &end, 10);
		if (end == s + 1 || *end != '.')
			return NULL;
		s = end + 1;
		d->week = (int)strtol(s, &end, 10);
		if (end == s || *end != '.')
			return NULL;
		s = end + 1;
		d->day = (int)strtol(s, &end, 10);
		if (end == s || d->month < 1 || d->month > TZ_MONTHS || d->week < 1 || d->week > 5 ||
		    d->day < 0 || d->day >= TZ_DAYS_PER_WEEK)
			return NULL;
	} else {
		d->kind = *s == 'J' ? 'J' : 'D';
		s += *s == 'J';
		d->day = (int)strtol(s, &end, 10);
		/* Jn counts 1..365; n counts 0..365. */
		if (end == s || d->day < (d->kind == 'J' ? 1 : 0) || d->day > TZ_DAYS_MAX - 1)
			return NULL;
	}
	s = end;
	d->time = TZ_DEFAULT_RULE_TIME;
	if (*s == '/' && (s = parse_hms(s + 1, TZ_RULE_HOURS_MAX, &d->time)) == NULL)
		return NULL;
	return s;
}

static int
parse_rule(struct tz *z, const char *s)
{
	int32_t off;

	if ((s = skip_name(s)) == NULL || (s = parse_hms(s, 24, &off)) == NULL)
		return -1;
	z->std_off = -off;              /* POSIX counts west of UTC as positive */
	z->has_rule = 1;
	if (*s == '\0')
		return 0;
	if ((s = skip_name(s)) == NULL)
		return -1;
	z->rule_dst = 1;
	z->dst_off = z->std_off + TZ_S_PER_HOUR;
	if (*s != ',' && *s != '\0') {
		if ((s = parse_hms(s, 24, &off)) == NULL)
			return -1;
		z->dst_off = -off;
	}
	if (*s == '\0')                 /* POSIX leaves the dates to the system: the US rule */
		s = ",M3.2.0,M11.1.0";
	if ((s = parse_date(s, &z->start)) == NULL || (s = parse_date(s, &z->end)) == NULL)
		return -1;
	return *s == '\0' ? 0 : -1;
}

/* The day (days since the epoch) a rule's date falls on in year y. */
static int64_t
rule_day(const struct tz_date *d, int64_t y)
{
	int64_t first;
	int leap = tz_days_in_month(y, 2) == 29, dd;

	if (d->kind == 'J')             /* 1..365, February 29 never counted */
		return tz_days_from_civil(y, 1, 1) + d->day - 1 + (leap && d->day > 59);
	if (d->kind == 'D')
		return tz_days_from_civil(y, 1, 1) + d->day;
	/* Day d of week w of month m; week 5 is the last one. */
	first = tz_days_from_civil(y, d->month, 1);
	dd = (d->day - tz_weekday(first) + TZ_DAYS_PER_WEEK) % TZ_DAYS_PER_WEEK;
	dd += (d->week - 1) * TZ_DAYS_PER_WEEK;
	while (dd >= tz_days_in_month(y, d->month))
		dd -= TZ_DAYS_PER_WEEK;
	return first + dd;
}

/* The UTC instants daylight time starts and ends in year y. */
static void
rule_year(const struct tz *z, int64_t y, int64_t *start, int64_t *end)
{
	*start = rule_day(&z->start, y) * TZ_S_PER_DAY + z->start.time - z->std_off;
	*end = rule_day(&z->end, y) * TZ_S_PER_DAY + z->end.time - z->dst_off;
}

static int32_t
rule_offset(const struct tz *z, int64_t t)
{
	int64_t start, end;

	if (!z->rule_dst)
		return z->std_off;
	rule_year(z, year_of(t), &start, &end);
	if (start < end)                /* northern: daylight inside the year */
		return t >= start && t < end ? z->dst_off : z->std_off;
	return t >= end && t < start ? z->std_off : z->dst_off;
}

static int64_t
rule_next(const struct tz *z, int64_t t)
{
	int64_t best = INT64_MAX, y = year_of(t);

	if (!z->rule_dst)
		return INT64_MAX;
	for (int64_t k = y - 1; k <= y + 1; k++) {
		int64_t start, end;

		rule_year(z, k, &start, &end);
		if (start > t && start < best)
			best = start;
		if (end > t && end < best)
			best = end;
	}
	return best;
}

static int64_t
rule_prev(const struct tz *z, int64_t t)
{
	int64_t best = INT64_MIN, y = year_of(t);

	if (!z->rule_dst)
		return INT64_MIN;
	for (int64_t k = y - 1; k <= y + 1; k++) {
		int64_t start, end;

		rule_year(z, k, &start, &end);
		if (start <= t && start > best)
			best = start;
		if (end <= t && end > best)
			best = end;
	}
	return best;
}

/* ---- zones ---- */

static struct tz *
tz_new(const char *name)
{
	struct tz *z = xcalloc(1, sizeof(*z));

	z->name = xstrdup(name);
	return z;
}

void
tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->at);
	free(z->type);
	free(z);
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

struct tz *
tz_utc(void)
{
	struct tz *z = tz_new("UTC");

	z->has_rule = 1;
	return z;
}

struct tz *
tz_from_rule(const char *name, const char *rule, char *err, size_t errlen)
{
	struct tz *z = tz_new(name);

	if (strlen(rule) > TZ_RULE_MAX || parse_rule(z, rule) == -1) {
		snprintf(err, errlen, "'%.64s' is not a POSIX TZ rule", rule);
		tz_free(z);
		return NULL;
	}
	return z;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The counts of a header at p, if len holds it and the block after it. */
struct counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static int
header(const unsigned char *p, size_t len, int timesize, struct counts *c, size_t *block)
{
	if (len < TZ_HEADER || memcmp(p, "TZif", 4) != 0)
		return -1;
	c->isut = be32(p + 20);
	c->isstd = be32(p + 24);
	c->leap = be32(p + 28);
	c->time = be32(p + 32);
	c->type = be32(p + 36);
	c->chars = be32(p + 40);
	if (c->time > TZ_TRANSITIONS_MAX || c->type == 0 || c->type > TZ_TYPES_MAX ||
	    c->chars > TZ_FILE_MAX || c->leap > TZ_TRANSITIONS_MAX ||
	    (c->isut != 0 && c->isut != c->type) || (c->isstd != 0 && c->isstd != c->type))
		return -1;
	*block = (size_t)c->time * ((size_t)timesize + 1) + (size_t)c->type * TZ_TYPE_BYTES +
	         c->chars + (size_t)c->leap * ((size_t)timesize + 4) + c->isstd + c->isut;
	return TZ_HEADER + *block <= len ? 0 : -1;
}

/* Parse a TZif file; -1 when it is not one this reader accepts. */
static int
parse_tzif(struct tz *z, const unsigned char *p, size_t len)
{
	struct counts c;
	size_t block, timesize = 4;
	const unsigned char *d;

	if (header(p, len, 4, &c, &block) == -1)
		return -1;
	if (p[4] >= '2') {
		/* Skip the 32-bit block: the 64-bit one after it is the truth. */
		p += TZ_HEADER + block;
		len -= TZ_HEADER + block;
		timesize = 8;
		if (header(p, len, 8, &c, &block) == -1)
			return -1;
	}
	d = p + TZ_HEADER;
	z->n = c.time;
	z->at = xcalloc(c.time + 1, sizeof(*z->at));
	z->type = xcalloc(c.time + 1, 1);
	for (size_t i = 0; i < c.time; i++) {
		z->at[i] = timesize == 8 ? be64(d + i * 8) : (int32_t)be32(d + i * 4);
		if (i > 0 && z->at[i] <= z->at[i - 1])
			return -1;
	}
	d += c.time * timesize;
	for (size_t i = 0; i < c.time; i++) {
		if (d[i] >= c.type)
			return -1;
		z->type[i] = d[i];
	}
	d += c.time;
	z->ntypes = c.type;
	for (size_t i = 0; i < c.type; i++)
		z->offs[i] = (int32_t)be32(d + i * TZ_TYPE_BYTES);
	/* The footer follows version 2+ data: "\nRULE\n". */
	if (timesize == 8) {
		const char *f = (const char *)p + TZ_HEADER + block, *nl;
		size_t left = len - TZ_HEADER - block;
		char rule[TZ_RULE_MAX + 1];

		if (left >= 2 && f[0] == '\n' && (nl = memchr(f + 1, '\n', left - 1)) != NULL &&
		    nl - f - 1 > 0 && (size_t)(nl - f - 1) <= TZ_RULE_MAX) {
			memcpy(rule, f + 1, (size_t)(nl - f - 1));
			rule[nl - f - 1] = '\0';
			if (parse_rule(z, rule) == -1)
				return -1;
		}
	}
	return 0;
}

/* An IANA name: letters, digits, '/', '_', '-', '+'; no "..", nothing absolute. */
static int
name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= TZ_NAME_MAX && name[0] != '/' && strstr(name, "..") == NULL &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_-+") == n;
}

struct tz *
tz_load(const char *dir, const char *name, char *err, size_t errlen)
{
	char *path, why[JB_ERR_MAX];
	struct buf b;
	struct tz *z;
	int rc;

	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0 || strcmp(name, "GMT") == 0 ||
	    strcmp(name, "Etc/GMT") == 0 || strcmp(name, "Z") == 0) {
		z = tz_utc();
		free(z->name);
		z->name = xstrdup(name);
		return z;
	}
	if (!name_ok(name)) {
		snprintf(err, errlen, "no time zone found with this id: '%.64s'", name);
		return NULL;
	}
	path = xstrfmt("%s/%s", dir != NULL && *dir ? dir : TZ_DEFAULT_DIR, name);
	buf_init(&b, TZ_FILE_MAX);
	rc = pc_store_read(path, &b, why, sizeof(why));
	z = tz_new(name);
	if (rc != 0 || parse_tzif(z, (const unsigned char *)b.data, b.len) == -1) {
		if (rc == 1)
			snprintf(err, errlen, "no time zone found with this id: '%s' (no %s)", name, path);
		else if (rc == -1)
			snprintf(err, errlen, "time zone '%s': %s", name, why);
		else
			snprintf(err, errlen, "time zone '%s': %s is not a zoneinfo (TZif) file", name,
			         path);
		tz_free(z);
		z = NULL;
	}
	free(path);
	buf_free(&b);
	return z;
}

/* The index of the last transition at or before t, -1 when t is before them all. */
static long
last_at(const struct tz *z, int64_t t)
{
	size_t lo = 0, hi = z->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->at[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

int32_t
tz_offset(const struct tz *z, int64_t t)
{
	long i = last_at(z, t);

	if (z->n == 0 || (i == (long)z->n - 1 && z->has_rule))
		return z->has_rule ? rule_offset(z, t) : z->ntypes > 0 ? z->offs[0] : 0;
	/* Before the first transition: the first type (RFC 8536, 3.2). */
	return z->offs[i < 0 ? 0 : z->type[i]];
}

int64_t
tz_next_transition(const struct tz *z, int64_t t)
{
	long i = last_at(z, t);

	if (i + 1 < (long)z->n)
		return z->at[i + 1];
	return z->has_rule ? rule_next(z, t) : INT64_MAX;
}

int64_t
tz_prev_transition(const struct tz *z, int64_t t)
{
	long i = last_at(z, t);
	int64_t r = z->has_rule && (z->n == 0 || i == (long)z->n - 1) ? rule_prev(z, t) : INT64_MIN;

	if (i >= 0 && z->at[i] > r)
		r = z->at[i];
	return r;
}
