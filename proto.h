/*
 * proto.h: the wire protocol codec. One message per line:
 *
 *     VERB key=value key=value ...\n
 *
 * VERB is [A-Z][A-Z0-9_]* (at most PROTO_VERB_MAX bytes). Keys are
 * [a-z0-9_.]+ . Values are percent-escaped so that any byte string
 * survives: every byte that is a space, '%', '=', a control byte (< 0x20,
 * 0x7f) is written as %XX (upper-case hex); other bytes, UTF-8 included,
 * pass as they are (buf_escape in buf.h spells it, for tools too). A key
 * may repeat where a list is meant. Fields are separated by exactly one
 * space; an empty value is "key=".
 *
 * Errors to a peer are "ERROR reason=..." and the connection is closed.
 * The full message catalogue is docs/PROTOCOL.md. This file only knows the
 * syntax, plus the handshake (HELLO / WELCOME) every peer kind shares.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define PROTO_VERSION      1
#define PROTO_LINE_MAX     65536   /* bytes in one line, '\n' excluded */
#define PROTO_FIELDS_MAX   1024    /* fields in one message */
#define PROTO_VERB_MAX     31
#define PROTO_KEY_MAX      63

struct proto_field {
	const char *key;
	const char *val;   /* decoded, NUL-terminated; may contain NUL bytes: use vlen */
	size_t vlen;
};

struct proto_msg {
	char verb[PROTO_VERB_MAX + 1];
	size_t nfields;
	struct proto_field *fields;   /* points into storage owned by the msg */
	size_t fields_cap;
};

void proto_msg_init(struct proto_msg *m);
void proto_msg_free(struct proto_msg *m);

/*
 * Parse a line in place (line is modified; the msg points into it, so it
 * must outlive the msg's use). Returns 0, or -1 with a one-line reason in
 * err: "empty line", "bad verb", "bad key", "field without '='",
 * "bad escape %..", "too many fields", "line too long".
 */
int proto_parse(char *line, size_t len, struct proto_msg *m, char *err, size_t errlen);

/* First value of key, or NULL. */
const char *proto_get(const struct proto_msg *m, const char *key);
/* The idx-th (0-based) value of a repeated key, or NULL. */
const char *proto_get_nth(const struct proto_msg *m, const char *key, size_t idx);
size_t proto_count(const struct proto_msg *m, const char *key);
/*
 * Required field helpers: return the value, or NULL after writing
 * "missing field 'key'" / "field 'key' is not an integer" into err.
 */
const char *proto_need(const struct proto_msg *m, const char *key, char *err, size_t errlen);
int proto_get_int(const struct proto_msg *m, const char *key, long long dflt, long long *out,
                  char *err, size_t errlen);
int proto_get_double(const struct proto_msg *m, const char *key, double dflt, double *out,
                     char *err, size_t errlen);

/* Encoding: build a message into a buf (which carries its own cap). */
void proto_begin(struct buf *b, const char *verb);
void proto_add(struct buf *b, const char *key, const char *val);
void proto_addn(struct buf *b, const char *key, const char *val, size_t vlen);
void proto_addf(struct buf *b, const char *key, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
void proto_add_int(struct buf *b, const char *key, long long v);
/* Appends '\n'. Returns 0, or -1 if the line exceeds PROTO_LINE_MAX. */
int proto_end(struct buf *b);

/* Handshake: peer kinds. */
enum proto_kind { PROTO_KIND_AGENT, PROTO_KIND_FRAMEWORK, PROTO_KIND_EXECUTOR,
                  PROTO_KIND_CLI, PROTO_KIND_UNKNOWN };
const char *proto_kind_name(enum proto_kind k);
enum proto_kind proto_kind_parse(const char *s);

/*
 * Check a HELLO from a peer. Returns 0 and sets *kind, or -1 with the
 * reason to send back in err (e.g. "protocol version 2 not supported, this
 * master speaks version 1").
 */
int proto_check_hello(const struct proto_msg *m, enum proto_kind *kind, char *err, size_t errlen);

/* Task states and helpers (Mesos names). */
int proto_state_valid(const char *state);
int proto_state_terminal(const char *state);

#endif
