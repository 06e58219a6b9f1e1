/*
 * cred.h: credentials in Mesos's two file formats. The master's
 * --credentials holds many:
 *
 *     {"credentials": [{"principal": "sherman", "secret": "kitesurf"}]}
 *
 * or one "principal secret" pair a line (blank lines and lines starting
 * with '#' skipped). An agent's --credential, a plugin's or mesosctl's
 * hold one: {"principal": "..", "secret": ".."} or one such line.
 * Secrets are wiped when freed and never appear in an error message.
 */
#ifndef CRED_H
#define CRED_H

#include <stddef.h>

#define CRED_SECRET_MAX 1024          /* bytes of one secret */
#define CRED_FILE_MAX (1024 * 1024)   /* bytes of a credentials or ACL file */

struct cred {
	char *principal;
	char *secret;
};

struct cred_set {
	struct cred *v;
	size_t n;
};

/* Every credential of a file (either format) into s. Returns 0, or -1 with err. */
int cred_load(const char *path, struct cred_set *s, char *err, size_t errlen);
/* Exactly one credential from a file. Returns 0, or -1 with err. */
int cred_load_one(const char *path, struct cred *c, char *err, size_t errlen);
/* The same from text already read (tests, the environment). */
int cred_parse(const char *text, size_t len, struct cred_set *s, char *err, size_t errlen);
/* Checks principal and secret as the files do; copies them into c. Returns 0, or -1 with err. */
int cred_make(struct cred *c, const char *principal, const char *secret, char *err, size_t errlen);
/* The credential of principal, or NULL. */
const struct cred *cred_find(const struct cred_set *s, const char *principal);
void cred_free(struct cred *c);
void cred_set_free(struct cred_set *s);
/* A whole file of at most cap bytes into a malloc'ed, NUL-terminated *text. 0, or -1 with err. */
int cred_read_file(const char *path, size_t cap, char **text, size_t *len, char *err,
                   size_t errlen);

#endif
