/*
 * pc_rest.c: what the plugins' REST APIs share around lib/http.c: their
 * timestamps (ISO-8601 with milliseconds; Marathon ends them with "Z",
 * Metronome with "+0000").
 */
#include <stdio.h>
#include <time.h>

#include "pc.h"

#define MS_PER_S 1000

void
pc_rest_time(double secs, const char *zone, char *out, size_t len)
{
	time_t whole = (time_t)secs;
	struct tm tm;
	char base[PC_TIME_MAX];

	gmtime_r(&whole, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03d%s", base, (int)((secs - (double)whole) * MS_PER_S) % MS_PER_S,
	         zone);
}
