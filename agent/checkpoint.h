/*
 * checkpoint.h: what the agent and its supervisors write so that a crash
 * of agentd loses nothing. Two shapes, both crash-safe:
 *   - whole files replaced atomically: written to a temporary name,
 *     fsync'ed, renamed over the old one (readers see the old or the new
 *     file, never a mix);
 *   - journals: protocol lines (proto.h) added and fsync'ed in groups
 *     (one fsync for every line added since the last commit); a torn last
 *     line, cut short by a crash, is ignored on replay. A journal is
 *     compacted by rewriting it whole, atomically. Lines are written over
 *     zeros kept ahead of them (the file grows a chunk at a time), so most
 *     commits leave the file's size alone and need only an fdatasync: on a
 *     journaling file system that is no journal commit, 2.5 times quicker
 *     on this project's VM. Replay ends at the first zero byte.
 */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include <sys/types.h>

#include <stddef.h>

#include "buf.h"

struct proto_msg;

#define CHECKPOINT_FILE_MODE 0644
#define CHECKPOINT_READ_MAX (64u << 20)    /* bytes of a checkpoint file read back */

/* Replace path with len bytes of data: temp, fsync, rename. 0, or -1 with err. */
int checkpoint_write(const char *path, const void *data, size_t len, char *err, size_t errlen);
/*
 * Read a whole file (at most max bytes) into out (appended). 0; -1 with err,
 * and *missing set when the file does not exist.
 */
int checkpoint_read(const char *path, size_t max, struct buf *out, int *missing, char *err,
                    size_t errlen);

struct checkpoint_journal {
	int fd;
	char *path;
	struct buf pending;      /* lines added, not yet written */
	size_t lines;            /* lines in the file, for the caller's compaction policy */
	off_t end;               /* where the next line goes: the lines end here */
	off_t size;              /* of the file: zeros from end to here */
};

/* Open (create) a journal to add to, after its last whole line. 0, or -1 with err. */
int checkpoint_journal_open(struct checkpoint_journal *j, const char *path, char *err, size_t errlen);
/* Queue one message built with proto_begin (proto_end is done here). -1 if over the line limit. */
int checkpoint_journal_add(struct checkpoint_journal *j, struct buf *msg);
/* 1 if lines are queued. */
int checkpoint_journal_dirty(const struct checkpoint_journal *j);
/* Write what is queued and fdatasync. 0, or -1 with err (lines not written stay queued). */
int checkpoint_journal_commit(struct checkpoint_journal *j, char *err, size_t errlen);
/* Write what is queued, without the fsync (syncer.h does it). 0, or -1 with err (still queued). */
int checkpoint_journal_write(struct checkpoint_journal *j, char *err, size_t errlen);
/* fdatasync what was written. 0, or -1 with err. */
int checkpoint_journal_sync(struct checkpoint_journal *j, char *err, size_t errlen);
/* Replace the journal with content (whole lines, then zeros): temp, fsync, rename, reopen. */
int checkpoint_journal_rewrite(struct checkpoint_journal *j, const struct buf *content, size_t lines,
                               char *err, size_t errlen);
void checkpoint_journal_close(struct checkpoint_journal *j);
/*
 * For tests (agentd --test_disk_full_while): while path exists, every write
 * here that needs new room on the disk fails with ENOSPC, as on a full disk.
 */
void checkpoint_test_full_while(const char *path);

/*
 * Call fn for each complete, well-formed line of the journal at path, in
 * order (fn's msg is valid only during the call). Torn or garbled lines
 * are counted in *skipped and passed over. 0 (also when the file does not
 * exist), or -1 with err when it cannot be read.
 */
int checkpoint_replay(const char *path, void (*fn)(const struct proto_msg *m, void *arg), void *arg,
                      size_t *skipped, char *err, size_t errlen);

#endif
