/*
 * buf.h: a growable byte buffer with a hard cap. Every buffer that holds
 * peer-controlled data in this project is one of these, so no peer can make
 * us grow without bound: an append past `max` fails and leaves the buffer as
 * it was. Also the one percent-escaping of peer bytes, for the wire
 * protocol's values and for bytes quoted in error messages.
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
/*
 * Append, or when the cap refuses, append what fits and return -1: a
 * buffer filled to its cap makes every later append fail too, so a
 * message cut short is noticed at its end, not sent with a part missing.
 */
int buf_fill(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
void buf_consume(struct buf *b, size_t n);     /* drop the first n bytes */
char *buf_detach(struct buf *b);               /* hand data to caller (never NULL) */

/*
 * Percent-escaping as the wire protocol spells a value (proto.h): a
 * control byte (< 0x20), DEL, space, '%' and '=' become %XX in upper-case
 * hex, every other byte (UTF-8 included) stays. Appends the escaped form
 * of data the buf_fill way: 0, or -1 when the cap cut it short.
 */
int buf_escape(struct buf *b, const char *data, size_t len);

/* Room buf_quote needs for max bytes of input: each may become %XX, then "..." and the NUL. */
#define BUF_QUOTE_BYTES(max) ((max) * 3 + 4)
/*
 * Peer bytes quoted in an error message go to logs and back to peers:
 * escaped as buf_escape does and cut after max bytes ("..." marks the
 * cut), so no control byte or megabyte-long token reaches either. Writes
 * into out (outlen at least BUF_QUOTE_BYTES(max)) and returns it.
 */
const char *buf_quote(char *out, size_t outlen, const char *s, size_t n, size_t max);

#endif
