/*
 * buf.c: owns the bounded byte buffer. The cap is checked before any byte is
 * written, so a refused append leaves the contents exactly as they were.
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
