/*
 * tests/test_sha256.c: SHA-256 against the FIPS 180-4 examples (and the
 * NIST long-message one), HMAC-SHA-256 against RFC 4231's test cases,
 * incremental hashing against one-shot, and the comparisons.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sha256.h"

#define MILLION 1000000
#define ODD_CHUNK 7              /* a chunk size that straddles block boundaries */

static const char *
hex_of(const unsigned char *d, size_t len)
{
	static char out[SHA256_HEX + 1];

	sha256_hex(d, len, out);
	return out;
}

static const char *
sha_hex(const void *data, size_t len)
{
	unsigned char d[SHA256_BYTES];

	sha256(data, len, d);
	return hex_of(d, sizeof(d));
}

static const char *
hmac_hex(const void *key, size_t keylen, const void *data, size_t len, size_t outlen)
{
	unsigned char d[SHA256_BYTES];

	hmac_sha256(key, keylen, data, len, d);
	return hex_of(d, outlen);
}

static void
test_fips(void)
{
	static const char two_block[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct sha256 s;
	unsigned char d[SHA256_BYTES];
	char *a;
	size_t i;

	CHECK_STR(sha_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_STR(sha_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_STR(sha_hex(two_block, strlen(two_block)),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	a = malloc(MILLION);
	memset(a, 'a', MILLION);
	CHECK_STR(sha_hex(a, MILLION), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* The same million bytes fed in odd chunks: the block buffering must not matter. */
	sha256_init(&s);
	for (i = 0; i < MILLION; i += ODD_CHUNK)
		sha256_update(&s, a + i, MILLION - i < ODD_CHUNK ? MILLION - i : ODD_CHUNK);
	sha256_final(&s, d);
	CHECK_STR(hex_of(d, sizeof(d)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
	/* 55, 56 and 64 bytes: the padding's edges (length fits, does not fit, a whole block). */
	CHECK_STR(sha_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 55),
	    "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	CHECK_STR(sha_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 56),
	    "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	CHECK_STR(sha_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64),
	    "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

static void
test_rfc4231(void)
{
	unsigned char key[131], data[50];
	size_t i;
	static const char big_key[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	static const char big_both[] = "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being used by the HMAC algorithm.";

	memset(key, 0x0b, 20);
	CHECK_STR(hmac_hex(key, 20, "Hi There", 8, SHA256_BYTES),
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	CHECK_STR(hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, SHA256_BYTES),
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	CHECK_STR(hmac_hex(key, 20, data, 50, SHA256_BYTES),
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	for (i = 0; i < 25; i++)
		key[i] = (unsigned char)(i + 1);
	memset(data, 0xcd, 50);
	CHECK_STR(hmac_hex(key, 25, data, 50, SHA256_BYTES),
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	memset(key, 0x0c, 20);
	CHECK_STR(hmac_hex(key, 20, "Test With Truncation", 20, 16), "a3b6167473100ee06e0c796c2955552b");
	memset(key, 0xaa, 131);
	CHECK_STR(hmac_hex(key, 131, big_key, strlen(big_key), SHA256_BYTES),
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	CHECK_STR(hmac_hex(key, 131, big_both, strlen(big_both), SHA256_BYTES),
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void
test_compare(void)
{
	CHECK(sha256_equal("abcd", "abcd", 4));
	CHECK(!sha256_equal("abcd", "abce", 4));
	CHECK(!sha256_equal("xbcd", "abcd", 4));
	CHECK(sha256_equal("", "", 0));
	CHECK(sha256_streq("kitesurf", "kitesurf"));
	CHECK(!sha256_streq("kitesurf", "kitesur"));
	CHECK(!sha256_streq("", "x"));
	CHECK(sha256_streq("", ""));
}

int
main(void)
{
	test_fips();
	test_rfc4231();
	test_compare();
	return CHECK_DONE();
}
