/*
 * tests/fuzz_sha256.c: libFuzzer target for sha256.c. Not part of the
 * normal build (make fuzz). Any input hashed in pieces of sizes the input
 * itself chooses must give the one-shot digest; HMAC likewise with a key
 * cut from the input (any length, beyond a block too); a digest equals
 * itself and differs from one with a flipped bit under sha256_equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

#define FUZZ_PIECE_MAX 97        /* largest piece: more than a block, not a multiple of one */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char one[SHA256_BYTES], inc[SHA256_BYTES];
	struct sha256 s;
	struct hmac_sha256 h;
	size_t i, piece, keylen;

	sha256(data, size, one);
	sha256_init(&s);
	for (i = 0; i < size; i += piece) {
		piece = (size_t)data[i] % FUZZ_PIECE_MAX + 1;
		if (piece > size - i)
			piece = size - i;
		sha256_update(&s, data + i, piece);
	}
	sha256_final(&s, inc);
	if (memcmp(one, inc, SHA256_BYTES) != 0 || !sha256_equal(one, inc, SHA256_BYTES))
		abort();
	inc[size % SHA256_BYTES] ^= 1;
	if (sha256_equal(one, inc, SHA256_BYTES))
		abort();

	keylen = size > 0 ? (size_t)data[0] % (size + 1) : 0;
	hmac_sha256(data, keylen, data + keylen, size - keylen, one);
	hmac_sha256_init(&h, data, keylen);
	for (i = keylen; i < size; i += piece) {
		piece = (size_t)data[i] % FUZZ_PIECE_MAX + 1;
		if (piece > size - i)
			piece = size - i;
		hmac_sha256_update(&h, data + i, piece);
	}
	hmac_sha256_final(&h, inc);
	if (memcmp(one, inc, SHA256_BYTES) != 0)
		abort();
	return 0;
}
