/*
 * pc.h: what the framework plugins (plugins/marathon/, plugins/jobs/)
 * share, so that each piece is written once. Each file is compiled into
 * every plugin that uses it, with the plugin's hidden visibility:
 *   loop_driver.c  loop.h backed by a plugin driver, so lib/http.c and
 *                  lib/conn.c serve a REST API inside a plugin
 *   pc_store.c     crash-safe state files (temp file, fsync, rename)
 *   pc_sse.c       an event stream (Server-Sent Events), as Marathon's
 *                  /v2/events
 * Public names carry their file's prefix (pc_store_write is in
 * pc_store.c); loop_driver.c implements loop.h's names.
 */
#ifndef PC_H
#define PC_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/framework.h"

struct buf;
struct http_exchange;
struct json_w;
struct loop;
struct pc_sse;

/* ---- loop_driver.c ---- */
/* A struct loop whose timers and watches are d's (loop_new() makes an inert one). */
struct loop *loop_driver_new(struct framework_driver *d);
void loop_driver_free(struct loop *loop);

/* ---- pc_store.c ---- */
/*
 * Replace DIR/NAME with data: written to DIR/NAME.tmp, fsync'ed, renamed,
 * the directory fsync'ed. 0, or -1 with err (the old file stays whole).
 */
int pc_store_write(const char *dir, const char *name, const char *data, size_t len, char *err,
                   size_t errlen);
/* Remove DIR/NAME durably (a missing one is no error). 0, or -1 with err. */
int pc_store_remove(const char *dir, const char *name, char *err, size_t errlen);
/* Append the file at path to b (whose max caps it): 0, 1 if there is none, -1 with err. */
int pc_store_read(const char *path, struct buf *b, char *err, size_t errlen);

/* ---- pc_sse.c ---- */
struct pc_sse *pc_sse_new(void);
/* End every stream and free the hub (NULL is fine). */
void pc_sse_free(struct pc_sse *hub);
/*
 * GET: x becomes a stream (?event_type=T: only events of type T), opened
 * with {"remoteAddress","eventType":"event_stream_attached","timestamp"};
 * 503 when too many streams are open.
 */
void pc_sse_subscribe(struct pc_sse *hub, struct http_exchange *x, const char *timestamp);
/* 1 if anyone listens (NULL: no one): an event need not be built otherwise. */
int pc_sse_listening(const struct pc_sse *hub);
/* Start an event in b (buf_init'ed here): {"eventType":type,"timestamp":...; add the rest. */
void pc_sse_begin(struct json_w *w, struct buf *b, const char *type, const char *timestamp);
/* End the event, send it to every subscriber that wants type, free b. */
void pc_sse_post(struct pc_sse *hub, struct json_w *w, struct buf *b, const char *type);

#endif
