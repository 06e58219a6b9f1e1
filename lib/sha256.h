/*
 * sha256.h: SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104) and the
 * constant-time comparison the authentication handshake needs. Ours: no
 * crypto library is linked.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32          /* a digest */
#define SHA256_HEX (SHA256_BYTES * 2)   /* a digest in lowercase hex, without the NUL */
#define SHA256_BLOCK 64          /* the compression function's input block */

struct sha256 {
	uint32_t h[8];
	uint64_t total;          /* bytes hashed so far */
	unsigned char block[SHA256_BLOCK];
	size_t fill;             /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[SHA256_BYTES]);
void sha256(const void *data, size_t len, unsigned char out[SHA256_BYTES]);

struct hmac_sha256 {
	struct sha256 inner, outer;
};

void hmac_sha256_init(struct hmac_sha256 *h, const void *key, size_t keylen);
void hmac_sha256_update(struct hmac_sha256 *h, const void *data, size_t len);
void hmac_sha256_final(struct hmac_sha256 *h, unsigned char out[SHA256_BYTES]);
void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[SHA256_BYTES]);

/* 1 if a and b (len bytes each) are equal; the time taken does not depend on where they differ. */
int sha256_equal(const void *a, const void *b, size_t len);
/* 1 if the strings are equal; the time depends only on their lengths, never on their bytes. */
int sha256_streq(const char *a, const char *b);
/* len bytes as 2 * len lowercase hex digits and a NUL. */
void sha256_hex(const unsigned char *bytes, size_t len, char *out);
/* Wipes n bytes in a way the compiler may not drop (secrets, keys). */
void sha256_wipe(void *p, size_t n);

#endif
