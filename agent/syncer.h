/*
 * syncer.h: fsync in the background. A journal's lines are written in the
 * loop (to the page cache: enough to survive a kill -9 of the process);
 * the fsync that makes them survive a crash of the machine runs in one
 * thread, so a slow disk delays only what must wait for it (a status update
 * going out), not the loop (on this project's VM an fsync takes
 * milliseconds, a task launch a fraction of one). The loop learns of the end
 * by the syncer's descriptor becoming readable. One fsync at a time. It is
 * an fdatasync where there is one: the file's data, and its size when that
 * changed, without its times.
 *
 * Where fsync is next to free (tmpfs, a cache that needs no flush), the
 * hand-over costs more than the fsync: two wakeups of a thread, each a
 * cross-CPU interrupt on a VM. Every fsync is timed, and while they stay
 * quick the caller does them itself (syncer_fast, syncer_fsync_here).
 */
#ifndef SYNCER_H
#define SYNCER_H

#include <stddef.h>
#include <stdint.h>

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
/* 1 while fsyncs have lately been quick enough to do in the loop. */
int syncer_fast(const struct syncer *s);
/* How long an fsync took; syncer_finish and syncer_fsync_here note their own. */
void syncer_note_time(struct syncer *s, int64_t us);
/* fsync fd here and now, timed like the thread's: 0, or -1 with errno. */
int syncer_fsync_here(struct syncer *s, int fd);
/* Waits for an fsync under way, then ends the thread. */
void syncer_free(struct syncer *s);

#endif
