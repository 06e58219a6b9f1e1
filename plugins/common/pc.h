/*
 * pc.h: what the framework plugins (plugins/marathon/, plugins/jobs/)
 * share, so that each piece is written once. Each file is compiled into
 * every plugin that uses it, with the plugin's hidden visibility:
 *   loop_driver.c  loop.h backed by a plugin driver, so lib/http.c and
 *                  lib/conn.c serve a REST API inside a plugin
 * Public names carry their file's prefix (pc_store_write is in
 * pc_store.c); loop_driver.c implements loop.h's names.
 */
#ifndef PC_H
#define PC_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/framework.h"

struct loop;

/* ---- loop_driver.c ---- */
/* A struct loop whose timers and watches are d's (loop_new() makes an inert one). */
struct loop *loop_driver_new(struct framework_driver *d);
void loop_driver_free(struct loop *loop);

#endif
