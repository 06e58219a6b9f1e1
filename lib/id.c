/*
 * id.c: generating random identifiers and validating the ones peers send.
 */
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "id.h"

void
id_random_hex(char *out, size_t nhex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char bytes[64];

	for (size_t done = 0; done < nhex;) {
		size_t n = (nhex - done + 1) / 2;
		if (n > sizeof(bytes))
			n = sizeof(bytes);
		compat_random_bytes(bytes, n);
		for (size_t i = 0; i < n * 2 && done < nhex; i++)
			out[done++] = digits[(bytes[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	}
	out[nhex] = '\0';
}

int
id_check(const char *what, const char *s, char *err, size_t errlen)
{
	size_t len = s ? strlen(s) : 0;

	if (len == 0) {
		snprintf(err, errlen, "%s must not be empty", what);
		return -1;
	}
	if (len > ID_MAX) {
		snprintf(err, errlen, "%s is longer than %d bytes", what, ID_MAX);
		return -1;
	}
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		snprintf(err, errlen, "%s must not be '.' or '..'", what);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '/') {
			snprintf(err, errlen, "%s must not contain '/'", what);
			return -1;
		}
		if (*p <= ' ' || *p == 0x7f) {
			snprintf(err, errlen, "%s must not contain whitespace or control characters", what);
			return -1;
		}
	}
	return 0;
}
