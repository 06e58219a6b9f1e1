/*
 * buf.c: owns the bounded byte buffer. The cap is checked before any byte is
 * written, so a refused append leaves the contents exactly as they were.
 * It also owns the percent-escaping of peer bytes: the wire protocol's
 * values and every quoted excerpt in an error message are spelled by the
 * same escape_byte, below the protocol codec, so res.c quotes bad input
 * without knowing the protocol.
 */
#include "buf.h"
#include "xmem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Smallest allocation; avoids a string of tiny reallocs for short lines. */
#define BUF_MIN_ALLOC_BYTES 64
/* Hex digits in a %XX escape. */
#define BUF_ESCAPE_DIGITS 2
/* Highest control byte below the printable range, and DEL. */
#define BUF_CTRL_MAX 0x1f
#define BUF_DEL 0x7f
/* Bytes escaped on the stack before they are handed to the buffer. */
#define BUF_ESCAPE_CHUNK_BYTES 256
/* What marks an excerpt cut short. */
#define BUF_QUOTE_CUT "..."

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Would holding `extra` more bytes break the cap (or overflow size_t)? */
static int
over_limit(const struct buf *b, size_t extra)
{
	if (extra > SIZE_MAX - 1 - b->len)
		return 1;
	return b->max != 0 && b->len + extra > b->max;
}

/* Make room for `extra` more bytes plus the NUL; the caller checked the cap. */
static void
reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap = b->cap ? b->cap : BUF_MIN_ALLOC_BYTES;

	if (need <= b->cap)
		return;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* Doubling must not overshoot what the cap could ever use. */
	if (b->max != 0 && cap > b->max + 1)
		cap = b->max + 1 > need ? b->max + 1 : need;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
	if (over_limit(b, len))
		return -1;
	reserve(b, len);
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_fill(struct buf *b, const void *data, size_t len)
{
	if (buf_append(b, data, len) == 0)
		return 0;
	if (b->max > b->len)
		buf_append(b, data, b->max - b->len < len ? b->max - b->len : len);
	return -1;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Measure first: formatting straight into the tail could pass the cap. */
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || over_limit(b, (size_t)n))
		return -1;
	reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *
buf_detach(struct buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = xstrdup("");
	buf_init(b, b->max);
	return p;
}

/* Write c as a value on the wire spells it (itself or %XX) to out; returns the bytes written. */
static size_t
escape_byte(char *out, unsigned char c)
{
	static const char hexdigits[] = "0123456789ABCDEF";

	if (c > BUF_CTRL_MAX && c != BUF_DEL && c != ' ' && c != '%' && c != '=') {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '%';
	out[1] = hexdigits[c >> 4];
	out[2] = hexdigits[c & 0xf];
	return 1 + BUF_ESCAPE_DIGITS;
}

int
buf_escape(struct buf *b, const char *data, size_t len)
{
	char chunk[BUF_ESCAPE_CHUNK_BYTES];
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (o + 1 + BUF_ESCAPE_DIGITS > sizeof(chunk)) {
			if (buf_fill(b, chunk, o) < 0)
				return -1;
			o = 0;
		}
		o += escape_byte(chunk + o, (unsigned char)data[i]);
	}
	return buf_fill(b, chunk, o);
}

const char *
buf_quote(char *out, size_t outlen, const char *s, size_t n, size_t max)
{
	size_t i, o = 0, cut = sizeof(BUF_QUOTE_CUT) - 1;

	if (outlen == 0)
		return out;
	/* An out shorter than BUF_QUOTE_BYTES(max) cuts the excerpt sooner, never overflows. */
	for (i = 0; i < n && i < max && o + 1 + BUF_ESCAPE_DIGITS + cut < outlen; i++)
		o += escape_byte(out + o, (unsigned char)s[i]);
	if (i < n && o + cut < outlen) {
		memcpy(out + o, BUF_QUOTE_CUT, cut);
		o += cut;
	}
	out[o] = '\0';
	return out;
}
