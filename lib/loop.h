/*
 * loop.h: the event loop. One poll() per process; nothing else in the
 * project calls poll(). Watches descriptors, runs monotonic timers and
 * delivers signals through a self-pipe so handlers run in loop context.
 * Callbacks may add or remove watchers and timers (including their own).
 *
 * Two backends implement this interface, chosen at link time: loop.c,
 * the poll() loop every program links, and plugins/common/loop_driver.c,
 * linked into the framework plugins instead, which runs the same calls on a
 * plugin driver's timers and watches (the host owns the one loop there),
 * so conn.c and http.c serve inside a plugin unchanged.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdint.h>

#define LOOP_READ  0x1
#define LOOP_WRITE 0x2
#define LOOP_ERROR 0x4   /* only reported: POLLERR/POLLHUP/POLLNVAL */
/*
 * Asked for alone: neither readable nor writable wakes the loop, only the
 * peer's hang-up or an error (LOOP_ERROR): a socket whose data can wait.
 */
#define LOOP_HANGUP 0x8

struct loop;

typedef void (*loop_fd_fn)(struct loop *loop, int fd, int events, void *arg);
typedef void (*loop_timer_fn)(struct loop *loop, void *arg);
typedef void (*loop_signal_fn)(struct loop *loop, int signo, void *arg);

struct loop *loop_new(void);
/* Frees the loop; watchers and timers are dropped, fds are not closed. */
void loop_free(struct loop *loop);

/* Watch fd for events (LOOP_READ|LOOP_WRITE); replaces an earlier watch. */
int loop_watch(struct loop *loop, int fd, int events, loop_fd_fn fn, void *arg);
/* Change the events of a watched fd (0 = keep watched but idle). */
void loop_set_events(struct loop *loop, int fd, int events);
void loop_unwatch(struct loop *loop, int fd);

/*
 * One-shot timer after ms milliseconds; returns an id > 0. LOOP_TURN_END
 * for ms: at the end of this turn, after its descriptors and due timers,
 * even when added by one of those timers (a batch of output flushed once
 * a turn); a backend without turns (loop_driver.c) takes it as 0 ms.
 */
#define LOOP_TURN_END INT64_MIN
uint64_t loop_timer_add(struct loop *loop, int64_t after_ms, loop_timer_fn fn, void *arg);
/* Cancel a timer; unknown or fired ids are ignored (0 too). */
void loop_timer_cancel(struct loop *loop, uint64_t id);

/*
 * Deliver signo to fn in loop context. SIGPIPE is always ignored by
 * loop_new(). Installing SIGCHLD here is how daemons learn of exits.
 */
int loop_signal(struct loop *loop, int signo, loop_signal_fn fn, void *arg);

/* Monotonic time in ms, refreshed once per loop iteration. */
int64_t loop_now(struct loop *loop);

/* Run until loop_stop(); returns 0. */
int loop_run(struct loop *loop);
/* One iteration: wait at most max_wait_ms (-1 = until an event). */
int loop_run_once(struct loop *loop, int64_t max_wait_ms);
/*
 * With over a thousand descriptors watched, a turn that found few ready
 * waits until ms have passed since the last poll(), so a burst is handled
 * in one poll() over them all (a master's ping replies); 0 (the default):
 * never. A message may then wait up to ms: not for a proxy's loops.
 */
void loop_gather(struct loop *loop, int64_t ms);
void loop_stop(struct loop *loop);

#endif
