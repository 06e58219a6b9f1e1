/*
 * bench/sharing.c: the tool behind `make bench-sharing` (sharing.h maps
 * its files; bench/sharing.sh starts the cluster and calls it):
 *   sharing gen SEED                  a trace on stdout (bench/sharing.trace
 *                                     is `gen 15`, kept in the repository)
 *   sharing agents TRACE MODE         the agents a mode starts, one a line:
 *                                     NAME RESOURCES ATTRIBUTES
 *   sharing replay TRACE MODE OUTDIR DRAIN_S MASTER API...
 *                                     replay the trace (one API host:port per
 *                                     role, in the trace's order), waiting at
 *                                     most DRAIN_S after it for the runs
 *   sharing report TRACE OUTDIR       the figures, and OUTDIR/sharing.html
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sharing.h"

#define ERR_MAX 512

static int
usage(void)
{
	fprintf(stderr, "usage: sharing gen SEED | agents TRACE static|sharing | replay TRACE "
	        "static|sharing OUTDIR DRAIN_S MASTER API... | report TRACE OUTDIR\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct sh_trace t;
	char err[ERR_MAX];
	int rc;

	if (argc == 3 && strcmp(argv[1], "gen") == 0) {
		sh_trace_generate(strtoull(argv[2], NULL, 10), stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (argc < 4)
		return usage();
	if (sh_trace_load(&t, argv[2], err, sizeof(err)) == -1) {
		fprintf(stderr, "sharing: %s\n", err);
		return 1;
	}
	if (argc == 4 && strcmp(argv[1], "agents") == 0)
		rc = sh_trace_agents(&t, argv[3], stdout) == 0 ? 0 : usage();
	else if (argc == 4 && strcmp(argv[1], "report") == 0)
		rc = sh_report(&t, argv[3]) == 0 ? 0 : 1;
	else if (strcmp(argv[1], "replay") == 0 && argc == 7 + t.nroles &&
	         (strcmp(argv[3], "static") == 0 || strcmp(argv[3], "sharing") == 0))
		rc = sh_replay(&t, argv[3], argv[6], argv + 7, argv[4], atof(argv[5])) == 0 ? 0 : 1;
	else
		rc = usage();
	sh_trace_free(&t);
	return rc;
}
