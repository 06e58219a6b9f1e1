/*
 * cred.c: reading credentials (principal and secret pairs) from the files
 * Mesos's flags name, in JSON or as text lines, and keeping them until
 * they are wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cred.h"
#include "id.h"
#include "json.h"
#include "sha256.h"
#include "xmem.h"

#define CRED_READ_CHUNK 4096

int
cred_read_file(const char *path, size_t cap, char **text, size_t *len, char *err, size_t errlen)
{
	size_t used = 0, size = CRED_READ_CHUNK;
	char *p;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	p = xmalloc(size + 1);
	for (;;) {
		if (used == size) {
			if (size >= cap) {
				snprintf(err, errlen, "'%s' is longer than %zu bytes", path, cap);
				sha256_wipe(p, used);
				free(p);
				close(fd);
				return -1;
			}
			size = size * 2 > cap ? cap : size * 2;
			p = xrealloc(p, size + 1);
		}
		n = read(fd, p + used, size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
			sha256_wipe(p, used);
			free(p);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	p[used] = '\0';
	*text = p;
	*len = used;
	return 0;
}

int
cred_make(struct cred *c, const char *principal, const char *secret, char *err, size_t errlen)
{
	size_t slen = secret ? strlen(secret) : 0;

	/* The principal goes on the wire and into the proofs between newlines: an ID's rules. */
	if (id_check("principal", principal, err, errlen) < 0)
		return -1;
	if (slen == 0 || slen > CRED_SECRET_MAX) {
		snprintf(err, errlen, "the secret of principal '%s' must be 1 to %d bytes", principal,
		         CRED_SECRET_MAX);
		return -1;
	}
	c->principal = xstrdup(principal);
	c->secret = xstrdup(secret);
	return 0;
}

static void
set_add(struct cred_set *s, const struct cred *c)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = *c;
}

static int
set_add_new(struct cred_set *s, const char *principal, const char *secret, char *err,
            size_t errlen)
{
	struct cred c;

	if (cred_make(&c, principal, secret, err, errlen) < 0)
		return -1;
	if (cred_find(s, principal) != NULL) {
		snprintf(err, errlen, "principal '%s' is given twice", principal);
		cred_free(&c);
		return -1;
	}
	set_add(s, &c);
	return 0;
}

static int
parse_json(const char *text, size_t len, struct cred_set *s, char *err, size_t errlen)
{
	char jerr[256];
	struct json *j = json_parse(text, len, jerr, sizeof(jerr));
	const struct json *list;
	int rc = 0;

	if (j == NULL) {
		/* The parser's message may quote the bytes it stopped at: a secret's, perhaps. */
		snprintf(err, errlen, "not valid JSON");
		return -1;
	}
	list = json_get(j, "credentials");
	if (list == NULL && json_get(j, "principal") != NULL) {
		rc = set_add_new(s, json_get_str(j, "principal"), json_get_str(j, "secret"), err, errlen);
	} else if (list == NULL || list->type != JSON_ARRAY) {
		snprintf(err, errlen, "expected {\"credentials\": [{\"principal\": .., \"secret\": ..}]}");
		rc = -1;
	} else {
		for (size_t i = 0; i < list->n && rc == 0; i++) {
			const struct json *c = list->items[i];
			if (c->type != JSON_OBJECT) {
				snprintf(err, errlen, "credential %zu is not an object", i + 1);
				rc = -1;
			} else {
				rc = set_add_new(s, json_get_str(c, "principal"), json_get_str(c, "secret"),
				                 err, errlen);
			}
		}
	}
	json_free(j);
	return rc;
}

static int
parse_lines(char *text, struct cred_set *s, char *err, size_t errlen)
{
	char *line, *save = NULL, *principal, *secret, *extra, *fsave;
	size_t lineno = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		principal = strtok_r(line, " \t\r", &fsave);
		if (principal == NULL || principal[0] == '#')
			continue;
		secret = strtok_r(NULL, " \t\r", &fsave);
		extra = strtok_r(NULL, " \t\r", &fsave);
		if (secret == NULL || extra != NULL) {
			snprintf(err, errlen, "line %zu: expected 'principal secret'", lineno);
			return -1;
		}
		if (set_add_new(s, principal, secret, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int
cred_parse(const char *text, size_t len, struct cred_set *s, char *err, size_t errlen)
{
	size_t i = 0;
	char *copy;
	int rc;

	s->v = NULL;
	s->n = 0;
	while (i < len && strchr(" \t\r\n", text[i]) != NULL)
		i++;
	if (i < len && text[i] == '{') {
		rc = parse_json(text, len, s, err, errlen);
	} else if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "a NUL byte in the text");
		rc = -1;
	} else {
		copy = xmalloc(len + 1);
		memcpy(copy, text, len);
		copy[len] = '\0';
		rc = parse_lines(copy, s, err, errlen);
		sha256_wipe(copy, len);
		free(copy);
	}
	if (rc == 0 && s->n == 0) {
		snprintf(err, errlen, "no credentials in it");
		rc = -1;
	}
	if (rc < 0)
		cred_set_free(s);
	return rc;
}

int
cred_load(const char *path, struct cred_set *s, char *err, size_t errlen)
{
	char *text, why[256];
	size_t len;
	int rc;

	if (cred_read_file(path, CRED_FILE_MAX, &text, &len, err, errlen) < 0)
		return -1;
	rc = cred_parse(text, len, s, why, sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "credentials '%s': %s", path, why);
	sha256_wipe(text, len);
	free(text);
	return rc;
}

int
cred_load_one(const char *path, struct cred *c, char *err, size_t errlen)
{
	struct cred_set s;

	if (cred_load(path, &s, err, errlen) < 0)
		return -1;
	if (s.n != 1) {
		snprintf(err, errlen, "credential '%s': expected one credential, found %zu", path, s.n);
		cred_set_free(&s);
		return -1;
	}
	*c = s.v[0];
	free(s.v);
	return 0;
}

const struct cred *
cred_find(const struct cred_set *s, const char *principal)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].principal, principal) == 0)
			return &s->v[i];
	return NULL;
}

void
cred_free(struct cred *c)
{
	if (c->secret != NULL) {
		sha256_wipe(c->secret, strlen(c->secret));
		free(c->secret);
	}
	free(c->principal);
	c->principal = c->secret = NULL;
}

void
cred_set_free(struct cred_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		cred_free(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
