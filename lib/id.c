/*
 * id.c: generating random identifiers and validating the ones peers send.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "id.h"
#include "sha256.h"

#define ID_KEY_BYTES 32        /* the process's secret: as strong as SHA-256 allows */
#define COUNTER_BYTES 8

static unsigned char id_key[ID_KEY_BYTES];
static uint64_t id_counter;
static int id_keyed;

/* A forked child draws its own key: it must not repeat its parent's next IDs. */
static void
forget_key_in_child(void)
{
	id_keyed = 0;
}

void
id_unique_bytes(void *out, size_t len)
{
	static int atfork_registered;
	unsigned char *p = out;

	if (!id_keyed) {
		if (!atfork_registered && pthread_atfork(NULL, NULL, forget_key_in_child) == 0)
			atfork_registered = 1;
		compat_random_bytes(id_key, sizeof(id_key));
		id_counter = 0;
		id_keyed = 1;
	}
	while (len > 0) {
		unsigned char input[ID_KEY_BYTES + COUNTER_BYTES], digest[SHA256_BYTES];
		uint64_t n = ++id_counter;
		size_t take = len < sizeof(digest) ? len : sizeof(digest);

		memcpy(input, id_key, sizeof(id_key));
		for (size_t i = 0; i < COUNTER_BYTES; i++)
			input[ID_KEY_BYTES + i] = (unsigned char)(n >> (8 * i));
		sha256(input, sizeof(input), digest);
		memcpy(p, digest, take);
		p += take;
		len -= take;
	}
}

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
