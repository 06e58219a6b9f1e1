/*
 * syncer.h: fsync in the background. A journal's lines are written in the
 * loop (to the page cache: enough to survive a kill -9 of the process);
 * the fsync that makes them survive a crash of the machine runs in one
 * thread, so a slow disk delays only what must wait for it (a status update
 * going out), not the loop (on this project's VM an fsync takes
 * milliseconds, a task launch a fraction of one). The loop learns of the end
 * by the syncer's descriptor becoming readable. One fsync at a time.
 */
#ifndef SYNCER_H
#define SYNCER_H

#include <stddef.h>

struct syncer;

/* Start the thread. NULL with err if the system will not: fsync in the loop then. */
struct syncer *syncer_new(char *err, size_t errlen);
/* Readable when an fsync has ended: watch it, then call syncer_finish. */
int syncer_fd(const struct syncer *s);
/* fsync fd in the background. 0 started; -1 when one is under way. fd stays open until it ends. */
int syncer_start(struct syncer *s, int fd);
/*
 * The end of the fsync under way, if it has come (wait: block until it
 * does): 1 done, 0 not yet (or none under way), -1 failed with *errnum.
 */
int syncer_finish(struct syncer *s, int wait, int *errnum);
/* Waits for an fsync under way, then ends the thread. */
void syncer_free(struct syncer *s);

#endif
