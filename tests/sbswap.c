/*
 * tests/sbswap.c: the attacker of tests/t_sandbox_race.sh, run as a task.
 * It swaps a directory of its sandbox for a symlink and back as fast as it
 * can, so that a sandbox read resolved while DIR is a directory is opened
 * while it is the link (issue #17: a race out of the sandbox).
 *
 *   sbswap DIR LINK SECONDS
 *
 * DIR is a directory, LINK a symlink (to anywhere); both in the current
 * directory. For SECONDS it renames DIR away, LINK to DIR, DIR back to
 * LINK and the directory back to DIR, again and again. Exit 0, or 2 on
 * bad arguments or when a rename fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME_MAX_BYTES 256
#define ROUNDS_PER_CLOCK_CHECK 1000

int
main(int argc, char **argv)
{
	char parked[NAME_MAX_BYTES];
	time_t end;

	if (argc != 4 || strlen(argv[1]) + sizeof(".parked") > sizeof(parked)) {
		fprintf(stderr, "usage: sbswap DIR LINK SECONDS\n");
		return 2;
	}
	snprintf(parked, sizeof(parked), "%s.parked", argv[1]);
	end = time(NULL) + atoi(argv[3]);
	while (time(NULL) < end) {
		for (int i = 0; i < ROUNDS_PER_CLOCK_CHECK; i++) {
			if (rename(argv[1], parked) != 0 || rename(argv[2], argv[1]) != 0 ||
			    rename(argv[1], argv[2]) != 0 || rename(parked, argv[1]) != 0) {
				perror("sbswap: rename");
				return 2;
			}
		}
	}
	return 0;
}
