/*
 * http_auth.h: HTTP Basic authentication (RFC 7617) for the project's HTTP
 * servers (the master, Marathon's and the jobs plugin's APIs): the
 * request's "Authorization: Basic base64(user:password)" checked against
 * credentials, and the 401 that asks for them.
 */
#ifndef HTTP_AUTH_H
#define HTTP_AUTH_H

#include <stddef.h>

struct cred_set;
struct http_exchange;

#define HTTP_AUTH_HEADER_MAX 4096    /* bytes of an Authorization header we decode */

/*
 * 0 and the user in principal (len bytes) when x carries Basic credentials
 * that creds holds (the password compared in constant time); -1 when it
 * carries none, malformed ones or wrong ones.
 */
int http_auth_basic(const struct http_exchange *x, const struct cred_set *creds, char *principal,
                    size_t len);
/* 401 with "WWW-Authenticate: Basic realm=..." and a line saying why. */
void http_auth_refuse(struct http_exchange *x, const char *realm, const char *why);
/* "Basic base64(user:password)" into out (a malloc'ed string). */
char *http_auth_basic_value(const char *user, const char *password);
/* Standard base64 (with padding) into out; -1 on a bad character, length or room. */
int http_auth_base64_decode(const char *in, size_t inlen, char *out, size_t outcap,
                            size_t *outlen);

#endif
