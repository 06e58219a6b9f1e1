/*
 * isohog.c: the tasks bench/isolation.sh measures isolation with.
 *
 *   isohog mem FILE LIMIT_BYTES   touch fresh memory as fast as one core can,
 *                                 a chunk at a time, until killed; after each
 *                                 chunk FILE (a shared mapping, so it survives
 *                                 SIGKILL) says how far it got
 *   isohog spin START END         from wall-clock second START to END, spin;
 *                                 print the cpu time it got meanwhile (ms)
 *
 * FILE holds one line: "peak_bytes start_s cross_s last_s": its resident
 * memory at the last chunk (what it had before plus what it touched), and
 * the wall-clock times it started touching, first held more than
 * LIMIT_BYTES (0: never) and finished its last chunk.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"

#define CHUNK_BYTES (1u << 20)          /* touched between two records */
#define RECORD_BYTES 128                /* FILE's size: one line */
#define STATM_MAX 128
#define MS_PER_S 1000.0
#define WAIT_NS 1000000L                /* spin's look at the clock before START */

static char *volatile hoard;

/* What this process holds before it starts (Linux /proc/self/statm); 0 elsewhere. */
static uint64_t
resident_now(void)
{
	char buf[STATM_MAX];
	unsigned long long size, pages;
	FILE *f = fopen("/proc/self/statm", "r");
	int ok;

	if (f == NULL)
		return 0;
	ok = fgets(buf, sizeof(buf), f) != NULL && sscanf(buf, "%llu %llu", &size, &pages) == 2;
	fclose(f);
	return ok ? (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static int
hog(const char *path, uint64_t limit)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *rec;
	uint64_t held;
	double cross = 0, start;

	if (fd == -1 || ftruncate(fd, RECORD_BYTES) == -1) {
		perror(path);
		return 1;
	}
	rec = mmap(NULL, RECORD_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (rec == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	held = resident_now();
	start = compat_wall_time();
	for (;;) {
		char *p = malloc(CHUNK_BYTES);
		double t;

		if (p == NULL) {
			fprintf(stderr, "isohog: malloc refused after %llu bytes\n", (unsigned long long)held);
			return 1;
		}
		memset(p, 1, CHUNK_BYTES);
		/* Kept where the compiler cannot see it unused: clang drops a dead malloc and memset. */
		*(char **)p = hoard;
		hoard = p;
		held += CHUNK_BYTES;
		t = compat_wall_time();
		if (cross == 0 && held > limit)
			cross = t;
		snprintf(rec, RECORD_BYTES, "%llu %.6f %.6f %.6f\n", (unsigned long long)held, start, cross,
		    t);
	}
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
spin(double start, double end)
{
	struct timespec nap = { 0, WAIT_NS };
	volatile unsigned long n = 0;
	double before;

	while (compat_wall_time() < start)
		nanosleep(&nap, NULL);
	before = cpu_s();
	while (compat_wall_time() < end)
		n++;
	printf("%.0f\n", (cpu_s() - before) * MS_PER_S);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "mem") == 0)
		return hog(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "spin") == 0)
		return spin(strtod(argv[2], NULL), strtod(argv[3], NULL));
	fprintf(stderr, "usage: isohog mem FILE LIMIT_BYTES | isohog spin START END\n");
	return 2;
}
