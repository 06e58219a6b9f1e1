/*
 * xmem.h: allocation that cannot fail. Out of memory is handled here, in one
 * place, by aborting with a message; callers never check for NULL.
 * Also the few string helpers that allocate.
 */
#ifndef XMEM_H
#define XMEM_H

#include <stddef.h>
#include <stdarg.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* realloc to n * size with overflow check */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* malloc'ed printf */
char *xstrfmt(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 1, 2)))
#endif
	;
char *xvstrfmt(const char *fmt, va_list ap);

/* Copy at most size-1 bytes and NUL-terminate; returns strlen(src) (truncated if >= size). */
size_t xstrlcpy(char *dst, const char *src, size_t size);

#endif
