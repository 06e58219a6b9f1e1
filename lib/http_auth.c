/*
 * http_auth.c: HTTP Basic authentication, server side: decoding the
 * Authorization header and checking it against credentials (cred.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cred.h"
#include "http.h"
#include "http_auth.h"
#include "sha256.h"
#include "xmem.h"

#define B64_GROUP_IN 4        /* characters of one base64 group */
#define B64_GROUP_OUT 3       /* bytes they stand for */
#define B64_BITS 6
#define B64_BAD 0xff
#define BASIC_PREFIX "Basic "
#define REALM_HEADER_MAX 256

static unsigned char
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned char)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (unsigned char)(c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (unsigned char)(c - '0' + 52);
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return B64_BAD;
}

int
http_auth_base64_decode(const char *in, size_t inlen, char *out, size_t outcap, size_t *outlen)
{
	size_t n = 0;

	if (inlen % B64_GROUP_IN != 0)
		return -1;
	for (size_t i = 0; i < inlen; i += B64_GROUP_IN) {
		unsigned long acc = 0;
		int pad = 0;
		for (size_t k = 0; k < B64_GROUP_IN; k++) {
			unsigned char c = (unsigned char)in[i + k], v;
			/* '=' only at the very end, at most two. */
			if (c == '=' && i + B64_GROUP_IN == inlen && k >= 2 &&
			    (k == 3 || in[i + 3] == '=')) {
				pad++;
				v = 0;
			} else if (pad > 0 || (v = b64_value(c)) == B64_BAD) {
				return -1;
			}
			acc = acc << B64_BITS | v;
		}
		for (int k = 0; k < B64_GROUP_OUT - pad; k++) {
			if (n >= outcap)
				return -1;
			out[n++] = (char)((acc >> (8 * (B64_GROUP_OUT - 1 - k))) & 0xff);
		}
	}
	*outlen = n;
	return 0;
}

char *
http_auth_basic_value(const char *user, const char *password)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t ulen = strlen(user), plen = strlen(password), n = ulen + 1 + plen, o;
	unsigned char *in = xmalloc(n);
	char *out = xmalloc(strlen(BASIC_PREFIX) + (n + 2) / B64_GROUP_OUT * B64_GROUP_IN + 1);

	memcpy(in, user, ulen);
	in[ulen] = ':';
	memcpy(in + ulen + 1, password, plen);
	o = strlen(BASIC_PREFIX);
	memcpy(out, BASIC_PREFIX, o);
	for (size_t i = 0; i < n; i += B64_GROUP_OUT) {
		unsigned long acc = (unsigned long)in[i] << 16;
		if (i + 1 < n)
			acc |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < n)
			acc |= in[i + 2];
		out[o++] = alphabet[(acc >> 18) & 0x3f];
		out[o++] = alphabet[(acc >> 12) & 0x3f];
		out[o++] = i + 1 < n ? alphabet[(acc >> 6) & 0x3f] : '=';
		out[o++] = i + 2 < n ? alphabet[acc & 0x3f] : '=';
	}
	out[o] = '\0';
	sha256_wipe(in, n);
	free(in);
	return out;
}

int
http_auth_basic(const struct http_exchange *x, const struct cred_set *creds, char *principal,
                size_t len)
{
	const char *h = http_header(x, "Authorization");
	char decoded[HTTP_AUTH_HEADER_MAX];
	const struct cred *c;
	size_t dlen, hlen;
	char *colon;
	int ok;

	if (h == NULL || strncmp(h, BASIC_PREFIX, strlen(BASIC_PREFIX)) != 0)
		return -1;
	h += strlen(BASIC_PREFIX);
	hlen = strlen(h);
	while (hlen > 0 && h[hlen - 1] == ' ')
		hlen--;
	if (http_auth_base64_decode(h, hlen, decoded, sizeof(decoded) - 1, &dlen) < 0)
		return -1;
	decoded[dlen] = '\0';
	colon = strchr(decoded, ':');
	if (colon == NULL || memchr(decoded, '\0', dlen) != NULL) {
		sha256_wipe(decoded, dlen);
		return -1;
	}
	*colon = '\0';
	c = cred_find(creds, decoded);
	/* An unknown user costs the same comparison as a wrong password. */
	ok = sha256_streq(c != NULL ? c->secret : "", colon + 1) && c != NULL;
	if (ok)
		snprintf(principal, len, "%s", decoded);
	sha256_wipe(decoded, dlen);
	return ok ? 0 : -1;
}

void
http_auth_refuse(struct http_exchange *x, const char *realm, const char *why)
{
	char value[REALM_HEADER_MAX];

	snprintf(value, sizeof(value), "Basic realm=\"%s\"", realm);
	http_add_header(x, "WWW-Authenticate", value);
	http_reply_error(x, 401, why);
}
