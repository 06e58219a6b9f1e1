/*
 * id.h: identifiers. Random ones (master, run and update UUIDs) and the
 * check every ID from a peer passes before it is used as a map key or a
 * path component (task IDs become sandbox directory names).
 */
#ifndef ID_H
#define ID_H

#include <stddef.h>

#define ID_MAX 255     /* bytes in a task, framework, agent or offer ID */

/* nhex random lowercase hex digits into out (which holds nhex + 1 bytes). */
void id_random_hex(char *out, size_t nhex);
/*
 * len bytes that no other call in this process returns and nobody can
 * predict: SHA-256 of a secret key, read from the kernel once per process
 * (again in a forked child), and a count. For IDs made at a rate where a
 * system call per ID shows; not for keys or nonces of the authentication,
 * which take id_random_hex. One thread's: not locked.
 */
void id_unique_bytes(void *out, size_t len);
/*
 * 0 if s is a usable ID: 1..ID_MAX bytes, not "." or "..", no '/', no
 * whitespace or control bytes. Else -1 with the reason in err
 * ("task ID must not contain '/'").
 */
int id_check(const char *what, const char *s, char *err, size_t errlen);

#endif
