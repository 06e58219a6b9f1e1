/*
 * buf.h: a growable byte buffer with a hard cap. Every buffer that holds
 * peer-controlled data in this project is one of these, so no peer can make
 * us grow without bound: an append past `max` fails and leaves the buffer as
 * it was.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char *data;   /* always NUL-terminated after data[len] when data != NULL */
	size_t len;
	size_t cap;
	size_t max;   /* 0 = no cap (only for buffers we fill ourselves) */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);                 /* len = 0, keeps memory */
int buf_append(struct buf *b, const void *data, size_t len); /* -1 if over max */
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
void buf_consume(struct buf *b, size_t n);     /* drop the first n bytes */
char *buf_detach(struct buf *b);               /* hand data to caller (never NULL) */

#endif
